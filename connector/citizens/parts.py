"""Multipart messages a gateway delivered piece by piece (an SMS whose other parts had not
arrived when the gateway gave up waiting).

Each piece is kept as received (an intake row with outcome `part`) and listed in
`message_parts`. When every part of a set is there, or the set has waited longer than
the channel's timeout, the pieces are put together in order into one item (missing
pieces become a noted gap, never a silent drop), which intake then treats like any
other message. A piece that arrives after its set was put together is kept as `late`
and reaches the report as the citizen's addition.

Not here: what a part is (the channel's `part_of`), reading a piece's record (intake).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from connector.channels.base import PartInfo, RawItem, ReplyRef
from connector.store.models import Complaint, IntakeItem, MessagePart
from connector.timeutil import utcnow
from lapor_exchange.canonical import canonical_json, sha256_bytes

LATE_WINDOW = timedelta(days=2)


def store_part(session, row: IntakeItem, part: PartInfo, read, connector_id: str):
    """List a stored piece; returns (item, row, records) when its set is whole, else None."""
    late = _combined_set(session, row.channel_id, part)
    piece = MessagePart(
        channel_id=row.channel_id,
        sender=part.sender,
        ref=part.ref,
        total=part.total,
        seq=part.seq,
        intake_id=row.id,
        received_at=row.received_at,
        state="late" if late else "waiting",
        combined_ref=late,
    )
    session.add(piece)
    session.flush()
    if late:
        _late_piece(session, row, piece, read, connector_id)
        return None
    waiting = _waiting(session, row.channel_id, part.sender, part.ref, part.total)
    if len({p.seq for p in waiting}) == part.total:
        return combine(session, waiting, read)
    return None


def stale_sets(session, channel_id: str, timeout_s: float, read) -> list:
    """Sets that waited longer than `timeout_s`: put together with their gaps."""
    cutoff = utcnow() - timedelta(seconds=timeout_s)
    keys = session.execute(
        select(MessagePart.sender, MessagePart.ref, MessagePart.total)
        .where(
            MessagePart.channel_id == channel_id,
            MessagePart.state == "waiting",
            MessagePart.received_at < cutoff,
        )
        .distinct()
    ).all()
    return [combine(session, _waiting(session, channel_id, *key), read) for key in keys]


def combine(session, pieces: list[MessagePart], read) -> tuple[RawItem, IntakeItem, list]:
    """One item for a set: the pieces' records in order, None where a piece is missing."""
    first = {}
    for piece in sorted(pieces, key=lambda p: (p.seq, p.id)):
        first.setdefault(piece.seq, piece)  # a piece delivered twice counts once
    rows = {
        r.id: r
        for r in session.scalars(
            select(IntakeItem).where(IntakeItem.id.in_([p.intake_id for p in first.values()]))
        )
    }
    records = [
        read(rows[first[n].intake_id]) if n in first else None
        for n in range(1, pieces[0].total + 1)
    ]
    head = rows[min(p.intake_id for p in first.values())]
    # The sender's number stays out of the id: ids travel (source_ref at the hub, the audit log).
    sender_key = sha256_bytes(pieces[0].sender.encode())[:16]
    external_id = f"parts/{sender_key}/{pieces[0].ref}/{pieces[0].total}/{head.id}"
    for piece in pieces:
        piece.state, piece.combined_ref = "combined", external_id
    payload = canonical_json(
        {
            "parts": [p.intake_id for p in sorted(first.values(), key=lambda p: p.seq)],
            "missing": [n for n in range(1, pieces[0].total + 1) if n not in first],
        }
    ).encode()
    item = RawItem(
        head.channel_id,
        external_id,
        payload,
        "application/x-message-parts+json",
        received_at=head.received_at,
        meta={"combined_from": [p.intake_id for p in first.values()]},
    )
    row = IntakeItem(
        channel_id=item.channel_id,
        external_id=external_id,
        payload_sha256=sha256_bytes(payload),
        payload=payload,
        media_type=item.media_type,
        meta=item.meta,
        received_at=item.received_at,
    )
    return item, row, records


def _waiting(session, channel_id: str, sender: str, ref: int, total: int) -> list[MessagePart]:
    return list(
        session.scalars(
            select(MessagePart).where(
                MessagePart.channel_id == channel_id,
                MessagePart.sender == sender,
                MessagePart.ref == ref,
                MessagePart.total == total,
                MessagePart.state == "waiting",
            )
        )
    )


def _combined_set(session, channel_id: str, part: PartInfo) -> str | None:
    """The combined item of this piece's set, if the set was put together recently."""
    since = utcnow() - LATE_WINDOW
    return session.scalar(
        select(MessagePart.combined_ref)
        .where(
            MessagePart.channel_id == channel_id,
            MessagePart.sender == part.sender,
            MessagePart.ref == part.ref,
            MessagePart.total == part.total,
            MessagePart.state == "combined",
            MessagePart.received_at >= since,
        )
        .limit(1)
    )


def _late_piece(session, row: IntakeItem, piece: MessagePart, read, connector_id: str) -> None:
    """A piece after its set was sent on: it reaches the report as the citizen's addition."""
    from connector.citizens.conversation import citizen_reply

    complaint = session.scalars(
        select(Complaint).where(
            Complaint.channel_id == row.channel_id, Complaint.source_ref == piece.combined_ref
        )
    ).one_or_none()
    text = (read(row) or {}).get("text")
    if complaint is not None and text:
        note = f"[bagian {piece.seq} dari {piece.total}, diterima terlambat] {text}"
        citizen_reply(
            session,
            complaint,
            f"{row.channel_id}/{row.external_id}/late",
            ReplyRef(text=note),
            connector_id,
        )
