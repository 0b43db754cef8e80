"""The OpenAPI 3.1 description of the exchange API, served at /api/v1/openapi.json.

Built from data: the report and status-update schemas are embedded as is from
`schemas/` (with their `$id`, so internal `$defs` references keep resolving),
the shapes the hub adds to an update (seq, outcome) are derived from the
status-update schema, and request bodies checked by a schema (acts,
checkpoints, drift, fault rules) embed that very schema. Not here: the handlers (`*_api.py`).
"""

from __future__ import annotations

import copy

from .. import __version__
from ..digest import DIGEST_CHARS
from ..validate import REPORT, STATUS_UPDATE, load_schema
from .checkpoints import CHECKPOINT_SCHEMA
from .drift import DRIFT_SCHEMAS
from .exchange import OUTCOMES
from .faults import RULES_SCHEMA
from .national import ACT_SCHEMA
from .reconcile import MAX_BUCKETS
from .updates import RECORDED, UPDATE_OUTCOMES

MAX_BATCH = 500
MAX_PAGE = 1000


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _json(_ref("Error"), description)


_UNAUTHORIZED = _error("Missing or unknown bearer token.")
_TRACKING_ID = {"name": "tracking_id", "in": "path", "required": True, "schema": {"type": "string"}}


def _update_plus(description: str, **extra: dict) -> dict:
    """The status-update schema with the hub's own fields added (it forbids unknown fields)."""
    schema = {k: v for k, v in copy.deepcopy(load_schema(STATUS_UPDATE)).items() if k not in ("$schema", "$id")}
    schema["description"] = description
    schema["properties"].update(extra)
    schema["required"] = [*schema["required"], *extra]
    return schema


def _update_components() -> dict:
    seq = {"type": "integer", "description": "The hub's recording order; pass the last one seen as `after`."}
    status = {"$ref": "https://lapor-connector.example/schemas/v1/report.schema.json#/$defs/status"}
    at = {"type": ["string", "null"], "format": "date-time",
          "description": "When the report's current status was set; null while it has its first status."}
    return {
        "StatusUpdate": copy.deepcopy(load_schema(STATUS_UPDATE)),
        "FeedUpdate": _update_plus("A status update as recorded by the hub, with its seq.", seq=seq),
        "RecordedUpdate": _update_plus("A status update in a report's history, with the hub's judgement.", seq=seq,
                                       outcome={"enum": list(RECORDED)},
                                       received_at={"type": "string", "format": "date-time"}),
        "UpdateBatchRequest": {"type": "object", "required": ["updates"], "properties": {
            "updates": {"type": "array", "minItems": 1, "maxItems": MAX_BATCH, "items": _ref("StatusUpdate")}}},
        "UpdateItemResult": {"type": "object",
                             "required": ["index", "update_id", "outcome", "status", "status_at", "errors"],
                             "properties": {
                                 "index": {"type": "integer", "description": "Position of the update in the batch."},
                                 "update_id": {"type": ["string", "null"]},
                                 "outcome": {"enum": list(UPDATE_OUTCOMES)},
                                 "status": {"anyOf": [status, {"type": "null"}],
                                            "description": "The report's status right after this update; "
                                                           "null for unknown_report and rejected."},
                                 "status_at": at,
                                 "errors": {"type": "array", "items": _ref("Problem")}}},
        "UpdateBatchResult": {"type": "object", "required": ["results"], "properties": {
            "results": {"type": "array", "items": _ref("UpdateItemResult")}}},
        "UpdateAnswer": {"type": "object", "required": ["update_id", "outcome", "status", "status_at"], "properties": {
            "update_id": {"type": "string"}, "outcome": {"enum": ["applied", "duplicate", "stale", "noop"]},
            "status": status, "status_at": at}},
        "FeedPage": {"type": "object", "required": ["updates", "next_after"], "properties": {
            "updates": {"type": "array", "items": _ref("FeedUpdate")},
            "next_after": {"type": ["integer", "null"],
                           "description": "The last seq of this page; null when it is empty."}}},
        "ActRequest": {k: v for k, v in ACT_SCHEMA.items() if k != "$schema"},
        "ActResult": {"type": "object", "required": ["update", "outcome", "status", "status_at"], "properties": {
            "update": _ref("FeedUpdate"), "outcome": {"enum": list(RECORDED)}, "status": status, "status_at": at}},
    }


