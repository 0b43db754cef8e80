"""The reference national hub: the exchange API, its store, its faults, its settings.

Most cases use the Flask test client on a temporary SQLite file; dropped
connections, Retry-After and concurrent batches go over a real loopback server
with `requests`. PostgreSQL cases run when the local server answers.
"""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from hub_helpers import (
    KALSEL_TOKEN,
    KALTIM_TOKEN,
    auth,
    hub_settings,
    make_report,
    running_hub,
)
from sqlalchemy import select

from lapor_exchange import capabilities, documents
from lapor_exchange.canonical import content_hash
from lapor_hub import cli as hub_cli
from lapor_hub.app import create_app
from lapor_hub.faults import Faults, FaultsDisabledError, InvalidFaultRulesError
from lapor_hub.settings import ConfigError, load_settings
from lapor_hub.store import HubAnswer, HubReport

BATCH = "/api/v1/reports:batch"
NO_UPDATES = {
    "hub": {"applied": 0, "stale": 0, "noop": 0},
    "region": {"applied": 0, "stale": 0, "noop": 0},
}
NO_CHECKPOINTS = {"count": 0, "highest_seq": None}
REPO = Path(__file__).resolve().parent.parent


def send(client, reports, token=KALSEL_TOKEN):
    response = client.post(BATCH, json={"reports": reports}, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def stored_rows(app, model):
    with app.extensions["lapor_hub"].sessions() as session:
        return list(session.scalars(select(model).order_by(model.id)))


# -- auth and health ---------------------------------------------------------------


def test_health_answers_without_a_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        auth("not-a-token"),
        {"Authorization": KALSEL_TOKEN},
        {"Authorization": f"Basic {KALSEL_TOKEN}"},
    ],
    ids=["no-header", "unknown-token", "no-scheme", "basic-scheme"],
)
@pytest.mark.parametrize(
    "method, path",
    [
        ("post", BATCH),
        ("get", "/api/v1/reports"),
        ("get", "/api/v1/reports/1000001"),
        ("get", "/api/v1/stats"),
        ("post", "/api/v1/_faults"),
    ],
    ids=["batch", "list", "get", "stats", "faults"],
)
def test_requests_without_a_known_token_get_401_and_save_nothing(
    app, client, headers, method, path
):
    response = getattr(client, method)(
        path, json={"reports": [make_report()], "rules": []}, headers=headers
    )
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert response.get_json()["error"]["message"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert stored_rows(app, HubReport) == []


# -- reports:batch -----------------------------------------------------------------


def test_created_then_duplicate_then_conflict(app, client):
    report = make_report("LP-1")
    [created] = send(client, [report])
    assert created["outcome"] == "created"
    assert created["index"] == 0 and created["source_ref"] == "LP-1" and created["errors"] == []
    assert created["tracking_id"].isdigit() and len(created["tracking_id"]) == 7

    [again] = send(client, [copy.deepcopy(report)])
    assert again["outcome"] == "duplicate"
    assert again["tracking_id"] == created["tracking_id"]
    assert again["errors"] == []

    [changed] = send(client, [make_report("LP-1", body="Isi yang lain sama sekali.")])
    assert changed["outcome"] == "conflict"
    assert changed["tracking_id"] == created["tracking_id"]
    assert changed["errors"] and "different content" in changed["errors"][0]["message"]

    [row] = stored_rows(app, HubReport)  # the conflicting copy did not replace the first
    assert row.content_hash == content_hash(report)
    assert row.status == "belum_terverifikasi"


def test_key_order_does_not_make_a_conflict(client):
    report = make_report("LP-ORDER")
    reordered = dict(reversed(list(report.items())))
    [first] = send(client, [report])
    [second] = send(client, [reordered])
    assert (first["outcome"], second["outcome"]) == ("created", "duplicate")


def test_same_key_twice_in_one_batch_is_answered_as_across_batches(client):
    report = make_report("LP-TWICE")
    results = send(
        client, [report, copy.deepcopy(report), make_report("LP-TWICE", title="Judul diganti")]
    )
    assert [r["outcome"] for r in results] == ["created", "duplicate", "conflict"]
    assert [r["index"] for r in results] == [0, 1, 2]
    assert len({r["tracking_id"] for r in results}) == 1


def test_same_source_ref_on_two_channels_is_two_reports(client):
    results = send(
        client,
        [make_report("X-1", channel_id="laporpaman"), make_report("X-1", channel_id="sms1708")],
    )
    assert [r["outcome"] for r in results] == ["created", "created"]
    assert results[0]["tracking_id"] != results[1]["tracking_id"]


def _without(report: dict, *path: str) -> dict:
    target = report
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return report


@pytest.mark.parametrize(
    "bad, path",
    [
        (_without(make_report("BAD"), "body"), "$.body"),
        (_without(make_report("BAD"), "privacy", "anonymous"), "$.privacy.anonymous"),
        (make_report("BAD", classification="keluhan"), "$.classification"),
        (make_report("BAD", submitted_at="2025-03-04T08:50:00"), "$.submitted_at"),
        (make_report("BAD", extra_field=1), "$.extra_field"),
    ],
    ids=[
        "missing-body",
        "missing-anonymous",
        "unknown-classification",
        "time-without-offset",
        "unknown-field",
    ],
)
def test_rejected_report_names_the_json_path_and_the_rest_of_the_batch_is_created(
    app, client, bad, path
):
    results = send(client, [make_report("GOOD-1"), bad, make_report("GOOD-2")])
    assert [r["outcome"] for r in results] == ["created", "rejected", "created"]
    rejected = results[1]
    assert rejected["tracking_id"] is None
    assert path in [e["path"] for e in rejected["errors"]]
    assert all(e["message"] for e in rejected["errors"])
    assert sorted(row.source_ref for row in stored_rows(app, HubReport)) == ["GOOD-1", "GOOD-2"]


def test_report_of_another_connector_is_rejected(app, client):
    [result] = send(client, [make_report("LP-9", connector_id="kaltim")], token=KALSEL_TOKEN)
    assert result["outcome"] == "rejected"
    assert result["source_ref"] == "LP-9"
    assert [e["path"] for e in result["errors"]] == ["$.source.connector_id"]
    assert stored_rows(app, HubReport) == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"reports": {"a": 1}}', b'{"items": []}', b"null"],
    ids=["not-json", "list", "reports-not-a-list", "no-reports", "null"],
)
def test_malformed_batch_is_400(client, body):
    response = client.post(BATCH, data=body, headers={**auth(), "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("count", [0, 501], ids=["empty", "over-500"])
def test_batch_of_wrong_size_is_422_and_saves_nothing(app, client, count):
    reports = [make_report(f"N-{i}") for i in range(count)]
    response = client.post(BATCH, json={"reports": reports}, headers=auth())
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "batch_size"
    assert stored_rows(app, HubReport) == []


def test_batch_of_500_is_accepted(client):
    results = send(client, [make_report(f"B-{i:03d}") for i in range(500)])
    assert [r["index"] for r in results] == list(range(500))
    assert {r["outcome"] for r in results} == {"created"}
    assert len({r["tracking_id"] for r in results}) == 500


def test_every_answer_is_in_the_delivery_log(app, client):
    send(client, [make_report("L-1"), make_report("L-1"), _without(make_report("L-2"), "body")])
    rows = stored_rows(app, HubAnswer)
    assert [(r.connector_id, r.channel_id, r.source_ref, r.outcome) for r in rows] == [
        ("kalsel", "laporpaman", "L-1", "created"),
        ("kalsel", "laporpaman", "L-1", "duplicate"),
        ("kalsel", "laporpaman", "L-2", "rejected"),
    ]
    assert rows[0].tracking_id == rows[1].tracking_id is not None
    assert rows[2].tracking_id is None
    assert all(r.answered_at.tzinfo is not None for r in rows)


# -- reading reports ---------------------------------------------------------------


def test_get_by_tracking_id_returns_the_report_as_stored(client):
    report = make_report("G-1")
    [created] = send(client, [report])
    response = client.get(f"/api/v1/reports/{created['tracking_id']}", headers=auth())
    assert response.status_code == 200
    found = response.get_json()
    assert found["tracking_id"] == created["tracking_id"]
    assert found["status"] == "belum_terverifikasi"
    assert found["content_hash"] == content_hash(report)
    assert found["report"] == report
    assert found["received_at"].endswith("+00:00")


def test_find_by_channel_and_source_ref(client):
    results = send(
        client, [make_report("F-1"), make_report("F-2"), make_report("F-2", channel_id="sms1708")]
    )
    response = client.get(
        "/api/v1/reports",
        query_string={"channel_id": "laporpaman", "source_ref": "F-2"},
        headers=auth(),
    )
    body = response.get_json()
    assert [r["tracking_id"] for r in body["reports"]] == [results[1]["tracking_id"]]
    assert body["next_after"] is None


def test_another_connectors_report_is_404(client):
    [theirs] = send(client, [make_report("K-1", connector_id="kaltim")], token=KALTIM_TOKEN)
    assert theirs["outcome"] == "created"
    assert (
        client.get(
            f"/api/v1/reports/{theirs['tracking_id']}", headers=auth(KALTIM_TOKEN)
        ).status_code
        == 200
    )
    response = client.get(f"/api/v1/reports/{theirs['tracking_id']}", headers=auth(KALSEL_TOKEN))
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    listed = client.get("/api/v1/reports", headers=auth(KALSEL_TOKEN)).get_json()
    assert listed["reports"] == []


@pytest.mark.parametrize("tracking_id", ["9999999", "abc"], ids=["unknown", "not-digits"])
def test_unknown_tracking_id_is_404(client, tracking_id):
    response = client.get(f"/api/v1/reports/{tracking_id}", headers=auth())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_paging_walks_every_report_once_in_tracking_order(client):
    created = send(client, [make_report(f"P-{i:02d}") for i in range(7)])
    send(client, [make_report("P-other", connector_id="kaltim")], token=KALTIM_TOKEN)
    seen, after, pages = [], None, 0
    while True:
        query = {"limit": 3, **({"after": after} if after else {})}
        body = client.get("/api/v1/reports", query_string=query, headers=auth()).get_json()
        pages += 1
        seen += [r["tracking_id"] for r in body["reports"]]
        after = body["next_after"]
        if after is None:
            break
        assert after == seen[-1]
    assert pages == 3
    assert seen == [r["tracking_id"] for r in created]
    assert seen == sorted(seen, key=int)


def test_page_exactly_full_has_no_next(client):
    send(client, [make_report(f"E-{i}") for i in range(3)])
    body = client.get("/api/v1/reports", query_string={"limit": 3}, headers=auth()).get_json()
    assert len(body["reports"]) == 3
    assert body["next_after"] is None


@pytest.mark.parametrize(
    "query",
    [{"limit": 0}, {"limit": 1001}, {"limit": "ten"}, {"after": "x 1"}],
    ids=["limit-0", "limit-1001", "limit-text", "after-not-a-tracking-id"],
)
def test_bad_list_parameters_are_400(client, query):
    response = client.get("/api/v1/reports", query_string=query, headers=auth())
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_stats_count_reports_keys_and_answers_per_connector(client):
    send(client, [make_report("S-1"), make_report("S-2"), make_report("S-1")])
    send(client, [make_report("S-2", title="berubah"), _without(make_report("S-3"), "title")])
    send(client, [make_report("S-9", connector_id="kaltim")], token=KALTIM_TOKEN)
    response = client.get("/api/v1/stats", headers=auth())
    assert response.get_json() == {
        "reports": 2,
        "distinct_keys": 3,
        "answers": {"created": 2, "duplicate": 1, "conflict": 1, "rejected": 1},
        "updates": NO_UPDATES,
        "checkpoints": NO_CHECKPOINTS,
    }
    kaltim = client.get("/api/v1/stats", headers=auth(KALTIM_TOKEN)).get_json()
    assert kaltim["reports"] == 1 and kaltim["answers"]["created"] == 1


# -- OpenAPI -----------------------------------------------------------------------


def test_openapi_document_is_the_published_contract_plus_the_reference_hubs_own_operations(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    published = documents.openapi()
    assert doc["openapi"] == "3.1.0"
    for path, item in published["paths"].items():
        assert {m: doc["paths"][path][m] for m in item} == item, path
    for name, schema in published["components"]["schemas"].items():
        assert doc["components"]["schemas"][name] == schema, name
    extra = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method not in published["paths"].get(path, {})
    }
    assert ("/api/v1/health", "get") in extra and (
        "/api/v1/admin/reports/{tracking_id}/act",
        "post",
    ) in extra
    assert all(doc["paths"][path][method]["tags"] == ["reference-hub"] for path, method in extra)
    assert capabilities.offered(doc) == {"core", *capabilities.OPTIONAL}
    # Drift and fault injection are listed only where the settings enable them.
    assert (
        "/api/v1/_faults" in doc["paths"]
        and "delete" in doc["paths"]["/api/v1/admin/reports/{tracking_id}"]
    )


def test_openapi_document_leaves_out_faults_and_drift_when_they_are_disabled(tmp_path):
    app = create_app(hub_settings(tmp_path, faults_enabled=False))
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert (
        "/api/v1/_faults" not in doc["paths"]
        and "/api/v1/admin/reports/{tracking_id}/status" not in doc["paths"]
    )
    assert "delete" not in doc["paths"]["/api/v1/admin/reports/{tracking_id}"]
    app.extensions["lapor_hub"].close()


def test_unknown_path_and_wrong_method_answer_in_the_error_shape(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    wrong = client.get(BATCH, headers=auth())
    assert wrong.status_code == 405 and wrong.get_json()["error"]["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


# -- fault injection ---------------------------------------------------------------


def test_faults_are_404_and_refused_in_python_when_disabled(tmp_path):
    app = create_app(hub_settings(tmp_path, faults_enabled=False))
    try:
        client = app.test_client()
        response = client.post(
            "/api/v1/_faults", json={"rules": [{"action": "status", "status": 503}]}, headers=auth()
        )
        assert response.status_code == 404
        assert client.delete("/api/v1/_faults", headers=auth()).status_code == 404
        with pytest.raises(FaultsDisabledError):
            app.extensions["lapor_hub"].faults.set([{"action": "status", "status": 503}])
        assert send(client, [make_report("NF-1")])[0]["outcome"] == "created"
    finally:
        app.extensions["lapor_hub"].close()


def test_status_rule_answers_its_status_without_saving_then_runs_out(app, client):
    response = client.post(
        "/api/v1/_faults",
        json={"rules": [{"action": "status", "status": 500, "times": 2}]},
        headers=auth(KALTIM_TOKEN),
    )
    assert response.status_code == 200
    assert response.get_json()["rules"] == [{"action": "status", "status": 500, "times": 2}]
    for _ in range(2):
        failed = client.post(BATCH, json={"reports": [make_report("FS-1")]}, headers=auth())
        assert failed.status_code == 500
        assert failed.get_json()["error"]["code"] == "fault_injected"
        assert "Retry-After" not in failed.headers
    assert stored_rows(app, HubReport) == [] and stored_rows(app, HubAnswer) == []
    assert send(client, [make_report("FS-1")])[0]["outcome"] == "created"


def test_delete_clears_the_rules(client):
    client.post(
        "/api/v1/_faults",
        json={"rules": [{"action": "status", "status": 503, "times": 5}]},
        headers=auth(),
    )
    assert client.delete("/api/v1/_faults", headers=auth()).get_json() == {"rules": []}
    assert send(client, [make_report("FD-1")])[0]["outcome"] == "created"


@pytest.mark.parametrize(
    "rules, where",
    [
        ([{"action": "explode"}], "$[0].action"),
        ([{"action": "status"}], "$[0].status"),
        ([{"action": "status", "status": 200}], "$[0].status"),
        ([{"action": "delay", "seconds": 1, "status": 503}], "$[0].status"),
        ([{"action": "drop_after_save", "times": 1, "for_s": 5}], "$[0]"),
        ({"action": "status"}, "$"),
    ],
    ids=[
        "unknown-action",
        "status-without-status",
        "status-200",
        "field-of-another-action",
        "times-and-for_s",
        "not-a-list",
    ],
)
def test_invalid_fault_rules_are_422_naming_the_rule(client, rules, where):
    response = client.post("/api/v1/_faults", json={"rules": rules}, headers=auth())
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "invalid_rules"
    assert f"{where}:" in response.get_json()["error"]["message"]


def test_rules_apply_in_order_and_for_s_runs_from_first_use():
    now = [100.0]
    faults = Faults(enabled=True, clock=lambda: now[0])
    faults.set(
        [
            {"action": "delay", "seconds": 0.1, "times": 2},
            {"action": "status", "status": 503, "for_s": 10},
            {"action": "drop_after_save"},
        ]
    )
    assert [faults.take().action for _ in range(2)] == ["delay", "delay"]
    now[0] = 200.0  # time passing before the status rule is reached does not count
    assert faults.take().status == 503
    now[0] = 209.0
    assert faults.take().status == 503
    now[0] = 210.0
    assert faults.take().action == "drop_after_save"
    assert faults.take() is None
    assert faults.pending() == []


def test_invalid_rules_leave_the_old_ones_in_place():
    faults = Faults(enabled=True)
    faults.set([{"action": "status", "status": 503}])
    with pytest.raises(InvalidFaultRulesError) as caught:
        faults.set([{"action": "status", "status": 503}, {"action": "nope"}])
    assert any(p.startswith("$[1].action") for p in caught.value.problems)
    assert faults.pending() == [{"action": "status", "status": 503, "times": 1}]


def test_rules_are_shared_safely_between_threads():
    faults = Faults(enabled=True)
    faults.set([{"action": "delay", "seconds": 0, "times": 1000}])
    taken = []

    def take_all():
        while (rule := faults.take()) is not None:
            taken.append(rule)

    threads = [threading.Thread(target=take_all) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 1000


# -- over a real socket ------------------------------------------------------------


def test_dropped_connection_after_save_then_resend_is_a_duplicate(tmp_path):
    thread_errors = []
    old_hook, threading.excepthook = threading.excepthook, thread_errors.append
    try:
        with running_hub(tmp_path) as (app, server):
            app.extensions["lapor_hub"].faults.set([{"action": "drop_after_save", "times": 1}])
            batch = {"reports": [make_report("DROP-1"), make_report("DROP-2")]}
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.post(server.url + BATCH, json=batch, headers=auth(), timeout=10)

            found = requests.get(
                server.url + "/api/v1/reports",
                params={"source_ref": "DROP-1"},
                headers=auth(),
                timeout=10,
            )
            [saved] = found.json()["reports"]
            assert saved["report"]["source"]["source_ref"] == "DROP-1"

            resent = requests.post(server.url + BATCH, json=batch, headers=auth(), timeout=10)
            assert resent.status_code == 200
            results = resent.json()["results"]
            assert [r["outcome"] for r in results] == ["duplicate", "duplicate"]
            assert results[0]["tracking_id"] == saved["tracking_id"]
            # the server thread survived and keeps answering
            assert requests.get(server.url + "/api/v1/health", timeout=10).json() == {
                "status": "ok"
            }
    finally:
        threading.excepthook = old_hook
    assert thread_errors == []


def test_status_503_with_retry_after_over_http(tmp_path):
    with running_hub(tmp_path) as (app, server):
        rules = {"rules": [{"action": "status", "status": 503, "times": 1, "retry_after": 2}]}
        assert (
            requests.post(
                server.url + "/api/v1/_faults", json=rules, headers=auth(), timeout=10
            ).status_code
            == 200
        )
        batch = {"reports": [make_report("R-1")]}
        refused = requests.post(server.url + BATCH, json=batch, headers=auth(), timeout=10)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "2"
        assert refused.json()["error"]["code"] == "fault_injected"
        assert (
            requests.get(server.url + "/api/v1/stats", headers=auth(), timeout=10).json()["reports"]
            == 0
        )
        accepted = requests.post(server.url + BATCH, json=batch, headers=auth(), timeout=10)
        assert accepted.json()["results"][0]["outcome"] == "created"


def test_delay_lets_a_client_give_up_while_the_hub_still_saves(tmp_path):
    with running_hub(tmp_path) as (app, server):
        app.extensions["lapor_hub"].faults.set([{"action": "delay", "seconds": 1.0}])
        started = time.monotonic()
        with pytest.raises(requests.exceptions.ReadTimeout):
            requests.post(
                server.url + BATCH,
                json={"reports": [make_report("D-1")]},
                headers=auth(),
                timeout=0.3,
            )
        assert time.monotonic() - started < 1.0
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            found = requests.get(
                server.url + "/api/v1/reports",
                params={"source_ref": "D-1"},
                headers=auth(),
                timeout=10,
            )
            if found.json()["reports"]:
                break
            time.sleep(0.1)
        assert len(found.json()["reports"]) == 1


# -- PostgreSQL --------------------------------------------------------------------


@pytest.mark.postgres
def test_the_exchange_works_on_postgresql(tmp_path, pg_url):
    app = create_app(hub_settings(tmp_path, store_url=pg_url))
    try:
        client = app.test_client()
        results = send(
            client,
            [
                make_report("PG-1"),
                make_report("PG-1"),
                make_report("PG-2"),
                _without(make_report("PG-3"), "body"),
            ],
        )
        assert [r["outcome"] for r in results] == ["created", "duplicate", "created", "rejected"]
        [conflict] = send(client, [make_report("PG-2", title="lain")])
        assert (
            conflict["outcome"] == "conflict"
            and conflict["tracking_id"] == results[2]["tracking_id"]
        )
        found = client.get(
            f"/api/v1/reports/{results[0]['tracking_id']}", headers=auth()
        ).get_json()
        assert found["report"] == make_report("PG-1")
        assert found["received_at"].endswith("+00:00")
        stats = client.get("/api/v1/stats", headers=auth()).get_json()
        assert stats == {
            "reports": 2,
            "distinct_keys": 3,
            "answers": {"created": 2, "duplicate": 1, "conflict": 1, "rejected": 1},
            "updates": NO_UPDATES,
            "checkpoints": NO_CHECKPOINTS,
        }
    finally:
        app.extensions["lapor_hub"].close()


def test_concurrent_batches_with_the_same_keys_create_each_report_once(tmp_path, store_url):
    with running_hub(tmp_path, store_url=store_url) as (app, server):
        batch = {"reports": [make_report(f"C-{i:02d}") for i in range(20)]}
        answers, failures = [], []

        def deliver():
            try:
                response = requests.post(server.url + BATCH, json=batch, headers=auth(), timeout=30)
                answers.append(response.json()["results"])
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=deliver) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        assert len(answers) == 6
        for i in range(20):
            outcomes = sorted(results[i]["outcome"] for results in answers)
            assert outcomes == ["created"] + ["duplicate"] * 5
            assert len({results[i]["tracking_id"] for results in answers}) == 1
        stats = requests.get(server.url + "/api/v1/stats", headers=auth(), timeout=10).json()
        assert stats["reports"] == 20
        assert stats["answers"]["created"] == 20 and stats["answers"]["duplicate"] == 100


# -- settings and CLI --------------------------------------------------------------


def write_config(folder: Path, text: str) -> Path:
    path = folder / "hub.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_loads_and_resolves_a_relative_sqlite_path(tmp_path):
    path = write_config(
        tmp_path,
        "store: {url: 'sqlite:///data/hub.db'}\n"
        "connectors:\n  - {id: kalsel, token: '${HUB_TOKEN_T}'}\nfaults_enabled: true\n",
    )
    settings = load_settings(path, environ={"HUB_TOKEN_T": "s3cret"})
    assert settings.store_url == f"sqlite:///{tmp_path / 'data' / 'hub.db'}"
    assert settings.connectors == {"s3cret": "kalsel"}
    assert settings.faults_enabled is True
    assert settings.listen == "127.0.0.1:8701"
    assert "s3cret" not in repr(settings)


def test_example_config_is_valid():
    settings = load_settings(REPO / "hub.example.yaml", environ={})
    assert settings.connectors == {"demo-hub-token": "kalsel"}
    assert settings.admin_token == "demo-hub-admin-token"
    assert settings.faults_enabled is False
    assert settings.store_url == f"sqlite:///{REPO / 'hub.db'}"


@pytest.mark.parametrize(
    "text, key",
    [
        (
            "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: kalsel, token: '${HUB_TOKEN_UNSET}'}]\n",
            "connectors[0].token: environment variable HUB_TOKEN_UNSET is not set",
        ),
        (
            "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: kalsel, token: t}]\nfault_enabled: true\n",
            "$.fault_enabled: is not a known field",
        ),
        ("store: {url: 'mysql://h'}\nconnectors: [{id: kalsel, token: t}]\n", "$.store.url"),
        (
            "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: Kalsel!, token: t}]\n",
            "$.connectors[0].id",
        ),
        ("store: {url: 'sqlite:///h.db'}\n", "$.connectors: is required"),
        (
            "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: a, token: t}, {id: b, token: t}]\n",
            "$.connectors[1].token",
        ),
        (
            "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: a, token: t}, {id: a, token: u}]\n",
            "$.connectors[1].id",
        ),
    ],
    ids=[
        "missing-env-var",
        "unknown-key",
        "bad-store-url",
        "bad-connector-id",
        "no-connectors",
        "shared-token",
        "same-id-twice",
    ],
)
def test_bad_config_is_a_config_error_naming_the_key(tmp_path, text, key):
    path = write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert any(key in problem for problem in caught.value.problems), caught.value.problems
    assert str(path) in str(caught.value)


def test_config_reports_every_problem_at_once(tmp_path):
    path = write_config(
        tmp_path, "listen: nowhere\nstore: {url: 'sqlite:///h.db', pool: 3}\nconnectors: []\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    text = "\n".join(caught.value.problems)
    assert "$.listen" in text and "$.store.pool" in text and "$.connectors" in text


def test_cli_serve_loads_the_config_and_honours_listen(tmp_path, monkeypatch):
    served = {}
    monkeypatch.setattr(
        hub_cli, "serve_forever", lambda app, listen, name: served.update(app=app, listen=listen)
    )
    path = write_config(
        tmp_path, "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: kalsel, token: t}]\n"
    )
    result = CliRunner().invoke(
        hub_cli.hub, ["serve", "--config", str(path), "--listen", "127.0.0.1:9999"]
    )
    assert result.exit_code == 0, result.output
    assert served["listen"] == "127.0.0.1:9999"
    assert served["app"].test_client().get("/api/v1/health").status_code == 200
    assert (tmp_path / "h.db").exists()
    served["app"].extensions["lapor_hub"].close()


def test_cli_serve_with_a_bad_config_fails_naming_the_problem(tmp_path):
    path = write_config(
        tmp_path, "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: kalsel, token: t}]\nbogus: 1\n"
    )
    result = CliRunner().invoke(hub_cli.hub, ["serve", "--config", str(path)])
    assert result.exit_code == 1
    assert "$.bogus: is not a known field" in result.output
