"""The end of `lapor-connector demo`: reconciliation with the hub, and the audit log
checked against the hub's checkpoints.

Without drift, one run must find no difference. With `--drift` the national side
misbehaves first, through the reference hub's fault endpoints: one report is deleted
at the hub and another's status is changed there without an update (nothing in the
feed). A run with repair must find exactly those two, queue the lost report again and
take the hub's status; once the daemon has delivered it again, a last run must find
no difference.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import requests
from sqlalchemy import select

from connector import audit
from connector.outbox import queue as outbox
from connector.store.models import Complaint, ReconcileFinding, ReconcileRun
from lapor_exchange.capabilities import AUDIT_CHECKPOINTS

DRIFT_STATUS = "terverifikasi"


@dataclass
class ReconcileResult:
    runs: list[ReconcileRun] = field(default_factory=list)
    injected: dict[str, str] = field(
        default_factory=dict
    )  # channel/source_ref → what was done at the hub
    found: dict[str, str] = field(default_factory=dict)  # channel/source_ref → the kind found
    repaired: dict[str, str] = field(default_factory=dict)
    audit_entries: int = 0
    audit_problem: str | None = None
    checkpoints_matched: int = 0
    checkpoints_kept: bool = True  # False: the hub lacks audit checkpoints; verified locally
    timed_out: bool = False

    @property
    def final_differences(self) -> int:
        return sum(self.runs[-1].counts.values()) if self.runs else -1

    @property
    def drift_found(self) -> bool:
        return self.found == self.injected

    @property
    def ok(self) -> bool:
        return (
            self.final_differences == 0
            and not self.timed_out
            and self.audit_problem is None
            and (
                not self.injected or (self.drift_found and len(self.repaired) == len(self.injected))
            )
        )


def run_reconcile_scenario(
    connector, hub_url: str, admin_token: str, drift: bool, channel_id: str, timeout_s: float = 60
) -> ReconcileResult:
    """Reconcile the running daemon's connector with the hub (after drift on two of the
    channel's reports, if asked)."""
    result = ReconcileResult()
    reconciler = connector.reconciler()
    if drift:
        _inject(connector, hub_url, admin_token, channel_id, result)
        run = reconciler.run(repair=True)
        result.runs.append(run)
        with connector.store.transaction() as session:
            for f in session.scalars(
                select(ReconcileFinding).where(ReconcileFinding.run_id == run.id)
            ):
                result.found[f"{f.channel_id}/{f.source_ref}"] = f.kind
                if f.repair:
                    result.repaired[f"{f.channel_id}/{f.source_ref}"] = f.repair
        result.timed_out = not _settled(connector, timeout_s)
    result.runs.append(reconciler.run(repair=False))
    _verify_audit(connector, result)
    return result


def _inject(
    connector, hub_url: str, admin_token: str, channel_id: str, result: ReconcileResult
) -> None:
    with connector.store.transaction() as session:
        fresh = list(
            session.scalars(
                select(Complaint)
                .where(
                    Complaint.channel_id == channel_id,
                    Complaint.tracking_id.isnot(None),
                    Complaint.status == "belum_terverifikasi",
                )
                .order_by(Complaint.id)
                .limit(2)
            )
        )
    if len(fresh) < 2:
        raise RuntimeError(
            "the demo needs two delivered complaints nobody has acted on to inject drift"
        )
    lost, changed = fresh
    headers = {"Authorization": f"Bearer {admin_token}"}
    base = f"{hub_url}/api/v1/admin/reports"
    requests.delete(f"{base}/{lost.tracking_id}", headers=headers, timeout=10).raise_for_status()
    requests.put(
        f"{base}/{changed.tracking_id}/status",
        json={"status": DRIFT_STATUS},
        headers=headers,
        timeout=10,
    ).raise_for_status()
    result.injected = {
        f"{lost.channel_id}/{lost.source_ref}": "missing_at_hub",
        f"{changed.channel_id}/{changed.source_ref}": "status_differs",
    }


def _settled(connector, timeout_s: float) -> bool:
    """Wait until the running daemon has sent everything due (the report queued again)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with connector.store.transaction() as session:
            if outbox.next_due_in(session, connector.deliverer.route_keys) is None:
                return True
        time.sleep(0.3)
    return False


def _verify_audit(connector, result: ReconcileResult) -> None:
    result.checkpoints_kept = connector.capabilities.has(AUDIT_CHECKPOINTS)
    checkpoints = connector.hub.checkpoints() if result.checkpoints_kept else []
    with connector.store.transaction() as session:
        check = audit.check_store(session, checkpoints)
    result.audit_entries, result.checkpoints_matched = check.entries, check.checkpoints_matched
    if check.broken:
        result.audit_problem = f"entry {check.broken.seq}: {check.broken.reason}"


def print_reconciliation(
    result: ReconcileResult, width: int, echo
) -> list[tuple[str, bool, list[str]]]:
    """The section of the demo's table; returns its checks."""
    echo("\nreconciliation with the hub:")
    for number, run in enumerate(result.runs, start=1):
        kinds = ", ".join(f"{n} {kind}" for kind, n in run.counts.items() if n) or "no difference"
        label = f"run {number}" + (" (with repair)" if run.repair else "")
        echo(
            f"  {label:<{width}}  {run.ours} here, {run.theirs} at the hub, {run.differing_buckets}/{run.buckets} "
            f"buckets differ, {run.bytes_exchanged} bytes ({run.method}): {kinds}"
        )
    for ref, note in sorted(result.repaired.items()):
        echo(f"  repaired {ref}: {note}")
    kept = (
        f"{result.checkpoints_matched} checkpoints at the hub match"
        if result.checkpoints_kept
        else "verified locally (the hub keeps no checkpoints)"
    )
    echo(f"  {'audit log':<{width}}  {result.audit_entries} entries, {kept}")
    checks = []
    if result.injected:
        missed = [
            f"{ref} ({kind})"
            for ref, kind in result.injected.items()
            if result.found.get(ref) != kind
        ]
        extra = [
            f"{ref} ({kind})" for ref, kind in result.found.items() if ref not in result.injected
        ]
        checks += [
            (
                "the drift injected at the hub was found, and nothing else",
                result.drift_found,
                missed + extra,
            ),
            (
                "the drift was repaired",
                len(result.repaired) == len(result.injected) and not result.timed_out,
                [ref for ref in result.injected if ref not in result.repaired],
            ),
        ]
    checks += [
        ("the last reconciliation found no difference", result.final_differences == 0, []),
        (
            "the audit log verifies"
            + (" against the hub's checkpoints" if result.checkpoints_kept else " (locally)"),
            result.audit_problem is None,
            [result.audit_problem] if result.audit_problem else [],
        ),
    ]
    return checks