def _components() -> dict:
    problem = {"type": "object", "required": ["path", "message"],
               "properties": {"path": {"type": "string", "description": "JSON path in the report, e.g. $.privacy.anonymous."},
                              "message": {"type": "string"}}}
    return {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                       "description": "One token per regional connector."},
                            "admin": {"type": "http", "scheme": "bearer",
                                      "description": "The national side's admin token."}},
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
            "StoredReport": {"type": "object",
                             "required": ["tracking_id", "status", "status_at", "received_at", "content_hash",
                                          "report"],
                             "properties": {
                                 "tracking_id": {"type": "string"},
                                 "status": {"$ref": "https://lapor-connector.example/schemas/v1/report.schema.json#/$defs/status"},
                                 "status_at": {"type": ["string", "null"], "format": "date-time"},
                                 "updates": {"type": "array", "items": _ref("RecordedUpdate"),
                                             "description": "Every recorded update, in seq order "
                                                            "(one report only, not in lists)."},
                                 "received_at": {"type": "string", "format": "date-time"},
                                 "content_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$",
                                                  "description": "sha256 of the report's canonical JSON."},
                                 "report": _ref("Report")}},
            "ReportPage": {"type": "object", "required": ["reports", "next_after"], "properties": {
                "reports": {"type": "array", "items": _ref("StoredReport")},
                "next_after": {"type": ["string", "null"], "description": "Pass as `after` for the next page; null on the last."}}},
            "Stats": {"type": "object", "required": ["reports", "distinct_keys", "answers", "updates"], "properties": {
                "reports": {"type": "integer", "description": "Reports stored for this connector."},
                "distinct_keys": {"type": "integer", "description": "Distinct (channel_id, source_ref) keys in this connector's answers."},
                "answers": {"type": "object", "properties": {o: {"type": "integer"} for o in OUTCOMES}},
                "updates": {"type": "object",
                            "description": "Recorded updates of this connector's reports by side, then outcome.",
                            "properties": {side: {"type": "object",
                                                  "properties": {o: {"type": "integer"} for o in RECORDED}}
                                           for side in ("hub", "region")}},
                "checkpoints": {"type": "object", "required": ["count", "highest_seq"], "properties": {
                    "count": {"type": "integer"}, "highest_seq": {"type": ["integer", "null"]}}}}},
            **_update_components(),
            **_audit_components(),
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
            "parameters": [_TRACKING_ID],
            "responses": {"200": _json(_ref("StoredReport"), "The report as stored, with its updates."),
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
        **_update_paths(auth),
        **_audit_paths(auth),
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


def _update_paths(auth: list) -> dict:
    admin = [{"admin": []}]
    return {
        "/api/v1/updates:batch": {"post": {
            "summary": "Send region status updates; one result per update, in order.",
            "security": auth,
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("UpdateBatchRequest")}}},
            "responses": {"200": _json(_ref("UpdateBatchResult"), "Per-update outcomes."),
                          "400": _error("Not JSON, or no `updates` list."),
                          "401": _UNAUTHORIZED,
                          "422": _error(f"Fewer than 1 or more than {MAX_BATCH} updates.")}}},
        "/api/v1/reports/{tracking_id}/updates": {"post": {
            "summary": "Send one region status update to one report.",
            "security": auth,
            "parameters": [_TRACKING_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("StatusUpdate")}}},
            "responses": {"200": _json(_ref("UpdateAnswer"), "applied, duplicate, stale or noop."),
                          "400": _error("Not a valid update (code rejected), or its tracking_id is not the path's."),
                          "401": _UNAUTHORIZED,
                          "404": _error("Unknown, or another connector's report (code unknown_report)."),
                          "409": _error("Code illegal_transition (with the reason) or update_conflict.")}}},
        "/api/v1/updates": {"get": {
            "summary": "The national side's updates to this connector's reports, in the order the hub made them.",
            "security": auth,
            "parameters": [
                {"name": "after", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0},
                 "description": "The last seq already seen (the previous page's `next_after`)."},
                {"name": "limit", "in": "query",
                 "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 100}}],
            "responses": {"200": _json(_ref("FeedPage"), "A page of updates."),
                          "400": _error("A query parameter is not valid."),
                          "401": _UNAUTHORIZED}}},
        "/api/v1/admin/reports/{tracking_id}/act": {"post": {
            "summary": "The national side acts on a report: a new status, a message, or both.",
            "security": admin,
            "parameters": [_TRACKING_ID],
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("ActRequest")}}},
            "responses": {"201": _json(_ref("ActResult"), "Recorded: applied, stale (an older occurred_at) or noop."),
                          "400": _error("Not a valid act."),
                          "401": _error("Missing or wrong admin token."),
                          "404": _error("Unknown report, or the hub has no admin token configured."),
                          "409": _error("Illegal transition; nothing was recorded.")}}},
        "/api/v1/admin/reports/{tracking_id}": {"get": {
            "summary": "Any connector's report, with its updates.",
            "security": admin,
            "parameters": [_TRACKING_ID],
            "responses": {"200": _json(_ref("StoredReport"), "The report as stored, with its updates."),
                          "401": _error("Missing or wrong admin token."),
                          "404": _error("Unknown report, or the hub has no admin token configured.")}},
            "delete": {
                "summary": "Drift: remove the report and its updates, as if the hub had lost it. Only when the hub "
                           "enables faults.",
                "security": admin,
                "parameters": [_TRACKING_ID],
                "responses": {"200": _json(_ref("StoredReport"), "The removed report, as it was."),
                              "401": _error("Missing or wrong admin token."),
                              "404": _error("Unknown report, faults disabled, or no admin token configured.")}}},
    }


