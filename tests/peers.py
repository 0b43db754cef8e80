"""Real peers on loopback for integration tests: the portal simulator, the reference
hub (see hub_helpers) and a connector config pointing at them."""

from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml
from hub_helpers import ADMIN_TOKEN, KALSEL_TOKEN, running_hub  # noqa: F401  (re-exported for tests)

from connector import config as config_mod
from connector.daemon import Connector
from connector.outbox import queue as outbox
from lapor_exchange.wsgi import ServerThread
from lapor_testbed.sim.api import create_app as create_portal_app
from lapor_testbed.sim.portal import PortalSim

ROOT = Path(__file__).resolve().parent.parent
PORTAL_TOKEN = "test-portal-token"
LAPORPAMAN = ROOT / "mappings" / "laporpaman.yaml"
V2_PROFILE = ROOT / "tests" / "profiles" / "complaints-v2.yaml"


@contextmanager
def running_portal(**kwargs):
    """Yield (sim, server) for a portal simulator on a free port."""
    kwargs.setdefault("token", PORTAL_TOKEN)
    sim = PortalSim(**kwargs)
    with ServerThread(create_portal_app(sim), "127.0.0.1", 0, name="portal-sim") as server:
        yield sim, server


def deep_update(base: dict, changes: dict) -> dict:
    """Merge `changes` into `base`; a None value removes the key."""
    for key, value in changes.items():
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_update(base[key], value)
        else:
            base[key] = value
    return base


def connector_config(
    folder: Path,
    hub_url: str,
    portal_url: str,
    store_url: str | None = None,
    channel: dict | None = None,
    **changes,
):
    """Write a config YAML for these peers into `folder`, load it the way the daemon does."""
    data = {
        "connector": {"id": "kalsel", "region_code": "63", "timezone": "Asia/Makassar"},
        "store": {"url": store_url or f"sqlite:///{folder / 'connector.db'}"},
        "hub": {"url": hub_url, "token": KALSEL_TOKEN, "batch_size": 50, "timeout_s": 5},
        "retry": {
            "max_attempts": 6,
            "base_delay_s": 0.2,
            "max_delay_s": 2,
            "quick_attempts": 2,
            "quick_max_wait_s": 0.5,
        },
        "delivery": {"every_s": 0.2, "lease_s": 3},
        "web": {"listen": "127.0.0.1:0"},
        "log": {"level": "WARNING"},
        "channels": [
            deep_update(
                {
                    "id": "laporpaman",
                    "kind": "portal",
                    "profile": str(LAPORPAMAN),
                    "base_url": portal_url,
                    "credentials": {"token": PORTAL_TOKEN},
                    "page_size": 25,
                    "poll_every_s": 0.5,
                },
                copy.deepcopy(channel or {}),
            )
        ],
    }
    deep_update(data, changes)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return config_mod.load(path)


def make_connector(folder: Path, hub_server, portal_server, **changes) -> Connector:
    connector = Connector(connector_config(folder, hub_server.url, portal_server.url, **changes))
    connector.store.upgrade()
    return connector


@contextmanager
def connected_world(folder: Path, complaints: int = 30, **changes):
    """Yield (hub_app, hub, sim, portal, connector): a hub, a portal of `complaints` good
    records and a connector that has delivered them all."""
    with (
        running_hub(folder) as (hub_app, hub),
        running_portal(complaints=complaints, bad_share=0) as (sim, portal),
    ):
        connector = make_connector(folder, hub, portal, **changes)
        try:
            drain(connector)
            yield hub_app, hub, sim, portal, connector
        finally:
            connector.close()


def drain(connector: Connector, timeout_s: float = 30.0) -> None:
    """Run cycles (as the daemon would) until nothing that can go out is left."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        connector.cycle()
        with connector.store.transaction() as s:
            if outbox.next_due_in(s, connector.deliverer.route_keys) is None:
                return
        time.sleep(0.1)
    with connector.store.transaction() as s:
        raise AssertionError(f"outbox not drained: {outbox.counts_by_route(s)}")


def act(
    hub_server, tracking_id: str, status: str | None = None, message: str | None = None, **extra
) -> requests.Response:
    """The national side acts on a report, through the hub's admin API."""
    body = {
        k: v for k, v in {"status": status, "message": message, **extra}.items() if v is not None
    }
    return requests.post(
        f"{hub_server.url}/api/v1/admin/reports/{tracking_id}/act",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )


def hub_report(hub_server, tracking_id: str) -> dict:
    return requests.get(
        f"{hub_server.url}/api/v1/admin/reports/{tracking_id}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    ).json()


def local_follow_up(
    portal_server, record_id, isi: str | None = None, status: str | None = None, **extra
) -> dict:
    """A local officer writes a follow-up in the portal."""
    body = {k: v for k, v in {"isi": isi, "status": status, **extra}.items() if v is not None}
    answer = requests.post(
        f"{portal_server.url}/_sim/records/{record_id}/tanggapan", json=body, timeout=10
    )
    answer.raise_for_status()
    return answer.json()["data"]
