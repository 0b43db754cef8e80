"""The OpenAPI 3.1 description of the exchange API, served at /api/v1/openapi.json.

Built from data: the report schema is embedded as is from
`schemas/report.schema.json` (with its `$id`, so its internal `$defs`
references keep resolving). Not here: the handlers (`app.py`).
"""

from __future__ import annotations

import copy

from .. import __version__
from ..validate import REPORT, load_schema
from .exchange import OUTCOMES
from .faults import RULES_SCHEMA

MAX_BATCH = 500
MAX_PAGE = 1000


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


_UNAUTHORIZED = _error("Missing or unknown bearer token.")


def _components() -> dict:
    problem = {"type": "object", "required": ["path", "message"],
               "properties": {"path": {"type": "string", "description": "JSON path in the report, e.g. $.privacy.anonymous."},
                              "message": {"type": "string"}}}
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "One token per regional connector."}},
        "schemas": {
            "Report": copy.deepcopy(load_schema(REPORT)),
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["code", "message"],
                "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            "Problem": problem,
            "BatchRequest": {"type": "object", "required": ["reports"], "properties": {
                "reports": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": _ref("Report")}}},
            "ItemResult": {"type": "object", "required": ["index", "source_ref", "outcome", "tracking_id", "errors"],
                           "properties": {
                               "index": {"type": "integer", "description": "Position of the report in the batch."},
                               "source_ref": {"type": ["string", "null"]},
                               "outcome": {"enum": list(OUTCOMES)},
                               "tracking_id": {"type": ["string", "null"],
                                               "description": "Opaque hub id; for duplicate and conflict, the stored report's."},
                               "errors": {"type": "array", "items": _ref("Problem")}}},
            "BatchResult": {"type": "object", "required": ["results"], "properties": {
                "results": {"type": "array", "items": _ref("ItemResult")}}},
            "StoredReport": {"type": "object", "required": ["tracking_id", "status", "received_at", "content_hash", "report"],
                             "properties": {
                                 "tracking_id": {"type": "string"},
                                 "status": {"$ref": "https://lapor-connector.example/schemas/v1/report.schema.json#/$defs/status"},
                                 "received_at": {"type": "string", "format": "date-time"},
                                 "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                                                  "description": "sha256 of the report's canonical JSON."},
                                 "report": _ref("Report")}},
            "ReportPage": {"type": "object", "required": ["reports", "next_after"], "properties": {
                "reports": {"type": "array", "items": _ref("StoredReport")},
                "next_after": {"type": ["string", "null"], "description": "Pass as `after` for the next page; null on the last."}}},
            "Stats": {"type": "object", "required": ["reports", "distinct_keys", "answers"], "properties": {
                "reports": {"type": "integer", "description": "Reports stored for this connector."},
                "distinct_keys": {"type": "integer", "description": "Distinct (channel_id, source_ref) keys in this connector's answers."},
                "answers": {"type": "object", "properties": {o: {"type": "integer"} for o in OUTCOMES}}}},
            "FaultRules": {"type": "object", "required": ["rules"], "properties": {
                "rules": {k: v for k, v in RULES_SCHEMA.items() if k != "$schema"}}},
        },
    }


def _paths() -> dict:
    auth = [{"bearer": []}]
    return {
        "/api/v1/reports:batch": {"post": {
            "summary": "Deliver a batch of reports; one result per report, in order.",
            "security": auth,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BatchRequest")}}},
            "responses": {"200": _json(_ref("BatchResult"), "Per-report outcomes."),
                          "400": _error("Not JSON, or no `reports` list."),
                          "401": _UNAUTHORIZED,
                          "422": _error(f"Fewer than 1 or more than {MAX_BATCH} reports.")}}},
        "/api/v1/reports/{tracking_id}": {"get": {
            "summary": "One report of this connector.",
            "security": auth,
            "parameters": [{"name": "tracking_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": _json(_ref("StoredReport"), "The report as stored."),
                          "401": _UNAUTHORIZED,
                          "404": _error("Unknown, or another connector's report.")}}},
        "/api/v1/reports": {"get": {
            "summary": "This connector's reports in tracking-id order, a page at a time.",
            "security": auth,
            "parameters": [
                {"name": "channel_id", "in": "query", "schema": {"type": "string"}},
                {"name": "source_ref", "in": "query", "schema": {"type": "string"}},
                {"name": "after", "in": "query", "schema": {"type": "string"},
                 "description": "The last tracking id of the previous page (its `next_after`)."},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 100}}],
            "responses": {"200": _json(_ref("ReportPage"), "A page of reports."),
                          "400": _error("A query parameter is not valid."),
                          "401": _UNAUTHORIZED}}},
        "/api/v1/stats": {"get": {
            "summary": "Counts for this connector.",
            "security": auth,
            "responses": {"200": _json(_ref("Stats"), "Counts."), "401": _UNAUTHORIZED}}},
        "/api/v1/health": {"get": {
            "summary": "Liveness.",
            "responses": {"200": _json({"type": "object", "properties": {"status": {"const": "ok"}}}, "The hub is up.")}}},
        "/api/v1/openapi.json": {"get": {
            "summary": "This document.",
            "responses": {"200": {"description": "OpenAPI 3.1 document.", "content": {"application/json": {}}}}}},
        "/api/v1/_faults": {
            "post": {"summary": "Replace the fault-injection rules (only when the hub enables faults).",
                     "security": auth,
                     "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FaultRules")}}},
                     "responses": {"200": _json(_ref("FaultRules"), "The rules now live."),
                                   "401": _UNAUTHORIZED, "404": _error("Faults are disabled."),
                                   "422": _error("The rules are not valid.")}},
            "delete": {"summary": "Remove every fault-injection rule.",
                       "security": auth,
                       "responses": {"200": _json(_ref("FaultRules"), "No rules left."),
                                     "401": _UNAUTHORIZED, "404": _error("Faults are disabled.")}}},
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "SP4N-LAPOR! exchange API (reference hub)", "version": __version__,
                 "description": "How regional connectors deliver reports to the national hub. "
                                "Idempotent on (source.connector_id, source.channel_id, source.source_ref)."},
        "paths": _paths(),
        "components": _components(),
    }
