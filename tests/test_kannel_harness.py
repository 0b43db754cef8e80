"""The Kannel harness itself: a real bearerbox + smsbox with fakesmsc as the operator.

These pin down what the SMS channel's integration tests rely on: the exact shape of
Kannel's post-url requests (parameters, headers, body encoding) for GSM text, UCS-2 with
and without mo-recode, and multipart messages complete or with a part missing; Kannel's
retries after a failed post; sendsms answers and what the operator delivers; delivery
reports; and the harness's own lifecycle.
"""

from __future__ import annotations

import datetime
import time
import urllib.parse
import uuid

import kannel
import pytest
from kannel import (
    ACCEPTED,
    MO_ESCAPES,
    Kannel,
    KannelError,
    MoRecorder,
    concat_parts,
    concat_udh,
    fakesmsc_line,
    fakesmsc_pieces,
    join_mt,
    parse_mt_line,
)

CITIZEN = "6281234567890"
SHORTCODE = "1708"
COMPLAINT = "LAPOR Jalan A. Yani km 3 berlubang, mohon segera diperbaiki"


@pytest.fixture
def recorder():
    with MoRecorder() as server:
        yield server


@pytest.fixture
def gateway(kannel_factory, recorder):
    """Kannel posting to the recorder, with a secret in the URL as the connector's config has it."""
    return kannel_factory(recorder.url("/inbound/sms-kalsel?secret=rahasia-kalsel-123"))


def decoded_udh(request) -> bytes:
    return urllib.parse.unquote_to_bytes(request.header("x-kannel-udh"))


# --- fakesmsc's protocol, without Kannel ----------------------------------------------------------


@pytest.mark.parametrize(
    "kind, data, udh, line",
    [
        ("text", "LAPOR jalan rusak", None, b"628 1708 text LAPOR jalan rusak"),
        ("text", "caf\u00e9", None, b"628 1708 text caf\xc3\xa9"),
        ("text", "bagian 1", concat_udh(7, 2, 1), b"628 1708 udh-text %05%00%03%07%02%01 bagian 1"),
        ("ucs2", "A \U0001f600", None, b"628 1708 ucs2 %00A%00%20%D8%3D%DE%00"),
        ("data", b"\x00\n+%", None, b"628 1708 data %00%0A%2B%25"),
        (
            "data",
            b"x",
            b"\x06\x05\x04\x0b\x84\x23\xf0",
            b"628 1708 udh-data %06%05%04%0B%84%23%F0 x",
        ),
        ("text", "", None, b"628 1708 text "),
    ],
    ids=["text", "utf8-text", "udh-text", "ucs2-emoji", "data-escapes", "udh-data", "empty-text"],
)
def test_fakesmsc_line_encodes_each_kind(kind, data, udh, line):
    assert fakesmsc_line("628", "1708", kind, data, udh) == line


@pytest.mark.parametrize(
    "args, match",
    [
        (("628", "1708", "text", "dua\nbaris"), "newline"),
        (("628", "1708", "ucs2", "x", b"\x05\x00\x03\x01\x02\x01"), "UCS-2"),
        (("62 8", "1708", "text", "x"), "sender"),
        (("628", "1708", "unicode", "x"), "kind"),
    ],
    ids=["newline-in-text", "ucs2-with-udh", "space-in-sender", "unknown-kind"],
)
def test_fakesmsc_line_refuses_what_fakesmsc_cannot_send(args, match):
    with pytest.raises(ValueError, match=match):
        fakesmsc_line(*args)


@pytest.mark.parametrize(
    "length, pieces",
    [
        (10, [11]),
        (254, [255]),
        (255, [255, 2]),
        (256, [255, 2]),
        (510, [255, 255, 2]),
        (600, [255, 255, 91]),
    ],
)
def test_long_lines_go_in_exact_fgets_pieces_and_never_end_in_a_lone_newline(length, pieces):
    written = fakesmsc_pieces(b"x" * length)
    assert [len(piece) for piece in written] == pieces
    assert b"".join(written).rstrip(b"\r\n") == b"x" * length
    assert written[-1] != b"\n"


