"""The `lapor-connector` command: a group whose subcommands load only when called.

Each command group lives in its own module in this folder; `demo`, `hub` and
`portal-sim` live in the testbed and the reference hub, which a running daemon never
loads: `lapor-connector --version`, `run` and `sync` import neither.
"""

from __future__ import annotations

from importlib import import_module

import click

from connector import __version__

# command name -> "module:attribute"; imported when the command runs (or --help lists it).
SUBCOMMANDS = {
    "check-config": "connector.cli.check:check_config",
    "run": "connector.cli.run:run",
    "sync": "connector.cli.run:sync",
    "status": "connector.cli.run:status",
    "db": "connector.cli.db:db",
    "mapping": "connector.cli.mapping:mapping",
    "dlq": "connector.cli.deadletters:dlq",
    "quarantine": "connector.cli.deadletters:quarantine",
    "review": "connector.cli.deadletters:review",
    "sla": "connector.cli.ops:sla",
    "reconcile": "connector.cli.ops:reconcile",
    "retention": "connector.cli.ops:retention",
    "audit": "connector.cli.audit:audit",
    "demo": "lapor_testbed.demo.command:demo",
    "portal-sim": "lapor_testbed.sim.cli:portal_sim",
    "hub": "lapor_hub.cli:hub",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand is used."""

    def __init__(self, *args, lazy: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx):
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx, cmd_name):
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self.lazy[cmd_name].partition(":")
        return getattr(import_module(module), attribute)


@click.group(cls=LazyGroup, lazy=SUBCOMMANDS)
@click.version_option(__version__, prog_name="lapor-connector")
def main():
    """lapor-connector: carries complaints from regional channels to the national SP4N-LAPOR! hub."""
