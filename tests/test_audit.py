"""The append-only, hash-chained audit log (connector/audit.py) and the auditor's
commands (connector/cli_audit.py), on SQLite and on PostgreSQL.

Tampering is done the way a database owner could: with the append-only triggers
switched off first (one test shows that with them on, UPDATE and DELETE are refused).
"""

import io
import itertools
import json
import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from hub_helpers import running_hub
from peers import connector_config
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from connector import audit
from connector.audit import guard
from connector.audit import verification as verify_module
from connector.cli.audit import reading
from connector.cli.main import main
from connector.delivery.hub_client import HubClient
from connector.store.db import Store
from connector.store.models import AuditEntry
from lapor_exchange.canonical import canonical_json, sha256_bytes

LOG = AuditEntry.__table__
UNUSED_PORTAL = "http://127.0.0.1:9"


def fill(store, n: int, start: int = 0) -> list[str]:
    """Append n entries, one transaction each, as the connector's modules would; their hashes."""
    hashes = []
    for i in range(start, start + n):
        with store.transaction() as session:
            entry = audit.append(
                session,
                ("intake", "delivered", "status")[i % 3],
                f"laporpaman/LP-{i % 4}",
                {
                    "i": i,
                    "payload_sha256": sha256_bytes(str(i).encode()),
                    "tracking_id": str(1_000_000 + i),
                },
            )
            hashes.append(entry.hash)
    return hashes


def rows(store) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(LOG).order_by(LOG.c.seq))]


def verify(store, checkpoints=()):
    with store.transaction() as session:
        return audit.verify_store(session, checkpoints)


def checkpoint(store) -> dict:
    """What the connector would give the hub now: the head."""
    with store.transaction() as session:
        seq, hash_ = audit.head(session)
    return {"seq": seq, "hash": hash_, "at": "2026-01-01T00:00:00+00:00"}


