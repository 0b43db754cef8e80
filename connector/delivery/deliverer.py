"""Delivery: send due outbox items along their routes and record each item's outcome.

A `Route` is one (kind, target) pair: reports to the hub, status updates to the
hub, national updates pushed to a portal. The loop is the same for all: claim a
batch (a complaint's items only in the order they were written), let the route
load and send it, then record per item in one transaction: delivered, dead (with
the reason, the rest of the batch is not held up) or retry later. A transient
failure puts the items back with a backoff (Retry-After honoured) and pauses the
whole target until then; the attempt cap or a permanent failure makes them dead.
A route may need a capability of the hub (`needs`): while the hub lacks it, the
route's rows are held (not sent, not retried, not dead) and released when it comes.
Nothing here decides retryability from HTTP details; `connector.http` does.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from threading import Event

from sqlalchemy import select

from connector import audit
from connector.errors import ConnectorError, PermanentError, TransientError
from connector.http import RetryPolicy
from connector.outbox import queue as outbox
from connector.store.db import Store
from connector.store.models import Complaint
from connector.support.counters import Counters

log = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Sent:
    """What became of one item: delivered (with a result to keep), dead (with why), or retry."""

    outcome: str
    result: dict | None = None
    code: str | None = None
    reason: str | None = None
    retry_after_s: float | None = None

    @classmethod
    def delivered(cls, result: dict | None = None) -> "Sent":
        return cls("delivered", result)

    @classmethod
    def dead(cls, code: str, reason: str, result: dict | None = None) -> "Sent":
        return cls("dead", result, code, reason)

    @classmethod
    def retry(cls, error: ConnectorError) -> "Sent":
        return cls("retry", None, error.code, str(error), getattr(error, "retry_after_s", None))


class Route:
    """How one kind of outbox item reaches one target. Override `load`, `send`; `record`
    and `failed` have do-nothing defaults."""

    kind: str = ""
    target: str = ""
    batch_size: int = 100
    needs: str | None = None  # a capability of the hub this route calls (None: the core)

    def load(self, session, items) -> list:
        """What to send for each claimed item (same order), read inside the claim's transaction."""
        raise NotImplementedError(f"{type(self).__name__}.load")

    def send(self, payloads: list) -> list[Sent]:
        """Send; one Sent per payload. Raise TransientError/PermanentError when the whole call failed."""
        raise NotImplementedError(f"{type(self).__name__}.send")

    def record(self, session, item_id: int, payload, sent: Sent) -> None:
        """Side effects of a delivered item (a tracking id, a status), in the outcome's transaction."""

    def failed(self, session, item_id: int, payload, code: str, reason: str) -> None:
        """Side effects of an item that went dead."""


@dataclass
class DeliveryStats(Counters):
    batches: int = 0
    delivered: int = 0
    duplicates: int = 0
    retried: int = 0
    dead: int = 0
    lost_leases: int = 0
    held: int = 0


