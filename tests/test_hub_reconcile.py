"""The reference hub's side of reconciliation and audit: digests and bucket listings,
audit checkpoints, the drift endpoints, and loading many reports at once.

Digests are checked against `connector.digest` over entries built on the
connector's side of the wire (the reports sent and the tracking ids answered), so
a hub that digests anything else fails. Most cases use the Flask test client on
a temporary SQLite file; the client methods run over a real loopback server;
bulk loading runs on PostgreSQL too.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
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
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.delivery.hub_client import HubClient
from connector.errors import HubRejectedError
from connector.support.schemas import problems as schema_problems
from connector.support.schemas import validator_for
from lapor_exchange.canonical import canonical_json, content_hash
from lapor_exchange.digest import Entry, bucket_of, buckets_for, digests, in_bucket
from lapor_hub.app import create_app
from lapor_hub.bulk import bulk_insert_reports
from lapor_hub.national import act
from lapor_hub.store import HubCheckpoint, HubReport, HubUpdate, tracking_id_for

DIGEST = "/api/v1/reconcile/digest"
CHECKPOINTS = "/api/v1/audit/checkpoints"
FIRST_STATUS = "belum_terverifikasi"
HASH_A, HASH_B = "a" * 64, "b" * 64


def state(app):
    return app.extensions["lapor_hub"]


def reports(count: int, *, prefix: str = "R", connector_id: str = "kalsel") -> list[dict]:
    """`count` distinct reports over two channels."""
    return [
        make_report(
            f"{prefix}-{i}",
            connector_id=connector_id,
            channel_id=("laporpaman", "email-pemda")[i % 2],
            body=f"Laporan nomor {i}: lampu jalan mati sejak minggu lalu.",
        )
        for i in range(count)
    ]


def deliver(client, batch: list[dict], token: str = KALSEL_TOKEN) -> list[Entry]:
    """Send `batch` (all new) and return its entries as the connector would list them."""
    response = client.post("/api/v1/reports:batch", json={"reports": batch}, headers=auth(token))
    results = response.get_json()["results"]
    assert [r["outcome"] for r in results] == ["created"] * len(batch), results
    return [
        Entry(
            r["source"]["channel_id"],
            r["source"]["source_ref"],
            result["tracking_id"],
            FIRST_STATUS,
            content_hash(r),
        )
        for r, result in zip(batch, results)
    ]


def get_json(client, path: str, token: str = KALSEL_TOKEN, status: int = 200) -> dict:
    response = client.get(path, headers=auth(token))
    assert response.status_code == status, response.get_json()
    return response.get_json()


def digest_of(client, buckets: int | None = None, token: str = KALSEL_TOKEN) -> dict:
    return get_json(client, DIGEST + (f"?buckets={buckets}" if buckets else ""), token)


def bucket_listing(client, index: int, buckets: int, token: str = KALSEL_TOKEN) -> dict:
    return get_json(client, f"/api/v1/reconcile/buckets/{index}?buckets={buckets}", token)


def differing(before: dict, after: dict) -> set[int]:
    return {i for i, (a, b) in enumerate(zip(before["digests"], after["digests"])) if a != b}


def feed_of(client, token: str = KALSEL_TOKEN) -> list[dict]:
    return get_json(client, "/api/v1/updates?limit=1000", token)["updates"]


def listed_ids(client, token: str = KALSEL_TOKEN, limit: int = 1000) -> list[str]:
    """Every tracking id of the connector's report listing, page by page."""
    found, after = [], None
    while True:
        page = get_json(
            client, f"/api/v1/reports?limit={limit}" + (f"&after={after}" if after else ""), token
        )
        found += [r["tracking_id"] for r in page["reports"]]
        after = page["next_after"]
        if after is None:
            return found


# -- digests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "buckets", [None, 1, 4, 64, 65536], ids=["default", "1", "4", "64", "65536"]
)
def test_digest_is_the_shared_digest_of_the_same_entries(client, buckets):
    entries = deliver(client, reports(40))
    expected_buckets = buckets or buckets_for(40)
    assert digest_of(client, buckets) == {
        "buckets": expected_buckets,
        "count": 40,
        "digests": digests(entries, expected_buckets),
    }


