"""Portal channel: pulls complaint records from a local portal's JSON API, as its
mapping profile's `source` section describes (list endpoint, paging style, id and
updated-at fields, auth). No Python per portal: a new portal is a new profile.

The cursor is the newest updated-at seen in a complete walk, minus the profile's
overlap window, and it is handed out only with the walk's last page, so a walk
cut short is simply walked again (intake drops what it already has). Two things
would make an offset-paged walk skip records, and both are caught:
- a page that repeats the previous page exactly (a stale cache): the walk stops
  with a transient error and the cursor stays;
- a record seen twice in one walk with a newer updated-at (it was edited during
  the walk, so every later record shifted one place back): the cursor goes no
  further than that record's first updated-at, so the next walk covers the gap.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Iterator
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import requests

from connector.channels.base import Batch, Channel, ProbeResult, RawItem
from connector.errors import ConfigError, SourceRejectedError, SourceUnavailableError
from connector.http import classify, classify_exception
from connector.mapping.paths import MISSING, get_path
from lapor_exchange.canonical import canonical_json, sha256_bytes

log = logging.getLogger(__name__)
MAX_PAGES_PER_WALK = 100_000


class PortalChannel(Channel):
    kind = "portal"
    pulls = True
    secrets = ("credentials.token", "credentials.password", "credentials.api_key")
    settings_schema = {
        "type": "object",
        "required": ["profile", "base_url"],
        "properties": {
            "profile": {
                "description": "Mapping profile (YAML), relative to the config file.",
                "type": "string",
            },
            "base_url": {
                "description": "The portal's base URL.",
                "type": "string",
                "pattern": "^https?://",
            },
            "credentials": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "token": {
                        "description": "Bearer token (auth type bearer). A secret.",
                        "type": "string",
                        "minLength": 1,
                    },
                    "username": {"description": "User (auth type basic).", "type": "string"},
                    "password": {
                        "description": "Password (auth type basic). A secret.",
                        "type": "string",
                    },
                    "api_key": {
                        "description": "Key for auth type header or query. A secret.",
                        "type": "string",
                        "minLength": 1,
                    },
                },
            },
            "page_size": {
                "description": "Records per page asked for.",
                "type": "integer",
                "minimum": 1,
                "maximum": 1000,
                "default": 100,
            },
            "start_from": {
                "description": "Where the first walk starts (ISO 8601); default: the beginning.",
                "type": "string",
                "format": "date-time",
            },
        },
    }

    def __init__(self, settings: dict, context):
        super().__init__(settings, context)
        self.profile = self.load_profile()
        if not self.profile.source:
            raise ConfigError(
                [f"profile {self.profile.name} has no 'source' section, so it cannot be pulled"]
            )
        self.source = self.profile.source
        self.tz = ZoneInfo(self.profile.timezone) if self.profile.timezone else context.tz
        self.page_size = int(settings.get("page_size", 100))
        self.policy = context.policy
        self.http = requests.Session()
        self._check_auth()

    # -- HTTP ----------------------------------------------------------------------

    def _check_auth(self) -> None:
        auth = self.source.get("auth", {"type": "none"})
        needs = {
            "bearer": ["token"],
            "basic": ["username", "password"],
            "header": ["api_key"],
            "query": ["api_key"],
        }
        creds = self.settings.get("credentials") or {}
        missing = [k for k in needs.get(auth["type"], []) if not creds.get(k)]
        if missing:
            raise ConfigError(
                [
                    f"credentials.{k}: required by the profile's auth type '{auth['type']}'"
                    for k in missing
                ]
            )
        if auth["type"] in ("header", "query") and not auth.get("name"):
            raise ConfigError(
                [
                    f"profile {self.profile.name}: source.auth.name is required for auth type {auth['type']}"
                ]
            )

    def _auth(self, params: dict) -> dict:
        auth = self.source.get("auth", {"type": "none"})
        creds = self.settings.get("credentials") or {}
        kwargs: dict = {}
        if auth["type"] == "bearer":
            kwargs["headers"] = {"Authorization": f"Bearer {creds['token']}"}
        elif auth["type"] == "basic":
            kwargs["auth"] = (creds["username"], creds["password"])
        elif auth["type"] == "header":
            kwargs["headers"] = {auth["name"]: creds["api_key"]}
        elif auth["type"] == "query":
            params = {**params, auth["name"]: creds["api_key"]}
        kwargs["params"] = params
        return kwargs

    def _get(self, url: str, params: dict):
        return self._request(self.source["list"].get("method", "GET"), url, params)

    def _request(self, method: str, url: str, params: dict, body: dict | None = None):
        what = (
            f"portal {self.id} {method} {url.split('?')[0]}"  # never the query: it may hold a key
        )

        def attempt():
            try:
                response = self.http.request(
                    method, url, timeout=self.context.timeout_s, json=body, **self._auth(params)
                )
            except requests.RequestException as exc:
                raise classify_exception(exc, what, SourceUnavailableError) from exc
            error = classify(response, what, SourceUnavailableError, SourceRejectedError)
            if error is not None:
                raise error
            try:
                return response.json()
            except ValueError as exc:
                raise SourceUnavailableError(f"{what}: the answer is not JSON") from exc

        return self.policy.call(attempt)

    # -- status sync ----------------------------------------------------------------

    @property
    def can_push(self) -> bool:
        return self.profile.status is not None and self.profile.status.push_spec is not None

    def push(self, update: dict, source_ref: str) -> dict:
        """POST the update as the profile's `status.push` says; the portal is idempotent on `ref`."""
        method, path, body = self.profile.status.push_request(update, source_ref)
        url = urljoin(self.settings["base_url"].rstrip("/") + "/", path.lstrip("/"))
        self._request(method, url, {}, body)
        return {
            "update_id": update["update_id"]
        }  # the portal's answer may quote the text: not kept

    # -- the walk -------------------------------------------------------------------

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        since = _parse_cursor(cursor) or _parse_cursor(self.settings.get("start_from"))
        walk = _Walk(since)
        url = urljoin(
            self.settings["base_url"].rstrip("/") + "/", self.source["list"]["path"].lstrip("/")
        )
        params = self._first_params(since)
        for _ in range(MAX_PAGES_PER_WALK):
            body = self._get(url, params)
            records = get_path(body, self.source["list"]["records"])
            if not isinstance(records, list):
                raise SourceRejectedError(
                    f"portal {self.id}: the answer has no record list at '{self.source['list']['records']}'"
                )
            items = [self._item(r, walk) for r in records]
            walk.check_repeat(items, self.id)
            url, params = self._next(body, url, params, len(records))
            if url is None:
                yield Batch(items, walk.next_cursor(self._overlap()))
                return
            yield Batch(items)
        raise SourceRejectedError(
            f"portal {self.id}: more than {MAX_PAGES_PER_WALK} pages in one walk; paging looks broken"
        )

    def _first_params(self, since: datetime | None) -> dict:
        params = dict(self.source["list"].get("params") or {})
        if self.source["list"].get("page_size_param"):
            params[self.source["list"]["page_size_param"]] = self.page_size
        paging = self.source.get("paging", {"style": "none"})
        if paging["style"] == "page_number":
            params[paging.get("page_param", "page")] = paging.get("first_page", 1)
        incremental = self.source.get("incremental")
        if incremental and since is not None:
            fmt = incremental.get("format", "iso")
            local = since.astimezone(self.tz)
            params[incremental["param"]] = (
                local.isoformat() if fmt == "iso" else local.strftime(fmt)
            )
        return params

    def _next(self, body, url: str, params: dict, count: int) -> tuple[str | None, dict]:
        """The next page's URL and parameters, or (None, {}) at the end of the walk."""
        paging = self.source.get("paging", {"style": "none"})
        style = paging["style"]
        if style == "page_number":
            param = paging.get("page_param", "page")
            last = get_path(body, paging["last_page"]) if paging.get("last_page") else MISSING
            at_end = count == 0 or (
                int(last) <= int(params[param])
                if last not in (MISSING, None)
                else count < self.page_size
            )
            return (None, {}) if at_end else (url, {**params, param: int(params[param]) + 1})
        if style == "next_link":
            link = get_path(body, paging["next_link"])
            return (
                (None, {})
                if link in (MISSING, None, "") or count == 0
                else (urljoin(url, link), {})
            )
        if style == "cursor_token":
            token = get_path(body, paging["token"])
            if token in (MISSING, None, "") or count == 0:
                return None, {}
            return url, {**params, paging["token_param"]: token}
        return None, {}

    def _overlap(self) -> float:
        return float((self.source.get("incremental") or {}).get("overlap_s", 300))

    def _item(self, record, walk: "_Walk") -> RawItem:
        payload = canonical_json(record).encode("utf-8")
        meta: dict = {"profile": self.profile.name}
        ref = get_path(record, self.source["id"]) if isinstance(record, dict) else MISSING
        if ref in (MISSING, None, ""):
            ref = "no-id:" + sha256_bytes(payload)[:32]
            meta["read_problems"] = [
                {
                    "path": "$.source.source_ref",
                    "message": f"the record has no id at '{self.source['id']}'",
                }
            ]
        updated = self._updated_at(record)
        walk.saw(str(ref), updated)
        if updated is not None:
            meta["updated_at"] = updated.isoformat()
        return RawItem(self.id, str(ref), payload, "application/json", meta=meta)

    def _updated_at(self, record) -> datetime | None:
        spec = self.source["updated_at"]
        value = get_path(record, spec["path"]) if isinstance(record, dict) else MISSING
        if value in (MISSING, None, ""):
            return None
        try:
            fmt = spec.get("format", "iso")
            parsed = (
                datetime.fromisoformat(str(value))
                if fmt == "iso"
                else datetime.strptime(str(value), fmt)
            )
        except ValueError:
            return None
        return (parsed if parsed.tzinfo else parsed.replace(tzinfo=self.tz)).astimezone(
            timezone.utc
        )

    def probe(self) -> ProbeResult:
        try:
            body = self._get(
                urljoin(
                    self.settings["base_url"].rstrip("/") + "/",
                    self.source["list"]["path"].lstrip("/"),
                ),
                self._first_params(None),
            )
        except (SourceUnavailableError, SourceRejectedError) as exc:
            return ProbeResult(False, str(exc))
        records = get_path(body, self.source["list"]["records"])
        if not isinstance(records, list):
            return ProbeResult(
                False, f"the answer has no record list at '{self.source['list']['records']}'"
            )
        return ProbeResult(True, f"reachable; first page holds {len(records)} records")

    def close(self) -> None:
        self.http.close()


