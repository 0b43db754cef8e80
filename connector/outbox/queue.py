"""The durable outbox: everything the connector must send, exactly once.

A row is written in the same transaction as the thing it sends (a complaint,
later a status update or a notification). Workers `claim` due rows with a lease
(`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite serializes writers), send them,
and record the outcome with `mark_*`, which only touch rows the worker still
holds. A worker that dies leaves its rows `inflight` until the lease runs out;
then they are due again and the target's idempotency absorbs the resend.

States: pending → inflight → delivered | pending (retry later) | dead.
`replay` puts dead rows back to pending for an operator. A route whose target lacks
what it needs (a hub without the status-push capability) `hold`s its pending rows:
held rows are neither due nor dead, keep their place in their complaint's order, and
go back to pending (`release`) when the target offers it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from connector.store.models import Complaint, OutboxItem
from connector.timeutil import utcnow

KIND_REPORT = "report"
TARGET_HUB = "hub"


def report_key(channel_id: str, source_ref: str) -> str:
    """The outbox key of a report: the same natural key the hub is idempotent on."""
    ref = (
        source_ref
        if len(source_ref) <= 400
        else "sha256:" + hashlib.sha256(source_ref.encode()).hexdigest()
    )
    return f"report/{channel_id}/{ref}"


def enqueue(
    session, kind: str, target: str, key: str, complaint_id: int | None, payload: dict | None = None
) -> OutboxItem:
    """Queue one item, due now. The key makes it unique: queueing the same thing twice is an error."""
    item = OutboxItem(
        kind=kind,
        target=target,
        idempotency_key=key,
        complaint_id=complaint_id,
        payload=payload,
        state="pending",
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(item)
    return item


def enqueue_report(session, complaint: Complaint) -> OutboxItem:
    return enqueue(
        session,
        KIND_REPORT,
        TARGET_HUB,
        report_key(complaint.channel_id, complaint.source_ref),
        complaint.id,
    )


def _due(kind: str, target: str, now: datetime):
    return and_(
        OutboxItem.kind == kind,
        OutboxItem.target == target,
        or_(
            and_(OutboxItem.state == "pending", OutboxItem.next_attempt_at <= now),
            and_(OutboxItem.state == "inflight", OutboxItem.lease_until < now),
        ),
    )


def _first_in_line():
    """No earlier row of the same complaint and target is still unsent (pending, in flight or dead):
    a complaint's items go out in the order they were written."""
    earlier = aliased(OutboxItem)
    return ~exists().where(
        earlier.complaint_id == OutboxItem.complaint_id,
        earlier.target == OutboxItem.target,
        earlier.id < OutboxItem.id,
        earlier.state.in_(("pending", "inflight", "dead", "held")),
    )


