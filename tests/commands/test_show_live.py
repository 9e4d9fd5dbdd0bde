"""`connectorctl show --key K`: the live resource over real loopback HTTP against the emulator."""

from __future__ import annotations

import io
import json
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from connectorctl.cli import run_cli
from connectorctl.report.live import render_live, safe_yaml

KEY = "payment-gateway"
REMOTE = {
    "key": KEY,
    "name": "Payment Gateway",
    "creator": {"email": "team@acme.example"},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
    "status": "Failed",
    "isPreviewable": "false",
    "hasChanges": True,
    "publishingReport": {
        "entries": [
            {
                "type": "Error",
                "title": "Connector specification file not found",
                "createdAt": "2023-08-08T17:00:59.327Z",
            }
        ]
    },
    "previewableReport": {
        "entries": [
            {"type": "Warning", "title": "Slow build", "createdAt": "2023-08-08T12:20:31.143Z"}
        ]
    },
    "certificationInfo": {
        "comments": [
            {"userId": "acme", "datetime": "2023-03-17T14:00:00.000Z", "comment": "Please review."}
        ]
    },
}


@pytest.fixture
def env(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    for name in ("GITHUB_ACTIONS", "CTP_REGION", "CTP_SCOPES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    return emulator


def show(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(["show", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_yaml_starts_with_the_summary_then_reports_comments_and_the_resource(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    code, out, err = show(capsys, "--key", KEY)
    assert (code, err) == (0, "")
    assert out.splitlines()[:7] == [
        "key: payment-gateway",
        "kind: ConnectorStaged",
        "status: Failed",
        "isPreviewable: 'false'",
        "hasChanges: true",
        "version: 1",
        "reports:",
    ]
    data = YAML(typ="safe").load(out)
    assert list(data) == [
        "key", "kind", "status", "isPreviewable", "hasChanges", "version",
        "reports", "certificationComments", "resource",
    ]  # fmt: skip
    (entry,) = data["reports"]["publishingReport"]
    assert entry["title"] == "Connector specification file not found"
    assert data["reports"]["previewableReport"][0]["title"] == "Slow build"
    assert data["certificationComments"] == [
        {"userId": "acme", "datetime": "2023-03-17T14:00:00.000Z", "comment": "Please review."}
    ]
    assert data["resource"]["name"] == "Payment Gateway"
    assert data["resource"]["repository"]["tag"] == "v1.0.0"


def test_json_is_one_document_with_the_same_fields(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    code, out, _ = show(capsys, "--key", KEY, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert (data["key"], data["kind"], data["status"]) == (KEY, "ConnectorStaged", "Failed")
    assert (data["isPreviewable"], data["hasChanges"], data["version"]) == ("false", True, 1)
    assert [e["type"] for e in data["reports"]["publishingReport"]] == ["Error"]
    assert data["certificationComments"][0]["comment"] == "Please review."
    assert data["resource"]["id"]


def test_a_missing_key_is_one_error_line_and_exit_1(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    code, out, err = show(capsys, "--key", "payment-gatewy")
    assert (code, out) == (1, "")
    assert err == (
        "error: no ConnectorStaged with the key 'payment-gatewy'"
        " (did you mean 'payment-gateway'?)\n"
    )


def test_a_missing_key_with_json_still_prints_one_json_document(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = show(capsys, "--key", "nothing-here", "--format", "json")
    assert code == 1
    assert json.loads(out) == {
        "key": "nothing-here",
        "kind": "ConnectorStaged",
        "error": "no ConnectorStaged with the key 'nothing-here'",
    }
    assert err == "error: no ConnectorStaged with the key 'nothing-here'\n"


def test_target_options_after_the_subcommand_choose_the_target(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env.admin("POST", "seed", REMOTE)
    monkeypatch.setenv("CTP_CONNECT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("CTP_AUTH_URL", "http://127.0.0.1:9/oauth/token")
    code, out, _ = show(
        capsys, "--key", KEY, "--connect-url", env.url, "--auth-url", f"{env.url}/oauth/token"
    )
    assert code == 0
    assert "status: Failed" in out


def test_emulator_flag_reads_the_embedded_emulator(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path("connectors")
    folder.mkdir()
    manifest = {k: REMOTE[k] for k in ("key", "name", "creator", "repository")}
    text = json.dumps({"apiVersion": "connectorctl/v1", "kind": "ConnectorStaged", **manifest})
    (folder / "payment.yaml").write_text(text, encoding="utf-8")
    assert run_cli(["apply", "connectors", "--emulator", "--auto-approve"]) == 0
    capsys.readouterr()
    code, out, err = show(capsys, "--emulator", "--key", KEY, "--format", "json")
    assert code == 0
    assert "using the local emulator" in err
    data = json.loads(out)
    assert (data["key"], data["status"], data["version"]) == (KEY, "Draft", 1)


@pytest.mark.parametrize(
    "args",
    [
        ["show"],
        ["show", "plan.json", "--key", KEY],
        ["show", "--key", KEY, "--format", "text"],
    ],
)
def test_usage_errors_exit_1(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(args) == 1
    assert capsys.readouterr().out == ""


def test_a_missing_deployment_is_one_error_line(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["show", "--key", "prod", "--kind", "Deployment"]) == 1
    assert capsys.readouterr().err == "error: no Deployment with the key 'prod'\n"


HOSTILE = "ok\n::error::forged\x1b[31mred\x9b2J\u202eevil\u2028x\ttab\r"


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_hostile_strings_cannot_start_a_line_or_reach_the_terminal(fmt: str) -> None:
    resource = {"key": "k", "name": HOSTILE, "::error::key": ["::warning::x", HOSTILE]}
    text = render_live(resource, "ConnectorStaged", fmt)
    for line in text.splitlines():
        assert not line.lstrip(" -").startswith("::"), line
    unsafe = [ch for ch in text if ch != "\n" and unicodedata.category(ch)[0] == "C"]
    assert unsafe == []
    assert "\u2028" not in text
    loaded = json.loads(text) if fmt == "json" else YAML(typ="safe").load(text)
    assert loaded["resource"]["name"] == HOSTILE  # escaped, not altered
    assert loaded["resource"]["::error::key"] == ["::warning::x", HOSTILE]


def test_safe_yaml_keeps_plain_strings_plain() -> None:
    assert safe_yaml({"name": "Zahlung é", "n": 2, "list": ["a"], "none": None}) == (
        "name: Zahlung é\nn: 2\nlist:\n  - a\nnone: null\n"
    )


def test_a_resource_without_reports_or_comments_shows_empty_lists() -> None:
    data = json.loads(render_live({"key": "k", "version": 3}, "ConnectorStaged", "json"))
    assert data["reports"] == {"publishingReport": [], "previewableReport": []}
    assert data["certificationComments"] == []
    assert (data["status"], data["isPreviewable"], data["hasChanges"]) == (None, None, None)
