"""A strict recording hub for tests, built from the published documents.

`StrictHub` serves exactly the core operations and those of the capabilities it is given,
as an in-memory Flask app. Every request is checked against the document before it is
answered: the bearer token (401), path and query parameters against their schemas (an
unknown query parameter is refused too: 400), the body against the request schema (400;
422 for a batch size outside the document's bounds; 413 above `max_body_bytes`), and
each report or update of a batch against its published schema (answered `rejected` with
its paths). Its own answers are validated against the documented response schema; one
that does not match is our bug: recorded in `self_errors` and answered 500.

Everything is recorded for the test to assert on: `requests`; `rejected`: every refused
item (a report `rejected` or in `conflict`; an update `rejected`, `conflict`,
`illegal_transition` or `unknown_report`) and every 4xx answer, except those of the check
kit's deliberate probes (marked with PROBE_HEADER); `problems()`: one line for each of
those and each self error, so `assert hub.problems() == []` says the client kept to the
contract. Tracking ids are `LPR-0000000001` style: never plain digits, so a client that
parses them fails here. A wrong method on a served path is 405 (with Allow), any other
path 404; both with the documented error body.

Not here: what a batch or an update means (`strict_state.py`), the document's operations
(`contract.py`).
"""

from __future__ import annotations

import copy
import hmac
import json
import re
import threading
import traceback
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from flask import Flask, request

from .. import capabilities as C
from ..wsgi import ServerThread
from . import contract, strict_routes
from .strict_routes import HubError
from .strict_state import CONFLICT, ILLEGAL_TRANSITION, REJECTED, UNKNOWN_REPORT, ExchangeState

IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
# The outcomes that refuse an item: what a test asserting "nothing was refused" must see.
REFUSED = {
    "submitReports": (CONFLICT, REJECTED),
    "submitUpdates": (CONFLICT, REJECTED, ILLEGAL_TRANSITION, UNKNOWN_REPORT),
}


@dataclass
class Call:
    """One checked request, as a handler sees it."""

    connector_id: str | None
    query: dict
    path: dict
    body: object


