"""Parse one email message (raw RFC 822 bytes) into a plain, JSON-serialisable record.

`parse_mail(raw)` (this package) is a pure function: no I/O, no store, no config. It reads what a
mapping profile needs from a citizen's mail: sender, recipients, subject (with its
reply prefixes and bracket tags such as [RAHASIA] or [LAPOR #1000123] taken apart),
thread ids, date, the body as text (HTML-only mail converted), the new part of a
reply, attachments (named safely, hashed, over-size ones listed as dropped), whether
the message is noise (auto-reply, bounce, read receipt, mailing list, our own mail
coming back) and the MIME defects the email package reported.

It does not decide what the message is (new complaint, reply to a report, noise):
the email channel and intake do that from the record (`subject_words` gives the
subject's words that may be a tracking id; connector.conversation looks them up).
It does not keep attachment bytes (a caller that stores them re-reads the raw
message), does not unpack winmail.dat, and never raises: any input bytes give a
record, at worst an empty one whose `defects` say why.

`defects` holds the email package's defect class names plus a few of this module's
own: EmptyMessage, NoHeaders (bytes that are not a message), HeaderParseError (a
header the package cannot model), ParserFallback:<error> (the strict parser crashed
and the legacy compat32 one read the message) and ParserError:<error> (nothing could
be read; the record is empty).
"""

from __future__ import annotations

from connector.channels.email.parse.attachments import _attachments, _parts
from connector.channels.email.parse.body import _body_text, _message, _recover_boundary
from connector.channels.email.parse.headers import (
    POLICY,
    _addresses,
    _clean_subject,
    _date,
    _header,
    _ids,
    _sender,
    _subject,
    _tags,
    _tracking_id,
    _unfold,
    _unique,
    subject_words,
)
from connector.channels.email.parse.noise import _noise
from connector.channels.email.parse.replies import _reply_part

__all__ = ["DEFAULT_MAX_ATTACHMENT_BYTES", "FIELDS", "parse_mail", "subject_words"]

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
FIELDS = (
    "message_id",
    "from",
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
    "noise",
    "attachments",
    "dropped_attachments",
    "defects",
)


def parse_mail(
    raw: bytes,
    *,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    own_domains: tuple[str, ...] = (),
) -> dict:
    """The record for one message (keys: FIELDS). Never raises."""
    try:
        domains = tuple(d.strip().lstrip("@.").lower() for d in own_domains)
        return _parse(bytes(raw), max_attachment_bytes, domains)
    except Exception as exc:  # why: one unreadable mail must never stop the inbox
        return _empty_record([f"ParserError:{type(exc).__name__}"])


def _empty_record(defects: list[str]) -> dict:
    record = {
        name: []
        for name in (
            "to",
            "tags",
            "in_reply_to",
            "references",
            "attachments",
            "dropped_attachments",
        )
    }
    record.update(
        {
            name: None
            for name in (
                "message_id",
                "subject",
                "subject_clean",
                "tracking_id",
                "date",
                "text",
                "reply_text",
                "noise",
            )
        }
    )
    record["from"] = {"name": None, "address": None}
    record["defects"] = defects
    return {name: record[name] for name in FIELDS}


def _parse(raw: bytes, max_bytes: int, own_domains: tuple[str, ...]) -> dict:
    if not raw.strip():
        return _empty_record(["EmptyMessage"])
    msg, fallback = _message(raw)
    if not msg.keys():
        # Random bytes parse as a header-less body; a mail store never holds such a message.
        return _empty_record(_defects(msg) + ["NoHeaders"])
    body = _recover_boundary(msg)
    subject = _subject(msg)
    sender = _sender(msg)
    text, body_parts = _body_text(body)
    attachments, dropped = _attachments(body, body_parts, max_bytes)
    record = {
        "message_id": next(iter(_ids(_header(msg, "Message-ID"))), None),
        "from": sender,
        "to": _addresses(msg, "To"),
        "subject": subject,
        "subject_clean": _clean_subject(subject),
        "tags": _tags(subject),
        "tracking_id": _tracking_id(subject),
        "date": _date(_header(msg, "Date")),
        "in_reply_to": _ids(_header(msg, "In-Reply-To")),
        "references": _ids(_header(msg, "References")),
        "text": text,
        "reply_text": _reply_part(text),
        "noise": _noise(msg, sender, own_domains),
        "attachments": attachments,
        "dropped_attachments": dropped,
        "defects": _unique(fallback + _defects(msg) + (_defects(body) if body is not msg else [])),
    }
    return record


def _defects(msg) -> list[str]:
    """Class names of the defects the email package found in the parts and the top headers."""
    names = [type(d).__name__ for part in _parts(msg) for d in part.defects]
    for name, value in msg.raw_items():
        try:
            names += [
                type(d).__name__ for d in POLICY.header_factory(name, _unfold(str(value))).defects
            ]
        except Exception:  # why: e.g. an address whose decoded name holds CR/LF; report, go on
            names.append("HeaderParseError")
    return _unique(names)
