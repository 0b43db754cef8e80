"""The email parser: the crafted corpus (tests/corpus/email, facts in expected.yaml) and
focused cases for the things that must never go wrong: header injection, 8-bit headers,
garbage input, the attachment size limit, file names, HTML, reply trimming and noise."""

from __future__ import annotations

import base64
import hashlib
import json
import random
from pathlib import Path

import mail_clients
import pytest
import yaml

from connector.channels.email.parse import FIELDS, parse_mail, subject_words

CORPUS = Path(__file__).parent / "corpus" / "email"
MANIFEST = yaml.safe_load((CORPUS / "expected.yaml").read_text(encoding="utf-8"))
ACK_DOMAIN = "lapor-connector.kalselprov.go.id"
OUTCOMES = ("complaint", "reply", "noise", "unreadable")


def outcome(record: dict) -> str:
    """How the connector will treat a parsed message (the rules expected.yaml states)."""
    if record["noise"]:
        return "noise"
    if not record["text"] and not record["attachments"]:
        return "unreadable"
    ours = [
        i
        for i in record["in_reply_to"] + record["references"]
        if i.lower().endswith("@" + ACK_DOMAIN)
    ]
    if ours or record["tracking_id"]:
        return "reply"
    return "complaint"


def parse_file(name: str) -> dict:
    facts = MANIFEST[name]
    options = {}
    if "max_attachment_bytes" in facts:
        options["max_attachment_bytes"] = facts["max_attachment_bytes"]
    if "own_domains" in facts:
        options["own_domains"] = tuple(facts["own_domains"])
    return parse_mail((CORPUS / name).read_bytes(), **options)


