"""SMS on the wire: alphabet, segments, concatenation headers, body decoding, phone numbers.

What it does (pure functions, no I/O):
- `is_gsm7`, `gsm7_length`, `ucs2_length`, `encoding_of`: whether text fits the GSM 03.38 default
  alphabet (basic table plus extension table) and what it costs in that encoding.
- `segments`: how an outbound text is cut into SMS parts (the rule is in its docstring).
- `parse_udh`, `udh_from_kannel`: the concatenation element of a User Data Header, from bytes or
  from Kannel's `X-Kannel-UDH` header (URL-encoded bytes; plain hex from other gateways).
- `decode_body`: an incoming body as text from Kannel's coding (`X-Kannel-Coding` / `%c`) and the
  charset of the post; never raises.
- `normalize_phone`: a sender as E.164 (`+62…`), or None for alphanumeric ids and short codes.

What it does not do: send, store or reassemble parts (the SMS channel does, keyed on sender and
`Udh.ref`), pack 7-bit septets (the gateway does), or decide what a citizen meant (`commands`).
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass

# GSM 03.38 basic table, in table order (0x1B, the escape to the extension table, left out).
# 0x09 is the capital Ç as in 3GPP TS 23.038; a small ç is not in the alphabet.
_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each costs two septets (escape + character).
_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153  # a concatenation UDH takes 7 septets of each part
UCS2_SINGLE, UCS2_PART = 70, 67  # ... and 3 UTF-16 code units


def is_gsm7(text: str) -> bool:
    """True when every character is in the GSM 03.38 basic or extension table."""
    return all(ch in _BASIC or ch in _EXTENSION for ch in text)


def gsm7_length(text: str) -> int:
    """Septets `text` takes in GSM-7: extension characters count 2. Characters outside the
    alphabet count 1 each; the number only means something when `is_gsm7(text)`."""
    return sum(2 if ch in _EXTENSION else 1 for ch in text)


def ucs2_length(text: str) -> int:
    """UTF-16 code units: a character outside the BMP (most emoji) counts 2."""
    return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)


def encoding_of(text: str) -> str:
    """ "gsm7" when the whole text fits the GSM alphabet, else "ucs2" (one character decides)."""
    return "gsm7" if is_gsm7(text) else "ucs2"


# --- segments -------------------------------------------------------------------------------


def segments(text: str) -> list[str]:
    """The SMS parts to send `text` as, in order.

    GSM-7 text of at most 160 septets is one part; longer text goes in parts of at most 153
    septets (extension characters count 2). Any character outside the alphabet makes the whole
    message UCS-2: at most 70 UTF-16 code units in one part, else parts of at most 67.

    Where a part is cut: take as many whole units as fit. A unit is never split: an extension
    character with its escape, a surrogate pair, CR LF, and a user-perceived character (a base
    with its combining marks, variation selectors, skin-tone modifiers, ZWJ-joined emoji, a
    regional-indicator flag pair). If the last whitespace unit in that window ends past half the
    part size (more than 76 of 153 septets, more than 33 of 67 code units), the part ends right
    after that whitespace instead, so words stay whole. A unit larger than a part (a pathological
    ZWJ chain) is split into code points, never inside a surrogate pair.

    Nothing is dropped or added: the whitespace at a cut stays at the end of the earlier part, so
    `"".join(segments(t)) == t` exactly (phones join the parts back without a separator). The
    empty text is one empty part. No cap on the part count: the UDH counts to 255 at most, so
    a caller sending very long text must shorten it first.
    """
    gsm = is_gsm7(text)
    cost = gsm7_length if gsm else ucs2_length
    single, size = (GSM7_SINGLE, GSM7_PART) if gsm else (UCS2_SINGLE, UCS2_PART)
    if cost(text) <= single:
        return [text]
    units = _fit_units(_clusters(text), cost, size)
    return _cut(units, [cost(u) for u in units], size)


def _cut(units: list[str], costs: list[int], size: int) -> list[str]:
    parts, start = [], 0
    while start < len(units):
        end, used = start, 0
        while end < len(units) and used + costs[end] <= size:
            used += costs[end]
            end += 1
        if end < len(units):
            end = _word_end(units, costs, start, end, size)
        parts.append("".join(units[start:end]))
        start = end
    return parts


def _word_end(units: list[str], costs: list[int], start: int, end: int, size: int) -> int:
    """`end`, or just after the last whitespace in units[start:end] if it ends past half a part."""
    used = sum(costs[start:end])
    for k in range(end - 1, start - 1, -1):
        if used * 2 <= size:
            break
        if units[k].isspace():
            return k + 1
        used -= costs[k]
    return end


def _fit_units(clusters: list[str], cost, size: int) -> list[str]:
    units = []
    for cluster in clusters:
        units.extend(_code_points(cluster) if cost(cluster) > size else [cluster])
    return units


def _code_points(text: str) -> list[str]:
    """Code points, keeping a high+low surrogate pair (a str built with surrogatepass) together."""
    points, i = [], 0
    while i < len(text):
        j = i + 2 if _is_high(text[i]) and i + 1 < len(text) and _is_low(text[i + 1]) else i + 1
        points.append(text[i:j])
        i = j
    return points


def _clusters(text: str) -> list[str]:
    clusters, i = [], 0
    while i < len(text):
        j = _cluster_end(text, i)
        clusters.append(text[i:j])
        i = j
    return clusters


def _cluster_end(text: str, i: int) -> int:
    """End of the character starting at `i` with everything that must travel with it. A
    simplification of UAX #29 grapheme clusters that covers what phones actually send."""
    n, j = len(text), _point_end(text, i)
    if text[i] == "\r" and j < n and text[j] == "\n":
        return j + 1
    if _is_regional(text[i]) and j < n and _is_regional(text[j]):
        j = _point_end(text, j)
    while j < n:
        if text[j] == "\u200d":  # ZWJ glues the next character to this one
            j = _point_end(text, j + 1) if j + 1 < n else j + 1
        elif _is_extender(text[j]):
            j += 1
        else:
            break
    return j


