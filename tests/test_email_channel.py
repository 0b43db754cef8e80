"""The email channel against a real Dovecot IMAP server and a real SMTP server
(aiosmtpd), with the reference hub: complaints in, acknowledgements out, citizens'
replies threaded onto their report, noise recorded and never answered, the crafted
corpus of 65 messages each ending as its one outcome."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from peers import ROOT, connector_config, drain, running_hub
from sqlalchemy import func, select

from connector import channels as channel_kinds
from connector.daemon import Connector
from connector.intake import pull_channel
from connector.normalize import Normalizer
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
        "id": "pengaduan-email", "kind": "email", "profile": str(ROOT / "mappings" / "email.yaml"), "poll_every_s": 0.5,
        "imap": {"host": mailbox.host, "port": port, "security": security, "username": mailbox.user,
                 "password": mailbox.password, "ca_file": str(mailbox.cert_path), **extra.pop("imap", {})},
        "smtp": {"host": smtp.host, "port": smtp.port, "security": "plain", "from_address": "pengaduan@kalselprov.go.id"},
        "message_id_domain": DOMAIN, **extra,
    }


def make(tmp_path, hub_url, mailbox, smtp, **channel) -> Connector:
    config = connector_config(tmp_path, hub_url, "http://127.0.0.1:9", channels=[email_channel(mailbox, smtp, **channel)])
    connector = Connector(config)
    connector.store.upgrade()
    return connector


def corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def count(connector, model, *where) -> int:
    with connector.store.transaction() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("security", ["plain", "starttls", "ssl"])
def test_a_complaint_mail_reaches_the_hub_and_its_author_gets_one_acknowledgement(tmp_path, mailbox, smtp_server, security):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server, security=security)
        uid = mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
        drain(connector)
        with connector.store.transaction() as s:
            c = s.scalars(select(Complaint)).one()
            report, tracking = c.report, c.tracking_id
        assert tracking and report["source"]["channel"] == "email"
        assert report["source"]["source_ref"] == "CAF1001.jalan@mail.example.id"
        assert report["title"] == "Jalan rusak parah di Jl. A. Yani Km 32 Banjarbaru" and report["title_derived"] is False
        assert report["location"]["region_code"] == "63.72"
        assert report["category"]["code"] == "pekerjaan_umum_penataan_ruang.jalan_jembatan"
        assert report["complainant"] == {"name": "Budi Santoso", "email": "budi.santoso@example.id"}
        assert report["privacy"] == {"anonymous": False, "confidential": False}
        assert "\\Seen" in mailbox.flags(uid)
        [ack] = smtp_server.wait_for(1)
        assert ack.rcpt_tos == ["budi.santoso@example.id"]
        assert ack.message["Subject"].startswith(f"[LAPOR #{tracking}]") and tracking in ack.message.get_content()
        assert ack.message["In-Reply-To"] == "<CAF1001.jalan@mail.example.id>"
        assert ack.message["Auto-Submitted"] == "auto-replied" and ack.message["Message-ID"].endswith(f"@{DOMAIN}>")
        drain(connector)
        assert len(smtp_server.messages) == 1  # one acknowledgement, however often it runs
        connector.close()


def test_processed_mail_is_moved_when_a_processed_folder_is_set(tmp_path, mailbox, smtp_server):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server, imap={"processed_folder": "Diproses"})
        mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
        mailbox.append(corpus("35-x-autoreply.eml"))
        drain(connector)
        assert mailbox.uids() == [] and len(mailbox.uids("Diproses")) == 2
        assert count(connector, Complaint) == 1
        connector.close()


def test_a_changed_uidvalidity_rereads_the_folder_without_duplicates(tmp_path, mailbox, smtp_server):
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


def test_a_reply_to_the_acknowledgement_is_the_citizens_update_on_their_report(tmp_path, mailbox, smtp_server):
    with running_hub(tmp_path) as (_, hub):
        connector = make(tmp_path, hub.url, mailbox, smtp_server)
        mailbox.append(corpus("01-jalan-rusak-banjarbaru.eml"))
        drain(connector)
        [ack] = smtp_server.wait_for(1)
        ack_id = ack.message["Message-ID"].strip("<>")
        reply = (b"From: Budi Santoso <budi.santoso@example.id>\r\nTo: pengaduan@kalselprov.go.id\r\n"
                 b"Subject: Re: " + ack.message["Subject"].encode() + b"\r\n"
                 b"Message-ID: <balasan-1@mail.example.id>\r\nIn-Reply-To: <" + ack_id.encode() + b">\r\n"
                 b"Date: Tue, 04 Mar 2025 09:00:00 +0800\r\n\r\n"
                 b"Lubangnya sekarang sudah dua meter.\r\n\r\nPada Senin, 3 Mar 2025, LAPOR menulis:\r\n> Laporan Anda diterima\r\n")
        mailbox.append(reply)
        drain(connector)
        assert count(connector, Complaint) == 1
        with connector.store.transaction() as s:
            [update] = s.scalars(select(StatusUpdate).where(StatusUpdate.origin == "region")).all()
            assert update.payload["actor"] == "pelapor" and update.state == "applied"
            assert update.payload["message"] == "Lubangnya sekarang sudah dua meter."
        assert len(smtp_server.messages) == 1  # a reply is not acknowledged again
        connector.close()


def test_smtp_trouble_is_retried_and_a_refused_address_is_dead_lettered(tmp_path, mailbox, smtp_server):
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
    """Complaints whose acknowledgements the corpus's replies answer (tracking ids 1000123 …)."""
    seeds = [("1000123", "budi.santoso@example.id", "ack-1000123.20250303T021500Z"),
             ("1000456", "rizky.pratama@example.net", "ack-1000456.20250305T060200Z"),
             ("1000789", "dewi.lestari@example.com", None),
             ("1000321", "agus.setiawan@example.com", "ack-1000321.20250325T010000Z")]
    with store.transaction() as s:
        for tracking, address, ack in seeds:
            intake = IntakeItem(channel_id="pengaduan-email", external_id=f"seed-{tracking}", payload_sha256="0" * 64,
                                payload=b"", media_type="message/rfc822", meta={}, received_at=_now(), outcome="accepted")
            s.add(intake)
            s.flush()
            c = Complaint(channel_id="pengaduan-email", source_ref=f"seed-{tracking}", intake_id=intake.id, content_hash="0" * 64,
                          report={"source": {"channel": "email"}, "complainant": {"email": address}}, notes={},
                          tracking_id=tracking, status="belum_terverifikasi")
            s.add(c)
            s.flush()
            if ack:
                s.add(SentMessage(message_id=f"{ack}@{DOMAIN}", complaint_id=c.id, channel_id="pengaduan-email", event="diterima"))


