"""The national side's endpoints (admin token): act on a report, and read any
report with its updates.

Thin handlers: check the admin token and the body, call `national.act`, answer
201 with what was recorded, or 409 (illegal transition, nothing recorded), 404
(unknown report), 400 (invalid body). Not here: what an act does (`national.py`).
"""

from __future__ import annotations

from flask import Blueprint

from . import exchange
from .inputs import json_object
from .national import ActError, act, act_problems
from .web import ApiError, hub, listed, requires_admin

admin_api = Blueprint("hub_admin", __name__, url_prefix="/api/v1/admin")

_ACT_REFUSALS = {"illegal_transition": 409, "unknown_report": 404, "invalid_act": 400}


@admin_api.post("/reports/<tracking_id>/act")
@requires_admin
def act_on_report(tracking_id: str):
    body = json_object()
    problems = act_problems(body)
    if problems:
        raise ApiError(400, "invalid_act", listed(problems))
    try:
        return act(hub().sessions, tracking_id, **body), 201
    except ActError as exc:
        raise ApiError(_ACT_REFUSALS[exc.code], exc.code, exc.message) from exc


@admin_api.get("/reports/<tracking_id>")
@requires_admin
def get_report(tracking_id: str):
    with hub().sessions() as session:
        found = exchange.get_report(session, None, tracking_id)
    if found is None:
        raise ApiError(404, "not_found", f"no report with tracking id {tracking_id!r}")
    return found
