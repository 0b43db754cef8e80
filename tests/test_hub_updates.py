"""Status updates at the reference hub, both ways: judging region updates, the
national side's acts, the feed, the report's history, counts, and the faults
that make the update endpoints misbehave.

Most cases use the Flask test client on a temporary SQLite file; feed paging,
a dropped connection and the page faults go over a real loopback server with
`requests`. One case runs the whole exchange on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from hub_helpers import (
    ADMIN_TOKEN,
    KALSEL_TOKEN,
    KALTIM_TOKEN,
    auth,
    hub_settings,
    make_report,
    make_update,
    running_hub,
)
from sqlalchemy import create_engine, select, text

from lapor_exchange.canonical import content_hash
from lapor_exchange.problems import openapi_validator
from lapor_exchange.problems import problems as schema_problems
from lapor_exchange.status import illegal_transition_reason
from lapor_hub import cli as hub_cli
from lapor_hub.app import create_app
from lapor_hub.faults import Faults, InvalidFaultRulesError
from lapor_hub.national import ActError, act
from lapor_hub.settings import ConfigError, load_settings
from lapor_hub.store import HubReport, HubUpdate, OldStoreError

UPDATES = "/api/v1/updates:batch"
FEED = "/api/v1/updates"
RESULT_KEYS = {"index", "update_id", "outcome", "status", "status_at", "errors"}


def at(hour: int, minute: int = 0) -> str:
    """A time on 5 March 2025 in WITA (+08:00), the region's zone."""
    return f"2025-03-05T{hour:02d}:{minute:02d}:00+08:00"


def utc(hour: int, minute: int = 0) -> str:
    """The same moment as `at(hour, minute)` as the hub writes it (UTC)."""
    return f"2025-03-05T{hour - 8:02d}:{minute:02d}:00+00:00"


def sessions(app):
    return app.extensions["lapor_hub"].sessions


def deliver(
    client, source_ref: str = "LP-1", token: str = KALSEL_TOKEN, connector_id: str = "kalsel"
) -> str:
    """Store a report at the hub; its tracking id."""
    response = client.post(
        "/api/v1/reports:batch",
        json={"reports": [make_report(source_ref, connector_id=connector_id)]},
        headers=auth(token),
    )
    [result] = response.get_json()["results"]
    assert result["outcome"] == "created"
    return result["tracking_id"]


