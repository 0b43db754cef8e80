"""The published exchange contract: the documents themselves.

The top-level `schemas/` folder and the package's `lapor_exchange/documents/` hold the
same files; the OpenAPI document is valid, self-contained (every `$ref` resolves inside
it), tags each operation with the core or one capability, and embeds the very report and
status-update schemas that are published on their own.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate as validate_openapi

from lapor_exchange import capabilities, documents

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", documents.filenames())
def test_the_published_copy_in_schemas_is_the_package_document(name):
    assert (ROOT / "schemas" / name).read_text(encoding="utf-8") == documents.document_text(name)


def test_openapi_document_is_valid_openapi_3_1():
    doc = documents.openapi()
    assert doc["openapi"] == "3.1.0"
    validate_openapi(doc)


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_every_ref_in_the_openapi_document_resolves_inside_it():
    doc = documents.openapi()
    refs = set(_refs(doc))
    assert refs, "the document uses references"
    for ref in refs:
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]


def test_every_operation_is_core_or_exactly_one_optional_capability():
    doc = documents.openapi()
    tags = {t["name"] for t in doc["tags"]}
    assert tags == {capabilities.CORE, *capabilities.OPTIONAL}
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert len(operation["tags"]) == 1 and operation["tags"][0] in tags, (path, method)
            assert operation.get("operationId"), (path, method)
    assert capabilities.operations()[capabilities.CORE] == (
        ("POST", "/api/v1/reports:batch"),
        ("GET", "/api/v1/reports/{tracking_id}"),
        ("GET", "/api/v1/reports"),
        ("GET", "/api/v1/openapi.json"),
    )


def _as_component(schema: dict) -> dict:
    """A published JSON Schema written the way the OpenAPI document embeds it."""
    names = {
        "identifier": "Identifier",
        "text200": "Text200",
        "text512": "Text512",
        "region_code": "RegionCode",
        "datetime": "DateTime",
        "status": "Status",
        "tracking_id": "TrackingId",
    }
    text = json.dumps({k: v for k, v in schema.items() if k not in ("$schema", "$id", "$defs")})
    return json.loads(
        re.sub(
            r'"#/\$defs/([a-z0-9_]+)"',
            lambda m: f'"#/components/schemas/{names[m.group(1)]}"',
            text,
        )
    )


def test_the_openapi_document_embeds_the_published_report_schema_and_its_definitions():
    components = documents.openapi()["components"]["schemas"]
    report = documents.schema(documents.REPORT)
    assert components["Report"] == _as_component(report)
    assert components["TrackingId"] == report["$defs"]["tracking_id"]
    assert components["Status"] == report["$defs"]["status"]


def test_the_openapi_status_update_is_the_published_one():
    embedded = documents.openapi()["components"]["schemas"]["StatusUpdate"]
    published = documents.schema(documents.STATUS_UPDATE)
    assert set(embedded["properties"]) == set(published["properties"])
    assert embedded["required"] == published["required"] and embedded["anyOf"] == published["anyOf"]
    assert embedded["additionalProperties"] is False is published["additionalProperties"]
    components = documents.openapi()["components"]["schemas"]
    for name in ("update_id", "origin", "actor", "message", "source_status", "schema_version"):
        assert embedded["properties"][name] == published["properties"][name], name
    assert published["properties"]["tracking_id"]["pattern"] == components["TrackingId"]["pattern"]
    assert published["properties"]["status"]["enum"] == components["Status"]["enum"]


def test_closed_objects_except_source_and_limits_stated():
    report = documents.schema(documents.REPORT)

    def objects(node, path="$"):
        if isinstance(node, dict):
            if node.get("type") == "object":
                yield path, node
            for key, value in node.items():
                yield from objects(value, f"{path}.{key}")

    for path, node in objects(report):
        if path != "$.properties.source":
            assert node.get("additionalProperties") is False, path
    assert report["properties"]["source"]["additionalProperties"] is True
    assert (
        report["$defs"]["text200"]["maxLength"] == 200
        and report["properties"]["title"]["$ref"] == "#/$defs/text200"
    )
    assert report["$defs"]["tracking_id"]["pattern"] == "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


def _strings(node, defs, path="$"):
    """(path, schema) of every string-valued schema, references followed."""
    if isinstance(node, dict):
        if "$ref" in node:
            yield from _strings(defs[node["$ref"].rsplit("/", 1)[-1]], defs, path)
        if node.get("type") == "string":
            yield path, node
        for key, value in node.items():
            if key not in ("$defs", "$ref"):
                yield from _strings(value, defs, f"{path}.{key}")


@pytest.mark.parametrize("name", [documents.REPORT, documents.STATUS_UPDATE])
def test_no_string_in_the_contract_may_be_blank(name):
    schema = documents.schema(name)
    found = list(_strings(schema, schema.get("$defs", {})))
    assert len(found) >= 7
    for path, node in found:
        if "format" in node and "pattern" not in node:
            continue  # date, date-time, email, uri: never blank
        assert "pattern" in node, path
        assert not re.search(node["pattern"], "") and not re.search(node["pattern"], "   \t"), path
