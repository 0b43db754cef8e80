"""The endpoints auditors rely on, for connectors: reconciliation digests and
bucket listings of the connector's reports, and its audit checkpoints.

Thin handlers: check the token, read the parameters, call `reconcile` or
`checkpoints`, answer JSON. A bad bucket parameter is 400 `bad_parameter`; a
checkpoint that contradicts a stored one is 409 `checkpoint_conflict`. Not here:
what is digested (`reconcile.py`), what a checkpoint means (`checkpoints.py`).
"""

from __future__ import annotations

from flask import Blueprint, g, request

from . import checkpoints, reconcile
from .web import ApiError, hub, json_object, listed, requires_connector

audit_api = Blueprint("hub_audit", __name__, url_prefix="/api/v1")


@audit_api.get("/reconcile/digest")
@requires_connector
def reconcile_digest():
    buckets = _bucket_count(request.args.get("buckets"), required=False)
    with hub().sessions() as session:
        return reconcile.digest(session, g.connector_id, buckets)


@audit_api.get("/reconcile/buckets/<index>")
@requires_connector
def reconcile_bucket(index: str):
    buckets = _bucket_count(request.args.get("buckets"), required=True)
    if not _is_number(index) or int(index) >= buckets:
        raise ApiError(400, "bad_parameter", f"bucket: give a number from 0 to {buckets - 1}, not {index!r}")
    with hub().sessions() as session:
        return reconcile.bucket(session, g.connector_id, int(index), buckets)


def _bucket_count(raw: str | None, *, required: bool) -> int | None:
    if not raw and not required:
        return None
    if raw is None or not _is_number(raw) or not reconcile.is_bucket_count(int(raw)):
        raise ApiError(400, "bad_parameter",
                       f"buckets: give a power of two from 1 to {reconcile.MAX_BUCKETS}, not {raw!r}")
    return int(raw)


def _is_number(raw: str) -> bool:
    # A bound on the length keeps int() cheap on whatever a client sends.
    return raw.isascii() and raw.isdigit() and len(raw) <= 12


@audit_api.post("/audit/checkpoints")
@requires_connector
def post_checkpoint():
    body = json_object()
    problems = checkpoints.checkpoint_problems(body)
    if problems:
        raise ApiError(400, "invalid_checkpoint", listed(problems))
    try:
        view, created = checkpoints.record_checkpoint(hub().sessions, g.connector_id, int(body["seq"]),
                                                      body["hash"], body["at"])
    except checkpoints.CheckpointConflictError as exc:
        raise ApiError(409, "checkpoint_conflict", str(exc)) from exc
    return view, 201 if created else 200


@audit_api.get("/audit/checkpoints")
@requires_connector
def list_checkpoints():
    with hub().sessions() as session:
        return {"checkpoints": checkpoints.list_checkpoints(session, g.connector_id)}
