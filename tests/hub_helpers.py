"""Helpers for tests that talk to the reference hub: valid reports and status
updates, and a running hub.

`make_report` builds a report that passes schemas/report.schema.json;
`make_update` a region status update that passes schemas/status-update.schema.json;
`running_hub` starts the hub on a free loopback port over a temporary SQLite file.
"""

from __future__ import annotations

import copy
from contextlib import contextmanager
from pathlib import Path

from lapor_exchange.wsgi import ServerThread
from lapor_hub.app import create_app
from lapor_hub.settings import HubSettings

KALSEL_TOKEN = "tok-kalsel"
KALTIM_TOKEN = "tok-kaltim"
ADMIN_TOKEN = "tok-admin-nasional"
TOKENS = {KALSEL_TOKEN: "kalsel", KALTIM_TOKEN: "kaltim"}

_BASE_REPORT = {
    "schema_version": "1",
    "source": {
        "connector_id": "kalsel",
        "channel_id": "laporpaman",
        "channel": "portal",
        "source_ref": "LP-0001",
        "received_at": "2025-03-04T09:15:00+08:00",
    },
    "classification": "pengaduan",
    "title": "Jalan berlubang di Jl. A. Yani km 32",
    "title_derived": False,
    "body": "Sudah dua bulan jalan berlubang dan membahayakan pengendara motor.",
    "location": {"text": "Jl. A. Yani km 32, Banjarbaru", "region_code": "63.72"},
    "category": {"code": "pekerjaan_umum", "label": "Pekerjaan Umum dan Penataan Ruang"},
    "privacy": {"anonymous": False, "confidential": False},
    "attachments": [],
    "submitted_at": "2025-03-04T08:50:00+08:00",
}


def make_report(
    source_ref: str = "LP-0001",
    *,
    connector_id: str = "kalsel",
    channel_id: str = "laporpaman",
    **fields,
) -> dict:
    """A valid report with this source triple; keyword arguments replace top-level fields."""
    report = copy.deepcopy(_BASE_REPORT)
    report["source"].update(connector_id=connector_id, channel_id=channel_id, source_ref=source_ref)
    report.update(fields)
    return report


def make_update(
    tracking_id: str,
    update_id: str,
    *,
    status: str | None = None,
    message: str | None = None,
    occurred_at: str = "2025-03-05T10:00:00+08:00",
    connector_id: str = "kalsel",
    channel_id: str = "laporpaman",
    actor: str = "admin_daerah",
    **fields,
) -> dict:
    """A valid region update (give a status, a message or both); keyword arguments add or replace fields."""
    update = {
        "schema_version": "1",
        "update_id": update_id,
        "tracking_id": tracking_id,
        "origin": {"side": "region", "connector_id": connector_id, "channel_id": channel_id},
        "actor": actor,
        "occurred_at": occurred_at,
    }
    update.update(
        {
            name: value
            for name, value in (("status", status), ("message", message))
            if value is not None
        }
    )
    update.update(fields)
    return update


def auth(token: str = KALSEL_TOKEN) -> dict:
    return {"Authorization": f"Bearer {token}"}


def hub_settings(
    folder: Path,
    *,
    faults_enabled: bool = True,
    store_url: str | None = None,
    admin_token: str | None = ADMIN_TOKEN,
) -> HubSettings:
    return HubSettings(
        store_url=store_url or f"sqlite:///{folder / 'hub.db'}",
        connectors=dict(TOKENS),
        faults_enabled=faults_enabled,
        admin_token=admin_token,
    )


@contextmanager
def running_hub(folder: Path, **settings):
    """Yield (app, server) for a hub on 127.0.0.1:<free port>; stops it afterwards."""
    app = create_app(hub_settings(folder, **settings))
    try:
        with ServerThread(app, "127.0.0.1", 0, name="hub") as server:
            yield app, server
    finally:
        app.extensions["lapor_hub"].close()
