"""The reference hub's settings: load the hub YAML, check it, resolve paths.

`load_settings(path)` reads the file with `${ENV_VAR}` expansion, validates it
against `hub-config.schema.json` and returns a `HubSettings`; every problem
comes back at once, each with its key path, in one `ConfigError`. Tests build
`HubSettings` directly instead. Not here: opening the store (`store.py`).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy.engine import make_url

from lapor_exchange.problems import problems as schema_problems
from lapor_exchange.problems import validator_for

DEFAULT_LISTEN = "127.0.0.1:8701"
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(Exception):
    """The hub's configuration is wrong: every problem, one per line, each naming its key."""

    def __init__(self, problems: list[str], source: str = "hub config"):
        self.problems, self.source = list(problems), source
        super().__init__("\n".join(f"{source}: {p}" for p in self.problems))


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
        return (
            f"HubSettings(store_url={self.store_url!r}, connectors={sorted(self.connectors.values())!r}, "
            f"faults_enabled={self.faults_enabled!r}, listen={self.listen!r}, "
            f"admin_token={'set' if self.admin_token else None!r})"
        )


@lru_cache(maxsize=1)
def _schema_validator():
    with open(Path(__file__).with_name("hub-config.schema.json"), encoding="utf-8") as fh:
        return validator_for(json.load(fh))


def load_settings(path: str | Path, environ=None) -> HubSettings:
    """Read and check the hub YAML at `path`. Raises ConfigError naming every problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError([f"cannot read it: {exc}"], source=str(path)) from exc
    problems: list[str] = []
    data = _expand(data, os.environ if environ is None else environ, problems, "$")
    if problems:
        raise ConfigError(problems, source=str(path))
    return settings_from_data(data, base_dir=path.resolve().parent, source=str(path))


def _expand(value, environ, problems: list[str], path: str):
    """`${NAME}` (must be set) and `${NAME:-fallback}` in string values, recursively."""
    if isinstance(value, dict):
        return {k: _expand(v, environ, problems, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, environ, problems, f"{path}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if environ.get(match.group(1)):
            return environ[match.group(1)]
        if match.group(2) is None:
            problems.append(f"{path}: environment variable {match.group(1)} is not set")
        return match.group(2) or ""

    return _ENV_REF.sub(substitute, value)


def settings_from_data(data, base_dir: Path, source: str = "hub config") -> HubSettings:
    """Check already-loaded config data; relative SQLite paths resolve against `base_dir`."""
    problems = [str(p) for p in schema_problems(data, _schema_validator())]
    if problems:
        raise ConfigError(problems, source=source)
    connectors = _connectors(data["connectors"], problems)
    if data.get("admin_token") in connectors:
        # One token must not be both a region and the national side.
        problems.append(
            f"$.admin_token: the same token is already given to {connectors[data['admin_token']]!r}"
        )
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
            problems.append(
                f"$.connectors[{i}].token: the same token is already given to {by_token[entry['token']]!r}"
            )
        seen_ids.add(entry["id"])
        by_token.setdefault(entry["token"], entry["id"])
    return by_token


def resolve_store_url(url: str, base_dir: Path) -> str:
    """Make a relative SQLite file path absolute against `base_dir`; other URLs unchanged."""
    parsed = make_url(url)
    database = parsed.database
    if (
        parsed.get_backend_name() != "sqlite"
        or not database
        or database == ":memory:"
        or database.startswith("file:")
    ):
        return url
    if Path(database).is_absolute():
        return url
    return parsed.set(database=str((base_dir / database).resolve())).render_as_string(
        hide_password=False
    )
