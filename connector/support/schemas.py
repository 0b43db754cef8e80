"""The connector's own schemas: its configuration and mapping profiles (`schemas/`).

Validation itself, with problems named by JSON path, is the exchange package's
(`lapor_exchange.problems`), and so are the report and status-update schemas: what
crosses to the hub is defined by the published contract, not here.
"""

from __future__ import annotations

import json
from functools import lru_cache

from jsonschema import Draft202012Validator

from connector.support.data import data_path
from lapor_exchange import documents
from lapor_exchange.problems import Problem, is_email, validator_for
from lapor_exchange.problems import problems as _problems

__all__ = ["Problem", "is_email", "load_schema", "problems", "validator_for"]


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    """`config` or `profile` from schemas/; `report` and `status-update` from the contract."""
    if name in (documents.REPORT, documents.STATUS_UPDATE):
        return documents.schema(name)
    with open(data_path("schemas", f"{name}.schema.json"), encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def _validator(name: str) -> Draft202012Validator:
    return validator_for(load_schema(name))


def problems(instance, schema: str | Draft202012Validator) -> list[Problem]:
    """All problems of `instance` against a schema named as in `load_schema`, or a validator."""
    return _problems(instance, _validator(schema) if isinstance(schema, str) else schema)
