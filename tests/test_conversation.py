"""connector.conversation on a real store (SQLite and PostgreSQL): which report a citizen's
message answers (the matching order), the lookup of a number a citizen typed (tracking ids of
any shape, any case, short references), the answer to a status question, the citizen's reply
as an update, and the short reference an SMS acknowledgement gives for a long tracking id."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from connector.channels.base import Command, Question, Reply, ReplyRef
from connector.channels.sms.commands import short_reference
from connector.channels.sms.text import gsm7_length, is_gsm7, segments
from connector.citizens.conversation import (
    answer_command,
    citizen_reply,
    find_report,
    reply_update_id,
    reports_named,
    resolve_reply,
)
from connector.citizens.notify import enqueue_notification, render, sms_number
from connector.store.models import (
    AuditEntry,
    Complaint,
    IntakeItem,
    OutboxItem,
    SentMessage,
    StatusUpdate,
)
from connector.timeutil import utcnow

CHANNEL = "pengaduan-email"
BUDI = "budi.santoso@example.id"
SITI = "siti.aisyah@example.com"
PHONE = "+6281234567890"
UUID = "3f2b8c1e-9a4d-4e7b-8c2f-1d5e6a7b8c9d"
LONG_ID = "KALSEL-2026-" + "0123456789abcdef" * 3 + "XYZ0"
HELP = "Format: LAPORPAMAN <isi laporan> kirim ke 1708. Cek status: INFO <nomor laporan>."


def add_complaint(
    s,
    tracking_id,
    *,
    source_ref=None,
    channel=CHANNEL,
    email=None,
    phone=None,
    confidential=False,
    status="terverifikasi",
    title="Jalan rusak",
) -> Complaint:
    source_ref = source_ref or f"seed-{tracking_id}"
    intake = IntakeItem(
        channel_id=channel,
        external_id=source_ref,
        payload_sha256="0" * 64,
        payload=b"",
        media_type="message/rfc822",
        meta={},
        received_at=utcnow(),
        outcome="accepted",
    )
    s.add(intake)
    s.flush()
    contact = {k: v for k, v in (("email", email), ("phone", phone)) if v}
    report = {
        "title": title,
        "source": {"channel": "sms" if phone else "email"},
        "complainant": contact,
        "privacy": {"anonymous": False, "confidential": confidential},
    }
    c = Complaint(
        channel_id=channel,
        source_ref=source_ref,
        intake_id=intake.id,
        content_hash="0" * 64,
        report=report,
        notes={},
        tracking_id=tracking_id,
        status=status,
    )
    s.add(c)
    s.flush()
    return c


def reply(ids=(), tag=None, sender=BUDI, words=(), text="Lubangnya makin besar.") -> Reply:
    return Reply(tuple(ids), tag, sender, text, None, tuple(words))


# -- finding a report by the number a citizen wrote ------------------------------------------

SHAPES = ["1000001", "LPR-0123456789", "2026.KS.000123", "kalsel_77", UUID, LONG_ID]


@pytest.mark.parametrize(
    "tracking_id", SHAPES, ids=["numeric", "prefixed", "dotted", "underscore", "uuid", "64-chars"]
)
def test_any_tracking_id_shape_is_found_as_written_and_in_any_case(store, tracking_id):
    with store.transaction() as s:
        c = add_complaint(s, tracking_id, email=BUDI)
        add_complaint(s, "9999999", email=SITI)
        assert find_report(s, [tracking_id]) == (tracking_id, c)
        assert find_report(s, [tracking_id.lower()]) == (tracking_id.lower(), c)
        assert find_report(s, [tracking_id.upper()]) == (tracking_id.upper(), c)
        assert find_report(s, [tracking_id + "x"]) is None


def test_exact_beats_case_insensitive_and_two_reports_equal_but_for_case_name_neither(store):
    with store.transaction() as s:
        upper, lower = add_complaint(s, "ABC-1"), add_complaint(s, "abc-1")
        assert find_report(s, ["ABC-1"]) == ("ABC-1", upper)
        assert find_report(s, ["abc-1"]) == ("abc-1", lower)
        assert find_report(s, ["Abc-1"]) is None  # which one was meant cannot be told


def test_a_short_reference_names_its_complaint_and_a_tracking_id_comes_first(store):
    with store.transaction() as s:
        c = add_complaint(s, LONG_ID)
        ref = short_reference(c.id)
        assert find_report(s, [ref]) == (ref, c)
        assert find_report(s, [ref.lower()]) == (ref.lower(), c)
        other = add_complaint(s, ref)  # a hub that happens to issue that very string
        assert find_report(s, [ref]) == (ref, other)
        no_tracking = add_complaint(s, None, source_ref="seed-without-tracking")
        assert (
            find_report(s, [short_reference(no_tracking.id)]) is None
        )  # no tracking id yet: nothing was given out


def test_reports_named_keeps_the_order_of_the_words(store):
    with store.transaction() as s:
        a, b = add_complaint(s, "1000001"), add_complaint(s, "LPR-0123456789")
        found = reports_named(
            s, ["Laporan", "lpr-0123456789", "jalan", "1000001", "1000001", short_reference(a.id)]
        )
        assert found == [("lpr-0123456789", b), ("1000001", a), (short_reference(a.id), a)]
        assert reports_named(s, []) == []


# -- which report a reply answers: the matching order -----------------------------------------


@pytest.fixture
def thread(store):
    """Two complaints by Budi (A: 1000123, B: LPR-0123456789) and one by Siti (C), with an
    acknowledgement sent for A and B, and one earlier reply of Budi's on B."""
    with store.transaction() as s:
        a = add_complaint(s, "1000123", source_ref="CAF1001.jalan@mail.example.id", email=BUDI)
        b = add_complaint(
            s, "LPR-0123456789", source_ref="CAF2002.lampu@mail.example.id", email=BUDI
        )
        c = add_complaint(s, "2026.KS.000123", source_ref="siti-1@example.com", email=SITI)
        s.add(
            SentMessage(
                message_id="diterima-aaa@lapor-connector.kalselprov.go.id",
                complaint_id=a.id,
                channel_id=CHANNEL,
                event="diterima",
            )
        )
        s.add(
            SentMessage(
                message_id="diterima-bbb@lapor-connector.kalselprov.go.id",
                complaint_id=b.id,
                channel_id=CHANNEL,
                event="diterima",
            )
        )
        citizen_reply(
            s, b, reply_update_id(CHANNEL, "budi-reply-1@mail.example.id"), reply(), "kalsel"
        )
        ids = {"a": a.id, "b": b.id, "c": c.id}
    return store, ids


