"""SLA clocks: which clock runs for which status, and deadlines on working days."""

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from connector.ops import sla
from connector.ops.workdays import Calendar
from connector.store.models import Complaint, IntakeItem
from connector.support.data import data_path

WITA = ZoneInfo("Asia/Makassar")
CAL = Calendar.load(data_path("mappings", "calendar", "id-holidays.csv"))
RULES = sla.SlaRules()


def wita(*args):
    return datetime(*args, tzinfo=WITA).astimezone(timezone.utc)


def add(session, ref, status, delivered_at, status_at=None):
    intake = IntakeItem(
        channel_id="laporpaman",
        external_id=ref,
        payload_sha256="0" * 64,
        payload=b"{}",
        media_type="application/json",
        meta={},
        received_at=delivered_at,
        outcome="accepted",
    )
    session.add(intake)
    session.flush()
    session.add(
        Complaint(
            channel_id="laporpaman",
            source_ref=ref,
            intake_id=intake.id,
            report={},
            content_hash="0" * 64,
            tracking_id=f"T{ref}",
            status=status,
            delivered_at=delivered_at,
            status_at=status_at,
            notes={},
        )
    )


@pytest.fixture
def filled(store):
    with store.transaction() as s:
        add(s, "1", "belum_terverifikasi", wita(2026, 11, 20, 16, 0))  # verify due Wed 25 Nov
        add(s, "2", "belum_terverifikasi", wita(2026, 11, 27, 9, 0))  # verify due Wed 2 Dec
        add(
            s, "3", "didisposisikan", wita(2026, 11, 2, 9, 0), wita(2026, 11, 26, 10, 0)
        )  # follow-up due Thu 3 Dec
        add(
            s, "4", "ditindaklanjuti", wita(2026, 11, 2, 9, 0), wita(2026, 11, 13, 10, 0)
        )  # close due Fri 27 Nov
        add(s, "5", "selesai", wita(2026, 11, 2, 9, 0), wita(2026, 11, 5, 10, 0))  # no clock
        add(
            s, "6", "tunda", wita(2026, 11, 2, 9, 0), wita(2026, 11, 5, 10, 0)
        )  # waits for the citizen
        add(s, "7", "belum_terverifikasi", wita(2026, 8, 14, 9, 0))  # across 17 Aug
    return store


def test_each_status_runs_its_clock_with_working_day_deadlines(filled):
    with filled.transaction() as s:
        found = {
            d.tracking_id: d
            for d in sla.deadlines(s, CAL, RULES, WITA, now=wita(2026, 11, 27, 11, 0))
        }
    assert set(found) == {"T1", "T2", "T3", "T4", "T7"}
    assert (found["T1"].clock, found["T1"].due, found["T1"].days_left) == (
        "verify",
        date(2026, 11, 25),
        -2,
    )
    assert (found["T2"].due, found["T2"].days_left) == (date(2026, 12, 2), 3)
    assert (found["T3"].clock, found["T3"].due, found["T3"].days_left) == (
        "follow_up",
        date(2026, 12, 3),
        4,
    )
    assert (found["T4"].clock, found["T4"].due, found["T4"].days_left) == (
        "close",
        date(2026, 11, 27),
        0,
    )
    assert found["T7"].due == date(2026, 8, 20)  # Fri 14 Aug + 3 working days, Mon 17 Aug a holiday


def test_near_or_past_lists_the_late_and_the_nearly_late(filled):
    with filled.transaction() as s:
        found = sla.deadlines(s, CAL, RULES, WITA, now=wita(2026, 11, 27, 11, 0))
    assert [d.tracking_id for d in sla.near_or_past(found, RULES)] == ["T7", "T1", "T4"]


def test_deadlines_follow_the_configured_numbers(filled):
    rules = sla.SlaRules(verify_days=1)
    with filled.transaction() as s:
        found = {
            d.tracking_id: d
            for d in sla.deadlines(s, CAL, rules, WITA, now=wita(2026, 11, 27, 11, 0))
        }
    assert found["T2"].due == date(2026, 11, 30)
