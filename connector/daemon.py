"""The daemon: wires the plain job functions to APScheduler and serves the web app.

Jobs: one pull job per pulling channel (every `poll_every_s`) and one delivery
job (every `delivery.every_s`), each with at most one instance running; the
hub's capabilities are read at start and every `hub.discover_every_s`, and
national updates come from the hub's feed or, without one, report by report. SIGTERM
or SIGINT sets a stop event that the jobs check between batches, then the
scheduler waits for running jobs to finish their transaction: nothing is left
half written (and a SIGKILL is covered by the outbox leases and the cursors).
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from dataclasses import dataclass, field

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from connector import channels as channel_kinds
from connector.delivery.capabilities import HubCapabilities, discover
from connector.delivery.deliverer import Deliverer, DeliveryStats
from connector.delivery.hub_client import HubClient
from connector.delivery.routes import HubUpdateRoute, NotificationRoute, PushRoute, ReportRoute
from connector.errors import ConnectorError, describe
from connector.http import RetryPolicy
from connector.intake.normalize import Normalizer
from connector.intake.pipeline import IntakeStats, pull_channel, sweep_parts
from connector.store.db import Store
from connector.sync.poll import poll_hub_reports
from connector.sync.updates import HubSyncContext, SyncStats, pull_hub_updates
from connector.timeutil import utcnow
from connector.web.app import create_app
from lapor_exchange.capabilities import UPDATES_FEED
from lapor_exchange.wsgi import ServerThread, parse_listen

log = logging.getLogger(__name__)
DISCOVERY_RETRY_S = 30.0


@dataclass
class CycleStats:
    intake: dict[str, IntakeStats] = field(default_factory=dict)
    hub_updates: SyncStats = field(default_factory=SyncStats)
    delivery: dict[str, DeliveryStats] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class Connector:
    """Everything one connector process needs, built from a checked Config."""

    def __init__(self, config, store: Store | None = None):
        self.config = config
        self.store = store or Store(config.store_url)
        self.channels = channel_kinds.build(config)
        self.normalizers = {
            cid: Normalizer(ch.profile, config.connector_id, config.tz, ch.record)
            for cid, ch in self.channels.items()
        }
        self.hub = HubClient.from_config(config)
        self.capabilities = HubCapabilities()
        self._discovery_tried = -DISCOVERY_RETRY_S
        batch = int(config.hub["batch_size"])
        routes = [ReportRoute(self.hub, batch), HubUpdateRoute(self.hub, batch)]
        routes += [PushRoute(ch) for ch in self.channels.values() if ch.can_push]
        routes += [NotificationRoute(ch) for ch in self.channels.values() if ch.can_notify]
        self.deliverer = Deliverer(
            self.store,
            RetryPolicy.from_config(config.retry),
            routes,
            lease_s=float(config.delivery["lease_s"]),
            capabilities=self.capabilities,
        )
        self.hub_sync = HubSyncContext(
            {cid: ch.profile.status for cid, ch in self.channels.items()}
        )
        self.stop_event = threading.Event()
        self.on_received = None  # the daemon wakes delivery when a pushed message came in

    def received(self, stats) -> None:
        """A push channel stored something (called by the web app)."""
        if self.on_received is not None:
            self.on_received(stats)

    def reconcile(self):
        """Job: compare with the hub, repair if configured, give the hub the audit chain's head."""
        settings = self.config.data["reconcile"]
        return self.reconciler().run(repair=bool(settings["repair"]))

    def reconciler(self):
        from connector.reconcile.reconciler import Reconciler

        self._know_capabilities()
        return Reconciler(self.store, self.hub, self.hub_sync, self.capabilities)

    def discover(self, announce: bool = False) -> bool:
        """Job: read which optional capabilities the hub offers (logs what it lacks)."""
        self._discovery_tried = time.monotonic()
        return discover(self.store, self.hub, self.capabilities, announce=announce)

    def _know_capabilities(self) -> None:
        """Before the first call that depends on them: read the hub's capabilities (again
        every half minute while the hub cannot be reached and nothing is known)."""
        if (
            self.capabilities.checked_at is None
            and time.monotonic() - self._discovery_tried >= DISCOVERY_RETRY_S
        ):
            self.discover(announce=True)

    def apply_retention(self):
        """Job: erase what is past its retention period."""
        from connector.ops.retention import apply

        rules = self.config.data["retention"]
        return apply(self.store, rules.get("raw_days"), rules.get("personal_days"))

    def sweep_parts(self) -> None:
        """Job: put together multipart messages that waited long enough."""
        for channel_id, channel in self.channels.items():
            if hasattr(channel, "parts_timeout_s"):
                sweep_parts(
                    self.store, channel, self.normalizers[channel_id], channel.parts_timeout_s
                )

    def pull(self, channel_id: str) -> IntakeStats:
        """Job: one pull cycle of one channel. Errors are logged; the next cycle retries."""
        try:
            return pull_channel(
                self.store, self.channels[channel_id], self.normalizers[channel_id], self.stop_event
            )
        except ConnectorError as exc:
            log.warning("pull %s failed (%s): %s", channel_id, exc.code, exc)
            raise

    def deliver(self) -> dict[str, DeliveryStats]:
        """Job: deliver what is due; statistics per route."""
        self._know_capabilities()
        return self.deliverer.deliver_due(self.stop_event)

    def pull_hub(self) -> SyncStats:
        """Job: national updates from the hub's feed, or report by report from a hub without one."""
        self._know_capabilities()
        try:
            if self.capabilities.has(UPDATES_FEED):
                return pull_hub_updates(self.store, self.hub, self.hub_sync, stop=self.stop_event)
            sync = self.config.data["sync"]
            return poll_hub_reports(
                self.store,
                self.hub,
                self.hub_sync,
                limit=int(sync["poll_batch"]),
                rate_per_s=float(sync["poll_rate_per_s"]),
                stop=self.stop_event,
            )
        except ConnectorError as exc:
            log.warning("national updates not read (%s): %s", exc.code, exc)
            raise

    def cycle(self) -> CycleStats:
        """One pull of every channel and of the hub's feed, then delivery of everything due (`sync --once`)."""
        stats = CycleStats()
        for channel_id in (cid for cid, ch in self.channels.items() if ch.pulls):
            try:
                stats.intake[channel_id] = self.pull(channel_id)
            except ConnectorError as exc:
                stats.errors.append(f"{channel_id}: {exc}")
        self.sweep_parts()
        try:
            stats.hub_updates = self.pull_hub()
        except ConnectorError as exc:
            stats.errors.append(f"national updates: {exc}")
        stats.delivery = self.deliver()
        return stats

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()
        self.store.dispose()


