"""With --format json, stdout is one JSON document in every outcome, errors included."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectorctl.cli import run_cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = str(REPO / "examples" / "connectors")


def test_an_unreachable_api_gives_an_error_document(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in {
        "CTP_CLIENT_ID": "client",
        "CTP_CLIENT_SECRET": "s3cret-value-never-shown",
        "CTP_PROJECT_KEY": "acme",
        "CTP_AUTH_URL": "http://127.0.0.1:9/oauth/token",
        "CTP_CONNECT_URL": "http://127.0.0.1:9",
    }.items():
        monkeypatch.setenv(name, value)
    assert run_cli(["plan", EXAMPLES, "--format", "json"]) == 1
    out = capsys.readouterr().out
    document = json.loads(out)
    assert document == {
        "error": {
            "message": "POST http://127.0.0.1:9/oauth/token: ConnectError: [Errno 111] "
            "Connection refused",
            "exit_code": 1,
        }
    }
    assert "s3cret-value-never-shown" not in out


@pytest.mark.parametrize("fmt", [["--format", "json"], ["--format=json"]])
def test_a_usage_error_gives_an_error_document(
    fmt: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["plan", EXAMPLES, *fmt, "--no-such-flag"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["error"]["exit_code"] == 1
    assert document["error"]["message"].startswith("No such option '--no-such-flag'")


def test_a_document_already_printed_is_not_followed_by_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bad.yaml").write_text("apiVersion: connectorctl/v1\nkind: Nope\n", "utf-8")
    assert run_cli(["validate", str(tmp_path), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)  # exactly one document
    assert list(document) == ["problems"]


def test_without_json_stdout_stays_empty_on_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["plan", EXAMPLES, "--no-such-flag"]) == 1
    assert capsys.readouterr().out == ""
