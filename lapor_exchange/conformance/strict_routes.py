"""The strict hub's request checks and handlers, one per operation of the document.

The checks read everything from the operation: which query parameters exist (any other
is refused), their schemas and defaults, the path parameters' schemas, the body's schema
and its batch bounds. The handlers turn a checked `Call` into (status, body) through the
hub's state. Refusals are `HubError`s with the code the document names for that status.

Not here: routing, tokens, recording and validating answers (`strict_hub.py`), the
judging of items (`strict_state.py`).
"""

from __future__ import annotations

from .. import digest
from ..jsontext import parse_json
from . import contract
from .strict_state import CheckpointConflictError

BATCH_BOUNDS = ("minItems", "maxItems")


class HubError(Exception):
    """Answer `status` with the documented error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def _refusal(
    op: contract.Operation, status: int, message: str, fallback: str = "bad_request"
) -> HubError:
    return HubError(status, op.error_code(status) or fallback, message)


def _bad(op: contract.Operation, message: str) -> HubError:
    return _refusal(op, 400, message)


# -- request checks --------------------------------------------------------------------


def query_values(op: contract.Operation, args) -> dict:
    """The typed query parameters, defaults filled in; 400 for an unknown, repeated,
    missing or invalid one."""
    declared = {p.name: p for p in op.parameters if p.location == "query"}
    unknown = sorted(set(args) - set(declared))
    if unknown:
        named = ", ".join(name[:40] for name in unknown[:5])
        raise _bad(
            op,
            f"unknown query parameter(s): {named}; this operation takes: {', '.join(declared) or 'none'}",
        )
    values = {}
    for name, param in declared.items():
        given = args.getlist(name)
        if len(given) > 1:
            raise _bad(op, f"{name}: given {len(given)} times")
        if given:
            values[name] = _checked(op, param, given[0], 400)
        elif param.required:
            raise _bad(op, f"{name}: is required")
        elif param.default is not None:
            values[name] = param.default
    return values


def path_values(op: contract.Operation, raw: dict) -> dict:
    """The typed path parameters; a value outside its schema names nothing that exists:
    404 where the document has it for this operation, else 400."""
    status = 400 if op.documents(400) or not op.documents(404) else 404
    params = {p.name: p for p in op.parameters if p.location == "path"}
    return {name: _checked(op, params[name], value, status) for name, value in raw.items()}


def _checked(op: contract.Operation, param: contract.Parameter, raw: str, status: int):
    fallback = "not_found" if status == 404 else "bad_request"
    try:
        value = param.parse(raw)
    except ValueError as exc:
        raise _refusal(op, status, f"{param.name}: {exc}", fallback) from exc
    problems = param.problems(value)
    if problems:
        raise _refusal(op, status, f"{param.name}: {'; '.join(problems)}", fallback)
    return value


def body_value(op: contract.Operation, mimetype: str, data: bytes):
    """The body, parsed strictly and valid against the request schema; 400 otherwise, 422
    when only a batch's size is outside the document's bounds."""
    if mimetype != contract.JSON:
        raise _bad(op, f"send the body as {contract.JSON} (Content-Type)")
    try:
        body = parse_json(data)
    except ValueError as exc:
        raise _bad(op, f"the body is {exc}") from exc
    errors = list(contract.validator_at(op.body_pointer).iter_errors(body))
    if errors and op.documents(422) and all(e.validator in BATCH_BOUNDS for e in errors):
        bounds = errors[0].schema
        raise _refusal(
            op,
            422,
            f"a batch holds {bounds.get('minItems')} to {bounds.get('maxItems')} items; "
            f"this one holds {len(errors[0].instance)}",
            "batch_size",
        )
    if errors:
        raise _bad(op, "; ".join(contract.body_problems(body, op.body_pointer, "body")[:10]))
    return body


# -- handlers: (hub, call) -> (status, body) --------------------------------------------


def submit_reports(hub, call):
    return 200, {"results": hub.state.submit_reports(call.connector_id, call.body["reports"])}


def get_report(hub, call):
    with hub.state.lock:
        stored = hub.state.stored(call.connector_id, call.path["tracking_id"])
        if stored is None:
            raise _refusal(
                contract.operation("getReport"),
                404,
                "no report of this connector has this tracking id",
                "not_found",
            )
        return 200, stored.view(hub.report_history)


def list_reports(hub, call):
    query = call.query
    try:
        with hub.state.lock:
            page, next_after = hub.state.page(
                call.connector_id,
                channel_id=query.get("channel_id"),
                source_ref=query.get("source_ref"),
                after=query.get("after"),
                limit=query["limit"],
            )
            return 200, {
                "reports": [stored.view(False) for stored in page],
                "next_after": next_after,
            }
    except ValueError as exc:
        raise _bad(contract.operation("listReports"), f"after: {exc}") from exc


def get_openapi(hub, call):
    return 200, hub.document


def list_national_updates(hub, call):
    page, next_after = hub.state.feed(call.connector_id, call.query["after"], call.query["limit"])
    return 200, {"updates": page, "next_after": next_after}


def submit_updates(hub, call):
    return 200, {"results": hub.state.submit_updates(call.connector_id, call.body["updates"])}


def get_reconcile_digest(hub, call):
    entries = hub.state.entries(call.connector_id)
    buckets = call.query.get("buckets") or digest.buckets_for(len(entries))
    return 200, {
        "buckets": buckets,
        "count": len(entries),
        "digests": digest.digests(entries, buckets),
    }


def get_reconcile_bucket(hub, call):
    buckets, index = call.query["buckets"], call.path["bucket"]
    if index >= buckets:
        raise _bad(
            contract.operation("getReconcileBucket"),
            f"bucket: give a number from 0 to {buckets - 1}",
        )
    entries = digest.in_bucket(hub.state.entries(call.connector_id), index, buckets)
    return 200, {
        "bucket": index,
        "buckets": buckets,
        "entries": [entry.as_dict() for entry in entries],
    }


def list_checkpoints(hub, call):
    return 200, {"checkpoints": hub.state.checkpoints(call.connector_id)}


def post_checkpoint(hub, call):
    try:
        stored, new = hub.state.checkpoint(call.connector_id, call.body)
    except CheckpointConflictError as exc:
        raise _refusal(
            contract.operation("postCheckpoint"), 409, str(exc), "checkpoint_conflict"
        ) from exc
    return (201 if new else 200), stored


def get_stats(hub, call):
    return 200, hub.state.stats(call.connector_id)


HANDLERS = {
    "submitReports": submit_reports,
    "getReport": get_report,
    "listReports": list_reports,
    "getOpenApi": get_openapi,
    "listNationalUpdates": list_national_updates,
    "submitUpdates": submit_updates,
    "getReconcileDigest": get_reconcile_digest,
    "getReconcileBucket": get_reconcile_bucket,
    "listCheckpoints": list_checkpoints,
    "postCheckpoint": post_checkpoint,
    "getStats": get_stats,
}