def test_digest_of_no_reports_is_the_digest_of_empty_buckets(client):
    assert digest_of(client) == {"buckets": 16, "count": 0, "digests": digests([], 16)}
    assert len(set(digest_of(client)["digests"])) == 1


def test_default_bucket_count_follows_the_number_of_reports(app, client):
    bulk_insert_reports(state(app).engine, bulk_rows(1601))
    found = digest_of(client)
    assert (found["buckets"], found["count"]) == (buckets_for(1601), 1601) == (32, 1601)


def test_bucket_listing_gives_every_entry_once_in_key_order(client):
    entries = deliver(client, reports(40))
    listed = []
    for index in range(8):
        found = bucket_listing(client, index, 8)
        assert found == {
            "bucket": index,
            "buckets": 8,
            "entries": [e.as_dict() for e in in_bucket(entries, index, 8)],
        }
        keys = [(e["channel_id"], e["source_ref"]) for e in found["entries"]]
        assert keys == sorted(keys) and all(bucket_of(*key, 8) == index for key in keys)
        listed += found["entries"]
    assert sorted(e["tracking_id"] for e in listed) == sorted(e.tracking_id for e in entries)
    assert (
        max(len(bucket_listing(client, i, 8)["entries"]) for i in range(8)) > 1
    )  # key order was really tested


@pytest.mark.parametrize(
    "path",
    [
        f"{DIGEST}?buckets=0",
        f"{DIGEST}?buckets=3",
        f"{DIGEST}?buckets=48",
        f"{DIGEST}?buckets=131072",
        f"{DIGEST}?buckets=-4",
        f"{DIGEST}?buckets=abc",
        f"{DIGEST}?buckets=1.5",
        f"{DIGEST}?buckets=16x",
        f"{DIGEST}?buckets={'9' * 40}",
        f"{DIGEST}?buckets=%EF%BC%91%EF%BC%96",
        "/api/v1/reconcile/buckets/0",
        "/api/v1/reconcile/buckets/0?buckets=",
        "/api/v1/reconcile/buckets/0?buckets=12",
        "/api/v1/reconcile/buckets/16?buckets=16",
        "/api/v1/reconcile/buckets/-1?buckets=16",
        "/api/v1/reconcile/buckets/x?buckets=16",
        "/api/v1/reconcile/buckets/1.0?buckets=16",
    ],
    ids=[
        "zero",
        "three",
        "not-power-of-two",
        "too-many",
        "negative",
        "word",
        "fraction",
        "trailing-junk",
        "huge",
        "fullwidth-digits",
        "bucket-without-count",
        "bucket-empty-count",
        "bucket-bad-count",
        "bucket-past-end",
        "bucket-negative",
        "bucket-word",
        "bucket-fraction",
    ],
)
def test_bad_bucket_parameters_are_400(client, path):
    response = client.get(path, headers=auth())
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def test_the_bucket_count_edges_are_accepted(client):
    deliver(client, reports(3))
    assert len(digest_of(client, 1)["digests"]) == 1
    assert len(digest_of(client, 65536)["digests"]) == 65536
    assert bucket_listing(client, 65535, 65536)["bucket"] == 65535
    assert len(bucket_listing(client, 0, 1)["entries"]) == 3
    assert get_json(client, DIGEST)["buckets"] == 16  # left out: the default


