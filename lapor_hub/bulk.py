"""Load many reports into the hub's store at once, for tests and demos at scale.

`bulk_insert_reports` writes rows straight into `hub_reports` with Core inserts
(executemany, in chunks) and then gives every row without a tracking id the one
the hub would have issued (`store.tracking_id_for` of its row id) in a single
UPDATE. It is not the exchange: nothing is validated and the delivery log
(`hub_answers`) gets no rows, so `/stats` counts the reports but not their keys.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from itertools import islice

from sqlalchemy import Connection, Engine, insert, update
from sqlalchemy.orm import Session

from .exchange import INITIAL_STATUS
from .store import HubReport, tracking_id_sql

CHUNK = 5000
_REPORTS = HubReport.__table__


def bulk_insert_reports(
    bind: Session | Engine | Connection, rows: Iterable[dict], *, chunk: int = CHUNK
) -> int:
    """Insert `rows`, each a dict with connector_id, channel_id, source_ref, content_hash,
    report_json and optionally status (default the hub's first status), tracking_id
    and received_at (default now). Returns how many were inserted.

    With an Engine the rows are committed in one transaction of their own; with a
    Session or Connection they join its transaction and the caller commits. Raises
    KeyError for a row missing a field, IntegrityError for a key already stored.
    """
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            return _insert(connection, rows, chunk)
    return _insert(bind, rows, chunk)


def _insert(connection: Session | Connection, rows: Iterable[dict], chunk: int) -> int:
    now = datetime.now(timezone.utc)
    params = (_params(row, now) for row in rows)
    count = 0
    while batch := list(islice(params, chunk)):
        connection.execute(insert(_REPORTS), batch)
        count += len(batch)
    connection.execute(
        update(_REPORTS)
        .where(_REPORTS.c.tracking_id.is_(None))
        .values(tracking_id=tracking_id_sql(_REPORTS.c.id))
    )
    return count


def _params(row: dict, now: datetime) -> dict:
    return {
        "connector_id": row["connector_id"],
        "channel_id": row["channel_id"],
        "source_ref": row["source_ref"],
        "status": row.get("status") or INITIAL_STATUS,
        "content_hash": row["content_hash"],
        "report_json": row["report_json"],
        "tracking_id": row.get("tracking_id"),
        "received_at": row.get("received_at") or now,
        "status_at": None,
        "status_update_id": None,
    }