def mail(headers: str, body: str = "Isi laporan.\n", charset: str = "utf-8") -> bytes:
    """A message from readable text (LF in, CRLF out, as a mail server hands it over)."""
    return (headers.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode(charset)


# -- the corpus ------------------------------------------------------------------------


def _check_items(actual: list[dict], expected: list[dict], what: str) -> None:
    assert len(actual) == len(expected), f"{what}: {actual}"
    for got, want in zip(actual, expected):
        for key, value in want.items():
            if key == "reason_contains":
                assert value in got["reason"], (what, got)
            else:
                assert got[key] == value, (what, key, got)


def _contains(field: str):
    def check(record, phrases):
        for phrase in phrases:
            assert phrase in (record[field] or ""), f"{field} lacks {phrase!r}: {record[field]!r}"

    return check


def _lacks(field: str):
    def check(record, phrases):
        for phrase in phrases:
            assert phrase not in (record[field] or ""), f"{field} has {phrase!r}: {record[field]!r}"

    return check


def _same_message_id(record, other):
    assert record["message_id"] and record["message_id"] == parse_file(other)["message_id"]


CHECKS = {
    "outcome": lambda r, v: None,  # checked in every case, below
    "max_attachment_bytes": lambda r, v: None,
    "own_domains": lambda r, v: None,
    "from_address": lambda r, v: _equal(r["from"]["address"], v),
    "from_name": lambda r, v: _equal(r["from"]["name"], v),
    "text_contains": _contains("text"),
    "text_not_contains": _lacks("text"),
    "reply_text_contains": _contains("reply_text"),
    "reply_text_not_contains": _lacks("reply_text"),
    "reply_text_same_as_text": lambda r, v: _equal(r["reply_text"] == r["text"], v),
    "noise_kind": lambda r, v: _equal(r["noise"] and r["noise"]["kind"], v),
    "noise_reason_contains": lambda r, v: _contains_one(r["noise"]["reason"], v),
    "attachments": lambda r, v: _check_items(r["attachments"], v, "attachments"),
    "dropped": lambda r, v: _check_items(r["dropped_attachments"], v, "dropped_attachments"),
    "defects_include": lambda r, v: _contains_all(r["defects"], v),
    "same_message_id_as": _same_message_id,
}
EXACT = {
    "message_id",
    "to",
    "subject",
    "subject_clean",
    "tags",
    "tracking_id",
    "date",
    "in_reply_to",
    "references",
    "text",
    "reply_text",
    "defects",
}


def _equal(actual, expected):
    assert actual == expected


def _contains_one(actual, part):
    assert part in actual, (part, actual)


def _contains_all(actual, parts):
    assert set(parts) <= set(actual), (parts, actual)


def test_manifest_lists_every_message_and_nothing_else():
    files = {p.name for p in CORPUS.glob("*.eml")}
    assert files == set(MANIFEST)
    assert len(files) >= 50


def test_manifest_uses_known_facts_and_covers_every_outcome():
    for name, facts in MANIFEST.items():
        assert facts["outcome"] in OUTCOMES, name
        assert set(facts) <= set(CHECKS) | EXACT, (name, set(facts) - set(CHECKS) - EXACT)
        assert (facts["outcome"] == "noise") == bool(facts.get("noise_kind")), name
    assert {facts["outcome"] for facts in MANIFEST.values()} == set(OUTCOMES)


@pytest.mark.parametrize("name", sorted(MANIFEST), ids=str)
def test_corpus_message(name):
    facts = MANIFEST[name]
    record = parse_file(name)
    assert outcome(record) == facts["outcome"]
    for key, value in facts.items():
        if key in EXACT:
            assert record[key] == value, (key, record[key])
        else:
            CHECKS[key](record, value)


@pytest.mark.parametrize("name", sorted(MANIFEST), ids=str)
def test_corpus_record_shape(name):
    record = parse_file(name)
    _assert_record(record)
    for value in (
        record["subject"],
        record["subject_clean"],
        record["from"]["name"],
        record["from"]["address"],
    ):
        assert value is None or ("\r" not in value and "\n" not in value)
    for item in record["attachments"]:
        assert set(item) == {"filename", "media_type", "size", "sha256", "inline", "content_id"}
        assert item["filename"] and "/" not in item["filename"] and "\\" not in item["filename"]


# -- header injection and 8-bit headers --------------------------------------------------


def test_encoded_crlf_in_subject_and_name_stays_on_one_line():
    subject = base64.b64encode(b"Jalan rusak\r\nBcc: victim@example.com\r\nX-Evil: 1").decode()
    raw = mail(f"""
From: =?UTF-8?Q?Budi=0D=0ABcc=3A_victim=40example=2Ecom?= <budi@example.id>
Subject: =?UTF-8?B?{subject}?=
""")
    record = parse_mail(raw)
    assert record["subject"] == "Jalan rusak Bcc: victim@example.com X-Evil: 1"
    assert record["subject_clean"] == record["subject"]
    assert record["from"] == {"name": "Budi Bcc: victim@example.com", "address": "budi@example.id"}
    for text in (record["subject"], record["subject_clean"], record["from"]["name"]):
        assert not any(ch in text for ch in "\r\n\x00\u2028")


def test_line_separator_and_nul_in_subject_become_spaces():
    word = base64.b64encode("a\u2028b\x00c\x1bd".encode()).decode()
    assert parse_mail(mail(f"Subject: =?UTF-8?B?{word}?=\n"))["subject"] == "a b c d"


@pytest.mark.parametrize(
    "charset, expected",
    [
        ("utf-8", "Pengaduan café – “Banjarbaru”"),
        ("cp1252", "Pengaduan café – “Banjarbaru”"),
        ("latin-1", "Pengaduan café ½ Banjarbaru"),
    ],
    ids=["utf-8", "windows-1252", "latin-1"],
)
def test_raw_8bit_subject_and_name_decode(charset, expected):
    raw = f"From: Jos\u00e9 <jose@example.id>\r\nSubject: {expected}\r\n\r\nisi\r\n".encode(charset)
    record = parse_mail(raw)
    assert record["subject"] == expected
    assert record["from"]["name"] == "José"


def test_undecodable_8bit_header_yields_no_surrogates():
    record = parse_mail(
        b"From: \xff\xfe <a@example.id>\r\nSubject: \x81\x8d\x8f\x90\x9d\xc3\r\n\r\nisi\r\n"
    )
    json.dumps(record, ensure_ascii=False).encode("utf-8")
    assert record["subject"] and record["text"] == "isi"


# -- garbage ---------------------------------------------------------------------------


def _mutations(rng: random.Random, seed: bytes):
    data = bytearray(seed)
    for _ in range(rng.randrange(1, 40)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    cut = rng.randrange(len(data))
    return bytes(data[:cut]) if rng.random() < 0.3 else bytes(data)


def _assert_record(record: dict) -> None:
    assert tuple(record) == FIELDS
    json.dumps(record, ensure_ascii=False).encode("utf-8")  # serialisable, no lone surrogates


def test_random_bytes_never_raise():
    rng = random.Random(20250303)
    for _ in range(200):
        _assert_record(parse_mail(rng.randbytes(rng.randrange(0, 3000))))


def test_mutated_corpus_messages_are_parsed_not_just_survived():
    """Flipped bytes and truncations in real messages: a record every time, and never the
    catch-all's empty one (each step falls back on its own)."""
    rng = random.Random(1708)
    seeds = [
        (CORPUS / name).read_bytes()
        for name in sorted(MANIFEST)
        if (CORPUS / name).stat().st_size > 0
    ]
    for _ in range(200):
        record = parse_mail(
            _mutations(rng, rng.choice(seeds)), max_attachment_bytes=rng.randrange(0, 5000)
        )
        _assert_record(record)
        assert not any(d.startswith("ParserError") for d in record["defects"]), record["defects"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\r\n\r\n",
        b"\x00" * 100,
        b"From:\r\n\r\n",
        b"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n",
        b"Content-Type: multipart/mixed; boundary=x\r\n\r\n"
        + b"--x\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n" * 3000,
        b"Content-Type: message/rfc822\r\n\r\n" * 500,
        b"Subject: =?utf-8?B?####?= =?x-nope?Q?abc?=\r\nDate: Mon, 99 Foo 99999 99:99 +9999\r\n\r\n",
        b"Content-Type: text/plain; charset=base64\r\n\r\nabc\r\n",
    ],
    ids=[
        "empty",
        "blank-lines",
        "nul-bytes",
        "empty-from",
        "empty-boundary",
        "deep-nesting",
        "nested-rfc822",
        "broken-encoded-words",
        "codec-not-a-charset",
    ],
)
def test_hostile_inputs_give_a_record(raw):
    _assert_record(parse_mail(raw))


def test_header_the_stdlib_parser_chokes_on_falls_back_to_compat32():
    record = parse_mail(
        b"From: a@example.id\r\nContent-Type: text/plain; charset*\r\n\r\nJalan rusak\r\n"
    )
    assert record["text"] == "Jalan rusak"
    assert "ParserFallback:IndexError" in record["defects"]


def test_malformed_disposition_on_a_part_keeps_the_attachment():
    record = parse_mail(_with_attachment(b"PNG", "attachment; filename*", "image/png"))
    assert [(a["filename"], a["size"]) for a in record["attachments"]] == [("attachment-1.png", 3)]


def test_empty_and_headerless_input_is_unreadable():
    assert outcome(parse_mail(b"")) == "unreadable"
    headerless = parse_mail(b"\x8d\x00\xff just bytes\r\nmore bytes\r\n")
    assert headerless["text"] is None and "NoHeaders" in headerless["defects"]


# -- attachments ---------------------------------------------------------------------------


def _with_attachment(data: bytes, disposition: str, media_type: str = "application/pdf") -> bytes:
    return mail(
        """
From: a@example.id
Content-Type: multipart/mixed; boundary="z"
""",
        f"""--z
Content-Type: text/plain

isi
--z
Content-Type: {media_type}
Content-Disposition: {disposition}
Content-Transfer-Encoding: base64

{base64.b64encode(data).decode()}
--z--
""",
    )


@pytest.mark.parametrize(
    "limit, kept", [(1000, True), (999, False), (0, False)], ids=["at-limit", "one-over", "zero"]
)
def test_attachment_size_limit(limit, kept):
    data = bytes(range(250)) * 4  # 1000 bytes
    record = parse_mail(
        _with_attachment(data, 'attachment; filename="scan.pdf"'), max_attachment_bytes=limit
    )
    if kept:
        assert record["attachments"][0]["size"] == 1000
        assert record["attachments"][0]["sha256"] == hashlib.sha256(data).hexdigest()
        assert record["dropped_attachments"] == []
    else:
        assert record["attachments"] == []
        assert record["dropped_attachments"] == [
            {
                "filename": "scan.pdf",
                "media_type": "application/pdf",
                "size": 1000,
                "reason": f"larger than max_attachment_bytes ({limit})",
            }
        ]


@pytest.mark.parametrize(
    "disposition, expected",
    [
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ("attachment; filename*=UTF-8''..%5C..%5Cboot.ini", "boot.ini"),
        ("attachment; filename*=UTF-8''%2Fvar%2Flog%2F..%2F.bashrc", "bashrc"),
        ("attachment; filename*=UTF-8''foto%00%1B%0D%0Ajalan.jpg", "fotojalan.jpg"),
        ("attachment; filename*=UTF-8''%E2%80%AE%20", "attachment-1.pdf"),  # RIGHT-TO-LEFT OVERRIDE
        (
            'attachment; filename="=?UTF-8?B?TGFwb3JhbiDigJQgQmFuamFyYmFydS5wZGY=?="',
            "Laporan — Banjarbaru.pdf",
        ),
        ('attachment; filename="=?UTF-8?Q?..=2F..=2Fsurat.pdf?="', "surat.pdf"),
        ('attachment; filename=""', "attachment-1.pdf"),
        ('attachment; filename="..."', "attachment-1.pdf"),
        ("attachment", "attachment-1.pdf"),
    ],
    ids=[
        "posix-traversal",
        "windows-traversal-2231",
        "absolute-dotfile",
        "control-chars",
        "only-format-chars",
        "rfc2047",
        "rfc2047-traversal",
        "empty",
        "dots-only",
        "no-name",
    ],
)
def test_filename_sanitising(disposition, expected):
    record = parse_mail(_with_attachment(b"%PDF-1.4 x", disposition))
    assert [a["filename"] for a in record["attachments"]] == [expected]


def test_unnamed_part_extension_falls_back_to_bin():
    record = parse_mail(_with_attachment(b"\x00\x01", "attachment", "application/x-unknown-thing"))
    assert record["attachments"][0]["filename"] == "attachment-1.bin"


# -- body --------------------------------------------------------------------------------


def test_html_only_body_is_converted_without_links_images_or_wrapping():
    long_sentence = "Jalan di depan Kantor Kecamatan Banjarbaru Selatan rusak parah " * 3
    html = f"""<html><head><style>p {{color: red}}</style></head><body>
<p>{long_sentence.strip()}</p>
<p>Lihat <a href="https://maps.example.com/x">peta lokasi</a> <img src="https://t.example.net/p.gif" alt="pixel"></p>
<table><tr><th>Kelurahan</th><th>RT</th></tr><tr><td>Guntung Paikat</td><td>07</td></tr></table>
</body></html>"""
    record = parse_mail(mail("Content-Type: text/html; charset=utf-8\n", html))
    text = record["text"]
    assert long_sentence.strip() in text.split("\n")  # one line: no wrapping
    assert (
        "peta lokasi" in text
        and "https://" not in text
        and "pixel" not in text
        and "color" not in text
    )
    assert "Guntung Paikat" in text and "07" in text and "<td>" not in text


def test_plain_part_preferred_but_empty_plain_falls_back_to_html():
    raw = mail(
        'Content-Type: multipart/alternative; boundary="a"\n',
        """--a
Content-Type: text/plain

--a
Content-Type: text/html

<p>Hanya di HTML</p>
--a--
""",
    )
    assert parse_mail(raw)["text"] == "Hanya di HTML"


def test_signature_removed_from_text():
    record = parse_mail(mail("From: a@example.id\n", "Jalan rusak.\n\n-- \nBudi\n0812-0000-0000\n"))
    assert record["text"] == "Jalan rusak." and record["reply_text"] == "Jalan rusak."


def test_unknown_charset_reads_as_latin1_and_no_text_part_gives_none():
    raw = b"Content-Type: text/plain; charset=x-nope\r\n\r\nbiaya \xb1 Rp 5.000\r\n"
    assert parse_mail(raw)["text"] == "biaya ± Rp 5.000"
    assert parse_mail(b"Subject: kosong\r\n\r\n")["text"] is None


# -- replies -----------------------------------------------------------------------------

REPLIES = {  # body → the reply text expected from it
    "english-top-posted": (
        (
            "Lubangnya makin besar.\n\nOn Mon, 3 Mar 2025 at 10:15, LAPOR PAMAN <noreply@example.id> wrote:\n"
            "> Laporan Anda diterima.\n"
        ),
        "Lubangnya makin besar.",
    ),
    "indonesian-wrapped-header": (
        (
            "Alamat yang benar RT 12.\n\nPada Sen, 3 Mar 2025 pukul 10.15 LAPOR PAMAN <\nnoreply@example.id> menulis:\n\n"
            "> Laporan Anda diterima.\n"
        ),
        "Alamat yang benar RT 12.",
    ),
    "indonesian-one-line": (
        (
            "Sudah diperbaiki, terima kasih.\n\nPada tanggal Rab, 5 Mar 2025 09.00, Admin <a@example.id> menulis:\n"
            "> Mohon konfirmasi.\n"
        ),
        "Sudah diperbaiki, terima kasih.",
    ),
    "bottom-posted": (
        "On Tue, 4 Mar 2025, 08:00 Admin <a@example.id> wrote:\n> Sejak kapan?\n\nSejak Januari.\n",
        "Sejak Januari.",
    ),
    "interleaved": (
        "> Nama jalan?\nJl. Veteran.\n> Kecamatan?\nBanjarmasin Timur.\n",
        "Jl. Veteran.\nBanjarmasin Timur.",
    ),
    "outlook-original-message": (
        "Baik.\n\n-----Original Message-----\nFrom: Admin\nSent: Monday\n\nTeks lama.\n",
        "Baik.",
    ),
    "outlook-indonesian-block": (
        (
            "Terlampir.\n\n________________________________\nDari: Admin <a@example.id>\nDikirim: Senin\n"
            "Kepada: Warga\nSubjek: Data\n\nMohon data.\n"
        ),
        "Terlampir.",
    ),
    "outlook-german-block": (
        (
            "Lubangnya sudah dua meter.\n\n________________________________\nVon: LAPOR <a@example.id>\n"
            "Gesendet: Dienstag, 4. M\u00e4rz 2025 08:15\nAn: Budi\nBetreff: Laporan\n\nLaporan Anda diterima.\n"
        ),
        "Lubangnya sudah dua meter.",
    ),
    "phone-signature": (
        "Oke pak.\n\nDikirim dari ponsel Samsung\n\n-------- Pesan asli --------\nDari: Admin\nTanggal: 1\n\nLama.\n",
        "Oke pak.",
    ),
}


@pytest.mark.parametrize("body, expected", list(REPLIES.values()), ids=list(REPLIES))
def test_reply_text_keeps_only_the_new_part(body, expected):
    record = parse_mail(mail("From: warga@example.id\nSubject: Re: Laporan\n", body))
    assert record["reply_text"] == expected
    assert record["text"] == body.strip()  # the full body stays in text


def test_reply_trimming_keeps_what_email_reply_parser_would_lose():
    bullets = "> Mohon sebutkan lokasinya.\n\nBaik pak, lokasinya:\n\n-Jl. Veteran\n-Jl. Pramuka\n"
    assert parse_mail(mail("From: w@example.id\n", bullets))["reply_text"] == (
        "Baik pak, lokasinya:\n\n-Jl. Veteran\n-Jl. Pramuka"
    )
    to_line = "> Mohon data.\n\nTo: Bapak Kepala Dinas\nIni datanya.\n"
    assert (
        parse_mail(mail("From: w@example.id\n", to_line))["reply_text"]
        == "To: Bapak Kepala Dinas\nIni datanya."
    )
    backslash = "Sudah saya kirim.\n\nOn Mon, 3 Mar 2025 C:\\data\\x, Admin <a@example.id>\nwrote:\n> Kirim data.\n"
    assert parse_mail(mail("From: w@example.id\n", backslash))["reply_text"] == "Sudah saya kirim."


def test_outlook_block_cuts_even_when_the_old_mail_holds_quotes():
    body = (
        "Oke.\n\n________________________________\nDari: Admin <a@example.id>\nDikirim: Senin\n\n"
        "Balasan kami.\n> kutipan lama\n"
    )
    assert parse_mail(mail("From: w@example.id\n", body))["reply_text"] == "Oke."


def test_prose_that_looks_like_a_phone_signature_stays():
    body = "Berkas sudah lengkap.\nDikirim dari kantor kelurahan kemarin.\n\n> Mohon berkasnya.\n"
    assert parse_mail(mail("From: w@example.id\n", body))["reply_text"] == (
        "Berkas sudah lengkap.\nDikirim dari kantor kelurahan kemarin."
    )


@pytest.mark.parametrize(
    "body",
    [
        "Pada tanggal 3 Maret jalan di Jl. Veteran amblas.\nWarga sudah menulis surat ke kelurahan.\n",
        (
            "Kepada: Yth. Gubernur Kalimantan Selatan\nDari: Budi Santoso\nTanggal: 3 Maret 2025\nPerihal: Jalan rusak\n\n"
            "Dengan hormat, jalan di desa kami rusak.\n"
        ),
        "To: Bapak Kepala Dinas\nFrom: warga RT 5\nJalan rusak.\n",
        (
            "Jalan rusak.\n\n---------- Forwarded message ---------\nFrom: Budi <b@example.id>\nDate: Sen\n"
            "Subject: x\n\nIsi.\n"
        ),
        "Sent from nothing in particular: jalan rusak\n",
    ],
    ids=["pada-in-prose", "formal-letter", "header-like-lines", "forwarded", "sent-from-in-prose"],
)
def test_reply_text_equals_text_when_nothing_is_quoted(body):
    record = parse_mail(mail("From: warga@example.id\n", body))
    assert record["reply_text"] == record["text"] == body.strip()


# -- subject, ids, date ------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject, clean, tags, tracking",
    [
        (
            "Re: [LAPOR #1000123] Laporan Anda diterima",
            "Laporan Anda diterima",
            ["lapor #1000123"],
            "1000123",
        ),
        ("RE: Fwd: [lapor#42]  Balasan", "Balasan", ["lapor#42"], "42"),
        ("Bls: Balas: Tr: FW: [ANONIM] Jalan", "Jalan", ["anonim"], None),
        ("Re[2]: Re : Jalan", "Jalan", [], None),
        ("Rekomendasi: jalan", "Rekomendasi: jalan", [], None),
        ("[ Rahasia ] [] Pungli", "Pungli", ["rahasia"], None),
        (
            "AW: WG: [LAPOR #LPR-0123456789] Laporan",
            "Laporan",
            ["lapor #lpr-0123456789"],
            "LPR-0123456789",
        ),
        ("SV: Antw: VS: Jalan", "Jalan", [], None),
        ("Awas: jalan licin", "Awas: jalan licin", [], None),
        (
            "Re: [LAPOR #2026.KS.000123] Balasan",
            "Balasan",
            ["lapor #2026.ks.000123"],
            "2026.KS.000123",
        ),
    ],
    ids=[
        "tracking",
        "no-space-tracking",
        "indonesian-prefixes",
        "counted-prefix",
        "word-starting-re",
        "spaced-tag",
        "german-outlook",
        "nordic-and-dutch",
        "word-starting-aw",
        "dotted-tracking-id",
    ],
)
def test_subject_prefixes_and_tags(subject, clean, tags, tracking):
    record = parse_mail(mail(f"Subject: {subject}\n"))
    assert (record["subject_clean"], record["tags"], record["tracking_id"]) == (
        clean,
        tags,
        tracking,
    )


