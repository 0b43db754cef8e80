"""`portal-sim`: serve the portal simulator on a real socket until stopped.

Parses options, builds a `PortalSim` and hands its app to the shared
`serve_forever`. The connector's own CLI registers this command as
`lapor-connector portal-sim`; `python -m connector.sim.cli` runs it alone.
Not here: the records and the HTTP API (`connector.sim.seed`, `connector.sim.portal`).
"""

from __future__ import annotations

import click

from lapor_exchange.wsgi import serve_forever
from lapor_testbed.sim.api import create_app
from lapor_testbed.sim.portal import PortalSim


@click.command("portal-sim")
@click.option(
    "--listen", default="127.0.0.1:8702", show_default=True, help="host:port to listen on."
)
@click.option(
    "--complaints",
    default=1000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Number of good seeded records.",
)
@click.option(
    "--bad-share",
    default=0.03,
    show_default=True,
    type=click.FloatRange(0, 1, max_open=True),
    help="Deliberately bad records added on top, as a share of --complaints.",
)
@click.option(
    "--seed", default=63, show_default=True, type=int, help="Seed for the generated records."
)
@click.option(
    "--token",
    envvar="LAPOR_PORTAL_TOKEN",
    default="demo-portal-token",
    show_envvar=True,
    help="Bearer token (and v2 X-Api-Key) the API accepts.",
)
@click.option(
    "--page-overlap",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Quirk: every page after the first starts this many records early.",
)
@click.option(
    "--repeat-page-once",
    default=None,
    type=click.IntRange(min=2),
    help="Quirk: the first request for page N answers with page N-1's records.",
)
def portal_sim(listen, complaints, bad_share, seed, token, page_overlap, repeat_page_once):
    """Serve a Laporpaman-style provincial complaint portal with seeded complaints."""
    sim = PortalSim(
        complaints=complaints,
        bad_share=bad_share,
        seed=seed,
        token=token,
        page_overlap=page_overlap,
        repeat_page_once=repeat_page_once,
    )
    expected = sim.expected()
    click.echo(
        f"portal-sim: {len(expected['good'])} good and {len(expected['bad'])} bad records "
        f"(seed {seed}, {len(expected['quirks'])} quirky)",
        err=True,
    )
    serve_forever(create_app(sim), listen, "portal-sim")


if __name__ == "__main__":
    portal_sim()
