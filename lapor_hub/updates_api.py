"""The status-update endpoints of the exchange API, for connectors: send region
updates (a batch, or one at a time) and read the national side's feed.

Thin handlers: check the token, read the request, call `updates` or `feed`,
answer JSON. The single-update endpoint turns a refusal into an HTTP status
(409, 404, 400); the batch answers every item with 200. Faults may hit
`updates:batch` and the feed. Not here: the judging (`updates.py`), the
national side's own endpoints (`admin_api.py`).
"""

from __future__ import annotations

from flask import Blueprint, g

from .faults import FEED, UPDATES_BATCH
from .feed import feed_page
from .inputs import batch_items, json_object, query_integer
from .openapi import DEFAULT_PAGE, MAX_PAGE
from .updates import (
    CONFLICT,
    ILLEGAL_TRANSITION,
    REJECTED,
    UNKNOWN_REPORT,
    UpdateAnswer,
    apply_in_transaction,
    iso_or_none,
    receive_updates,
)
from .web import ApiError, answer_or_hang_up, hub, listed, requires_connector, take_fault

updates_api = Blueprint("hub_updates", __name__, url_prefix="/api/v1")

# How the single-update endpoint answers the outcomes that change nothing.
_REFUSALS = {
    ILLEGAL_TRANSITION: (409, "illegal_transition"),
    CONFLICT: (409, "update_conflict"),
    UNKNOWN_REPORT: (404, "unknown_report"),
    REJECTED: (400, "rejected"),
}


@updates_api.post("/updates:batch")
@requires_connector
def post_updates():
    fault = take_fault(UPDATES_BATCH)
    results = receive_updates(
        hub().sessions, g.connector_id, batch_items("updates", "UpdateBatchRequest")
    )
    return answer_or_hang_up(fault, {"results": results})


@updates_api.post("/reports/<tracking_id>/updates")
@requires_connector
def post_update(tracking_id: str):
    update = json_object()
    if update.get("tracking_id") != tracking_id:
        raise ApiError(
            400,
            "tracking_id_mismatch",
            f"the update's tracking_id must be the one in the path ({tracking_id!r})",
        )
    [answer] = apply_in_transaction(hub().sessions, [update], connector_id=g.connector_id)
    return _single(answer)


def _single(answer: UpdateAnswer) -> dict:
    if answer.outcome in _REFUSALS:
        status, code = _REFUSALS[answer.outcome]
        raise ApiError(status, code, listed(answer.errors))
    return {
        "update_id": answer.update_id,
        "outcome": answer.outcome,
        "status": answer.status,
        "status_at": iso_or_none(answer.status_at),
    }


@updates_api.get("/updates")
@requires_connector
def get_feed():
    take_fault(FEED)  # status and delay only: the feed saves nothing to drop
    after, limit = query_integer("after", 0, 0), query_integer("limit", DEFAULT_PAGE, 1, MAX_PAGE)
    with hub().sessions() as session:
        page, next_after = feed_page(session, g.connector_id, after=after, limit=limit)
    return {"updates": hub().faults.mangle_page(page), "next_after": next_after}
