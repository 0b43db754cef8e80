"""Email channel: complaints from an IMAP mailbox, acknowledgements and notifications
out over SMTP.

Pull: the cursor is the folder's UIDVALIDITY and the last UID committed. Each batch
of messages (fetched with BODY.PEEK, so nothing is marked read by fetching) is
stored with the cursor in one transaction; only then are the messages marked seen,
or moved to the processed folder. A message committed but not yet acknowledged
(the process died in between) is acknowledged at the next pull. When the server's
UIDVALIDITY changes, the folder is read again from the start and intake drops
what it already has (same Message-ID and bytes); a Message-ID seen before with
other bytes (delivered twice) is never a second complaint.

What a message is (a complaint, a citizen's reply, an auto-reply or bounce) comes
from `connector.mail`; whether it answers a report, from its thread ids and its
subject's words, looked up by `connector.conversation`; the fields of a report come
from the mapping profile (mappings/email.yaml). Sending: one SMTP conversation per
message, with our own Message-ID made from the outbox key, so a message sent again
after a crash is the same message.
"""

from __future__ import annotations

import hashlib
import imaplib
import json
import logging
import re
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import Iterator
from zoneinfo import ZoneInfo

from connector.channels.base import Batch, Channel, Noise, ProbeResult, RawItem, Reply
from connector.channels.email.parse import parse_mail, subject_words
from connector.errors import SourceRejectedError, SourceUnavailableError
from connector.timeutil import iso

log = logging.getLogger(__name__)

_SERVER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["host", "port"],
    "properties": {
        "host": {"type": "string", "minLength": 1},
        "port": {"type": "integer", "minimum": 1, "maximum": 65535},
        "security": {
            "description": "ssl (implicit TLS), starttls, or plain (loopback only).",
            "enum": ["ssl", "starttls", "plain"],
            "default": "ssl",
        },
        "username": {"type": "string"},
        "password": {"description": "A secret: write ${ENV_VAR}.", "type": "string"},
        "ca_file": {
            "description": "CA bundle to trust instead of the system's (a private CA).",
            "type": "string",
        },
        "timeout_s": {"type": "number", "exclusiveMinimum": 0, "default": 30},
    },
}
_UID_LINE = re.compile(rb"UID (\d+)")


