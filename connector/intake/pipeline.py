"""Intake: store every inbound item as received, then turn it into a complaint
(with its outbox row) or a quarantine entry, all in one transaction per batch.

Order of events for a batch, and why:
1. drop exact repeats (same channel, external id and payload hash): a page twice,
   a record on two pages, a re-fetch after a crash;
2. store each new item in `intake_items` with its outcome;
3. a valid first version becomes a `Complaint` and an `OutboxItem` for the hub;
   an invalid one gets a `QuarantineItem` with every problem; a later version of
   a record that is already a complaint is kept as a `revision`;
4. the channel's cursor is written in the same transaction;
5. only after the commit is the source acknowledged.

Lookups are done per batch (one query each), not per record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import Event

from sqlalchemy import select, update

from connector import audit
from connector.channels.base import Channel, RawItem
from connector.citizens import parts
from connector.citizens.conversation import (
    answer_command,
    citizen_reply,
    reply_update_id,
    resolve_reply,
)
from connector.citizens.notify import enqueue_answer
from connector.intake.normalize import Normalized, Normalizer
from connector.outbox.queue import enqueue_report
from connector.store.cursors import get_cursor, set_cursor
from connector.store.db import Store
from connector.store.models import Complaint, IntakeItem, QuarantineItem
from connector.support.counters import Counters
from connector.sync.updates import derive_region_updates, known_updates
from connector.timeutil import as_utc, utcnow
from lapor_exchange.canonical import content_hash, sha256_bytes

log = logging.getLogger(__name__)


@dataclass
class IntakeStats(Counters):
    received: int = 0
    duplicates: int = 0
    accepted: int = 0
    quarantined: int = 0
    revisions: int = 0
    updates: int = 0
    ignored: int = 0
    replies: int = 0
    commands: int = 0
    parts: int = 0


def ingest(
    session,
    channel_id: str,
    items: list[RawItem],
    normalize: Normalizer,
    channel: Channel | None = None,
) -> IntakeStats:
    """Store `items` of one channel in the open transaction `session`. Never raises for bad input.
    `channel` (when given) sorts out noise, commands, multipart pieces and citizens' replies
    before anything is normalized."""
    stats = IntakeStats(received=len(items))
    ext_ids = {item.external_id for item in items}
    stored = session.execute(
        select(IntakeItem.external_id, IntakeItem.payload_sha256, IntakeItem.outcome).where(
            IntakeItem.channel_id == channel_id, IntakeItem.external_id.in_(ext_ids)
        )
    ).all()
    known_versions = {(ext, digest) for ext, digest, _ in stored}
    # Handled before (anything but a quarantined version, which a corrected one may replace).
    handled = {ext for ext, _, outcome in stored if outcome != "quarantined"}
    repeats = _recent_fingerprints(
        session, channel_id, items, getattr(channel, "dedup_window_s", 0)
    )
    decide = _Decider(session, channel_id, channel, normalize, stats)
    versions = []
    for item in items:
        digest = sha256_bytes(item.payload)
        if (item.external_id, digest) in known_versions:
            stats.duplicates += 1
            continue
        known_versions.add((item.external_id, digest))
        row = _intake_row(item, digest)
        versions.append(item)
        if item.external_id in handled:
            row.outcome = "revision"
            stats.revisions += 1
        elif repeats.seen(item):
            row.outcome = "duplicate"
            stats.duplicates += 1
        else:
            decide(item, row)
            handled.add(item.external_id)
        session.add(row)
        decide.rows.append(row)
    session.flush()  # one batched INSERT per table; gives the rows their ids
    decide.finish()
    if normalize.profile.status is not None:
        complaint_refs = set(
            session.scalars(
                select(Complaint.source_ref).where(
                    Complaint.channel_id == channel_id,
                    Complaint.source_ref.in_({v.external_id for v in versions}),
                )
            )
        )
        stats.updates = _derive_updates(
            session, channel_id, [v for v in versions if v.external_id in complaint_refs], normalize
        )
    return stats


class _Recent:
    """Fingerprints of a channel's items within its window, to catch a message delivered twice."""

    def __init__(self, rows: list[tuple[str, datetime]], window_s: float):
        self.rows, self.window_s = list(rows), window_s

    def seen(self, item: RawItem) -> bool:
        if not item.fingerprint or not self.window_s:
            return False
        at = as_utc(item.received_at)
        hit = any(
            fp == item.fingerprint and abs((as_utc(t) - at).total_seconds()) <= self.window_s
            for fp, t in self.rows
        )
        self.rows.append((item.fingerprint, at))
        return hit


def _recent_fingerprints(
    session, channel_id: str, items: list[RawItem], window_s: float
) -> _Recent:
    fingerprints = {i.fingerprint for i in items if i.fingerprint}
    if not fingerprints or not window_s:
        return _Recent([], window_s)
    since = min(as_utc(i.received_at) for i in items) - timedelta(seconds=window_s)
    rows = session.execute(
        select(IntakeItem.fingerprint, IntakeItem.received_at).where(
            IntakeItem.channel_id == channel_id,
            IntakeItem.fingerprint.in_(fingerprints),
            IntakeItem.received_at >= since,
        )
    ).all()
    return _Recent(rows, window_s)


