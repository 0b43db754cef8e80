"""Where the project's data files live: `schemas/` and `mappings/`.

In a source checkout (or an editable install) they sit beside the package; a
regular install puts them under `<prefix>/share/lapor-connector/`.
"""

from __future__ import annotations

import sys
from pathlib import Path

_CANDIDATE_ROOTS = (
    Path(__file__).resolve().parents[2],
    Path(sys.prefix) / "share" / "lapor-connector",
)


def data_path(*parts: str) -> Path:
    """Return the path of a shipped data file, e.g. data_path("schemas", "report.schema.json")."""
    for root in _CANDIDATE_ROOTS:
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise FileNotFoundError(
        f"shipped data file {'/'.join(parts)} not found under {', '.join(map(str, _CANDIDATE_ROOTS))}"
    )
