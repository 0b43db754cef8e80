"""A generic SMS gateway that posts JSON webhooks, described by a few settings rather than
code: where the sender, text, id and time sit in its JSON, and how it signs requests.

Every request must carry an HMAC-SHA256 signature of "<timestamp>.<raw body>" with the
channel's secret (hex, optionally prefixed "sha256="), and a timestamp within the
tolerance; otherwise it is answered 401 and nothing is stored. Outbound SMS go to the
gateway's send URL as JSON, when one is configured.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime, timezone

import requests

from connector.channels.base import RawItem, RejectedRequest
from connector.channels.sms.channel import SMS_SETTINGS, Message, SmsChannel
from connector.channels.sms.text import udh_from_kannel
from connector.errors import SourceRejectedError, SourceUnavailableError
from connector.http import classify, classify_exception
from connector.mapping.paths import MISSING, get_path


class WebhookSmsChannel(SmsChannel):
    kind = "sms_webhook"
    receives = True
    secrets = ("secret", "send.token")
    settings_schema = {
        "type": "object",
        "required": ["profile", "secret", "fields"],
        "properties": {
            **SMS_SETTINGS,
            "secret": {
                "description": "The HMAC key shared with the gateway. A secret.",
                "type": "string",
                "minLength": 16,
            },
            "signature_header": {"type": "string", "default": "X-Signature"},
            "timestamp_header": {
                "description": "Unix seconds; signed together with the body.",
                "type": "string",
                "default": "X-Timestamp",
            },
            "tolerance_s": {
                "description": "How old (or early) a signed request may be.",
                "type": "number",
                "exclusiveMinimum": 0,
                "default": 300,
            },
            "fields": {
                "description": "Paths into the gateway's JSON.",
                "type": "object",
                "additionalProperties": False,
                "required": ["sender", "text", "id"],
                "properties": {
                    "sender": {"type": "string"},
                    "text": {"type": "string"},
                    "id": {"type": "string"},
                    "time": {"type": "string"},
                    "receiver": {"type": "string"},
                    "udh": {"type": "string"},
                },
            },
            "send": {
                "description": "Where outbound SMS go: POST {to, from, text, ref} as JSON.",
                "type": "object",
                "additionalProperties": False,
                "required": ["url"],
                "properties": {
                    "url": {"type": "string", "pattern": "^https?://"},
                    "token": {"description": "Bearer token. A secret.", "type": "string"},
                    "timeout_s": {"type": "number", "exclusiveMinimum": 0, "default": 10},
                },
            },
        },
    }

    def __init__(self, settings: dict, context):
        super().__init__(settings, context)
        self.http = requests.Session()

    @property
    def can_notify(self) -> bool:
        return "send" in self.settings

    def verify(self, request, body: bytes) -> None:
        """Raise RejectedRequest (401) unless the body is signed with our secret, recently."""
        stamp = request.headers.get(self.settings.get("timestamp_header", "X-Timestamp"), "")
        given = request.headers.get(
            self.settings.get("signature_header", "X-Signature"), ""
        ).strip()
        given = given.split("=", 1)[1] if given.lower().startswith("sha256=") else given
        try:
            age = abs(time.time() - float(stamp))
        except ValueError:
            raise RejectedRequest("no valid timestamp") from None
        if age > float(self.settings.get("tolerance_s", 300)):
            raise RejectedRequest("the timestamp is outside the tolerance")
        expected = hmac.new(
            self.settings["secret"].encode(), stamp.encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, given.lower()):
            raise RejectedRequest("bad signature")

    def receive(self, request) -> list[RawItem]:
        body = request.get_data(cache=False)
        self.verify(request, body)
        try:
            data = json.loads(body)
        except ValueError:
            raise RejectedRequest("the body is not JSON", status=400) from None
        messages = data if isinstance(data, list) else [data]
        items = []
        for message in messages:
            gateway_id = self._field(message, "id")
            if gateway_id is None or self._field(message, "sender") is None:
                raise RejectedRequest("a message has no id or sender", status=400)
            item = RawItem(
                self.id,
                f"webhook:{gateway_id}"[:512],
                json.dumps(message, ensure_ascii=False).encode(),
                "application/json",
                meta={"gateway_id": str(gateway_id)},
            )
            items.append(
                RawItem(
                    item.channel_id,
                    item.external_id,
                    item.payload,
                    item.media_type,
                    item.received_at,
                    item.meta,
                    self.fingerprint(self._message(item)),
                )
            )
        return items

    def _field(self, message, name: str):
        path = self.settings["fields"].get(name)
        value = get_path(message, path) if path and isinstance(message, dict) else MISSING
        return None if value in (MISSING, None, "") else value

    def _message(self, item: RawItem) -> Message:
        message = json.loads(item.payload)
        udh = self._field(message, "udh")
        return Message(
            sender=str(self._field(message, "sender") or ""),
            receiver=self._field(message, "receiver"),
            text=str(self._field(message, "text") or ""),
            sent_at=_moment(self._field(message, "time")),
            udh=udh_from_kannel(str(udh)) if udh else None,
        )

    def _send_one(self, to: str, text: str, outbox_id: int | None, part: int) -> None:
        send = self.settings["send"]
        headers = {"Authorization": f"Bearer {send['token']}"} if send.get("token") else {}
        body = {"to": to, "from": self.short_code, "text": text, "ref": f"{outbox_id}/{part}"}
        what = f"sms gateway POST {send['url']}"
        try:
            response = self.http.post(
                send["url"], json=body, headers=headers, timeout=float(send.get("timeout_s", 10))
            )
        except requests.RequestException as exc:
            raise classify_exception(exc, what, SourceUnavailableError) from exc
        error = classify(response, what, SourceUnavailableError, SourceRejectedError)
        if error is not None:
            raise error

    def close(self) -> None:
        self.http.close()


def _moment(value) -> datetime | None:
    """Unix seconds or ISO 8601 (UTC when no offset)."""
    if value is None:
        return None
    try:
        if isinstance(value, (int, float)) or str(value).replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(value), tz=timezone.utc)
        moment = datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