def _without_meta(schema: dict) -> dict:
    return {k: v for k, v in schema.items() if k != "$schema"}


def _audit_components() -> dict:
    nullable = {"type": ["string", "null"]}
    checkpoint = _without_meta(CHECKPOINT_SCHEMA)
    return {
        "ReconcileDigest": {"type": "object", "required": ["buckets", "count", "digests"], "properties": {
            "buckets": {"type": "integer", "minimum": 1, "maximum": MAX_BUCKETS, "description": "A power of two."},
            "count": {"type": "integer", "description": "This connector's reports at the hub."},
            "digests": {"type": "array", "description": "One per bucket, in bucket order (connector.digest).",
                        "items": {"type": "string", "pattern": f"^[0-9a-f]{{{DIGEST_CHARS}}}$"}}}},
        "ReconcileEntry": {"type": "object", "additionalProperties": False,
                           "required": ["channel_id", "source_ref", "tracking_id", "status", "content_hash"],
                           "properties": {"channel_id": {"type": "string"}, "source_ref": {"type": "string"},
                                          "tracking_id": nullable, "status": nullable,
                                          "content_hash": {"type": "string"}}},
        "ReconcileBucket": {"type": "object", "required": ["bucket", "buckets", "entries"], "properties": {
            "bucket": {"type": "integer", "minimum": 0}, "buckets": {"type": "integer"},
            "entries": {"type": "array", "items": _ref("ReconcileEntry"),
                        "description": "In key order (channel_id, then source_ref)."}}},
        "CheckpointRequest": checkpoint,
        "Checkpoint": {**checkpoint, "description": "A stored checkpoint; `at` in UTC."},
        "CheckpointList": {"type": "object", "required": ["checkpoints"], "properties": {
            "checkpoints": {"type": "array", "items": _ref("Checkpoint"), "description": "In seq order."}}},
        "DriftStatus": DRIFT_SCHEMAS["status"],
        "DriftContent": {**DRIFT_SCHEMAS["content"], "properties": {"report": _ref("Report")}},
        "DriftTrackingId": DRIFT_SCHEMAS["tracking_id"],
    }


