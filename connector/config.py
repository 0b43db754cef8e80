"""Load and check the connector's configuration.

The YAML file is read with `${ENV_VAR}` expansion, checked against
schemas/config.schema.json merged with each channel kind's own settings schema,
and given its defaults. Every problem comes back at once, one line each, naming
the key (`hub.token: environment variable LAPOR_HUB_TOKEN is not set`,
`channels[0].profil: unknown key`). Relative paths in the file (SQLite store,
profiles) are resolved against the file's folder.

Not here: building channel objects (see `connector.channels.build`).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector import channels
from connector.errors import ConfigError
from connector.support.data import data_path
from connector.support.schemas import load_schema, validator_for
from connector.support.schemas import problems as schema_problems
from connector.support.yamlfile import expand, read_yaml


@dataclass
class Config:
    data: dict
    path: Path | None = None

    @property
    def connector_id(self) -> str:
        return self.data["connector"]["id"]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.data["connector"]["timezone"])

    @property
    def store_url(self) -> str:
        return self.data["store"]["url"]

    @property
    def hub(self) -> dict:
        return self.data["hub"]

    @property
    def retry(self) -> dict:
        return self.data["retry"]

    @property
    def delivery(self) -> dict:
        return self.data["delivery"]

    @property
    def web(self) -> dict:
        return self.data["web"]

    @property
    def channels(self) -> list[dict]:
        return self.data["channels"]

    @property
    def base_dir(self) -> Path:
        return self.path.resolve().parent if self.path else Path.cwd()

    def resolve(self, relative: str) -> Path:
        path = Path(relative)
        return path if path.is_absolute() else (self.base_dir / path)


def load(path: str | Path, environ=None) -> Config:
    """Read, expand, check and complete the config at `path`. Raises ConfigError."""
    path = Path(path)
    data = read_yaml(path, interpolate=False)
    env_problems: list[str] = []
    data = expand(data, os.environ if environ is None else environ, env_problems)
    return from_data(data, path, env_problems)


def from_data(data, path: Path | None = None, env_problems: list[str] = ()) -> Config:
    source = str(path) if path else "config"
    if not isinstance(data, dict):
        raise ConfigError(
            ["the file must hold a mapping of settings (connector, store, hub, channels …)"],
            source=source,
        )
    env_keys = {line.split(":", 1)[0] for line in env_problems}
    found = list(env_problems)
    found += [
        line
        for line in map(_line, schema_problems(data, _full_schema(data)))
        if line.split(":", 1)[0] not in env_keys
    ]
    found += _check_semantics(data)
    if found:
        raise ConfigError(found, source=source)
    data = _with_defaults(copy.deepcopy(data), load_schema("config"))
    config = Config(data, path)
    _resolve_paths(config)
    return config


def _full_schema(data: dict):
    """config.schema.json with one branch per configured channel kind (unknown keys are errors)."""
    schema = copy.deepcopy(load_schema("config"))
    base = schema["$defs"]["channel"]
    kinds = channels.known_kinds()
    branches = []
    for kind in kinds:
        settings = channels.channel_class(kind).settings_schema
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {
                    "properties": settings.get("properties", {}),
                    "required": settings.get("required", []),
                },
            }
        )
    schema["$defs"]["channel"] = {
        "allOf": [base, *branches],
        "properties": {"kind": {"enum": kinds}},
    }
    return validator_for(schema)


def _unknown_channel_keys(i: int, channel) -> list[str]:
    """Keys neither every channel nor this channel's kind knows (typos)."""
    if not isinstance(channel, dict) or channel.get("kind") not in channels.KINDS:
        return []
    allowed = set(load_schema("config")["$defs"]["channel"]["properties"])
    allowed |= set(channels.channel_class(channel["kind"]).settings_schema.get("properties", {}))
    return [
        f"channels[{i}].{key}: unknown key for a {channel['kind']} channel"
        for key in channel
        if key not in allowed
    ]


def _line(problem) -> str:
    path = (
        problem.path[2:]
        if problem.path.startswith("$.")
        else problem.path.lstrip("$") or "(top level)"
    )
    message = "unknown key" if problem.message == "is not a known field" else problem.message
    return f"{path}: {message}"


def _check_semantics(data: dict) -> list[str]:
    found = []
    zone = (data.get("connector") or {}).get("timezone")
    if isinstance(zone, str):
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            found.append(f"connector.timezone: unknown time zone '{zone}'")
    seen = set()
    for i, channel in enumerate(data.get("channels") or []):
        found += _unknown_channel_keys(i, channel)
        cid = channel.get("id") if isinstance(channel, dict) else None
        if cid in seen:
            found.append(f"channels[{i}].id: '{cid}' is used by another channel")
        seen.add(cid)
    return found


def _with_defaults(value, schema: dict):
    """Fill in `default`s from the schema for absent keys (objects only)."""
    if "$ref" in schema:
        schema = load_schema("config")["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    if isinstance(value, dict):
        for key, sub in schema.get("properties", {}).items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            elif key not in value and sub.get("type") == "object":
                value[key] = _with_defaults({}, sub)
            elif key in value:
                value[key] = _with_defaults(value[key], sub)
    elif isinstance(value, list) and "items" in schema:
        value = [_with_defaults(v, schema["items"]) for v in value]
    return value


def _resolve_paths(config: Config) -> None:
    url = config.store_url
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix + ":memory:":
        config.data["store"]["url"] = prefix + str(config.resolve(url[len(prefix) :]))
    for channel in config.channels:
        if isinstance(channel.get("profile"), str):
            channel["profile"] = str(config.resolve(channel["profile"]))
    sla = config.data["sla"]
    sla["calendar"] = (
        str(config.resolve(sla["calendar"]))
        if sla.get("calendar")
        else str(data_path("mappings", "calendar", "id-holidays.csv"))
    )
