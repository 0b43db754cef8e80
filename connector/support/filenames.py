"""Safe file names for attachments: no folder part, no control characters, no leading dots."""

from __future__ import annotations

import re


def safe_filename(name: str | None, limit: int = 255) -> str | None:
    """The last path component of `name`, printable characters only, at most `limit`
    characters (the extension kept); None when nothing usable is left."""
    if not name:
        return None
    base = re.split(r"[\\/]", str(name))[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".").strip()
    if not base:
        return None
    if len(base) > limit:
        stem, dot, ext = base.rpartition(".")
        base = (stem[: limit - len(ext) - 1] + "." + ext) if dot and len(ext) < 16 else base[:limit]
    return base
