"""The README's quick start: one URL story, and an empty second plan without in-progress noise."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connectorctl.cli import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "connectors"
EMULATOR_LINE = (
    "using the local emulator at http://connectorctl-emulator.localhost "
    "(state in .connectorctl/emulator.sqlite)\n"
)


def test_apply_then_plan_is_quiet_and_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert run_cli(["apply", str(EXAMPLES), "--emulator", "--auto-approve"]) == 0
    applied = capsys.readouterr()
    assert applied.err.startswith(EMULATOR_LINE)
    assert "127.0.0.1" not in applied.out + applied.err
    assert applied.out.endswith("\nApply complete: 5 created.\n")
    time.sleep(0.5)  # preview, publish and certification take 0.1 s each when embedded
    assert run_cli(["plan", str(EXAMPLES), "--emulator", "--detailed-exitcode"]) == 0
    planned = capsys.readouterr()
    assert planned.err == EMULATOR_LINE
    assert "in progress" not in planned.out
    assert planned.out.endswith(
        "5 unchanged connectors not shown.\n\nNo changes. 5 unchanged, 0 blocked, 0 unmanaged.\n"
    )
