"""The national exchange schemas: well-formed, documented, and problems that name paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hub_helpers import make_report
from jsonschema import Draft202012Validator

from connector.support.schemas import problems

SCHEMAS = sorted((Path(__file__).resolve().parent.parent / "schemas").glob("*.schema.json"))


@pytest.mark.parametrize("path", SCHEMAS, ids=lambda p: p.name)
def test_each_schema_is_2020_12_with_an_id(path):
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith(path.name)


def _properties(node, where="$"):
    for key, sub in (node.get("properties") or {}).items():
        yield f"{where}.{key}", sub
        yield from _properties(sub, f"{where}.{key}")
        if isinstance(sub.get("items"), dict):
            yield from _properties(sub["items"], f"{where}.{key}[]")


@pytest.mark.parametrize("name", ["report", "status-update"])
def test_every_exchange_field_is_described(name):
    schema = json.loads((SCHEMAS[0].parent / f"{name}.schema.json").read_text())
    undocumented = [path for path, sub in _properties(schema) if "description" not in sub]
    assert undocumented == []


def test_a_valid_report_has_no_problems():
    assert problems(make_report("A-1"), "report") == []


def test_problems_name_json_paths_and_list_everything():
    report = make_report("A-1")
    report["privacy"] = {"anonymous": "ya"}
    report["submitted_at"] = "2026-03-12 09:15"
    report["category"]["code"] = "Jalan Rusak!"
    del report["body"]
    found = {(p.path, p.message.split(" (")[0]) for p in problems(report, "report")}
    assert ("$.body", "is required") in found
    assert ("$.privacy.confidential", "is required") in found
    assert ("$.privacy.anonymous", "'ya' is not of type 'boolean'") in found
    assert ("$.submitted_at", "'2026-03-12 09:15' is not a valid date-time") in found
    assert ("$.category.code", "'Jalan Rusak!' does not have the expected form") in found


def test_personal_values_are_never_quoted_in_problems():
    report = make_report(
        "A-1",
        complainant={
            "name": "Siti",
            "phone": "0812-3456",
            "email": "siti@@mail",
            "id_number": "63710",
        },
    )
    messages = " ".join(str(p) for p in problems(report, "report"))
    assert (
        "$.complainant.phone" in messages
        and "$.complainant.email" in messages
        and "$.complainant.id_number" in messages
    )
    for secret in ("0812-3456", "siti@@mail", "63710"):
        assert secret not in messages


def test_a_status_update_needs_a_status_or_a_message():
    update = {
        "schema_version": "1",
        "update_id": "hub-1",
        "tracking_id": "1000001",
        "origin": {"side": "hub"},
        "actor": "admin_nasional",
        "occurred_at": "2026-03-13T10:00:00+08:00",
    }
    assert problems(update, "status-update") != []
    assert problems({**update, "status": "terverifikasi"}, "status-update") == []
    assert problems({**update, "message": "Sedang ditindaklanjuti"}, "status-update") == []
    assert [p.path for p in problems({**update, "status": "proses"}, "status-update")] == [
        "$.status"
    ]
