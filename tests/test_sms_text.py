"""connector.sms: GSM-7/UCS-2 detection, segmenting, UDH, body decoding, phones, SMS commands."""

from __future__ import annotations

import random

import pytest

from connector.sms.commands import ParsedSms, format_help, parse_sms
from connector.sms.text import (
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

EMOJI = "\U0001F600"  # 😀, a surrogate pair in UTF-16
FAMILY = "\U0001F468\u200d\U0001F469\u200d\U0001F467"  # 👨‍👩‍👧: three emoji joined by ZWJ
FLAG_ID = "\U0001F1EE\U0001F1E9"  # 🇮🇩: two regional indicators


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


@pytest.mark.parametrize("text,expected", [c[1:] for c in ALPHABET_CASES],
                         ids=[c[0] for c in ALPHABET_CASES])
def test_gsm7_detection(text, expected):
    assert is_gsm7(text) is expected
    assert encoding_of(text) == ("gsm7" if expected else "ucs2")


@pytest.mark.parametrize("text,septets", [
    ("", 0), ("abc", 3), ("€", 2), ("[]", 4), ("a{b}c", 7), ("\f", 2), ("ÄÖÜ", 3), ("\r\n", 2),
], ids=["empty", "ascii", "euro", "brackets", "braces", "form-feed", "umlauts", "crlf"])
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


@pytest.mark.parametrize("text,lengths", [c[1:] for c in SEGMENT_CASES],
                         ids=[c[0] for c in SEGMENT_CASES])
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
    assert all(FLAG_ID in p or "\U0001F1EE" not in p for p in parts)
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
            yield name, "".join(rng.choice(chars if name == "ucs2" else pool)
                                for _ in range(rng.randint(0, 600)))


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
    ("port-ie-before", ("0B05040B8423F0" "0003A70201"), Udh(ref=0xA7, total=2, seq=1)),
    ("port-ie-after", ("0B0003A70201" "05040B8423F0"), Udh(ref=0xA7, total=2, seq=1)),
    ("empty-ie-before", ("070A00" "0003110302"), Udh(ref=0x11, total=3, seq=2)),
    ("last-concat-wins", ("0A0003010201" "0003020202"), Udh(ref=2, total=2, seq=2)),
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
    ("bad-concat-after-good", ("0A0003010201" "0003020200"), None),
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


@pytest.mark.parametrize("value,hexa", [c[1:] for c in KANNEL_UDH_CASES],
                         ids=[c[0] for c in KANNEL_UDH_CASES])
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


@pytest.mark.parametrize("body,charset,coding,expected", [c[1:] for c in DECODE_CASES],
                         ids=[c[0] for c in DECODE_CASES])
def test_decode_body(body, charset, coding, expected):
    assert decode_body(body, charset, coding) == expected


BROKEN_CASES = [
    ("ucs2-odd-length", "ab".encode("utf-16-be") + b"\x00", None, 2, "ab\ufffd"),
    ("ucs2-lone-high-surrogate", "ab".encode("utf-16-be") + b"\xd8\x3d", None, 2, "ab\ufffd"),
    ("ucs2-lone-low-surrogate", b"\xde\x00" + "ab".encode("utf-16-be"), None, 2, "\ufffdab"),
    ("utf8-truncated-emoji", b"ok " + EMOJI.encode()[:3], "UTF-8", 0, "ok \ufffd"),
]


@pytest.mark.parametrize("body,charset,coding,expected", [c[1:] for c in BROKEN_CASES],
                         ids=[c[0] for c in BROKEN_CASES])
def test_decode_body_replaces_broken_input(body, charset, coding, expected):
    assert decode_body(body, charset, coding) == expected


@pytest.mark.parametrize("coding", [None, 0, 1, 2, "2", "x", -1])
@pytest.mark.parametrize("charset", [None, "UTF-8", "UTF-16BE", "UCS-2", "latin-1", "nonsense", "base64"])
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


@pytest.mark.parametrize("raw,expected", [c[1:] for c in PHONE_CASES], ids=[c[0] for c in PHONE_CASES])
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
JUNK = "x" + "".join(JUNK_RNG.choice("abc XYZ 123 !?#:.,\n\t€é王" + EMOJI) for _ in range(1998)) + "y"

PARSE_CASES = [
    # id, text, kind, keyword, text, tracking_id, flags
    ("lower-keyword", "laporpaman jalan rusak", "report", "LAPORPAMAN", "jalan rusak", None, NO_FLAGS),
    ("colon", "LAPORPAMAN: Lampu jalan mati", "report", "LAPORPAMAN", "Lampu jalan mati", None, NO_FLAGS),
    ("hash-short-keyword", "Lapor#jalan berlubang", "report", "LAPOR", "jalan berlubang", None, NO_FLAGS),
    ("dot-keyword", "LAPORPAMAN. Sampah menumpuk", "report", "LAPORPAMAN", "Sampah menumpuk", None,
     NO_FLAGS),
    ("comma-keyword", "lapor,air PDAM mati", "report", "LAPOR", "air PDAM mati", None, NO_FLAGS),
    ("newline-keyword", "LAPORPAMAN\njalan rusak\nmohon", "report", "LAPORPAMAN", "jalan rusak\nmohon",
     None, NO_FLAGS),
    ("both-flags", "LAPORPAMAN RAHASIA ANONIM pungli di kantor desa", "report", "LAPORPAMAN",
     "pungli di kantor desa", None, frozenset({"rahasia", "anonim"})),
    ("flags-other-order-lower", "laporpaman anonim rahasia: pungli", "report", "LAPORPAMAN", "pungli",
     None, frozenset({"rahasia", "anonim"})),
    ("one-flag-hash", "LAPOR#Rahasia#guru sering bolos", "report", "LAPOR", "guru sering bolos", None,
     frozenset({"rahasia"})),
    ("flag-later-is-text", "LAPORPAMAN jalan rusak RAHASIA", "report", "LAPORPAMAN",
     "jalan rusak RAHASIA", None, NO_FLAGS),
    ("flag-prefix-word-is-text", "LAPORPAMAN ANONIMUS jalan", "report", "LAPORPAMAN", "ANONIMUS jalan",
     None, NO_FLAGS),
    ("flags-without-keyword", "RAHASIA pungli di puskesmas", "report", None, "pungli di puskesmas", None,
     frozenset({"rahasia"})),
    ("laporan-not-keyword", "LAPORAN jalan rusak", "report", None, "LAPORAN jalan rusak", None, NO_FLAGS),
    ("laporpamanku-not-keyword", "LAPORPAMANKU jalan", "report", None, "LAPORPAMANKU jalan", None,
     NO_FLAGS),
    ("lapor-paman-spaced", "LAPOR PAMAN jalan rusak", "report", "LAPOR", "PAMAN jalan rusak", None,
     NO_FLAGS),
    ("no-keyword", "Jalan di Kertak Hanyar rusak", "report", None, "Jalan di Kertak Hanyar rusak", None,
     NO_FLAGS),
    ("surrounding-space", "  \n LAPORPAMAN  jalan rusak \n", "report", "LAPORPAMAN", "jalan rusak",
     None, NO_FLAGS),
    ("emoji-report", f"LAPORPAMAN banjir {EMOJI}", "report", "LAPORPAMAN", f"banjir {EMOJI}", None,
     NO_FLAGS),
    ("info", "INFO 1000123", "info", None, "", "1000123", NO_FLAGS),
    ("info-lower", "info 1000123", "info", None, "", "1000123", NO_FLAGS),
    ("cek-hash", "cek#1000123", "info", None, "", "1000123", NO_FLAGS),
    ("status-colon", "Status: 1000123", "info", None, "", "1000123", NO_FLAGS),
    ("info-no-space", "INFO1000123", "info", None, "", "1000123", NO_FLAGS),
    ("info-after-keyword", "LAPORPAMAN INFO 1000123", "info", "LAPORPAMAN", "", "1000123", NO_FLAGS),
    ("info-id-later", "cek laporan saya 1000123", "info", None, "laporan saya", "1000123", NO_FLAGS),
    ("info-12-digit", "INFO 123456789012", "info", None, "", "123456789012", NO_FLAGS),
    ("info-too-short", "info 12", "info_invalid", None, "12", None, NO_FLAGS),
    ("info-too-long-id", "INFO 1234567890123", "info_invalid", None, "1234567890123", None, NO_FLAGS),
    ("info-alone", "INFO", "info_invalid", None, "", None, NO_FLAGS),
    ("cek-words", "cek laporan saya", "info_invalid", None, "laporan saya", None, NO_FLAGS),
    ("info-starting-report", "Info: jalan di depan SDN 3 rusak parah", "report", None,
     "Info: jalan di depan SDN 3 rusak parah", None, NO_FLAGS),
    ("informasi-not-info", "INFORMASI 1000123", "report", None, "INFORMASI 1000123", None, NO_FLAGS),
    ("reply", "1000123 terima kasih", "reply", None, "terima kasih", "1000123", NO_FLAGS),
    ("reply-question", "1000123 jalannya sudah diperbaiki?", "reply", None, "jalannya sudah diperbaiki?",
     "1000123", NO_FLAGS),
    ("reply-after-keyword", "LAPOR 1000123 tambahan: lubang makin besar", "reply", "LAPOR",
     "tambahan: lubang makin besar", "1000123", NO_FLAGS),
    ("reply-hash", "LAPORPAMAN#1000123#sudah dicek?", "reply", "LAPORPAMAN", "sudah dicek?", "1000123",
     NO_FLAGS),
    ("reply-leading-hash", "#1000123 belum ada tindak lanjut", "reply", None, "belum ada tindak lanjut",
     "1000123", NO_FLAGS),
    ("bare-id-is-info", "1000123", "info", None, "", "1000123", NO_FLAGS),
    ("short-number-is-report", "123 rumah terendam", "report", None, "123 rumah terendam", None, NO_FLAGS),
    ("id-glued-to-letters", "1000123abc rusak", "report", None, "1000123abc rusak", None, NO_FLAGS),
    ("keyword-alone", "LAPORPAMAN", "keyword_only", "LAPORPAMAN", "", None, NO_FLAGS),
    ("keyword-trailing-space", "LAPORPAMAN   ", "keyword_only", "LAPORPAMAN", "", None, NO_FLAGS),
    ("keyword-colon-only", "lapor:", "keyword_only", "LAPOR", "", None, NO_FLAGS),
    ("keyword-flags-only", "LAPORPAMAN RAHASIA", "keyword_only", "LAPORPAMAN", "", None,
     frozenset({"rahasia"})),
    ("flag-only", "anonim", "keyword_only", None, "", None, frozenset({"anonim"})),
    ("spaces", "  ", "empty", None, "", None, NO_FLAGS),
    ("nothing", "", "empty", None, "", None, NO_FLAGS),
    ("newlines-and-zwsp", "\n\r\n\u200b\ufeff", "empty", None, "", None, NO_FLAGS),
    ("junk-2000", JUNK, "report", None, JUNK, None, NO_FLAGS),
    ("junk-2000-keyword", "LAPORPAMAN " + JUNK, "report", "LAPORPAMAN", JUNK, None, NO_FLAGS),
]


@pytest.mark.parametrize("text,kind,keyword,body,tracking_id,flags", [c[1:] for c in PARSE_CASES],
                         ids=[c[0] for c in PARSE_CASES])
def test_parse_sms(text, kind, keyword, body, tracking_id, flags):
    assert parse_sms(text) == ParsedSms(kind, keyword, body, tracking_id, flags)


def test_junk_is_long_enough():
    assert len(JUNK) == 2000 and not JUNK[0].isspace() and not JUNK[-1].isspace()


def test_keywords_longest_first_whatever_the_order():
    parsed = parse_sms("LAPORPAMAN jalan", keywords=("LAPOR", "LAPORPAMAN"))
    assert (parsed.keyword, parsed.text) == ("LAPORPAMAN", "jalan")


def test_configured_keyword_with_space():
    parsed = parse_sms("lapor   paman jalan rusak", keywords=("LAPOR PAMAN", "LAPOR"))
    assert (parsed.kind, parsed.keyword, parsed.text) == ("report", "LAPOR PAMAN", "jalan rusak")


def test_custom_tracking_pattern_and_info_words():
    parsed = parse_sms("LACAK LPR-2024-0001", info_words=("LACAK",), tracking_pattern=r"LPR-\d{4}-\d{4}")
    assert (parsed.kind, parsed.tracking_id) == ("info", "LPR-2024-0001")


def test_parse_sms_is_frozen():
    parsed = parse_sms("LAPORPAMAN jalan")
    with pytest.raises(AttributeError):
        parsed.kind = "info"


# --- help -----------------------------------------------------------------------------------

def test_format_help_default():
    text = format_help()
    assert text.startswith("Format: LAPORPAMAN <isi laporan> kirim ke 1708. "
                           "Cek status: INFO <nomor laporan>.")
    assert "ANONIM" in text and "RAHASIA" in text
    assert is_gsm7(text) and gsm7_length(text) <= 160
    assert len(segments(text)) == 1


def test_format_help_drops_privacy_hint_when_it_does_not_fit():
    text = format_help(keyword="LAPORKABUPATENBALANGAN", number="081234567890")
    assert text == ("Format: LAPORKABUPATENBALANGAN <isi laporan> kirim ke 081234567890. "
                    "Cek status: INFO <nomor laporan>.")
    assert gsm7_length(text) <= 160


def test_format_help_rejects_what_cannot_fit():
    with pytest.raises(ValueError):
        format_help(keyword="L" * 120)
    with pytest.raises(ValueError):
        format_help(keyword="LAPOR王")


def test_help_keyword_parses_back():
    assert parse_sms("LAPORPAMAN ANONIM jalan").flags == {"anonim"}
