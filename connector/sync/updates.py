"""Status sync: what an update from either side does to a complaint.

- `derive_region_updates` turns a portal record's follow-ups (tanggapan) and status
  change into region updates waiting in the outbox for the hub. Intake calls it in
  the transaction that stores the record, so a follow-up is never seen without its
  update being queued.
- `pull_hub_updates` reads the hub's change feed and `apply_hub_update` applies each
  national update: to the complaint (by the conflict rule in `connector.status`), as a
  push to the portal, and as a notification for the citizen.
- `record_hub_answer` applies the hub's answer to a region update we sent.

Echoes are stopped by ids: every update keeps its `update_id`, pushes carry it to the
portal as `ref`, and a follow-up whose ref is one of ours is our own push returning.
See docs/design.md, "Status sync".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from threading import Event

from sqlalchemy import select

from connector import audit
from connector.citizens.notify import enqueue_notification
from connector.mapping.statusmap import StatusMap, UnmappedStatusError
from connector.outbox.queue import enqueue
from connector.store.cursors import get_cursor, set_cursor
from connector.store.models import Complaint, StatusConflict, StatusUpdate
from connector.support.counters import Counters
from connector.timeutil import iso, utcnow
from lapor_exchange import status as S
from lapor_exchange.documents import SCHEMA_VERSION
from lapor_exchange.problems import update_problems

log = logging.getLogger(__name__)

HUB_FEED_CURSOR = "hub:updates"


@dataclass
class SyncStats(Counters):
    received: int = 0
    applied: int = 0
    superseded: int = 0
    noop: int = 0
    duplicates: int = 0
    parked: int = 0


@dataclass
class Known:
    """The update ids a complaint already has: all of them, and those the hub made."""

    ids: set[str] = field(default_factory=set)
    hub_ids: set[str] = field(default_factory=set)


def known_updates(session, complaint_ids) -> dict[int, Known]:
    """Known update ids per complaint, in one query."""
    known: dict[int, Known] = {cid: Known() for cid in complaint_ids}
    rows = session.execute(
        select(StatusUpdate.complaint_id, StatusUpdate.update_id, StatusUpdate.origin).where(
            StatusUpdate.complaint_id.in_(list(known))
        )
    )
    for complaint_id, update_id, origin in rows:
        known[complaint_id].ids.add(update_id)
        if origin == S.HUB:
            known[complaint_id].hub_ids.add(update_id)
    return known


# -- region → hub ---------------------------------------------------------------------


def derive_region_updates(
    session,
    complaint: Complaint,
    record: dict,
    smap: StatusMap,
    connector_id: str,
    known: Known,
    record_updated_at: datetime,
) -> int:
    """Queue a region update for each new local follow-up and for a local status change.
    Returns how many updates were made (parked ones included)."""
    made = 0
    responses = smap.responses(record)
    for response in responses:
        if response.ref and response.ref in known.hub_ids:
            continue  # our own push, back from the portal
        update_id = f"{complaint.channel_id}/{complaint.source_ref}/t/{response.id}"
        if update_id not in known.ids:
            made += _region_update(
                session,
                complaint,
                smap,
                connector_id,
                known,
                update_id,
                response.local_status,
                response.message,
                response.at or record_updated_at,
            )
    current = smap.local_status(record)
    if (
        current is not None
        and current != complaint.local_status
        and not _explained(current, responses, complaint, known)
    ):
        update_id = (
            f"{complaint.channel_id}/{complaint.source_ref}/s/{iso(record_updated_at)}/{current}"
        )
        if update_id not in known.ids:
            made += _region_update(
                session,
                complaint,
                smap,
                connector_id,
                known,
                update_id,
                current,
                None,
                record_updated_at,
            )
    complaint.local_status = current
    return made


def _explained(current: str, responses, complaint: Complaint, known: Known) -> bool:
    """A record status set by the newest follow-up (ours or a local one already turned
    into an update) is not a change of its own."""
    if not responses:
        return False
    newest = responses[-1]
    if newest.ref and newest.ref in known.hub_ids:
        return True
    own_id = f"{complaint.channel_id}/{complaint.source_ref}/t/{newest.id}"
    return newest.local_status == current and own_id in known.ids


def _region_update(
    session, complaint, smap, connector_id, known, update_id, local_code, message, occurred_at
) -> int:
    payload = {
        "schema_version": SCHEMA_VERSION,
        "update_id": update_id,
        "tracking_id": complaint.tracking_id or "",
        "origin": {
            "side": S.REGION,
            "connector_id": connector_id,
            "channel_id": complaint.channel_id,
        },
        "actor": smap.actor,
        "occurred_at": iso(occurred_at),
    }
    if message:
        payload["message"] = message
    if local_code is not None:
        payload["source_status"] = local_code
    row = StatusUpdate(
        update_id=update_id,
        complaint_id=complaint.id,
        origin=S.REGION,
        source_status=local_code,
        occurred_at=occurred_at,
        payload=payload,
        state="pending",
    )
    try:
        national = smap.to_national(local_code) if local_code is not None else None
    except UnmappedStatusError as exc:
        row.state, row.reason = "parked", str(exc)
        log.warning("parked update %s: %s", update_id, exc)
    else:
        if national is None and not message:
            return 0  # an ignored code and no text: nothing to tell the hub
        if national is not None:
            payload["status"] = row.status = national
    session.add(row)
    _audit(session, complaint, row)
    known.ids.add(update_id)
    if row.state == "pending":
        enqueue(
            session,
            "status_update",
            "hub",
            f"update/hub/{update_id}",
            complaint.id,
            {"update_id": update_id},
        )
    return 1


def requeue_parked_region_update(session, row: StatusUpdate, smap: StatusMap) -> bool:
    """After the profile is fixed: map the parked update's local code again and queue it."""
    try:
        national = smap.to_national(row.source_status) if row.source_status is not None else None
    except UnmappedStatusError as exc:
        row.reason = str(exc)
        return False
    payload = dict(row.payload)
    if national is not None:
        payload["status"] = row.status = national
    row.payload, row.state, row.reason = payload, "pending", None
    _audit(session, session.get(Complaint, row.complaint_id), row)
    enqueue(
        session,
        "status_update",
        "hub",
        f"update/hub/{row.update_id}",
        row.complaint_id,
        {"update_id": row.update_id},
    )
    return True


