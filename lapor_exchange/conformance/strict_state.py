"""What the strict hub holds, in memory, and how it judges what it is sent.

Reports are idempotent on (connector_id, channel_id, source_ref) with the canonical
content hash: the same content is `duplicate` with the stored tracking id, other content
is `conflict` and nothing is overwritten. Every item is judged on its own against the
published schemas. Status updates from either side go through one judge (`_judge`), by
the transitions and the later-wins rule of `lapor_exchange.status`. One lock guards it
all: the hub serves threads.

Not here: HTTP and the checks of a request (`strict_hub.py`); the semantics of updates
beyond the document and `lapor_exchange.status` (none are invented here).
"""

from __future__ import annotations

import copy
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from .. import digest, status
from ..canonical import content_hash
from ..problems import report_problems, update_problems

CREATED, DUPLICATE, CONFLICT, REJECTED = "created", "duplicate", "conflict", "rejected"
APPLIED, STALE, NOOP = "applied", "stale", "noop"
ILLEGAL_TRANSITION, UNKNOWN_REPORT = "illegal_transition", "unknown_report"
TRACKING_DIGITS = 10


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


@dataclass
class Recorded:
    """A status update the hub recorded (applied, stale or noop), as it was sent or made."""

    update: dict
    connector_id: str  # the report's connector
    seq: int
    outcome: str
    received_at: datetime
    digest: str

    @property
    def side(self) -> str:
        return self.update["origin"]["side"]

    def feed_view(self) -> dict:
        return {**copy.deepcopy(self.update), "seq": self.seq}

    def history_view(self) -> dict:
        return {**self.feed_view(), "outcome": self.outcome, "received_at": iso(self.received_at)}


@dataclass
class Stored:
    tracking_id: str
    connector_id: str
    report: dict  # exactly as received
    content_hash: str
    received_at: datetime
    status: str = status.INITIAL
    status_at: datetime | None = None
    status_side: str | None = None  # which side set the current status (None: the initial one)
    history: list[Recorded] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return self.report["source"]["channel_id"], self.report["source"]["source_ref"]

    def view(self, with_history: bool) -> dict:
        found = {
            "tracking_id": self.tracking_id,
            "status": self.status,
            "status_at": iso(self.status_at),
            "received_at": iso(self.received_at),
            "content_hash": self.content_hash,
            "report": copy.deepcopy(self.report),
        }
        if with_history:
            found["updates"] = [recorded.history_view() for recorded in self.history]
        return found

    def entry(self) -> digest.Entry:
        return digest.Entry(*self.key, self.tracking_id, self.status, self.content_hash)


class CheckpointConflictError(Exception):
    """This seq is stored with another hash."""


