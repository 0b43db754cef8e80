"""The email channel against a real Dovecot IMAP server and a real SMTP server
(aiosmtpd), with the reference hub: complaints in, acknowledgements out, citizens'
replies threaded onto their report (from Gmail, Outlook, Thunderbird and Apple Mail,
to their own first mail, to our acknowledgement, to an earlier reply; by tracking ids
of any shape in the subject), noise recorded and never answered, the crafted corpus of
65 messages each ending as its one outcome."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import mail_clients
import pytest
import requests
import yaml
from peers import ADMIN_TOKEN, ROOT, connector_config, drain, hub_report, running_hub
from sqlalchemy import func, select

from connector import channels as channel_kinds
from connector.channels.base import ChannelContext, RawItem, Reply
from connector.channels.email.channel import EmailChannel
from connector.daemon import Connector
from connector.intake.normalize import Normalizer
from connector.intake.pipeline import pull_channel
from connector.store.models import (
    Complaint,
    IntakeItem,
    OutboxItem,
    QuarantineItem,
    SentMessage,
    StatusUpdate,
)

CORPUS = Path(__file__).resolve().parent / "corpus" / "email"
DOMAIN = "lapor-connector.kalselprov.go.id"


def email_channel(mailbox, smtp, security="plain", **extra) -> dict:
    port = mailbox.imaps_port if security == "ssl" else mailbox.imap_port
    return {
        "id": "pengaduan-email",
        "kind": "email",
        "profile": str(ROOT / "mappings" / "email.yaml"),
        "poll_every_s": 0.5,
        "imap": {
            "host": mailbox.host,
            "port": port,
            "security": security,
            "username": mailbox.user,
            "password": mailbox.password,
            "ca_file": str(mailbox.cert_path),
            **extra.pop("imap", {}),
        },
        "smtp": {
            "host": smtp.host,
            "port": smtp.port,
            "security": "plain",
            "from_address": "pengaduan@kalselprov.go.id",
        },
        "message_id_domain": DOMAIN,
        **extra,
    }


def make(tmp_path, hub_url, mailbox, smtp, **channel) -> Connector:
    config = connector_config(
        tmp_path, hub_url, "http://127.0.0.1:9", channels=[email_channel(mailbox, smtp, **channel)]
    )
    connector = Connector(config)
    connector.store.upgrade()
    return connector


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def count(connector, model, *where) -> int:
    with connector.store.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("security", ["plain", "starttls", "ssl"])
def test_a_complaint_mail_reaches_the_hub_and_its_author_gets_one_acknowledgement(
    tmp_path, mailbox, smtp_server, security
):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server, security=security)
        uid = mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
        drain(connector)
        with connector.store.transaction() as s:
            c = s.scalars(select(Complaint)).one()
            report, tracking = c.report, c.tracking_id
        assert tracking and report["source"]["channel"] == "email"
        assert report["source"]["source_ref"] == "CAF1001.jalan@mail.example.id"
        assert (
            report["title"] == "Jalan rusak parah di Jl. A. Yani Km 32 Banjarbaru"
            and report["title_derived"] is False
        )
        assert report["location"]["region_code"] == "63.72"
        assert report["category"]["code"] == "pekerjaan_umum_penataan_ruang.jalan_jembatan"
        assert report["complainant"] == {"name": "Budi Santoso", "email": "budi.santoso@example.id"}
        assert report["privacy"] == {"anonymous": False, "confidential": False}
        assert "\\Seen" in mailbox.flags(uid)
        [ack] = smtp_server.wait_for(1)
        assert ack.rcpt_tos == ["budi.santoso@example.id"]
        assert (
            ack.message["Subject"].startswith(f"[LAPOR #{tracking}]")
            and tracking in ack.message.get_content()
        )
        assert ack.message["In-Reply-To"] == "<CAF1001.jalan@mail.example.id>"
        assert ack.message["Auto-Submitted"] == "auto-replied" and ack.message[
            "Message-ID"
        ].endswith(f"@{DOMAIN}>")
        drain(connector)
        assert len(smtp_server.messages) == 1  # one acknowledgement, however often it runs
        connector.close()


def test_processed_mail_is_moved_when_a_processed_folder_is_set(tmp_path, mailbox, smtp_server):
    with running_hub(tmp_path) as (_, hub):
        connector = make(
            tmp_path, hub.url, mailbox, smtp_server, imap={"processed_folder": "Diproses"}
        )
        mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
        mailbox.append(corpus("35-x-autoreply.eml"))
        drain(connector)
        assert mailbox.uids() == [] and len(mailbox.uids("Diproses")) == 2
        assert count(connector, Complaint) == 1
        connector.close()


def test_a_changed_uidvalidity_rereads_the_folder_without_duplicates(
    tmp_path, mailbox, smtp_server
):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server)
        for name in ("01-jalan-rusak-banjarbaru.eml", "04-puskesmas-kotabaru.eml"):
            mailbox.append(corpus(name))
        drain(connector)
        mailbox.dovecot.reset_uidvalidity(mailbox.user, "INBOX")
        mailbox.append(corpus("02-banjir-banjarmasin-qp.eml"))
        drain(connector)
        drain(connector)
        assert count(connector, Complaint) == 3
        assert count(connector, IntakeItem) == 3  # the two re-read messages were dropped as repeats
        assert len(smtp_server.messages) == 3
        connector.close()


def test_a_reply_to_the_acknowledgement_is_the_citizens_update_on_their_report(
    tmp_path, mailbox, smtp_server
):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server)
        mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
        drain(connector)
        [ack] = smtp_server.wait_for(1)
        ack_id = ack.message["Message-ID"].strip("<>")
        reply = (
            b"From: Budi Santoso <budi.santoso@example.id>\r\nTo: pengaduan@kalselprov.go.id\r\n"
            b"Subject: Re: " + ack.message["Subject"].encode() + b"\r\n"
            b"Message-ID: <balasan-1@mail.example.id>\r\nIn-Reply-To: <"
            + ack_id.encode()
            + b">\r\n"
            b"Date: Tue, 04 Mar 2025 09:00:00 +0800\r\n\r\n"
            b"Lubangnya sekarang sudah dua meter.\r\n\r\nPada Senin, 3 Mar 2025, LAPOR menulis:\r\n> Laporan Anda diterima\r\n"
        )
        mailbox.append(reply)
        drain(connector)
        assert count(connector, Complaint) == 1
        with connector.store.transaction() as s:
            [update] = s.scalars(select(StatusUpdate).where(StatusUpdate.origin == "region")).all()
            assert update.payload["actor"] == "pelapor" and update.state == "applied"
            assert update.payload["message"] == "Lubangnya sekarang sudah dua meter."
        assert len(smtp_server.messages) == 1  # a reply is not acknowledged again
        connector.close()


def test_reply_to_names_the_thread_nearest_first_the_tag_and_the_subjects_words():
    settings = {
        "id": "pengaduan-email",
        "profile": str(ROOT / "mappings" / "email.yaml"),
        "imap": {"host": "127.0.0.1", "port": 1},
        "smtp": {"host": "127.0.0.1", "port": 1, "from_address": "pengaduan@kalselprov.go.id"},
    }
    channel = EmailChannel(settings, ChannelContext("kalsel", ZoneInfo("Asia/Makassar")))
    raw = (
        b"From: Budi Santoso <budi.santoso@example.id>\r\nSubject: AW: [LAPOR #LPR-0123456789] Laporan 2026.KS.000123.\r\n"
        b"Message-ID: <balas-9@mail.example.id>\r\nIn-Reply-To: <induk@mail.example.id>\r\n"
        b"References: <a@x.example> <b@y.example>\r\n <induk@mail.example.id>\r\nDate: Tue, 4 Mar 2025 09:00:00 +0800\r\n"
        b"\r\nLubangnya makin besar.\r\n\r\nOn Mon, 3 Mar 2025 at 10:15, LAPOR <x@example.id> wrote:\r\n> Diterima.\r\n"
    )
    ref = channel.reply_to(
        channel.record(RawItem("pengaduan-email", "balas-9@mail.example.id", raw, "message/rfc822"))
    )
    assert ref == Reply(
        ("induk@mail.example.id", "b@y.example", "a@x.example"),
        "LPR-0123456789",
        "budi.santoso@example.id",
        "Lubangnya makin besar.",
        datetime.fromisoformat("2025-03-04T09:00:00+08:00"),
        ("Laporan", "2026.KS.000123.", "2026.KS.000123"),
    )
    bare = b"From: w@example.id\r\nMessage-ID: <m@example.id>\r\n\r\nisi\r\n"
    assert (
        channel.reply_to(
            channel.record(RawItem("pengaduan-email", "m@example.id", bare, "message/rfc822"))
        )
        is None
    )


FIRST = "CAF1001.jalan@mail.example.id"  # Budi's complaint (corpus 01), the one every reply below answers
FIRST_SUBJECT = "Jalan rusak parah di Jl. A. Yani Km 32 Banjarbaru"
OLDER = [
    f"surat-{n}.kelurahan@example.go.id" for n in range(1, 11)
]  # an old conversation his first mail continued
CLIENTS = [
    # id, how the client writes, its reply prefix, References before our conversation
    ("gmail", mail_clients.gmail, "Re", []),
    ("outlook-re", partial(mail_clients.outlook, prefix="RE"), "RE", []),
    ("outlook-aw", partial(mail_clients.outlook, prefix="AW"), "AW", []),
    ("outlook-balas", partial(mail_clients.outlook, prefix="Balas"), "Balas", []),
    ("thunderbird-long-chain", mail_clients.thunderbird, "Re", OLDER),
    ("apple-mail", mail_clients.apple_mail, "Re", []),
]


def budi_and_another_report(connector, mailbox, smtp_server) -> tuple[int, int, str, str]:
    """Budi's complaint and Ahmad's, both acknowledged: (Budi's id, Ahmad's id, Budi's tracking
    id, the Message-ID and subject of Budi's acknowledgement)."""
    mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
    mailbox.append(corpus("04-puskesmas-kotabaru.eml"))
    drain(connector)
    acks = {m.rcpt_tos[0]: m.message for m in smtp_server.wait_for(2)}
    ack = acks["budi.santoso@example.id"]
    with connector.store.transaction() as s:
        budi = s.scalars(select(Complaint).where(Complaint.source_ref == FIRST)).one()
        other = s.scalars(select(Complaint).where(Complaint.source_ref != FIRST)).one()
        return budi.id, other.id, ack["Message-ID"].strip("<>"), ack["Subject"]


def citizen_updates(connector, complaint_id: int) -> list[str]:
    with connector.store.transaction() as s:
        rows = s.scalars(
            select(StatusUpdate)
            .where(StatusUpdate.complaint_id == complaint_id, StatusUpdate.origin == "region")
            .order_by(StatusUpdate.id)
        ).all()
        assert all(r.payload["actor"] == "pelapor" for r in rows)
        return [r.payload["message"] for r in rows]


@pytest.mark.parametrize(
    "write, prefix, older", [c[1:] for c in CLIENTS], ids=[c[0] for c in CLIENTS]
)
def test_replies_from_mail_clients_reach_their_report(
    tmp_path, mailbox, smtp_server, write, prefix, older
):
    """Each client replies to the citizen's own first mail (from the Sent folder, subject
    unchanged), to our acknowledgement, and to the citizen's earlier reply."""
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server)
        budi, other, ack_id, ack_subject = budi_and_another_report(connector, mailbox, smtp_server)
        texts = [
            "Fotonya menyusul besok.",
            "Lubangnya sekarang sudah dua meter.",
            "Tadi pagi ada motor jatuh di sana.",
        ]
        name = getattr(write, "func", write).__name__ + prefix.lower()
        replies = [
            dict(
                subject=f"{prefix}: {FIRST_SUBJECT}",
                thread=older + [FIRST],
                quoted="Jalan di depan kantor kelurahan",
            ),
            dict(
                subject=f"{prefix}: {ack_subject}",
                thread=older + [FIRST, ack_id],
                quoted="Laporan Anda diterima",
            ),
            dict(
                subject=f"{prefix}: {ack_subject}",
                thread=older + [FIRST, ack_id, f"{name}-2@mail.example.id"],
                quoted=texts[1],
            ),
        ]
        for n, (reply, text) in enumerate(zip(replies, texts), start=1):
            extra = (
                {"original_subject": reply["subject"].split(": ", 1)[1]}
                if "outlook" in str(write)
                else {}
            )
            mailbox.append(
                write(message_id=f"{name}-{n}@mail.example.id", text=text, **reply, **extra)
            )
            drain(
                connector
            )  # one at a time: the third answers the second, which must be an update by then
        assert citizen_updates(connector, budi) == texts
        assert citizen_updates(connector, other) == []
        assert count(connector, Complaint) == 2
        assert len(smtp_server.messages) == 2  # replies are not acknowledged
        connector.close()


