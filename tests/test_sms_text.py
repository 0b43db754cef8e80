"""connector.sms: GSM-7/UCS-2 detection, segmenting, UDH, body decoding, phones, SMS commands."""

from __future__ import annotations

import random

import pytest

from connector.channels.sms.commands import (
    ParsedSms,
    complaint_id_of,
    format_help,
    looks_like_number,
    parse_sms,
    short_reference,
    spellings,
)
from connector.channels.sms.text import (
    Udh,
    decode_body,
    encoding_of,
    gsm7_length,
    is_gsm7,
    normalize_phone,
    parse_udh,
    segments,
    ucs2_length,
    udh_from_kannel,
)

EMOJI = "\U0001f600"  # 😀, a surrogate pair in UTF-16
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # 👨‍👩‍👧: three emoji joined by ZWJ
FLAG_ID = "\U0001f1ee\U0001f1e9"  # 🇮🇩: two regional indicators


def _cost(part: str) -> int:
    return gsm7_length(part) if is_gsm7(part) else ucs2_length(part)


# --- alphabet -------------------------------------------------------------------------------

ALPHABET_CASES = [
    ("plain-indonesian", "LAPORPAMAN jalan rusak di Jl. A. Yani km 5, Banjarmasin!", True),
    ("euro-extension", "Pungli Rp 50.000 (± €3)", False),  # ± is not GSM
    ("euro-only", "Harga 3€ per liter", True),
    ("brackets-extension", "Lampu [mati] {3 hari} ~ a|b \\ ^", True),
    ("form-feed", "a\fb", True),
    ("newlines", "baris 1\nbaris 2\r\nbaris 3", True),
    ("greek-and-nordic", "ΔΦΓΛΩΠΨΣΘΞ ÆæßÉ ÅåØøÇ ÄÖÑÜ§ äöñüà ¿¡ @£$¥èéùìò _ ¤", True),
    ("small-c-cedilla", "façade", False),
    ("emoji", f"Terima kasih {EMOJI}", False),
    ("arabic-name", "Laporan dari عبد الله", False),
    ("chinese-name", "Pelapor: 王小明", False),
    ("curly-quote", "Jalan \u201cA. Yani\u201d", False),
    ("tab", "a\tb", False),
    ("backtick", "a`b", False),
    ("empty", "", True),
]


@pytest.mark.parametrize(
    "text,expected", [c[1:] for c in ALPHABET_CASES], ids=[c[0] for c in ALPHABET_CASES]
)
def test_gsm7_detection(text, expected):
    assert is_gsm7(text) is expected
    assert encoding_of(text) == ("gsm7" if expected else "ucs2")


@pytest.mark.parametrize(
    "text,septets",
    [
        ("", 0),
        ("abc", 3),
        ("€", 2),
        ("[]", 4),
        ("a{b}c", 7),
        ("\f", 2),
        ("ÄÖÜ", 3),
        ("\r\n", 2),
    ],
    ids=["empty", "ascii", "euro", "brackets", "braces", "form-feed", "umlauts", "crlf"],
)
def test_gsm7_length_counts_extension_twice(text, septets):
    assert gsm7_length(text) == septets


def test_ucs2_length_counts_surrogate_pairs_twice():
    assert ucs2_length("ab") == 2
    assert ucs2_length(EMOJI) == 2
    assert ucs2_length("王" + EMOJI) == 3
    assert ucs2_length(FAMILY) == 8


# --- segments -------------------------------------------------------------------------------

SEGMENT_CASES = [
    # id, text, expected part lengths in the encoding's units
    ("gsm-160-one", "a" * 160, [160]),
    ("gsm-161-two", "a" * 161, [153, 8]),
    ("gsm-306-two-full", "a" * 306, [153, 153]),
    ("gsm-307-three", "a" * 307, [153, 153, 1]),
    ("gsm-euro-80-is-160", "€" * 80, [160]),
    ("gsm-euro-80-plus-1", "€" * 80 + "a", [152, 9]),  # 76 euros (152) then 4 more + a
    ("ucs2-70-one", "Ж" * 70, [70]),
    ("ucs2-71-two", "Ж" * 71, [67, 4]),
    ("ucs2-134-two-full", "Ж" * 134, [67, 67]),
    ("ucs2-135-three", "Ж" * 135, [67, 67, 1]),
    ("ucs2-emoji-makes-70", "a" * 68 + EMOJI, [70]),
    ("ucs2-emoji-makes-71", "a" * 69 + EMOJI, [67, 4]),
    ("empty", "", [0]),
]


@pytest.mark.parametrize(
    "text,lengths", [c[1:] for c in SEGMENT_CASES], ids=[c[0] for c in SEGMENT_CASES]
)
def test_segment_counts_at_boundaries(text, lengths):
    parts = segments(text)
    assert [_cost(p) if is_gsm7(text) else ucs2_length(p) for p in parts] == lengths
    assert "".join(parts) == text


def test_escape_straddling_a_cut_moves_whole_character():
    text = "a" * 152 + "€" + "b" * 10  # 164 septets: the € would need septets 153 and 154
    parts = segments(text)
    assert parts == ["a" * 152, "€" + "b" * 10]


