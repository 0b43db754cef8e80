"""The reference national hub as a Flask app: the exchange API under /api/v1.

`create_app(settings)` opens the hub's store and serves the endpoints described
in docs/design.md and at /api/v1/openapi.json. Handlers are thin: they check the
bearer token, read the request, call `exchange`, and answer JSON. Every error is
`{"error": {"code", "message"}}`. When the settings enable faults, `reports:batch`
also obeys the rules in `app.extensions["lapor_hub"].faults`.

Not here: what a batch means (`exchange.py`), the tables (`store.py`).
"""

from __future__ import annotations

import hmac
import logging
import socket
import time
from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException, InternalServerError

from . import exchange
from .faults import (
    DELAY,
    DROP_AFTER_SAVE,
    STATUS,
    FaultRule,
    Faults,
    InvalidFaultRulesError,
)
from .openapi import MAX_BATCH, MAX_PAGE, openapi_document
from .settings import HubSettings
from .store import open_store

log = logging.getLogger(__name__)

EXTENSION = "lapor_hub"
DEFAULT_PAGE = 100
# 500 reports of the largest allowed size would be ~10 MB of body text alone.
MAX_REQUEST_BYTES = 64 * 1024 * 1024


@dataclass
class HubState:
    """What the handlers share; `app.extensions["lapor_hub"]`."""

    settings: HubSettings
    engine: Engine
    sessions: sessionmaker
    faults: Faults

    def close(self) -> None:
        self.engine.dispose()


class ApiError(Exception):
    """Answer `status` with the standard error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def create_app(settings: HubSettings) -> Flask:
    """A hub app on the store named by `settings.store_url` (tables created if missing)."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    app.json.sort_keys = False
    engine = open_store(settings.store_url)
    app.extensions[EXTENSION] = HubState(settings, engine, sessionmaker(engine, expire_on_commit=False),
                                         Faults(enabled=settings.faults_enabled))
    app.register_blueprint(api)
    if settings.faults_enabled:
        app.register_blueprint(fault_api)
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _hub() -> HubState:
    return current_app.extensions[EXTENSION]


# -- errors and auth -------------------------------------------------------------


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _api_error(exc: ApiError):
    return jsonify(error_body(exc.code, exc.message)), exc.status, exc.headers


def _http_error(exc: HTTPException):
    if isinstance(exc, InternalServerError):
        # Details stay in the log (Flask logged the exception); the client gets no internals.
        return jsonify(error_body("internal_error", "the hub failed to handle this request")), 500
    response = exc.get_response()  # keeps headers such as Allow on a 405
    response.set_data(current_app.json.dumps(error_body(exc.name.lower().replace(" ", "_"), exc.description)))
    response.content_type = "application/json"
    return response


def _connector_for(authorization: str) -> str | None:
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    found = None
    for known, connector_id in _hub().settings.connectors.items():
        # Compare against every token in constant time, so timing reveals nothing.
        if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
            found = connector_id
    return found


def requires_connector(view):
    """Put the token's connector id in `g.connector_id`, or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        connector_id = _connector_for(request.headers.get("Authorization", ""))
        if connector_id is None:
            raise ApiError(401, "unauthorized", "send Authorization: Bearer <token> with a token this hub issued",
                           {"WWW-Authenticate": "Bearer"})
        g.connector_id = connector_id
        return view(*args, **kwargs)

    return wrapper


# -- the exchange API ------------------------------------------------------------

api = Blueprint("hub_api", __name__, url_prefix="/api/v1")


@api.get("/health")
def health():
    return {"status": "ok"}


@api.get("/openapi.json")
def openapi():
    return openapi_document()


@api.post("/reports:batch")
@requires_connector
def post_batch():
    fault = _hub().faults.take()  # always None unless the settings enable faults
    if fault is not None and fault.action == STATUS:
        raise _injected_status(fault)
    if fault is not None and fault.action == DELAY:
        time.sleep(fault.seconds)
    reports = _batch_reports()
    results = exchange.receive_batch(_hub().sessions, g.connector_id, reports)
    if fault is not None and fault.action == DROP_AFTER_SAVE:
        log.info("fault: dropping the connection after saving a batch from %s", g.connector_id)
        return _hang_up(request.environ.get("werkzeug.socket"))
    return {"results": results}


def _batch_reports() -> list:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("reports"), list):
        raise ApiError(400, "bad_request", 'the body must be a JSON object {"reports": [report, ...]}')
    count = len(body["reports"])
    if not 1 <= count <= MAX_BATCH:
        raise ApiError(422, "batch_size", f"a batch holds 1 to {MAX_BATCH} reports, this one {count}")
    return body["reports"]


@api.get("/reports/<tracking_id>")
@requires_connector
def get_report(tracking_id: str):
    with _hub().sessions() as session:
        found = exchange.get_report(session, g.connector_id, tracking_id)
    if found is None:
        raise ApiError(404, "not_found", f"no report with tracking id {tracking_id!r} for this connector")
    return found


@api.get("/reports")
@requires_connector
def list_reports():
    args = request.args
    limit = _limit(args.get("limit"))
    try:
        with _hub().sessions() as session:
            page, next_after = exchange.list_reports(
                session, g.connector_id, channel_id=args.get("channel_id") or None,
                source_ref=args.get("source_ref") or None, after=args.get("after") or None, limit=limit)
    except ValueError as exc:
        raise ApiError(400, "bad_parameter", f"after: {exc}") from exc
    return {"reports": page, "next_after": next_after}


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_PAGE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise ApiError(400, "bad_parameter", f"limit: give a whole number from 1 to {MAX_PAGE}, not {raw!r}")
    return int(raw)


@api.get("/stats")
@requires_connector
def stats():
    with _hub().sessions() as session:
        return exchange.stats(session, g.connector_id)


# -- fault injection (registered only when the settings enable it) ----------------

fault_api = Blueprint("hub_faults", __name__, url_prefix="/api/v1")


@fault_api.post("/_faults")
@requires_connector
def set_faults():
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict) or "rules" not in body:
        raise ApiError(400, "bad_request", 'the body must be a JSON object {"rules": [rule, ...]}')
    try:
        _hub().faults.set(body["rules"])
    except InvalidFaultRulesError as exc:
        raise ApiError(422, "invalid_rules", "; ".join(exc.problems)) from exc
    return {"rules": _hub().faults.pending()}


@fault_api.delete("/_faults")
@requires_connector
def clear_faults():
    _hub().faults.clear()
    return {"rules": []}


def _injected_status(fault: FaultRule) -> ApiError:
    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
    return ApiError(fault.status, "fault_injected", f"injected fault: status {fault.status}, nothing was saved", headers)


def _hang_up(sock: socket.socket | None) -> Response:
    """Close the client's connection without an answer.

    The body iterator raises ConnectionAbortedError before anything is written:
    Werkzeug's server treats that as a dropped connection (no status line sent,
    no traceback, the thread carries on), and the Flask test client, which has
    no socket, sees the same exception the way a real client sees a reset.
    """

    def body():
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # the client went away first: the same outcome
            sock.close()
        raise ConnectionAbortedError("drop_after_save fault: connection closed without an answer")
        yield b""  # noqa: unreachable; makes this a generator so it runs when the server sends the body

    return Response(body(), status=200, mimetype="application/json")
