"""The Gammu channel against the machine's PostgreSQL with Gammu SMSD's own schema
(/usr/share/doc/gammu-smsd/examples/pgsql.sql from Debian's gammu-smsd), the reference hub
and a connector whose own store is SQLite.

Most tests play Gammu SMSD's part in its database the way its SQL backend does (`GammuDb`,
whose rows copy what gammu-smsd 1.42 wrote in `test_the_real_gammu_smsd_...`): received SMS
become `inbox` rows, and what the connector puts in `outbox` is read back, "sent" into
`sentitems` and given delivery reports. The last test runs the real gammu-smsd with Gammu's
dummy phone driver (a folder of SMS files stands in for the modem) on the same database.
"""

from __future__ import annotations

import re
import socket
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from peers import ROOT, act, connector_config, drain, hub_report, running_hub
from sqlalchemy import create_engine, func, select, text, update
from sqlalchemy.engine import make_url

from connector.channels.sms.gammu import GammuChannel
from connector.channels.sms.text import encoding_of, gsm7_length, ucs2_length
from connector.daemon import Connector
from connector.errors import (
    PermanentError,
    SourceRejectedError,
    SourceUnavailableError,
    TransientError,
)
from connector.intake import pipeline as intake
from connector.intake.pipeline import pull_channel
from connector.store.models import Complaint, IntakeItem, OutboxItem

pytestmark = pytest.mark.postgres

GAMMU_SCHEMA = Path("/usr/share/doc/gammu-smsd/examples/pgsql.sql")
CHANNEL = "sms-gammu"
PHONE_ID = "kalsel-1708"  # the SMSD instance's PhoneID: RecipientID of what it receives
SENDER, E164 = "081234567890", "+6281234567890"
CODING = {"gsm7": "Default_No_Compression", "ucs2": "Unicode_No_Compression"}


def create_gammu_schema(url: str) -> None:
    """Gammu's pgsql.sql fed to psql, as Gammu's documentation says. Its `CREATE LANGUAGE
    plpgsql` fails on PostgreSQL 9.0 and later, where the language is built in: that one line is
    left out, and any other error stops the script."""
    script = GAMMU_SCHEMA.read_text(encoding="utf-8")
    script, dropped = re.subn(r"(?im)^\s*CREATE\s+LANGUAGE\s+plpgsql\s*;\s*$", "", script)
    assert dropped == 1 and "CREATE TABLE inbox" in script
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", libpq],
        input=script,
        text=True,
        check=True,
        capture_output=True,
        timeout=60,
    )


