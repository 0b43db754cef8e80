"""The new part of a reply: quoted text, quote headers (English and Indonesian) and phone signatures cut away."""

from __future__ import annotations

import re

from connector.channels.email.parse.body import _clean_text

_QUOTE_START = re.compile(r"^\s*(?:On|Pada)\s", re.IGNORECASE)
_QUOTE_END = re.compile(r"(?:wrote|menulis)\s*:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|pesan asli|pesan awal)\s*-{2,}\s*$", re.IGNORECASE
)
_FORWARDED = re.compile(
    r"-{2,}\s*(?:forwarded message|pesan (?:yang )?diteruskan|pesan terusan)", re.IGNORECASE
)
# Outlook's header block in English, Indonesian and German ("AW:" replies): Von/Gesendet.
_HEADER_FROM = re.compile(r"^\s*\*?(?:From|Dari|Von)\s*:\*?\s+\S", re.IGNORECASE)
_HEADER_SENT = re.compile(r"^\s*\*?(?:Sent|Date|Dikirim|Tanggal|Gesendet|Datum)\s*:", re.IGNORECASE)
# "Dikirim dari iPhone saya", "Sent from my Galaxy": only with a device or app named, so a
# last sentence like "Dikirim dari kantor kelurahan kemarin." stays.
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(?:sent from|dikirim dari|get outlook for|dapatkan outlook untuk)\b(?=.*\b(?:iphone|ipad|android|ponsel"
    r"|samsung|galaxy|xiaomi|redmi|oppo|vivo|huawei|realme|perangkat|seluler|mobile|yahoo|outlook|gmail|mail)\b)"
    r".{0,60}$",
    re.IGNORECASE,
)


def _reply_part(text: str | None) -> str | None:
    """The new part of a reply: quote headers ("On … wrote:", "Pada … menulis:",
    "-----Original Message-----", an Outlook "From:/Sent:" block), quoted ">" lines and
    signatures removed. A top-posted reply is cut at the header; a bottom-posted or
    interleaved one keeps its own lines. The text itself when nothing is quoted."""
    if text is None:
        return None
    lines = text.split("\n")
    start, end, quotes_follow = _quote_header_at(lines)
    if start is None and not any(line.startswith(">") for line in lines):
        return text
    if start is not None:
        # After "On … wrote:" the old mail is ">"-quoted, so own lines among the quotes
        # are a bottom-posted or interleaved answer; after an Outlook block it is not.
        after = [line for line in lines[end:] if line.strip()]
        interleaved = quotes_follow and not all(line.startswith(">") for line in after)
        lines = lines[:start] + lines[end:] if interleaved else lines[:start]
    # Quoted lines are dropped here rather than by email_reply_parser: that library drops
    # "-Jl. Veteran" bullet lines as a signature, hides everything above a "To: …" line
    # and raises re.error on a backslash in a wrapped "On … wrote:" header.
    kept = "\n".join(line for line in lines if not line.startswith(">"))
    return _clean_text(re.sub(r"\n{3,}", "\n\n", _strip_mobile_signature(kept)))


def _quote_header_at(lines: list[str]) -> tuple[int | None, int | None, bool]:
    """Where the first quote header starts, the line after it, and whether ">" quotes
    follow it ("On … wrote:") or the unquoted old mail does (Outlook, phones)."""
    for i, line in enumerate(lines):
        if _QUOTE_START.match(line) and (size := _wrote_within(lines, i)):
            return i, i + size, True
        if _ORIGINAL.match(line) or _outlook_block(lines, i):
            return i, i + 1, False
    return None, None, False


def _outlook_block(lines: list[str], i: int) -> bool:
    """A "From:/Dari:/Von:" line starting a header block with a "Sent:/Dikirim:/Date:" line, that
    shows an address or follows a rule line: an Indonesian letter also opens with "Dari:"
    and "Tanggal:", and a forwarded message's block is content, not a quote."""
    if not _HEADER_FROM.match(lines[i]) or not any(
        _HEADER_SENT.match(n) for n in lines[i + 1 : i + 5]
    ):
        return False
    before = [p.strip() for p in lines[max(0, i - 3) : i] if p.strip()]
    if before and _FORWARDED.search(before[-1]):
        return False
    return "@" in lines[i] or bool(before and set(before[-1]) <= set("_-"))


def _wrote_within(lines: list[str], start: int) -> int:
    """How many lines the "On … wrote:" header spans (0: not a header). Gmail wraps its
    "Pada … <address> menulis:" line, so look up to three lines ahead."""
    joined = ""
    for size, line in enumerate(lines[start : start + 3], 1):
        if not line.strip():
            return 0
        joined += " " + line
        if _QUOTE_END.search(joined):
            return size if re.search(r"\d", joined) else 0
    return 0


def _strip_mobile_signature(text: str) -> str:
    """Trailing phone signatures, blank lines and rule lines ("____" above an Outlook block)."""
    lines = text.rstrip().split("\n")
    while lines and (_MOBILE_SIGNATURE.match(lines[-1]) or set(lines[-1].strip()) <= set("_-")):
        lines.pop()
    return "\n".join(lines)