def _point_end(text: str, i: int) -> int:
    return i + 2 if _is_high(text[i]) and i + 1 < len(text) and _is_low(text[i + 1]) else i + 1


def _is_high(ch: str) -> bool:
    return "\ud800" <= ch <= "\udbff"


def _is_low(ch: str) -> bool:
    return "\udc00" <= ch <= "\udfff"


def _is_regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _is_extender(ch: str) -> bool:
    """Combining marks, variation selectors, emoji skin tones and tag characters."""
    return (
        unicodedata.category(ch) in ("Mn", "Mc", "Me")
        or "\ufe00" <= ch <= "\ufe0f"
        or "\U0001f3fb" <= ch <= "\U0001f3ff"
        or "\U000e0020" <= ch <= "\U000e007f"
        or "\U000e0100" <= ch <= "\U000e01ef"
    )


# --- user data header -----------------------------------------------------------------------


@dataclass(frozen=True)
class Udh:
    """The concatenation element: reference shared by the parts, part count, 1-based number."""

    ref: int
    total: int
    seq: int


# IEI -> (element data length, reference length in bytes), 3GPP TS 23.040 §9.2.3.24.1 and .8
_CONCAT_IE = {0x00: (3, 1), 0x08: (4, 2)}
_HEX_UDH = re.compile(r"(?:[0-9A-Fa-f]{2}[\s:]?)+")


def parse_udh(udh: bytes) -> Udh | None:
    """The concatenation element of a whole UDH (first byte UDHL, then exactly UDHL bytes of
    elements); other elements are skipped. None when there is no concatenation element or the
    header is malformed: length bytes that disagree with the data, total 0, seq 0 or seq > total.
    A repeated concatenation element: the last one counts (TS 23.040 §9.2.3.24)."""
    data = bytes(udh or b"")
    if not data or data[0] + 1 != len(data):
        return None
    found, i = None, 1
    while i < len(data):
        if i + 2 > len(data) or i + 2 + data[i + 1] > len(data):
            return None
        iei, body = data[i], data[i + 2 : i + 2 + data[i + 1]]
        if iei in _CONCAT_IE:
            found = _concat(iei, body)
            if found is None:
                return None
        i += 2 + len(body)
    return found


def _concat(iei: int, body: bytes) -> Udh | None:
    length, ref_len = _CONCAT_IE[iei]
    if len(body) != length:
        return None
    total, seq = body[ref_len], body[ref_len + 1]
    if not 1 <= seq <= total:  # also rejects total 0
        return None
    return Udh(ref=int.from_bytes(body[:ref_len], "big"), total=total, seq=seq)


def udh_from_kannel(value: str) -> bytes:
    """UDH bytes from Kannel's `X-Kannel-UDH` ("%05%00%03%A7%02%01", '+' meaning a 0x20 byte)
    or from plain hex ("050003A70201", spaces or colons between bytes allowed). A value without
    '%' made only of hex pairs is read as hex: a real URL-encoded UDH starts with UDHL, a control
    byte that Kannel always writes as %XX."""
    text = (value or "").strip()
    if "%" not in text and _HEX_UDH.fullmatch(text):
        return bytes.fromhex(re.sub(r"[\s:]", "", text))
    return urllib.parse.unquote_to_bytes(text.replace("+", " "))


# --- incoming body --------------------------------------------------------------------------

