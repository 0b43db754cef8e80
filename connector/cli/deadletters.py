"""What is stuck and needs a person: dead letters (`dlq`), quarantined input
(`quarantine`), complaints flagged for review (`review`). Thin: read the store, print."""

from __future__ import annotations

import json
import sys

import click
from sqlalchemy import select

from connector.cli.common import CONFIG_OPTION, get_or_exit, store_session
from lapor_exchange.problems import Problem


@click.group()
def dlq():
    """Dead letters: outbox items that will not be retried (o<id>) and parked status updates (u<id>)."""


@dlq.command("list")
@CONFIG_OPTION
@click.option("--limit", default=100, show_default=True)
def dlq_list(config_path, limit):
    """Every dead letter with its reason."""
    from connector.ops.deadletters import list_letters

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
    from connector.ops.deadletters import UnknownLetterError, get
    from connector.ops.masking import mask_report
    from connector.store.models import Complaint, OutboxItem

    with store_session(config_path) as (_, session):
        try:
            row = get(session, ref)
        except UnknownLetterError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        if isinstance(row, OutboxItem):
            click.echo(
                f"o{row.id}: {row.kind} → {row.target}, state {row.state}, {row.attempts} attempts"
            )
            click.echo(f"key: {row.idempotency_key}")
            click.echo(f"last error: {row.last_error_code}: {row.last_error}")
            complaint = session.get(Complaint, row.complaint_id) if row.complaint_id else None
            shown = (
                mask_report(complaint.report) if row.kind == "report" and complaint else row.payload
            )
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
    from connector.ops.deadletters import UnknownLetterError, replay

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
    from connector.ops.deadletters import UnknownLetterError, discard

    with store_session(config_path) as (_, session):
        try:
            count = discard(session, list(refs))
        except UnknownLetterError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
    click.echo(f"{count} item(s) discarded")


@click.group()
def quarantine():
    """Inbound items that could not become a valid report."""


@quarantine.command("list")
@CONFIG_OPTION
@click.option("--all", "show_all", is_flag=True, help="Also resolved and discarded items.")
def quarantine_list(config_path, show_all):
    """Quarantined items with every reason."""
    from connector.store.models import QuarantineItem

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
    from connector.ops.masking import mask_record
    from connector.store.models import IntakeItem, QuarantineItem

    with store_session(config_path) as (connector, session):
        row = get_or_exit(session, QuarantineItem, item_id, "quarantine item")
        intake = session.get(IntakeItem, row.intake_id)
        click.echo(
            f"item {row.id}: {row.channel_id}/{row.external_id}, {row.state}, received {intake.received_at.isoformat()}"
        )
        for p in row.problems:
            click.echo(f"  {Problem(**p)}")
        channel = connector.channels.get(row.channel_id)
        personal = channel.profile.personal_sources() if channel is not None else []
        try:
            click.echo(
                json.dumps(
                    mask_record(json.loads(intake.payload), personal), indent=2, ensure_ascii=False
                )
            )
        except ValueError:
            click.echo(f"  (payload: {len(intake.payload)} bytes of {intake.media_type})")


@click.command("review")
@CONFIG_OPTION
@click.option(
    "--warnings",
    "with_warnings",
    is_flag=True,
    help="Also complaints that only had a field dropped.",
)
def review(config_path, with_warnings):
    """Complaints flagged for a person to look at: category fallbacks (and dropped fields)."""
    from sqlalchemy import or_

    from connector.store.models import Complaint

    with store_session(config_path) as (_, session):
        query = select(Complaint).order_by(Complaint.id)
        query = query.where(
            or_(Complaint.needs_review, Complaint.notes["warnings"].isnot(None))
            if with_warnings
            else Complaint.needs_review
        )
        shown = 0
        for c in session.scalars(query):
            notes = [
                f"{r['field']}: {r['reason']}"
                + (
                    f" (was '{c.report.get('source', {}).get('category_value')}')"
                    if r["field"] == "$.category"
                    else ""
                )
                for r in c.notes.get("review", [])
            ]
            notes += c.notes.get("warnings", []) if with_warnings else []
            if notes:
                shown += 1
                click.echo(
                    f"{c.channel_id}/{c.source_ref}\ttracking {c.tracking_id or '-'}\t"
                    + "; ".join(notes)
                )
    if not shown:
        click.echo("nothing to review")
