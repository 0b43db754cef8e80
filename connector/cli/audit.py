"""The auditor's commands: `audit verify` (is the chain intact, and does it match the
checkpoints the hub holds?), `audit export` (csv or jsonl, by time) and `audit show REF`.
Thin, like the rest of the command line: the work is in connector/audit.py.

They only read. On SQLite they read through a connection of their own that is
`query_only` and does not start with BEGIN IMMEDIATE: walking a long log must not hold
the write lock the running daemon needs (its writers give up after the busy timeout).
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from datetime import datetime

import click
from sqlalchemy import create_engine, event
from sqlalchemy.orm import Session

from connector.cli.common import CONFIG_OPTION, load_config
from connector.errors import ConnectorError

EXIT_BROKEN = 1
EXIT_HUB_UNREACHABLE = 3


@click.group()
def audit():
    """The append-only, hash-chained audit log: verify it, export it, show one reference."""


@contextmanager
def reading(config):
    """A session for reading the store named in `config` (brought to the newest schema)."""
    from connector.store.db import SQLITE_BUSY_TIMEOUT_MS, Store

    store = Store(config.store_url)
    engine = store.engine
    try:
        store.upgrade()
        if store.dialect == "sqlite":
            engine = create_engine(
                config.store_url,
                hide_parameters=True,
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            )
            event.listen(
                engine,
                "connect",
                lambda dbapi_connection, _: dbapi_connection.execute("PRAGMA query_only=ON"),
            )
        with Session(engine, expire_on_commit=False) as session, session.begin():
            yield session
    finally:
        if engine is not store.engine:
            engine.dispose()
        store.dispose()


@audit.command("verify")
@CONFIG_OPTION
@click.option(
    "--offline", is_flag=True, help="Check the local chain only, not the checkpoints the hub holds."
)
def audit_verify(config_path, offline):
    """Check the whole chain; unless --offline, also against the hub's checkpoints.
    Exit 0 intact, 1 broken, 3 intact locally but the hub could not be asked."""
    from connector import audit as audit_log

    config = load_config(config_path)
    # The hub's checkpoints first: each names an entry committed before it was posted, so
    # the local walk that follows must contain it.
    checkpoints, hub_problem, kept = ([], None, True) if offline else _hub_checkpoints(config)
    if hub_problem:
        click.echo(f"hub unreachable: {hub_problem}; only the local chain is verified", err=True)
    with reading(config) as session:
        result = audit_log.check_store(session, checkpoints)
    if result.broken:
        where = f" at entry {result.broken.seq}" if result.broken.seq is not None else ""
        click.echo(f"audit log BROKEN{where}: {result.broken.reason}")
        sys.exit(EXIT_BROKEN)
    note = " (offline: the hub's checkpoints were not checked)" if offline else ""
    if not kept:
        note = " (the hub keeps no audit checkpoints: the local chain only)"
    click.echo(
        f"audit log OK: {result.entries} entries, head {result.head_seq} {result.head_hash[:12]}, "
        f"{result.checkpoints_matched} checkpoints match{note}"
    )
    if hub_problem:
        sys.exit(EXIT_HUB_UNREACHABLE)


def _hub_checkpoints(config) -> tuple[list[dict], str | None, bool]:
    """(the hub's checkpoints, why they could not be read, whether the hub keeps any)."""
    from connector.delivery.hub_client import HubClient
    from lapor_exchange.capabilities import AUDIT_CHECKPOINTS, offered

    hub = HubClient.from_config(config)
    try:
        if AUDIT_CHECKPOINTS not in offered(hub.document()):
            return [], None, False
        checkpoints = hub.checkpoints()
    except ConnectorError as exc:
        return [], str(exc), True
    except (KeyError, TypeError):
        return [], "the hub's answer holds no checkpoint list", True
    if not isinstance(checkpoints, list):
        return [], "the hub's answer holds no checkpoint list", True
    return checkpoints, None, True


@audit.command("export")
@CONFIG_OPTION
@click.option(
    "--from",
    "since",
    metavar="ISO",
    help="Entries at or after this time (no offset: the connector's time zone).",
)
@click.option(
    "--to",
    "until",
    metavar="ISO",
    help="Entries before this time (no offset: the connector's time zone).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), required=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    help="Write here instead of to standard output.",
)
def audit_export(config_path, since, until, fmt, output):
    """Write the log (or the part in a time range) as csv or jsonl, hashes included."""
    from connector import audit as audit_log

    config = load_config(config_path)
    since, until = _when(since, "--from", config.tz), _when(until, "--to", config.tz)
    with (
        reading(config) as session,
        click.open_file(output or "-", "w", encoding="utf-8", atomic=bool(output)) as out,
    ):
        count = audit_log.export(session, out, fmt, since, until)
    click.echo(f"{count} entries exported" + (f" to {output}" if output else ""), err=True)


def _when(value: str | None, option: str, tz) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=option) from None
    return when if when.tzinfo else when.replace(tzinfo=tz)


@audit.command("show")
@CONFIG_OPTION
@click.argument("ref")
def audit_show(config_path, ref):
    """The whole history of one complaint, oldest first: seq, time, kind, data. REF is
    CHANNEL/SOURCE_REF (as the entries name it) or the hub's tracking id."""
    from connector import audit as audit_log
    from lapor_exchange.canonical import canonical_json

    config = load_config(config_path)
    with reading(config) as session:
        ref = _entry_ref(session, ref)
        entries = audit_log.history(session, ref)
    for e in entries:
        click.echo(f"{e.seq}\t{audit_log.at_text(e.at)}\t{e.kind}\t{canonical_json(e.data)}")
    if not entries:
        click.echo(f"no audit entries for {ref}", err=True)
        sys.exit(1)


def _entry_ref(session, ref: str) -> str:
    """The reference entries carry for what the auditor typed (a tracking id is looked up)."""
    from sqlalchemy import select

    from connector import audit as audit_log
    from connector.store.models import Complaint

    found = session.execute(
        select(Complaint.channel_id, Complaint.source_ref).where(Complaint.tracking_id == ref)
    ).first()
    if found is not None:
        return audit_log.ref_of(*found)
    channel_id, _, source_ref = ref.partition("/")
    return audit_log.ref_of(channel_id, source_ref) if source_ref else ref
