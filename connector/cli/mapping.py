"""`lapor-connector mapping try`: a profile tried on sample records, reports masked."""

from __future__ import annotations

import json
import sys

import click

from connector.cli.common import exit_with
from connector.errors import ConfigError


@click.group()
def mapping():
    """Mapping profiles."""


@mapping.command("try")
@click.argument("profile_path", type=click.Path(exists=True, dir_okay=False))
@click.argument("sample", type=click.File("rb"))
@click.option("--connector-id", default="try", show_default=True)
@click.option("--timezone", "tz_name", default="Asia/Makassar", show_default=True)
@click.option("--show-personal", is_flag=True, help="Print the complainant's data unmasked.")
def mapping_try(profile_path, sample, connector_id, tz_name, show_personal):
    """Map SAMPLE.json (one record, or a list of records) with PROFILE; print each report or its errors."""
    from zoneinfo import ZoneInfo

    from connector.channels.base import RawItem
    from connector.intake.normalize import Normalizer
    from connector.mapping.paths import get_path
    from connector.mapping.profile import Profile
    from lapor_exchange.canonical import canonical_json

    try:
        profile = Profile.load(profile_path)
    except ConfigError as exc:
        exit_with(exc)
    try:
        data = json.load(sample)
    except ValueError as exc:
        click.echo(f"{sample.name}: not JSON: {exc}", err=True)
        sys.exit(2)
    normalize = Normalizer(profile, connector_id, ZoneInfo(tz_name))
    id_path = (profile.source or {}).get("id", "id")
    failed = 0
    for i, record in enumerate(data if isinstance(data, list) else [data]):
        ref = get_path(record, id_path) if isinstance(record, dict) else None
        ref = str(ref) if isinstance(ref, (str, int)) else f"sample-{i}"
        result = normalize(RawItem(profile.name, ref, canonical_json(record).encode()))
        failed += not result.ok
        _print_result(ref, result, show_personal)
    sys.exit(1 if failed else 0)


def _print_result(ref: str, result, show_personal: bool) -> None:
    from connector.ops.masking import mask_report

    if result.ok:
        report = result.report if show_personal else mask_report(result.report)
        click.echo(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        click.echo(f"record {ref}: rejected")
        for problem in result.problems:
            click.echo(f"  {problem}")
    for warning in result.warnings:
        click.echo(f"  warning: {warning}")
    for item in result.review:
        click.echo(f"  review: {item['field']}: {item['reason']}")
