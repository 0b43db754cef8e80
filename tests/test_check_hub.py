"""`lapor-exchange check-hub` against real hubs on loopback.

It passes the reference hub and the strict hub (core only, and with every capability),
and its capability lines say what each declares. Against hubs that each break one rule
of the document (small subclasses or WSGI wrappers of the strict hub, below) it exits 1
and names the broken check FAIL. An address where nothing listens is exit 2, one line.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Callable

import pytest
import requests
from click.testing import CliRunner
from hub_helpers import ADMIN_TOKEN, KALSEL_TOKEN, TOKENS, auth, make_report, running_hub
from werkzeug.wrappers import Response

from lapor_exchange import capabilities as C
from lapor_exchange.conformance.cli import main
from lapor_exchange.conformance.strict_hub import StrictHub
from lapor_exchange.conformance.strict_state import CONFLICT, ExchangeState
from lapor_exchange.wsgi import ServerThread

CHECKPOINT = {"seq": 3, "hash": "c" * 64, "at": "2025-03-05T10:00:00+08:00"}


def check_hub(url: str, *options: str):
    result = CliRunner().invoke(
        main, ["check-hub", "--url", url, "--token", KALSEL_TOKEN, *options]
    )
    assert "Traceback" not in result.output, result.output
    return result


def marks(output: str) -> dict[tuple[str, str], str]:
    """(capability, check) -> ok / warn / FAIL / skip, from check-hub's lines."""
    found = re.findall(r"^(ok|warn|FAIL|skip)\s+(\S+)\s+(\S+)", output, re.MULTILINE)
    return {(capability, name): mark for mark, capability, name in found}


def declared_lines(output: str) -> dict[str, str]:
    return dict(
        re.findall(r"^capability (\S+): (declared|not declared|required)", output, re.MULTILINE)
    )


def seed(hub: StrictHub) -> None:
    """A report with a national update, and an audit checkpoint: so that the feed and the
    checkpoint checks have something to work on."""
    [result] = hub.state.submit_reports("kalsel", [make_report("LP-SEED")])
    hub.act(result["tracking_id"], status="terverifikasi")
    hub.state.checkpoint("kalsel", dict(CHECKPOINT))


# -- hubs that conform --------------------------------------------------------------------


def test_the_reference_hub_passes(tmp_path):
    with running_hub(tmp_path) as (_, server):
        api = f"{server.url}/api/v1"
        [created] = requests.post(
            f"{api}/reports:batch",
            json={"reports": [make_report("LP-SEED")]},
            headers=auth(),
            timeout=10,
        ).json()["results"]
        acted = requests.post(
            f"{api}/admin/reports/{created['tracking_id']}/act",
            json={"status": "terverifikasi"},
            headers=auth(ADMIN_TOKEN),
            timeout=10,
        )
        assert acted.status_code == 201, acted.text
        assert (
            requests.post(
                f"{api}/audit/checkpoints", json=CHECKPOINT, headers=auth(), timeout=10
            ).status_code
            == 201
        )
        result = check_hub(server.url)  # the connector id is read from the seeded report
    assert result.exit_code == 0, result.output
    assert "as connector kalsel" in result.output
    assert declared_lines(result.output) == {
        C.CORE: "required",
        **{cap: "declared" for cap in C.OPTIONAL},
    }
    found = marks(result.output)
    assert "FAIL" not in found.values() and "skip" not in found.values(), result.output
    assert (
        found[(C.UPDATES_FEED, "feed.page")] == "ok"
        and "1 updates on the first page" in result.output
    )
    assert found[(C.AUDIT_CHECKPOINTS, "checkpoints.conflict")] == "ok"


def test_the_strict_hub_with_the_core_only_passes_and_no_optional_check_runs():
    hub = StrictHub(TOKENS, capabilities=())
    with hub.serve():
        result = check_hub(hub.url, "--connector-id", "kalsel", "--strict")
    assert result.exit_code == 0, result.output
    assert declared_lines(result.output) == {
        C.CORE: "required",
        **{cap: "not declared" for cap in C.OPTIONAL},
    }
    assert {capability for capability, _ in marks(result.output)} == {C.CORE}
    assert "declares no optional capability" in result.output
    assert hub.problems() == [], "every refusal came from a marked probe"


