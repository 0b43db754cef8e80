"""Validation against the exchange documents, with every problem named by its JSON path.

`problems(instance, schema)` returns all problems at once, as `Problem(path, message)`
(`$.privacy.anonymous: is required`), sorted by path. `report_problems` and
`update_problems` check against the published report and status-update schemas;
`openapi_validator(name)` checks against a schema of the OpenAPI document's components
(its `$ref`s resolve inside that document). Values under `$.complainant` are personal
data: messages about them never quote the value.

Not here: what happens to an invalid item (each side decides).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from . import documents


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an item: the JSON path, what is wrong, and (when a mapping
    produced the value) the source field it came from."""

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


FORMAT_CHECKER = FormatChecker()


@FORMAT_CHECKER.checks("date-time", raises=ValueError)
def _is_datetime(value) -> bool:
    if not isinstance(value, str):
        return True
    parsed = datetime.fromisoformat(value)
    return parsed.tzinfo is not None and "T" in value.upper()


@FORMAT_CHECKER.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    return not isinstance(value, str) or bool(date.fromisoformat(value)) and len(value) == 10


_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


def is_email(text: str) -> bool:
    """A practical address check (no quoted local parts, a dotted domain)."""
    return bool(_EMAIL.match(text)) and len(text) <= 320 and ".." not in text


@FORMAT_CHECKER.checks("email")
def _is_email(value) -> bool:
    return not isinstance(value, str) or is_email(value)


@FORMAT_CHECKER.checks("uri", raises=ValueError)
def _is_uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme and parts.netloc)


def validator_for(schema: dict, registry: Registry | None = None) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    if registry is None:
        return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER, registry=registry)


@lru_cache(maxsize=None)
def schema_validator(name: str) -> Draft202012Validator:
    """A validator for the published `report` or `status-update` schema."""
    return validator_for(documents.schema(name))


OPENAPI_URI = "urn:lapor-exchange:openapi"


@lru_cache(maxsize=1)
def _openapi_registry() -> Registry:
    resource = Resource.from_contents(documents.openapi(), default_specification=DRAFT202012)
    return Registry().with_resource(OPENAPI_URI, resource)


@lru_cache(maxsize=None)
def openapi_validator_at(pointer: str) -> Draft202012Validator:
    """A validator for the schema at JSON pointer `pointer` of the OpenAPI document (its
    `$ref`s resolve inside the document)."""
    return validator_for({"$ref": f"{OPENAPI_URI}#{pointer}"}, _openapi_registry())


def openapi_validator(name: str) -> Draft202012Validator:
    """A validator for `components.schemas.<name>` of the OpenAPI document."""
    return openapi_validator_at(f"/components/schemas/{name}")


def problems(instance, schema: str | Draft202012Validator) -> list[Problem]:
    """All schema problems of `instance`, each naming its JSON path; [] when valid.
    `schema` is a validator or the name of a published schema."""
    validator = schema_validator(schema) if isinstance(schema, str) else schema
    found = [_problem(err) for err in validator.iter_errors(instance)]
    return sorted(set(found), key=lambda p: (p.path, p.message))


def report_problems(report) -> list[Problem]:
    return problems(report, documents.REPORT)


def update_problems(update) -> list[Problem]:
    return problems(update, documents.STATUS_UPDATE)


# Values under these paths are personal data: messages say "the value" instead of quoting them.
PERSONAL_PATHS = ("$.complainant",)


def _problem(err) -> Problem:
    found = _describe(err)
    if found.path.startswith(PERSONAL_PATHS) and err.validator not in (
        "required",
        "additionalProperties",
    ):
        return Problem(
            found.path,
            found.message.replace(_short(err.instance), "the value").replace(
                repr(err.instance), "the value"
            ),
        )
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
        if err.validator_value == r"\S":
            return Problem(path, "is blank")
        return Problem(
            path,
            f"{_short(err.instance)} does not have the expected form ({err.schema.get('description', err.validator_value)})",
        )
    if err.validator == "minLength" and err.instance == "":
        return Problem(path, "is empty")
    if err.validator == "enum":
        return Problem(
            path, f"{_short(err.instance)} is not one of {', '.join(map(str, err.validator_value))}"
        )
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
