"""The reference hub's OpenAPI document, served at /api/v1/openapi.json.

It is the published exchange contract (`lapor_exchange`'s document: the core and every
optional capability, all of which this hub offers) plus what only the reference hub has,
tagged `reference-hub`: health, one update at a time, the national side's admin API, and,
when the settings enable faults, drift and fault injection. Connectors read this document
to learn the hub's capabilities, so it lists exactly what this hub serves; and every
status each of its own operations can answer, with bodies in closed shapes, so that
schemathesis can hold the hub to it (tests/test_hub_conformance.py).

Not here: the handlers (`*_api.py`).
"""

from __future__ import annotations

import copy

from lapor_exchange import documents

from .drift import DRIFT_SCHEMAS
from .faults import RULES_SCHEMA
from .national import ACT_SCHEMA
from .updates import RECORDED

# The contract's paging bounds (listReports, listNationalUpdates: `limit`).
DEFAULT_PAGE, MAX_PAGE = 100, 1000
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


def _closed(required: list[str], properties: dict) -> dict:
    """An object with exactly these members, as the handlers answer it."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": required,
        "properties": properties,
    }


_UNAUTHORIZED = _error("No bearer token, or one the hub does not know (code `unauthorized`).")
_ADMIN_UNAUTHORIZED = _error("Missing or wrong admin token (code `unauthorized`).")
_TOO_LARGE = _error("The body is larger than the hub takes (code `too_large`).")
_TRACKING_ID = {"name": "tracking_id", "in": "path", "required": True, "schema": _ref("TrackingId")}


def _operation(
    operation_id: str, summary: str, responses: dict, admin: bool = False, **extra
) -> dict:
    operation = {"operationId": operation_id, "tags": [TAG], "summary": summary, **extra}
    operation["security"] = [{"admin": []}] if admin else [{"bearer": []}]
    if "requestBody" in extra:
        responses = {**responses, "413": _TOO_LARGE}
    operation["responses"] = responses
    return operation


def _components(faults_enabled: bool) -> dict:
    status_at = {"anyOf": [_ref("DateTime"), {"type": "null"}]}
    found = {
        "Health": _closed(["status"], {"status": {"const": "ok"}}),
        "RegionStatusUpdate": {
            "description": "A `StatusUpdate` from the region side, in the name of the token's connector.",
            "allOf": [
                _ref("StatusUpdate"),
                {
                    "properties": {
                        "origin": {
                            "required": ["side", "connector_id"],
                            "properties": {"side": {"const": "region"}},
                        }
                    }
                },
            ],
        },
        "UpdateAnswer": _closed(
            ["update_id", "outcome", "status", "status_at"],
            {
                "update_id": {"type": "string"},
                "outcome": {"enum": ["applied", "duplicate", "stale", "noop"]},
                "status": _ref("Status"),
                "status_at": status_at,
            },
        ),
        "ActRequest": _own(ACT_SCHEMA),
        "ActResult": _closed(
            ["update", "outcome", "status", "status_at"],
            {
                "update": _ref("FeedUpdate"),
                "outcome": {"enum": list(RECORDED)},
                "status": _ref("Status"),
                "status_at": status_at,
            },
        ),
    }
    if faults_enabled:
        found.update(
            {
                "DriftStatus": _own(DRIFT_SCHEMAS["status"]),
                "DriftContent": {
                    **_own(DRIFT_SCHEMAS["content"]),
                    "properties": {"report": _ref("Report")},
                },
                "DriftTrackingId": _own(DRIFT_SCHEMAS["tracking_id"]),
                "FaultRules": _closed(["rules"], {"rules": _own(RULES_SCHEMA)}),
            }
        )
    return found


def _update_path() -> dict:
    return {
        "/api/v1/reports/{tracking_id}/updates": {
            "post": _operation(
                "submitUpdate",
                "Send one region status update to one report.",
                {
                    "200": _json(_ref("UpdateAnswer"), "applied, duplicate, stale or noop."),
                    "400": _error(
                        "Not JSON (code `bad_request`), not a valid update (code `rejected`), or its tracking_id "
                        "is not the path's (code `tracking_id_mismatch`)."
                    ),
                    "401": _UNAUTHORIZED,
                    "404": _error(
                        "Unknown, or another connector's report (code `unknown_report`)."
                    ),
                    "409": _error(
                        "Code `illegal_transition` (with the reason) or `update_conflict`."
                    ),
                },
                parameters=[_TRACKING_ID],
                requestBody=_body("RegionStatusUpdate"),
            )
        }
    }


def _admin_paths() -> dict:
    unknown = _error(
        "Unknown report, or the hub has no admin token configured (code `not_found` or "
        "`unknown_report`)."
    )
    return {
        "/api/v1/admin/reports/{tracking_id}/act": {
            "post": _operation(
                "actOnReport",
                "The national side acts on a report: a new status, a message, or both.",
                {
                    "201": _json(
                        _ref("ActResult"),
                        "Recorded: applied, stale (an older occurred_at) or noop.",
                    ),
                    "400": _error(
                        "Not JSON (code `bad_request`) or not a valid act (code `invalid_act`)."
                    ),
                    "401": _ADMIN_UNAUTHORIZED,
                    "404": unknown,
                    "409": _error(
                        "Illegal transition; nothing was recorded (code `illegal_transition`)."
                    ),
                },
                admin=True,
                parameters=[_TRACKING_ID],
                requestBody=_body("ActRequest"),
            )
        },
        "/api/v1/admin/reports/{tracking_id}": {
            "get": _operation(
                "getAnyReport",
                "Any connector's report, with its updates.",
                {
                    "200": _json(_ref("StoredReport"), "The report as stored, with its updates."),
                    "401": _ADMIN_UNAUTHORIZED,
                    "404": unknown,
                },
                admin=True,
                parameters=[_TRACKING_ID],
            )
        },
    }


def _drift_change(operation_id: str, summary: str, body: str | None) -> dict:
    responses = {
        "200": _json(
            _ref("StoredReport"), "The report, with its updates (for a removal, as it was)."
        ),
        "401": _ADMIN_UNAUTHORIZED,
        "404": _error("Unknown report (code `unknown_report`)."),
    }
    if body is None:
        return _operation(operation_id, summary, responses, admin=True, parameters=[_TRACKING_ID])
    responses["400"] = _error(
        "Not JSON (code `bad_request`) or not a valid body (code `invalid_drift`)."
    )
    return _operation(
        operation_id,
        summary,
        responses,
        admin=True,
        parameters=[_TRACKING_ID],
        requestBody=_body(body),
    )


def _drift_paths() -> dict:
    """Drift changes, keyed by path (the removal is added to the admin report path)."""
    renamed = _drift_change(
        "setReportTrackingId", "Drift: change the report's tracking id.", "DriftTrackingId"
    )
    renamed["responses"]["409"] = _error(
        "Another report has this tracking id (code `tracking_id_taken`), or the "
        "hub will give it to a later report (code `tracking_id_reserved`)."
    )
    content = _drift_change(
        "setReportContent", "Drift: replace the stored report and its content hash.", "DriftContent"
    )
    content["responses"]["409"] = _error(
        "The report's source key (connector_id, channel_id, source_ref) is not "
        "the stored one's (code `source_changed`)."
    )
    return {
        "/api/v1/admin/reports/{tracking_id}/status": {
            "put": _drift_change(
                "setReportStatus",
                "Drift: set the report's status silently (no update recorded, nothing in the feed).",
                "DriftStatus",
            )
        },
        "/api/v1/admin/reports/{tracking_id}/content": {"put": content},
        "/api/v1/admin/reports/{tracking_id}/tracking-id": {"put": renamed},
    }


def _fault_paths() -> dict:
    return {
        "/api/v1/_faults": {
            "post": _operation(
                "setFaults",
                "Replace the fault-injection rules.",
                {
                    "200": _json(_ref("FaultRules"), "The rules now live."),
                    "400": _error("Not a rules object (code `bad_request`)."),
                    "401": _UNAUTHORIZED,
                    "422": _error("The rules are not valid (code `invalid_rules`)."),
                },
                requestBody=_body("FaultRules"),
            ),
            "delete": _operation(
                "clearFaults",
                "Remove every fault-injection rule.",
                {"200": _json(_ref("FaultRules"), "No rules left."), "401": _UNAUTHORIZED},
            ),
        }
    }


def _paths(faults_enabled: bool) -> dict:
    paths = {
        "/api/v1/health": {
            "get": {
                "operationId": "getHealth",
                "tags": [TAG],
                "summary": "Liveness.",
                "responses": {"200": _json(_ref("Health"), "The hub is up.")},
            }
        },
        **_update_path(),
        **_admin_paths(),
    }
    if faults_enabled:
        paths["/api/v1/admin/reports/{tracking_id}"]["delete"] = _drift_change(
            "removeReport",
            "Drift: remove the report and its updates, as if the hub had lost it.",
            None,
        )
        paths.update(_drift_paths())
        paths.update(_fault_paths())
    return paths


def openapi_document(faults_enabled: bool = False) -> dict:
    """The published contract plus this hub's own operations (drift and faults only when enabled)."""
    document = copy.deepcopy(documents.openapi())
    document["info"]["title"] = "SP4N-LAPOR! national exchange API (reference hub)"
    document["info"]["description"] += (
        " This hub offers the core and every optional capability, plus its own "
        "operations tagged `reference-hub` (not part of the contract)."
    )
    document["tags"].append(
        {
            "name": TAG,
            "description": "The reference hub's own operations: not part of the "
            "contract, for demos and tests.",
        }
    )
    document["paths"].update(_paths(faults_enabled))
    document["components"]["securitySchemes"]["admin"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "The national side's admin token.",
    }
    document["components"]["schemas"].update(_components(faults_enabled))
    return document