def test_only_the_tokens_connector_reports_count(client):
    # The same source refs on both sides: only the connector of the token tells them apart.
    kalsel = deliver(client, reports(20))
    kaltim = deliver(client, reports(15, connector_id="kaltim"), KALTIM_TOKEN)
    assert digest_of(client, 16) == {"buckets": 16, "count": 20, "digests": digests(kalsel, 16)}
    assert digest_of(client, 16, KALTIM_TOKEN) == {
        "buckets": 16,
        "count": 15,
        "digests": digests(kaltim, 16),
    }
    listed = [e["tracking_id"] for i in range(4) for e in bucket_listing(client, i, 4)["entries"]]
    assert sorted(listed) == sorted(e.tracking_id for e in kalsel)
    assert not set(listed) & {e.tracking_id for e in kaltim}


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", DIGEST),
        ("get", "/api/v1/reconcile/buckets/0?buckets=16"),
        ("get", CHECKPOINTS),
        ("post", CHECKPOINTS),
    ],
    ids=["digest", "bucket", "list-checkpoints", "post-checkpoint"],
)
@pytest.mark.parametrize(
    "headers", [{}, auth("not-a-token"), auth(ADMIN_TOKEN)], ids=["none", "unknown", "admin"]
)
def test_reconcile_and_checkpoints_need_a_connector_token(app, client, method, path, headers):
    response = getattr(client, method)(
        path, json={"seq": 1, "hash": HASH_A, "at": "2025-03-04T09:15:00+08:00"}, headers=headers
    )
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    with Session(state(app).engine) as session:
        assert session.scalar(select(func.count()).select_from(HubCheckpoint)) == 0


# -- drift seen by the digest ---------------------------------------------------------------


def _drift_status(entry: Entry) -> tuple[tuple, Entry]:
    return ("put", "status", {"status": "selesai"}), replace(entry, status="selesai")


def _drift_content(entry: Entry) -> tuple[tuple, Entry]:
    changed = make_report(
        entry.source_ref, channel_id=entry.channel_id, title="Isi yang diubah di pusat"
    )
    return ("put", "content", {"report": changed}), replace(
        entry, content_hash=content_hash(changed)
    )


def _drift_tracking_id(entry: Entry) -> tuple[tuple, Entry]:
    renamed = f"X-{entry.tracking_id}"
    return ("put", "tracking-id", {"tracking_id": renamed}), replace(entry, tracking_id=renamed)


def _drift_removal(entry: Entry) -> tuple[tuple, None]:
    return ("delete", None, None), None


def drift(
    client,
    tracking_id: str,
    how: str | None,
    body: dict | None,
    method: str = "put",
    token: str = ADMIN_TOKEN,
):
    path = f"/api/v1/admin/reports/{tracking_id}" + (f"/{how}" if how else "")
    return getattr(client, method)(path, json=body, headers=auth(token))


@pytest.mark.parametrize(
    "make_drift",
    [_drift_status, _drift_content, _drift_tracking_id, _drift_removal],
    ids=["status", "content", "tracking-id", "removed"],
)
def test_one_drifted_report_changes_exactly_its_bucket(client, make_drift):
    entries = deliver(client, reports(40))
    before = digest_of(client, 16)
    target = entries[7]
    (method, how, body), changed = make_drift(target)
    response = drift(client, target.tracking_id, how, body, method)
    assert response.status_code == 200, response.get_json()
    after_entries = [
        changed if e is target else e for e in entries if e is not target or changed is not None
    ]

    after = digest_of(client, 16)
    index = bucket_of(target.channel_id, target.source_ref, 16)
    assert differing(before, after) == {index}
    assert after == {
        "buckets": 16,
        "count": len(after_entries),
        "digests": digests(after_entries, 16),
    }
    assert bucket_listing(client, index, 16)["entries"] == [
        e.as_dict() for e in in_bucket(after_entries, index, 16)
    ]


def test_each_drift_is_visible_in_the_report_read_back(client):
    first, second, third, fourth = deliver(client, reports(4))
    assert (
        drift(client, first.tracking_id, "status", {"status": "ditindaklanjuti"}).get_json()[
            "status"
        ]
        == "ditindaklanjuti"
    )
    assert get_json(client, f"/api/v1/reports/{first.tracking_id}")["status"] == "ditindaklanjuti"

    changed = make_report(
        second.source_ref, channel_id=second.channel_id, title="Judul yang diubah"
    )
    answered = drift(client, second.tracking_id, "content", {"report": changed}).get_json()
    found = get_json(client, f"/api/v1/reports/{second.tracking_id}")
    assert answered == found
    assert (found["report"], found["content_hash"]) == (changed, content_hash(changed))

    renamed = drift(client, third.tracking_id, "tracking-id", {"tracking_id": "X-3"}).get_json()
    assert renamed["tracking_id"] == "X-3"
    get_json(client, f"/api/v1/reports/{third.tracking_id}", status=404)
    assert get_json(client, "/api/v1/reports/X-3")["report"] == reports(4)[2]

    removed = drift(client, fourth.tracking_id, None, None, "delete").get_json()
    assert (removed["tracking_id"], removed["report"]) == (fourth.tracking_id, reports(4)[3])
    get_json(client, f"/api/v1/reports/{fourth.tracking_id}", status=404)


