"""Audit checkpoints: the heads of a connector's hash-chained audit log, kept at the hub.

A connector gives the hub its chain's head now and then ({seq, hash, at}); because
the hub never changes a stored checkpoint, a connector whose log was later
truncated or rewritten no longer matches what the hub holds. Recording is
idempotent on (connector, seq): the same hash again is a repeat, another hash is
refused with `CheckpointConflictError` and nothing stored. Seqs need not arrive in
order (a late retry comes after newer heads); the verifier, not the hub, judges
the sequence. Times are given back in UTC.

Not here: HTTP (`audit_api.py`), the chain itself (the connector's `connector.audit`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lapor_exchange.problems import openapi_validator
from lapor_exchange.problems import problems as schema_problems

from .store import HubCheckpoint, begin_writing

log = logging.getLogger(__name__)

# Two requests racing to store the same new seq (PostgreSQL): the loser hits the
# primary key, and answering again from a fresh read makes it a repeat or a conflict.
_RACE_ATTEMPTS = 3


class CheckpointConflictError(Exception):
    """This seq is already stored with another hash: the connector's history was rewritten."""

    def __init__(self, connector_id: str, stored: dict, sent_hash: str):
        super().__init__(
            f"checkpoint {stored['seq']} of {connector_id} is already stored with hash "
            f"{stored['hash']}, not {sent_hash}: the audit log was rewritten after it was "
            f"checkpointed; nothing was stored"
        )
        self.stored = stored


def checkpoint_problems(body) -> list[dict]:
    """What is wrong with a checkpoint body {seq, hash, at} by the contract's `Checkpoint`
    (a seq JSON numbers hold exactly, a time with its UTC offset); [] when fine."""
    return [p.as_dict() for p in schema_problems(body, openapi_validator("Checkpoint"))]


def checkpoint_view(row: HubCheckpoint) -> dict:
    return {"seq": row.seq, "hash": row.hash, "at": row.at.isoformat()}


def record_checkpoint(
    sessions: sessionmaker, connector_id: str, seq: int, hash_: str, at: str
) -> tuple[dict, bool]:
    """Store a checkpoint `checkpoint_problems` passed. Returns (its view, True when new);
    a repeat returns the stored one. Raises CheckpointConflictError."""
    for attempt in range(1, _RACE_ATTEMPTS + 1):
        try:
            with sessions.begin() as session:
                begin_writing(session)
                return _record(
                    session,
                    connector_id,
                    seq,
                    hash_,
                    datetime.fromisoformat(at).astimezone(timezone.utc),
                )
        except IntegrityError:
            if attempt == _RACE_ATTEMPTS:
                raise
            log.info(
                "checkpoint %s of %s raced another request; answering again", seq, connector_id
            )
    raise AssertionError("unreachable")


def _record(
    session: Session, connector_id: str, seq: int, hash_: str, at: datetime
) -> tuple[dict, bool]:
    stored = session.get(HubCheckpoint, (connector_id, seq))
    if stored is not None and stored.hash != hash_:
        log.warning(
            "checkpoint %s of %s sent again with another hash: its audit log was rewritten",
            seq,
            connector_id,
        )
        raise CheckpointConflictError(connector_id, checkpoint_view(stored), hash_)
    if stored is not None:
        return checkpoint_view(stored), False
    row = HubCheckpoint(
        connector_id=connector_id,
        seq=seq,
        hash=hash_,
        at=at,
        received_at=datetime.now(timezone.utc),
    )
    session.add(row)
    session.flush()  # a racing insert fails here, inside the retry
    return checkpoint_view(row), True


def list_checkpoints(session: Session, connector_id: str) -> list[dict]:
    """`connector_id`'s checkpoints in seq order."""
    query = (
        select(HubCheckpoint)
        .where(HubCheckpoint.connector_id == connector_id)
        .order_by(HubCheckpoint.seq)
    )
    return [checkpoint_view(row) for row in session.scalars(query)]


def counts(session: Session, connector_id: str) -> dict:
    """{"count", "highest_seq"} of `connector_id`'s checkpoints (highest_seq None without any)."""
    count, highest = session.execute(
        select(func.count(), func.max(HubCheckpoint.seq)).where(
            HubCheckpoint.connector_id == connector_id
        )
    ).one()
    return {"count": count, "highest_seq": highest}