class GammuDb:
    """Gammu SMSD's side of its database, written and read as its SQL backend does."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url)

    def receive(
        self,
        sender: str,
        text_: str,
        *,
        udh: str = "",
        when: datetime | None = None,
        coding: str | None = None,
        decoded: str | None = None,
    ) -> int:
        """One received SMS (or one part) as Gammu's save_inbox_sms_insert writes it: the time
        in the gateway's local time without a zone, Text the UTF-16BE hex of the part's own
        text (for both text codings), TextDecoded the decoded text, RecipientID the PhoneID."""
        row = {
            "ReceivingDateTime": when or datetime(2024, 6, 5, 13, 56, 30),
            "Text": text_.encode("utf-16-be").hex().upper(),
            "SenderNumber": sender,
            "Coding": coding or CODING[encoding_of(text_)],
            "SMSCNumber": "+6281100000",
            "UDH": udh,
            "Class": -1,
            "TextDecoded": text_ if decoded is None else decoded,
            "RecipientID": PHONE_ID,
        }
        with self.engine.begin() as conn:
            return conn.execute(
                text(
                    'INSERT INTO inbox ("ReceivingDateTime", "Text", "SenderNumber", "Coding", "SMSCNumber", "UDH", "Class", '
                    '"TextDecoded", "RecipientID") VALUES (:ReceivingDateTime, :Text, :SenderNumber, :Coding, :SMSCNumber, '
                    ':UDH, :Class, :TextDecoded, :RecipientID) RETURNING "ID"'
                ),
                row,
            ).scalar_one()

    def receive_multipart(
        self, sender: str, parts: list[str], ref: int, *, whole_text_in_first: bool
    ) -> list[int]:
        """A complete multipart SMS: one row per part with its concatenation UDH. gammu-smsd
        1.42 writes the whole text into the first part's TextDecoded and leaves the others
        empty; older versions give each part its own text."""
        coding = CODING[encoding_of("".join(parts))]
        ids = []
        for seq, part in enumerate(parts, start=1):
            decoded = ("".join(parts) if seq == 1 else "") if whole_text_in_first else part
            ids.append(
                self.receive(
                    sender,
                    part,
                    udh=f"050003{ref:02X}{len(parts):02X}{seq:02X}",
                    coding=coding,
                    decoded=decoded,
                )
            )
        return ids

    def processed(self) -> dict[int, bool]:
        with self.engine.connect() as conn:
            return dict(
                conn.execute(text('SELECT "ID", "Processed" FROM inbox ORDER BY "ID"')).all()
            )

    def outbox(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping) for r in conn.execute(text('SELECT * FROM outbox ORDER BY "ID"'))
            ]

    def sentitems(self) -> list[dict]:
        with self.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(text('SELECT * FROM sentitems ORDER BY "ID"'))
            ]

    def send_all(self) -> None:
        """What SMSD does after sending: the row moves to sentitems (same ID and CreatorID,
        Status SendingOK while the delivery report is awaited) and leaves outbox."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    'INSERT INTO sentitems ("ID", "SequencePosition", "Status", "SendingDateTime", "SMSCNumber", "TPMR", "SenderID", '
                    '"Text", "DestinationNumber", "Coding", "UDH", "Class", "TextDecoded", "InsertIntoDB", "RelativeValidity", "CreatorID") '
                    "SELECT \"ID\", 1, 'SendingOK', LOCALTIMESTAMP(0), '+6281100000', 42, COALESCE(\"SenderID\", :phone), '', "
                    '"DestinationNumber", "Coding", \'\', "Class", "TextDecoded", "InsertIntoDB", "RelativeValidity", "CreatorID" '
                    "FROM outbox"
                ),
                {"phone": PHONE_ID},
            )
            conn.execute(text("DELETE FROM outbox"))

    def delivery_report(self, creator_id: str, status: str, status_error: int) -> None:
        """save_inbox_sms_update_delivered: a delivery report arrived for a sent part."""
        with self.engine.begin() as conn:
            conn.execute(
                text(
                    'UPDATE sentitems SET "DeliveryDateTime" = LOCALTIMESTAMP(0), "Status" = :s, "StatusError" = :e '
                    'WHERE "CreatorID" = :c'
                ),
                {"s": status, "e": status_error, "c": creator_id},
            )


class World:
    def __init__(self, hub, connector: Connector, gammu: GammuDb):
        self.hub, self.connector, self.gammu = hub, connector, gammu

    @property
    def channel(self) -> GammuChannel:
        return self.connector.channels[CHANNEL]

    def pull(self, connector: Connector | None = None):
        connector = connector or self.connector
        return pull_channel(
            connector.store, connector.channels[CHANNEL], connector.normalizers[CHANNEL]
        )

    def outcomes(self) -> dict[str, int]:
        with self.connector.store.transaction() as s:
            return dict(
                s.execute(
                    select(IntakeItem.outcome, func.count()).group_by(IntakeItem.outcome)
                ).all()
            )

    def stored_refs(self) -> set[str]:
        with self.connector.store.transaction() as s:
            return set(s.scalars(select(IntakeItem.external_id)))

    def complaints(self) -> list[Complaint]:
        with self.connector.store.transaction() as s:
            return list(s.scalars(select(Complaint).order_by(Complaint.id)))

    def notification_ids(self) -> list[int]:
        with self.connector.store.transaction() as s:
            return list(
                s.scalars(
                    select(OutboxItem.id)
                    .where(OutboxItem.kind == "notification")
                    .order_by(OutboxItem.id)
                )
            )


