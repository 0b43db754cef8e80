"""Checking the chain: entry by entry (seq, links, hashes) and against the hub's checkpoints,
from the store (streamed) or from an export file.

Not here: writing entries (audit.chain).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.audit.chain import GENESIS, at_text, entry_hash
from connector.store.models import AuditEntry

STREAM_CHUNK = 1000
EXPORT_COLUMNS = ("seq", "at", "kind", "ref", "data", "prev_hash", "hash")

# -- verifying ------------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """The first entry where the chain breaks, or a checkpoint that does not match.
    `seq` is None only when no entry can be named (a malformed checkpoint)."""

    seq: int | None
    reason: str


@dataclass(frozen=True)
class Verification:
    """What a walk over the log found: its length and head, how many checkpoints matched,
    and the first break (None when the log is intact)."""

    entries: int
    head_seq: int
    head_hash: str
    checkpoints_matched: int
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def verify(
    entries: Iterable[AuditEntry | Mapping], checkpoints: Iterable[dict] = ()
) -> Break | None:
    """The first break in `entries` (in seq order), or None. See `check`."""
    return check(entries, checkpoints).broken


def check(
    entries: Iterable[AuditEntry | Mapping], checkpoints: Iterable[dict] = ()
) -> Verification:
    """Walk `entries` in seq order: seq must run 1, 2, 3 … without gaps or repeats, each
    prev_hash must be the previous entry's hash, each hash must be that of the entry's own
    fields, and each checkpoint {seq, hash} must match the entry at its seq (one beyond the
    last entry means the tail was cut off). Stops at the first break, which therefore has
    the lowest seq. Holds only the checkpoints in memory, so `entries` may be a stream."""
    walk = _Walk()
    walk.broken = walk.expect(checkpoints)
    for entry in entries:
        if walk.broken or walk.step(entry):
            break
    if not walk.broken and walk.checkpoints:
        beyond = min(walk.checkpoints)
        walk.broken = Break(
            beyond,
            f"the hub's checkpoint at entry {beyond} is beyond the last entry "
            f"({walk.seq}): the log was truncated",
        )
    return Verification(walk.count, walk.seq, walk.hash, walk.matched, walk.broken)


class _Walk:
    """The state of one walk along the chain."""

    def __init__(self):
        self.count, self.seq, self.hash, self.matched = 0, 0, GENESIS, 0
        self.checkpoints: dict[int, list[str]] = {}
        self.broken: Break | None = None

    def expect(self, checkpoints: Iterable[dict]) -> Break | None:
        for i, cp in enumerate(checkpoints):
            seq = cp.get("seq") if isinstance(cp, Mapping) else None
            hash_ = cp.get("hash") if isinstance(cp, Mapping) else None
            if (
                not isinstance(seq, int)
                or isinstance(seq, bool)
                or seq < 0
                or not isinstance(hash_, str)
            ):
                return Break(
                    None, f"checkpoint #{i + 1} is malformed: it needs an entry number and a hash"
                )
            if seq == 0:  # the empty log's head
                if hash_ != GENESIS:
                    return Break(
                        0, "the hub's checkpoint at entry 0 does not hold the genesis hash"
                    )
                self.matched += 1
            else:
                self.checkpoints.setdefault(seq, []).append(hash_)
        return None

    def step(self, entry) -> Break | None:
        fields, self.broken = _fields(entry, self.seq + 1)
        self.broken = (
            self.broken
            or _link_break(fields, self.seq, self.hash)
            or self._checkpoint_break(fields)
        )
        if not self.broken:
            self.count, self.seq, self.hash = self.count + 1, fields[0], fields[6]
        return self.broken

    def _checkpoint_break(self, fields: tuple) -> Break | None:
        seq, hash_ = fields[0], fields[6]
        for cp_hash in self.checkpoints.pop(seq, ()):
            if cp_hash != hash_:
                return Break(
                    seq,
                    f"the hub's checkpoint at entry {seq} has hash {cp_hash[:12]}… but the log has "
                    f"{hash_[:12]}…: the log was rewritten after that checkpoint was given",
                )
            self.matched += 1
        return None


def _fields(entry, expected: int) -> tuple[tuple, Break | None]:
    """(seq, at, kind, ref, data, prev_hash, hash) of an entry object or mapping."""
    get = entry.get if isinstance(entry, Mapping) else (lambda name: getattr(entry, name, None))
    seq, at, kind, ref, data, prev_hash, hash_ = (get(name) for name in EXPORT_COLUMNS)
    if not isinstance(seq, int) or isinstance(seq, bool):
        return (), Break(expected, f"the entry after entry {expected - 1} has no entry number")
    if not (
        isinstance(kind, str)
        and (ref is None or isinstance(ref, str))
        and isinstance(data, dict)
        and isinstance(prev_hash, str)
        and isinstance(hash_, str)
    ):
        return (), Break(seq, f"entry {seq} is malformed: a field is missing or has the wrong type")
    try:
        at = at_text(at)
    except (TypeError, ValueError):
        return (), Break(seq, f"entry {seq} has no readable time")
    return (seq, at, kind, ref, data, prev_hash, hash_), None


def _link_break(fields: tuple, last_seq: int, last_hash: str) -> Break | None:
    seq, at, kind, ref, data, prev_hash, hash_ = fields
    expected = last_seq + 1
    if seq <= last_seq:
        return Break(
            seq,
            f"entry {seq} appears again after entry {last_seq}: entries were duplicated or reordered",
        )
    if seq > expected:
        if last_seq == 0:
            return Break(
                expected,
                f"the log does not start at entry 1 (its first entry is {seq}): entries were removed",
            )
        return Break(
            expected,
            f"entry {expected} is missing (entry {last_seq} is followed by entry {seq}): "
            "entries were removed",
        )
    if prev_hash != last_hash:
        before = "the genesis hash" if last_seq == 0 else f"entry {last_seq}'s hash"
        return Break(
            seq,
            f"entry {seq}'s prev_hash does not match {before}: an entry before it was "
            "removed, inserted, reordered or rewritten",
        )
    if entry_hash(prev_hash, seq, at, kind, ref, data) != hash_:
        return Break(seq, f"entry {seq}'s hash does not match its contents: the entry was altered")
    return None


# -- reading from the store -----------------------------------------------------------

_COLUMNS = tuple(getattr(AuditEntry, name) for name in EXPORT_COLUMNS)


def stream(session: Session, *conditions) -> Iterator[Mapping]:
    """Entries as mappings in seq order, fetched in chunks (a server-side cursor on
    PostgreSQL) and never added to the session, so a long log does not sit in memory."""
    query = (
        select(*_COLUMNS)
        .where(*conditions)
        .order_by(AuditEntry.seq)
        .execution_options(yield_per=STREAM_CHUNK)
    )
    result = session.execute(query)
    try:
        for row in result:
            yield row._mapping
    finally:
        result.close()


def check_store(session: Session, checkpoints: Iterable[dict] = ()) -> Verification:
    """`check` over the whole log in the store."""
    with closing(stream(session)) as entries:  # a walk that stops early frees its cursor now
        return check(entries, checkpoints)


def verify_store(session: Session, checkpoints: Iterable[dict] = ()) -> Break | None:
    """`verify` over the whole log in the store, streamed."""
    return check_store(session, checkpoints).broken


def history(session: Session, ref: str) -> list[AuditEntry]:
    """Every entry about `ref`, oldest first."""
    return list(
        session.scalars(select(AuditEntry).where(AuditEntry.ref == ref).order_by(AuditEntry.seq))
    )