class EmailChannel(Channel):
    kind = "email"
    pulls = True
    secrets = ("imap.password", "smtp.password")
    settings_schema = {
        "type": "object",
        "required": ["profile", "imap", "smtp"],
        "properties": {
            "profile": {
                "description": "Mapping profile (YAML), relative to the config file.",
                "type": "string",
            },
            "imap": {
                **_SERVER,
                "properties": {
                    **_SERVER["properties"],
                    "folder": {"type": "string", "default": "INBOX"},
                    "processed_folder": {
                        "description": "Move committed messages here (created if missing); without it they are marked seen.",
                        "type": "string",
                    },
                },
            },
            "smtp": {
                **_SERVER,
                "required": ["host", "port", "from_address"],
                "properties": {
                    **_SERVER["properties"],
                    "from_address": {
                        "description": "The complaint address replies come to.",
                        "type": "string",
                        "format": "email",
                    },
                    "from_name": {"type": "string", "default": "LAPOR! Kalimantan Selatan"},
                },
            },
            "message_id_domain": {
                "description": "Domain of the connector's own Message-IDs; default: that of smtp.from_address.",
                "type": "string",
            },
            "batch_size": {
                "description": "Messages per committed batch.",
                "type": "integer",
                "minimum": 1,
                "maximum": 1000,
                "default": 50,
            },
            "max_attachment_bytes": {"type": "integer", "minimum": 0, "default": 10485760},
        },
    }

    def __init__(self, settings: dict, context):
        super().__init__(settings, context)
        self.profile = self.load_profile()
        self.imap_settings = {
            "folder": "INBOX",
            "security": "ssl",
            "timeout_s": 30,
            **settings["imap"],
        }
        self.smtp_settings = {
            "security": "ssl",
            "timeout_s": 30,
            "from_name": "LAPOR! Kalimantan Selatan",
            **settings["smtp"],
        }
        self.domain = (
            settings.get("message_id_domain")
            or self.smtp_settings["from_address"].rpartition("@")[2]
        ).lower()
        self.batch_size = int(settings.get("batch_size", 50))
        self.max_attachment_bytes = int(settings.get("max_attachment_bytes", 10 * 1024 * 1024))
        self.tz = ZoneInfo(self.profile.timezone) if self.profile.timezone else context.tz
        self._conn: imaplib.IMAP4 | None = None

    # -- IMAP connection ----------------------------------------------------------

    def _tls(self, settings: dict) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=settings.get("ca_file"))

    def _connect(self) -> imaplib.IMAP4:
        s = self.imap_settings
        what = f"IMAP {s['host']}:{s['port']}"
        try:
            if s["security"] == "ssl":
                conn = imaplib.IMAP4_SSL(
                    s["host"], s["port"], ssl_context=self._tls(s), timeout=s["timeout_s"]
                )
            else:
                conn = imaplib.IMAP4(s["host"], s["port"], timeout=s["timeout_s"])
                if s["security"] == "starttls":
                    conn.starttls(self._tls(s))
        except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
            raise SourceUnavailableError(f"{what}: cannot connect: {exc}") from exc
        try:
            conn.login(s.get("username", ""), s.get("password", ""))
        except imaplib.IMAP4.error as exc:
            raise SourceRejectedError(f"{what}: login refused for {s.get('username')!r}") from exc
        return conn

    def _imap(self) -> imaplib.IMAP4:
        """A logged-in connection with the folder selected, reused while it answers."""
        if self._conn is not None:
            try:
                self._conn.noop()
                return self._conn
            except (OSError, imaplib.IMAP4.error):
                self._drop()
        conn = self._connect()
        status, _ = conn.select(_quote(self.imap_settings["folder"]))
        if status != "OK":
            conn.logout()
            raise SourceRejectedError(f"IMAP: cannot open folder {self.imap_settings['folder']!r}")
        self._conn = conn
        return conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.logout()
            except (OSError, imaplib.IMAP4.error):
                pass
        self._conn = None

    def _call(self, what: str, fn, *args):
        """One IMAP command; connection trouble is transient, a NO/BAD answer permanent."""
        try:
            status, data = fn(*args)
        except (OSError, imaplib.IMAP4.abort) as exc:
            self._drop()
            raise SourceUnavailableError(f"IMAP {what}: {exc}") from exc
        except imaplib.IMAP4.error as exc:
            raise SourceRejectedError(f"IMAP {what}: {exc}") from exc
        if status != "OK":
            raise SourceRejectedError(f"IMAP {what}: {status} {data!r:.200}")
        return data

    # -- pulling ------------------------------------------------------------------

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        conn = self._imap()
        validity = self._uidvalidity(conn)
        state = json.loads(cursor) if cursor else {}
        last = int(state.get("last_uid", 0)) if state.get("uidvalidity") == validity else 0
        if state and state.get("uidvalidity") != validity:
            log.warning(
                "%s: the folder's UIDVALIDITY changed (%s → %s); reading it again from the start",
                self.id,
                state.get("uidvalidity"),
                validity,
            )
        self._acknowledge_leftovers(conn, last)
        uids = [u for u in self._search(conn, f"UID {last + 1}:*") if u > last]
        for start in range(0, len(uids), self.batch_size):
            chunk = uids[start : start + self.batch_size]
            items = self._fetch_items(conn, chunk, validity)
            yield Batch(items, json.dumps({"uidvalidity": validity, "last_uid": chunk[-1]}))
        if not uids and state.get("uidvalidity") != validity:
            yield Batch([], json.dumps({"uidvalidity": validity, "last_uid": last}))

    def _uidvalidity(self, conn) -> int:
        data = self._call(
            "STATUS", conn.status, _quote(self.imap_settings["folder"]), "(UIDVALIDITY)"
        )
        match = re.search(rb"UIDVALIDITY (\d+)", data[0] or b"")
        if not match:
            raise SourceRejectedError("IMAP STATUS: no UIDVALIDITY in the answer")
        return int(match.group(1))

    def _search(self, conn, criteria: str) -> list[int]:
        data = self._call("SEARCH", conn.uid, "SEARCH", criteria)
        return sorted(int(u) for u in (data[0] or b"").split())

    def _fetch_items(self, conn, uids: list[int], validity: int) -> list[RawItem]:
        data = self._call("FETCH", conn.uid, "FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
        items = []
        for part in data:
            if not isinstance(part, tuple):
                continue
            match = _UID_LINE.search(part[0])
            if match:
                items.append(self._item(part[1], int(match.group(1)), validity))
        return sorted(items, key=lambda i: i.meta["uid"])

    def _item(self, raw: bytes, uid: int, validity: int) -> RawItem:
        message_id = _header_message_id(raw)
        external_id = message_id or "no-message-id:" + hashlib.sha256(raw).hexdigest()[:32]
        meta = {"uid": uid, "uidvalidity": validity, "folder": self.imap_settings["folder"]}
        return RawItem(self.id, external_id[:512], raw, "message/rfc822", meta=meta)

    # -- acknowledging ---------------------------------------------------------------

    def acknowledge(self, items: list[RawItem]) -> None:
        """Mark committed messages seen, or move them to the processed folder."""
        uids = [i.meta["uid"] for i in items if "uid" in i.meta]
        if uids:
            self._acknowledge(self._imap(), uids)

    def _acknowledge(self, conn, uids: list[int]) -> None:
        uid_set = ",".join(map(str, uids))
        target = self.imap_settings.get("processed_folder")
        if not target:
            self._call("STORE", conn.uid, "STORE", uid_set, "+FLAGS.SILENT", "(\\Seen)")
            return
        conn.create(_quote(target))  # NO when it exists already: fine
        self._call("MOVE", conn.uid, "MOVE", uid_set, _quote(target))

    def _acknowledge_leftovers(self, conn, last: int) -> None:
        """Messages at or below the cursor are committed; any still unacknowledged (the
        process died between commit and acknowledgement) are acknowledged now."""
        if last == 0:
            return
        moving = bool(self.imap_settings.get("processed_folder"))
        left = self._search(conn, f"UID 1:{last}" if moving else f"UNSEEN UID 1:{last}")
        left = [u for u in left if u <= last]
        if left:
            log.info("%s: acknowledging %d message(s) committed earlier", self.id, len(left))
            self._acknowledge(conn, left)

    # -- what a message is ---------------------------------------------------------------

    def record(self, item: RawItem) -> dict:
        record = parse_mail(
            item.payload, max_attachment_bytes=self.max_attachment_bytes, own_domains=(self.domain,)
        )
        record["received_at"] = iso(item.received_at)
        record["subject_present"] = bool(record.get("subject_clean"))
        record["_warnings"] = [
            f"attachment {d.get('filename') or '(no name)'} left out: {d['reason']}"
            for d in record.get("dropped_attachments", [])
        ]
        return record

    def noise(self, record) -> Noise | None:
        noise = record.get("noise")
        return Noise(f"{noise['kind']}: {noise['reason']}") if noise else None  # never answered

    def reply_to(self, record) -> Reply | None:
        """What may tie the mail to a report: every message of its thread, nearest first (any
        domain: the citizen's own first mail and earlier replies count as much as ours), the
        subject's [LAPOR #<id>] tag and the subject's other words."""
        thread = tuple(
            dict.fromkeys(record.get("in_reply_to", []) + record.get("references", [])[::-1])
        )
        words = subject_words(record.get("subject_clean"))
        if not thread and not record.get("tracking_id") and not words:
            return None
        when = datetime.fromisoformat(record["date"]) if record.get("date") else None
        return Reply(
            thread,
            record.get("tracking_id"),
            (record.get("from") or {}).get("address"),
            record.get("reply_text") or record.get("text"),
            when,
            words,
        )

    # -- sending -------------------------------------------------------------------

    @property
    def can_notify(self) -> bool:
        return True

    def address_of(self, complaint) -> str | None:
        return (complaint.report.get("complainant") or {}).get("email")

    def reply_address(self, record) -> str | None:
        return (record.get("from") or {}).get("address")

    def deliver(self, message: dict) -> dict:
        """Send a notification (see NotificationRoute), threaded on the citizen's own message."""
        tag = f"[LAPOR #{message['tracking_id']}] " if message.get("tracking_id") else ""
        subject = tag + (message.get("subject") or "LAPOR! Kalimantan Selatan")
        message_id = self.message_id_for(message["key"], message["event"])
        ref = message.get("source_ref")
        original = ref if ref and not ref.startswith(("no-message-id:", "parts/")) else None
        self.send_mail(message["to"], subject, message["text"], message_id, original)
        return {"message_id": message_id}

    def message_id_for(self, key: str, event: str) -> str:
        """Our Message-ID for an outbox item: the same item always gets the same id."""
        return f"{event}-{hashlib.sha256(key.encode()).hexdigest()[:24]}@{self.domain}"

    def send_mail(
        self, to: str, subject: str, text: str, message_id: str, in_reply_to: str | None = None
    ) -> None:
        """Send one message. Raises SourceUnavailableError (try later) or SourceRejectedError."""
        s = self.smtp_settings
        message = EmailMessage()
        message["From"] = formataddr((s["from_name"], s["from_address"]))
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = f"<{message_id}>"
        message["Auto-Submitted"] = "auto-replied"  # RFC 3834: other robots must not answer it
        if in_reply_to:
            message["In-Reply-To"] = f"<{in_reply_to}>"
            message["References"] = f"<{in_reply_to}>"
        message.set_content(text)
        what = f"SMTP {s['host']}:{s['port']}"
        try:
            with self._smtp() as smtp:
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            error = SourceRejectedError if all(c >= 500 for c in codes) else SourceUnavailableError
            raise error(f"{what}: recipient refused ({', '.join(map(str, codes))})") from exc
        except smtplib.SMTPResponseException as exc:
            error = SourceRejectedError if exc.smtp_code >= 500 else SourceUnavailableError
            raise error(f"{what}: {exc.smtp_code} {exc.smtp_error!r:.120}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise SourceUnavailableError(f"{what}: {type(exc).__name__}: {exc}") from exc

    def _smtp(self) -> smtplib.SMTP:
        s = self.smtp_settings
        if s["security"] == "ssl":
            smtp = smtplib.SMTP_SSL(
                s["host"], s["port"], timeout=s["timeout_s"], context=self._tls(s)
            )
        else:
            smtp = smtplib.SMTP(s["host"], s["port"], timeout=s["timeout_s"])
            if s["security"] == "starttls":
                smtp.starttls(context=self._tls(s))
        if s.get("username"):
            smtp.login(s["username"], s.get("password", ""))
        return smtp

    # -- housekeeping ------------------------------------------------------------------

    def probe(self) -> ProbeResult:
        try:
            conn = self._imap()
            count = len(self._search(conn, "ALL"))
        except (SourceUnavailableError, SourceRejectedError) as exc:
            return ProbeResult(False, str(exc))
        try:
            with self._smtp() as smtp:
                smtp.noop()
        except (OSError, smtplib.SMTPException) as exc:
            return ProbeResult(False, f"IMAP ok ({count} messages); SMTP failed: {exc}")
        return ProbeResult(
            True, f"IMAP ok ({count} messages in {self.imap_settings['folder']}); SMTP ok"
        )

    def close(self) -> None:
        self._drop()


def _quote(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _header_message_id(raw: bytes) -> str | None:
    """The Message-ID without <>, read from the raw header block (cheap, before parsing)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = re.search(rb"(?im)^message-id:[ \t]*(?:\r?\n[ \t]+)?<?([^>\s]+)>?", head)
    return match.group(1).decode("ascii", "replace").strip() if match else None