def channel_settings(database_url: str, **extra) -> dict:
    return {
        "id": CHANNEL,
        "kind": "sms_gammu",
        "profile": str(ROOT / "mappings" / "sms.yaml"),
        "database_url": database_url,
        "sender_id": PHONE_ID,
        "send_rate_per_s": 100,
        "poll_every_s": 1,
        **extra,
    }


def make_connector(tmp_path, hub, database_url: str, **extra) -> Connector:
    connector = Connector(
        connector_config(
            tmp_path,
            hub.url,
            "http://127.0.0.1:9",
            channels=[channel_settings(database_url, **extra)],
        )
    )
    connector.store.upgrade()
    return connector


@pytest.fixture
def gammu(pg_url):
    create_gammu_schema(pg_url)
    db = GammuDb(pg_url)
    yield db
    db.engine.dispose()


@pytest.fixture
def world(request, tmp_path, gammu):
    extra = getattr(request, "param", {})
    with running_hub(tmp_path) as (_, hub):
        connector = make_connector(tmp_path, hub, gammu.url, **extra)
        yield World(hub, connector, gammu)
        connector.close()


def by_outbox_item(rows: list[dict]) -> dict[int, list[dict]]:
    """Gammu outbox rows per connector outbox item, in part order (from CreatorID)."""
    groups: dict[int, list[tuple[int, dict]]] = {}
    for row in rows:
        prefix, outbox_id, part = row["CreatorID"].rsplit(":", 2)
        assert prefix == "lapor-connector"
        groups.setdefault(int(outbox_id), []).append((int(part), row))
    return {k: [r for _, r in sorted(v, key=lambda pr: pr[0])] for k, v in sorted(groups.items())}


# -- the way in and back out -------------------------------------------------------------------


def test_the_advertised_sms_becomes_a_report_for_banjarbaru_and_the_tracking_id_goes_back_as_an_outbox_row(
    world,
):
    gammu_id = world.gammu.receive(
        SENDER,
        "LAPORPAMAN Jalan rusak di Jl. A. Yani km 5 Banjarbaru",
        when=datetime(2024, 6, 5, 13, 56, 30),
    )
    drain(world.connector)
    [c] = world.complaints()
    assert c.source_ref == f"gammu:{gammu_id}" and c.report["source"]["channel"] == "sms"
    assert c.report["location"]["region_code"] == "63.72"
    assert c.report["body"] == "Jalan rusak di Jl. A. Yani km 5 Banjarbaru" and c.report[
        "complainant"
    ] == {"phone": E164}
    # Gammu's 13:56:30 is the gateway's local time (WITA, UTC+8), not UTC.
    assert datetime.fromisoformat(c.report["submitted_at"]) == datetime(
        2024, 6, 5, 5, 56, 30, tzinfo=timezone.utc
    )
    assert hub_report(world.hub, c.tracking_id)["report"]["location"]["region_code"] == "63.72"
    [row] = world.gammu.outbox()
    [notification] = world.notification_ids()
    assert (
        row["DestinationNumber"] == E164
        and c.tracking_id in row["TextDecoded"]
        and gsm7_length(row["TextDecoded"]) <= 160
    )
    assert (
        row["Coding"] == "Default_No_Compression"
        and row["CreatorID"] == f"lapor-connector:{notification}:1"
    )
    assert (row["SenderID"], row["DeliveryReport"], row["MultiPart"], row["Status"]) == (
        PHONE_ID,
        "yes",
        False,
        "Reserved",
    )
    assert world.gammu.processed() == {gammu_id: True}


