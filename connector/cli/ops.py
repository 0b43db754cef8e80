"""Operator commands on time: deadlines (`sla`), reconciliation with the hub (`reconcile`),
retention (`retention`). Thin: call the module that does the work, print."""

from __future__ import annotations

import sys
from datetime import datetime

import click

from connector.cli.common import (
    CONFIG_OPTION,
    exit_with,
    load_config,
    open_connector,
    store_session,
)
from connector.errors import ConfigError, ConnectorError


@click.command("sla")
@CONFIG_OPTION
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Every running clock, not only those near or past their deadline.",
)
def sla(config_path, show_all):
    """Reports past or near their deadline (verification, follow-up, automatic close), on working days."""
    from connector.ops import sla as sla_mod
    from connector.ops.workdays import Calendar

    config = load_config(config_path)
    try:
        calendar = Calendar.load(config.data["sla"]["calendar"])
    except ConfigError as exc:
        exit_with(exc)
    rules = sla_mod.SlaRules.from_config(config.data["sla"])
    with store_session(config_path) as (_, session):
        found = sla_mod.deadlines(session, calendar, rules, config.tz)
    shown = found if show_all else sla_mod.near_or_past(found, rules)
    for d in shown:
        state = (
            f"{-d.days_left} working day(s) late"
            if d.overdue
            else f"{d.days_left} working day(s) left"
        )
        click.echo(
            f"{d.tracking_id}\t{d.source}\t{d.status}\t{d.clock} due {d.due.isoformat()}\t{state}"
        )
    if not calendar.covers(datetime.now(config.tz).date()):
        click.echo(
            "warning: the holiday calendar has no entries for this year; add them to "
            f"{config.data['sla']['calendar']}",
            err=True,
        )
    if not shown:
        click.echo(
            "no report is near or past a deadline" if not show_all else "no clock is running"
        )


@click.group("reconcile", invoke_without_command=True)
@CONFIG_OPTION
@click.option(
    "--repair",
    is_flag=True,
    help="Repair what can be repaired (queue missing reports again, take the hub's status).",
)
@click.pass_context
def reconcile(ctx, config_path, repair):
    """Compare this connector's store with the hub's view; every difference is recorded (and repaired)."""
    if ctx.invoked_subcommand is not None:
        return
    from connector.reconcile.reconciler import KINDS
    from lapor_exchange.capabilities import AUDIT_CHECKPOINTS

    connector = open_connector(config_path)
    try:
        connector.discover()
        with click.progressbar(length=1, label="buckets that differ", file=sys.stderr) as bar:

            def progress(done, total):
                bar.length = max(total, 1)
                bar.update(done - bar.pos)

            run = connector.reconciler().run(repair=repair, progress=progress)
    except ConnectorError as exc:
        click.echo(f"reconciliation failed: {exc}", err=True)
        sys.exit(3)
    finally:
        connector.close()
    click.echo(
        f"run {run.id}: {run.ours} reports here, {run.theirs} at the hub, {run.differing_buckets} of {run.buckets} "
        f"buckets differ, {run.bytes_exchanged} bytes exchanged ({run.method})"
    )
    for kind in KINDS:
        click.echo(f"  {kind:<20} {run.counts.get(kind, 0)}")
    if not connector.capabilities.has(AUDIT_CHECKPOINTS):
        click.echo(
            "audit checkpoint: the hub keeps none (the audit log is verified on this server only)"
        )
    else:
        click.echo(
            f"audit checkpoint: {'entry ' + str(run.checkpoint_seq) if run.checkpoint_seq else run.error}"
        )
    sys.exit(0 if not any(run.counts.values()) else 1)


@reconcile.command("report")
@CONFIG_OPTION
@click.argument("run_id", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True
)
def reconcile_report(config_path, run_id, fmt):
    """A run's findings (what differed, and what was repaired) as CSV or JSON Lines."""
    from connector.reconcile.reconciler import write_report

    with store_session(config_path) as (_, session):
        try:
            write_report(session, run_id, click.get_text_stream("stdout"), fmt)
        except LookupError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)


@click.command("retention")
@CONFIG_OPTION
def retention(config_path):
    """Erase what is past its retention period (raw payloads, complainants' identities)."""
    from connector.ops.retention import apply

    connector = open_connector(config_path)
    try:
        rules = connector.config.data["retention"]
        stats = apply(connector.store, rules.get("raw_days"), rules.get("personal_days"))
    finally:
        connector.close()
    click.echo(
        f"erased: {stats.payloads} raw payload(s), {stats.complaints} complainant identity(ies), {stats.messages} citizen message(s)"
    )
