"""The outbox routes: how each kind of item reaches its target, and what its answer
changes here. The delivery loop itself is in `connector.delivery`.

- `ReportRoute`: reports → hub, in batches; a tracking id comes back.
- `HubUpdateRoute`: region status updates → hub, in batches; the hub's verdict
  (applied, stale, illegal transition …) is recorded on the update.
- `PushRoute`: national updates → a portal, one request each (what portals take).
"""

from __future__ import annotations

from sqlalchemy import select

from connector.citizens.notify import enqueue_notification
from connector.delivery.deliverer import Route, Sent
from connector.delivery.hub_client import HubClient
from connector.errors import PermanentError, TransientError
from connector.store.models import Complaint, SentMessage
from connector.sync.updates import park_region_update, record_hub_answer, region_update_payload
from connector.timeutil import utcnow
from lapor_exchange import status as S
from lapor_exchange.capabilities import STATUS_PUSH


class ReportRoute(Route):
    kind, target = "report", "hub"

    def __init__(self, hub: HubClient, batch_size: int = 100):
        self.hub = hub
        self.batch_size = batch_size

    def load(self, session, items) -> list:
        complaints = {
            c.id: c
            for c in session.scalars(
                select(Complaint).where(Complaint.id.in_([i.complaint_id for i in items]))
            )
        }
        return [
            {"complaint_id": i.complaint_id, "report": complaints[i.complaint_id].report}
            for i in items
        ]

    def send(self, payloads: list) -> list[Sent]:
        results = self.hub.send_reports([p["report"] for p in payloads])
        return [self._sent(r) for r in results]

    @staticmethod
    def _sent(result) -> Sent:
        kept = {"outcome": result.outcome, "tracking_id": result.tracking_id}
        if result.outcome in ("created", "duplicate"):
            return Sent.delivered(kept)
        details = "; ".join(
            f"{e.get('path', '$')}: {e.get('message', '')}"
            for e in result.errors
            if isinstance(e, dict)
        )
        tracking = f" (hub tracking id {result.tracking_id})" if result.tracking_id else ""
        return Sent.dead(
            f"hub_{result.outcome}",
            f"hub answered {result.outcome}{tracking}" + (f": {details}" if details else ""),
            kept,
        )

    def record(self, session, item_id: int, payload, sent: Sent) -> None:
        complaint = session.get(Complaint, payload["complaint_id"])
        complaint.tracking_id = sent.result["tracking_id"]
        complaint.status = complaint.status or S.INITIAL
        complaint.delivered_at = utcnow()
        enqueue_notification(session, complaint, None)


class HubUpdateRoute(Route):
    kind, target = "status_update", "hub"
    needs = STATUS_PUSH
    DELIVERED = ("applied", "duplicate", "stale", "noop")

    def __init__(self, hub: HubClient, batch_size: int = 100):
        self.hub = hub
        self.batch_size = batch_size

    def load(self, session, items) -> list:
        return [region_update_payload(session, i.payload["update_id"]) for i in items]

    def send(self, payloads: list) -> list[Sent]:
        return [self._sent(answer) for answer in self.hub.send_updates(payloads)]

    def _sent(self, answer: dict) -> Sent:
        if answer.get("outcome") in self.DELIVERED:
            return Sent.delivered(answer)
        details = "; ".join(
            f"{e.get('path', '$')}: {e.get('message', '')}" for e in answer.get("errors") or []
        )
        return Sent.dead(
            f"hub_{answer.get('outcome')}",
            f"hub answered {answer.get('outcome')}" + (f": {details}" if details else ""),
            answer,
        )

    def record(self, session, item_id: int, payload, sent: Sent) -> None:
        record_hub_answer(session, payload["update_id"], sent.result)

    def failed(self, session, item_id: int, payload, code: str, reason: str) -> None:
        park_region_update(session, payload["update_id"], reason)


def one_by_one(payloads: list, send_one) -> list[Sent]:
    """Send items one request each. After a transient failure the rest of the batch is not
    tried (the peer is not answering: do not knock again right now) and waits with it."""
    results: list[Sent] = []
    for payload in payloads:
        if results and results[-1].outcome == "retry":
            results.append(results[-1])
            continue
        try:
            results.append(send_one(payload))
        except TransientError as exc:
            results.append(Sent.retry(exc))
        except PermanentError as exc:
            results.append(Sent.dead(exc.code, str(exc)))
    return results


class PushRoute(Route):
    """National updates to one channel that takes them (a portal), one request per update."""

    kind = "status_update"

    def __init__(self, channel):
        self.channel = channel
        self.target = f"channel:{channel.id}"
        self.batch_size = 20

    def load(self, session, items) -> list:
        return [i.payload for i in items]

    def send(self, payloads: list) -> list[Sent]:
        return one_by_one(
            payloads, lambda p: Sent.delivered(self.channel.push(p["update"], p["source_ref"]))
        )


class NotificationRoute(Route):
    """Messages to citizens (acknowledgement with the tracking id, status notifications,
    answers) through a channel that can send them, one at a time. The channel knows the
    citizen's address for a complaint and how to write the message (`address_of`, `deliver`)."""

    kind = "notification"

    def __init__(self, channel):
        self.channel = channel
        self.target = f"channel:{channel.id}"
        self.batch_size = 20

    def load(self, session, items) -> list:
        ids = [i.complaint_id for i in items if i.complaint_id is not None]
        complaints = {
            c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_(ids)))
        }
        return [self._message(item, complaints.get(item.complaint_id)) for item in items]

    def _message(self, item, complaint: Complaint | None) -> dict:
        payload = item.payload
        return {
            "outbox_id": item.id,
            "key": item.idempotency_key,
            "complaint_id": complaint.id if complaint else None,
            "event": payload["event"],
            "to": payload.get("to") or (self.channel.address_of(complaint) if complaint else None),
            "subject": payload.get("subject"),
            "text": payload["text"],
            "tracking_id": complaint.tracking_id if complaint else None,
            "source_ref": complaint.source_ref if complaint else None,
        }

    def send(self, payloads: list) -> list[Sent]:
        return one_by_one(payloads, self._send_one)

    def _send_one(self, message: dict) -> Sent:
        if not message["to"]:
            return Sent.dead("no_address", "the complaint has no usable address to answer")
        return Sent.delivered(self.channel.deliver(message))

    def record(self, session, item_id: int, payload, sent: Sent) -> None:
        message_id = (sent.result or {}).get("message_id")
        if (
            message_id
            and payload["complaint_id"] is not None
            and session.scalar(select(SentMessage.id).where(SentMessage.message_id == message_id))
            is None
        ):
            session.add(
                SentMessage(
                    message_id=message_id,
                    complaint_id=payload["complaint_id"],
                    channel_id=self.channel.id,
                    event=payload["event"],
                )
            )
