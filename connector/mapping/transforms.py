"""The named transforms a mapping profile may use, in one registry.

A transform takes a value that is present (never None), an optional argument
from the profile, and the mapping context; it returns the new value, or None
for "no value". It raises `TransformError` with a message that names the value's
problem; the profile rule decides whether that rejects the record or drops the
field with a warning. Profiles name transforms as strings (`trim`) or one-key
maps (`{date: "%d/%m/%Y"}`); a misspelt name is reported with the valid ones.

Not here: reading source paths, tables of the profile, assembling the report
(see `connector.mapping.profile`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from connector.support.filenames import safe_filename
from lapor_exchange.problems import is_email

_MISSING_ARG = object()


class TransformError(ValueError):
    """The value cannot be transformed. The message is a predicate about the value
    ("is not a date in the form %d/%m/%Y"); the engine puts the value (or, for
    personal data, "the value") and the field in front of it."""


@dataclass(frozen=True)
class Transform:
    name: str
    fn: Callable[[Any, Any, Any], Any]
    arg: str  # "none", "optional" or "required"
    doc: str


REGISTRY: dict[str, Transform] = {}


def transform(name: str, arg: str = "none"):
    def register(fn):
        REGISTRY[name] = Transform(name, fn, arg, (fn.__doc__ or "").strip().splitlines()[0])
        return fn

    return register


def names() -> list[str]:
    return sorted(REGISTRY)


def _text(value) -> str:
    if isinstance(value, (dict, list)):
        raise TransformError(f"is a {type(value).__name__}, not text")
    return str(value)


@transform("trim")
def _trim(value, arg, ctx):
    """Strip white space at both ends and collapse runs inside; empty becomes no value."""
    text = " ".join(_text(value).split())
    return text or None


@transform("lower")
def _lower(value, arg, ctx):
    """Lower-case text."""
    return _text(value).lower()


@transform("upper")
def _upper(value, arg, ctx):
    """Upper-case text."""
    return _text(value).upper()


@transform("truncate", arg="required")
def _truncate(value, arg, ctx):
    """Cut text to at most N characters (an ellipsis marks the cut)."""
    text = _text(value)
    return text if len(text) <= int(arg) else text[: int(arg) - 1].rstrip() + "…"


@transform("first_words", arg="required")
def _first_words(value, arg, ctx):
    """The first N words of the text, for titles the connector derives."""
    words = _text(value).split()
    return " ".join(words[: int(arg)]) + (" …" if len(words) > int(arg) else "") if words else None


@transform("integer")
def _integer(value, arg, ctx):
    """A whole number from a number or digits."""
    if isinstance(value, bool):
        raise TransformError("is not a whole number")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise TransformError("is not a whole number") from None
    return number


@transform("number")
def _number(value, arg, ctx):
    """A decimal number (a comma as decimal separator is accepted)."""
    if isinstance(value, bool):
        raise TransformError("is not a number")
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        raise TransformError("is not a number") from None


_TRUE = {"ya", "y", "iya", "yes", "true", "t", "1", "benar"}
_FALSE = {"tidak", "tdk", "no", "n", "false", "f", "0", "bukan", "salah"}


@transform("boolean")
def _boolean(value, arg, ctx):
    """true/false from ya/tidak, yes/no, true/false, 1/0 (any case); anything else is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise TransformError("is not a yes/no value (ya/tidak, 1/0, true/false)")


@transform("date", arg="optional")
def _date(value, arg, ctx):
    """A calendar date (YYYY-MM-DD) from text in the given strptime format (default ISO 8601)."""
    text = _text(value).strip()
    try:
        parsed = (
            date.fromisoformat(text[:10])
            if arg in (None, "iso")
            else datetime.strptime(text, arg).date()
        )
    except ValueError:
        raise TransformError(f"is not a date in the form {arg or 'YYYY-MM-DD'}") from None
    return parsed.isoformat()


