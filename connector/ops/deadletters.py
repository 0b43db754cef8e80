"""Dead letters: everything parked for an operator, in one list.

Two kinds, each with its own id prefix so one command handles both:
- `o<ID>`: an outbox item that will not be retried (the target refused it, or the
  attempt cap was reached). A bare number means an outbox item too.
- `u<ID>`: a status update that could not be applied or queued: a national update
  for a tracking id this connector does not know, a local status code the profile
  does not map. (A region update the hub refused shows as its outbox item.)

`replay` gives an item another go (outbox: back to pending; update: applied or
queued again with the current store and profiles); `discard` gives up on it for
good, which also lets the complaint's later items go out.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from connector import audit
from connector.outbox import queue as outbox
from connector.store.models import Complaint, OutboxItem, StatusUpdate
from connector.sync.updates import HubSyncContext, apply_hub_update, requeue_parked_region_update
from connector.timeutil import utcnow


@dataclass(frozen=True)
class Letter:
    ref: str
    kind: str
    subject: str
    attempts: int | None
    code: str | None
    reason: str


class UnknownLetterError(LookupError):
    pass


def parse_ref(text: str) -> tuple[str, int]:
    """'o12' / '12' → ('o', 12); 'u7' → ('u', 7)."""
    text = text.strip().lower()
    prefix, number = (text[0], text[1:]) if text[:1] in ("o", "u") else ("o", text)
    if not number.isdigit():
        raise UnknownLetterError(f"{text!r} is not a dead-letter id (o<number> or u<number>)")
    return prefix, int(number)


def list_letters(session, limit: int = 100) -> list[Letter]:
    letters = [_outbox_letter(session, row) for row in outbox.dead(session, limit)]
    return letters + [_update_letter(session, row) for row in _parked_updates(session, limit)]


def _parked_updates(session, limit: int) -> list[StatusUpdate]:
    rows = session.scalars(
        select(StatusUpdate)
        .where(StatusUpdate.state == "parked")
        .order_by(StatusUpdate.id)
        .limit(limit)
    )
    keys = set(
        session.scalars(
            select(OutboxItem.idempotency_key).where(
                OutboxItem.kind == "status_update", OutboxItem.target == "hub"
            )
        )
    )
    return [
        r for r in rows if f"update/hub/{r.update_id}" not in keys
    ]  # those show as their outbox item


def _outbox_letter(session, row: OutboxItem) -> Letter:
    complaint = session.get(Complaint, row.complaint_id) if row.complaint_id else None
    subject = f"{complaint.channel_id}/{complaint.source_ref}" if complaint else row.idempotency_key
    return Letter(
        f"o{row.id}",
        f"{row.kind} → {row.target}",
        subject,
        row.attempts,
        row.last_error_code,
        row.last_error or "",
    )


def _update_letter(session, row: StatusUpdate) -> Letter:
    complaint = session.get(Complaint, row.complaint_id) if row.complaint_id else None
    subject = (
        f"{complaint.channel_id}/{complaint.source_ref}"
        if complaint
        else f"tracking id {row.payload.get('tracking_id')}"
    )
    return Letter(
        f"u{row.id}",
        f"{row.origin} update {row.update_id}",
        subject,
        None,
        "parked",
        row.reason or "",
    )


def get(session, ref: str):
    prefix, number = parse_ref(ref)
    row = session.get(OutboxItem if prefix == "o" else StatusUpdate, number)
    if (
        row is None
        or (prefix == "u" and row.state != "parked")
        or (prefix == "o" and row.state != "dead")
    ):
        raise UnknownLetterError(f"no dead letter {ref}")
    return row


def replay(session, refs: list[str] | None, ctx: HubSyncContext, via: str = "cli") -> int:
    """Give dead letters another go: the given ones, or all when `refs` is None. Each is
    written to the audit log as an operator action."""
    if refs is None:
        rows = list(
            session.scalars(
                select(OutboxItem).where(OutboxItem.state == "dead").order_by(OutboxItem.id)
            )
        )
        rows += _parked_updates(session, 10_000)
    else:
        rows = [get(session, ref) for ref in refs]
    count = 0
    for row in rows:
        _operator(session, row, "replay", via)
        count += (
            outbox.replay(session, [row.id])
            if isinstance(row, OutboxItem)
            else _replay_update(session, row, ctx)
        )
    return count


def _operator(session, row, action: str, via: str) -> None:
    complaint = session.get(Complaint, row.complaint_id) if row.complaint_id else None
    what = (
        {"letter": f"o{row.id}", "key": audit.safe_id(row.idempotency_key)}
        if isinstance(row, OutboxItem)
        else {"letter": f"u{row.id}", "update_id": audit.safe_id(row.update_id)}
    )
    audit.record(
        session,
        "operator",
        audit.ref_of(complaint.channel_id, complaint.source_ref) if complaint else None,
        {"action": action, "via": via, **what},
    )


def _replay_update(session, row: StatusUpdate, ctx: HubSyncContext) -> int:
    if row.origin == "region":
        complaint = session.get(Complaint, row.complaint_id)
        smap = ctx.status_maps.get(complaint.channel_id)
        return int(smap is not None and requeue_parked_region_update(session, row, smap))
    payload = row.payload
    session.delete(row)
    session.flush()
    return int(apply_hub_update(session, payload, ctx) != "parked")


def discard(session, refs: list[str], via: str = "cli") -> int:
    """Give up on dead letters for good (the complaint's later items may then go out)."""
    count = 0
    for ref in refs:
        row = get(session, ref)
        _operator(session, row, "discard", via)
        if isinstance(row, OutboxItem):
            session.execute(
                update(OutboxItem)
                .where(OutboxItem.id == row.id)
                .values(state="discarded", finished_at=utcnow(), updated_at=utcnow())
            )
            if row.kind == "status_update" and row.payload and "update_id" in row.payload:
                session.execute(
                    update(StatusUpdate)
                    .where(StatusUpdate.update_id == row.payload["update_id"])
                    .values(state="discarded")
                )
        else:
            row.state = "discarded"
        count += 1
    return count