_CODING_NAMES = {"7bit": 0, "gsm": 0, "8bit": 1, "binary": 1, "ucs2": 2, "ucs-2": 2, "utf-16": 2}
# Names gateways use that Python's codec registry lacks. "utf-16" sniffs a BOM and defaults to
# big-endian (RFC 2781), where Python's own codec would default to the machine's byte order.
_CHARSET_ALIASES = {
    "ucs-2": "utf-16",
    "ucs2": "utf-16",
    "iso-10646-ucs-2": "utf-16",
    "csunicode": "utf-16",
    "utf-16": "utf-16",
    "utf16": "utf-16",
    "ucs-2be": "utf-16-be",
    "ucs2be": "utf-16-be",
    "ucs-2le": "utf-16-le",
    "ucs2le": "utf-16-le",
}


def decode_body(body: bytes, charset: str | None = None, coding: int | str | None = None) -> str:
    """The text of an incoming SMS body. Never raises: broken bytes become U+FFFD.

    coding 1 (8-bit binary): Latin-1, byte for byte, whatever the charset says.
    coding 2 (UCS-2): the charset when it names one (with `mo-recode` Kannel sends UTF-8), else
    UTF-16BE. coding 0 (7-bit) or unknown: the charset; without a usable charset, UTF-8 when the
    bytes are valid UTF-8, else Latin-1. Surrogate pairs (emoji) decode to one character."""
    if isinstance(body, str):
        return body
    try:
        return _decode(bytes(body or b""), _codec(charset), _coding(coding))
    except Exception:  # noqa: BLE001 - a hostile body or charset must not stop the inbound webhook
        return bytes(body or b"").decode("latin-1") if isinstance(body, (bytes, bytearray)) else ""


def _decode(data: bytes, codec: str | None, coding: int | None) -> str:
    if coding == 1:
        return data.decode("latin-1")
    if coding == 2 and codec is None:
        codec = "utf-16-be"
    if codec == "utf-16":
        return _utf16(data)
    if codec is not None:
        return data.decode(codec, "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _utf16(data: bytes) -> str:
    if data[:2] == b"\xff\xfe":
        return data[2:].decode("utf-16-le", "replace")
    if data[:2] == b"\xfe\xff":
        data = data[2:]
    return data.decode("utf-16-be", "replace")


def _codec(charset: str | None) -> str | None:
    """Python's codec name for a charset label, or None when there is none or it is unknown."""
    name = (charset or "").strip().strip("\"'").strip().lower()
    if not name:
        return None
    if name in _CHARSET_ALIASES:
        return _CHARSET_ALIASES[name]
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    # why: codecs such as rot13 or base64 exist but are not text encodings
    return info.name if getattr(info, "_is_text_encoding", True) else None


def _coding(coding: int | str | None) -> int | None:
    if isinstance(coding, bool):
        return None
    if isinstance(coding, int):
        return coding if coding in (0, 1, 2) else None
    text = str(coding or "").strip().lower()
    if text.isdigit() and int(text) in (0, 1, 2):
        return int(text)
    return _CODING_NAMES.get(text)


# --- phone numbers --------------------------------------------------------------------------

_PHONE_NOISE = re.compile(r"[\s\-.()]")


def normalize_phone(raw: str, country: str = "62") -> str | None:
    """E.164 ("+62812…") for a sender, or None when it is not a phone number.

    Spaces, dashes, dots and parentheses are removed. "+<digits>" and "00<digits>" are already
    international; "<country>…" gets a '+'; "0…" is national (the trunk 0 becomes the country
    code). For Indonesia a bare "8…" of 9–12 digits is a mobile number typed without its 0.
    A 0 written after the country code ("+62 (0)812…") is dropped. The result has 8–15 digits.
    None for letters (alphanumeric sender ids such as "TELKOMSEL"), short codes ("1708", "3636")
    and anything else."""
    if not isinstance(raw, str):
        return None
    match = re.fullmatch(r"(\+?)(\d+)", _PHONE_NOISE.sub("", raw))
    cc = str(country).lstrip("+")
    if not match or not cc.isdigit():
        return None
    digits = _international(match.group(1) == "+", match.group(2), cc)
    if digits is None or digits.startswith("0") or not 8 <= len(digits) <= 15:
        return None
    return "+" + digits


def _international(plus: bool, digits: str, cc: str) -> str | None:
    """The number with its country code, no '+'; None when it cannot be read as a phone."""
    if plus and not digits.startswith("0"):
        full = digits
    elif digits.startswith("00"):
        full = digits[2:]
    elif digits.startswith(cc):
        full = digits
    elif digits.startswith("0"):  # national, or "+0812…": no country code starts with 0
        full = cc + digits[1:]
    elif cc == "62" and digits.startswith("8") and 9 <= len(digits) <= 12:
        full = cc + digits
    else:
        return None
    if full.startswith(cc + "0"):
        full = cc + full[len(cc) + 1 :]
    return full