def test_mt_lines_parse_into_messages():
    text = parse_mt_line(b"1708 628111 text Laporan Anda diterima")
    ucs2 = parse_mt_line(b"1708 628111 ucs-2 %00E%00m%00o%00j%00i%00+%D8%3D%DE%00")
    part = parse_mt_line(b"1708 628111 udh %05%00%03%01%02%02 data bagian+dua")
    assert (text.sender, text.receiver, text.kind) == ("1708", "628111", "text")
    assert text.text == "Laporan Anda diterima"
    assert (ucs2.kind, ucs2.text) == ("ucs-2", "Emoji \U0001f600")
    assert (part.udh, part.data, part.concat) == (concat_udh(1, 2, 2), b"bagian dua", (1, 2, 2))
    assert parse_mt_line(b"lanjutan baris kedua") is None


# --- MO: citizen -> post-url ----------------------------------------------------------------------


def test_gsm_text_arrives_as_a_post_with_the_escapes_as_parameters(gateway, recorder):
    assert gateway.post_url.endswith("?secret=rahasia-kalsel-123&" + MO_ESCAPES)
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0, tzinfo=None)

    gateway.send_mo(CITIZEN, COMPLAINT)

    [request] = recorder.wait_for(1)
    assert (request.method, request.path) == ("POST", "/inbound/sms-kalsel")
    query = request.query
    assert query["secret"] == "rahasia-kalsel-123"  # the connector's own query string is kept
    assert (query["from"], query["to"], query["coding"], query["smsc"]) == (
        CITIZEN,
        SHORTCODE,
        "0",
        "fake",
    )
    uuid.UUID(query["id"])
    # %t is UTC, "YYYY-MM-DD HH:MM:SS" without a zone.
    sent_at = datetime.datetime.strptime(query["time"], "%Y-%m-%d %H:%M:%S")
    assert (
        before - datetime.timedelta(seconds=1) <= sent_at <= before + datetime.timedelta(seconds=30)
    )
    assert request.header("content-type") == 'text/plain; charset="UTF-8"'
    assert (request.header("x-kannel-from"), request.header("x-kannel-to")) == (CITIZEN, SHORTCODE)
    assert (request.header("x-kannel-coding"), request.header("x-kannel-smsc")) == ("0", "fake")
    assert request.header("x-kannel-time") == query["time"]
    assert request.header("x-kannel-udh") is None
    assert request.body == COMPLAINT.encode()


def test_sender_header_comes_only_with_send_sender(kannel_factory, recorder):
    gateway = kannel_factory(recorder.url("/mo"), send_sender=False)
    gateway.send_mo(CITIZEN, "tanpa pengirim di header")
    [request] = recorder.wait_for(1)
    assert request.header("x-kannel-from") is None
    assert request.query["from"] == CITIZEN  # %p in the URL still carries it


def test_ucs2_with_emoji_arrives_as_utf16be(gateway, recorder):
    # 70 characters: the fakesmsc line is over 255 bytes, so it goes in several pieces.
    text = ("Air PDAM mati 3 hari \U0001f621\U0001f4a7 tolong " * 3)[:68]
    assert len(fakesmsc_line(CITIZEN, SHORTCODE, "ucs2", text)) > 255

    gateway.send_ucs2(CITIZEN, text)

    [request] = recorder.wait_for(1)
    assert request.query["coding"] == "2"
    assert request.header("x-kannel-coding") == "2"
    assert request.header("content-type") == 'text/plain; charset="UTF-16BE"'
    assert request.body == text.encode("utf-16-be")
    assert request.text == text