MATCH_CASES = [
    # id, reply, which complaint (None: a new complaint)
    ("a-our-acknowledgement", reply(["diterima-aaa@lapor-connector.kalselprov.go.id"]), "a"),
    ("a-the-citizens-first-mail", reply(["CAF1001.jalan@mail.example.id"]), "a"),
    ("a-an-earlier-reply", reply(["budi-reply-1@mail.example.id"]), "b"),
    (
        "a-first-known-id-wins",
        reply(["unknown@x", "CAF2002.lampu@mail.example.id", "CAF1001.jalan@mail.example.id"]),
        "b",
    ),
    ("a-any-sender", reply(["CAF1001.jalan@mail.example.id"], sender="tetangga@example.org"), "a"),
    ("a-before-tag", reply(["CAF1001.jalan@mail.example.id"], tag="LPR-0123456789"), "a"),
    (
        "a-before-words",
        reply(["diterima-bbb@lapor-connector.kalselprov.go.id"], words=["1000123"]),
        "b",
    ),
    ("a-unknown-ids-fall-to-tag", reply(["nobody@example.net"], tag="1000123"), "a"),
    ("b-tag", reply(tag="LPR-0123456789"), "b"),
    ("b-tag-lower-case", reply(tag="lpr-0123456789"), "b"),
    ("b-tag-before-words", reply(tag="1000123", words=["LPR-0123456789"]), "a"),
    ("b-tag-not-the-senders", reply(tag="2026.KS.000123"), None),
    ("b-tag-sender-case", reply(tag="1000123", sender="Budi.Santoso@example.id"), "a"),
    ("b-tag-no-sender", reply(tag="1000123", sender=None), None),
    ("c-subject-word", reply(words=["Re", "Laporan", "LPR-0123456789"]), "b"),
    ("c-first-word-of-the-sender", reply(words=["2026.KS.000123", "1000123"]), "a"),
    ("c-not-the-senders", reply(words=["2026.KS.000123"]), None),
    ("c-siti-own", reply(words=["2026.KS.000123"], sender=SITI), "c"),
    ("nothing-known", reply(["nobody@example.net"], tag="7777777", words=["Jalan", "rusak"]), None),
    ("base-reply-ref", ReplyRef(("CAF2002.lampu@mail.example.id",), None, BUDI, "x"), "b"),
]


@pytest.mark.parametrize(
    "ref, expected", [c[1:] for c in MATCH_CASES], ids=[c[0] for c in MATCH_CASES]
)
def test_the_matching_order(thread, ref, expected):
    store, ids = thread
    with store.transaction() as s:
        found = resolve_reply(s, ref, CHANNEL)
        assert (found.id if found else None) == (ids[expected] if expected else None)