def claim(
    session,
    owner: str,
    limit: int,
    lease_s: float,
    kind: str = KIND_REPORT,
    target: str = TARGET_HUB,
) -> list[OutboxItem]:
    """Take up to `limit` due rows for `owner` until now + lease_s. Commit right after."""
    now = utcnow()
    query = (
        select(OutboxItem)
        .where(_due(kind, target, now), _first_in_line())
        .order_by(OutboxItem.next_attempt_at, OutboxItem.id)
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.state = "inflight"
        row.lease_owner = owner
        row.lease_until = now + timedelta(seconds=lease_s)
        row.attempts += 1
    return rows


def _held(item_id: int, owner: str):
    return and_(
        OutboxItem.id == item_id, OutboxItem.state == "inflight", OutboxItem.lease_owner == owner
    )


def mark_delivered(session, item_id: int, owner: str, result: dict | None = None) -> bool:
    """True if this worker still held the row (False: the lease was lost; the other worker resends)."""
    done = session.execute(
        update(OutboxItem)
        .where(_held(item_id, owner))
        .values(
            state="delivered",
            result=result,
            finished_at=utcnow(),
            lease_owner=None,
            lease_until=None,
            last_error=None,
            last_error_code=None,
            updated_at=utcnow(),
        )
    )
    return done.rowcount == 1


def mark_retry(session, item_id: int, owner: str, code: str, error: str, delay_s: float) -> bool:
    done = session.execute(
        update(OutboxItem)
        .where(_held(item_id, owner))
        .values(
            state="pending",
            next_attempt_at=utcnow() + timedelta(seconds=delay_s),
            lease_owner=None,
            lease_until=None,
            last_error_code=code,
            last_error=error,
            updated_at=utcnow(),
        )
    )
    return done.rowcount == 1


def mark_dead(
    session, item_id: int, owner: str, code: str, error: str, result: dict | None = None
) -> bool:
    done = session.execute(
        update(OutboxItem)
        .where(_held(item_id, owner))
        .values(
            state="dead",
            finished_at=utcnow(),
            lease_owner=None,
            lease_until=None,
            last_error_code=code,
            last_error=error,
            result=result,
            updated_at=utcnow(),
        )
    )
    return done.rowcount == 1


def hold(session, kind: str, target: str, code: str, reason: str) -> int:
    """Every pending row of this route waits (state held) with its reason; returns how many."""
    done = session.execute(
        update(OutboxItem)
        .where(OutboxItem.kind == kind, OutboxItem.target == target, OutboxItem.state == "pending")
        .values(state="held", last_error_code=code, last_error=reason, updated_at=utcnow())
    )
    return done.rowcount


def release(session, kind: str, target: str) -> int:
    """Held rows of this route go back to pending, due now; returns how many."""
    done = session.execute(
        update(OutboxItem)
        .where(OutboxItem.kind == kind, OutboxItem.target == target, OutboxItem.state == "held")
        .values(
            state="pending",
            next_attempt_at=utcnow(),
            last_error_code=None,
            last_error=None,
            updated_at=utcnow(),
        )
    )
    return done.rowcount


def replay(session, ids: list[int] | None = None) -> int:
    """Dead rows (all, or the given ids) back to pending, due now, with a fresh attempt count."""
    query = update(OutboxItem).where(OutboxItem.state == "dead")
    if ids is not None:
        query = query.where(OutboxItem.id.in_(ids))
    done = session.execute(
        query.values(
            state="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            finished_at=None,
            updated_at=utcnow(),
        )
    )
    return done.rowcount


def requeue_for_hub(session, complaint_id: int) -> int:
    """A report the hub lost goes out again, and with it every update of that report it
    had taken (the hub lost those too); per-complaint order puts the report first."""
    done = session.execute(
        update(OutboxItem)
        .where(
            OutboxItem.complaint_id == complaint_id,
            OutboxItem.target == "hub",
            OutboxItem.state == "delivered",
        )
        .values(
            state="pending",
            attempts=0,
            next_attempt_at=utcnow(),
            finished_at=None,
            lease_owner=None,
            lease_until=None,
            updated_at=utcnow(),
        )
    )
    return done.rowcount


def dead(session, limit: int = 100) -> list[OutboxItem]:
    return list(
        session.scalars(
            select(OutboxItem)
            .where(OutboxItem.state == "dead")
            .order_by(OutboxItem.id)
            .limit(limit)
        )
    )


def counts(session, kind: str | None = None) -> dict[str, int]:
    """Rows per state (of one kind, or all), e.g. {"pending": 3, "delivered": 997}."""
    query = select(OutboxItem.state, func.count()).group_by(OutboxItem.state)
    if kind is not None:
        query = query.where(OutboxItem.kind == kind)
    return dict(session.execute(query).all())


def counts_by_route(session) -> dict[tuple[str, str], dict[str, int]]:
    """Rows per (kind, target) and state."""
    found: dict[tuple[str, str], dict[str, int]] = {}
    rows = session.execute(
        select(OutboxItem.kind, OutboxItem.target, OutboxItem.state, func.count()).group_by(
            OutboxItem.kind, OutboxItem.target, OutboxItem.state
        )
    )
    for kind, target, state, n in rows:
        found.setdefault((kind, target), {})[state] = n
    return found


def next_due_in(session, routes: list[tuple[str, str]] | None = None) -> float | None:
    """Seconds until the next row that can go out is due (0: now), on the given (kind, target)
    routes or all; None if nothing is waiting. Rows blocked behind a dead one do not count:
    they wait for an operator, not for time."""
    query = select(func.min(OutboxItem.next_attempt_at)).where(
        OutboxItem.state.in_(("pending", "inflight")), _first_in_line()
    )
    if routes is not None:
        query = query.where(
            or_(*(and_(OutboxItem.kind == k, OutboxItem.target == t) for k, t in routes))
        )
    soonest = session.scalar(query)
    if soonest is None:
        return None
    return max(0.0, (soonest - utcnow()).total_seconds())
