"""The audit log: append-only and hash-chained, so that an auditor (Inspektorat,
Ombudsman) can prove that nothing was quietly removed or altered.

Every entry holds `seq` (1, 2, 3 … without gaps), `at` (UTC), `kind`, `ref` (what it is
about), `data` (ids and hashes) and `hash` = sha256 of the canonical JSON of
`[prev_hash, seq, at, kind, ref, data]`, where `prev_hash` is the previous entry's hash
(`GENESIS` for the first) and `at` is hashed as `at_text` (UTC, microseconds, `Z`).
Editing, removing, reordering or inserting an entry breaks the chain from that entry on;
truncating the tail or rewriting the whole chain consistently is caught by the
checkpoints (chain heads) the connector gives the hub. The database refuses UPDATE and
DELETE on `audit_log` (migration 0006); this module never tries.

What is written (kind: data), by the module that did it:
- `intake`: outcome (accepted | quarantined | revision | reply | ignored | duplicate | part | command),
  channel_id, external_id, payload_sha256.
- `normalized`: complaint id and content hash; `quarantined`: the problem paths (never the values).
- `delivered` / `dead`: outbox outcomes with the target, the outbox id and the tracking id or error code.
- `status`: a status update applied | superseded | parked, with its update id and status.
- `conflict`: the winning and losing update ids and the rule that decided.
- `reconciled` (a run and its counts), `finding` (one difference), `repair` (what was done).
- `operator`: a dead letter replayed or discarded, and by which command.
- `erased`: retention erased a payload or a report's personal data (which row, which hash).

Never personal data: no names, phone numbers, e-mail addresses, NIK or message texts.
`append` refuses values that look like an address, an Indonesian mobile number or a NIK
(`_check_no_personal_data`), so a careless caller fails in tests instead of leaking into a
log that can never be cleaned. Keys named like a mail Message-ID (`external_id`,
`message_id`, `source_ref`) and `ref` may hold the address-shaped `id@host` of a
Message-ID; phone numbers and NIK are refused everywhere.

Locking: `append` runs in the caller's transaction (so an entry exists exactly when what it
records was committed). On PostgreSQL it first takes a transaction-level advisory lock on a
fixed key, then reads the head: the next writer waits until this transaction commits and
then sees its entries. On SQLite every transaction starts with BEGIN IMMEDIATE, so the
transaction already holds the database's write lock. Either way the primary key on `seq`
turns any remaining race (a caller in a REPEATABLE READ snapshot taken before the lock)
into an error, never a fork.

Not here: posting checkpoints to the hub (reconciliation does it after a run) and the
auditor's commands (connector/cli_audit.py).
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import IO

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lapor_exchange.canonical import canonical_json
from .store.models import AuditEntry
from .timeutil import as_utc, utcnow

GENESIS = "0" * 64
# pg_advisory_xact_lock key that serializes appends; only this module uses it ("lapaudit").
CHAIN_LOCK_KEY = 0x6C61706175646974
STREAM_CHUNK = 1000
EXPORT_COLUMNS = ("seq", "at", "kind", "ref", "data", "prev_hash", "hash")
MAX_KIND = 40
MAX_REF = 600


# -- hashing --------------------------------------------------------------------------

def at_text(at: datetime | str) -> str:
    """The ISO 8601 UTC text an entry's time is hashed as: always microseconds and `Z`."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return as_utc(at).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(prev_hash: str, seq: int, at: datetime | str, kind: str, ref: str | None, data: dict) -> str:
    """sha256 hex of canonical_json([prev_hash, seq, at, kind, ref, data]). `at` should be
    `at_text(...)`; a datetime is turned into it."""
    if isinstance(at, datetime):
        at = at_text(at)
    return hashlib.sha256(canonical_json([prev_hash, seq, at, kind, ref, data]).encode("utf-8")).hexdigest()


# -- references -----------------------------------------------------------------------