@pytest.mark.parametrize(
    "whole_text_in_first",
    [True, False],
    ids=["gammu-1.42-whole-text-in-first-part", "older-gammu-text-per-part"],
)
def test_an_emoji_sms_a_multipart_sms_and_the_same_sms_twice(world, whole_text_in_first):
    world.gammu.receive(SENDER, "LAPORPAMAN Sampah menumpuk di pasar Martapura 🙏 mohon diangkut")
    parts = [
        "LAPORPAMAN Sudah tiga hari air PDAM tidak mengalir di Jl. Veteran ",
        "Banjarmasin, warga terpaksa membeli air 😢",
    ]
    world.gammu.receive_multipart(
        "082211112222", parts, ref=0x2A, whole_text_in_first=whole_text_in_first
    )
    for _ in range(2):  # the operator delivered it twice: two rows, two Gammu ids
        world.gammu.receive(
            "083344445555", "LAPORPAMAN Lampu jalan mati di Jl. Sultan Adam Banjarmasin"
        )
    drain(world.connector)
    assert world.outcomes() == {
        "accepted": 3,
        "part": 2,
        "duplicate": 1,
    }  # the whole the parts made is one of the 3
    bodies = {c.report["complainant"]["phone"]: c.report["body"] for c in world.complaints()}
    assert bodies == {
        E164: "Sampah menumpuk di pasar Martapura 🙏 mohon diangkut",
        "+6282211112222": "".join(parts)[len("LAPORPAMAN ") :],
        "+6283344445555": "Lampu jalan mati di Jl. Sultan Adam Banjarmasin",
    }
    assert set(world.gammu.processed().values()) == {True}
    assert len(world.gammu.outbox()) == 3  # one acknowledgement per report, none for the repeat


# -- acknowledgement -----------------------------------------------------------------------------


@pytest.mark.parametrize("world", [{"batch_size": 2}], indirect=True)
def test_rows_are_read_in_id_order_batch_by_batch_and_each_batch_is_marked_processed_after_its_commit(
    world, monkeypatch
):
    ids = [
        world.gammu.receive(f"08123456789{n}", f"LAPORPAMAN Jalan rusak nomor {n} di Banjarbaru")
        for n in range(5)
    ]
    acknowledge, calls = world.channel.acknowledge, []

    def watched(items):
        # Here intake has committed the batch: it is in the store, and Gammu has not been told.
        calls.append(([i.external_id for i in items], world.stored_refs(), world.gammu.processed()))
        acknowledge(items)

    monkeypatch.setattr(world.channel, "acknowledge", watched)
    assert world.pull().accepted == 5
    refs = [f"gammu:{i}" for i in ids]
    assert [batch for batch, _, _ in calls] == [refs[0:2], refs[2:4], refs[4:5]]
    for n, (batch, stored, flags) in enumerate(calls):
        assert set(batch) <= stored
        assert [flags[i] for i in ids] == [k < 2 * n for k in range(5)]  # earlier batches only
    assert set(world.gammu.processed().values()) == {True}


def test_a_crash_between_the_commit_and_the_acknowledgement_loses_nothing_and_doubles_nothing(
    world, monkeypatch
):
    ids = [
        world.gammu.receive(SENDER, "LAPORPAMAN Jalan berlubang di Jl. Ahmad Yani Banjarbaru"),
        world.gammu.receive("082211112222", "LAPORPAMAN Lampu jalan mati di Martapura"),
    ]

    class Crash(BaseException):
        """The process dies: nothing after this point runs."""

    def crash(items):
        raise Crash()

    monkeypatch.setattr(world.channel, "acknowledge", crash)
    with pytest.raises(Crash):
        world.pull()
    assert world.stored_refs() == {f"gammu:{i}" for i in ids}  # committed ...
    assert world.gammu.processed() == {i: False for i in ids}  # ... and not acknowledged
    world.connector.close()

    world.connector = restarted = Connector(world.connector.config)  # the fixture closes it
    stats = world.pull(restarted)
    assert (stats.received, stats.duplicates, stats.accepted) == (
        2,
        2,
        0,
    )  # read again, dropped as repeats
    assert world.gammu.processed() == {i: True for i in ids}  # and acknowledged now
    drain(restarted)
    assert world.outcomes() == {"accepted": 2}
    complaints = world.complaints()
    assert sorted(c.source_ref for c in complaints) == sorted(f"gammu:{i}" for i in ids)
    assert all(
        hub_report(world.hub, c.tracking_id)["report"]["source"]["source_ref"] == c.source_ref
        for c in complaints
    )
    assert sorted(r["DestinationNumber"] for r in world.gammu.outbox()) == sorted(
        [E164, "+6282211112222"]
    )  # one answer each
    assert world.pull(restarted).received == 0


