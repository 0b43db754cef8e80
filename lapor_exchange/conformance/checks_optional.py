"""The checks of the optional capabilities, run only for those the hub declares.

One function per check, in `OPTIONAL_CHECKS`. They work on the run's own check report
where they need one. Audit checkpoints are read, repeated and contradicted, never added:
a new seq would become part of a real connector's chain at the hub.

Not here: the core checks (`checks_core.py`), running (`check_hub.py`).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone

from .. import capabilities as C
from .. import digest
from ..canonical import content_hash
from .checks import CHANNEL_ID, TITLE_PREFIX, Check, CheckSkipped, Context, expect, outcome, require

BUCKETS = 16
BEYOND_ANY_SEQ = 2**53 - 1


# -- updates-feed ------------------------------------------------------------------------


def feed_page(ctx: Context) -> str:
    page = expect(ctx.client.call("listNationalUpdates", params={"limit": 10}), 200)
    seqs = [update["seq"] for update in page["updates"]]
    require(seqs == sorted(set(seqs)), f"seqs not in increasing order: {seqs}")
    require(
        all(u["origin"]["side"] == "hub" for u in page["updates"]), "the feed lists a region update"
    )
    require(
        page["next_after"] == (seqs[-1] if seqs else None),
        f"next_after {page['next_after']} is not the page's last seq ({seqs[-1] if seqs else None})",
    )
    return f"{len(seqs)} updates on the first page"


def feed_end(ctx: Context) -> str:
    page = expect(ctx.client.call("listNationalUpdates", params={"after": BEYOND_ANY_SEQ}), 200)
    require(
        page["updates"] == [], f"after={BEYOND_ANY_SEQ} still lists {len(page['updates'])} updates"
    )
    require(page["next_after"] is None, "next_after is not null on an empty page")
    return "empty, next_after null"


# -- status-push -------------------------------------------------------------------------


def _update(ctx: Context, tracking_id: str, **fields) -> dict:
    update = {
        "schema_version": "1",
        "update_id": f"{ctx.run_id}/{secrets.token_hex(4)}",
        "tracking_id": tracking_id,
        "origin": {"side": "region", "connector_id": ctx.connector_id, "channel_id": CHANNEL_ID},
        "actor": "admin_daerah",
        "message": f"{TITLE_PREFIX} pesan uji, abaikan",
        "occurred_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
    }
    update.update(fields)
    return update


def _push(ctx: Context, updates: list, probe: bool = False) -> list[dict]:
    answer = ctx.client.call("submitUpdates", body={"updates": updates}, probe=probe)
    results = expect(answer, 200)["results"]
    require(
        [r["index"] for r in results] == list(range(len(updates))),
        "not one result per update, in order",
    )
    return results


def _message_update(ctx: Context) -> tuple[dict, dict]:
    """The run's message-only update and the hub's first answer to it (sent once)."""
    if "message" not in ctx.memo:
        _, tracking_id = ctx.check_report()
        update = _update(ctx, tracking_id)
        ctx.memo["message"] = (update, _push(ctx, [update])[0])
    return ctx.memo["message"]


def updates_message(ctx: Context) -> str:
    _, tracking_id = ctx.check_report()
    update, result = _message_update(ctx)
    require(result["outcome"] == "applied", f"a message-only update was answered {outcome(result)}")
    require(result["update_id"] == update["update_id"], "the result names another update_id")
    stored = ctx.stored(tracking_id)
    require(
        result["status"] == stored["status"],
        f"the result says status {result['status']}, the report has {stored['status']}",
    )
    if "updates" in stored:
        require(
            update["update_id"] in [u["update_id"] for u in stored["updates"]],
            "the report's history does not hold the applied update",
        )
    return "applied, status unchanged"


def updates_duplicate(ctx: Context) -> str:
    update, _ = _message_update(ctx)
    [result] = _push(ctx, [update])
    require(
        result["outcome"] == "duplicate", f"the same update again was answered {outcome(result)}"
    )
    return "duplicate"


def updates_unknown_report(ctx: Context) -> str:
    [result] = _push(ctx, [_update(ctx, f"conformance-unknown-{secrets.token_hex(4)}")], probe=True)
    require(
        result["outcome"] == "unknown_report",
        f"an update of an unknown report was answered {outcome(result)}",
    )
    require(result["status"] is None, "status is not null for unknown_report")
    return "unknown_report"


def updates_rejected(ctx: Context) -> str:
    _, tracking_id = ctx.check_report()
    [result] = _push(ctx, [_update(ctx, tracking_id, actor="robot")], probe=True)
    require(result["outcome"] == "rejected", f"an invalid update was answered {outcome(result)}")
    paths = [e["path"] for e in result["errors"]]
    require("$.actor" in paths, f"the errors name {', '.join(paths) or 'no path'}, not $.actor")
    return "rejected at $.actor"


# -- reconcile-digests -------------------------------------------------------------------


def reconcile_digest(ctx: Context) -> str:
    body = expect(ctx.client.call("getReconcileDigest", params={"buckets": BUCKETS}), 200)
    require(
        body["buckets"] == BUCKETS, f"asked for {BUCKETS} buckets, got buckets={body['buckets']}"
    )
    require(
        len(body["digests"]) == BUCKETS, f"{len(body['digests'])} digests for {BUCKETS} buckets"
    )
    require(body["count"] >= 1, "count is 0 although the check report is stored")
    return f"{BUCKETS} digests over {body['count']} reports"


def reconcile_bucket(ctx: Context) -> str:
    report, tracking_id = ctx.check_report()
    source = report["source"]
    index = digest.bucket_of(source["channel_id"], source["source_ref"], BUCKETS)
    for _ in range(2):  # a live hub may take a report between the two reads: read both again once
        entries = _bucket(ctx, index)
        hubs = expect(ctx.client.call("getReconcileDigest", params={"buckets": BUCKETS}), 200)[
            "digests"
        ]
        recomputed = digest.digests([digest.Entry(**e) for e in entries], BUCKETS)[index]
        if recomputed == hubs[index]:
            break
    require(
        recomputed == hubs[index],
        f"bucket {index}: digest {hubs[index]}, its entries give {recomputed}",
    )
    mine = [
        e
        for e in entries
        if (e["channel_id"], e["source_ref"]) == (source["channel_id"], source["source_ref"])
    ]
    require(len(mine) == 1, f"bucket {index} lists the check report {len(mine)} times")
    require(mine[0]["tracking_id"] == tracking_id, "the entry has another tracking id")
    require(
        mine[0]["content_hash"] == content_hash(report),
        "the entry's content_hash is not the report's",
    )
    require(
        mine[0]["status"] == ctx.stored(tracking_id)["status"],
        "the entry's status is not the report's",
    )
    return f"bucket {index}: {len(entries)} entries, digest recomputed"


def _bucket(ctx: Context, index: int) -> list[dict]:
    body = expect(
        ctx.client.call("getReconcileBucket", path={"bucket": index}, params={"buckets": BUCKETS}),
        200,
    )
    require(
        (body["bucket"], body["buckets"]) == (index, BUCKETS), "the answer names another bucket"
    )
    keys = [(e["channel_id"], e["source_ref"]) for e in body["entries"]]
    require(keys == sorted(keys), "entries are not in key order")
    strays = [k for k in keys if digest.bucket_of(*k, BUCKETS) != index]
    require(not strays, f"{len(strays)} entries belong to other buckets")
    return body["entries"]


def reconcile_bad_buckets(ctx: Context) -> str:
    answer = ctx.client.call("getReconcileDigest", params={"buckets": 3}, probe=True)
    require(answer.status == 400, f"{answer.describe()}; expected 400 for buckets=3")
    ctx.refused(answer, 400)
    return "buckets=3 refused with 400"


# -- audit-checkpoints -------------------------------------------------------------------


def _checkpoints(ctx: Context) -> list[dict]:
    found = expect(ctx.client.call("listCheckpoints"), 200)["checkpoints"]
    seqs = [c["seq"] for c in found]
    require(seqs == sorted(set(seqs)), "checkpoints are not in seq order")
    return found


def _held_checkpoints(ctx: Context) -> list[dict]:
    found = _checkpoints(ctx)
    if not found:
        raise CheckSkipped(
            "the hub holds no checkpoint of this connector, and a check never posts a new seq"
        )
    return found


def checkpoints_list(ctx: Context) -> str:
    return f"{len(_checkpoints(ctx))} checkpoints, in seq order"


def checkpoints_repeat(ctx: Context) -> str:
    last = _held_checkpoints(ctx)[-1]
    answer = ctx.client.call("postCheckpoint", body=last)
    body = expect(answer, 200)
    require(
        (body["seq"], body["hash"]) == (last["seq"], last["hash"]),
        "the answer is not the stored checkpoint",
    )
    return f"seq {last['seq']} again: 200"


def checkpoints_conflict(ctx: Context) -> str:
    before = _held_checkpoints(ctx)
    last = before[-1]
    other = {**last, "hash": ("0" if last["hash"][0] != "0" else "1") + last["hash"][1:]}
    answer = ctx.client.call("postCheckpoint", body=other, probe=True)
    require(
        answer.status == 409,
        f"{answer.describe()}; expected 409 for seq {last['seq']} with another hash",
    )
    ctx.refused(answer, 409)
    require(
        _checkpoints(ctx) == before,
        "the checkpoints changed although the conflicting one was refused",
    )
    return f"seq {last['seq']} with another hash: 409, nothing changed"


def checkpoints_invalid(ctx: Context) -> str:
    answer = ctx.client.call(
        "postCheckpoint", body={"seq": -1, "hash": "not-a-hash", "at": "yesterday"}, probe=True
    )
    ctx.refused(answer, 400)
    return f"{answer.status} {answer.error_code}"


# -- statistics --------------------------------------------------------------------------


def stats_shape(ctx: Context) -> str:
    ctx.check_report()
    stats = expect(ctx.client.call("getStats"), 200)
    require(stats["reports"] >= 1, "reports is 0 although the check report is stored")
    if "statuses" in stats and sum(stats["statuses"].values()) != stats["reports"]:
        ctx.note("the statuses do not add up to reports")
    return f"{stats['reports']} reports"


OPTIONAL_CHECKS = tuple(
    Check(capability, name, run)
    for capability, name, run in (
        (C.UPDATES_FEED, "feed.page", feed_page),
        (C.UPDATES_FEED, "feed.end", feed_end),
        (C.STATUS_PUSH, "updates.message", updates_message),
        (C.STATUS_PUSH, "updates.duplicate", updates_duplicate),
        (C.STATUS_PUSH, "updates.unknown-report", updates_unknown_report),
        (C.STATUS_PUSH, "updates.rejected", updates_rejected),
        (C.RECONCILE_DIGESTS, "reconcile.digest", reconcile_digest),
        (C.RECONCILE_DIGESTS, "reconcile.bucket", reconcile_bucket),
        (C.RECONCILE_DIGESTS, "reconcile.bad-buckets", reconcile_bad_buckets),
        (C.AUDIT_CHECKPOINTS, "checkpoints.list", checkpoints_list),
        (C.AUDIT_CHECKPOINTS, "checkpoints.repeat", checkpoints_repeat),
        (C.AUDIT_CHECKPOINTS, "checkpoints.conflict", checkpoints_conflict),
        (C.AUDIT_CHECKPOINTS, "checkpoints.invalid", checkpoints_invalid),
        (C.STATISTICS, "stats.shape", stats_shape),
    )
)
