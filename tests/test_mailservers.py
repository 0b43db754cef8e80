"""The mail-server helpers themselves: a real Dovecot and a real aiosmtpd on loopback.

These prove that the servers the email channel's integration tests rely on behave
like the mail servers that provincial IT staff run: logins, TLS, UIDs, UIDVALIDITY,
flags, folders, SMTP AUTH/STARTTLS and the failure answers.
"""

from __future__ import annotations

import imaplib
import os
import smtplib
import ssl
from email.message import EmailMessage

import mailservers
import pytest
from mailservers import Dovecot, SmtpCapture

RAW = (
    b"From: Warga <warga@example.id>\r\nTo: lapor@pemkot.example.id\r\n"
    b"Subject: Jalan rusak di Banjarmasin\r\nMessage-ID: <1@example.id>\r\n\r\n"
    b"Lubang besar di Jl. A. Yani km 3.\r\n"
)


def fetch_body(client: imaplib.IMAP4, uid: int) -> bytes:
    typ, data = client.uid("FETCH", str(uid), "(BODY.PEEK[])")
    assert typ == "OK"
    return data[0][1]


def complaint(subject="Air PDAM mati", to="lapor@pemkot.example.id") -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "noreply@lapor.example.id", to, subject
    message.set_content("Laporan Anda sudah kami terima.")
    return message


# --- Dovecot --------------------------------------------------------------------------------


@pytest.mark.parametrize("security", ["plain", "starttls", "ssl"])
def test_appended_message_comes_back_over_each_transport(mailbox, security):
    uid = mailbox.append(RAW)

    client = mailbox.connect(security)
    try:
        assert isinstance(client.sock, ssl.SSLSocket) == (security != "plain")
        assert client.select("INBOX", readonly=True) == ("OK", [b"1"])
        assert fetch_body(client, uid) == RAW
    finally:
        client.logout()


def test_tls_is_verified_against_the_generated_certificate(dovecot):
    system_trust = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(dovecot.host, dovecot.imaps_port, ssl_context=system_trust, timeout=5)
    client = imaplib.IMAP4_SSL(
        dovecot.host, dovecot.imaps_port, ssl_context=dovecot.ssl_context(), timeout=5
    )
    client.logout()


def test_mailbox_fixture_is_a_fresh_user_with_an_empty_inbox(mailbox, dovecot):
    assert (mailbox.host, mailbox.imap_port, mailbox.imaps_port) == (
        "127.0.0.1",
        dovecot.imap_port,
        dovecot.imaps_port,
    )
    assert mailbox.dovecot is dovecot and mailbox.cert_path.exists()
    assert dovecot.message_count(mailbox.user, "INBOX") == 0
    assert mailbox.uids() == []


def test_user_added_after_start_can_log_in_and_a_wrong_password_cannot(dovecot):
    assert dovecot.running
    user, _ = dovecot.add_user("dinas-pu", "rahasia-123")

    client = dovecot.connect(user, password="rahasia-123")
    assert client.state == "AUTH"
    client.logout()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        dovecot.connect(user, password="salah")


def test_users_added_within_one_second_can_all_log_in(dovecot):
    # A shared passwd-file would fail here: Dovecot re-reads it at most once a second.
    for _ in range(5):
        user, _ = dovecot.add_user()
        client = dovecot.connect(user)
        assert client.state == "AUTH"
        client.logout()


def test_uids_grow_under_one_uidvalidity(mailbox, dovecot):
    uids = [mailbox.append(RAW.replace(b"<1@", b"<%d@" % n)) for n in range(3)]

    assert uids == sorted(uids) and len(set(uids)) == 3
    assert mailbox.uids() == uids
    validity = dovecot.uidvalidity(mailbox.user, "INBOX")
    assert validity > 0 and dovecot.uidvalidity(mailbox.user, "INBOX") == validity
    assert dovecot.message_count(mailbox.user, "INBOX") == 3


def test_flags_set_on_append_and_by_store(mailbox):
    seen = mailbox.append(RAW, flags=("\\Seen",))
    unseen = mailbox.append(RAW)
    assert mailbox.flags(seen) == {"\\Seen"} and mailbox.flags(unseen) == set()

    client = mailbox.connect()
    client.select("INBOX")
    assert client.uid("STORE", str(unseen), "+FLAGS", "(\\Flagged $Diproses)")[0] == "OK"
    client.logout()

    assert mailbox.flags(unseen) == {"\\Flagged", "$Diproses"}
    assert mailbox.uids(criteria="UNSEEN") == [unseen]
    assert mailbox.uids(criteria="FLAGGED") == [unseen]


def test_reset_uidvalidity_changes_it_and_keeps_the_messages(mailbox, dovecot):
    uids = [mailbox.append(RAW), mailbox.append(RAW)]
    before = dovecot.uidvalidity(mailbox.user, "INBOX")

    after = dovecot.reset_uidvalidity(mailbox.user, "INBOX")

    assert after != before and dovecot.uidvalidity(mailbox.user, "INBOX") == after
    client = mailbox.connect()
    client.select("INBOX", readonly=True)
    assert client.response("UIDVALIDITY") == ("UIDVALIDITY", [str(after).encode()])
    assert fetch_body(client, uids[0]) == RAW
    client.logout()
    assert mailbox.uids() == uids and dovecot.message_count(mailbox.user, "INBOX") == 2


def test_reset_uidvalidity_drops_a_session_that_has_the_folder_open(mailbox, dovecot):
    mailbox.append(RAW)
    client = mailbox.connect()
    client.select("INBOX")

    dovecot.reset_uidvalidity(mailbox.user, "INBOX")

    with pytest.raises(imaplib.IMAP4.abort, match="inconsistent"):
        client.noop()