class Daemon:
    """`lapor-connector run`: scheduler + web server around a Connector."""

    def __init__(self, config):
        self.config = config
        self.connector = Connector(config)
        self.scheduler = BackgroundScheduler(
            executors={
                "default": ThreadPoolExecutor(max_workers=max(2, len(self.connector.channels) + 1))
            },
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
            timezone="UTC",
        )
        self.web: ServerThread | None = None
        # Guards moving the delivery job against shutdown: APScheduler's shutdown(wait=True)
        # holds the job-store lock while it waits for running jobs, so a job that moved a
        # job then would wait for it for ever.
        self._wake_lock = threading.Lock()
        self._stopping = False

    def start(self) -> None:
        self.connector.store.upgrade()
        self.connector.discover(announce=True)
        now = utcnow()
        for channel_id, channel in self.connector.channels.items():
            if channel.pulls:
                every = float(channel.settings.get("poll_every_s", 60))
                self.scheduler.add_job(
                    self._quiet(self._pull_then_deliver),
                    "interval",
                    args=[channel_id],
                    seconds=every,
                    id=f"pull:{channel_id}",
                    next_run_time=now,
                )
        self.scheduler.add_job(
            self._quiet(self.connector.deliver),
            "interval",
            seconds=float(self.config.delivery["every_s"]),
            id="deliver",
            next_run_time=now,
        )
        self.scheduler.add_job(
            self._quiet(self._discover_then_deliver),
            "interval",
            seconds=float(self.config.hub["discover_every_s"]),
            id="hub:capabilities",
        )
        self.scheduler.add_job(
            self._quiet(self.connector.sweep_parts), "interval", seconds=30, id="sweep:parts"
        )
        hour, minute = self.config.data["reconcile"]["at"].split(":")
        self.scheduler.add_job(
            self._quiet(self.connector.reconcile),
            "cron",
            hour=int(hour),
            minute=int(minute),
            timezone=self.config.tz,
            id="reconcile",
        )
        self.scheduler.add_job(
            self._quiet(self.connector.apply_retention),
            "interval",
            hours=24,
            id="retention",
            next_run_time=now,
        )
        self.scheduler.add_job(
            self._quiet(self._pull_hub_then_deliver),
            "interval",
            seconds=float(self.config.data["sync"]["hub_every_s"]),
            id="pull:hub",
            next_run_time=now,
        )
        host, port = parse_listen(self.config.web["listen"])
        self.web = ServerThread(
            create_app(self.connector), host, port, name="connector-web"
        ).start()
        self.connector.on_received = self._wake_delivery
        self.scheduler.start()
        log.info(
            "connector %s running: %d channel(s), web on %s",
            self.config.connector_id,
            len(self.connector.channels),
            self.web.url,
        )

    def _pull_then_deliver(self, channel_id: str) -> None:
        """New complaints and updates go out at once rather than at the next delivery tick."""
        stats = self.connector.pull(channel_id)
        if stats.accepted or stats.updates:
            self._deliver_now()

    def _wake_delivery(self, stats) -> None:
        if stats.accepted or stats.commands or stats.ignored or stats.replies:
            self._deliver_now()

    def _discover_then_deliver(self) -> None:
        """A capability that came (status-push) releases held rows at the next delivery: now."""
        before = self.connector.capabilities.offered
        if self.connector.discover() and self.connector.capabilities.offered != before:
            self._deliver_now()

    def _pull_hub_then_deliver(self) -> None:
        if self.connector.pull_hub().applied:
            self._deliver_now()

    def _deliver_now(self) -> None:
        with self._wake_lock:
            if not self._stopping:
                self.scheduler.modify_job("deliver", next_run_time=utcnow())

    @staticmethod
    def _quiet(job):
        """Jobs log their own errors; the scheduler must not print tracebacks with payloads in them."""

        def run(*args):
            try:
                job(*args)
            except ConnectorError:
                pass
            except Exception as exc:  # noqa: BLE001 - a bug must not kill the scheduler thread
                # No traceback: its frames and messages can carry payload values.
                log.error("job %s failed: %s", getattr(job, "__name__", job), describe(exc))

        run.__name__ = getattr(job, "__name__", "job")
        return run

    def stop(self) -> None:
        self.connector.stop_event.set()
        with self._wake_lock:
            self._stopping = True
        self.scheduler.shutdown(wait=True)
        if self.web is not None:
            self.web.stop()
        self.connector.close()
        log.info("connector stopped cleanly")

    def run_forever(self) -> None:
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        self.start()
        stopped.wait()
        self.stop()
