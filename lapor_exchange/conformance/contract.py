"""The published OpenAPI document read as operations: what the conformance kit checks
requests and answers against.

`operations()` lists every operation of the published document with its capability tag,
parameters, request body and documented answers; `answer_problems` judges an answer
(status and JSON body) against what the document says that operation answers;
`published_for(capabilities)` is the document reduced to some capabilities' paths.
Every schema is used where it sits in the document, so its `$ref`s resolve inside it.

Not here: serving (`strict_hub.py`), calling a hub (`client.py`).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote, unquote

from jsonschema import Draft202012Validator

from .. import capabilities, documents
from ..problems import openapi_validator_at, problems

# The check kit marks its deliberate probes (requests meant to be refused) with this
# header, so that a strict hub keeps them out of the problems it reports.
PROBE_HEADER = "X-Lapor-Conformance-Probe"
JSON = "application/json"


@dataclass(frozen=True)
class Parameter:
    name: str
    location: str  # "query" or "path"
    required: bool
    pointer: str  # where its schema sits in the document

    def parse(self, raw: str):
        """The value of a raw parameter string, typed as its schema says; ValueError if it cannot be."""
        kind = _resolved(schema_at(self.pointer)).get("type", "string")
        if kind == "integer":
            if not re.fullmatch(
                r"-?[0-9]{1,4000}", raw
            ):  # any size the document allows, cheap to read
                raise ValueError("is not a whole number")
            return int(raw)
        if kind == "number":
            if not re.fullmatch(r"-?[0-9]{1,300}(\.[0-9]{1,300})?([eE][+-]?[0-9]{1,3})?", raw):
                raise ValueError("is not a number")
            return float(raw)
        if kind == "boolean":
            if raw not in ("true", "false"):
                raise ValueError("is not true or false")
            return raw == "true"
        return raw

    @property
    def default(self):
        return _resolved(schema_at(self.pointer)).get("default")

    def problems(self, value) -> list[str]:
        """What is wrong with a parsed value, named by the schema keyword it fails (never quoting
        the value: a source_ref may be personal data)."""
        errors = validator_at(self.pointer).iter_errors(value)
        return sorted({f"fails {err.validator} ({_short(err.validator_value)})" for err in errors})


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str  # the template, e.g. /api/v1/reports/{tracking_id}
    tag: str
    secured: bool
    parameters: tuple[Parameter, ...]
    body_pointer: str | None  # the request body's schema
    responses: dict  # status ("200", "default") -> the answer's schema pointer, or None

    @property
    def pattern(self) -> re.Pattern:
        return _path_pattern(self.path)

    def match(self, path: str) -> dict | None:
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None

    def url_path(self, **values) -> str:
        """The path with its parameters filled in (percent-encoded)."""
        return re.sub(r"\{([^}/]+)\}", lambda m: quote(str(values[m.group(1)]), safe=""), self.path)

    def documents(self, status: int) -> bool:
        return str(status) in self.responses

    def error_code(self, status: int) -> str | None:
        """The error code the document names for `status` ("… (code `bad_request`)")."""
        found = re.search(r"code `([a-z_]+)`", self._descriptions().get(str(status), ""))
        return found.group(1) if found else None

    def _descriptions(self) -> dict:
        return {
            status: answer.get("description", "")
            for status, answer in documents.openapi()["paths"][self.path][self.method.lower()][
                "responses"
            ].items()
        }


@lru_cache(maxsize=None)
def _path_pattern(template: str) -> re.Pattern:
    parts = re.split(r"(\{[^}/]+\})", template)
    return re.compile(
        "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    )


def pointer(*parts) -> str:
    """A JSON pointer into the document, percent-encoded for use in a URI fragment."""
    return "/" + "/".join(
        quote(str(p).replace("~", "~0").replace("/", "~1"), safe="") for p in parts
    )


@lru_cache(maxsize=1)
def operations() -> tuple[Operation, ...]:
    """Every operation of the published document, in document order."""
    found = []
    for path, item in documents.openapi()["paths"].items():
        for method in capabilities.METHODS:
            if method in item:
                found.append(_operation(path, method, item[method]))
    return tuple(found)


def _operation(path: str, method: str, spec: dict) -> Operation:
    here = ("paths", path, method)
    parameters = tuple(
        Parameter(
            p["name"], p["in"], bool(p.get("required")), pointer(*here, "parameters", i, "schema")
        )
        for i, p in enumerate(spec.get("parameters", ()))
    )
    body = (
        pointer(*here, "requestBody", "content", JSON, "schema") if "requestBody" in spec else None
    )
    responses = {
        status: (
            pointer(*here, "responses", status, "content", JSON, "schema")
            if JSON in answer.get("content", {})
            else None
        )
        for status, answer in spec["responses"].items()
    }
    return Operation(
        spec["operationId"],
        method.upper(),
        path,
        spec["tags"][0],
        bool(spec.get("security")),
        parameters,
        body,
        responses,
    )


def operation(operation_id: str) -> Operation:
    for found in operations():
        if found.operation_id == operation_id:
            return found
    raise KeyError(f"the published document has no operation {operation_id!r}")


def validator_at(where: str) -> Draft202012Validator:
    """A validator for the schema at JSON pointer `where` of the published document."""
    return openapi_validator_at(where)


def component(name: str) -> str:
    return pointer("components", "schemas", name)


def schema_at(where: str) -> dict:
    node = documents.openapi()
    for part in where.lstrip("/").split("/"):
        key = unquote(part).replace("~1", "/").replace("~0", "~")
        node = node[int(key)] if isinstance(node, list) else node[key]
    return node


def _resolved(schema: dict) -> dict:
    """A schema with a top-level `$ref` (to a component) followed."""
    while "$ref" in schema:
        schema = schema_at(schema["$ref"].lstrip("#"))
    return schema


def answer_problems(op: Operation, status: int, body) -> list[str]:
    """What is wrong with an answer `status` + JSON `body` (None: not JSON) to `op`, by the
    document: the schema documented for that status, or, for an undocumented status outside
    2xx, the `Error` schema (the document says every such answer has that body)."""
    key = str(status) if op.documents(status) else "default" if "default" in op.responses else None
    if key is None and 200 <= status < 300:
        return [f"{status} is not an answer the document gives for {op.operation_id}"]
    where = op.responses[key] if key is not None else component("Error")
    return body_problems(body, where, f"{status} answer")


def body_problems(body, where: str | None, what: str) -> list[str]:
    if where is None:
        return []
    if body is None:
        return [f"the {what} is not JSON"]
    return [f"{p.path}: {p.message}" for p in problems(body, validator_at(where))]


def error_problems(status: int, body) -> list[str]:
    """For an answer outside any operation (an unknown path): the `Error` body."""
    return body_problems(body, component("Error"), f"{status} answer")


def published_for(offered) -> dict:
    """The published document with only the paths of the `offered` capabilities (core always)."""
    keep = {capabilities.CORE, *offered}
    document = copy.deepcopy(documents.openapi())
    document["paths"] = {
        path: item
        for path, item in document["paths"].items()
        if any(op.tag in keep for op in operations() if op.path == path)
    }
    document["tags"] = [tag for tag in document["tags"] if tag["name"] in keep]
    return document


def _short(value, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
