"""The core checks of `check-hub`: what every hub must do, by the published document.

One function per check, listed in `CORE_CHECKS` in the order they run: the document,
tokens, delivering and reading back, the idempotency rules, per-item rejection, batch
limits and malformed requests (4xx, never 5xx).

Not here: the optional capabilities (`checks_optional.py`), running (`check_hub.py`).
"""

from __future__ import annotations

import copy
import re
import secrets
from collections import Counter

from .. import capabilities as C
from ..canonical import content_hash
from . import contract
from .checks import (
    Check,
    Context,
    changed,
    expect,
    fail,
    first_difference,
    outcome,
    require,
    same,
)

TRACKING_ID = re.compile(contract.schema_at(contract.component("TrackingId"))["pattern"])
SLOW_PAGES = (
    20  # pages walked one report at a time; the rest of a large listing goes 1000 at a time
)
MAX_PAGES = 100_000


def openapi_document(ctx: Context) -> str:
    document = expect(ctx.openapi, 200)
    missing = C.missing_operations(document, C.CORE)
    require(not missing, "does not list " + ", ".join(f"{m} {p}" for m, p in missing))
    declared = [cap for cap in C.OPTIONAL if cap in C.offered(document)]
    partial = [
        cap
        for cap in C.OPTIONAL
        if cap not in declared
        and len(C.missing_operations(document, cap)) < len(C.operations()[cap])
    ]
    if partial:
        ctx.note(f"lists only part of {', '.join(partial)}, so it is not offered")
    return f"lists every core operation; declares {', '.join(declared) or 'no optional capability'}"


def auth_no_token(ctx: Context) -> str:
    return _unauthorized(ctx, None)


def auth_wrong_token(ctx: Context) -> str:
    return _unauthorized(ctx, f"conformance-wrong-{secrets.token_hex(8)}")


def _unauthorized(ctx: Context, token: str | None) -> str:
    answer = ctx.client.call("listReports", params={"limit": 1}, token=token, probe=True)
    require(answer.status == 401, f"{answer.describe()}; expected 401")
    ctx.refused(answer, 401)
    return "401 with a JSON error"


def reports_create(ctx: Context) -> str:
    _, tracking_id = ctx.check_report()
    require(TRACKING_ID.fullmatch(tracking_id), f"tracking id {tracking_id!r} is not a TrackingId")
    return f"created, tracking id {tracking_id}"


def reports_get(ctx: Context) -> str:
    report, tracking_id = ctx.check_report()
    stored = ctx.stored(tracking_id)
    require(
        stored["tracking_id"] == tracking_id,
        f"GET {tracking_id} gave report {stored['tracking_id']}",
    )
    difference = first_difference(report, stored["report"])
    require(difference is None, f"the report differs from what was sent at {difference}")
    if "content_hash" in stored:
        require(
            stored["content_hash"] == content_hash(report),
            "content_hash is not the sha256 of its canonical JSON",
        )
    return f"exactly as sent, status {stored['status']}"


def reports_find(ctx: Context) -> str:
    report, tracking_id = ctx.check_report()
    source = report["source"]
    params = {"channel_id": source["channel_id"], "source_ref": source["source_ref"]}
    page = expect(ctx.client.call("listReports", params=params), 200)
    found = [r["tracking_id"] for r in page["reports"]]
    require(
        found == [tracking_id],
        f"channel_id + source_ref found {found or 'nothing'}, not [{tracking_id}]",
    )
    require(page["next_after"] is None, "next_after is not null on the only page")
    require(
        same(page["reports"][0]["report"], report), "the listed report differs from what was sent"
    )
    return "the one report with that key"


def reports_paging(ctx: Context) -> str:
    _, first = ctx.check_report()
    results = ctx.submit([ctx.new_report(), ctx.new_report()])
    require(
        all(r["outcome"] == "created" for r in results),
        "new reports were answered " + ", ".join(outcome(r) for r in results),
    )
    ours = {first, *(r["tracking_id"] for r in results)}
    seen, pages = _walk(ctx)
    repeated = sorted(t for t, n in Counter(seen).items() if n > 1)
    require(not repeated, f"listed more than once: {', '.join(repeated[:5])}")
    missing = sorted(ours - set(seen))
    require(not missing, f"never listed: {', '.join(missing)}")
    return f"{pages} pages, {len(seen)} reports, each once"


