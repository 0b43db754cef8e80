"""`hub` commands: run the reference national hub, and act on a report as the
national side.

Thin: parse the options, load the settings, then hand the app to
`connector.web.serve.serve_forever` (`serve`) or call `national.act` on the
hub's store directly (`act`, no HTTP and no admin token: whoever can read the
config can open the store anyway). The main CLI adds this group as `hub`.
"""

from __future__ import annotations

import click
from sqlalchemy.orm import sessionmaker

from lapor_exchange.status import STATUSES
from lapor_exchange.wsgi import serve_forever

from .national import NATIONAL_ACTORS, ActError, act
from .settings import ConfigError, HubSettings, load_settings
from .store import OldStoreError, open_store


@click.group(name="hub")
def hub() -> None:
    """The reference national hub (SP4N-LAPOR! exchange API) for demos and tests."""


@hub.command()
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Hub YAML (see hub.example.yaml).",
)
@click.option(
    "--listen", default=None, metavar="HOST:PORT", help="Overrides `listen` from the config."
)
def serve(config_path: str, listen: str | None) -> None:
    """Serve the hub's API in the foreground until Ctrl-C or SIGTERM."""
    from .app import create_app  # Flask loads only when serving

    settings = _settings(config_path)
    if settings.faults_enabled:
        click.echo(
            "warning: fault injection is enabled (faults_enabled: true); for tests and demos only",
            err=True,
        )
    try:
        app = create_app(settings)
    except OldStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    serve_forever(app, listen or settings.listen, "lapor-hub")


@hub.command(name="act")
@click.argument("tracking_id")
@click.option("--status", type=click.Choice(STATUSES), help="The report's new national status.")
@click.option("--message", help="A follow-up or answer to the citizen (tanggapan).")
@click.option(
    "--actor",
    type=click.Choice(NATIONAL_ACTORS),
    default="admin_nasional",
    show_default=True,
    help="Who acts on the national side.",
)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Hub YAML (see hub.example.yaml).",
)
def act_command(
    tracking_id: str, status: str | None, message: str | None, actor: str, config_path: str
) -> None:
    """Act on a report as the national side: change its status and/or answer.

    The update reaches the report's connector through the feed (GET /api/v1/updates).
    """
    try:
        engine = open_store(_settings(config_path).store_url)
    except OldStoreError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        done = act(
            sessionmaker(engine, expire_on_commit=False),
            tracking_id,
            status=status,
            message=message,
            actor=actor,
        )
    except ActError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    finally:
        engine.dispose()
    since = f" since {done['status_at']}" if done["status_at"] else ""
    click.echo(
        f"{done['outcome']}: {tracking_id} is {done['status']}{since} (update {done['update']['update_id']})"
    )


def _settings(config_path: str) -> HubSettings:
    try:
        return load_settings(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
