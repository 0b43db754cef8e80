"""The reference hub against its own OpenAPI document, with schemathesis; and one plain
test for each defect schemathesis (or a look around after it) found.

`test_schemathesis_finds_nothing` starts the hub on loopback and runs the schemathesis CLI
against the document the hub serves (`GET /api/v1/openapi.json`): every check, the
coverage, fuzzing and stateful phases, each security scheme with its own token (a
connector's for `bearer`, the national side's for `admin`), every schemathesis warning
an error (so a run that never got past auth, or never reached a stored report, fails).
Twice: on a hub with faults disabled, as a region meets it, and on one with faults
enabled, for the drift operations (`POST /_faults` is left out: its rules make the hub
misbehave on purpose). `LAPOR_SCHEMATHESIS_EXAMPLES` (default 40, about a minute for
both runs on 2 cores) and `LAPOR_SCHEMATHESIS_SEED` make a longer or another run.

This file is also the hooks module of those runs (SCHEMATHESIS_HOOKS). The hooks tell
schemathesis what the document says in words but cannot say in a schema, so that a
request it counts as valid is one the document calls valid: a bucket below `buckets`,
an update addressed to the path's report by the token's own connector, drifted content
that keeps its report's source key. Each replaces only values already of the right
shape, so a request made invalid on purpose stays invalid. And they give it data to
work on: links from a delivered report to the operations that take its tracking id (the
contract has none yet), and a first item of each valid batch that is a valid report
(or update) of this connector; without them every tracking id it tried would be unknown.

Not here: the hub's behaviour beyond the contract's shapes (tests/test_hub*.py).
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from hub_helpers import (
    ADMIN_TOKEN,
    KALSEL_TOKEN,
    auth,
    hub_settings,
    make_report,
    make_update,
    running_hub,
)

from lapor_exchange import documents
from lapor_exchange.problems import openapi_validator, validator_for
from lapor_exchange.problems import problems as schema_problems
from lapor_hub.app import create_app

HERE = Path(__file__).resolve()
EXAMPLES = int(os.environ.get("LAPOR_SCHEMATHESIS_EXAMPLES", "40"))
# Fixed, so that CI repeats itself; set another (or a random one) for a run that explores.
SEED = os.environ.get("LAPOR_SCHEMATHESIS_SEED", "20251204")
RUN_TIMEOUT_S = max(600, 6 * EXAMPLES)  # only stops a hung run: 40 examples take about 30 s

BATCH, UPDATES, CHECKPOINTS = (
    "/api/v1/reports:batch",
    "/api/v1/updates:batch",
    "/api/v1/audit/checkpoints",
)
HASH = "0" * 64


# == the schemathesis runs =============================================================


def schemathesis_command(url: str, config: Path, *extra: str) -> list[str]:
    """`schemathesis run` on the hub's own document: every check, every phase (the document
    has no examples yet, so that phase is skipped until it has)."""
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "run",
        f"{url}/api/v1/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        SEED,
        "--no-color",
        *extra,
    ]


def write_config(folder: Path) -> Path:
    """Tokens per security scheme, and every warning (no auth, no test data reached…) a failure."""
    config = folder / "schemathesis.toml"
    config.write_text(
        f'[auth.openapi.bearer]\nbearer = "{KALSEL_TOKEN}"\n'
        f'[auth.openapi.admin]\nbearer = "{ADMIN_TOKEN}"\n'
        "[warnings]\nfail-on = true\n",
        encoding="utf-8",
    )
    return config


def run_schemathesis(
    folder: Path, faults_enabled: bool, *extra: str
) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(HERE),
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])
        ),
    }
    with running_hub(folder, faults_enabled=faults_enabled) as (_app, server):
        command = schemathesis_command(server.url, write_config(folder), *extra)
        return subprocess.run(
            command, env=env, cwd=folder, capture_output=True, text=True, timeout=RUN_TIMEOUT_S
        )


@pytest.mark.parametrize(
    "faults_enabled, extra",
    [
        (False, ()),
        (
            True,
            (
                "--include-path-regex",
                "^/api/v1/(reports:batch|admin/|_faults)",
                "--exclude-operation-id",
                "setFaults",
            ),
        ),
    ],
    ids=["as-a-region-meets-it", "drift-operations"],
)
def test_schemathesis_finds_nothing(tmp_path, faults_enabled, extra):
    finished = run_schemathesis(tmp_path, faults_enabled, *extra)
    assert finished.returncode == 0 and "No issues found" in finished.stdout, (
        finished.stdout[-20000:] + finished.stderr[-5000:]
    )


# == the hooks of those runs (loaded by schemathesis from this file) =================

TRACKING_ID = re.compile(documents.openapi()["components"]["schemas"]["TrackingId"]["pattern"])
IDENTIFIER = re.compile(documents.openapi()["components"]["schemas"]["Identifier"]["pattern"])
TEXT512 = re.compile(r"^(?=.*\S).{1,512}$", re.DOTALL)
SOURCE_KEY = {"connector_id": IDENTIFIER, "channel_id": IDENTIFIER, "source_ref": TEXT512}
BUCKET_COUNTS = {2**i for i in range(17)}
_source_refs = itertools.count(1)
_delivered: dict[
    str, dict
] = {}  # tracking id -> its report's source key, for every report the hub showed


def _link(operation_id: str, **parameters) -> dict:
    return {"operationId": operation_id, "parameters": parameters}


@schemathesis.hook
def before_load_schema(context, raw_schema):
    """Links the document lacks (the contract has none yet), to operations it lists."""
    operation_ids = {
        op.get("operationId") for item in raw_schema["paths"].values() for op in item.values()
    }
    tracking_id = "$response.body#/results/0/tracking_id"
    links = {
        name: _link(target, tracking_id=tracking_id)
        for name, target in [
            ("GetReport", "getReport"),
            ("SubmitUpdate", "submitUpdate"),
            ("ActOnReport", "actOnReport"),
            ("GetAnyReport", "getAnyReport"),
            ("RemoveReport", "removeReport"),
            ("SetReportStatus", "setReportStatus"),
            ("SetReportContent", "setReportContent"),
            ("SetReportTrackingId", "setReportTrackingId"),
        ]
    }
    links["ListAfter"] = _link("listReports", after=tracking_id)
    batch = raw_schema["paths"][BATCH]["post"]["responses"]["200"]
    batch.setdefault("links", {}).update(
        {n: link for n, link in links.items() if link["operationId"] in operation_ids}
    )
    digest = raw_schema["paths"]["/api/v1/reconcile/digest"]["get"]["responses"]["200"]
    digest.setdefault("links", {})["Bucket"] = _link(
        "getReconcileBucket", buckets="$response.body#/buckets", bucket=0
    )


@schemathesis.hook
def before_call(context, case, kwargs):
    """Keep a valid case valid by the document's words too, and give it data to work on.

    Here rather than in `map_case`: in the stateful phase a link sets the tracking id
    after the case is generated, and schemathesis re-judges a case edited here.
    """
    path = case.operation.path
    positive = (
        case.meta is not None
        and case.meta.generation.mode == schemathesis.GenerationMode.POSITIVE
        and case.method.upper() == "POST"
        and isinstance(case.body, dict)
    )
    if path == "/api/v1/reconcile/buckets/{bucket}":
        _bucket_below_buckets(case)
    elif path == "/api/v1/reports/{tracking_id}/updates":
        _update_from_this_connector(case, case.path_parameters.get("tracking_id"))
    elif path == "/api/v1/admin/reports/{tracking_id}/content":
        _content_keeps_its_source(case, _delivered.get(case.path_parameters.get("tracking_id")))
    elif path == BATCH and positive:
        case.body["reports"][0] = make_report(f"ST-{next(_source_refs)}")
    elif path == UPDATES and positive and _delivered:
        newest = next(reversed(_delivered))
        case.body["updates"][0] = make_update(
            newest, f"st-{next(_source_refs)}", message="diproses"
        )


@schemathesis.hook
def after_call(context, case, response):
    """Remember every report the hub shows, by its tracking id: delivered, or drifted."""
    # The coverage phase also sends other methods (OPTIONS answers 200, empty). Schemathesis
    # gives header names in lower case, each with a list of values.
    if response.status_code != 200 or "application/json" not in response.headers.get(
        "content-type", []
    ):
        return
    answer = response.json()
    if case.operation.path == BATCH and response.request.method == "POST":
        for result in answer["results"]:
            if result["tracking_id"] is not None:
                _remember(result["tracking_id"], case.body["reports"][result["index"]])
    elif isinstance(answer, dict) and {"tracking_id", "report"} <= set(answer):
        _remember(answer["tracking_id"], answer["report"])


def _remember(tracking_id: str, report: dict) -> None:
    _delivered[tracking_id] = {name: report["source"][name] for name in SOURCE_KEY}


def _bucket_below_buckets(case) -> None:
    """The document's words: a bucket is below `buckets` (400 otherwise)."""
    raw, count = case.path_parameters.get("bucket"), _number((case.query or {}).get("buckets"))
    bucket = _number(raw)
    if bucket is not None and count in BUCKET_COUNTS and 0 <= bucket <= 65535:
        case.path_parameters["bucket"] = type(raw)(bucket % count)


