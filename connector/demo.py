"""`lapor-connector demo`: the whole path on one machine, end to end.

Starts the reference hub and the portal simulator on loopback, writes a config
for them in a temporary folder (SQLite store), runs the real daemon until every
seeded complaint is either at the hub or quarantined, then checks the outcome
against what the simulator says it seeded and prints a table. It ends with a
reconciliation run against the hub (after injected drift with `--drift`) and the
audit log checked against the hub's checkpoints. Exit 0 only when every good
complaint reached the hub exactly once, every bad one was quarantined with its
reason, and the last reconciliation found no difference.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import click
import requests
import yaml
from sqlalchemy import distinct, func, select

from . import config as config_mod
from . import outbox
from .daemon import Daemon
from .deadletters import list_letters
from .demo_reconcile import (
    ReconcileResult,
    print_reconciliation,
    run_reconcile_scenario,
)
from .demo_updates import UpdateResult, run_update_scenario
from lapor_hub.app import create_app as create_hub_app
from lapor_hub.settings import HubSettings
from .hub_client import HubClient
from .resources import data_path
from .sim.api import create_app as create_portal_app
from .sim.portal import PortalSim
from .store.db import Store
from .store.models import Complaint, IntakeItem, QuarantineItem
from lapor_exchange.problems import Problem
from lapor_exchange.wsgi import ServerThread

HUB_TOKEN = "demo-hub-token"
HUB_ADMIN_TOKEN = "demo-hub-admin-token"
PORTAL_TOKEN = "demo-portal-token"
CONNECTOR_ID = "kalsel"


@dataclass
class DemoResult:
    expected_good: int = 0
    expected_bad: int = 0
    pulled: int = 0
    normalized: int = 0
    quarantined: int = 0
    delivered: int = 0
    at_hub: int = 0
    duplicates_at_hub: int = 0
    review: int = 0
    warnings: int = 0
    dead: int = 0
    follow_ups: int = 0
    elapsed_s: float = 0.0
    missing_at_hub: list[str] = field(default_factory=list)
    bad_not_quarantined: list[str] = field(default_factory=list)
    good_quarantined: list[str] = field(default_factory=list)
    tracking_mismatches: list[str] = field(default_factory=list)
    quarantine_reasons: list[tuple[str, str]] = field(default_factory=list)
    timed_out: bool = False
    updates: UpdateResult | None = None
    reconcile: ReconcileResult | None = None

    @property
    def ok(self) -> bool:
        backbone = not (self.missing_at_hub or self.bad_not_quarantined or self.good_quarantined or self.tracking_mismatches
                        or self.duplicates_at_hub or self.timed_out) and self.at_hub == self.expected_good
        return backbone and (self.updates is None or self.updates.ok) and self.reconcile is not None and self.reconcile.ok


def write_config(folder: Path, hub_url: str, portal_url: str) -> Path:
    data = {
        "connector": {"id": CONNECTOR_ID, "region_code": "63", "timezone": "Asia/Makassar"},
        "store": {"url": f"sqlite:///{folder / 'connector.db'}"},
        "hub": {"url": hub_url, "token": HUB_TOKEN, "batch_size": 100, "timeout_s": 10},
        "retry": {"max_attempts": 12, "base_delay_s": 1, "max_delay_s": 30, "quick_attempts": 3, "quick_max_wait_s": 2},
        "delivery": {"every_s": 0.5, "lease_s": 30},
        "sync": {"hub_every_s": 1},
        "web": {"listen": "127.0.0.1:0"},
        "log": {"level": "WARNING"},
        "channels": [{
            "id": "laporpaman", "kind": "portal", "profile": str(data_path("mappings", "laporpaman.yaml")),
            "base_url": portal_url, "credentials": {"token": PORTAL_TOKEN}, "page_size": 100, "poll_every_s": 1,
        }],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _progress(connector) -> dict:
    with connector.store.transaction() as session:
        return {
            "pulled": session.scalar(select(func.count(distinct(IntakeItem.external_id)))),
            "quarantined": session.scalar(select(func.count()).select_from(QuarantineItem).where(QuarantineItem.state == "open")),
            "settled": outbox.next_due_in(session, connector.deliverer.route_keys) is None,
            **outbox.counts(session, kind="report"),
        }


def run_demo(complaints: int, bad_share: float, seed: int, folder: Path, timeout_s: float, echo=click.echo,
             with_updates: bool = False, drift: bool = False) -> DemoResult:
    result = DemoResult()
    started = time.monotonic()
    sim = PortalSim(complaints=complaints, bad_share=bad_share, seed=seed, token=PORTAL_TOKEN)
    hub_settings = HubSettings(store_url=f"sqlite:///{folder / 'hub.db'}", connectors={HUB_TOKEN: CONNECTOR_ID},
                               admin_token=HUB_ADMIN_TOKEN, faults_enabled=drift)
    with ServerThread(create_hub_app(hub_settings), name="hub") as hub, \
            ServerThread(create_portal_app(sim), name="portal-sim") as portal:
        expected = requests.get(portal.url + "/_sim/expected", timeout=10).json()
        result.expected_good, result.expected_bad = len(expected["good"]), len(expected["bad"])
        echo(f"hub on {hub.url}, portal simulator on {portal.url} with {result.expected_good} good "
             f"and {result.expected_bad} bad complaints; store in {folder}")
        config = config_mod.load(write_config(folder, hub.url, portal.url))
        daemon = Daemon(config)
        daemon.start()
        try:
            result.timed_out = not _wait(daemon, result, timeout_s, echo)
            if with_updates and not result.timed_out:
                echo("status updates: national acts at the hub, local follow-ups in the portal …", err=True)
                good = {str(i) for i in expected["good"]}
                fresh = [str(r["id"]) for r in sim.updated_since(None)
                         if str(r["id"]) in good and r["status"] == "baru" and not r["tanggapan"]]
                result.updates = run_update_scenario(hub.url, HUB_ADMIN_TOKEN, portal.url, daemon.connector.store,
                                                     daemon.connector.channels["laporpaman"].profile.status, fresh)
            if not result.timed_out:
                echo("reconciliation with the hub" + (", after drift injected at the hub" if drift else "") + " …", err=True)
                result.reconcile = run_reconcile_scenario(daemon.connector, hub.url, HUB_ADMIN_TOKEN, drift)
        finally:
            daemon.stop()
        result.elapsed_s = time.monotonic() - started
        _check(result, config, expected, HubClient(hub.url, HUB_TOKEN))
    return result


def _wait(daemon: Daemon, result: DemoResult, timeout_s: float, echo) -> bool:
    total = result.expected_good + result.expected_bad
    deadline = time.monotonic() + timeout_s
    with click.progressbar(length=total, label="complaints settled", file=sys.stderr, show_pos=True) as bar:
        settled = 0
        while time.monotonic() < deadline:
            now = _progress(daemon.connector)
            done = now.get("delivered", 0) + now.get("dead", 0) + now["quarantined"]
            bar.update(done - settled)
            settled = done
            if now["pulled"] >= total and now["settled"] and done >= total:
                return True  # every report settled, and the follow-ups it came with too
            time.sleep(0.3)
    return False


def _check(result: DemoResult, config, expected: dict, hub: HubClient) -> None:
    store = Store(config.store_url)  # the daemon closed its own
    with store.transaction() as session:
        result.pulled = session.scalar(select(func.count(distinct(IntakeItem.external_id))))
        complaints = {c.source_ref: c for c in session.scalars(select(Complaint))}
        quarantined = {q.external_id: q for q in session.scalars(select(QuarantineItem).where(QuarantineItem.state == "open"))}
        result.dead = len(list_letters(session, limit=100_000))
        result.follow_ups = outbox.counts_by_route(session).get(("status_update", "hub"), {}).get("delivered", 0)
    store.dispose()
    at_hub = list(hub.list_reports())
    refs = Counter(r["report"]["source"]["source_ref"] for r in at_hub)
    hub_tracking = {r["report"]["source"]["source_ref"]: r["tracking_id"] for r in at_hub}
    result.normalized = len(complaints)
    result.quarantined = len(quarantined)
    result.delivered = sum(1 for c in complaints.values() if c.tracking_id)
    result.at_hub = len(refs)
    result.duplicates_at_hub = len(at_hub) - len(refs)
    result.review = sum(1 for c in complaints.values() if c.needs_review)
    result.warnings = sum(len(c.notes.get("warnings", [])) for c in complaints.values())
    good, bad = [str(i) for i in expected["good"]], [str(i) for i in expected["bad"]]
    result.missing_at_hub = [ref for ref in good if ref not in refs]
    result.tracking_mismatches = [ref for ref in good if ref in complaints and complaints[ref].tracking_id != hub_tracking.get(ref)]
    result.bad_not_quarantined = [ref for ref in bad if ref not in quarantined or not quarantined[ref].problems]
    result.good_quarantined = [ref for ref in good if ref in quarantined]
    result.quarantine_reasons = sorted(
        (ref, "; ".join(str(Problem(**p)) for p in q.problems)) for ref, q in quarantined.items())


def print_table(result: DemoResult, echo=click.echo) -> None:
    rows = [
        ("pulled from the portal", result.pulled),
        ("normalized (complaints)", result.normalized),
        ("quarantined", result.quarantined),
        ("delivered to the hub", result.delivered),
        ("reports at the hub", result.at_hub),
        ("duplicates at the hub", result.duplicates_at_hub),
        ("local follow-ups sent to the hub", result.follow_ups),
        ("dead letters", result.dead),
        ("flagged for review (category fallback)", result.review),
        ("fields dropped with a warning", result.warnings),
        ("elapsed", f"{result.elapsed_s:.1f} s"),
    ]
    width = max(len(label) for label, _ in rows)
    echo("")
    for label, value in rows:
        echo(f"  {label:<{width}}  {value:>8}")
    if result.quarantine_reasons:
        echo("\nquarantined, with reasons:")
        for ref, reason in result.quarantine_reasons:
            echo(f"  laporpaman/{ref}: {reason}")
    checks = [
        ("every good complaint is at the hub", not result.missing_at_hub and result.at_hub == result.expected_good, result.missing_at_hub),
        ("no duplicates at the hub", result.duplicates_at_hub == 0, []),
        ("tracking ids agree with the hub", not result.tracking_mismatches, result.tracking_mismatches),
        ("every bad record quarantined with a reason", not result.bad_not_quarantined, result.bad_not_quarantined),
        ("no good record quarantined", not result.good_quarantined, result.good_quarantined),
        ("finished before the timeout", not result.timed_out, []),
    ]
    if result.updates is not None:
        u = result.updates
        finals = ", ".join(f"{n} {status}" for status, n in sorted(Counter(u.finals.values()).items()))
        echo("\nstatus updates, both ways:")
        for label, value in [("reports in the scenario", u.sampled), ("national acts at the hub", u.national_acts),
                             ("local follow-ups in the portal", u.local_follow_ups), ("final statuses", finals)]:
            echo(f"  {label:<{width}}  {value:>8}")
        checks += [
            ("hub, connector and portal agree on every report", u.agreeing == u.sampled and not u.timed_out, u.disagreeing),
            ("no update bounced back to where it came from", u.bounced == 0, []),
        ]
    if result.reconcile is not None:
        checks += print_reconciliation(result.reconcile, width, echo)
    echo("")
    for label, passed, refs in checks:
        echo(f"  [{'ok' if passed else 'FAILED'}] {label}" + (f": {', '.join(refs[:10])}" if refs else ""))


@click.command()
@click.option("--complaints", default=1000, show_default=True, help="Good complaints the portal simulator seeds.")
@click.option("--bad-share", default=0.03, show_default=True, help="Share of deliberately bad records added on top.")
@click.option("--seed", default=63, show_default=True)
@click.option("--timeout", "timeout_s", default=600.0, show_default=True, help="Give up after this many seconds.")
@click.option("--keep", type=click.Path(file_okay=False, path_type=Path), help="Keep the stores and config in this folder.")
@click.option("--with-updates", is_flag=True, help="Then carry status updates both ways: national decisions to the portal, "
              "local follow-ups to the hub.")
@click.option("--drift", is_flag=True, help="Before the closing reconciliation, delete a report at the hub and change "
              "another's status there behind the connector's back; show both found and repaired.")
def demo(complaints, bad_share, seed, timeout_s, keep, with_updates, drift):
    """Run hub, portal simulator and connector on loopback; end with a table. Exit 0 only if all went through."""
    from .cli import setup_logging

    setup_logging("ERROR")  # the table below reports quarantine and failures
    folder = keep or Path(tempfile.mkdtemp(prefix="lapor-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        result = run_demo(complaints, bad_share, seed, folder.resolve(), timeout_s, with_updates=with_updates, drift=drift)
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(result)
    sys.exit(0 if result.ok else 1)
