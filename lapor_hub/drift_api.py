"""The drift endpoints (admin token): lose a report, or change its status, content or
tracking id behind the exchange's back, so tests and demos can show reconciliation
finding it.

`app.create_app` registers them only when the settings enable faults, like
`/_faults`: otherwise the paths do not exist (404), and a DELETE on an admin report
is a 405 whose Allow header lists only what the hub's document lists. They check the
admin token, then answer 200 with the report (for a removal, as it was), 404 for an
unknown report, 400 for a body that is not valid, 409 for a valid one at odds with what
the hub holds (content from another source, a tracking id another report has or a
later one will get). Not here: the changes themselves (`drift.py`).
"""

from __future__ import annotations

from flask import Blueprint

from . import drift
from .inputs import json_object
from .web import ApiError, hub, listed, requires_admin

drift_api = Blueprint("hub_drift", __name__, url_prefix="/api/v1/admin")

_REFUSALS = {
    "unknown_report": 404,
    "invalid_drift": 400,
    "source_changed": 409,
    "tracking_id_taken": 409,
    "tracking_id_reserved": 409,
}


@drift_api.delete("/reports/<tracking_id>")
@requires_admin
def remove_report(tracking_id: str):
    return _answer(drift.remove_report, tracking_id)


@drift_api.put("/reports/<tracking_id>/status")
@requires_admin
def set_status(tracking_id: str):
    return _answer(drift.set_status, tracking_id, _body("status")["status"])


@drift_api.put("/reports/<tracking_id>/content")
@requires_admin
def set_content(tracking_id: str):
    return _answer(drift.set_content, tracking_id, _body("content")["report"])


@drift_api.put("/reports/<tracking_id>/tracking-id")
@requires_admin
def set_tracking_id(tracking_id: str):
    return _answer(drift.set_tracking_id, tracking_id, _body("tracking_id")["tracking_id"])


def _body(kind: str) -> dict:
    body = json_object()
    problems = drift.body_problems(kind, body)
    if problems:
        raise ApiError(400, "invalid_drift", listed(problems))
    return body


def _answer(change, tracking_id: str, *args) -> dict:
    try:
        return change(hub().sessions, tracking_id, *args)
    except drift.DriftError as exc:
        raise ApiError(_REFUSALS[exc.code], exc.code, exc.message) from exc