def test_folders_hold_their_own_messages(mailbox, dovecot):
    for folder in ("Laporan/Selesai", "Pengaduan & Saran"):
        dovecot.create_folder(mailbox.user, folder)
    uid = dovecot.append(mailbox.user, "Laporan/Selesai", RAW)

    assert {"INBOX", "Laporan", "Laporan/Selesai", "Pengaduan & Saran"} <= dovecot.folders(
        mailbox.user
    )
    assert dovecot.uids(mailbox.user, "Laporan/Selesai") == [uid]
    assert dovecot.message_count(mailbox.user, "Pengaduan & Saran") == 0
    assert mailbox.uids() == []


def test_two_mailboxes_are_isolated(mailbox, dovecot):
    other_user, other_password = dovecot.add_user()
    mailbox.append(RAW)

    assert dovecot.uids(other_user, "INBOX") == []
    assert mailbox.uids() != []
    with pytest.raises(imaplib.IMAP4.error):
        dovecot.connect(mailbox.user, password=other_password)


def test_stop_and_start_again_past_a_stale_pid_file():
    with Dovecot() as server:
        user, _ = server.add_user()
        uid = server.append(user, "INBOX", RAW)
        first_master = server._master_pid()
        server.stop()
        assert not server.running and not os.path.exists(f"/proc/{first_master}/status")
        # A pid file naming a live process (a pid reused after a crash) makes Dovecot refuse
        # to start unless the helper removes it.
        server.pid_path.write_text(f"{os.getpid()}\n")

        server.start()

        assert server.running and server._master_pid() not in (None, os.getpid(), first_master)
        assert server.uids(user, "INBOX") == [uid]


def test_failure_to_start_reports_dovecots_own_words(monkeypatch):
    monkeypatch.setattr(
        mailservers, "DOVECOT_CONF", mailservers.DOVECOT_CONF + "no_such_setting = 1\n"
    )
    with pytest.raises(mailservers.MailServerError, match="no_such_setting"), Dovecot():
        pass


# --- SMTP -----------------------------------------------------------------------------------


def test_smtp_capture_keeps_what_smtplib_sends(smtp_server):
    with smtp_server.client() as client:
        client.send_message(complaint(), "noreply@lapor.example.id", ["warga@example.id"])

    [captured] = smtp_server.wait_for(1)
    assert (captured.mail_from, captured.rcpt_tos) == (
        "noreply@lapor.example.id",
        ["warga@example.id"],
    )
    assert captured.message["Subject"] == "Air PDAM mati"
    assert captured.message.get_content().strip() == "Laporan Anda sudah kami terima."
    assert b"Subject: Air PDAM mati" in captured.raw
    assert (captured.tls, captured.authenticated_as) == (False, None)
    smtp_server.clear()
    assert smtp_server.messages == []


@pytest.mark.parametrize("smtp_server", [{"auth": ("lapor", "rahasia")}], indirect=True)
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_smtp_auth_is_required_and_checked(smtp_server, mechanism):
    with smtp_server.client() as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(complaint())
        assert refused.value.smtp_code == 530
    with smtp_server.client() as client, pytest.raises(smtplib.SMTPAuthenticationError):
        client.login("lapor", "salah")
    with smtp_server.client() as client:
        client.ehlo()
        client.user, client.password = "lapor", "rahasia"
        method = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        assert client.auth(mechanism, method, initial_response_ok=False)[0] == 235
        client.send_message(complaint())

    [captured] = smtp_server.wait_for(1)
    assert captured.authenticated_as == "lapor"


@pytest.mark.parametrize(
    "smtp_server",
    [{"starttls": True, "require_tls": True, "auth": ("lapor", "rahasia")}],
    indirect=True,
)
def test_smtp_starttls_then_auth(smtp_server):
    with smtp_server.client() as client:
        with pytest.raises(smtplib.SMTPSenderRefused) as refused:
            client.send_message(complaint())
        assert refused.value.smtp_code == 530
    with smtp_server.client() as client:
        client.starttls(context=smtp_server.ssl_context())
        client.login("lapor", "rahasia")
        client.send_message(complaint())

    [captured] = smtp_server.wait_for(1)
    assert captured.tls and captured.authenticated_as == "lapor"


def test_smtp_temporary_failures_then_acceptance(smtp_server):
    smtp_server.fail_next(2)
    for _ in range(2):
        with smtp_server.client() as client:
            with pytest.raises(smtplib.SMTPDataError) as failed:
                client.send_message(complaint())
            assert failed.value.smtp_code == 451
    with smtp_server.client() as client:
        client.send_message(complaint())

    assert len(smtp_server.wait_for(1)) == 1
    assert [r.code for r in smtp_server.refusals] == [451, 451]


def test_smtp_permanent_rejection_of_one_recipient(smtp_server):
    smtp_server.reject_recipient("Mati@Example.id")
    with smtp_server.client() as client:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            client.send_message(complaint(), to_addrs=["mati@example.id"])
        assert refused.value.recipients["mati@example.id"][0] == 550
        assert client.send_message(
            complaint(), to_addrs=["mati@example.id", "hidup@example.id"]
        ) == {"mati@example.id": (550, b"5.1.1 <mati@example.id>: mailbox unavailable")}

    [captured] = smtp_server.wait_for(1)
    assert captured.rcpt_tos == ["hidup@example.id"]
    assert [r.code for r in smtp_server.refusals] == [550, 550]


def test_wait_for_times_out_when_nothing_comes(smtp_server):
    with pytest.raises(TimeoutError):
        smtp_server.wait_for(1, timeout=0.2)


def test_smtp_capture_stops_listening():
    capture = SmtpCapture().start()
    port = capture.port
    capture.stop()
    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)
