"""What the connector does with the hub's capabilities: reading them from the hub's own
OpenAPI document, and each degraded path taken against a real hub when one is missing
(here the reference hub, with the connector told the capability is absent; the same
paths against a strict hub that really lacks them, `audit verify` included, are in
tests/test_strict_pipeline.py)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
import requests
from click.testing import CliRunner
from hub_helpers import ADMIN_TOKEN
from peers import act, connected_world, drain, hub_report, local_follow_up
from sqlalchemy import select

from connector.cli.main import main
from connector.delivery import capabilities as hub_capabilities
from connector.delivery.capabilities import HubCapabilities
from connector.outbox import queue as outbox
from connector.store.models import Complaint, OutboxItem, StatusUpdate
from connector.sync.poll import national_updates
from lapor_exchange import capabilities as C
from lapor_exchange.digest import buckets_for

EVERY = {C.CORE, *C.OPTIONAL}


def without(connector, *missing: str) -> None:
    connector.capabilities.set(EVERY - set(missing), datetime.now(timezone.utc))


def test_discovery_reads_the_hubs_document_keeps_it_and_status_shows_it(tmp_path, caplog):
    with connected_world(tmp_path, complaints=3) as (_, hub, _, _, connector):
        caplog.set_level(logging.WARNING)
        assert connector.discover(announce=True)
        assert connector.capabilities.offered == EVERY and connector.capabilities.missing == []
        assert not [r for r in caplog.records if "does not offer" in r.getMessage()]
        with connector.store.transaction() as session:
            assert hub_capabilities.load(session).offered == EVERY
        out = CliRunner().invoke(main, ["status", "-c", str(tmp_path / "config.yaml")]).output
        assert (
            "hub capabilities (read " in out
            and "core, updates-feed, status-push, reconcile-digests, audit-checkpoints, statistics"
            in out
            and "not offered" not in out
        )


def test_an_unreachable_hub_leaves_the_last_known_capabilities(tmp_path, caplog):
    with connected_world(tmp_path, complaints=1) as (_, _, _, _, connector):
        connector.discover()
        with connector.store.transaction() as session:
            hub_capabilities.save(
                session, HubCapabilities([C.CORE, C.STATUS_PUSH], datetime.now(timezone.utc))
            )
        fresh = HubCapabilities()
        connector.hub.base = "http://127.0.0.1:9/api/v1"  # nothing listens on the discard port
        caplog.set_level(logging.WARNING)
        assert not hub_capabilities.discover(connector.store, connector.hub, fresh)
        assert fresh.offered == {C.CORE, C.STATUS_PUSH}
        assert any("hub capabilities not read" in r.getMessage() for r in caplog.records)


def test_a_missing_capability_is_logged_once_with_what_is_done_instead(tmp_path, caplog):
    with connected_world(tmp_path, complaints=1) as (_, _, _, _, connector):
        document = connector.hub.document()
        for path in ("/api/v1/updates:batch", "/api/v1/stats"):
            del document["paths"][path]
        connector.hub.document = lambda: document
        caplog.set_level(logging.WARNING)
        assert connector.discover(announce=True)
        lines = [r.getMessage() for r in caplog.records if "does not offer" in r.getMessage()]
        assert lines == [
            "hub does not offer status-push (POST /api/v1/updates:batch): local follow-ups wait in the outbox "
            "(held) until the hub offers it",
            "hub does not offer statistics (GET /api/v1/stats): nothing uses it",
        ]


def test_without_status_push_follow_ups_are_held_visible_and_sent_when_it_comes(tmp_path):
    with connected_world(tmp_path, complaints=4) as (_, hub, sim, portal, connector):
        without(connector, C.STATUS_PUSH)
        record = next(
            r for r in sim.updated_since(None) if r["status"] == "baru" and not r["tanggapan"]
        )
        local_follow_up(portal, record["id"], isi="Sudah ditinjau petugas.", status="proses")
        drain(connector)  # nothing due: held rows wait for the capability, not for time
        with connector.store.transaction() as session:
            held = list(session.scalars(select(OutboxItem).where(OutboxItem.state == "held")))
            assert [(r.kind, r.target, r.last_error_code) for r in held] == [
                ("status_update", "hub", "capability_missing")
            ]
            assert outbox.next_due_in(session, connector.deliverer.route_keys) is None
        out = CliRunner().invoke(main, ["status", "-c", str(tmp_path / "config.yaml")]).output
        assert (
            "status_update → hub: delivered" in out
            and "held 1 (waiting for hub capability status-push)" in out
        )
        dead = CliRunner().invoke(main, ["dlq", "list", "-c", str(tmp_path / "config.yaml")]).output
        assert "status_update" not in dead
        without(connector)  # the hub now offers everything
        drain(connector)
        with connector.store.transaction() as session:
            row = session.get(OutboxItem, held[0].id)
            assert row.state == "delivered" and row.attempts == 1
            complaint = session.get(Complaint, row.complaint_id)
        assert hub_report(hub, complaint.tracking_id)["status"] == "ditindaklanjuti"


def test_without_the_feed_national_updates_come_by_asking_report_by_report(tmp_path):
    with connected_world(tmp_path, complaints=5) as (_, hub, sim, portal, connector):
        without(connector, C.UPDATES_FEED)
        with connector.store.transaction() as session:
            target = session.scalars(
                select(Complaint)
                .where(Complaint.status == "belum_terverifikasi")
                .order_by(Complaint.id)
            ).first()
        assert (
            act(
                hub, target.tracking_id, status="terverifikasi", message="Laporan diverifikasi."
            ).status_code
            == 201
        )
        stats = connector.pull_hub()
        assert stats.applied == 1
        with connector.store.transaction() as session:
            complaint = session.get(Complaint, target.id)
            assert complaint.status == "terverifikasi" and complaint.hub_checked_at is not None
            [update] = session.scalars(
                select(StatusUpdate).where(
                    StatusUpdate.complaint_id == target.id, StatusUpdate.origin == "hub"
                )
            )
            assert update.state == "applied" and update.update_id.startswith("hub-")
        drain(connector)  # pushed on to the portal, as a feed update would be
        record = next(r for r in sim.updated_since(None) if str(r["id"]) == target.source_ref)
        assert record["tanggapan"][-1]["isi"] == "Laporan diverifikasi."
        assert connector.pull_hub().applied == 0  # asked again: nothing new


def test_polling_asks_the_longest_unasked_open_reports_first_a_batch_at_a_time(tmp_path):
    with connected_world(
        tmp_path, complaints=16, sync={"poll_batch": 4, "poll_rate_per_s": 1000}
    ) as (_, hub, _, _, connector):
        without(connector, C.UPDATES_FEED)
        asked = []
        real = connector.hub.get_report
        connector.hub.get_report = lambda tid: asked.append(tid) or real(tid)
        connector.pull_hub()
        connector.pull_hub()
        with connector.store.transaction() as session:
            ids = list(
                session.scalars(
                    select(Complaint.tracking_id)
                    .where(Complaint.status.notin_(("selesai", "diarsipkan")))
                    .order_by(Complaint.id)
                )
            )
        assert len(ids) >= 5
        assert asked == ids[:4] + (ids[4:] + ids)[:4]


@pytest.mark.parametrize(
    "stored, current, expected",
    [
        (
            {
                "tracking_id": "T-1",
                "status": "terverifikasi",
                "status_at": "2026-03-02T10:00:00+00:00",
            },
            ("belum_terverifikasi", None),
            ["terverifikasi"],
        ),
        (
            {
                "tracking_id": "T-1",
                "status": "terverifikasi",
                "status_at": "2026-03-02T10:00:00+00:00",
            },
            ("ditindaklanjuti", datetime(2026, 3, 3, tzinfo=timezone.utc)),
            [],
        ),
        (
            {"tracking_id": "T-1", "status": "belum_terverifikasi", "status_at": None},
            ("belum_terverifikasi", None),
            [],
        ),
        (
            {
                "tracking_id": "T-1",
                "status": "selesai",
                "status_at": "2026-03-02T10:00:00+00:00",
                "updates": [
                    {
                        "schema_version": "1",
                        "update_id": "h1",
                        "tracking_id": "T-1",
                        "origin": {"side": "hub"},
                        "actor": "admin_nasional",
                        "status": "selesai",
                        "occurred_at": "2026-03-02T10:00:00+00:00",
                        "seq": 4,
                        "outcome": "applied",
                    },
                    {
                        "schema_version": "1",
                        "update_id": "r1",
                        "tracking_id": "T-1",
                        "origin": {"side": "region"},
                        "actor": "admin_daerah",
                        "message": "x",
                        "occurred_at": "2026-03-01T10:00:00+00:00",
                    },
                ],
            },
            ("belum_terverifikasi", None),
            ["selesai"],
        ),
    ],
    ids=["hub-status-newer", "ours-newer", "same-status", "history-hub-side-only"],
)
def test_national_updates_from_a_stored_report(stored, current, expected):
    found = national_updates(stored, *current)
    assert [u["status"] for u in found] == expected
    assert all(
        set(u)
        <= {
            "schema_version",
            "update_id",
            "tracking_id",
            "origin",
            "actor",
            "status",
            "message",
            "source_status",
            "occurred_at",
        }
        and u["origin"] == {"side": "hub"}
        for u in found
    )


def test_without_digests_reconciliation_walks_the_listing_and_finds_the_same(tmp_path):
    with connected_world(tmp_path, complaints=12) as (_, hub, _, _, connector):
        without(connector, C.RECONCILE_DIGESTS, C.AUDIT_CHECKPOINTS)
        called = []
        connector.hub.reconcile_digest = lambda *a: called.append("digest")
        run = connector.reconciler().run()
        assert (run.method, run.ours, run.theirs, sum(run.counts.values())) == (
            "listing",
            12,
            12,
            0,
        )
        assert run.buckets == buckets_for(12) and run.checkpoint_seq is None and run.error is None
        with connector.store.transaction() as session:
            lost = session.scalars(select(Complaint).order_by(Complaint.id)).first()
        requests.delete(
            f"{hub.url}/api/v1/admin/reports/{lost.tracking_id}",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        ).raise_for_status()
        run = connector.reconciler().run(repair=True)
        assert run.counts["missing_at_hub"] == 1 and run.differing_buckets == 1
        drain(connector)
        assert sum(connector.reconciler().run().counts.values()) == 0
        assert (
            called == [] and connector.hub.checkpoints() == []
        )  # neither digests nor checkpoints were used


def test_the_connector_reads_capabilities_before_its_first_delivery(tmp_path):
    with connected_world(tmp_path, complaints=2) as (_, _, _, _, connector):
        assert (
            connector.capabilities.checked_at is not None
            and connector.capabilities.offered == EVERY
        )
        when = connector.capabilities.checked_at
        connector.deliver()
        assert connector.capabilities.checked_at == when  # read once, then on the daemon's schedule
        assert when > datetime.now(timezone.utc) - timedelta(minutes=5)


def test_the_daemon_says_at_start_what_the_hub_lacks_one_line_each(tmp_path, caplog):
    from peers import connector_config, running_portal

    from connector.daemon import Daemon
    from lapor_exchange.conformance.strict_hub import StrictHub

    hub = StrictHub({"daemon-token": "kalsel"}, capabilities=(C.UPDATES_FEED, C.STATISTICS))
    with hub.serve(), running_portal(complaints=3) as (_, portal):
        caplog.set_level(logging.INFO)
        daemon = Daemon(
            connector_config(tmp_path, hub.url, portal.url, hub={"token": "daemon-token"})
        )
        daemon.start()
        try:
            lines = [r.getMessage() for r in caplog.records if "does not offer" in r.getMessage()]
        finally:
            daemon.stop()
    assert [line.split(" (")[0] for line in lines] == [
        "hub does not offer status-push",
        "hub does not offer reconcile-digests",
        "hub does not offer audit-checkpoints",
    ]
    assert daemon.connector.capabilities.offered == {C.CORE, C.UPDATES_FEED, C.STATISTICS}
