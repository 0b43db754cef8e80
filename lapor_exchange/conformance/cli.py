"""`lapor-exchange`: the conformance kit's command line."""

from __future__ import annotations

import click

from .. import __version__


@click.group()
@click.version_option(__version__, prog_name="lapor-exchange")
def main():
    """Check hubs and reports against the SP4N-LAPOR! exchange contract v1."""
