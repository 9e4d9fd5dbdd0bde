"""`show PLANFILE` prints what `plan` printed; output streams: encodings, `-`, colour."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from connectorctl import planfile
from connectorctl.cli import run_cli
from connectorctl.model import Change, ConnectorChange, DiffEntry, Plan, Target

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "connectors"
FORMATS = ["text", "json", "markdown", "github"]


@pytest.fixture
def target(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**emulator.env(), "SOURCE_DATE_EPOCH": "1764504000"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)


def update_plan() -> Plan:
    change = ConnectorChange(
        key="payment-gateway",
        change=Change.UPDATE,
        id="00000000-0000-4000-8000-000000000001",
        version=3,
        actions=({"action": "setName", "name": "Zahlung ✓"},),
        diff=(DiffEntry("name", "Altes Gerät", "Zahlung ✓"),),
        source="connectors/payment.yaml:1:1",
    )
    return Plan(Target("https://connect.test", "acme"), "2026-11-30T12:00:00Z", (change,), ())


def output_of(capsys: pytest.CaptureFixture[str], args: list[str], code: int = 0) -> str:
    assert run_cli(args) == code
    return capsys.readouterr().out


@pytest.mark.usefixtures("target")
@pytest.mark.parametrize("fmt", FORMATS)
def test_show_prints_exactly_what_plan_printed(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = str(tmp_path / "plan.json")
    planned = output_of(capsys, ["plan", str(EXAMPLES), "--format", fmt, "--out", saved])
    assert "acme-payment-gateway" in planned
    assert output_of(capsys, ["show", saved, "--format", fmt]) == planned


def test_show_cuts_markdown_to_the_limit_and_counts_what_is_left_out(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change = update_plan().connectors[0]
    many = tuple(
        ConnectorChange(**{**change.__dict__, "key": f"connector-{i:03d}"}) for i in range(200)
    )
    saved = tmp_path / "plan.json"
    plan = Plan(update_plan().target, "2026-11-30T12:00:00Z", many, ())
    saved.write_text(planfile.plan_to_json(plan), encoding="utf-8")
    whole = output_of(capsys, ["show", str(saved), "--format", "markdown"])
    cut = output_of(capsys, ["show", str(saved), "--format", "markdown", "--max-bytes", "5000"])
    assert len(whole.encode()) > 20_000
    assert 4000 < len(cut.encode()) <= 5000
    shown = cut.count("<details>")
    assert f"… {200 - shown} more connectors not shown" in cut
    text = output_of(capsys, ["show", str(saved), "--format", "text", "--max-chars", "2000"])
    assert len(text) <= 2000 and text.endswith("more lines not shown (size limit)\n")


def test_show_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(planfile.plan_to_json(update_plan()), encoding="utf-8")
    assert run_cli(["show"]) == 1
    assert run_cli(["show", str(saved), "--format", "json", "--max-chars", "5000"]) == 1
    assert run_cli(["show", str(tmp_path / "missing.json")]) == 1
    err = capsys.readouterr().err
    assert "Error: give either PLANFILE or --key KEY (not both)\n" in err
    assert "error: --max-chars and --max-bytes cannot cut a JSON plan; drop them\n" in err


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_an_arrow_on_a_narrow_stdout_is_escaped_not_a_crash(
    encoding: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    saved = tmp_path / "plan.json"
    saved.write_text(planfile.plan_to_json(update_plan()), encoding="utf-8")
    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding=encoding)
    monkeypatch.setattr(sys, "stdout", stream)
    assert run_cli(["show", str(saved), "--format", "text"]) == 0
    stream.flush()
    printed = raw.getvalue().decode(encoding)
    assert '    name: "Altes Ger' in printed
    assert "\\u2192" in printed  # →


@pytest.mark.usefixtures("target")
def test_out_dash_is_stdout_with_json_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    printed = output_of(capsys, ["plan", str(EXAMPLES), "--format", "json", "--out", "-"])
    assert printed.count('"format_version"') == 1
    assert len(planfile.plan_from_dict(json.loads(printed)).connectors) == 5
    assert run_cli(["plan", str(EXAMPLES), "--format", "text", "--out", "-"]) == 1
    assert capsys.readouterr().err == (
        "error: --out - (stdout) needs --format json: stdout holds the plan as text\n"
    )
    assert run_cli(["export", "--output-dir", "-"]) == 1
    assert capsys.readouterr().err == (
        "error: --output-dir - is not a folder: export writes one file per connector\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []
