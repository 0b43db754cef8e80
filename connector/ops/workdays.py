"""Working days on the Indonesian government calendar: Monday to Friday, minus the
national holidays and cuti bersama in a data file the operator keeps up to date
(mappings/calendar/id-holidays.csv, one row per day: date,kind,name; lines starting
with # are comments).

Deadlines count whole working days after the day something happened, in the
region's local time: "within 3 working days" of a report received on Friday
evening means by the end of Wednesday (Monday, Tuesday, Wednesday).

Not here: which clock applies to which report (see `connector.sla`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from connector.errors import ConfigError

KINDS = ("libur_nasional", "cuti_bersama", "libur_daerah")


@dataclass(frozen=True)
class Calendar:
    holidays: dict[date, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "Calendar":
        """Read a holiday file; every bad row is reported at once with its line number."""
        holidays, problems = {}, []
        with open(path, encoding="utf-8", newline="") as fh:
            lines = [
                (n, line)
                for n, line in enumerate(fh, start=1)
                if line.strip() and not line.lstrip().startswith("#")
            ]
        for n, (day_text, kind, name) in _rows(lines[1:], problems):  # lines[0] is the header
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                problems.append(f"line {n}: date {day_text!r} is not YYYY-MM-DD")
                continue
            if kind not in KINDS:
                problems.append(f"line {n}: kind {kind!r} is not one of {', '.join(KINDS)}")
            holidays[day] = name
        if problems:
            raise ConfigError(problems, source=str(path))
        return cls(holidays)

    @property
    def years(self) -> set[int]:
        """Years the file lists holidays for."""
        return {d.year for d in self.holidays}

    def covers(self, day: date) -> bool:
        """Whether the file lists that year's holidays (if not, deadlines there are optimistic)."""
        return day.year in self.years

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start: date, days: int) -> date:
        """The day `days` working days after `start` (which itself does not count)."""
        day = start
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when end is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(
            1
            for n in range(1, (end - start).days + 1)
            if self.is_working_day(start + timedelta(days=n))
        )


def _rows(lines, problems):
    for n, line in lines:
        cells = [c.strip() for c in next(csv.reader([line]))]
        if len(cells) != 3:
            problems.append(f"line {n}: expected date,kind,name")
            continue
        yield n, cells