def test_rows_stay_unprocessed_when_the_commit_fails_and_come_in_at_the_next_pull(
    world, monkeypatch
):
    gammu_id = world.gammu.receive(
        SENDER, "LAPORPAMAN Jembatan retak di Desa Sungai Tabuk Kab. Banjar"
    )

    def failing(*args, **kwargs):
        raise RuntimeError("the store went away mid-transaction")

    monkeypatch.setattr(intake, "ingest", failing)
    with pytest.raises(RuntimeError):
        world.pull()
    assert world.stored_refs() == set() and world.gammu.processed() == {gammu_id: False}
    monkeypatch.undo()
    assert world.pull().accepted == 1 and world.gammu.processed() == {gammu_id: True}


def test_a_batch_whose_acknowledgement_did_nothing_is_not_read_again_in_the_same_pull(
    world, monkeypatch
):
    ids = [
        world.gammu.receive(
            f"08123456789{n}", f"LAPORPAMAN Drainase tersumbat nomor {n} Banjarmasin"
        )
        for n in range(3)
    ]
    world.channel.batch_size = 1
    monkeypatch.setattr(
        world.channel, "acknowledge", lambda items: None
    )  # e.g. a trigger swallowed the UPDATE
    read, reads = world.channel._unprocessed, []

    def counted(after):
        reads.append(after)
        assert len(reads) <= 10, "the pull keeps reading the same rows"
        return read(after)

    monkeypatch.setattr(world.channel, "_unprocessed", counted)
    assert world.pull().received == 3  # each row once, and the pull ends
    assert reads == [0, *ids]
    monkeypatch.undo()
    stats = world.pull()
    assert (stats.received, stats.duplicates) == (3, 3) and set(
        world.gammu.processed().values()
    ) == {True}
    assert [c.source_ref for c in world.complaints()] == [f"gammu:{i}" for i in ids]


# -- sending -------------------------------------------------------------------------------------


def test_a_long_answer_becomes_several_outbox_rows_within_the_limits_each_with_its_coding(world):
    world.gammu.receive(SENDER, "LAPORPAMAN Air PDAM mati tiga hari di Banjarbaru")
    drain(world.connector)
    [c] = world.complaints()
    plain = (
        "Petugas PDAM sudah memeriksa pipa induk dan menemukan kebocoran besar di Jl. A. Yani. " * 4
    )
    assert act(world.hub, c.tracking_id, "ditindaklanjuti", plain.strip()).ok
    drain(world.connector)
    emoji = "Pipa sudah diganti dan air mengalir lagi sejak pagi ini. " * 3 + "Terima kasih 🙏"
    assert act(world.hub, c.tracking_id, "selesai", emoji).ok
    drain(world.connector)
    ack, gsm, ucs2 = by_outbox_item(world.gammu.outbox()).values()
    assert len(ack) == 1
    gsm_texts, ucs2_texts = [r["TextDecoded"] for r in gsm], [r["TextDecoded"] for r in ucs2]
    assert (
        len(gsm) >= 3
        and all(gsm7_length(t) <= 153 for t in gsm_texts)
        and plain.strip() in "".join(gsm_texts)
    )
    assert {r["Coding"] for r in gsm} == {"Default_No_Compression"}
    # The emoji makes the message UCS-2: parts of at most 67 code units, each part's Coding by its own text.
    assert (
        len(ucs2) >= 3
        and all(ucs2_length(t) <= 67 for t in ucs2_texts)
        and emoji in "".join(ucs2_texts)
    )
    assert [r["Coding"] for r in ucs2] == [CODING[encoding_of(t)] for t in ucs2_texts]
    assert ucs2[-1]["Coding"] == "Unicode_No_Compression" and "🙏" in ucs2_texts[-1]
    assert all(
        r["DestinationNumber"] == E164 and r["MultiPart"] is False and r["UDH"] is None
        for r in gsm + ucs2
    )