def test_emoji_straddling_a_ucs2_cut_moves_whole_pair():
    text = "Ж" * 66 + EMOJI + "Ж" * 10  # the pair would take code units 67 and 68
    parts = segments(text)
    assert parts == ["Ж" * 66, EMOJI + "Ж" * 10]
    for part in parts:
        part.encode("utf-16-be")  # strict: a lone surrogate would raise


def test_zwj_emoji_and_flag_are_not_split():
    text = "Ж" * 63 + FAMILY + "Ж" * 5 + FLAG_ID + "Ж" * 60
    parts = segments(text)
    assert parts[0] == "Ж" * 63  # the 8-unit family would end at unit 71
    assert parts[1].startswith(FAMILY)
    assert all(FLAG_ID in p or "\U0001f1ee" not in p for p in parts)
    assert "".join(parts) == text


def test_crlf_stays_together():
    text = "a" * 152 + "\r\n" + "b" * 20
    parts = segments(text)
    assert parts[0] == "a" * 152
    assert parts[1].startswith("\r\n")


def test_cut_after_last_whitespace_in_second_half():
    text = "b" * 76 + " " + "c" * 200  # the space ends at septet 77 of 153
    assert segments(text)[0] == "b" * 76 + " "


def test_whitespace_in_first_half_is_ignored():
    text = "b" * 75 + " " + "c" * 200  # the space ends at septet 76: not past half of 153
    assert segments(text)[0] == "b" * 75 + " " + "c" * 77


def test_ucs2_word_cut_threshold():
    assert segments("Ж" * 33 + " " + "Ж" * 60)[0] == "Ж" * 33 + " "  # ends at unit 34 of 67
    assert segments("Ж" * 32 + " " + "Ж" * 60)[0] == "Ж" * 32 + " " + "Ж" * 34


def test_words_kept_whole_in_long_report():
    text = " ".join(["jalan", "rusak", "berlubang", "di", "depan", "sekolah"] * 40)
    parts = segments(text)
    assert len(parts) > 2
    assert all(p.endswith(" ") for p in parts[:-1])
    assert all(len(p) <= 153 for p in parts)
    assert "".join(parts) == text


def _random_texts():
    rng = random.Random(1708)
    pools = {
        "gsm": "abcdef XYZ 0123 .,!? €[]{}|~^\\\n",
        "ucs2": "abc Жф 王 عبد " + EMOJI + FAMILY + FLAG_ID + "e\u0301 \u2764\ufe0f \r\n€",
    }
    for name, pool in pools.items():
        chars = list(pool) + [EMOJI, FAMILY, FLAG_ID]
        for _ in range(60):
            yield (
                name,
                "".join(
                    rng.choice(chars if name == "ucs2" else pool)
                    for _ in range(rng.randint(0, 600))
                ),
            )


@pytest.mark.parametrize("name,text", list(_random_texts()))
def test_segments_join_back_and_fit(name, text):
    parts = segments(text)
    assert "".join(parts) == text
    gsm = is_gsm7(text)
    single, size = (160, 153) if gsm else (70, 67)
    cost = gsm7_length if gsm else ucs2_length
    if cost(text) <= single:
        assert parts == [text]
    else:
        assert all(0 < cost(p) <= size for p in parts)
    for part in parts:
        part.encode("utf-16-be")  # never a lone surrogate


# --- UDH ------------------------------------------------------------------------------------

UDH_CASES = [
    ("8bit-ref", "050003A70201", Udh(ref=0xA7, total=2, seq=1)),
    ("8bit-last-part", "050003A70202", Udh(ref=0xA7, total=2, seq=2)),
    ("16bit-ref", "060804BEEF0302", Udh(ref=0xBEEF, total=3, seq=2)),
    ("port-ie-before", ("0B05040B8423F00003A70201"), Udh(ref=0xA7, total=2, seq=1)),
    ("port-ie-after", ("0B0003A7020105040B8423F0"), Udh(ref=0xA7, total=2, seq=1)),
    ("empty-ie-before", ("070A000003110302"), Udh(ref=0x11, total=3, seq=2)),
    ("last-concat-wins", ("0A00030102010003020202"), Udh(ref=2, total=2, seq=2)),
    ("no-concat-ie", "0605040B8423F0", None),
    ("empty-bytes", "", None),
    ("udhl-zero", "00", None),
    ("udhl-too-long", "060003A70201", None),
    ("udhl-too-short", "040003A70201", None),
    ("trailing-user-data", "050003A702016869", None),
    ("ie-length-past-end", "050004A70201", None),
    ("ie-header-truncated", "0100", None),
    ("8bit-wrong-iedl", "0600 04 A7020100".replace(" ", ""), None),
    ("16bit-wrong-iedl", "050803BEEF03".replace(" ", ""), None),
    ("total-zero", "050003A70001", None),
    ("seq-zero", "050003A70200", None),
    ("seq-over-total", "050003A70203", None),
    ("bad-concat-after-good", ("0A00030102010003020200"), None),
]