def safe_id(value: str) -> str:
    """An id from outside (a source ref, a gateway's message id) as the log may hold it:
    itself, or `#` and its sha256 prefix when it looks like personal data (a portal that
    numbers reports with something shaped like a phone number must not stop intake)."""
    try:
        _check_value(value, "id", allow_message_id=True)
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
    row = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def append(session: Session, kind: str, ref: str | None, data: dict | None = None) -> AuditEntry:
    """Add one entry in the caller's open transaction. Raises ValueError for personal data
    or a value that is not plain JSON; nothing is written then."""
    return append_many(session, [(kind, ref, data)])[0]


def append_many(session: Session, events: list[tuple[str, str | None, dict | None]]) -> list[AuditEntry]:
    """Add several entries under one lock and one head read, in the order given."""
    checked = [_checked_event(kind, ref, data) for kind, ref, data in events]
    if not checked:
        return []
    _lock_chain(session)
    seq, prev = head(session)
    at = utcnow()  # taken under the lock, so times never go backwards along the chain
    entries = []
    for kind, ref, data in checked:
        seq += 1
        entry = AuditEntry(seq=seq, at=at, kind=kind, ref=ref, data=data, prev_hash=prev,
                           hash=entry_hash(prev, seq, at_text(at), kind, ref, data))
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
    session.info.setdefault(_PENDING, []).append(_checked_event(kind, ref, data))


def flush_pending(session: Session) -> None:
    """`before_commit` listener (connector.store.db): write what `record` noted."""
    events = session.info.pop(_PENDING, None)
    if events:
        append_many(session, events)


def forget_pending(session: Session) -> None:
    """`after_rollback` listener: a rolled-back transaction leaves no trace in the log."""
    session.info.pop(_PENDING, None)