def test_a_resend_of_the_same_outbox_item_inserts_nothing_before_or_after_gammu_sent_it(world):
    message = {
        "to": E164,
        "text": "Laporan Anda sedang diperiksa oleh petugas Dinas PUPR Kota Banjarbaru. " * 3,
        "outbox_id": 41,
    }
    parts = world.channel.deliver(message)["parts"]
    first = world.gammu.outbox()
    assert parts == len(first) >= 2 and [r["CreatorID"] for r in first] == [
        f"lapor-connector:41:{n}" for n in range(1, parts + 1)
    ]
    world.channel.deliver(message)  # the connector died before it recorded the delivery
    assert world.gammu.outbox() == first
    world.gammu.send_all()
    world.channel.deliver(message)  # ... and Gammu had sent it meanwhile
    assert world.gammu.outbox() == [] and len(world.gammu.sentitems()) == parts
    world.channel.deliver(
        {**message, "outbox_id": 42}
    )  # another item with the same text is another message
    assert len(world.gammu.outbox()) == parts


def test_a_notification_delivered_again_after_a_crash_reaches_gammu_once(world):
    world.gammu.receive(
        SENDER, "LAPORPAMAN Pohon tumbang menutup jalan di Landasan Ulin Banjarbaru"
    )
    drain(world.connector)
    [notification] = world.notification_ids()
    before = world.gammu.outbox()
    with world.connector.store.transaction() as s:  # the delivery was never recorded
        s.execute(
            update(OutboxItem)
            .where(OutboxItem.id == notification)
            .values(state="pending", finished_at=None)
        )
    drain(world.connector)
    assert world.gammu.outbox() == before and len(before) == 1


def test_gammus_delivery_reports_are_read_back_by_creator_id(world):
    world.channel.deliver(
        {"to": E164, "text": "Laporan 1234567 selesai ditindaklanjuti. " * 5, "outbox_id": 7}
    )
    world.channel.deliver(
        {"to": "+6282211112222", "text": "Laporan 7654321 diterima.", "outbox_id": 8}
    )
    assert world.channel.delivery_statuses() == []  # nothing sent yet
    world.gammu.send_all()
    world.gammu.delivery_report("lapor-connector:7:1", "DeliveryOK", 0)
    world.gammu.delivery_report("lapor-connector:8:1", "DeliveryFailed", 70)
    with world.gammu.engine.begin() as conn:  # another program's row in the same tables
        conn.execute(
            text(
                'INSERT INTO sentitems ("ID", "SenderID", "Text", "UDH", "CreatorID", "Status") '
                "VALUES (999, 'x', '', '', 'Gammu 1.42.0', 'DeliveryOK')"
            )
        )
    statuses = world.channel.delivery_statuses()
    assert [(s["outbox_id"], s["part"], s["status"]) for s in statuses] == [
        (7, 1, "delivered"),
        (7, 2, "smsc_accepted"),
        (8, 1, "failed"),
    ]
    assert statuses[2]["detail"] == "gammu DeliveryFailed (StatusError 70)"
    assert [s["outbox_id"] for s in world.channel.delivery_statuses(outbox_ids=[8])] == [8]


