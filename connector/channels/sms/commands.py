"""What a citizen's SMS is: a new report, a status question, or a reply on a report.

`parse_sms` reads the text of one (already reassembled and decoded) SMS and says which kind it is,
taking apart the keyword ("LAPORPAMAN isi aduan"), the privacy flags (RAHASIA, ANONIM) and the
tokens that may be a report's number. `format_help` is the reply that explains the format.
`short_reference` / `complaint_id_of` make and read the short number an SMS acknowledgement gives
for a tracking id too long to type.

It does not look anything up. The hub's tracking ids are opaque (letters, digits, `.`, `_`, `-`,
up to 64 characters), so almost any word could be one: `parse_sms` says what a message is when
none of its `candidates` names a known report (`kind`), and what it becomes when one does
(`if_known`); the caller looks the candidates up, and checks that a reply comes from the report's
own complainant. A message that only looks like it starts with a number stays a report with its
whole text. It does not derive a title, category or place (the profile engine does) and never
drops text a citizen wrote, apart from the keyword, the flags and the separators around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from connector.channels.sms.text import GSM7_SINGLE, gsm7_length, is_gsm7

FLAGS = ("RAHASIA", "ANONIM")
_SEP_CHARS = r"\s:#.,"  # what may follow a keyword, flag or info word
_SEPARATORS = re.compile(rf"[{_SEP_CHARS}]*")
_BOUNDARY = rf"(?=[{_SEP_CHARS}]|$)"
_FLAG = re.compile(rf"({'|'.join(FLAGS)}){_BOUNDARY}", re.IGNORECASE)
_EDGE_SPACE = re.compile(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$")  # zero-width ones too
# A word as citizens type a number: what lies between white space and punctuation. Dots, dashes
# and underscores stay inside ("2026.KS.000123", "kalsel_77"); the exchange's tracking id is
# ^[A-Za-z0-9._-]{1,64}$.
_WORD = re.compile(r"[^\s:#,;!?()\[\]{}<>\"'`\u200b\ufeff]+")
_TRACKING_SHAPE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_EDGE_MARKS = "._-"  # "1000123." at the end of a sentence
_AFTER_NUMBER = re.compile(
    r"[\s:#.,;!?)\]}\"']*"
)  # no text of its own after a number ("INFO 1000123?")
# An info word with no number counts as a failed status question only when little follows it;
# "Info: jalan di depan sekolah rusak parah" is a report that happens to start with "Info".
_INFO_MAX_WORDS = 3
_INFO_ID_MAX_WORDS = 5  # "cek laporan saya no 1000123" still finds its number
_NUMBER_MIN_LENGTH = 5  # "Info 3 rumah terendam ..." is a report, not a question about report "3"

# Short references: "R" + the complaint's own id + a Damm check digit (any single wrong digit
# and any swap of two neighbouring digits is caught, so a typo never names another report).
SHORT_REFERENCE_ABOVE = 16  # tracking ids longer than this get a short reference in SMS
_SHORT_REFERENCE = re.compile(r"[Rr]([1-9][0-9]*)")
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


@dataclass(frozen=True)
class ParsedSms:
    """What an SMS is, read without the store.

    kind: empty | info | info_invalid | keyword_only | report — what the message is when none of
      its candidates names a known report: "info" is a status question about a number that is
      not known ("tidak ditemukan"), "info_invalid" one without a usable number (the format help).
    keyword: the configured keyword the message started with (its configured spelling), or None.
    text: the report, or what followed the number of a status question; trimmed.
    tracking_id: the number a status question names, as typed (without trailing dots), or None.
    flags: "rahasia" and/or "anonim" for a report or keyword_only message.
    candidates: spellings of the word(s) that may be a known report's number, to try in order.
    if_known: what the message is when a candidate names a known report: "info" (a status
      question) or "reply" (the citizen's addition, `reply_text`, on that report); None: nothing.
    reply_text: the text after the leading number, for if_known == "reply"."""

    kind: str
    keyword: str | None
    text: str
    tracking_id: str | None
    flags: frozenset[str] = field(default_factory=frozenset)
    candidates: tuple[str, ...] = ()
    if_known: str | None = None
    reply_text: str | None = None


def parse_sms(
    text: str, keywords=("LAPORPAMAN", "LAPOR"), info_words=("INFO", "CEK", "STATUS")
) -> ParsedSms:
    """Which kind of message `text` is; never raises for any string.

    In order: only white space → "empty". An optional keyword (case-insensitive, longest first,
    a whole word: followed by white space, ':', '#', '.', ',' or the end; a keyword with a space
    in it matches any run of white space there). Then an info word: a question about the word
    after it; "info" when that word looks like a number (a digit, five characters or more, or a
    short reference), or when a short message has such a word anywhere; "info_invalid" when a
    short message has none; otherwise a report that may still be a question about a known first
    word. Then a leading word: alone and looking like a number → "info"; otherwise the message
    is a report whose first word may name a known report (a reply with the rest, or a question
    when nothing follows). Then RAHASIA / ANONIM at the start, in any order → flags; nothing
    left → "keyword_only" (also for flags alone); otherwise "report"."""
    body = _trim(text if isinstance(text, str) else "")
    if not body:
        return ParsedSms("empty", None, "", None)
    keyword, rest = _take_keyword(body, keywords)
    return _info(keyword, rest, info_words) or _lead(keyword, rest) or _report(keyword, rest)


def _trim(text: str) -> str:
    return _EDGE_SPACE.sub("", text)


def _skip_separators(text: str) -> str:
    return _trim(text[_SEPARATORS.match(text).end() :])


def _after_number(text: str) -> str:
    return _trim(text[_AFTER_NUMBER.match(text).end() :])


def _take_keyword(body: str, keywords) -> tuple[str | None, str]:
    """(configured keyword, the text after it and its separators), or (None, body)."""
    names = {_trim(k) for k in ([keywords] if isinstance(keywords, str) else keywords or ()) if k}
    for name in sorted(filter(None, names), key=lambda k: (-len(k), k)):
        spelled = r"\s+".join(re.escape(part) for part in name.split())
        match = re.match(rf"(?:{spelled}){_BOUNDARY}", body, re.IGNORECASE)
        if match:
            return name, _skip_separators(body[match.end() :])
    return None, body


def spellings(word: str) -> tuple[str, ...]:
    """The ways `word` may be written as a tracking id: as typed, then without the dots, dashes
    and underscores around it; only those in the tracking id's alphabet and length."""
    found = []
    for spelling in (word, word.strip(_EDGE_MARKS)):
        if spelling and _TRACKING_SHAPE.fullmatch(spelling) and spelling not in found:
            found.append(spelling)
    return tuple(found)


def looks_like_number(word: str) -> bool:
    """Whether an unknown `word` still reads as a report's number (answered "not found") rather
    than as words: a digit and five characters or more, or the shape of a short reference."""
    bare = word.strip(_EDGE_MARKS)
    if not bare or not _TRACKING_SHAPE.fullmatch(bare):
        return False
    return complaint_id_of(bare) is not None or (
        len(bare) >= _NUMBER_MIN_LENGTH and any(c.isdigit() for c in bare)
    )


def _info(keyword: str | None, rest: str, info_words) -> ParsedSms | None:
    words = "|".join(
        re.escape(w)
        for w in ([info_words] if isinstance(info_words, str) else info_words or ())
        if w
    )
    # why a digit may follow directly: "INFO1000123" is how many people type it
    match = re.match(rf"(?:{words})(?=[{_SEP_CHARS}0-9]|$)", rest, re.IGNORECASE) if words else None
    if not match:
        return None
    after = _skip_separators(rest[match.end() :])
    tokens = _WORD.findall(after)
    first = _WORD.match(after)
    if first and looks_like_number(first.group(0)):
        return _question(keyword, first.group(0), _after_number(after[first.end() :]))
    numbers = [t for t in tokens if looks_like_number(t)]
    if numbers and len(tokens) <= _INFO_ID_MAX_WORDS:
        return _question(keyword, numbers[0], _without(after, numbers[0]))
    candidates = tuple(s for t in tokens for s in spellings(t))
    if len(tokens) <= _INFO_MAX_WORDS:
        return ParsedSms(
            "info_invalid",
            keyword,
            after,
            None,
            candidates=candidates,
            if_known="info" if candidates else None,
        )
    first_spellings = spellings(tokens[0])
    return replace(
        _report(keyword, rest),
        candidates=first_spellings,
        if_known="info" if first_spellings else None,
    )


def _question(keyword: str | None, word: str, text: str) -> ParsedSms:
    return ParsedSms(
        "info", keyword, text, word.strip(_EDGE_MARKS), candidates=spellings(word), if_known="info"
    )


def _without(text: str, word: str) -> str:
    """`text` with the first whole-word occurrence of `word` taken out."""
    cut = re.sub(rf"(?<![0-9A-Za-z]){re.escape(word)}(?![0-9A-Za-z])", " ", text, count=1)
    return _trim(re.sub(r"\s{2,}", " ", cut))


def _lead(keyword: str | None, rest: str) -> ParsedSms | None:
    """A message whose first word may be a report's number ("#1000123 ..." as in "Lapor#1000123")."""
    body = rest.lstrip("#")
    first = _WORD.match(body)
    if not first or _FLAG.fullmatch(first.group(0)):
        return None
    word, after = first.group(0), _after_number(body[first.end() :])
    candidates = spellings(word)
    if not candidates:
        return None
    if not after and looks_like_number(word):
        # why a bare number is a status question: there is nothing to add to the report
        return _question(keyword, word, "")
    return replace(
        _report(keyword, rest),
        candidates=candidates,
        if_known="reply" if after else "info",
        reply_text=after or None,
    )


def _report(keyword: str | None, rest: str) -> ParsedSms:
    flags = set()
    while match := _FLAG.match(rest):
        flags.add(match.group(1).lower())
        rest = _skip_separators(rest[match.end() :])
    kind = "report" if rest else "keyword_only"
    return ParsedSms(kind, keyword, rest, None, frozenset(flags))


def _damm(digits: str) -> int:
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return interim


def short_reference(complaint_id: int) -> str:
    """The short number for a complaint: "R", its id, a check digit (complaint 42 → "R427").
    Stable (the id never changes, even when the hub gives the report a new tracking id) and
    unique among short references."""
    digits = str(int(complaint_id))
    return f"R{digits}{_damm(digits)}"


def complaint_id_of(reference: str) -> int | None:
    """The complaint id a short reference names (any case), or None when `reference` is no
    short reference or its check digit is wrong."""
    match = _SHORT_REFERENCE.fullmatch(reference or "")
    if not match or len(match.group(1)) < 2:
        return None
    digits, check = match.group(1)[:-1], int(match.group(1)[-1])
    return int(digits) if digits[0] != "0" and _damm(digits) == check else None


def format_help(keyword: str = "LAPORPAMAN", number: str = "1708", info_word: str = "INFO") -> str:
    """The Indonesian reply explaining the format, one GSM-7 SMS (≤ 160). The privacy sentence
    is added only when it fits. Raises ValueError when even the format itself does not fit or
    needs UCS-2 (a keyword or number from configuration that no citizen could type anyway)."""
    text = f"Format: {keyword} <isi laporan> kirim ke {number}. Cek status: {info_word} <nomor laporan>."
    if not is_gsm7(text) or gsm7_length(text) > GSM7_SINGLE:
        raise ValueError(f"help text does not fit one GSM-7 SMS: {text!r}")
    privacy = f" Rahasiakan nama: {keyword} ANONIM <isi>. Tertutup: {keyword} RAHASIA <isi>."
    return text + privacy if gsm7_length(text + privacy) <= GSM7_SINGLE else text