class StrictHub:
    """An in-memory hub that takes only what the documents allow, and records everything."""

    state_class = ExchangeState
    max_body_bytes = 32 * 1024 * 1024

    def __init__(
        self,
        tokens: Mapping[str, str],
        capabilities: Iterable[str] = C.OPTIONAL,
        tracking_prefix: str = "LPR-",
        report_history: bool = True,
    ):
        self.tokens = _checked_tokens(tokens)
        self.capabilities = _checked_capabilities(capabilities)
        self.report_history = report_history
        if not re.fullmatch(r"[A-Za-z0-9._-]{0,54}", tracking_prefix):
            raise ValueError(f"tracking_prefix {tracking_prefix!r}: up to 54 of A-Z a-z 0-9 . _ -")
        self.state = self.state_class(tracking_prefix)
        self.operations = tuple(op for op in contract.operations() if op.tag in self.capabilities)
        self.document = contract.published_for(self.capabilities)
        self.url: str | None = None
        self._lock = threading.Lock()
        self._requests: list[dict] = []
        self._rejected: list[dict] = []
        self._self_errors: list[str] = []
        self.app = self._make_app()

    # -- the test-facing API -----------------------------------------------------------

    def act(
        self,
        tracking_id: str,
        status: str | None = None,
        message: str | None = None,
        occurred_at: datetime | str | None = None,
        actor: str = "admin_nasional",
    ) -> dict:
        """The national side acts on a report: {"update", "outcome", "status", "status_at"}.
        Raises ValueError for an unknown report, an illegal transition or an invalid act."""
        return self.state.act(tracking_id, status, message, occurred_at, actor)

    @property
    def reports(self) -> Mapping[str, dict]:
        """Stored reports by tracking id (StoredReport with its updates), a read-only snapshot."""
        with self.state.lock:
            return MappingProxyType(
                {tid: stored.view(True) for tid, stored in self.state.reports.items()}
            )

    @property
    def requests(self) -> list[dict]:
        """Every request: {method, path, status, code (4xx/5xx), probe}."""
        with self._lock:
            return copy.deepcopy(self._requests)

    @property
    def rejected(self) -> list[dict]:
        """Every refused item and every 4xx answer, except the check kit's deliberate probes."""
        with self._lock:
            return copy.deepcopy(self._rejected)

    @property
    def self_errors(self) -> list[str]:
        """Answers of ours that broke the document (answered 500 instead): our bugs."""
        with self._lock:
            return list(self._self_errors)

    def problems(self) -> list[str]:
        """One line per refused item, 4xx answer and self error: [] when the client kept to the contract."""
        with self._lock:
            refused = [_line(entry) for entry in self._rejected]
            return refused + [f"hub bug (answered 500): {error}" for error in self._self_errors]

    def serve(self, host: str = "127.0.0.1", port: int = 0) -> ServerThread:
        """A server for this hub, not started (use it as a context manager); sets `url`."""
        server = ServerThread(self.app, host, port, name="strict-hub")
        self.url = server.url
        return server

    # -- HTTP --------------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask(__name__)
        methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
        for rule in ("/", "/<path:_rest>"):
            app.add_url_rule(
                rule, "any", self._view, methods=methods, provide_automatic_options=False
            )
        return app

    def _view(self, _rest: str = ""):
        op = None
        try:
            op, raw_path = self._route(request.method, request.path)
            status, body, headers = *self._dispatch(op, raw_path), {}
        except HubError as exc:
            status, body, headers = exc.status, _error(exc.code, exc.message), exc.headers
        except Exception:  # noqa: BLE001 - any failure of ours is recorded, never hidden
            self._self_error(f"{request.method} {request.path}: {traceback.format_exc(limit=3)}")
            status, body, headers = (
                500,
                _error("internal_error", "the strict hub failed (see its self_errors)"),
                {},
            )
        status, body = self._checked_answer(op, status, body)
        self._record(op, status, body)
        return self.app.response_class(json.dumps(body), status, headers, mimetype=contract.JSON)

    def _route(self, method: str, path: str):
        matches = [(op, found) for op in self.operations if (found := op.match(path)) is not None]
        for op, found in matches:
            if op.method == method:
                return op, found
        if matches:
            allowed = ", ".join(op.method for op, _ in matches)
            raise HubError(
                405,
                "method_not_allowed",
                f"{method} is not offered here; {allowed} is",
                {"Allow": allowed},
            )
        raise HubError(404, "not_found", f"this hub offers no operation at {path}")

    def _dispatch(self, op: contract.Operation, raw_path: dict) -> tuple[int, dict]:
        data = self._data(op)
        connector_id = self._authorize(op)
        call = Call(
            connector_id,
            strict_routes.query_values(op, request.args),
            strict_routes.path_values(op, raw_path),
            self.read_body(op, data) if op.body_pointer else None,
        )
        return strict_routes.HANDLERS[op.operation_id](self, call)

    def read_body(self, op: contract.Operation, data: bytes):
        """The request body, checked against the operation's request schema. A test may
        override this (or `connector_for`) to make a hub that breaks one rule."""
        return strict_routes.body_value(op, request.mimetype, data)

    def _data(self, op: contract.Operation) -> bytes:
        # Read before answering anything, so that an early refusal never leaves a body unread on
        # the connection (a body declared too large is not read at all).
        too_large = HubError(
            413,
            op.error_code(413) or "too_large",
            f"the body is larger than {self.max_body_bytes} bytes",
        )
        if (request.content_length or 0) > self.max_body_bytes:
            raise too_large
        data = request.get_data(cache=False)
        if len(data) > self.max_body_bytes:
            raise too_large
        return data

    def _authorize(self, op: contract.Operation) -> str | None:
        if not op.secured:
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        found = self.connector_for(token.strip() if scheme.lower() == "bearer" else "")
        if found is None:
            raise HubError(
                401,
                "unauthorized",
                "send Authorization: Bearer <a token this hub issued>",
                {"WWW-Authenticate": "Bearer"},
            )
        return found

    def connector_for(self, token: str) -> str | None:
        """The connector of a bearer token (None: no token, or one this hub did not issue)."""
        found = None
        for known, connector_id in self.tokens.items():
            if token and hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
                found = connector_id
        return found

    def _checked_answer(self, op, status: int, body) -> tuple[int, dict]:
        problems = (
            contract.answer_problems(op, status, body)
            if op
            else contract.error_problems(status, body)
        )
        if not problems:
            return status, body
        where = op.operation_id if op else request.path
        self._self_error(
            f"{where} answered {status} against the document: {'; '.join(problems[:5])}"
        )
        return 500, _error(
            "internal_error",
            "the strict hub's answer did not match the document (see its self_errors)",
        )

    # -- recording ---------------------------------------------------------------------

    def _self_error(self, text: str) -> None:
        with self._lock:
            self._self_errors.append(text)

    def _record(self, op, status: int, body: dict) -> None:
        probe = bool(request.headers.get(contract.PROBE_HEADER))
        code = body["error"]["code"] if status >= 400 else None
        where = {"method": request.method, "path": request.path}
        with self._lock:
            self._requests.append({**where, "status": status, "code": code, "probe": probe})
            if 400 <= status < 500 and not probe:
                self._rejected.append(
                    {**where, "status": status, "code": code, "message": body["error"]["message"]}
                )
            if status == 200 and not probe and op is not None and op.operation_id in REFUSED:
                self._rejected.extend(
                    {**where, "index": r["index"], "outcome": r["outcome"], "errors": r["errors"]}
                    for r in body["results"]
                    if r["outcome"] in REFUSED[op.operation_id]
                )


def _line(entry: dict) -> str:
    where = f"{entry['method']} {entry['path']}"
    if "index" in entry:
        errors = "; ".join(f"{e['path']}: {e['message']}" for e in entry["errors"])
        return f"{where} item {entry['index']}: {entry['outcome']}" + (
            f": {errors}" if errors else ""
        )
    return f"{where} → {entry['status']} {entry['code']}: {entry['message']}"


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _checked_tokens(tokens: Mapping[str, str]) -> dict[str, str]:
    for token, connector_id in tokens.items():
        if not token or not IDENTIFIER.match(str(connector_id)):
            raise ValueError(
                f"token for {connector_id!r}: give a non-empty token and a connector id like 'kalsel'"
            )
    return dict(tokens)


def _checked_capabilities(names: Iterable[str]) -> frozenset[str]:
    names = frozenset([names] if isinstance(names, str) else names) - {C.CORE}
    unknown = sorted(names - set(C.OPTIONAL))
    if unknown:
        raise ValueError(
            f"unknown capabilities {', '.join(unknown)}; known: {', '.join(C.OPTIONAL)}"
        )
    return names | {C.CORE}