def test_the_strict_hub_with_every_capability_passes_strictly_and_refuses_nothing_unmarked():
    hub = StrictHub(TOKENS)
    seed(hub)
    with hub.serve():
        result = check_hub(hub.url, "--strict")
    assert result.exit_code == 0, result.output
    assert declared_lines(result.output) == {
        C.CORE: "required",
        **{cap: "declared" for cap in C.OPTIONAL},
    }
    assert set(marks(result.output).values()) == {"ok"}
    assert hub.problems() == [] and hub.self_errors == []
    created = [
        r
        for r in hub.reports.values()
        if r["report"]["source"]["channel_id"] == "conformance-check"
    ]
    assert created and all(r["report"]["title"].startswith("[conformance check]") for r in created)
    assert all("complainant" not in r["report"] for r in created)
    assert hub.state.checkpoints("kalsel") == [CHECKPOINT], "check-hub never adds a checkpoint"


def test_without_checkpoints_their_repeat_and_conflict_are_skipped_not_failed():
    hub = StrictHub(TOKENS, capabilities=(C.AUDIT_CHECKPOINTS,))
    with hub.serve():
        result = check_hub(hub.url, "--connector-id", "kalsel")
    assert result.exit_code == 0, result.output
    assert marks(result.output)[(C.AUDIT_CHECKPOINTS, "checkpoints.repeat")] == "skip"


def test_an_unreachable_hub_is_exit_2_in_one_line():
    with ServerThread(lambda environ, start: [], "127.0.0.1", 0) as server:
        url = server.url  # a port that was free a moment ago, and is closed again below
    result = check_hub(url, "--connector-id", "kalsel")
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"check-hub: no answer from {url}: connection refused"
    ]


def test_without_a_report_or_connector_id_it_asks_for_connector_id():
    hub = StrictHub(TOKENS)
    with hub.serve():
        result = check_hub(hub.url)
    assert result.exit_code == 2 and "--connector-id" in result.output


# -- hubs that each break one rule --------------------------------------------------------


class Rewrite:
    """WSGI: the inner app's 200 answer to METHOD on a path matching `path` goes through `change`."""

    def __init__(self, inner, method: str, path: str, change: Callable[[dict], dict]):
        self.inner, self.method, self.path, self.change = inner, method, re.compile(path), change

    def __call__(self, environ, start_response):
        response = Response.from_app(self.inner, environ)
        if (environ["REQUEST_METHOD"], response.status_code) == (
            self.method,
            200,
        ) and self.path.fullmatch(environ["PATH_INFO"]):
            response.set_data(json.dumps(self.change(json.loads(response.get_data()))))
        return response(environ, start_response)


class FailsOnMalformedJson:
    """WSGI: a hub that answers 500 to a body that is not JSON."""

    def __init__(self, inner):
        self.inner = inner

    def __call__(self, environ, start_response):
        data = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(data)
        try:
            json.loads(data or b"{}")
        except ValueError:
            body = json.dumps({"error": {"code": "internal_error", "message": "boom"}})
            return Response(body, 500, mimetype="application/json")(environ, start_response)
        return self.inner(environ, start_response)


class TakesAnyToken(StrictHub):
    def connector_for(self, token):
        return "kalsel"


class TakesWrongTokens(StrictHub):
    def connector_for(self, token):
        return "kalsel" if token else None


class TakesLargeBatches(StrictHub):
    def read_body(self, op, data):
        try:
            body = json.loads(data)
        except ValueError:
            body = None
        if (
            isinstance(body, dict)
            and isinstance(body.get("reports"), list)
            and len(body["reports"]) > 500
        ):
            return body
        return super().read_body(op, data)


class Overwriting(ExchangeState):
    def on_conflict(self, stored, item, hashed):
        stored.report, stored.content_hash = item, hashed
        return CONFLICT


class TakesInvalidReports(ExchangeState):
    def report_errors(self, connector_id, item):
        return []


