"""The audit chain: hashing an entry, references, and appending in the caller's transaction.

Locking: `append` runs in the caller's transaction (so an entry exists exactly when what it
records was committed). On PostgreSQL it first takes a transaction-level advisory lock on a
fixed key, then reads the head: the next writer waits until this transaction commits and
then sees its entries. On SQLite every transaction starts with BEGIN IMMEDIATE, so the
transaction already holds the database's write lock. Either way the primary key on `seq`
turns any remaining race (a caller in a REPEATABLE READ snapshot taken before the lock)
into an error, never a fork.

Events noted with `record` are appended just before the session commits: this module
listens to every SQLAlchemy session's `before_commit` (a session with nothing noted pays
one dictionary lookup).

Not here: what may be written (audit.guard), checking a chain (audit.verification), export.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from connector.audit.guard import check_event, check_value
from connector.store.models import AuditEntry
from connector.timeutil import as_utc, utcnow
from lapor_exchange.canonical import canonical_json

GENESIS = "0" * 64
# pg_advisory_xact_lock key that serializes appends; only this module uses it ("lapaudit").
CHAIN_LOCK_KEY = 0x6C61706175646974

# -- hashing --------------------------------------------------------------------------


def at_text(at: datetime | str) -> str:
    """The ISO 8601 UTC text an entry's time is hashed as: always microseconds and `Z`."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(
    prev_hash: str, seq: int, at: datetime | str, kind: str, ref: str | None, data: dict
) -> str:
    """sha256 hex of canonical_json([prev_hash, seq, at, kind, ref, data]). `at` should be
    `at_text(...)`; a datetime is turned into it."""
    if isinstance(at, datetime):
        at = at_text(at)
    return hashlib.sha256(
        canonical_json([prev_hash, seq, at, kind, ref, data]).encode("utf-8")
    ).hexdigest()


# -- references -----------------------------------------------------------------------


def safe_id(value: str) -> str:
    """An id from outside (a source ref, a gateway's message id) as the log may hold it:
    itself, or `#` and its sha256 prefix when it looks like personal data (a portal that
    numbers reports with something shaped like a phone number must not stop intake)."""
    try:
        check_value(value, "id", allow_message_id=True)
    except ValueError:
        return "#" + hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]
    return value


def ref_of(channel_id: str, source_ref: str) -> str:
    """The reference every entry about one report carries: `channel_id/source_ref`
    (`audit show` takes the same)."""
    return f"{channel_id}/{safe_id(source_ref)}"


# -- writing --------------------------------------------------------------------------


def head(session: Session) -> tuple[int, str]:
    """(seq, hash) of the newest entry; (0, GENESIS) when the log is empty."""
    row = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def append(session: Session, kind: str, ref: str | None, data: dict | None = None) -> AuditEntry:
    """Add one entry in the caller's open transaction. Raises ValueError for personal data
    or a value that is not plain JSON; nothing is written then."""
    return append_many(session, [(kind, ref, data)])[0]


def append_many(
    session: Session, events: list[tuple[str, str | None, dict | None]]
) -> list[AuditEntry]:
    """Add several entries under one lock and one head read, in the order given."""
    checked = [check_event(kind, ref, data) for kind, ref, data in events]
    if not checked:
        return []
    _lock_chain(session)
    seq, prev = head(session)
    at = utcnow()  # taken under the lock, so times never go backwards along the chain
    entries = []
    for kind, ref, data in checked:
        seq += 1
        entry = AuditEntry(
            seq=seq,
            at=at,
            kind=kind,
            ref=ref,
            data=data,
            prev_hash=prev,
            hash=entry_hash(prev, seq, at_text(at), kind, ref, data),
        )
        entries.append(entry)
        prev = entry.hash
    session.add_all(entries)
    session.flush()
    return entries


_PENDING = "lapor_audit_pending"


def record(session: Session, kind: str, ref: str | None, data: dict | None = None) -> None:
    """Note an event in the caller's transaction; it is appended to the chain (with every
    other event of that transaction, under one lock) just before the transaction commits,
    so the log says exactly what was committed. Checked at once, so a bad event fails
    where it is written."""
    session.info.setdefault(_PENDING, []).append(check_event(kind, ref, data))


def flush_pending(session: Session) -> None:
    """`before_commit` listener on every session: write what `record` noted."""
    events = session.info.pop(_PENDING, None)
    if events:
        append_many(session, events)


def forget_pending(session: Session) -> None:
    """`after_rollback` listener: a rolled-back transaction leaves no trace in the log."""
    session.info.pop(_PENDING, None)


event.listen(Session, "before_commit", flush_pending)
event.listen(Session, "after_rollback", forget_pending)


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    # SQLite: BEGIN IMMEDIATE (connector.store.db) already holds the write lock; the
    # head read below is what begins the transaction if nothing else has.
