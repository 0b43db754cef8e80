"""The strict recording hub (lapor_exchange.conformance.StrictHub), over real HTTP on loopback.

It takes only what the published documents allow and says so with the documented status
and error body; it serves exactly the operations of the capabilities it is given (and its
own openapi.json says so); it records every refusal for a test to assert on; it issues
tracking ids that are not plain digits; the national side's `act` shows in the feed and in
the report's history; and every answer it gives validates against the document (checked
here with the document's own component schemas, not with the hub's code).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys

import pytest
import requests
from click.testing import CliRunner
from hub_helpers import KALSEL_TOKEN, KALTIM_TOKEN, TOKENS, auth, make_report, make_update

from lapor_exchange import capabilities, digest
from lapor_exchange.canonical import content_hash
from lapor_exchange.conformance.cli import main
from lapor_exchange.conformance.contract import PROBE_HEADER, operations
from lapor_exchange.conformance.strict_hub import StrictHub
from lapor_exchange.conformance.strict_state import ExchangeState
from lapor_exchange.problems import openapi_validator, problems

API = "/api/v1"


@pytest.fixture
def hub():
    found = StrictHub(TOKENS)
    with found.serve():
        yield found


def call(hub, method, path, token=KALSEL_TOKEN, **kwargs):
    headers = {**(auth(token) if token else {}), **kwargs.pop("headers", {})}
    return requests.request(method, hub.url + API + path, headers=headers, timeout=10, **kwargs)


def documented(response, schema: str):
    """The JSON body, asserted valid against components.schemas.<schema> of the published document."""
    body = response.json()
    assert problems(body, openapi_validator(schema)) == [], body
    return body


def deliver(hub, *reports, token=KALSEL_TOKEN) -> list[dict]:
    response = call(hub, "POST", "/reports:batch", token=token, json={"reports": list(reports)})
    assert response.status_code == 200, response.text
    return documented(response, "BatchResult")["results"]


def refused(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert documented(response, "Error")["error"]["code"] == code
    return response.json()["error"]["message"]


# -- what it refuses ----------------------------------------------------------------------


def test_an_unknown_field_is_rejected_at_its_path_and_the_other_reports_are_taken(hub):
    extra = make_report("LP-2", nickname="Budi")
    created, rejected = deliver(hub, make_report("LP-1"), extra)
    assert created["outcome"] == "created"
    assert rejected["outcome"] == "rejected" and rejected["tracking_id"] is None
    assert [e["path"] for e in rejected["errors"]] == ["$.nickname"]
    assert list(hub.reports) == [created["tracking_id"]]
    assert hub.problems() == [
        "POST /api/v1/reports:batch item 1: rejected: $.nickname: is not a known field"
    ]


def test_a_blank_title_is_rejected(hub):
    [result] = deliver(hub, make_report("LP-1", title="   "))
    assert result["outcome"] == "rejected"
    assert result["errors"] == [{"path": "$.title", "message": "is blank"}]
    assert hub.reports == {}


def test_a_report_in_another_connectors_name_is_rejected_at_its_connector_id(hub):
    [result] = deliver(hub, make_report("LP-1", connector_id="kaltim"))
    assert result["outcome"] == "rejected"
    assert [e["path"] for e in result["errors"]] == ["$.source.connector_id"]


def test_an_unknown_query_parameter_is_refused_and_recorded(hub):
    message = refused(
        call(hub, "GET", "/reports", params={"limit": 5, "since": "x"}), 400, "bad_request"
    )
    assert "since" in message
    assert hub.problems() == [f"GET /api/v1/reports → 400 bad_request: {message}"]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "ten"},
        {"after": "a b"},
        {"limit": ["1", "2"]},
        {"channel_id": "Bad Channel"},
    ],
    ids=[
        "limit-0",
        "limit-1001",
        "limit-text",
        "after-not-tracking-id",
        "limit-twice",
        "channel-id-shape",
    ],
)
def test_a_query_parameter_outside_its_schema_is_400(hub, params):
    refused(call(hub, "GET", "/reports", params=params), 400, "bad_request")


@pytest.mark.parametrize("token", [None, "not-a-token"], ids=["no-token", "wrong-token"])
def test_a_call_without_a_known_token_is_401(hub, token):
    response = call(hub, "POST", "/reports:batch", token=token, json={"reports": [make_report()]})
    refused(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert hub.reports == {}


@pytest.mark.parametrize(
    "body, status, code",
    [
        (b'{"reports": [', 400, "bad_request"),
        (b"[]", 400, "bad_request"),
        (b'{"reports": [1]}', 400, "bad_request"),
        (b'{"reports": [], "more": 1}', 400, "bad_request"),
        (b'{"reports": [{}], "reports": [{}]}', 400, "bad_request"),
        (b'{"reports": [NaN]}', 400, "bad_request"),
        (b'{"reports": []}', 422, "batch_size"),
    ],
    ids=[
        "not-json",
        "array",
        "item-not-object",
        "unknown-member",
        "repeated-member",
        "nan",
        "empty",
    ],
)
def test_a_malformed_batch_is_refused_with_the_documented_status(hub, body, status, code):
    refused(
        call(
            hub, "POST", "/reports:batch", data=body, headers={"Content-Type": "application/json"}
        ),
        status,
        code,
    )
    assert hub.self_errors == []


def test_501_reports_are_422_and_none_is_stored(hub):
    reports = [make_report(f"LP-{n}") for n in range(501)]
    refused(call(hub, "POST", "/reports:batch", json={"reports": reports}), 422, "batch_size")
    assert hub.reports == {}


def test_a_body_larger_than_the_hub_takes_is_413():
    class SmallHub(StrictHub):
        max_body_bytes = 2000

    hub = SmallHub(TOKENS)
    with hub.serve():
        reports = [make_report(f"LP-{n}") for n in range(10)]
        refused(call(hub, "POST", "/reports:batch", json={"reports": reports}), 413, "too_large")
        assert hub.reports == {}


@pytest.mark.parametrize(
    "offered",
    [
        (),
        (capabilities.UPDATES_FEED,),
        (capabilities.STATUS_PUSH, capabilities.STATISTICS),
        capabilities.OPTIONAL,
    ],
    ids=["core", "feed", "push-and-stats", "all"],
)
def test_it_serves_and_lists_exactly_the_operations_it_offers(offered):
    hub = StrictHub(TOKENS, capabilities=offered)
    with hub.serve():
        document = call(hub, "GET", "/openapi.json", token=None).json()
        assert capabilities.offered(document) == {capabilities.CORE, *offered}
        for op in operations():
            if op.tag not in hub.capabilities:
                path = op.url_path(tracking_id="LPR-0000000001", bucket=0)
                refused(call(hub, op.method, path, json={}), 404, "not_found")
                assert op.path not in document["paths"]


def test_another_connectors_report_is_404(hub):
    [result] = deliver(hub, make_report("LP-1"))
    refused(
        call(hub, "GET", f"/reports/{result['tracking_id']}", token=KALTIM_TOKEN), 404, "not_found"
    )
    refused(call(hub, "GET", "/reports/no such id"), 404, "not_found")


# -- what it records ----------------------------------------------------------------------


def test_requests_and_problems_are_recorded_but_deliberate_probes_are_not_problems(hub):
    call(hub, "GET", "/reports", token=None)
    call(hub, "GET", "/reports", token=None, headers={PROBE_HEADER: "1"})
    deliver(hub, make_report("LP-1"))
    assert [(r["method"], r["path"], r["status"], r["code"], r["probe"]) for r in hub.requests] == [
        ("GET", "/api/v1/reports", 401, "unauthorized", False),
        ("GET", "/api/v1/reports", 401, "unauthorized", True),
        ("POST", "/api/v1/reports:batch", 200, None, False),
    ]
    assert len(hub.rejected) == 1
    assert hub.problems() == [
        "GET /api/v1/reports → 401 unauthorized: send Authorization: Bearer "
        "<a token this hub issued>"
    ]


def test_a_conflict_is_a_problem_and_nothing_is_overwritten(hub):
    [first] = deliver(hub, make_report("LP-1"))
    [second] = deliver(hub, make_report("LP-1", title="Judul lain"))
    assert (second["outcome"], second["tracking_id"], second["errors"]) == (
        "conflict",
        first["tracking_id"],
        [],
    )
    assert hub.reports[first["tracking_id"]]["report"] == make_report("LP-1")
    assert hub.problems() == ["POST /api/v1/reports:batch item 0: conflict"]


def test_an_answer_that_breaks_the_document_is_a_self_error_answered_500():
    class BrokenState(ExchangeState):
        def stats(self, connector_id):
            return {"reports": -1}

    class BrokenHub(StrictHub):
        state_class = BrokenState

    hub = BrokenHub(TOKENS)
    with hub.serve():
        refused(call(hub, "GET", "/stats"), 500, "internal_error")
    assert len(hub.self_errors) == 1 and "getStats answered 200" in hub.self_errors[0]
    assert hub.problems() == [f"hub bug (answered 500): {hub.self_errors[0]}"]


# -- what it issues and keeps -------------------------------------------------------------


def test_tracking_ids_are_prefixed_never_plain_digits(hub):
    results = deliver(hub, make_report("LP-1"), make_report("LP-2"), make_report("LP-1"))
    assert [r["tracking_id"] for r in results] == [
        "LPR-0000000001",
        "LPR-0000000002",
        "LPR-0000000001",
    ]
    assert [r["outcome"] for r in results] == ["created", "created", "duplicate"]
    other = StrictHub(TOKENS, tracking_prefix="KS.2026.")
    with other.serve():
        assert deliver(other, make_report("LP-1"))[0]["tracking_id"] == "KS.2026.0000000001"


def test_a_stored_report_is_exactly_as_received_with_its_hash(hub):
    sent = make_report(
        "LP-1", source={**make_report()["source"], "source_ref": "LP-1", "portal": {"rev": 3}}
    )
    sent["location"]["lat"] = -3.4425
    [result] = deliver(hub, sent)
    stored = documented(call(hub, "GET", f"/reports/{result['tracking_id']}"), "StoredReport")
    assert stored["report"] == sent and list(stored["report"]) == list(sent)
    assert stored["content_hash"] == content_hash(sent)
    assert (stored["status"], stored["status_at"], stored["updates"]) == (
        "belum_terverifikasi",
        None,
        [],
    )


def test_pages_walk_every_report_once_and_find_one_by_its_key(hub):
    ids = [r["tracking_id"] for r in deliver(hub, *(make_report(f"LP-{n}") for n in range(5)))]
    deliver(hub, make_report("KT-1", connector_id="kaltim"), token=KALTIM_TOKEN)
    seen, after = [], None
    while True:
        page = documented(
            call(
                hub, "GET", "/reports", params={"limit": 2, **({"after": after} if after else {})}
            ),
            "ReportPage",
        )
        assert all("updates" not in r for r in page["reports"])
        seen += [r["tracking_id"] for r in page["reports"]]
        if (after := page["next_after"]) is None:
            break
    assert seen == ids
    found = documented(
        call(hub, "GET", "/reports", params={"channel_id": "laporpaman", "source_ref": "LP-3"}),
        "ReportPage",
    )
    assert [r["tracking_id"] for r in found["reports"]] == [ids[3]] and found["next_after"] is None
    refused(call(hub, "GET", "/reports", params={"after": "LPR-0000000099"}), 400, "bad_request")


def test_act_feeds_the_feed_and_the_history(hub):
    [result] = deliver(hub, make_report("LP-1"))
    tracking_id = result["tracking_id"]
    acted = hub.act(tracking_id, status="terverifikasi", message="Laporan diverifikasi")
    assert acted["outcome"] == "applied" and acted["status"] == "terverifikasi"
    feed = documented(call(hub, "GET", "/updates"), "FeedPage")
    assert feed["updates"] == [acted["update"]] and feed["next_after"] == 1
    assert acted["update"]["origin"] == {"side": "hub"} and acted["update"]["seq"] == 1
    stored = documented(call(hub, "GET", f"/reports/{tracking_id}"), "StoredReport")
    assert stored["status"] == "terverifikasi"
    assert [(u["update_id"], u["outcome"]) for u in stored["updates"]] == [
        (acted["update"]["update_id"], "applied")
    ]
    after_it = documented(call(hub, "GET", "/updates", params={"after": 1}), "FeedPage")
    assert after_it == {"updates": [], "next_after": None}
    assert documented(call(hub, "GET", "/updates", token=KALTIM_TOKEN), "FeedPage")["updates"] == []


def test_act_refuses_an_illegal_transition_and_an_unknown_report(hub):
    [result] = deliver(hub, make_report("LP-1"))
    hub.act(result["tracking_id"], status="diarsipkan", occurred_at="2025-03-05T10:00:00+08:00")
    with pytest.raises(ValueError, match="illegal_transition"):
        hub.act(result["tracking_id"], status="terverifikasi")
    with pytest.raises(ValueError, match="unknown_report"):
        hub.act("LPR-0000000099", message="Halo")
    assert len(hub.reports[result["tracking_id"]]["updates"]) == 1


def test_without_report_history_a_report_has_no_updates():
    hub = StrictHub(TOKENS, report_history=False)
    with hub.serve():
        [result] = deliver(hub, make_report("LP-1"))
        hub.act(result["tracking_id"], status="terverifikasi")
        stored = documented(call(hub, "GET", f"/reports/{result['tracking_id']}"), "StoredReport")
        assert "updates" not in stored and stored["status"] == "terverifikasi"


def test_region_updates_are_judged_by_the_transitions_and_the_later_wins_rule(hub):
    [result] = deliver(hub, make_report("LP-1"))
    tid = result["tracking_id"]
    updates = [
        make_update(tid, "u1", status="terverifikasi", occurred_at="2025-03-05T10:00:00+08:00"),
        make_update(tid, "u2", status="tunda", occurred_at="2025-03-04T10:00:00+08:00"),
        make_update(tid, "u3", status="terverifikasi", occurred_at="2025-03-06T10:00:00+08:00"),
        make_update(
            tid, "u4", status="belum_terverifikasi", occurred_at="2025-03-07T10:00:00+08:00"
        ),
        make_update(tid, "u1", status="terverifikasi", occurred_at="2025-03-05T10:00:00+08:00"),
        make_update(tid, "u1", message="lain", occurred_at="2025-03-05T10:00:00+08:00"),
        make_update("LPR-0000000099", "u5", message="Halo"),
        make_update(tid, "u6", message="Halo", origin={"side": "hub"}),
        make_update(tid, "u7", message="Halo", connector_id="kaltim"),
        make_update(tid, "u8", message="Halo", actor="robot"),
    ]
    response = call(hub, "POST", "/updates:batch", json={"updates": updates})
    results = documented(response, "UpdateBatchResult")["results"]
    assert [r["outcome"] for r in results] == [
        "applied",
        "stale",
        "noop",
        "illegal_transition",
        "duplicate",
        "conflict",
        "unknown_report",
        "rejected",
        "rejected",
        "rejected",
    ]
    paths = [e["path"] for r in results[7:] for e in r["errors"]]
    assert paths == ["$.origin.side", "$.origin.connector_id", "$.actor"]
    assert results[3]["status"] == "terverifikasi" and results[6]["status"] is None
    assert [u["update_id"] for u in hub.reports[tid]["updates"]] == ["u1", "u2", "u3"]
    assert len(hub.problems()) == 6


def test_digests_and_buckets_are_the_contracts_over_its_reports(hub):
    deliver(hub, *(make_report(f"LP-{n}") for n in range(20)))
    entries = [
        digest.Entry(
            "laporpaman", r["report"]["source"]["source_ref"], tid, r["status"], r["content_hash"]
        )
        for tid, r in hub.reports.items()
    ]
    answer = documented(
        call(hub, "GET", "/reconcile/digest", params={"buckets": 16}), "ReconcileDigest"
    )
    assert answer == {"buckets": 16, "count": 20, "digests": digest.digests(entries, 16)}
    bucket = documented(
        call(hub, "GET", "/reconcile/buckets/5", params={"buckets": 16}), "ReconcileBucket"
    )
    assert bucket["entries"] == [e.as_dict() for e in digest.in_bucket(entries, 5, 16)]
    refused(call(hub, "GET", "/reconcile/digest", params={"buckets": 3}), 400, "bad_request")
    refused(call(hub, "GET", "/reconcile/buckets/16", params={"buckets": 16}), 400, "bad_request")
    refused(call(hub, "GET", "/reconcile/buckets/0"), 400, "bad_request")


def test_checkpoints_are_201_then_200_then_409_for_another_hash(hub):
    checkpoint = {"seq": 7, "hash": "a" * 64, "at": "2025-03-05T10:00:00+08:00"}
    post = lambda body: call(hub, "POST", "/audit/checkpoints", json=body)  # noqa: E731
    assert post(checkpoint).status_code == 201
    again = post(checkpoint)
    assert again.status_code == 200 and documented(again, "Checkpoint") == checkpoint
    refused(post({**checkpoint, "hash": "b" * 64}), 409, "checkpoint_conflict")
    refused(post({**checkpoint, "seq": -1}), 400, "bad_request")
    assert documented(call(hub, "GET", "/audit/checkpoints"), "CheckpointList") == {
        "checkpoints": [checkpoint]
    }


def test_stats_count_this_connectors_reports_by_status(hub):
    deliver(hub, make_report("LP-1"), make_report("LP-2"))
    hub.act("LPR-0000000002", status="terverifikasi")
    stats = documented(call(hub, "GET", "/stats"), "Stats")
    assert stats["reports"] == 2
    assert {k: v for k, v in stats["statuses"].items() if v} == {
        "belum_terverifikasi": 1,
        "terverifikasi": 1,
    }


def test_every_answer_it_gave_validated_against_the_document(hub):
    [result] = deliver(hub, make_report("LP-1"))
    for method, path in [
        ("GET", f"/reports/{result['tracking_id']}"),
        ("GET", "/reports"),
        ("GET", "/updates"),
        ("GET", "/reconcile/digest"),
        ("GET", "/audit/checkpoints"),
        ("GET", "/stats"),
        ("GET", "/openapi.json"),
        ("GET", "/nowhere"),
        ("DELETE", "/reports"),
    ]:
        response = call(hub, method, path)
        assert response.headers["Content-Type"] == "application/json"
        assert response.status_code < 500, (method, path, response.text)
    assert hub.self_errors == []
    assert [r["status"] for r in hub.requests[-2:]] == [404, 405]


# -- the command --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_strict_hub_command_serves_what_it_prints_and_lists_its_problems_at_the_end():
    port = _free_port()
    command = [
        sys.executable,
        "-c",
        "from lapor_exchange.conformance.cli import main; main()",
        "strict-hub",
        "--listen",
        f"127.0.0.1:{port}",
        "--token",
        "tok-kalsel=kalsel",
        "--capabilities",
        "status-push",
    ]
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = []
        while not any("listening on" in line for line in lines):
            lines.append(process.stdout.readline())
            assert lines[-1], "".join(lines)
        url = f"http://127.0.0.1:{port}{API}"
        document = requests.get(f"{url}/openapi.json", timeout=10).json()
        assert capabilities.offered(document) == {capabilities.CORE, capabilities.STATUS_PUSH}
        assert requests.get(f"{url}/updates", headers=auth(), timeout=10).status_code == 404
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=20)
    text = "".join(lines) + output
    assert re.search(r"strict hub offers\s+status-push", text) and re.search(
        r"strict hub lacks\s+updates-feed", text
    )
    assert process.returncode == 0
    assert "requests: 2; problems: 1" in text and "GET /api/v1/updates → 404 not_found" in text


def test_the_strict_hub_command_refuses_an_unknown_capability():
    result = CliRunner().invoke(
        main, ["strict-hub", "--token", "t=kalsel", "--capabilities", "telepathy"]
    )
    assert result.exit_code == 2 and "telepathy" in result.output
