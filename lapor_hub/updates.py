"""Judge and record status updates to the hub's reports, from either side.

`apply_updates` is the one place that decides what an update does to a report;
every entry point (a connector's batch or single update, the national side's
act) reaches it through `apply_in_transaction`, one transaction per call. Each
update gets exactly one answer, in input order:

    rejected            not a status update (schema), or sent in another side's name
    unknown_report      no such tracking id, or another connector's report
    duplicate/conflict  the update id was seen before, with the same / other content
    applied             a message only (status unchanged), or a status that wins
    stale               older than the report's status (`status.wins`); kept as history
    noop                the status the report already has, and no message
    illegal_transition  not allowed from the report's status; NOT recorded

Applied, stale and noop updates are recorded in `hub_updates`; the others leave
no row, so a resend after the report moved on is judged afresh. The transition
check runs here for both sides because at the hub both sides' changes are made
(docs/design.md, "Who checks transitions").

Not here: HTTP (`updates_api.py`), building the national side's update
(`national.py`), reading updates back (`feed.py`).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from lapor_exchange.canonical import content_hash
from lapor_exchange.documents import STATUS_UPDATE
from lapor_exchange.problems import problems as schema_problems
from lapor_exchange.status import (
    HUB,
    REGION,
    illegal_transition_reason,
    is_transition_allowed,
    wins,
)

from .store import HubReport, HubUpdate, begin_writing

log = logging.getLogger(__name__)

APPLIED, DUPLICATE, CONFLICT, STALE, NOOP = "applied", "duplicate", "conflict", "stale", "noop"
ILLEGAL_TRANSITION, UNKNOWN_REPORT, REJECTED = "illegal_transition", "unknown_report", "rejected"
UPDATE_OUTCOMES = (
    APPLIED,
    DUPLICATE,
    STALE,
    NOOP,
    ILLEGAL_TRANSITION,
    UNKNOWN_REPORT,
    CONFLICT,
    REJECTED,
)
RECORDED = (APPLIED, STALE, NOOP)
# Two batches racing to record the same new update id (PostgreSQL): the loser hits
# the unique constraint, and judging again from a fresh read makes it a duplicate.
_RACE_ATTEMPTS = 5


@dataclass
class UpdateAnswer:
    """The answer to one update; `status`/`status_at` are the report's right after it."""

    index: int
    update_id: str | None
    outcome: str
    status: str | None = None
    status_at: datetime | None = None
    errors: list[dict] = field(default_factory=list)
    row: HubUpdate | None = (
        None  # recorded now (applied, stale, noop) or earlier (duplicate, conflict)
    )

    def result(self) -> dict:
        return {
            "index": self.index,
            "update_id": self.update_id,
            "outcome": self.outcome,
            "status": self.status,
            "status_at": iso_or_none(self.status_at),
            "errors": self.errors,
        }