def test_ucs2_with_mo_recode_arrives_as_utf8_coding_0(kannel_factory, recorder):
    gateway = kannel_factory(recorder.url("/mo"), mo_recode=True)
    texts = [
        "Sampah menumpuk \U0001f922",
        "Kali Martapura \u00f1\u00e9",
    ]  # the second would fit Latin-1
    for text in texts:
        gateway.send_ucs2(CITIZEN, text)

    requests_ = recorder.wait_for(2)
    assert sorted(r.body for r in requests_) == sorted(text.encode("utf-8") for text in texts)
    for request in requests_:
        assert (request.query["coding"], request.header("x-kannel-coding")) == ("0", "0")
        assert request.header("content-type") == 'text/plain; charset="UTF-8"'


def test_binary_data_arrives_as_octet_stream_coding_1(gateway, recorder):
    gateway.send_mo(CITIZEN, b"\x00\x01\xfe\xff", kind="data")
    [request] = recorder.wait_for(1)
    assert request.header("content-type") == "application/octet-stream"
    assert (request.query["coding"], request.body) == ("1", b"\x00\x01\xfe\xff")


def test_messages_injected_at_different_times_all_arrive_each_with_its_own_id(gateway, recorder):
    gateway.send_mo(CITIZEN, "pertama")
    recorder.wait_for(1)
    time.sleep(1.2)  # longer than fakesmsc's 1 s stdin timeout
    gateway.send_mo(CITIZEN, "dobel", count=3)  # the operator delivering one SMS three times
    gateway.send_mo("6285200000001", "dari warga lain", receiver="1709")

    requests_ = recorder.wait_for(5)
    assert requests_[0].body == b"pertama"
    # smsbox posts from several threads: messages sent together may arrive in any order.
    assert sorted(r.body for r in requests_[1:]) == [
        b"dari warga lain",
        b"dobel",
        b"dobel",
        b"dobel",
    ]
    assert len({r.query["id"] for r in requests_}) == 5
    [other] = [r for r in requests_ if r.body == b"dari warga lain"]
    assert (other.query["from"], other.query["to"]) == ("6285200000001", "1709")


def test_complete_multipart_arrives_as_one_post_whatever_the_order_and_repeats(
    kannel_factory, recorder
):
    gateway = kannel_factory(recorder.url("/mo"), concat_timeout_s=1)
    text = "Lampu jalan di Jl. Veteran padam sejak dua minggu, rawan kecelakaan malam hari. " * 4
    parts = concat_parts(text, ref=0x2A)
    assert len(parts) == 3

    gateway.send_parts(CITIZEN, [parts[2], parts[0], parts[0], parts[1]])

    [request] = recorder.wait_for(1)
    assert request.body == text.encode()
    assert request.header("x-kannel-udh") is None
    assert request.query["coding"] == "0"
    time.sleep(2.5)  # past the reassembly timeout: the repeated part was discarded, not posted
    assert len(recorder.requests) == 1


def test_a_missing_part_makes_each_part_a_post_with_its_udh_after_the_timeout(
    kannel_factory, recorder
):
    gateway = kannel_factory(recorder.url("/mo"), concat_timeout_s=2)
    parts = concat_parts("x" * 153 + "y" * 153 + "z" * 20, ref=0xA7)
    started = time.monotonic()

    gateway.send_parts(CITIZEN, [parts[0], parts[2]])

    requests_ = recorder.wait_for(2, timeout=10)
    # Nothing before sms-combine-concatenated-mo-timeout (Kannel counts whole seconds).
    assert requests_[0].at - started >= 1
    by_seq = {decoded_udh(r)[-1]: r for r in requests_}
    assert sorted(by_seq) == [1, 3]
    assert decoded_udh(by_seq[1]) == parts[0][0] and by_seq[1].body == b"x" * 153
    assert decoded_udh(by_seq[3]) == parts[2][0] and by_seq[3].body == b"z" * 20
    # URL-encoded raw bytes with upper-case hex, not hex digits.
    assert by_seq[3].header("x-kannel-udh") == "%05%00%03%A7%03%03"
    assert len({r.query["id"] for r in requests_}) == 2


# --- MO: Kannel's retries -------------------------------------------------------------------------


