"""SLA clocks on working days: which reports are past or near a deadline.

LAPOR!'s published numbers are the defaults (configuration `sla`): verification
and forwarding within 3 working days of receipt, the agency's follow-up within 5
working days of forwarding, and the report closes by itself 10 working days
after a follow-up if nobody replies. One clock runs per open report, chosen by
its national status:

| status                                       | clock     | starts when                 |
|----------------------------------------------|-----------|-----------------------------|
| belum_terverifikasi                          | verify    | the hub received the report |
| terverifikasi, didisposisikan, bukan_wewenang| follow_up | that status was set         |
| ditindaklanjuti                              | close     | the last follow-up was set  |

`tunda` waits for the citizen and `selesai`/`diarsipkan` are closed: no clock.
Dates are the region's local dates; working days come from `connector.workdays`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from connector.ops.workdays import Calendar
from connector.store.models import Complaint
from connector.timeutil import utcnow
from lapor_exchange import status as S

CLOCKS = {
    S.BELUM_TERVERIFIKASI: "verify",
    S.TERVERIFIKASI: "follow_up",
    S.DIDISPOSISIKAN: "follow_up",
    S.BUKAN_WEWENANG: "follow_up",
    S.DITINDAKLANJUTI: "close",
}


@dataclass(frozen=True)
class Deadline:
    tracking_id: str
    source: str
    status: str
    clock: str
    started: date
    due: date
    days_left: int  # working days from today to the due date; negative when past

    @property
    def overdue(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class SlaRules:
    verify_days: int = 3
    follow_up_days: int = 5
    close_after_days: int = 10
    warn_days: int = 1

    @classmethod
    def from_config(cls, sla: dict) -> "SlaRules":
        return cls(**{k: sla[k] for k in cls.__dataclass_fields__ if k in sla})

    def days_for(self, clock: str) -> int:
        return {
            "verify": self.verify_days,
            "follow_up": self.follow_up_days,
            "close": self.close_after_days,
        }[clock]


def deadlines(
    session, calendar: Calendar, rules: SlaRules, tz: ZoneInfo, now: datetime | None = None
) -> list[Deadline]:
    """Every running clock, soonest due first."""
    today = (now or utcnow()).astimezone(tz).date()
    query = select(Complaint).where(
        Complaint.tracking_id.is_not(None), Complaint.status.in_(list(CLOCKS))
    )
    found = [_deadline(c, calendar, rules, tz, today) for c in session.scalars(query)]
    return sorted(
        (d for d in found if d is not None), key=lambda d: (d.days_left, d.due, d.tracking_id)
    )


def _deadline(
    complaint: Complaint, calendar: Calendar, rules: SlaRules, tz: ZoneInfo, today: date
) -> Deadline | None:
    clock = CLOCKS[complaint.status]
    started_at = (
        complaint.delivered_at
        if clock == "verify"
        else (complaint.status_at or complaint.delivered_at)
    )
    if started_at is None:
        return None
    started = started_at.astimezone(tz).date()
    due = calendar.add_working_days(started, rules.days_for(clock))
    return Deadline(
        complaint.tracking_id,
        f"{complaint.channel_id}/{complaint.source_ref}",
        complaint.status,
        clock,
        started,
        due,
        calendar.working_days_between(today, due),
    )


def near_or_past(found: list[Deadline], rules: SlaRules) -> list[Deadline]:
    return [d for d in found if d.days_left <= rules.warn_days]