def test_status_drift_records_no_update_and_feeds_nothing(app, client):
    [entry] = deliver(client, reports(1))
    act(state(app).sessions, entry.tracking_id, status="terverifikasi")
    feed_before, view_before = (
        feed_of(client),
        get_json(client, f"/api/v1/reports/{entry.tracking_id}"),
    )
    stats_before = get_json(client, "/api/v1/stats")

    answered = drift(client, entry.tracking_id, "status", {"status": "selesai"}).get_json()
    assert answered == {
        **view_before,
        "status": "selesai",
    }  # status_at and the updates stay as they were
    assert feed_of(client) == feed_before and len(feed_before) == 1
    assert get_json(client, "/api/v1/stats") == stats_before
    with Session(state(app).engine) as session:
        assert session.scalar(select(func.count()).select_from(HubUpdate)) == 1


def test_removed_report_is_gone_from_reads_listing_and_feed(app, client):
    kept, lost = deliver(client, reports(2))
    act(state(app).sessions, kept.tracking_id, status="terverifikasi")
    client.post(
        f"/api/v1/reports/{lost.tracking_id}/updates",
        headers=auth(),
        json=make_update(lost.tracking_id, "rm-1", message="Sedang dicek."),
    )
    act(state(app).sessions, lost.tracking_id, status="terverifikasi")  # the newest seq of the feed
    last_seq = feed_of(client)[-1]["seq"]

    removed = drift(client, lost.tracking_id, None, None, "delete")
    assert (
        removed.status_code == 200 and len(removed.get_json()["updates"]) == 2
    )  # as it was, with its updates
    get_json(client, f"/api/v1/reports/{lost.tracking_id}", status=404)
    get_json(client, f"/api/v1/admin/reports/{lost.tracking_id}", ADMIN_TOKEN, status=404)
    assert listed_ids(client) == [kept.tracking_id]
    assert [u["tracking_id"] for u in feed_of(client)] == [kept.tracking_id]
    with Session(state(app).engine) as session:
        assert session.scalar(select(func.count()).select_from(HubUpdate)) == 1

    # Neither its tracking id nor its seq is given out again (the feed would skip a reused seq).
    act(state(app).sessions, kept.tracking_id, message="Diteruskan.")
    assert feed_of(client)[-1]["seq"] > last_seq
    [again] = deliver(client, [reports(2)[1]])
    assert again.tracking_id not in (kept.tracking_id, lost.tracking_id)


def test_paging_walks_every_report_once_after_a_rename(client):
    entries = deliver(client, reports(5))
    drift(client, entries[1].tracking_id, "tracking-id", {"tracking_id": "X-renamed"})
    expected = [e.tracking_id for e in entries]
    expected[1] = "X-renamed"
    assert listed_ids(client, limit=2) == expected  # the first page ends on the renamed report
    # A tracking id no report has any more still pages from where it was.
    page = get_json(client, f"/api/v1/reports?after={entries[1].tracking_id}")
    assert [r["tracking_id"] for r in page["reports"]] == expected[2:]


# -- drift: who may, and bad requests -------------------------------------------------------

_DRIFTS = [
    ("delete", None, None),
    ("put", "status", {"status": "selesai"}),
    ("put", "content", {"report": make_report("R-0")}),
    ("put", "tracking-id", {"tracking_id": "X-1"}),
]
_DRIFT_IDS = ["delete", "status", "content", "tracking-id"]