def test_failed_posts_are_retried_with_the_same_id(kannel_factory, recorder):
    gateway = kannel_factory(recorder.url("/mo"), http_request_retry=3, retry_delay_s=1)
    for status in (500, 404, 201):  # anything but 200 and 202 is a failure, even a 201
        recorder.fail_next(1, status=status)

    gateway.send_mo(CITIZEN, "coba lagi")

    requests_ = recorder.wait_for(4, timeout=10)
    assert [r.status for r in requests_] == [500, 404, 201, 200]
    assert len({r.query["id"] for r in requests_}) == 1
    assert {r.body for r in requests_} == {b"coba lagi"}
    assert requests_[1].at - requests_[0].at >= 0.8  # http-queue-delay between tries
    time.sleep(1.5)
    assert len(recorder.requests) == 4  # nothing after the 200


def test_a_refused_connection_is_retried_until_the_connector_is_back(kannel_factory, recorder):
    gateway = kannel_factory(recorder.url("/mo"), http_request_retry=5, retry_delay_s=1)
    recorder.stop()
    recorder.status = 202  # as good as 200 for Kannel

    gateway.send_mo(CITIZEN, "saat konektor mati")
    time.sleep(1.5)
    recorder.start()  # the same port

    [request] = recorder.wait_for(1, timeout=10)
    assert request.body == b"saat konektor mati"
    time.sleep(1.5)
    assert len(recorder.requests) == 1  # the 202 ended the retries


@pytest.mark.parametrize("retries", [0, 1])
def test_kannel_drops_the_message_when_the_tries_run_out(kannel_factory, recorder, retries):
    gateway = kannel_factory(recorder.url("/mo"), http_request_retry=retries, retry_delay_s=1)
    recorder.fail_next(retries + 1, status=503)

    gateway.send_mo(CITIZEN, "akan hilang")
    recorder.wait_for(retries + 1)
    time.sleep(2.5)
    gateway.send_mo(CITIZEN, "berikutnya")

    requests_ = recorder.wait_for(retries + 2)
    assert [r.body for r in requests_] == [b"akan hilang"] * (retries + 1) + [b"berikutnya"]
    assert gateway.mt_messages() == []  # max-messages = 0: no error reply to the citizen


# --- MT: sendsms -> operator ------------------------------------------------------------------


def test_sendsms_is_accepted_and_the_operator_delivers_it(gateway):
    reply = "Laporan Anda diterima.\nNomor: KALSEL-2026-0001"  # a newline, as the templates have

    answer = gateway.sendsms(CITIZEN, reply)

    assert (answer.status_code, answer.text) == (202, ACCEPTED)
    [message] = gateway.wait_for_mt(1)
    assert (message.sender, message.receiver, message.kind) == (SHORTCODE, CITIZEN, "text")
    assert message.text == reply


def test_ucs2_reply_arrives_as_ucs2(gateway):
    reply = "Terima kasih \U0001f64f laporan diteruskan"
    assert gateway.sendsms(CITIZEN, reply, coding=2, charset="UTF-8").text == ACCEPTED
    [message] = gateway.wait_for_mt(1)
    assert (message.kind, message.text) == ("ucs-2", reply)


def test_long_replies_are_split_into_concatenated_parts(gateway):
    long_text = "Status laporan KALSEL-2026-0001: ditindaklanjuti oleh Dinas PUPR. " * 4
    long_ucs2 = "Laporan \U0001f6a7 sedang dikerjakan, terima kasih atas kesabaran Anda. " * 3
    assert 2 * 134 < len(long_ucs2.encode("utf-16-be")) <= 3 * 134  # three UCS-2 parts
    assert gateway.sendsms(CITIZEN, long_text).text == ACCEPTED
    assert gateway.sendsms(CITIZEN, long_ucs2, coding=2, charset="UTF-8").text == ACCEPTED

    messages = gateway.wait_for_mt(2 + 3)
    text_parts, ucs2_parts = messages[:2], messages[2:]
    assert {m.kind for m in messages} == {"udh"}
    assert [m.concat[1:] for m in text_parts] == [(2, 1), (2, 2)]
    assert [m.concat[1:] for m in ucs2_parts] == [(3, 1), (3, 2), (3, 3)]
    assert join_mt(text_parts) == [long_text]
    assert join_mt(ucs2_parts, ucs2=True) == [long_ucs2]


