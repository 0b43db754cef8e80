"""The conversation with citizens who write by email or SMS: which report a message answers,
the citizen's reply as an update on that report, and the answer to a status question.

- `resolve_reply`: the complaint a message answers, first match wins:
  (a) its thread: In-Reply-To / References naming one of our sent messages (`sent_messages`),
      the complaint's own first mail (an email complaint's `source_ref` is its Message-ID), or
      an earlier reply of the citizen that became an update on it; whoever sent it, whatever
      the ids' domain;
  (b) the tracking id it quotes (`[LAPOR #<id>]` in a subject);
  (c) another word that names a report (a subject's "Laporan LPR-0123456789", an SMS's leading
      number). (b) and (c) only when the sender is that complaint's own complainant.
- `find_report` / `reports_named`: the one lookup of a number a citizen wrote: a tracking id
  exactly, then ignoring case (when only one report fits), then a short reference
  (`connector.sms.commands.short_reference`, given in SMS for long tracking ids).
- `citizen_reply`: the reply as a region update from the `pelapor`, queued for the hub.
- `answer_command`: the answer to "INFO <nomor>"; a confidential report's status only to its
  own complainant; a number that names no report gets a polite "tidak ditemukan".

Not here: reading messages and finding the words that may be numbers (channels,
`connector.mail`, `connector.sms`), the order noise → command → reply → new report (intake),
status sync with the hub (`connector.sync`), templates and queueing (`connector.notify`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from sqlalchemy import func, select

from connector import audit
from connector.channels.base import Command, ReplyRef
from connector.channels.sms.commands import complaint_id_of
from connector.citizens.notify import render
from connector.outbox.queue import enqueue
from connector.store.models import Complaint, SentMessage, StatusUpdate
from connector.timeutil import iso, utcnow
from lapor_exchange import status as S
from lapor_exchange.documents import SCHEMA_VERSION

# The exchange contract's limit on an update id (status-update.schema.json).
MAX_UPDATE_ID = 200


# -- finding a report -------------------------------------------------------------------


def reports_named(session, words: Iterable[str]) -> list[tuple[str, Complaint]]:
    """(word, complaint) for each of `words` (in order) that names a report: its tracking id,
    the same ignoring case when exactly one report has it so, or its short reference. Three
    queries at most, whatever the number of words."""
    words = list(dict.fromkeys(w for w in words if w))
    if not words:
        return []
    exact = {
        c.tracking_id: c
        for c in session.scalars(select(Complaint).where(Complaint.tracking_id.in_(words)))
    }
    rest = [w for w in words if w not in exact]
    folded: dict[str, list[Complaint]] = {}
    if rest:
        lowered = {w.lower() for w in rest}
        for c in session.scalars(
            select(Complaint).where(func.lower(Complaint.tracking_id).in_(lowered))
        ):
            folded.setdefault(c.tracking_id.lower(), []).append(c)
    short_ids = {w: complaint_id_of(w) for w in rest if len(folded.get(w.lower(), ())) != 1}
    wanted = {i for i in short_ids.values() if i is not None}
    by_id = (
        {
            c.id: c
            for c in session.scalars(
                select(Complaint).where(
                    Complaint.id.in_(wanted), Complaint.tracking_id.is_not(None)
                )
            )
        }
        if wanted
        else {}
    )
    found = []
    for word in words:
        same_case = folded.get(word.lower(), [])
        complaint = (
            exact.get(word)
            or (same_case[0] if len(same_case) == 1 else None)
            or by_id.get(short_ids.get(word))
        )
        if complaint is not None:
            found.append((word, complaint))
    return found


def find_report(session, words: Iterable[str]) -> tuple[str, Complaint] | None:
    """The first of `words` that names a report, with that report (see `reports_named`)."""
    found = reports_named(session, words)
    return found[0] if found else None


def is_complainant(complaint: Complaint, sender: str | None) -> bool:
    """Whether `sender` (an address or an E.164 number) is the complaint's own email or phone."""
    contact = (complaint.report or {}).get("complainant") or {}
    known = {str(v).lower() for k, v in contact.items() if k in ("email", "phone") and v}
    return bool(sender) and sender.lower() in known


# -- replies -----------------------------------------------------------------------------


def resolve_reply(session, ref: ReplyRef, channel_id: str | None = None) -> Complaint | None:
    """The complaint a citizen's message answers (see the module's order), or None: then it is
    no reply. `channel_id` is the channel the message came in by: a complaint's first mail and
    the citizen's earlier replies are looked up in it."""
    by_thread = _by_thread(session, ref.message_ids, channel_id)
    if by_thread is not None:
        return by_thread
    if not ref.sender:
        return None
    words = ((ref.tracking_id,) if ref.tracking_id else ()) + tuple(getattr(ref, "candidates", ()))
    for _, complaint in reports_named(session, words):
        if is_complainant(complaint, ref.sender):
            return complaint
    return None