# -- when the database is not there ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "where, error, kind",
    [
        ("unreachable", SourceUnavailableError, TransientError),
        ("no-gammu-tables", SourceRejectedError, PermanentError),
    ],
    ids=["unreachable-server", "database-without-gammu-tables"],
)
def test_a_missing_gammu_database_is_reported_and_nothing_is_stored(
    tmp_path, pg_url, where, error, kind
):
    url = make_url(pg_url).set(password="s3cret-pass")
    url = url.set(port=free_port()) if where == "unreachable" else url
    with running_hub(tmp_path) as (_, hub):
        connector = make_connector(tmp_path, hub, url.render_as_string(hide_password=False))
        try:
            channel = connector.channels[CHANNEL]
            stats = connector.cycle()
            assert (
                len(stats.errors) == 1
                and stats.errors[0].startswith(f"{CHANNEL}: ")
                and "s3cret-pass" not in stats.errors[0]
            )
            with pytest.raises(error) as caught:
                list(channel.fetch(None))
            assert isinstance(caught.value, kind) and "s3cret-pass" not in str(caught.value)
            with pytest.raises(error):
                channel.deliver({"to": E164, "text": "Laporan 1234567 diterima.", "outbox_id": 1})
            probe = channel.probe()
            assert not probe.ok and "s3cret-pass" not in probe.detail
            with connector.store.transaction() as s:
                assert s.scalar(select(func.count()).select_from(IntakeItem)) == 0
        finally:
            connector.close()


def test_the_probe_reports_gammus_schema_version_and_waiting_rows(world):
    world.gammu.receive(SENDER, "LAPORPAMAN Jalan rusak di Banjarbaru")
    probe = world.channel.probe()
    assert probe.ok and "schema version 17, 1 unprocessed inbox row(s)" in probe.detail


# -- the real gammu-smsd ---------------------------------------------------------------------------


