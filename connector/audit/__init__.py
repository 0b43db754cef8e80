"""The audit log: append-only and hash-chained, so that an auditor (Inspektorat,
Ombudsman) can prove that nothing was quietly removed or altered.

Every entry holds `seq` (1, 2, 3 … without gaps), `at` (UTC), `kind`, `ref` (what it is
about), `data` (ids and hashes) and `hash` = sha256 of the canonical JSON of
`[prev_hash, seq, at, kind, ref, data]`, where `prev_hash` is the previous entry's hash
(`GENESIS` for the first) and `at` is hashed as `at_text` (UTC, microseconds, `Z`).
Editing, removing, reordering or inserting an entry breaks the chain from that entry on;
truncating the tail or rewriting the whole chain consistently is caught by the
checkpoints (chain heads) the connector gives the hub. The database refuses UPDATE and
DELETE on `audit_log` (migration 0006); this module never tries.

What is written (kind: data), by the module that did it:
- `intake`: outcome (accepted | quarantined | revision | reply | ignored | duplicate | part | command),
  channel_id, external_id, payload_sha256.
- `normalized`: complaint id and content hash; `quarantined`: the problem paths (never the values).
- `delivered` / `dead`: outbox outcomes with the target, the outbox id and the tracking id or error code.
- `status`: a status update applied | superseded | parked, with its update id and status.
- `conflict`: the winning and losing update ids and the rule that decided.
- `reconciled` (a run and its counts), `finding` (one difference), `repair` (what was done).
- `operator`: a dead letter replayed or discarded, and by which command.
- `erased`: retention erased a payload or a report's personal data (which row, which hash).

Never personal data: no names, phone numbers, e-mail addresses, NIK or message texts
(`guard` refuses them when an event is noted).

The folder: `chain` (hashing, references, appending in the caller's transaction), `guard`
(what an entry may hold), `verification` (the chain and the hub's checkpoints), `export` (CSV and
JSON Lines for auditors). The names the stages use are re-exported here:
`from connector import audit; audit.record(session, ...)`.

Not here: posting checkpoints to the hub (reconciliation does it after a run) and the
auditor's commands (connector/cli_audit.py).
"""

from connector.audit.chain import (
    GENESIS,
    append,
    append_many,
    at_text,
    entry_hash,
    flush_pending,
    forget_pending,
    head,
    record,
    ref_of,
    safe_id,
)
from connector.audit.export import export, read_export
from connector.audit.verification import (
    Break,
    Verification,
    check,
    check_store,
    history,
    verify,
    verify_store,
)

__all__ = [
    "GENESIS",
    "Break",
    "Verification",
    "append",
    "append_many",
    "at_text",
    "check",
    "check_store",
    "entry_hash",
    "export",
    "flush_pending",
    "forget_pending",
    "head",
    "history",
    "read_export",
    "record",
    "ref_of",
    "safe_id",
    "verify",
    "verify_store",
]