def send(client, updates: list, token: str = KALSEL_TOKEN) -> list[dict]:
    response = client.post(UPDATES, json={"updates": updates}, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    results = response.get_json()["results"]
    assert all(set(r) == RESULT_KEYS for r in results)
    return results


def send_one(client, update: dict, token: str = KALSEL_TOKEN) -> dict:
    [result] = send(client, [update], token)
    return result


def recorded(app) -> list[HubUpdate]:
    with sessions(app)() as session:
        return list(session.scalars(select(HubUpdate).order_by(HubUpdate.seq)))


def view(client, tracking_id: str, token: str = KALSEL_TOKEN) -> dict:
    response = client.get(f"/api/v1/reports/{tracking_id}", headers=auth(token))
    assert response.status_code == 200
    return response.get_json()


def feed(client, token: str = KALSEL_TOKEN, **query) -> dict:
    response = client.get(FEED, query_string=query, headers=auth(token))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def act_http(client, tracking_id: str, body: dict, token: str = ADMIN_TOKEN):
    return client.post(f"/api/v1/admin/reports/{tracking_id}/act", json=body, headers=auth(token))


# -- judging a region's updates ------------------------------------------------------


def test_a_status_update_is_applied_and_recorded_as_received(app, client):
    tid = deliver(client)
    update = make_update(
        tid,
        "laporpaman/LP-1/t/1",
        status="terverifikasi",
        message="Laporan sudah dicek.",
        occurred_at=at(10),
        source_status="verifikasi",
    )
    result = send_one(client, update)
    assert result == {
        "index": 0,
        "update_id": "laporpaman/LP-1/t/1",
        "outcome": "applied",
        "status": "terverifikasi",
        "status_at": utc(10),
        "errors": [],
    }
    [row] = recorded(app)
    assert (
        row.origin,
        row.connector_id,
        row.status,
        row.source_status,
        row.actor,
        row.outcome,
    ) == ("region", "kalsel", "terverifikasi", "verifikasi", "admin_daerah", "applied")
    assert row.content_hash == content_hash(update)
    assert row.received_at.tzinfo is not None
    with sessions(app)() as session:
        report = session.scalar(select(HubReport).where(HubReport.tracking_id == tid))
    assert report.status_update_id == "laporpaman/LP-1/t/1"
    assert report.status_at.isoformat() == utc(10)


def test_a_message_without_status_is_applied_and_keeps_the_status(app, client):
    tid = deliver(client)
    result = send_one(client, make_update(tid, "m-1", message="Mohon ditunggu.", occurred_at=at(9)))
    assert (result["outcome"], result["status"], result["status_at"]) == (
        "applied",
        "belum_terverifikasi",
        None,
    )
    [row] = recorded(app)
    assert row.status is None and row.message == "Mohon ditunggu." and row.outcome == "applied"


def test_the_same_update_again_is_a_duplicate_and_other_content_a_conflict(app, client):
    tid = deliver(client)
    update = make_update(tid, "u-1", status="terverifikasi", occurred_at=at(10))
    reordered = dict(reversed(list(update.items())))
    changed = make_update(tid, "u-1", status="tunda", occurred_at=at(10))
    results = send(client, [update, reordered, changed])
    assert [r["outcome"] for r in results] == ["applied", "duplicate", "conflict"]
    assert [r["update_id"] for r in results] == ["u-1"] * 3
    assert {r["status"] for r in results} == {"terverifikasi"}
    assert results[1]["errors"] == []
    assert results[2]["errors"][0]["path"] == "$.update_id"
    assert "different content" in results[2]["errors"][0]["message"]
    # across batches too, and the first content is kept
    assert send_one(client, update)["outcome"] == "duplicate"
    assert send_one(client, changed)["outcome"] == "conflict"
    [row] = recorded(app)
    assert row.status == "terverifikasi" and row.content_hash == content_hash(update)


def test_an_update_older_than_the_other_sides_status_is_stale_history(app, client):
    tid = deliver(client)
    hub_act = act(sessions(app), tid, status="terverifikasi", occurred_at=at(12))
    assert hub_act["outcome"] == "applied"
    result = send_one(client, make_update(tid, "old-1", status="tunda", occurred_at=at(11)))
    assert (result["outcome"], result["status"], result["status_at"]) == (
        "stale",
        "terverifikasi",
        utc(12),
    )
    assert result["errors"] == []
    assert [(r.update_id, r.outcome) for r in recorded(app)] == [
        (hub_act["update"]["update_id"], "applied"),
        ("old-1", "stale"),
    ]
    newer = send_one(client, make_update(tid, "new-1", status="tunda", occurred_at=at(12, 1)))
    assert (newer["outcome"], newer["status"], newer["status_at"]) == (
        "applied",
        "tunda",
        utc(12, 1),
    )


@pytest.mark.parametrize("first", ["region", "hub"], ids=["region-first", "hub-first"])
def test_on_an_exact_tie_the_hub_wins(app, client, first):
    tid = deliver(client)
    region = make_update(tid, "tie-1", status="tunda", occurred_at=at(10))
    if first == "region":
        assert send_one(client, region)["outcome"] == "applied"
        answer = act(
            sessions(app), tid, status="terverifikasi", occurred_at=utc(10)
        )  # the same moment in UTC
        assert (answer["outcome"], answer["status"]) == ("applied", "terverifikasi")
    else:
        assert (
            act(sessions(app), tid, status="terverifikasi", occurred_at=at(10))["outcome"]
            == "applied"
        )
        result = send_one(client, region)
        assert (result["outcome"], result["status"]) == ("stale", "terverifikasi")
    assert view(client, tid)["status"] == "terverifikasi"


def test_the_status_the_report_already_has_without_a_message_is_a_noop(app, client):
    tid = deliver(client)
    send_one(client, make_update(tid, "s-1", status="terverifikasi", occurred_at=at(10)))
    result = send_one(client, make_update(tid, "s-2", status="terverifikasi", occurred_at=at(11)))
    assert (result["outcome"], result["status"], result["status_at"]) == (
        "noop",
        "terverifikasi",
        utc(10),
    )
    assert [(r.update_id, r.outcome) for r in recorded(app)] == [
        ("s-1", "applied"),
        ("s-2", "noop"),
    ]


def test_a_repeated_follow_up_with_a_message_is_applied(client):
    tid = deliver(client)
    send_one(client, make_update(tid, "f-1", status="ditindaklanjuti", occurred_at=at(10)))
    result = send_one(
        client,
        make_update(
            tid, "f-2", status="ditindaklanjuti", message="Tanggapan kedua.", occurred_at=at(11)
        ),
    )
    assert (result["outcome"], result["status_at"]) == ("applied", utc(11))


def test_an_illegal_transition_names_the_reason_and_is_not_recorded(app, client):
    tid = deliver(client)
    closing = make_update(tid, "x-1", status="selesai", occurred_at=at(10))
    result = send_one(client, closing)
    assert result["outcome"] == "illegal_transition"
    assert result["errors"] == [
        {"path": "$.status", "message": illegal_transition_reason("belum_terverifikasi", "selesai")}
    ]
    assert (result["status"], result["status_at"]) == ("belum_terverifikasi", None)
    assert recorded(app) == []
    # not recorded, so the same update is judged afresh once the report has moved on
    send_one(client, make_update(tid, "x-0", status="ditindaklanjuti", occurred_at=at(9)))
    assert send_one(client, closing)["outcome"] == "applied"
    assert view(client, tid)["status"] == "selesai"


def test_an_unknown_or_another_connectors_report_is_unknown_report(app, client):
    theirs = deliver(client, "K-1", token=KALTIM_TOKEN, connector_id="kaltim")
    results = send(
        client,
        [
            make_update("9999999", "u-unknown", status="terverifikasi"),
            make_update(theirs, "u-theirs", status="terverifikasi"),
        ],
    )
    assert [r["outcome"] for r in results] == ["unknown_report", "unknown_report"]
    assert all(r["status"] is None and r["status_at"] is None for r in results)
    assert [r["errors"][0]["path"] for r in results] == ["$.tracking_id", "$.tracking_id"]
    assert view(client, theirs, KALTIM_TOKEN)["status"] == "belum_terverifikasi"
    assert recorded(app) == []


def _without(update: dict, name: str) -> dict:
    del update[name]
    return update


@pytest.mark.parametrize(
    "change, path",
    [
        (lambda u: u["origin"].update(side="hub"), "$.origin.side"),
        (lambda u: u["origin"].update(connector_id="kaltim"), "$.origin.connector_id"),
        (lambda u: u["origin"].pop("connector_id"), "$.origin.connector_id"),
        (lambda u: u.pop("actor"), "$.actor"),
        (lambda u: u.pop("status"), "$"),
        (lambda u: u.update(occurred_at="2025-03-05T10:00:00"), "$.occurred_at"),
        (lambda u: u.update(status="closed"), "$.status"),
        (lambda u: u.update(extra=1), "$.extra"),
    ],
    ids=[
        "hub-side-from-a-connector",
        "another-connector",
        "no-connector-id",
        "no-actor",
        "no-status-nor-message",
        "time-without-offset",
        "unknown-status",
        "unknown-field",
    ],
)
def test_a_rejected_update_names_its_path_and_the_batch_goes_on(app, client, change, path):
    tid = deliver(client)
    bad = make_update(tid, "bad-1", status="terverifikasi", occurred_at=at(10))
    change(bad)
    results = send(
        client, [bad, make_update(tid, "good-1", status="terverifikasi", occurred_at=at(10))]
    )
    assert [r["outcome"] for r in results] == ["rejected", "applied"]
    rejected = results[0]
    assert rejected["update_id"] == "bad-1"
    assert (rejected["status"], rejected["status_at"]) == (None, None)
    assert path in [e["path"] for e in rejected["errors"]]
    assert all(e["message"] for e in rejected["errors"])
    assert [r.update_id for r in recorded(app)] == ["good-1"]


def test_an_update_that_is_not_an_object_makes_the_batch_400(client):
    # The contract's UpdateBatchRequest says each item is an object: anything else is a malformed batch.
    response = client.post(UPDATES, json={"updates": ["not an update"]}, headers=auth())
    assert (response.status_code, response.get_json()["error"]["code"]) == (400, "bad_request")


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", b'{"updates": {"a": 1}}', b'{"reports": []}'],
    ids=["not-json", "list", "updates-not-a-list", "no-updates"],
)
def test_a_malformed_update_batch_is_400(client, body):
    response = client.post(
        UPDATES, data=body, headers={**auth(), "Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("count", [0, 501], ids=["empty", "over-500"])
def test_an_update_batch_of_the_wrong_size_is_422_and_records_nothing(app, client, count):
    tid = deliver(client)
    response = client.post(
        UPDATES,
        json={"updates": [make_update(tid, f"n-{i}", message="x") for i in range(count)]},
        headers=auth(),
    )
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "batch_size"
    assert recorded(app) == []


def test_two_updates_to_one_report_in_a_batch_are_judged_in_order(client):
    tid = deliver(client)
    results = send(
        client,
        [
            make_update(tid, "o-1", status="terverifikasi", occurred_at=at(10)),
            make_update(tid, "o-2", status="didisposisikan", occurred_at=at(11)),
            make_update(tid, "o-3", status="tunda", occurred_at=at(10, 30)),
        ],
    )
    assert [(r["outcome"], r["status"]) for r in results] == [
        ("applied", "terverifikasi"),
        ("applied", "didisposisikan"),
        ("stale", "didisposisikan"),
    ]
    assert [r["index"] for r in results] == [0, 1, 2]


# -- one update at a time ------------------------------------------------------------


def post_one(client, tracking_id: str, update, token: str = KALSEL_TOKEN):
    return client.post(f"/api/v1/reports/{tracking_id}/updates", json=update, headers=auth(token))


def test_the_single_update_endpoint_answers_200_for_what_it_keeps(client):
    tid = deliver(client)
    first = make_update(tid, "one-1", status="terverifikasi", occurred_at=at(10))
    applied = post_one(client, tid, first)
    assert applied.status_code == 200
    assert applied.get_json() == {
        "update_id": "one-1",
        "outcome": "applied",
        "status": "terverifikasi",
        "status_at": utc(10),
    }
    assert post_one(client, tid, first).get_json()["outcome"] == "duplicate"
    stale = post_one(client, tid, make_update(tid, "one-2", status="tunda", occurred_at=at(9)))
    assert (stale.status_code, stale.get_json()["outcome"]) == (200, "stale")
    noop = post_one(
        client, tid, make_update(tid, "one-3", status="terverifikasi", occurred_at=at(11))
    )
    assert (noop.status_code, noop.get_json()["outcome"], noop.get_json()["status_at"]) == (
        200,
        "noop",
        utc(10),
    )


@pytest.mark.parametrize(
    "case, status, code",
    [
        ("illegal", 409, "illegal_transition"),
        ("conflict", 409, "update_conflict"),
        ("unknown", 404, "unknown_report"),
        ("rejected", 400, "rejected"),
        ("mismatch", 400, "tracking_id_mismatch"),
        ("not-an-object", 400, "bad_request"),
    ],
    ids=lambda v: str(v),
)
def test_the_single_update_endpoint_refuses_with_a_status(app, client, case, status, code):
    tid = deliver(client)
    assert (
        post_one(
            client, tid, make_update(tid, "c-1", status="terverifikasi", occurred_at=at(10))
        ).status_code
        == 200
    )
    path_id, body = {
        "illegal": (tid, make_update(tid, "c-2", status="selesai", occurred_at=at(11))),
        "conflict": (tid, make_update(tid, "c-1", status="tunda", occurred_at=at(10))),
        "unknown": ("9999999", make_update("9999999", "c-3", status="tunda")),
        "rejected": (tid, make_update(tid, "c-4", status="tunda", actor="presiden")),
        "mismatch": (tid, make_update("1000999", "c-5", status="tunda")),
        "not-an-object": (tid, ["c-6"]),
    }[case]
    response = post_one(client, path_id, body)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["code"] == code
    if case == "illegal":
        assert illegal_transition_reason("terverifikasi", "selesai") in error["message"]
    if case == "rejected":
        assert "$.actor" in error["message"]
    assert [r.update_id for r in recorded(app)] == ["c-1"]
    assert view(client, tid)["status"] == "terverifikasi"


@pytest.mark.parametrize(
    "method, path",
    [("post", UPDATES), ("post", "/api/v1/reports/1000001/updates"), ("get", FEED)],
    ids=["batch", "single", "feed"],
)
def test_update_endpoints_need_a_connector_token(client, method, path):
    response = getattr(client, method)(path, json={"updates": []}, headers=auth(ADMIN_TOKEN))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


# -- the national side acts ------------------------------------------------------------


def test_an_act_is_201_with_the_recorded_hub_update(app, client):
    tid = deliver(client)
    response = act_http(
        client, tid, {"status": "terverifikasi", "message": "Laporan diverifikasi."}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"update", "outcome", "status", "status_at"}
    update = body["update"]
    assert update["update_id"].startswith("hub-") and len(update["update_id"]) == 36
    int(update["update_id"][4:], 16)  # uuid4 hex
    assert update["origin"] == {"side": "hub"}
    assert (update["tracking_id"], update["status"], update["actor"], update["message"]) == (
        tid,
        "terverifikasi",
        "admin_nasional",
        "Laporan diverifikasi.",
    )
    assert update["occurred_at"].endswith("+00:00") and isinstance(update["seq"], int)
    assert (body["outcome"], body["status"], body["status_at"]) == (
        "applied",
        "terverifikasi",
        update["occurred_at"],
    )
    [row] = recorded(app)
    assert (row.origin, row.connector_id, row.outcome) == ("hub", "kalsel", "applied")
    assert row.content_hash == content_hash({k: v for k, v in update.items() if k != "seq"})
    assert feed(client)["updates"] == [update]


def test_an_act_may_name_its_actor_and_time(client):
    tid = deliver(client)
    body = act_http(
        client,
        tid,
        {"status": "didisposisikan", "actor": "pejabat_penghubung", "occurred_at": at(10)},
    ).get_json()
    assert (body["update"]["actor"], body["update"]["occurred_at"], body["status_at"]) == (
        "pejabat_penghubung",
        utc(10),
        utc(10),
    )


def test_an_illegal_act_is_409_and_records_nothing(app, client):
    tid = deliver(client)
    response = act_http(client, tid, {"status": "selesai"})
    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "illegal_transition",
        "message": illegal_transition_reason("belum_terverifikasi", "selesai"),
    }
    assert recorded(app) == []
    assert feed(client) == {"updates": [], "next_after": None}
    assert view(client, tid)["status"] == "belum_terverifikasi"


def test_an_act_dated_before_the_regions_status_is_stale(app, client):
    tid = deliver(client)
    send_one(client, make_update(tid, "r-12", status="terverifikasi", occurred_at=at(12)))
    response = act_http(client, tid, {"status": "didisposisikan", "occurred_at": at(11)})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["outcome"], body["status"], body["status_at"]) == (
        "stale",
        "terverifikasi",
        utc(12),
    )
    assert [(r.origin, r.outcome) for r in recorded(app)] == [
        ("region", "applied"),
        ("hub", "stale"),
    ]
    assert [u["update_id"] for u in feed(client)["updates"]] == [body["update"]["update_id"]]


