"""`lapor-connector db`: the store's schema."""

from __future__ import annotations

import click

from connector.cli.common import CONFIG_OPTION, load_config


@click.group()
def db():
    """The connector's store."""


@db.command("upgrade")
@CONFIG_OPTION
def db_upgrade(config_path):
    """Apply the database migrations (also done on every start)."""
    from connector.store.db import Store

    config = load_config(config_path)
    store = Store(config.store_url)
    store.upgrade()
    store.dispose()
    click.echo("store is at the newest schema")
