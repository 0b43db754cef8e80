"""The `lapor-connector` command. Thin: parse arguments, call the module that
does the work, print. Command groups owned by other modules (hub, portal-sim,
demo) are registered at the bottom.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextlib import contextmanager

import click
from sqlalchemy import func, select

from . import __version__
from . import config as config_mod
from .errors import ConfigError, ConnectorError

CONFIG_OPTION = click.option(
    "-c", "--config", "config_path", envvar="LAPOR_CONNECTOR_CONFIG", default="config.yaml", show_default=True,
    type=click.Path(dir_okay=False), help="Configuration file (env LAPOR_CONNECTOR_CONFIG).")


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=getattr(logging, level), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # "skipped: maximum number of running instances reached" is normal: a job outlasted its interval.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def exit_with(exc: ConfigError):
    """One line per problem on stderr, exit 2."""
    for line in str(exc).splitlines():
        click.echo(line, err=True)
    sys.exit(2)


def load_config(path: str):
    """The checked config, or exit 2 with one line per problem."""
    try:
        return config_mod.load(path)
    except ConfigError as exc:
        exit_with(exc)


def open_connector(path: str):
    from .daemon import Connector

    config = load_config(path)
    try:
        connector = Connector(config)
    except ConfigError as exc:
        exit_with(exc)
    connector.store.upgrade()
    return connector


@contextmanager
def store_session(config_path: str):
    """(connector, session) for one command; commits at the end, always closes."""
    connector = open_connector(config_path)
    try:
        with connector.store.transaction() as session:
            yield connector, session
    finally:
        connector.close()


def get_or_exit(session, model, item_id: int, what: str):
    row = session.get(model, item_id)
    if row is None:
        click.echo(f"no {what} {item_id}", err=True)
        sys.exit(1)
    return row


@click.group()
@click.version_option(__version__, prog_name="lapor-connector")
def main():
    """lapor-connector: carries complaints from regional channels to the national SP4N-LAPOR! hub."""


@main.command("check-config")
@click.argument("config_path", type=click.Path(dir_okay=False))
@click.option("--probe", is_flag=True, help="Also contact every channel's source and the hub.")
def check_config(config_path, probe):
    """Check a configuration file: one line per problem, naming the key."""
    from . import channels as channel_kinds

    config = load_config(config_path)
    try:
        built = channel_kinds.build(config)
    except ConfigError as exc:
        exit_with(exc)
    click.echo(f"{config_path}: OK: connector {config.connector_id}, {len(built)} channel(s): "
               + ", ".join(f"{cid} [{ch.kind}]" for cid, ch in built.items()))
    if probe:
        sys.exit(_probe(config, built))


def _probe(config, built) -> int:
    from lapor_exchange import capabilities

    from .hub_client import HubClient

    failed = 0
    for cid, channel in built.items():
        result = channel.probe()
        failed += not result.ok
        click.echo(f"  channel {cid}: {'ok' if result.ok else 'FAILED'}: {result.detail}")
    hub = HubClient.from_config(config)
    try:
        offered = capabilities.offered(hub.document())
        hub.find_report("probe", "probe")  # a core call with the token: is it accepted?
    except ConnectorError as exc:
        failed += 1
        click.echo(f"  hub: FAILED: {exc}")
    else:
        missing = [c for c in capabilities.OPTIONAL if c not in offered]
        core = "" if capabilities.CORE in offered else " (its document lacks core operations)"
        click.echo(f"  hub: ok{core}; offers {', '.join(c for c in capabilities.OPTIONAL if c in offered) or 'the core only'}"
                   + (f"; not: {', '.join(missing)}" if missing else ""))
    return 1 if failed else 0


@main.command()
@CONFIG_OPTION
def run(config_path):
    """Run the daemon: scheduled pulls and delivery, and the web app. Stops cleanly on SIGTERM."""
    from .daemon import Daemon

    config = load_config(config_path)
    setup_logging(config.data["log"]["level"])
    try:
        daemon = Daemon(config)
    except ConfigError as exc:
        exit_with(exc)
    daemon.run_forever()


@main.command()
@CONFIG_OPTION
@click.option("--once", is_flag=True, help="One cycle: pull every channel once, deliver what is due, exit.")
@click.option("--timeout", default=600.0, show_default=True, help="Without --once: give up after this many seconds.")
def sync(config_path, once, timeout):
    """Pull and deliver now. Without --once, repeat until nothing is left to deliver (waiting out backoffs)."""
    from . import outbox

    setup_logging("WARNING")
    connector = open_connector(config_path)
    deadline = time.monotonic() + timeout
    try:
        connector.discover(announce=True)
        while True:
            stats = connector.cycle()
            _print_cycle(stats)
            with connector.store.transaction() as session:
                wait = outbox.next_due_in(session, connector.deliverer.route_keys)
            if once or wait is None or time.monotonic() + wait > deadline:
                break
            time.sleep(max(wait, 0.2))
    finally:
        connector.close()
    sys.exit(1 if stats.errors else 0)


def _print_cycle(stats) -> None:
    for cid, s in stats.intake.items():
        click.echo(f"{cid}: {s.received} received, {s.accepted} new, {s.quarantined} quarantined, "
                   f"{s.duplicates} repeats, {s.revisions} revisions")
    h = stats.hub_updates
    if h.received:
        click.echo(f"hub: {h.received} national updates, {h.applied} applied, {h.superseded} superseded, "
                   f"{h.noop} without change, {h.duplicates} repeats, {h.parked} parked")
    for route, d in stats.delivery.items():
        if d.batches:
            click.echo(f"{route}: {d.delivered} delivered ({d.duplicates} already there), {d.retried} to retry, {d.dead} dead")
        if d.held:
            click.echo(f"{route}: {d.held} held: the hub does not offer what this route needs")
    for error in stats.errors:
        click.echo(f"error: {error}", err=True)


@main.command()
@CONFIG_OPTION
def status(config_path):
    """Counts: complaints, outbox states, open quarantine, the hub's capabilities, the last reconciliation."""
    from . import hub_capabilities, outbox
    from .store.models import Complaint, OutboxItem, QuarantineItem, ReconcileRun

    with store_session(config_path) as (_, session):
        complaints = session.scalar(select(func.count()).select_from(Complaint))
        routes = outbox.counts_by_route(session)
        held = dict(session.execute(select(OutboxItem.target, func.max(OutboxItem.last_error))
                                    .where(OutboxItem.state == "held").group_by(OutboxItem.target)).all())
        open_q = session.scalar(select(func.count()).select_from(QuarantineItem).where(QuarantineItem.state == "open"))
        last = session.scalars(select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(1)).first()
        caps = hub_capabilities.load(session)
    click.echo(f"complaints: {complaints}")
    click.echo("outbox:" + ("" if routes else " empty"))
    for (kind, target), states in sorted(routes.items()):
        why = f" ({held[target]})" if states.get("held") and target in held else ""
        click.echo(f"  {kind} → {target}: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())) + why)
    click.echo(f"quarantine (open): {open_q}")
    if caps is None:
        click.echo("hub capabilities: not read yet")
    else:
        click.echo(f"hub capabilities (read {caps.checked_at.isoformat(timespec='seconds')}): {caps.describe()}")
        for capability in caps.missing:
            click.echo(f"  without {capability}: {hub_capabilities.INSTEAD[capability]}")
    if last is None:
        click.echo("reconciliation: never run")
    else:
        found = ", ".join(f"{v} {k}" for k, v in last.counts.items() if v) or "no difference"
        click.echo(f"reconciliation: run {last.id} at {last.started_at.isoformat(timespec='seconds')} ({last.method}): {found}"
                   + (f" ({last.error})" if last.error else ""))


@main.group()
def db():
    """The connector's store."""


@db.command("upgrade")
@CONFIG_OPTION
def db_upgrade(config_path):
    """Apply the database migrations (also done on every start)."""
    from .store.db import Store

    config = load_config(config_path)
    store = Store(config.store_url)
    store.upgrade()
    store.dispose()
    click.echo("store is at the newest schema")


@main.group()
def mapping():
    """Mapping profiles."""


@mapping.command("try")
@click.argument("profile_path", type=click.Path(exists=True, dir_okay=False))
@click.argument("sample", type=click.File("rb"))
@click.option("--connector-id", default="try", show_default=True)
@click.option("--timezone", "tz_name", default="Asia/Makassar", show_default=True)
@click.option("--show-personal", is_flag=True, help="Print the complainant's data unmasked.")
def mapping_try(profile_path, sample, connector_id, tz_name, show_personal):
    """Map SAMPLE.json (one record, or a list of records) with PROFILE; print each report or its errors."""
    from zoneinfo import ZoneInfo

    from lapor_exchange.canonical import canonical_json
    from .channels.base import RawItem
    from .mapping.profile import Profile, get_path
    from .normalize import Normalizer

    try:
        profile = Profile.load(profile_path)
    except ConfigError as exc:
        exit_with(exc)
    try:
        data = json.load(sample)
    except ValueError as exc:
        click.echo(f"{sample.name}: not JSON: {exc}", err=True)
        sys.exit(2)
    normalize = Normalizer(profile, connector_id, ZoneInfo(tz_name))
    id_path = (profile.source or {}).get("id", "id")
    failed = 0
    for i, record in enumerate(data if isinstance(data, list) else [data]):
        ref = get_path(record, id_path) if isinstance(record, dict) else None
        ref = str(ref) if isinstance(ref, (str, int)) else f"sample-{i}"
        result = normalize(RawItem(profile.name, ref, canonical_json(record).encode()))
        failed += not result.ok
        _print_result(ref, result, show_personal)
    sys.exit(1 if failed else 0)


def _print_result(ref: str, result, show_personal: bool) -> None:
    from .masking import mask_report

    if result.ok:
        report = result.report if show_personal else mask_report(result.report)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(f"record {ref}: rejected")
        for problem in result.problems:
            click.echo(f"  {problem}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")
    for item in result.review:
        click.echo(f"  review: {item['field']}: {item['reason']}")


def _register_subcommands() -> None:
    from . import (
        cli_audit,  # noqa: F401
        cli_ops,  # noqa: F401  (registers dlq, quarantine, review, sla on `main`)
    )
    from .demo import demo
    from lapor_hub.cli import hub
    from .sim.cli import portal_sim

    main.add_command(hub)
    main.add_command(portal_sim)
    main.add_command(demo)


_register_subcommands()