class _Decider:
    """What a never-seen item is, in this order: unreadable (quarantined), noise (ignored,
    perhaps answered), a piece of a multipart message (kept until its set is whole), a
    command (answered), a citizen's reply on their report, or a new report (accepted or
    quarantined). Sets the intake row's outcome; `finish()` writes complaints, outbox rows
    and quarantine entries once the rows have their ids."""

    def __init__(
        self,
        session,
        channel_id: str,
        channel: Channel | None,
        normalize: Normalizer,
        stats: IntakeStats,
    ):
        self.session, self.channel_id, self.channel, self.normalize, self.stats = (
            session,
            channel_id,
            channel,
            normalize,
            stats,
        )
        self.accepted, self.quarantined, self.parts, self.rows = [], [], [], []

    def __call__(self, item: RawItem, row: IntakeItem) -> None:
        record, problems = self.normalize.read(item)
        if problems:
            self._result(row, Normalized(None, problems))
            return
        part = self.channel.part_of(record) if self.channel is not None else None
        if part is not None:
            row.outcome = "part"
            self.parts.append((row, part))
            return
        self.decide_record(item, row, record)

    def decide_record(self, item: RawItem, row: IntakeItem, record: dict) -> None:
        channel = self.channel
        noise = channel.noise(record) if channel is not None else None
        if noise is not None:
            row.outcome, row.meta = "ignored", {**row.meta, "ignored": noise.reason}
            self.stats.ignored += 1
            self._answer(item, record, noise.answer, "help")
            return
        command = channel.command(record) if channel is not None else None
        # None: the words that might have named a report name none, and the message reads as a report
        answer = (
            answer_command(self.session, command, channel.reply_address(record))
            if command is not None
            else None
        )
        if answer is not None:
            row.outcome = "command"
            self.stats.commands += 1
            self._answer(item, record, answer, command.kind)
            return
        ref = channel.reply_to(record) if channel is not None else None
        complaint = resolve_reply(self.session, ref, item.channel_id) if ref is not None else None
        if complaint is not None:
            row.outcome = "reply"
            citizen_reply(
                self.session,
                complaint,
                reply_update_id(item.channel_id, item.external_id),
                ref,
                self.normalize.connector_id,
            )
            self.stats.replies += 1
            return
        self._result(row, self.normalize.map(item, record))

    def _result(self, row: IntakeItem, result: Normalized) -> None:
        row.outcome = "accepted" if result.ok else "quarantined"
        (self.accepted if result.ok else self.quarantined).append((row, result))

    def _answer(self, item: RawItem, record: dict, text: str | None, kind: str) -> None:
        to = self.channel.reply_address(record) if self.channel is not None else None
        if text and to and self.channel.can_notify:
            enqueue_answer(
                self.session,
                item.channel_id,
                to,
                text,
                f"answer/{item.channel_id}/{item.external_id}/{kind}",
            )

    def finish(self) -> None:
        for row, part in self.parts:
            self.stats.parts += 1
            combined = parts.store_part(
                self.session, row, part, self.read_row, self.normalize.connector_id
            )
            if combined is not None:
                self.combined(*combined)
        self.flush_results()

    def read_row(self, row: IntakeItem) -> dict | None:
        """A stored piece's record, read again from its raw payload."""
        item = RawItem(
            row.channel_id, row.external_id, row.payload, row.media_type, row.received_at, row.meta
        )
        record, problems = self.normalize.read(item)
        return None if problems else record

    def combined(self, item: RawItem, row: IntakeItem, records: list[dict | None]) -> None:
        """Decide a whole (or given up on) multipart set as one message."""
        record = self.channel.combine(records, item.channel_id)
        self.decide_record(
            item, row, record
        )  # before the insert: intake rows never change after it
        self.session.add(row)
        self.rows.append(row)

    def audit(self) -> None:
        """Every stored item, by its reference, outcome and hash (never its content)."""
        for row in self.rows:
            audit.record(
                self.session,
                "intake",
                audit.ref_of(row.channel_id, row.external_id),
                {
                    "external_id": audit.safe_id(row.external_id),
                    "outcome": row.outcome,
                    "sha256": row.payload_sha256,
                    "media_type": row.media_type,
                },
            )
        self.rows = []

    def flush_results(self) -> None:
        self.session.flush()
        self.audit()
        for row, result in self.accepted:
            audit.record(
                self.session,
                "normalized",
                audit.ref_of(self.channel_id, row.external_id),
                {"content_hash": content_hash(result.report), "review": bool(result.review)},
            )
        for row, result in self.quarantined:
            audit.record(
                self.session,
                "quarantined",
                audit.ref_of(self.channel_id, row.external_id),
                {"problems": sorted({p.path for p in result.problems})},
            )
        _add_complaints(self.session, self.channel_id, self.accepted)
        _add_quarantine(self.session, self.channel_id, self.quarantined)
        self.stats.accepted += len(self.accepted)
        self.stats.quarantined += len(self.quarantined)
        self.accepted, self.quarantined = [], []