@pytest.mark.parametrize(
    "body, where",
    [
        ({"status": "terverifikasi", "actor": "pelapor"}, "$.actor"),
        ({"status": "terverifikasi", "bogus": 1}, "$.bogus"),
        ({"actor": "admin_nasional"}, "$"),
        ({"status": "terverifikasi", "occurred_at": "2025-03-05T10:00:00"}, "$.occurred_at"),
        ({"status": "open"}, "$.status"),
        (["terverifikasi"], "JSON object"),
    ],
    ids=[
        "region-actor",
        "unknown-field",
        "neither-status-nor-message",
        "time-without-offset",
        "unknown-status",
        "not-an-object",
    ],
)
def test_an_invalid_act_is_400_naming_the_problem(app, client, body, where):
    tid = deliver(client)
    response = act_http(client, tid, body)
    assert response.status_code == 400
    assert where in response.get_json()["error"]["message"]
    assert recorded(app) == []


def test_act_on_an_unknown_report_is_404(client):
    response = act_http(client, "9999999", {"status": "terverifikasi"})
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "unknown_report"


@pytest.mark.parametrize(
    "headers", [{}, auth(KALSEL_TOKEN), auth("wrong")], ids=["no-token", "connector-token", "wrong"]
)
def test_the_admin_api_needs_the_admin_token(app, client, headers):
    tid = deliver(client)
    for response in (
        client.post(
            f"/api/v1/admin/reports/{tid}/act", json={"status": "terverifikasi"}, headers=headers
        ),
        client.get(f"/api/v1/admin/reports/{tid}", headers=headers),
    ):
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert recorded(app) == []


