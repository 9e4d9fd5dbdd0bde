"""The top-level error handler: every outcome maps to the documented exit code."""

from __future__ import annotations

import subprocess
import sys

import pytest

from connectorctl import __version__
from connectorctl.cli import run_cli
from connectorctl.commands import schema as schema_command
from connectorctl.errors import ConfigError


def test_version_from_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "connectorctl", "--version"], capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"connectorctl, version {__version__}"


def test_help_exits_zero_and_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("validate", "plan", "apply", "export", "schema", "emulator"):
        assert command in out
    assert "Exit codes" in out


def test_unknown_option_is_a_usage_error_with_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["plan", "--no-such-option"]) == 1
    err = capsys.readouterr().err
    assert "No such option" in err
    assert "Traceback" not in err


def test_unknown_command_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["frobnicate"]) == 1
    assert "No such command" in capsys.readouterr().err


def test_expected_error_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(output: str | None) -> int:
        raise ConfigError("CTP_PROJECT_KEY is not set")

    monkeypatch.setattr(schema_command, "run", fail)
    assert run_cli(["schema"]) == 1
    assert capsys.readouterr().err == "error: CTP_PROJECT_KEY is not set\n"


def test_bug_shows_traceback_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def crash(output: str | None) -> int:
        raise RuntimeError("boom")

    monkeypatch.setattr(schema_command, "run", crash)
    assert run_cli(["schema"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and "RuntimeError: boom" in err
    assert "please report" in err


def test_interrupt_is_exit_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(output: str | None) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(schema_command, "run", interrupted)
    assert run_cli(["schema"]) == 130
    assert "interrupted" in capsys.readouterr().err


def test_target_options_after_subcommand_override_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = {}

    def capture(options: object) -> int:
        seen["options"] = options
        return 0

    from connectorctl.commands import export as export_command

    monkeypatch.setattr(export_command, "run", capture)
    argv = ["--region", "us-central1.gcp", "--debug", "export", "--region", "eu-central-1.aws"]
    assert run_cli(argv) == 0
    target = seen["options"].target  # type: ignore[attr-defined]
    assert target.region == "eu-central-1.aws"
    assert target.debug is True
