"""The reference hub's OpenAPI document, served at /api/v1/openapi.json.

It is the published exchange contract (`lapor_exchange`'s document: the core and every
optional capability, all of which this hub offers) plus what only the reference hub has,
tagged `reference-hub`: health, one update at a time, the national side's admin API, and,
when the settings enable faults, drift and fault injection. Connectors read this document
to learn the hub's capabilities, so it lists exactly what this hub serves.

Not here: the handlers (`*_api.py`).
"""

from __future__ import annotations

import copy

from lapor_exchange import documents

from .checkpoints import CHECKPOINT_SCHEMA
from .drift import DRIFT_SCHEMAS
from .faults import RULES_SCHEMA
from .national import ACT_SCHEMA
from .updates import RECORDED

MAX_BATCH = 500
MAX_PAGE = 1000
TAG = "reference-hub"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


def _body(name: str) -> dict:
    return {"required": True, "content": {"application/json": {"schema": _ref(name)}}}


def _own(schema: dict) -> dict:
    """A schema of this package written for jsonschema, as an OpenAPI component."""
    return {k: v for k, v in schema.items() if k != "$schema"}


_ADMIN_UNAUTHORIZED = _error("Missing or wrong admin token.")
_TRACKING_ID = {"name": "tracking_id", "in": "path", "required": True, "schema": _ref("TrackingId")}


def _operation(summary: str, responses: dict, admin: bool = False, **extra) -> dict:
    operation = {"tags": [TAG], "summary": summary, **extra}
    operation["security"] = [{"admin": []}] if admin else [{"bearer": []}]
    operation["responses"] = responses
    return operation


def _components(faults_enabled: bool) -> dict:
    status_at = {"anyOf": [_ref("DateTime"), {"type": "null"}]}
    found = {
        "Health": {"type": "object", "required": ["status"], "properties": {"status": {"const": "ok"}}},
        "UpdateAnswer": {"type": "object", "required": ["update_id", "outcome", "status", "status_at"], "properties": {
            "update_id": {"type": "string"}, "outcome": {"enum": ["applied", "duplicate", "stale", "noop"]},
            "status": _ref("Status"), "status_at": status_at}},
        "ActRequest": _own(ACT_SCHEMA),
        "ActResult": {"type": "object", "required": ["update", "outcome", "status", "status_at"], "properties": {
            "update": _ref("FeedUpdate"), "outcome": {"enum": list(RECORDED)}, "status": _ref("Status"),
            "status_at": status_at}},
        "DriftStatus": _own(DRIFT_SCHEMAS["status"]),
        "DriftContent": {**_own(DRIFT_SCHEMAS["content"]), "properties": {"report": _ref("Report")}},
        "DriftTrackingId": _own(DRIFT_SCHEMAS["tracking_id"]),
    }
    if faults_enabled:
        found["FaultRules"] = {"type": "object", "additionalProperties": False, "required": ["rules"],
                               "properties": {"rules": _own(RULES_SCHEMA)}}
    return found


def _admin_paths() -> dict:
    unknown = _error("Unknown report, or the hub has no admin token configured.")
    return {
        "/api/v1/admin/reports/{tracking_id}/act": {"post": _operation(
            "The national side acts on a report: a new status, a message, or both.",
            {"201": _json(_ref("ActResult"), "Recorded: applied, stale (an older occurred_at) or noop."),
             "400": _error("Not a valid act."), "401": _ADMIN_UNAUTHORIZED, "404": unknown,
             "409": _error("Illegal transition; nothing was recorded.")},
            admin=True, parameters=[_TRACKING_ID], requestBody=_body("ActRequest"))},
        "/api/v1/admin/reports/{tracking_id}": {"get": _operation(
            "Any connector's report, with its updates.",
            {"200": _json(_ref("StoredReport"), "The report as stored, with its updates."),
             "401": _ADMIN_UNAUTHORIZED, "404": unknown},
            admin=True, parameters=[_TRACKING_ID])},
    }


