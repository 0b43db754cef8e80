"""The national side acts on a report: verifies it, sends it to an agency, closes
it, or answers the citizen.

`act` turns one act into a hub-origin status update (update id
"hub-<uuid4 hex>") and hands it to `updates.apply_in_transaction`, the same judge
a region's update goes through: an act dated before the report's current status
is recorded as stale, the status the report already has is a no-op, and an
illegal transition is refused with nothing recorded. Its times are written in
UTC before hashing, so the recorded update and the feed item are the same text.
Used by the admin API and `lapor-connector hub act`.

Not here: HTTP and the admin token (`admin_api.py`), the judging (`updates.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy.orm import sessionmaker

from lapor_exchange.documents import STATUS_UPDATE
from lapor_exchange.documents import schema as load_schema
from lapor_exchange.problems import problems as schema_problems
from lapor_exchange.problems import validator_for

from .feed import update_view
from .updates import (
    ILLEGAL_TRANSITION,
    RECORDED,
    UNKNOWN_REPORT,
    apply_in_transaction,
    iso_or_none,
)

NATIONAL_ACTORS = ("admin_nasional", "admin_instansi", "pejabat_penghubung")
INVALID_ACT = "invalid_act"


class ActError(Exception):
    """The act was refused. `code`: unknown_report, illegal_transition or invalid_act;
    `errors`: the problems, each {path, message}."""

    def __init__(self, code: str, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.code, self.message, self.errors = code, message, errors or []


def _act_schema() -> dict:
    """The act's body, its fields taken from the status-update schema so the two cannot drift."""
    fields = load_schema(STATUS_UPDATE)["properties"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "anyOf": [{"required": ["status"]}, {"required": ["message"]}],
        "properties": {
            "status": fields["status"],
            "message": fields["message"],
            "actor": {**fields["actor"], "enum": list(NATIONAL_ACTORS)},
            "occurred_at": fields["occurred_at"],
        },
    }


ACT_SCHEMA = _act_schema()
_act_validator = validator_for(ACT_SCHEMA)


def act_problems(body) -> list[dict]:
    """What is wrong with an act's body {status?, message?, actor?, occurred_at?}; [] when fine."""
    return [p.as_dict() for p in schema_problems(body, _act_validator)]


def act(
    sessions: sessionmaker,
    tracking_id: str,
    status: str | None = None,
    message: str | None = None,
    actor: str = "admin_nasional",
    occurred_at: datetime | str | None = None,
) -> dict:
    """Record the national side's act on any connector's report and apply it.

    Returns {"update": <the update as the feed shows it>, "outcome": applied | stale |
    noop, "status", "status_at"} (the report's, afterwards). `occurred_at` defaults to
    now. Raises ActError for an invalid act, an unknown report or an illegal transition.
    """
    body = {"status": status, "message": message, "actor": actor, "occurred_at": _iso(occurred_at)}
    body = {name: value for name, value in body.items() if value is not None}
    problems = act_problems(body)
    if problems:
        raise ActError(INVALID_ACT, _listed(problems), problems)
    [answer] = apply_in_transaction(sessions, [_hub_update(tracking_id, body)], connector_id=None)
    if answer.outcome not in RECORDED:
        raise _refusal(tracking_id, answer.outcome, answer.errors)
    return {
        "update": update_view(answer.row, tracking_id),
        "outcome": answer.outcome,
        "status": answer.status,
        "status_at": iso_or_none(answer.status_at),
    }


def _hub_update(tracking_id: str, body: dict) -> dict:
    occurred_at = (
        datetime.fromisoformat(body["occurred_at"])
        if "occurred_at" in body
        else datetime.now(timezone.utc)
    )
    update = {
        "schema_version": "1",
        "update_id": f"hub-{uuid.uuid4().hex}",
        "tracking_id": tracking_id,
        "origin": {"side": "hub"},
        "actor": body["actor"],
        "occurred_at": occurred_at.astimezone(timezone.utc).isoformat(),
    }
    update.update({name: body[name] for name in ("status", "message") if name in body})
    return update


def _iso(occurred_at: datetime | str | None) -> str | None:
    if isinstance(occurred_at, datetime):
        # A naive time would silently mean the server's zone; leave it for the schema to refuse.
        return occurred_at.isoformat()
    return occurred_at


def _refusal(tracking_id: str, outcome: str, errors: list[dict]) -> ActError:
    if outcome == UNKNOWN_REPORT:
        return ActError(UNKNOWN_REPORT, f"no report with tracking id {tracking_id!r}", errors)
    if outcome == ILLEGAL_TRANSITION:
        return ActError(ILLEGAL_TRANSITION, errors[0]["message"], errors)
    return ActError(
        INVALID_ACT, _listed(errors), errors
    )  # e.g. a tracking id longer than any the hub issues


def _listed(problems: list[dict]) -> str:
    return "; ".join(f"{p['path']}: {p['message']}" for p in problems)
