"""The portal channel against the real portal simulator over HTTP: walks, cursors,
paging styles, quirks (overlapping pages, a stale repeated page, an edit during the
walk), faults and a second portal onboarded with a profile only."""

from __future__ import annotations

from datetime import datetime

import pytest
import requests
from peers import PORTAL_TOKEN, V2_PROFILE, connector_config, running_portal
from sqlalchemy import func, select

from connector import channels as channel_kinds
from connector.errors import SourceRejectedError, SourceUnavailableError
from connector.intake.normalize import Normalizer
from connector.intake.pipeline import get_cursor, pull_channel
from connector.store.db import Store
from connector.store.models import Complaint, IntakeItem, QuarantineItem


def setup(tmp_path, portal_url, **channel):
    config = connector_config(tmp_path, "http://127.0.0.1:9", portal_url, channel=channel)
    store = Store(config.store_url)
    store.upgrade()
    ch = channel_kinds.build(config)["laporpaman"]
    return store, ch, Normalizer(ch.profile, config.connector_id, config.tz, ch.record)


def tally(store):
    with store.transaction() as s:
        return {
            "complaints": s.scalar(select(func.count()).select_from(Complaint)),
            "quarantined": s.scalar(select(func.count()).select_from(QuarantineItem)),
            "refs": set(s.scalars(select(Complaint.source_ref))),
            "q_refs": set(s.scalars(select(QuarantineItem.external_id))),
            "cursor": get_cursor(s, "laporpaman"),
        }


def expected(sim):
    listing = sim.expected()
    return {str(i) for i in listing["good"]}, {str(i) for i in listing["bad"]}


def test_a_full_walk_takes_every_record_once_and_sets_the_cursor(tmp_path):
    with running_portal(complaints=120) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url)
        stats = pull_channel(store, channel, normalize)
        good, bad = expected(sim)
        now = tally(store)
        assert now["refs"] == good and now["q_refs"] == bad
        assert (
            stats.accepted == len(good) and stats.quarantined == len(bad) and stats.duplicates == 0
        )
        newest = max(
            datetime.strptime(r["diperbarui_pada"], "%Y-%m-%d %H:%M:%S")
            for r in sim.updated_since(None)
        )
        cursor = datetime.fromisoformat(now["cursor"])
        assert (
            0 < (newest.replace(tzinfo=channel.tz) - cursor).total_seconds() <= 300
        )  # newest minus the overlap
        again = pull_channel(store, channel, normalize)
        assert (
            again.accepted == again.quarantined == 0
        )  # only the overlap window came back, as repeats
        assert again.received == again.duplicates


def test_an_incremental_pull_brings_new_and_changed_records_only(tmp_path):
    with running_portal(complaints=60) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url)
        pull_channel(store, channel, normalize)
        new_ids = requests.post(server.url + "/_sim/records", json={"count": 5}, timeout=5).json()[
            "ids"
        ]
        changed = sorted(expected(sim)[0])[0]
        requests.post(
            f"{server.url}/_sim/records/{changed}/touch", json={"status": "proses"}, timeout=5
        )
        stats = pull_channel(store, channel, normalize)
        assert stats.accepted == 5 and stats.revisions == 1
        assert {str(i) for i in new_ids} <= tally(store)["refs"]


def test_overlapping_pages_give_one_complaint_each(tmp_path):
    with running_portal(complaints=100, page_overlap=4) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url)
        stats = pull_channel(store, channel, normalize)
        good, bad = expected(sim)
        assert tally(store)["refs"] == good
        assert stats.duplicates > 0 and stats.accepted == len(good)


def test_a_page_served_twice_stops_the_walk_without_moving_the_cursor(tmp_path):
    with running_portal(complaints=100, repeat_page_once=3) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url)
        with pytest.raises(SourceUnavailableError, match="page 3 repeats page 2"):
            pull_channel(store, channel, normalize)
        assert tally(store)["cursor"] is None
        assert tally(store)["complaints"] > 0  # the pages before it are kept
        pull_channel(store, channel, normalize)
        assert tally(store)["refs"] == expected(sim)[0]