def test_a_reply_that_names_only_an_earlier_reply_of_the_citizen_reaches_the_report(
    tmp_path, mailbox, smtp_server
):
    """The earlier reply came as a new mail quoting the tracking id; the answer to it comes from
    another address of the citizen, with a subject of its own: only its thread ties it."""
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server)
        budi, _, _, _ = budi_and_another_report(connector, mailbox, smtp_server)
        with connector.store.transaction() as s:
            tracking = s.get(Complaint, budi).tracking_id
        mailbox.append(
            mail_clients.fresh(
                subject=f"[LAPOR #{tracking}] Tambahan",
                message_id="tambahan-1@mail.example.id",
                text="Lokasinya di depan SDN 2.",
            )
        )
        drain(connector)
        office = "Budi S. <budi@dinas-pu.example.go.id>"
        mailbox.append(
            mail_clients.thunderbird(
                subject="Foto lubang",
                message_id="kantor-1@dinas-pu.example.go.id",
                thread=["tambahan-1@mail.example.id"],
                text="Ini fotonya dari kantor.",
                quoted="Lokasinya di depan SDN 2.",
                sender=office,
            )
        )
        mailbox.append(
            mail_clients.thunderbird(
                subject="Foto lubang",
                message_id="kantor-2@dinas-pu.example.go.id",
                thread=["tidak-dikenal@mail.example.id"],
                text="Jalan di Km 5 juga rusak.",
                quoted="…",
                sender=office,
            )
        )
        drain(connector)
        assert citizen_updates(connector, budi) == [
            "Lokasinya di depan SDN 2.",
            "Ini fotonya dari kantor.",
        ]
        with connector.store.transaction() as s:
            assert (
                s.scalar(
                    select(IntakeItem.outcome).where(
                        IntakeItem.external_id == "kantor-2@dinas-pu.example.go.id"
                    )
                )
                == "accepted"
            )
        assert count(connector, Complaint) == 3
        connector.close()


