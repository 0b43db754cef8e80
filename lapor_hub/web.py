"""What every handler of the reference hub shares: the app's state, the error
shape, bearer-token checks, and the HTTP side of faults.

Every error is `{"error": {"code", "message"}}` (`ApiError`, and Werkzeug's own
404/405 through `http_error`). A connector is known by its token
(`requires_connector` puts its id in `g.connector_id`); the national side by the
admin token (`requires_admin`). Not here: the endpoints (`*_api.py`), reading a
request's body and parameters (`inputs.py`), what the rules of a fault are (`faults.py`).
"""

from __future__ import annotations

import hmac
import logging
import socket
import time
from dataclasses import dataclass
from functools import wraps

from flask import Response, current_app, g, jsonify, request
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from werkzeug.exceptions import HTTPException, InternalServerError

from .faults import DELAY, DROP_AFTER_SAVE, STATUS, FaultRule, Faults
from .settings import HubSettings

log = logging.getLogger(__name__)

EXTENSION = "lapor_hub"
# The contract names the code of a too large body; Werkzeug's own name would be
# request_entity_too_large.
_HTTP_CODES = {413: "too_large"}


@dataclass
class HubState:
    """What the handlers share; `app.extensions["lapor_hub"]`."""

    settings: HubSettings
    engine: Engine
    sessions: sessionmaker
    faults: Faults

    def close(self) -> None:
        self.engine.dispose()


def hub() -> HubState:
    return current_app.extensions[EXTENSION]


class ApiError(Exception):
    """Answer `status` with the standard error body."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


# -- errors --------------------------------------------------------------------------


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def api_error(exc: ApiError):
    return jsonify(error_body(exc.code, exc.message)), exc.status, exc.headers


def http_error(exc: HTTPException):
    if isinstance(exc, InternalServerError):
        # Details stay in the log (Flask logged the exception); the client gets no internals.
        return jsonify(error_body("internal_error", "the hub failed to handle this request")), 500
    response = exc.get_response()  # keeps headers such as Allow on a 405
    code = _HTTP_CODES.get(exc.code, exc.name.lower().replace(" ", "_"))
    response.set_data(current_app.json.dumps(error_body(code, exc.description)))
    response.content_type = "application/json"
    return response


def listed(problems: list[dict]) -> str:
    """Problems [{path, message}] as one line for an error message."""
    return "; ".join(f"{p['path']}: {p['message']}" for p in problems)


# -- auth ----------------------------------------------------------------------------


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _same(known: str, token: str) -> bool:
    return hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8"))


def _connector_for(token: str | None) -> str | None:
    if token is None:
        return None
    found = None
    for known, connector_id in hub().settings.connectors.items():
        # Compare against every token in constant time, so timing reveals nothing.
        if _same(known, token):
            found = connector_id
    return found


def _unauthorized(whose: str) -> ApiError:
    return ApiError(
        401,
        "unauthorized",
        f"send Authorization: Bearer <token> with {whose}",
        {"WWW-Authenticate": "Bearer"},
    )


def requires_connector(view):
    """Put the token's connector id in `g.connector_id`, or answer 401."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        connector_id = _connector_for(_bearer_token())
        if connector_id is None:
            raise _unauthorized("a token this hub issued")
        g.connector_id = connector_id
        return view(*args, **kwargs)

    return wrapper


def requires_admin(view):
    """Let only the national side's admin token through: 401 otherwise, 404 when the
    settings give no admin token (the admin API does not exist then)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        expected = hub().settings.admin_token
        if expected is None:
            raise ApiError(
                404, "not_found", "this hub has no admin API (no admin_token in its settings)"
            )
        token = _bearer_token()
        if token is None or not _same(expected, token):
            raise _unauthorized("the hub's admin token")
        return view(*args, **kwargs)

    return wrapper


# -- faults --------------------------------------------------------------------------


def take_fault(endpoint: str) -> FaultRule | None:
    """This call's fault for `endpoint` (always None unless the settings enable faults):
    a status fault is raised here and a delay slept; the rule comes back so that a
    drop_after_save can act once the batch is saved (`answer_or_hang_up`)."""
    fault = hub().faults.take(endpoint)
    if fault is not None and fault.action == STATUS:
        headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
        raise ApiError(
            fault.status,
            "fault_injected",
            f"injected fault: status {fault.status}, nothing was saved",
            headers,
        )
    if fault is not None and fault.action == DELAY:
        time.sleep(fault.seconds)
    return fault


def answer_or_hang_up(fault: FaultRule | None, body: dict):
    if fault is not None and fault.action == DROP_AFTER_SAVE:
        log.info("fault: dropping the connection after saving a batch from %s", g.connector_id)
        return _hang_up(request.environ.get("werkzeug.socket"))
    return body


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
        yield b""  # unreachable: makes this a generator so it runs when the server sends the body

    return Response(body(), status=200, mimetype="application/json")
