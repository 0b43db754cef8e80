"""The published documents of the exchange contract, as shipped in this package.

`schema(name)` returns the report or status-update JSON Schema; `openapi()` the OpenAPI
3.1 description of the hub API. The same files are published in the project's top-level
`schemas/` folder (a test keeps both identical). Callers must not modify what these return.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

# The `schema_version` every report and status update of this contract carries.
SCHEMA_VERSION = "1"

REPORT = "report"
STATUS_UPDATE = "status-update"
OPENAPI_FILE = "exchange.openapi.json"


def document_text(filename: str) -> str:
    return resources.files(__package__).joinpath("documents", filename).read_text(encoding="utf-8")


@lru_cache(maxsize=None)
def schema(name: str) -> dict:
    """The JSON Schema `report` or `status-update`."""
    return json.loads(document_text(f"{name}.schema.json"))


@lru_cache(maxsize=1)
def openapi() -> dict:
    """The OpenAPI document of the hub API (core and optional capabilities)."""
    return json.loads(document_text(OPENAPI_FILE))


def filenames() -> list[str]:
    """Every published document's file name."""
    return sorted(
        p.name
        for p in resources.files(__package__).joinpath("documents").iterdir()
        if p.name.endswith(".json")
    )