@transform("datetime", arg="optional")
def _datetime(value, arg, ctx):
    """A moment with its UTC offset, from text in the given strptime format (default ISO 8601);
    a time without an offset is read in the profile's time zone."""
    text = _text(value).strip()
    try:
        parsed = (
            datetime.fromisoformat(text) if arg in (None, "iso") else datetime.strptime(text, arg)
        )
    except ValueError:
        raise TransformError(f"is not a date and time in the form {arg or 'ISO 8601'}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.tz)
    return parsed.isoformat()


@transform("phone_e164", arg="optional")
def _phone(value, arg, ctx):
    """A phone number in E.164; 08…, 62… and +62… all become +62… (arg: country code, default 62)."""
    country = str(arg or "62")
    raw = _text(value).strip()
    digits = re.sub(r"[\s().\-/]", "", raw)
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = country + digits[1:]
    elif digits.startswith("8") and country == "62":
        digits = country + digits
    if not digits.isdigit() or not 8 <= len(digits) <= 15 or digits.startswith("0"):
        raise TransformError("is not a phone number")
    if digits.startswith("62") and not 10 <= len(digits) <= 15:
        raise TransformError("is too short or too long for an Indonesian number")
    return "+" + digits


@transform("email")
def _email(value, arg, ctx):
    """An email address (trimmed, domain lower-cased); a malformed one is an error."""
    text = _text(value).strip()
    if not is_email(text):
        raise TransformError("is not an email address")
    local, _, domain = text.rpartition("@")
    return f"{local}@{domain.lower()}"


@transform("digits", arg="optional")
def _digits(value, arg, ctx):
    """Only the digits; with an argument N, exactly N of them (e.g. 16 for a NIK)."""
    digits = re.sub(r"\D", "", _text(value))
    if arg is not None and len(digits) != int(arg):
        raise TransformError(f"has {len(digits)} digits, expected {int(arg)}")
    return digits or None


@transform("filename")
def _filename(value, arg, ctx):
    """A file name without any folder part or control characters."""
    name = safe_filename(_text(value))
    if name is None:
        raise TransformError("has no usable file name")
    return name


@transform("region")
def _region(value, arg, ctx):
    """The Kemendagri code of the most specific region named in free text (mappings/regions/)."""
    code = ctx.regions.find(_text(value))
    if code is None:
        raise TransformError("names no known region")
    return code


@transform("region_name")
def _region_name(value, arg, ctx):
    """The name of the most specific region named in free text ("Kota Banjarbaru"), or nothing:
    a place for channels whose citizens write no address of their own (SMS, email)."""
    code = ctx.regions.find(_text(value))
    return ctx.regions.name(code) if code is not None else None


@transform("region_code")
def _region_code(value, arg, ctx):
    """A Kemendagri code written with or without dots (6372 → 63.72)."""
    digits = re.sub(r"\D", "", _text(value))
    if len(digits) not in (2, 4, 6, 10):
        raise TransformError("is not a Kemendagri region code")
    parts = [digits[:2], digits[2:4], digits[4:6], digits[6:]]
    return ".".join(p for p in parts if p)


@transform("table", arg="required")
def _table(value, arg, ctx):
    """Look the value up in one of the profile's tables (case and spacing ignored)."""
    return ctx.lookup(arg, value)


@transform("keywords", arg="required")
def _keywords(value, arg, ctx):
    """The value of the first rule of a profile table whose words occur in the text
    (word by word, any case); the table's fallback when none does."""
    return ctx.match(arg, _text(value))


@transform("has", arg="required")
def _has(value, arg, ctx):
    """true when a list holds the item (or a text contains it), any case; false otherwise."""
    needle = str(arg).lower()
    if isinstance(value, list):
        return any(str(v).lower() == needle for v in value)
    return needle in _text(value).lower()


@transform("negate")
def _negate(value, arg, ctx):
    """The opposite of a true/false value."""
    if not isinstance(value, bool):
        raise TransformError("is not true or false")
    return not value


@transform("national_category")
def _national_category(value, arg, ctx):
    """{code, label} of a national category code (mappings/categories.csv)."""
    return ctx.categories.entry(_text(value))


@transform("list_of_text")
def _list_of_text(value, arg, ctx):
    """Join a list of strings with a line break; text passes through."""
    if isinstance(value, list):
        return "\n".join(str(v) for v in value if v not in (None, "")) or None
    return _text(value)
