"""HTTP at the boundary: the one place where statuses and connection failures
become error classes, and the one retry policy for outbound calls.

`classify(response)` and `classify_exception(exc)` turn what `requests` gives
into `TransientError` (connection errors, timeouts, 408, 425, 429, 5xx) or
`PermanentError` (every other 4xx) subclasses chosen by the caller. Nothing else
in the project looks at a status code to decide what to do.

`RetryPolicy` holds both layers of retry: a few quick tries inside one call
(tenacity, honouring a short Retry-After) and the durable backoff between
attempts that the outbox stores in `next_attempt_at` (exponential, with jitter,
capped, never sooner than Retry-After).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import timezone
from email.utils import parsedate_to_datetime

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from connector.errors import NotFoundError, PermanentError, TransientError

TRANSIENT_STATUSES = frozenset({408, 425, 429})


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


def classify(
    response: requests.Response, what: str, transient=TransientError, permanent=PermanentError
):
    """None for a 2xx answer; otherwise the error to raise, carrying the response."""
    status = response.status_code
    if 200 <= status < 300:
        return None
    detail = _detail(response)
    message = f"{what}: HTTP {status}{(': ' + detail) if detail else ''}"
    if status in TRANSIENT_STATUSES or status >= 500:
        return transient(
            message,
            retry_after_s=parse_retry_after(response.headers.get("Retry-After")),
            status=status,
        )
    if status == 404:
        return NotFoundError(message, status=status)
    return permanent(message, status=status)


def classify_exception(exc: requests.RequestException, what: str, transient=TransientError):
    """Connection refused, reset, timeouts, broken answers: all worth another try."""
    return transient(f"{what}: {type(exc).__name__}: {_first_line(exc)}")


def _detail(response: requests.Response, limit: int = 200) -> str:
    try:
        body = response.json()
        error = body.get("error") if isinstance(body, dict) else None
        text = error.get("message", "") if isinstance(error, dict) else str(body)
    except ValueError:
        text = response.text or ""
    text = " ".join(text.split())
    return text[:limit]


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [""])[0][:200]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 12
    base_delay_s: float = 5.0
    max_delay_s: float = 900.0
    quick_attempts: int = 3
    quick_max_wait_s: float = 5.0

    @classmethod
    def from_config(cls, retry: dict) -> "RetryPolicy":
        return cls(**{k: retry[k] for k in cls.__dataclass_fields__ if k in retry})

    def call(self, fn, *args, **kwargs):
        """Run `fn`, retrying TransientError a few times quickly; re-raises the last error."""
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            stop=self._stop_quick,
            wait=self._wait_quick,
            reraise=True,
            sleep=time.sleep,
        )
        return retrying(fn, *args, **kwargs)

    def _stop_quick(self, state: RetryCallState) -> bool:
        if state.attempt_number >= self.quick_attempts:
            return True
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after_s", None)
        return retry_after is not None and retry_after > self.quick_max_wait_s

    def _wait_quick(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = getattr(error, "retry_after_s", None)
        if retry_after is not None:
            return retry_after
        backoff = 0.2 * (2 ** (state.attempt_number - 1))
        return min(self.quick_max_wait_s, backoff * random.uniform(0.5, 1.5))

    def next_delay(self, attempts: int, retry_after_s: float | None = None) -> float:
        """Seconds until the next durable attempt after `attempts` failed ones."""
        backoff = self.base_delay_s * (2 ** max(0, attempts - 1))
        delay = min(self.max_delay_s, backoff) * random.uniform(0.75, 1.25)
        if retry_after_s is not None:
            delay = max(delay, min(retry_after_s, self.max_delay_s))
        return min(delay, self.max_delay_s * 1.25)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts
