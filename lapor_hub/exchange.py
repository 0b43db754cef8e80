"""The hub side of the exchange: answer a batch of reports, look reports up, count.

`receive_batch` gives each report of a batch exactly one answer (created,
duplicate, conflict, rejected) in one transaction, with the delivery log rows
written in that same transaction. The idempotency key is the source triple
(connector_id, channel_id, source_ref); "same content" means the same canonical
JSON hash. A key seen twice inside one batch is answered exactly as if the two
copies had come in two batches.

Reading a report includes its status updates (`feed.history`). Not here: status
updates themselves (`updates.py`), HTTP, auth and fault injection (`*_api.py`,
`faults.py`).
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import func, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, load_only, sessionmaker

from lapor_exchange.canonical import canonical_json, sha256_bytes
from lapor_exchange.documents import REPORT
from lapor_exchange.problems import problems as schema_problems

from . import checkpoints, feed
from .store import HubAnswer, HubReport, begin_writing, row_id_for, tracking_id_for
from .updates import iso_or_none

log = logging.getLogger(__name__)

CREATED, DUPLICATE, CONFLICT, REJECTED = "created", "duplicate", "conflict", "rejected"
OUTCOMES = (CREATED, DUPLICATE, CONFLICT, REJECTED)
INITIAL_STATUS = "belum_terverifikasi"
# Two batches racing on the same new key (PostgreSQL): the loser hits the unique
# constraint, and answering again from a fresh read turns its item into a duplicate.
_RACE_ATTEMPTS = 5


@dataclass
class _Answer:
    index: int
    source_ref: str | None
    outcome: str
    key: tuple[str, str] | None = None
    row: HubReport | None = None
    errors: list[dict] = field(default_factory=list)

    def result(self) -> dict:
        return {
            "index": self.index,
            "source_ref": self.source_ref,
            "outcome": self.outcome,
            "tracking_id": self.row.tracking_id if self.row is not None else None,
            "errors": self.errors,
        }


def receive_batch(sessions: sessionmaker, connector_id: str, reports: list) -> list[dict]:
    """Answer every report of a batch sent by `connector_id`; one result per input, in order."""
    for attempt in range(1, _RACE_ATTEMPTS + 1):
        try:
            with sessions.begin() as session:
                begin_writing(session)
                answers = _answer_batch(session, connector_id, reports, datetime.now(timezone.utc))
                results = [a.result() for a in answers]
            break
        except IntegrityError:
            if attempt == _RACE_ATTEMPTS:
                raise
            log.info("batch from %s raced another on a key; answering again", connector_id)
    counts = Counter(r["outcome"] for r in results)
    log.info("batch from %s: %d reports, %s", connector_id, len(results), dict(counts))
    return results


def _answer_batch(
    session: Session, connector_id: str, reports: list, now: datetime
) -> list[_Answer]:
    checked = [(i, report, _problems(report, connector_id)) for i, report in enumerate(reports)]
    known = _stored_by_key(
        session, connector_id, {_key(r) for _, r, errors in checked if not errors}
    )
    answers, new_rows = [], []
    for index, report, errors in checked:
        if errors:
            answers.append(
                _Answer(index, _loose_key(report)[1], REJECTED, _loose_key(report), errors=errors)
            )
            continue
        answer = _answer_valid(index, report, connector_id, known, now)
        if answer.outcome == CREATED:
            session.add(answer.row)
            new_rows.append(answer.row)
        answers.append(answer)
    session.flush()  # assigns row ids, which the tracking ids derive from
    for row in new_rows:
        row.tracking_id = tracking_id_for(row.id)
    session.add_all(_log_row(connector_id, answer, now) for answer in answers)
    return answers


def _answer_valid(
    index: int, report: dict, connector_id: str, known: dict, now: datetime
) -> _Answer:
    key = _key(report)
    text = canonical_json(report)
    digest = sha256_bytes(
        text.encode("utf-8")
    )  # == canonical.content_hash(report), serialized once
    stored = known.get(key)
    if stored is None:
        row = HubReport(
            connector_id=connector_id,
            channel_id=key[0],
            source_ref=key[1],
            status=INITIAL_STATUS,
            received_at=now,
            content_hash=digest,
            report_json=text,
        )
        known[key] = row
        return _Answer(index, key[1], CREATED, key, row)
    if stored.content_hash == digest:
        return _Answer(index, key[1], DUPLICATE, key, stored)
    message = (
        f"this source triple was already received with different content (content hash "
        f"{stored.content_hash[:12]}…, this report {digest[:12]}…); the stored report is kept"
    )
    return _Answer(index, key[1], CONFLICT, key, stored, [{"path": "$.source", "message": message}])


def _problems(report, connector_id: str) -> list[dict]:
    found = [p.as_dict() for p in schema_problems(report, REPORT)]
    sent_by = _source_field(report, "connector_id")
    if isinstance(sent_by, str) and sent_by != connector_id:
        found.append(
            {
                "path": "$.source.connector_id",
                "message": f"{sent_by!r} is not the connector this token belongs to ({connector_id!r})",
            }
        )
    return sorted(found, key=lambda p: (p["path"], p["message"]))


def _stored_by_key(session: Session, connector_id: str, keys: set[tuple[str, str]]) -> dict:
    """The stored reports of this connector among `keys`, in one query."""
    if not keys:
        return {}
    query = (
        select(HubReport)
        .options(
            load_only(
                HubReport.id,
                HubReport.tracking_id,
                HubReport.channel_id,
                HubReport.source_ref,
                HubReport.content_hash,
            )
        )
        .where(
            HubReport.connector_id == connector_id,
            tuple_(HubReport.channel_id, HubReport.source_ref).in_(sorted(keys)),
        )
    )
    return {(row.channel_id, row.source_ref): row for row in session.scalars(query)}


def _key(report: dict) -> tuple[str, str]:
    return report["source"]["channel_id"], report["source"]["source_ref"]


def _source_field(report, name: str):
    source = report.get("source") if isinstance(report, dict) else None
    return source.get(name) if isinstance(source, dict) else None


def _loose_key(report) -> tuple[str | None, str | None]:
    """What a rejected report's key would be, kept in the log only when it fits the columns."""
    channel_id, source_ref = (
        _source_field(report, "channel_id"),
        _source_field(report, "source_ref"),
    )
    fits = lambda value, width: value if isinstance(value, str) and len(value) <= width else None  # noqa: E731
    return fits(channel_id, 64), fits(source_ref, 512)


