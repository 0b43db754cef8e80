"""The daemon as a real process: `python -m connector run` against the real hub and
portal simulator; killed with SIGKILL in the middle of a batch and restarted; stopped
with SIGTERM. Nothing lost, nothing duplicated at the hub."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from hub_helpers import KALSEL_TOKEN, running_hub
from peers import ROOT, connector_config, running_portal
from sqlalchemy import select

from connector.delivery.hub_client import HubClient
from connector.outbox import queue as outbox
from connector.store.db import Store
from connector.store.models import Complaint

pytestmark = pytest.mark.slow


def start_daemon(config_path, log_path):
    log = open(log_path, "ab")
    return subprocess.Popen(
        [sys.executable, "-m", "connector", "run", "-c", str(config_path)],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(predicate, timeout_s, what):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def outbox_counts(store):
    with store.transaction() as s:
        return outbox.counts(s, kind="report")


def test_sigkill_in_the_middle_of_a_batch_loses_and_duplicates_nothing(tmp_path):
    with running_hub(tmp_path) as (hub_app, hub), running_portal(complaints=300) as (sim, portal):
        faults = hub_app.extensions["lapor_hub"].faults
        faults.set(
            [{"action": "delay", "seconds": 1.5, "times": 1000}]
        )  # every batch is slow: a kill lands inside one
        config = connector_config(tmp_path, hub.url, portal.url, delivery={"lease_s": 2})
        store = Store(config.store_url)
        hub_client = HubClient(hub.url, KALSEL_TOKEN)
        daemon = start_daemon(config.path, tmp_path / "daemon.log")
        try:
            wait_for(lambda: hub_client.stats()["reports"] >= 50, 60, "the first batch at the hub")
            time.sleep(0.5)  # the next batch is now sitting in the hub's delay
            daemon.send_signal(signal.SIGKILL)
            daemon.wait(10)
            time.sleep(1.6)  # the hub finishes and saves the batch the dead daemon sent
            saved_before_restart = hub_client.stats()["reports"]
            stranded = outbox_counts(store).get("inflight", 0)
            assert stranded > 0, "the kill should have left a claimed batch behind"
            faults.clear()
            daemon = start_daemon(config.path, tmp_path / "daemon.log")
            good = {str(i) for i in sim.expected()["good"]}
            wait_for(
                lambda: outbox_counts(store) == {"delivered": len(good)},
                60,
                "every complaint delivered",
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(20)
        reports = list(hub_client.list_reports())
        refs = [r["report"]["source"]["source_ref"] for r in reports]
        assert sorted(refs) == sorted(good)  # all there, none twice
        with store.transaction() as s:
            ours = {c.source_ref: c.tracking_id for c in s.scalars(select(Complaint))}
        assert ours == {r["report"]["source"]["source_ref"]: r["tracking_id"] for r in reports}
        stats = hub_client.stats()
        assert saved_before_restart > 50
        assert (
            stats["answers"]["duplicate"] >= 1
        )  # the batch in flight at the kill was sent again and absorbed
        store.dispose()


def test_sigterm_stops_cleanly(tmp_path):
    with running_hub(tmp_path) as (_, hub), running_portal(complaints=40) as (sim, portal):
        config = connector_config(tmp_path, hub.url, portal.url, log={"level": "INFO"})
        log_file = tmp_path / "daemon.log"
        daemon = start_daemon(config.path, log_file)
        store = Store(config.store_url)
        try:
            good = len(sim.expected()["good"])
            wait_for(
                lambda: (
                    os.path.exists(config.store_url.removeprefix("sqlite:///"))
                    and _safe_counts(store) == {"delivered": good}
                ),
                60,
                "delivery",
            )
        finally:
            daemon.send_signal(signal.SIGTERM)
            code = daemon.wait(20)
        assert code == 0
        log = log_file.read_text()
        assert "connector kalsel running" in log and "stopped cleanly" in log
        assert "Traceback" not in log
        store.dispose()


def _safe_counts(store):
    try:
        return outbox_counts(store)
    except Exception:  # the daemon may not have created the tables yet
        return {}


def test_the_health_endpoint_reports_the_outbox(tmp_path):
    from connector.daemon import Daemon

    with running_hub(tmp_path) as (_, hub), running_portal(complaints=20) as (sim, portal):
        daemon = Daemon(connector_config(tmp_path, hub.url, portal.url))
        daemon.start()
        try:
            good = len(sim.expected()["good"])
            wait_for(
                lambda: outbox_counts(daemon.connector.store) == {"delivered": good}, 30, "delivery"
            )
            body = requests.get(daemon.web.url + "/health", timeout=5).json()
        finally:
            daemon.stop()
        assert body["status"] == "ok" and body["connector_id"] == "kalsel"
        assert body["outbox"]["report → hub"] == {"delivered": good}
        assert body["quarantine_open"] == len(sim.expected()["bad"])


def test_stop_while_a_pull_is_about_to_wake_delivery_does_not_hang(tmp_path):
    """APScheduler's shutdown holds its job-store lock while it waits for running jobs; a
    pull that finishes then and moves the delivery job must not wait for that lock."""
    import threading

    from connector.daemon import Daemon
    from connector.intake.pipeline import IntakeStats

    with (
        running_hub(tmp_path) as (_, hub),
        running_portal(complaints=1, bad_share=0) as (_, portal),
    ):
        daemon = Daemon(connector_config(tmp_path, hub.url, portal.url))
        pulling = threading.Event()

        def slow_pull(channel_id):
            pulling.set()
            daemon.connector.stop_event.wait(10)  # stop() has begun
            time.sleep(0.3)  # … and the scheduler's shutdown holds its lock by now
            return IntakeStats(accepted=1)

        daemon.connector.pull = slow_pull
        daemon.start()
        assert pulling.wait(10)
        stopper = threading.Thread(target=daemon.stop, daemon=True)
        stopper.start()
        stopper.join(15)
        assert not stopper.is_alive(), "Daemon.stop() hung"
