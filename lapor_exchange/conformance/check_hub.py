"""`lapor-exchange check-hub`: exercise a live hub over HTTP and judge it by the documents.

The hub's own OpenAPI document is read first (no answer at all: exit 2); then every core
check runs, and the checks of each optional capability the document declares. One line
per check (`ok`, `warn`, `FAIL` or `skip`, the capability, the check's name, a short
detail), a line per capability saying whether it is declared, then a summary. Exit 0 when
every check of the core and of each declared capability passed (warnings count as
failures only with `strict`), 1 otherwise, 2 when the hub cannot be reached or the
connector id cannot be told.

Not here: the checks themselves (`checks_core.py`, `checks_optional.py`), HTTP (`client.py`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import capabilities as C
from .checks import Check, CheckFailed, CheckSkipped, Context
from .checks_core import CORE_CHECKS
from .checks_optional import OPTIONAL_CHECKS
from .client import HubClient, HubUnreachableError

OK, WARN, FAIL, SKIP = "ok", "warn", "FAIL", "skip"
ALL_CHECKS = CORE_CHECKS + OPTIONAL_CHECKS
EXIT_OK, EXIT_FAILED, EXIT_UNREACHABLE = 0, 1, 2
DETAIL_CHARS = 240


@dataclass(frozen=True)
class Result:
    check: Check
    mark: str
    detail: str

    def line(self) -> str:
        detail = " ".join(self.detail.split())
        detail = detail if len(detail) <= DETAIL_CHARS else detail[: DETAIL_CHARS - 1] + "…"
        return f"{self.mark:<5} {self.check.capability:<18} {self.check.name:<28} {detail}"


class ConnectorUnknownError(Exception):
    """The connector id of the token could not be told; the message says what to do."""


def check_hub(
    url: str,
    token: str,
    connector_id: str | None = None,
    strict: bool = False,
    out: Callable[[str], None] = print,
) -> int:
    """Run every check against the hub at `url`; print as it goes; return the exit code."""
    client = HubClient(url, token)
    try:
        openapi = client.call("getOpenApi")
        connector_id = connector_id or discover_connector_id(client)
    except (HubUnreachableError, ConnectorUnknownError) as exc:
        out(f"check-hub: {exc}")
        return EXIT_UNREACHABLE
    ctx = Context(client, connector_id, openapi)
    declared = C.offered(openapi.body)
    out(f"check-hub {client.url} as connector {connector_id} (reports marked {ctx.run_id})")
    results = []
    for capability in (C.CORE, *C.OPTIONAL):
        checks = [check for check in ALL_CHECKS if check.capability == capability]
        out(_capability_line(capability, declared, len(checks)))
        if capability in declared or capability == C.CORE:
            for check in checks:
                results.append(run_check(check, ctx, strict))
                out(results[-1].line())
    out(summary(results, declared))
    return EXIT_OK if all(r.mark != FAIL for r in results) else EXIT_FAILED


def run_check(check: Check, ctx: Context, strict: bool = False) -> Result:
    """One check's result; nothing a hub answers makes it raise."""
    ctx.notes = []
    try:
        detail = check.run(ctx)
    except CheckFailed as exc:
        return Result(check, FAIL, str(exc))
    except CheckSkipped as exc:
        return Result(check, SKIP, str(exc))
    except HubUnreachableError as exc:
        return Result(check, FAIL, str(exc))
    except Exception as exc:  # noqa: BLE001 - an answer of an unexpected shape fails the check, not the run
        return Result(check, FAIL, f"unexpected answer ({type(exc).__name__}: {exc})")
    if ctx.notes:
        return Result(check, FAIL if strict else WARN, f"{detail}; but " + "; ".join(ctx.notes))
    return Result(check, OK, detail)


def discover_connector_id(client: HubClient) -> str:
    """The connector id of the token, from one of its reports at the hub."""
    answer = client.call("listReports", params={"limit": 1})
    if answer.status == 401:
        raise ConnectorUnknownError(f"{client.url} refused the token (401); check --token")
    reports = (
        answer.body.get("reports")
        if answer.status == 200 and isinstance(answer.body, dict)
        else None
    )
    try:
        return reports[0]["report"]["source"]["connector_id"]
    except (TypeError, IndexError, KeyError) as exc:
        raise ConnectorUnknownError(
            "cannot tell this token's connector id (the hub lists no report of it); "
            "pass --connector-id"
        ) from exc


def _capability_line(capability: str, declared: frozenset, count: int) -> str:
    checks = f"{count} check{'s' if count != 1 else ''}"
    if capability == C.CORE:
        return f"capability {C.CORE}: required of every hub ({checks})"
    if capability in declared:
        return f"capability {capability}: declared ({checks})"
    return f"capability {capability}: not declared ({checks} not run)"


def summary(results: list[Result], declared: frozenset) -> str:
    counts = {mark: sum(r.mark == mark for r in results) for mark in (OK, WARN, SKIP, FAIL)}
    failed = [f"{r.check.capability} {r.check.name}" for r in results if r.mark == FAIL]
    shown = ", ".join(f"{n} {mark}" for mark, n in counts.items() if n)
    verdict = "conforms" if not failed else "does not conform: " + ", ".join(failed)
    not_declared = [cap for cap in C.OPTIONAL if cap not in declared]
    return f"summary: {len(results)} checks, {shown}; the hub {verdict}" + (
        f"; not declared: {', '.join(not_declared)}" if not_declared else ""
    )