def rename_at_hub(connector, hub, complaint_id: int, new: str) -> None:
    """The hub issues tracking ids of any shape: give Budi's report `new` there (the drift API)
    and here (what reconciliation's repair does)."""
    with connector.store.transaction() as s:
        complaint = s.get(Complaint, complaint_id)
        requests.put(
            f"{hub.url}/api/v1/admin/reports/{complaint.tracking_id}/tracking-id",
            json={"tracking_id": new},
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            timeout=10,
        ).raise_for_status()
        complaint.tracking_id = new


SUBJECT_CASES = [
    # id, sender, subject, the outcome
    ("tag", "budi.santoso@example.id", "[LAPOR #LPR-0123456789] Foto tambahan", "reply"),
    (
        "tag-lower-case",
        "budi.santoso@example.id",
        "Re: [lapor #lpr-0123456789] Foto tambahan",
        "reply",
    ),
    ("word-in-subject", "budi.santoso@example.id", "Re: Laporan LPR-0123456789", "reply"),
    (
        "word-lower-case-full-stop",
        "Budi.Santoso@Example.ID",
        "Pertanyaan soal laporan lpr-0123456789.",
        "reply",
    ),
    ("not-the-complainant", "siti.aisyah@example.com", "Re: Laporan LPR-0123456789", "accepted"),
    (
        "tag-not-the-complainant",
        "siti.aisyah@example.com",
        "[LAPOR #LPR-0123456789] Jalan di Kuin juga rusak",
        "accepted",
    ),
    ("unknown-number", "budi.santoso@example.id", "Re: Laporan LPR-9999999999", "accepted"),
]


