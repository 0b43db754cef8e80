"""The portal simulator's state: a Laporpaman-style provincial complaint portal's
records with their follow-ups (tanggapan), held in memory behind a lock, with the
switchable quirks (overlapping pages, one stale page) and faults (the next N API
calls answer a chosen status).

Follow-ups come from two sides: the portal's own staff (any status code, even one
the connector's profile does not know) and the connector's pushes of national
updates (only the portal's statuses; idempotent on the update's id, `ref`).

Not here: the HTTP API that serves it (`connector.sim.api`), how the records are
made (`connector.sim.seed`), the command line (`connector.sim.cli`). Nothing
persists; a restart reseeds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from lapor_testbed.sim import seed as seeding
from lapor_testbed.sim.seed import STATUSES, TIME_FORMAT, WITA

LOCAL_OFFICER = "Petugas Dinas"
NATIONAL_ADMIN = "Admin LAPOR! Nasional"


@dataclass
class Fault:
    status: int
    times: int
    retry_after: int | None = None


class Posted(NamedTuple):
    """The answer to `add_tanggapan`: the follow-up, and False when one with its ref was there already."""

    tanggapan: dict
    created: bool


class InvalidTanggapan(ValueError):
    """A follow-up the portal refuses; `problems` maps each field to its message (Laravel's `errors`)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


def check_tanggapan(isi, status, oleh, waktu, ref, strict: bool) -> dict[str, str]:
    """Every problem with a new follow-up, by field, in the portal's (Indonesian, Laravel-style) words.
    `strict`: the status must be one of the portal's own; otherwise any non-blank code goes."""
    given = {"isi": isi, "status": status, "oleh": oleh, "waktu": waktu, "ref": ref}
    problems = {
        name: f"{name} harus berupa teks."
        for name, value in given.items()
        if value is not None and not isinstance(value, str)
    }
    if problems:
        return problems
    if isi is None and status is None:
        problems["isi"] = "isi wajib diisi bila status tidak ada."
        problems["status"] = "status wajib diisi bila isi tidak ada."
    elif status is not None and (not status.strip() or (strict and status not in STATUSES)):
        problems["status"] = f"status yang dipilih tidak valid (pilihan: {', '.join(STATUSES)})."
    if oleh is None or not oleh.strip():
        problems["oleh"] = "oleh wajib diisi."
    if waktu is not None and not _is_time(waktu):
        problems["waktu"] = "waktu tidak cocok dengan format Y-m-d H:i:s."
    if ref is not None and not ref.strip():
        problems["ref"] = "ref tidak boleh kosong."
    return problems


def _is_time(text: str) -> bool:
    try:
        datetime.strptime(text, TIME_FORMAT)
        return True
    except ValueError:
        return False


class PortalSim:
    """The portal's records and switches. Every method is safe to call from any thread.

    Records are copy-on-write: a change replaces the record's dict, so a list
    handed out under the lock stays consistent after the lock is released.
    """

    def __init__(
        self,
        complaints: int = 1000,
        bad_share: float = 0.03,
        seed: int = 63,
        token: str = "demo-portal-token",
        page_overlap: int = 0,
        repeat_page_once: int | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        if complaints < 0 or not 0 <= bad_share < 1:
            raise ValueError("complaints must be >= 0 and bad_share in [0, 1)")
        if page_overlap < 0 or (repeat_page_once is not None and repeat_page_once < 2):
            raise ValueError(
                "page_overlap must be >= 0 and repeat_page_once >= 2 (it serves page N-1)"
            )
        bad = round(complaints * bad_share)
        if bad_share > 0 and complaints > 0:
            bad = max(1, bad)
        seeded = seeding.generate(complaints, bad, seed)
        self.seed, self.token = seed, token
        self.page_overlap, self.repeat_page_once = page_overlap, repeat_page_once
        self._clock = clock or (lambda: datetime.now(WITA))
        self._lock = threading.Lock()
        self._records = {r["id"]: r for r in seeded.records}
        self._bad, self._quirks = seeded.bad, seeded.quirks
        self._next_id = seeding.FIRST_ID + len(seeded.records)
        self._last_stamp = max((r["diperbarui_pada"] for r in seeded.records), default="")
        self._next_tanggapan_id = 1 + max(
            (t["id"] for r in seeded.records for t in r["tanggapan"]),
            default=seeding.FIRST_TANGGAPAN_ID - 1,
        )
        self._fault: Fault | None = None
        self._repeat_pending = repeat_page_once is not None

    # -- reading -------------------------------------------------------------

    def updated_since(self, since: str | None) -> list[dict]:
        """Records with diperbarui_pada >= since (a TIME_FORMAT string), ordered by (diperbarui_pada, id).
        The format sorts in time order, so strings compare as times."""
        with self._lock:
            rows = [
                r for r in self._records.values() if since is None or r["diperbarui_pada"] >= since
            ]
        return sorted(rows, key=lambda r: (r["diperbarui_pada"], r["id"]))

    def get(self, record_id: int) -> dict | None:
        """The record with its follow-ups (`tanggapan`, oldest first); None for an unknown id."""
        with self._lock:
            return self._records.get(record_id)

    def expected(self) -> dict:
        """Which ids the connector must deliver, which it must quarantine, and which are quirky."""
        with self._lock:
            good = sorted(i for i in self._records if i not in self._bad)
            return {
                "good": good,
                "bad": {str(i): k for i, k in sorted(self._bad.items())},
                "quirks": {str(i): k for i, k in sorted(self._quirks.items())},
            }

    # -- changing ------------------------------------------------------------

    def add(self, count: int) -> list[int]:
        """Add `count` new good records, created and updated now; returns their ids."""
        with self._lock:
            now = self._stamp()
            ids = list(range(self._next_id, self._next_id + count))
            for record_id in ids:
                self._records[record_id] = seeding.new_record(
                    record_id, self.seed, now, now, "baru"
                )
            self._next_id += count
        return ids

    def touch(self, record_id: int, status: str | None = None) -> dict | None:
        """Set diperbarui_pada to now (and the status, if given); None for an unknown id."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        return self._change(record_id, {} if status is None else {"status": status})

    def set_status(self, record_id: int, status: str) -> dict | None:
        """Local staff change the status with no follow-up: any non-blank code, even one no
        profile knows. Moves diperbarui_pada to now; None for an unknown id."""
        if not isinstance(status, str) or not status.strip():
            raise ValueError("status must be a non-blank string")
        return self._change(record_id, {"status": status})

    def add_tanggapan(
        self,
        record_id: int,
        isi: str | None = None,
        status: str | None = None,
        oleh: str = LOCAL_OFFICER,
        waktu: str | None = None,
        ref: str | None = None,
        strict: bool = False,
    ) -> Posted | None:
        """Append a follow-up, set the record's status when one is given, and move diperbarui_pada to now.

        `waktu` (TIME_FORMAT, default now) is when the follow-up was written; `ref` is the
        connector's update id, and a record that already holds that ref answers with the
        existing follow-up and changes nothing. `strict` (a push through the API) allows
        only the portal's statuses. A blank `isi` counts as none. None for an unknown id;
        raises InvalidTanggapan listing every problem.
        """
        if isinstance(isi, str) and not isi.strip():
            isi = None
        problems = check_tanggapan(isi, status, oleh, waktu, ref, strict)
        with self._lock:
            old = self._records.get(record_id)
            if old is None:
                return None
            if problems:
                raise InvalidTanggapan(problems)
            known = next((t for t in old["tanggapan"] if ref is not None and t["ref"] == ref), None)
            if known is not None:
                return Posted(known, created=False)
            now = self._stamp().strftime(TIME_FORMAT)
            tanggapan = {
                "id": self._next_tanggapan_id,
                "isi": isi,
                "oleh": oleh,
                "waktu": datetime.strptime(waktu, TIME_FORMAT).strftime(TIME_FORMAT)
                if waktu
                else now,
                "status": status,
                "ref": ref,
            }
            self._next_tanggapan_id += 1
            new = {**old, "diperbarui_pada": now, "tanggapan": [*old["tanggapan"], tanggapan]}
            if status is not None:
                new["status"] = status
            self._records[record_id] = new
            return Posted(tanggapan, created=True)

    def _change(self, record_id: int, changes: dict) -> dict | None:
        with self._lock:
            old = self._records.get(record_id)
            if old is None:
                return None
            new = {**old, **changes, "diperbarui_pada": self._stamp().strftime(TIME_FORMAT)}
            self._records[record_id] = new
            return new

    def _stamp(self) -> datetime:
        # "Now" on the WITA wall clock, but always after the newest change, so a
        # record added or touched sorts after everything changed before it (even
        # within one second, or when the host clock is behind the seeded window).
        now = self._clock().astimezone(WITA).replace(tzinfo=None, microsecond=0)
        if self._last_stamp:
            now = max(now, datetime.strptime(self._last_stamp, TIME_FORMAT) + timedelta(seconds=1))
        self._last_stamp = now.strftime(TIME_FORMAT)
        return now

    # -- quirks and faults ---------------------------------------------------

    def set_fault(self, status: int, times: int = 1, retry_after: int | None = None) -> None:
        with self._lock:
            self._fault = Fault(status, times, retry_after)

    def clear_fault(self) -> None:
        with self._lock:
            self._fault = None

    def fault_state(self) -> dict | None:
        with self._lock:
            return None if self._fault is None else vars(self._fault).copy()

    def take_fault(self) -> Fault | None:
        """The fault this API call must answer with, counting it down; None when healthy."""
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            fault.times -= 1
            if fault.times <= 0:
                self._fault = None
            return Fault(fault.status, 1, fault.retry_after)

    def take_stale_page(self, page: int) -> bool:
        """True exactly once: the first time the `repeat_page_once` page is asked for."""
        with self._lock:
            if self._repeat_pending and page == self.repeat_page_once:
                self._repeat_pending = False
                return True
            return False
