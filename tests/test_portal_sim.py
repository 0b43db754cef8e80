"""The portal simulator: its seeded data, both API shapes, the quirks, faults and controls."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from click.testing import CliRunner

from connector.mapping.tables import RegionIndex
from connector.mapping.transforms import REGISTRY
from lapor_exchange.wsgi import ServerThread
from lapor_testbed.sim import cli as sim_cli
from lapor_testbed.sim import seed as seeding
from lapor_testbed.sim.api import create_app
from lapor_testbed.sim.portal import InvalidTanggapan, PortalSim

TOKEN = "test-portal-token"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
API_KEY = {"X-Api-Key": TOKEN}
FMT = "%Y-%m-%d %H:%M:%S"
KALSEL = {
    "63.01",
    "63.02",
    "63.03",
    "63.04",
    "63.05",
    "63.06",
    "63.07",
    "63.08",
    "63.09",
    "63.10",
    "63.11",
    "63.71",
    "63.72",
}


@pytest.fixture(scope="module")
def sim():
    """A read-only portal shared by the tests that do not change it."""
    return PortalSim(complaints=400, bad_share=0.03, seed=63, token=TOKEN)


@pytest.fixture(scope="module")
def client(sim):
    return create_app(sim).test_client()


def fresh(**kwargs):
    """A portal of its own, for tests that change state or switch on quirks."""
    kwargs.setdefault("complaints", 120)
    kwargs.setdefault("token", TOKEN)
    sim = PortalSim(**kwargs)
    return sim, create_app(sim).test_client()


def all_records(sim):
    return sim.updated_since(None)


def walk_pages(client, per_page, **params):
    """Every page from 1 to meta.last_page; returns the list of pages' data."""
    pages, page, last = [], 1, 1
    while page <= last:
        body = client.get(
            "/api/aduan",
            query_string={"page": page, "per_page": per_page, **params},
            headers=BEARER,
        ).json
        pages.append(body["data"])
        last = body["meta"]["last_page"]
        page += 1
    return pages


def walk_v2(client, limit, **params):
    refs, query = [], {"limit": limit, **params}
    while True:
        body = client.get("/api/v2/complaints", query_string=query, headers=API_KEY).json
        refs.extend(item["ref"] for item in body["items"])
        if body["next_cursor"] is None:
            return refs
        query = {"limit": limit, "cursor": body["next_cursor"]}


def order_key(record):
    return record["diperbarui_pada"], record["id"]


# -- auth --------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer wrong"},
        {"Authorization": f"Basic {TOKEN}"},
        {"X-Api-Key": TOKEN},
    ],
    ids=["none", "wrong-token", "wrong-scheme", "v2-header"],
)
def test_v1_answers_401_without_the_bearer_token(client, headers):
    for path in ("/api/aduan", "/api/aduan/1001"):
        response = client.get(path, headers=headers)
        assert response.status_code == 401
        assert response.json == {"message": "Unauthenticated."}
    assert client.get("/api/aduan", headers=BEARER).status_code == 200


@pytest.mark.parametrize(
    "headers", [{}, {"X-Api-Key": "wrong"}, BEARER], ids=["none", "wrong-key", "v1-header"]
)
def test_v2_answers_401_without_the_api_key(client, headers):
    response = client.get("/api/v2/complaints", headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "invalid_api_key"
    assert client.get("/api/v2/complaints", headers=API_KEY).status_code == 200


# -- seeded data ---------------------------------------------------------------


def test_same_seed_gives_the_same_records_and_another_seed_does_not():
    first, second, other = (PortalSim(complaints=80, seed=s) for s in (7, 7, 8))
    assert all_records(first) == all_records(second)
    assert first.expected() == second.expected()
    assert [r["judul"] for r in all_records(first)] != [r["judul"] for r in all_records(other)]


@pytest.mark.parametrize(
    "complaints,bad_share,bad",
    [(400, 0.03, 12), (1000, 0.03, 30), (10, 0.03, 1), (50, 0.0, 0)],
    ids=["400", "1000", "at-least-one", "none"],
)
def test_counts_are_good_plus_bad_on_top(complaints, bad_share, bad):
    sim = PortalSim(complaints=complaints, bad_share=bad_share)
    expected = sim.expected()
    records = all_records(sim)
    assert len(expected["good"]) == complaints
    assert len(expected["bad"]) == bad
    assert len(records) == complaints + bad
    assert sorted(r["id"] for r in records) == list(range(1001, 1001 + complaints + bad))
    assert set(expected["good"]).isdisjoint(int(i) for i in expected["bad"])
    assert {int(i) for i in expected["quirks"]} <= set(expected["good"])


def sentences(text):
    return len(re.findall(r"[.?!](?:\s|$)", re.sub(r"\b(?:Jl|Kec|No|A)\. ", "", text)))


def _parses(text, fmt=FMT):
    try:
        datetime.strptime(text, fmt)
        return True
    except (TypeError, ValueError):
        return False


def test_every_bad_record_is_broken_in_the_way_it_is_listed(sim):
    bad = {int(i): kind for i, kind in sim.expected()["bad"].items()}
    assert set(Counter(bad.values())) == set(seeding.BAD_KINDS)
    for record_id, kind in bad.items():
        record = sim.get(record_id)
        if kind == "missing_body":
            assert "isi" not in record or not record["isi"].strip(), record_id
        elif kind == "bad_date":
            assert not _parses(record["dibuat_pada"]), record_id
        else:
            assert "anonim" not in record, record_id
        # Only the listed fault: everything else about the record is usable.
        assert kind == "missing_body" or record["isi"].strip()
        assert kind == "bad_date" or _parses(record["dibuat_pada"])
        assert kind == "missing_privacy" or record["anonim"] in ("ya", "tidak")


def test_good_records_have_every_field_in_the_documented_vocabulary(sim, client):
    expected = sim.expected()
    unknown_category = {int(i) for i, k in expected["quirks"].items() if k == "unknown_category"}
    for record_id in expected["good"]:
        r = sim.get(record_id)
        assert r["judul"] and 2 <= sentences(r["isi"]) <= 5
        assert r["klasifikasi"] in seeding.CLASSIFICATIONS
        assert (r["kategori"] in seeding.CATEGORIES) != (record_id in unknown_category)
        assert r["anonim"] in ("ya", "tidak") and r["rahasia"] in (0, 1)
        assert r["status"] in ("baru", "proses", "selesai", "ditolak")
        assert r["tanggal_kejadian"] is None or _parses(r["tanggal_kejadian"], "%d/%m/%Y")
        assert r["pelapor"]["nik"] is None or (
            len(r["pelapor"]["nik"]) == 16 and r["pelapor"]["nik"].isdigit()
        )
        assert r["instansi_tujuan"] is None or set(r["instansi_tujuan"]) == {"kode", "nama"}
        served = client.get(f"/api/aduan/{record_id}", headers=BEARER).json["data"]
        for f in served["lampiran"]:
            assert (
                len(f["sha256"]) == 64
                and f["ukuran"] > 0
                and f["url"].startswith(f"http://localhost/files/{record_id}/")
            )


def test_seeded_times_are_wita_in_the_window_and_updates_follow_another_order(sim):
    good = [sim.get(i) for i in sim.expected()["good"]]
    for r in good:
        created, updated = (
            datetime.strptime(r[k], FMT) for k in ("dibuat_pada", "diperbarui_pada")
        )
        assert seeding.WINDOW_START <= created <= updated <= seeding.WINDOW_END
    by_update = [r["id"] for r in all_records(sim)]
    assert by_update != sorted(by_update)
    # Bulk updates share a second, so a puller meets ties on diperbarui_pada.
    assert Counter(r["diperbarui_pada"] for r in all_records(sim)).most_common(1)[0][1] >= 3
    created_order = [r["id"] for r in sorted(good, key=lambda r: r["dibuat_pada"])]
    assert created_order == sorted(
        created_order
    )  # ids follow creation, as an auto-increment key does


def test_quirky_records_fail_only_the_field_they_are_listed_for(sim):
    quirks = {int(i): kind for i, kind in sim.expected()["quirks"].items()}
    assert set(quirks.values()) == set(seeding.QUIRK_KINDS)
    phone, email = REGISTRY["phone_e164"].fn, REGISTRY["email"].fn

    def rejects(fn, value):
        try:
            fn(value, None, None)
            return False
        except ValueError:
            return True

    for record_id in sim.expected()["good"]:
        r, kind = sim.get(record_id), quirks.get(record_id)
        assert rejects(phone, r["pelapor"]["hp"]) == (kind == "bad_phone"), r["pelapor"]["hp"]
        if r["pelapor"]["email"] is not None:
            assert rejects(email, r["pelapor"]["email"]) == (kind == "bad_email"), r["pelapor"][
                "email"
            ]
        assert (r["kategori"] not in seeding.CATEGORIES) == (kind == "unknown_category")


def test_records_cover_all_13_kabupaten_kota_with_citizens_spellings(sim):
    regions = RegionIndex.load()
    found = Counter(regions.find(r["lokasi"]) for r in all_records(sim))
    assert set(found) == KALSEL
    lokasi = " | ".join(r["lokasi"] for r in all_records(sim))
    for variant in (
        "Kota Baru",
        "Kotabaru",
        "Banjar Baru",
        "Kota Banjarbaru",
        "Kab. Banjar",
        "Kabupaten Tapin",
    ):
        assert variant in lokasi


def test_about_70_percent_are_public_with_named_reporter_and_the_rest_mix(sim):
    good = [sim.get(i) for i in sim.expected()["good"]]
    pairs = Counter((r["anonim"], r["rahasia"]) for r in good)
    assert 0.6 <= pairs[("tidak", 0)] / len(good) <= 0.8
    assert pairs[("ya", 0)] and pairs[("tidak", 1)] and pairs[("ya", 1)]


# -- v1 paging -------------------------------------------------------------------


def test_paging_walks_every_record_exactly_once_in_update_order(sim, client):
    pages = walk_pages(client, per_page=37)
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) == len(set(ids)) == len(all_records(sim))
    assert ids == [r["id"] for r in all_records(sim)]
    assert all(len(page) == 37 for page in pages[:-1])


