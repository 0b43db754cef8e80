"""What a citizen's SMS is: a new report, a status question, or a reply on a report.

`parse_sms` reads the text of one (already reassembled and decoded) SMS and says which kind it is,
taking apart the keyword ("LAPORPAMAN isi aduan"), the privacy flags (RAHASIA, ANONIM) and a
tracking id. `format_help` is the reply that explains the format.

It does not look anything up: a tracking id here only has the shape of one, and the caller must
check that the report exists (and belongs to the sender) before treating a message as a reply or
a status question; when it does not, the message is best kept as a report with its whole text.
It does not derive a title, category or place (the profile engine does) and never drops text a
citizen wrote, apart from the keyword, the flags and the separators around them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .text import GSM7_SINGLE, gsm7_length, is_gsm7

FLAGS = ("RAHASIA", "ANONIM")
_SEP_CHARS = r"\s:#.,"  # what may follow a keyword, flag or info word
_SEPARATORS = re.compile(rf"[{_SEP_CHARS}]*")
_BOUNDARY = rf"(?=[{_SEP_CHARS}]|$)"
_FLAG = re.compile(rf"({'|'.join(FLAGS)}){_BOUNDARY}", re.IGNORECASE)
_EDGE_SPACE = re.compile(r"^[\s\u200b\ufeff]+|[\s\u200b\ufeff]+$")  # zero-width ones too
# An info word with no id counts as a failed status question only when little follows it;
# "Info: jalan di depan sekolah rusak parah" is a report that happens to start with "Info".
_INFO_MAX_WORDS = 3
_INFO_ID_MAX_WORDS = 5  # "cek laporan saya no 1000123" still finds its id


@dataclass(frozen=True)
class ParsedSms:
    """kind: empty | info | info_invalid | reply | keyword_only | report.
    keyword: the configured keyword the message started with (its configured spelling), or None.
    text: the report, the reply, or what followed an info word (without the id); trimmed.
    flags: "rahasia" and/or "anonim" for a report or keyword_only message."""

    kind: str
    keyword: str | None
    text: str
    tracking_id: str | None
    flags: frozenset[str] = field(default_factory=frozenset)


def parse_sms(text: str, keywords=("LAPORPAMAN", "LAPOR"), info_words=("INFO", "CEK", "STATUS"),
              tracking_pattern: str = r"\d{7,12}") -> ParsedSms:
    """Which kind of message `text` is; never raises for any string.

    In order: only white space → "empty". An optional keyword (case-insensitive, longest first,
    a whole word: followed by white space, ':', '#', '.', ',' or the end; a keyword with a space
    in it matches any run of white space there). Then an info word → "info" with the id right
    after it (or, in a short message, anywhere in it), "info_invalid" when a short message has
    no id, a report when more than three words follow and none is an id. Then a tracking id
    followed by text → "reply"; an id alone → "info". Then RAHASIA / ANONIM at the start, in any
    order → flags; nothing left → "keyword_only" (also for flags alone); otherwise "report"."""
    body = _trim(text if isinstance(text, str) else "")
    if not body:
        return ParsedSms("empty", None, "", None)
    tracking = re.compile(rf"(?:{tracking_pattern})(?![0-9A-Za-z])")
    keyword, rest = _take_keyword(body, keywords)
    return (_info(keyword, rest, info_words, tracking)
            or _reply(keyword, rest, tracking)
            or _report(keyword, rest))


def _trim(text: str) -> str:
    return _EDGE_SPACE.sub("", text)


def _skip_separators(text: str) -> str:
    return _trim(text[_SEPARATORS.match(text).end():])


def _take_keyword(body: str, keywords) -> tuple[str | None, str]:
    """(configured keyword, the text after it and its separators), or (None, body)."""
    names = {_trim(k) for k in ([keywords] if isinstance(keywords, str) else keywords or ()) if k}
    for name in sorted(filter(None, names), key=lambda k: (-len(k), k)):
        spelled = r"\s+".join(re.escape(part) for part in name.split())
        match = re.match(rf"(?:{spelled}){_BOUNDARY}", body, re.IGNORECASE)
        if match:
            return name, _skip_separators(body[match.end():])
    return None, body


def _info(keyword: str | None, rest: str, info_words, tracking: re.Pattern) -> ParsedSms | None:
    words = "|".join(re.escape(w) for w in ([info_words] if isinstance(info_words, str)
                                            else info_words or ()) if w)
    # why a digit may follow directly: "INFO1000123" is how many people type it
    match = re.match(rf"(?:{words})(?=[{_SEP_CHARS}0-9]|$)", rest, re.IGNORECASE) if words else None
    if not match:
        return None
    after = _skip_separators(rest[match.end():])
    found = tracking.match(after)
    if found:
        return ParsedSms("info", keyword, _skip_separators(after[found.end():]), found.group(0))
    tokens = [t for t in re.split(rf"[{_SEP_CHARS}]+", after) if t]
    ids = [t for t in tokens if tracking.fullmatch(t)]
    if ids and len(tokens) <= _INFO_ID_MAX_WORDS:
        return ParsedSms("info", keyword, _without(after, ids[0]), ids[0])
    if len(tokens) <= _INFO_MAX_WORDS:
        return ParsedSms("info_invalid", keyword, after, None)
    return None


def _without(text: str, tracking_id: str) -> str:
    """`text` with the first whole-token occurrence of the id taken out."""
    cut = re.sub(rf"(?<![0-9A-Za-z]){re.escape(tracking_id)}(?![0-9A-Za-z])", " ", text, count=1)
    return _trim(re.sub(r"\s{2,}", " ", cut))


def _reply(keyword: str | None, rest: str, tracking: re.Pattern) -> ParsedSms | None:
    candidate = rest.removeprefix("#")  # "#1000123 ..." as in "Lapor#1000123"
    found = tracking.match(candidate)
    if not found:
        return None
    after = _skip_separators(candidate[found.end():])
    # why a bare id is a status question: there is nothing to add to the report
    return ParsedSms("reply" if after else "info", keyword, after, found.group(0))


def _report(keyword: str | None, rest: str) -> ParsedSms:
    flags = set()
    while (match := _FLAG.match(rest)):
        flags.add(match.group(1).lower())
        rest = _skip_separators(rest[match.end():])
    kind = "report" if rest else "keyword_only"
    return ParsedSms(kind, keyword, rest, None, frozenset(flags))


def format_help(keyword: str = "LAPORPAMAN", number: str = "1708", info_word: str = "INFO") -> str:
    """The Indonesian reply explaining the format, one GSM-7 SMS (≤ 160). The privacy sentence
    is added only when it fits. Raises ValueError when even the format itself does not fit or
    needs UCS-2 (a keyword or number from configuration that no citizen could type anyway)."""
    text = f"Format: {keyword} <isi laporan> kirim ke {number}. Cek status: {info_word} <nomor laporan>."
    if not is_gsm7(text) or gsm7_length(text) > GSM7_SINGLE:
        raise ValueError(f"help text does not fit one GSM-7 SMS: {text!r}")
    privacy = f" Rahasiakan nama: {keyword} ANONIM <isi>. Tertutup: {keyword} RAHASIA <isi>."
    return text + privacy if gsm7_length(text + privacy) <= GSM7_SINGLE else text
