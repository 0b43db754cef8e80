"""What every check of `check-hub` shares: the `Check` record, how a check fails or notes
something, and the `Context` a check runs in (the client, the connector, the run's
marked reports).

A check is one small function `(ctx) -> detail`: it returns a short detail when the hub
did what the document says, raises `CheckFailed` when it did not, and `CheckSkipped`
when the hub holds nothing to check it on. `ctx.note()` records a departure from the
document's prose (an error code, a status other than the one named) that its schemas do
not decide: a warning, a failure only with `--strict`.

Every report a check creates is marked: `source.channel_id` is `conformance-check`, its
`source_ref` is unique to the run, its title starts with "[conformance check]". It holds
no personal data (no `complainant`).

Not here: the checks (`checks_core.py`, `checks_optional.py`), running and printing them
(`check_hub.py`).
"""

from __future__ import annotations

import copy
import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone

from ..canonical import canonical_json
from .client import Answer, HubClient

CHANNEL_ID = "conformance-check"
TITLE_PREFIX = "[conformance check]"


class CheckFailed(Exception):
    """The hub did not do what the document says; the message says what it did."""


class CheckSkipped(Exception):
    """The hub holds nothing this check could be run on (the reason says what)."""


@dataclass(frozen=True)
class Check:
    capability: str
    name: str
    run: Callable[["Context"], str]


def fail(message: str):
    raise CheckFailed(message)


def require(condition, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


def expect(answer: Answer, *statuses: int):
    """The body of an answer with one of `statuses` that matches the document; fails otherwise."""
    if answer.status not in statuses:
        fail(f"{answer.describe()}; expected {' or '.join(map(str, statuses))}")
    if answer.problems:
        fail(
            f"{answer.operation.operation_id} {answer.status} does not match the document: "
            f"{'; '.join(answer.problems[:3])}"
        )
    return answer.body


class Context:
    """One run against one hub: the client, the connector's id, the run's reports."""

    def __init__(self, client: HubClient, connector_id: str, openapi: Answer):
        self.client = client
        self.connector_id = connector_id
        self.openapi = openapi  # the answer to GET /api/v1/openapi.json, read once
        self.run_id = (
            f"conformance-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}-{secrets.token_hex(3)}"
        )
        self.notes: list[str] = []
        self.memo: dict = {}  # what one check made and another reads (the check report, an update)
        self._numbers = itertools.count(1)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def refused(self, answer: Answer, documented: int | None = None) -> None:
        """An answer that must be a 4xx with the documented error body (never 5xx); notes a
        status other than `documented` and an error code other than the one the document names."""
        require(
            answer.status < 500, f"{answer.describe()}: a malformed request must be 4xx, never 5xx"
        )
        require(400 <= answer.status < 500, f"{answer.describe()}; expected a 4xx refusal")
        require(
            not answer.problems,
            f"{answer.status} body is not the documented error: {'; '.join(answer.problems[:2])}",
        )
        if documented is not None and answer.status != documented:
            self.note(f"answered {answer.status}; the document gives {documented}")
        named = answer.operation.error_code(answer.status)
        if named and answer.error_code != named:
            self.note(f"{answer.status} code {answer.error_code!r}; the document names {named!r}")

    # -- the run's reports ---------------------------------------------------------------

    def new_report(self) -> dict:
        """A valid report marked as a conformance check, with a source_ref new to this run."""
        now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
        return {
            "schema_version": "1",
            "source": {
                "connector_id": self.connector_id,
                "channel_id": CHANNEL_ID,
                "channel": "api",
                "source_ref": f"{self.run_id}-{next(self._numbers):03d}",
                "received_at": now,
                "conformance_run": self.run_id,
            },  # a connector's own bookkeeping: kept as sent
            "classification": "pengaduan",
            "title": f"{TITLE_PREFIX} Laporan uji kesesuaian, abaikan",
            "title_derived": False,
            "body": "Laporan ini dikirim oleh lapor-exchange check-hub untuk menguji kesesuaian hub dengan "
            "kontrak pertukaran. Tidak perlu ditindaklanjuti.",
            "location": {
                "text": "Uji kesesuaian (bukan lokasi nyata)",
                "lat": -3.3194,
                "lon": 114.5908,
            },
            "category": {"code": "lainnya", "label": "Lainnya"},
            "privacy": {"anonymous": True, "confidential": True},
            "attachments": [],
            "submitted_at": now,
        }

    def submit(self, reports: list, probe: bool = False) -> list[dict]:
        """POST reports:batch, expecting 200 and one result per report, in order."""
        results = expect(
            self.client.call("submitReports", body={"reports": reports}, probe=probe), 200
        )["results"]
        require(len(results) == len(reports), f"{len(results)} results for {len(reports)} reports")
        require(
            [r["index"] for r in results] == list(range(len(reports))),
            "results are not in batch order",
        )
        return results

    def check_report(self) -> tuple[dict, str]:
        """The run's first report and its tracking id, created once (`core reports.create`)."""
        if "check_report" not in self.memo:
            self.memo["check_report"] = None  # a failed creation is not tried again by every check
            report = self.new_report()
            [result] = self.submit([report])
            require(result["outcome"] == "created", f"a new report was answered {outcome(result)}")
            require(
                result["source_ref"] == report["source"]["source_ref"],
                "the result names another source_ref",
            )
            self.memo["check_report"] = (report, result["tracking_id"])
        require(
            self.memo["check_report"] is not None,
            "needs the check report, which could not be created",
        )
        return self.memo["check_report"]

    def stored(self, tracking_id: str) -> dict:
        return expect(self.client.call("getReport", path={"tracking_id": tracking_id}), 200)

    def found(self, report: dict) -> list[dict]:
        """The reports the hub lists for this report's (channel_id, source_ref)."""
        source = report["source"]
        params = {"channel_id": source["channel_id"], "source_ref": source["source_ref"]}
        return expect(self.client.call("listReports", params=params), 200)["reports"]


def outcome(result: dict) -> str:
    """'rejected ($.title: is blank)' for a failure's detail."""
    errors = "; ".join(f"{e.get('path')}: {e.get('message')}" for e in result.get("errors") or ())
    return f"{result.get('outcome')}" + (f" ({errors[:200]})" if errors else "")


def same(a, b) -> bool:
    """The same JSON value, as the content hash sees it (1 and 1.0 and true differ)."""
    return canonical_json(a) == canonical_json(b)


def first_difference(sent, got, path: str = "$") -> str | None:
    """The JSON path of the first place where `got` differs from `sent`."""
    if isinstance(sent, dict) and isinstance(got, dict):
        for key in sorted(set(sent) | set(got)):
            if key not in sent or key not in got:
                return f"{path}.{key}"
            found = first_difference(sent[key], got[key], f"{path}.{key}")
            if found:
                return found
        return None
    if isinstance(sent, list) and isinstance(got, list) and len(sent) == len(got):
        found = (first_difference(a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(sent, got)))
        return next((f for f in found if f), None)
    return None if same(sent, got) else path


def changed(report: dict, **fields) -> dict:
    """A copy of `report` with top-level `fields` replaced."""
    found = copy.deepcopy(report)
    found.update(fields)
    return found
