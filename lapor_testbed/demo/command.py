"""`lapor-connector demo`: the whole path on one machine, end to end.

Starts the portal simulator on loopback and, unless `--hub URL` names another hub,
the reference hub; with `--sms N` also an SMS gateway simulator that posts N citizens'
SMS to the connector's JSON webhook channel and takes the acknowledgements it sends
back. It writes a config for them in a temporary folder (SQLite store), runs the real
daemon until every complaint is either at the hub or quarantined, then checks the
outcome against what the simulators say they seeded and prints a table
(`demo_report`). It ends with a reconciliation run against the hub (after injected
drift with `--drift`) and the audit log checked against the hub's checkpoints (or
locally, when the hub keeps none). Exit 0 only when every good complaint reached the
hub exactly once, the hub rejected nothing, every bad one was quarantined with its
reason, and the last reconciliation found no difference.

Against another hub the demo uses only the exchange contract's core (and whatever
optional capability that hub offers), and its channel ids carry a run tag, so a
second run against the same hub is a new set of reports rather than conflicts.
"""

from __future__ import annotations

import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import click
import requests
import yaml
from sqlalchemy import distinct, func, select

from connector import config as config_mod
from connector.daemon import Daemon
from connector.delivery.hub_client import HubClient
from connector.ops.deadletters import list_letters
from connector.outbox import queue as outbox
from connector.store.db import Store
from connector.store.models import Complaint, IntakeItem, QuarantineItem
from connector.support.data import data_path
from lapor_exchange.problems import Problem
from lapor_exchange.wsgi import ServerThread
from lapor_testbed.demo.reconcile import ReconcileResult, run_reconcile_scenario
from lapor_testbed.demo.updates import UpdateResult, run_update_scenario
from lapor_testbed.sim.api import create_app as create_portal_app
from lapor_testbed.sim.portal import PortalSim
from lapor_testbed.sim.sms_gateway import SmsGatewaySim, messages

HUB_TOKEN = "demo-hub-token"
HUB_ADMIN_TOKEN = "demo-hub-admin-token"
PORTAL_TOKEN = "demo-portal-token"
SMS_SECRET = "demo-sms-gateway-secret"
CONNECTOR_ID = "kalsel"


@dataclass
class DemoOptions:
    complaints: int = 1000
    bad_share: float = 0.03
    seed: int = 63
    sms: int = 50
    hub_url: str | None = None  # None: start the reference hub
    hub_token: str = HUB_TOKEN
    with_updates: bool = False
    drift: bool = False
    timeout_s: float = 600.0


@dataclass
class DemoResult:
    portal_channel: str = "laporpaman"
    sms_channel: str = "sms-1708"
    expected_good: int = 0
    expected_bad: int = 0
    sms_sent: int = 0
    pulled: int = 0
    normalized: int = 0
    quarantined: int = 0
    delivered: int = 0
    at_hub: int = 0
    sms_at_hub: int = 0
    acknowledged: int = 0
    duplicates_at_hub: int = 0
    review: int = 0
    warnings: int = 0
    dead: int = 0
    rejected_by_hub: list[str] = field(default_factory=list)
    follow_ups: int = 0
    held: int = 0
    capabilities: str = ""
    missing_capabilities: list[str] = field(default_factory=list)
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
        backbone = (
            not (
                self.missing_at_hub
                or self.bad_not_quarantined
                or self.good_quarantined
                or self.tracking_mismatches
                or self.duplicates_at_hub
                or self.timed_out
                or self.rejected_by_hub
            )
            and self.at_hub == self.expected_good
            and self.sms_at_hub == self.sms_sent == self.acknowledged
        )
        return (
            backbone
            and (self.updates is None or self.updates.ok)
            and self.reconcile is not None
            and self.reconcile.ok
        )


