"""`hub` commands: run the reference national hub.

Thin: parse the options, load the settings, hand the app to
`connector.web.serve.serve_forever`. The main CLI adds this group as `hub`.
"""

from __future__ import annotations

import click

from ..errors import ConfigError
from ..web.serve import serve_forever
from .settings import load_settings


@click.group(name="hub")
def hub() -> None:
    """The reference national hub (SP4N-LAPOR! exchange API) for demos and tests."""


@hub.command()
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False),
              help="Hub YAML (see hub.example.yaml).")
@click.option("--listen", default=None, metavar="HOST:PORT", help="Overrides `listen` from the config.")
def serve(config_path: str, listen: str | None) -> None:
    """Serve the hub's API in the foreground until Ctrl-C or SIGTERM."""
    from .app import create_app  # Flask and SQLAlchemy load only when serving

    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    if settings.faults_enabled:
        click.echo("warning: fault injection is enabled (faults_enabled: true); for tests and demos only", err=True)
    serve_forever(create_app(settings), listen or settings.listen, "lapor-hub")
