"""The layout's rules, as import contracts (setup.cfg, [importlinter]): the exchange
contract imports nothing of either side, the reference hub imports only the contract,
and the connector reaches the reference hub only from the commands that start it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    result = subprocess.run(
        ["lint-imports", "--config", "setup.cfg"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken." in result.stdout


def test_the_reference_hub_loads_without_the_connector():
    code = (
        "import sys, lapor_hub.app, lapor_hub.cli, lapor_exchange.conformance.cli; "
        "print(sorted(m for m in sys.modules if m == 'connector' or m.startswith('connector.')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
