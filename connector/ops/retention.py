"""Retention: personal data is kept for a configured period, then erased (UU 27/2022).

- Raw intake older than `retention.raw_days`: the payload as received is erased; the row
  keeps its key, its outcome and the payload's sha256, so what arrived stays provable.
  (The database allows this one change to intake rows and nothing else.)
  The senders of SMS parts already put together (or given up on) are replaced by a hash.
- Complaints older than `retention.personal_days`: the complainant's identity is removed
  from the stored report, and citizens' own messages (updates by the `pelapor`) are
  replaced by a note. The content hash of what was delivered is kept.

The audit chain holds references and hashes only, so an erasure never breaks it; each
run appends one `erased` entry with the counts. Zero or no setting means "keep".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from connector import audit
from connector.store.models import Complaint, IntakeItem, MessagePart, StatusUpdate
from connector.support.counters import Counters
from connector.timeutil import utcnow
from lapor_exchange.canonical import sha256_bytes

ERASED_TEXT = "[dihapus sesuai masa retensi]"


@dataclass
class RetentionStats(Counters):
    payloads: int = 0
    complaints: int = 0
    messages: int = 0


def apply(
    store, raw_days: int | None, personal_days: int | None, now: datetime | None = None
) -> RetentionStats:
    """Erase what is past its period, in one transaction."""
    now = now or utcnow()
    stats = RetentionStats()
    with store.transaction() as session:
        if raw_days:
            stats.payloads = _erase_payloads(session, now - timedelta(days=raw_days), now)
        if personal_days:
            stats.complaints, stats.messages = _erase_personal(
                session, now - timedelta(days=personal_days), now
            )
        if stats.payloads or stats.complaints or stats.messages:
            audit.record(
                session,
                "erased",
                None,
                {
                    "payloads": stats.payloads,
                    "complaints": stats.complaints,
                    "messages": stats.messages,
                    "raw_days": raw_days,
                    "personal_days": personal_days,
                },
            )
    return stats


def _erase_payloads(session, before: datetime, now: datetime) -> int:
    done = session.execute(
        update(IntakeItem)
        .where(IntakeItem.erased_at.is_(None), IntakeItem.received_at < before)
        .values(payload=b"", erased_at=now)
    )
    for part in session.scalars(
        select(MessagePart).where(
            MessagePart.state != "waiting",
            MessagePart.received_at < before,
            ~MessagePart.sender.startswith("#"),
        )
    ):
        part.sender = "#" + sha256_bytes(part.sender.encode("utf-8"))[:16]
    return done.rowcount


def _erase_personal(session, before: datetime, now: datetime) -> tuple[int, int]:
    complaints = list(
        session.scalars(
            select(Complaint).where(Complaint.erased_at.is_(None), Complaint.created_at < before)
        )
    )
    for complaint in complaints:
        report = dict(complaint.report)
        report.pop("complainant", None)
        complaint.report, complaint.erased_at = report, now
    ids = [c.id for c in complaints]
    messages = 0
    for row in session.scalars(select(StatusUpdate).where(StatusUpdate.complaint_id.in_(ids))):
        if row.payload.get("actor") == "pelapor" and row.payload.get("message"):
            row.payload = {**row.payload, "message": ERASED_TEXT}
            messages += 1
    return len(complaints), messages
