"""A profile's `status` section: the code tables between a source's own statuses and
the national ones (both ways, with an explicit `ignore`), where the source keeps
its follow-ups (tanggapan), and how a national update is pushed to it.

Loading checks everything up front and reports every problem: table values that
are not national statuses, a national status missing from `to_local`. At run
time a local code missing from `to_national` raises `UnmappedStatusError`: the
caller parks the update rather than guess.

Not here: what an update does to a complaint (see `connector.sync`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from connector.mapping.paths import MISSING, get_path
from lapor_exchange import status as S

IGNORE = "ignore"


class UnmappedStatusError(ValueError):
    """A local status code the profile has no national mapping for."""


@dataclass(frozen=True)
class Response:
    """One follow-up as the source keeps it."""

    id: str
    message: str | None
    at: datetime | None
    local_status: str | None
    ref: str | None


class StatusMap:
    def __init__(self, spec: dict, tz: ZoneInfo | None, problems: list[str], where: str = "status"):
        self.spec = spec
        self.tz = tz
        self.actor: str = spec.get("actor", "pejabat_penghubung")
        self._to_national = {str(k): v for k, v in spec["to_national"].items()}
        self._to_local = dict(spec["to_local"])
        self.push_spec: dict | None = spec.get("push")
        self._check(where, problems)

    def _check(self, where: str, problems: list[str]) -> None:
        valid = set(S.STATUSES) | {IGNORE}
        for code, national in self._to_national.items():
            if national not in valid:
                problems.append(
                    f"{where}.to_national.{code}: '{national}' is not a national status or '{IGNORE}'"
                )
        for national in self._to_local:
            if national not in S.STATUSES:
                problems.append(f"{where}.to_local.{national}: not a national status")
        missing = [s for s in S.STATUSES if s not in self._to_local]
        if missing:
            problems.append(
                f"{where}.to_local: every national status needs a local code or '{IGNORE}'; missing {', '.join(missing)}"
            )

    # -- codes -----------------------------------------------------------------

    def to_national(self, code) -> str | None:
        """The national status for a local code; None for `ignore`. Raises UnmappedStatusError."""
        national = self._to_national.get(str(code))
        if national is None:
            raise UnmappedStatusError(
                f"local status {code!r} has no national mapping in the profile's status.to_national"
            )
        return None if national == IGNORE else national

    def to_local(self, national: str | None) -> str | None:
        """The local code for a national status; None when ignored (or no status)."""
        if national is None:
            return None
        local = self._to_local.get(national, IGNORE)
        return None if local == IGNORE else local

    # -- reading records ------------------------------------------------------------

    def local_status(self, record) -> str | None:
        path = self.spec.get("local_status")
        value = get_path(record, path) if path else MISSING
        return None if value in (MISSING, None, "") else str(value)

    def responses(self, record) -> list[Response]:
        """The record's follow-ups, oldest first (by time, then id)."""
        spec = self.spec.get("responses")
        items = get_path(record, spec["from"]) if spec else MISSING
        if not isinstance(items, list):
            return []
        found = [self._response(item, spec) for item in items if isinstance(item, dict)]
        found = [r for r in found if r is not None]
        epoch = datetime.min.replace(tzinfo=timezone.utc)
        return sorted(found, key=lambda r: (r.at or epoch, r.id))

    def _response(self, item: dict, spec: dict) -> Response | None:
        ident = get_path(item, spec["id"])
        if ident in (MISSING, None, ""):
            return None

        def read(key):
            value = get_path(item, spec[key]) if spec.get(key) else MISSING
            return None if value in (MISSING, None, "") else str(value)

        at_spec = spec.get("at")
        return Response(
            str(ident),
            read("message"),
            self.parse_time(get_path(item, at_spec["path"]), at_spec.get("format", "iso"))
            if at_spec
            else None,
            read("status"),
            read("ref"),
        )

    def parse_time(self, value, fmt: str = "iso") -> datetime | None:
        if value in (MISSING, None, ""):
            return None
        try:
            parsed = (
                datetime.fromisoformat(str(value))
                if fmt == "iso"
                else datetime.strptime(str(value), fmt)
            )
        except ValueError:
            return None
        return (
            parsed if parsed.tzinfo else parsed.replace(tzinfo=self.tz or timezone.utc)
        ).astimezone(timezone.utc)

    # -- pushing -----------------------------------------------------------------

    def push_request(self, update: dict, source_ref: str) -> tuple[str, str, dict]:
        """(method, path, JSON body) that sends a national update to the source."""
        spec = self.push_spec
        values = {
            "message": update.get("message"),
            "status": update.get("status"),
            "status_label": S.LABELS.get(update.get("status")),
            "local_status": self.to_local(update.get("status")),
            "update_id": update["update_id"],
            "occurred_at": self._format_time(update["occurred_at"], spec.get("time_format", "iso")),
            "actor": update.get("actor"),
        }
        body = {}
        for field, source in spec["body"].items():
            value = source["const"] if isinstance(source, dict) else values[source]
            if value is not None:
                body[field] = value
        return (
            spec.get("method", "POST"),
            spec["path"].replace("{source_ref}", str(source_ref)),
            body,
        )

    def _format_time(self, iso_text: str, fmt: str) -> str:
        moment = datetime.fromisoformat(iso_text)
        local = moment.astimezone(self.tz) if self.tz else moment
        return local.isoformat() if fmt == "iso" else local.strftime(fmt)
