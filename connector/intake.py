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
from datetime import datetime
from threading import Event

from sqlalchemy import select, update

from .canonical import content_hash, sha256_bytes
from .channels.base import Channel, RawItem
from .counters import Counters
from .cursors import get_cursor, set_cursor
from .normalize import Normalized, Normalizer
from .outbox import enqueue_report
from .store.db import Store
from .store.models import Complaint, IntakeItem, QuarantineItem
from .sync import citizen_reply, derive_region_updates, known_updates, resolve_reply
from .timeutil import utcnow

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


def ingest(session, channel_id: str, items: list[RawItem], normalize: Normalizer, channel: Channel | None = None) -> IntakeStats:
    """Store `items` of one channel in the open transaction `session`. Never raises for bad input.
    `channel` (when given) sorts out noise and citizens' replies before anything is normalized."""
    stats = IntakeStats(received=len(items))
    ext_ids = {item.external_id for item in items}
    known_versions = set(session.execute(
        select(IntakeItem.external_id, IntakeItem.payload_sha256)
        .where(IntakeItem.channel_id == channel_id, IntakeItem.external_id.in_(ext_ids))
    ).all())
    known_complaints = set(session.scalars(
        select(Complaint.source_ref).where(Complaint.channel_id == channel_id, Complaint.source_ref.in_(ext_ids))
    ))
    accepted, quarantined, versions = [], [], []
    for item in items:
        digest = sha256_bytes(item.payload)
        if (item.external_id, digest) in known_versions:
            stats.duplicates += 1
            continue
        known_versions.add((item.external_id, digest))
        row = _intake_row(item, digest)
        versions.append(item)
        if item.external_id in known_complaints:
            row.outcome = "revision"
            stats.revisions += 1
            session.add(row)
            continue
        result = _first_version(session, channel, item, row, normalize, stats)
        session.add(row)
        if result is None:
            continue
        if result.ok:
            known_complaints.add(item.external_id)
            accepted.append((row, result))
        else:
            quarantined.append((row, result))
    session.flush()  # one batched INSERT per table; gives the rows their ids
    _add_complaints(session, channel_id, accepted)
    _add_quarantine(session, channel_id, quarantined)
    stats.accepted, stats.quarantined = len(accepted), len(quarantined)
    if normalize.profile.status is not None:
        stats.updates = _derive_updates(session, channel_id, [v for v in versions if v.external_id in known_complaints], normalize)
    return stats


def _first_version(session, channel: Channel | None, item: RawItem, row: IntakeItem, normalize: Normalizer,
                   stats: IntakeStats):
    """Decide what a never-seen item is: noise (ignored), a citizen's reply to an earlier
    report, or a new report (accepted or quarantined). Sets row.outcome; returns the
    Normalized result for a new report, None otherwise."""
    record, problems = normalize.read(item)
    if problems:
        row.outcome = "quarantined"
        return Normalized(None, problems)
    reason = channel.noise(record) if channel is not None else None
    if reason:
        row.outcome, row.meta = "ignored", {**row.meta, "ignored": reason}
        stats.ignored += 1
        return None
    ref = channel.reply_to(record) if channel is not None else None
    complaint = resolve_reply(session, ref) if ref is not None else None
    if complaint is not None:
        row.outcome = "reply"
        citizen_reply(session, complaint, f"{item.channel_id}/{item.external_id}/reply", ref, normalize.connector_id)
        stats.replies += 1
        return None
    result = normalize.map(item, record)
    row.outcome = "accepted" if result.ok else "quarantined"
    return result


def _derive_updates(session, channel_id: str, versions: list[RawItem], normalize: Normalizer) -> int:
    """Follow-ups and status changes in new record versions become region updates (connector.sync)."""
    if not versions:
        return 0
    complaints = {c.source_ref: c for c in session.scalars(select(Complaint).where(
        Complaint.channel_id == channel_id, Complaint.source_ref.in_({v.external_id for v in versions})))}
    known = known_updates(session, [c.id for c in complaints.values()])
    made = 0
    for item in versions:
        complaint = complaints[item.external_id]
        updated_at = datetime.fromisoformat(item.meta["updated_at"]) if item.meta.get("updated_at") else item.received_at
        made += derive_region_updates(session, complaint, normalize.parse(item), normalize.profile.status,
                                      normalize.connector_id, known[complaint.id], updated_at)
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
    )


def _add_complaints(session, channel_id: str, accepted) -> None:
    complaints = []
    for row, result in accepted:
        notes = {k: v for k, v in (("warnings", result.warnings), ("review", result.review)) if v}
        complaints.append(Complaint(
            channel_id=channel_id,
            source_ref=row.external_id,
            intake_id=row.id,
            report=result.report,
            content_hash=content_hash(result.report),
            needs_review=bool(result.review),
            notes=notes,
        ))
    session.add_all(complaints)
    session.flush()
    for complaint in complaints:
        enqueue_report(session, complaint)
    if accepted:
        # A record that was quarantined before and now comes good: its old entries are resolved.
        session.execute(
            update(QuarantineItem)
            .where(QuarantineItem.channel_id == channel_id, QuarantineItem.state == "open",
                   QuarantineItem.external_id.in_([row.external_id for row, _ in accepted]))
            .values(state="resolved", resolved_at=utcnow())
        )


def _add_quarantine(session, channel_id: str, quarantined) -> None:
    for row, result in quarantined:
        session.add(QuarantineItem(
            intake_id=row.id,
            channel_id=channel_id,
            external_id=row.external_id,
            problems=[p.as_dict() for p in result.problems],
        ))
        # Paths only: problem messages may quote values, and values may be personal data.
        log.warning("quarantined %s/%s: %s", channel_id, row.external_id, ", ".join(sorted({p.path for p in result.problems})))


def pull_channel(store: Store, channel: Channel, normalize: Normalizer, stop: Event | None = None) -> IntakeStats:
    """One pull cycle of a channel: fetch from its cursor, commit batch by batch, then acknowledge."""
    total = IntakeStats()
    with store.transaction() as session:
        cursor = get_cursor(session, channel.id)
    batches = channel.fetch(cursor)
    try:
        for batch in batches:
            with store.transaction() as session:
                stats = ingest(session, channel.id, batch.items, normalize, channel) if batch.items else IntakeStats()
                if batch.cursor is not None and batch.cursor != cursor:
                    set_cursor(session, channel.id, batch.cursor)
            channel.acknowledge(batch.items)
            total += stats
            if stats.received:
                log.info("%s: %d received, %d new, %d quarantined, %d repeats, %d revisions, %d replies, %d ignored",
                         channel.id, stats.received, stats.accepted, stats.quarantined, stats.duplicates, stats.revisions,
                         stats.replies, stats.ignored)
            if stop is not None and stop.is_set():
                break
    finally:
        close = getattr(batches, "close", None)
        if close is not None:
            close()  # a walk cut short leaves its cursor where it was
    return total