def test_sendsms_with_bad_credentials_is_refused(gateway):
    answer = gateway.sendsms(CITIZEN, "x", password="salah")
    assert answer.status_code == 403 and "Authorization failed" in answer.text


def test_delivery_reports_call_the_dlr_url_with_status_and_our_id(gateway, recorder):
    dlr_url = recorder.url(
        "/dlr?item=outbox-42&status=%d&kannel_id=%I&smsc_ref=%F&answer=%A&phone=%p"
    )

    answer = gateway.sendsms(CITIZEN, "Laporan selesai", dlr_mask=1 | 2 | 8, dlr_url=dlr_url)

    assert answer.text == ACCEPTED
    reports = recorder.wait_for(2, path="/dlr")
    # 8 = accepted by the SMSC and 1 = delivered to the phone (the fake SMSC reports success);
    # like MO posts they may arrive in either order.
    by_status = {r.query["status"]: r for r in reports}
    assert sorted(by_status) == ["1", "8"]
    assert {r.query["item"] for r in reports} == {"outbox-42"}
    assert {r.method for r in reports} == {"GET"} and {r.body for r in reports} == {b""}
    assert {r.query["phone"] for r in reports} == {CITIZEN}
    assert by_status["8"].query["answer"] == "ACK/"
    uuid.UUID(by_status["1"].query["smsc_ref"])
    assert by_status["8"].query["kannel_id"] != by_status["1"].query["kannel_id"]  # %I is no key
    assert [m.text for m in gateway.wait_for_mt(1)] == ["Laporan selesai"]


# --- lifecycle ----------------------------------------------------------------------------------


def test_stop_then_start_again_in_the_same_folder(kannel_factory, recorder):
    gateway = kannel_factory(recorder.url("/mo"))
    first_log = gateway.bearerbox_log.read_text()
    gateway.stop()
    assert not gateway.running

    gateway.start()

    assert gateway.running
    # The first run's log is kept aside; the new one starts empty of it.
    assert gateway.bearerbox_log.with_suffix(".log.prev").read_text().startswith(first_log)
    assert first_log.splitlines()[0] not in gateway.bearerbox_log.read_text()
    gateway.send_mo(CITIZEN, "setelah restart")
    assert recorder.wait_for(1)[0].body == b"setelah restart"
    assert gateway.sendsms(CITIZEN, "balasan").text == ACCEPTED
    assert [m.text for m in gateway.wait_for_mt(1)] == ["balasan"]


def test_a_leaked_instance_in_the_folder_is_ended_before_a_start(tmp_path, recorder):
    leaked = Kannel(tmp_path / "k", recorder.url("/mo")).start()
    leaked_procs = list(leaked._procs.values())
    try:
        with Kannel(tmp_path / "k", recorder.url("/mo")) as fresh:
            assert all(proc.wait(10) is not None for proc in leaked_procs)
            fresh.send_mo(CITIZEN, "dari instans baru")
            assert recorder.wait_for(1)[0].body == b"dari instans baru"
    finally:
        leaked.stop()


def test_a_failed_start_raises_with_the_tail_of_the_logs(tmp_path, monkeypatch):
    monkeypatch.setattr(
        kannel, "KANNEL_CONF", kannel.KANNEL_CONF + "\ngroup = bukan-grup\nfoo = bar\n"
    )
    gateway = Kannel(tmp_path / "k", "http://127.0.0.1:9/mo")
    with pytest.raises(KannelError, match="bearerbox exited") as failure:
        gateway.start()
    assert "Group 'bukan-grup' is no valid group identifier" in str(failure.value)
    assert not gateway.running


def test_mo_url_with_a_percent_sign_is_refused(tmp_path):
    with pytest.raises(ValueError, match="%"):
        Kannel(tmp_path, "http://127.0.0.1:9/mo?secret=a%2Fb")
