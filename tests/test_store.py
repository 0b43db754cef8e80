"""The store, intake and outbox on SQLite and on PostgreSQL."""

import copy
import json
import threading
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from test_profile import GOOD

from connector.channels.base import RawItem
from connector.errors import describe
from connector.intake.normalize import Normalizer
from connector.intake.pipeline import get_cursor, ingest, set_cursor
from connector.mapping.profile import Profile
from connector.outbox import queue as outbox
from connector.store.models import (
    Base,
    Complaint,
    IntakeItem,
    OutboxItem,
    QuarantineItem,
)
from connector.timeutil import utcnow
from lapor_exchange.canonical import canonical_json

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def normalize():
    return Normalizer(
        Profile.load(ROOT / "mappings" / "laporpaman.yaml"), "kalsel", ZoneInfo("Asia/Makassar")
    )


def item(ref, **changes):
    record = copy.deepcopy(GOOD)
    record["id"] = ref
    record.update(changes)
    for key in [k for k, v in changes.items() if v is KeyError]:
        record.pop(key)
    return RawItem("laporpaman", str(ref), canonical_json(record).encode())


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_migrations_build_exactly_the_models(store):
    with store.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert diff == []


@pytest.mark.parametrize(
    "statement", ["UPDATE intake_items SET payload = :junk", "DELETE FROM intake_items"]
)
def test_the_database_refuses_to_change_or_remove_raw_intake(store, normalize, statement):
    with store.transaction() as session:
        ingest(session, "laporpaman", [item(1)], normalize)
    with pytest.raises(DBAPIError, match="intake_items rows are immutable"):
        with store.transaction() as session:
            session.execute(text(statement), {"junk": b"x"})
    with store.transaction() as session:
        assert json.loads(session.scalars(select(IntakeItem.payload)).one())["id"] == 1


def test_database_errors_never_show_row_values(store, normalize):
    with store.transaction() as session:
        ingest(session, "laporpaman", [item(1)], normalize)
    with pytest.raises(DBAPIError) as caught:
        with store.transaction() as session:
            session.execute(
                text("INSERT INTO cursors (channel_id, value, updated_at) VALUES (:a, :b, :c)"),
                [{"a": "x", "b": "Siti Aminah 081234567890", "c": None}],
            )
    assert "081234567890" not in describe(caught.value)
    assert describe(caught.value).startswith("database error IntegrityError")


def test_upgrade_twice_is_harmless(store):
    store.upgrade()
    with store.transaction() as session:
        assert count(session, Complaint) == 0


def test_intake_writes_raw_item_complaint_and_outbox_row_together(store, normalize):
    with store.transaction() as session:
        stats = ingest(session, "laporpaman", [item(1), item(2), item(3, isi=KeyError)], normalize)
    assert (stats.accepted, stats.quarantined, stats.duplicates) == (2, 1, 0)
    with store.transaction() as session:
        assert count(session, IntakeItem) == 3
        assert count(session, Complaint) == 2
        assert count(session, OutboxItem, OutboxItem.state == "pending") == 2
        q = session.scalars(select(QuarantineItem)).one()
        assert q.external_id == "3" and q.problems == [
            {"path": "$.body", "message": "is missing or empty", "source": "isi"}
        ]
        complaint = session.scalars(select(Complaint).where(Complaint.source_ref == "1")).one()
        assert complaint.report["source"] == {
            "connector_id": "kalsel",
            "channel_id": "laporpaman",
            "channel": "portal",
            "source_ref": "1",
            "received_at": complaint.report["source"]["received_at"],
        }
        raw = session.scalars(select(IntakeItem).where(IntakeItem.external_id == "1")).one()
        assert json.loads(raw.payload)["judul"] == GOOD["judul"]


def test_a_failed_transaction_leaves_nothing_behind(store, normalize):
    with pytest.raises(RuntimeError):
        with store.transaction() as session:
            ingest(session, "laporpaman", [item(1), item(2)], normalize)
            raise RuntimeError("crash before commit")
    with store.transaction() as session:
        assert (
            count(session, IntakeItem)
            == count(session, Complaint)
            == count(session, OutboxItem)
            == 0
        )


def test_repeats_are_dropped_and_new_versions_kept_as_revisions(store, normalize):
    with store.transaction() as session:
        ingest(session, "laporpaman", [item(1), item(2)], normalize)
    with store.transaction() as session:
        stats = ingest(
            session, "laporpaman", [item(1), item(2), item(2), item(1, status="proses")], normalize
        )
    assert (stats.duplicates, stats.revisions, stats.accepted) == (3, 1, 0)
    with store.transaction() as session:
        assert count(session, Complaint) == 2
        assert count(session, OutboxItem, OutboxItem.kind == "report") == 2
        assert count(session, IntakeItem, IntakeItem.outcome == "revision") == 1
        # the revision's local status change (baru → proses) is queued for the hub as an update
        assert (
            stats.updates == 1
            and count(session, OutboxItem, OutboxItem.kind == "status_update") == 1
        )