def iso_or_none(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def receive_updates(sessions: sessionmaker, connector_id: str, updates: list) -> list[dict]:
    """Answer a batch of updates sent by `connector_id`; one result per input, in order."""
    return [
        answer.result()
        for answer in apply_in_transaction(sessions, updates, connector_id=connector_id)
    ]


def apply_in_transaction(
    sessions: sessionmaker, updates: list, *, connector_id: str | None
) -> list[UpdateAnswer]:
    """`apply_updates` in one transaction, judged again from scratch if it lost a race.

    `connector_id` is the sender: a connector (its reports only, region updates in
    its own name) or None for the national side (any report, hub updates only).
    """
    for attempt in range(1, _RACE_ATTEMPTS + 1):
        try:
            with sessions.begin() as session:
                begin_writing(session, feed=connector_id is None)
                answers = apply_updates(
                    session, updates, connector_id=connector_id, now=datetime.now(timezone.utc)
                )
            break
        except IntegrityError:
            if attempt == _RACE_ATTEMPTS:
                raise
            log.info(
                "updates from %s raced another writer on an update id; judging again",
                connector_id or "the hub",
            )
    counts = dict(Counter(answer.outcome for answer in answers))
    log.info("updates from %s: %d, %s", connector_id or "the hub", len(answers), counts)
    return answers


def apply_updates(
    session: Session, updates: list, *, connector_id: str | None, now: datetime
) -> list[UpdateAnswer]:
    """Judge `updates` in input order inside the caller's transaction (see the module doc)."""
    checked = [(update, _schema_problems(update)) for update in updates]
    judge = _Judge(
        session, connector_id, now, [update for update, problems in checked if not problems]
    )
    return [
        judge.answer(index, update, problems) for index, (update, problems) in enumerate(checked)
    ]


class _Judge:
    """One call's view of the reports and update ids it touches, loaded up front."""

    def __init__(
        self, session: Session, connector_id: str | None, now: datetime, valid: list[dict]
    ):
        self.session, self.connector_id, self.now = session, connector_id, now
        self.reports = _locked_reports(session, {u["tracking_id"] for u in valid})
        self.seen = _stored_updates(
            session,
            {
                (r.connector_id, u["update_id"])
                for u in valid
                if (r := self.reports.get(u["tracking_id"])) is not None
            },
        )

    def answer(self, index: int, update, problems: list[dict]) -> UpdateAnswer:
        update_id = _loose_update_id(update)
        if problems:
            return UpdateAnswer(index, update_id, REJECTED, errors=problems)
        report = self.reports.get(update["tracking_id"])
        if report is None or (
            self.connector_id is not None and report.connector_id != self.connector_id
        ):
            message = "no report with this tracking id" + (
                " for this connector" if self.connector_id else ""
            )
            return UpdateAnswer(
                index,
                update_id,
                UNKNOWN_REPORT,
                errors=[{"path": "$.tracking_id", "message": message}],
            )
        problems = _origin_problems(update["origin"], self.connector_id)
        if problems:
            return UpdateAnswer(index, update_id, REJECTED, errors=problems)
        digest = content_hash(update)
        earlier = self.seen.get((report.connector_id, update_id))
        if earlier is not None:
            return _repeated(index, report, earlier, digest)
        return self._judge_new(index, update, report, digest)

    def _judge_new(self, index: int, update: dict, report: HubReport, digest: str) -> UpdateAnswer:
        new_status, side = update.get("status"), update["origin"]["side"]
        # In UTC, as the store gives times back, so every answer writes a time the same way.
        occurred_at = datetime.fromisoformat(update["occurred_at"]).astimezone(timezone.utc)
        if new_status is None:
            outcome = APPLIED  # a follow-up message: history only, the status stays
        elif not wins(occurred_at, side, report.status_at, self._status_origin(report)):
            outcome = STALE
        elif new_status == report.status and "message" not in update:
            outcome = NOOP
        elif not is_transition_allowed(report.status, new_status):
            reason = illegal_transition_reason(report.status, new_status)
            return _answer(
                index,
                update,
                ILLEGAL_TRANSITION,
                report,
                errors=[{"path": "$.status", "message": reason}],
            )
        else:
            outcome = APPLIED
            report.status, report.status_at, report.status_update_id = (
                new_status,
                occurred_at,
                update["update_id"],
            )
        row = self._record(update, report, outcome, occurred_at, digest)
        return _answer(index, update, outcome, report, row=row)

    def _status_origin(self, report: HubReport) -> str | None:
        """Which side made the report's current status (None: it is the status it was created with)."""
        if report.status_update_id is None:
            return None
        key = (report.connector_id, report.status_update_id)
        if key not in self.seen:
            self.seen.update(_stored_updates(self.session, {key}))
        current = self.seen.get(key)
        return current.origin if current is not None else None

    def _record(
        self, update: dict, report: HubReport, outcome: str, occurred_at: datetime, digest: str
    ) -> HubUpdate:
        row = HubUpdate(
            update_id=update["update_id"],
            report_id=report.id,
            connector_id=report.connector_id,
            origin=update["origin"]["side"],
            status=update.get("status"),
            source_status=update.get("source_status"),
            actor=update["actor"],
            message=update.get("message"),
            occurred_at=occurred_at,
            received_at=self.now,
            outcome=outcome,
            content_hash=digest,
        )
        self.session.add(row)
        self.seen[(report.connector_id, row.update_id)] = row
        return row


def _answer(
    index: int,
    update: dict,
    outcome: str,
    report: HubReport,
    *,
    row: HubUpdate | None = None,
    errors: list[dict] | None = None,
) -> UpdateAnswer:
    return UpdateAnswer(
        index, update["update_id"], outcome, report.status, report.status_at, errors or [], row
    )


def _repeated(index: int, report: HubReport, earlier: HubUpdate, digest: str) -> UpdateAnswer:
    if earlier.content_hash == digest:
        return UpdateAnswer(
            index, earlier.update_id, DUPLICATE, report.status, report.status_at, row=earlier
        )
    message = (
        f"this update id was already received with different content (content hash "
        f"{earlier.content_hash[:12]}…, this update {digest[:12]}…); the first one is kept"
    )
    return UpdateAnswer(
        index,
        earlier.update_id,
        CONFLICT,
        report.status,
        report.status_at,
        [{"path": "$.update_id", "message": message}],
        earlier,
    )


def _schema_problems(update) -> list[dict]:
    return [p.as_dict() for p in schema_problems(update, STATUS_UPDATE)]


def _origin_problems(origin: dict, connector_id: str | None) -> list[dict]:
    """An update must come from the side that sends it, and a region only speaks for itself."""
    expected = HUB if connector_id is None else REGION
    if origin["side"] != expected:
        sender = "the national side" if connector_id is None else f"connector {connector_id!r}"
        return [
            {
                "path": "$.origin.side",
                "message": f"{sender} sends {expected} updates, not {origin['side']} ones",
            }
        ]
    if connector_id is not None and origin.get("connector_id") != connector_id:
        named = origin.get("connector_id")
        message = (
            "is required: the connector that made the update"
            if named is None
            else f"{named!r} is not the connector this token belongs to ({connector_id!r})"
        )
        return [{"path": "$.origin.connector_id", "message": message}]
    return []


def _loose_update_id(update) -> str | None:
    """The update id to echo in an answer, even for a rejected update, when it is one."""
    update_id = update.get("update_id") if isinstance(update, dict) else None
    return update_id if isinstance(update_id, str) and 0 < len(update_id) <= 200 else None


def _locked_reports(session: Session, tracking_ids: set[str]) -> dict[str, HubReport]:
    """The reports by tracking id, locked for this transaction (PostgreSQL) in one
    query, in row order so that two batches never wait on each other crosswise."""
    if not tracking_ids:
        return {}
    query = (
        select(HubReport)
        .where(HubReport.tracking_id.in_(sorted(tracking_ids)))
        .order_by(HubReport.id)
        .with_for_update()
    )
    return {row.tracking_id: row for row in session.scalars(query)}


def _stored_updates(
    session: Session, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], HubUpdate]:
    if not keys:
        return {}
    query = select(HubUpdate).where(
        tuple_(HubUpdate.connector_id, HubUpdate.update_id).in_(sorted(keys))
    )
    return {(row.connector_id, row.update_id): row for row in session.scalars(query)}