def _derive_updates(
    session, channel_id: str, versions: list[RawItem], normalize: Normalizer
) -> int:
    """Follow-ups and status changes in new record versions become region updates (connector.sync)."""
    if not versions:
        return 0
    complaints = {
        c.source_ref: c
        for c in session.scalars(
            select(Complaint).where(
                Complaint.channel_id == channel_id,
                Complaint.source_ref.in_({v.external_id for v in versions}),
            )
        )
    }
    known = known_updates(session, [c.id for c in complaints.values()])
    made = 0
    for item in versions:
        complaint = complaints[item.external_id]
        updated_at = (
            datetime.fromisoformat(item.meta["updated_at"])
            if item.meta.get("updated_at")
            else item.received_at
        )
        made += derive_region_updates(
            session,
            complaint,
            normalize.parse(item),
            normalize.profile.status,
            normalize.connector_id,
            known[complaint.id],
            updated_at,
        )
    return made


def _intake_row(item: RawItem, digest: str) -> IntakeItem:
    return IntakeItem(
        channel_id=item.channel_id,
        external_id=item.external_id,
        payload_sha256=digest,
        payload=item.payload,
        media_type=item.media_type,
        meta=item.meta,
        received_at=item.received_at,
        fingerprint=item.fingerprint,
    )


def _add_complaints(session, channel_id: str, accepted) -> None:
    complaints = []
    for row, result in accepted:
        notes = {k: v for k, v in (("warnings", result.warnings), ("review", result.review)) if v}
        complaints.append(
            Complaint(
                channel_id=channel_id,
                source_ref=row.external_id,
                intake_id=row.id,
                report=result.report,
                content_hash=content_hash(result.report),
                needs_review=bool(result.review),
                notes=notes,
            )
        )
    session.add_all(complaints)
    session.flush()
    for complaint in complaints:
        enqueue_report(session, complaint)
    if accepted:
        # A record that was quarantined before and now comes good: its old entries are resolved.
        session.execute(
            update(QuarantineItem)
            .where(
                QuarantineItem.channel_id == channel_id,
                QuarantineItem.state == "open",
                QuarantineItem.external_id.in_([row.external_id for row, _ in accepted]),
            )
            .values(state="resolved", resolved_at=utcnow())
        )


def _add_quarantine(session, channel_id: str, quarantined) -> None:
    for row, result in quarantined:
        session.add(
            QuarantineItem(
                intake_id=row.id,
                channel_id=channel_id,
                external_id=row.external_id,
                problems=[p.as_dict() for p in result.problems],
            )
        )
        # Paths only: problem messages may quote values, and values may be personal data.
        log.warning(
            "quarantined %s/%s: %s",
            channel_id,
            row.external_id,
            ", ".join(sorted({p.path for p in result.problems})),
        )


def sweep_parts(
    store: Store, channel: Channel, normalize: Normalizer, timeout_s: float
) -> IntakeStats:
    """Put together multipart sets that waited longer than `timeout_s`, gaps noted (a job)."""
    stats = IntakeStats()
    with store.transaction() as session:
        decide = _Decider(session, channel.id, channel, normalize, stats)
        for combined in parts.stale_sets(session, channel.id, timeout_s, decide.read_row):
            decide.combined(*combined)
        decide.flush_results()
    return stats


def receive_items(
    store: Store, channel: Channel, normalize: Normalizer, items: list[RawItem]
) -> IntakeStats:
    """Push: store what a source sent us, in one transaction, before we answer it."""
    with store.transaction() as session:
        return ingest(session, channel.id, items, normalize, channel)


def pull_channel(
    store: Store, channel: Channel, normalize: Normalizer, stop: Event | None = None
) -> IntakeStats:
    """One pull cycle of a channel: fetch from its cursor, commit batch by batch, then acknowledge."""
    total = IntakeStats()
    with store.transaction() as session:
        cursor = get_cursor(session, channel.id)
    batches = channel.fetch(cursor)
    try:
        for batch in batches:
            with store.transaction() as session:
                stats = (
                    ingest(session, channel.id, batch.items, normalize, channel)
                    if batch.items
                    else IntakeStats()
                )
                if batch.cursor is not None and batch.cursor != cursor:
                    set_cursor(session, channel.id, batch.cursor)
            channel.acknowledge(batch.items)
            total += stats
            if stats.received:
                log.info(
                    "%s: %d received, %d new, %d quarantined, %d repeats, %d revisions, %d replies, %d ignored",
                    channel.id,
                    stats.received,
                    stats.accepted,
                    stats.quarantined,
                    stats.duplicates,
                    stats.revisions,
                    stats.replies,
                    stats.ignored,
                )
            if stop is not None and stop.is_set():
                break
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # a walk cut short leaves its cursor where it was
    return total
