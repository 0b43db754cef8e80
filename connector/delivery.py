"""Delivery: send due outbox reports to the hub in batches and record each item's outcome.

For each batch: claim (commit), send one POST, then record per item in one
transaction: `created`/`duplicate` → delivered with the tracking id; `conflict`
or `rejected` → dead with the hub's reasons (the rest of the batch is not held
up). A transient failure of the whole call puts every item back with a backoff
(Retry-After honoured) and ends the cycle; the attempt cap or a permanent
failure makes the rows dead. Nothing here decides retryability from HTTP
details; `connector.http` does.
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

from . import outbox
from .counters import Counters
from .errors import ConnectorError, PermanentError, TransientError
from .http import RetryPolicy
from .hub_client import HubClient, ItemResult
from .store.db import Store
from .store.models import Complaint
from .timeutil import utcnow

log = logging.getLogger(__name__)
INITIAL_STATUS = "belum_terverifikasi"


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class DeliveryStats(Counters):
    batches: int = 0
    delivered: int = 0
    duplicates: int = 0
    retried: int = 0
    dead: int = 0
    lost_leases: int = 0


@dataclass
class Deliverer:
    store: Store
    hub: HubClient
    policy: RetryPolicy
    batch_size: int = 100
    lease_s: float = 120.0
    owner: str = ""

    def __post_init__(self):
        self.owner = self.owner or worker_id()
        # After a transient failure (an outage, a 429 with Retry-After) the whole hub waits,
        # not only the batch that failed: other due rows must not keep knocking.
        self.paused_until = 0.0

    def deliver_due(self, stop: Event | None = None, max_batches: int | None = None) -> DeliveryStats:
        """Send due reports until none are due, the hub is unavailable, or `stop` is set."""
        total = DeliveryStats()
        if time.monotonic() < self.paused_until:
            return total
        while not (stop is not None and stop.is_set()):
            if max_batches is not None and total.batches >= max_batches:
                break
            batch = self._claim()
            if not batch:
                break
            stats, hub_down = self._send(batch)
            total += stats
            if hub_down:
                break
        return total

    def _claim(self) -> list[tuple[int, int, Complaint]]:
        with self.store.transaction() as session:
            items = outbox.claim(session, self.owner, self.batch_size, self.lease_s)
            if not items:
                return []
            ids = [i.complaint_id for i in items]
            complaints = {c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_(ids)))}
            return [(item.id, item.attempts, complaints[item.complaint_id]) for item in items]

    def _send(self, batch) -> tuple[DeliveryStats, bool]:
        stats = DeliveryStats(batches=1)
        try:
            results = self.hub.send_reports([complaint.report for _, _, complaint in batch])
        except TransientError as exc:
            self._record_failure(batch, exc, stats)
            return stats, True
        except PermanentError as exc:
            self._record_failure(batch, exc, stats)
            return stats, False
        with self.store.transaction() as session:
            ids = [complaint.id for _, _, complaint in batch]
            rows = {c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_(ids)))}
            for (item_id, _, complaint), result in zip(batch, results, strict=True):
                self._record_result(session, item_id, rows[complaint.id], result, stats)
        log.info("delivered batch of %d: %d new, %d already at the hub, %d dead",
                 len(batch), stats.delivered - stats.duplicates, stats.duplicates, stats.dead)
        return stats, False

    def _record_result(self, session, item_id: int, complaint: Complaint, result: ItemResult, stats: DeliveryStats) -> None:
        """`complaint` is attached to `session`; a delivered item fills in its tracking id."""
        if result.outcome in ("created", "duplicate"):
            held = outbox.mark_delivered(session, item_id, self.owner, {"outcome": result.outcome, "tracking_id": result.tracking_id})
            if held:
                complaint.tracking_id = result.tracking_id
                complaint.status = complaint.status or INITIAL_STATUS
                complaint.delivered_at = utcnow()
                stats.delivered += 1
                stats.duplicates += result.outcome == "duplicate"
            else:
                stats.lost_leases += 1
            return
        reason = _reason(result)
        code = f"hub_{result.outcome}"
        if outbox.mark_dead(session, item_id, self.owner, code, reason, {"outcome": result.outcome, "tracking_id": result.tracking_id}):
            stats.dead += 1
            log.warning("hub answered %s for %s/%s: %s", result.outcome, complaint.channel_id, complaint.source_ref, code)
        else:
            stats.lost_leases += 1

    def _record_failure(self, batch, exc: ConnectorError, stats: DeliveryStats) -> None:
        permanent = isinstance(exc, PermanentError)
        with self.store.transaction() as session:
            for item_id, attempts, _ in batch:
                if permanent or self.policy.exhausted(attempts):
                    why = str(exc) if permanent else f"gave up after {attempts} attempts; last error: {exc}"
                    stats.dead += outbox.mark_dead(session, item_id, self.owner, exc.code, why)
                else:
                    delay = self.policy.next_delay(attempts, getattr(exc, "retry_after_s", None))
                    stats.retried += outbox.mark_retry(session, item_id, self.owner, exc.code, str(exc), delay)
                    self.paused_until = max(self.paused_until, time.monotonic() + delay)
        log.warning("batch of %d not delivered (%s): %s", len(batch), "dead" if permanent else "will retry", exc)


def _reason(result: ItemResult) -> str:
    details = "; ".join(f"{e.get('path', '$')}: {e.get('message', '')}" for e in result.errors if isinstance(e, dict))
    tracking = f" (hub tracking id {result.tracking_id})" if result.tracking_id else ""
    return f"hub answered {result.outcome}{tracking}" + (f": {details}" if details else "")
