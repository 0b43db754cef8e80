"""SMS through a JSON webhook gateway, over real HTTP: the connector's own web app
receives signed posts, the reference hub gets the reports, and a recording gateway
receives the SMS the connector sends back. Covers what every SMS channel shares: the
message kinds (report, INFO, reply, empty, keyword only, non-phone sender), tracking ids
of every shape the exchange allows (typed in any case, with punctuation after them, or
as the short reference of a long one), the operator's double delivery, multipart pieces
(shuffled, repeated, missing, late), UCS-2 and emoji, and splitting long answers to the
SMS limits."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
import requests
from flask import Flask, request
from peers import ROOT, act, connector_config, drain, hub_report, running_hub
from sqlalchemy import func, select

from connector.channels.sms.commands import short_reference
from connector.channels.sms.text import encoding_of, gsm7_length, is_gsm7, segments, ucs2_length
from connector.citizens.notify import enqueue_notification
from connector.daemon import Connector
from connector.store.models import Complaint, IntakeItem, MessagePart, StatusUpdate
from connector.web.app import create_app
from lapor_exchange.wsgi import ServerThread

SECRET = "rahasia-gateway-0123456789"
SENDER = "081234567890"
E164 = "+6281234567890"


class Gateway:
    """A recording SMS gateway: what the connector sends out."""

    def __init__(self):
        self.sent = []
        app = Flask("gateway")

        @app.post("/send")
        def send():
            self.sent.append(request.get_json())
            return {"status": "queued"}, 202

        self.server = ServerThread(app, name="sms-gateway").start()
        self.url = self.server.url + "/send"

    def texts_to(self, to: str) -> list[str]:
        return [m["text"] for m in self.sent if m["to"] == to]


@pytest.fixture
def sms(tmp_path):
    gateway = Gateway()
    with running_hub(tmp_path) as (hub_app, hub):
        channel = {
            "id": "sms-gateway",
            "kind": "sms_webhook",
            "profile": str(ROOT / "mappings" / "sms.yaml"),
            "secret": SECRET,
            "fields": {
                "sender": "from",
                "text": "text",
                "id": "id",
                "time": "timestamp",
                "udh": "udh",
            },
            "send": {"url": gateway.url},
            "send_rate_per_s": 100,
            "parts_timeout_s": 60,
        }
        config = connector_config(tmp_path, hub.url, "http://127.0.0.1:9", channels=[channel])
        connector = Connector(config)
        connector.store.upgrade()
        with ServerThread(create_app(connector), name="connector-web") as web:
            yield type(
                "World",
                (),
                {
                    "hub": hub,
                    "connector": connector,
                    "gateway": gateway,
                    "url": f"{web.url}/inbound/sms-gateway",
                },
            )
        connector.close()
    gateway.server.stop()


def post(world, messages, *, secret=SECRET, stamp=None, signature=None):
    body = json.dumps(messages).encode()
    stamp = str(int(time.time()) if stamp is None else stamp)
    sig = (
        signature
        or hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    )
    return requests.post(
        world.url,
        data=body,
        timeout=10,
        headers={
            "Content-Type": "application/json",
            "X-Timestamp": stamp,
            "X-Signature": f"sha256={sig}",
        },
    )


def sms_msg(ident, text, sender=SENDER, **extra):
    return {
        "id": ident,
        "from": sender,
        "text": text,
        "timestamp": int(time.time()),
        **extra,
    }  # extra may set the time


def outcomes(world) -> dict[str, int]:
    with world.connector.store.transaction() as s:
        return dict(
            s.execute(select(IntakeItem.outcome, func.count()).group_by(IntakeItem.outcome)).all()
        )


def only_complaint(world) -> Complaint:
    with world.connector.store.transaction() as s:
        return s.scalars(select(Complaint)).one()


def test_the_advertised_sms_reaches_the_hub_with_its_region_and_the_sender_gets_the_tracking_id(
    sms,
):
    answer = post(sms, sms_msg("gw-1", "LAPORPAMAN Jalan rusak di Jl. A. Yani km 5 Banjarbaru"))
    assert answer.status_code == 202 and answer.text == ""
    drain(sms.connector)
    c = only_complaint(sms)
    assert c.report["location"]["region_code"] == "63.72" and c.report["source"]["channel"] == "sms"
    assert (
        c.report["title_derived"] is True
        and c.report["body"] == "Jalan rusak di Jl. A. Yani km 5 Banjarbaru"
    )
    assert c.report["complainant"] == {"phone": E164}
    assert hub_report(sms.hub, c.tracking_id)["report"]["location"]["region_code"] == "63.72"
    [ack] = sms.gateway.texts_to(E164)
    assert c.tracking_id in ack and gsm7_length(ack) <= 160


@pytest.mark.parametrize(
    "change",
    [
        {"secret": "not-the-secret-at-all"},
        {"stamp": 0},
        {"stamp": int(time.time()) + 3600},
        {"signature": "00" * 32},
    ],
    ids=["wrong-secret", "old-timestamp", "future-timestamp", "bad-signature"],
)
def test_unsigned_or_stale_requests_get_401_and_nothing_is_stored(sms, change):
    assert post(sms, sms_msg("gw-x", "LAPORPAMAN jalan rusak"), **change).status_code == 401
    assert outcomes(sms) == {}


def test_the_same_sms_delivered_twice_by_the_operator_is_one_complaint(sms):
    sent = int(time.time())
    post(sms, sms_msg("gw-1", "LAPORPAMAN Lampu jalan mati di Martapura", timestamp=sent))
    post(
        sms, sms_msg("gw-2", "LAPORPAMAN  Lampu jalan mati di Martapura", timestamp=sent)
    )  # new gateway id, same message
    post(
        sms, sms_msg("gw-1", "LAPORPAMAN Lampu jalan mati di Martapura", timestamp=sent)
    )  # the gateway's own retry
    assert outcomes(sms) == {"accepted": 1, "duplicate": 1}


@pytest.mark.parametrize(
    "text, sender, outcome, answered",
    [
        ("", SENDER, "ignored", True),
        ("LAPORPAMAN", SENDER, "ignored", True),
        ("LAPORPAMAN   ", SENDER, "ignored", True),
        ("INFO", SENDER, "ignored", True),
        ("INFO 12", SENDER, "command", True),
        ("cek laporan saya", SENDER, "command", True),
        ("LAPORPAMAN jalan rusak", "TELKOMSEL", "ignored", False),
        ("LAPORPAMAN jalan rusak", "3636", "ignored", False),
        ("x7#k " * 400, SENDER, "accepted", False),
    ],
    ids=[
        "empty",
        "keyword-only",
        "keyword-and-spaces",
        "info-without-number",
        "info-number-no-report-has",
        "info-words-no-report-has",
        "alphanumeric-sender",
        "short-code-sender",
        "two-thousand-chars-of-junk",
    ],
)
def test_odd_messages_each_get_a_defined_outcome(sms, text, sender, outcome, answered):
    assert post(sms, sms_msg("gw-odd", text, sender=sender)).status_code == 202
    drain(sms.connector)
    assert outcomes(sms) == {outcome: 1}
    helps = [t for t in sms.gateway.texts_to(E164) if "Format: LAPORPAMAN" in t]
    assert bool(helps) == answered
    if outcome == "accepted":
        assert (
            only_complaint(sms).report["body"] == text.strip()
        )  # kept whole: the national admin judges it


def test_info_answers_the_status_and_a_leading_tracking_id_is_the_citizens_reply(sms):
    post(sms, sms_msg("gw-1", "LAPORPAMAN RAHASIA Pungli di kantor kelurahan Kuin Banjarmasin"))
    drain(sms.connector)
    c = only_complaint(sms)
    assert c.report["privacy"] == {"anonymous": False, "confidential": True}
    act(sms.hub, c.tracking_id, "terverifikasi", "Diverifikasi")
    drain(sms.connector)
    post(sms, sms_msg("gw-2", f"INFO {c.tracking_id}"))
    post(
        sms, sms_msg("gw-3", f"INFO {c.tracking_id}", sender="082211112222")
    )  # not the reporter: a confidential report
    post(sms, sms_msg("gw-4", "INFO 9999999"))
    post(sms, sms_msg("gw-5", f"{c.tracking_id} Petugasnya minta uang Rp 50.000"))
    drain(sms.connector)
    mine = sms.gateway.texts_to(E164)
    assert any(f"Laporan {c.tracking_id}: Terverifikasi" in t for t in mine)
    assert any("9999999 tidak ditemukan" in t for t in mine)
    assert any(
        f"{c.tracking_id} tidak ditemukan" in t for t in sms.gateway.texts_to("+6282211112222")
    )
    assert outcomes(sms) == {"accepted": 1, "command": 3, "reply": 1}
    replies = [
        u for u in hub_report(sms.hub, c.tracking_id)["updates"] if u["origin"]["side"] == "region"
    ]
    assert [u["message"] for u in replies] == ["Petugasnya minta uang Rp 50.000"] and replies[0][
        "actor"
    ] == "pelapor"


UUID = "3f2b8c1e-9a4d-4e7b-8c2f-1d5e6a7b8c9d"
LONG_ID = "KALSEL-2026-" + "0123456789abcdef" * 3 + "XYZ0"  # 64 characters
NOT_FOUND = "Laporan dengan nomor {} tidak ditemukan. Periksa kembali nomor laporan Anda."
SHAPES = [
    ("numeric", None),
    ("prefixed", "LPR-0123456789"),
    ("dotted", "2026.KS.000123"),
    ("underscore", "kalsel_77"),
    ("uuid", UUID),
    ("64-chars", LONG_ID),
]


def report_with_tracking_id(world, tracking_id: str | None) -> Complaint:
    """A report by SMS, acknowledged under `tracking_id` (None: the one the reference hub
    issued, a number). The reference hub issues numbers only, so another shape is given
    here the way a re-issued id arrives: stored on the complaint, acknowledged again."""
    post(
        world, sms_msg("gw-report", "LAPORPAMAN Jalan berlubang di Jl. Ahmad Yani km 5 Banjarbaru")
    )
    drain(world.connector)
    if tracking_id is not None:
        with world.connector.store.transaction() as s:
            complaint = s.scalars(select(Complaint)).one()
            complaint.tracking_id = tracking_id
            enqueue_notification(s, complaint, None)
        drain(world.connector)
    return only_complaint(world)


@pytest.mark.parametrize("tracking_id", [t for _, t in SHAPES], ids=[i for i, _ in SHAPES])
def test_info_and_replies_work_with_every_tracking_id_shape(sms, tracking_id):
    c = report_with_tracking_id(sms, tracking_id)
    tracking = c.tracking_id
    number = short_reference(c.id) if len(tracking) > 16 else tracking
    ack = sms.gateway.texts_to(E164)[-1]
    assert (
        ack
        == f"LAPOR: laporan Anda diterima dengan nomor {tracking}. Cek status: kirim INFO {number} ke 1708."
    )
    assert (
        is_gsm7(ack) and gsm7_length(ack) <= 160 and len(segments(ack)) == 1
    )  # one readable SMS, even for 64 characters
    sent_before = len(sms.gateway.texts_to(E164))
    unknown_short = short_reference(
        c.id + 1000
    ).lower()  # the shape of a short reference, no report's
    questions = [
        f"INFO {tracking}",
        f"info {tracking.lower()}",
        f"Cek {tracking}.",
        f"status: {tracking}?",
        f"LAPORPAMAN INFO #{number.lower()}",
        f"{tracking}",
        "INFO LPR-9999999999",
        f"info {unknown_short}",
    ]
    replies = [f"{tracking.lower()}, lubangnya makin besar", f"{number} Sudah ada motor jatuh!"]
    for n, text in enumerate(questions + replies):
        post(sms, sms_msg(f"gw-{n}", text, timestamp=int(time.time()) + n))
    drain(sms.connector)
    status = f"Laporan {tracking}: Belum terverifikasi."
    assert sms.gateway.texts_to(E164)[sent_before:] == [status] * 6 + [
        NOT_FOUND.format("LPR-9999999999"),
        NOT_FOUND.format(unknown_short),
    ]
    with sms.connector.store.transaction() as s:
        updates = s.scalars(
            select(StatusUpdate).where(StatusUpdate.origin == "region").order_by(StatusUpdate.id)
        ).all()
        assert [
            (u.payload["actor"], u.payload["message"], u.payload["tracking_id"]) for u in updates
        ] == [
            ("pelapor", "lubangnya makin besar", tracking),
            ("pelapor", "Sudah ada motor jatuh!", tracking),
        ]
    assert outcomes(sms) == {"accepted": 1, "command": len(questions), "reply": 2}


def test_a_number_from_another_phone_is_no_reply_and_a_confidential_status_stays_hidden(sms):
    c = report_with_tracking_id(sms, "LPR-0123456789")
    with sms.connector.store.transaction() as s:
        s.get(Complaint, c.id).report = {
            **c.report,
            "privacy": {"anonymous": False, "confidential": True},
        }
    other = "082211112222"
    post(sms, sms_msg("gw-1", "INFO lpr-0123456789", sender=other))
    post(sms, sms_msg("gw-2", "LPR-0123456789 ini laporan saya juga", sender=other))
    post(sms, sms_msg("gw-3", "INFO lpr-0123456789"))
    drain(sms.connector)
    with sms.connector.store.transaction() as s:
        new = s.scalars(select(Complaint).where(Complaint.id != c.id)).one()
        assert new.report["body"] == "LPR-0123456789 ini laporan saya juga"  # every word kept
        assert s.scalars(select(StatusUpdate).where(StatusUpdate.origin == "region")).all() == []
    assert sms.gateway.texts_to("+6282211112222") == [
        NOT_FOUND.format("lpr-0123456789"),
        f"LAPOR: laporan Anda diterima dengan nomor {new.tracking_id}. Cek status: kirim INFO {new.tracking_id} ke 1708.",
    ]
    assert sms.gateway.texts_to(E164)[-1] == "Laporan LPR-0123456789: Belum terverifikasi."


def test_a_report_that_starts_with_info_is_a_report_unless_its_next_word_is_a_known_number(sms):
    c = report_with_tracking_id(sms, "PAMANKUIN")  # letters only: the exchange allows it
    acks = len(sms.gateway.texts_to(E164))
    post(sms, sms_msg("gw-1", "Info: jalan di depan SDN 3 Martapura rusak parah sejak Januari"))
    post(sms, sms_msg("gw-2", "Info pamankuin kapan diperbaiki pak, sudah lama sekali rusaknya"))
    post(sms, sms_msg("gw-3", "INFO PAMANKUIN"))
    post(sms, sms_msg("gw-4", "Info 3 rumah terendam banjir di Desa Sungai Tabuk"))
    drain(sms.connector)
    assert outcomes(sms) == {"accepted": 3, "command": 2}
    with sms.connector.store.transaction() as s:
        bodies = sorted(
            x.report["body"] for x in s.scalars(select(Complaint).where(Complaint.id != c.id))
        )
    assert bodies == [
        "Info 3 rumah terendam banjir di Desa Sungai Tabuk",
        "Info: jalan di depan SDN 3 Martapura rusak parah sejak Januari",
    ]
    answers = [
        t
        for t in sms.gateway.texts_to(E164)[acks:]
        if not t.startswith("LAPOR: laporan Anda diterima")
    ]
    assert answers == ["Laporan PAMANKUIN: Belum terverifikasi."] * 2


def udh(ref, total, seq) -> str:
    return bytes([5, 0, 3, ref, total, seq]).hex()


def test_pieces_delivered_apart_shuffled_and_repeated_make_one_exact_complaint(sms):
    parts = [
        "LAPORPAMAN Sudah tiga hari sampah menumpuk di TPS Jl. Veteran ",
        "Banjarmasin dan baunya sampai ",
        "ke rumah warga 🙏 mohon segera diangkut.",
    ]
    for n in (3, 1, 3, 2):
        post(sms, sms_msg(f"gw-p{n}-{time.monotonic_ns()}", parts[n - 1], udh=udh(0x2A, 3, n)))
    drain(sms.connector)
    c = only_complaint(sms)
    assert c.report["body"] == "".join(parts)[len("LAPORPAMAN ") :]
    assert (
        c.report["location"]["region_code"] == "63.71" and encoding_of(c.report["body"]) == "ucs2"
    )
    assert outcomes(sms) == {
        "part": 3,
        "duplicate": 1,
        "accepted": 1,
    }  # the pieces, and the whole they made


def test_a_missing_piece_becomes_a_noted_gap_and_a_late_one_the_citizens_addition(sms):
    post(sms, sms_msg("gw-a", "LAPORPAMAN Jembatan di Desa Sungai Tabuk ", udh=udh(7, 3, 1)))
    post(sms, sms_msg("gw-c", "sudah retak parah.", udh=udh(7, 3, 3)))
    with sms.connector.store.transaction() as s:  # the set has waited past the timeout
        for piece in s.scalars(select(MessagePart)):
            piece.received_at -= timedelta(minutes=5)
    drain(sms.connector)
    c = only_complaint(sms)
    assert (
        c.report["body"]
        == "Jembatan di Desa Sungai Tabuk [… bagian 2 dari 3 tidak diterima …]sudah retak parah."
    )
    assert "multipart SMS: part(s) 2 of 3 never arrived" in c.notes["warnings"]
    post(sms, sms_msg("gw-b", "Kab. Banjar, ", udh=udh(7, 3, 2)))
    drain(sms.connector)
    with sms.connector.store.transaction() as s:
        [late] = s.scalars(select(StatusUpdate).where(StatusUpdate.origin == "region")).all()
    assert late.payload["message"] == "[bagian 2 dari 3, diterima terlambat] Kab. Banjar,"
    assert late.state == "applied"


def test_a_long_answer_is_split_within_the_sms_limits(sms):
    post(sms, sms_msg("gw-1", "LAPORPAMAN Air PDAM mati tiga hari di Banjarbaru"))
    drain(sms.connector)
    c = only_complaint(sms)
    long_text = "Petugas PDAM sudah memeriksa pipa induk dan menemukan kebocoran besar. " * 6
    act(sms.hub, c.tracking_id, "ditindaklanjuti", long_text + "Terima kasih 🙏")
    drain(sms.connector)
    pieces = sms.gateway.texts_to(E164)[1:]  # after the acknowledgement
    assert len(pieces) >= 5
    assert all(ucs2_length(p) <= 67 for p in pieces)  # the emoji makes the whole message UCS-2
    assert (
        "".join(pieces)
        == f"LAPOR: laporan {c.tracking_id} ditindaklanjuti. {long_text}Terima kasih 🙏"
    )  # nothing lost at the cuts


def test_a_leading_number_that_is_no_report_keeps_the_message_whole(sms):
    post(
        sms,
        sms_msg(
            "gw-1",
            "LAPORPAMAN 081298765432 ini nomor petugas yang minta pungli di Samsat Banjarbaru",
        ),
    )
    drain(sms.connector)
    c = only_complaint(sms)
    assert (
        c.report["body"] == "081298765432 ini nomor petugas yang minta pungli di Samsat Banjarbaru"
    )
    assert c.report["category"]["code"] == "reformasi_birokrasi.pungutan_liar"


def test_a_report_the_hub_lost_is_sent_again_and_the_citizen_told_its_new_tracking_id(sms):
    from peers import ADMIN_TOKEN

    from connector.reconcile.reconciler import Reconciler

    post(sms, sms_msg("gw-lost", "LAPORPAMAN Lampu jalan mati di Jl. Ahmad Yani km 3"))
    drain(sms.connector)
    old = only_complaint(sms).tracking_id
    requests.delete(
        f"{sms.hub.url}/api/v1/admin/reports/{old}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    ).raise_for_status()
    run = Reconciler(sms.connector.store, sms.connector.hub, sms.connector.hub_sync).run(
        repair=True
    )
    assert run.counts["missing_at_hub"] == 1
    drain(sms.connector)
    new = only_complaint(sms).tracking_id
    assert (
        new != old
        and hub_report(sms.hub, new)["report"]["source"]["source_ref"] == "webhook:gw-lost"
    )
    first, second = sms.gateway.texts_to(E164)
    assert old in first and new in second and old not in second
    assert (
        Reconciler(sms.connector.store, sms.connector.hub, sms.connector.hub_sync)
        .run()
        .counts["missing_at_hub"]
        == 0
    )