def test_without_an_admin_token_the_admin_api_is_404(tmp_path):
    app = create_app(hub_settings(tmp_path, admin_token=None))
    try:
        client = app.test_client()
        tid = deliver(client)
        response = act_http(client, tid, {"status": "terverifikasi"}, token="None")
        assert response.status_code == 404
        assert client.get(f"/api/v1/admin/reports/{tid}", headers=auth("None")).status_code == 404
        assert recorded(app) == []
    finally:
        app.extensions["lapor_hub"].close()


def test_the_admin_view_is_the_connectors_view_of_any_report(client):
    ours, theirs = (
        deliver(client),
        deliver(client, "K-1", token=KALTIM_TOKEN, connector_id="kaltim"),
    )
    act_http(client, ours, {"status": "terverifikasi"})
    for tid, token in ((ours, KALSEL_TOKEN), (theirs, KALTIM_TOKEN)):
        admin = client.get(f"/api/v1/admin/reports/{tid}", headers=auth(ADMIN_TOKEN))
        assert admin.status_code == 200
        assert admin.get_json() == view(client, tid, token)
    assert client.get("/api/v1/admin/reports/9999999", headers=auth(ADMIN_TOKEN)).status_code == 404


def test_act_in_python_refuses_with_act_errors(app, client):
    tid = deliver(client)
    with pytest.raises(ActError) as unknown:
        act(sessions(app), "9999999", status="terverifikasi")
    assert unknown.value.code == "unknown_report"
    with pytest.raises(ActError) as illegal:
        act(sessions(app), tid, status="selesai")
    assert illegal.value.code == "illegal_transition"
    assert illegal.value.errors[0]["path"] == "$.status"
    with pytest.raises(ActError) as invalid:
        act(sessions(app), tid)
    assert invalid.value.code == "invalid_act"
    with pytest.raises(ActError) as naive:
        act(sessions(app), tid, status="terverifikasi", occurred_at=datetime(2025, 3, 5, 10))
    assert naive.value.code == "invalid_act" and naive.value.errors[0]["path"] == "$.occurred_at"
    assert recorded(app) == []
    done = act(
        sessions(app),
        tid,
        status="terverifikasi",
        occurred_at=datetime(2025, 3, 5, 2, tzinfo=timezone.utc),
    )
    assert (done["outcome"], done["status_at"]) == ("applied", utc(10))