def _update_from_this_connector(case, path_tracking_id) -> None:
    """The hub's words: the update's tracking_id is the path's, its connector the token's.
    Only values already of the right shape are replaced, so a negative case stays negative."""
    body = case.body
    if not isinstance(body, dict) or not isinstance(path_tracking_id, str):
        return
    if _fits(TRACKING_ID, body.get("tracking_id")) and _fits(TRACKING_ID, path_tracking_id):
        body["tracking_id"] = path_tracking_id
    origin = body.get("origin")
    if isinstance(origin, dict) and _fits(IDENTIFIER, origin.get("connector_id")):
        origin["connector_id"] = "kalsel"


def _content_keeps_its_source(case, stored_key: dict | None) -> None:
    """The hub's words: drifted content keeps the stored report's source key (409 otherwise)."""
    report = case.body.get("report") if isinstance(case.body, dict) else None
    source = report.get("source") if isinstance(report, dict) else None
    if stored_key is None or not isinstance(source, dict):
        return
    for name, pattern in SOURCE_KEY.items():
        if _fits(pattern, source.get(name)):
            source[name] = stored_key[name]


def _fits(pattern: re.Pattern, value) -> bool:
    return isinstance(value, str) and bool(pattern.match(value))


def _number(value) -> int | None:
    """An int, or the digits schemathesis sends for one in a path or query."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and re.fullmatch(r"[0-9]{1,6}", value) else None


# == each defect found, pinned without schemathesis ===================================


@pytest.fixture
def hub_app(tmp_path):
    """A hub as a region meets it: faults disabled."""
    app = create_app(hub_settings(tmp_path, faults_enabled=False))
    yield app
    app.extensions["lapor_hub"].close()


@pytest.fixture
def region(hub_app):
    return hub_app.test_client()


def deliver(client, source_ref: str = "C-1") -> str:
    response = client.post(BATCH, json={"reports": [make_report(source_ref)]}, headers=auth())
    return response.get_json()["results"][0]["tracking_id"]


def refused(response, status: int, code: str) -> None:
    assert (response.status_code, response.get_json()["error"]["code"]) == (status, code), (
        response.get_data()
    )
    assert set(response.get_json()["error"]) == {"code", "message"}


def conforms(document: dict, name: str, instance) -> list:
    """Problems of `instance` against a component of `document`, its references resolved there."""
    return schema_problems(
        instance,
        validator_for(
            {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
        ),
    )


# -- bodies: JSON as the contract means it --------------------------------------------

_VALID_BATCH = json.dumps({"reports": [make_report("B-1")]})
_BAD_BODIES = {  # name: (body, Content-Type)
    "text-plain": (_VALID_BATCH.encode(), "text/plain"),
    "no-content-type": (_VALID_BATCH.encode(), None),
    "latin-1-charset": (_VALID_BATCH.encode(), "application/json; charset=latin-1"),
    "not-utf-8": (b'{"reports": [{"title": "\xff"}]}', "application/json"),
    "utf-16": (_VALID_BATCH.encode("utf-16"), "application/json"),
    "nan": (
        _VALID_BATCH.replace('"title_derived": false', '"title_derived": NaN').encode(),
        "application/json",
    ),
    "infinity": (b'{"reports": [{"lat": -Infinity}]}', "application/json"),
    "number-beyond-a-double": (
        _VALID_BATCH.replace('"portal"', '"portal", "x": 1e400').encode(),
        "application/json",
    ),
    "integer-of-5000-digits": (
        b'{"reports": [{"size": ' + b"9" * 5000 + b"}]}",
        "application/json",
    ),
    # An object item, which would otherwise be answered per item: the depth alone refuses it.
    "nested-65-deep": (b'{"reports": [{"a": ' + b"[" * 62 + b"]" * 62 + b"}]}", "application/json"),
    "nested-100000-deep": (
        b'{"reports": [{"a": ' + b"[" * 100_000 + b"]" * 100_000 + b"}]}",
        "application/json",
    ),
    "empty": (b"", "application/json"),
}


@pytest.mark.parametrize("name", list(_BAD_BODIES))
def test_a_body_that_is_not_json_as_the_contract_means_it_is_400(hub_app, region, name):
    body, content_type = _BAD_BODIES[name]
    headers = {**auth(), **({"Content-Type": content_type} if content_type else {})}
    refused(region.post(BATCH, data=body, headers=headers), 400, "bad_request")
    assert region.get("/api/v1/stats", headers=auth()).get_json()["reports"] == 0


def test_json_with_charset_utf_8_is_taken(region):
    headers = {**auth(), "Content-Type": "application/json; charset=UTF-8"}
    response = region.post(BATCH, data=_VALID_BATCH, headers=headers)
    assert response.status_code == 200 and response.get_json()["results"][0]["outcome"] == "created"


def test_a_body_nested_64_deep_is_judged_item_by_item(region):
    body = b'{"reports": [{"a": ' + b"[" * 61 + b"]" * 61 + b"}]}"
    response = region.post(BATCH, data=body, headers={**auth(), "Content-Type": "application/json"})
    assert (
        response.status_code == 200 and response.get_json()["results"][0]["outcome"] == "rejected"
    )


_BODY_ENDPOINTS = {
    "reports-batch": ("post", BATCH, KALSEL_TOKEN),
    "updates-batch": ("post", UPDATES, KALSEL_TOKEN),
    "checkpoint": ("post", CHECKPOINTS, KALSEL_TOKEN),
    "one-update": ("post", "/api/v1/reports/1000001/updates", KALSEL_TOKEN),
    "act": ("post", "/api/v1/admin/reports/1000001/act", ADMIN_TOKEN),
}


@pytest.mark.parametrize("endpoint", list(_BODY_ENDPOINTS))
def test_every_body_must_be_sent_as_json(region, endpoint):
    method, path, token = _BODY_ENDPOINTS[endpoint]
    deliver(region)
    response = getattr(region, method)(
        path, data='{"a": 1}', headers={**auth(token), "Content-Type": "text/plain"}
    )
    refused(response, 400, "bad_request")


def test_a_body_past_the_size_limit_is_413_too_large(hub_app, region):
    hub_app.config["MAX_CONTENT_LENGTH"] = 1000
    refused(
        region.post(
            BATCH, data=b"x" * 2000, headers={**auth(), "Content-Type": "application/json"}
        ),
        413,
        "too_large",
    )


# -- batches: each item an object, nothing beside the list ------------------------------

_BAD_BATCHES = {
    "item-is-a-list": [[None, None]],
    "item-is-a-string": ["not a report"],
    "item-is-null": [None],
    "item-is-a-number": [1],
}


@pytest.mark.parametrize("name", list(_BAD_BATCHES))
@pytest.mark.parametrize(
    "path, member", [(BATCH, "reports"), (UPDATES, "updates")], ids=["reports", "updates"]
)
def test_a_batch_whose_items_are_not_objects_is_400(region, path, member, name):
    refused(
        region.post(path, json={member: _BAD_BATCHES[name]}, headers=auth()), 400, "bad_request"
    )


@pytest.mark.parametrize(
    "path, member", [(BATCH, "reports"), (UPDATES, "updates")], ids=["reports", "updates"]
)
def test_a_batch_with_another_member_is_400(region, path, member):
    refused(region.post(path, json={member: [{}], "extra": 1}, headers=auth()), 400, "bad_request")


@pytest.mark.parametrize(
    "path, member, result",
    [(BATCH, "reports", "BatchResult"), (UPDATES, "updates", "UpdateBatchResult")],
    ids=["reports", "updates"],
)
def test_an_object_that_is_no_valid_item_is_rejected_in_the_contracts_shape(
    region, path, member, result
):
    response = region.post(path, json={member: [{}, {"a": [1, {"b": None}]}]}, headers=auth())
    assert response.status_code == 200
    answers = response.get_json()
    assert [r["outcome"] for r in answers["results"]] == ["rejected", "rejected"]
    assert schema_problems(answers, openapi_validator(result)) == []


# -- query and path parameters ----------------------------------------------------------

_BAD_QUERIES = {
    "source-ref-blank": "/api/v1/reports?source_ref=%0C",
    "source-ref-empty": "/api/v1/reports?source_ref=",
    "source-ref-513-chars": "/api/v1/reports?source_ref=" + "r" * 513,
    "channel-id-upper-case": "/api/v1/reports?channel_id=Laporpaman",
    "channel-id-empty": "/api/v1/reports?channel_id=",
    "after-with-a-space": "/api/v1/reports?after=a%20b",
    "after-65-chars": "/api/v1/reports?after=" + "1" * 65,
    "limit-superscript-two": "/api/v1/reports?limit=%C2%B2",
    "limit-twice": "/api/v1/reports?limit=2&limit=3",
    "limit-empty": "/api/v1/reports?limit=",
    "feed-after-superscript": "/api/v1/updates?after=%C2%B2",
    "feed-limit-twice": "/api/v1/updates?limit=5&limit=5",
    "buckets-empty": "/api/v1/reconcile/digest?buckets=",
    "buckets-twice": "/api/v1/reconcile/digest?buckets=16&buckets=16",
    "bucket-superscript": "/api/v1/reconcile/buckets/%C2%B2?buckets=16",
    "bucket-30-digits": "/api/v1/reconcile/buckets/" + "9" * 30 + "?buckets=16",
    "bucket-past-the-count": "/api/v1/reconcile/buckets/65534?buckets=1",
}


@pytest.mark.parametrize("name", list(_BAD_QUERIES))
def test_a_parameter_outside_the_contract_is_400(region, name):
    refused(region.get(_BAD_QUERIES[name], headers=auth()), 400, "bad_request")


_EMPTY_PAGES = {
    "list-after-a-tracking-id-never-issued": ("/api/v1/reports?after=9I06", "reports"),
    "list-after-64-digits": ("/api/v1/reports?after=" + "9" * 64, "reports"),
    "feed-after-30-digits": ("/api/v1/updates?after=" + "9" * 30, "updates"),
}


@pytest.mark.parametrize("name", list(_EMPTY_PAGES))
def test_a_valid_after_past_everything_is_an_empty_last_page(tmp_path, store_url, name):
    # On both backends: a number past a BIGINT column's range made both drivers raise.
    path, items = _EMPTY_PAGES[name]
    app = create_app(hub_settings(tmp_path, faults_enabled=False, store_url=store_url))
    try:
        client = app.test_client()
        deliver(client)
        response = client.get(path, headers=auth())
        assert (response.status_code, response.get_json()) == (200, {items: [], "next_after": None})
    finally:
        app.extensions["lapor_hub"].close()


def test_an_after_before_every_tracking_id_lists_from_the_start(region):
    tracking_id = deliver(region)
    page = region.get("/api/v1/reports?after=0", headers=auth()).get_json()
    assert [r["tracking_id"] for r in page["reports"]] == [tracking_id]


# -- checkpoints: the contract's Checkpoint, its code ------------------------------------

_BAD_CHECKPOINTS = {
    "seq-past-2-53": {"seq": 2**53, "hash": HASH, "at": "2025-03-04T09:15:00+08:00"},
    "offset-without-colon": {"seq": 1, "hash": HASH, "at": "2025-03-04T09:15:00+0800"},
    "seq-as-text": {"seq": "1", "hash": HASH, "at": "2025-03-04T09:15:00+08:00"},
}


@pytest.mark.parametrize("name", list(_BAD_CHECKPOINTS))
def test_a_checkpoint_outside_the_contract_is_400_bad_request(region, name):
    refused(
        region.post(CHECKPOINTS, json=_BAD_CHECKPOINTS[name], headers=auth()), 400, "bad_request"
    )
    assert region.get(CHECKPOINTS, headers=auth()).get_json() == {"checkpoints": []}


def test_the_largest_seq_the_contract_allows_is_stored_and_answered_as_an_integer(region):
    response = region.post(
        CHECKPOINTS,
        json={"seq": 2**53 - 1, "hash": HASH, "at": "2025-03-04T09:15:00Z"},
        headers=auth(),
    )
    assert response.status_code == 201 and response.get_json()["seq"] == 2**53 - 1
    again = region.post(
        CHECKPOINTS, json={"seq": 5.0, "hash": HASH, "at": "2025-03-04T09:15:00Z"}, headers=auth()
    )
    assert again.status_code == 201 and again.get_data(as_text=True).startswith('{"seq":5,')


# -- methods: only what the document lists ------------------------------------------------


def test_without_faults_an_admin_report_allows_only_the_documented_methods(region):
    tracking_id = deliver(region)
    path = f"/api/v1/admin/reports/{tracking_id}"
    assert set(region.options(path).headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    response = region.delete(path, headers=auth(ADMIN_TOKEN))
    refused(response, 405, "method_not_allowed")
    assert "DELETE" not in response.headers["Allow"]


# -- the reference hub's own operations --------------------------------------------------


def test_the_single_update_body_is_documented_as_a_region_update(region):
    document = region.get("/api/v1/openapi.json").get_json()
    tracking_id = deliver(region)
    as_hub = make_update(tracking_id, "u-1", message="x", origin={"side": "hub"})
    assert conforms(document, "StatusUpdate", as_hub) == []
    assert conforms(document, "RegionStatusUpdate", as_hub) != []
    refused(
        region.post(f"/api/v1/reports/{tracking_id}/updates", json=as_hub, headers=auth()),
        400,
        "rejected",
    )
    answer = region.post(
        f"/api/v1/reports/{tracking_id}/updates",
        json=make_update(tracking_id, "u-2", message="x"),
        headers=auth(),
    )
    assert answer.status_code == 200 and conforms(document, "UpdateAnswer", answer.get_json()) == []


def test_every_own_operation_has_an_id_and_every_own_body_a_413(client):
    document = client.get("/api/v1/openapi.json").get_json()
    own = [
        op
        for item in document["paths"].values()
        for op in item.values()
        if op["tags"] == ["reference-hub"]
    ]
    assert len(own) == 10 and len({op["operationId"] for op in own}) == 10
    assert all("413" in op["responses"] for op in own if "requestBody" in op)


@pytest.mark.parametrize(
    "new", ["a~b", "a b", ".x", "x" * 33], ids=["tilde", "space", "leading-dot", "33-chars"]
)
def test_a_drifted_tracking_id_must_be_a_tracking_id(client, new):
    tracking_id = deliver(client)
    response = client.put(
        f"/api/v1/admin/reports/{tracking_id}/tracking-id",
        json={"tracking_id": new},
        headers=auth(ADMIN_TOKEN),
    )
    refused(response, 400, "invalid_drift")


def test_fault_rules_with_another_member_are_400(client):
    refused(
        client.post("/api/v1/_faults", json={"rules": [], "extra": 1}, headers=auth()),
        400,
        "bad_request",
    )


@pytest.mark.parametrize("source", [[None, None], "kalsel", None], ids=["list", "string", "null"])
def test_drifted_content_whose_source_is_no_object_is_400(client, source):
    tracking_id = deliver(client)
    report = {**make_report("C-1"), "source": source}
    response = client.put(
        f"/api/v1/admin/reports/{tracking_id}/content",
        json={"report": report},
        headers=auth(ADMIN_TOKEN),
    )
    refused(response, 400, "invalid_drift")


_DRIFTS_AT_ODDS = {
    "content-of-another-source-ref": ("content", {"report": make_report("lain")}, "source_changed"),
    "content-of-another-channel": (
        "content",
        {"report": make_report("C-1", channel_id="email-pemda")},
        "source_changed",
    ),
    "a-tracking-id-the-hub-will-issue": (
        "tracking-id",
        {"tracking_id": "1000999"},
        "tracking_id_reserved",
    ),
}


@pytest.mark.parametrize("name", list(_DRIFTS_AT_ODDS))
def test_a_valid_drift_body_at_odds_with_the_stored_report_is_409(client, name):
    how, body, code = _DRIFTS_AT_ODDS[name]
    tracking_id = deliver(client)
    before = client.get(f"/api/v1/reports/{tracking_id}", headers=auth()).get_json()
    refused(
        client.put(
            f"/api/v1/admin/reports/{tracking_id}/{how}", json=body, headers=auth(ADMIN_TOKEN)
        ),
        409,
        code,
    )
    assert client.get(f"/api/v1/reports/{tracking_id}", headers=auth()).get_json() == before
