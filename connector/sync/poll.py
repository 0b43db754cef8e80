"""National updates from a hub without the updates feed: ask report by report.

A hub that offers only the contract's core still answers `GET /api/v1/reports/{id}`
with each report's status, and may list its history (`updates`). `poll_hub_reports`
asks for the open reports this connector delivered, the longest unasked first, a batch
per cycle at a steady rate, and turns what it learns into national updates applied by
the same rule as the feed's (`sync.apply_hub_updates`): the hub's own updates from the
history when it gives one, else one update for a status the hub set after ours. A
report the hub does not know is left to reconciliation.

Not here: the feed (`sync.pull_hub_updates`), choosing between the two (the daemon).
"""

from __future__ import annotations

import logging
from datetime import datetime
from threading import Event

from sqlalchemy import select

from connector.store.models import Complaint
from connector.sync.updates import HubSyncContext, SyncStats, apply_hub_updates
from connector.timeutil import parse_iso, utcnow
from lapor_exchange import status as S
from lapor_exchange.documents import STATUS_UPDATE, schema

log = logging.getLogger(__name__)

_UPDATE_FIELDS = frozenset(schema(STATUS_UPDATE)["properties"])


def due_reports(session, limit: int) -> list[tuple[int, str]]:
    """(complaint id, tracking id) of open delivered reports, the longest unasked first."""
    query = (
        select(Complaint.id, Complaint.tracking_id)
        .where(Complaint.tracking_id.isnot(None), Complaint.status.notin_(S.TERMINAL))
        .order_by(Complaint.hub_checked_at.is_not(None), Complaint.hub_checked_at, Complaint.id)
        .limit(limit)
    )
    return [(cid, tid) for cid, tid in session.execute(query)]


def national_updates(
    stored: dict, current_status: str | None, current_at: datetime | None
) -> list[dict]:
    """The national updates a stored report (the hub's answer) tells of."""
    history = stored.get("updates")
    if isinstance(history, list):
        return [
            {k: v for k, v in u.items() if k in _UPDATE_FIELDS}
            for u in history
            if isinstance(u, dict) and (u.get("origin") or {}).get("side") == S.HUB
        ]
    status, status_at = stored.get("status"), stored.get("status_at")
    if status == current_status or not isinstance(status, str):
        return []
    at = parse_iso(status_at)
    if at is not None and current_at is not None and at <= current_at:
        return []  # ours is newer: the hub has not caught up yet
    return [
        {
            "schema_version": "1",
            "update_id": f"hub-status/{stored.get('tracking_id')}/{status}/{status_at or 'now'}",
            "tracking_id": stored.get("tracking_id"),
            "origin": {"side": S.HUB},
            "actor": "sistem",
            "status": status,
            "occurred_at": status_at or utcnow().isoformat(),
        }
    ]


def poll_hub_reports(
    store,
    hub,
    ctx: HubSyncContext,
    limit: int = 50,
    rate_per_s: float = 10.0,
    stop: Event | None = None,
) -> SyncStats:
    """One polling cycle: ask the hub about up to `limit` open reports, apply what it says."""
    stop = stop or Event()
    with store.transaction() as session:
        due = due_reports(session, limit)
    answers: dict[int, dict | None] = {}
    for complaint_id, tracking_id in due:
        if stop.is_set():
            break
        answers[complaint_id] = hub.get_report(tracking_id)
        stop.wait(1.0 / rate_per_s if rate_per_s > 0 else 0)
    stats = SyncStats()
    with store.transaction() as session:
        complaints = {
            c.id: c
            for c in session.scalars(select(Complaint).where(Complaint.id.in_(list(answers))))
        }
        for complaint_id, stored in answers.items():
            complaint = complaints[complaint_id]
            complaint.hub_checked_at = utcnow()
            if stored is None:
                log.warning(
                    "report %s is not at the hub (reconciliation will say more)",
                    complaint.tracking_id,
                )
                continue
            updates = national_updates(stored, complaint.status, complaint.status_at)
            if updates:
                stats += apply_hub_updates(session, updates, ctx)
    if stats.received:
        log.info(
            "hub reports polled: %d asked, %d national updates, %d applied",
            len(answers),
            stats.received,
            stats.applied,
        )
    return stats
