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
from datetime import datetime

import click
from sqlalchemy import func, select

from . import __version__
from . import config as config_mod
from .errors import ConfigError, ConnectorError
from .validate import Problem

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
    from .hub_client import HubClient

    failed = 0
    for cid, channel in built.items():
        result = channel.probe()
        failed += not result.ok
        click.echo(f"  channel {cid}: {'ok' if result.ok else 'FAILED'}: {result.detail}")
    try:
        HubClient.from_config(config).stats()
        click.echo("  hub: ok")
    except ConnectorError as exc:
        failed += 1
        click.echo(f"  hub: FAILED: {exc}")
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
        click.echo(f"hub feed: {h.received} national updates, {h.applied} applied, {h.superseded} superseded, "
                   f"{h.noop} without change, {h.duplicates} repeats, {h.parked} parked")
    for route, d in stats.delivery.items():
        if d.batches:
            click.echo(f"{route}: {d.delivered} delivered ({d.duplicates} already there), {d.retried} to retry, {d.dead} dead")
    for error in stats.errors:
        click.echo(f"error: {error}", err=True)


@main.command()
@CONFIG_OPTION
def status(config_path):
    """Counts: complaints, outbox states, open quarantine."""
    from . import outbox
    from .store.models import Complaint, QuarantineItem

    with store_session(config_path) as (_, session):
        complaints = session.scalar(select(func.count()).select_from(Complaint))
        routes = outbox.counts_by_route(session)
        open_q = session.scalar(select(func.count()).select_from(QuarantineItem).where(QuarantineItem.state == "open"))
    click.echo(f"complaints: {complaints}")
    click.echo("outbox:" + ("" if routes else " empty"))
    for (kind, target), states in sorted(routes.items()):
        click.echo(f"  {kind} → {target}: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items())))
    click.echo(f"quarantine (open): {open_q}")


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

    from .canonical import canonical_json
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


# -- dead letters and quarantine -------------------------------------------------------

@main.group()
def dlq():
    """Dead letters: outbox items that will not be retried (o<id>) and parked status updates (u<id>)."""


@dlq.command("list")
@CONFIG_OPTION
@click.option("--limit", default=100, show_default=True)
def dlq_list(config_path, limit):
    """Every dead letter with its reason."""
    from .deadletters import list_letters

    with store_session(config_path) as (_, session):
        letters = list_letters(session, limit)
    for d in letters:
        attempts = f"{d.attempts} attempts" if d.attempts is not None else "-"
        click.echo(f"{d.ref}\t{d.kind}\t{d.subject}\t{attempts}\t{d.code}: {d.reason}")
    if not letters:
        click.echo("no dead letters")


@dlq.command("show")
@CONFIG_OPTION
@click.argument("ref")
def dlq_show(config_path, ref):
    """One dead letter: why it is there and what it holds (personal data masked)."""
    from .deadletters import UnknownLetterError, get
    from .masking import mask_report
    from .store.models import Complaint, OutboxItem

    with store_session(config_path) as (_, session):
        try:
            row = get(session, ref)
        except UnknownLetterError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        if isinstance(row, OutboxItem):
            click.echo(f"o{row.id}: {row.kind} → {row.target}, state {row.state}, {row.attempts} attempts")
            click.echo(f"key: {row.idempotency_key}")
            click.echo(f"last error: {row.last_error_code}: {row.last_error}")
            complaint = session.get(Complaint, row.complaint_id) if row.complaint_id else None
            shown = mask_report(complaint.report) if row.kind == "report" and complaint else row.payload
        else:
            click.echo(f"u{row.id}: {row.origin} update {row.update_id}, parked")
            click.echo(f"reason: {row.reason}")
            shown = row.payload
        if shown:
            click.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@dlq.command("replay")
@CONFIG_OPTION
@click.argument("refs", nargs=-1)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead letter.")
def dlq_replay(config_path, refs, replay_all):
    """Give dead letters another go (by id, or --all)."""
    from .deadletters import UnknownLetterError, replay

    if not refs and not replay_all:
        raise click.UsageError("name dead-letter ids (o12, u7) or use --all")
    with store_session(config_path) as (connector, session):
        try:
            count = replay(session, None if replay_all else list(refs), connector.hub_sync)
        except UnknownLetterError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    click.echo(f"{count} item(s) back in the queue")


@dlq.command("discard")
@CONFIG_OPTION
@click.argument("refs", nargs=-1, required=True)
def dlq_discard(config_path, refs):
    """Give up on dead letters for good; the complaint's later items may then go out."""
    from .deadletters import UnknownLetterError, discard

    with store_session(config_path) as (_, session):
        try:
            count = discard(session, list(refs))
        except UnknownLetterError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    click.echo(f"{count} item(s) discarded")


@main.group()
def quarantine():
    """Inbound items that could not become a valid report."""


@quarantine.command("list")
@CONFIG_OPTION
@click.option("--all", "show_all", is_flag=True, help="Also resolved and discarded items.")
def quarantine_list(config_path, show_all):
    """Quarantined items with every reason."""
    from .store.models import QuarantineItem

    with store_session(config_path) as (_, session):
        query = select(QuarantineItem).order_by(QuarantineItem.id)
        if not show_all:
            query = query.where(QuarantineItem.state == "open")
        for row in session.scalars(query):
            reasons = "; ".join(str(Problem(**p)) for p in row.problems)
            click.echo(f"{row.id}\t{row.channel_id}/{row.external_id}\t{row.state}\t{reasons}")


@quarantine.command("show")
@CONFIG_OPTION
@click.argument("item_id", type=int)
def quarantine_show(config_path, item_id):
    """One quarantined item: its reasons and the record as received (personal data masked)."""
    from .masking import mask_record
    from .store.models import IntakeItem, QuarantineItem

    with store_session(config_path) as (connector, session):
        row = get_or_exit(session, QuarantineItem, item_id, "quarantine item")
        intake = session.get(IntakeItem, row.intake_id)
        click.echo(f"item {row.id}: {row.channel_id}/{row.external_id}, {row.state}, received {intake.received_at.isoformat()}")
        for p in row.problems:
            click.echo(f"  {Problem(**p)}")
        channel = connector.channels.get(row.channel_id)
        personal = channel.profile.personal_sources() if channel is not None else []
        try:
            click.echo(json.dumps(mask_record(json.loads(intake.payload), personal), indent=2, ensure_ascii=False))
        except ValueError:
            click.echo(f"  (payload: {len(intake.payload)} bytes of {intake.media_type})")


@main.command("review")
@CONFIG_OPTION
@click.option("--warnings", "with_warnings", is_flag=True, help="Also complaints that only had a field dropped.")
def review(config_path, with_warnings):
    """Complaints flagged for a person to look at: category fallbacks (and dropped fields)."""
    from sqlalchemy import or_

    from .store.models import Complaint

    with store_session(config_path) as (_, session):
        query = select(Complaint).order_by(Complaint.id)
        query = query.where(or_(Complaint.needs_review, Complaint.notes["warnings"].isnot(None)) if with_warnings
                            else Complaint.needs_review)
        shown = 0
        for c in session.scalars(query):
            notes = [f"{r['field']}: {r['reason']}" + (f" (was '{c.report.get('category', {}).get('source_value')}')"
                     if r["field"] == "$.category" else "") for r in c.notes.get("review", [])]
            notes += c.notes.get("warnings", []) if with_warnings else []
            if notes:
                shown += 1
                click.echo(f"{c.channel_id}/{c.source_ref}\ttracking {c.tracking_id or '-'}\t" + "; ".join(notes))
    if not shown:
        click.echo("nothing to review")


@main.command("sla")
@CONFIG_OPTION
@click.option("--all", "show_all", is_flag=True, help="Every running clock, not only those near or past their deadline.")
def sla(config_path, show_all):
    """Reports past or near their deadline (verification, follow-up, automatic close), on working days."""
    from . import sla as sla_mod
    from .workdays import Calendar

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
        state = f"{-d.days_left} working day(s) late" if d.overdue else f"{d.days_left} working day(s) left"
        click.echo(f"{d.tracking_id}\t{d.source}\t{d.status}\t{d.clock} due {d.due.isoformat()}\t{state}")
    if not calendar.covers(datetime.now(config.tz).date()):
        click.echo("warning: the holiday calendar has no entries for this year; add them to "
                   f"{config.data['sla']['calendar']}", err=True)
    if not shown:
        click.echo("no report is near or past a deadline" if not show_all else "no clock is running")


def _register_subcommands() -> None:
    from .demo import demo
    from .hub.cli import hub
    from .sim.cli import portal_sim

    main.add_command(hub)
    main.add_command(portal_sim)
    main.add_command(demo)


_register_subcommands()
