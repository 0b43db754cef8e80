"""`lapor-connector check-config`: the configuration checked, and with --probe every
channel's source and the hub contacted.
"""

from __future__ import annotations

import sys

import click

from connector.cli.common import exit_with, load_config
from connector.errors import ConfigError, ConnectorError


@click.command("check-config")
@click.argument("config_path", type=click.Path(dir_okay=False))
@click.option("--probe", is_flag=True, help="Also contact every channel's source and the hub.")
def check_config(config_path, probe):
    """Check a configuration file: one line per problem, naming the key."""
    from connector import channels as channel_kinds

    config = load_config(config_path)
    try:
        built = channel_kinds.build(config)
    except ConfigError as exc:
        exit_with(exc)
    click.echo(
        f"{config_path}: OK: connector {config.connector_id}, {len(built)} channel(s): "
        + ", ".join(f"{cid} [{ch.kind}]" for cid, ch in built.items())
    )
    if probe:
        sys.exit(_probe(config, built))


def _probe(config, built) -> int:
    from connector.delivery.hub_client import HubClient
    from lapor_exchange import capabilities

    failed = 0
    for cid, channel in built.items():
        result = channel.probe()
        failed += not result.ok
        click.echo(f"  channel {cid}: {'ok' if result.ok else 'FAILED'}: {result.detail}")
    hub = HubClient.from_config(config)
    try:
        offered = capabilities.offered(hub.document())
        hub.find_report("probe", "probe")  # a core call with the token: is it accepted?
    except ConnectorError as exc:
        failed += 1
        click.echo(f"  hub: FAILED: {exc}")
    else:
        missing = [c for c in capabilities.OPTIONAL if c not in offered]
        core = "" if capabilities.CORE in offered else " (its document lacks core operations)"
        click.echo(
            f"  hub: ok{core}; offers {', '.join(c for c in capabilities.OPTIONAL if c in offered) or 'the core only'}"
            + (f"; not: {', '.join(missing)}" if missing else "")
        )
    return 1 if failed else 0
