"""The report endpoints of the exchange API: deliver a batch, read reports back,
count; plus health and the OpenAPI document.

Thin handlers: check the token, read the request, call `exchange`, answer JSON.
Not here: what a batch means (`exchange.py`), status updates (`updates_api.py`).
"""

from __future__ import annotations

from flask import Blueprint, g

from . import exchange
from .faults import REPORTS_BATCH
from .inputs import batch_items, query_integer, query_string
from .openapi import DEFAULT_PAGE, MAX_PAGE, openapi_document
from .web import ApiError, answer_or_hang_up, hub, requires_connector, take_fault

reports_api = Blueprint("hub_api", __name__, url_prefix="/api/v1")


@reports_api.get("/health")
def health():
    return {"status": "ok"}


@reports_api.get("/openapi.json")
def openapi():
    return openapi_document(hub().settings.faults_enabled)


@reports_api.post("/reports:batch")
@requires_connector
def post_batch():
    fault = take_fault(REPORTS_BATCH)
    results = exchange.receive_batch(
        hub().sessions, g.connector_id, batch_items("reports", "BatchRequest")
    )
    return answer_or_hang_up(fault, {"results": results})


@reports_api.get("/reports/<tracking_id>")
@requires_connector
def get_report(tracking_id: str):
    with hub().sessions() as session:
        found = exchange.get_report(session, g.connector_id, tracking_id)
    if found is None:
        raise ApiError(
            404, "not_found", f"no report with tracking id {tracking_id!r} for this connector"
        )
    return found


@reports_api.get("/reports")
@requires_connector
def list_reports():
    filters = {
        "channel_id": query_string("channel_id", "Identifier"),
        "source_ref": query_string("source_ref", "Text512"),
        "after": query_string("after", "TrackingId"),
        "limit": query_integer("limit", DEFAULT_PAGE, 1, MAX_PAGE),
    }
    with hub().sessions() as session:
        page, next_after = exchange.list_reports(session, g.connector_id, **filters)
    return {"reports": page, "next_after": next_after}


@reports_api.get("/stats")
@requires_connector
def stats():
    with hub().sessions() as session:
        return exchange.stats(session, g.connector_id)