@pytest.mark.parametrize(
    "sender, subject, outcome", [c[1:] for c in SUBJECT_CASES], ids=[c[0] for c in SUBJECT_CASES]
)
def test_a_tracking_id_of_any_shape_in_the_subject_from_the_complainant_is_a_reply(
    tmp_path, mailbox, smtp_server, sender, subject, outcome
):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server)
        budi, _, _, _ = budi_and_another_report(connector, mailbox, smtp_server)
        rename_at_hub(connector, hub, budi, "LPR-0123456789")
        mailbox.append(
            mail_clients.fresh(
                subject=subject,
                message_id="baru-1@mail.example.id",
                text="Jalan di depan SDN 2 Banjarbaru makin rusak.",
                sender=sender,
            )
        )
        drain(connector)
        with connector.store.transaction() as s:
            assert (
                s.scalar(
                    select(IntakeItem.outcome).where(
                        IntakeItem.external_id == "baru-1@mail.example.id"
                    )
                )
                == outcome
            )
        replies = [
            u["message"]
            for u in hub_report(hub, "LPR-0123456789")["updates"]
            if u["origin"]["side"] == "region"
        ]
        assert replies == (
            ["Jalan di depan SDN 2 Banjarbaru makin rusak."] if outcome == "reply" else []
        )
        assert count(connector, Complaint) == (2 if outcome == "reply" else 3)
        connector.close()