def test_the_same_record_twice_in_one_batch_is_one_complaint(store, normalize):
    with store.transaction() as session:
        stats = ingest(session, "laporpaman", [item(7), item(7)], normalize)
    assert (stats.accepted, stats.duplicates) == (1, 1)


def test_a_fixed_record_leaves_quarantine(store, normalize):
    with store.transaction() as session:
        ingest(session, "laporpaman", [item(5, anonim=KeyError)], normalize)
    with store.transaction() as session:
        stats = ingest(session, "laporpaman", [item(5)], normalize)
    assert stats.accepted == 1
    with store.transaction() as session:
        assert session.scalars(select(QuarantineItem.state)).all() == ["resolved"]
        assert count(session, Complaint) == 1


def test_cursor_round_trip(store):
    with store.transaction() as session:
        assert get_cursor(session, "laporpaman") is None
        set_cursor(session, "laporpaman", "2026-03-01T00:00:00+00:00")
    with store.transaction() as session:
        set_cursor(session, "laporpaman", "2026-03-02T00:00:00+00:00")
    with store.transaction() as session:
        assert get_cursor(session, "laporpaman") == "2026-03-02T00:00:00+00:00"


def _fill(store, normalize, n):
    with store.transaction() as session:
        ingest(session, "laporpaman", [item(i) for i in range(1, n + 1)], normalize)


def test_claims_take_due_rows_once_and_expired_leases_come_back(store, normalize):
    _fill(store, normalize, 5)
    with store.transaction() as session:
        first = [r.id for r in outbox.claim(session, "w1", 3, lease_s=60)]
    with store.transaction() as session:
        second = [r.id for r in outbox.claim(session, "w2", 10, lease_s=60)]
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)
    with store.transaction() as session:
        assert outbox.claim(session, "w3", 10, lease_s=60) == []
        session.execute(
            update(OutboxItem)
            .where(OutboxItem.id == first[0])
            .values(lease_until=utcnow() - timedelta(seconds=1))
        )
    with store.transaction() as session:
        again = outbox.claim(session, "w3", 10, lease_s=60)
        assert [r.id for r in again] == [first[0]] and again[0].attempts == 2


def test_only_the_lease_holder_can_record_an_outcome(store, normalize):
    _fill(store, normalize, 1)
    with store.transaction() as session:
        row = outbox.claim(session, "w1", 1, lease_s=60)[0]
    with store.transaction() as session:
        assert outbox.mark_delivered(session, row.id, "someone-else") is False
        assert outbox.mark_retry(session, row.id, "w1", "hub_unavailable", "HTTP 503", 30) is True
    with store.transaction() as session:
        row = session.get(OutboxItem, row.id)
        assert row.state == "pending" and row.last_error == "HTTP 503"
        assert row.next_attempt_at > utcnow() + timedelta(seconds=25)
        assert outbox.claim(session, "w1", 1, lease_s=60) == []  # not due yet


def test_dead_rows_replay(store, normalize):
    _fill(store, normalize, 2)
    with store.transaction() as session:
        rows = outbox.claim(session, "w1", 2, lease_s=60)
        for row in rows:
            outbox.mark_dead(session, row.id, "w1", "hub_rejected", "HTTP 422")
    with store.transaction() as session:
        assert [r.id for r in outbox.dead(session)] == [r.id for r in rows]
        assert outbox.replay(session, [rows[0].id]) == 1
    with store.transaction() as session:
        assert outbox.counts(session) == {"pending": 1, "dead": 1}
        assert outbox.replay(session) == 1
        assert session.get(OutboxItem, rows[1].id).attempts == 0


@pytest.mark.postgres
def test_concurrent_claims_skip_locked_rows_on_postgresql(pg_store, normalize):
    from conftest import _empty

    _empty(pg_store)
    _fill(pg_store, normalize, 6)
    holding = threading.Event()
    release = threading.Event()
    claimed = {}

    def slow_worker():
        with pg_store.transaction() as session:
            claimed["a"] = [r.id for r in outbox.claim(session, "a", 3, lease_s=60)]
            holding.set()
            release.wait(10)  # keep the row locks while the other worker claims

    thread = threading.Thread(target=slow_worker)
    thread.start()
    assert holding.wait(10)
    with pg_store.transaction() as session:
        # Without SKIP LOCKED this claim would wait for worker a's locks and fail here.
        session.execute(text("SET LOCAL lock_timeout = '2s'"))
        claimed["b"] = [r.id for r in outbox.claim(session, "b", 6, lease_s=60)]
    release.set()
    thread.join()
    assert len(claimed["a"]) == 3 and len(claimed["b"]) == 3
    assert not set(claimed["a"]) & set(claimed["b"])