# -- the feed ------------------------------------------------------------------------


def test_the_feed_lists_only_the_hubs_updates_to_this_connectors_reports_in_seq_order(app, client):
    first, second = deliver(client, "LP-1"), deliver(client, "LP-2")
    theirs = deliver(client, "K-1", token=KALTIM_TOKEN, connector_id="kaltim")
    made = [act(sessions(app), second, status="terverifikasi")["update"]]
    send_one(client, make_update(first, "region-1", status="terverifikasi", occurred_at=at(10)))
    act(sessions(app), theirs, status="terverifikasi")
    made.append(act(sessions(app), first, message="Terima kasih atas laporannya.")["update"])
    made.append(
        act(sessions(app), first, status="tunda", occurred_at=at(9))["update"]
    )  # stale: still listed
    page = feed(client)
    assert page["updates"] == made
    assert [u["seq"] for u in page["updates"]] == sorted(u["seq"] for u in page["updates"])
    assert page["next_after"] == made[-1]["seq"]
    for item in page["updates"]:
        assert item["origin"] == {"side": "hub"}
        assert schema_problems({k: v for k, v in item.items() if k != "seq"}, "status-update") == []
    assert "status" not in made[1] and "source_status" not in made[0]
    assert [u["tracking_id"] for u in feed(client, KALTIM_TOKEN)["updates"]] == [theirs]


def test_the_feed_pages_with_next_after_over_http(tmp_path):
    with running_hub(tmp_path) as (app, server):
        client = app.test_client()
        tids = [deliver(client, f"P-{i}") for i in range(3)]
        made = [
            act(sessions(app), tids[i % 3], message=f"Tanggapan {i}")["update"]["update_id"]
            for i in range(7)
        ]
        seen, after, sizes = [], 0, []
        while True:
            response = requests.get(
                server.url + FEED, params={"after": after, "limit": 3}, headers=auth(), timeout=10
            )
            assert response.status_code == 200
            body = response.json()
            sizes.append(len(body["updates"]))
            if body["next_after"] is None:
                assert body["updates"] == []
                break
            assert body["next_after"] == body["updates"][-1]["seq"]
            seen += [u["update_id"] for u in body["updates"]]
            after = body["next_after"]
        assert sizes == [3, 3, 1, 0]
        assert seen == made
        # a cursor at the end stays there until the hub acts again
        act(sessions(app), tids[0], status="terverifikasi")
        tail = requests.get(
            server.url + FEED, params={"after": after}, headers=auth(), timeout=10
        ).json()
        assert [u["status"] for u in tail["updates"]] == ["terverifikasi"]


@pytest.mark.parametrize(
    "query",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"after": "x1"},
        {"after": "-1"},
        {"after": "1.5"},
    ],
    ids=["limit-0", "limit-1001", "limit-text", "after-text", "after-negative", "after-fraction"],
)
def test_bad_feed_parameters_are_400(client, query):
    response = client.get(FEED, query_string=query, headers=auth())
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_the_feed_takes_limits_up_to_1000_and_defaults_to_100(app, client):
    tid = deliver(client)
    for i in range(101):
        act(sessions(app), tid, message=f"m{i}")
    assert len(feed(client)["updates"]) == 100
    assert len(feed(client, limit=1000)["updates"]) == 101
    assert feed(client, after=10**12) == {"updates": [], "next_after": None}


# -- reading a report and counting ---------------------------------------------------


def test_a_report_shows_its_status_time_and_every_update_in_seq_order(app, client):
    tid = deliver(client)
    assert view(client, tid)["status_at"] is None and view(client, tid)["updates"] == []
    send_one(
        client,
        make_update(tid, "v-1", status="terverifikasi", occurred_at=at(10), source_status="verif"),
    )
    hub_update = act(sessions(app), tid, status="didisposisikan", occurred_at=at(11))["update"]
    send_one(client, make_update(tid, "v-2", status="tunda", occurred_at=at(10, 30)))  # stale
    send_one(client, make_update(tid, "v-3", status="didisposisikan", occurred_at=at(12)))  # noop
    send_one(
        client, make_update(tid, "v-4", status="selesai", occurred_at=at(13))
    )  # illegal: not listed
    found = view(client, tid)
    assert (found["status"], found["status_at"]) == ("didisposisikan", utc(11))
    assert [(u["update_id"], u["outcome"]) for u in found["updates"]] == [
        ("v-1", "applied"),
        (hub_update["update_id"], "applied"),
        ("v-2", "stale"),
        ("v-3", "noop"),
    ]
    assert [u["seq"] for u in found["updates"]] == sorted(u["seq"] for u in found["updates"])
    first = found["updates"][0]
    assert first == {
        "schema_version": "1",
        "update_id": "v-1",
        "tracking_id": tid,
        "origin": {"side": "region", "connector_id": "kalsel"},
        "status": "terverifikasi",
        "source_status": "verif",
        "actor": "admin_daerah",
        "occurred_at": utc(10),
        "seq": first["seq"],
        "outcome": "applied",
        "received_at": first["received_at"],
    }
    assert found["updates"][1] == {
        **hub_update,
        "outcome": "applied",
        "received_at": found["updates"][1]["received_at"],
    }
    listed = client.get("/api/v1/reports", headers=auth()).get_json()["reports"]
    assert listed[0]["status_at"] == utc(11) and "updates" not in listed[0]