class ForgetsUpdates(ExchangeState):
    def _outcome(self, stored, update):
        self._updates.pop((stored.connector_id, update["update_id"]), None)
        return super()._outcome(stored, update)


class RewritesCheckpoints(ExchangeState):
    def checkpoint(self, connector_id, body):
        self._checkpoints.setdefault(connector_id, {})[body["seq"]] = dict(body)
        return dict(body), False


def with_state(state_class):
    return type(f"HubWith{state_class.__name__}", (StrictHub,), {"state_class": state_class})


def without_core_path(hub):
    del hub.document["paths"]["/api/v1/reports"]
    return hub.app


def changed_title(body):
    body["report"]["title"] = "Judul yang diubah hub"
    return body


def one_digest_short(body):
    body["digests"] = body["digests"][:-1]
    return body


def duplicate_with_new_id(body):
    for result in body["results"]:
        if result["outcome"] == "duplicate":
            result["tracking_id"] = "LPR-9999999999"
    return body


def never_ending_feed(body):
    body["next_after"] = body["next_after"] or 7
    return body


@dataclass
class Broken:
    """A hub class and how its served app is made from it (default: the hub's own app)."""

    hub_class: type = StrictHub
    app: Callable = lambda hub: hub.app


BROKEN = [
    ("accepts-a-missing-token", Broken(TakesAnyToken), (C.CORE, "auth.no-token")),
    ("accepts-a-wrong-token", Broken(TakesWrongTokens), (C.CORE, "auth.wrong-token")),
    (
        "gives-a-duplicate-a-new-tracking-id",
        Broken(
            app=lambda hub: Rewrite(hub.app, "POST", "/api/v1/reports:batch", duplicate_with_new_id)
        ),
        (C.CORE, "reports.duplicate"),
    ),
    ("overwrites-on-conflict", Broken(with_state(Overwriting)), (C.CORE, "reports.conflict")),
    (
        "answers-500-to-malformed-json",
        Broken(app=lambda hub: FailsOnMalformedJson(hub.app)),
        (C.CORE, "batch.malformed-json"),
    ),
    (
        "accepts-an-invalid-report",
        Broken(with_state(TakesInvalidReports)),
        (C.CORE, "reports.per-item-rejection"),
    ),
    ("takes-501-reports", Broken(TakesLargeBatches), (C.CORE, "batch.too-large")),
    ("openapi-lacks-a-core-path", Broken(app=without_core_path), (C.CORE, "openapi.document")),
    (
        "get-returns-a-changed-report",
        Broken(app=lambda hub: Rewrite(hub.app, "GET", r"/api/v1/reports/[^/]+", changed_title)),
        (C.CORE, "reports.get"),
    ),
    (
        "digest-count-wrong",
        Broken(
            app=lambda hub: Rewrite(hub.app, "GET", "/api/v1/reconcile/digest", one_digest_short)
        ),
        (C.RECONCILE_DIGESTS, "reconcile.digest"),
    ),
    (
        "feed-never-ends",
        Broken(app=lambda hub: Rewrite(hub.app, "GET", "/api/v1/updates", never_ending_feed)),
        (C.UPDATES_FEED, "feed.end"),
    ),
    (
        "update-applied-twice",
        Broken(with_state(ForgetsUpdates)),
        (C.STATUS_PUSH, "updates.duplicate"),
    ),
    (
        "checkpoint-overwritten",
        Broken(with_state(RewritesCheckpoints)),
        (C.AUDIT_CHECKPOINTS, "checkpoints.conflict"),
    ),
]


@pytest.mark.parametrize(
    "broken, failing", [case[1:] for case in BROKEN], ids=[case[0] for case in BROKEN]
)
def test_a_hub_that_breaks_one_rule_fails_that_check(broken, failing):
    hub = broken.hub_class(TOKENS)
    seed(hub)
    with ServerThread(broken.app(hub), "127.0.0.1", 0) as server:
        result = check_hub(server.url, "--connector-id", "kalsel")
    assert result.exit_code == 1, result.output
    assert marks(result.output)[failing] == "FAIL", result.output
    assert (
        "does not conform: " in result.output
        and " ".join(failing) in result.output.splitlines()[-1]
    )