@pytest.mark.parametrize("method, how, body", _DRIFTS, ids=_DRIFT_IDS)
@pytest.mark.parametrize("token", [None, KALSEL_TOKEN], ids=["no-token", "connector-token"])
def test_drift_needs_the_admin_token(client, method, how, body, token):
    [entry] = deliver(client, reports(1))
    before = digest_of(client)
    headers = auth(token) if token else {}
    path = f"/api/v1/admin/reports/{entry.tracking_id}" + (f"/{how}" if how else "")
    response = getattr(client, method)(path, json=body, headers=headers)
    assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert digest_of(client) == before


@pytest.mark.parametrize("method, how, body", _DRIFTS, ids=_DRIFT_IDS)
def test_drift_is_absent_when_faults_are_disabled(tmp_path, method, how, body):
    app = create_app(hub_settings(tmp_path, faults_enabled=False))
    try:
        client = app.test_client()
        [entry] = deliver(client, reports(1))
        before = digest_of(client)
        response = drift(client, entry.tracking_id, how, body, method)
        # The removal's path is the admin report's, which serves GET: an undocumented method there is a 405.
        status, code = (405, "method_not_allowed") if method == "delete" else (404, "not_found")
        assert response.status_code == status and response.get_json()["error"]["code"] == code
        assert digest_of(client) == before
        assert (
            get_json(client, f"/api/v1/admin/reports/{entry.tracking_id}", ADMIN_TOKEN)["status"]
            == FIRST_STATUS
        )
    finally:
        state(app).close()


@pytest.mark.parametrize("method, how, body", _DRIFTS, ids=_DRIFT_IDS)
def test_drift_on_an_unknown_report_is_404(client, method, how, body):
    response = drift(client, "1999999", how, body, method)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "unknown_report"


@pytest.mark.parametrize(
    "how, body, where",
    [
        ("status", {"status": "hilang"}, "$.status"),
        ("status", {}, "$.status"),
        ("status", {"status": "selesai", "note": "x"}, "$.note"),
        ("content", {"report": make_report("R-0", title="")}, "$.report.title"),
        ("content", {"report": "teks"}, "$.report"),
        ("tracking-id", {"tracking_id": "ada spasi"}, "$.tracking_id"),
        ("tracking-id", {"tracking_id": "a/b"}, "$.tracking_id"),
        ("tracking-id", {"tracking_id": "X" * 33}, "$.tracking_id"),
        ("tracking-id", {"tracking_id": ""}, "$.tracking_id"),
    ],
    ids=[
        "unknown-status",
        "no-status",
        "extra-field",
        "invalid-report",
        "report-not-object",
        "space",
        "slash",
        "too-long",
        "empty",
    ],
)
def test_bad_drift_bodies_are_400_and_change_nothing(client, how, body, where):
    [entry] = deliver(client, reports(1))
    before = digest_of(client)
    response = drift(client, entry.tracking_id, how, body)
    assert response.status_code == 400
    assert (
        response.get_json()["error"]["code"] == "invalid_drift"
        and where in response.get_json()["error"]["message"]
    )
    assert digest_of(client) == before


def test_a_tracking_id_another_report_has_is_409(client):
    first, second, _third = deliver(client, reports(3))
    response = drift(client, first.tracking_id, "tracking-id", {"tracking_id": second.tracking_id})
    assert (
        response.status_code == 409 and response.get_json()["error"]["code"] == "tracking_id_taken"
    )
    assert get_json(client, f"/api/v1/reports/{first.tracking_id}")["report"] == reports(3)[0]
    # The id of a report since removed is free (the hub never issues it again).
    drift(client, second.tracking_id, None, None, "delete")
    assert (
        drift(
            client, first.tracking_id, "tracking-id", {"tracking_id": second.tracking_id}
        ).status_code
        == 200
    )
    assert get_json(client, f"/api/v1/reports/{second.tracking_id}")["report"] == reports(3)[0]


# -- audit checkpoints ------------------------------------------------------------------------


