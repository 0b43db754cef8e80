"""Reconciliation: does the hub hold what this connector sent, as the connector knows it?

Both sides list their reports as digest entries (`connector.digest`): natural key
(channel id, source ref), tracking id, national status, content hash. The hub sends
one digest per bucket; only buckets whose digests differ are listed in full and
compared entry by entry, so two sides in sync exchange a few kilobytes. Every
difference is classified:

| kind                 | meaning                                              | --repair                                  |
|----------------------|------------------------------------------------------|-------------------------------------------|
| missing_at_hub       | sent (or dead) here, not at the hub                   | the report and its updates are queued again (not a dead letter: the operator's) |
| orphan               | at the hub under this connector, unknown here         | none: a person must look                  |
| status_differs       | the national status differs                           | the hub's status is applied here (pushed on to the portal) |
| content_differs      | the report's content hash differs                     | none: a person must look                  |
| tracking_id_differs  | the hub knows it by another tracking id               | the hub's tracking id is taken            |

Reports with something still on its way to the hub (a pending or in-flight outbox
row: the report or an update) are left out: not missing or different, only not
there yet. Each run is stored with its findings and what
was repaired, written to the audit log, and ends by giving the hub the audit chain's
head (a checkpoint).

A hub without the reconcile-digests capability is compared by walking its listing of
this connector's reports (the core `GET /api/v1/reports`, page by page): the same
entries, digests and classes, only more bytes. A hub without audit checkpoints gets
none; the run says so and the audit log is verified locally.
"""

from __future__ import annotations

import csv
import json
import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from connector import audit
from connector.errors import ConnectorError, HubRejectedError
from connector.outbox import queue as outbox
from connector.store.models import Complaint, OutboxItem, ReconcileFinding, ReconcileRun
from connector.sync.updates import HubSyncContext, apply_hub_update
from connector.timeutil import iso, utcnow
from lapor_exchange.canonical import canonical_json, content_hash
from lapor_exchange.capabilities import AUDIT_CHECKPOINTS, RECONCILE_DIGESTS
from lapor_exchange.digest import Entry, bucket_of, buckets_for, digests

log = logging.getLogger(__name__)
KINDS = ("missing_at_hub", "orphan", "status_differs", "content_differs", "tracking_id_differs")


@dataclass(frozen=True)
class Finding:
    kind: str
    channel_id: str
    source_ref: str
    ours: dict | None
    theirs: dict | None


def local_entries(session) -> tuple[list[Entry], set[tuple[str, str]]]:
    """This connector's reports, and the keys of those with something still on its way
    to the hub, the report or an update (left out of the comparison: not missing or
    different, only not there yet)."""
    travelling = set(
        session.scalars(
            select(OutboxItem.complaint_id).where(
                OutboxItem.target == "hub", OutboxItem.state.in_(("pending", "inflight"))
            )
        )
    )
    rows = session.execute(
        select(
            Complaint.id,
            Complaint.channel_id,
            Complaint.source_ref,
            Complaint.tracking_id,
            Complaint.status,
            Complaint.content_hash,
        )
    )
    entries, skipped = [], set()
    for cid, ch, ref, tid, status, digest in rows:
        if cid in travelling:
            skipped.add((ch, ref))
        else:
            entries.append(Entry(ch, ref, tid, status, digest))
    return entries, skipped


def compare(ours: list[Entry], theirs: list[Entry]) -> list[Finding]:
    """Every difference between two sets of entries, in key order."""
    mine, hubs = {e.key: e for e in ours}, {e.key: e for e in theirs}
    found = []
    for key in sorted(set(mine) | set(hubs)):
        a, b = mine.get(key), hubs.get(key)
        pair = (a.as_dict() if a else None, b.as_dict() if b else None)
        if b is None:
            found.append(Finding("missing_at_hub", *key, *pair))
        elif a is None:
            found.append(Finding("orphan", *key, *pair))
        else:
            found += [
                Finding(kind, *key, *pair)
                for kind, differs in (
                    ("tracking_id_differs", a.tracking_id != b.tracking_id),
                    ("content_differs", a.content_hash != b.content_hash),
                    ("status_differs", a.status != b.status),
                )
                if differs
            ]
    return found