def test_smtp_trouble_is_retried_and_a_refused_address_is_dead_lettered(
    tmp_path, mailbox, smtp_server
):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server)
        smtp_server.fail_next(1)
        smtp_server.reject_recipient("siti.aisyah@example.com")
        mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
        mailbox.append(corpus("02-banjir-banjarmasin-qp.eml"))
        drain(connector, timeout_s=60)
        assert [m.rcpt_tos for m in smtp_server.messages] == [["budi.santoso@example.id"]]
        with connector.store.transaction() as s:
            [dead] = s.scalars(select(OutboxItem).where(OutboxItem.state == "dead")).all()
            assert dead.kind == "notification" and "recipient refused (550)" in dead.last_error
        connector.close()


def _seed_reports_the_corpus_replies_to(store) -> None:
    """Complaints the corpus's replies answer (tracking ids 1000123 …): by their acknowledgements,
    or (1000789) by the citizen's own first mail, whose Message-ID is the complaint's source_ref."""
    seeds = [
        ("1000123", "budi.santoso@example.id", "ack-1000123.20250303T021500Z", None),
        ("1000456", "rizky.pratama@example.net", "ack-1000456.20250305T060200Z", None),
        ("1000789", "dewi.lestari@example.com", None, "CAF0789.lampu@mail.example.com"),
        ("1000321", "agus.setiawan@example.com", "ack-1000321.20250325T010000Z", None),
    ]
    with store.transaction() as s:
        for tracking, address, ack, first_mail in seeds:
            intake = IntakeItem(
                channel_id="pengaduan-email",
                external_id=f"seed-{tracking}",
                payload_sha256="0" * 64,
                payload=b"",
                media_type="message/rfc822",
                meta={},
                received_at=_now(),
                outcome="accepted",
            )
            s.add(intake)
            s.flush()
            c = Complaint(
                channel_id="pengaduan-email",
                source_ref=first_mail or f"seed-{tracking}",
                intake_id=intake.id,
                content_hash="0" * 64,
                report={"source": {"channel": "email"}, "complainant": {"email": address}},
                notes={},
                tracking_id=tracking,
                status="belum_terverifikasi",
            )
            s.add(c)
            s.flush()
            if ack:
                s.add(
                    SentMessage(
                        message_id=f"{ack}@{DOMAIN}",
                        complaint_id=c.id,
                        channel_id="pengaduan-email",
                        event="diterima",
                    )
                )


def _now():
    from connector.timeutil import utcnow

    return utcnow()