LONG_ID = "KALSEL-2026-" + "0123456789abcdef" * 3 + "XYZ0"


@pytest.mark.parametrize(
    "subject, words",
    [
        ("Laporan LPR-0123456789", ("Laporan", "LPR-0123456789")),
        (
            "Pertanyaan laporan 2026.KS.000123.",
            ("Pertanyaan", "laporan", "2026.KS.000123.", "2026.KS.000123"),
        ),
        ("Nomor: kalsel_77, mohon dicek!", ("Nomor", "kalsel_77", "mohon", "dicek")),
        (f"({LONG_ID})", (LONG_ID,)),
        (f"{LONG_ID}9 terlalu panjang", ("terlalu", "panjang")),
        ("Jalan rusak – “Banjarbaru”", ("Jalan", "rusak", "Banjarbaru")),
        (None, ()),
        (" ".join(f"w{n}" for n in range(40)), tuple(f"w{n}" for n in range(30))),
    ],
    ids=[
        "prefixed-id",
        "dotted-id-full-stop",
        "underscore-id-comma",
        "64-chars-in-brackets",
        "65-chars-left-out",
        "typographic-punctuation",
        "no-subject",
        "first-30-words",
    ],
)
def test_subject_words(subject, words):
    assert subject_words(subject) == words


CLIENT_SHAPES = [
    ("gmail", mail_clients.gmail, {}),
    (
        "outlook-re",
        mail_clients.outlook,
        {"prefix": "RE", "original_subject": "[LAPOR #1000001] Laporan Anda diterima"},
    ),
    (
        "outlook-aw",
        mail_clients.outlook,
        {"prefix": "AW", "original_subject": "[LAPOR #1000001] Laporan Anda diterima"},
    ),
    (
        "outlook-balas",
        mail_clients.outlook,
        {"prefix": "Balas", "original_subject": "[LAPOR #1000001] Laporan Anda diterima"},
    ),
    ("thunderbird", mail_clients.thunderbird, {}),
    ("apple-mail", mail_clients.apple_mail, {}),
]


