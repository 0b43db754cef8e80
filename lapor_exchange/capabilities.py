"""Which parts of the exchange a hub offers, read from its own OpenAPI document.

The published document tags every operation: `core` (every hub has it) or one optional
capability (`updates-feed`, `status-push`, `reconcile-digests`, `audit-checkpoints`,
`statistics`). A hub offers a capability when its own document (`GET
/api/v1/openapi.json`) lists every operation of that tag, by path and method; tags and
operation ids in the hub's document are not relied on, nor are the names it gives path
parameters (`/reports/{id}` is `/reports/{tracking_id}`).

Not here: fetching the hub's document, or what a connector does without a capability.
"""

from __future__ import annotations

import re
from functools import lru_cache

from . import documents

CORE = "core"
UPDATES_FEED = "updates-feed"
STATUS_PUSH = "status-push"
RECONCILE_DIGESTS = "reconcile-digests"
AUDIT_CHECKPOINTS = "audit-checkpoints"
STATISTICS = "statistics"
OPTIONAL = (UPDATES_FEED, STATUS_PUSH, RECONCILE_DIGESTS, AUDIT_CHECKPOINTS, STATISTICS)
METHODS = ("get", "put", "post", "delete", "patch")


@lru_cache(maxsize=1)
def operations() -> dict[str, tuple[tuple[str, str], ...]]:
    """Tag → its operations as (METHOD, path), from the published document."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path, item in documents.openapi()["paths"].items():
        for method in METHODS:
            if method in item:
                for tag in item[method].get("tags", ()):
                    found.setdefault(tag, []).append((method.upper(), path))
    return {tag: tuple(ops) for tag, ops in found.items()}


def listed(document) -> set[tuple[str, str]]:
    """Every (METHOD, path shape) a hub's OpenAPI document lists; empty for anything malformed."""
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        return set()
    return {
        (method.upper(), _shape(path))
        for path, item in paths.items()
        if isinstance(item, dict)
        for method in METHODS
        if method in item
    }


def _key(operation: tuple[str, str]) -> tuple[str, str]:
    return operation[0], _shape(operation[1])


def _shape(path: str) -> str:
    return re.sub(r"\{[^}/]*\}", "{}", str(path))


def offered(document) -> frozenset[str]:
    """The capabilities (core included) whose every operation the document lists."""
    present = listed(document)
    return frozenset(
        tag for tag, ops in operations().items() if all(_key(op) in present for op in ops)
    )


def missing_operations(document, capability: str) -> list[tuple[str, str]]:
    """The operations of `capability` that the document does not list."""
    present = listed(document)
    return [op for op in operations()[capability] if _key(op) not in present]


def describe(capability: str) -> str:
    """'status-push (POST /api/v1/updates:batch)'."""
    return f"{capability} ({', '.join(f'{m} {p}' for m, p in operations()[capability])})"
