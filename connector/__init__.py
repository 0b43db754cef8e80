"""lapor-connector: carries complaints from regional channels to the national SP4N-LAPOR! hub."""

__version__ = "0.1.0"