@pytest.mark.parametrize("hexa,expected", [c[1:] for c in UDH_CASES], ids=[c[0] for c in UDH_CASES])
def test_parse_udh(hexa, expected):
    assert parse_udh(bytes.fromhex(hexa)) == expected


KANNEL_UDH_CASES = [
    ("url-encoded", "%05%00%03%A7%02%01", "050003A70201"),
    ("url-encoded-lower", "%05%00%03%a7%02%01", "050003A70201"),
    ("safe-byte-left-literal", "%05%00%03A%02%01", "050003410201"),  # 0x41 is 'A'
    ("plus-is-space", "%05%00%03+%02%01", "050003200201"),
    ("plain-hex", "050003A70201", "050003A70201"),
    ("hex-with-spaces", " 05 00 03 a7 02 01 ", "050003A70201"),
    ("hex-with-colons", "05:00:03:A7:02:01", "050003A70201"),
    ("16bit-url", "%06%08%04%BE%EF%03%02", "060804BEEF0302"),
    ("empty", "", ""),
]


@pytest.mark.parametrize(
    "value,hexa", [c[1:] for c in KANNEL_UDH_CASES], ids=[c[0] for c in KANNEL_UDH_CASES]
)
def test_udh_from_kannel(value, hexa):
    assert udh_from_kannel(value) == bytes.fromhex(hexa)


def test_kannel_udh_round_trip_to_parts():
    assert parse_udh(udh_from_kannel("%05%00%03%A7%02%01")) == Udh(ref=0xA7, total=2, seq=1)
    assert parse_udh(udh_from_kannel("%06%08%04%BE%EF%03%02")) == Udh(ref=0xBEEF, total=3, seq=2)


# --- decode_body ----------------------------------------------------------------------------

REPORT = f"Jalan rusak di Banjarbaru {EMOJI} mohon ditindak"
DECODE_CASES = [
    ("7bit-utf8", REPORT.encode("utf-8"), "UTF-8", 0, REPORT),
    ("7bit-latin1", "Café Ñ §".encode("latin-1"), "ISO-8859-1", 0, "Café Ñ §"),
    ("7bit-no-charset-utf8", REPORT.encode("utf-8"), None, 0, REPORT),
    ("7bit-no-charset-latin1", "Café".encode("latin-1"), None, "0", "Café"),
    ("8bit-binary", bytes([0x00, 0x7F, 0x80, 0xE9, 0xFF]), "UTF-8", 1, "\x00\x7f\x80\xe9\xff"),
    ("ucs2-default-utf16be", REPORT.encode("utf-16-be"), None, 2, REPORT),
    ("ucs2-coding-as-string", REPORT.encode("utf-16-be"), None, "2", REPORT),
    ("ucs2-charset-utf16be", REPORT.encode("utf-16-be"), "UTF-16BE", 2, REPORT),
    ("ucs2-charset-quoted", REPORT.encode("utf-16-be"), '"UTF-16BE"', 2, REPORT),
    ("ucs2-mo-recode-utf8", REPORT.encode("utf-8"), "UTF-8", 2, REPORT),
    ("ucs2-charset-ucs2", "Pelapor 王小明".encode("utf-16-be"), "UCS-2", 2, "Pelapor 王小明"),
    ("ucs2-bom-le", b"\xff\xfe" + REPORT.encode("utf-16-le"), "UTF-16", 2, REPORT),
    ("ucs2-bom-be", b"\xfe\xff" + REPORT.encode("utf-16-be"), "UTF-16", 2, REPORT),
    ("ucs2-unknown-charset", REPORT.encode("utf-16-be"), "x-klingon", 2, REPORT),
    ("charset-only-utf16be", REPORT.encode("utf-16-be"), "UTF-16BE", None, REPORT),
    ("unknown-coding", REPORT.encode("utf-8"), None, 7, REPORT),
    ("not-a-text-codec", REPORT.encode("utf-8"), "rot13", 0, REPORT),
    ("empty", b"", "UTF-16BE", 2, ""),
]


@pytest.mark.parametrize(
    "body,charset,coding,expected", [c[1:] for c in DECODE_CASES], ids=[c[0] for c in DECODE_CASES]
)
def test_decode_body(body, charset, coding, expected):
    assert decode_body(body, charset, coding) == expected


BROKEN_CASES = [
    ("ucs2-odd-length", "ab".encode("utf-16-be") + b"\x00", None, 2, "ab\ufffd"),
    ("ucs2-lone-high-surrogate", "ab".encode("utf-16-be") + b"\xd8\x3d", None, 2, "ab\ufffd"),
    ("ucs2-lone-low-surrogate", b"\xde\x00" + "ab".encode("utf-16-be"), None, 2, "\ufffdab"),
    ("utf8-truncated-emoji", b"ok " + EMOJI.encode()[:3], "UTF-8", 0, "ok \ufffd"),
]


@pytest.mark.parametrize(
    "body,charset,coding,expected", [c[1:] for c in BROKEN_CASES], ids=[c[0] for c in BROKEN_CASES]
)
def test_decode_body_replaces_broken_input(body, charset, coding, expected):
    assert decode_body(body, charset, coding) == expected


