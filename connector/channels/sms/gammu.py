"""Gammu channel: complaints from the database of a Gammu SMSD gateway (its SQL backend),
answers and notifications out through the same database.

Gammu SMSD stores every SMS its modem receives as a row of its `inbox` table and sends
whatever appears in its `outbox` table, moving each sent row to `sentitems` (same ID and
CreatorID, with a Status that delivery reports update later). The connector talks to the
database only, never to Gammu itself.

Pull: rows with Processed = false, in ID order, `batch_size` at a time. There is no cursor:
the Processed flag is the acknowledgement, set by `acknowledge()` only after intake has
committed the batch. A crash between the commit and the acknowledgement leaves the rows
unprocessed; they come again at the next pull, intake drops them as repeats (same external id
"gammu:<ID>", same payload), and they are acknowledged then. Within one fetch a local
"ID > last seen" keeps a batch whose acknowledgement failed from being read again in a loop.

What a row holds (Gammu's schema, version 17, read in Gammu 1.42 and checked against it):
- ReceivingDateTime is the SMSC's time stamp turned into the gateway's local time and written
  without a zone; it is read in the channel's time zone (the profile's, else the connector's).
- A multipart SMS is one row per part, each with its concatenation UDH (hex) in "UDH". Gammu
  1.42 writes the whole message's text into the first part's TextDecoded and leaves the later
  parts' empty; "Text" always holds the part's own text (UTF-16BE hex for the default and
  Unicode codings). So a part's text is read from "Text", and the parts are put together by
  `SmsChannel` like any gateway's.
- RecipientID is the PhoneID of the SMSD instance that received the SMS (not a number).

Send: one `outbox` row per SMS part (`SmsChannel.deliver` splits the text to the limits), with
Coding Default_No_Compression for GSM-7 text and Unicode_No_Compression for UCS-2, DeliveryReport
'yes', SenderID when `sender_id` is set (else any SMSD instance on the database may send it).
CreatorID is "<creator_id>:<outbox id>:<part>", and nothing is inserted when a row with that
CreatorID is already in `outbox` or `sentitems`: a resend after a crash sends nothing twice.
`delivery_statuses()` reads Gammu's delivery reports back from `sentitems` by that CreatorID.

Errors: an unreachable database is SourceUnavailableError (transient); a refusal (no such
table, no permission, a row the schema rejects) is SourceRejectedError. Messages never carry
row values (they can be personal data) or the database password.

The SQL is SQLAlchemy Core on Gammu's CamelCase columns (quoted by the dialect); it is tested
on PostgreSQL. Not here: parsing what an SMS means (`SmsChannel`), mapping fields (profiles).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import (
    column,
    create_engine,
    exists,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from connector.channels.base import Batch, ProbeResult, RawItem
from connector.channels.sms.channel import SMS_SETTINGS, Message, SmsChannel
from connector.channels.sms.text import encoding_of, parse_udh
from connector.errors import ConfigError, SourceRejectedError, SourceUnavailableError, describe
from lapor_exchange.canonical import canonical_json

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/x-gammu-inbox+json"
# The inbox columns kept in a raw item. Not UpdatedInDB (Gammu's trigger changes it when we set
# Processed), Processed or Status: a row read again must give the same payload bytes.
INBOX_COLUMNS = (
    "ID",
    "ReceivingDateTime",
    "SenderNumber",
    "RecipientID",
    "SMSCNumber",
    "Coding",
    "Class",
    "UDH",
    "Text",
    "TextDecoded",
)
CODING = {"gsm7": "Default_No_Compression", "ucs2": "Unicode_No_Compression"}
_TEXT_CODINGS = ("Default_No_Compression", "Unicode_No_Compression")
# sentitems.Status → the connector's delivery report vocabulary (as for Kannel's %d).
DELIVERY_STATUS = {
    "SendingOK": "smsc_accepted",  # sent, waiting for the delivery report
    "SendingOKNoReport": "smsc_accepted",
    "DeliveryOK": "delivered",
    "DeliveryPending": "buffered",
    "DeliveryFailed": "failed",
    "DeliveryUnknown": "unknown",
    "SendingError": "smsc_rejected",  # the modem could not send it
    "Error": "failed",  # SMSD's own failure
}

inbox = table("inbox", *(column(name) for name in INBOX_COLUMNS), column("Processed"))
outbox = table(
    "outbox",
    column("ID"),
    column("DestinationNumber"),
    column("TextDecoded"),
    column("Coding"),
    column("CreatorID"),
    column("SenderID"),
    column("DeliveryReport"),
    column("MultiPart"),
)
sentitems = table(
    "sentitems",
    column("ID"),
    column("SequencePosition"),
    column("CreatorID"),
    column("Status"),
    column("StatusError"),
)
gammu = table("gammu", column("Version"))
# Gammu's flags are boolean in PostgreSQL and 'true'/'false' text in its MySQL and SQLite
# schemas; a quoted literal means the same to all three.
TRUE, FALSE = literal_column("'true'"), literal_column("'false'")


class GammuChannel(SmsChannel):
    kind = "sms_gammu"
    pulls = True
    secrets = ("database_url",)
    settings_schema = {
        "type": "object",
        "required": ["profile", "database_url"],
        "properties": {
            **SMS_SETTINGS,
            "database_url": {
                "description": "SQLAlchemy URL of Gammu SMSD's database, e.g. "
                "postgresql+psycopg://smsd:${GAMMU_DB_PASSWORD}@db/smsd. A secret (it holds the password).",
                "type": "string",
                "minLength": 1,
            },
            "batch_size": {
                "description": "Inbox rows per committed batch.",
                "type": "integer",
                "minimum": 1,
                "maximum": 1000,
                "default": 100,
            },
            "sender_id": {
                "description": "PhoneID of the SMSD instance that should send (outbox SenderID); without it any instance may.",
                "type": "string",
                "minLength": 1,
                "maxLength": 255,
            },
            "creator_id": {
                "description": 'CreatorID prefix of the outbox rows the connector writes ("<prefix>:<outbox id>:<part>").',
                "type": "string",
                "minLength": 1,
                "maxLength": 200,
                "default": "lapor-connector",
            },
        },
    }

    def __init__(self, settings: dict, context):
        super().__init__(settings, context)
        self.batch_size = int(settings.get("batch_size", 100))
        self.sender_id = settings.get("sender_id")
        self.creator_id = settings.get("creator_id", "lapor-connector")
        self.tz = ZoneInfo(self.profile.timezone) if self.profile.timezone else context.tz
        self.engine = _engine(settings["database_url"], float(getattr(context, "timeout_s", 30)))
        self.where = f"gammu database {self.engine.url.render_as_string(hide_password=True)}"

    # -- pulling ------------------------------------------------------------------------

    def fetch(self, cursor: str | None) -> Iterator[Batch]:
        last = 0
        while True:
            rows = self._unprocessed(after=last)
            if not rows:
                return
            last = rows[-1]["ID"]
            yield Batch([self._item(row) for row in rows])
            if len(rows) < self.batch_size:
                return

    def _unprocessed(self, after: int) -> list[dict]:
        query = (
            select(*(inbox.c[name] for name in INBOX_COLUMNS))
            .where(inbox.c.Processed == FALSE, inbox.c.ID > after)
            .order_by(inbox.c.ID)
            .limit(self.batch_size)
        )
        with self._connection("read inbox") as conn:
            return [dict(row._mapping) for row in conn.execute(query)]

    def _item(self, row: dict) -> RawItem:
        data = {name: _plain(row[name]) for name in INBOX_COLUMNS}
        item = RawItem(
            self.id,
            f"gammu:{row['ID']}",
            canonical_json(data).encode("utf-8"),
            MEDIA_TYPE,
            meta={"gammu_id": row["ID"]},
        )
        try:
            fingerprint = self.fingerprint(self._message(item))
        except ValueError:
            fingerprint = None  # stored all the same; intake quarantines what cannot be read
        return RawItem(
            item.channel_id,
            item.external_id,
            item.payload,
            item.media_type,
            item.received_at,
            item.meta,
            fingerprint,
        )

    def _message(self, item: RawItem) -> Message:
        row = item.record()
        udh = bytes.fromhex(row["UDH"]) if row.get("UDH") else None
        return Message(
            sender=row.get("SenderNumber") or "",
            receiver=row.get("RecipientID") or None,
            text=_text(row, udh),
            sent_at=self._local_time(row.get("ReceivingDateTime")),
            udh=udh,
        )

    def _local_time(self, value: str | None) -> datetime | None:
        """Gammu writes the gateway's local time without a zone: it is this channel's zone."""
        if not value:
            return None
        moment = datetime.fromisoformat(value)
        return moment if moment.tzinfo else moment.replace(tzinfo=self.tz)

    # -- acknowledging --------------------------------------------------------------------

    def acknowledge(self, items: list[RawItem]) -> None:
        """Mark committed rows processed (only ever called after intake's commit)."""
        ids = sorted({item.meta["gammu_id"] for item in items if "gammu_id" in item.meta})
        if not ids:
            return
        with self._connection("mark inbox rows processed", begin=True) as conn:
            conn.execute(inbox.update().where(inbox.c.ID.in_(ids)).values(Processed=TRUE))

    # -- sending ------------------------------------------------------------------------

    def _send_one(self, to: str, text: str, outbox_id: int | None, part: int) -> None:
        creator = self.creator_ref(outbox_id, part)
        row = {
            "DestinationNumber": to,
            "TextDecoded": text,
            "Coding": CODING[encoding_of(text)],
            "CreatorID": creator,
            "SenderID": self.sender_id,
            "DeliveryReport": "yes",
        }
        with self._connection("insert into outbox", begin=True) as conn:
            if outbox_id is not None and self._already_queued(conn, creator):
                log.info(
                    "%s: outbox item %s part %d is already with Gammu; not sent again",
                    self.id,
                    outbox_id,
                    part,
                )
                return
            conn.execute(outbox.insert().values(**row, MultiPart=FALSE))

    def creator_ref(self, outbox_id: int | None, part: int) -> str:
        """The CreatorID of one part of an outbox item: our key in Gammu's outbox and sentitems."""
        return self.creator_id if outbox_id is None else f"{self.creator_id}:{outbox_id}:{part}"

    @staticmethod
    def _already_queued(conn, creator: str) -> bool:
        queued = exists().where(outbox.c.CreatorID == creator)
        sent = exists().where(sentitems.c.CreatorID == creator)
        return bool(conn.execute(select(queued | sent)).scalar())

    def delivery_statuses(self, outbox_ids: Iterable[int] | None = None) -> list[dict]:
        """What Gammu knows about the parts we sent: [{outbox_id, part, status, detail}], one per
        `sentitems` row with our CreatorID (optionally only for `outbox_ids`). `status` uses the
        words of the connector's delivery reports (delivered, failed, buffered, smsc_accepted,
        smsc_rejected, unknown); `detail` keeps Gammu's own Status and StatusError. Parts still
        in `outbox` have no row yet. Raises SourceUnavailableError / SourceRejectedError."""
        query = (
            select(sentitems.c.CreatorID, sentitems.c.Status, sentitems.c.StatusError)
            .where(sentitems.c.CreatorID.startswith(f"{self.creator_id}:", autoescape=True))
            .order_by(sentitems.c.ID, sentitems.c.SequencePosition)
        )
        if outbox_ids is not None:
            mine = [
                sentitems.c.CreatorID.startswith(f"{self.creator_id}:{int(i)}:", autoescape=True)
                for i in set(outbox_ids)
            ]
            if not mine:
                return []
            query = query.where(or_(*mine))
        with self._connection("read sentitems") as conn:
            rows = conn.execute(query).all()
        return [report for report in map(self._report, rows) if report is not None]

    def _report(self, row) -> dict | None:
        pieces = row.CreatorID.rsplit(":", 2)  # <creator_id>:<outbox id>:<part>
        if len(pieces) != 3 or not (pieces[1].isdigit() and pieces[2].isdigit()):
            return None
        return {
            "outbox_id": int(pieces[1]),
            "part": int(pieces[2]),
            "status": DELIVERY_STATUS.get(row.Status, "unknown"),
            "detail": f"gammu {row.Status} (StatusError {row.StatusError})",
        }

    # -- the database -----------------------------------------------------------------------

    @contextmanager
    def _connection(self, what: str, begin: bool = False):
        """A connection (in a transaction when `begin`) whose database errors become the channel's."""
        try:
            with self.engine.begin() if begin else self.engine.connect() as conn:
                yield conn
        except sa_exc.SQLAlchemyError as exc:
            raise _error(exc, f"{self.where}: {what}") from exc

    def probe(self) -> ProbeResult:
        try:
            with self._connection("probe") as conn:
                version = conn.execute(select(func.max(gammu.c.Version))).scalar()
                waiting = conn.execute(
                    select(func.count()).select_from(inbox).where(inbox.c.Processed == FALSE)
                ).scalar()
                conn.execute(select(outbox.c.ID).limit(1)).all()
                conn.execute(select(sentitems.c.ID).limit(1)).all()
        except (SourceUnavailableError, SourceRejectedError) as exc:
            return ProbeResult(False, str(exc))
        return ProbeResult(
            True, f"{self.where}: schema version {version}, {waiting} unprocessed inbox row(s)"
        )

    def close(self) -> None:
        self.engine.dispose()


def _error(exc: Exception, what: str):
    if isinstance(
        exc,
        (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.TimeoutError,
            sa_exc.DisconnectionError,
        ),
    ):
        # A connection failure's message names the server, never a row or the password.
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        return SourceUnavailableError(f"{what}: not reachable: {reason}")
    return SourceRejectedError(f"{what}: refused: {describe(exc)}")


def _engine(url: str, timeout_s: float):
    """The engine for Gammu's database. Problems never quote the URL: it holds the password."""
    try:
        parsed = make_url(url)
    except sa_exc.ArgumentError:
        raise ConfigError(
            [
                "database_url: not a database URL (e.g. postgresql+psycopg://smsd:${GAMMU_DB_PASSWORD}@db/smsd)"
            ]
        ) from None
    connect_args = (
        {"connect_timeout": max(1, int(timeout_s))}
        if parsed.get_backend_name() in ("postgresql", "mysql")
        else {}
    )
    try:
        return create_engine(
            parsed, hide_parameters=True, pool_pre_ping=True, connect_args=connect_args
        )
    except (sa_exc.ArgumentError, ImportError) as exc:
        raise ConfigError(
            [
                f"database_url: cannot use the database driver {parsed.drivername!r} ({type(exc).__name__})"
            ]
        ) from None


def _plain(value):
    """A column value as JSON: times as ISO 8601, exactly as stored (Gammu's local time, no zone)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _text(row: dict, udh: bytes | None) -> str:
    """A part of a multipart SMS is read from its own Text (UTF-16BE hex): TextDecoded may hold
    the whole message (Gammu 1.42) or only the part (older versions). Everything else is read
    from TextDecoded."""
    concat = parse_udh(udh) if udh else None
    raw = row.get("Text") or ""
    if (
        concat is not None
        and concat.total > 1
        and row.get("Coding") in _TEXT_CODINGS
        and raw
        and len(raw) % 4 == 0
    ):
        try:
            return bytes.fromhex(raw).decode("utf-16-be", "surrogatepass")
        except ValueError:
            pass
    return row.get("TextDecoded") or ""
