"""What every command shares: the --config option, logging set-up, loading the config
(exit 2 with one line per problem), opening the connector and its store.

Not here: any command (each command group has its own module in this folder).
"""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager

import click

from connector import config as config_mod
from connector.errors import ConfigError

CONFIG_OPTION = click.option(
    "-c",
    "--config",
    "config_path",
    envvar="LAPOR_CONNECTOR_CONFIG",
    default="config.yaml",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Configuration file (env LAPOR_CONNECTOR_CONFIG).",
)


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
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
    from connector.daemon import Connector

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