def _hub_entries(listed, bucket: int) -> list[Entry]:
    fields = set(Entry.__dataclass_fields__)
    if not isinstance(listed, list) or not all(
        isinstance(e, dict) and set(e) == fields for e in listed
    ):
        raise HubRejectedError(
            f"the hub's listing of bucket {bucket} is not a list of entries with {', '.join(sorted(fields))}"
        )
    return [Entry(**e) for e in listed]


def stored_entry(stored) -> Entry:
    """The digest entry of a report as the hub's core listing gives it (its content hash
    computed here from the report it returns)."""
    try:
        source = stored["report"]["source"]
        return Entry(
            source["channel_id"],
            source["source_ref"],
            stored["tracking_id"],
            stored["status"],
            content_hash(stored["report"]),
        )
    except (KeyError, TypeError) as exc:
        raise HubRejectedError(
            f"the hub's report listing holds an item that is not a stored report ({exc!r} missing)"
        ) from exc


def _size(body) -> int:
    return len(canonical_json(body).encode("utf-8"))


@dataclass
class Comparison:
    """What one run learnt from the hub before recording it."""

    method: str
    buckets: int
    theirs: int = 0
    exchanged: int = 0
    differing: list[int] = field(default_factory=list)
    found: list[Finding] = field(default_factory=list)