class GammuSmsd:
    """Debian's gammu-smsd with its SQL service (native_pgsql) on the test database, and Gammu's
    dummy phone driver as the modem: an SMS file put in <phone>/sms/1 is what the modem
    received (Gammu's SMS backup format, text as UTF-16BE hex), and what it "sends" succeeds.
    Runs in WITA, as a gateway in Kalimantan Selatan would."""

    def __init__(self, folder: Path, database_url: str):
        self.folder, self.phone, self.log = folder, folder / "phone", folder / "smsd.log"
        for n in range(1, 6):
            (self.phone / "sms" / str(n)).mkdir(parents=True, exist_ok=True)
        url = make_url(database_url)
        self.config = folder / "smsdrc"
        self.config.write_text(
            f"[gammu]\ndevice = {self.phone}\nmodel = dummy\nconnection = none\n\n"
            f"[smsd]\nservice = sql\ndriver = native_pgsql\nhost = {url.host}:{url.port or 5432}\nuser = {url.username}\n"
            f"password = {url.password or 'unused'}\ndatabase = {url.database}\nphoneid = {PHONE_ID}\n"
            f"logfile = {self.log}\ndebuglevel = 1\nloopsleep = 1\nreceivefrequency = 1\ncommtimeout = 1\nstatusfrequency = 0\n"
            "checksecurity = 0\ncheckbattery = 0\nchecksignal = 0\nchecknetwork = 0\nresetfrequency = 0\nhardresetfrequency = 0\n",
            encoding="utf-8",
        )
        self.proc: subprocess.Popen | None = None
        self.count = 0

    def modem_receives(
        self, sender: str, text_: str, sent: datetime, udh: str | None = None, unicode: bool = False
    ) -> None:
        self.count += 1
        lines = [
            "",
            "[SMSBackup000]",
            'SMSC = "+6281100000"',
            f"Sent = {sent.astimezone(timezone.utc):%Y%m%dT%H%M%S}Z",
            "State = UnRead",
            f'Number = "{sender}"',
            f"Coding = {'Unicode' if unicode else 'Default'}",
            "Folder = 1",
            *([f"UDH = {udh}"] if udh else []),
            f"Text00 = {text_.encode('utf-16-be').hex().upper()}",
            "",
        ]
        path = self.phone / "sms" / "1" / str(self.count)
        path.with_suffix(".tmp").write_text("\n".join(lines), encoding="utf-8")
        path.with_suffix(".tmp").rename(path)  # whole, or not there at all

    def start(self) -> GammuSmsd:
        self.proc = subprocess.Popen(
            ["gammu-smsd", "-c", str(self.config)],
            cwd=self.folder,
            env={"TZ": "Asia/Makassar", "PATH": "/usr/bin:/bin"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    def wait_for(self, condition, what: str, timeout_s: float = 30.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            assert self.proc is not None and self.proc.poll() is None, (
                f"gammu-smsd exited: {self.log.read_text(errors='replace')[-2000:]}"
            )
            time.sleep(0.2)
        raise AssertionError(
            f"gammu-smsd: {what} did not happen; its log:\n{self.log.read_text(errors='replace')[-2000:]}"
        )


def test_the_real_gammu_smsd_stores_what_the_modem_receives_and_sends_what_the_connector_answers(
    world, tmp_path
):
    smsd = GammuSmsd(tmp_path / "gammu", world.gammu.url)
    sent = datetime(2024, 6, 5, 5, 56, 30, tzinfo=timezone.utc)  # 13:56:30 WITA
    smsd.modem_receives(SENDER, "LAPORPAMAN Jalan rusak di Jl. A. Yani km 5 Banjarbaru", sent)
    parts = [
        "LAPORPAMAN Sampah menumpuk di TPS Jl. Veteran 🙏 ",
        "Banjarmasin mohon segera diangkut.",
    ]
    for seq, part in enumerate(parts, start=1):
        smsd.modem_receives("082211112222", part, sent, udh=f"0500034302{seq:02X}", unicode=True)
    try:
        smsd.start()
        rows = smsd.wait_for(
            lambda: len(world.gammu.processed()) == 3 and world.gammu.processed(),
            "storing 3 inbox rows",
        )
        assert set(rows.values()) == {False}
        with world.gammu.engine.connect() as conn:
            stored = conn.execute(
                text(
                    'SELECT "ReceivingDateTime", "RecipientID", "UDH", "TextDecoded" FROM inbox ORDER BY "ID"'
                )
            ).all()
        assert stored[0][:2] == (datetime(2024, 6, 5, 13, 56, 30), PHONE_ID)  # local time, no zone
        assert [r.UDH for r in stored[1:]] == ["050003430201", "050003430202"]
        assert [r.TextDecoded for r in stored[1:]] == [
            "".join(parts),
            "",
        ]  # what the channel's reading of "Text" is for

        drain(world.connector)
        bodies = {c.report["complainant"]["phone"]: c for c in world.complaints()}
        report, multipart = bodies[E164], bodies["+6282211112222"]
        assert report.report["location"]["region_code"] == "63.72"
        assert datetime.fromisoformat(report.report["submitted_at"]) == sent
        assert multipart.report["body"] == "".join(parts)[len("LAPORPAMAN ") :]
        assert set(world.gammu.processed().values()) == {True}

        notifications = world.notification_ids()
        smsd.wait_for(
            lambda: not world.gammu.outbox() and len(world.gammu.sentitems()) == 2,
            "sending both answers",
        )
        sent_rows = {r["CreatorID"]: r for r in world.gammu.sentitems()}
        assert set(sent_rows) == {f"lapor-connector:{n}:1" for n in notifications}
        assert {r["DestinationNumber"] for r in sent_rows.values()} == {E164, "+6282211112222"}
        assert (
            report.tracking_id in sent_rows[f"lapor-connector:{notifications[0]}:1"]["TextDecoded"]
        )
        assert {r["SenderID"] for r in sent_rows.values()} == {PHONE_ID}
        statuses = world.channel.delivery_statuses()
        assert sorted((s["outbox_id"], s["part"], s["status"]) for s in statuses) == [
            (n, 1, "smsc_accepted") for n in notifications
        ]
    finally:
        smsd.stop()