class ExchangeState:
    """The hub's memory: reports, updates (with one seq), checkpoints; every method is thread-safe."""

    def __init__(self, tracking_prefix: str = "LPR-"):
        self.tracking_prefix = tracking_prefix
        self.lock = threading.RLock()
        self.reports: dict[str, Stored] = {}
        self._keys: dict[tuple[str, str, str], str] = {}
        self._updates: dict[tuple[str, str], Recorded] = {}  # (report's connector, update_id)
        self._log: list[Recorded] = []  # in seq order
        self._checkpoints: dict[str, dict[int, dict]] = {}

    # -- reports -----------------------------------------------------------------------

    def submit_reports(self, connector_id: str, items: list) -> list[dict]:
        """One ItemResult per item, in order."""
        with self.lock:
            now = utcnow()
            return [
                self._answer_report(connector_id, index, item, now)
                for index, item in enumerate(items)
            ]

    def report_errors(self, connector_id: str, item) -> list[dict]:
        """The problems of one report item, each {path, message}; [] when it may be stored."""
        errors = [p.as_dict() for p in report_problems(item)]
        sent_by = _member(_member(item, "source"), "connector_id")
        if isinstance(sent_by, str) and sent_by != connector_id:
            errors.append(
                {
                    "path": "$.source.connector_id",
                    "message": f"{sent_by!r} is not the connector this token belongs to",
                }
            )
        return errors

    def _answer_report(self, connector_id: str, index: int, item, now: datetime) -> dict:
        source_ref = _member(_member(item, "source"), "source_ref")
        result = {"index": index, "source_ref": source_ref if isinstance(source_ref, str) else None}
        errors = self.report_errors(connector_id, item)
        if errors:
            return {**result, "outcome": REJECTED, "tracking_id": None, "errors": errors}
        key = (connector_id, item["source"]["channel_id"], item["source"]["source_ref"])
        hashed = content_hash(item)
        tracking_id = self._keys.get(key)
        if tracking_id is None:
            outcome, tracking_id = CREATED, self._create(connector_id, key, item, hashed, now)
        elif self.reports[tracking_id].content_hash == hashed:
            outcome = DUPLICATE
        else:
            outcome = self.on_conflict(self.reports[tracking_id], item, hashed)
        return {**result, "outcome": outcome, "tracking_id": tracking_id, "errors": []}

    def on_conflict(self, stored: Stored, item: dict, hashed: str) -> str:
        """Same key, other content: nothing is overwritten."""
        return CONFLICT

    def _create(self, connector_id: str, key: tuple, item: dict, hashed: str, now: datetime) -> str:
        tracking_id = f"{self.tracking_prefix}{len(self.reports) + 1:0{TRACKING_DIGITS}d}"
        self.reports[tracking_id] = Stored(
            tracking_id, connector_id, copy.deepcopy(item), hashed, now
        )
        self._keys[key] = tracking_id
        return tracking_id

    def stored(self, connector_id: str, tracking_id: str) -> Stored | None:
        found = self.reports.get(tracking_id)
        return found if found is not None and found.connector_id == connector_id else None

    def page(self, connector_id: str, *, channel_id=None, source_ref=None, after=None, limit=100):
        """(stored reports, next_after) in issue order; ValueError for an `after` that is not
        one of this connector's tracking ids."""
        with self.lock:
            mine = [s for s in self.reports.values() if s.connector_id == connector_id]
            if after is not None:
                ids = [s.tracking_id for s in mine]
                if after not in ids:
                    raise ValueError("is not the tracking id of one of this connector's reports")
                mine = mine[ids.index(after) + 1 :]
            mine = [
                s for s in mine if channel_id in (None, s.key[0]) and source_ref in (None, s.key[1])
            ]
            page = mine[:limit]
            return page, (page[-1].tracking_id if len(mine) > limit else None)

    # -- status updates ------------------------------------------------------------------

    def submit_updates(self, connector_id: str, items: list) -> list[dict]:
        """One UpdateItemResult per region update, in order."""
        with self.lock:
            now = utcnow()
            return [self._judge(index, item, connector_id, now) for index, item in enumerate(items)]

    def act(
        self,
        tracking_id: str,
        status_: str | None = None,
        message: str | None = None,
        occurred_at: datetime | str | None = None,
        actor: str = "admin_nasional",
    ) -> dict:
        """The national side's update; ValueError for an invalid one, an unknown report or an
        illegal transition (nothing recorded then)."""
        when = occurred_at if occurred_at is not None else utcnow()
        update = {
            "schema_version": "1",
            "update_id": f"hub-{uuid.uuid4().hex}",
            "tracking_id": tracking_id,
            "origin": {"side": status.HUB},
            "actor": actor,
            "occurred_at": when.isoformat() if isinstance(when, datetime) else when,
        }
        update.update(
            {
                name: value
                for name, value in (("status", status_), ("message", message))
                if value is not None
            }
        )
        with self.lock:
            result = self._judge(0, update, None, utcnow())
            if result["outcome"] not in (APPLIED, STALE, NOOP):
                raise ValueError(
                    f"{result['outcome']}: "
                    + "; ".join(f"{e['path']}: {e['message']}" for e in result["errors"])
                )
            recorded = self._updates[(self.reports[tracking_id].connector_id, update["update_id"])]
            return {
                "update": recorded.feed_view(),
                "outcome": result["outcome"],
                "status": result["status"],
                "status_at": result["status_at"],
            }

    def _judge(self, index: int, update, sender: str | None, now: datetime) -> dict:
        """Judge one update sent by connector `sender` (None: the national side)."""
        result = {"index": index, "update_id": _loose_update_id(update)}
        errors = [p.as_dict() for p in update_problems(update)] or _origin_errors(
            update["origin"], sender
        )
        if errors:
            return {
                **result,
                "outcome": REJECTED,
                "status": None,
                "status_at": None,
                "errors": errors,
            }
        stored = self.reports.get(update["tracking_id"])
        if stored is None or (sender is not None and stored.connector_id != sender):
            return {
                **result,
                "outcome": UNKNOWN_REPORT,
                "status": None,
                "status_at": None,
                "errors": [{"path": "$.tracking_id", "message": "no report with this tracking id"}],
            }
        outcome, errors = self._outcome(stored, update)
        if outcome in (APPLIED, STALE, NOOP):
            self._record(stored, update, outcome, now)
        return {
            **result,
            "outcome": outcome,
            "status": stored.status,
            "status_at": iso(stored.status_at),
            "errors": errors,
        }

    def _outcome(self, stored: Stored, update: dict) -> tuple[str, list[dict]]:
        hashed = content_hash(update)
        earlier = self._updates.get((stored.connector_id, update["update_id"]))
        if earlier is not None:
            if earlier.digest == hashed:
                return DUPLICATE, []
            return CONFLICT, [
                {"path": "$.update_id", "message": "this update id was recorded with other content"}
            ]
        new = update.get("status")
        occurred_at = datetime.fromisoformat(update["occurred_at"])
        if new is None:
            return APPLIED, []  # a message only: history, the status stays
        if not status.wins(
            occurred_at, update["origin"]["side"], stored.status_at, stored.status_side
        ):
            return STALE, []
        if new == stored.status and "message" not in update:
            return NOOP, []
        if not status.is_transition_allowed(stored.status, new):
            return ILLEGAL_TRANSITION, [
                {
                    "path": "$.status",
                    "message": status.illegal_transition_reason(stored.status, new),
                }
            ]
        stored.status, stored.status_at, stored.status_side = (
            new,
            occurred_at,
            update["origin"]["side"],
        )
        return APPLIED, []

    def _record(self, stored: Stored, update: dict, outcome: str, now: datetime) -> None:
        recorded = Recorded(
            copy.deepcopy(update),
            stored.connector_id,
            len(self._log) + 1,
            outcome,
            now,
            content_hash(update),
        )
        self._log.append(recorded)
        self._updates[(stored.connector_id, update["update_id"])] = recorded
        stored.history.append(recorded)

    def feed(
        self, connector_id: str, after: int = 0, limit: int = 100
    ) -> tuple[list[dict], int | None]:
        """The national side's updates to this connector's reports with seq > after."""
        with self.lock:
            page = [
                r.feed_view()
                for r in self._log
                if r.seq > after and r.side == status.HUB and r.connector_id == connector_id
            ][:limit]
        return page, (page[-1]["seq"] if page else None)

    # -- reconciliation, checkpoints, counts ---------------------------------------------

    def entries(self, connector_id: str) -> list[digest.Entry]:
        with self.lock:
            return [s.entry() for s in self.reports.values() if s.connector_id == connector_id]

    def checkpoint(self, connector_id: str, body: dict) -> tuple[dict, bool]:
        """(the stored checkpoint, True when new); CheckpointConflictError for another hash."""
        with self.lock:
            mine = self._checkpoints.setdefault(connector_id, {})
            stored = mine.get(body["seq"])
            if stored is None:
                mine[body["seq"]] = dict(body)
                return dict(body), True
            if stored["hash"] != body["hash"]:
                raise CheckpointConflictError(
                    f"checkpoint {body['seq']} is stored with another hash; nothing stored"
                )
            return dict(stored), False

    def checkpoints(self, connector_id: str) -> list[dict]:
        with self.lock:
            mine = self._checkpoints.get(connector_id, {})
            return [dict(mine[seq]) for seq in sorted(mine)]

    def stats(self, connector_id: str) -> dict:
        with self.lock:
            mine = [s.status for s in self.reports.values() if s.connector_id == connector_id]
        return {
            "reports": len(mine),
            "statuses": {name: mine.count(name) for name in status.STATUSES},
        }


def _member(value, name: str):
    return value.get(name) if isinstance(value, dict) else None


def _loose_update_id(update) -> str | None:
    found = _member(update, "update_id")
    return found if isinstance(found, str) else None


def _origin_errors(origin: dict, sender: str | None) -> list[dict]:
    """A connector sends region updates in its own name; the national side sends hub updates."""
    expected = status.HUB if sender is None else status.REGION
    if origin["side"] != expected:
        return [{"path": "$.origin.side", "message": f"this sender sends {expected} updates"}]
    if sender is not None and origin.get("connector_id") != sender:
        return [
            {
                "path": "$.origin.connector_id",
                "message": "is not the connector this token belongs to",
            }
        ]
    return []