@pytest.mark.parametrize(
    "write, extra", [c[1:] for c in CLIENT_SHAPES], ids=[c[0] for c in CLIENT_SHAPES]
)
def test_replies_in_each_mail_clients_shape(write, extra):
    thread = [f"surat-{n}@example.go.id" for n in range(9)] + [
        "CAF1001.jalan@mail.example.id",
        f"diterima-0a1b2c@{ACK_DOMAIN}",
    ]
    record = parse_mail(
        write(
            subject="Re: [LAPOR #1000001] Laporan Anda diterima",
            message_id="balas-1@mail.example.id",
            thread=thread,
            text="Lubangnya sekarang sudah dua meter.",
            quoted="Laporan Anda diterima.",
            **extra,
        )
    )
    assert (record["message_id"], record["in_reply_to"], record["references"]) == (
        "balas-1@mail.example.id",
        [f"diterima-0a1b2c@{ACK_DOMAIN}"],
        thread,
    )
    assert (record["subject_clean"], record["tracking_id"]) == ("Laporan Anda diterima", "1000001")
    assert (record["from"]["address"], record["noise"], record["defects"]) == (
        "budi.santoso@example.id",
        None,
        [],
    )
    assert record["reply_text"] == "Lubangnya sekarang sudah dua meter."


def test_ids_and_date():
    record = parse_mail(
        mail("""
Message-ID:   <  >
In-Reply-To: ack-1@lapor-connector.kalselprov.go.id
References: <a@x> <b@y>
 <a@x>
Date: Tue, 4 Mar 2025 09:30:00 +0700 (WIB)
""")
    )
    assert record["message_id"] is None
    assert record["in_reply_to"] == ["ack-1@lapor-connector.kalselprov.go.id"]
    assert record["references"] == ["a@x", "b@y"]
    assert record["date"] == "2025-03-04T09:30:00+07:00"


