"""lapor_exchange: the SP4N-LAPOR! national exchange contract, owned by neither side.

The documents (`documents/`: the report and status-update JSON Schemas and the OpenAPI
description of the hub API) are the contract; the modules here are what both sides need to
honour it the same way: canonical JSON and content hashes, reconciliation digests, the
status model, validation with JSON paths, capability discovery, and the conformance kit
(`lapor-exchange check-hub`, `check-report`, a strict recording hub for tests).

It imports nothing from the connector or the reference hub; both depend on it.
"""

from importlib import metadata

CONTRACT_VERSION = "1"

try:
    __version__ = metadata.version("lapor-connector")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"