def post_checkpoint(client, seq, hash_=HASH_A, at="2025-03-04T09:15:00+08:00", token=KALSEL_TOKEN):
    return client.post(CHECKPOINTS, json={"seq": seq, "hash": hash_, "at": at}, headers=auth(token))


def test_checkpoint_is_stored_then_the_same_one_again_is_200(client):
    first = post_checkpoint(client, 7)
    assert first.status_code == 201
    assert first.get_json() == {
        "seq": 7,
        "hash": HASH_A,
        "at": "2025-03-04T01:15:00+00:00",
    }  # in UTC
    again = post_checkpoint(client, 7, at="2025-03-04T01:15:00Z")
    assert again.status_code == 200 and again.get_json() == first.get_json()
    assert get_json(client, CHECKPOINTS) == {"checkpoints": [first.get_json()]}


def test_checkpoint_with_another_hash_is_409_and_stores_nothing(app, client):
    post_checkpoint(client, 7, HASH_A)
    response = post_checkpoint(client, 7, HASH_B, at="2025-03-05T00:00:00+00:00")
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert (
        error["code"] == "checkpoint_conflict"
        and HASH_A in error["message"]
        and HASH_B in error["message"]
    )
    assert get_json(client, CHECKPOINTS)["checkpoints"] == [
        {"seq": 7, "hash": HASH_A, "at": "2025-03-04T01:15:00+00:00"}
    ]
    with Session(state(app).engine) as session:
        assert [(c.seq, c.hash) for c in session.scalars(select(HubCheckpoint))] == [(7, HASH_A)]


def test_checkpoints_are_listed_in_seq_order_and_late_lower_seqs_are_kept(client):
    statuses = [post_checkpoint(client, seq, f"{seq:064x}").status_code for seq in (10, 30, 20, 0)]
    assert statuses == [201, 201, 201, 201]
    assert [(c["seq"], c["hash"]) for c in get_json(client, CHECKPOINTS)["checkpoints"]] == [
        (seq, f"{seq:064x}") for seq in (0, 10, 20, 30)
    ]
    assert get_json(client, "/api/v1/stats")["checkpoints"] == {"count": 4, "highest_seq": 30}


def test_checkpoints_of_another_connector_are_apart(client):
    assert post_checkpoint(client, 1, HASH_A).status_code == 201
    assert (
        post_checkpoint(client, 1, HASH_B, token=KALTIM_TOKEN).status_code == 201
    )  # the same seq: no conflict
    assert [c["hash"] for c in get_json(client, CHECKPOINTS)["checkpoints"]] == [HASH_A]
    assert [c["hash"] for c in get_json(client, CHECKPOINTS, KALTIM_TOKEN)["checkpoints"]] == [
        HASH_B
    ]


@pytest.mark.parametrize(
    "body, where",
    [
        ({"seq": -1, "hash": HASH_A, "at": "2025-03-04T09:15:00+08:00"}, "$.seq"),
        ({"seq": "1", "hash": HASH_A, "at": "2025-03-04T09:15:00+08:00"}, "$.seq"),
        ({"seq": True, "hash": HASH_A, "at": "2025-03-04T09:15:00+08:00"}, "$.seq"),
        ({"seq": 1.5, "hash": HASH_A, "at": "2025-03-04T09:15:00+08:00"}, "$.seq"),
        ({"seq": 2**63, "hash": HASH_A, "at": "2025-03-04T09:15:00+08:00"}, "$.seq"),
        ({"seq": 1, "hash": "a" * 63, "at": "2025-03-04T09:15:00+08:00"}, "$.hash"),
        ({"seq": 1, "hash": "g" * 64, "at": "2025-03-04T09:15:00+08:00"}, "$.hash"),
        ({"seq": 1, "hash": "A" * 64, "at": "2025-03-04T09:15:00+08:00"}, "$.hash"),
        ({"seq": 1, "hash": HASH_A, "at": "2025-03-04T09:15:00"}, "$.at"),
        ({"seq": 1, "hash": HASH_A, "at": "2025-03-04"}, "$.at"),
        ({"seq": 1, "hash": HASH_A, "at": "kemarin"}, "$.at"),
        ({"hash": HASH_A, "at": "2025-03-04T09:15:00+08:00"}, "$.seq"),
        ({"seq": 1, "hash": HASH_A, "at": "2025-03-04T09:15:00+08:00", "extra": 1}, "$.extra"),
    ],
    ids=[
        "negative-seq",
        "string-seq",
        "bool-seq",
        "fraction-seq",
        "seq-too-big",
        "short-hash",
        "not-hex",
        "upper-case-hash",
        "no-offset",
        "date-only",
        "not-a-time",
        "no-seq",
        "unknown-field",
    ],
)
def test_invalid_checkpoints_are_400_and_store_nothing(client, body, where):
    response = client.post(CHECKPOINTS, json=body, headers=auth())
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request" and where in error["message"]
    assert get_json(client, CHECKPOINTS) == {"checkpoints": []}


