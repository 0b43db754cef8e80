"""Canonical JSON and content hashes, shared by the connector and the reference hub.

Both sides hash a report the same way, so "same content" means the same bytes:
keys sorted, no insignificant white space, UTF-8, no ASCII escaping.
"""

from __future__ import annotations

import hashlib
import json


def canonical_json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def content_hash(value) -> str:
    """sha256 hex of the canonical JSON of `value`."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
