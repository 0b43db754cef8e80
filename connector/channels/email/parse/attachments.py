"""An email's attachments: which parts they are, safe names, sizes, sha256, and those over the size limit."""

from __future__ import annotations

import hashlib
import mimetypes

from connector.channels.email.parse.headers import POLICY, _encoded_words, _header, _one_line
from connector.support.filenames import safe_filename

# Parts that carry a report's machinery (bounces, receipts), not a citizen's file.
_REPORT_PARTS = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/global-disposition-notification",
    "message/feedback-report",
    "text/rfc822-headers",
}

# The built-in table only: the system's mime.types differs between machines.
_MIME_TYPES = mimetypes.MimeTypes()


def _parts(msg):
    """Every part, containers included, depth first; message/* parts are not opened (an
    attached message is one attachment). A loop, not recursion: nesting depth is the
    sender's choice."""
    stack = [msg]
    while stack:
        part = stack.pop()
        yield part
        if _is_container(part):
            stack.extend(reversed(list(part.iter_parts())))


def _is_container(part) -> bool:
    return _media_type(part).startswith("multipart/") and part.is_multipart()


def _leaves(msg):
    return (part for part in _parts(msg) if not _is_container(part))


def _media_type(part) -> str:
    try:
        return part.get_content_type()
    except Exception:  # why: the policy's header parser raises on some malformed values
        return "application/octet-stream"


def _disposition(part) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:  # why: as above; the first word of the raw value is what it meant
        return (_header(part, "Content-Disposition") or "").split(";")[0].strip().lower() or None


def _is_attachment(part, body_parts: set[int]) -> bool:
    """Disposition attachment, any non-text part (named or not: a phone photo sent without
    a name is still evidence) or a named text part that is not the body."""
    media_type = _media_type(part)
    if id(part) in body_parts or media_type in _REPORT_PARTS or media_type.startswith("multipart/"):
        return False
    return (
        _disposition(part) == "attachment"
        or not media_type.startswith("text/")
        or bool(_filename(part))
    )


def _attachments(msg, body_parts: set[int], max_bytes: int) -> tuple[list[dict], list[dict]]:
    kept, dropped = [], []
    for part in _leaves(msg):
        if _is_attachment(part, body_parts):
            item, usable = _attachment(part, len(kept) + len(dropped) + 1, max_bytes)
            (kept if usable else dropped).append(item)
    return kept, dropped


def _attachment(part, number: int, max_bytes: int) -> tuple[dict, bool]:
    """The attachment's entry, and whether it is kept (False: it goes to dropped_attachments)."""
    media_type, name = _media_type(part), safe_filename(_filename(part))
    data = _part_bytes(part)
    if data is None or len(data) > max_bytes:
        reason = (
            "unreadable content"
            if data is None
            else f"larger than max_attachment_bytes ({max_bytes})"
        )
        return {
            "filename": name,
            "media_type": media_type,
            "size": len(data or b""),
            "reason": reason,
        }, False
    content_id, disposition = _content_id(part), _disposition(part)
    return {
        "filename": name or f"attachment-{number}.{_extension(media_type)}",
        "media_type": media_type,
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "inline": disposition == "inline" or (disposition is None and content_id is not None),
        "content_id": content_id,
    }, True


def _filename(part) -> str | None:
    """The part's name (RFC 2231 and RFC 2047 decoded, 8-bit resolved), not yet sanitised."""
    try:
        name = part.get_filename()
    except Exception:  # why: malformed parameters make the policy parser raise
        return None
    if not name:
        return None
    return _encoded_words(str(name))


def _part_bytes(part) -> bytes | None:
    try:
        if _media_type(part).startswith("message/") and part.is_multipart():
            return part.get_payload(0).as_bytes(policy=POLICY.clone(linesep="\r\n"))
        data = part.get_payload(decode=True)
        return data if isinstance(data, bytes) else None
    except Exception:  # why: a broken embedded message must not cost the others
        return None


def _content_id(part) -> str | None:
    return _one_line(_header(part, "Content-ID")).strip("<> ") or None


def _extension(media_type: str) -> str:
    return (_MIME_TYPES.guess_extension(media_type) or ".bin").lstrip(".")
