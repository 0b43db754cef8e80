"""`lapor-connector demo --with-updates`: status updates both ways, after the backbone demo.

On a sample of freshly delivered complaints the national side acts through the
reference hub's admin API (verification, disposition, the agency's follow-up,
closing) and local officers write follow-ups in the portal simulator (a follow-up,
a closing). The running daemon carries each change to the other side. The
scenario ends when, for every sampled report, the hub, the connector and the
portal agree, and it counts anything that bounced back to where it came from.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests
from sqlalchemy import select

from connector.mapping.statusmap import StatusMap
from connector.store.db import Store
from connector.store.models import Complaint

SAMPLE = 30


@dataclass
class UpdateResult:
    sampled: int = 0
    national_acts: int = 0
    local_follow_ups: int = 0
    agreeing: int = 0
    bounced: int = 0
    disagreeing: list[str] = field(default_factory=list)
    timed_out: bool = False
    finals: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return (
            self.sampled > 0
            and self.agreeing == self.sampled
            and not self.bounced
            and not self.timed_out
        )


class Scenario:
    def __init__(
        self, hub_url: str, admin_token: str, portal_url: str, store: Store, smap: StatusMap
    ):
        self.hub_url, self.portal_url, self.store, self.smap = hub_url, portal_url, store, smap
        self.admin = {"Authorization": f"Bearer {admin_token}"}
        self.result = UpdateResult()
        self.local_messages: set[str] = set()

    def act(
        self, tracking_id: str, status: str | None, message: str, actor: str = "admin_nasional"
    ) -> None:
        body = {"message": message, "actor": actor, **({"status": status} if status else {})}
        answer = requests.post(
            f"{self.hub_url}/api/v1/admin/reports/{tracking_id}/act",
            json=body,
            headers=self.admin,
            timeout=10,
        )
        answer.raise_for_status()
        self.result.national_acts += 1

    def follow_up(self, record_id: str, status: str, message: str) -> None:
        answer = requests.post(
            f"{self.portal_url}/_sim/records/{record_id}/tanggapan",
            json={"isi": message, "status": status, "oleh": "Petugas Dinas PUPR"},
            timeout=10,
        )
        answer.raise_for_status()
        self.local_messages.add(message)
        self.result.local_follow_ups += 1

    def hub_view(self, tracking_id: str) -> dict:
        return requests.get(
            f"{self.hub_url}/api/v1/admin/reports/{tracking_id}", headers=self.admin, timeout=10
        ).json()

    def portal_status(self, record_id: str) -> str:
        return requests.get(f"{self.portal_url}/_sim/records/{record_id}", timeout=10).json()[
            "data"
        ]["status"]

    def ours(self, refs: list[str]) -> dict[str, tuple[str | None, str | None]]:
        with self.store.transaction() as session:
            rows = session.scalars(select(Complaint).where(Complaint.source_ref.in_(refs)))
            return {c.source_ref: (c.tracking_id, c.status) for c in rows}

    def wait_until_agreed(self, expected: dict[str, str], timeout_s: float) -> bool:
        """Poll until hub, connector and portal all show the expected national status."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.disagreeing(expected):
                return True
            time.sleep(0.5)
        return False

    def disagreeing(self, expected: dict[str, str]) -> list[str]:
        ours = self.ours(list(expected))
        wrong = []
        for ref, status in expected.items():
            tracking_id, mine = ours[ref]
            local = self.smap.to_local(status)
            if (
                mine != status
                or self.hub_view(tracking_id)["status"] != status
                or (local is not None and self.portal_status(ref) != local)
            ):
                wrong.append(ref)
        return wrong


def run_update_scenario(
    hub_url: str,
    admin_token: str,
    portal_url: str,
    store: Store,
    smap: StatusMap,
    fresh_refs: list[str],
    timeout_s: float = 120.0,
) -> UpdateResult:
    """Play the scenario on up to SAMPLE complaints; see the module docstring."""
    s = Scenario(hub_url, admin_token, portal_url, store, smap)
    refs = fresh_refs[:SAMPLE]
    s.result.sampled = len(refs)
    tracking = {ref: tid for ref, (tid, _) in s.ours(refs).items()}
    for ref in refs:  # portal → hub → national verification and disposition → portal
        s.act(tracking[ref], "terverifikasi", "Laporan Anda sudah kami verifikasi.")
        s.act(
            tracking[ref],
            "didisposisikan",
            "Laporan diteruskan ke Dinas PUPR untuk ditindaklanjuti.",
        )
    expected = {ref: "didisposisikan" for ref in refs}
    phases = [_follow_ups, _closings]
    ok = s.wait_until_agreed(expected, timeout_s)
    for phase in phases:
        if not ok:
            break
        phase(s, refs, tracking, expected)
        ok = s.wait_until_agreed(expected, timeout_s)
    s.result.timed_out = not ok
    s.result.disagreeing = s.disagreeing(expected)
    s.result.agreeing = len(refs) - len(s.result.disagreeing)
    s.result.bounced = _bounced(s, refs, tracking)
    s.result.finals = dict(sorted(expected.items()))
    return s.result


def _follow_ups(s: Scenario, refs, tracking, expected) -> None:
    for i, ref in enumerate(refs):
        if i % 3 == 1:  # a local officer follows up in the portal → hub
            s.follow_up(
                ref,
                "proses",
                f"Petugas sudah memeriksa lokasi laporan {ref} dan mulai memperbaiki.",
            )
        else:  # the agency's liaison officer follows up nationally → portal
            s.act(
                tracking[ref],
                "ditindaklanjuti",
                "Perbaikan dijadwalkan minggu ini.",
                actor="pejabat_penghubung",
            )
        expected[ref] = "ditindaklanjuti"


def _closings(s: Scenario, refs, tracking, expected) -> None:
    for i, ref in enumerate(refs):
        if i % 3 == 1 and i % 2 == 0:
            s.follow_up(ref, "selesai", f"Perbaikan untuk laporan {ref} sudah selesai.")
            expected[ref] = "selesai"
        elif i % 3 == 2:
            s.act(tracking[ref], "selesai", "Laporan dinyatakan selesai.")
            expected[ref] = "selesai"


def _bounced(s: Scenario, refs, tracking) -> int:
    """Updates that came back to where they were made: a national message the hub got
    from the region, or a local follow-up text the hub sent into its feed."""
    bounced = 0
    for ref in refs:
        for update in s.hub_view(tracking[ref])["updates"]:
            came_from_region = update["origin"]["side"] == "region"
            local_text = update.get("message") in s.local_messages
            bounced += came_from_region != local_text and bool(update.get("message"))
    return bounced