@pytest.mark.parametrize("coding", [None, 0, 1, 2, "2", "x", -1])
@pytest.mark.parametrize(
    "charset", [None, "UTF-8", "UTF-16BE", "UCS-2", "latin-1", "nonsense", "base64"]
)
def test_decode_body_never_raises(charset, coding):
    rng = random.Random(f"{charset}{coding}")
    for _ in range(20):
        body = bytes(rng.randrange(256) for _ in range(rng.randint(0, 41)))
        assert isinstance(decode_body(body, charset, coding), str)


# --- phones ---------------------------------------------------------------------------------

PHONE_CASES = [
    ("national-08", "081234567890", "+6281234567890"),
    ("national-dashes", "0812-3456-7890", "+6281234567890"),
    ("national-dots", "0812.3456.7890", "+6281234567890"),
    ("country-no-plus", "6281234567890", "+6281234567890"),
    ("plus-spaces", "+62 812 3456 7890", "+6281234567890"),
    ("double-zero", "0062 812 3456 7890", "+6281234567890"),
    ("parentheses-area", "(0511) 335-1234", "+625113351234"),
    ("trunk-zero-after-cc", "+62 (0)812 3456 7890", "+6281234567890"),
    ("bare-mobile-no-zero", "81234567890", "+6281234567890"),
    ("foreign-plus", "+60 12-345 6789", "+60123456789"),
    ("surrounding-space", "  +6281234567890\n", "+6281234567890"),
    ("plus-zero-typo", "+081234567890", "+6281234567890"),
    ("alnum-sender", "TELKOMSEL", None),
    ("alnum-mixed", "INFO123", None),
    ("short-code-1708", "1708", None),
    ("short-code-3636", "3636", None),
    ("short-code-6-digits", "123456", None),
    ("too-short", "0812", None),
    ("too-long", "+6281234567890123456", None),
    ("plus-in-middle", "62+81234567890", None),
    ("empty", "", None),
    ("letters-in-number", "0812-3456-78O0", None),
]