def test_a_checkpoint_body_that_is_not_an_object_is_400(client):
    response = client.post(CHECKPOINTS, data="[1]", headers=auth(), content_type="application/json")
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "bad_request"


# -- the client's side over HTTP ----------------------------------------------------------------


def test_the_hub_client_methods_match_the_endpoints(tmp_path):
    with running_hub(tmp_path) as (_app, server):
        hub = HubClient(server.url, KALSEL_TOKEN, timeout_s=10)
        sent = reports(30)
        answers = hub.send_reports(sent)
        entries = [
            Entry(
                r["source"]["channel_id"],
                r["source"]["source_ref"],
                a.tracking_id,
                FIRST_STATUS,
                content_hash(r),
            )
            for r, a in zip(sent, answers)
        ]
        assert hub.reconcile_digest() == {
            "buckets": 16,
            "count": 30,
            "digests": digests(entries, 16),
        }
        assert hub.reconcile_digest(4)["digests"] == digests(entries, 4)
        assert hub.reconcile_bucket(2, 4) == [e.as_dict() for e in in_bucket(entries, 2, 4)]
        at = "2025-03-04T01:15:00+00:00"
        assert hub.post_checkpoint(3, HASH_A, at) == {"seq": 3, "hash": HASH_A, "at": at}
        assert hub.post_checkpoint(3, HASH_A, at) == {"seq": 3, "hash": HASH_A, "at": at}
        with pytest.raises(HubRejectedError) as refused:
            hub.post_checkpoint(3, HASH_B, at)
        assert refused.value.context["status"] == 409 and "already stored with hash" in str(
            refused.value
        )
        assert hub.checkpoints() == [{"seq": 3, "hash": HASH_A, "at": at}]


# -- bulk loading -------------------------------------------------------------------------------


def bulk_rows(count: int, *, connector_id: str = "kalsel", start: int = 0):
    for i in range(start, start + count):
        report = make_report(f"B-{i}", connector_id=connector_id)
        text = canonical_json(report)
        yield {
            "connector_id": connector_id,
            "channel_id": "laporpaman",
            "source_ref": f"B-{i}",
            "status": ("terverifikasi", "selesai")[i % 2],
            "content_hash": content_hash(report),
            "report_json": text,
        }


def hub_entries(engine, connector_id: str = "kalsel") -> tuple[list[Entry], list[tuple[int, str]]]:
    """The entries as stored, and every (row id, tracking id)."""
    with Session(engine) as session:
        rows = session.execute(
            select(
                HubReport.id,
                HubReport.channel_id,
                HubReport.source_ref,
                HubReport.tracking_id,
                HubReport.status,
                HubReport.content_hash,
            ).where(HubReport.connector_id == connector_id)
        ).all()
    return [Entry(*row[1:]) for row in rows], [(row.id, row.tracking_id) for row in rows]


@pytest.fixture
def bulk_app(tmp_path, store_url):
    app = create_app(hub_settings(tmp_path, store_url=store_url))
    yield app
    state(app).close()