def write_config(
    folder: Path,
    hub_url: str,
    hub_token: str,
    portal_url: str,
    result: DemoResult,
    gateway_url: str | None,
) -> Path:
    channels = [
        {
            "id": result.portal_channel,
            "kind": "portal",
            "profile": str(data_path("mappings", "laporpaman.yaml")),
            "base_url": portal_url,
            "credentials": {"token": PORTAL_TOKEN},
            "page_size": 100,
            "poll_every_s": 1,
        }
    ]
    if gateway_url is not None:
        channels.append(
            {
                "id": result.sms_channel,
                "kind": "sms_webhook",
                "profile": str(data_path("mappings", "sms.yaml")),
                "secret": SMS_SECRET,
                "fields": {
                    "sender": "from",
                    "text": "text",
                    "id": "id",
                    "time": "timestamp",
                    "receiver": "to",
                },
                "send": {"url": gateway_url + "/send"},
                "send_rate_per_s": 200,
            }
        )
    data = {
        "connector": {"id": CONNECTOR_ID, "region_code": "63", "timezone": "Asia/Makassar"},
        "store": {"url": f"sqlite:///{folder / 'connector.db'}"},
        "hub": {"url": hub_url, "token": hub_token, "batch_size": 100, "timeout_s": 10},
        "retry": {
            "max_attempts": 12,
            "base_delay_s": 1,
            "max_delay_s": 30,
            "quick_attempts": 3,
            "quick_max_wait_s": 2,
        },
        "delivery": {"every_s": 0.5, "lease_s": 30},
        "sync": {"hub_every_s": 1, "poll_batch": 100, "poll_rate_per_s": 50},
        "web": {"listen": "127.0.0.1:0"},
        "log": {"level": "WARNING"},
        "channels": channels,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _progress(connector) -> dict:
    with connector.store.transaction() as session:
        return {
            "pulled": session.scalar(select(func.count(distinct(IntakeItem.external_id)))),
            "quarantined": session.scalar(
                select(func.count())
                .select_from(QuarantineItem)
                .where(QuarantineItem.state == "open")
            ),
            "settled": outbox.next_due_in(session, connector.deliverer.route_keys) is None,
            **outbox.counts(session, kind="report"),
        }


def run_demo(options: DemoOptions, folder: Path, echo=click.echo) -> DemoResult:
    result = DemoResult()
    started = time.monotonic()
    external = options.hub_url is not None
    if external:  # a hub that may hold an earlier run's reports: this run's channels are new
        tag = secrets.token_hex(3)
        result.portal_channel, result.sms_channel = f"laporpaman-{tag}", f"sms-1708-{tag}"
    sim = PortalSim(
        complaints=options.complaints,
        bad_share=options.bad_share,
        seed=options.seed,
        token=PORTAL_TOKEN,
    )
    gateway = SmsGatewaySim(SMS_SECRET)
    with ExitStack() as running:
        hub_url = (
            options.hub_url or running.enter_context(_reference_hub(folder, options.drift)).url
        )
        portal = running.enter_context(ServerThread(create_portal_app(sim), name="portal-sim"))
        gateway_url = (
            running.enter_context(ServerThread(gateway.app(), name="sms-gateway")).url
            if options.sms
            else None
        )
        expected = requests.get(portal.url + "/_sim/expected", timeout=10).json()
        result.expected_good, result.expected_bad = len(expected["good"]), len(expected["bad"])
        echo(
            f"hub on {hub_url}{' (given)' if external else ''}, portal simulator on {portal.url} with "
            f"{result.expected_good} good and {result.expected_bad} bad complaints"
            + (f", {options.sms} SMS through the gateway simulator" if options.sms else "")
            + f"; store in {folder}"
        )
        config = config_mod.load(
            write_config(folder, hub_url, options.hub_token, portal.url, result, gateway_url)
        )
        daemon = Daemon(config)
        daemon.start()
        try:
            _scenarios(daemon, options, result, sim, gateway, hub_url, portal.url, expected, echo)
        finally:
            daemon.stop()
        result.elapsed_s = time.monotonic() - started
        _check(
            result, config, expected, HubClient(hub_url, options.hub_token), gateway, options.sms
        )
    return result


def _reference_hub(folder: Path, drift: bool) -> ServerThread:
    from lapor_hub.app import create_app as create_hub_app
    from lapor_hub.settings import HubSettings

    settings = HubSettings(
        store_url=f"sqlite:///{folder / 'hub.db'}",
        connectors={HUB_TOKEN: CONNECTOR_ID},
        admin_token=HUB_ADMIN_TOKEN,
        faults_enabled=drift,
    )
    return ServerThread(create_hub_app(settings), name="hub")


def _scenarios(
    daemon: Daemon,
    options: DemoOptions,
    result: DemoResult,
    sim,
    gateway,
    hub_url,
    portal_url,
    expected,
    echo,
) -> None:
    connector = daemon.connector
    result.capabilities, result.missing_capabilities = (
        connector.capabilities.describe(),
        connector.capabilities.missing,
    )
    if options.sms:
        result.sms_sent = gateway.deliver(
            f"{daemon.web.url}/inbound/{result.sms_channel}", messages(options.sms, options.seed)
        )
    result.timed_out = not _wait(daemon, result, options.timeout_s)
    if result.timed_out:
        return
    if options.with_updates:
        echo("status updates: national acts at the hub, local follow-ups in the portal …", err=True)
        good = {str(i) for i in expected["good"]}
        fresh = [
            str(r["id"])
            for r in sim.updated_since(None)
            if str(r["id"]) in good and r["status"] == "baru" and not r["tanggapan"]
        ]
        result.updates = run_update_scenario(
            hub_url,
            HUB_ADMIN_TOKEN,
            portal_url,
            connector.store,
            connector.channels[result.portal_channel].profile.status,
            fresh,
        )
    echo(
        "reconciliation with the hub"
        + (", after drift injected at the hub" if options.drift else "")
        + " …",
        err=True,
    )
    result.reconcile = run_reconcile_scenario(
        connector, hub_url, HUB_ADMIN_TOKEN, options.drift, result.portal_channel
    )


def _wait(daemon: Daemon, result: DemoResult, timeout_s: float) -> bool:
    total = result.expected_good + result.expected_bad + result.sms_sent
    deadline = time.monotonic() + timeout_s
    with click.progressbar(
        length=total, label="complaints settled", file=sys.stderr, show_pos=True
    ) as bar:
        settled = 0
        while time.monotonic() < deadline:
            now = _progress(daemon.connector)
            done = now.get("delivered", 0) + now.get("dead", 0) + now["quarantined"]
            bar.update(done - settled)
            settled = done
            if now["pulled"] >= total and now["settled"] and done >= total:
                return True  # every report settled, and what came with it (follow-ups, acknowledgements)
            time.sleep(0.3)
    return False


def _check(
    result: DemoResult, config, expected: dict, hub: HubClient, gateway: SmsGatewaySim, sms: int
) -> None:
    store = Store(config.store_url)  # the daemon closed its own
    with store.transaction() as session:
        result.pulled = session.scalar(select(func.count(distinct(IntakeItem.external_id))))
        complaints = {(c.channel_id, c.source_ref): c for c in session.scalars(select(Complaint))}
        quarantined = {
            q.external_id: q
            for q in session.scalars(select(QuarantineItem).where(QuarantineItem.state == "open"))
        }
        letters = list_letters(session, limit=100_000)
        routes = outbox.counts_by_route(session)
    store.dispose()
    result.dead = len(letters)
    result.rejected_by_hub = [
        f"{letter.subject}: {letter.reason}"
        for letter in letters
        if (letter.code or "").startswith("hub_")
    ]
    result.follow_ups = routes.get(("status_update", "hub"), {}).get("delivered", 0)
    result.held = sum(states.get("held", 0) for states in routes.values())
    ours = {result.portal_channel, result.sms_channel}
    at_hub = [r for r in hub.list_reports() if r["report"]["source"]["channel_id"] in ours]
    keys = Counter(
        (r["report"]["source"]["channel_id"], r["report"]["source"]["source_ref"]) for r in at_hub
    )
    hub_tracking = {
        (r["report"]["source"]["channel_id"], r["report"]["source"]["source_ref"]): r["tracking_id"]
        for r in at_hub
    }
    portal = result.portal_channel
    result.normalized = len(complaints)
    result.quarantined = len(quarantined)
    result.delivered = sum(1 for c in complaints.values() if c.tracking_id)
    result.at_hub = sum(1 for ch, _ in keys if ch == portal)
    result.sms_at_hub = sum(1 for ch, _ in keys if ch == result.sms_channel)
    result.duplicates_at_hub = len(at_hub) - len(keys)
    sms_phones = {
        c.report.get("complainant", {}).get("phone")
        for (ch, _), c in complaints.items()
        if ch == result.sms_channel
    }
    result.acknowledged = len(sms_phones & gateway.recipients()) if sms else 0
    result.review = sum(1 for c in complaints.values() if c.needs_review)
    result.warnings = sum(len(c.notes.get("warnings", [])) for c in complaints.values())
    good, bad = [str(i) for i in expected["good"]], [str(i) for i in expected["bad"]]
    result.missing_at_hub = [ref for ref in good if (portal, ref) not in keys]
    result.tracking_mismatches = [
        f"{ch}/{ref}"
        for (ch, ref), c in complaints.items()
        if c.tracking_id != hub_tracking.get((ch, ref))
    ]
    result.bad_not_quarantined = [
        ref for ref in bad if ref not in quarantined or not quarantined[ref].problems
    ]
    result.good_quarantined = [ref for ref in good if ref in quarantined]
    result.quarantine_reasons = sorted(
        (ref, "; ".join(str(Problem(**p)) for p in q.problems)) for ref, q in quarantined.items()
    )


@click.command()
@click.option(
    "--complaints",
    default=1000,
    show_default=True,
    help="Good complaints the portal simulator seeds.",
)
@click.option(
    "--bad-share",
    default=0.03,
    show_default=True,
    help="Share of deliberately bad records added on top.",
)
@click.option(
    "--sms",
    default=50,
    show_default=True,
    help="Complaints by SMS, posted through the JSON webhook gateway channel.",
)
@click.option(
    "--hub",
    "hub_url",
    metavar="URL",
    help="Deliver to this hub instead of starting the reference hub.",
)
@click.option(
    "--hub-token",
    metavar="TOKEN",
    help="The bearer token that hub issued to connector 'kalsel' (with --hub).",
)
@click.option("--seed", default=63, show_default=True)
@click.option(
    "--timeout",
    "timeout_s",
    default=600.0,
    show_default=True,
    help="Give up after this many seconds.",
)
@click.option(
    "--keep",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the stores and config in this folder.",
)
@click.option(
    "--with-updates",
    is_flag=True,
    help="Then carry status updates both ways: national decisions to the portal, "
    "local follow-ups to the hub (reference hub only).",
)
@click.option(
    "--drift",
    is_flag=True,
    help="Before the closing reconciliation, delete a report at the hub and change "
    "another's status there behind the connector's back; show both found and repaired (reference hub only).",
)
def demo(
    complaints, bad_share, sms, hub_url, hub_token, seed, timeout_s, keep, with_updates, drift
):
    """Run portal simulator, connector and a hub on loopback; end with a table. Exit 0 only if all went through."""
    from connector.cli.common import setup_logging
    from lapor_testbed.demo.report import print_table

    if hub_url and (with_updates or drift):
        raise click.UsageError(
            "--with-updates and --drift act through the reference hub's admin API; leave out --hub"
        )
    if bool(hub_url) != bool(hub_token):
        raise click.UsageError("--hub and --hub-token go together")
    setup_logging("ERROR")  # the table below reports quarantine and failures
    folder = keep or Path(tempfile.mkdtemp(prefix="lapor-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    options = DemoOptions(
        complaints,
        bad_share,
        seed,
        sms,
        hub_url,
        hub_token or HUB_TOKEN,
        with_updates,
        drift,
        timeout_s,
    )
    try:
        result = run_demo(options, folder.resolve())
    finally:
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print_table(result)
    sys.exit(0 if result.ok else 1)
