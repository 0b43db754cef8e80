"""An email's body as text: the part to read, any charset, HTML turned into text, a broken boundary recovered."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage

import html2text

from connector.channels.email.parse.attachments import (
    _disposition,
    _leaves,
    _media_type,
    _part_bytes,
)
from connector.channels.email.parse.headers import POLICY


def _recover_boundary(msg):
    """A multipart whose declared boundary never appears (or is missing) holds its parts as
    one string: read it again with the first delimiter-looking line as the boundary."""
    if not _media_type(msg).startswith("multipart/") or msg.is_multipart():
        return msg
    payload = msg.get_payload()
    if not isinstance(payload, str):
        return msg
    match = re.search(r"^--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?$", payload, re.MULTILINE)
    if not match:
        return msg
    # mixed, whatever was declared: get_body still prefers plain text among the parts.
    head = f'Content-Type: multipart/mixed; boundary="{match.group(1).removesuffix("--")}"\r\n\r\n'.encode(
        "ascii"
    )
    return _message(head + payload.encode("utf-8", "surrogateescape"))[0]


def _body_text(msg) -> tuple[str | None, set[int]]:
    """The body as text (plain preferred, HTML converted) and the ids of the parts used."""
    for kind in ("plain", "html"):
        part = _find_body(msg, kind)
        if part is None:
            continue
        text = _part_text(part)
        text = _html_to_text(text) if kind == "html" and text else text
        if (text := _clean_text(text)) is not None:
            return text, {id(part)}
    return None, set()


def _find_body(msg, kind: str):
    try:
        return msg.get_body(preferencelist=(kind,))
    except Exception:  # why: get_body trips over a multipart/related whose parts did not parse
        return next(
            (
                part
                for part in _leaves(msg)
                if _media_type(part) == f"text/{kind}" and _disposition(part) != "attachment"
            ),
            None,
        )


def _part_text(part) -> str | None:
    try:
        data, charset = part.get_payload(decode=True), part.get_content_charset()
    except Exception:  # why: malformed Content-Type parameters make the policy parser raise
        data, charset = _part_bytes(part), None
    return None if data is None else _decode_text(data, charset)


def _decode_text(data: bytes, charset: str | None) -> str:
    """Text in its declared charset. UTF-8 is tried when the charset is missing, ASCII or
    unknown (mislabelled UTF-8 is common); an unknown charset that is not UTF-8 is read
    as Latin-1, a known one with replacement characters, so this never fails."""
    declared = (charset or "").strip().lower()
    tries = [declared] if declared not in ("", "us-ascii", "ascii") else []
    for name in tries + ["utf-8"]:
        try:
            return data.decode(name)
        except (LookupError, ValueError):  # unknown, undecodable, or a name with a NUL in it
            continue
    try:
        return data.decode(declared, errors="replace") if declared else data.decode("latin-1")
    except Exception:  # why: unknown charsets and non-text codecs ("base64") raise here
        return data.decode("latin-1")


def _html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.ignore_links = True
    converter.ignore_images = True
    converter.body_width = 0  # why: no wrapping; the body keeps the sender's lines
    try:
        return converter.handle(html)
    except Exception:  # why: better the words without layout than no body at all
        return re.sub(r"<[^>]*>", " ", html)


def _clean_text(text: str | None) -> str | None:
    """Newlines normalised, control characters dropped, the trailing signature ("-- " line
    and after) removed, trimmed; None when nothing is left."""
    if not text:
        return None
    text = re.sub(
        r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text.replace("\r\n", "\n").replace("\r", "\n")
    )
    lines = [line.rstrip() for line in text.split("\n")]
    separators = [i for i, line in enumerate(lines) if line == "--"]
    if separators:
        lines = lines[: separators[-1]]
    return "\n".join(lines).strip() or None


def _message(raw: bytes) -> tuple[EmailMessage, list[str]]:
    """The parsed message, and a defect naming the error when the modern header parser
    gave up (CPython's raises IndexError on some malformed parameters) and the legacy
    compat32 one read the message instead."""
    try:
        return email.message_from_bytes(raw, policy=POLICY), []
    except Exception as exc:
        legacy = email.message_from_bytes(raw, policy=email.policy.compat32, _class=EmailMessage)
        return legacy, [f"ParserFallback:{type(exc).__name__}"]