def test_stats_count_recorded_updates_by_side_and_outcome_per_connector(app, client):
    tid = deliver(client)
    theirs = deliver(client, "K-1", token=KALTIM_TOKEN, connector_id="kaltim")
    send(
        client,
        [
            make_update(tid, "st-1", status="terverifikasi", occurred_at=at(10)),
            make_update(
                tid, "st-1", status="terverifikasi", occurred_at=at(10)
            ),  # duplicate: not counted
            make_update(tid, "st-2", status="terverifikasi", occurred_at=at(11)),  # noop
            make_update(tid, "st-3", status="selesai", occurred_at=at(11)),
        ],
    )  # illegal: not counted
    act(sessions(app), tid, status="didisposisikan", occurred_at=at(12))
    act(
        sessions(app), tid, message="lama", occurred_at=at(8)
    )  # a message is applied whatever its time
    act(sessions(app), tid, status="tunda", occurred_at=at(9))  # stale
    act(sessions(app), theirs, status="terverifikasi")
    stats = client.get("/api/v1/stats", headers=auth()).get_json()
    assert stats["updates"] == {
        "hub": {"applied": 2, "stale": 1, "noop": 0},
        "region": {"applied": 1, "stale": 0, "noop": 1},
    }
    kaltim = client.get("/api/v1/stats", headers=auth(KALTIM_TOKEN)).get_json()
    assert kaltim["updates"] == {
        "hub": {"applied": 1, "stale": 0, "noop": 0},
        "region": {"applied": 0, "stale": 0, "noop": 0},
    }