def _lock_chain(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
    # SQLite: BEGIN IMMEDIATE (connector.store.db) already holds the write lock; the
    # head read below is what begins the transaction if nothing else has.


def _checked_event(kind, ref, data) -> tuple[str, str | None, dict]:
    # No message here repeats what it refuses: that may be the personal data.
    if not isinstance(kind, str) or not kind or len(kind) > MAX_KIND:
        raise ValueError(f"audit kind must be a name of 1 to {MAX_KIND} characters")
    if ref is not None and (not isinstance(ref, str) or not ref or len(ref) > MAX_REF):
        raise ValueError(f"audit ref must be None or a text of 1 to {MAX_REF} characters")
    if not isinstance(data, dict | None):
        raise ValueError("audit data must be a JSON object")
    _check_value(kind, "kind")
    if ref is not None:
        _check_value(ref, "ref", allow_message_id=True)
    _check_no_personal_data(data or {})  # first: the paths in _plain_json's messages hold keys
    return kind, ref, _plain_json(data or {}, "data")


def _plain_json(value, path: str):
    """`value` as it will come back from either database, so the hash still matches:
    tuples become lists; keys must be text; floats must be finite and print without an
    exponent (PostgreSQL's jsonb turns 1e+16 into 10000000000000000)."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"audit {path}: keys must be text")
        return {k: _plain_json(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= 1e16:
            raise ValueError(f"audit {path}: {value!r} does not survive storage unchanged; use an int or a text")
        return value + 0.0  # -0.0 is stored as 0
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise ValueError(f"audit {path}: {type(value).__name__} is not JSON")


# -- the personal-data guard ----------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")
# 08…, 628…, +62 8…: Indonesian mobile numbers, with the spaces, dots or dashes people type
# (not inside a longer number: 1.081.234.567 is an amount, 0.8123456 a fraction).
_PHONE = re.compile(r"(?<![\w+.])(?:\+62[ .-]?|62[ .-]?|0)8\d(?:[ .-]?\d){6,10}(?!\w)")
# NIK: 16 digits (as typed: maybe grouped with spaces, dots or dashes), then the structure:
# province (11-94), regency, district, day of birth (01-31, +40 for women), month, year, serial.
_SIXTEEN_DIGITS = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){15}(?![ .-]?\d|\w)")
_NIK = re.compile(r"(?:1[1-9]|[2-8]\d|9[0-4])\d{4}(?:0[1-9]|[12]\d|3[01]|4[1-9]|[56]\d|7[01])(?:0[1-9]|1[0-2])\d{6}")
# A mail Message-ID is `id-left@id-right`: the email channel's external ids look like addresses.
# Keys whose values embed a source reference, which for email is a Message-ID (id@host).
_MESSAGE_ID_KEYS = frozenset({"external_id", "message_id", "source_ref", "update_id", "key", "winner", "loser"})


def _check_no_personal_data(data, path: str = "data") -> None:
    """Raise ValueError naming the path of the first value (or key) that looks like an
    e-mail address, an Indonesian mobile number or a 16-digit NIK."""
    if isinstance(data, dict):
        for key, value in data.items():
            _check_value(str(key), f"{path}: a key")
            if isinstance(value, str) and key in _MESSAGE_ID_KEYS:
                _check_value(value, f"{path}.{key}", allow_message_id=True)
            else:
                _check_no_personal_data(value, f"{path}.{key}")
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            _check_no_personal_data(value, f"{path}[{i}]")
    elif isinstance(data, (str, int)) and not isinstance(data, bool):
        _check_value(str(data), path)


def _check_value(value: str, path: str, allow_message_id: bool = False) -> None:
    # The value itself is never put in the message: it is the personal data.
    if not allow_message_id and _EMAIL.search(value):
        raise ValueError(f"audit {path} looks like an e-mail address: the audit log must not hold personal data")
    if _PHONE.search(value):
        raise ValueError(f"audit {path} looks like a phone number: the audit log must not hold personal data")
    if any(_NIK.fullmatch(re.sub(r"\D", "", m.group())) for m in _SIXTEEN_DIGITS.finditer(value)):
        raise ValueError(f"audit {path} looks like a NIK: the audit log must not hold personal data")


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


def verify(entries: Iterable[AuditEntry | Mapping], checkpoints: Iterable[dict] = ()) -> Break | None:
    """The first break in `entries` (in seq order), or None. See `check`."""
    return check(entries, checkpoints).broken


def check(entries: Iterable[AuditEntry | Mapping], checkpoints: Iterable[dict] = ()) -> Verification:
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
        walk.broken = Break(beyond, f"the hub's checkpoint at entry {beyond} is beyond the last entry "
                                    f"({walk.seq}): the log was truncated")
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
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0 or not isinstance(hash_, str):
                return Break(None, f"checkpoint #{i + 1} is malformed: it needs an entry number and a hash")
            if seq == 0:  # the empty log's head
                if hash_ != GENESIS:
                    return Break(0, "the hub's checkpoint at entry 0 does not hold the genesis hash")
                self.matched += 1
            else:
                self.checkpoints.setdefault(seq, []).append(hash_)
        return None

    def step(self, entry) -> Break | None:
        fields, self.broken = _fields(entry, self.seq + 1)
        self.broken = self.broken or _link_break(fields, self.seq, self.hash) or self._checkpoint_break(fields)
        if not self.broken:
            self.count, self.seq, self.hash = self.count + 1, fields[0], fields[6]
        return self.broken

    def _checkpoint_break(self, fields: tuple) -> Break | None:
        seq, hash_ = fields[0], fields[6]
        for cp_hash in self.checkpoints.pop(seq, ()):
            if cp_hash != hash_:
                return Break(seq, f"the hub's checkpoint at entry {seq} has hash {cp_hash[:12]}… but the log has "
                                  f"{hash_[:12]}…: the log was rewritten after that checkpoint was given")
            self.matched += 1
        return None


def _fields(entry, expected: int) -> tuple[tuple, Break | None]:
    """(seq, at, kind, ref, data, prev_hash, hash) of an entry object or mapping."""
    get = entry.get if isinstance(entry, Mapping) else (lambda name: getattr(entry, name, None))
    seq, at, kind, ref, data, prev_hash, hash_ = (get(name) for name in EXPORT_COLUMNS)
    if not isinstance(seq, int) or isinstance(seq, bool):
        return (), Break(expected, f"the entry after entry {expected - 1} has no entry number")
    if not (isinstance(kind, str) and (ref is None or isinstance(ref, str)) and isinstance(data, dict)
            and isinstance(prev_hash, str) and isinstance(hash_, str)):
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
        return Break(seq, f"entry {seq} appears again after entry {last_seq}: entries were duplicated or reordered")
    if seq > expected:
        if last_seq == 0:
            return Break(expected, f"the log does not start at entry 1 (its first entry is {seq}): entries were removed")
        return Break(expected, f"entry {expected} is missing (entry {last_seq} is followed by entry {seq}): "
                               "entries were removed")
    if prev_hash != last_hash:
        before = "the genesis hash" if last_seq == 0 else f"entry {last_seq}'s hash"
        return Break(seq, f"entry {seq}'s prev_hash does not match {before}: an entry before it was "
                          "removed, inserted, reordered or rewritten")
    if entry_hash(prev_hash, seq, at, kind, ref, data) != hash_:
        return Break(seq, f"entry {seq}'s hash does not match its contents: the entry was altered")
    return None


# -- reading from the store -----------------------------------------------------------

_COLUMNS = tuple(getattr(AuditEntry, name) for name in EXPORT_COLUMNS)


def _stream(session: Session, *conditions) -> Iterator[Mapping]:
    """Entries as mappings in seq order, fetched in chunks (a server-side cursor on
    PostgreSQL) and never added to the session, so a long log does not sit in memory."""
    query = select(*_COLUMNS).where(*conditions).order_by(AuditEntry.seq).execution_options(yield_per=STREAM_CHUNK)
    result = session.execute(query)
    try:
        for row in result:
            yield row._mapping
    finally:
        result.close()


def check_store(session: Session, checkpoints: Iterable[dict] = ()) -> Verification:
    """`check` over the whole log in the store."""
    with closing(_stream(session)) as entries:  # a walk that stops early frees its cursor now
        return check(entries, checkpoints)


def verify_store(session: Session, checkpoints: Iterable[dict] = ()) -> Break | None:
    """`verify` over the whole log in the store, streamed."""
    return check_store(session, checkpoints).broken


def history(session: Session, ref: str) -> list[AuditEntry]:
    """Every entry about `ref`, oldest first."""
    return list(session.scalars(select(AuditEntry).where(AuditEntry.ref == ref).order_by(AuditEntry.seq)))


# -- export -----------------------------------------------------------------------------

def export(session: Session, out: IO[str], fmt: str, since: datetime | None = None, until: datetime | None = None) -> int:
    """Write the entries with since <= at < until (either bound optional) to `out` as
    `csv` (with a header; data as canonical JSON; no ref is an empty cell) or `jsonl`
    (one canonical JSON object a line). Times are written as hashed (`at_text`), so the
    file can be checked with `verify(read_export(...))`. Returns the entries written."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}: csv or jsonl")
    conditions = [AuditEntry.at >= _aware(since, "since")] if since else []
    conditions += [AuditEntry.at < _aware(until, "until")] if until else []
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in _stream(session, *conditions):
        record = dict(row, at=at_text(row["at"]))
        if writer:
            writer.writerow([*(record[c] for c in ("seq", "at", "kind")), record["ref"] or "",
                             canonical_json(record["data"]), record["prev_hash"], record["hash"]])
        else:
            out.write(canonical_json(record) + "\n")
        count += 1
    return count


def read_export(lines: Iterable[str], fmt: str) -> Iterator[dict]:
    """The entries of an `export` file, as mappings `verify` takes."""
    if fmt == "jsonl":
        yield from (json.loads(line) for line in lines if line.strip())
    elif fmt == "csv":
        for row in csv.DictReader(lines):
            yield {**row, "seq": int(row["seq"]), "ref": row["ref"] or None, "data": json.loads(row["data"])}
    else:
        raise ValueError(f"unknown export format {fmt!r}: csv or jsonl")


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return as_utc(value)
