"""Reconciliation end to end over real HTTP: the connector's store against the reference
hub's view. Drift is made at the hub through its admin endpoints (a report lost, a status
set behind the exchange's back, content replaced, a tracking id changed) or by a report
the connector never sent; every difference is found, classified, recorded, written to the
audit log and, where it can be, repaired. At scale: 100,000 reports a side, 37
differences, every one found and nothing else, and two sides in sync exchange a sliver of
what a full listing costs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import requests
import responses
from click.testing import CliRunner
from hub_helpers import ADMIN_TOKEN, KALSEL_TOKEN, auth, make_report, running_hub
from peers import (
    act,
    connected_world,
    connector_config,
    drain,
    local_follow_up,
    running_portal,
)
from sqlalchemy import insert, select

from connector import audit
from connector.cli.main import main
from connector.daemon import Daemon
from connector.delivery.hub_client import HubClient
from connector.errors import HubRejectedError
from connector.reconcile.reconciler import KINDS, Reconciler
from connector.store.models import (
    AuditEntry,
    Complaint,
    IntakeItem,
    OutboxItem,
    ReconcileFinding,
    ReconcileRun,
)
from connector.sync.updates import HubSyncContext
from lapor_exchange.canonical import canonical_json
from lapor_hub.bulk import bulk_insert_reports


@pytest.fixture
def world(tmp_path):
    with connected_world(tmp_path) as world:
        yield world


def cli(connector, *args):
    return CliRunner().invoke(main, [*args, "-c", str(connector.config.path)])


def drift(hub, method: str, tracking_id: str, what: str = "", body: dict | None = None) -> dict:
    answer = requests.request(
        method,
        f"{hub.url}/api/v1/admin/reports/{tracking_id}{what}",
        json=body,
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def complaints(connector) -> list[Complaint]:
    with connector.store.transaction() as s:
        return list(s.scalars(select(Complaint).order_by(Complaint.id)))


def reconciler(connector) -> Reconciler:
    return Reconciler(connector.store, connector.hub, connector.hub_sync)


def findings(connector, run_id: int) -> dict[tuple[str, str], str]:
    with connector.store.transaction() as s:
        return {
            (f.channel_id, f.source_ref): f.kind
            for f in s.scalars(select(ReconcileFinding).where(ReconcileFinding.run_id == run_id))
        }


def test_two_sides_in_sync_report_nothing_and_the_hub_gets_the_chain_head(world):
    _, hub, _, _, connector = world
    run = reconciler(connector).run()
    assert (run.ours, run.theirs, run.differing_buckets) == (30, 30, 0)
    assert run.counts == dict.fromkeys(KINDS, 0) and findings(connector, run.id) == {}
    assert run.started_at < run.finished_at
    with connector.store.transaction() as s:
        head = audit.head(s)
        [summary] = s.scalars(select(AuditEntry).where(AuditEntry.kind == "reconciled"))
    assert summary.data == {"run": run.id, **dict.fromkeys(KINDS, 0), "repair": False}
    assert run.checkpoint_seq == head[0] and run.error is None
    assert connector.hub.checkpoints()[-1] | {"at": None} == {
        "seq": head[0],
        "hash": head[1],
        "at": None,
    }
    result = cli(connector, "audit", "verify")
    assert result.exit_code == 0 and "1 checkpoints match" in result.output, result.output
    assert f"reconciliation: run {run.id} at " in cli(connector, "status").output
    assert cli(connector, "status").output.rstrip().endswith(": no difference")


def test_every_kind_of_drift_is_found_and_what_can_be_is_repaired(world):
    _, hub, sim, _, connector = world
    lost, silent, altered, renamed = complaints(connector)[:4]
    assert act(hub, silent.tracking_id, "terverifikasi").status_code == 201
    drain(connector)  # the connector knows "terverifikasi" from the feed
    drift(hub, "DELETE", lost.tracking_id)
    drift(hub, "PUT", silent.tracking_id, "/status", {"status": "didisposisikan"})
    drift(
        hub,
        "PUT",
        altered.tracking_id,
        "/content",
        {"report": {**altered.report, "title": "Judul diganti di pusat"}},
    )
    drift(
        hub, "PUT", renamed.tracking_id, "/tracking-id", {"tracking_id": "X-" + renamed.tracking_id}
    )
    orphan = make_report("LP-TIDAK-DIKENAL")
    sent = requests.post(
        f"{hub.url}/api/v1/reports:batch",
        json={"reports": [orphan]},
        headers=auth(KALSEL_TOKEN),
        timeout=10,
    )
    assert sent.json()["results"][0]["outcome"] == "created"

    result = cli(connector, "reconcile")
    assert result.exit_code == 1, result.output
    run_id = int(result.output.split("run ")[1].split(":")[0])
    expected = {
        ("laporpaman", lost.source_ref): "missing_at_hub",
        ("laporpaman", "LP-TIDAK-DIKENAL"): "orphan",
        ("laporpaman", silent.source_ref): "status_differs",
        ("laporpaman", altered.source_ref): "content_differs",
        ("laporpaman", renamed.source_ref): "tracking_id_differs",
    }
    assert findings(connector, run_id) == expected
    for kind in KINDS:
        assert f"{kind:<20} 1" in result.output

    result = cli(connector, "reconcile", "--repair")
    assert result.exit_code == 1 and findings(connector, run_id + 1) == expected, result.output
    drain(connector)
    by_ref = {c.source_ref: c for c in complaints(connector)}
    assert by_ref[silent.source_ref].status == "didisposisikan"
    assert by_ref[renamed.source_ref].tracking_id == "X-" + renamed.tracking_id
    assert by_ref[lost.source_ref].tracking_id not in (
        None,
        lost.tracking_id,
    )  # delivered again, a new national id
    with connector.store.transaction() as s:
        repairs = {
            f.kind: f.repair
            for f in s.scalars(
                select(ReconcileFinding).where(ReconcileFinding.run_id == run_id + 1)
            )
        }
    assert repairs.pop("missing_at_hub").startswith(
        "report queued again"
    )  # with the updates the hub had taken
    assert repairs == {
        "orphan": None,
        "status_differs": "applied the hub's status didisposisikan",
        "content_differs": None,
        "tracking_id_differs": f"took the hub's tracking id X-{renamed.tracking_id}",
    }

    # What a person must look at is all that is left.
    result = cli(connector, "reconcile")
    assert findings(connector, run_id + 2) == {
        ("laporpaman", "LP-TIDAK-DIKENAL"): "orphan",
        ("laporpaman", altered.source_ref): "content_differs",
    }, result.output
    assert cli(connector, "status").output.rstrip().endswith(": 1 orphan, 1 content_differs")

    # The lost report's history: intake to delivery, found missing, repaired, delivered again.
    shown = cli(connector, "audit", "show", f"laporpaman/{lost.source_ref}")
    entries = [
        (line.split("\t")[2], json.loads(line.split("\t")[3])) for line in shown.output.splitlines()
    ]
    story = [
        kind
        for kind, data in entries
        if kind in ("intake", "normalized", "finding", "repair")
        or (kind == "delivered" and data["kind"] == "report")
    ]
    assert story == [
        "intake",
        "normalized",
        "delivered",
        "finding",
        "finding",
        "repair",
        "delivered",
    ], shown.output
    assert (
        cli(connector, "audit", "show", by_ref[silent.source_ref].tracking_id).output.count(
            "\tstatus\t"
        )
        == 2
    )
    verified = cli(connector, "audit", "verify")
    assert verified.exit_code == 0 and "3 checkpoints match" in verified.output, verified.output


def test_the_report_of_a_run_as_json_lines_and_csv(world):
    _, hub, _, _, connector = world
    lost = complaints(connector)[5]
    drift(hub, "DELETE", lost.tracking_id)
    run = reconciler(connector).run()

    lines = [
        json.loads(line)
        for line in cli(
            connector, "reconcile", "report", str(run.id), "--format", "jsonl"
        ).output.splitlines()
    ]
    assert lines[0]["record"] == "run" and lines[0]["counts"] == {
        **dict.fromkeys(KINDS, 0),
        "missing_at_hub": 1,
    }
    assert (
        lines[0]["started_at"] <= lines[0]["finished_at"]
        and lines[0]["ours"] == 30
        and lines[0]["theirs"] == 29
    )
    assert [(r["record"], r["kind"], r["source_ref"], r["theirs"]) for r in lines[1:]] == [
        ("finding", "missing_at_hub", lost.source_ref, None)
    ]
    assert lines[1]["ours"]["tracking_id"] == lost.tracking_id

    rows = list(
        csv.DictReader(
            io.StringIO(
                cli(connector, "reconcile", "report", str(run.id), "--format", "csv").output
            )
        )
    )
    assert [(r["record"], r["kind"], r["count"]) for r in rows[:5]] == [
        ("count", k, "1" if k == "missing_at_hub" else "0") for k in KINDS
    ]
    assert [
        (r["record"], r["source_ref"], r["ours_tracking_id"], r["hub_tracking_id"])
        for r in rows[5:]
    ] == [("finding", lost.source_ref, lost.tracking_id, "")]
    assert {r["started_at"] for r in rows} == {lines[0]["started_at"]}
    missing = cli(connector, "reconcile", "report", "999")
    assert missing.exit_code == 1 and "no reconciliation run 999" in missing.output


def test_reports_still_on_their_way_are_not_findings(world):
    _, hub, sim, _, connector = world
    sim.add(3)
    connector.pull("laporpaman")  # stored and queued, not delivered
    run = reconciler(connector).run()
    assert run.ours == 33 and run.theirs == 30 and run.counts == dict.fromkeys(KINDS, 0)


def test_a_report_with_an_update_on_its_way_is_left_out_until_it_arrives(world):
    _, hub, sim, portal, connector = world
    target = next(
        c for c in complaints(connector) if sim.get(int(c.source_ref))["status"] == "baru"
    )
    local_follow_up(portal, int(target.source_ref), "Petugas sudah ke lokasi.", "proses")
    connector.pull("laporpaman")  # the follow-up is queued for the hub, not sent
    drift(hub, "PUT", target.tracking_id, "/status", {"status": "ditindaklanjuti"})
    assert reconciler(connector).run().counts == dict.fromkeys(KINDS, 0)
    drain(connector)
    assert reconciler(connector).run().counts == dict.fromkeys(
        KINDS, 0
    )  # the follow-up made the same status


def test_a_dead_report_missing_at_the_hub_is_left_to_the_operator(world):
    _, hub, _, _, connector = world
    lost = complaints(connector)[7]
    drift(hub, "DELETE", lost.tracking_id)
    with connector.store.transaction() as s:  # as if the hub had refused it
        row = s.scalars(
            select(OutboxItem).where(
                OutboxItem.complaint_id == lost.id, OutboxItem.kind == "report"
            )
        ).one()
        row.state, row.last_error = "dead", "rejected"
    run = reconciler(connector).run(repair=True)
    with connector.store.transaction() as s:
        [finding] = s.scalars(select(ReconcileFinding).where(ReconcileFinding.run_id == run.id))
        assert (finding.kind, finding.repair) == (
            "missing_at_hub",
            f"not repaired: dead letter o{row.id} (lapor-connector dlq)",
        )
        assert s.get(OutboxItem, row.id).state == "dead"


def test_a_checkpoint_the_hub_refuses_is_recorded_on_the_run(world):
    hub_app, hub, _, _, connector = world
    first = reconciler(connector).run()
    # Someone rewrites the connector's history: the hub still holds the old head for that seq.
    requests.post(
        f"{hub.url}/api/v1/audit/checkpoints",
        headers=auth(KALSEL_TOKEN),
        timeout=10,
        json={
            "seq": first.checkpoint_seq + 1,
            "hash": "f" * 64,
            "at": datetime.now(UTC).isoformat(),
        },
    )
    second = reconciler(connector).run()
    assert second.checkpoint_seq is None and "checkpoint not given to the hub" in second.error
    with connector.store.transaction() as s:
        assert s.get(ReconcileRun, second.id).error == second.error


def test_the_nightly_job_runs_at_the_configured_local_time_and_repairs(tmp_path):
    with (
        running_hub(tmp_path) as (_, hub),
        running_portal(complaints=3, bad_share=0) as (_, portal),
    ):
        daemon = Daemon(connector_config(tmp_path, hub.url, portal.url, reconcile={"at": "03:15"}))
        daemon.start()
        try:
            when = daemon.scheduler.get_job("reconcile").next_run_time
            assert (when.hour, when.minute, when.utcoffset()) == (
                3,
                15,
                timedelta(hours=8),
            )  # Asia/Makassar
            run = daemon.connector.reconcile()  # what the job calls
            assert run.repair is True and run.checkpoint_seq is not None
        finally:
            daemon.stop()


# -- at scale -------------------------------------------------------------------------------

N = 100_000
STATUSES = ("belum_terverifikasi", "terverifikasi", "didisposisikan", "ditindaklanjuti", "selesai")


def _hash(i: int, salt: str = "") -> str:
    return hashlib.sha256(f"laporan {i}{salt}".encode()).hexdigest()


def _fill_connector(store, keys: list[int]) -> None:
    """Complaints as delivered ones are stored (an intake row each), in bulk."""
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        conn.execute(
            insert(IntakeItem),
            [
                {
                    "id": i + 1,
                    "channel_id": "laporpaman",
                    "external_id": f"LP-{i:06d}",
                    "payload_sha256": _hash(i, "raw"),
                    "payload": b"{}",
                    "media_type": "application/json",
                    "meta": {},
                    "received_at": now,
                    "stored_at": now,
                    "outcome": "accepted",
                }
                for i in keys
            ],
        )
        conn.execute(
            insert(Complaint),
            [
                {
                    "id": i + 1,
                    "channel_id": "laporpaman",
                    "source_ref": f"LP-{i:06d}",
                    "intake_id": i + 1,
                    "report": {},
                    "content_hash": _hash(i),
                    "tracking_id": f"T{i}",
                    "status": STATUSES[i % 5],
                    "needs_review": False,
                    "notes": {},
                    "created_at": now,
                    "updated_at": now,
                    "delivered_at": now,
                }
                for i in keys
            ],
        )


def _hub_row(i: int, **changes) -> dict:
    return {
        "connector_id": "kalsel",
        "channel_id": "laporpaman",
        "source_ref": f"LP-{i:06d}",
        "content_hash": _hash(i),
        "report_json": "{}",
        "tracking_id": f"T{i}",
        "status": STATUSES[i % 5],
        **changes,
    }


def test_a_hundred_thousand_reports_with_37_differences(store, tmp_path):
    # Spread over the key range: missing at the hub, unknown here, and three kinds of disagreement.
    missing, orphans = set(range(11, N, N // 8)), set(range(N, N + 7))
    status, content, renamed = (
        set(range(23, N, N // 8)),
        set(range(37, N, N // 7)),
        set(range(41, N, N // 7)),
    )
    assert (len(missing), len(orphans), len(status), len(content), len(renamed)) == (8, 7, 8, 7, 7)
    _fill_connector(store, list(range(N)))

    def hub_rows():
        for i in range(N + 7):
            if i in missing:
                continue
            changes = {}
            if i in status:
                changes["status"] = STATUSES[(i + 1) % 5]
            if i in content:
                changes["content_hash"] = _hash(i, "diubah")
            if i in renamed:
                changes["tracking_id"] = f"X{i}"
            yield _hub_row(i, **changes)

    with running_hub(tmp_path) as (hub_app, hub):
        bulk_insert_reports(hub_app.extensions["lapor_hub"].engine, hub_rows())
        client = HubClient(hub.url, KALSEL_TOKEN)
        wire = []
        client.http.hooks["response"].append(lambda r, *a, **k: wire.append(len(r.content)))
        run = Reconciler(store, client, HubSyncContext({})).run()

        expected = {
            **{f"LP-{i:06d}": "missing_at_hub" for i in missing},
            **{f"LP-{i:06d}": "orphan" for i in orphans},
            **{f"LP-{i:06d}": "status_differs" for i in status},
            **{f"LP-{i:06d}": "content_differs" for i in content},
            **{f"LP-{i:06d}": "tracking_id_differs" for i in renamed},
        }
        with store.transaction() as s:
            found = {
                f.source_ref: f.kind
                for f in s.scalars(
                    select(ReconcileFinding).where(ReconcileFinding.run_id == run.id)
                )
            }
        assert len(expected) == 37 and found == expected  # all 37, and not one more
        assert run.counts == {
            "missing_at_hub": 8,
            "orphan": 7,
            "status_differs": 8,
            "content_differs": 7,
            "tracking_id_differs": 7,
        }

        # In sync: the hub side made to agree, the run exchanges only the bucket digests.
        with hub_app.extensions["lapor_hub"].engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM hub_reports")
        bulk_insert_reports(hub_app.extensions["lapor_hub"].engine, (_hub_row(i) for i in range(N)))
        wire.clear()
        in_sync = Reconciler(store, client, HubSyncContext({})).run()
        assert in_sync.counts == dict.fromkeys(KINDS, 0) and in_sync.differing_buckets == 0
        exchanged = sum(wire[:-1])  # the last answer is the checkpoint's
        full = requests.get(
            f"{hub.url}/api/v1/reconcile/buckets/0?buckets=1",
            headers=auth(KALSEL_TOKEN),
            timeout=60,
        )
        assert len(full.json()["entries"]) == N
        assert exchanged < 0.01 * len(full.content), (exchanged, len(full.content))
        assert in_sync.bytes_exchanged < 0.01 * len(canonical_json(full.json()["entries"]))


@responses.activate
@pytest.mark.parametrize(
    "digest, bucket",
    [
        ({"buckets": 16, "count": 1, "digests": ["0" * 16] * 8}, None),
        (["not", "an", "object"], None),
        (
            {"buckets": 16, "count": 1, "digests": ["0" * 16] * 16},
            {"entries": [{"channel_id": "laporpaman"}]},
        ),
    ],
)
def test_a_malformed_answer_from_the_hub_is_a_clear_error(store, digest, bucket):
    responses.get("http://hub.test/api/v1/reconcile/digest", json=digest)
    if bucket is not None:
        responses.get(re.compile(r"http://hub\.test/api/v1/reconcile/buckets/\d+"), json=bucket)
    with pytest.raises(HubRejectedError, match="bucket"):
        Reconciler(store, HubClient("http://hub.test", "t"), HubSyncContext({})).run()
    with store.transaction() as s:
        assert s.scalars(select(ReconcileRun)).all() == []  # no run recorded from half an answer
