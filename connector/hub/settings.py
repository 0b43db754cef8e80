"""The reference hub's settings: load the hub YAML, check it, resolve paths.

`load_settings(path)` reads the file with `${ENV_VAR}` expansion, validates it
against `hub-config.schema.json` and returns a `HubSettings`; every problem
comes back at once, each with its key path, in one `ConfigError`. Tests build
`HubSettings` directly instead. Not here: opening the store (`store.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy.engine import make_url

from ..errors import ConfigError
from ..validate import problems as schema_problems
from ..validate import validator_for
from ..yamlfile import read_yaml

DEFAULT_LISTEN = "127.0.0.1:8701"


@dataclass(frozen=True)
class HubSettings:
    """What the hub needs to run. `connectors` maps bearer token -> connector id;
    `admin_token` is the national side's (None: no admin API)."""

    store_url: str
    connectors: dict[str, str] = field(default_factory=dict)
    faults_enabled: bool = False
    listen: str = DEFAULT_LISTEN
    admin_token: str | None = None

    def __repr__(self) -> str:
        # Tokens are secrets: keep them out of logs and tracebacks.
        return (f"HubSettings(store_url={self.store_url!r}, connectors={sorted(self.connectors.values())!r}, "
                f"faults_enabled={self.faults_enabled!r}, listen={self.listen!r}, "
                f"admin_token={'set' if self.admin_token else None!r})")


@lru_cache(maxsize=1)
def _schema_validator():
    with open(Path(__file__).with_name("hub-config.schema.json"), encoding="utf-8") as fh:
        return validator_for(json.load(fh))


def load_settings(path: str | Path, environ=None) -> HubSettings:
    """Read and check the hub YAML at `path`. Raises ConfigError naming every problem."""
    path = Path(path)
    data = read_yaml(path, environ=environ)
    return settings_from_data(data, base_dir=path.resolve().parent, source=str(path))


def settings_from_data(data, base_dir: Path, source: str = "hub config") -> HubSettings:
    """Check already-loaded config data; relative SQLite paths resolve against `base_dir`."""
    problems = [str(p) for p in schema_problems(data, _schema_validator())]
    if problems:
        raise ConfigError(problems, source=source)
    connectors = _connectors(data["connectors"], problems)
    if data.get("admin_token") in connectors:
        # One token must not be both a region and the national side.
        problems.append(f"$.admin_token: the same token is already given to {connectors[data['admin_token']]!r}")
    if problems:
        raise ConfigError(problems, source=source)
    return HubSettings(
        store_url=resolve_store_url(data["store"]["url"], base_dir),
        connectors=connectors,
        faults_enabled=data.get("faults_enabled", False),
        listen=data.get("listen", DEFAULT_LISTEN),
        admin_token=data.get("admin_token"),
    )


def _connectors(entries: list[dict], problems: list[str]) -> dict[str, str]:
    by_token: dict[str, str] = {}
    seen_ids: set[str] = set()
    for i, entry in enumerate(entries):
        if entry["id"] in seen_ids:
            problems.append(f"$.connectors[{i}].id: connector {entry['id']!r} is listed twice")
        if entry["token"] in by_token:
            # Never echo the token itself.
            problems.append(f"$.connectors[{i}].token: the same token is already given to {by_token[entry['token']]!r}")
        seen_ids.add(entry["id"])
        by_token.setdefault(entry["token"], entry["id"])
    return by_token


def resolve_store_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite file path absolute against `base_dir`; other URLs unchanged."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return url
    if Path(database).is_absolute():
        return url
    return parsed.set(database=str((base_dir / database).resolve())).render_as_string(hide_password=False)
