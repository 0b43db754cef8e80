"""An SMS gateway simulator that speaks the JSON webhook protocol (`sms_webhook` channel).

It plays the operator's side of `LAPORPAMAN <isi aduan>` to 1708: `messages(count, seed)`
makes deterministic citizens' SMS (a complaint sentence from the portal simulator's
topics, a place written the way citizens write it, now and then ANONIM or RAHASIA), and
`SmsGatewaySim.deliver` posts them to the connector signed with the channel's HMAC secret
(`<timestamp>.<raw body>`), trying again while the connector answers anything but 2xx.
Its own small app takes what the connector sends back (`POST /send`), so a demo can
count the acknowledgements that reached the phones.

Not here: Kannel or Gammu (tests run the real ones); multipart SMS.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import threading
import time
from dataclasses import dataclass

import requests
from flask import Flask, jsonify, request

from lapor_testbed.sim.seed import MOBILE_PREFIXES, REGIONS, TOPICS, _placeholders

SHORT_CODE = "1708"
MAX_TEXT = 160


@dataclass(frozen=True)
class Sms:
    id: str
    sender: str
    text: str
    timestamp: int


def _text(rng: random.Random, keyword: str) -> str:
    topic = rng.choices(TOPICS, weights=[t[2] for t in TOPICS])[0]
    region = rng.choice(REGIONS)
    kec = rng.choice(region[3])
    sentence = topic[4][0].format(**_placeholders(rng, region, kec))
    flag = rng.choices(("", "ANONIM ", "RAHASIA "), weights=(8, 1, 1))[0]
    text = f"{keyword} {flag}{sentence} {rng.choice(region[2])}"
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rsplit(" ", 1)[0]


def messages(count: int, seed: int, keyword: str = "LAPORPAMAN") -> list[Sms]:
    """`count` complaints by SMS, each from its own phone, the same for the same seed."""
    rng = random.Random(f"sms-{seed}")
    now = int(time.time())
    found = []
    for n in range(count):
        sender = (
            "62"
            + rng.choice(MOBILE_PREFIXES)[1:]
            + "".join(str(rng.randrange(10)) for _ in range(8))
        )
        found.append(Sms(f"gw-{seed}-{n + 1:05d}", sender, _text(rng, keyword), now - (count - n)))
    return found


class SmsGatewaySim:
    """Posts citizens' SMS to a connector's webhook and collects what it sends back."""

    def __init__(self, secret: str):
        self.secret = secret
        self.sent: list[dict] = []  # what the connector asked the gateway to send
        self._lock = threading.Lock()

    def app(self) -> Flask:
        app = Flask(__name__)

        @app.post("/send")
        def send():
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not body.get("to") or not body.get("text"):
                return jsonify(
                    {"error": {"code": "bad_request", "message": "give to and text"}}
                ), 400
            with self._lock:
                self.sent.append(body)
            return jsonify({"status": "queued"}), 202

        return app

    def recipients(self) -> set[str]:
        with self._lock:
            return {m["to"] for m in self.sent}

    def deliver(self, url: str, sms: list[Sms], timeout_s: float = 60.0) -> int:
        """Post each SMS to `url` (the connector's /inbound/<channel>); returns how many were taken."""
        taken = 0
        with requests.Session() as http:
            for message in sms:
                taken += self._post(http, url, message, time.monotonic() + timeout_s)
        return taken

    def _post(self, http: requests.Session, url: str, message: Sms, deadline: float) -> bool:
        body = json.dumps(
            {
                "id": message.id,
                "from": message.sender,
                "to": SHORT_CODE,
                "text": message.text,
                "timestamp": message.timestamp,
            }
        ).encode()
        while time.monotonic() < deadline:
            stamp = str(int(time.time()))
            signature = hmac.new(
                self.secret.encode(), stamp.encode() + b"." + body, hashlib.sha256
            ).hexdigest()
            try:
                answer = http.post(
                    url,
                    data=body,
                    timeout=10,
                    headers={
                        "Content-Type": "application/json",
                        "X-Timestamp": stamp,
                        "X-Signature": f"sha256={signature}",
                    },
                )
                if 200 <= answer.status_code < 300:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.5)  # a gateway tries again until the connector takes it
        return False
