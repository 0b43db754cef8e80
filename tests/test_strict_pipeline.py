"""The whole pipeline against a strict hub built from the published documents alone
(lapor_exchange.conformance.StrictHub), never against our own hub's code: portal, email
and SMS complaints in; national decisions back to the portal and to the citizens; local
follow-ups and a citizen's reply up; reconciliation and the audit log. Once with a hub
that has only the core (every degraded path taken, and visible), once with a hub that
offers every capability. Either way the hub refuses nothing and nothing is logged as an
error."""

from __future__ import annotations

import logging
from contextlib import ExitStack

import pytest
from click.testing import CliRunner
from peers import ROOT, connector_config, drain, local_follow_up, running_portal
from sqlalchemy import select

from connector.cli.main import main
from connector.daemon import Connector
from connector.store.models import Complaint, OutboxItem, StatusUpdate
from connector.web.app import create_app
from lapor_exchange import capabilities as C
from lapor_exchange.conformance.strict_hub import StrictHub
from lapor_exchange.wsgi import ServerThread
from lapor_testbed.sim.sms_gateway import SmsGatewaySim, messages

TOKEN = "strict-token"
SMS_SECRET = "strict-pipeline-sms-secret"
EMAIL_DOMAIN = "lapor-connector.kalselprov.go.id"
COMPLAINT_MAIL = (
    b"From: Budi Santoso <budi.santoso@example.id>\r\nTo: pengaduan@kalselprov.go.id\r\n"
    b"Subject: Jalan rusak parah di Jl. A. Yani Km 32 Banjarbaru\r\nMessage-ID: <strict-1@mail.example.id>\r\n"
    b"Date: Tue, 03 Mar 2026 08:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Jalan di Jl. A. Yani Km 32 Banjarbaru berlubang besar sejak sebulan.\r\n"
)


class World:
    def __init__(
        self,
        hub: StrictHub,
        connector: Connector,
        sim,
        portal,
        gateway: SmsGatewaySim,
        inbound: str,
        config,
    ):
        self.hub, self.connector, self.sim, self.portal, self.gateway = (
            hub,
            connector,
            sim,
            portal,
            gateway,
        )
        self.inbound, self.config = inbound, config

    def complaints(self, channel_id: str) -> list[Complaint]:
        with self.connector.store.transaction() as session:
            return list(
                session.scalars(
                    select(Complaint)
                    .where(Complaint.channel_id == channel_id)
                    .order_by(Complaint.id)
                )
            )


@pytest.fixture(params=["core-only", "every-capability"])
def world(request, tmp_path, mailbox, smtp_server):
    offered = () if request.param == "core-only" else C.OPTIONAL
    hub = StrictHub({TOKEN: "kalsel"}, capabilities=offered)
    gateway = SmsGatewaySim(SMS_SECRET)
    with ExitStack() as stack:
        hub_server = stack.enter_context(hub.serve())
        sim, portal = stack.enter_context(running_portal(complaints=12, bad_share=0))
        gateway_server = stack.enter_context(ServerThread(gateway.app(), name="sms-gateway"))
        channels = [
            {
                "id": "laporpaman",
                "kind": "portal",
                "profile": str(ROOT / "mappings" / "laporpaman.yaml"),
                "base_url": portal.url,
                "credentials": {"token": "test-portal-token"},
                "page_size": 25,
            },
            {
                "id": "pengaduan-email",
                "kind": "email",
                "profile": str(ROOT / "mappings" / "email.yaml"),
                "imap": {
                    "host": mailbox.host,
                    "port": mailbox.imap_port,
                    "security": "plain",
                    "username": mailbox.user,
                    "password": mailbox.password,
                },
                "smtp": {
                    "host": smtp_server.host,
                    "port": smtp_server.port,
                    "security": "plain",
                    "from_address": "pengaduan@kalselprov.go.id",
                },
                "message_id_domain": EMAIL_DOMAIN,
            },
            {
                "id": "sms-1708",
                "kind": "sms_webhook",
                "profile": str(ROOT / "mappings" / "sms.yaml"),
                "secret": SMS_SECRET,
                "fields": {
                    "sender": "from",
                    "text": "text",
                    "id": "id",
                    "time": "timestamp",
                    "receiver": "to",
                },
                "send": {"url": gateway_server.url + "/send"},
                "send_rate_per_s": 500,
            },
        ]
        config = connector_config(
            tmp_path,
            hub_server.url,
            portal.url,
            channels=channels,
            hub={"token": TOKEN},
            sync={"poll_batch": 100, "poll_rate_per_s": 1000},
        )
        connector = Connector(config)
        connector.store.upgrade()
        web = stack.enter_context(ServerThread(create_app(connector), name="connector-web"))
        try:
            yield World(
                hub,
                connector,
                sim,
                portal,
                gateway,
                f"{web.url}/inbound/sms-1708",
                tmp_path / "config.yaml",
            )
        finally:
            connector.close()


