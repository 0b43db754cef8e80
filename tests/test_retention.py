"""Retention: raw payloads and complainants' identities are erased after their periods,
on both backends (the database lets intake rows change only by erasure), and the audit
chain still verifies against the hub's checkpoints afterwards: it holds hashes, not data."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from peers import connected_world
from sqlalchemy import select, text

from connector import audit
from connector.cli.main import main
from connector.ops.retention import ERASED_TEXT, apply
from connector.reconcile.reconciler import KINDS, Reconciler
from connector.store.models import (
    AuditEntry,
    Complaint,
    IntakeItem,
    MessagePart,
    StatusUpdate,
)
from connector.timeutil import utcnow


@pytest.fixture
def world(tmp_path, store_url):
    with connected_world(tmp_path, complaints=20, store_url=store_url) as (*_, connector):
        yield connector


def _citizen_message(connector) -> int:
    """A citizen's answer on the first report (as the email and SMS channels store them)."""
    with connector.store.transaction() as s:
        complaint = s.scalars(select(Complaint).order_by(Complaint.id)).first()
        row = StatusUpdate(
            update_id="laporpaman/balasan/1",
            complaint_id=complaint.id,
            origin="region",
            occurred_at=utcnow(),
            state="applied",
            payload={"actor": "pelapor", "message": "Jalan di depan rumah saya masih rusak."},
        )
        s.add(row)
        s.flush()
        return row.id


def test_erasure_removes_personal_data_and_keeps_the_chain_verifiable(world):
    connector = world
    message_id = _citizen_message(connector)
    Reconciler(
        connector.store, connector.hub, connector.hub_sync
    ).run()  # the hub holds a checkpoint of the chain
    with connector.store.transaction() as s:
        before = {c.id: (c.content_hash, c.report) for c in s.scalars(select(Complaint))}
        hashes = {i.id: i.payload_sha256 for i in s.scalars(select(IntakeItem))}
    assert sum(1 for _, report in before.values() if report.get("complainant")) > 0

    # Nothing is old enough yet.
    assert apply(connector.store, 365, 730).payloads == 0
    stats = apply(connector.store, 365, 730, now=utcnow() + timedelta(days=731))
    assert (stats.payloads, stats.complaints, stats.messages) == (len(hashes), len(before), 1)

    with connector.store.transaction() as s:
        for item in s.scalars(select(IntakeItem)):
            assert (
                item.payload == b""
                and item.erased_at is not None
                and item.payload_sha256 == hashes[item.id]
            )
        for c in s.scalars(select(Complaint)):
            assert "complainant" not in c.report and c.erased_at is not None
            assert c.content_hash == before[c.id][0]  # what was delivered stays provable
            assert {k: v for k, v in before[c.id][1].items() if k != "complainant"} == c.report
        assert s.get(StatusUpdate, message_id).payload["message"] == ERASED_TEXT
        [erased] = s.scalars(select(AuditEntry).where(AuditEntry.kind == "erased"))
        assert erased.data["payloads"] == len(hashes) and erased.data["complaints"] == len(before)
        result = audit.check_store(s, connector.hub.checkpoints())
    assert result.broken is None and result.checkpoints_matched == 1

    # Erased once is erased: a second run finds nothing, and the hub still agrees with the store.
    again = apply(connector.store, 365, 730, now=utcnow() + timedelta(days=800))
    assert (again.payloads, again.complaints, again.messages) == (0, 0, 0)
    run = Reconciler(connector.store, connector.hub, connector.hub_sync).run()
    assert run.counts == dict.fromkeys(KINDS, 0)
    verified = CliRunner().invoke(main, ["audit", "verify", "-c", str(connector.config.path)])
    assert verified.exit_code == 0 and "2 checkpoints match" in verified.output, verified.output


def test_any_other_change_to_an_intake_row_is_still_refused(world):
    with (
        pytest.raises(Exception, match="(?i)immutable|not allowed|only"),
        world.store.transaction() as s,
    ):
        s.execute(text("UPDATE intake_items SET external_id = 'diubah' WHERE id = 1"))


def test_senders_of_finished_sms_parts_are_replaced_by_a_hash(world):
    connector = world
    long_ago = utcnow() - timedelta(days=400)
    with connector.store.transaction() as s:
        intake_id = s.scalars(select(IntakeItem.id)).first()
        s.add_all(
            [
                MessagePart(
                    channel_id="sms",
                    sender="+6281234567890",
                    ref=7,
                    total=2,
                    seq=1,
                    intake_id=intake_id,
                    received_at=long_ago,
                    state="combined",
                ),
                MessagePart(
                    channel_id="sms",
                    sender="+6281234567891",
                    ref=8,
                    total=2,
                    seq=1,
                    intake_id=intake_id,
                    received_at=long_ago,
                    state="waiting",
                ),
            ]
        )
    apply(connector.store, 365, None)
    with connector.store.transaction() as s:
        senders = {p.state: p.sender for p in s.scalars(select(MessagePart))}
    assert senders["waiting"] == "+6281234567891"  # still needed to put its set together
    assert senders["combined"].startswith("#") and "6281234567890" not in senders["combined"]


def test_the_retention_command_reports_what_it_erased(world):
    result = CliRunner().invoke(main, ["retention", "-c", str(world.config.path)])
    assert result.exit_code == 0, result.output
    assert (
        result.output.strip()
        == "erased: 0 raw payload(s), 0 complainant identity(ies), 0 citizen message(s)"
    )
    with world.store.transaction() as s:
        assert all(json.loads(i.payload) for i in s.scalars(select(IntakeItem)))
