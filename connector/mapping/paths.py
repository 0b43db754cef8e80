"""Dotted source paths into a raw record (`pelapor.hp`, `lampiran[0].url`) and into a report.

Shared by the profile and its status map; knows nothing about either.
"""

from __future__ import annotations

import re

MISSING = object()
_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def get_path(record, path: str):
    """Value at a dotted source path (`pelapor.hp`, `lampiran[0].url`), or MISSING."""
    value = record
    for key, index in _PATH_PART.findall(path):
        if index:
            if not isinstance(value, list) or int(index) >= len(value):
                return MISSING
            value = value[int(index)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            return MISSING
    return value


def set_path(target: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    for key in parents:
        target = target.setdefault(key, {})
    target[last] = value
