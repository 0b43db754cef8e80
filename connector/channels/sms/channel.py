"""What every SMS channel shares, whatever the gateway (Kannel, a webhook gateway, Gammu).

A gateway class only says how a message is read from what it stored (`_message`) and
how one SMS is sent (`_send_one`). Everything else is here: reading a message into the
record the SMS profile maps (sender in E.164, the keyword, RAHASIA/ANONIM flags and
the text after them), what a message may be (a report, a status question "INFO <nomor>",
a reply on a report "<nomor> <pesan>", an empty or keyword-only message answered with how
to write one, a sender that is no phone number), multipart pieces and putting them
together, the content fingerprint that catches an operator's double delivery, and
sending notifications split to the 160 GSM-7 / 70 UCS-2 limits at a limited rate.

A report's number is any tracking id the hub gave, or the short reference an
acknowledgement gave for a long one: whether a word is one only the store knows, so
`command` and `reply_to` hand intake the words to look up (connector.conversation).

Not here: storing anything (intake), looking numbers up (connector.conversation),
mapping fields (mappings/sms.yaml).
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime

from connector.channels.base import Channel, Noise, PartInfo, Question, RawItem, Reply
from connector.channels.sms.commands import format_help, parse_sms
from connector.channels.sms.text import normalize_phone, parse_udh, segments
from connector.errors import ConfigError
from connector.timeutil import iso

SMS_SETTINGS = {
    "profile": {
        "description": "Mapping profile (YAML), relative to the config file.",
        "type": "string",
    },
    "keywords": {
        "description": "Keywords a report starts with (the first is the one advertised); default: the profile's.",
        "type": "array",
        "items": {"type": "string", "minLength": 1},
        "minItems": 1,
    },
    "short_code": {
        "description": "The number citizens send to (and replies come from).",
        "type": "string",
        "default": "1708",
    },
    "dedup_window_s": {
        "description": "The same text from the same number within this many seconds is one message.",
        "type": "number",
        "minimum": 0,
        "default": 600,
    },
    "parts_timeout_s": {
        "description": "How long the pieces of a multipart message wait for the rest.",
        "type": "number",
        "exclusiveMinimum": 0,
        "default": 300,
    },
    "send_rate_per_s": {
        "description": "At most this many SMS sent per second.",
        "type": "number",
        "exclusiveMinimum": 0,
        "default": 5,
    },
}


@dataclass(frozen=True)
class Message:
    """One SMS as the gateway gave it."""

    sender: str
    receiver: str | None
    text: str
    sent_at: datetime | None = None
    udh: bytes | None = None


class SmsChannel(Channel):
    """Base of the SMS gateways. Subclasses implement `_message(item)` and `_send_one(...)`."""

    def __init__(self, settings: dict, context):
        super().__init__(settings, context)
        self.profile = self.load_profile()
        self.keywords = tuple(
            settings.get("keywords") or self.profile.data.get("keywords") or ("LAPORPAMAN", "LAPOR")
        )
        self.short_code = str(settings.get("short_code", "1708"))
        self.dedup_window_s = float(settings.get("dedup_window_s", 600))
        self.parts_timeout_s = float(settings.get("parts_timeout_s", 300))
        try:
            self.help_text = format_help(self.keywords[0], self.short_code)
        except ValueError as exc:
            raise ConfigError(
                [f"keywords/short_code: the format help does not fit one SMS: {exc}"]
            ) from exc
        self._interval = 1.0 / float(settings.get("send_rate_per_s", 5))
        self._last_send = 0.0
        self._send_lock = threading.Lock()

    # -- what the gateway gives ---------------------------------------------------

    def _message(self, item: RawItem) -> Message:
        """The SMS in a stored raw item. Raise ValueError when it cannot be read."""
        raise NotImplementedError(f"{type(self).__name__}._message")

    def fingerprint(self, message: Message) -> str:
        """Sender, text and multipart position: the same SMS delivered twice has the same one."""
        key = "\x1f".join(
            [message.sender, " ".join(message.text.split()), (message.udh or b"").hex()]
        )
        return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()

    # -- reading -------------------------------------------------------------------

    def record(self, item: RawItem) -> dict:
        message = self._message(item)
        record = self._parsed(message.text)
        udh = parse_udh(message.udh) if message.udh else None
        record.update(
            {
                "sender": normalize_phone(message.sender),
                "sender_raw": message.sender,
                "receiver": message.receiver,
                "full_text": message.text,
                "sent_at": iso(message.sent_at) if message.sent_at else None,
                "received_at": iso(item.received_at),
                "udh": {"ref": udh.ref, "total": udh.total, "seq": udh.seq} if udh else None,
            }
        )
        return record

    def _parsed(self, text: str) -> dict:
        """`text` is what the message is when no word names a known report (a leading number
        may be a phone number or an amount: then the report keeps every word); `candidates`,
        `if_known` and `reply_text` say what it becomes when one does (parse_sms)."""
        parsed = parse_sms(text, keywords=self.keywords)
        return {
            "kind": parsed.kind,
            "keyword": parsed.keyword,
            "flags": sorted(parsed.flags),
            "text": parsed.text,
            "tracking_id": parsed.tracking_id,
            "candidates": list(parsed.candidates),
            "if_known": parsed.if_known,
            "reply_text": parsed.reply_text,
        }

    def combine(self, records: list[dict | None], channel_id: str) -> dict:
        """The pieces' texts in order; a missing piece is a noted gap in the text and a warning."""
        present = [r for r in records if r is not None]
        pieces = [
            r["full_text"]
            if r is not None
            else f"[… bagian {n} dari {len(records)} tidak diterima …]"
            for n, r in enumerate(records, start=1)
        ]
        record = {
            **present[0],
            **self._parsed("".join(pieces)),
            "full_text": "".join(pieces),
            "udh": None,
        }
        missing = [n for n, r in enumerate(records, start=1) if r is None]
        record["_warnings"] = (
            [
                f"multipart SMS: part(s) {', '.join(map(str, missing))} of {len(records)} never arrived"
            ]
            if missing
            else []
        )
        return record

    # -- what a message is -----------------------------------------------------------

    def part_of(self, record) -> PartInfo | None:
        udh = record.get("udh")
        if not udh or udh["total"] < 2:
            return None
        return PartInfo(
            record.get("sender") or record["sender_raw"], udh["ref"], udh["total"], udh["seq"]
        )

    def noise(self, record) -> Noise | None:
        if record.get("sender") is None:
            return Noise(
                f"the sender {record.get('sender_raw')!r} is not a phone number"
            )  # nobody to answer
        reasons = {"empty": "an empty message", "keyword_only": "only the keyword, no report"}
        reason = reasons.get(record.get("kind"))
        if record.get("kind") == "info_invalid" and not record.get("candidates"):
            reason = "INFO without a report number"  # with words after it, the store may know one (command)
        return Noise(reason, self.help_text) if reason else None

    def command(self, record) -> Question | None:
        """A status question when a word may name a report: answered "not found" when none does
        and the message reads as a question about a number, with the format help when it has no
        number, and no question at all (a report) when it reads as one."""
        if record.get("if_known") != "info":
            return None
        unknown = {"info": "not_found", "info_invalid": "help"}.get(record.get("kind"), "report")
        return Question(
            "info",
            record.get("tracking_id"),
            tuple(record.get("candidates") or ()),
            unknown,
            self.help_text,
        )

    def reply_to(self, record) -> Reply | None:
        if record.get("if_known") != "reply":
            return None
        when = datetime.fromisoformat(record["sent_at"]) if record.get("sent_at") else None
        return Reply(
            (),
            None,
            record.get("sender"),
            record.get("reply_text"),
            when,
            tuple(record.get("candidates") or ()),
        )

    def reply_address(self, record) -> str | None:
        return record.get("sender")

    # -- sending ------------------------------------------------------------------------

    @property
    def can_notify(self) -> bool:
        return True

    def address_of(self, complaint) -> str | None:
        return (complaint.report.get("complainant") or {}).get("phone")

    def deliver(self, message: dict) -> dict:
        """Send a notification as one SMS or several (each within the SMS limits)."""
        parts = segments(message["text"])
        for number, text in enumerate(parts, start=1):
            self._pace()
            self._send_one(message["to"], text, message.get("outbox_id"), number)
        return {"parts": len(parts)}

    def _pace(self) -> None:
        with self._send_lock:
            wait = self._last_send + self._interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last_send = time.monotonic()

    def _send_one(self, to: str, text: str, outbox_id: int | None, part: int) -> None:
        """Send one SMS. Raise TransientError or PermanentError subclasses."""
        raise NotImplementedError(f"{type(self).__name__}._send_one")