# -- noise -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, kind, reason",
    [
        ("Auto-Submitted: auto-generated", "auto_reply", "Auto-Submitted: auto-generated"),
        ("Auto-Submitted: No", None, None),
        ("X-Auto-Response: yes", "auto_reply", "X-Auto-Response: yes"),
        ("X-Auto-Response-Suppress: All", None, None),
        ("Precedence: junk", "list", "Precedence: junk"),
        ("Precedence: auto_reply", "auto_reply", "Precedence: auto_reply"),
        ("Return-Path: < >", "bounce", "Return-Path: <>"),
        ("Return-Path: <warga@example.id>", None, None),
        ("List-Unsubscribe: <mailto:x@example.com>", "list", "List-Unsubscribe"),
        ("List-Id: <a.example.com>\nAuto-Submitted: auto-replied", "auto_reply", "Auto-Submitted"),
        (
            'Content-Type: multipart/report; report-type=disposition-notification; boundary="r"',
            "receipt",
            "report-type=disposition-notification",
        ),
    ],
    ids=[
        "auto-generated",
        "auto-submitted-no",
        "x-auto-response",
        "suppress-is-not-noise",
        "junk",
        "precedence-auto",
        "empty-return-path",
        "normal-return-path",
        "list-unsubscribe",
        "first-rule-wins",
        "mdn",
    ],
)
def test_noise_rules(headers, kind, reason):
    noise = parse_mail(mail(f"From: warga@example.id\n{headers}\n"))["noise"]
    assert (noise and noise["kind"]) == kind
    if reason:
        assert reason in noise["reason"]


@pytest.mark.parametrize(
    "sender, noisy",
    [
        ("noreply@lapor-connector.kalselprov.go.id", True),
        ("bot@mail.lapor-connector.kalselprov.go.id", True),
        ("warga@kalselprov.go.id", False),
        ("warga@notlapor-connector.kalselprov.go.id", False),
    ],
    ids=["own-domain", "own-subdomain", "parent-domain", "suffix-lookalike"],
)
def test_mail_from_own_domain_is_a_loop(sender, noisy):
    record = parse_mail(
        mail(f"From: {sender}\n"), own_domains=("lapor-connector.kalselprov.go.id",)
    )
    assert record["noise"] == (
        {"kind": "auto_reply", "reason": "sent by this connector"} if noisy else None
    )