class Reconciler:
    """One run against the hub: `run(repair, progress)`. `capabilities` (a HubCapabilities)
    says whether the hub has digests and checkpoints; None: it has both."""

    def __init__(self, store, hub, hub_sync: HubSyncContext, capabilities=None):
        self.store, self.hub, self.hub_sync, self.capabilities = store, hub, hub_sync, capabilities

    def _offers(self, capability: str) -> bool:
        return self.capabilities is None or self.capabilities.has(capability)

    def run(self, repair: bool = False, progress=None) -> ReconcileRun:
        started = utcnow()
        with self.store.transaction() as session:
            ours, travelling = local_entries(session)
        by_bucket: dict[int, list[Entry]] = {}
        buckets = buckets_for(len(ours))
        for entry in ours:
            by_bucket.setdefault(bucket_of(entry.channel_id, entry.source_ref, buckets), []).append(
                entry
            )
        if self._offers(RECONCILE_DIGESTS):
            done, listed = self._by_digests(digests(ours, buckets), buckets)
        else:
            done, listed = self._by_listing(digests(ours, buckets), buckets)
        for n, bucket in enumerate(done.differing, start=1):
            done.found += [
                f
                for f in compare(by_bucket.get(bucket, []), listed(bucket))
                if (f.channel_id, f.source_ref) not in travelling
            ]
            if progress is not None:
                progress(n, len(done.differing))
        return self._record(started, done, len(ours) + len(travelling), repair)

    def _by_digests(self, mine: list[str], buckets: int):
        """The hub's bucket digests; differing buckets are then listed one by one."""
        answer = self.hub.reconcile_digest(buckets)
        if (
            not isinstance(answer, dict)
            or not isinstance(answer.get("digests"), list)
            or len(answer["digests"]) != buckets
        ):
            raise HubRejectedError(
                f"the hub's reconciliation digest does not hold the {buckets} bucket digests asked for"
            )
        done = Comparison(
            "digests",
            buckets,
            answer.get("count", 0),
            _size(answer),
            [i for i, (a, b) in enumerate(zip(mine, answer["digests"], strict=True)) if a != b],
        )

        def listed(bucket: int) -> list[Entry]:
            theirs = self.hub.reconcile_bucket(bucket, buckets)
            done.exchanged += _size(theirs)
            return _hub_entries(theirs, bucket)

        return done, listed

    def _by_listing(self, mine: list[str], buckets: int):
        """Every report the hub lists for this connector (core calls only), bucketed here."""
        done = Comparison("listing", buckets)
        theirs: dict[int, list[Entry]] = {}
        for page in self.hub.report_pages():
            done.exchanged += _size(page)
            for stored in page:
                entry = stored_entry(stored)
                theirs.setdefault(
                    bucket_of(entry.channel_id, entry.source_ref, buckets), []
                ).append(entry)
                done.theirs += 1
        hubs = digests([e for bucket in theirs.values() for e in bucket], buckets)
        done.differing = [i for i, (a, b) in enumerate(zip(mine, hubs, strict=True)) if a != b]
        return done, lambda bucket: theirs.get(bucket, [])

    def _record(self, started, done: Comparison, ours: int, repair: bool) -> ReconcileRun:
        found = done.found
        counts = {kind: sum(1 for f in found if f.kind == kind) for kind in KINDS}
        with self.store.transaction() as session:
            run = ReconcileRun(
                started_at=started,
                buckets=done.buckets,
                ours=ours,
                theirs=done.theirs,
                differing_buckets=len(done.differing),
                bytes_exchanged=done.exchanged,
                counts=counts,
                repair=repair,
                method=done.method,
            )
            session.add(run)
            session.flush()
            notes = [self._repair(session, f) if repair else None for f in found]
            session.add_all(
                ReconcileFinding(
                    run_id=run.id,
                    kind=f.kind,
                    channel_id=f.channel_id,
                    source_ref=f.source_ref,
                    ours=f.ours,
                    theirs=f.theirs,
                    repair=note,
                )
                for f, note in zip(found, notes, strict=True)
            )
            for f, note in zip(found, notes, strict=True):
                ref = audit.ref_of(f.channel_id, f.source_ref)
                audit.record(session, "finding", ref, {"run": run.id, "kind": f.kind})
                if note:
                    audit.record(
                        session,
                        "repair",
                        ref,
                        {"run": run.id, "kind": f.kind, "done": audit.safe_id(note)},
                    )
            audit.record(session, "reconciled", None, {"run": run.id, **counts, "repair": repair})
            run.finished_at = utcnow()
        with self.store.transaction() as session:
            seq, chain_hash = audit.head(session)
        self._checkpoint(run, seq, chain_hash)
        log.info(
            "reconciliation %d: %d differences (%s)",
            run.id,
            len(found),
            ", ".join(f"{k} {v}" for k, v in counts.items() if v),
        )
        return run

    def _checkpoint(self, run: ReconcileRun, seq: int, chain_hash: str) -> None:
        if not self._offers(AUDIT_CHECKPOINTS):
            log.info(
                "reconciliation %d: the hub keeps no audit checkpoints; the audit log stays local",
                run.id,
            )
            return
        try:
            self.hub.post_checkpoint(seq, chain_hash, iso(utcnow()))
        except ConnectorError as exc:
            error = f"checkpoint not given to the hub: {exc}"
            log.warning("reconciliation %d: %s", run.id, error)
        else:
            error = None
        with self.store.transaction() as session:
            row = session.get(ReconcileRun, run.id)
            row.checkpoint_seq, row.error = (None, error) if error else (seq, None)
            run.checkpoint_seq, run.error = row.checkpoint_seq, row.error

    # -- repairs ---------------------------------------------------------------------

    def _repair(self, session, finding: Finding) -> str | None:
        complaint = session.scalars(
            select(Complaint).where(
                Complaint.channel_id == finding.channel_id,
                Complaint.source_ref == finding.source_ref,
            )
        ).one_or_none()
        if finding.kind == "missing_at_hub" and complaint is not None:
            row = session.scalars(
                select(OutboxItem).where(
                    OutboxItem.idempotency_key
                    == outbox.report_key(complaint.channel_id, complaint.source_ref)
                )
            ).one_or_none()
            if row is not None and row.state in ("dead", "discarded"):
                # The hub refused it, or an operator gave up on it: theirs to decide, not the night's.
                return (
                    None
                    if row.state == "discarded"
                    else f"not repaired: dead letter o{row.id} (lapor-connector dlq)"
                )
            updates = outbox.requeue_for_hub(session, complaint.id) - 1
            return "report queued again" + (f" with its {updates} update(s)" if updates else "")
        if finding.kind == "tracking_id_differs" and complaint is not None:
            complaint.tracking_id = finding.theirs["tracking_id"]
            return f"took the hub's tracking id {finding.theirs['tracking_id']}"
        if finding.kind == "status_differs" and complaint is not None and finding.theirs["status"]:
            update = {
                "schema_version": "1",
                "update_id": f"reconcile/{utcnow().strftime('%Y%m%dT%H%M%S%f')}/{complaint.id}",
                "tracking_id": complaint.tracking_id,
                "origin": {"side": "hub"},
                "actor": "sistem",
                "status": finding.theirs["status"],
                "occurred_at": iso(utcnow()),
            }
            apply_hub_update(session, update, self.hub_sync)
            return f"applied the hub's status {finding.theirs['status']}"
        return None


