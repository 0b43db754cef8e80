"""Read a YAML file and expand `${ENV_VAR}` references in its string values.

`${NAME}` must be set in the environment; `${NAME:-fallback}` uses the fallback
when it is not. Every unset variable is reported with the key that names it,
all at once, as a `ConfigError`. Used for the connector's config, the hub's
config and mapping profiles.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from connector.errors import ConfigError

_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def read_yaml(path: str | Path, environ=None, interpolate: bool = True):
    """Load `path`; returns plain data. Raises ConfigError naming every problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read file: {exc.strerror}"], source=str(path)) from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise ConfigError(
            [f"{where}not valid YAML ({getattr(exc, 'problem', exc)})"], source=str(path)
        ) from exc
    if not interpolate:
        return data
    problems: list[str] = []
    data = expand(data, os.environ if environ is None else environ, problems)
    if problems:
        raise ConfigError(problems, source=str(path))
    return data


def expand(value, environ, problems: list[str], path: str = ""):
    """Return `value` with ${VAR} references expanded; appends one line per unset variable."""
    if isinstance(value, dict):
        return {
            k: expand(v, environ, problems, f"{path}.{k}" if path else str(k))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [expand(v, environ, problems, f"{path}[{i}]") for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def substitute(match: re.Match) -> str:
        name, fallback = match.group(1), match.group(2)
        if name in environ and environ[name] != "":
            return environ[name]
        if fallback is not None:
            return fallback
        problems.append(f"{path}: environment variable {name} is not set")
        return ""

    return _REF.sub(substitute, value)
