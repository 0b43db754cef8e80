"""What the national hub offers, and keeping that knowledge current.

The hub is not ours: it implements the exchange contract's core and any of its optional
capabilities (`lapor_exchange.capabilities`). `HubCapabilities` holds what the hub's own
OpenAPI document listed when last read; `discover` reads it (at start and on a schedule),
keeps it in the store (`hub_capabilities`, shown by `lapor-connector status`) and logs one
line for each capability the hub lacks, saying what the connector does instead. When the
hub cannot be reached, the last known capabilities stay (or, never having read them, the
core alone): nothing optional is called on a guess.

Not here: what each stage does without a capability (delivery holds status updates,
status sync polls reports, reconciliation walks the listing, audit stays local).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from sqlalchemy import select

from connector.errors import ConnectorError
from connector.store.models import HubCapability
from connector.timeutil import utcnow
from lapor_exchange import capabilities as C

log = logging.getLogger(__name__)

# What the connector does when the hub lacks a capability, for the log and `status`.
INSTEAD = {
    C.UPDATES_FEED: "national updates are read report by report (GET /api/v1/reports/{tracking_id}), "
    "oldest first",
    C.STATUS_PUSH: "local follow-ups wait in the outbox (held) until the hub offers it",
    C.RECONCILE_DIGESTS: "reconciliation walks the report listing (GET /api/v1/reports)",
    C.AUDIT_CHECKPOINTS: "the audit log stays local (verified on this server only)",
    C.STATISTICS: "nothing uses it",
}


class HubCapabilities:
    """The capabilities the hub offers, as last read; thread-safe, updated in place."""

    def __init__(self, offered=(C.CORE,), checked_at: datetime | None = None):
        self._lock = threading.Lock()
        self._offered = frozenset(offered) | {C.CORE}
        self.checked_at = checked_at

    def has(self, capability: str) -> bool:
        with self._lock:
            return capability in self._offered

    @property
    def offered(self) -> frozenset[str]:
        with self._lock:
            return self._offered

    @property
    def missing(self) -> list[str]:
        offered = self.offered
        return [c for c in C.OPTIONAL if c not in offered]

    def set(self, offered, checked_at: datetime) -> None:
        with self._lock:
            self._offered = frozenset(offered) | {C.CORE}
            self.checked_at = checked_at

    def describe(self) -> str:
        offered = ", ".join(c for c in (C.CORE, *C.OPTIONAL) if c in self.offered)
        missing = ", ".join(self.missing)
        return offered + (f"; not offered: {missing}" if missing else "")


def load(session) -> HubCapabilities | None:
    """What the store knows from the last successful read; None if never read."""
    rows = list(session.scalars(select(HubCapability)))
    if not rows:
        return None
    return HubCapabilities([r.name for r in rows if r.offered], max(r.checked_at for r in rows))


def save(session, caps: HubCapabilities) -> None:
    known = {r.name: r for r in session.scalars(select(HubCapability))}
    for name in (C.CORE, *C.OPTIONAL):
        row = known.get(name) or HubCapability(name=name)
        row.offered, row.checked_at = caps.has(name), caps.checked_at
        session.add(row)


def discover(store, hub, caps: HubCapabilities, announce: bool = False) -> bool:
    """Read the hub's OpenAPI document into `caps` and the store. True if it was read.

    Logs a change (and, with `announce`, every missing capability) one line each. On
    failure `caps` keeps what it had, loaded from the store the first time."""
    before = caps.offered if caps.checked_at else None
    try:
        document = hub.document()
    except ConnectorError as exc:
        if caps.checked_at is None:
            with store.transaction() as session:
                known = load(session)
            if known is not None:
                caps.set(known.offered, known.checked_at)
        log.warning("hub capabilities not read (%s): %s; using %s", exc.code, exc, caps.describe())
        return False
    offered = C.offered(document)
    if C.CORE not in offered:
        missing = ", ".join(f"{m} {p}" for m, p in C.missing_operations(document, C.CORE))
        log.error(
            "the hub's OpenAPI document lacks core operations of the exchange contract: %s", missing
        )
    caps.set(offered, utcnow())
    with store.transaction() as session:
        save(session, caps)
    if announce or (before is not None and before != caps.offered):
        for capability in caps.missing:
            log.warning("hub does not offer %s: %s", C.describe(capability), INSTEAD[capability])
        if before is not None and before != caps.offered:
            log.warning("hub capabilities changed: %s", caps.describe())
    return True
