"""`lapor-exchange`: the conformance kit's command line.

    lapor-exchange check-hub --url URL --token TOKEN [--connector-id ID] [--strict]
    lapor-exchange check-report FILE...
    lapor-exchange strict-hub --listen HOST:PORT --token TOKEN=CONNECTOR_ID ... [--capabilities core|all|a,b]

Each command's work is in its own module; here only options are read and exit codes passed on.
"""

from __future__ import annotations

import sys

import click

from .. import __version__
from .. import capabilities as C
from ..wsgi import serve_forever
from .check_hub import check_hub
from .check_report import check_files
from .strict_hub import StrictHub


@click.group()
@click.version_option(__version__, prog_name="lapor-exchange")
def main():
    """Check hubs and reports against the SP4N-LAPOR! exchange contract v1."""


@main.command("check-hub")
@click.option("--url", required=True, help="The hub's base URL (the part before /api/v1).")
@click.option(
    "--token",
    required=True,
    envvar="LAPOR_HUB_TOKEN",
    show_envvar=True,
    help="A connector's bearer token at that hub.",
)
@click.option(
    "--connector-id", help="The token's connector id (default: read from one of its reports)."
)
@click.option(
    "--strict",
    is_flag=True,
    help="Count departures from the document's prose (warnings) as failures.",
)
def check_hub_command(url: str, token: str, connector_id: str | None, strict: bool):
    """Exercise a live hub and judge every answer by the published documents.

    Creates a few reports marked as conformance checks (channel_id conformance-check,
    title "[conformance check] …"); never posts a new audit checkpoint.
    """
    sys.exit(check_hub(url, token, connector_id, strict=strict, out=click.echo))


@main.command("check-report")
@click.argument("files", nargs=-1, required=True)
def check_report_command(files: tuple[str, ...]):
    """Validate reports in JSON files (an object or an array) or JSON Lines files (- for stdin)."""
    sys.exit(check_files(files, out=click.echo))


def _tokens(ctx, param, values: tuple[str, ...]) -> dict[str, str]:
    tokens = {}
    for value in values:
        token, _, connector_id = value.rpartition("=")
        if not token or not connector_id:
            raise click.BadParameter(f"give TOKEN=CONNECTOR_ID, not {value.split('=')[0][:20]!r}…")
        tokens[token] = connector_id
    return tokens


def _capabilities(ctx, param, value: str) -> tuple[str, ...]:
    if value == "all":
        return C.OPTIONAL
    names = tuple(
        name.strip() for name in value.split(",") if name.strip() and name.strip() != C.CORE
    )
    unknown = [name for name in names if name not in C.OPTIONAL]
    if unknown:
        raise click.BadParameter(
            f"unknown: {', '.join(unknown)}; give core, all, or some of {', '.join(C.OPTIONAL)}"
        )
    return names


@main.command("strict-hub")
@click.option(
    "--listen", default="127.0.0.1:8701", show_default=True, help="HOST:PORT to serve on."
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    required=True,
    callback=_tokens,
    help="TOKEN=CONNECTOR_ID; repeat for more connectors.",
)
@click.option(
    "--capabilities",
    "offered",
    default="all",
    show_default=True,
    callback=_capabilities,
    help="core, all, or a comma-separated list of optional capabilities.",
)
def strict_hub_command(listen: str, tokens: dict[str, str], offered: tuple[str, ...]):
    """Serve a strict recording hub (in memory) until interrupted, then list what it refused."""
    try:
        hub = StrictHub(tokens, offered)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    for capability in (C.CORE, *C.OPTIONAL):
        mark = "offers" if capability in hub.capabilities else "lacks "
        click.echo(f"strict hub {mark} {C.describe(capability)}")
    click.echo(f"connectors: {', '.join(sorted(set(tokens.values())))}")
    serve_forever(hub.app, listen, "strict-hub")
    problems = hub.problems()
    click.echo(
        f"requests: {len(hub.requests)}; problems: {len(problems)}"
        + "".join(f"\n  {p}" for p in problems)
    )