def region_update_payload(session, update_id: str) -> dict:
    """The update as the hub receives it, with the report's tracking id filled in."""
    row = session.scalars(select(StatusUpdate).where(StatusUpdate.update_id == update_id)).one()
    complaint = session.get(Complaint, row.complaint_id)
    return {**row.payload, "tracking_id": complaint.tracking_id}


def record_hub_answer(session, update_id: str, answer: dict) -> str:
    """Apply the hub's per-item answer to a region update. Returns the update's new state."""
    row = session.scalars(select(StatusUpdate).where(StatusUpdate.update_id == update_id)).one()
    complaint = session.get(Complaint, row.complaint_id)
    outcome = answer.get("outcome")
    if (
        outcome in ("applied", "duplicate")
        and answer.get("status_at")
        and row.status is not None
        and answer.get("status") == row.status
        and datetime.fromisoformat(answer["status_at"]) == row.occurred_at
    ):
        row.state = "applied"
        _adopt(complaint, row)
    elif outcome in ("applied", "duplicate") and row.status is None:
        row.state = "applied"  # a follow-up text without a status change
    elif outcome in ("stale", "duplicate"):
        row.state = "superseded"
        _conflict(
            session,
            complaint,
            winner=answer.get("status_update_id") or f"hub status at {answer.get('status_at')}",
            loser=row.update_id,
            where="hub",
        )
    else:
        row.state = "noop"
    _audit(session, complaint, row)
    return row.state


def park_region_update(session, update_id: str, reason: str) -> None:
    row = session.scalars(select(StatusUpdate).where(StatusUpdate.update_id == update_id)).one()
    row.state, row.reason = "parked", reason
    _audit(session, session.get(Complaint, row.complaint_id), row)


# -- hub → region ---------------------------------------------------------------------


@dataclass
class HubSyncContext:
    """What applying national updates needs: each channel's status map (None: no status section)."""

    status_maps: dict[str, StatusMap | None]


def pull_hub_updates(
    store, hub, ctx: HubSyncContext, limit: int = 500, stop: Event | None = None
) -> SyncStats:
    """Read the hub's feed from the saved cursor; each page is applied and the cursor moved in one transaction."""
    total = SyncStats()
    while not (stop is not None and stop.is_set()):
        with store.transaction() as session:
            after = get_cursor(session, HUB_FEED_CURSOR)
        page = hub.updates(after=after, limit=limit)
        if not page["updates"]:
            break
        with store.transaction() as session:
            stats = apply_hub_updates(session, page["updates"], ctx)
            set_cursor(session, HUB_FEED_CURSOR, str(page["next_after"]))
        total += stats
        if len(page["updates"]) < limit:
            break
    if total.received:
        log.info(
            "hub feed: %d received, %d applied, %d superseded, %d repeats, %d parked",
            total.received,
            total.applied,
            total.superseded,
            total.duplicates,
            total.parked,
        )
    return total


def apply_hub_updates(session, updates: list[dict], ctx: HubSyncContext) -> SyncStats:
    stats = SyncStats(received=len(updates))
    ids = [u.get("update_id") for u in updates if isinstance(u, dict)]
    seen = set(
        session.scalars(select(StatusUpdate.update_id).where(StatusUpdate.update_id.in_(ids)))
    )
    for update in sorted(updates, key=_feed_order):
        update = {k: v for k, v in update.items() if k != "seq"}
        if update.get("update_id") in seen:
            stats.duplicates += 1
            continue
        seen.add(update.get("update_id"))
        state = apply_hub_update(session, update, ctx)
        setattr(stats, state, getattr(stats, state) + 1)
    return stats


