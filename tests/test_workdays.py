"""Working days on the shipped Indonesian holiday calendar."""

from datetime import date

import pytest

from connector.errors import ConfigError
from connector.ops.workdays import Calendar
from connector.support.data import data_path


@pytest.fixture(scope="module")
def cal():
    return Calendar.load(data_path("mappings", "calendar", "id-holidays.csv"))


def test_the_shipped_calendar_has_the_2026_skb():
    cal = Calendar.load(data_path("mappings", "calendar", "id-holidays.csv"))
    days_2026 = [d for d in cal.holidays if d.year == 2026]
    assert len(days_2026) == 25  # 17 hari libur nasional + 8 cuti bersama
    assert cal.covers(date(2026, 6, 1)) and not cal.covers(date(2030, 1, 2))


def test_weekends_and_holidays_are_not_working_days(cal):
    assert cal.is_working_day(date(2026, 11, 27))  # a Friday
    assert not cal.is_working_day(date(2026, 11, 28))  # Saturday
    assert not cal.is_working_day(date(2026, 8, 17))  # Proklamasi, a Monday
    assert not cal.is_working_day(date(2026, 3, 23))  # cuti bersama Idulfitri


def test_three_working_days_from_a_friday_end_on_wednesday(cal):
    assert cal.add_working_days(date(2026, 11, 27), 3) == date(2026, 12, 2)


def test_lebaran_pushes_deadlines_back(cal):
    # Tue 17 Mar 2026; 18-24 Mar are cuti bersama, Nyepi, Idulfitri and a weekend.
    assert cal.add_working_days(date(2026, 3, 17), 1) == date(2026, 3, 25)
    assert cal.add_working_days(date(2026, 3, 17), 5) == date(2026, 3, 31)


def test_christmas_and_new_year(cal):
    # Wed 23 Dec 2026: 24 (cuti), 25 (Natal), weekend; 31 Dec is a working day, 1 Jan 2027 is not listed yet.
    assert cal.add_working_days(date(2026, 12, 23), 2) == date(2026, 12, 29)


def test_working_days_between(cal):
    assert cal.working_days_between(date(2026, 11, 27), date(2026, 12, 2)) == 3
    assert cal.working_days_between(date(2026, 12, 2), date(2026, 11, 27)) == -3
    assert cal.working_days_between(date(2026, 11, 27), date(2026, 11, 27)) == 0


def test_a_bad_calendar_file_names_every_bad_row(tmp_path):
    path = tmp_path / "cal.csv"
    path.write_text(
        "date,kind,name\n# comment\n2026-13-01,libur_nasional,x\n2026-01-02,libur,y\n2026-01-05,cuti_bersama,z\n2026-01-06\n"
    )
    with pytest.raises(ConfigError) as caught:
        Calendar.load(path)
    assert caught.value.problems == [
        "line 3: date '2026-13-01' is not YYYY-MM-DD",
        "line 4: kind 'libur' is not one of libur_nasional, cuti_bersama, libur_daerah",
        "line 6: expected date,kind,name",
    ]
