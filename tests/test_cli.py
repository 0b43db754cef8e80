"""The command line as an operator uses it: check-config, mapping try, sync, status,
quarantine, db upgrade, and the demo (run as a real process)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner
from hub_helpers import running_hub
from peers import ROOT, connector_config, running_portal

from connector.cli.main import main

SAMPLE = ROOT / "mappings" / "samples" / "laporpaman-record.json"
PROFILE = ROOT / "mappings" / "laporpaman.yaml"


def invoke(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_the_shipped_example_config_is_valid():
    result = invoke("check-config", ROOT / "config.example.yaml")
    assert result.exit_code == 0, result.output
    assert "OK: connector kalsel, 1 channel(s): laporpaman [portal]" in result.output


def write_example(tmp_path, edit):
    data = yaml.safe_load((ROOT / "config.example.yaml").read_text())
    data["channels"][0]["profile"] = str(PROFILE)
    edit(data)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    "edit, line",
    [
        (
            lambda d: d["hub"].update(token="${LAPOR_TEST_UNSET_TOKEN}"),
            "hub.token: environment variable LAPOR_TEST_UNSET_TOKEN is not set",
        ),
        (lambda d: d["hub"].update(tokn="x"), "hub.tokn: unknown key"),
        (
            lambda d: d["channels"][0].update(base_ur="http://x"),
            "channels[0].base_ur: unknown key for a portal channel",
        ),
        (lambda d: d["channels"][0].pop("profile"), "channels[0].profile: is required"),
        (
            lambda d: d["channels"][0].update(kind="fax"),
            "channels[0].kind: 'fax' is not one of email, portal, sms_gammu, sms_kannel, sms_webhook",
        ),
        (
            lambda d: d["connector"].update(timezone="Asia/Banjarmasin"),
            "connector.timezone: unknown time zone 'Asia/Banjarmasin'",
        ),
        (
            lambda d: d["retry"].update(max_attempts=0),
            "retry.max_attempts: 0 is less than the minimum of 1",
        ),
        (
            lambda d: d["channels"][0]["credentials"].pop("token"),
            "credentials.token: required by the profile's auth type 'bearer'",
        ),
        (
            lambda d: d["reconcile"].update(at="25:00"),
            "reconcile.at: '25:00' does not have the expected form (The time of day (HH:MM, the connector's time zone) of the nightly run.)",
        ),
        (
            lambda d: d["retention"].update(raw_days=-1),
            "retention.raw_days: -1 is less than the minimum of 0",
        ),
    ],
    ids=[
        "missing-secret",
        "typo-key",
        "typo-channel-key",
        "missing-profile",
        "unknown-kind",
        "bad-timezone",
        "bad-number",
        "missing-credential",
        "bad-reconcile-time",
        "negative-retention",
    ],
)
def test_a_bad_config_gets_one_line_naming_the_key(tmp_path, edit, line):
    result = invoke("check-config", write_example(tmp_path, edit))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].endswith(line), result.output


def test_every_problem_is_listed_at_once(tmp_path):
    def edit(d):
        d["hub"]["tokn"] = "x"
        d["web"]["listen"] = "everywhere"
        d["hub"]["token"] = "${LAPOR_TEST_UNSET_TOKEN}"

    result = invoke("check-config", write_example(tmp_path, edit))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 3


def test_a_broken_profile_is_reported_by_check_config(tmp_path):
    profile = tmp_path / "p.yaml"
    profile.write_text(
        PROFILE.read_text().replace("transforms: [trim, {truncate: 200}]", "transforms: [trimm]")
    )
    result = invoke(
        "check-config",
        write_example(tmp_path, lambda d: d["channels"][0].update(profile=str(profile))),
    )
    assert result.exit_code == 2
    assert "fields.title.transforms[0]: unknown transform 'trimm'" in result.output


def test_mapping_try_prints_the_report_with_personal_data_masked():
    result = invoke("mapping", "try", PROFILE, SAMPLE)
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert (
        report["location"]["region_code"] == "63.72"
        and report["submitted_at"] == "2026-03-12T09:15:00+08:00"
    )
    assert "Siti Aminah" not in result.output and report["complainant"]["phone"].startswith("+6281")
    shown = invoke("mapping", "try", PROFILE, SAMPLE, "--show-personal")
    assert json.loads(shown.output)["complainant"]["phone"] == "+6281234567890"


def test_mapping_try_names_every_problem_of_a_bad_record(tmp_path):
    record = json.loads(SAMPLE.read_text())
    record.pop("anonim")
    record["dibuat_pada"] = "kemarin sore"
    record["isi"] = " "
    sample = tmp_path / "bad.json"
    sample.write_text(json.dumps([record]))
    result = invoke("mapping", "try", PROFILE, sample)
    assert result.exit_code == 1
    assert "record 1234: rejected" in result.output
    assert "$.body: is missing or empty (source field 'isi')" in result.output
    assert "$.privacy.anonymous: is missing or empty (source field 'anonim')" in result.output
    assert (
        "$.submitted_at: 'kemarin sore' is not a date and time in the form %Y-%m-%d %H:%M:%S (source field 'dibuat_pada')"
        in result.output
    )


def test_sync_once_status_review_and_quarantine_against_live_peers(tmp_path, store_url):
    with running_hub(tmp_path) as (_, hub), running_portal(complaints=60) as (sim, portal):
        config = connector_config(tmp_path, hub.url, portal.url, store_url=store_url)
        upgraded = invoke("db", "upgrade", "-c", config.path)
        assert upgraded.exit_code == 0 and "newest schema" in upgraded.output
        synced = invoke("sync", "--once", "-c", config.path)
        good, bad = len(sim.expected()["good"]), len(sim.expected()["bad"])
        assert synced.exit_code == 0, synced.output
        assert f"laporpaman: {good + bad} received, {good} new, {bad} quarantined" in synced.output
        assert f"report → hub: {good} delivered" in synced.output
        status = invoke("status", "-c", config.path)
        assert f"complaints: {good}" in status.output and f"delivered {good}" in status.output
        listed = invoke("quarantine", "list", "-c", config.path)
        assert len(listed.output.strip().splitlines()) == bad
        bad_id = next(iter(sim.expected()["bad"]))
        record = sim.get(int(bad_id))
        shown = invoke("quarantine", "show", "1", "-c", config.path)
        assert shown.exit_code == 0 and "received" in shown.output
        assert record["pelapor"]["nama"] not in shown.output  # masked
        quirks = {kind: str(ref) for ref, kind in sim.expected()["quirks"].items()}
        flagged = invoke("review", "-c", config.path).output.strip().splitlines()
        assert len(flagged) == 1 and flagged[0].startswith(
            f"laporpaman/{quirks['unknown_category']}\t"
        )
        assert f"(was '{sim.get(int(quirks['unknown_category']))['kategori']}')" in flagged[0]
        with_warnings = invoke("review", "--warnings", "-c", config.path).output
        assert (
            "complainant.phone left out" in with_warnings
            and "complainant.email left out" in with_warnings
        )
        clocks = invoke("sla", "--all", "-c", config.path).output.strip().splitlines()
        waiting = [ln for ln in clocks if "\tbelum_terverifikasi\tverify due " in ln]
        assert waiting and all(
            ln.endswith("3 working day(s) left") for ln in waiting
        )  # just delivered
        # the seeded follow-ups are months old: those reports are long past their automatic close
        late = invoke("sla", "-c", config.path).output.strip().splitlines()
        assert late and all(
            "\tditindaklanjuti\tclose due 2026-0" in ln and ln.endswith("late") for ln in late
        )


@pytest.mark.slow
def test_the_demo_runs_end_to_end_as_a_process():
    result = subprocess.run(
        [sys.executable, "-m", "connector", "demo", "--complaints", "200"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout

    def row(label):
        match = re.search(rf"^\s+{re.escape(label)}\s+(\d+)$", out, re.MULTILINE)
        assert match, f"no row '{label}' in:\n{out}"
        return int(match.group(1))

    assert (
        row("portal reports at the hub") == 200
        and row("SMS reports at the hub") == row("SMS posted by the gateway") == 50
    )
    assert row("delivered to the hub") == row("normalized (complaints)") == 250
    assert row("SMS acknowledgements sent") == 50
    assert row("duplicates at the hub") == 0 and row("dead letters") == 0
    assert row("quarantined") == 6 and row("pulled from the portal") == 206
    assert out.count("[ok]") == 11 and "FAILED" not in out
    assert out.count("laporpaman/") == 6  # each quarantined record listed with its reason
    assert (
        "hub capabilities: core, updates-feed, status-push, reconcile-digests, audit-checkpoints, statistics\n"
        in out
    )
    assert re.search(
        r"^\s+run 1\s+250 here, 250 at the hub, 0/16 buckets differ, \d+ bytes \(digests\): no difference$",
        out,
        re.MULTILINE,
    )
    assert "[ok] the last reconciliation found no difference" in out
    assert "[ok] the audit log verifies against the hub's checkpoints" in out


@pytest.mark.slow
def test_the_demo_with_updates_carries_statuses_both_ways():
    result = subprocess.run(
        [sys.executable, "-m", "connector", "demo", "--complaints", "200", "--with-updates"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "[ok] hub, connector and portal agree on every report" in out
    assert "[ok] no update bounced back to where it came from" in out
    assert re.search(r"reports in the scenario\s+(\d+)$", out, re.MULTILINE).group(1) == "30"
    assert re.search(r"local follow-ups in the portal\s+(\d+)$", out, re.MULTILINE).group(1) == "15"
    assert "FAILED" not in out


@pytest.mark.slow
def test_the_demo_with_drift_shows_it_found_and_repaired():
    result = subprocess.run(
        [sys.executable, "-m", "connector", "demo", "--complaints", "100", "--drift"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(
        r"^\s+run 1 \(with repair\)\s+150 here, 149 at the hub, .*: 1 missing_at_hub, 1 status_differs$",
        out,
        re.MULTILINE,
    ), out
    assert re.search(
        r"^\s+run 2\s+150 here, 150 at the hub, 0/16 buckets differ, \d+ bytes \(digests\): no difference$",
        out,
        re.MULTILINE,
    )
    assert re.search(r"repaired laporpaman/\d+: report queued again", out)
    assert re.search(r"repaired laporpaman/\d+: applied the hub's status terverifikasi", out)
    assert re.search(r"audit log\s+\d+ entries, 2 checkpoints at the hub match", out)
    assert out.count("[ok]") == 13 and "FAILED" not in out


@pytest.mark.slow
@pytest.mark.parametrize(
    "offered",
    [(), ("updates-feed", "status-push", "reconcile-digests", "audit-checkpoints", "statistics")],
    ids=["core-only-hub", "full-hub"],
)
def test_the_demo_against_a_strict_hub_built_from_the_contract(offered):
    from lapor_exchange.conformance.strict_hub import StrictHub

    hub = StrictHub({"strict-demo-token": "kalsel"}, capabilities=offered)
    with hub.serve():
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "connector",
                "demo",
                "--complaints",
                "150",
                "--sms",
                "30",
                "--hub",
                hub.url,
                "--hub-token",
                "strict-demo-token",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert hub.problems() == [] and hub.self_errors == []
    assert len(hub.reports) == 180 and all(tid.startswith("LPR-") for tid in hub.reports)
    assert out.count("[ok]") == 11 and "FAILED" not in out
    if offered:
        assert (
            "hub capabilities: core, updates-feed, status-push, reconcile-digests, audit-checkpoints, statistics\n"
            in out
        )
        assert "the hub lacked" not in out and "bytes (digests): no difference" in out
    else:
        assert (
            "hub capabilities: core; not offered: updates-feed, status-push, reconcile-digests, audit-checkpoints, "
            "statistics\n" in out
        )
        assert out.count("  the hub lacked ") == 5 and "bytes (listing): no difference" in out
        assert "[ok] the audit log verifies (locally)" in out


def test_the_demo_refuses_drift_or_updates_against_another_hub():
    result = CliRunner().invoke(
        main, ["demo", "--hub", "http://127.0.0.1:9", "--hub-token", "t", "--drift"]
    )
    assert result.exit_code == 2 and "leave out --hub" in result.output
    result = CliRunner().invoke(main, ["demo", "--hub", "http://127.0.0.1:9"])
    assert result.exit_code == 2 and "--hub and --hub-token go together" in result.output


@pytest.mark.parametrize(
    "offered, token, expected, code",
    [
        (
            (),
            "probe-token",
            "  hub: ok; offers the core only; not: updates-feed, status-push, reconcile-digests, "
            "audit-checkpoints, statistics",
            0,
        ),
        (
            ("updates-feed", "status-push"),
            "probe-token",
            "  hub: ok; offers updates-feed, status-push; not: "
            "reconcile-digests, audit-checkpoints, statistics",
            0,
        ),
        ((), "not-the-token", "  hub: FAILED: hub GET /reports: HTTP 401", 1),
    ],
    ids=["core-only", "two-capabilities", "wrong-token"],
)
def test_probe_tries_the_token_and_lists_the_hubs_capabilities(
    tmp_path, offered, token, expected, code
):
    from lapor_exchange.conformance.strict_hub import StrictHub

    hub = StrictHub({"probe-token": "kalsel"}, capabilities=offered)
    with hub.serve(), running_portal(complaints=1) as (_, portal):
        connector_config(tmp_path, hub.url, portal.url, hub={"token": token})
        result = invoke("check-config", tmp_path / "config.yaml", "--probe")
    assert result.exit_code == code, result.output
    assert expected in result.output and token not in result.output


def test_sync_against_a_hub_with_only_the_core_exits_0_and_says_what_it_lacks(tmp_path):
    from lapor_exchange.conformance.strict_hub import StrictHub

    hub = StrictHub({"core-token": "kalsel"}, capabilities=())
    with hub.serve(), running_portal(complaints=20) as (sim, portal):
        config = connector_config(tmp_path, hub.url, portal.url, hub={"token": "core-token"})
        synced = subprocess.run(
            [sys.executable, "-m", "connector", "sync", "-c", str(config.path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        good = len(sim.expected()["good"])
    assert synced.returncode == 0, synced.stdout + synced.stderr
    lacking = [line for line in synced.stderr.splitlines() if "hub does not offer" in line]
    assert len(lacking) == 5 and "status-push (POST /api/v1/updates:batch)" in lacking[1]
    assert "error" not in synced.stderr.lower()
    assert f"report → hub: {good} delivered" in synced.stdout and len(hub.reports) == good
    assert hub.problems() == []
    status = invoke("status", "-c", config.path).output
    assert "hub capabilities (read " in status and "core; not offered: updates-feed" in status
    assert (
        "status_update → hub: held " in status
        and "(waiting for hub capability status-push)" in status
    )