@contextmanager
def tampering(store):
    """A connection with the append-only triggers off, as the database's owner could do;
    they are back on when the block ends (the PostgreSQL store is shared by the tests)."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            yield conn
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            yield conn
            for event in ("update", "delete"):
                conn.execute(
                    text(
                        f"CREATE TRIGGER audit_log_no_{event} BEFORE {event.upper()} ON audit_log "
                        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
                    )
                )


def renumber(conn, seqs, by: int) -> None:
    """Move entries by `by` one at a time, in the order that keeps the primary key unique."""
    for seq in sorted(seqs, reverse=by > 0):
        conn.execute(update(LOG).where(LOG.c.seq == seq).values(seq=seq + by))


def rehash_from(conn, first: int) -> None:
    """Recompute prev_hash and hash of every entry from `first` on: a consistent rewrite."""
    entries = [dict(r._mapping) for r in conn.execute(select(LOG).order_by(LOG.c.seq))]
    prev = audit.GENESIS if first == 1 else entries[first - 2]["hash"]
    for e in entries[first - 1 :]:
        new = audit.entry_hash(
            prev, e["seq"], audit.at_text(e["at"]), e["kind"], e["ref"], e["data"]
        )
        conn.execute(update(LOG).where(LOG.c.seq == e["seq"]).values(prev_hash=prev, hash=new))
        prev = new


# -- appending ------------------------------------------------------------------------------


def test_an_empty_log_has_the_genesis_head_and_verifies(store):
    with store.transaction() as session:
        assert audit.head(session) == (0, audit.GENESIS)
        result = audit.check_store(session)
    assert result == audit.Verification(0, 0, audit.GENESIS, 0, None)


def test_append_chains_each_entry_to_the_one_before(store):
    with store.transaction() as session:
        first = audit.append(
            session,
            "intake",
            "laporpaman/LP-1",
            {"outcome": "accepted", "payload_sha256": "ab" * 32},
        )
        second = audit.append(session, "normalized", "laporpaman/LP-1")
        assert audit.head(session) == (2, second.hash)
    with store.transaction() as session:
        many = audit.append_many(
            session,
            [
                ("delivered", "laporpaman/LP-1", {"tracking_id": "1000001"}),
                ("status", "1000001", {"update_id": "hub-1", "status": "verified"}),
                ("reconciled", None, {"run": 1}),
            ],
        )
        assert audit.head(session) == (5, many[-1].hash)

    assert [e.seq for e in (first, second, *many)] == [1, 2, 3, 4, 5]
    assert first.prev_hash == audit.GENESIS
    chain = [first, second, *many]
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    assert second.data == {}
    assert (
        len({e.at for e in many}) == 1 and many[0].at >= second.at
    )  # one time for a batch; never backwards
    # What came back from the database hashes to what was stored: times and JSON survive the round trip.
    stored = rows(store)
    assert [r["hash"] for r in stored] == [e.hash for e in chain]
    for r in stored:
        assert r["hash"] == audit.entry_hash(
            r["prev_hash"], r["seq"], audit.at_text(r["at"]), r["kind"], r["ref"], r["data"]
        )
    assert stored[0]["hash"] == audit.entry_hash(
        audit.GENESIS,
        1,
        audit.at_text(first.at),
        "intake",
        "laporpaman/LP-1",
        {"outcome": "accepted", "payload_sha256": "ab" * 32},
    )


def test_entry_hash_is_sha256_of_the_canonical_fields():
    import hashlib

    at = "2026-01-02T03:04:05.000006Z"
    expected = hashlib.sha256(
        canonical_json([audit.GENESIS, 1, at, "intake", None, {"b": 1, "a": "é"}]).encode()
    ).hexdigest()
    assert audit.entry_hash(audit.GENESIS, 1, at, "intake", None, {"a": "é", "b": 1}) == expected
    assert (
        audit.at_text(datetime(2026, 1, 2, 11, 4, 5, 6, tzinfo=timezone(timedelta(hours=8)))) == at
    )
    assert audit.entry_hash(audit.GENESIS, 1, at, "intake", None, {"a": "é", "b": 2}) != expected


def test_data_that_would_not_come_back_unchanged_is_refused(store):
    with store.transaction() as session:
        entry = audit.append(
            session, "finding", "x/1", {"ids": (1, 2), "ratio": 0.25, "zero": -0.0, "big": 10**20}
        )
        for bad in (
            {"n": float("nan")},
            {"n": 1e16},
            {1: "x"},
            {"when": datetime.now(timezone.utc)},
        ):
            with pytest.raises(ValueError):
                audit.append(session, "finding", "x/1", bad)
    assert entry.data == {"ids": [1, 2], "ratio": 0.25, "zero": 0.0, "big": 10**20}
    assert verify(store) is None
    assert [r["seq"] for r in rows(store)] == [1]


def test_a_rolled_back_append_leaves_no_gap(store):
    fill(store, 2)
    with pytest.raises(RuntimeError), store.transaction() as session:
        audit.append(session, "delivered", "laporpaman/LP-9", {"tracking_id": "1000009"})
        raise RuntimeError("the step being recorded failed")
    fill(store, 1, start=2)
    assert [r["seq"] for r in rows(store)] == [1, 2, 3]
    assert verify(store) is None


def test_the_database_refuses_update_and_delete_while_the_triggers_are_on(store):
    fill(store, 3)
    before = rows(store)
    for statement in (
        update(LOG).where(LOG.c.seq == 2).values(kind="edited"),
        delete(LOG).where(LOG.c.seq == 3),
    ):
        with (
            pytest.raises(DBAPIError, match="audit_log is append-only"),
            store.engine.begin() as conn,
        ):
            conn.execute(statement)
    assert rows(store) == before


def test_concurrent_writers_make_one_unbroken_chain(store):
    """Two threads appending 200 entries each, one transaction per entry, started together."""
    start = threading.Barrier(2)
    errors = []

    def writer(name):
        try:
            start.wait()
            for i in range(200):
                with store.transaction() as session:
                    audit.append(session, "delivered", f"{name}/{i}", {"writer": name, "i": i})
        except Exception as exc:  # reported below, in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with store.transaction() as session:
        result = audit.check_store(session)
    assert result.broken is None and result.entries == 400 and result.head_seq == 400
    written = rows(store)
    assert [r["seq"] for r in written] == list(range(1, 401))
    for name in ("a", "b"):  # each writer's own entries are all there, in its order
        assert [r["data"]["i"] for r in written if r["data"]["writer"] == name] == list(range(200))


# -- verifying and tampering ----------------------------------------------------------------


def test_verify_passes_on_a_good_chain_and_counts_matching_checkpoints(store):
    hashes = fill(store, 10)
    checkpoints = [
        {"seq": 4, "hash": hashes[3], "at": "x"},
        {"seq": 10, "hash": hashes[9], "at": "x"},
    ]
    with store.transaction() as session:
        result = audit.check_store(session, checkpoints)
    assert result == audit.Verification(10, 10, hashes[9], 2, None)
    assert audit.verify(rows(store), checkpoints) is None


def test_an_edited_entry_is_named(store):
    fill(store, 10)
    with tampering(store) as conn:
        conn.execute(
            update(LOG).where(LOG.c.seq == 4).values(data={"i": 3, "payload_sha256": "0" * 64})
        )
    broken = verify(store)
    assert broken.seq == 4
    assert "entry 4's hash does not match its contents" in broken.reason


def test_an_edited_entry_whose_hash_was_recomputed_breaks_the_next_link(store):
    fill(store, 10)
    with tampering(store) as conn:
        e = dict(conn.execute(select(LOG).where(LOG.c.seq == 4)).one()._mapping)
        data = {**e["data"], "tracking_id": "1000999"}
        conn.execute(
            update(LOG)
            .where(LOG.c.seq == 4)
            .values(
                data=data,
                hash=audit.entry_hash(
                    e["prev_hash"], 4, audit.at_text(e["at"]), e["kind"], e["ref"], data
                ),
            )
        )
    broken = verify(store)
    assert broken.seq == 5
    assert "entry 5's prev_hash does not match entry 4's hash" in broken.reason


def test_a_deleted_entry_is_named(store):
    fill(store, 10)
    with tampering(store) as conn:
        conn.execute(delete(LOG).where(LOG.c.seq == 4))
    broken = verify(store)
    assert broken.seq == 4
    assert "entry 4 is missing (entry 3 is followed by entry 5)" in broken.reason


def test_a_deleted_entry_with_the_rest_renumbered_is_named(store):
    fill(store, 10)
    with tampering(store) as conn:
        conn.execute(delete(LOG).where(LOG.c.seq == 4))
        renumber(conn, range(5, 11), -1)
    broken = verify(store)
    assert broken.seq == 4
    assert "entry 4's prev_hash does not match entry 3's hash" in broken.reason


def test_a_deleted_first_entry_is_named(store):
    fill(store, 3)
    with tampering(store) as conn:
        conn.execute(delete(LOG).where(LOG.c.seq == 1))
    broken = verify(store)
    assert broken.seq == 1 and "does not start at entry 1" in broken.reason


def test_two_swapped_entries_are_named(store):
    fill(store, 10)
    with tampering(store) as conn:
        conn.execute(update(LOG).where(LOG.c.seq == 3).values(seq=-3))
        conn.execute(update(LOG).where(LOG.c.seq == 7).values(seq=3))
        conn.execute(update(LOG).where(LOG.c.seq == -3).values(seq=7))
    broken = verify(store)
    assert broken.seq == 3
    assert "entry 3's prev_hash does not match entry 2's hash" in broken.reason


def test_a_truncated_tail_is_caught_by_a_checkpoint_beyond_the_end(store):
    fill(store, 10)
    given = checkpoint(store)
    with tampering(store) as conn:
        conn.execute(delete(LOG).where(LOG.c.seq >= 8))
    assert verify(store) is None  # the chain alone cannot tell: what is left is intact
    broken = verify(store, [given])
    assert broken.seq == 10
    assert (
        "checkpoint at entry 10 is beyond the last entry (7): the log was truncated"
        in broken.reason
    )


def test_an_entry_inserted_in_the_middle_is_named(store):
    """The forger renumbers 5… up by one and puts a well-formed entry, chained to entry 4, at 5."""
    fill(store, 10)
    with tampering(store) as conn:
        renumber(conn, range(5, 11), +1)
        four = dict(conn.execute(select(LOG).where(LOG.c.seq == 4)).one()._mapping)
        at, data = (
            four["at"] + timedelta(microseconds=1),
            {"outcome": "accepted", "payload_sha256": "1" * 64},
        )
        forged = audit.entry_hash(
            four["hash"], 5, audit.at_text(at), "intake", "laporpaman/LP-X", data
        )
        conn.execute(
            insert(LOG).values(
                seq=5,
                at=at,
                kind="intake",
                ref="laporpaman/LP-X",
                data=data,
                prev_hash=four["hash"],
                hash=forged,
            )
        )
    broken = verify(store)
    assert broken.seq == 6
    assert "entry 6's prev_hash does not match entry 5's hash" in broken.reason


def test_a_duplicated_entry_is_named(store):
    """In the store: entry 3 copied to the end as entry 11. In a file: a line repeated."""
    fill(store, 10)
    with tampering(store) as conn:
        three = dict(conn.execute(select(LOG).where(LOG.c.seq == 3)).one()._mapping)
        conn.execute(insert(LOG).values({**three, "seq": 11}))
    broken = verify(store)
    assert broken.seq == 11
    assert "entry 11's prev_hash does not match entry 10's hash" in broken.reason

    entries = rows(store)[:10]
    broken = audit.verify(entries[:3] + entries[2:])
    assert broken == audit.Break(
        3, "entry 3 appears again after entry 3: entries were duplicated or reordered"
    )


def test_a_consistent_rewrite_after_a_checkpoint_is_caught_only_by_the_checkpoint(store):
    hashes = fill(store, 10)
    given = [{"seq": 5, "hash": hashes[4], "at": "x"}, {"seq": 8, "hash": hashes[7], "at": "x"}]
    with tampering(store) as conn:
        conn.execute(
            update(LOG).where(LOG.c.seq == 2).values(data={"i": 1, "payload_sha256": "f" * 64})
        )
        rehash_from(conn, 1)
    assert verify(store) is None  # every hash recomputed: the chain alone looks fine
    broken = verify(store, given)
    assert broken.seq == 5
    assert (
        "checkpoint at entry 5 has hash" in broken.reason
        and "rewritten after that checkpoint" in broken.reason
    )
    # A checkpoint given after the rewrite matches it: the first break is the lowest one.
    assert verify(store, [checkpoint(store)]) is None


def test_a_chain_break_below_a_checkpoint_is_reported_first(store):
    hashes = fill(store, 10)
    with tampering(store) as conn:
        conn.execute(update(LOG).where(LOG.c.seq == 3).values(kind="edited"))
    assert verify(store, [{"seq": 8, "hash": "0" * 64}]).seq == 3
    assert verify(store, [{"seq": 2, "hash": "0" * 64}]).seq == 2
    assert verify(store, [{"seq": 2, "hash": hashes[1]}]).seq == 3


def test_a_malformed_checkpoint_is_reported():
    broken = audit.verify([], [{"seq": "one", "hash": "x"}])
    assert broken == audit.Break(
        None, "checkpoint #1 is malformed: it needs an entry number and a hash"
    )


# -- the personal-data guard ---------------------------------------------------------------


@pytest.mark.parametrize(
    "data, what",
    [
        ({"complainant": "budi.santoso@example.co.id"}, "e-mail address"),
        ({"note": "reply from Budi <budi@mail.example.com>"}, "e-mail address"),
        ({"phone": "081234567890"}, "phone number"),
        ({"phone": "+62 812-3456-7890"}, "phone number"),
        ({"phones": ["6281234567890"]}, "phone number"),
        ({"msisdn": 6281234567890}, "phone number"),
        ({"external_id": "kannel:081234567890"}, "phone number"),
        ({"sender": "0812.3456.7890"}, "phone number"),
        ({"nik": "6371014708900001"}, "NIK"),
        ({"reporter": {"id": 6371015508900002}}, "NIK"),
        ({"6371014708900001": "seen"}, "NIK"),
        ({"nik": "637101-470890-0001"}, "NIK"),
    ],
    ids=[
        "email",
        "email-in-text",
        "phone-08",
        "phone-spaced",
        "phone-62-in-list",
        "phone-int",
        "phone-in-id",
        "phone-dotted",
        "nik",
        "nik-int-nested",
        "nik-as-key",
        "nik-dashed",
    ],
)
def test_personal_data_is_refused_and_nothing_written(store, data, what):
    with store.transaction() as session:
        with pytest.raises(ValueError, match=f"looks like a(n)? {what}"):
            audit.append(session, "intake", "laporpaman/LP-1", data)
        assert audit.head(session) == (0, audit.GENESIS)
    assert rows(store) == []


def test_a_ref_holding_a_phone_number_is_refused():
    with pytest.raises(ValueError, match="ref looks like a phone number"):
        guard.check_value("+6281234567890", "ref", allow_message_id=True)


@pytest.mark.parametrize(
    "data, path",
    [
        ({"x": ["budi@example.com"]}, "data.x[0] looks like an e-mail address"),
        ({"x": {"budi@example.com": 1e20}}, "data.x: a key looks like an e-mail address"),
        ({"ids": ("ok", 6281234567890)}, "data.ids[1] looks like a phone number"),
    ],
    ids=["value", "key", "in-a-tuple"],
)
def test_the_guard_message_names_the_path_never_the_value(data, path):
    with pytest.raises(ValueError) as refused:
        audit.append(None, "intake", "x/1", data)  # refused before the database is touched
    assert "budi" not in str(refused.value) and "812" not in str(refused.value)
    assert f"audit {path}" in str(refused.value)


def test_references_and_hashes_pass_the_guard(store):
    fine = {
        "outcome": "accepted",
        "channel_id": "sms",
        "external_id": "20250304.5f2c@mail.kalsel.go.id",  # a Message-ID
        "payload_sha256": "08123456789012" + "a" * 50,
        "tracking_id": "1000042",
        "region_code": "63.72",
        "occurred_at": "2025-03-04T09:15:00+08:00",
        "problems": ["$.reporter.phone", "$.body"],
        "count": 1234567890123456,
        "gateway": "kannel:5f2c9e1a-0d1e-4f7b-9a55-3c1b8e2d7f00",
        "update_id": "hub-0812ab34cd",
        "amount": "Rp 1.081.234.567",
        "share": 0.8123456789,
        "fraction": "0.8123456789",
    }
    with store.transaction() as session:
        audit.append(session, "intake", "mail/20250304.5f2c@mail.kalsel.go.id", fine)
    assert verify(store) is None


# -- history and export -----------------------------------------------------------------------


@pytest.fixture
def hourly(monkeypatch):
    """Entries i = 0, 1, … made at T0 + i hours."""
    t0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
    clock = iter(t0 + timedelta(hours=i) for i in range(1000))
    monkeypatch.setattr(audit.chain, "utcnow", lambda: next(clock))
    return t0


def test_history_lists_one_ref_oldest_first(store):
    fill(store, 10)
    with store.transaction() as session:
        entries = audit.history(session, "laporpaman/LP-1")
        assert audit.history(session, "laporpaman/LP-404") == []
    assert [e.seq for e in entries] == [2, 6, 10]
    assert [e.data["i"] for e in entries] == [1, 5, 9]


def test_export_jsonl_filters_by_time_and_verifies_in_full(store, hourly):
    hashes = fill(store, 10)
    out = io.StringIO()
    with store.transaction() as session:
        written = audit.export(
            session,
            out,
            "jsonl",
            since=hourly + timedelta(hours=3),
            until=hourly + timedelta(hours=6),
        )
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert written == 3
    assert [line["seq"] for line in lines] == [4, 5, 6]
    assert lines[0] == {
        "seq": 4,
        "at": "2026-03-01T03:00:00.000000Z",
        "kind": "intake",
        "ref": "laporpaman/LP-3",
        "data": {"i": 3, "payload_sha256": sha256_bytes(b"3"), "tracking_id": "1000003"},
        "prev_hash": hashes[2],
        "hash": hashes[3],
    }

    full = io.StringIO()
    with store.transaction() as session:
        assert audit.export(session, full, "jsonl") == 10
    assert audit.verify(audit.read_export(io.StringIO(full.getvalue()), "jsonl")) is None


def test_export_csv_filters_by_time_and_verifies_in_full(store, hourly):
    fill(store, 10)
    with store.transaction() as session:
        audit.append(session, "reconciled", None, {"run": 1})  # no ref: an empty cell
    out = io.StringIO()
    with store.transaction() as session:
        assert audit.export(session, out, "csv", since=hourly + timedelta(hours=8)) == 3
    lines = out.getvalue().splitlines()
    assert lines[0] == "seq,at,kind,ref,data,prev_hash,hash"
    assert [line.split(",")[0] for line in lines[1:]] == ["9", "10", "11"]
    assert lines[3].startswith('11,2026-03-01T10:00:00.000000Z,reconciled,,"{""run"":1}",')

    full = io.StringIO()
    with store.transaction() as session:
        assert audit.export(session, full, "csv", until=hourly + timedelta(hours=100)) == 11
    assert audit.verify(audit.read_export(io.StringIO(full.getvalue()), "csv")) is None
    with pytest.raises(ValueError, match="time zone"), store.transaction() as session:
        audit.export(session, io.StringIO(), "csv", since=datetime(2026, 3, 1))


# -- the commands -------------------------------------------------------------------------------


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def logged(tmp_path, store_url):
    """(config path, store) of a connector with 10 audit entries; the hub URL goes nowhere."""
    connector_config(tmp_path, "http://127.0.0.1:9", UNUSED_PORTAL, store_url=store_url)
    store = Store(store_url)
    store.upgrade()
    fill(store, 10)
    yield tmp_path / "config.yaml", store
    store.dispose()


def test_cli_verify_offline_reports_ok_and_then_the_break(logged):
    config, store = logged
    result = invoke("audit", "verify", "-c", config, "--offline")
    assert result.exit_code == 0, result.output
    seq, hash_ = checkpoint(store)["seq"], checkpoint(store)["hash"]
    assert result.stdout.startswith(
        f"audit log OK: 10 entries, head {seq} {hash_[:12]}, 0 checkpoints match"
    )

    with tampering(store) as conn:
        conn.execute(delete(LOG).where(LOG.c.seq == 6))
    result = invoke("audit", "verify", "-c", config, "--offline")
    assert result.exit_code == 1
    assert result.stdout == (
        "audit log BROKEN at entry 6: entry 6 is missing (entry 5 is followed by entry 7): "
        "entries were removed\n"
    )


def test_cli_show_lists_one_ref(logged):
    config, _ = logged
    result = invoke("audit", "show", "laporpaman/LP-2", "-c", config)
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [(seq, kind) for seq, _, kind, _ in lines] == [("3", "status"), ("7", "intake")]
    assert json.loads(lines[1][3])["tracking_id"] == "1000006"
    assert datetime.fromisoformat(lines[0][1]) <= datetime.fromisoformat(lines[1][1])

    missing = invoke("audit", "show", "laporpaman/LP-404", "-c", config)
    assert missing.exit_code == 1 and "no audit entries for laporpaman/LP-404" in missing.stderr


def test_cli_export_to_a_file_and_to_stdout(logged, tmp_path):
    config, store = logged
    target = tmp_path / "audit.jsonl"
    result = invoke("audit", "export", "-c", config, "--format", "jsonl", "--output", target)
    assert result.exit_code == 0, result.output
    assert "10 entries exported to" in result.stderr
    with target.open(encoding="utf-8") as f:
        assert audit.verify(audit.read_export(f, "jsonl")) is None

    entries = rows(store)
    middle = audit.at_text(entries[4]["at"])
    result = invoke("audit", "export", "-c", config, "--format", "csv", "--from", middle)
    assert result.exit_code == 0, result.output
    assert [line.split(",")[0] for line in result.stdout.splitlines()] == [
        "seq",
        "5",
        "6",
        "7",
        "8",
        "9",
        "10",
    ]

    # No offset: the connector's time zone (Asia/Makassar, UTC+8).
    local = (
        entries[4]["at"].astimezone(timezone(timedelta(hours=8))).replace(tzinfo=None).isoformat()
    )
    result = invoke("audit", "export", "-c", config, "--format", "csv", "--to", local)
    assert [line.split(",")[0] for line in result.stdout.splitlines()] == [
        "seq",
        "1",
        "2",
        "3",
        "4",
    ]

    bad = invoke("audit", "export", "-c", config, "--format", "csv", "--from", "yesterday")
    assert bad.exit_code == 2 and "not an ISO 8601 time" in bad.output


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_verify_with_the_hub_unreachable_checks_locally_and_exits_3(tmp_path):
    connector_config(tmp_path, f"http://127.0.0.1:{_closed_port()}", UNUSED_PORTAL)
    store = Store(f"sqlite:///{tmp_path / 'connector.db'}")
    store.upgrade()
    fill(store, 3)
    result = invoke("audit", "verify", "-c", tmp_path / "config.yaml")
    assert result.exit_code == 3, result.output
    assert (
        "hub unreachable:" in result.stderr and "only the local chain is verified" in result.stderr
    )
    assert result.stdout.startswith("audit log OK: 3 entries, head 3 ")
    store.dispose()


def test_cli_verify_against_the_hubs_checkpoints(tmp_path):
    (tmp_path / "hub").mkdir()
    with running_hub(tmp_path / "hub") as (_, hub):
        config = connector_config(tmp_path, hub.url, UNUSED_PORTAL)
        config_path = tmp_path / "config.yaml"
        store = Store(config.store_url)
        store.upgrade()
        client = HubClient.from_config(config)
        for start in (0, 6):
            fill(store, 6 if start == 0 else 4, start=start)
            given = checkpoint(store)
            client.post_checkpoint(given["seq"], given["hash"], given["at"])
        assert [c["seq"] for c in client.checkpoints()] == [6, 10]

        result = invoke("audit", "verify", "-c", config_path)
        assert result.exit_code == 0, result.output
        assert (
            result.stdout
            == f"audit log OK: 10 entries, head 10 {given['hash'][:12]}, 2 checkpoints match\n"
        )

        with tampering(store) as conn:  # the tail cut off: the chain alone cannot tell
            conn.execute(delete(LOG).where(LOG.c.seq > 7))
        assert invoke("audit", "verify", "-c", config_path, "--offline").exit_code == 0
        result = invoke("audit", "verify", "-c", config_path)
        assert result.exit_code == 1
        assert result.stdout == (
            "audit log BROKEN at entry 10: the hub's checkpoint at entry 10 is beyond the last "
            "entry (7): the log was truncated\n"
        )

        with tampering(store) as conn:  # everything rewritten consistently: only the hub can tell
            conn.execute(update(LOG).where(LOG.c.seq == 1).values(kind="normalized"))
            rehash_from(conn, 1)
        assert invoke("audit", "verify", "-c", config_path, "--offline").exit_code == 0
        result = invoke("audit", "verify", "-c", config_path)
        assert result.exit_code == 1
        assert result.stdout.startswith(
            "audit log BROKEN at entry 6: the hub's checkpoint at entry 6 has hash "
        )
        store.dispose()


def test_cli_verify_does_not_hold_the_sqlite_write_lock(tmp_path):
    """While an auditor's walk is under way, the daemon's writers go on (and the reader cannot write)."""
    config = connector_config(tmp_path, "http://127.0.0.1:9", UNUSED_PORTAL)
    store = Store(config.store_url)
    store.upgrade()
    fill(store, 5)
    with reading(config) as session:
        walk = verify_module.stream(session)
        assert next(walk)["seq"] == 1
        writer = threading.Thread(target=fill, args=(store, 1, 5))
        writer.start()
        writer.join(timeout=5)
        assert not writer.is_alive()  # did not wait for the reader
        assert [row["seq"] for row in walk] == [2, 3, 4, 5]  # the walk's own snapshot
        with pytest.raises(DBAPIError, match="attempt to write a readonly database"):
            session.execute(text("DELETE FROM cursors"))
    assert checkpoint(store)["seq"] == 6
    store.dispose()


def test_outside_ids_that_look_like_personal_data_are_hashed_not_refused(store):
    assert audit.safe_id("LP-0001") == "LP-0001"
    assert (
        audit.safe_id("<20260301.abc@mail.example.id>") == "<20260301.abc@mail.example.id>"
    )  # a Message-ID stays
    hashed = audit.safe_id("081234567890")
    assert hashed.startswith("#") and len(hashed) == 17 and "0812" not in hashed
    assert audit.ref_of("sms", "081234567890") == "sms/" + hashed
    with store.transaction() as session:
        audit.record(
            session, "intake", audit.ref_of("sms", "081234567890"), {"external_id": hashed}
        )
    with store.transaction() as session:
        assert [e.ref for e in audit.history(session, "sms/" + hashed)] == ["sms/" + hashed]
