"""5,000 status updates from both sides, delivered out of order and 20% duplicated, over
real HTTP (reference hub, portal simulator, connector). Every report must end at its
newest status on both sides, and no update may bounce back to where it came from."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from peers import KALSEL_TOKEN, drain, make_connector, running_hub, running_portal
from sqlalchemy import func, select

from connector.delivery.hub_client import HubClient
from connector.store.models import Complaint, StatusConflict, StatusUpdate
from lapor_hub.national import act
from lapor_hub.store import HubReport, HubUpdate

pytestmark = pytest.mark.slow

WITA = ZoneInfo("Asia/Makassar")
REPORTS = 250
EVENTS_PER_REPORT = 19  # plus a closing update for some reports: 5,000 in all with the closings
BASE = datetime(2026, 6, 1, 8, 0, tzinfo=WITA)


def lifecycle(rng: random.Random, n: int) -> list[dict]:
    """A report's updates in time order. Statuses only move forward along
    terverifikasi → didisposisikan → ditindaklanjuti, so any order of arrival is legal."""
    events = [
        {"side": "hub", "status": "terverifikasi"},
        {"side": "hub", "status": "didisposisikan"},
        {"side": rng.choice(["hub", "region"]), "status": "ditindaklanjuti"},
    ]
    while len(events) < n:
        events.append(
            {"side": rng.choice(["hub", "region"]), "status": rng.choice(["ditindaklanjuti", None])}
        )
    return events


def test_five_thousand_updates_out_of_order_and_duplicated_converge_without_echoes(tmp_path):
    rng = random.Random(5000)
    with (
        running_hub(tmp_path) as (hub_app, hub),
        running_portal(complaints=20, bad_share=0, page_overlap=5) as (sim, portal),
    ):
        chosen = [str(i) for i in sim.add(REPORTS)]  # new complaints: 'baru', no follow-ups yet
        connector = make_connector(
            tmp_path, hub, portal, delivery={"lease_s": 10}, hub={"batch_size": 200}
        )
        drain(connector, timeout_s=120)
        with connector.store.transaction() as s:
            tracking = {
                c.source_ref: c.tracking_id
                for c in s.scalars(select(Complaint).where(Complaint.source_ref.in_(chosen)))
            }
        assert len(tracking) == REPORTS

        plan, hub_msgs, region_msgs = [], set(), set()
        for r, ref in enumerate(chosen):
            for i, event in enumerate(lifecycle(rng, EVENTS_PER_REPORT)):
                at = BASE + timedelta(days=r % 30, minutes=10 * i)
                message = (
                    f"[{'H' if event['side'] == 'hub' else 'R'}{ref}-{i}] Tindak lanjut ke-{i}."
                )
                (hub_msgs if event["side"] == "hub" else region_msgs).add(message)
                plan.append({**event, "ref": ref, "at": at, "message": message})
        closings = [ref for ref in chosen if rng.random() < 0.6]
        state = hub_app.extensions["lapor_hub"]
        state.faults.set(
            [
                {"action": "shuffle", "endpoint": "updates", "for_s": 900},
                {"action": "duplicate", "endpoint": "updates", "share": 0.2, "for_s": 900},
                {"action": "drop_after_save", "endpoint": "updates:batch", "times": 3},
            ]
        )

        rng.shuffle(plan)  # made in any order: times say what is newer, not arrival
        for e in plan:
            if e["side"] == "hub":
                act(
                    state.sessions,
                    tracking[e["ref"]],
                    e["status"],
                    e["message"],
                    occurred_at=e["at"],
                )
            else:
                sim.add_tanggapan(
                    int(e["ref"]),
                    e["message"],
                    "proses" if e["status"] else None,
                    waktu=e["at"].strftime("%Y-%m-%d %H:%M:%S"),
                )
        drain(connector, timeout_s=240)

        for n, ref in enumerate(closings):  # each closing is the report's newest update
            at = BASE + timedelta(days=40, minutes=n)
            if n % 2:
                act(
                    state.sessions,
                    tracking[ref],
                    "selesai",
                    f"[H{ref}-close] Laporan ditutup.",
                    occurred_at=at,
                )
                hub_msgs.add(f"[H{ref}-close] Laporan ditutup.")
            else:
                sim.add_tanggapan(
                    int(ref),
                    f"[R{ref}-close] Pekerjaan selesai.",
                    "selesai",
                    waktu=at.strftime("%Y-%m-%d %H:%M:%S"),
                )
                region_msgs.add(f"[R{ref}-close] Pekerjaan selesai.")
        drain(connector, timeout_s=240)

        total = len(plan) + len(closings)
        assert total >= 4_900
        with state.sessions() as hs:
            hub_status = {
                r.source_ref: r.status
                for r in hs.scalars(select(HubReport).where(HubReport.source_ref.in_(chosen)))
            }
            hub_updates = hs.scalars(
                select(HubUpdate)
                .join(HubReport, HubUpdate.report_id == HubReport.id)
                .where(HubReport.source_ref.in_(chosen))
            ).all()
        with connector.store.transaction() as s:
            ours = {
                c.source_ref: c.status
                for c in s.scalars(select(Complaint).where(Complaint.source_ref.in_(chosen)))
            }

        expected = {ref: ("selesai" if ref in closings else "ditindaklanjuti") for ref in chosen}
        assert hub_status == expected
        assert ours == expected
        assert {ref: sim.get(int(ref))["status"] for ref in chosen} == {
            ref: ("selesai" if s == "selesai" else "proses") for ref, s in expected.items()
        }

        # nothing bounced back: the hub got each local message exactly once, and none of its own
        region_at_hub = Counter(
            u.message
            for u in hub_updates
            if u.origin == "region" and (u.message or "").startswith("[R")
        )
        assert set(region_at_hub) == region_msgs and set(region_at_hub.values()) == {1}
        assert not any(
            u.origin == "region" and (u.message or "").startswith("[H") for u in hub_updates
        )
        # ... and the portal got each national update at most once
        pushed = Counter(
            t["ref"] for ref in chosen for t in sim.get(int(ref))["tanggapan"] if t["ref"]
        )
        assert pushed and max(pushed.values()) == 1
        portal_texts = {t["isi"] for ref in chosen for t in sim.get(int(ref))["tanggapan"]}
        assert (
            hub_msgs <= portal_texts
        )  # every national message reached the portal, older ones as history

        # the run really was out of order and duplicated, on both sides
        with connector.store.transaction() as s:
            states = Counter(s.scalars(select(StatusUpdate.state)))
            conflicts = s.scalar(select(func.count()).select_from(StatusConflict))
        assert states["superseded"] > 100 and conflicts > 50
        assert Counter(u.outcome for u in hub_updates if u.origin == "region")["stale"] > 100
        assert (
            HubClient(hub.url, KALSEL_TOKEN).stats()["updates"]["region"].get("applied", 0) > 1000
        )
        connector.close()