def _bucket_count(required: bool) -> dict:
    return {"name": "buckets", "in": "query", "required": required,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_BUCKETS},
            "description": "A power of two" + ("." if required else "; default: about a hundred reports a bucket.")}


def _audit_paths(auth: list) -> dict:
    bad_buckets = _error("`buckets` is not a power of two from 1 to 65536, or the bucket is outside 0..buckets-1.")
    return {
        "/api/v1/reconcile/digest": {"get": {
            "summary": "The bucket digests of this connector's reports, to compare with the connector's own.",
            "security": auth, "parameters": [_bucket_count(False)],
            "responses": {"200": _json(_ref("ReconcileDigest"), "The digests."),
                          "400": bad_buckets, "401": _UNAUTHORIZED}}},
        "/api/v1/reconcile/buckets/{bucket}": {"get": {
            "summary": "Every entry of one bucket of this connector's reports.",
            "security": auth,
            "parameters": [{"name": "bucket", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}},
                           _bucket_count(True)],
            "responses": {"200": _json(_ref("ReconcileBucket"), "The bucket's entries."),
                          "400": bad_buckets, "401": _UNAUTHORIZED}}},
        "/api/v1/audit/checkpoints": {
            "post": {"summary": "Give the hub the head of this connector's audit chain.",
                     "security": auth,
                     "requestBody": {"required": True,
                                     "content": {"application/json": {"schema": _ref("CheckpointRequest")}}},
                     "responses": {"201": _json(_ref("Checkpoint"), "Stored."),
                                   "200": _json(_ref("Checkpoint"), "Already stored with this hash; the stored one."),
                                   "400": _error("Not a valid checkpoint (code invalid_checkpoint)."),
                                   "401": _UNAUTHORIZED,
                                   "409": _error("This seq is stored with another hash (code checkpoint_conflict); "
                                                 "nothing was stored.")}},
            "get": {"summary": "This connector's checkpoints in seq order.",
                    "security": auth,
                    "responses": {"200": _json(_ref("CheckpointList"), "The checkpoints."), "401": _UNAUTHORIZED}}},
        **_drift_paths(),
    }


def _drift_paths() -> dict:
    def change(summary: str, body: str | None) -> dict:
        operation = {"summary": summary + " Only when the hub enables faults.", "security": [{"admin": []}],
                     "parameters": [_TRACKING_ID],
                     "responses": {"200": _json(_ref("StoredReport"), "The report, with its updates (for a removal, "
                                                                      "as it was)."),
                                   "400": _error("Not a valid body (code invalid_drift)."),
                                   "401": _error("Missing or wrong admin token."),
                                   "404": _error("Unknown report, faults disabled, or no admin token configured.")}}
        if body is not None:
            operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": _ref(body)}}}
        return operation

    renamed = change("Drift: change the report's tracking id.", "DriftTrackingId")
    renamed["responses"]["409"] = _error("Another report has this tracking id (code tracking_id_taken).")
    return {
        "/api/v1/admin/reports/{tracking_id}/status": {"put": change(
            "Drift: set the report's status silently (no update recorded, nothing in the feed).", "DriftStatus")},
        "/api/v1/admin/reports/{tracking_id}/content": {"put": change(
            "Drift: replace the stored report and its content hash (the source must stay).", "DriftContent")},
        "/api/v1/admin/reports/{tracking_id}/tracking-id": {"put": renamed},
    }


def openapi_document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "SP4N-LAPOR! exchange API (reference hub)", "version": __version__,
                 "description": "How regional connectors deliver reports to the national hub and exchange "
                                "status updates with it. Reports are idempotent on (source.connector_id, "
                                "source.channel_id, source.source_ref), updates on update_id."},
        "paths": _paths(),
        "components": _components(),
    }
