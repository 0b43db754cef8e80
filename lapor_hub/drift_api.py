"""The drift endpoints (admin token, and only when the settings enable faults):
lose a report, or change its status, content or tracking id behind the exchange's
back, so tests and demos can show reconciliation finding it.

They answer 404 `not_found` when faults are disabled (as if absent, like
`/_faults`; registered always, because a DELETE on a path the admin API also
serves would otherwise be a 405), then check the admin token, then answer 200
with the report (for a removal, as it was), 404 for an unknown report, 400 for
a bad body, 409 for a tracking id another report has. Not here: the changes
themselves (`drift.py`).
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint

from . import drift
from .web import ApiError, hub, json_object, listed, requires_admin

drift_api = Blueprint("hub_drift", __name__, url_prefix="/api/v1/admin")

_REFUSALS = {"unknown_report": 404, "invalid_drift": 400, "tracking_id_taken": 409}


def faults_only(view):
    """Answer 404 unless the settings enable faults, before looking at the token."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not hub().settings.faults_enabled:
            raise ApiError(404, "not_found", "drift endpoints exist only on a hub whose settings enable faults")
        return view(*args, **kwargs)

    return wrapper


@drift_api.delete("/reports/<tracking_id>")
@faults_only
@requires_admin
def remove_report(tracking_id: str):
    return _answer(drift.remove_report, tracking_id)


@drift_api.put("/reports/<tracking_id>/status")
@faults_only
@requires_admin
def set_status(tracking_id: str):
    return _answer(drift.set_status, tracking_id, _body("status")["status"])


@drift_api.put("/reports/<tracking_id>/content")
@faults_only
@requires_admin
def set_content(tracking_id: str):
    return _answer(drift.set_content, tracking_id, _body("content")["report"])


@drift_api.put("/reports/<tracking_id>/tracking-id")
@faults_only
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
