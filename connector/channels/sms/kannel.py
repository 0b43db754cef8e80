"""Kannel channel: Kannel's smsbox posts each incoming SMS to the connector
(`sms-service` with `post-url`), and the connector sends through Kannel's sendsms.

Inbound: `POST /inbound/<channel id>?secret=…&from=%p&to=%P&time=%t&id=%I&coding=%c`
with the text as the body. Kannel cannot sign requests, so a request must carry the
channel's secret (in the URL or as basic credentials) and come from an allowed address;
otherwise it is answered 401 and nothing is stored. The connector answers only after
the message is committed, so a failure makes Kannel retry (set `http-request-retry`);
Kannel's retry keeps the same id, and the same SMS delivered twice by the operator
(two ids) is caught by its content fingerprint.

Outbound: one sendsms request per SMS part, with `dlr-mask` and a `dlr-url` back to the
connector carrying the outbox item, so delivery reports are recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from datetime import datetime, timezone
from urllib.parse import quote

import requests

from connector.channels.base import ProbeResult, RawItem, RejectedRequest
from connector.channels.sms.channel import SMS_SETTINGS, Message, SmsChannel
from connector.channels.sms.text import decode_body, encoding_of, udh_from_kannel
from connector.errors import ConfigError, SourceRejectedError, SourceUnavailableError
from connector.http import classify, classify_exception
from lapor_exchange.canonical import canonical_json

KANNEL_HEADERS = (
    "content-type",
    "x-kannel-udh",
    "x-kannel-coding",
    "x-kannel-from",
    "x-kannel-to",
    "x-kannel-time",
    "x-kannel-smsc",
    "x-kannel-charset",
)
QUERY_FIELDS = ("from", "to", "time", "id", "coding", "smsc", "charset")


class KannelChannel(SmsChannel):
    kind = "sms_kannel"
    receives = True
    secrets = ("secret", "sendsms.password")
    settings_schema = {
        "type": "object",
        "required": ["profile", "secret", "sendsms"],
        "properties": {
            **SMS_SETTINGS,
            "secret": {
                "description": "Shared secret Kannel sends (?secret= in post-url, or as the basic-auth password). A secret.",
                "type": "string",
                "minLength": 16,
            },
            "allow_ips": {
                "description": "Addresses Kannel may post from (CIDR).",
                "type": "array",
                "items": {"type": "string"},
                "default": ["127.0.0.1/32", "::1/128"],
            },
            "sendsms": {
                "type": "object",
                "additionalProperties": False,
                "required": ["url", "username", "password"],
                "properties": {
                    "url": {
                        "description": "Kannel's sendsms URL, e.g. http://127.0.0.1:13013/cgi-bin/sendsms",
                        "type": "string",
                        "pattern": "^https?://",
                    },
                    "username": {"type": "string"},
                    "password": {"description": "A secret.", "type": "string"},
                    "timeout_s": {"type": "number", "exclusiveMinimum": 0, "default": 10},
                },
            },
            "callback_url": {
                "description": "The connector's own base URL as Kannel reaches it, for delivery reports.",
                "type": "string",
                "pattern": "^https?://",
            },
            "dlr_mask": {
                "description": "Kannel dlr-mask (31: every report).",
                "type": "integer",
                "minimum": 0,
                "maximum": 31,
                "default": 31,
            },
        },
    }

    def __init__(self, settings: dict, context):
        super().__init__(settings, context)
        try:
            self.allowed = [
                ipaddress.ip_network(n, strict=False)
                for n in settings.get("allow_ips", ["127.0.0.1/32", "::1/128"])
            ]
        except ValueError as exc:
            raise ConfigError([f"allow_ips: {exc}"]) from exc
        self.http = requests.Session()

    # -- inbound ---------------------------------------------------------------------

    def authorize(self, request) -> None:
        """Raise RejectedRequest (401) unless the request has the secret and an allowed address."""
        try:
            address = ipaddress.ip_address(request.remote_addr or "")
        except ValueError:
            address = None
        if address is None or not any(address in net for net in self.allowed):
            raise RejectedRequest(f"{request.remote_addr} may not post to this channel")
        given = (
            request.args.get("secret")
            or (request.authorization.password if request.authorization else None)
            or ""
        )
        if not hmac.compare_digest(given.encode(), self.settings["secret"].encode()):
            raise RejectedRequest("missing or wrong secret")

    def receive(self, request) -> list[RawItem]:
        self.authorize(request)
        body = request.get_data(cache=False)
        query = {k: request.args[k] for k in QUERY_FIELDS if k in request.args}  # never the secret
        headers = {k: request.headers[k] for k in KANNEL_HEADERS if k in request.headers}
        if not query.get("from") and not headers.get("x-kannel-from"):
            raise RejectedRequest("no sender (from=%p) in the request", status=400)
        payload = canonical_json(
            {"query": query, "headers": headers, "body": base64.b64encode(body).decode()}
        ).encode()
        gateway_id = query.get("id") or "sha256:" + hashlib.sha256(payload).hexdigest()[:32]
        item = RawItem(
            self.id, f"kannel:{gateway_id}"[:512], payload, "application/x-kannel-mo+json"
        )
        return [
            RawItem(
                item.channel_id,
                item.external_id,
                item.payload,
                item.media_type,
                item.received_at,
                {"gateway_id": gateway_id},
                self.fingerprint(self._message(item)),
            )
        ]

    def _message(self, item: RawItem) -> Message:
        data = json.loads(item.payload)
        query, headers = data["query"], {k.lower(): v for k, v in data["headers"].items()}
        body = base64.b64decode(data["body"])
        charset = _charset(headers.get("content-type")) or query.get("charset")
        coding = headers.get("x-kannel-coding") or query.get("coding")
        udh = headers.get("x-kannel-udh")
        return Message(
            sender=query.get("from") or headers.get("x-kannel-from", ""),
            receiver=query.get("to"),
            text=decode_body(body, charset, coding),
            sent_at=_kannel_time(query.get("time")),
            udh=udh_from_kannel(udh) if udh else None,
        )

    # -- delivery reports ------------------------------------------------------------

    def delivery_report(self, request) -> dict:
        """What a dlr-url call says: {outbox_id, part, status, detail}. Raises RejectedRequest."""
        self.authorize(request)
        try:
            outbox_id = int(request.args["outbox"]) if request.args.get("outbox") else None
            part = int(request.args.get("part", 1))
        except ValueError as exc:
            raise RejectedRequest("outbox and part must be numbers", status=400) from exc
        return {
            "outbox_id": outbox_id,
            "part": part,
            "status": _DLR.get(request.args.get("status", ""), request.args.get("status", "?")),
            "detail": (request.args.get("answer") or "")[:500],
        }

    # -- outbound --------------------------------------------------------------------

    def _send_one(self, to: str, text: str, outbox_id: int | None, part: int) -> None:
        s = self.settings["sendsms"]
        params = {
            "username": s["username"],
            "password": s["password"],
            "to": to,
            "from": self.short_code,
            "text": text,
            "charset": "UTF-8",
            "coding": 2 if encoding_of(text) == "ucs2" else 0,
        }
        if self.settings.get("callback_url"):
            params["dlr-mask"] = self.settings.get("dlr_mask", 31)
            params["dlr-url"] = (
                f"{self.settings['callback_url'].rstrip('/')}/inbound/{quote(self.id)}/dlr?"
                f"secret={quote(self.settings['secret'])}&outbox={outbox_id or ''}&part={part}&status=%d&answer=%A"
            )
        what = f"kannel sendsms {s['url'].split('?')[0]}"  # never the query: it holds the password
        try:
            response = self.http.get(s["url"], params=params, timeout=float(s.get("timeout_s", 10)))
        except requests.RequestException as exc:
            raise classify_exception(exc, what, SourceUnavailableError) from exc
        error = classify(response, what, SourceUnavailableError, SourceRejectedError)
        if error is not None:
            raise error

    def probe(self) -> ProbeResult:
        s = self.settings["sendsms"]
        try:
            response = self.http.get(s["url"], timeout=float(s.get("timeout_s", 10)))
        except requests.RequestException as exc:
            return ProbeResult(False, f"sendsms not reachable: {exc}")
        return ProbeResult(True, f"sendsms answers (HTTP {response.status_code})")

    def close(self) -> None:
        self.http.close()


# Kannel's %d: 1 delivered, 2 failed, 4 buffered, 8 accepted by the SMSC, 16 rejected by the SMSC.
_DLR = {
    "1": "delivered",
    "2": "failed",
    "4": "buffered",
    "8": "smsc_accepted",
    "16": "smsc_rejected",
}


def _charset(content_type: str | None) -> str | None:
    if not content_type or "charset=" not in content_type.lower():
        return None
    return content_type.lower().split("charset=", 1)[1].split(";")[0].strip().strip('"') or None


def _kannel_time(value: str | None) -> datetime | None:
    """%t is "YYYY-MM-DD HH:MM:SS" in UTC (Kannel's own clock)."""
    if not value:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