class _Walk:
    """What one walk has seen: for the next cursor and to catch a repeated page."""

    def __init__(self, since: datetime | None):
        self.since = since
        self.newest: datetime | None = None
        self.floor: datetime | None = (
            None  # first updated-at of a record that moved during the walk
        )
        self.first_seen: dict[str, datetime | None] = {}
        self.previous_page: list[tuple[str, str]] | None = None
        self.pages = 0

    def saw(self, ref: str, updated: datetime | None) -> None:
        if updated is not None and (self.newest is None or updated > self.newest):
            self.newest = updated
        if ref in self.first_seen:
            first = self.first_seen[ref]
            if first is not None and updated is not None and updated != first:
                self.floor = first if self.floor is None else min(self.floor, first)
        else:
            self.first_seen[ref] = updated

    def check_repeat(self, items: list[RawItem], channel_id: str) -> None:
        self.pages += 1
        page = [(i.external_id, i.meta.get("updated_at", "")) for i in items]
        if page and page == self.previous_page:
            raise SourceUnavailableError(
                f"portal {channel_id}: page {self.pages} repeats page {self.pages - 1} exactly; walk stopped, cursor kept"
            )
        self.previous_page = page

    def next_cursor(self, overlap_s: float) -> str | None:
        if self.newest is None:
            return None
        until = self.newest if self.floor is None else min(self.newest, self.floor)
        candidate = until - timedelta(seconds=overlap_s)
        if self.since is not None and candidate <= self.since:
            return None
        return candidate.isoformat()


def _parse_cursor(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)).astimezone(
        timezone.utc
    )
