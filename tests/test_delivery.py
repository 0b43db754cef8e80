"""Delivery to the real reference hub over HTTP, with the hub misbehaving on purpose:
outages, rate limits, connections dropped after the hub saved, conflicts and bad tokens.
Every test ends by checking the hub itself: each good complaint there exactly once."""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest
from click.testing import CliRunner
from hub_helpers import KALSEL_TOKEN, auth, running_hub
from peers import drain, make_connector, running_portal
from sqlalchemy import select

from connector.cli.main import main
from connector.daemon import Connector
from connector.delivery.hub_client import HubClient
from connector.outbox import queue as outbox
from connector.store.models import Complaint, OutboxItem
from connector.timeutil import utcnow
from lapor_hub.store import HubAnswer


def hub_view(server) -> dict[str, str]:
    """source_ref -> tracking id, for every report at the hub; fails on a duplicate key."""
    reports = list(HubClient(server.url, KALSEL_TOKEN).list_reports())
    refs = Counter(r["report"]["source"]["source_ref"] for r in reports)
    assert all(n == 1 for n in refs.values()), [r for r, n in refs.items() if n > 1]
    return {r["report"]["source"]["source_ref"]: r["tracking_id"] for r in reports}


def connector_view(connector: Connector) -> dict[str, str | None]:
    with connector.store.transaction() as s:
        return {c.source_ref: c.tracking_id for c in s.scalars(select(Complaint))}


def good_refs(sim) -> set[str]:
    return {str(i) for i in sim.expected()["good"]}


@pytest.fixture
def peers(tmp_path):
    with running_hub(tmp_path) as (hub_app, hub), running_portal(complaints=120) as (sim, portal):
        yield hub_app, hub, sim, portal


def assert_all_delivered_once(connector, hub, sim):
    at_hub = hub_view(hub)
    assert set(at_hub) == good_refs(sim)
    assert connector_view(connector) == at_hub  # same tracking ids on both sides
    with connector.store.transaction() as s:
        assert outbox.counts(s, kind="report") == {"delivered": len(at_hub)}


