"""Cursors: where each pulling source (a channel, the hub's feed) continues from.
The value is opaque text owned by whoever pulls; it is written in the same
transaction as what was pulled."""

from __future__ import annotations

from connector.store.models import Cursor


def get_cursor(session, channel_id: str) -> str | None:
    row = session.get(Cursor, channel_id)
    return row.value if row else None


def set_cursor(session, channel_id: str, value: str) -> None:
    row = session.get(Cursor, channel_id)
    if row is None:
        session.add(Cursor(channel_id=channel_id, value=value))
    else:
        row.value = value