def _walk(ctx: Context) -> tuple[list[str], int]:
    seen, after, pages = [], None, 0
    while True:
        limit = 1 if pages < SLOW_PAGES else 1000
        params = {"limit": limit, **({"after": after} if after is not None else {})}
        page = expect(ctx.client.call("listReports", params=params), 200)
        pages += 1
        require(
            len(page["reports"]) <= limit,
            f"a page of limit={limit} held {len(page['reports'])} reports",
        )
        if any("updates" in r for r in page["reports"]):
            ctx.note(
                "listed reports carry `updates`; the document gives them for a single report only"
            )
        seen += [r["tracking_id"] for r in page["reports"]]
        if page["next_after"] is None:
            return seen, pages
        require(
            page["next_after"] != after, f"next_after {after} repeats: the walk would never end"
        )
        require(pages < MAX_PAGES, f"still not at the end after {MAX_PAGES} pages")
        after = page["next_after"]


def reports_duplicate(ctx: Context) -> str:
    report, tracking_id = ctx.check_report()
    [result] = ctx.submit([copy.deepcopy(report)])
    require(
        result["outcome"] == "duplicate", f"the same report again was answered {outcome(result)}"
    )
    require(
        result["tracking_id"] == tracking_id,
        f"a duplicate got tracking id {result['tracking_id']}, not the stored {tracking_id}",
    )
    return "same tracking id"


def reports_conflict(ctx: Context) -> str:
    report, tracking_id = ctx.check_report()
    other = changed(report, title=f"{report['title']} (isi berbeda: uji konflik)")
    [result] = ctx.submit([other], probe=True)
    require(
        result["outcome"] == "conflict",
        f"the same key with other content was answered {outcome(result)}",
    )
    require(
        result["tracking_id"] == tracking_id,
        f"a conflict named tracking id {result['tracking_id']}",
    )
    stored = ctx.stored(tracking_id)
    require(
        same(stored["report"], report), "the stored report was overwritten by the conflicting one"
    )
    return "nothing overwritten"


def reports_rejection(ctx: Context) -> str:
    valid, invalid = ctx.new_report(), ctx.new_report()
    invalid["privacy"]["anonymous"] = "yes"
    created, rejected = ctx.submit([valid, invalid], probe=True)
    require(
        created["outcome"] == "created",
        f"the valid report beside an invalid one was answered {outcome(created)}",
    )
    _require_rejected(rejected, "$.privacy.anonymous")
    require(not ctx.found(invalid), "the rejected report was stored")
    return "[created, rejected at $.privacy.anonymous]; the invalid one not stored"


def reports_blank_string(ctx: Context) -> str:
    blank = changed(ctx.new_report(), title="   ")
    [result] = ctx.submit([blank], probe=True)
    _require_rejected(result, "$.title")
    require(not ctx.found(blank), "the rejected report was stored")
    return "rejected at $.title"


def reports_foreign_connector(ctx: Context) -> str:
    foreign = ctx.new_report()
    other = "conformance-other" if ctx.connector_id != "conformance-other" else "conformance-x"
    foreign["source"]["connector_id"] = other
    [result] = ctx.submit([foreign], probe=True)
    _require_rejected(result, "$.source.connector_id")
    return "rejected at $.source.connector_id"


def reports_personal_data(ctx: Context) -> str:
    marker = (
        "0800-conformance-check"  # not a real number: an invalid phone the messages must not repeat
    )
    report = ctx.new_report()
    report["complainant"] = {"phone": marker}
    [result] = ctx.submit([report], probe=True)
    _require_rejected(result, "$.complainant.phone")
    require(
        not any(marker in str(e.get("message")) for e in result["errors"]),
        "an error message quotes the value under $.complainant",
    )
    return "rejected at $.complainant.phone without quoting the value"


