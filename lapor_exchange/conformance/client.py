"""Calling a hub for the check kit: one request per operation of the published document,
every answer judged against what the document says that operation answers.

`HubClient.call(operation_id, …)` builds the path from the document, sends the token
(or none, or another one, for the auth checks), and returns an `Answer`: the status, the
JSON body (None when the body is not JSON), and `problems`: every way the answer breaks
the document's response schema for that status. A request the check sends on purpose to
be refused carries PROBE_HEADER, so that a recording hub can tell it from a client's mistake.

Not here: what the checks expect (`checks_core.py`, `checks_optional.py`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import requests

from ..jsontext import parse_json
from . import contract

TIMEOUT_SECONDS = 30
_OWN_TOKEN, _NO_BODY = object(), object()


class HubUnreachableError(Exception):
    """No answer at all: the address is wrong, or nothing listens there."""


@dataclass
class Answer:
    operation: contract.Operation
    status: int
    body: object  # the parsed JSON, None when the body is not JSON
    problems: list[str] = field(default_factory=list)  # against the document

    @property
    def error_code(self) -> str | None:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        return error.get("code") if isinstance(error, dict) else None

    @property
    def error_message(self) -> str:
        error = self.body.get("error") if isinstance(self.body, dict) else None
        message = error.get("message") if isinstance(error, dict) else None
        return _short(str(message)) if message else ""

    def describe(self) -> str:
        """'GET /api/v1/reports → 400 bad_request: limit: …', for a failure's detail."""
        code = f" {self.error_code}" if self.error_code else ""
        message = f": {self.error_message}" if self.error_message else ""
        return f"{self.operation.method} {self.operation.path} → {self.status}{code}{message}"


class HubClient:
    """Requests to one hub with one connector's token."""

    def __init__(self, url: str, token: str, timeout: float = TIMEOUT_SECONDS):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.http = requests.Session()

    def call(
        self,
        operation_id: str,
        *,
        path: dict | None = None,
        params: dict | None = None,
        body=_NO_BODY,
        data: bytes | None = None,
        headers: dict | None = None,
        token=_OWN_TOKEN,
        probe: bool = False,
    ) -> Answer:
        """Send one request of `operation_id`; `body` is sent as JSON, `data` as raw bytes
        (with Content-Type application/json unless `headers` say otherwise); `token=None`
        sends no Authorization header. Raises HubUnreachableError when nothing answers."""
        op = contract.operation(operation_id)
        sent_headers = self._headers(token, probe)
        if body is not _NO_BODY or data is not None:
            sent_headers["Content-Type"] = contract.JSON
            data = (
                data if data is not None else json.dumps(body, ensure_ascii=False).encode("utf-8")
            )
        sent_headers.update(headers or {})
        try:
            response = self.http.request(
                op.method,
                self.url + op.url_path(**(path or {})),
                params=params,
                data=data,
                headers=sent_headers,
                timeout=self.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise HubUnreachableError(f"no answer from {self.url}: {_reason(exc)}") from exc
        parsed = _json_or_none(response)
        return Answer(
            op,
            response.status_code,
            parsed,
            contract.answer_problems(op, response.status_code, parsed),
        )

    def _headers(self, token, probe: bool) -> dict:
        headers = {"Accept": contract.JSON}
        token = self.token if token is _OWN_TOKEN else token
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if probe:
            headers[contract.PROBE_HEADER] = "1"
        return headers


def _json_or_none(response: requests.Response):
    try:
        return parse_json(response.content)
    except ValueError:
        return None


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in (
        "Connection refused",
        "Name or service not known",
        "timed out",
        "No route to host",
    ):
        if known.lower() in text.lower():
            return known.lower()
    return type(exc).__name__


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
