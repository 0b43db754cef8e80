"""Portal behaviour the simulator does not offer, checked at the HTTP seam with
`responses`: basic auth and a key in the query (the right credential goes out, and only
there), the cursor's format on the wire, and records that lack their id."""

from __future__ import annotations

import base64
from zoneinfo import ZoneInfo

import pytest
import responses
from peers import LAPORPAMAN, connector_config
from responses import matchers
from sqlalchemy import select

from connector import channels as channel_kinds
from connector.errors import ConfigError
from connector.intake.normalize import Normalizer
from connector.intake.pipeline import pull_channel
from connector.store.db import Store
from connector.store.models import QuarantineItem

BASE = "http://portal.test"


def channel_with(tmp_path, auth_yaml: str, credentials: dict):
    profile = tmp_path / "profile.yaml"
    profile.write_text(
        LAPORPAMAN.read_text().replace("  auth: {type: bearer}", f"  auth: {auth_yaml}")
    )
    config = connector_config(
        tmp_path,
        "http://127.0.0.1:9",
        BASE,
        channel={"profile": str(profile), "credentials": {"token": None, **credentials}},
    )
    return channel_kinds.build(config)["laporpaman"]


def empty_page():
    return {"data": [], "meta": {"last_page": 1}, "links": {"next": None}}


@responses.activate
def test_basic_auth(tmp_path):
    channel = channel_with(
        tmp_path, "{type: basic}", {"username": "kominfo", "password": "rahasia"}
    )
    expected = "Basic " + base64.b64encode(b"kominfo:rahasia").decode()
    responses.get(
        BASE + "/api/aduan",
        json=empty_page(),
        match=[matchers.header_matcher({"Authorization": expected})],
    )
    batches = list(channel.fetch(None))
    assert [b.items for b in batches] == [[]]


@responses.activate
def test_api_key_in_the_query(tmp_path):
    channel = channel_with(tmp_path, "{type: query, name: api_key}", {"api_key": "k-123"})
    responses.get(
        BASE + "/api/aduan",
        json=empty_page(),
        match=[matchers.query_param_matcher({"api_key": "k-123", "per_page": "25", "page": "1"})],
    )
    list(channel.fetch(None))
    assert "Authorization" not in responses.calls[0].request.headers


@responses.activate
def test_the_cursor_goes_out_in_the_profiles_format_and_zone(tmp_path):
    channel = channel_with(tmp_path, "{type: basic}", {"username": "u", "password": "p"})
    responses.get(
        BASE + "/api/aduan",
        json=empty_page(),
        match=[
            matchers.query_param_matcher(
                {"diperbarui_sejak": "2026-03-01 08:00:00", "per_page": "25", "page": "1"}
            )
        ],
    )
    batches = list(channel.fetch("2026-03-01T00:00:00+00:00"))  # 00:00 UTC is 08:00 WITA
    assert batches[-1].cursor is None  # nothing seen: the cursor stays


def test_a_missing_credential_for_the_auth_type_is_a_config_error(tmp_path):
    with pytest.raises(
        ConfigError, match="credentials.password: required by the profile's auth type 'basic'"
    ):
        channel_with(tmp_path, "{type: basic}", {"username": "u"})


@responses.activate
def test_a_record_without_an_id_is_quarantined_not_dropped(tmp_path):
    channel = channel_with(tmp_path, "{type: basic}", {"username": "u", "password": "p"})
    record = {
        "judul": "Tanpa nomor",
        "isi": "x",
        "anonim": "tidak",
        "rahasia": 0,
        "dibuat_pada": "2026-03-01 10:00:00",
        "diperbarui_pada": "2026-03-01 10:00:00",
    }
    responses.get(BASE + "/api/aduan", json={"data": [record], "meta": {"last_page": 1}})
    store = Store(f"sqlite:///{tmp_path / 'c.db'}")
    store.upgrade()
    stats = pull_channel(
        store,
        channel,
        Normalizer(channel.profile, "kalsel", ZoneInfo("Asia/Makassar"), channel.record),
    )
    assert stats.quarantined == 1
    with store.transaction() as s:
        row = s.scalars(select(QuarantineItem)).one()
    assert row.external_id.startswith("no-id:")
    assert row.problems == [
        {"path": "$.source.source_ref", "message": "the record has no id at 'id'"}
    ]
