"""Reading recorded status updates back: the national side's feed for one
connector, one report's history, and counts by side and outcome.

Every update goes out in the exchange's own shape (what
schemas/status-update.schema.json validates, optional fields left out when
empty) plus `seq`, the hub's recording order; the history adds the hub's
`outcome` and `received_at`. Times are given in UTC. Not here: judging
updates (`updates.py`), HTTP (`updates_api.py`).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lapor_exchange.status import HUB, REGION

from .store import MAX_BIGINT, HubReport, HubUpdate
from .updates import RECORDED


def update_view(row: HubUpdate, tracking_id: str) -> dict:
    """One recorded update in the exchange shape, plus its `seq`."""
    view = {
        "schema_version": "1",
        "update_id": row.update_id,
        "tracking_id": tracking_id,
        "origin": _origin(row),
    }
    view.update(
        {
            name: getattr(row, name)
            for name in ("status", "source_status")
            if getattr(row, name) is not None
        }
    )
    view["actor"] = row.actor
    if row.message is not None:
        view["message"] = row.message
    view["occurred_at"] = row.occurred_at.isoformat()
    view["seq"] = row.seq
    return view


def _origin(row: HubUpdate) -> dict:
    if row.origin == HUB:
        return {"side": HUB}
    return {"side": REGION, "connector_id": row.connector_id}


def feed_page(
    session: Session, connector_id: str, *, after: int = 0, limit: int = 100
) -> tuple[list[dict], int | None]:
    """The national side's updates to `connector_id`'s reports with seq > `after`, in seq
    order, and the seq to pass as `after` next time (None when the page is empty).

    Every recorded outcome is listed, stale ones too: the connector keeps the same
    history and judges them by the same rule. The contract puts no upper bound on
    `after`; past the largest seq a column holds, nothing comes after it.
    """
    if after >= MAX_BIGINT:
        return [], None
    query = (
        select(HubUpdate, HubReport.tracking_id)
        .join(HubReport, HubUpdate.report_id == HubReport.id)
        .where(
            HubUpdate.connector_id == connector_id, HubUpdate.origin == HUB, HubUpdate.seq > after
        )
        .order_by(HubUpdate.seq)
        .limit(limit)
    )
    page = [update_view(row, tracking_id) for row, tracking_id in session.execute(query)]
    return page, (page[-1]["seq"] if page else None)


def history(session: Session, report: HubReport) -> list[dict]:
    """Every recorded update of `report`, both sides and all outcomes, in seq order."""
    rows = session.scalars(
        select(HubUpdate).where(HubUpdate.report_id == report.id).order_by(HubUpdate.seq)
    )
    return [
        {
            **update_view(row, report.tracking_id),
            "outcome": row.outcome,
            "received_at": row.received_at.isoformat(),
        }
        for row in rows
    ]


def counts(session: Session, connector_id: str) -> dict:
    """Recorded updates of `connector_id`'s reports: {side: {outcome: n}}."""
    found = {
        (origin, outcome): n
        for origin, outcome, n in session.execute(
            select(HubUpdate.origin, HubUpdate.outcome, func.count())
            .where(HubUpdate.connector_id == connector_id)
            .group_by(HubUpdate.origin, HubUpdate.outcome)
        )
    }
    return {
        side: {outcome: found.get((side, outcome), 0) for outcome in RECORDED}
        for side in (HUB, REGION)
    }
