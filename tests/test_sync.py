"""Status sync inside the store: region updates derived from portal records, national
updates applied by the conflict rule, echoes stopped, unmapped codes parked."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from test_profile import GOOD

from connector.channels.base import RawItem
from connector.intake.normalize import Normalizer
from connector.intake.pipeline import ingest
from connector.mapping.profile import Profile
from connector.store.models import Complaint, OutboxItem, StatusConflict, StatusUpdate
from connector.sync import updates as sync
from lapor_exchange.canonical import canonical_json

ROOT = Path(__file__).resolve().parent.parent
PROFILE = Profile.load(ROOT / "mappings" / "laporpaman.yaml")
NORMALIZE = Normalizer(PROFILE, "kalsel", ZoneInfo("Asia/Makassar"))
CTX = sync.HubSyncContext({"laporpaman": PROFILE.status})


def record(ref=1, status="baru", tanggapan=(), updated="2026-03-12 10:00:00"):
    r = copy.deepcopy(GOOD)
    r.update(id=ref, status=status, tanggapan=list(tanggapan), diperbarui_pada=updated)
    return r


def t(
    ident, status=None, isi="Sudah kami tinjau ke lokasi.", waktu="2026-03-12 10:00:00", ref=None
):
    return {
        "id": ident,
        "isi": isi,
        "oleh": "Petugas Dinas PUPR",
        "waktu": waktu,
        "status": status,
        "ref": ref,
    }


def feed(session, records, tracking=True):
    items = [
        RawItem(
            "laporpaman",
            str(r["id"]),
            canonical_json(r).encode(),
            meta={
                "updated_at": datetime.strptime(r["diperbarui_pada"], "%Y-%m-%d %H:%M:%S")
                .replace(tzinfo=ZoneInfo("Asia/Makassar"))
                .isoformat()
            },
        )
        for r in records
    ]
    stats = ingest(session, "laporpaman", items, NORMALIZE)
    if tracking:
        for c in session.scalars(select(Complaint).where(Complaint.tracking_id.is_(None))):
            c.tracking_id, c.status = f"10{c.source_ref}", "belum_terverifikasi"
    return stats


def updates(session, **where):
    query = select(StatusUpdate).order_by(StatusUpdate.id)
    for key, value in where.items():
        query = query.where(getattr(StatusUpdate, key) == value)
    return list(session.scalars(query))


def hub_update(uid, status=None, at="2026-03-13T10:00:00+08:00", message=None, tracking="101"):
    u = {
        "schema_version": "1",
        "update_id": uid,
        "tracking_id": tracking,
        "origin": {"side": "hub"},
        "actor": "admin_nasional",
        "occurred_at": at,
    }
    if status:
        u["status"] = status
    if message:
        u["message"] = message
    return u


def test_a_local_follow_up_becomes_one_region_update_queued_for_the_hub(store):
    with store.transaction() as s:
        feed(s, [record()])
    with store.transaction() as s:
        stats = feed(
            s,
            [
                record(
                    status="proses",
                    tanggapan=[t(9, "proses", waktu="2026-03-12 11:00:00")],
                    updated="2026-03-12 11:00:00",
                )
            ],
        )
        assert stats.updates == 1
        [u] = updates(s)
        assert (u.update_id, u.origin, u.status, u.source_status, u.state) == (
            "laporpaman/1/t/9",
            "region",
            "ditindaklanjuti",
            "proses",
            "pending",
        )
        assert (
            u.payload["message"] == "Sudah kami tinjau ke lokasi."
            and u.payload["actor"] == "pejabat_penghubung"
        )
        assert u.occurred_at == datetime(2026, 3, 12, 3, 0, tzinfo=timezone.utc)
        [row] = s.scalars(select(OutboxItem).where(OutboxItem.kind == "status_update"))
        assert (row.target, row.payload) == ("hub", {"update_id": "laporpaman/1/t/9"})
        assert s.scalars(select(Complaint.local_status)).one() == "proses"


def test_the_same_follow_up_seen_again_makes_nothing_new(store):
    later = record(status="proses", tanggapan=[t(9, "proses")], updated="2026-03-12 11:00:00")
    with store.transaction() as s:
        feed(s, [record()])
        feed(s, [later])
    with store.transaction() as s:
        again = copy.deepcopy(later)
        again["diperbarui_pada"] = "2026-03-12 12:00:00"  # touched, nothing else changed
        assert feed(s, [again]).updates == 0
        assert len(updates(s)) == 1


def test_a_status_change_without_a_follow_up_is_an_update_of_its_own(store):
    with store.transaction() as s:
        feed(s, [record()])
        stats = feed(s, [record(status="selesai", updated="2026-03-14 08:00:00")])
        [u] = updates(s)
    assert stats.updates == 1
    assert (
        u.update_id.startswith("laporpaman/1/s/")
        and u.status == "selesai"
        and "message" not in u.payload
    )


def test_an_unmapped_local_status_is_parked_not_guessed(store):
    with store.transaction() as s:
        feed(s, [record()])
        feed(
            s,
            [record(status="ditunda", tanggapan=[t(3, "ditunda")], updated="2026-03-12 11:00:00")],
        )
        [u] = updates(s)
        assert u.state == "parked" and "local status 'ditunda' has no national mapping" in u.reason
        assert s.scalars(select(OutboxItem).where(OutboxItem.kind == "status_update")).all() == []


def test_an_ignored_code_without_text_is_not_sent(store):
    with store.transaction() as s:
        feed(s, [record(status="proses", tanggapan=[t(1, "proses")])])
        stats = feed(
            s, [record(status="baru", updated="2026-03-15 08:00:00", tanggapan=[t(1, "proses")])]
        )
    assert stats.updates == 0  # baru maps to ignore


def test_a_national_update_is_applied_pushed_and_not_echoed_back(store):
    with store.transaction() as s:
        feed(s, [record()])
        stats = sync.apply_hub_updates(
            s, [hub_update("hub-1", "didisposisikan", message="Diteruskan ke Dinas PUPR")], CTX
        )
        assert stats.applied == 1
        c = s.scalars(select(Complaint)).one()
        assert (c.status, c.status_update_id) == ("didisposisikan", "hub-1")
        [push] = s.scalars(select(OutboxItem).where(OutboxItem.target == "channel:laporpaman"))
        assert push.payload["source_ref"] == "1" and push.payload["update"]["update_id"] == "hub-1"
    with store.transaction() as s:
        # the portal shows our push: new tanggapan with our ref, status proses
        echoed = record(
            status="proses",
            updated="2026-03-13 10:00:05",
            tanggapan=[
                t(
                    50,
                    "proses",
                    isi="Diteruskan ke Dinas PUPR",
                    waktu="2026-03-13 10:00:00",
                    ref="hub-1",
                )
            ],
        )
        assert feed(s, [echoed]).updates == 0
        assert s.scalars(select(Complaint.local_status)).one() == "proses"
        assert [u.update_id for u in updates(s)] == ["hub-1"]


def local_follow_up_applied_at_the_hub(s) -> StatusUpdate:
    """A local follow-up at 12:00 WITA on 13 March, which the hub has applied."""
    feed(s, [record()])
    feed(
        s,
        [
            record(
                status="proses",
                tanggapan=[t(9, "proses", waktu="2026-03-13 12:00:00")],
                updated="2026-03-13 12:00:00",
            )
        ],
    )
    [local] = updates(s)
    sync.record_hub_answer(
        s,
        local.update_id,
        {
            "outcome": "applied",
            "status": "ditindaklanjuti",
            "status_at": local.payload["occurred_at"],
        },
    )
    return local


def test_an_older_national_update_loses_to_a_newer_local_one_and_the_conflict_is_recorded(store):
    with store.transaction() as s:
        local = local_follow_up_applied_at_the_hub(s)
        c = s.scalars(select(Complaint)).one()
        assert (c.status, c.status_update_id) == ("ditindaklanjuti", local.update_id)
        stats = sync.apply_hub_updates(
            s,
            [
                hub_update(
                    "hub-2",
                    "terverifikasi",
                    at="2026-03-13T11:00:00+08:00",
                    message="Laporan diverifikasi",
                )
            ],
            CTX,
        )
        assert stats.superseded == 1 and c.status == "ditindaklanjuti"
        [conflict] = s.scalars(select(StatusConflict))
        assert (conflict.winner_update_id, conflict.loser_update_id) == (local.update_id, "hub-2")
        [push] = s.scalars(select(OutboxItem).where(OutboxItem.target == "channel:laporpaman"))
        assert (
            "status" not in push.payload["update"]
            and push.payload["update"]["message"] == "Laporan diverifikasi"
        )


def test_on_a_tie_the_national_side_wins(store):
    with store.transaction() as s:
        local_follow_up_applied_at_the_hub(s)
        sync.apply_hub_updates(
            s, [hub_update("hub-3", "diarsipkan", at="2026-03-13T12:00:00+08:00")], CTX
        )
        assert s.scalars(select(Complaint.status)).one() == "diarsipkan"


def test_repeats_unknown_tracking_ids_and_noops(store):
    with store.transaction() as s:
        feed(s, [record()])
        first = sync.apply_hub_updates(
            s,
            [
                hub_update("hub-1", "terverifikasi"),
                hub_update("hub-1", "terverifikasi"),
                hub_update("hub-9", "terverifikasi", tracking="999"),
                hub_update("hub-2", "terverifikasi", at="2026-03-13T11:00:00+08:00"),
            ],
            CTX,
        )
        assert (first.applied, first.duplicates, first.parked, first.noop) == (1, 1, 1, 1)
        [parked] = updates(s, state="parked")
        assert (
            parked.update_id == "hub-9" and parked.reason == "no complaint here has tracking id 999"
        )
        assert (
            sync.apply_hub_updates(s, [hub_update("hub-1", "terverifikasi")], CTX).duplicates == 1
        )


def test_an_sms_complaint_gets_a_notification_in_indonesian_with_its_tracking_id(store):
    sms_profile = Profile(dict(PROFILE.data, channel="sms"), ROOT / "mappings")
    with store.transaction() as s:
        items = [RawItem("laporpaman", "1", canonical_json(record()).encode())]
        ingest(s, "laporpaman", items, Normalizer(sms_profile, "kalsel", ZoneInfo("Asia/Makassar")))
        c = s.scalars(select(Complaint)).one()
        c.tracking_id, c.status = "1000123", "belum_terverifikasi"
        sync.apply_hub_updates(s, [hub_update("hub-1", "terverifikasi", tracking="1000123")], CTX)
        [note] = s.scalars(select(OutboxItem).where(OutboxItem.kind == "notification"))
    assert note.target == "channel:laporpaman" and note.state == "pending"
    assert note.payload["event"] == "terverifikasi" and "1000123" in note.payload["text"]
    assert "diverifikasi" in note.payload["subject"]
    assert GOOD["pelapor"]["nama"] not in note.payload["text"]