def _by_thread(session, message_ids, channel_id: str | None) -> Complaint | None:
    """The complaint of the first message id (in the order given) that is part of its conversation."""
    ids = list(dict.fromkeys(i for i in message_ids or () if i))
    if not ids:
        return None
    owner: dict[str, int] = {}
    for message_id, complaint_id in session.execute(
        select(SentMessage.message_id, SentMessage.complaint_id).where(
            SentMessage.message_id.in_(ids)
        )
    ):
        owner.setdefault(message_id, complaint_id)
    if channel_id is not None:
        for source_ref, complaint_id in session.execute(
            select(Complaint.source_ref, Complaint.id).where(
                Complaint.channel_id == channel_id, Complaint.source_ref.in_(ids)
            )
        ):
            owner.setdefault(source_ref, complaint_id)
        replies = {reply_update_id(channel_id, i): i for i in ids}
        for update_id, complaint_id in session.execute(
            select(StatusUpdate.update_id, StatusUpdate.complaint_id).where(
                StatusUpdate.update_id.in_(list(replies)), StatusUpdate.complaint_id.is_not(None)
            )
        ):
            owner.setdefault(replies[update_id], complaint_id)
    first = next((owner[i] for i in ids if i in owner), None)
    return session.get(Complaint, first) if first is not None else None


def reply_update_id(channel_id: str, external_id: str) -> str:
    """The update id of the citizen's reply that came in as item `external_id` (an email: its
    Message-ID), within the contract's 200 characters: a long item id is written as its hash."""
    update_id = f"{channel_id}/{external_id}/reply"
    if len(update_id) <= MAX_UPDATE_ID:
        return update_id
    return f"{channel_id}/sha256:{hashlib.sha256(external_id.encode('utf-8')).hexdigest()}/reply"


def citizen_reply(
    session, complaint: Complaint, update_id: str, ref: ReplyRef, connector_id: str
) -> bool:
    """The citizen's answer on their report: a region update from the `pelapor`, queued for the
    hub. False (nothing recorded) when the answer has no text."""
    if not ref.text:
        return False
    occurred_at = ref.occurred_at or utcnow()
    payload = {
        "schema_version": SCHEMA_VERSION,
        "update_id": update_id,
        "tracking_id": complaint.tracking_id or "",
        "origin": {
            "side": S.REGION,
            "connector_id": connector_id,
            "channel_id": complaint.channel_id,
        },
        "actor": "pelapor",
        "message": ref.text,
        "occurred_at": iso(occurred_at),
    }
    row = StatusUpdate(
        update_id=update_id,
        complaint_id=complaint.id,
        origin=S.REGION,
        occurred_at=occurred_at,
        payload=payload,
        state="pending",
    )
    session.add(row)
    # The same entry status sync writes for every update (connector.sync): ids, never the text.
    audit.record(
        session,
        "status",
        audit.ref_of(complaint.channel_id, complaint.source_ref),
        {
            "update_id": audit.safe_id(update_id),
            "origin": row.origin,
            "state": row.state,
            "status": row.status,
        },
    )
    enqueue(
        session,
        "status_update",
        "hub",
        f"update/hub/{update_id}",
        complaint.id,
        {"update_id": update_id},
    )
    return True


# -- status questions ----------------------------------------------------------------------


def answer_command(session, command: Command, sender: str | None) -> str | None:
    """The text that answers a citizen's request (an SMS "INFO <nomor>"), or None when the
    message is no request after all (a Question whose `unknown` is "report" and whose
    candidates name nothing) and intake should go on with it."""
    if command.kind != "info":
        return None
    words = tuple(getattr(command, "candidates", ())) or (
        (command.tracking_id,) if command.tracking_id else ()
    )
    found = find_report(session, words)
    if found is None:
        return _unknown(command, words)
    word, complaint = found
    report = complaint.report or {}
    # A confidential report's status is told only to the person who made it.
    if report.get("privacy", {}).get("confidential") and not is_complainant(complaint, sender):
        return _not_found(command.tracking_id or word)
    label = S.LABELS.get(complaint.status, complaint.status or S.LABELS[S.INITIAL])
    return render("info", complaint.tracking_id, report.get("title", ""), None, status=label)[
        "text"
    ]


def _unknown(command: Command, words: tuple[str, ...]) -> str | None:
    unknown = getattr(command, "unknown", "not_found")
    if unknown == "report":
        return None
    help_text = getattr(command, "help_text", None)
    if unknown == "help" and help_text:
        return help_text
    number = command.tracking_id or (words[0] if words else None)
    return _not_found(number) if number else help_text


def _not_found(number: str) -> str:
    return render("info_tidak_ditemukan", number, "")["text"]
