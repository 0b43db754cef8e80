"""Validation against the national exchange schemas in `schemas/`.

Every problem comes back as a `Problem(path, message)` with a JSON path
(`$.privacy.anonymous`), all of them at once, sorted by path. This module does
not decide what happens to an invalid record; `connector.intake` does.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker

from .resources import data_path

REPORT = "report"
STATUS_UPDATE = "status-update"
CONFIG = "config"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a record: the JSON path in the national report, what
    is wrong, and (when a profile mapped it) the source field it came from."""

    path: str
    message: str
    source: str | None = None

    def __str__(self) -> str:
        where = f" (source field '{self.source}')" if self.source else ""
        return f"{self.path}: {self.message}{where}"

    def as_dict(self) -> dict:
        found = {"path": self.path, "message": self.message}
        if self.source:
            found["source"] = self.source
        return found


_format_checker = FormatChecker()


@_format_checker.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None and "T" in value.upper()


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


def is_email(text: str) -> bool:
    """A practical address check (no quoted local parts, a dotted domain)."""
    return bool(_EMAIL.match(text)) and len(text) <= 320 and ".." not in text


@_format_checker.checks("email")
def _is_email(value) -> bool:
    return not isinstance(value, str) or is_email(value)


@_format_checker.checks("uri", raises=ValueError)
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict:
    with open(data_path("schemas", f"{name}.schema.json"), encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=None)
def _validator(name: str) -> Draft202012Validator:
    return validator_for(load_schema(name))


def validator_for(schema: dict) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=_format_checker)


def problems(instance, schema: str | Draft202012Validator) -> list[Problem]:
    """All schema problems of `instance`, each naming its JSON path; [] when valid."""
    validator = _validator(schema) if isinstance(schema, str) else schema
    found = [_problem(err) for err in validator.iter_errors(instance)]
    return sorted(set(found), key=lambda p: (p.path, p.message))


# Values under these paths are personal data: messages say "the value" instead of quoting them.
PERSONAL_PATHS = ("$.complainant",)


def _problem(err) -> Problem:
    found = _describe(err)
    if found.path.startswith(PERSONAL_PATHS) and err.validator not in ("required", "additionalProperties"):
        return Problem(found.path, found.message.replace(_short(err.instance), "the value").replace(repr(err.instance), "the value"))
    return found


def _describe(err) -> Problem:
    path = err.json_path
    if err.validator == "required":
        missing = err.message.split("'")[1] if "'" in err.message else "?"
        return Problem(_join(path, missing), "is required")
    if err.validator in ("additionalProperties", "unevaluatedProperties"):
        extra = sorted(_unexpected(err))
        if len(extra) == 1:
            return Problem(_join(path, extra[0]), "is not a known field")
        return Problem(path, f"unknown fields: {', '.join(extra)}")
    if err.validator == "pattern":
        return Problem(path, f"{_short(err.instance)} does not have the expected form ({err.schema.get('description', err.validator_value)})")
    if err.validator == "enum":
        return Problem(path, f"{_short(err.instance)} is not one of {', '.join(map(str, err.validator_value))}")
    if err.validator == "format":
        return Problem(path, f"{_short(err.instance)} is not a valid {err.validator_value}")
    return Problem(path, err.message)


def _unexpected(err) -> list[str]:
    allowed = set(err.schema.get("properties", {}))
    return [k for k in err.instance if k not in allowed] if isinstance(err.instance, dict) else []


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if key.isidentifier() else f"{path}[{key!r}]"


def _short(value, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…'"
