"""What an audit entry may hold: ids, hashes, counts, never personal data.

`check_event` refuses values that look like an address, an Indonesian mobile number or a
NIK, so a careless caller fails in tests instead of leaking into a log that can never be
cleaned. Keys named like a mail Message-ID (`external_id`, `message_id`, `source_ref`) and
`ref` may hold the address-shaped `id@host` of a Message-ID; phone numbers and NIK are
refused everywhere.
"""

from __future__ import annotations

import math
import re

MAX_KIND = 40
MAX_REF = 600

# -- the personal-data guard ----------------------------------------------------------

_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])"
)
# 08…, 628…, +62 8…: Indonesian mobile numbers, with the spaces, dots or dashes people type
# (not inside a longer number: 1.081.234.567 is an amount, 0.8123456 a fraction).
_PHONE = re.compile(r"(?<![\w+.])(?:\+62[ .-]?|62[ .-]?|0)8\d(?:[ .-]?\d){6,10}(?!\w)")
# NIK: 16 digits (as typed: maybe grouped with spaces, dots or dashes), then the structure:
# province (11-94), regency, district, day of birth (01-31, +40 for women), month, year, serial.
_SIXTEEN_DIGITS = re.compile(r"(?<![\w.])\d(?:[ .-]?\d){15}(?![ .-]?\d|\w)")
_NIK = re.compile(
    r"(?:1[1-9]|[2-8]\d|9[0-4])\d{4}(?:0[1-9]|[12]\d|3[01]|4[1-9]|[56]\d|7[01])(?:0[1-9]|1[0-2])\d{6}"
)
# A mail Message-ID is `id-left@id-right`: the email channel's external ids look like addresses.
# Keys whose values embed a source reference, which for email is a Message-ID (id@host).
_MESSAGE_ID_KEYS = frozenset(
    {"external_id", "message_id", "source_ref", "update_id", "key", "winner", "loser"}
)


def _check_no_personal_data(data, path: str = "data") -> None:
    """Raise ValueError naming the path of the first value (or key) that looks like an
    e-mail address, an Indonesian mobile number or a 16-digit NIK."""
    if isinstance(data, dict):
        for key, value in data.items():
            check_value(str(key), f"{path}: a key")
            if isinstance(value, str) and key in _MESSAGE_ID_KEYS:
                check_value(value, f"{path}.{key}", allow_message_id=True)
            else:
                _check_no_personal_data(value, f"{path}.{key}")
    elif isinstance(data, list | tuple):
        for i, value in enumerate(data):
            _check_no_personal_data(value, f"{path}[{i}]")
    elif isinstance(data, (str, int)) and not isinstance(data, bool):
        check_value(str(data), path)


def check_value(value: str, path: str, allow_message_id: bool = False) -> None:
    # The value itself is never put in the message: it is the personal data.
    if not allow_message_id and _EMAIL.search(value):
        raise ValueError(
            f"audit {path} looks like an e-mail address: the audit log must not hold personal data"
        )
    if _PHONE.search(value):
        raise ValueError(
            f"audit {path} looks like a phone number: the audit log must not hold personal data"
        )
    if any(_NIK.fullmatch(re.sub(r"\D", "", m.group())) for m in _SIXTEEN_DIGITS.finditer(value)):
        raise ValueError(
            f"audit {path} looks like a NIK: the audit log must not hold personal data"
        )


def check_event(kind, ref, data) -> tuple[str, str | None, dict]:
    # No message here repeats what it refuses: that may be the personal data.
    if not isinstance(kind, str) or not kind or len(kind) > MAX_KIND:
        raise ValueError(f"audit kind must be a name of 1 to {MAX_KIND} characters")
    if ref is not None and (not isinstance(ref, str) or not ref or len(ref) > MAX_REF):
        raise ValueError(f"audit ref must be None or a text of 1 to {MAX_REF} characters")
    if not isinstance(data, dict | None):
        raise ValueError("audit data must be a JSON object")
    check_value(kind, "kind")
    if ref is not None:
        check_value(ref, "ref", allow_message_id=True)
    _check_no_personal_data(data or {})  # first: the paths in _plain_json's messages hold keys
    return kind, ref, _plain_json(data or {}, "data")


def _plain_json(value, path: str):
    """`value` as it will come back from either database, so the hash still matches:
    tuples become lists; keys must be text; floats must be finite and print without an
    exponent (PostgreSQL's jsonb turns 1e+16 into 10000000000000000)."""
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise ValueError(f"audit {path}: keys must be text")
        return {k: _plain_json(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) >= 1e16:
            raise ValueError(
                f"audit {path}: {value!r} does not survive storage unchanged; use an int or a text"
            )
        return value + 0.0  # -0.0 is stored as 0
    if value is None or isinstance(value, (str, int, bool)):
        return value
    raise ValueError(f"audit {path}: {type(value).__name__} is not JSON")
