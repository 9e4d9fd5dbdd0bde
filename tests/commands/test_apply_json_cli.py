"""`apply --format json` against the emulator: stdout is exactly one document in every outcome,
valid against schemas/apply-result.schema.json when a plan was made."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from connectorctl.cli import run_cli
from support import REMOTE, connector, use_client, write_manifest
from support import apply_result_errors as errors


@pytest.fixture
def env(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    use_client(emulator, monkeypatch, "emulator-client")
    for name in ("GITHUB_ACTIONS", "SOURCE_DATE_EPOCH", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    emulator.admin("POST", "settings", {"preview_delay": 0, "publish_delay": 0})
    return emulator


def apply_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    code = run_cli(["apply", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)  # exactly one document: anything else fails to parse


def fields(row: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: row[name] for name in names}


def test_success_lists_actions_sent_and_versions(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", {**REMOTE, "key": "erp-sync"})
    env.admin("POST", "seed", {**REMOTE, "key": "tax-sync", "name": "Tax"})
    connector("erp-sync", "Payment Gateway")
    connector("tax-sync", "Tax Sync")
    connector("new-one", "New One")
    code, document = apply_json(capsys, "connectors", "--auto-approve")
    assert code == 0
    assert errors(document) == []
    rows = {row["key"]: row for row in document["results"]}
    assert [row["key"] for row in document["results"]] == ["erp-sync", "new-one", "tax-sync"]
    names = ("result", "actions", "version_before", "version_after", "requests", "retries")
    assert fields(rows["tax-sync"], *names, "error", "messages") == {
        "result": "updated", "actions": [{"action": "setName", "name": "Tax Sync"}],
        "version_before": 1, "version_after": 2, "requests": 1, "retries": 0,
        "error": False, "messages": [],
    }  # fmt: skip
    assert fields(rows["new-one"], *names) == {
        "result": "created", "actions": [], "version_before": None, "version_after": 1,
        "requests": 1, "retries": 0,
    }  # fmt: skip
    assert fields(rows["erp-sync"], *names) == {
        "result": "unchanged", "actions": [], "version_before": 1, "version_after": 1,
        "requests": 0, "retries": 0,
    }  # fmt: skip
    assert rows["tax-sync"]["kind"] == "ConnectorStaged"


def test_partial_failure_is_one_document_with_the_failed_row(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    report = [{"type": "Error", "title": "Connector specification file not found"}]
    env.admin("POST", "script", {"key": "b-broken", "publish": "failed", "report": report})
    connector("a-fine", "Fine", "release: publish\n")
    connector("b-broken", "Broken", "release: publish\n")
    code, document = apply_json(capsys, "connectors", "--auto-approve", "--wait")
    assert code == 1
    assert errors(document) == []
    fine, broken = document["results"]
    assert fields(fine, "key", "result", "error", "settled", "lifecycle") == {
        "key": "a-fine", "result": "created", "error": False, "settled": "Published",
        "lifecycle": "publish",
    }  # fmt: skip
    assert fields(broken, "key", "result", "error", "settled", "requests") == {
        "key": "b-broken", "result": "created", "error": True, "settled": "Failed", "requests": 2,
    }  # fmt: skip
    assert broken["actions"] == [{"action": "publish", "certification": False}]
    assert broken["reports"] == [
        {"type": "Error", "title": "Connector specification file not found", "message": ""}
    ]


def test_a_stale_saved_plan_is_one_document(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest("Payments")
    assert run_cli(["plan", "connectors", "--out", "plan.json"]) == 0
    env.admin(
        "POST", "edit", {"key": REMOTE["key"], "actions": [{"action": "setName", "name": "X"}]}
    )
    capsys.readouterr()
    code, document = apply_json(capsys, "--plan", "plan.json", "--auto-approve")
    assert code == 1
    assert errors(document) == []
    (row,) = document["results"]
    assert fields(row, "result", "error", "actions", "version_before", "requests") == {
        "result": "stale", "error": True, "actions": [], "version_before": 2, "requests": 1,
    }  # fmt: skip
    assert row["note"] == "stale plan: version 1 was planned, the connector is now at version 2"


def test_a_blocked_connector_keeps_the_plans_message(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", {**REMOTE, "private": False})
    write_manifest("Payments", extra='privateProjects: ["europe-west1.gcp:acme-prod"]\n')
    code, document = apply_json(capsys, "connectors", "--auto-approve")
    assert code == 1
    assert errors(document) == []
    (row,) = document["results"]
    assert (row["result"], row["error"], row["note"], row["requests"]) == ("blocked", True, "", 0)
    assert [m["level"] for m in row["messages"]] == ["error"]
    assert row["messages"][0]["text"].startswith("blocked: privateProjects differ")


def test_an_error_before_any_write_is_a_document_too(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client(env, monkeypatch, "emulator-viewer")  # may read the plan, may not write
    write_manifest()
    code = run_cli(["apply", "connectors", "--auto-approve", "--format", "json"])
    captured = capsys.readouterr()
    assert code == 1
    document = json.loads(captured.out)
    assert document["results"] == [] and document["summary"]["create"] == 1
    assert document["error"]["exit_code"] == 1
    assert f"manage_connectors:{env.project_key}" in document["error"]["message"]
    assert captured.err.count("manage_connectors") == 1  # the message itself, on stderr once

    code = run_cli(["apply", "connectors", "--timeout", "0", "--format", "json"])
    assert code == 1
    assert json.loads(capsys.readouterr().out) == {
        "error": {"message": "--timeout must be a positive number of seconds", "exit_code": 1}
    }


def test_manifest_problems_are_the_one_document(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest(extra="colour: red\n")
    code = run_cli(["apply", "connectors", "--auto-approve", "--format", "json"])
    assert code == 1
    document = json.loads(capsys.readouterr().out)
    assert [p["file"] for p in document["problems"]] == ["connectors/payment.yaml"]


def test_sigint_during_apply_still_prints_one_valid_document(env: Any, tmp_path: Path) -> None:
    for n in range(6):
        connector(f"conn-{n}", f"Conn {n}")
    env.admin("POST", "faults", {"latency_ms": 150})
    command = [sys.executable, "-m", "connectorctl", "apply", "connectors", "--auto-approve"]
    command += ["--format", "json", "--parallelism", "1"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    assert process.stderr is not None
    first = process.stderr.readline()  # the first connector finished: apply is under way
    assert first.startswith("conn-0: created"), first
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    out, err = process.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert process.returncode == 130, err
    document = json.loads(out)
    assert errors(document) == []
    results = [row["result"] for row in document["results"]]
    assert results[0] == "not_verified" and results[-1] == "interrupted"
    assert set(results) <= {"not_verified", "interrupted"}
    interrupted = [row for row in document["results"] if row["result"] == "interrupted"]
    assert all(row["requests"] == 0 and row["actions"] == [] for row in interrupted)


def test_the_actions_table_is_made_from_the_document() -> None:
    from connectorctl.report.apply_table import render_document

    rows = [
        {"kind": "ConnectorStaged", "key": "a-one", "result": "created", "requests": 1,
         "retries": 0, "note": "", "error": False, "messages": [], "reports": []},
        {"kind": "ConnectorStaged", "key": "b-two", "result": "unchanged", "requests": 0,
         "retries": 0, "note": "", "error": False, "messages": [], "reports": []},
    ]  # fmt: skip
    assert render_document(json.dumps({"results": rows})) == (
        "KIND             KEY    RESULT   REQUESTS  RETRIES  NOTE\n"
        "ConnectorStaged  a-one  created  1         0\n"
        "1 unchanged not shown.\n"
        "Apply complete: 1 created, 1 unchanged.\n"
    )
    error = {"error": {"message": "apply cancelled", "exit_code": 1}, "results": []}
    assert render_document(json.dumps(error)) == ""
    assert render_document("{not json") == ""