def cli(world, *args) -> str:
    result = CliRunner().invoke(main, [*args, "-c", str(world.config)])
    assert result.exit_code == 0, result.output
    return result.output


def test_the_whole_pipeline_keeps_to_the_contract(world, mailbox, smtp_server, caplog):
    caplog.set_level(logging.WARNING)
    core_only = world.hub.capabilities == {C.CORE}
    world.connector.discover(announce=True)
    missing = [r.getMessage() for r in caplog.records if "does not offer" in r.getMessage()]
    assert len(missing) == (len(C.OPTIONAL) if core_only else 0)

    # Complaints in from all three channels, delivered exactly once.
    mailbox.append(COMPLAINT_MAIL)
    sms = messages(5, seed=7)
    assert world.gateway.deliver(world.inbound, sms) == 5
    drain(world.connector)
    portal, email, by_sms = (
        world.complaints(ch) for ch in ("laporpaman", "pengaduan-email", "sms-1708")
    )
    assert (len(portal), len(email), len(by_sms)) == (12, 1, 5)
    assert all(c.tracking_id and c.tracking_id.startswith("LPR-") for c in portal + email + by_sms)
    assert len(world.hub.reports) == 18
    assert {c.report["source"]["channel"] for c in email + by_sms} == {"email", "sms"}
    assert len(smtp_server.wait_for(1)) == 1 and world.gateway.recipients() == {
        f"+{m.sender}" for m in sms
    }

    # The national side decides; the portal, the email author and the SMS author hear of it.
    fresh = next(
        c for c in portal if c.status == "belum_terverifikasi" and c.local_status == "baru"
    )
    for complaint in (fresh, email[0], by_sms[0]):
        world.hub.act(
            complaint.tracking_id,
            status="terverifikasi",
            message="Laporan Anda sudah diverifikasi.",
        )
    world.connector.pull_hub()
    drain(world.connector)
    statuses = {
        c.id: c.status
        for c in world.complaints("laporpaman")
        + world.complaints("pengaduan-email")
        + world.complaints("sms-1708")
    }
    assert statuses[fresh.id] == statuses[email[0].id] == statuses[by_sms[0].id] == "terverifikasi"
    record = next(r for r in world.sim.updated_since(None) if str(r["id"]) == fresh.source_ref)
    assert record["tanggapan"][-1]["isi"] == "Laporan Anda sudah diverifikasi."
    assert len(smtp_server.wait_for(2)) == 2
    assert any(
        "diverifikasi" in m["text"] for m in world.gateway.sent if m["to"] == f"+{sms[0].sender}"
    )

    # Local follow-ups go up: sent with status-push, held (and visible) without it.
    local_follow_up(
        world.portal, fresh.source_ref, isi="Petugas sudah meninjau lokasi.", status="proses"
    )
    assert (
        world.gateway.deliver(
            world.inbound,
            [
                type(sms[0])(
                    "gw-reply-1",
                    sms[0].sender,
                    f"{by_sms[0].tracking_id} terima kasih atas tindak lanjutnya",
                    sms[0].timestamp + 60,
                )
            ],
        )
        == 1
    )
    drain(world.connector)
    with world.connector.store.transaction() as session:
        ups = {
            r.update_id: r.state
            for r in session.scalars(
                select(StatusUpdate).where(
                    StatusUpdate.origin == "region",
                    StatusUpdate.complaint_id.in_((fresh.id, by_sms[0].id)),
                )
            )
        }
        rows = list(
            session.scalars(
                select(OutboxItem).where(
                    OutboxItem.kind == "status_update", OutboxItem.target == "hub"
                )
            )
        )
    ours = [r for r in rows if r.complaint_id in (fresh.id, by_sms[0].id)]
    assert len(ours) == 2 and sum(u.endswith("/reply") for u in ups) == 1
    assert len(rows) > 2  # the seeded portal records came with follow-ups of their own
    if core_only:
        assert {r.state for r in rows} == {"held"} and set(ups.values()) == {"pending"}
        status = cli(world, "status")
        assert f"held {len(rows)} (waiting for hub capability status-push)" in status
        assert (
            "not offered: updates-feed, status-push, reconcile-digests, audit-checkpoints, statistics"
            in status
        )
    else:
        assert {r.state for r in rows} == {"delivered"} and set(ups.values()) == {"applied"}
        history = world.hub.reports[fresh.tracking_id]["updates"]
        assert (
            history[-1]["message"] == "Petugas sudah meninjau lokasi."
            and history[-1]["origin"]["side"] == "region"
        )

    # Reconciliation on the calls the hub has, and the audit log.
    run = world.connector.reconciler().run()
    assert sum(run.counts.values()) == 0 and run.ours == run.theirs == 18
    assert run.method == ("listing" if core_only else "digests")
    assert (run.checkpoint_seq is None) is core_only and run.error is None
    verified = cli(world, "audit", "verify")
    assert ("the hub keeps no audit checkpoints" in verified) is core_only

    assert world.hub.problems() == [] and world.hub.self_errors == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
