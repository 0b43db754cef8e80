"""Masking personal data for the console and the CLI (UU 27/2022: show only what
is needed). Operators see enough to recognise a record, never the whole value.
"""

from __future__ import annotations

import copy

from connector.mapping.paths import MISSING, get_path


def mask_text(value: str, keep: int = 1) -> str:
    text = str(value)
    if len(text) <= keep:
        return "*" * len(text)
    return text[:keep] + "*" * min(8, len(text) - keep)


def mask_phone(value: str) -> str:
    text = str(value)
    return text[:5] + "*" * max(0, len(text) - 8) + text[-3:] if len(text) > 8 else "*" * len(text)


def mask_email(value: str) -> str:
    local, at, domain = str(value).partition("@")
    return mask_text(local) + at + domain if at else mask_text(local)


def mask_id_number(value: str) -> str:
    text = str(value)
    return text[:2] + "*" * max(0, len(text) - 2)


_MASKS = {"name": mask_text, "phone": mask_phone, "email": mask_email, "id_number": mask_id_number}


def mask_report(report: dict) -> dict:
    """A copy of a national report with the complainant's data masked."""
    masked = copy.deepcopy(report)
    complainant = masked.get("complainant")
    if isinstance(complainant, dict):
        for key, value in complainant.items():
            complainant[key] = _MASKS.get(key, mask_text)(value)
    return masked


def mask_record(record, personal_paths: list[str]):
    """A copy of a source record with the values at `personal_paths` (dotted) masked."""
    masked = copy.deepcopy(record)
    for path in personal_paths:
        *parents, last = path.split(".")
        holder = get_path(masked, ".".join(parents)) if parents else masked
        if isinstance(holder, dict) and holder.get(last) not in (None, MISSING, ""):
            holder[last] = (
                mask_text(holder[last], keep=0)
                if not isinstance(holder[last], (dict, list))
                else "***"
            )
    return masked