def _require_rejected(result: dict, path: str) -> None:
    require(result["outcome"] == "rejected", f"an invalid report was answered {outcome(result)}")
    require(result["tracking_id"] is None, "a rejected report has a tracking id")
    paths = [e["path"] for e in result["errors"]]
    require(path in paths, f"the errors name {', '.join(paths) or 'no path'}, not {path}")


def batch_empty(ctx: Context) -> str:
    answer = ctx.client.call("submitReports", body={"reports": []}, probe=True)
    ctx.refused(answer, 422)
    return f"{answer.status} {answer.error_code}"


def batch_too_large(ctx: Context) -> str:
    reports = [ctx.new_report() for _ in range(501)]
    answer = ctx.client.call("submitReports", body={"reports": reports}, probe=True)
    ctx.refused(answer, 422)
    stored = [
        r["source"]["source_ref"] for r in (reports[0], reports[250], reports[-1]) if ctx.found(r)
    ]
    require(not stored, f"refused, yet stored {', '.join(stored)}")
    return f"{answer.status} {answer.error_code}, nothing stored"


def batch_malformed_json(ctx: Context) -> str:
    answer = ctx.client.call("submitReports", data=b'{"reports": [', probe=True)
    require(answer.status == 400, f"{answer.describe()}; expected 400")
    ctx.refused(answer, 400)
    return f"400 {answer.error_code}"


def reports_unknown(ctx: Context) -> str:
    answer = ctx.client.call(
        "getReport", path={"tracking_id": f"conformance-unknown-{secrets.token_hex(4)}"}, probe=True
    )
    require(answer.status == 404, f"{answer.describe()}; expected 404")
    ctx.refused(answer, 404)
    return f"404 {answer.error_code}"


# Requests the document refuses, each of which must be a 4xx with the error body, never 5xx.
MALFORMED = (
    ("body is an array", "submitReports", {"data": b"[]"}),
    ("reports is not an array", "submitReports", {"body": {"reports": "none"}}),
    ("an item is not an object", "submitReports", {"body": {"reports": [1]}}),
    ("body is not UTF-8", "submitReports", {"data": b'{"reports": ["\xff"]}'}),
    ("NaN in the body", "submitReports", {"data": b'{"reports": [NaN]}'}),
    ("limit=0", "listReports", {"params": {"limit": "0"}}),
    ("limit=1001", "listReports", {"params": {"limit": "1001"}}),
    ("limit is not a number", "listReports", {"params": {"limit": "ten"}}),
    ("after is not a tracking id", "listReports", {"params": {"after": "not/a tracking id"}}),
    ("tracking id of 65 characters", "getReport", {"path": {"tracking_id": "x" * 65}}),
)


def malformed_probes(ctx: Context) -> str:
    failures = []
    for name, operation_id, request in MALFORMED:
        answer = ctx.client.call(operation_id, probe=True, **request)
        if not 400 <= answer.status < 500 or answer.problems:
            failures.append(
                f"{name}: {answer.status}" + (f" ({answer.problems[0]})" if answer.problems else "")
            )
    if failures:
        fail("; ".join(failures))
    return f"{len(MALFORMED)} malformed requests, each 4xx"


CORE_CHECKS = tuple(
    Check(C.CORE, name, run)
    for name, run in (
        ("openapi.document", openapi_document),
        ("auth.no-token", auth_no_token),
        ("auth.wrong-token", auth_wrong_token),
        ("reports.create", reports_create),
        ("reports.get", reports_get),
        ("reports.find", reports_find),
        ("reports.paging", reports_paging),
        ("reports.duplicate", reports_duplicate),
        ("reports.conflict", reports_conflict),
        ("reports.per-item-rejection", reports_rejection),
        ("reports.blank-string", reports_blank_string),
        ("reports.foreign-connector", reports_foreign_connector),
        ("reports.personal-data", reports_personal_data),
        ("reports.unknown-tracking-id", reports_unknown),
        ("batch.empty", batch_empty),
        ("batch.too-large", batch_too_large),
        ("batch.malformed-json", batch_malformed_json),
        ("probes.malformed", malformed_probes),
    )
)
