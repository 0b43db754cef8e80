"""The reference hub's own store: the reports it accepted and its delivery log.

Two tables with their own `DeclarativeBase` (nothing shared with the connector's
store), created with `create_all` when the hub starts; the reference hub has no
migrations. Works on SQLite (WAL, busy timeout) and PostgreSQL (psycopg).
Not here: what a batch means (`exchange.py`), HTTP (`app.py`).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    DateTime,
    Engine,
    Index,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.pool import StaticPool

# Tracking ids are opaque strings to everyone else; here they are the row id
# plus an offset, so the first ones have 7 digits like LAPOR!'s old ids.
_TRACKING_OFFSET = 1_000_000
SQLITE_BUSY_TIMEOUT_MS = 10_000


def tracking_id_for(row_id: int) -> str:
    return str(_TRACKING_OFFSET + row_id)


def row_id_for(tracking_id: str) -> int | None:
    """The row id behind one of our tracking ids, or None if it cannot be one."""
    if not tracking_id.isascii() or not tracking_id.isdigit():
        return None
    return int(tracking_id) - _TRACKING_OFFSET


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    pass


class HubReport(Base):
    """One accepted report, unique on its source triple. The report is kept as
    canonical JSON so its content hash can be recomputed from the stored text."""

    __tablename__ = "hub_reports"
    __table_args__ = (UniqueConstraint("connector_id", "channel_id", "source_ref", name="uq_hub_reports_source"),)

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


def open_store(url: str) -> Engine:
    """An engine for `url` with the hub's tables created."""
    engine = _engine(url)
    Base.metadata.create_all(engine)
    return engine


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if url in ("sqlite://", "sqlite:///:memory:"):
        # One shared connection, or each thread would see its own empty database.
        engine = create_engine(url, poolclass=StaticPool, hide_parameters=True, connect_args={"check_same_thread": False})
    else:
        engine = create_engine(url, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()
