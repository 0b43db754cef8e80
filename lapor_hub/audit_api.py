"""The endpoints auditors rely on, for connectors: reconciliation digests and
bucket listings of the connector's reports, and its audit checkpoints.

Thin handlers: check the token, read the parameters, call `reconcile` or
`checkpoints`, answer JSON. A bad bucket parameter or checkpoint body is 400
`bad_request` (the contract's code); a checkpoint that contradicts a stored one is
409 `checkpoint_conflict`. Not here:
what is digested (`reconcile.py`), what a checkpoint means (`checkpoints.py`).
"""

from __future__ import annotations

from flask import Blueprint, g

from . import checkpoints, reconcile
from .inputs import bad_request, integer, json_object, query_value
from .web import ApiError, hub, listed, requires_connector

audit_api = Blueprint("hub_audit", __name__, url_prefix="/api/v1")


@audit_api.get("/reconcile/digest")
@requires_connector
def reconcile_digest():
    buckets = _bucket_count(required=False)
    with hub().sessions() as session:
        return reconcile.digest(session, g.connector_id, buckets)


@audit_api.get("/reconcile/buckets/<index>")
@requires_connector
def reconcile_bucket(index: str):
    buckets = _bucket_count(required=True)
    number = integer(index)
    if number is None or not 0 <= number < buckets:
        raise bad_request(f"bucket: give a number from 0 to {buckets - 1}, not {index!r}")
    with hub().sessions() as session:
        return reconcile.bucket(session, g.connector_id, number, buckets)


def _bucket_count(*, required: bool) -> int | None:
    raw = query_value("buckets")
    if raw is None and not required:
        return None
    number = integer(raw) if raw is not None else None
    if number is None or not reconcile.is_bucket_count(number):
        raise bad_request(
            f"buckets: give a power of two from 1 to {reconcile.MAX_BUCKETS}, not {raw!r}"
        )
    return number


@audit_api.post("/audit/checkpoints")
@requires_connector
def post_checkpoint():
    body = json_object()
    problems = checkpoints.checkpoint_problems(body)
    if problems:
        raise bad_request(f"not a Checkpoint: {listed(problems)}")
    try:  # int(): JSON Schema counts 5.0 as an integer, and the answer should say 5
        view, created = checkpoints.record_checkpoint(
            hub().sessions, g.connector_id, int(body["seq"]), body["hash"], body["at"]
        )
    except checkpoints.CheckpointConflictError as exc:
        raise ApiError(409, "checkpoint_conflict", str(exc)) from exc
    return view, 201 if created else 200


@audit_api.get("/audit/checkpoints")
@requires_connector
def list_checkpoints():
    with hub().sessions() as session:
        return {"checkpoints": checkpoints.list_checkpoints(session, g.connector_id)}