def test_the_first_mail_and_earlier_replies_count_only_in_their_own_channel(thread):
    store, ids = thread
    with store.transaction() as s:
        assert resolve_reply(s, reply(["CAF1001.jalan@mail.example.id"]), "another-mailbox") is None
        assert resolve_reply(s, reply(["budi-reply-1@mail.example.id"]), "another-mailbox") is None
        assert (
            resolve_reply(
                s, reply(["diterima-aaa@lapor-connector.kalselprov.go.id"]), "another-mailbox"
            ).id
            == ids["a"]
        )


def test_a_citizens_reply_is_a_pelapor_update_queued_for_the_hub_with_an_audit_entry(store):
    with store.transaction() as s:
        c = add_complaint(s, "LPR-0123456789", email=BUDI)
        assert citizen_reply(s, c, "email/m-1/reply", reply(text=""), "kalsel") is False
        assert (
            citizen_reply(s, c, "email/m-1/reply", reply(text="Sudah dua meter."), "kalsel") is True
        )
        s.flush()
        [row] = s.scalars(select(StatusUpdate)).all()
        assert (row.origin, row.state, row.status) == ("region", "pending", None)
        assert row.payload == {
            "schema_version": "1",
            "update_id": "email/m-1/reply",
            "tracking_id": "LPR-0123456789",
            "origin": {"side": "region", "connector_id": "kalsel", "channel_id": CHANNEL},
            "actor": "pelapor",
            "message": "Sudah dua meter.",
            "occurred_at": row.payload["occurred_at"],
        }
        [queued] = s.scalars(select(OutboxItem).where(OutboxItem.kind == "status_update")).all()
        assert (queued.target, queued.idempotency_key, queued.payload) == (
            "hub",
            "update/hub/email/m-1/reply",
            {"update_id": "email/m-1/reply"},
        )
    with store.transaction() as s:  # audit entries are appended when the transaction commits
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.kind == "status")).all()
        assert (entry.data["origin"], entry.data["state"], entry.data["status"]) == (
            "region",
            "pending",
            None,
        )
        assert "Sudah" not in str(entry.data)


# -- status questions ---------------------------------------------------------------------


def question(*words, unknown="not_found", typed=None) -> Question:
    return Question(
        "info",
        typed if typed is not None else (words[0] if words else None),
        tuple(words),
        unknown,
        HELP,
    )


@pytest.fixture
def reports(store):
    with store.transaction() as s:
        long = add_complaint(s, LONG_ID, phone=PHONE)
        for tracking_id in SHAPES[:-1]:
            add_complaint(s, tracking_id, phone=PHONE)
        add_complaint(s, "7000001", phone=PHONE, confidential=True, status="ditindaklanjuti")
        short = short_reference(long.id)
    return store, short


ANSWER_CASES = [
    ("numeric", question("1000001"), PHONE, "Laporan 1000001: Terverifikasi."),
    (
        "prefixed-lower-case",
        question("lpr-0123456789"),
        PHONE,
        "Laporan LPR-0123456789: Terverifikasi.",
    ),
    (
        "dotted-full-stop",
        question("2026.KS.000123.", "2026.KS.000123", typed="2026.KS.000123"),
        PHONE,
        "Laporan 2026.KS.000123: Terverifikasi.",
    ),
    ("underscore-upper-case", question("KALSEL_77"), PHONE, "Laporan kalsel_77: Terverifikasi."),
    ("uuid", question(UUID.upper()), PHONE, f"Laporan {UUID}: Terverifikasi."),
    ("64-chars", question(LONG_ID), PHONE, f"Laporan {LONG_ID}: Terverifikasi."),
    ("short-reference", question("{short}"), PHONE, f"Laporan {LONG_ID}: Terverifikasi."),
    (
        "later-word",
        question("laporan", "saya", "1000001", unknown="help", typed=None),
        PHONE,
        "Laporan 1000001: Terverifikasi.",
    ),
    (
        "confidential-to-its-reporter",
        question("7000001"),
        PHONE,
        "Laporan 7000001: Ditindaklanjuti.",
    ),
    (
        "confidential-to-another-number",
        question("7000001"),
        "+6282211112222",
        "Laporan dengan nomor 7000001 tidak ditemukan. Periksa kembali nomor laporan Anda.",
    ),
    (
        "confidential-no-sender",
        question("7000001"),
        None,
        "Laporan dengan nomor 7000001 tidak ditemukan. Periksa kembali nomor laporan Anda.",
    ),
    (
        "unknown-number",
        question("LPR-9999999999"),
        PHONE,
        "Laporan dengan nomor LPR-9999999999 tidak ditemukan. Periksa kembali nomor laporan Anda.",
    ),
    (
        "unknown-echoes-what-was-typed",
        question("lpr-9999999999.", "lpr-9999999999", typed="lpr-9999999999"),
        PHONE,
        "Laporan dengan nomor lpr-9999999999 tidak ditemukan. Periksa kembali nomor laporan Anda.",
    ),
    (
        "unknown-words-get-the-help",
        question("laporan", "saya", unknown="help", typed=None),
        PHONE,
        HELP,
    ),
    ("unknown-words-of-a-report", question("jalan", unknown="report", typed=None), PHONE, None),
    ("plain-command", Command("info", "1000001"), PHONE, "Laporan 1000001: Terverifikasi."),
    (
        "plain-command-unknown",
        Command("info", "1000002"),
        PHONE,
        "Laporan dengan nomor 1000002 tidak ditemukan. Periksa kembali nomor laporan Anda.",
    ),
    ("other-kind", Command("langganan", "1000001"), PHONE, None),
]


