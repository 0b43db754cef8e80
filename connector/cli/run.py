"""`lapor-connector run`, `sync` and `status`: the daemon, one pull-and-deliver pass, the counts."""

from __future__ import annotations

import sys
import time

import click
from sqlalchemy import func, select

from connector.cli.common import (
    CONFIG_OPTION,
    exit_with,
    load_config,
    open_connector,
    setup_logging,
    store_session,
)
from connector.errors import ConfigError


@click.command()
@CONFIG_OPTION
def run(config_path):
    """Run the daemon: scheduled pulls and delivery, and the web app. Stops cleanly on SIGTERM."""
    from connector.daemon import Daemon

    config = load_config(config_path)
    setup_logging(config.data["log"]["level"])
    try:
        daemon = Daemon(config)
    except ConfigError as exc:
        exit_with(exc)
    daemon.run_forever()


@click.command()
@CONFIG_OPTION
@click.option(
    "--once", is_flag=True, help="One cycle: pull every channel once, deliver what is due, exit."
)
@click.option(
    "--timeout",
    default=600.0,
    show_default=True,
    help="Without --once: give up after this many seconds.",
)
def sync(config_path, once, timeout):
    """Pull and deliver now. Without --once, repeat until nothing is left to deliver (waiting out backoffs)."""
    from connector.outbox import queue as outbox

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
        click.echo(
            f"{cid}: {s.received} received, {s.accepted} new, {s.quarantined} quarantined, "
            f"{s.duplicates} repeats, {s.revisions} revisions"
        )
    h = stats.hub_updates
    if h.received:
        click.echo(
            f"hub: {h.received} national updates, {h.applied} applied, {h.superseded} superseded, "
            f"{h.noop} without change, {h.duplicates} repeats, {h.parked} parked"
        )
    for route, d in stats.delivery.items():
        if d.batches:
            click.echo(
                f"{route}: {d.delivered} delivered ({d.duplicates} already there), {d.retried} to retry, {d.dead} dead"
            )
        if d.held:
            click.echo(f"{route}: {d.held} held: the hub does not offer what this route needs")
    for error in stats.errors:
        click.echo(f"error: {error}", err=True)


@click.command()
@CONFIG_OPTION
def status(config_path):
    """Counts: complaints, outbox states, open quarantine, the hub's capabilities, the last reconciliation."""
    from connector.delivery import capabilities as hub_capabilities
    from connector.outbox import queue as outbox
    from connector.store.models import Complaint, OutboxItem, QuarantineItem, ReconcileRun

    with store_session(config_path) as (_, session):
        complaints = session.scalar(select(func.count()).select_from(Complaint))
        routes = outbox.counts_by_route(session)
        held = dict(
            session.execute(
                select(OutboxItem.target, func.max(OutboxItem.last_error))
                .where(OutboxItem.state == "held")
                .group_by(OutboxItem.target)
            ).all()
        )
        open_q = session.scalar(
            select(func.count()).select_from(QuarantineItem).where(QuarantineItem.state == "open")
        )
        last = session.scalars(
            select(ReconcileRun).order_by(ReconcileRun.id.desc()).limit(1)
        ).first()
        caps = hub_capabilities.load(session)
    click.echo(f"complaints: {complaints}")
    click.echo("outbox:" + ("" if routes else " empty"))
    for (kind, target), states in sorted(routes.items()):
        why = f" ({held[target]})" if states.get("held") and target in held else ""
        click.echo(
            f"  {kind} → {target}: "
            + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
            + why
        )
    click.echo(f"quarantine (open): {open_q}")
    if caps is None:
        click.echo("hub capabilities: not read yet")
    else:
        click.echo(
            f"hub capabilities (read {caps.checked_at.isoformat(timespec='seconds')}): {caps.describe()}"
        )
        for capability in caps.missing:
            click.echo(f"  without {capability}: {hub_capabilities.INSTEAD[capability]}")
    if last is None:
        click.echo("reconciliation: never run")
    else:
        found = ", ".join(f"{v} {k}" for k, v in last.counts.items() if v) or "no difference"
        click.echo(
            f"reconciliation: run {last.id} at {last.started_at.isoformat(timespec='seconds')} ({last.method}): {found}"
            + (f" ({last.error})" if last.error else "")
        )
