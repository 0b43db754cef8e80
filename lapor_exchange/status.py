"""The national status model, in one place: the statuses, which transitions are
allowed, and the rule that decides between two updates to the same report.

Used by the connector (status sync) and by the reference hub alike, so both
sides judge an update the same way. Per-channel code tables (local status ↔
national status) live in the mapping profiles, not here.
"""

from __future__ import annotations

from datetime import datetime

BELUM_TERVERIFIKASI = "belum_terverifikasi"
TERVERIFIKASI = "terverifikasi"
DIDISPOSISIKAN = "didisposisikan"
DITINDAKLANJUTI = "ditindaklanjuti"
SELESAI = "selesai"
TUNDA = "tunda"
BUKAN_WEWENANG = "bukan_wewenang"
DIARSIPKAN = "diarsipkan"

STATUSES = (
    BELUM_TERVERIFIKASI,
    TERVERIFIKASI,
    DIDISPOSISIKAN,
    DITINDAKLANJUTI,
    SELESAI,
    TUNDA,
    BUKAN_WEWENANG,
    DIARSIPKAN,
)
INITIAL = BELUM_TERVERIFIKASI
TERMINAL = frozenset({SELESAI, DIARSIPKAN})

# Indonesian labels, for messages to citizens and operators.
LABELS = {
    BELUM_TERVERIFIKASI: "Belum terverifikasi",
    TERVERIFIKASI: "Terverifikasi",
    DIDISPOSISIKAN: "Didisposisikan ke instansi",
    DITINDAKLANJUTI: "Ditindaklanjuti",
    SELESAI: "Selesai",
    TUNDA: "Ditunda",
    BUKAN_WEWENANG: "Bukan wewenang",
    DIARSIPKAN: "Diarsipkan",
}

# What may follow what. A follow-up may follow a follow-up (an agency can answer
# more than once); a regional report may come already followed up by the local
# agency, so belum_terverifikasi → ditindaklanjuti is allowed. Nothing leaves a
# terminal status: a closed or archived report is reopened as a new report.
TRANSITIONS: dict[str, frozenset[str]] = {
    BELUM_TERVERIFIKASI: frozenset(
        {TERVERIFIKASI, TUNDA, BUKAN_WEWENANG, DIARSIPKAN, DIDISPOSISIKAN, DITINDAKLANJUTI}
    ),
    TUNDA: frozenset({BELUM_TERVERIFIKASI, TERVERIFIKASI, BUKAN_WEWENANG, DIARSIPKAN}),
    TERVERIFIKASI: frozenset({DIDISPOSISIKAN, DITINDAKLANJUTI, TUNDA, BUKAN_WEWENANG, DIARSIPKAN}),
    DIDISPOSISIKAN: frozenset({DITINDAKLANJUTI, BUKAN_WEWENANG, DIARSIPKAN}),
    BUKAN_WEWENANG: frozenset({DIDISPOSISIKAN, TERVERIFIKASI, DIARSIPKAN}),
    DITINDAKLANJUTI: frozenset({DITINDAKLANJUTI, SELESAI, DIDISPOSISIKAN}),
    SELESAI: frozenset(),
    DIARSIPKAN: frozenset(),
}

HUB, REGION = "hub", "region"


def is_transition_allowed(current: str | None, new: str) -> bool:
    """May a report in `current` (None: just created) move to `new`?"""
    return new in TRANSITIONS[current or INITIAL] or (current is None and new == INITIAL)


def illegal_transition_reason(current: str | None, new: str) -> str:
    allowed = ", ".join(sorted(TRANSITIONS[current or INITIAL])) or "nothing (a terminal status)"
    return f"{current or INITIAL} → {new} is not an allowed transition (from {current or INITIAL}: {allowed})"


def wins(
    new_at: datetime, new_origin: str, current_at: datetime | None, current_origin: str | None
) -> bool:
    """The written conflict rule: does an update made at `new_at` on side `new_origin`
    replace the status set at `current_at` by side `current_origin`?

    The later update wins (by the time each side says it was made). On an exact tie
    the national side wins, because the hub is the system of record for the national
    status. An update never loses to nothing.
    """
    if current_at is None:
        return True
    if new_at != current_at:
        return new_at > current_at
    return new_origin == HUB or current_origin != HUB