def _expected_outcomes() -> dict[str, str]:
    """What the connector must make of each corpus message (the parser's manifest says
    what each message is; these are the connector's rules on top of it)."""
    manifest = yaml.safe_load((CORPUS / "expected.yaml").read_text())
    outcomes = {}
    for name, facts in manifest.items():
        outcome = {
            "complaint": "accepted",
            "noise": "ignored",
            "reply": "reply",
            "unreadable": "quarantined",
        }[facts["outcome"]]
        if facts["outcome"] == "complaint" and facts.get("text", "x") is None:
            outcome = "quarantined"  # attachments but no text: a report needs a body
        outcomes[name] = outcome
    outcomes["48-reply-tracking-subject-pada-menulis.eml"] = (
        "accepted"  # quotes 1000123 but is not its author
    )
    outcomes["66-reply-gmail-to-own-first-mail.eml"] = (
        "reply"  # answers Dewi's first mail (1000789's source_ref)
    )
    outcomes["68-reply-thunderbird-long-references.eml"] = (
        "reply"  # the same first mail, at the end of a long chain
    )
    outcomes["69-reply-apple-mail-to-earlier-reply.eml"] = (
        "reply"  # answers Agus's reply 51, an update on 1000321
    )
    outcomes["70-subject-word-tracking-id.eml"] = (
        "reply"  # "Laporan 1000321." in the subject, from its complainant
    )
    outcomes["46-duplicate-delivery-b.eml"] = "revision"  # the same Message-ID delivered again
    del outcomes[
        "31-empty.eml"
    ]  # an IMAP server does not store a zero-byte message (the parser tests cover it)
    return outcomes


def test_every_corpus_message_ends_as_its_one_outcome_and_is_acknowledged_once(
    tmp_path, mailbox, smtp_server
):
    expected = _expected_outcomes()
    assert len(expected) >= 50
    config = connector_config(
        tmp_path,
        "http://127.0.0.1:9",
        "http://127.0.0.1:9",
        channels=[email_channel(mailbox, smtp_server, batch_size=7)],
    )
    connector = Connector(config)
    connector.store.upgrade()
    _seed_reports_the_corpus_replies_to(connector.store)
    channel = channel_kinds.build(config)["pengaduan-email"]
    normalize = Normalizer(channel.profile, "kalsel", config.tz, channel.record)
    uid_of = {name: mailbox.append(corpus(name)) for name in sorted(expected)}
    first = pull_channel(connector.store, channel, normalize)
    again = pull_channel(connector.store, channel, normalize)
    assert again.received == 0  # nothing read twice
    with connector.store.transaction() as s:
        rows = s.scalars(
            select(IntakeItem).where(~IntakeItem.external_id.startswith("seed-"))
        ).all()
        by_uid = {r.meta["uid"]: r.outcome for r in rows}
        quarantined = {q.external_id: q.problems for q in s.scalars(select(QuarantineItem))}
        replies = s.scalars(select(StatusUpdate).where(StatusUpdate.origin == "region")).all()
    assert len(rows) == len(expected) == first.received
    assert {name: by_uid[uid] for name, uid in uid_of.items()} == expected
    assert len(replies) == sum(1 for o in expected.values() if o == "reply")
    with connector.store.transaction() as s:
        landed = dict(
            s.execute(
                select(StatusUpdate.update_id, Complaint.tracking_id).join(
                    Complaint, Complaint.id == StatusUpdate.complaint_id
                )
            ).all()
        )
    assert {
        ref: landed[f"pengaduan-email/{ref}/reply"]
        for ref in (
            "CAGm8xK0066+zQ=reply@mail.gmail.com",
            "5e1c2a3b-7d4f-4a1b-9c2d-0e1f2a3b4c68@example.com",
            "AM0PR10MB1234A67B2C3D4E5F6A7B8C9D0E1F@AM0PR10MB1234.eurprd10.prod.outlook.com",
            "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C69@example.com",
            "subject-word-70@example.com",
        )
    } == {
        "CAGm8xK0066+zQ=reply@mail.gmail.com": "1000789",
        "5e1c2a3b-7d4f-4a1b-9c2d-0e1f2a3b4c68@example.com": "1000789",
        "AM0PR10MB1234A67B2C3D4E5F6A7B8C9D0E1F@AM0PR10MB1234.eurprd10.prod.outlook.com": "1000321",
        "A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C69@example.com": "1000321",
        "subject-word-70@example.com": "1000321",
    }
    assert all(r.payload["actor"] == "pelapor" and r.payload.get("message") for r in replies)
    assert all(problems for problems in quarantined.values())  # each with its reason
    assert all("\\Seen" in mailbox.flags(uid) for uid in uid_of.values())
    assert (
        smtp_server.messages == []
    )  # nothing answered before the hub gave a tracking id; noise never
    channel.close()
    connector.close()