def _now():
    from connector.timeutil import utcnow

    return utcnow()


def _expected_outcomes() -> dict[str, str]:
    """What the connector must make of each corpus message (the parser's manifest says
    what each message is; these are the connector's rules on top of it)."""
    manifest = yaml.safe_load((CORPUS / "expected.yaml").read_text())
    outcomes = {}
    for name, facts in manifest.items():
        outcome = {"complaint": "accepted", "noise": "ignored", "reply": "reply", "unreadable": "quarantined"}[facts["outcome"]]
        if facts["outcome"] == "complaint" and facts.get("text", "x") is None:
            outcome = "quarantined"  # attachments but no text: a report needs a body
        outcomes[name] = outcome
    outcomes["48-reply-tracking-subject-pada-menulis.eml"] = "accepted"  # quotes 1000123 but is not its author
    outcomes["46-duplicate-delivery-b.eml"] = "revision"  # the same Message-ID delivered again
    del outcomes["31-empty.eml"]  # an IMAP server does not store a zero-byte message (the parser tests cover it)
    return outcomes


def test_every_corpus_message_ends_as_its_one_outcome_and_is_acknowledged_once(tmp_path, mailbox, smtp_server):
    expected = _expected_outcomes()
    assert len(expected) >= 50
    config = connector_config(tmp_path, "http://127.0.0.1:9", "http://127.0.0.1:9",
                              channels=[email_channel(mailbox, smtp_server, batch_size=7)])
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
        rows = s.scalars(select(IntakeItem).where(~IntakeItem.external_id.startswith("seed-"))).all()
        by_uid = {r.meta["uid"]: r.outcome for r in rows}
        quarantined = {q.external_id: q.problems for q in s.scalars(select(QuarantineItem))}
        replies = s.scalars(select(StatusUpdate).where(StatusUpdate.origin == "region")).all()
    assert len(rows) == len(expected) == first.received
    assert {name: by_uid[uid] for name, uid in uid_of.items()} == expected
    assert len(replies) == sum(1 for o in expected.values() if o == "reply")
    assert all(r.payload["actor"] == "pelapor" and r.payload.get("message") for r in replies)
    assert all(problems for problems in quarantined.values())  # each with its reason
    assert all("\\Seen" in mailbox.flags(uid) for uid in uid_of.values())
    assert smtp_server.messages == []  # nothing answered before the hub gave a tracking id; noise never
    channel.close()
    connector.close()
