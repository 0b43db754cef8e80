"""The connector's tables (SQLAlchemy 2.x). Schema changes go through Alembic
migrations in `migrations/versions/`; see docs/design.md for what each table means.

Personal data sits only in `IntakeItem.payload` and `Complaint.report`; no other
column may hold it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from connector.timeutil import utcnow


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC in Python; timestamptz on PostgreSQL, naive UTC text on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (
            value.replace(tzinfo=timezone.utc)
            if value.tzinfo is None
            else value.astimezone(timezone.utc)
        )


JSONType = JSON().with_variant(JSONB(), "postgresql")
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class IntakeItem(Base):
    """A raw inbound item as received. Immutable: written once, never updated."""

    __tablename__ = "intake_items"
    __table_args__ = (
        UniqueConstraint(
            "channel_id", "external_id", "payload_sha256", name="uq_intake_items_version"
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(512))
    payload_sha256: Mapped[str] = mapped_column(String(64))
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(100))
    meta: Mapped[dict] = mapped_column(JSONType, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    outcome: Mapped[str] = mapped_column(
        String(20)
    )  # accepted | quarantined | revision | reply | ignored | duplicate | part | command
    # A channel's content key (an SMS: sender and text) to catch the same message delivered
    # twice under two gateway ids within the channel's window.
    fingerprint: Mapped[str | None] = mapped_column(String(64), index=True)
    # Set when retention erased the payload (the only change the database allows; the
    # payload_sha256 stays, so the audit chain and what it proves are untouched).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Complaint(Base):
    """A normalized report (exchange schema v1) and what the hub made of it."""

    __tablename__ = "complaints"
    __table_args__ = (UniqueConstraint("channel_id", "source_ref", name="uq_complaints_source"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    source_ref: Mapped[str] = mapped_column(String(512))
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake_items.id"))
    report: Mapped[dict] = mapped_column(JSONType)
    content_hash: Mapped[str] = mapped_column(String(64))
    tracking_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str | None] = mapped_column(String(32))
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[dict] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    erased_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime
    )  # personal data removed by retention
    # The national status is set by the newest update either side made (connector.status.wins).
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status_update_id: Mapped[str | None] = mapped_column(String(200))
    # The source's own status code as last seen (portal), to tell a local change from none.
    local_status: Mapped[str | None] = mapped_column(String(100))
    # When the hub was last asked for this report's status (a hub without the updates feed
    # is polled report by report, the longest unasked first).
    hub_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxItem(Base):
    """Something to send exactly once (a report to the hub now; status updates and
    notifications later). Leaves `pending` only when its target has answered for it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(600), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    payload: Mapped[dict | None] = mapped_column(JSONType)
    # pending | inflight | delivered | dead | discarded | held (waiting for a capability the hub lacks)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error_code: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class StatusUpdate(Base):
    """One status change or follow-up, from the hub or from the region, as the exchange
    schema's status-update (in `payload`), with what it did here."""

    __tablename__ = "status_updates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    update_id: Mapped[str] = mapped_column(String(200), unique=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"), index=True)
    origin: Mapped[str] = mapped_column(String(8))  # hub | region
    status: Mapped[str | None] = mapped_column(String(32))
    source_status: Mapped[str | None] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # applied | superseded | noop | pending (region, waiting for the hub) | parked
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict] = mapped_column(JSONType)


class StatusConflict(Base):
    """Two updates from different sides where the older one lost (for the reconciliation log)."""

    __tablename__ = "status_conflicts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    winner_update_id: Mapped[str] = mapped_column(String(200))
    loser_update_id: Mapped[str] = mapped_column(String(200))
    rule: Mapped[str] = mapped_column(Text)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SentMessage(Base):
    """A message the connector sent to a citizen (acknowledgement, notification), by its
    Message-ID, so that a reply to it finds its complaint."""

    __tablename__ = "sent_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    event: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessagePart(Base):
    """One part of a multipart message a gateway delivered on its own (an SMS whose other
    parts had not arrived). Parts are put together when the set is complete, or with the
    gaps noted when it has waited long enough."""

    __tablename__ = "message_parts"
    __table_args__ = (
        UniqueConstraint(
            "channel_id", "sender", "ref", "total", "seq", "intake_id", name="uq_message_parts"
        ),
        Index("ix_message_parts_set", "channel_id", "sender", "ref", "total"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    sender: Mapped[str] = mapped_column(String(64))
    ref: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake_items.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="waiting")  # waiting | combined | late
    combined_ref: Mapped[str | None] = mapped_column(String(512))


class DeliveryReport(Base):
    """A delivery report from a gateway for something the connector sent (an SMS part)."""

    __tablename__ = "delivery_reports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id"), index=True)
    channel_id: Mapped[str] = mapped_column(String(64))
    part: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """One entry of the append-only, hash-chained audit log: what happened, to which
    reference, with ids and hashes only (never personal data). `hash` covers the entry and
    the previous entry's hash, so an edit, a removal or a reordering breaks the chain."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(40))
    ref: Mapped[str | None] = mapped_column(String(600), index=True)
    data: Mapped[dict] = mapped_column(JSONType)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class ReconcileRun(Base):
    """One comparison of this connector's store with the hub's view, and what it found."""

    __tablename__ = "reconcile_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    buckets: Mapped[int] = mapped_column(Integer, default=0)
    ours: Mapped[int] = mapped_column(Integer, default=0)
    theirs: Mapped[int] = mapped_column(Integer, default=0)
    differing_buckets: Mapped[int] = mapped_column(Integer, default=0)
    bytes_exchanged: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict] = mapped_column(JSONType, default=dict)
    repair: Mapped[bool] = mapped_column(Boolean, default=False)
    checkpoint_seq: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str | None] = mapped_column(Text)
    # digests (the hub's reconcile-digests capability) or listing (the core list, page by page)
    method: Mapped[str] = mapped_column(String(16), default="digests")


class ReconcileFinding(Base):
    """One difference a reconciliation run found, and what was done about it."""

    __tablename__ = "reconcile_findings"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconcile_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(
        String(32)
    )  # missing_at_hub | orphan | status_differs | content_differs | tracking_id_differs
    channel_id: Mapped[str] = mapped_column(String(64))
    source_ref: Mapped[str] = mapped_column(String(512))
    ours: Mapped[dict | None] = mapped_column(JSONType)
    theirs: Mapped[dict | None] = mapped_column(JSONType)
    repair: Mapped[str | None] = mapped_column(Text)


class HubCapability(Base):
    """What the hub offers, as its own OpenAPI document said when last read: one row per
    capability of the exchange contract (core included)."""

    __tablename__ = "hub_capabilities"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    offered: Mapped[bool] = mapped_column(Boolean)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Cursor(Base):
    """Where a pulling channel continues from. The value belongs to the channel."""

    __tablename__ = "cursors"

    channel_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class QuarantineItem(Base):
    """An inbound item that could not become a valid report, with every reason."""

    __tablename__ = "quarantine"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    intake_id: Mapped[int] = mapped_column(ForeignKey("intake_items.id"), unique=True)
    channel_id: Mapped[str] = mapped_column(String(64), index=True)
    external_id: Mapped[str] = mapped_column(String(512))
    problems: Mapped[list] = mapped_column(JSONType)
    state: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved | discarded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
