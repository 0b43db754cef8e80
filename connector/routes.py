"""The outbox routes: how each kind of item reaches its target, and what its answer
changes here. The delivery loop itself is in `connector.delivery`.

- `ReportRoute`: reports → hub, in batches; a tracking id comes back.
- `HubUpdateRoute`: region status updates → hub, in batches; the hub's verdict
  (applied, stale, illegal transition …) is recorded on the update.
- `PushRoute`: national updates → a portal, one request each (what portals take).
"""

from __future__ import annotations

from sqlalchemy import select

from . import status as S
from .delivery import Route, Sent
from .errors import PermanentError, TransientError
from .hub_client import HubClient
from .notify import enqueue_notification
from .store.models import Complaint, SentMessage
from .sync import park_region_update, record_hub_answer, region_update_payload
from .timeutil import utcnow


class ReportRoute(Route):
    kind, target = "report", "hub"

    def __init__(self, hub: HubClient, batch_size: int = 100):
        self.hub = hub
        self.batch_size = batch_size

    def load(self, session, items) -> list:
        complaints = {c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_([i.complaint_id for i in items])))}
        return [{"complaint_id": i.complaint_id, "report": complaints[i.complaint_id].report} for i in items]

    def send(self, payloads: list) -> list[Sent]:
        results = self.hub.send_reports([p["report"] for p in payloads])
        return [self._sent(r) for r in results]

    @staticmethod
    def _sent(result) -> Sent:
        kept = {"outcome": result.outcome, "tracking_id": result.tracking_id}
        if result.outcome in ("created", "duplicate"):
            return Sent.delivered(kept)
        details = "; ".join(f"{e.get('path', '$')}: {e.get('message', '')}" for e in result.errors if isinstance(e, dict))
        tracking = f" (hub tracking id {result.tracking_id})" if result.tracking_id else ""
        return Sent.dead(f"hub_{result.outcome}", f"hub answered {result.outcome}{tracking}" + (f": {details}" if details else ""), kept)

    def record(self, session, item_id: int, payload, sent: Sent) -> None:
        complaint = session.get(Complaint, payload["complaint_id"])
        complaint.tracking_id = sent.result["tracking_id"]
        complaint.status = complaint.status or S.INITIAL
        complaint.delivered_at = utcnow()
        enqueue_notification(session, complaint, None)


class HubUpdateRoute(Route):
    kind, target = "status_update", "hub"
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
        details = "; ".join(f"{e.get('path', '$')}: {e.get('message', '')}" for e in answer.get("errors") or [])
        return Sent.dead(f"hub_{answer.get('outcome')}", f"hub answered {answer.get('outcome')}" + (f": {details}" if details else ""), answer)

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
        return one_by_one(payloads, lambda p: Sent.delivered(self.channel.push(p["update"], p["source_ref"])))


class NotificationRoute(Route):
    """Messages to citizens (acknowledgement with the tracking id, status notifications)
    through the channel their complaint came from, one at a time, threaded on the
    citizen's own message."""

    kind = "notification"

    def __init__(self, channel):
        self.channel = channel
        self.target = f"channel:{channel.id}"
        self.batch_size = 20

    def load(self, session, items) -> list:
        complaints = {c.id: c for c in session.scalars(select(Complaint).where(Complaint.id.in_([i.complaint_id for i in items])))}
        return [self._message(item, complaints[item.complaint_id]) for item in items]

    def _message(self, item, complaint: Complaint) -> dict:
        contact = complaint.report.get("complainant") or {}
        original = complaint.source_ref if not complaint.source_ref.startswith("no-message-id:") else None
        return {
            "complaint_id": complaint.id,
            "event": item.payload["event"],
            "to": contact.get("email"),
            "subject": f"[LAPOR #{complaint.tracking_id}] {item.payload['subject']}",
            "text": item.payload["text"],
            "message_id": self.channel.message_id_for(item.idempotency_key, item.payload["event"]),
            "in_reply_to": original,
        }

    def send(self, payloads: list) -> list[Sent]:
        return one_by_one(payloads, self._send_one)

    def _send_one(self, message: dict) -> Sent:
        if not message["to"]:
            return Sent.dead("no_address", "the complaint has no usable address to answer")
        self.channel.send_mail(message["to"], message["subject"], message["text"], message["message_id"], message["in_reply_to"])
        return Sent.delivered({"message_id": message["message_id"]})

    def record(self, session, item_id: int, payload, sent: Sent) -> None:
        if session.scalar(select(SentMessage.id).where(SentMessage.message_id == payload["message_id"])) is None:
            session.add(SentMessage(message_id=payload["message_id"], complaint_id=payload["complaint_id"],
                                    channel_id=self.channel.id, event=payload["event"]))