class Deliverer:
    def __init__(
        self,
        store: Store,
        policy: RetryPolicy,
        routes: list[Route],
        lease_s: float = 120.0,
        owner: str = "",
        capabilities=None,
    ):
        self.store = store
        self.capabilities = capabilities  # HubCapabilities, or None: every route's needs are met
        self.policy = policy
        self.routes = routes
        self.lease_s = lease_s
        self.owner = owner or worker_id()
        # After a transient failure the whole target waits (an outage, a 429 with Retry-After),
        # not only the items that failed: other due items must not keep knocking.
        self.paused_until: dict[str, float] = {}

    @property
    def route_keys(self) -> list[tuple[str, str]]:
        """(kind, target) of every route this deliverer serves."""
        return [(r.kind, r.target) for r in self.routes]

    def deliver_due(
        self, stop: Event | None = None, max_batches: int | None = None
    ) -> dict[str, DeliveryStats]:
        """Send what is due on every route until nothing is due, a target is down, or `stop` is set.
        Returns the statistics per route ("report → hub", …)."""
        return {
            f"{route.kind} → {route.target}": self._drain(route, stop, max_batches)
            for route in self.routes
        }

    def _drain(self, route: Route, stop: Event | None, max_batches: int | None) -> DeliveryStats:
        total = DeliveryStats()
        if not self._route_open(route, total):
            return total
        while not (
            stop is not None and stop.is_set()
        ) and time.monotonic() >= self.paused_until.get(route.target, 0):
            if max_batches is not None and total.batches >= max_batches:
                break
            batch = self._claim(route)
            if not batch:
                break
            total += self._send(route, batch)
        return total

    def _route_open(self, route: Route, stats: DeliveryStats) -> bool:
        """Hold the route's rows while the hub lacks what it needs; release them when it has it."""
        if route.needs is None or self.capabilities is None:
            return True
        available = self.capabilities.has(route.needs)
        with self.store.transaction() as session:
            if available:
                outbox.release(session, route.kind, route.target)
            else:
                stats.held += outbox.hold(
                    session,
                    route.kind,
                    route.target,
                    "capability_missing",
                    f"waiting for hub capability {route.needs}",
                )
        return available

    def _claim(self, route: Route) -> list[tuple[int, int, object]]:
        with self.store.transaction() as session:
            items = outbox.claim(
                session, self.owner, route.batch_size, self.lease_s, route.kind, route.target
            )
            if not items:
                return []
            payloads = route.load(session, items)
            refs = _refs(session, {i.complaint_id for i in items if i.complaint_id is not None})
            return [
                (item.id, item.attempts, payload, refs.get(item.complaint_id), item.idempotency_key)
                for item, payload in zip(items, payloads, strict=True)
            ]

    def _send(self, route: Route, batch) -> DeliveryStats:
        stats = DeliveryStats(batches=1)
        try:
            results = route.send([payload for _, _, payload, _, _ in batch])
        except (TransientError, PermanentError) as exc:
            results = [
                Sent.dead(exc.code, str(exc))
                if isinstance(exc, PermanentError)
                else Sent.retry(exc)
            ] * len(batch)
            log.warning(
                "%s → %s: batch of %d not delivered (%s): %s",
                route.kind,
                route.target,
                len(batch),
                "dead" if isinstance(exc, PermanentError) else "will retry",
                exc,
            )
        with self.store.transaction() as session:
            for (item_id, attempts, payload, ref, key), sent in zip(batch, results, strict=True):
                outcome = self._record(session, route, item_id, attempts, payload, sent, stats)
                if outcome in ("delivered", "dead"):
                    audit.record(
                        session,
                        outcome,
                        ref or audit.safe_id(key),
                        {
                            "key": audit.safe_id(key),
                            "kind": route.kind,
                            "target": route.target,
                            "code": sent.code,
                            **_kept(sent.result),
                        },
                    )
        if stats.delivered or stats.dead:
            log.info(
                "%s → %s: %d delivered (%d already there), %d dead",
                route.kind,
                route.target,
                stats.delivered,
                stats.duplicates,
                stats.dead,
            )
        return stats

    def _record(
        self,
        session,
        route: Route,
        item_id: int,
        attempts: int,
        payload,
        sent: Sent,
        stats: DeliveryStats,
    ) -> str:
        """Record one item's outcome; returns what happened: delivered, retry, dead or lost (the lease)."""
        if sent.outcome == "delivered":
            if outbox.mark_delivered(session, item_id, self.owner, sent.result):
                route.record(session, item_id, payload, sent)
                stats.delivered += 1
                stats.duplicates += (sent.result or {}).get("outcome") == "duplicate"
                return "delivered"
            stats.lost_leases += 1
            return "lost"
        if sent.outcome == "retry" and not self.policy.exhausted(attempts):
            delay = self.policy.next_delay(attempts, sent.retry_after_s)
            stats.retried += outbox.mark_retry(
                session, item_id, self.owner, sent.code, sent.reason, delay
            )
            self.paused_until[route.target] = max(
                self.paused_until.get(route.target, 0), time.monotonic() + delay
            )
            return "retry"
        code, reason = sent.code, sent.reason
        if sent.outcome == "retry":
            reason = f"gave up after {attempts} attempts; last error: {reason}"
        if outbox.mark_dead(session, item_id, self.owner, code, reason, sent.result):
            route.failed(session, item_id, payload, code, reason)
            stats.dead += 1
            return "dead"
        stats.lost_leases += 1
        return "lost"


def _refs(session, complaint_ids: set[int]) -> dict[int, str]:
    """channel/source_ref of complaints, the reference the audit log uses."""
    if not complaint_ids:
        return {}
    rows = session.execute(
        select(Complaint.id, Complaint.channel_id, Complaint.source_ref).where(
            Complaint.id.in_(complaint_ids)
        )
    )
    return {cid: audit.ref_of(ch, ref) for cid, ch, ref in rows}


# What of a target's answer the audit log keeps: ids and outcomes, never text.
_KEPT = ("outcome", "tracking_id", "message_id", "status", "parts")


def _kept(result: dict | None) -> dict:
    kept = {k: result[k] for k in _KEPT if result and result.get(k) is not None}
    return {k: audit.safe_id(v) if isinstance(v, str) else v for k, v in kept.items()}
