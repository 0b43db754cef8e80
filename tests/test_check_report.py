"""`lapor-exchange check-report`: reports in files judged by the published Report schema.

A JSON object, a JSON array and JSON Lines (a file or stdin); `ok` or each problem by its
path, under a label naming the file and the report's place; exit 0 / 1 / 2 for all valid,
any invalid, unreadable input. Personal data is never quoted.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from hub_helpers import make_report

from lapor_exchange.conformance.cli import main


def check_report(*args: str, stdin: str | None = None):
    return CliRunner().invoke(main, ["check-report", *args], input=stdin)


def lines(result) -> list[str]:
    """The per-report lines (the summary, last, left out)."""
    return result.output.splitlines()[:-1]


def invalid_report(source_ref: str = "LP-2") -> dict:
    report = make_report(source_ref, title="   ")
    report["complainant"] = {"phone": "0812-3456-789", "email": "warga@example.org"}
    del report["privacy"]["anonymous"]
    return report


def write(path, value, lines_of_json: bool = False):
    text = (
        "\n".join(json.dumps(v) for v in value) + "\n"
        if lines_of_json
        else json.dumps(value, indent=2)
    )
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_valid_report_in_a_json_file_is_ok(tmp_path):
    result = check_report(write(tmp_path / "laporan.json", make_report()))
    assert result.exit_code == 0
    assert lines(result) == [f"{tmp_path / 'laporan.json'} ok"]
    assert result.output.splitlines()[-1] == "reports: 1 valid, 0 invalid"


def test_an_invalid_report_lists_every_problem_by_path_and_never_quotes_personal_data(tmp_path):
    name = write(tmp_path / "laporan.json", invalid_report())
    result = check_report(name)
    assert result.exit_code == 1
    assert [line.split(" ", 1)[1].split(":")[0] for line in lines(result)] == [
        "$.complainant.phone",
        "$.privacy.anonymous",
        "$.title",
    ]
    assert all(line.startswith(f"{name} $.") for line in lines(result))
    assert "0812" not in result.output and "warga@" not in result.output


def test_an_array_names_each_report_by_its_index(tmp_path):
    name = write(
        tmp_path / "batch.json", [make_report("LP-1"), invalid_report(), make_report("LP-3")]
    )
    result = check_report(name)
    assert result.exit_code == 1
    assert [line.split(" ")[0] for line in lines(result)] == [
        f"{name}#0",
        f"{name}#1",
        f"{name}#1",
        f"{name}#1",
        f"{name}#2",
    ]
    assert result.output.splitlines()[-1] == "reports: 2 valid, 1 invalid"


def test_json_lines_name_each_report_by_its_line_and_skip_blank_lines(tmp_path):
    path = tmp_path / "reports.jsonl"
    path.write_text(
        json.dumps(make_report("LP-1")) + "\n\n" + json.dumps(make_report("LP-3")) + "\n",
        encoding="utf-8",
    )
    result = check_report(str(path))
    assert result.exit_code == 0
    assert lines(result) == [f"{path}:1 ok", f"{path}:3 ok"]


def test_stdin_takes_json_lines(tmp_path):
    text = json.dumps(make_report("LP-1")) + "\n" + json.dumps(invalid_report()) + "\n"
    result = check_report("-", stdin=text)
    assert result.exit_code == 1
    assert lines(result)[0] == "-:1 ok" and all(
        line.startswith("-:2 $.") for line in lines(result)[1:]
    )


def test_stdin_takes_one_json_report():
    result = check_report("-", stdin=json.dumps(make_report(), indent=2))
    assert result.exit_code == 0 and lines(result) == ["- ok"]


def test_every_file_is_read_and_the_worst_exit_code_wins(tmp_path):
    good = write(tmp_path / "good.json", make_report())
    bad = write(tmp_path / "bad.json", invalid_report())
    missing = str(tmp_path / "missing.json")
    result = check_report(good, bad, missing)
    assert result.exit_code == 2
    assert f"{good} ok" in result.output and f"{bad} $.title: is blank" in result.output
    assert f"{missing}: cannot be read (No such file or directory)" in result.output


@pytest.mark.parametrize(
    "text, message",
    [
        (
            '{"schema_version": "1",\n  "title": }',
            "invalid JSON at line 2 column 12: Expecting value",
        ),
        ("", "is empty"),
        ("[]", "an empty array holds no report"),
        ('{"title": "a", "title": "b"}', "the member 'title' appears twice in one object"),
        ('{"location": {"lat": NaN}}', "NaN is not JSON"),
    ],
    ids=["syntax-error", "empty", "empty-array", "repeated-member", "nan"],
)
def test_a_file_that_is_not_json_is_exit_2_naming_the_file_and_what_is_wrong(
    tmp_path, text, message
):
    path = tmp_path / "laporan.json"
    path.write_text(text, encoding="utf-8")
    result = check_report(str(path))
    assert result.exit_code == 2
    assert result.output.splitlines()[0] == f"{path}: {message}"


def test_a_bad_line_in_json_lines_names_its_line_and_the_other_lines_are_still_checked(tmp_path):
    path = tmp_path / "reports.jsonl"
    text = json.dumps(make_report("LP-1")) + "\n{oops\n" + json.dumps(invalid_report()) + "\n"
    path.write_text(text, encoding="utf-8")
    result = check_report(str(path))
    assert result.exit_code == 2
    assert lines(result)[:2] == [
        f"{path}:1 ok",
        f"{path}:2: invalid JSON at column 2: Expecting property name enclosed in double quotes",
    ]
    assert f"{path}:3 $.title: is blank" in result.output


def test_a_file_that_is_not_utf8_is_exit_2(tmp_path):
    path = tmp_path / "laporan.json"
    path.write_bytes(b'{"title": "\xff"}')
    result = check_report(str(path))
    assert (
        result.exit_code == 2
        and result.output.splitlines()[0] == f"{path}: not UTF-8 (invalid start byte at byte 11)"
    )


def test_the_installed_command_reads_stdin():
    command = [
        sys.executable,
        "-c",
        "from lapor_exchange.conformance.cli import main; main()",
        "check-report",
        "-",
    ]
    finished = subprocess.run(
        command, input=json.dumps(make_report()), capture_output=True, text=True, timeout=60
    )
    assert (finished.returncode, finished.stdout.splitlines()[0]) == (0, "- ok"), finished.stderr
