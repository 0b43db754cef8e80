"""Lookup tables used by mapping profiles: a profile's code tables, the national
category table (mappings/categories.csv) and the Kemendagri region names
(mappings/regions/*.csv).

Tables are data the operator edits; nothing here hard-codes a category or a
place. Keys match ignoring case, punctuation spacing and repeated white space.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from connector.mapping.transforms import TransformError
from connector.support.data import data_path

_NO_FALLBACK = object()


def table_key(value) -> str:
    return " ".join(str(value).lower().replace("_", " ").split())


@dataclass
class CodeTable:
    """source value → target value, with an optional fallback for unknown values.

    `rules` serve the `keywords` transform: (words, value) pairs tried in order on free
    text; the first rule with any of its words in the text gives the value. `review`
    says whether a fallback flags the record for a person to look at."""

    name: str
    values: dict
    fallback: object = _NO_FALLBACK
    ignore: frozenset = frozenset()
    rules: list = field(default_factory=list)
    review: bool = True
    _index: dict = field(init=False, repr=False)
    _patterns: list = field(init=False, repr=False)

    def __post_init__(self):
        self._index = {table_key(k): v for k, v in self.values.items()}
        self.ignore = frozenset(table_key(v) for v in self.ignore)
        self._patterns = [(_words_pattern(words), value) for words, value in self.rules]

    def match(self, text: str) -> tuple[object, bool]:
        """(value of the first rule whose words occur in `text`, fell_back)."""
        for pattern, value in self._patterns:
            if pattern.search(text):
                return value, False
        if self.has_fallback:
            return self.fallback, True
        raise TransformError(f"matches no rule of table '{self.name}'")

    @property
    def has_fallback(self) -> bool:
        return self.fallback is not _NO_FALLBACK

    def lookup(self, value) -> tuple[object, bool]:
        """(target, fell_back). Raises TransformError for an unknown value without fallback."""
        key = table_key(value)
        if key in self.ignore:
            return None, False
        if key in self._index:
            return self._index[key], False
        if self.has_fallback:
            return self.fallback, True
        raise TransformError(f"is not in table '{self.name}'")


def _words_pattern(words: list[str]) -> re.Pattern:
    body = "|".join(re.escape(w.strip()).replace(r"\ ", r"\s+") for w in words if w.strip())
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", re.IGNORECASE)


def read_table_csv(path: Path) -> dict:
    """A table file: CSV with the columns source,target."""
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if rows and not {"source", "target"} <= set(rows[0]):
        raise ValueError(f"{path.name} needs the columns source,target")
    return {r["source"]: r["target"] for r in rows}


class NationalCategories:
    """The national category table: code → label, with parents for the hierarchy."""

    def __init__(self, rows: list[dict]):
        self._by_code = {r["code"]: r for r in rows}

    @classmethod
    @lru_cache(maxsize=None)
    def load(cls, path: Path | None = None) -> "NationalCategories":
        with open(
            path or data_path("mappings", "categories.csv"), encoding="utf-8", newline=""
        ) as fh:
            return cls(list(csv.DictReader(fh)))

    def __contains__(self, code: str) -> bool:
        return code in self._by_code

    def entry(self, code: str) -> dict:
        row = self._by_code.get(code)
        if row is None:
            raise TransformError("is not a national category code (mappings/categories.csv)")
        return {"code": row["code"], "label": row["label"]}


_LEVEL_DEPTH = {"provinsi": 1, "kabupaten": 2, "kota": 2, "kecamatan": 3, "desa": 4, "kelurahan": 4}


class RegionIndex:
    """Finds Kemendagri region codes in free text by name and alias.

    Addresses are written from small to large ("Jl. …, Kec. …, Kota Banjarbaru"),
    so among the names found the most specific level wins, and at the same level
    the last one written.
    """

    def __init__(self, entries: list[tuple[str, str, int]]):
        # entries: (alias, code, depth); the first name given for a code is its own name
        self._code_of = {}
        self._name_of: dict[str, str] = {}
        for alias, code, depth in entries:
            self._name_of.setdefault(code, alias)
            self._code_of.setdefault(table_key(alias), (code, depth))
        aliases = sorted(self._code_of, key=len, reverse=True)
        body = "|".join(re.escape(a).replace(r"\ ", r"\s+") for a in aliases)
        self._pattern = (
            re.compile(rf"(?<![\w]){'(?:' + body + ')'}(?![\w])", re.IGNORECASE)
            if aliases
            else None
        )

    @classmethod
    @lru_cache(maxsize=None)
    def load(cls, folder: Path | None = None) -> "RegionIndex":
        folder = folder or data_path("mappings", "regions")
        entries = []
        for path in sorted(Path(folder).glob("*.csv")):
            with open(path, encoding="utf-8", newline="") as fh:
                for row in csv.DictReader(fh):
                    depth = _LEVEL_DEPTH.get(row["level"], row["code"].count(".") + 1)
                    names = [row["name"], *filter(None, (row.get("aliases") or "").split("|"))]
                    entries.extend((n.strip(), row["code"], depth) for n in names if n.strip())
        return cls(entries)

    def name(self, code: str) -> str | None:
        """The region's own name ("Kota Banjarbaru" for 63.72)."""
        return self._name_of.get(code)

    def find(self, text: str) -> str | None:
        if not self._pattern or not text:
            return None
        best = None
        for match in self._pattern.finditer(text):
            code, depth = self._code_of[table_key(match.group(0))]
            if best is None or depth >= best[1]:
                best = (code, depth)
        return best[0] if best else None
