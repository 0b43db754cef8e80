"""Turn one raw item into a national report: parse, map with the channel's
profile, add the `source` envelope, validate against the exchange schema.

The result says what happened; it never raises for bad input. Deciding what to
store (complaint or quarantine) is `connector.intake`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable
from zoneinfo import ZoneInfo

from connector.channels.base import RawItem
from connector.mapping.profile import Profile
from connector.timeutil import iso
from lapor_exchange.documents import SCHEMA_VERSION
from lapor_exchange.problems import Problem, report_problems


@dataclass
class Normalized:
    report: dict | None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    review: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report is not None


class Normalizer:
    """Callable: RawItem -> Normalized, for one channel."""

    def __init__(
        self,
        profile: Profile,
        connector_id: str,
        tz: ZoneInfo,
        parse: Callable[[RawItem], object] | None = None,
    ):
        self.profile = profile
        self.connector_id = connector_id
        self.tz = tz
        self.parse = parse or RawItem.record

    def envelope(self, item: RawItem) -> dict:
        return {
            "connector_id": self.connector_id,
            "channel_id": item.channel_id,
            "channel": self.profile.channel,
            "source_ref": item.external_id,
            "received_at": iso(item.received_at),
        }

    def __call__(self, item: RawItem) -> Normalized:
        record, problems = self.read(item)
        return Normalized(None, problems) if problems else self.map(item, record)

    def read(self, item: RawItem) -> tuple[dict | None, list[Problem]]:
        """The record a profile maps, parsed from the raw item; or the problems that stop it."""
        read_problems = [
            Problem(p["path"], p["message"]) for p in item.meta.get("read_problems", [])
        ]
        if read_problems:
            return None, read_problems
        try:
            record = self.parse(item)
        except (ValueError, UnicodeDecodeError) as exc:
            return None, [Problem("$", f"the item could not be read: {exc}")]
        if not isinstance(record, dict):
            return None, [
                Problem("$", f"the item is a {type(record).__name__}, expected an object")
            ]
        return record, []

    def map(self, item: RawItem, record: dict) -> Normalized:
        """The national report for a parsed record, validated."""
        mapped = self.profile.map(record, self.tz)
        fields = dict(mapped.fields)
        # A profile may add to `source` (the raw category value); the envelope's members are ours.
        source = {**fields.pop("source", {}), **self.envelope(item)}
        report = {"schema_version": SCHEMA_VERSION, "source": source, **fields}
        found = list(mapped.problems)
        reported = {p.path for p in found}
        found += [p for p in report_problems(report) if not _covered(p.path, reported)]
        # A channel may note what it had to leave out while reading (an oversized attachment).
        warnings = list(record.get("_warnings") or []) + mapped.warnings
        return Normalized(None if found else report, found, warnings, mapped.review)


def _covered(path: str, reported: set[str]) -> bool:
    """A schema problem at a path the profile already reported (or inside it) adds nothing."""
    return any(path == r or path.startswith(r + ".") or path.startswith(r + "[") for r in reported)
