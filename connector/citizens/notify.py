"""Citizen notifications: status changes that matter to the person who reported,
rendered from the Indonesian templates in mappings/templates/ and queued in the
outbox for the channel the complaint came from.

Only complaints that came by email or SMS are notified this way: a portal shows
its citizens the follow-ups the connector pushes to it. A template gets the
tracking id, the number the citizen types by SMS (`$nomor`: the tracking id, or
its short reference when the id is too long to type, see `sms_number`), the
report's title, the status and the follow-up's text; never the complainant's
name or contact (anonymous does not mean unreachable, but their identity stays
out of every text). The address is looked up at send time by the channel that
delivers the message.
"""

from __future__ import annotations

from functools import lru_cache
from string import Template

from sqlalchemy import func, select

from connector.channels.sms.commands import SHORT_REFERENCE_ABOVE, short_reference
from connector.outbox.queue import enqueue
from connector.store.models import Complaint, OutboxItem
from connector.support.data import data_path
from lapor_exchange import status as S

NOTIFIED_CHANNELS = ("email", "sms")
RECEIVED = "diterima"
# National status → template name; statuses not listed do not concern the citizen.
EVENTS = {
    S.TERVERIFIKASI: "terverifikasi",
    S.DITINDAKLANJUTI: "ditindaklanjuti",
    S.SELESAI: "selesai",
    S.DIARSIPKAN: "diarsipkan",
    S.TUNDA: "tunda",
}


@lru_cache(maxsize=None)
def template(name: str, channel: str | None = None) -> tuple[str, Template]:
    """(subject, body template) from mappings/templates/<channel>/<name>.txt when the channel
    has its own (SMS: short texts within one message), else mappings/templates/<name>.txt.
    A template is its subject line, a blank line, then the body."""
    try:
        path = data_path("mappings", "templates", channel, f"{name}.txt") if channel else None
    except FileNotFoundError:
        path = None
    text = (path or data_path("mappings", "templates", f"{name}.txt")).read_text(encoding="utf-8")
    subject, _, body = text.partition("\n\n")
    return subject.strip(), Template(body.strip())


def render(
    name: str,
    tracking_id: str,
    title: str,
    message: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    number: str | None = None,
) -> dict:
    """{event, subject, text} of template `name`; `number` is what the citizen types for the
    report by SMS (default: the tracking id)."""
    subject, body = template(name, channel)
    inline = channel == "sms" or name == "info"  # short texts: the message follows on the same line
    values = {
        "tracking_id": tracking_id,
        "nomor": number or tracking_id,
        "judul": title,
        "pesan": (f" {message}" if inline else message) if message else "",
        "status": status or name,
    }
    return {
        "event": name,
        "subject": Template(subject).safe_substitute(values),
        "text": body.safe_substitute(values).strip(),
    }


def enqueue_notification(session, complaint, update: dict | None) -> bool:
    """Queue the message for this status update (None: the report was received). False if none is due."""
    if (
        complaint.report.get("source", {}).get("channel") not in NOTIFIED_CHANNELS
        or not complaint.tracking_id
    ):
        return False
    name = RECEIVED if update is None else EVENTS.get(update.get("status"))
    if name is None:
        return False
    channel = complaint.report["source"]["channel"]
    number = sms_number(session, complaint) if channel == "sms" else None
    payload = render(
        name,
        complaint.tracking_id,
        complaint.report.get("title", ""),
        (update or {}).get("message"),
        channel=channel,
        number=number,
    )
    # The acknowledgement is per tracking id: a report the hub lost and took again under a
    # new id (reconciliation) tells the citizen the new one.
    event = (update or {}).get("update_id") or f"{RECEIVED}/{complaint.tracking_id}"
    key = f"notify/{complaint.channel_id}/{complaint.source_ref}/{event}"
    if session.scalar(select(OutboxItem.id).where(OutboxItem.idempotency_key == key)) is not None:
        return False  # already queued (or sent)
    enqueue(session, "notification", f"channel:{complaint.channel_id}", key, complaint.id, payload)
    return True


def sms_number(session, complaint) -> str:
    """The number a complainant types by SMS for their report: the tracking id, or for one
    longer than SHORT_REFERENCE_ABOVE characters its short reference (`short_reference`, from
    the complaint's own id) so that the acknowledgement stays one readable SMS. A short
    reference that some report has as its tracking id (the hub's ids are opaque) is not
    given: the tracking id is, and the lookup (connector.conversation) tries tracking ids first."""
    tracking_id = complaint.tracking_id
    if len(tracking_id) <= SHORT_REFERENCE_ABOVE:
        return tracking_id
    short = short_reference(complaint.id)
    taken = session.scalar(
        select(Complaint.id).where(func.lower(Complaint.tracking_id) == short.lower()).limit(1)
    )
    return tracking_id if taken is not None else short


def enqueue_answer(session, channel_id: str, to: str, text: str, key: str) -> None:
    """Queue an answer to a message that is no report of its own (how to write one, a status
    question), straight to the address it came from."""
    enqueue(
        session,
        "notification",
        f"channel:{channel_id}",
        key,
        None,
        {"event": "answer", "to": to, "text": text, "subject": None},
    )
