"""The table `lapor-connector demo` ends with: counts, quarantine reasons, the hub's
capabilities and what the connector did without the missing ones, and one line per
check, `[ok]` or `[FAILED]` with the references that failed it.

Not here: running the demo or deciding what passed (`connector.demo`).
"""

from __future__ import annotations

from collections import Counter

import click

from connector.delivery.capabilities import INSTEAD
from lapor_testbed.demo.reconcile import print_reconciliation


def print_table(result, echo=click.echo) -> None:
    rows = [
        ("pulled from the portal", result.pulled - result.sms_sent),
        ("SMS posted by the gateway", result.sms_sent),
        ("normalized (complaints)", result.normalized),
        ("quarantined", result.quarantined),
        ("delivered to the hub", result.delivered),
        ("portal reports at the hub", result.at_hub),
        ("SMS reports at the hub", result.sms_at_hub),
        ("SMS acknowledgements sent", result.acknowledged),
        ("duplicates at the hub", result.duplicates_at_hub),
        ("local follow-ups sent to the hub", result.follow_ups),
        ("held for a hub capability", result.held),
        ("dead letters", result.dead),
        ("flagged for review (category fallback)", result.review),
        ("fields dropped with a warning", result.warnings),
        ("elapsed", f"{result.elapsed_s:.1f} s"),
    ]
    width = max(len(label) for label, _ in rows)
    echo("")
    for label, value in rows:
        echo(f"  {label:<{width}}  {value:>8}")
    if result.quarantine_reasons:
        echo("\nquarantined, with reasons:")
        for ref, reason in result.quarantine_reasons:
            echo(f"  {result.portal_channel}/{ref}: {reason}")
    echo(f"\nhub capabilities: {result.capabilities}")
    for capability in result.missing_capabilities:
        echo(f"  the hub lacked {capability}: {INSTEAD[capability]}")
    checks = _backbone_checks(result)
    checks += _update_checks(result, width, echo)
    if result.reconcile is not None:
        checks += print_reconciliation(result.reconcile, width, echo)
    echo("")
    for label, passed, refs in checks:
        echo(
            f"  [{'ok' if passed else 'FAILED'}] {label}"
            + (f": {', '.join(refs[:10])}" if refs else "")
        )


def _backbone_checks(result) -> list[tuple[str, bool, list[str]]]:
    checks = [
        (
            "every good complaint is at the hub",
            not result.missing_at_hub and result.at_hub == result.expected_good,
            result.missing_at_hub,
        ),
        ("no duplicates at the hub", result.duplicates_at_hub == 0, []),
        ("the hub rejected nothing", not result.rejected_by_hub, result.rejected_by_hub),
        (
            "tracking ids agree with the hub",
            not result.tracking_mismatches,
            result.tracking_mismatches,
        ),
        (
            "every bad record quarantined with a reason",
            not result.bad_not_quarantined,
            result.bad_not_quarantined,
        ),
        ("no good record quarantined", not result.good_quarantined, result.good_quarantined),
        ("finished before the timeout", not result.timed_out, []),
    ]
    if result.sms_sent:
        checks += [
            ("every SMS complaint is at the hub", result.sms_at_hub == result.sms_sent, []),
            (
                "every SMS complainant got the tracking id",
                result.acknowledged == result.sms_sent,
                [],
            ),
        ]
    return checks


def _update_checks(result, width: int, echo) -> list[tuple[str, bool, list[str]]]:
    if result.updates is None:
        return []
    u = result.updates
    finals = ", ".join(f"{n} {status}" for status, n in sorted(Counter(u.finals.values()).items()))
    echo("\nstatus updates, both ways:")
    for label, value in [
        ("reports in the scenario", u.sampled),
        ("national acts at the hub", u.national_acts),
        ("local follow-ups in the portal", u.local_follow_ups),
        ("final statuses", finals),
    ]:
        echo(f"  {label:<{width}}  {value:>8}")
    return [
        (
            "hub, connector and portal agree on every report",
            u.agreeing == u.sampled and not u.timed_out,
            u.disagreeing,
        ),
        ("no update bounced back to where it came from", u.bounced == 0, []),
    ]