def test_everything_reaches_the_hub_once_in_batches(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    connector = make_connector(tmp_path, hub, portal)
    drain(connector)
    assert_all_delivered_once(connector, hub, sim)
    with hub_app.extensions["lapor_hub"].sessions() as s:
        answers = s.scalars(select(HubAnswer.answered_at)).all()
    assert len(answers) == len(good_refs(sim))
    assert len(set(answers)) <= len(answers) / 40  # batches of 50, not one request per report


def test_a_hub_outage_holds_everything_and_loses_nothing(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    hub_app.extensions["lapor_hub"].faults.set([{"action": "status", "status": 503, "for_s": 3}])
    connector = make_connector(tmp_path, hub, portal)
    connector.cycle()
    with connector.store.transaction() as s:
        rows = s.scalars(select(OutboxItem)).all()
        tried = [r for r in rows if r.attempts]
        assert {r.state for r in rows} == {"pending"}
        assert (
            len(tried) == 50
        )  # the first batch failed; the cycle stopped instead of hammering the hub
        assert all(
            r.last_error_code == "hub_unavailable" and r.next_attempt_at > utcnow() for r in tried
        )
    drain(connector, timeout_s=30)
    assert_all_delivered_once(connector, hub, sim)


def test_retry_after_is_honoured(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    hub_app.extensions["lapor_hub"].faults.set(
        [{"action": "status", "status": 429, "retry_after": 2, "times": 1}]
    )
    connector = make_connector(tmp_path, hub, portal)
    refused_at = utcnow()
    connector.cycle()
    with connector.store.transaction() as s:
        first = s.scalars(select(OutboxItem).where(OutboxItem.attempts == 1)).all()
        assert first and all(r.next_attempt_at >= refused_at + timedelta(seconds=2) for r in first)
    drain(connector)
    with hub_app.extensions["lapor_hub"].sessions() as s:
        earliest = min(s.scalars(select(HubAnswer.answered_at)))
    assert earliest >= refused_at + timedelta(seconds=2)
    assert_all_delivered_once(connector, hub, sim)


def test_a_connection_dropped_after_the_hub_saved_is_not_a_duplicate(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    hub_app.extensions["lapor_hub"].faults.set([{"action": "drop_after_save", "times": 1}])
    connector = make_connector(tmp_path, hub, portal)
    drain(connector)
    assert_all_delivered_once(connector, hub, sim)
    stats = HubClient(hub.url, KALSEL_TOKEN).stats()
    assert stats["answers"]["duplicate"] == 50  # the dropped batch came again and was absorbed
    assert stats["reports"] == len(good_refs(sim))


def test_a_conflicting_report_is_dead_lettered_and_the_rest_flow(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    victim = sorted(good_refs(sim))[10]
    connector = make_connector(tmp_path, hub, portal)
    connector.pull("laporpaman")
    with connector.store.transaction() as s:
        other = dict(
            s.scalars(select(Complaint).where(Complaint.source_ref == victim)).one().report
        )
    other["title"] = "Judul yang diubah orang lain"
    hub_app.test_client().post("/api/v1/reports:batch", json={"reports": [other]}, headers=auth())
    drain(connector)
    with connector.store.transaction() as s:
        dead = outbox.dead(s)
        assert len(dead) == 1 and dead[0].last_error_code == "hub_conflict"
        assert "hub answered conflict" in dead[0].last_error
        assert outbox.counts(s, kind="report")["delivered"] == len(good_refs(sim)) - 1
    result = CliRunner().invoke(main, ["dlq", "list", "-c", str(connector.config.path)])
    assert (
        result.exit_code == 0
        and f"laporpaman/{victim}" in result.output
        and "hub_conflict" in result.output
    )


def test_a_wrong_token_dead_letters_the_batch_and_replay_delivers_it(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    connector = make_connector(tmp_path, hub, portal, hub={"token": "not-the-token"})
    connector.cycle()
    with connector.store.transaction() as s:
        assert outbox.counts(s, kind="report") == {"dead": len(good_refs(sim))}
        assert "HTTP 401" in outbox.dead(s, 1)[0].last_error
    connector.close()
    fixed = make_connector(tmp_path, hub, portal)
    shown = CliRunner().invoke(main, ["dlq", "show", "1", "-c", str(fixed.config.path)])
    assert shown.exit_code == 0 and "HTTP 401" in shown.output
    replayed = CliRunner().invoke(main, ["dlq", "replay", "--all", "-c", str(fixed.config.path)])
    assert replayed.exit_code == 0 and f"{len(good_refs(sim))} item(s) back" in replayed.output
    drain(fixed)
    assert_all_delivered_once(fixed, hub, sim)


def test_the_attempt_cap_dead_letters_instead_of_retrying_forever(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    hub_app.extensions["lapor_hub"].faults.set([{"action": "status", "status": 503, "for_s": 60}])
    connector = make_connector(
        tmp_path, hub, portal, retry={"max_attempts": 2, "base_delay_s": 0.1, "max_delay_s": 0.2}
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        connector.cycle()
        with connector.store.transaction() as s:
            if outbox.counts(s, kind="report").get("dead") == len(good_refs(sim)):
                break
        time.sleep(0.1)
    with connector.store.transaction() as s:
        dead = outbox.dead(s, 1000)
        assert len(dead) == len(good_refs(sim))
        assert all(
            r.attempts == 2 and r.last_error.startswith("gave up after 2 attempts") for r in dead
        )
    assert hub_view(hub) == {}


def test_dlq_show_masks_personal_data(tmp_path, peers):
    hub_app, hub, sim, portal = peers
    connector = make_connector(tmp_path, hub, portal, hub={"token": "not-the-token"})
    connector.cycle()
    with connector.store.transaction() as s:
        row = outbox.dead(s, 1)[0]
        report = s.get(Complaint, row.complaint_id).report
    shown = CliRunner().invoke(main, ["dlq", "show", str(row.id), "-c", str(connector.config.path)])
    assert shown.exit_code == 0
    complainant = report.get("complainant", {})
    assert complainant, "the seeded record should have a complainant"
    for value in complainant.values():
        assert value not in shown.output
    assert report["title"] in shown.output