def run_summary(run: ReconcileRun) -> dict:
    """A run as its report's first record: time window, sizes, counts per class."""
    return {
        "record": "run",
        "run": run.id,
        "started_at": iso(run.started_at),
        "finished_at": iso(run.finished_at) if run.finished_at else None,
        "repair": run.repair,
        "buckets": run.buckets,
        "differing_buckets": run.differing_buckets,
        "ours": run.ours,
        "theirs": run.theirs,
        "bytes_exchanged": run.bytes_exchanged,
        "method": run.method,
        "counts": {k: run.counts.get(k, 0) for k in KINDS},
        "checkpoint_seq": run.checkpoint_seq,
        "error": run.error,
    }


CSV_COLUMNS = (
    "record",
    "run",
    "started_at",
    "finished_at",
    "kind",
    "count",
    "channel_id",
    "source_ref",
    "ours_status",
    "hub_status",
    "ours_tracking_id",
    "hub_tracking_id",
    "ours_content_hash",
    "hub_content_hash",
    "repair",
)


def write_report(session, run_id: int, out, fmt: str) -> int:
    """A run's report as JSON Lines (a `run` record, then one `finding` record per
    difference) or CSV (one `count` row per class, then one `finding` row per
    difference; every row carries the run's time window). Returns the findings written."""
    run = session.get(ReconcileRun, run_id)
    if run is None:
        raise LookupError(f"no reconciliation run {run_id}")
    summary = run_summary(run)
    findings = [
        {
            "record": "finding",
            "run": run.id,
            "kind": f.kind,
            "channel_id": f.channel_id,
            "source_ref": f.source_ref,
            "ours": f.ours,
            "theirs": f.theirs,
            "repair": f.repair,
        }
        for f in session.scalars(
            select(ReconcileFinding)
            .where(ReconcileFinding.run_id == run_id)
            .order_by(ReconcileFinding.id)
        )
    ]
    if fmt == "jsonl":
        for row in [summary, *findings]:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        return len(findings)
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    window = {
        "run": run.id,
        "started_at": summary["started_at"],
        "finished_at": summary["finished_at"],
    }
    for kind, count in summary["counts"].items():
        writer.writerow({"record": "count", **window, "kind": kind, "count": count})
    for f in findings:
        o, t = f["ours"] or {}, f["theirs"] or {}
        writer.writerow(
            {
                "record": "finding",
                **window,
                "kind": f["kind"],
                "channel_id": f["channel_id"],
                "source_ref": f["source_ref"],
                "ours_status": o.get("status"),
                "hub_status": t.get("status"),
                "ours_tracking_id": o.get("tracking_id"),
                "hub_tracking_id": t.get("tracking_id"),
                "ours_content_hash": o.get("content_hash"),
                "hub_content_hash": t.get("content_hash"),
                "repair": f["repair"],
            }
        )
    return len(findings)
