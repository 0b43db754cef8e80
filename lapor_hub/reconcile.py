"""The hub's side of reconciliation: one connector's reports as digest entries,
their bucket digests, and the entries of one bucket.

Entries and digests come from `connector.digest`, the code the connector uses on
its own side, so the two can only differ where the data does. Only the five
columns an entry needs are read (never the report text): a connector may have
hundreds of thousands of reports. Not here: HTTP and parameter checks
(`audit_api.py`), classifying differences (the connector's `connector.reconcile`).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lapor_exchange.digest import Entry, buckets_for, digests

from .store import HubReport

# Wider than `buckets_for` picks: a caller may ask for any power of two in here.
MAX_BUCKETS = 65536


def is_bucket_count(buckets: int) -> bool:
    """A power of two from 1 to MAX_BUCKETS."""
    return 1 <= buckets <= MAX_BUCKETS and buckets & (buckets - 1) == 0


def entries(
    session: Session, connector_id: str, bucket: tuple[int, int] | None = None
) -> list[Entry]:
    """Every report of `connector_id` as a digest entry, in no particular order; with
    `bucket` (index, buckets), only that bucket's (picked in SQL by the stored key hash)."""
    query = select(
        HubReport.channel_id,
        HubReport.source_ref,
        HubReport.tracking_id,
        HubReport.status,
        HubReport.content_hash,
    ).where(HubReport.connector_id == connector_id)
    if bucket is not None:
        query = query.where(HubReport.key_hash % bucket[1] == bucket[0])
    return [Entry(*row) for row in session.execute(query)]


def digest(session: Session, connector_id: str, buckets: int | None = None) -> dict:
    """{"buckets", "count", "digests"} over `connector_id`'s reports; `buckets` defaults to
    `buckets_for(count)`. Raises ValueError for a bucket count `is_bucket_count` refuses."""
    found = entries(session, connector_id)
    buckets = buckets_for(len(found)) if buckets is None else _checked(buckets)
    return {"buckets": buckets, "count": len(found), "digests": digests(found, buckets)}


def bucket(session: Session, connector_id: str, index: int, buckets: int) -> dict:
    """{"bucket", "buckets", "entries"}: the entries of bucket `index` of `buckets`, in key
    order. Raises ValueError for a bad bucket count or an index outside 0..buckets-1."""
    if not 0 <= index < _checked(buckets):
        raise ValueError(f"bucket {index} is not one of 0..{buckets - 1}")
    found = sorted(entries(session, connector_id, (index, buckets)), key=lambda e: e.key)
    return {"bucket": index, "buckets": buckets, "entries": [entry.as_dict() for entry in found]}


def _checked(buckets: int) -> int:
    if not is_bucket_count(buckets):
        raise ValueError(f"{buckets} buckets: give a power of two from 1 to {MAX_BUCKETS}")
    return buckets