@pytest.mark.parametrize(
    "command, sender, expected", [c[1:] for c in ANSWER_CASES], ids=[c[0] for c in ANSWER_CASES]
)
def test_answer_command(reports, command, sender, expected):
    store, short = reports
    if isinstance(command, Question) and command.candidates == ("{short}",):
        command = question(short.lower())
    with store.transaction() as s:
        assert answer_command(s, command, sender) == expected


# -- the short reference in SMS texts ---------------------------------------------------------


@pytest.mark.parametrize(
    "tracking_id",
    ["1000001", "LPR-0123456789", "2026.KS.000123", "kalsel_77", "A" * 16],
    ids=["numeric", "prefixed", "dotted", "underscore", "16-chars"],
)
def test_a_tracking_id_up_to_16_characters_is_its_own_number(store, tracking_id):
    with store.transaction() as s:
        assert sms_number(s, add_complaint(s, tracking_id, phone=PHONE)) == tracking_id


@pytest.mark.parametrize(
    "tracking_id", ["A" * 17, UUID, LONG_ID], ids=["17-chars", "uuid", "64-chars"]
)
def test_a_longer_tracking_id_gets_the_short_reference_unless_a_report_has_it_as_tracking_id(
    store, tracking_id
):
    with store.transaction() as s:
        c = add_complaint(s, tracking_id, phone=PHONE)
        assert sms_number(s, c) == short_reference(c.id)
        add_complaint(s, short_reference(c.id).lower(), phone=PHONE)
        assert sms_number(s, c) == tracking_id


def test_the_sms_acknowledgement_of_a_64_character_tracking_id_is_one_sms(store):
    with store.transaction() as s:
        c = add_complaint(s, LONG_ID, phone=PHONE, title="Jalan rusak")
        assert enqueue_notification(s, c, None) is True
        [ack] = s.scalars(select(OutboxItem).where(OutboxItem.kind == "notification")).all()
        short = short_reference(c.id)
    assert (
        ack.payload["text"]
        == f"LAPOR: laporan Anda diterima dengan nomor {LONG_ID}. Cek status: kirim INFO {short} ke 1708."
    )
    assert (
        is_gsm7(ack.payload["text"])
        and gsm7_length(ack.payload["text"]) <= 160
        and len(segments(ack.payload["text"])) == 1
    )


def test_sms_status_texts_use_the_number_and_email_texts_the_tracking_id():
    assert (
        render("selesai", LONG_ID, "Jalan", channel="sms", number="R427")["text"]
        == "LAPOR: laporan R427 selesai. Terima kasih."
    )
    assert render("diterima", "1000123", "Jalan", channel="sms")["text"] == (
        "LAPOR: laporan Anda diterima dengan nomor 1000123. Cek status: kirim INFO 1000123 ke 1708."
    )
    assert LONG_ID in render("selesai", LONG_ID, "Jalan", number="R427")["text"]


def test_a_reply_update_id_stays_within_the_contracts_200_characters():
    from connector.citizens.conversation import reply_update_id
    from lapor_exchange.problems import update_problems

    short = reply_update_id("pengaduan-email", "CAF1001.jalan@mail.example.id")
    assert short == "pengaduan-email/CAF1001.jalan@mail.example.id/reply"
    long_id = "x" * 400 + "@mail.example.id"
    bounded = reply_update_id("pengaduan-email", long_id)
    assert len(bounded) <= 200 and bounded == reply_update_id("pengaduan-email", long_id)
    assert bounded != reply_update_id("pengaduan-email", "y" * 400 + "@mail.example.id")
    update = {
        "schema_version": "1",
        "update_id": bounded,
        "tracking_id": "LPR-1",
        "origin": {"side": "region"},
        "actor": "pelapor",
        "message": "terima kasih",
        "occurred_at": "2026-03-01T10:00:00+08:00",
    }
    assert update_problems(update) == []