def test_bulk_insert_of_20000_reports_then_digest(bulk_app):
    app, client = bulk_app, bulk_app.test_client()
    rows = list(bulk_rows(20_000))
    assert bulk_insert_reports(state(app).engine, iter(rows)) == 20_000
    found = digest_of(client)

    entries, ids = hub_entries(state(app).engine)
    assert all(tracking_id == tracking_id_for(row_id) for row_id, tracking_id in ids)
    by_key = {(e.channel_id, e.source_ref): e for e in entries}
    assert [
        (
            by_key[("laporpaman", r["source_ref"])].status,
            by_key[("laporpaman", r["source_ref"])].content_hash,
        )
        for r in rows
    ] == [(r["status"], r["content_hash"]) for r in rows]
    assert found == {
        "buckets": buckets_for(20_000),
        "count": 20_000,
        "digests": digests(entries, buckets_for(20_000)),
    }
    assert found["buckets"] == 256
    # A report delivered afterwards gets the next tracking id, as if the rows had come through the exchange.
    [later] = deliver(client, [make_report("after-bulk")])
    assert later.tracking_id == tracking_id_for(max(row_id for row_id, _ in ids) + 1)
    assert digest_of(client)["count"] == 20_001


def test_bulk_insert_in_a_session_joins_its_transaction_and_keeps_given_tracking_ids(app):
    rows = list(bulk_rows(3))
    rows[0] = {**rows[0], "tracking_id": "BULK-0", "status": None}
    with Session(state(app).engine) as session:
        assert bulk_insert_reports(session, rows[:1]) == 1
        session.rollback()
    assert hub_entries(state(app).engine)[0] == []
    with Session(state(app).engine) as session:
        bulk_insert_reports(session, rows, chunk=2)
        session.commit()
    entries, ids = hub_entries(state(app).engine)
    assert {e.source_ref: (e.tracking_id, e.status) for e in entries} == {
        "B-0": ("BULK-0", FIRST_STATUS),
        "B-1": (tracking_id_for(ids[1][0]), "selesai"),
        "B-2": (tracking_id_for(ids[2][0]), "terverifikasi"),
    }


def test_bulk_insert_names_a_missing_field(app):
    row = next(bulk_rows(1))
    del row["content_hash"]
    with pytest.raises(KeyError, match="content_hash"):
        bulk_insert_reports(state(app).engine, [row])


# -- the OpenAPI document -----------------------------------------------------------------------


def conforms(doc: dict, name: str, instance) -> list:
    """Problems of `instance` against a component of `doc` (its references resolved within `doc`)."""
    return schema_problems(
        instance,
        validator_for({"$ref": f"#/components/schemas/{name}", "components": doc["components"]}),
    )


def test_openapi_describes_the_new_endpoints_and_their_answers(client):
    doc = get_json(client, "/api/v1/openapi.json")
    paths = doc["paths"]
    assert set(paths["/api/v1/reconcile/digest"]) == {"get"}
    assert set(paths["/api/v1/reconcile/buckets/{bucket}"]) == {"get"}
    assert set(paths["/api/v1/audit/checkpoints"]) == {"get", "post"}
    assert {"200", "201", "400", "401", "409"} <= set(
        paths["/api/v1/audit/checkpoints"]["post"]["responses"]
    )
    assert set(paths["/api/v1/admin/reports/{tracking_id}"]) == {"get", "delete"}
    for how in ("status", "content", "tracking-id"):
        assert set(paths[f"/api/v1/admin/reports/{{tracking_id}}/{how}"]) == {"put"}

    deliver(client, reports(1))
    post_checkpoint(client, 1)
    assert conforms(doc, "ReconcileDigest", digest_of(client)) == []
    assert conforms(doc, "ReconcileBucket", bucket_listing(client, 0, 1)) == []
    assert conforms(doc, "CheckpointList", get_json(client, CHECKPOINTS)) == []
    assert conforms(doc, "Checkpoint", post_checkpoint(client, 1).get_json()) == []
    assert conforms(doc, "Stats", get_json(client, "/api/v1/stats")) == []
    assert (
        conforms(
            doc, "ReconcileBucket", {"bucket": 0, "buckets": 1, "entries": [{"channel_id": 1}]}
        )
        != []
    )