def test_openapi_describes_the_update_endpoints_and_their_shapes(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert {
        "/api/v1/updates:batch",
        "/api/v1/reports/{tracking_id}/updates",
        "/api/v1/updates",
        "/api/v1/admin/reports/{tracking_id}/act",
        "/api/v1/admin/reports/{tracking_id}",
    } <= set(doc["paths"])
    single = doc["paths"]["/api/v1/reports/{tracking_id}/updates"]["post"]["responses"]
    assert {"200", "400", "401", "404", "409"} <= set(single)
    tid = deliver(client)
    send_one(client, make_update(tid, "oa-1", status="terverifikasi", occurred_at=at(10)))
    act(sessions(app), tid, message="Diteruskan.")
    [item] = feed(client)["updates"]
    assert schema_problems(item, openapi_validator("FeedUpdate")) == []
    for recorded_update in view(client, tid)["updates"]:
        assert schema_problems(recorded_update, openapi_validator("RecordedUpdate")) == []
    assert (
        schema_problems(item, openapi_validator("StatusUpdate")) != []
    )  # seq is not part of an update


# -- the CLI -------------------------------------------------------------------------


def write_config(folder: Path, store_url: str) -> Path:
    path = folder / "hub.yaml"
    path.write_text(
        f"store: {{url: '{store_url}'}}\nconnectors: [{{id: kalsel, token: {KALSEL_TOKEN}}}]\n",
        encoding="utf-8",
    )
    return path


def test_cli_hub_act_changes_the_status_and_explains_a_refusal(app, client, tmp_path):
    tid = deliver(client)
    config = write_config(tmp_path, app.extensions["lapor_hub"].settings.store_url)
    runner = CliRunner()
    done = runner.invoke(
        hub_cli.hub,
        [
            "act",
            tid,
            "--status",
            "terverifikasi",
            "--message",
            "Sudah dicek.",
            "--actor",
            "admin_instansi",
            "--config",
            str(config),
        ],
    )
    assert done.exit_code == 0, done.output
    assert done.output.startswith(f"applied: {tid} is terverifikasi since ")
    [update] = view(client, tid)["updates"]
    assert (update["origin"], update["actor"], update["message"]) == (
        {"side": "hub"},
        "admin_instansi",
        "Sudah dicek.",
    )
    assert update["update_id"] in done.output

    illegal = runner.invoke(
        hub_cli.hub, ["act", tid, "--status", "selesai", "--config", str(config)]
    )
    assert illegal.exit_code == 1
    assert "illegal_transition" in illegal.output
    assert illegal_transition_reason("terverifikasi", "selesai") in illegal.output
    unknown = runner.invoke(
        hub_cli.hub, ["act", "9999999", "--message", "x", "--config", str(config)]
    )
    assert unknown.exit_code == 1 and "unknown_report" in unknown.output
    nothing = runner.invoke(hub_cli.hub, ["act", tid, "--config", str(config)])
    assert nothing.exit_code == 1 and "invalid_act" in nothing.output
    assert len(view(client, tid)["updates"]) == 1


def test_cli_hub_act_is_a_command_of_lapor_connector(app, client, tmp_path):
    from connector.cli.main import main

    tid = deliver(client)
    config = write_config(tmp_path, app.extensions["lapor_hub"].settings.store_url)
    result = CliRunner().invoke(
        main, ["hub", "act", tid, "--message", "Halo", "--config", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"applied: {tid} is belum_terverifikasi (update hub-")


# -- settings and an older store -----------------------------------------------------


def test_the_admin_token_comes_from_the_config_and_stays_out_of_repr(tmp_path):
    path = tmp_path / "hub.yaml"
    path.write_text(
        "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: kalsel, token: t}]\n"
        "admin_token: '${HUB_ADMIN_T}'\n",
        encoding="utf-8",
    )
    settings = load_settings(path, environ={"HUB_ADMIN_T": "n4sional"})
    assert settings.admin_token == "n4sional"
    assert "n4sional" not in repr(settings)


def test_an_admin_token_shared_with_a_connector_is_a_config_error(tmp_path):
    path = tmp_path / "hub.yaml"
    path.write_text(
        "store: {url: 'sqlite:///h.db'}\nconnectors: [{id: kalsel, token: t}]\nadmin_token: t\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert any(p.startswith("$.admin_token:") and "kalsel" in p for p in caught.value.problems)


def test_a_store_from_an_older_hub_is_refused_plainly(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE hub_reports (id INTEGER PRIMARY KEY, tracking_id VARCHAR(32), "
                "connector_id VARCHAR(64), channel_id VARCHAR(64), source_ref VARCHAR(512), "
                "status VARCHAR(32), received_at DATETIME, content_hash VARCHAR(64), report_json TEXT)"
            )
        )
    engine.dispose()
    with pytest.raises(OldStoreError, match="status_at, status_update_id"):
        create_app(hub_settings(tmp_path, store_url=url))
    result = CliRunner().invoke(
        hub_cli.hub,
        ["act", "1000001", "--message", "x", "--config", str(write_config(tmp_path, url))],
    )
    assert result.exit_code == 1 and "older reference hub" in result.output


# -- faults --------------------------------------------------------------------------


def hub_updates(app, client, count: int) -> list[str]:
    tids = [deliver(client, f"FQ-{i}") for i in range(3)]
    return [
        act(sessions(app), tids[i % 3], message=f"Tanggapan {i}")["update"]["update_id"]
        for i in range(count)
    ]


def test_shuffle_answers_a_feed_page_in_another_order_once(tmp_path):
    with running_hub(tmp_path) as (app, server):
        made = hub_updates(app, app.test_client(), 12)
        rules = {"rules": [{"action": "shuffle", "endpoint": "updates"}]}
        assert (
            requests.post(
                server.url + "/api/v1/_faults", json=rules, headers=auth(), timeout=10
            ).status_code
            == 200
        )
        shuffled = requests.get(server.url + FEED, headers=auth(), timeout=10).json()
        ids = [u["update_id"] for u in shuffled["updates"]]
        assert sorted(ids) == sorted(made) and len(ids) == 12
        assert ids != made
        assert shuffled["next_after"] == max(u["seq"] for u in shuffled["updates"])
        again = requests.get(server.url + FEED, headers=auth(), timeout=10).json()
        assert [u["update_id"] for u in again["updates"]] == made


def test_duplicate_repeats_a_share_of_the_page(app, client):
    made = hub_updates(app, client, 12)
    app.extensions["lapor_hub"].faults.set(
        [{"action": "duplicate", "endpoint": "updates", "share": 0.25}]
    )
    page = feed(client)
    ids = [u["update_id"] for u in page["updates"]]
    assert set(ids) == set(made)
    assert len(ids) == 15 and sorted(Counter(ids).values()) == [1] * 9 + [2] * 3
    assert page["next_after"] == max(u["seq"] for u in page["updates"])
    assert [u["update_id"] for u in feed(client)["updates"]] == made


def test_shuffle_and_duplicate_apply_together_for_their_time(app, client):
    made = hub_updates(app, client, 10)
    app.extensions["lapor_hub"].faults.set(
        [
            {"action": "shuffle", "endpoint": "updates", "for_s": 60},
            {"action": "duplicate", "endpoint": "updates", "share": 0.2, "times": 2},
        ]
    )
    for _ in range(2):
        ids = [u["update_id"] for u in feed(client)["updates"]]
        assert set(ids) == set(made) and len(ids) == 12
        # out of seq order (copies are inserted, so they never undo the shuffle's inversions)
        assert ids != sorted(ids, key=made.index)
    ids = [u["update_id"] for u in feed(client)["updates"]]
    assert len(ids) == 10 and ids != made  # duplicate used up, shuffle still live


def test_a_status_fault_on_the_feed_leaves_the_other_endpoints_alone(app, client):
    tid = deliver(client)
    app.extensions["lapor_hub"].faults.set(
        [{"action": "status", "status": 503, "endpoint": "updates", "retry_after": 3}]
    )
    assert send_one(client, make_update(tid, "fs-1", message="x"))["outcome"] == "applied"
    refused = client.get(FEED, headers=auth())
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "3"
    assert refused.get_json()["error"]["code"] == "fault_injected"
    assert client.get(FEED, headers=auth()).status_code == 200


def test_a_status_fault_on_the_update_batch_saves_nothing(app, client):
    tid = deliver(client)
    app.extensions["lapor_hub"].faults.set(
        [{"action": "status", "status": 500, "endpoint": "updates:batch"}]
    )
    update = make_update(tid, "fb-1", status="terverifikasi")
    assert client.post(UPDATES, json={"updates": [update]}, headers=auth()).status_code == 500
    assert recorded(app) == []
    assert send_one(client, update)["outcome"] == "applied"


def test_a_delay_on_the_feed_answers_late(app, client):
    app.extensions["lapor_hub"].faults.set(
        [{"action": "delay", "seconds": 0.3, "endpoint": "updates"}]
    )
    started = time.monotonic()
    assert feed(client) == {"updates": [], "next_after": None}
    assert time.monotonic() - started >= 0.3


def test_a_dropped_connection_after_saving_updates_then_resend_is_duplicate(tmp_path):
    thread_errors = []
    old_hook, threading.excepthook = threading.excepthook, thread_errors.append
    try:
        with running_hub(tmp_path) as (app, server):
            tid = deliver(app.test_client())
            app.extensions["lapor_hub"].faults.set(
                [{"action": "drop_after_save", "endpoint": "updates:batch"}]
            )
            batch = {
                "updates": [
                    make_update(tid, "d-1", status="terverifikasi", occurred_at=at(10)),
                    make_update(tid, "d-2", message="Sudah diverifikasi.", occurred_at=at(10)),
                ]
            }
            with pytest.raises(requests.exceptions.ConnectionError):
                requests.post(server.url + UPDATES, json=batch, headers=auth(), timeout=10)
            resent = requests.post(server.url + UPDATES, json=batch, headers=auth(), timeout=10)
            assert [r["outcome"] for r in resent.json()["results"]] == ["duplicate", "duplicate"]
            assert resent.json()["results"][0]["status"] == "terverifikasi"
    finally:
        threading.excepthook = old_hook
    assert thread_errors == []


@pytest.mark.parametrize(
    "rules, where",
    [
        ([{"action": "shuffle"}], "$[0].endpoint"),
        ([{"action": "duplicate", "endpoint": "updates:batch", "share": 0.2}], "$[0].endpoint"),
        ([{"action": "drop_after_save", "endpoint": "updates"}], "$[0].endpoint"),
        ([{"action": "duplicate", "endpoint": "updates"}], "$[0].share"),
        ([{"action": "duplicate", "endpoint": "updates", "share": 0}], "$[0].share"),
        ([{"action": "shuffle", "endpoint": "updates", "share": 0.5}], "$[0].share"),
        ([{"action": "status", "status": 503, "endpoint": "reports"}], "$[0].endpoint"),
    ],
    ids=[
        "shuffle-on-reports",
        "duplicate-on-a-batch",
        "drop-on-the-feed",
        "duplicate-without-share",
        "share-0",
        "share-on-shuffle",
        "unknown-endpoint",
    ],
)
def test_invalid_update_fault_rules_are_422(client, rules, where):
    response = client.post("/api/v1/_faults", json={"rules": rules}, headers=auth())
    assert response.status_code == 422
    assert f"{where}:" in response.get_json()["error"]["message"]


def test_a_rule_waits_for_its_own_endpoint():
    faults = Faults(enabled=True)
    faults.set(
        [
            {"action": "status", "status": 503, "endpoint": "updates:batch"},
            {"action": "delay", "seconds": 0},
        ]
    )
    assert faults.take("updates") is None
    assert faults.take("reports:batch").action == "delay"
    assert faults.pending() == [
        {"action": "status", "endpoint": "updates:batch", "status": 503, "times": 1}
    ]
    assert faults.take("updates:batch").status == 503
    assert faults.pending() == []
    with pytest.raises(InvalidFaultRulesError):
        faults.set([{"action": "shuffle", "endpoint": "updates", "for_s": 1, "times": 2}])


# -- concurrency and PostgreSQL --------------------------------------------------------


def test_concurrent_batches_of_the_same_updates_apply_each_once(tmp_path, store_url):
    with running_hub(tmp_path, store_url=store_url) as (app, server):
        client = app.test_client()
        tids = [deliver(client, f"CC-{i}") for i in range(10)]
        batch = {
            "updates": [
                make_update(tid, f"cc-{i}", status="terverifikasi", occurred_at=at(10))
                for i, tid in enumerate(tids)
            ]
        }
        answers, failures = [], []

        def send_batch():
            try:
                answers.append(
                    requests.post(
                        server.url + UPDATES, json=batch, headers=auth(), timeout=30
                    ).json()
                )
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                failures.append(exc)

        threads = [threading.Thread(target=send_batch) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert failures == []
        for i in range(10):
            assert (
                sorted(a["results"][i]["outcome"] for a in answers)
                == ["applied"] + ["duplicate"] * 5
            )
        assert len(recorded(app)) == 10


@pytest.mark.postgres
def test_status_sync_at_the_hub_works_on_postgresql(tmp_path, pg_url):
    app = create_app(hub_settings(tmp_path, store_url=pg_url))
    try:
        client = app.test_client()
        tid = deliver(client)
        results = send(
            client,
            [
                make_update(tid, "pg-1", status="terverifikasi", occurred_at=at(10)),
                make_update(tid, "pg-1", status="terverifikasi", occurred_at=at(10)),
                make_update(tid, "pg-1", status="tunda", occurred_at=at(10)),
                make_update(tid, "pg-2", status="selesai", occurred_at=at(11)),
                make_update(tid, "pg-3", status="terverifikasi", occurred_at=at(11)),
            ],
        )
        assert [r["outcome"] for r in results] == [
            "applied",
            "duplicate",
            "conflict",
            "illegal_transition",
            "noop",
        ]
        assert results[0]["status_at"] == utc(10)
        tie = act_http(client, tid, {"status": "didisposisikan", "occurred_at": at(11)}).get_json()
        assert (tie["outcome"], tie["status"], tie["status_at"]) == (
            "applied",
            "didisposisikan",
            utc(11),
        )
        stale = send_one(client, make_update(tid, "pg-4", status="tunda", occurred_at=at(11)))
        assert (stale["outcome"], stale["status"]) == ("stale", "didisposisikan")
        page = feed(client)
        assert [u["update_id"] for u in page["updates"]] == [tie["update"]["update_id"]]
        assert page["next_after"] == tie["update"]["seq"]
        assert [(u["update_id"], u["outcome"]) for u in view(client, tid)["updates"]] == [
            ("pg-1", "applied"),
            ("pg-3", "noop"),
            (tie["update"]["update_id"], "applied"),
            ("pg-4", "stale"),
        ]
        assert client.get("/api/v1/stats", headers=auth()).get_json()["updates"] == {
            "hub": {"applied": 1, "stale": 0, "noop": 0},
            "region": {"applied": 1, "stale": 1, "noop": 1},
        }
    finally:
        app.extensions["lapor_hub"].close()
