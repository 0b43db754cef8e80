"""The channel contract: what every regional channel (portal, email, SMS …) provides.

A channel knows its source's protocol and vocabulary and nothing else: it hands
raw items, exactly as received, to `connector.intake`, which stores them before
anything is acknowledged. Channels never map fields (profiles do) and never touch
the store (intake does).

Subclasses set `kind`, `settings_schema` and `secrets`, and implement the hooks
they support. Pulling channels implement `fetch`; the others keep the default,
which raises NotImplementedError naming itself.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import ClassVar, Iterator

from connector.http import RetryPolicy


@dataclass(frozen=True)
class RawItem:
    """One inbound item as received. `external_id` is the dedup key within the channel."""

    channel_id: str
    external_id: str
    payload: bytes
    media_type: str = "application/json"
    received_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    meta: dict = field(default_factory=dict)
    fingerprint: str | None = (
        None  # content key for channels whose gateway ids do not catch repeats
    )

    def record(self):
        """The payload as parsed JSON (for JSON channels)."""
        return json.loads(self.payload)


@dataclass
class Batch:
    """Items to commit together, and the cursor to store in the same transaction
    (None: leave the cursor where it is, e.g. in the middle of a page walk)."""

    items: list[RawItem]
    cursor: str | None = None


@dataclass(frozen=True)
class ReplyRef:
    """What a citizen's answer says about the report it answers: the ids of our messages
    it replies to, a tracking id it quotes, who sent it, and its new text."""

    message_ids: tuple[str, ...] = ()
    tracking_id: str | None = None
    sender: str | None = None
    text: str | None = None
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Noise:
    """An item to record and not act on; `answer` is a text to send back (e.g. how to write a report)."""

    reason: str
    answer: str | None = None


@dataclass(frozen=True)
class Command:
    """A request for information rather than a report, e.g. an SMS "INFO <tracking id>"."""

    kind: str
    tracking_id: str | None = None


@dataclass(frozen=True)
class Reply(ReplyRef):
    """A ReplyRef with more words that may name the report, tried after `tracking_id` and in
    order: a subject's words, an SMS's leading word (its spellings)."""

    candidates: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question(Command):
    """A status question. `candidates` may name the report, in order (`tracking_id` is the number
    as typed, for the answer). `unknown` says what the message is when none names a report:
    "not_found" (answered so), "help" (answered with `help_text`) or "report" (no question after
    all: intake goes on with it)."""

    candidates: tuple[str, ...] = ()
    unknown: str = "not_found"
    help_text: str | None = None


@dataclass(frozen=True)
class PartInfo:
    """One part of a multipart message the gateway delivered on its own."""

    sender: str
    ref: int
    total: int
    seq: int


class RejectedRequest(Exception):
    """A pushed request that fails authentication or is malformed: answered with `status`, nothing stored."""

    def __init__(self, message: str, status: int = 401):
        super().__init__(message)
        self.status = status


@dataclass
class ProbeResult:
    ok: bool
    detail: str


class Channel:
    """Base class. `settings` is the channel's block from the config, defaults filled in."""

    kind: ClassVar[str] = ""
    settings_schema: ClassVar[dict] = {"type": "object"}
    secrets: ClassVar[tuple[str, ...]] = ()
    pulls: ClassVar[bool] = False
    receives: ClassVar[bool] = False
    dedup_window_s: ClassVar[float] = (
        0  # how long a repeat by fingerprint counts as the same message
    )

    def __init__(self, settings: dict, context: "ChannelContext"):
        self.settings = settings
        self.context = context
        self.id: str = settings["id"]

    def load_profile(self):
        """The mapping profile named by the `profile` setting; its problems are reported as
        the channel's (ConfigError)."""
        from connector.errors import ConfigError
        from connector.mapping.profile import Profile

        try:
            return Profile.load(self.settings["profile"])
        except ConfigError as exc:
            raise ConfigError(
                [f"profile {self.settings['profile']}: {p}" for p in exc.problems]
            ) from exc

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        """Pull: yield batches of new raw items starting from `cursor` (None: the beginning).

        Must be idempotent for a given cursor: the same cursor may be fetched again after
        a crash, and intake drops what it already has. Raise TransientError subclasses
        for an unreachable source, PermanentError subclasses for a refusal."""
        raise NotImplementedError(f"{type(self).__name__}.fetch")

    def record(self, item: RawItem):
        """The record the mapping profile reads, parsed from a raw item. Default: JSON.
        Raise ValueError for an item that cannot be read; intake quarantines it."""
        return item.record()

    def receive(self, request) -> list[RawItem]:
        """Push: the raw items in an HTTP request the source sent us (a Flask request).
        Raise RejectedRequest for a request that fails authentication or cannot be read."""
        raise NotImplementedError(f"{type(self).__name__}.receive")

    def noise(self, record) -> Noise | None:
        """Why this item is noise (an auto-reply, a bounce, an empty SMS …) to record and not
        act on, with an optional answer to send back; None when it is not. Default: None."""
        return None

    def command(self, record) -> Command | None:
        """A request for information (not a report), answered at once. Default: None."""
        return None

    def part_of(self, record) -> PartInfo | None:
        """For a part of a multipart message delivered on its own: which set it belongs to."""
        return None

    def combine(self, records: list[dict | None], channel_id: str) -> dict:
        """A record for a multipart set from its parts' records in order (None: a missing
        part). Only channels that return PartInfo implement it."""
        raise NotImplementedError(f"{type(self).__name__}.combine")

    def reply_address(self, record) -> str | None:
        """Where an answer to this item goes (a phone number, an address). Default: None."""
        return None

    def address_of(self, complaint) -> str | None:
        """Where a complaint's citizen is reached on this channel (channels that notify)."""
        raise NotImplementedError(f"{type(self).__name__}.address_of")

    def deliver(self, message: dict) -> dict:
        """Send one notification {to, subject, text, event, key, tracking_id, source_ref,
        outbox_id}; returns what to keep (e.g. {"message_id": …}). Raise TransientError or
        PermanentError subclasses."""
        raise NotImplementedError(f"{type(self).__name__}.deliver")

    def reply_to(self, record) -> ReplyRef | None:
        """If the item may answer an earlier message or report, what it refers to; intake
        decides whether it really does. Default: nothing is a reply."""
        return None

    def acknowledge(self, items: list[RawItem]) -> None:
        """Tell the source these items are safely stored. Runs only after the commit.
        Default: nothing to do (pull channels that use a cursor need no acknowledgement)."""

    def push(self, update: dict, source_ref: str) -> dict:
        """Send a national status update (exchange schema) to the source, for the record
        `source_ref`. Must be idempotent on the update's id. Only channels whose profile
        describes a push implement it."""
        raise NotImplementedError(f"{type(self).__name__}.push")

    @property
    def can_push(self) -> bool:
        return False

    @property
    def can_notify(self) -> bool:
        """Whether the channel sends citizens their notifications (email, SMS)."""
        return False

    def probe(self) -> ProbeResult:
        """Check connectivity and credentials (used by `check-config --probe`)."""
        return ProbeResult(True, "nothing to check")

    def close(self) -> None:
        """Release connections. Default: nothing to release."""


@dataclass
class ChannelContext:
    """What a channel may know about the connector it runs in."""

    connector_id: str
    tz: object
    timeout_s: float = 30.0
    policy: RetryPolicy = field(default_factory=RetryPolicy)
