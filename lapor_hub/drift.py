"""Drift for tests and demos: change the hub's reports behind the exchange's back, so
that reconciliation has something to find.

Each change is what a mishap at the national side would leave: a report lost
(removed with its updates), a status set by a database fix (no update recorded,
nothing in the feed), content replaced (with its content hash), a tracking id
changed. Every function returns the report as `exchange.get_report` shows it (for
a removal, as it was) and raises `DriftError` when the change cannot be made.
Only a hub whose settings enable faults exposes these (`drift_api.py`).

Not here: HTTP, the admin token and the faults switch (`drift_api.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from lapor_exchange.canonical import canonical_json, sha256_bytes
from lapor_exchange.documents import REPORT
from lapor_exchange.documents import schema as load_schema
from lapor_exchange.problems import problems as schema_problems
from lapor_exchange.problems import validator_for

from . import exchange
from .store import HubReport, HubUpdate, begin_writing, row_id_for, tracking_id_for

log = logging.getLogger(__name__)

_STATUS_SCHEMA = load_schema(REPORT)["$defs"]["status"]
_TRACKING_ID_SCHEMA = {
    k: v for k, v in load_schema(REPORT)["$defs"]["tracking_id"].items() if k != "description"
}
DRIFT_SCHEMAS = {
    "status": {
        "type": "object",
        "additionalProperties": False,
        "required": ["status"],
        "properties": {"status": _STATUS_SCHEMA},
    },
    "content": {
        "type": "object",
        "additionalProperties": False,
        "required": ["report"],
        "properties": {
            "report": {"type": "object", "description": "A valid report with the same source."}
        },
    },
    "tracking_id": {
        "type": "object",
        "additionalProperties": False,
        "required": ["tracking_id"],
        "properties": {
            "tracking_id": {
                **_TRACKING_ID_SCHEMA,
                "maxLength": 32,
                "description": "The contract's tracking id, at most 32 characters (the column's width).",
            }
        },
    },
}
_validators = {
    name: validator_for({"$schema": "https://json-schema.org/draft/2020-12/schema", **schema})
    for name, schema in DRIFT_SCHEMAS.items()
}


class DriftError(Exception):
    """The change was not made. `code`: unknown_report (404), invalid_drift (400: not a
    valid body), or, for a valid body at odds with what the hub holds (409),
    source_changed, tracking_id_taken or tracking_id_reserved."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def body_problems(kind: str, body) -> list[dict]:
    """What is wrong with the body of a `kind` change (a key of DRIFT_SCHEMAS); [] when fine."""
    return [p.as_dict() for p in schema_problems(body, _validators[kind])]


def remove_report(sessions: sessionmaker, tracking_id: str) -> dict:
    """Remove a report and every update recorded for it, as if the hub had lost it."""
    with sessions.begin() as session:
        begin_writing(session)
        row = _report(session, tracking_id)
        view = exchange.get_report(session, None, tracking_id)
        session.execute(delete(HubUpdate).where(HubUpdate.report_id == row.id))
        session.delete(row)
    log.warning("drift: removed report %s of %s", tracking_id, row.connector_id)
    return view


def set_status(sessions: sessionmaker, tracking_id: str, status: str) -> dict:
    """Set the report's status and nothing else: no update recorded, nothing in the feed."""
    return _change(sessions, tracking_id, lambda session, row: setattr(row, "status", status))


def set_content(sessions: sessionmaker, tracking_id: str, report: dict) -> dict:
    """Replace the stored report (and its content hash) with `report`, a valid report
    with the stored one's source triple."""

    def replace(session: Session, row: HubReport) -> None:
        problems = [f"$.report{p.path[1:]}: {p.message}" for p in schema_problems(report, REPORT)]
        if problems:
            raise DriftError("invalid_drift", "; ".join(problems))
        if _source_key(report) != (row.connector_id, row.channel_id, row.source_ref):
            raise DriftError(
                "source_changed",
                "$.report.source: must keep the stored report's connector_id, "
                "channel_id and source_ref",
            )
        row.report_json = canonical_json(report)
        row.content_hash = sha256_bytes(row.report_json.encode("utf-8"))

    return _change(sessions, tracking_id, replace)


def _source_key(report: dict) -> tuple[str, str, str]:
    source = report["source"]
    return source["connector_id"], source["channel_id"], source["source_ref"]


def set_tracking_id(sessions: sessionmaker, tracking_id: str, new: str) -> dict:
    """Give the report the tracking id `new`, one no other report has and the hub will
    not issue later."""

    def rename(session: Session, row: HubReport) -> None:
        if new != tracking_id and session.scalar(
            select(HubReport.id).where(HubReport.tracking_id == new)
        ):
            raise DriftError("tracking_id_taken", f"another report already has tracking id {new!r}")
        row_id = row_id_for(new)
        # The hub's own ids up to its highest row's were issued already and never will be
        # again; a higher one would be, and the insert of that later report would fail.
        issued = session.scalar(select(func.max(HubReport.id)))
        if row_id is not None and tracking_id_for(row_id) == new and row_id > issued:
            raise DriftError(
                "tracking_id_reserved",
                f"the hub would give {new!r} to a later report; "
                f"pick one of another form, such as 'X-{new}'",
            )
        row.tracking_id = new

    return _change(sessions, tracking_id, rename)


def _change(
    sessions: sessionmaker, tracking_id: str, change: Callable[[Session, HubReport], None]
) -> dict:
    with sessions.begin() as session:
        begin_writing(session)
        row = _report(session, tracking_id)
        change(session, row)
        session.flush()
        view = exchange.get_report(session, None, row.tracking_id)
    log.warning("drift: changed report %s of %s", tracking_id, row.connector_id)
    return view


def _report(session: Session, tracking_id: str) -> HubReport:
    row = session.scalar(
        select(HubReport).where(HubReport.tracking_id == tracking_id).with_for_update()
    )
    if row is None:
        raise DriftError("unknown_report", f"no report with tracking id {tracking_id!r}")
    return row
