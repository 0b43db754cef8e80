"""Status sync end to end over real HTTP: the reference hub, the portal simulator and the
connector. National decisions reach the portal, local follow-ups reach the hub, nothing
echoes, bad updates are parked where an operator sees them, and an outage of the portal
only delays the pushes."""

from __future__ import annotations

import pytest
import requests
from click.testing import CliRunner
from hub_helpers import KALSEL_TOKEN
from peers import (
    act,
    connected_world,
    drain,
    hub_report,
    local_follow_up,
)
from sqlalchemy import select

from connector.cli.main import main
from connector.store.models import Complaint, OutboxItem


@pytest.fixture
def world(tmp_path):
    with connected_world(tmp_path) as world:
        yield world


def fresh_records(sim, n):
    """Records still 'baru' with no follow-ups: a clean start for a scenario."""
    return [
        r["id"] for r in sim.updated_since(None) if r["status"] == "baru" and not r["tanggapan"]
    ][:n]


def tracking_of(connector, record_id) -> str:
    with connector.store.transaction() as s:
        return s.scalars(
            select(Complaint.tracking_id).where(Complaint.source_ref == str(record_id))
        ).one()


def complaint(connector, record_id) -> Complaint:
    with connector.store.transaction() as s:
        return s.scalars(select(Complaint).where(Complaint.source_ref == str(record_id))).one()


def dlq(connector, *args):
    return CliRunner().invoke(main, ["dlq", *args, "-c", str(connector.config.path)])


def test_national_decisions_reach_the_portal_and_local_follow_ups_reach_the_hub(world):
    hub_app, hub, sim, portal, connector = world
    [rid] = fresh_records(sim, 1)
    tid = tracking_of(connector, rid)
    assert act(hub, tid, "terverifikasi", "Laporan sudah diverifikasi.").status_code == 201
    assert (
        act(hub, tid, "didisposisikan", "Diteruskan ke Dinas PUPR Kota Banjarbaru.").status_code
        == 201
    )
    drain(connector)
    record = sim.get(rid)
    assert record["status"] == "proses"  # didisposisikan → proses
    pushed = [t for t in record["tanggapan"] if t["ref"]]
    assert [t["isi"] for t in pushed] == [
        "Laporan sudah diverifikasi.",
        "Diteruskan ke Dinas PUPR Kota Banjarbaru.",
    ]
    assert complaint(connector, rid).status == "didisposisikan"

    local_follow_up(portal, rid, "Lubang jalan sudah ditambal hari ini.", "proses")
    drain(connector)
    view = hub_report(hub, tid)
    assert view["status"] == "ditindaklanjuti"
    region = [u for u in view["updates"] if u["origin"]["side"] == "region"]
    assert [u["message"] for u in region] == [
        "Lubang jalan sudah ditambal hari ini."
    ]  # our pushes never came back

    local_follow_up(portal, rid, "Pekerjaan selesai, silakan dicek.", "selesai")
    drain(connector)
    assert hub_report(hub, tid)["status"] == "selesai" == complaint(connector, rid).status
    assert sim.get(rid)["status"] == "selesai"
    assert len([u for u in hub_report(hub, tid)["updates"] if u["origin"]["side"] == "region"]) == 2


def test_an_illegal_transition_is_dead_lettered_blocks_only_its_report_and_discard_frees_it(world):
    hub_app, hub, sim, portal, connector = world
    bad, good = fresh_records(sim, 2)
    requests.post(
        f"{portal.url}/_sim/records/{bad}/status", json={"status": "selesai"}, timeout=5
    )  # belum_terverifikasi → selesai
    local_follow_up(portal, good, "Sudah ditangani petugas.", "proses")
    drain(connector)
    assert hub_report(hub, tracking_of(connector, good))["status"] == "ditindaklanjuti"
    listed = dlq(connector, "list")
    [line] = [ln for ln in listed.output.splitlines() if f"laporpaman/{bad}" in ln]
    assert (
        "hub_illegal_transition" in line
        and "belum_terverifikasi → selesai is not an allowed transition" in line
    )
    ref = line.split("\t")[0]

    local_follow_up(portal, bad, "Mohon maaf, status tadi keliru.", "proses")
    drain(connector)
    assert (
        hub_report(hub, tracking_of(connector, bad))["status"] == "belum_terverifikasi"
    )  # waits behind the dead one
    assert dlq(connector, "discard", ref).exit_code == 0
    drain(connector)
    assert hub_report(hub, tracking_of(connector, bad))["status"] == "ditindaklanjuti"


def test_unmapped_local_codes_and_unknown_tracking_ids_are_parked_and_the_rest_flow(world):
    hub_app, hub, sim, portal, connector = world
    odd, fine = fresh_records(sim, 2)
    local_follow_up(portal, odd, "Ditunda menunggu anggaran.", "ditunda")
    local_follow_up(portal, fine, "Sedang dikerjakan.", "proses")
    # a report the hub has but this connector never sent (e.g. a store restored from an old backup)
    stranger = dict(complaint(connector, fine).report)
    stranger["source"] = {**stranger["source"], "source_ref": "dari-cadangan-lama"}
    created = requests.post(
        f"{hub.url}/api/v1/reports:batch",
        json={"reports": [stranger]},
        headers={"Authorization": f"Bearer {KALSEL_TOKEN}"},
        timeout=5,
    ).json()["results"][0]
    act(hub, created["tracking_id"], "terverifikasi", "Diverifikasi.")
    drain(connector)
    assert hub_report(hub, tracking_of(connector, fine))["status"] == "ditindaklanjuti"
    out = dlq(connector, "list").output
    assert "local status 'ditunda' has no national mapping" in out and f"laporpaman/{odd}" in out
    assert f"no complaint here has tracking id {created['tracking_id']}" in out
    refs = [ln.split("\t")[0] for ln in out.splitlines()]
    assert all(r.startswith("u") for r in refs) and len(refs) == 2
    shown = dlq(connector, "show", refs[0])
    assert shown.exit_code == 0 and "parked" in shown.output


def test_while_the_portal_is_down_national_updates_wait_and_arrive_in_order(world):
    hub_app, hub, sim, portal, connector = world
    [rid] = fresh_records(sim, 1)
    tid = tracking_of(connector, rid)
    made = [
        act(hub, tid, s, m).json()["update"]["update_id"]
        for s, m in [
            ("terverifikasi", "Diverifikasi."),
            ("didisposisikan", "Diteruskan ke Dinas Kesehatan."),
            ("ditindaklanjuti", "Puskesmas sudah menambah jam layanan."),
        ]
    ]
    sim.set_fault(503, times=10_000)
    connector.cycle()
    connector.cycle()
    with connector.store.transaction() as s:
        pushes = s.scalars(
            select(OutboxItem).where(
                OutboxItem.target == "channel:laporpaman",
                OutboxItem.complaint_id == complaint(connector, rid).id,
            )
        ).all()
        assert len(pushes) == 3 and {p.state for p in pushes} == {"pending"}
        assert (
            pushes[0].last_error_code == "source_unavailable" and pushes[1].attempts == 0
        )  # the rest wait in line
    assert [t for t in sim.get(rid)["tanggapan"] if t["ref"]] == []
    sim.clear_fault()
    drain(connector)
    assert [t["ref"] for t in sim.get(rid)["tanggapan"] if t["ref"]] == made
    assert (
        sim.get(rid)["status"] == "proses" and complaint(connector, rid).status == "ditindaklanjuti"
    )