def _log_row(connector_id: str, answer: _Answer, now: datetime) -> HubAnswer:
    channel_id, source_ref = answer.key or (None, None)
    return HubAnswer(
        connector_id=connector_id,
        channel_id=channel_id,
        source_ref=source_ref,
        outcome=answer.outcome,
        tracking_id=answer.row.tracking_id if answer.row is not None else None,
        answered_at=now,
    )


# -- reading -------------------------------------------------------------------


def report_view(row: HubReport) -> dict:
    """The API shape of one stored report (without its updates)."""
    return {
        "tracking_id": row.tracking_id,
        "status": row.status,
        "status_at": iso_or_none(row.status_at),
        "received_at": row.received_at.isoformat(),
        "content_hash": row.content_hash,
        "report": json.loads(row.report_json),
    }


def get_report(session: Session, connector_id: str | None, tracking_id: str) -> dict | None:
    """One of `connector_id`'s reports (None: any connector's, for the national side)
    with every update recorded for it; None when unknown or another connector's."""
    query = select(HubReport).where(HubReport.tracking_id == tracking_id)
    if connector_id is not None:
        query = query.where(HubReport.connector_id == connector_id)
    row = session.scalar(query)
    if row is None:
        return None
    return {**report_view(row), "updates": feed.history(session, row)}


def list_reports(
    session: Session,
    connector_id: str,
    *,
    channel_id: str | None = None,
    source_ref: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> tuple[list[dict], str | None]:
    """A page of `connector_id`'s reports in tracking-id order, and the `after` for the next page (None: last page)."""
    query = select(HubReport).where(HubReport.connector_id == connector_id)
    if channel_id is not None:
        query = query.where(HubReport.channel_id == channel_id)
    if source_ref is not None:
        query = query.where(HubReport.source_ref == source_ref)
    if after is not None:
        row_id = _row_id_after(session, after)
        if row_id is None:
            return [], None
        query = query.where(HubReport.id > row_id)
    rows = list(session.scalars(query.order_by(HubReport.id).limit(limit + 1)))
    page = rows[:limit]
    next_after = page[-1].tracking_id if len(rows) > limit else None
    return [report_view(row) for row in page], next_after


def _row_id_after(session: Session, after: str) -> int | None:
    """Where a page after the report `after` starts: that report's row, or, for a tracking
    id no report has any more (removed, or renamed by drift), the row it was issued for.

    None for a tracking id this hub could never have issued: every report it lists comes
    before such an id, so the page after it is empty. The contract lets a client send any
    tracking id as `after`, and an empty last page is the one answer that neither repeats
    reports nor makes them up.
    """
    row_id = session.scalar(select(HubReport.id).where(HubReport.tracking_id == after))
    return row_id if row_id is not None else row_id_for(after)


def stats(session: Session, connector_id: str) -> dict:
    """Counts for one connector: stored reports, distinct keys it has sent, answers by
    outcome, the recorded status updates of its reports by side and outcome, and its
    audit checkpoints."""
    reports = session.scalar(
        select(func.count()).select_from(HubReport).where(HubReport.connector_id == connector_id)
    )
    keys = (
        select(HubAnswer.channel_id, HubAnswer.source_ref)
        .distinct()
        .where(
            HubAnswer.connector_id == connector_id,
            HubAnswer.channel_id.is_not(None),
            HubAnswer.source_ref.is_not(None),
        )
        .subquery()
    )
    distinct_keys = session.scalar(select(func.count()).select_from(keys))
    by_outcome = dict(
        session.execute(
            select(HubAnswer.outcome, func.count())
            .where(HubAnswer.connector_id == connector_id)
            .group_by(HubAnswer.outcome)
        ).all()
    )
    return {
        "reports": reports,
        "distinct_keys": distinct_keys,
        "answers": {outcome: by_outcome.get(outcome, 0) for outcome in OUTCOMES},
        "updates": feed.counts(session, connector_id),
        "checkpoints": checkpoints.counts(session, connector_id),
    }