class EditDuringWalk:
    """Wraps a channel: after the first page, a citizen edits a record that page held."""

    def __init__(self, channel, portal_url, record_id):
        self.channel, self.url, self.record_id = channel, portal_url, record_id
        self.id = channel.id

    def fetch(self, cursor):
        for i, batch in enumerate(self.channel.fetch(cursor)):
            yield batch
            if i == 0:
                requests.post(f"{self.url}/_sim/records/{self.record_id}/touch", timeout=5)

    def acknowledge(self, items):
        pass

    def __getattr__(self, name):  # everything else as the wrapped channel does it
        return getattr(self.channel, name)


def test_a_record_edited_during_the_walk_does_not_hide_the_records_behind_it(tmp_path):
    with running_portal(complaints=100) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url)
        first_page = sim.updated_since(None)[:25]
        moved = first_page[2]["id"]
        pull_channel(store, EditDuringWalk(channel, server.url, moved), normalize)
        cursor = datetime.fromisoformat(tally(store)["cursor"])
        first_time = datetime.strptime(
            first_page[2]["diperbarui_pada"], "%Y-%m-%d %H:%M:%S"
        ).replace(tzinfo=channel.tz)
        assert cursor <= first_time  # held back to before the edited record's old place
        pull_channel(store, channel, normalize)
        assert tally(store)["refs"] == expected(sim)[0]


def test_next_link_paging(tmp_path):
    profile = tmp_path / "next-link.yaml"
    text = (V2_PROFILE.parent.parent.parent / "mappings" / "laporpaman.yaml").read_text()
    text = text.replace(
        "    style: page_number\n    page_param: page\n    first_page: 1\n    last_page: meta.last_page\n",
        "    style: next_link\n    next_link: links.next\n",
    )
    assert "next_link: links.next" in text
    profile.write_text(text)
    with running_portal(complaints=70) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url, profile=str(profile))
        pull_channel(store, channel, normalize)
        assert tally(store)["refs"] == expected(sim)[0]


def test_another_portal_shape_is_onboarded_with_a_profile_alone(tmp_path):
    with running_portal(complaints=90) as (sim, server):
        store, channel, normalize = setup(
            tmp_path,
            server.url,
            profile=str(V2_PROFILE),
            page_size=20,
            credentials={"api_key": PORTAL_TOKEN, "token": None},
        )
        pull_channel(store, channel, normalize)
        good, bad = expected(sim)
        now = tally(store)
        assert now["refs"] == {f"KS-{i}" for i in good} and now["q_refs"] == {
            f"KS-{i}" for i in bad
        }
        with store.transaction() as s:
            report = (
                s.scalars(select(Complaint).where(Complaint.source_ref == f"KS-{min(good)}"))
                .one()
                .report
            )
        record = sim.get(int(min(good)))
        assert report["title"] == record["judul"].strip() and report["privacy"]["anonymous"] == (
            record["anonim"] == "ya"
        )
        assert report["submitted_at"].endswith("+08:00")


def test_a_portal_that_fails_briefly_is_retried_within_the_pull(tmp_path):
    with running_portal(complaints=30) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url)
        requests.post(server.url + "/_sim/faults", json={"status": 503, "times": 1}, timeout=5)
        pull_channel(store, channel, normalize)
        assert tally(store)["refs"] == expected(sim)[0]


def test_a_portal_that_stays_down_leaves_everything_for_the_next_cycle(tmp_path):
    with running_portal(complaints=30) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url)
        requests.post(server.url + "/_sim/faults", json={"status": 503, "times": 5}, timeout=5)
        with pytest.raises(SourceUnavailableError, match="HTTP 503"):
            pull_channel(store, channel, normalize)
        assert tally(store)["complaints"] == 0 and tally(store)["cursor"] is None
        requests.delete(server.url + "/_sim/faults", timeout=5)
        pull_channel(store, channel, normalize)
        assert tally(store)["refs"] == expected(sim)[0]


def test_wrong_credentials_are_a_permanent_refusal_and_store_nothing(tmp_path):
    with running_portal(complaints=10) as (sim, server):
        store, channel, normalize = setup(tmp_path, server.url, credentials={"token": "wrong"})
        with pytest.raises(SourceRejectedError, match="HTTP 401"):
            pull_channel(store, channel, normalize)
        with store.transaction() as s:
            assert s.scalar(select(func.count()).select_from(IntakeItem)) == 0
        assert channel.probe().ok is False


def test_probe_reports_a_reachable_portal(tmp_path):
    with running_portal(complaints=10) as (sim, server):
        _, channel, _ = setup(tmp_path, server.url)
        result = channel.probe()
        assert result.ok and "first page holds" in result.detail
