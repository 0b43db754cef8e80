"""Client for the national hub's exchange API (/api/v1, the contract in lapor_exchange).

Every call has a timeout and goes through the one retry policy (a few quick
tries for transient failures). Raises only `TransientError` / `PermanentError`
subclasses; callers decide what that means for their outbox rows. The core
calls work with every hub; the others belong to optional capabilities, which
callers use only when `HubCapabilities` says the hub offers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests

from connector import __version__
from connector.errors import HubRejectedError, HubUnavailableError, NotFoundError
from connector.http import RetryPolicy, classify, classify_exception

OUTCOMES = ("created", "duplicate", "conflict", "rejected")


@dataclass(frozen=True)
class ItemResult:
    index: int
    source_ref: str | None
    outcome: str
    tracking_id: str | None
    errors: list = field(default_factory=list)


class HubClient:
    def __init__(
        self,
        url: str,
        token: str,
        timeout_s: float = 30.0,
        policy: RetryPolicy | None = None,
        session: requests.Session | None = None,
    ):
        self.base = url.rstrip("/") + "/api/v1"
        self.timeout_s = timeout_s
        self.policy = policy or RetryPolicy()
        self.http = session or requests.Session()
        self.http.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "User-Agent": f"lapor-connector/{__version__}",
                "Accept": "application/json",
            }
        )

    @classmethod
    def from_config(cls, config) -> "HubClient":
        hub = config.hub
        return cls(
            hub["url"], hub["token"], float(hub["timeout_s"]), RetryPolicy.from_config(config.retry)
        )

    def _request(self, method: str, path: str, **kwargs) -> requests.Response:
        what = f"hub {method} {path}"
        try:
            response = self.http.request(method, self.base + path, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise classify_exception(exc, what, HubUnavailableError) from exc
        error = classify(response, what, HubUnavailableError, HubRejectedError)
        if error is not None:
            raise error
        return response

    def _json(self, method: str, path: str, **kwargs):
        def attempt():
            response = self._request(method, path, **kwargs)
            try:
                return response.json()
            except ValueError as exc:
                raise HubUnavailableError(f"hub {method} {path}: the answer is not JSON") from exc

        return self.policy.call(attempt)

    def document(self) -> dict:
        """The hub's own OpenAPI document (core): which capabilities it offers."""
        body = self._json("GET", "/openapi.json")
        if not isinstance(body, dict) or not isinstance(body.get("paths"), dict):
            raise HubUnavailableError(
                "hub GET /openapi.json: the answer is not an OpenAPI document"
            )
        return body

    def send_reports(self, reports: list[dict]) -> list[ItemResult]:
        """POST one batch; one ItemResult per report, in order."""
        body = self._json("POST", "/reports:batch", json={"reports": reports})
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list) or len(results) != len(reports):
            raise HubUnavailableError(
                "hub POST /reports:batch: the answer does not hold one result per report"
            )
        parsed = []
        for i, r in enumerate(results):
            if (
                not isinstance(r, dict)
                or r.get("outcome") not in OUTCOMES
                or r.get("index", i) != i
            ):
                raise HubUnavailableError(
                    f"hub POST /reports:batch: result {i} is not a valid item result"
                )
            parsed.append(
                ItemResult(
                    i,
                    r.get("source_ref"),
                    r["outcome"],
                    r.get("tracking_id"),
                    r.get("errors") or [],
                )
            )
        return parsed

    def send_updates(self, updates: list[dict]) -> list[dict]:
        """POST one batch of region status updates; one answer per update, in order."""
        body = self._json("POST", "/updates:batch", json={"updates": updates})
        results = body.get("results") if isinstance(body, dict) else None
        if (
            not isinstance(results, list)
            or len(results) != len(updates)
            or not all(isinstance(r, dict) for r in results)
        ):
            raise HubUnavailableError(
                "hub POST /updates:batch: the answer does not hold one result per update"
            )
        return results

    def updates(self, after: str | None = None, limit: int = 500) -> dict:
        """One page of the hub's feed of national updates: {"updates": [...], "next_after": …}."""
        params = {"limit": limit, **({"after": after} if after else {})}
        body = self._json("GET", "/updates", params=params)
        if not isinstance(body, dict) or not isinstance(body.get("updates"), list):
            raise HubUnavailableError("hub GET /updates: the answer has no update list")
        return body

    def get_report(self, tracking_id: str) -> dict | None:
        try:
            return self._json("GET", f"/reports/{requests.utils.quote(tracking_id, safe='')}")
        except NotFoundError:
            return None

    def find_report(self, channel_id: str, source_ref: str) -> dict | None:
        body = self._json(
            "GET", "/reports", params={"channel_id": channel_id, "source_ref": source_ref}
        )
        reports = body.get("reports") if isinstance(body, dict) else None
        return reports[0] if reports else None

    def report_pages(self, limit: int = 1000):
        """Every report of this connector at the hub (core), one page (a list) at a time."""
        after = None
        while True:
            body = self._json(
                "GET", "/reports", params={"limit": limit, **({"after": after} if after else {})}
            )
            if not isinstance(body, dict) or not isinstance(body.get("reports"), list):
                raise HubUnavailableError("hub GET /reports: the answer has no report list")
            yield body["reports"]
            after = body.get("next_after")
            if not after or not body["reports"]:
                return

    def list_reports(self, limit: int = 1000):
        """Every report of this connector at the hub, one at a time."""
        for page in self.report_pages(limit):
            yield from page

    def reconcile_digest(self, buckets: int | None = None) -> dict:
        """{"buckets": N, "count": n, "digests": [...]} of this connector's reports at the hub."""
        return self._json(
            "GET", "/reconcile/digest", params={"buckets": buckets} if buckets else None
        )

    def reconcile_bucket(self, bucket: int, buckets: int) -> list[dict]:
        """Every entry of one bucket at the hub: {channel_id, source_ref, tracking_id, status, content_hash}."""
        return self._json("GET", f"/reconcile/buckets/{bucket}", params={"buckets": buckets})[
            "entries"
        ]

    def post_checkpoint(self, seq: int, hash_: str, at: str) -> dict:
        """Give the hub the audit chain's head, so truncation or rewriting shows from its side too."""
        return self._json("POST", "/audit/checkpoints", json={"seq": seq, "hash": hash_, "at": at})

    def checkpoints(self) -> list[dict]:
        """The chain heads this connector gave the hub, oldest first: [{seq, hash, at}]."""
        return self._json("GET", "/audit/checkpoints")["checkpoints"]

    def stats(self) -> dict:
        return self._json("GET", "/stats")

    def health(self) -> dict:
        return self._json("GET", "/health")
