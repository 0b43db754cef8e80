"""The profile engine with the shipped Laporpaman profile, and profile checks on load."""

import copy
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connector.errors import ProfileError
from connector.mapping.profile import Profile

ROOT = Path(__file__).resolve().parent.parent
WITA = ZoneInfo("Asia/Makassar")

GOOD = {
    "id": 1234,
    "judul": " Jalan   berlubang di depan SDN 3 ",
    "isi": "Sudah dua bulan jalan berlubang.",
    "klasifikasi": "Pengaduan",
    "kategori": "Jalan dan Jembatan",
    "lokasi": "Jl. A. Yani Km 5, Kec. Landasan Ulin, Kota Banjarbaru",
    "tanggal_kejadian": "12/03/2026",
    "pelapor": {
        "nama": "Budi Santoso",
        "hp": "0812-3456-7890",
        "email": "budi@mail.co.id",
        "nik": "6372041203900001",
    },
    "anonim": "tidak",
    "rahasia": 1,
    "instansi_tujuan": {"kode": "dinas-pupr-63", "nama": "Dinas PUPR Provinsi Kalimantan Selatan"},
    "lampiran": [
        {
            "nama_file": "foto1.jpg",
            "tipe": "image/jpeg",
            "ukuran": 123456,
            "sha256": "ab" * 32,
            "url": "http://portal/f/1",
        }
    ],
    "status": "baru",
    "dibuat_pada": "2026-03-12 09:15:00",
    "diperbarui_pada": "2026-03-12 10:02:11",
}


@pytest.fixture(scope="module")
def profile():
    return Profile.load(ROOT / "mappings" / "laporpaman.yaml")


def variant(**changes):
    record = copy.deepcopy(GOOD)
    for key, value in changes.items():
        if value is KeyError:
            record.pop(key)
        else:
            record[key] = value
    return record


def test_a_good_record_maps_every_field(profile):
    mapped = profile.map(GOOD, WITA)
    assert mapped.problems == [] and mapped.warnings == [] and mapped.review == []
    f = mapped.fields
    assert f["title"] == "Jalan berlubang di depan SDN 3"
    assert f["classification"] == "pengaduan"
    assert f["category"] == {
        "code": "pekerjaan_umum_penataan_ruang.jalan_jembatan",
        "label": "Jalan dan Jembatan",
    }
    assert f["location"] == {"text": GOOD["lokasi"], "region_code": "63.72"}
    assert f["incident_date"] == "2026-03-12"
    assert f["submitted_at"] == "2026-03-12T09:15:00+08:00"
    assert f["privacy"] == {"anonymous": False, "confidential": True}
    assert f["complainant"] == {
        "name": "Budi Santoso",
        "phone": "+6281234567890",
        "email": "budi@mail.co.id",
        "id_number": "6372041203900001",
    }
    assert f["target_agency"] == {
        "code": "dinas-pupr-63",
        "name": "Dinas PUPR Provinsi Kalimantan Selatan",
    }
    assert f["attachments"] == [
        {
            "filename": "foto1.jpg",
            "media_type": "image/jpeg",
            "size": 123456,
            "sha256": "ab" * 32,
            "url": "http://portal/f/1",
        }
    ]


@pytest.mark.parametrize(
    "change, path, source",
    [
        ({"isi": KeyError}, "$.body", "isi"),
        ({"isi": "   "}, "$.body", "isi"),
        ({"anonim": KeyError}, "$.privacy.anonymous", "anonim"),
        ({"rahasia": None}, "$.privacy.confidential", "rahasia"),
        ({"anonim": "mungkin"}, "$.privacy.anonymous", "anonim"),
        ({"dibuat_pada": "kemarin sore"}, "$.submitted_at", "dibuat_pada"),
        ({"dibuat_pada": "31/02/2026 25:61"}, "$.submitted_at", "dibuat_pada"),
        ({"judul": KeyError}, "$.title", "judul"),
    ],
    ids=[
        "no-body",
        "blank-body",
        "no-anonim",
        "null-rahasia",
        "unclear-anonim",
        "words-date",
        "bad-date",
        "no-title",
    ],
)
def test_a_bad_record_is_rejected_naming_the_field_and_its_source(profile, change, path, source):
    mapped = profile.map(variant(**change), WITA)
    assert [(p.path, p.source) for p in mapped.problems] == [(path, source)]


def test_privacy_flags_are_never_defaulted(profile):
    mapped = profile.map(variant(anonim=KeyError, rahasia=KeyError), WITA)
    assert "privacy" not in mapped.fields
    assert {p.path for p in mapped.problems} == {"$.privacy.anonymous", "$.privacy.confidential"}


def test_unknown_category_falls_back_keeping_the_raw_value_for_review(profile):
    mapped = profile.map(variant(kategori="Pungutan Liar di Pasar"), WITA)
    assert mapped.problems == []
    assert mapped.fields["category"] == {"code": "topik_lainnya", "label": "Topik Lainnya"}
    assert mapped.fields["source"] == {"category_value": "Pungutan Liar di Pasar"}
    assert mapped.review == [
        {
            "field": "$.category",
            "reason": "unknown value, fallback used from table 'categories'",
            "source": "kategori",
        }
    ]


@pytest.mark.parametrize(
    "field, value, target",
    [("hp", "08-12ab", "phone"), ("email", "budi@@mail", "email"), ("nik", "1234", "id_number")],
)
def test_malformed_contact_data_is_dropped_with_a_warning_that_hides_the_value(
    profile, field, value, target
):
    record = variant(pelapor={**GOOD["pelapor"], field: value})
    mapped = profile.map(record, WITA)
    assert mapped.problems == []
    assert target not in mapped.fields["complainant"]
    assert (
        len(mapped.warnings) == 1
        and f"$.complainant.{target} left out: the value" in mapped.warnings[0]
    )
    assert value not in mapped.warnings[0]


def test_place_without_a_known_region_keeps_the_text_and_warns(profile):
    mapped = profile.map(variant(lokasi="Di depan rumah saya"), WITA)
    assert mapped.problems == []
    assert mapped.fields["location"] == {"text": "Di depan rumah saya"}
    assert "location.region_code" in mapped.warnings[0]


def test_personal_sources_are_the_complainant_fields(profile):
    assert profile.personal_sources() == [
        "pelapor.email",
        "pelapor.hp",
        "pelapor.nama",
        "pelapor.nik",
    ]


def test_profile_problems_are_all_reported_at_once(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("""
profile: broken
channel: portal
fields:
  titel: {from: judul, transforms: [trimm]}
  body: {from: isi, transforms: [{table: nope}]}
  category: {from: kategori, transforms: [{truncate: null}], raw_to: category.raw}
  privacy.anonymous: {from: anonim, on_error: ignore}
""")
    with pytest.raises(ProfileError) as caught:
        Profile.load(bad)
    text = str(caught.value)
    # schema problems come first (on_error: ignore), so fix that and look again
    assert "on_error" in text
    bad.write_text(bad.read_text().replace("on_error: ignore", "on_error: drop"))
    with pytest.raises(ProfileError) as caught:
        Profile.load(bad)
    problems = caught.value.problems
    assert "fields.titel: the national report has no field 'titel'" in problems
    assert any("unknown transform 'trimm' (known: boolean, date, datetime" in p for p in problems)
    assert "fields.body.transforms[0]: unknown table 'nope' (tables: none)" in problems
    assert any(
        p.startswith("fields.category.transforms[0]: transform 'truncate' needs an argument")
        for p in problems
    )
    assert "fields.category: the national report has no field 'category.raw'" in problems
    assert len(problems) == 5
