"""`lapor-exchange check-report`: validate reports in files against the published Report schema.

A file holds one report (a JSON object), several (a JSON array), or one a line (JSON
Lines: `.jsonl`/`.ndjson`, or any file or stdin `-` that is not one JSON text but has a
JSON value on each line). Each report is named `FILE` (the only one), `FILE#INDEX` (in an
array) or `FILE:LINE` (JSON Lines) and printed `ok` or with each problem by its JSON path.
Values under `$.complainant` are never quoted (`lapor_exchange.problems`).

Exit 0 when every report is valid, 1 when any is not, 2 when an input cannot be read as
JSON (the line says which file and what is wrong); every file is still read.

Not here: delivering reports, or anything a hub decides beyond the schema (the connector
id, idempotency).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..jsontext import parse_json
from ..problems import report_problems

EXIT_VALID, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
LINE_SUFFIXES = (".jsonl", ".ndjson")


class UnreadableError(Exception):
    """An input that is not JSON (or JSON Lines); the message names where."""


@dataclass
class Tally:
    valid: int = 0
    invalid: int = 0
    unreadable: int = 0

    def exit_code(self) -> int:
        if self.unreadable:
            return EXIT_UNREADABLE
        return EXIT_INVALID if self.invalid else EXIT_VALID


def check_files(names, out: Callable[[str], None] = print, stdin=None) -> int:
    """Check every report in the files `names` ("-" is stdin); print per report; return the exit code."""
    tally = Tally()
    for name in names:
        try:
            for label, report in reports_in(name, _read(name, stdin)):
                if isinstance(report, UnreadableError):
                    tally.unreadable += 1
                    out(str(report))
                else:
                    _judge(label, report, tally, out)
        except UnreadableError as exc:
            tally.unreadable += 1
            out(str(exc))
    out(
        f"reports: {tally.valid} valid, {tally.invalid} invalid"
        + (f"; unreadable: {tally.unreadable}" if tally.unreadable else "")
    )
    return tally.exit_code()


def _judge(label: str, report, tally: Tally, out) -> None:
    problems = report_problems(report)
    if not problems:
        tally.valid += 1
        out(f"{label} ok")
        return
    tally.invalid += 1
    for problem in problems:
        out(f"{label} {problem}")


def _read(name: str, stdin) -> bytes:
    if name == "-":
        return (stdin or sys.stdin.buffer).read()
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise UnreadableError(f"{name}: cannot be read ({exc.strerror or exc})") from exc


def reports_in(name: str, data: bytes) -> Iterator[tuple[str, object]]:
    """(label, report) for every report of one input; in JSON Lines, a line that is not
    JSON comes as (label, UnreadableError) and the lines after it are still read. Raises
    UnreadableError for an input that cannot be read at all."""
    if not data.strip():
        raise UnreadableError(f"{name}: is empty")
    if name.endswith(LINE_SUFFIXES):
        yield from _lines(name, data)
        return
    try:
        value = parse_json(data)
    except ValueError as exc:
        if _looks_like_lines(data):
            yield from _lines(name, data)
            return
        raise UnreadableError(f"{name}: {exc}") from exc
    if isinstance(value, list):
        if not value:
            raise UnreadableError(f"{name}: an empty array holds no report")
        yield from ((f"{name}#{index}", report) for index, report in enumerate(value))
    else:
        yield name, value


def _looks_like_lines(data: bytes) -> bool:
    """Not one JSON text, but several lines of which the first is a JSON value on its own
    (a pretty-printed file with an error in it is not: its first line is only a bracket)."""
    lines = [line for line in data.splitlines() if line.strip()]
    try:
        return len(lines) > 1 and isinstance(parse_json(lines[0]), dict)
    except ValueError:
        return False


def _lines(name: str, data: bytes) -> Iterator[tuple[str, object]]:
    found = False
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        found = True
        try:
            yield f"{name}:{number}", parse_json(line)
        except ValueError as exc:
            message = str(exc).replace("at line 1 column", "at column")
            yield f"{name}:{number}", UnreadableError(f"{name}:{number}: {message}")
    if not found:
        raise UnreadableError(f"{name}: holds no report")