def _feed_order(update) -> tuple:
    # A page may come shuffled; the hub's own order (seq) is the order it made them.
    return (update.get("seq", 0) if isinstance(update, dict) else 0,)


def apply_hub_update(session, update: dict, ctx: HubSyncContext) -> str:
    """Apply one national update (not seen before). Returns its state."""
    problems = update_problems(update)
    complaint = None
    if not problems:
        complaint = session.scalars(
            select(Complaint).where(Complaint.tracking_id == update["tracking_id"])
        ).one_or_none()
    occurred_at = _moment(update.get("occurred_at"))
    row = StatusUpdate(
        update_id=str(update.get("update_id"))[:200],
        complaint_id=complaint.id if complaint else None,
        origin=S.HUB,
        status=update.get("status"),
        occurred_at=occurred_at or utcnow(),
        payload=update,
        state="applied",
    )
    session.add(row)
    if problems or complaint is None or update.get("origin", {}).get("side") != S.HUB:
        row.state = "parked"
        row.reason = (
            "; ".join(map(str, problems))
            if problems
            else (
                f"no complaint here has tracking id {update['tracking_id']}"
                if complaint is None
                else "the hub's feed sent an update whose origin is not the hub"
            )
        )
        log.warning("parked hub update %s: %s", row.update_id, row.reason)
        _audit(session, complaint, row)
        return "parked"
    row.state = _decide(session, complaint, row)
    if row.state == "applied" and row.status is not None:
        _adopt(complaint, row)
    if row.state in ("applied", "superseded") and (row.state == "applied" or update.get("message")):
        _push(session, complaint, row, ctx)
    if row.state == "applied":
        enqueue_notification(session, complaint, update)
    _audit(session, complaint, row)
    return row.state


def _decide(session, complaint: Complaint, row: StatusUpdate) -> str:
    if row.status is None:
        return "applied"  # a message: history, no status change
    current_origin = _origin_of(session, complaint.status_update_id)
    if not S.wins(row.occurred_at, row.origin, complaint.status_at, current_origin):
        if current_origin and current_origin != row.origin:
            _conflict(
                session,
                complaint,
                winner=complaint.status_update_id,
                loser=row.update_id,
                where="connector",
            )
        return "superseded"
    if row.status == complaint.status and not row.payload.get("message"):
        return "noop"
    return "applied"


def _origin_of(session, update_id: str | None) -> str | None:
    if update_id is None:
        return None
    return session.scalar(select(StatusUpdate.origin).where(StatusUpdate.update_id == update_id))


def _adopt(complaint: Complaint, row: StatusUpdate) -> None:
    if S.wins(row.occurred_at, row.origin, complaint.status_at, None):
        complaint.status, complaint.status_at, complaint.status_update_id = (
            row.status,
            row.occurred_at,
            row.update_id,
        )


def _push(session, complaint: Complaint, row: StatusUpdate, ctx: HubSyncContext) -> None:
    smap = ctx.status_maps.get(complaint.channel_id)
    if smap is None or smap.push_spec is None:
        return  # this channel cannot take national updates (email and SMS get notifications instead)
    payload = dict(row.payload)
    if row.state == "superseded":
        payload.pop(
            "status", None
        )  # history: the text still reaches the portal, the old status does not
    if smap.to_local(payload.get("status")) is None and not payload.get("message"):
        return  # nothing the portal would show
    enqueue(
        session,
        "status_update",
        f"channel:{complaint.channel_id}",
        f"update/{complaint.channel_id}/{row.update_id}",
        complaint.id,
        {"update": payload, "source_ref": complaint.source_ref},
    )


def _conflict(session, complaint: Complaint, winner: str | None, loser: str, where: str) -> None:
    rule = f"later occurred_at wins, the hub on a tie (detected at the {where})"
    session.add(
        StatusConflict(
            complaint_id=complaint.id,
            winner_update_id=winner or "?",
            loser_update_id=loser,
            rule=rule,
        )
    )
    audit.record(
        session,
        "conflict",
        audit.ref_of(complaint.channel_id, complaint.source_ref),
        {"winner": audit.safe_id(winner or "?"), "loser": audit.safe_id(loser), "rule": rule},
    )


def _audit(session, complaint: Complaint | None, row: StatusUpdate) -> None:
    """A status update's fate: applied, superseded, noop, pending (queued for the hub) or parked."""
    audit.record(
        session,
        "status",
        audit.ref_of(complaint.channel_id, complaint.source_ref) if complaint else None,
        {
            "update_id": audit.safe_id(row.update_id),
            "origin": row.origin,
            "state": row.state,
            "status": row.status,
        },
    )


def _moment(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
