"""Reading an email's headers: decoded, one line each, addresses, subjects and their tags, thread ids, dates."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
import unicodedata
from datetime import timezone

POLICY = email.policy.default

_TAG = re.compile(r"\[([^\[\]]*)\]")

_TRACKING = re.compile(r"\[\s*lapor\s*#\s*([A-Za-z0-9._-]+)\s*\]", re.IGNORECASE)

# Reply and forward prefixes mail clients write: English, Indonesian (Bls, Balas, Trs), French
# (Tr), German Outlook (AW, WG), Scandinavian (SV, VS), Dutch (Antw).
_PREFIXES = r"re|fwd?|bls|balas|tr|trs|aw|wg|sv|vs|antw"

_COUNTED = re.compile(rf"\b({_PREFIXES})\s*\[\d+\]\s*:", re.IGNORECASE)

_PREFIX = re.compile(rf"^(?:{_PREFIXES})\s*(?:\(\d+\))?\s*[:：]\s*", re.IGNORECASE)

# A word that may be a tracking id (^[A-Za-z0-9._-]{1,64}$), as written in a subject.
_WORD = re.compile(r"[A-Za-z0-9._-]+")
_MAX_SUBJECT_WORDS = 30

_MSG_ID = re.compile(r"<([^<>\s\x00-\x1f\x7f]+)>")


def _header(msg, name: str) -> str | None:
    """The first `name` field as stored (not RFC 2047 decoded), unfolded, 8-bit bytes
    resolved; None when absent."""
    values = _header_values(msg, name)
    return values[0] if values else None


def _header_values(msg, name: str) -> list[str]:
    wanted = name.lower()
    return [
        _unfold(_resolve_8bit(str(value)))
        for key, value in msg.raw_items()
        if key.lower() == wanted
    ]


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).strip("\r\n")


def _resolve_8bit(value: str) -> str:
    """Undo the email package's surrogate escapes: raw 8-bit header bytes are read as
    UTF-8 when they are valid UTF-8, else Windows-1252, else Latin-1 (never fails)."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    for charset in ("utf-8", "cp1252"):
        try:
            return data.decode(charset)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _decoded(name: str, value: str) -> str:
    """RFC 2047 encoded-words decoded by the policy's header classes."""
    try:
        return str(POLICY.header_factory(name, value))
    except Exception:  # why: a header the policy cannot model is still worth its raw text
        return value


def _encoded_words(value: str) -> str:
    """RFC 2047 words left in a value the policy did not decode: parameters (where they are
    not allowed but common) and names whose decoded form made the address parser give up."""
    value = _resolve_8bit(value)
    return _decoded("subject", value) if "=?" in value else value


def _one_line(value: str | None) -> str:
    """Control characters, line breaks and leftover surrogates become spaces; runs collapse.
    This is what stops an encoded CR/LF from smuggling a second header line."""
    if not value:
        return ""
    kept = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") else ch for ch in value
    )
    return re.sub(r"\s+", " ", kept).strip()


def _subject(msg) -> str | None:
    value = _header(msg, "Subject")
    return (_one_line(_decoded("subject", value)) or None) if value is not None else None


def _uncounted(subject: str) -> str:
    """ "Re[2]:" becomes "Re:" so that its count is not read as a bracket tag."""
    return _COUNTED.sub(r"\1:", subject)


def _tags(subject: str | None) -> list[str]:
    return [
        _one_line(tag).lower() for tag in _TAG.findall(_uncounted(subject or "")) if _one_line(tag)
    ]


def _clean_subject(subject: str | None) -> str | None:
    if not subject:
        return None
    cleaned = _one_line(_TAG.sub(" ", _uncounted(subject)))
    while match := _PREFIX.match(cleaned):
        cleaned = cleaned[match.end() :].strip()
    return cleaned or None


def _tracking_id(subject: str | None) -> str | None:
    match = _TRACKING.search(subject or "")
    return match.group(1) if match else None


def subject_words(subject: str | None) -> tuple[str, ...]:
    """The words of a subject that may be a report's tracking id, in order: each as written and
    without the dots, dashes and underscores around it ("Laporan LPR-0123456789." gives
    "Laporan", "LPR-0123456789.", "LPR-0123456789"); at most 64 characters, the first 30 words."""
    found: list[str] = []
    for word in _WORD.findall(subject or "")[:_MAX_SUBJECT_WORDS]:
        found += [w for w in (word, word.strip("._-")) if w and len(w) <= 64]
    return tuple(_unique(found))


def _address_list(name: str, value: str) -> list[tuple[str, str]]:
    """(display name, addr-spec) pairs; the email package first, parseaddr as the fallback."""
    try:
        found = [
            (a.display_name, f"{a.username}@{a.domain}" if a.domain else a.username)
            for a in POLICY.header_factory(name, value).addresses
        ]
    except Exception:  # why: some malformed address lists make the policy parser raise
        found = []
    return found or [pair for pair in email.utils.getaddresses([value]) if any(pair)]


def _normal_address(address: str) -> str | None:
    """`local@domain` with the domain lower-cased; None when it is not usable as an address."""
    address = (address or "").strip()
    local, at, domain = address.rpartition("@")
    if not (at and local and domain) or " " in address or _one_line(address) != address:
        return None
    return f"{local}@{domain.lower()}"


def _sender(msg) -> dict:
    value = _header(msg, "From")
    pairs = _address_list("from", value) if value else []
    if not pairs:
        return {"name": None, "address": None}
    name, address = pairs[0]
    if not name:  # the old "addr (Full Name)" form: the policy keeps the comment out of the name
        name = email.utils.parseaddr(value)[0]
    return {"name": _one_line(_encoded_words(name)) or None, "address": _normal_address(address)}


def _addresses(msg, name: str) -> list[str]:
    pairs = [
        pair for value in _header_values(msg, name) for pair in _address_list(name.lower(), value)
    ]
    return _unique([address for _, raw in pairs if (address := _normal_address(raw))])


def _ids(value: str | None) -> list[str]:
    """Message ids without their angle brackets; bare tokens when a client left them out."""
    if not value:
        return []
    found = _MSG_ID.findall(value) or [t for t in value.split() if "@" in t and _one_line(t) == t]
    return _unique([i.strip() for i in found if i.strip()])


def _date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(_one_line(value))
    except Exception:  # why: parsedate raises a zoo of errors for nonsense dates
        return None
    # "-0000" and unknown zone names carry no offset: RFC 5322 reads them as UTC.
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).isoformat()


def _unique(items: list) -> list:
    return list(dict.fromkeys(items))