def _drift_change(summary: str, body: str | None) -> dict:
    operation = _operation(
        summary, {"200": _json(_ref("StoredReport"), "The report, with its updates (for a removal, as it was)."),
                  "400": _error("Not a valid body (code invalid_drift)."), "401": _ADMIN_UNAUTHORIZED,
                  "404": _error("Unknown report, or no admin token configured.")},
        admin=True, parameters=[_TRACKING_ID])
    if body is not None:
        operation["requestBody"] = _body(body)
    return operation


def _drift_paths() -> dict:
    """Drift changes, keyed by path (the removal is added to the admin report path)."""
    renamed = _drift_change("Drift: change the report's tracking id.", "DriftTrackingId")
    renamed["responses"]["409"] = _error("Another report has this tracking id (code tracking_id_taken).")
    return {
        "/api/v1/admin/reports/{tracking_id}/status": {"put": _drift_change(
            "Drift: set the report's status silently (no update recorded, nothing in the feed).", "DriftStatus")},
        "/api/v1/admin/reports/{tracking_id}/content": {"put": _drift_change(
            "Drift: replace the stored report and its content hash (the source must stay).", "DriftContent")},
        "/api/v1/admin/reports/{tracking_id}/tracking-id": {"put": renamed},
    }


def _fault_paths() -> dict:
    unauthorized = _error("No bearer token, or one the hub does not know (code `unauthorized`).")
    return {"/api/v1/_faults": {
        "post": _operation("Replace the fault-injection rules.",
                           {"200": _json(_ref("FaultRules"), "The rules now live."), "400": _error("Not a rules object."),
                            "401": unauthorized, "422": _error("The rules are not valid.")},
                           requestBody=_body("FaultRules")),
        "delete": _operation("Remove every fault-injection rule.",
                             {"200": _json(_ref("FaultRules"), "No rules left."), "401": unauthorized})}}


def _paths(faults_enabled: bool) -> dict:
    unauthorized = _error("No bearer token, or one the hub does not know (code `unauthorized`).")
    paths = {
        "/api/v1/health": {"get": {"tags": [TAG], "summary": "Liveness.",
                                   "responses": {"200": _json(_ref("Health"), "The hub is up.")}}},
        "/api/v1/reports/{tracking_id}/updates": {"post": _operation(
            "Send one region status update to one report.",
            {"200": _json(_ref("UpdateAnswer"), "applied, duplicate, stale or noop."),
             "400": _error("Not a valid update (code rejected), or its tracking_id is not the path's."),
             "401": unauthorized,
             "404": _error("Unknown, or another connector's report (code unknown_report)."),
             "409": _error("Code illegal_transition (with the reason) or update_conflict.")},
            parameters=[_TRACKING_ID], requestBody=_body("StatusUpdate"))},
        **_admin_paths(),
    }
    if faults_enabled:
        paths["/api/v1/admin/reports/{tracking_id}"]["delete"] = _drift_change(
            "Drift: remove the report and its updates, as if the hub had lost it.", None)
        paths.update(_drift_paths())
        paths.update(_fault_paths())
    return paths


def openapi_document(faults_enabled: bool = False) -> dict:
    """The published contract plus this hub's own operations (drift and faults only when enabled)."""
    document = copy.deepcopy(documents.openapi())
    document["info"]["title"] = "SP4N-LAPOR! national exchange API (reference hub)"
    document["info"]["description"] += (" This hub offers the core and every optional capability, plus its own "
                                        "operations tagged `reference-hub` (not part of the contract).")
    document["tags"].append({"name": TAG, "description": "The reference hub's own operations: not part of the "
                                                         "contract, for demos and tests."})
    document["paths"].update(_paths(faults_enabled))
    document["components"]["securitySchemes"]["admin"] = {
        "type": "http", "scheme": "bearer", "description": "The national side's admin token."}
    document["components"]["schemas"].update(_components(faults_enabled))
    return document