@pytest.mark.parametrize(
    "raw,expected", [c[1:] for c in PHONE_CASES], ids=[c[0] for c in PHONE_CASES]
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


def test_normalize_phone_other_country():
    assert normalize_phone("012-345 6789", country="60") == "+60123456789"
    assert normalize_phone("81234567890", country="60") is None  # the bare-8 rule is Indonesia's


def test_normalize_phone_not_a_string():
    assert normalize_phone(None) is None


# --- parse_sms ------------------------------------------------------------------------------

NO_FLAGS: frozenset[str] = frozenset()
JUNK_RNG = random.Random(3636)
JUNK = (
    "x" + "".join(JUNK_RNG.choice("abc XYZ 123 !?#:.,\n\t€é王" + EMOJI) for _ in range(1998)) + "y"
)


def P(
    kind,
    keyword=None,
    text="",
    tracking_id=None,
    flags=NO_FLAGS,
    candidates=(),
    if_known=None,
    reply_text=None,
):
    return ParsedSms(
        kind, keyword, text, tracking_id, frozenset(flags), tuple(candidates), if_known, reply_text
    )


UUID = "3f2b8c1e-9a4d-4e7b-8c2f-1d5e6a7b8c9d"
LONG_ID = "KALSEL-2026-" + "0123456789abcdef" * 3 + "XYZ0"  # 64 characters

PARSE_CASES = [
    # id, text, what parse_sms reads (kind: what it is when no candidate names a known report)
    (
        "lower-keyword",
        "laporpaman jalan rusak",
        P(
            "report",
            "LAPORPAMAN",
            "jalan rusak",
            candidates=["jalan"],
            if_known="reply",
            reply_text="rusak",
        ),
    ),
    (
        "colon",
        "LAPORPAMAN: Lampu jalan mati",
        P(
            "report",
            "LAPORPAMAN",
            "Lampu jalan mati",
            candidates=["Lampu"],
            if_known="reply",
            reply_text="jalan mati",
        ),
    ),
    (
        "hash-short-keyword",
        "Lapor#jalan berlubang",
        P(
            "report",
            "LAPOR",
            "jalan berlubang",
            candidates=["jalan"],
            if_known="reply",
            reply_text="berlubang",
        ),
    ),
    (
        "dot-keyword",
        "LAPORPAMAN. Sampah menumpuk",
        P(
            "report",
            "LAPORPAMAN",
            "Sampah menumpuk",
            candidates=["Sampah"],
            if_known="reply",
            reply_text="menumpuk",
        ),
    ),
    (
        "comma-keyword",
        "lapor,air PDAM mati",
        P(
            "report",
            "LAPOR",
            "air PDAM mati",
            candidates=["air"],
            if_known="reply",
            reply_text="PDAM mati",
        ),
    ),
    (
        "newline-keyword",
        "LAPORPAMAN\njalan rusak\nmohon",
        P(
            "report",
            "LAPORPAMAN",
            "jalan rusak\nmohon",
            candidates=["jalan"],
            if_known="reply",
            reply_text="rusak\nmohon",
        ),
    ),
    (
        "both-flags",
        "LAPORPAMAN RAHASIA ANONIM pungli di kantor desa",
        P("report", "LAPORPAMAN", "pungli di kantor desa", flags={"rahasia", "anonim"}),
    ),
    (
        "flags-other-order-lower",
        "laporpaman anonim rahasia: pungli",
        P("report", "LAPORPAMAN", "pungli", flags={"rahasia", "anonim"}),
    ),
    (
        "one-flag-hash",
        "LAPOR#Rahasia#guru sering bolos",
        P("report", "LAPOR", "guru sering bolos", flags={"rahasia"}),
    ),
    (
        "flag-later-is-text",
        "LAPORPAMAN jalan rusak RAHASIA",
        P(
            "report",
            "LAPORPAMAN",
            "jalan rusak RAHASIA",
            candidates=["jalan"],
            if_known="reply",
            reply_text="rusak RAHASIA",
        ),
    ),
    (
        "flag-prefix-word-is-text",
        "LAPORPAMAN ANONIMUS jalan",
        P(
            "report",
            "LAPORPAMAN",
            "ANONIMUS jalan",
            candidates=["ANONIMUS"],
            if_known="reply",
            reply_text="jalan",
        ),
    ),
    (
        "flags-without-keyword",
        "RAHASIA pungli di puskesmas",
        P("report", None, "pungli di puskesmas", flags={"rahasia"}),
    ),
    (
        "laporan-not-keyword",
        "LAPORAN jalan rusak",
        P(
            "report",
            None,
            "LAPORAN jalan rusak",
            candidates=["LAPORAN"],
            if_known="reply",
            reply_text="jalan rusak",
        ),
    ),
    (
        "laporpamanku-not-keyword",
        "LAPORPAMANKU jalan",
        P(
            "report",
            None,
            "LAPORPAMANKU jalan",
            candidates=["LAPORPAMANKU"],
            if_known="reply",
            reply_text="jalan",
        ),
    ),
    (
        "lapor-paman-spaced",
        "LAPOR PAMAN jalan rusak",
        P(
            "report",
            "LAPOR",
            "PAMAN jalan rusak",
            candidates=["PAMAN"],
            if_known="reply",
            reply_text="jalan rusak",
        ),
    ),
    (
        "no-keyword",
        "Jalan di Kertak Hanyar rusak",
        P(
            "report",
            None,
            "Jalan di Kertak Hanyar rusak",
            candidates=["Jalan"],
            if_known="reply",
            reply_text="di Kertak Hanyar rusak",
        ),
    ),
    (
        "surrounding-space",
        "  \n LAPORPAMAN  jalan rusak \n",
        P(
            "report",
            "LAPORPAMAN",
            "jalan rusak",
            candidates=["jalan"],
            if_known="reply",
            reply_text="rusak",
        ),
    ),
    (
        "emoji-report",
        f"LAPORPAMAN banjir {EMOJI}",
        P(
            "report",
            "LAPORPAMAN",
            f"banjir {EMOJI}",
            candidates=["banjir"],
            if_known="reply",
            reply_text=EMOJI,
        ),
    ),
    ("emoji-first-no-candidate", f"{EMOJI} banjir", P("report", None, f"{EMOJI} banjir")),
    # status questions
    (
        "info",
        "INFO 1000123",
        P("info", None, "", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "info-lower",
        "info 1000123",
        P("info", None, "", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "cek-hash",
        "cek#1000123",
        P("info", None, "", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "status-colon",
        "Status: 1000123",
        P("info", None, "", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "info-no-space",
        "INFO1000123",
        P("info", None, "", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "info-after-keyword",
        "LAPORPAMAN INFO 1000123",
        P("info", "LAPORPAMAN", "", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "info-id-later",
        "cek laporan saya 1000123",
        P("info", None, "laporan saya", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "info-text-after-id",
        "INFO 1000123 kapan diperbaiki?",
        P("info", None, "kapan diperbaiki?", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "info-12-digit",
        "INFO 123456789012",
        P("info", None, "", "123456789012", candidates=["123456789012"], if_known="info"),
    ),
    (
        "info-13-digit",
        "INFO 1234567890123",
        P("info", None, "", "1234567890123", candidates=["1234567890123"], if_known="info"),
    ),
    (
        "info-lpr-lower-case",
        "info lpr-0123456789",
        P("info", None, "", "lpr-0123456789", candidates=["lpr-0123456789"], if_known="info"),
    ),
    (
        "info-dotted-id-question-mark",
        "CEK 2026.KS.000123?",
        P("info", None, "", "2026.KS.000123", candidates=["2026.KS.000123"], if_known="info"),
    ),
    (
        "info-id-full-stop",
        "Status kalsel_77.",
        P("info", None, "", "kalsel_77", candidates=["kalsel_77.", "kalsel_77"], if_known="info"),
    ),
    ("info-uuid", f"INFO {UUID}", P("info", None, "", UUID, candidates=[UUID], if_known="info")),
    (
        "info-64-char-id",
        f"INFO {LONG_ID}!",
        P("info", None, "", LONG_ID, candidates=[LONG_ID], if_known="info"),
    ),
    ("info-65-chars-is-no-id", f"INFO {LONG_ID}9", P("info_invalid", None, f"{LONG_ID}9")),
    (
        "info-short-reference",
        "info r427",
        P("info", None, "", "r427", candidates=["r427"], if_known="info"),
    ),
    (
        "info-short-number-maybe-known",
        "info 12",
        P("info_invalid", None, "12", candidates=["12"], if_known="info"),
    ),
    ("info-alone", "INFO", P("info_invalid")),
    (
        "cek-words",
        "cek laporan saya",
        P("info_invalid", None, "laporan saya", candidates=["laporan", "saya"], if_known="info"),
    ),
    (
        "info-letters-only-id",
        "INFO abcdefgh",
        P("info_invalid", None, "abcdefgh", candidates=["abcdefgh"], if_known="info"),
    ),
    (
        "info-starting-report",
        "Info: jalan di depan SDN 3 rusak parah",
        P(
            "report",
            None,
            "Info: jalan di depan SDN 3 rusak parah",
            candidates=["jalan"],
            if_known="info",
        ),
    ),
    (
        "info-small-number-starting-report",
        "Info 3 rumah terendam banjir di Desa Sungai Tabuk",
        P(
            "report",
            None,
            "Info 3 rumah terendam banjir di Desa Sungai Tabuk",
            candidates=["3"],
            if_known="info",
        ),
    ),
    (
        "informasi-not-info",
        "INFORMASI 1000123",
        P(
            "report",
            None,
            "INFORMASI 1000123",
            candidates=["INFORMASI"],
            if_known="reply",
            reply_text="1000123",
        ),
    ),
    # a leading number: a reply when it names a report of the sender's, otherwise every word is kept
    (
        "reply",
        "1000123 terima kasih",
        P(
            "report",
            None,
            "1000123 terima kasih",
            candidates=["1000123"],
            if_known="reply",
            reply_text="terima kasih",
        ),
    ),
    (
        "reply-question",
        "1000123 jalannya sudah diperbaiki?",
        P(
            "report",
            None,
            "1000123 jalannya sudah diperbaiki?",
            candidates=["1000123"],
            if_known="reply",
            reply_text="jalannya sudah diperbaiki?",
        ),
    ),
    (
        "reply-after-keyword",
        "LAPOR 1000123 tambahan: lubang makin besar",
        P(
            "report",
            "LAPOR",
            "1000123 tambahan: lubang makin besar",
            candidates=["1000123"],
            if_known="reply",
            reply_text="tambahan: lubang makin besar",
        ),
    ),
    (
        "reply-hash",
        "LAPORPAMAN#1000123#sudah dicek?",
        P(
            "report",
            "LAPORPAMAN",
            "1000123#sudah dicek?",
            candidates=["1000123"],
            if_known="reply",
            reply_text="sudah dicek?",
        ),
    ),
    (
        "reply-leading-hash",
        "#1000123 belum ada tindak lanjut",
        P(
            "report",
            None,
            "#1000123 belum ada tindak lanjut",
            candidates=["1000123"],
            if_known="reply",
            reply_text="belum ada tindak lanjut",
        ),
    ),
    (
        "reply-lower-case-id-and-comma",
        "lpr-0123456789, lubangnya makin besar",
        P(
            "report",
            None,
            "lpr-0123456789, lubangnya makin besar",
            candidates=["lpr-0123456789"],
            if_known="reply",
            reply_text="lubangnya makin besar",
        ),
    ),
    (
        "reply-id-full-stop",
        "2026.KS.000123. Sudah diperbaiki",
        P(
            "report",
            None,
            "2026.KS.000123. Sudah diperbaiki",
            candidates=["2026.KS.000123.", "2026.KS.000123"],
            if_known="reply",
            reply_text="Sudah diperbaiki",
        ),
    ),
    (
        "reply-short-reference",
        "R427 terima kasih",
        P(
            "report",
            None,
            "R427 terima kasih",
            candidates=["R427"],
            if_known="reply",
            reply_text="terima kasih",
        ),
    ),
    (
        "bare-id-is-info",
        "1000123",
        P("info", None, "", "1000123", candidates=["1000123"], if_known="info"),
    ),
    (
        "bare-uuid-is-info",
        UUID.upper(),
        P("info", None, "", UUID.upper(), candidates=[UUID.upper()], if_known="info"),
    ),
    (
        "bare-word-is-report",
        "Banjir",
        P("report", None, "Banjir", candidates=["Banjir"], if_known="info"),
    ),
    (
        "short-number-is-report",
        "123 rumah terendam",
        P(
            "report",
            None,
            "123 rumah terendam",
            candidates=["123"],
            if_known="reply",
            reply_text="rumah terendam",
        ),
    ),
    (
        "id-glued-to-letters",
        "1000123abc rusak",
        P(
            "report",
            None,
            "1000123abc rusak",
            candidates=["1000123abc"],
            if_known="reply",
            reply_text="rusak",
        ),
    ),
    ("keyword-alone", "LAPORPAMAN", P("keyword_only", "LAPORPAMAN")),
    ("keyword-trailing-space", "LAPORPAMAN   ", P("keyword_only", "LAPORPAMAN")),
    ("keyword-colon-only", "lapor:", P("keyword_only", "LAPOR")),
    (
        "keyword-flags-only",
        "LAPORPAMAN RAHASIA",
        P("keyword_only", "LAPORPAMAN", flags={"rahasia"}),
    ),
    ("flag-only", "anonim", P("keyword_only", flags={"anonim"})),
    ("spaces", "  ", P("empty")),
    ("nothing", "", P("empty")),
    ("newlines-and-zwsp", "\n\r\n\u200b\ufeff", P("empty")),
    (
        "junk-2000",
        JUNK,
        P(
            "report",
            None,
            JUNK,
            candidates=["xY1"],
            if_known="reply",
            reply_text=JUNK[len("xY1! ") :],
        ),
    ),
    (
        "junk-2000-keyword",
        "LAPORPAMAN " + JUNK,
        P(
            "report",
            "LAPORPAMAN",
            JUNK,
            candidates=["xY1"],
            if_known="reply",
            reply_text=JUNK[len("xY1! ") :],
        ),
    ),
]


@pytest.mark.parametrize(
    "text,expected", [c[1:] for c in PARSE_CASES], ids=[c[0] for c in PARSE_CASES]
)
def test_parse_sms(text, expected):
    assert parse_sms(text) == expected


# The hub's tracking ids are opaque: every shape the exchange allows is read the same way.
SHAPES = [
    ("numeric", "1000001"),
    ("prefixed", "LPR-0123456789"),
    ("dotted", "2026.KS.000123"),
    ("underscore", "kalsel_77"),
    ("uuid", UUID),
    ("64-chars", LONG_ID),
]


@pytest.mark.parametrize("number", [n for _, n in SHAPES], ids=[i for i, _ in SHAPES])
@pytest.mark.parametrize(
    "template, typed",
    [
        ("INFO {}", "{}"),
        ("info {}", "{}"),
        ("cek {}", "{}"),
        ("STATUS: {}", "{}"),
        ("{}", "{}"),
        ("INFO {}?", "{}"),
        ("info {} ya", "{}"),
        ("LAPORPAMAN INFO #{}", "{}"),
        ("info {lower}", "{lower}"),
    ],
    ids=[
        "info",
        "info-lower",
        "cek",
        "status-colon",
        "bare",
        "question-mark",
        "word-after",
        "keyword-hash",
        "number-lower-case",
    ],
)
def test_a_status_question_names_any_tracking_id_shape(number, template, typed):
    parsed = parse_sms(template.format(number, lower=number.lower()))
    expected = typed.format(number, lower=number.lower())
    assert (parsed.kind, parsed.tracking_id, parsed.candidates, parsed.if_known) == (
        "info",
        expected,
        (expected,),
        "info",
    )


@pytest.mark.parametrize("number", [n for _, n in SHAPES], ids=[i for i, _ in SHAPES])
@pytest.mark.parametrize(
    "template, candidates",
    [
        ("{} Lubangnya makin besar", ("{}",)),
        ("{lower} Lubangnya makin besar", ("{lower}",)),
        ("{}. Lubangnya makin besar", ("{}.", "{}")),
        ("{}: Lubangnya makin besar", ("{}",)),
        ("#{}, Lubangnya makin besar", ("{}",)),
        ("LAPOR {} Lubangnya makin besar", ("{}",)),
    ],
    ids=["plain", "lower-case", "full-stop", "colon", "hash-comma", "after-keyword"],
)
def test_a_reply_may_start_with_any_tracking_id_shape_and_keeps_every_word_otherwise(
    number, template, candidates
):
    text = template.format(number, lower=number.lower())
    parsed = parse_sms(text)
    spelled = (c.format(number, lower=number.lower()) for c in candidates)
    assert parsed.candidates == tuple(
        c for c in spelled if len(c) <= 64
    )  # "<64 characters>." is too long as typed
    assert (parsed.if_known, parsed.reply_text) == ("reply", "Lubangnya makin besar")
    assert (parsed.kind, parsed.text) == (
        "report",
        text.removeprefix("LAPOR ").strip(),
    )  # no report: every word kept


SHORT_REFERENCE_CASES = [
    ("first", 1, "R13"),
    ("damm-example", 572, "R5724"),
    ("forty-two", 42, "R427"),
    ("big", 1234567, "R12345671"),
]


@pytest.mark.parametrize(
    "complaint_id, reference",
    [c[1:] for c in SHORT_REFERENCE_CASES],
    ids=[c[0] for c in SHORT_REFERENCE_CASES],
)
def test_short_reference_round_trip(complaint_id, reference):
    assert short_reference(complaint_id) == reference
    assert complaint_id_of(reference) == complaint_id == complaint_id_of(reference.lower())
    assert looks_like_number(reference) and parse_sms(f"INFO {reference.lower()}").kind == "info"


@pytest.mark.parametrize(
    "text",
    [
        "R428",
        "R472",
        "R0427",
        "R427 ",
        "R",
        "R7",
        "X427",
        "427",
        "R42 7",
        "RR427",
        "R-427",
        "",
        "R٤٢٧",
    ],
    ids=[
        "wrong-check-digit",
        "swapped-digits",
        "leading-zero",
        "trailing-space",
        "letter-only",
        "one-digit",
        "other-letter",
        "no-letter",
        "space-inside",
        "double-letter",
        "dash",
        "empty",
        "arabic-digits",
    ],
)
def test_what_is_no_short_reference(text):
    assert complaint_id_of(text) is None


def test_a_mistyped_short_reference_never_names_another_complaint():
    """Damm's check digit: every single wrong digit and every swap of two neighbouring digits."""
    for complaint_id in range(1, 3000):
        digits = short_reference(complaint_id)[1:]
        for i in range(len(digits)):
            for d in "0123456789":
                typo = digits[:i] + d + digits[i + 1 :]
                if typo != digits:
                    assert complaint_id_of("R" + typo) is None, (complaint_id, typo)
            if i + 1 < len(digits) and digits[i] != digits[i + 1]:
                swapped = digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
                assert complaint_id_of("R" + swapped) is None, (complaint_id, swapped)


@pytest.mark.parametrize(
    "word, expected",
    [
        ("1000123", ("1000123",)),
        ("1000123.", ("1000123.", "1000123")),
        ("_x_", ("_x_", "x")),
        ("...", ("...",)),
        ("café", ()),
        (LONG_ID, (LONG_ID,)),
        (LONG_ID + "9", ()),
        (LONG_ID + ".", (LONG_ID,)),
        ("", ()),
    ],
    ids=[
        "digits",
        "full-stop",
        "underscores-around",
        "dots-only",
        "not-the-alphabet",
        "64-chars",
        "65-chars",
        "64-and-full-stop",
        "empty",
    ],
)
def test_spellings(word, expected):
    assert spellings(word) == expected


@pytest.mark.parametrize(
    "word, expected",
    [
        ("1000123", True),
        ("12345", True),
        ("1234", False),
        ("kalsel_77", True),
        ("abcdefgh", False),
        ("R13", True),
        ("R14", False),
        ("2026.KS.000123.", True),
        ("café12345", False),
        ("", False),
    ],
    ids=[
        "seven-digits",
        "five-digits",
        "four-digits",
        "letters-and-digits",
        "letters-only",
        "short-reference",
        "short-reference-bad-check",
        "dotted-full-stop",
        "not-the-alphabet",
        "empty",
    ],
)
def test_looks_like_number(word, expected):
    assert looks_like_number(word) is expected


def test_junk_is_long_enough():
    assert len(JUNK) == 2000 and not JUNK[0].isspace() and not JUNK[-1].isspace()
    assert JUNK.startswith("xY1! 2")  # the first word, as the table above reads it


def test_keywords_longest_first_whatever_the_order():
    parsed = parse_sms("LAPORPAMAN jalan", keywords=("LAPOR", "LAPORPAMAN"))
    assert (parsed.keyword, parsed.text) == ("LAPORPAMAN", "jalan")


def test_configured_keyword_with_space():
    parsed = parse_sms("lapor   paman jalan rusak", keywords=("LAPOR PAMAN", "LAPOR"))
    assert (parsed.kind, parsed.keyword, parsed.text) == ("report", "LAPOR PAMAN", "jalan rusak")


def test_custom_info_words():
    parsed = parse_sms("LACAK LPR-2024-0001", info_words=("LACAK",))
    assert (parsed.kind, parsed.tracking_id, parsed.candidates) == (
        "info",
        "LPR-2024-0001",
        ("LPR-2024-0001",),
    )
    assert parse_sms("INFO LPR-2024-0001", info_words=("LACAK",)).kind == "report"


def test_parse_sms_is_frozen():
    parsed = parse_sms("LAPORPAMAN jalan")
    with pytest.raises(AttributeError):
        parsed.kind = "info"


# --- help -----------------------------------------------------------------------------------


def test_format_help_default():
    text = format_help()
    assert text.startswith(
        "Format: LAPORPAMAN <isi laporan> kirim ke 1708. Cek status: INFO <nomor laporan>."
    )
    assert "ANONIM" in text and "RAHASIA" in text
    assert is_gsm7(text) and gsm7_length(text) <= 160
    assert len(segments(text)) == 1


def test_format_help_drops_privacy_hint_when_it_does_not_fit():
    text = format_help(keyword="LAPORKABUPATENBALANGAN", number="081234567890")
    assert text == (
        "Format: LAPORKABUPATENBALANGAN <isi laporan> kirim ke 081234567890. "
        "Cek status: INFO <nomor laporan>."
    )
    assert gsm7_length(text) <= 160


def test_format_help_rejects_what_cannot_fit():
    with pytest.raises(ValueError):
        format_help(keyword="L" * 120)
    with pytest.raises(ValueError):
        format_help(keyword="LAPOR王")


def test_help_keyword_parses_back():
    assert parse_sms("LAPORPAMAN ANONIM jalan").flags == {"anonim"}