def test_page_envelope_is_laravel_style(sim, client):
    body = client.get("/api/aduan", query_string={"page": 2, "per_page": 25}, headers=BEARER).json
    total = len(all_records(sim))
    assert body["meta"] == {
        "current_page": 2,
        "from": 26,
        "last_page": -(-total // 25),
        "path": "http://localhost/api/aduan",
        "per_page": 25,
        "to": 50,
        "total": total,
    }
    assert set(body["links"]) == {"first", "last", "prev", "next"}
    beyond = client.get(
        "/api/aduan", query_string={"page": 99, "per_page": 25}, headers=BEARER
    ).json
    assert beyond["data"] == [] and beyond["links"]["next"] is None


def test_per_page_defaults_to_50_and_is_capped_at_500():
    sim, client = fresh(complaints=600, bad_share=0)
    assert len(client.get("/api/aduan", headers=BEARER).json["data"]) == 50
    body = client.get("/api/aduan?per_page=1000", headers=BEARER).json
    assert len(body["data"]) == 500 and body["meta"]["per_page"] == 500


def test_diperbarui_sejak_is_inclusive(sim, client):
    middle = all_records(sim)[len(all_records(sim)) // 2]
    since = middle["diperbarui_pada"]
    ids = [r["id"] for page in walk_pages(client, 100, diperbarui_sejak=since) for r in page]
    assert middle["id"] in ids
    assert ids == [r["id"] for r in all_records(sim) if r["diperbarui_pada"] >= since]
    assert 0 < len(ids) < len(all_records(sim))


@pytest.mark.parametrize(
    "query",
    [
        "diperbarui_sejak=kemarin",
        "diperbarui_sejak=2026-02-30 10:00:00",
        "diperbarui_sejak=2026-02-01T10:00:00+08:00",
        "page=0",
        "per_page=abc",
    ],
    ids=["words", "impossible-day", "iso-with-offset", "page-0", "per-page-text"],
)
def test_bad_query_parameters_answer_422_with_a_message(client, query):
    response = client.get(f"/api/aduan?{query}", headers=BEARER)
    assert response.status_code == 422
    assert response.json["message"] and response.json["errors"]


def test_next_links_are_absolute_keep_the_query_and_end_with_null(sim, client):
    since = "2026-02-01 00:00:00"
    url, ids, seen_pages = f"/api/aduan?diperbarui_sejak={since}&per_page=40", [], 0
    while url:
        body = client.get(url, headers=BEARER).json
        ids += [r["id"] for r in body["data"]]
        seen_pages += 1
        url = body["links"]["next"]
        if url:
            parts = urlsplit(url)
            assert parts.scheme == "http" and parts.netloc == "localhost"
            query = parse_qs(parts.query)
            assert query["diperbarui_sejak"] == [since] and query["per_page"] == ["40"]
            assert query["page"] == [str(body["meta"]["current_page"] + 1)]
    assert seen_pages == body["meta"]["last_page"]
    assert ids == [r["id"] for r in all_records(sim) if r["diperbarui_pada"] >= since]


def test_one_record_by_id(sim, client):
    assert client.get("/api/aduan/1001", headers=BEARER).json["data"]["id"] == 1001
    missing = client.get("/api/aduan/999999", headers=BEARER)
    assert missing.status_code == 404 and missing.json["message"]


# -- quirks ------------------------------------------------------------------


def test_page_overlap_repeats_exactly_k_records_and_skips_none():
    sim, client = fresh(page_overlap=3)
    pages = walk_pages(client, per_page=10)
    ordered = [r["id"] for r in all_records(sim)]
    assert len(pages) == -(-len(ordered) // 10)  # last_page is unchanged by the overlap
    for previous, page in zip(pages, pages[1:]):
        assert [r["id"] for r in page[:3]] == [r["id"] for r in previous[-3:]]
    ids = [r["id"] for page in pages for r in page]
    assert len(ids) - len(set(ids)) == 3 * (len(pages) - 1)
    assert list(dict.fromkeys(ids)) == ordered


def test_repeat_page_once_serves_the_previous_page_the_first_time_only():
    sim, client = fresh(repeat_page_once=3)

    def page(n):
        return client.get(
            "/api/aduan", query_string={"page": n, "per_page": 20}, headers=BEARER
        ).json

    second, stale, fresh_third = page(2), page(3), page(3)
    assert stale["data"] == second["data"]
    assert stale["meta"]["current_page"] == 3
    assert [r["id"] for r in fresh_third["data"]] == [r["id"] for r in all_records(sim)[40:60]]
    assert page(3)["data"] == fresh_third["data"]


# -- v2 ------------------------------------------------------------------------


def test_v2_cursor_paging_walks_every_record_once(sim, client):
    refs = walk_v2(client, limit=45)
    assert refs == [f"KS-{r['id']}" for r in all_records(sim)]


def test_v2_modified_since_takes_an_offset_and_means_the_same_moment(sim, client):
    refs = walk_v2(client, limit=100, modified_since="2026-02-01T00:00:00Z")  # 08:00 WITA
    assert refs == [
        f"KS-{r['id']}" for r in all_records(sim) if r["diperbarui_pada"] >= "2026-02-01 08:00:00"
    ]
    assert 0 < len(refs) < len(all_records(sim))


@pytest.mark.parametrize(
    "query",
    ["modified_since=2026-02-01T00:00:00", "modified_since=kemarin", "cursor=bm90LWEtY3Vyc29y"],
    ids=["no-offset", "words", "forged-cursor"],
)
def test_v2_rejects_bad_parameters_with_400(client, query):
    response = client.get(f"/api/v2/complaints?{query}", headers=API_KEY)
    assert response.status_code == 400 and response.json["error"] == "invalid_parameter"


def test_v2_items_carry_the_same_records_and_bad_ones_stay_bad(sim, client):
    items = {}
    query = {"limit": 500}
    while query:
        body = client.get("/api/v2/complaints", query_string=query, headers=API_KEY).json
        items.update({int(i["ref"][3:]): i for i in body["items"]})
        query = body["next_cursor"] and {"limit": 500, "cursor": body["next_cursor"]}
    bad = {int(i): k for i, k in sim.expected()["bad"].items()}
    for record_id, item in items.items():
        record, kind = sim.get(record_id), bad.get(record_id)
        assert item["subject"] == record["judul"] and item["topic"]["name"] == record["kategori"]
        assert (
            item["modified"]
            == datetime.strptime(record["diperbarui_pada"], FMT).isoformat() + "+08:00"
        )
        assert [r["id"] for r in item["responses"]] == [t["id"] for t in record["tanggapan"]]
        assert (kind == "missing_body") == (not (item.get("description") or "").strip())
        assert (kind == "missing_privacy") == ("hide_identity" not in item["flags"])
        try:
            created_ok = datetime.fromisoformat(item["created"]).utcoffset() is not None
        except ValueError:
            created_ok = False
        assert (kind == "bad_date") == (not created_ok)
        if kind is None:
            assert item["flags"]["hide_identity"] == (record["anonim"] == "ya")
            assert item["kind"] in ("complaint", "aspiration", "information_request")


# -- follow-ups (tanggapan) ------------------------------------------------------

STEPS = {"baru": [], "proses": ["proses"], "selesai": ["proses", "selesai"], "ditolak": ["ditolak"]}
NOON = datetime(2026, 11, 28, 6, 0, 0, tzinfo=timezone.utc)  # 14:00 WITA, after the seeded window


def push(client, record_id, headers=BEARER, **body):
    return client.post(f"/api/aduan/{record_id}/tanggapan", json=body, headers=headers)


def worked_record(sim, status="proses"):
    """A good seeded record with this status that is not already the last in the update order."""
    good = set(sim.expected()["good"])
    return next(r for r in all_records(sim)[:-1] if r["status"] == status and r["id"] in good)


def test_seeded_follow_ups_lead_to_each_records_status_within_its_times(sim):
    regions = RegionIndex.load()
    records = all_records(sim)
    bad_dates = {int(i) for i, kind in sim.expected()["bad"].items() if kind == "bad_date"}
    for r in records:
        follow_ups = r["tanggapan"]
        assert [t["status"] for t in follow_ups] == STEPS[r["status"]], r["id"]
        times = [t["waktu"] for t in follow_ups]
        assert times == sorted(times) and all(_parses(w) for w in times)
        if follow_ups:
            assert times[-1] == r["diperbarui_pada"]
            assert r["id"] in bad_dates or times[0] >= r["dibuat_pada"]
        for t in follow_ups:
            assert set(t) == {"id", "isi", "oleh", "waktu", "status", "ref"}
            assert t["ref"] is None and t["isi"] in seeding.REPLIES[t["status"]]
            if t["status"] == "ditolak":
                assert t["oleh"] == seeding.PORTAL_ADMIN
            else:  # an officer of the office of the record's own kabupaten/kota
                assert t["oleh"].startswith("Petugas ") and regions.find(t["oleh"]) == regions.find(
                    r["lokasi"]
                )
    # Ids are unique across the portal and given in the order the follow-ups were written.
    every = sorted((t for r in records for t in r["tanggapan"]), key=lambda t: t["id"])
    assert [t["id"] for t in every] == list(
        range(seeding.FIRST_TANGGAPAN_ID, seeding.FIRST_TANGGAPAN_ID + len(every))
    )
    assert [t["waktu"] for t in every] == sorted(t["waktu"] for t in every)
    assert {r["status"] for r in records if r["tanggapan"]} == {"proses", "selesai", "ditolak"}
    assert all(r["tanggapan"] == [] for r in records if r["status"] == "baru")


def test_added_records_have_no_follow_ups_yet():
    sim, client = fresh(complaints=20)
    record_id = sim.add(1)[0]
    assert sim.get(record_id)["tanggapan"] == []
    assert client.get(f"/api/aduan/{record_id}", headers=BEARER).json["data"]["tanggapan"] == []


def test_push_appends_a_follow_up_sets_the_status_and_moves_the_record_last():
    sim, client = fresh(clock=lambda: NOON)
    before = worked_record(sim)
    newest_id = max(t["id"] for r in all_records(sim) for t in r["tanggapan"])
    response = push(
        client,
        before["id"],
        isi="Laporan sudah ditindaklanjuti oleh instansi.",
        status="selesai",
        ref="hub/41",
    )
    assert response.status_code == 201
    pushed = response.json["data"]
    assert pushed == {
        "id": newest_id + 1,
        "isi": "Laporan sudah ditindaklanjuti oleh instansi.",
        "oleh": "Admin LAPOR! Nasional",
        "waktu": "2026-11-28 14:00:00",
        "status": "selesai",
        "ref": "hub/41",
    }
    after = sim.get(before["id"])
    assert after["tanggapan"] == [*before["tanggapan"], pushed]
    assert (after["status"], after["diperbarui_pada"]) == ("selesai", "2026-11-28 14:00:00")
    assert all_records(sim)[-1]["id"] == before["id"]
    assert (
        len(before["tanggapan"]) == 1 and before["status"] == "proses"
    )  # copy-on-write: the old copy is untouched
    served = client.get(f"/api/aduan/{before['id']}", headers=BEARER).json["data"]
    assert served["tanggapan"][-1] == pushed
    since = walk_pages(client, 50, diperbarui_sejak="2026-11-28 14:00:00")
    assert [r["id"] for page in since for r in page] == [before["id"]]


def test_push_keeps_a_given_time_and_author_but_the_record_still_moves_to_now():
    sim, client = fresh(clock=lambda: NOON)
    target = worked_record(sim, "selesai")
    response = push(
        client,
        target["id"],
        isi="Mohon konfirmasi dari pelapor.",
        oleh="Admin Instansi Kemendagri",
        waktu="2026-03-30 10:00:00",
        ref="hub/42",
    )
    assert response.status_code == 201
    assert (response.json["data"]["waktu"], response.json["data"]["oleh"]) == (
        "2026-03-30 10:00:00",
        "Admin Instansi Kemendagri",
    )
    assert response.json["data"]["status"] is None
    after = sim.get(target["id"])
    assert after["status"] == "selesai"  # a follow-up without a status leaves it
    assert (
        after["diperbarui_pada"] == "2026-11-28 14:00:00"
        and all_records(sim)[-1]["id"] == target["id"]
    )


def test_the_same_ref_twice_answers_200_with_the_first_follow_up_and_changes_nothing():
    sim, client = fresh(clock=lambda: NOON)
    target = worked_record(sim)
    first = push(client, target["id"], isi="Laporan diverifikasi.", status="proses", ref="hub/7")
    snapshot = sim.get(target["id"])
    again = push(client, target["id"], isi="Teks lain", status="ditolak", ref="hub/7")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["data"] == first.json["data"]
    assert sim.get(target["id"]) == snapshot
    assert [t["ref"] for t in sim.get(target["id"])["tanggapan"]].count("hub/7") == 1
    assert all_records(sim)[-1]["diperbarui_pada"] == snapshot["diperbarui_pada"]  # nothing moved
    # The ref is recognised per record: another record takes the same ref as a new follow-up.
    other = worked_record(sim, "selesai")
    assert push(client, other["id"], isi="Laporan diverifikasi.", ref="hub/7").status_code == 201


@pytest.mark.parametrize(
    "body,fields",
    [
        ({"status": "ditunda"}, {"status"}),
        ({"status": "Selesai", "isi": "x"}, {"status"}),
        ({"status": 3}, {"status"}),
        ({}, {"isi", "status"}),
        ({"isi": "", "ref": "hub/1"}, {"isi", "status"}),
        ({"isi": "   \n"}, {"isi", "status"}),
        ({"oleh": "Admin LAPOR! Nasional"}, {"isi", "status"}),
        ({"isi": "x", "waktu": "2026-03-30T10:00:00+08:00"}, {"waktu"}),
        ({"isi": "x", "ref": 12}, {"ref"}),
    ],
    ids=[
        "unknown-status",
        "status-case",
        "status-number",
        "empty",
        "empty-isi",
        "blank-isi",
        "only-oleh",
        "iso-waktu",
        "ref-number",
    ],
)
def test_a_bad_push_answers_422_laravel_style_and_changes_nothing(body, fields):
    sim, client = fresh()
    target = worked_record(sim)
    response = push(client, target["id"], **body)
    assert response.status_code == 422
    assert set(response.json["errors"]) == fields
    assert response.json["message"].startswith(
        response.json["errors"][next(iter(response.json["errors"]))][0]
    )
    assert sim.get(target["id"]) is target


def test_a_push_that_is_not_json_answers_422():
    sim, client = fresh()
    target = worked_record(sim)
    response = client.post(
        f"/api/aduan/{target['id']}/tanggapan", data="status=selesai", headers=BEARER
    )
    assert response.status_code == 422 and set(response.json["errors"]) == {"isi", "status"}
    assert sim.get(target["id"]) is target


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, API_KEY],
    ids=["none", "wrong-token", "v2-header"],
)
def test_a_push_without_the_bearer_token_answers_401_and_changes_nothing(headers):
    sim, client = fresh()
    target = worked_record(sim)
    response = push(client, target["id"], headers=headers, status="selesai", ref="hub/1")
    assert response.status_code == 401 and response.json == {"message": "Unauthenticated."}
    assert sim.get(target["id"]) is target


def test_a_push_to_an_unknown_record_answers_404():
    sim, client = fresh()
    response = push(client, 999999, status="selesai", ref="hub/1")
    assert response.status_code == 404 and response.json == {"message": "Aduan tidak ditemukan."}
    assert (
        push(client, 999999, status="hilang").status_code == 404
    )  # the record is looked up before the body


def test_a_fault_answers_the_push_too_and_the_retry_lands():
    sim, client = fresh()
    target = worked_record(sim)
    client.post("/_sim/faults", json={"status": 503, "times": 1, "retry_after": 4})
    failed = push(client, target["id"], status="selesai", ref="hub/9")
    assert failed.status_code == 503 and failed.headers["Retry-After"] == "4"
    assert sim.get(target["id"]) is target
    retried = push(client, target["id"], status="selesai", ref="hub/9")
    assert retried.status_code == 201 and sim.get(target["id"])["status"] == "selesai"


def test_local_staff_write_a_follow_up_with_any_status_code():
    sim, client = fresh(clock=lambda: NOON)
    target = worked_record(sim)
    response = client.post(
        f"/_sim/records/{target['id']}/tanggapan",
        json={"isi": "Pekerjaan ditunda menunggu anggaran.", "status": "ditunda", "ref": "hub/1"},
    )
    assert response.status_code == 201
    local = response.json["data"]
    assert local["isi"] == "Pekerjaan ditunda menunggu anggaran." and local["status"] == "ditunda"
    assert (local["oleh"], local["ref"], local["waktu"]) == (
        "Petugas Dinas",
        None,
        "2026-11-28 14:00:00",
    )  # a ref is never local
    after = sim.get(target["id"])
    assert after["tanggapan"] == [*target["tanggapan"], local] and after["status"] == "ditunda"
    assert (
        after["diperbarui_pada"] == "2026-11-28 14:00:00"
        and all_records(sim)[-1]["id"] == target["id"]
    )
    assert (
        client.get(f"/api/aduan/{target['id']}", headers=BEARER).json["data"]["status"] == "ditunda"
    )
    named = client.post(
        f"/_sim/records/{target['id']}/tanggapan",
        json={
            "isi": "Sudah dicek.",
            "oleh": "Petugas Dinas PUPR Kota Banjarbaru",
            "waktu": "2026-11-28 13:00:00",
        },
    )
    assert named.status_code == 201 and named.json["data"]["id"] == local["id"] + 1
    assert (
        named.json["data"]["oleh"],
        named.json["data"]["waktu"],
        named.json["data"]["status"],
    ) == ("Petugas Dinas PUPR Kota Banjarbaru", "2026-11-28 13:00:00", None)
    assert sim.get(target["id"])["status"] == "ditunda"  # no status given: it stays
    assert sim.get(target["id"])["diperbarui_pada"] == "2026-11-28 14:00:01"
    assert (
        client.post(f"/_sim/records/{target['id']}/tanggapan", json={"oleh": "x"}).status_code
        == 422
    )
    assert (
        client.post("/_sim/records/999999/tanggapan", json={"status": "proses"}).status_code == 404
    )


def test_local_staff_change_the_status_without_a_follow_up():
    sim, client = fresh(clock=lambda: NOON)
    target = worked_record(sim)
    response = client.post(f"/_sim/records/{target['id']}/status", json={"status": "ditunda"})
    assert response.status_code == 200
    assert response.json == {
        "id": target["id"],
        "status": "ditunda",
        "diperbarui_pada": "2026-11-28 14:00:00",
    }
    after = sim.get(target["id"])
    assert after["status"] == "ditunda" and after["tanggapan"] == target["tanggapan"]
    assert all_records(sim)[-1]["id"] == target["id"]
    assert (
        client.post(f"/_sim/records/{target['id']}/status", json={"status": "selesai"}).json[
            "diperbarui_pada"
        ]
        == "2026-11-28 14:00:01"
    )
    for body in ({}, {"status": ""}, {"status": 5}):
        assert client.post(f"/_sim/records/{target['id']}/status", json=body).status_code == 422
    assert client.post("/_sim/records/999999/status", json={"status": "proses"}).status_code == 404


def test_sim_shows_one_record_with_its_follow_ups_without_a_token(sim):
    client = create_app(sim).test_client()
    record = worked_record(sim, "selesai")
    response = client.get(f"/_sim/records/{record['id']}")
    assert response.status_code == 200 and response.json["data"] == record
    assert client.get("/_sim/records/999999").status_code == 404


def test_python_methods_check_like_the_api_and_are_thread_safe():
    sim, _ = fresh()
    target = worked_record(sim)
    with pytest.raises(InvalidTanggapan) as refused:
        sim.add_tanggapan(target["id"], status="ditunda", strict=True)
    assert set(refused.value.problems) == {"status"}
    assert sim.add_tanggapan(999999, status="proses") is None
    assert sim.set_status(999999, "proses") is None
    assert sim.add_tanggapan(target["id"], status="ditunda").created  # not strict: local staff
    with pytest.raises(ValueError):
        sim.set_status(target["id"], " ")

    def write(worker):
        for n in range(50):
            sim.add_tanggapan(
                target["id"], isi=f"catatan {worker}-{n}", ref=f"hub/{worker}-{n}", strict=True
            )

    threads = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    follow_ups = sim.get(target["id"])["tanggapan"]
    assert len(follow_ups) == len(target["tanggapan"]) + 1 + 400  # no write lost
    every = [t["id"] for r in all_records(sim) for t in r["tanggapan"]]
    assert len(every) == len(set(every))
    assert [t["id"] for t in follow_ups] == sorted(t["id"] for t in follow_ups)


def test_v2_carries_the_follow_ups_as_responses():
    sim, client = fresh(clock=lambda: NOON)
    target = worked_record(sim, "selesai")
    push(client, target["id"], isi="Diteruskan ke instansi.", status="proses", ref="hub/3")
    client.post(f"/_sim/records/{target['id']}/tanggapan", json={"status": "ditunda"})
    client.post(f"/_sim/records/{target['id']}/tanggapan", json={"isi": "Catatan petugas."})
    body = client.get(
        "/api/v2/complaints",
        query_string={"modified_since": "2026-11-28T14:00:00+08:00"},
        headers=API_KEY,
    ).json
    [item] = body["items"]
    record = sim.get(target["id"])
    assert (
        item["ref"] == f"KS-{target['id']}"
        and len(item["responses"]) == len(record["tanggapan"]) == 5
    )
    assert [r["state"] for r in item["responses"]] == [
        "in_progress",
        "resolved",
        "in_progress",
        "ditunda",
        None,
    ]
    assert item["responses"][2] == {
        "id": record["tanggapan"][2]["id"],
        "text": "Diteruskan ke instansi.",
        "by": "Admin LAPOR! Nasional",
        "at": "2026-11-28T14:00:00+08:00",
        "state": "in_progress",
        "ref": "hub/3",
    }
    for response, tanggapan in zip(item["responses"], record["tanggapan"], strict=True):
        assert (response["id"], response["text"], response["by"], response["ref"]) == (
            tanggapan["id"],
            tanggapan["isi"],
            tanggapan["oleh"],
            tanggapan["ref"],
        )
        assert response["at"] == datetime.strptime(tanggapan["waktu"], FMT).isoformat() + "+08:00"


def test_a_push_over_real_http_is_answered_once():
    sim = PortalSim(complaints=40, token=TOKEN)
    target = worked_record(sim)
    with ServerThread(create_app(sim)) as server:
        url = f"{server.url}/api/aduan/{target['id']}/tanggapan"
        body = {"isi": "Laporan selesai ditindaklanjuti.", "status": "selesai", "ref": "hub/99"}
        answers = [requests.post(url, json=body, headers=BEARER, timeout=5) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 200]
    assert answers[0].json() == answers[1].json()
    assert [t["ref"] for t in sim.get(target["id"])["tanggapan"]] == [None, "hub/99"]


# -- faults and controls ---------------------------------------------------------


def test_faults_answer_the_status_n_times_then_recover():
    sim, client = fresh()
    assert (
        client.post("/_sim/faults", json={"status": 503, "times": 2, "retry_after": 7}).status_code
        == 200
    )
    assert client.get("/_sim/expected").status_code == 200  # control calls are never faulted
    first = client.get("/api/aduan", headers=BEARER)
    second = client.get("/api/v2/complaints", headers=API_KEY)
    assert (first.status_code, second.status_code) == (503, 503)
    assert first.headers["Retry-After"] == "7"
    assert client.get("/api/aduan", headers=BEARER).status_code == 200
    client.post("/_sim/faults", json={"status": 500, "times": 5})
    assert client.get("/api/aduan/1001", headers=BEARER).status_code == 500
    assert client.delete("/_sim/faults").status_code == 200
    assert client.get("/api/aduan/1001", headers=BEARER).status_code == 200
    assert client.post("/_sim/faults", json={"status": 200}).status_code == 422


def test_added_records_are_good_timestamped_now_and_come_last():
    moment = datetime(2026, 11, 28, 6, 0, 0, tzinfo=timezone.utc)  # 14:00 WITA
    sim, client = fresh(clock=lambda: moment)
    response = client.post("/_sim/records", json={"count": 3})
    assert response.status_code == 201
    ids = response.json["ids"]
    assert ids == [1001 + 120 + 4 + i for i in range(3)]  # after 120 good + 4 bad seeded
    assert set(ids) <= set(client.get("/_sim/expected").json["good"])
    assert [r["id"] for r in all_records(sim)][-3:] == ids
    assert (
        {sim.get(i)["diperbarui_pada"] for i in ids}
        == {sim.get(i)["dibuat_pada"] for i in ids}
        == {"2026-11-28 14:00:00"}
    )
    newest = walk_pages(client, 50, diperbarui_sejak="2026-11-28 14:00:00")
    assert [r["id"] for page in newest for r in page] == ids


def test_touch_moves_a_record_to_the_end_and_sets_its_status():
    sim, client = fresh()
    target = all_records(sim)[10]
    response = client.post(f"/_sim/records/{target['id']}/touch", json={"status": "selesai"})
    assert response.status_code == 200
    after = all_records(sim)
    assert after[-1]["id"] == target["id"] and after[-1]["status"] == "selesai"
    assert after[-1]["diperbarui_pada"] > target["diperbarui_pada"]
    again = client.post(f"/_sim/records/{after[0]['id']}/touch")  # no body: only the time moves
    assert again.status_code == 200 and all_records(sim)[-1]["id"] == after[0]["id"]
    assert (
        all_records(sim)[-1]["diperbarui_pada"] > after[-1]["diperbarui_pada"]
    )  # later than the touch before it
    assert client.post("/_sim/records/999999/touch").status_code == 404
    assert (
        client.post(f"/_sim/records/{target['id']}/touch", json={"status": "hilang"}).status_code
        == 422
    )


def test_over_real_http_pages_faults_and_attachments():
    sim = PortalSim(complaints=150, token=TOKEN)
    with ServerThread(create_app(sim)) as server:
        session = requests.Session()
        session.headers.update(BEARER)
        requests.post(f"{server.url}/_sim/faults", json={"status": 429, "times": 1}, timeout=5)
        assert session.get(f"{server.url}/api/aduan", timeout=5).status_code == 429
        url, records = f"{server.url}/api/aduan?per_page=60", []
        while url:
            body = session.get(url, timeout=5).json()
            records += body["data"]
            url = body["links"]["next"]
            assert url is None or url.startswith(server.url)
        assert [r["id"] for r in records] == [r["id"] for r in all_records(sim)]
        attachment = next(f for r in records for f in r["lampiran"])
        download = requests.get(attachment["url"], timeout=5)
        assert download.status_code == 200 and download.headers["Content-Type"].startswith(
            attachment["tipe"]
        )
        assert len(download.content) == attachment["ukuran"]
        assert hashlib.sha256(download.content).hexdigest() == attachment["sha256"]


def test_cli_passes_its_options_to_the_simulator(monkeypatch):
    served = {}
    monkeypatch.setattr(
        sim_cli,
        "serve_forever",
        lambda app, listen, name: served.update(app=app, listen=listen, name=name),
    )
    monkeypatch.setenv("LAPOR_PORTAL_TOKEN", "from-env")
    result = CliRunner().invoke(
        sim_cli.portal_sim,
        [
            "--listen",
            "127.0.0.1:0",
            "--complaints",
            "30",
            "--bad-share",
            "0.1",
            "--seed",
            "5",
            "--page-overlap",
            "2",
            "--repeat-page-once",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    sim = served["app"].extensions["portal_sim"]
    assert (served["listen"], served["name"]) == ("127.0.0.1:0", "portal-sim")
    assert (sim.token, sim.seed, sim.page_overlap, sim.repeat_page_once) == ("from-env", 5, 2, 4)
    assert len(sim.expected()["good"]) == 30 and len(sim.expected()["bad"]) == 3
