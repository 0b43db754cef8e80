"""Every report the connector can produce fits the published contract, judged by a
validator built here from `schemas/report.schema.json` itself (not by the connector's own
validation): each shipped mapping over its fixtures and the simulators' data, the email
corpus and SMS texts included. A mapping that emitted a field the schema does not have,
or an empty or blank string, would fail here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator
from peers import PORTAL_TOKEN, ROOT, V2_PROFILE, connector_config, running_portal
from sqlalchemy import select

from connector import channels as channel_kinds
from connector.channels.base import RawItem
from connector.intake.normalize import Normalizer
from connector.intake.pipeline import pull_channel
from connector.store.db import Store
from connector.store.models import Complaint, QuarantineItem
from lapor_testbed.sim.sms_gateway import messages

SCHEMA = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
CORPUS = Path(__file__).resolve().parent / "corpus" / "email"


def contract_errors(report: dict) -> list[str]:
    found = [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(report)]
    return found + [f"{path}: blank" for path in _blank_strings(report, "$")]


def _blank_strings(value, path):
    if isinstance(value, str) and not value.strip():
        yield path
    elif isinstance(value, dict):
        for key, inner in value.items():
            yield from _blank_strings(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _blank_strings(inner, f"{path}[{i}]")


def pulled(tmp_path, portal_url: str, **channel) -> tuple[list[dict], int]:
    """(every complaint's report, how many were quarantined) after one walk of the portal."""
    config = connector_config(tmp_path, "http://127.0.0.1:9", portal_url, channel=channel)
    store = Store(config.store_url)
    store.upgrade()
    ch = channel_kinds.build(config)["laporpaman"]
    pull_channel(store, ch, Normalizer(ch.profile, config.connector_id, config.tz, ch.record))
    with store.transaction() as session:
        reports = [c.report for c in session.scalars(select(Complaint))]
        quarantined = len(list(session.scalars(select(QuarantineItem))))
    store.dispose()
    return reports, quarantined


@pytest.mark.parametrize(
    "profile, extra",
    [
        (ROOT / "mappings" / "laporpaman.yaml", {}),
        (V2_PROFILE, {"credentials": {"api_key": PORTAL_TOKEN, "token": None}}),
    ],
    ids=["laporpaman", "complaints-v2"],
)
def test_every_portal_report_of_the_simulator_fits_the_contract(tmp_path, profile, extra):
    with running_portal(complaints=400, bad_share=0.05) as (sim, portal):
        reports, quarantined = pulled(
            tmp_path, portal.url, profile=str(profile), page_size=100, **extra
        )
        good, bad = len(sim.expected()["good"]), len(sim.expected()["bad"])
    assert (len(reports), quarantined) == (good, bad)
    assert {r["source"].get("category_value") is not None for r in reports} == {
        True,
        False,
    }  # fallbacks included
    assert {
        ref: contract_errors(r)
        for r, ref in ((r, r["source"]["source_ref"]) for r in reports)
        if contract_errors(r)
    } == {}


def test_the_shipped_sample_record_maps_to_a_report_that_fits_the_contract():
    from zoneinfo import ZoneInfo

    from connector.mapping.profile import Profile

    profile = Profile.load(ROOT / "mappings" / "laporpaman.yaml")
    record = json.loads(
        (ROOT / "mappings" / "samples" / "laporpaman-record.json").read_text(encoding="utf-8")
    )
    result = Normalizer(profile, "kalsel", ZoneInfo("Asia/Makassar"))(
        RawItem("laporpaman", "1234", json.dumps(record).encode())
    )
    assert result.ok and contract_errors(result.report) == []


def _channel(tmp_path, settings: dict):
    config = connector_config(
        tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9", channels=[settings]
    )
    ch = channel_kinds.build(config)[settings["id"]]
    return ch, Normalizer(ch.profile, config.connector_id, config.tz, ch.record)


def test_every_complaint_of_the_email_corpus_fits_the_contract(tmp_path):
    ch, normalize = _channel(
        tmp_path,
        {
            "id": "pengaduan-email",
            "kind": "email",
            "profile": str(ROOT / "mappings" / "email.yaml"),
            "imap": {"host": "127.0.0.1", "port": 9, "username": "u", "password": "p"},
            "smtp": {"host": "127.0.0.1", "port": 9, "from_address": "pengaduan@kalselprov.go.id"},
            "message_id_domain": "lapor-connector.kalselprov.go.id",
        },
    )
    expected = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
    complaints = [name for name, facts in expected.items() if facts.get("outcome") == "complaint"]
    assert len(complaints) > 30
    found = {}
    for name in complaints:
        raw = (CORPUS / name).read_bytes()
        result = normalize(ch._item(raw, 1, 1))
        if result.ok:
            found[name] = contract_errors(result.report)
        else:
            assert all(p.path != "$" for p in result.problems), (
                name
            )  # a readable mail, refused for its content
    assert len(found) > 30 and {name: errors for name, errors in found.items() if errors} == {}
    assert any(
        "location" not in r
        for r in (normalize(ch._item((CORPUS / n).read_bytes(), 1, 1)).report for n in found)
    )  # a mail naming no place sends no location


SMS_TEXTS = [
    "LAPORPAMAN Jalan rusak di Jl. A. Yani km 5 Banjarbaru",
    "LAPORPAMAN ANONIM lampu jalan mati sudah seminggu",
    "lapor rahasia ada pungli di kantor kelurahan Kec. Cempaka Kota Banjarbaru",
    "Air PDAM mati tiga hari, mohon dibantu 🙏",
    "LAPORPAMAN " + "sampah menumpuk di TPS dekat pasar " * 8,
    "LAPOR: banjir setinggi lutut di Martapura",
]


def test_every_sms_report_fits_the_contract(tmp_path):
    ch, normalize = _channel(
        tmp_path,
        {
            "id": "sms-1708",
            "kind": "sms_webhook",
            "profile": str(ROOT / "mappings" / "sms.yaml"),
            "secret": "x" * 20,
            "fields": {"sender": "from", "text": "text", "id": "id", "time": "timestamp"},
        },
    )
    texts = [(f"t-{i}", "6281234567890", text) for i, text in enumerate(SMS_TEXTS)]
    texts += [(m.id, m.sender, m.text) for m in messages(200, seed=3)]
    reports = []
    for ident, sender, text in texts:
        item = RawItem(
            "sms-1708",
            f"webhook:{ident}",
            json.dumps(
                {"id": ident, "from": sender, "text": text, "timestamp": 1772500000}
            ).encode(),
            "application/json",
        )
        result = normalize(item)
        assert result.ok, (text, [str(p) for p in result.problems])
        reports.append(result.report)
    assert {
        ident: contract_errors(r)
        for (ident, _, _), r in zip(texts, reports, strict=True)
        if contract_errors(r)
    } == {}
    assert any("location" not in r for r in reports) and any(
        r.get("location", {}).get("text") for r in reports
    )
    assert all(len(r["title"]) <= 200 and r["title_derived"] is True for r in reports)
