"""The reconciliation digest, computed the same way by the connector and the hub.

Each side lists its reports as entries (natural key: channel id and source ref; plus
tracking id, national status and content hash). An entry falls in the bucket given by
a hash of its key; a bucket's digest is a hash of its entries in key order. Two sides
that agree exchange only the bucket digests; a bucket whose digests differ is listed in
full and compared entry by entry.

Not here: fetching the hub's side, classifying differences (`connector.reconcile`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

DIGEST_CHARS = 16  # 64 bits a bucket: plenty to tell buckets apart, small on the wire
MIN_BUCKETS, MAX_BUCKETS = 16, 4096


@dataclass(frozen=True)
class Entry:
    channel_id: str
    source_ref: str
    tracking_id: str | None
    status: str | None
    content_hash: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.channel_id, self.source_ref)

    def line(self) -> str:
        return "\x1f".join(
            [
                self.channel_id,
                self.source_ref,
                self.tracking_id or "",
                self.status or "",
                self.content_hash,
            ]
        )

    def as_dict(self) -> dict:
        return {
            "channel_id": self.channel_id,
            "source_ref": self.source_ref,
            "tracking_id": self.tracking_id,
            "status": self.status,
            "content_hash": self.content_hash,
        }


def buckets_for(count: int) -> int:
    """A power of two near count/100 (about a hundred reports a bucket), within limits."""
    n = MIN_BUCKETS
    while n < MAX_BUCKETS and n * 100 < count:
        n *= 2
    return n


def key_hash(channel_id: str, source_ref: str) -> int:
    """A 56-bit number from the natural key (positive in any signed 64-bit column, so a
    store can keep it and pick a bucket in SQL: `key_hash % buckets`)."""
    key = f"{channel_id}\x1f{source_ref}".encode("utf-8")
    return int.from_bytes(hashlib.sha256(key).digest()[1:8], "big")


def bucket_of(channel_id: str, source_ref: str, buckets: int) -> int:
    return key_hash(channel_id, source_ref) % buckets


def digests(entries, buckets: int) -> list[str]:
    """One digest per bucket (an empty bucket has the digest of nothing)."""
    lines: list[list[str]] = [[] for _ in range(buckets)]
    for entry in entries:
        lines[bucket_of(entry.channel_id, entry.source_ref, buckets)].append(entry.line())
    return [
        hashlib.sha256("\n".join(sorted(b)).encode("utf-8")).hexdigest()[:DIGEST_CHARS]
        for b in lines
    ]


def in_bucket(entries, bucket: int, buckets: int) -> list[Entry]:
    return sorted(
        (e for e in entries if bucket_of(e.channel_id, e.source_ref, buckets) == bucket),
        key=lambda e: e.key,
    )
