"""Hostile input end to end: CI log injection, empty paths, bad option values, plan files,
secrets in traces. The API side runs against the emulator over loopback HTTP."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from connectorctl.cli import run_cli

MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: {key}
name: Payment Gateway
creator:
  email: team@acme.example
repository:
  url: git@github.com:acme/payment.git
  tag: v1.0.0
"""
HOSTILE_NAME = "x\n::stop-commands::pwnd\n.yaml"
HOSTILE_KEY = '"bad\\n::error::forged\\n"'


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("GITHUB_ACTIONS", "SOURCE_DATE_EPOCH", "CTP_REGION", "CTP_SCOPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return tmp_path


@pytest.fixture
def api(emulator: Any, here: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return emulator


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def workflow_commands(text: str) -> list[str]:
    """Lines GitHub would run as workflow commands, except the error annotations we print."""
    return [
        line
        for line in text.splitlines()
        if line.lstrip().startswith("::") and not line.startswith("::error file=")
    ]


def write_hostile(folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    (folder / HOSTILE_NAME).write_text("nmae: [\n", encoding="utf-8")
    (folder / "key.yaml").write_text(MANIFEST.format(key=HOSTILE_KEY), encoding="utf-8")


# --- injection into CI logs --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "github", "json"])
def test_file_names_and_values_cannot_start_a_workflow_command(
    here: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    write_hostile(here / "m")
    code, out, err = run(capsys, "validate", "m", "--format", fmt)
    assert code == 1
    assert workflow_commands(out + err) == []
    if fmt == "json":
        files = {p["file"] for p in json.loads(out)["problems"]}
        assert files == {"m/" + HOSTILE_NAME, "m/key.yaml"}
    else:
        assert "m/x\\u000a::stop-commands::pwnd\\u000a.yaml:2:1: invalid YAML" in out
    if fmt == "github":
        assert (
            "::error file=m/x\\u000a%3A%3Astop-commands%3A%3Apwnd\\u000a.yaml,line=2,col=1::" in out
        )


def test_plan_problems_are_escaped_too(api: Any, capsys: pytest.CaptureFixture[str]) -> None:
    write_hostile(Path("m"))
    code, out, err = run(capsys, "plan", "m", "--format", "github")
    assert code == 1
    assert workflow_commands(out + err) == []
    assert "'bad\\n::error::forged\\n' is not a valid connector key" in out


# --- paths ---------------------------------------------------------------------------------


def test_an_empty_path_is_a_usage_error(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    Path("a.yaml").write_text(MANIFEST.format(key="k1"), encoding="utf-8")
    code, out, err = run(capsys, "validate", "")
    assert (code, out) == (1, "")
    assert err == "error: an empty string is not a path (is a variable unset?)\n"


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_a_folder_without_manifests_fails_every_command(
    api: Any, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    api.admin("POST", "seed", json.loads(json.dumps({
        "key": "existing", "name": "E", "creator": {"email": "e@x"},
        "repository": {"url": "u", "tag": "t"},
    })))  # fmt: skip
    Path("connectors").mkdir()
    code, out, _ = run(capsys, command, "connectors", "--format", "text")
    assert code == 1
    assert "connectors:1:1: holds no *.yaml or *.yml file (check the path)\n" in out


# --- option values and the environment -----------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_apply_timeout_must_be_a_finite_positive_number(
    here: Path, capsys: pytest.CaptureFixture[str], value: str
) -> None:
    code, _, err = run(capsys, "apply", "--wait", "--timeout", value, "--auto-approve")
    assert code == 1
    assert err == "error: --timeout must be a positive number of seconds\n"


@pytest.mark.parametrize("value", ["99999999999999", "²", "-5"])
def test_source_date_epoch_out_of_range_is_one_line(
    api: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    Path("a.yaml").write_text(MANIFEST.format(key="k1"), encoding="utf-8")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    code, _, err = run(capsys, "plan", "a.yaml")
    assert code == 1
    assert err.startswith("error: SOURCE_DATE_EPOCH must be a whole number of seconds")
    assert len(err.splitlines()) == 1 and "Traceback" not in err


# --- plan files ------------------------------------------------------------------------------


def test_a_deeply_nested_plan_file_is_a_clean_error(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("deep.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    code, out, err = run(capsys, "apply", "--plan", "deep.json", "--auto-approve")
    assert (code, out) == (1, "")
    assert err == "error: deep.json: invalid plan: JSON nested too deeply\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_plan_file_is_refused_without_blocking(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.mkfifo("plan.json")
    code, _, err = run(capsys, "apply", "--plan", "plan.json", "--auto-approve")
    assert code == 1
    assert err == (
        "error: cannot read plan file plan.json: not a regular file (a FIFO); it was not read\n"
    )


# --- secrets -------------------------------------------------------------------------------


def test_a_url_password_never_reaches_the_debug_trace(
    api: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    auth_url = api.env()["CTP_AUTH_URL"].replace("http://", "http://robot:hunter2-pw@")
    monkeypatch.setenv("CTP_AUTH_URL", auth_url)
    Path("a.yaml").write_text(MANIFEST.format(key="k1"), encoding="utf-8")
    code, out, err = run(capsys, "plan", "a.yaml", "--debug")
    assert code == 0, err
    assert "http://robot:<redacted>@127.0.0.1" in err
    assert "hunter2-pw" not in out + err


def test_a_secret_in_a_manifest_is_refused_and_never_printed(
    api: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = api.env()["CTP_CLIENT_SECRET"]
    text = MANIFEST.format(key="k1").replace("tag: v1.0.0", "tag: ${CTP_CLIENT_SECRET}")
    Path("a.yaml").write_text(text, encoding="utf-8")
    for fmt in ("text", "json", "github"):
        code, out, err = run(capsys, "plan", "a.yaml", "--format", fmt)
        assert code == 1
        assert "contains the value of CTP_CLIENT_SECRET" in out
        assert secret not in out + err
    assert api.admin("GET", "counters").get("create", 0) == 0
