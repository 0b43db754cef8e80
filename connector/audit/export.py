"""The auditor's copy: the chain written as CSV or JSON Lines, and read back for `verify`."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO

from sqlalchemy.orm import Session

from connector.audit.chain import at_text
from connector.audit.verification import EXPORT_COLUMNS, stream
from connector.store.models import AuditEntry
from connector.timeutil import as_utc
from lapor_exchange.canonical import canonical_json

# -- export -----------------------------------------------------------------------------


def export(
    session: Session,
    out: IO[str],
    fmt: str,
    since: datetime | None = None,
    until: datetime | None = None,
) -> int:
    """Write the entries with since <= at < until (either bound optional) to `out` as
    `csv` (with a header; data as canonical JSON; no ref is an empty cell) or `jsonl`
    (one canonical JSON object a line). Times are written as hashed (`at_text`), so the
    file can be checked with `verify(read_export(...))`. Returns the entries written."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"unknown export format {fmt!r}: csv or jsonl")
    conditions = [AuditEntry.at >= _aware(since, "since")] if since else []
    conditions += [AuditEntry.at < _aware(until, "until")] if until else []
    writer = csv.writer(out, lineterminator="\n") if fmt == "csv" else None
    if writer:
        writer.writerow(EXPORT_COLUMNS)
    count = 0
    for row in stream(session, *conditions):
        record = dict(row, at=at_text(row["at"]))
        if writer:
            writer.writerow(
                [
                    *(record[c] for c in ("seq", "at", "kind")),
                    record["ref"] or "",
                    canonical_json(record["data"]),
                    record["prev_hash"],
                    record["hash"],
                ]
            )
        else:
            out.write(canonical_json(record) + "\n")
        count += 1
    return count


def read_export(lines: Iterable[str], fmt: str) -> Iterator[dict]:
    """The entries of an `export` file, as mappings `verify` takes."""
    if fmt == "jsonl":
        yield from (json.loads(line) for line in lines if line.strip())
    elif fmt == "csv":
        for row in csv.DictReader(lines):
            yield {
                **row,
                "seq": int(row["seq"]),
                "ref": row["ref"] or None,
                "data": json.loads(row["data"]),
            }
    else:
        raise ValueError(f"unknown export format {fmt!r}: csv or jsonl")


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return as_utc(value)
