"""The reference hub's own store: the reports it accepted, its delivery log, the
status updates of those reports from either side, and the audit checkpoints the
connectors gave it.

Four tables with their own `DeclarativeBase` (nothing shared with the connector's
store), created with `create_all` when the hub starts; the reference hub has no
migrations, so a store made by an older hub is refused with `OldStoreError`
rather than failing on its first query. Works on SQLite (WAL, busy timeout) and
PostgreSQL (psycopg). Not here: what a batch means (`exchange.py`, `updates.py`),
HTTP (`app.py`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    BigInteger,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    cast,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import StaticPool

from lapor_exchange.digest import key_hash

# Tracking ids are opaque strings to everyone else; here they are the row id
# plus an offset, so the first ones have 7 digits like LAPOR!'s old ids.
_TRACKING_OFFSET = 1_000_000
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The largest row id or seq a column can hold (SQLite and PostgreSQL alike): a number
# past it in a request names nothing stored, and binding it would raise OverflowError.
MAX_BIGINT = 2**63 - 1
_FEED_LOCK_KEY = 0x4C41504F52  # "LAPOR": any constant the hub alone uses
# SQLite autoincrements only a column declared INTEGER PRIMARY KEY.
_BIG_ID = BigInteger().with_variant(Integer(), "sqlite")


class OldStoreError(RuntimeError):
    """The store was made by an older reference hub and lacks columns this one needs."""


def tracking_id_for(row_id: int) -> str:
    return str(_TRACKING_OFFSET + row_id)


def tracking_id_sql(row_id):
    """`tracking_id_for` as an SQL expression over a row-id column, for set-based writes."""
    return cast(row_id + _TRACKING_OFFSET, String)


def row_id_for(tracking_id: str) -> int | None:
    """The row id behind one of our tracking ids, or None if it cannot be one (not
    digits, or past the largest row id a BIGINT column holds)."""
    if not tracking_id.isascii() or not tracking_id.isdigit():
        return None
    row_id = int(tracking_id) - _TRACKING_OFFSET
    return row_id if row_id <= MAX_BIGINT else None


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (
            value.replace(tzinfo=timezone.utc)
            if value.tzinfo is None
            else value.astimezone(timezone.utc)
        )


class Base(DeclarativeBase):
    pass


def _key_hash_default(context) -> int:
    row = context.get_current_parameters()
    return key_hash(row["channel_id"], row["source_ref"])


class HubReport(Base):
    """One accepted report, unique on its source triple. The report is kept as
    canonical JSON so its content hash can be recomputed from the stored text."""

    __tablename__ = "hub_reports"
    # AUTOINCREMENT: SQLite would otherwise hand a deleted last row's id (and so its
    # tracking id) to the next report; a removed report's tracking id stays retired.
    __table_args__ = (
        UniqueConstraint("connector_id", "channel_id", "source_ref", name="uq_hub_reports_source"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    # Set in the same transaction right after the insert (it derives from the row id).
    tracking_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    connector_id: Mapped[str] = mapped_column(String(64))
    channel_id: Mapped[str] = mapped_column(String(64))
    source_ref: Mapped[str] = mapped_column(String(512))
    status: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))
    report_json: Mapped[str] = mapped_column(Text)
    # When the current status was set (the occurred_at of the update that set it) and
    # by which update; both null while the report keeps the status it was created with.
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_update_id: Mapped[str | None] = mapped_column(String(200))
    # digest.key_hash of (channel_id, source_ref): reconciliation picks a bucket in SQL.
    key_hash: Mapped[int] = mapped_column(BigInteger, default=_key_hash_default)


class HubAnswer(Base):
    """The hub's delivery log: one row per per-item answer it gave, in any outcome."""

    __tablename__ = "hub_answers"
    __table_args__ = (Index("ix_hub_answers_connector_outcome", "connector_id", "outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    connector_id: Mapped[str] = mapped_column(String(64))
    # Null when a rejected report did not carry a usable key.
    channel_id: Mapped[str | None] = mapped_column(String(64))
    source_ref: Mapped[str | None] = mapped_column(String(512))
    outcome: Mapped[str] = mapped_column(String(16))
    tracking_id: Mapped[str | None] = mapped_column(String(32))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class HubUpdate(Base):
    """One status update the hub recorded (outcome applied, stale or noop), from
    either side. `seq` orders them as the hub recorded them; the feed pages on it.
    Update ids are unique per connector: two regions may pick the same id."""

    __tablename__ = "hub_updates"
    __table_args__ = (
        UniqueConstraint("connector_id", "update_id", name="uq_hub_updates_update_id"),
        Index("ix_hub_updates_feed", "connector_id", "origin", "seq"),
        Index("ix_hub_updates_report", "report_id", "seq"),
        # A reused seq would hide an update from a connector that paged past it.
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    update_id: Mapped[str] = mapped_column(String(200))
    report_id: Mapped[int] = mapped_column(ForeignKey("hub_reports.id"))
    # The report's connector: the sender of a region update, the addressee of a hub one.
    connector_id: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(8))
    status: Mapped[str | None] = mapped_column(String(32))
    source_status: Mapped[str | None] = mapped_column(String(100))
    actor: Mapped[str] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    # sha256 of the canonical JSON of the update as received: "same update" for a resend.
    content_hash: Mapped[str] = mapped_column(String(64))


class HubCheckpoint(Base):
    """The head of a connector's audit chain as the connector reported it: `seq` and
    `hash` of its newest entry, and `at`, when that entry was made. Never changed
    once stored, so a connector that later rewrites its chain cannot hide it."""

    __tablename__ = "hub_checkpoints"

    connector_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


def open_store(url: str) -> Engine:
    """An engine for `url` with the hub's tables created. Raises OldStoreError."""
    engine = _engine(url)
    Base.metadata.create_all(engine)
    _check_columns(engine)
    return engine


def _check_columns(engine: Engine) -> None:
    """create_all adds missing tables but never columns: say so plainly instead of
    letting the first query fail on a column an older hub did not have."""
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        missing = {c.name for c in table.columns} - {
            c["name"] for c in inspector.get_columns(table.name)
        }
        if missing:
            engine.dispose()
            raise OldStoreError(
                f"table {table.name} lacks {', '.join(sorted(missing))}: this store was made by an "
                f"older reference hub, which has no migrations; remove it or point store.url elsewhere"
            )


def begin_writing(session: Session, *, feed: bool = False) -> None:
    """Serialize what must not interleave, at the start of a writing transaction.

    SQLite: take the write lock before the first lookup, so no other writer can add a
    key between the lookup and the insert (SQLite has one writer anyway). PostgreSQL,
    when the transaction adds to the feed: one transaction-level advisory lock, so feed
    rows commit in seq order; otherwise a reader could see seq 11 before seq 10
    commits, page past it and never see 10.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))
    elif feed and dialect == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK_KEY})


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if url in ("sqlite://", "sqlite:///:memory:"):
        # One shared connection, or each thread would see its own empty database.
        engine = create_engine(
            url,
            poolclass=StaticPool,
            hide_parameters=True,
            connect_args={"check_same_thread": False},
        )
    else:
        engine = create_engine(
            url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
