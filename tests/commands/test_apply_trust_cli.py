"""`connectorctl` commands when the target, the reads after writes, reviews or Ctrl-C interfere."""

from __future__ import annotations

import io
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

KEY = "payment-gateway"
MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: {key}
name: {name}
creator:
  email: team@acme.example
repository:
  url: git@github.com:acme/payment.git
  tag: v1.0.0
{extra}"""
REMOTE = {
    "key": KEY,
    "name": "Payment Gateway",
    "creator": {"email": "team@acme.example"},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
}


def write_manifest(key: str = KEY, name: str = "Payments", extra: str = "") -> None:
    folder = Path("connectors")
    folder.mkdir(exist_ok=True)
    text = MANIFEST.format(key=key, name=name, extra=extra)
    (folder / f"{key}.yaml").write_text(text, encoding="utf-8")


def set_env(monkeypatch: pytest.MonkeyPatch, values: dict[str, str]) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def env(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    set_env(monkeypatch, emulator.env())
    for name in ("GITHUB_ACTIONS", "CTP_REGION", "CTP_SCOPES", "SOURCE_DATE_EPOCH", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    emulator.admin("POST", "settings", {"preview_delay": 0, "publish_delay": 0})
    return emulator


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def counters(emulator: Any) -> dict[str, int]:
    found = emulator.admin("GET", "counters")
    return {r: found.get(r, 0) for r in ("token", "query", "get", "create", "update")}


# -- 6. the project the credentials are scoped to ------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [["plan", "connectors"], ["apply", "connectors", "--auto-approve"], ["export"]],
    ids=["plan", "apply", "export"],
)
def test_a_target_outside_the_granted_project_is_refused_first(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: Any
) -> None:
    write_manifest()
    monkeypatch.setenv("CTP_PROJECT_KEY", "other")
    code, out, err = cli(capsys, *command, *(["--output-dir", "out"] * (command == ["export"])))
    assert code == 1
    assert err == (
        "error: the credentials are scoped to project 'emulator-project', "
        "the target is project 'other'\n"
    )
    assert out == ""
    assert counters(env) == {"token": 1, "query": 0, "get": 0, "create": 0, "update": 0}


def test_a_manage_project_only_client_may_apply(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from connectorctl.emulator.server import start_emulator

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.delenv("CTP_SCOPES", raising=False)
    with start_emulator(clients=["owner:owner-secret:manage_project"]) as running:
        set_env(monkeypatch, {
            "CTP_CLIENT_ID": "owner", "CTP_CLIENT_SECRET": "owner-secret",
            "CTP_PROJECT_KEY": running.project_key, "CTP_AUTH_URL": running.url + "/oauth/token",
            "CTP_CONNECT_URL": running.url,
        })  # fmt: skip
        write_manifest()
        code, out, _ = cli(capsys, "apply", "connectors", "--auto-approve")
    assert code == 0 and "Apply complete: 1 created." in out


def test_one_token_request_per_run(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    write_manifest(extra="release: publish\n")
    code, _, _ = cli(capsys, "apply", "connectors", "--auto-approve")
    assert code == 0
    assert counters(env) == {"token": 1, "query": 1, "get": 1, "create": 1, "update": 1}


# -- 4. the table is printed whatever fails after the writes -------------------------------------


def test_a_failing_convergence_read_still_prints_the_table(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest()
    env.admin("POST", "faults", {"routes": {"get": {"429": 1.0}}, "retry_after": 0})
    code, out, _ = cli(capsys, "apply", "connectors", "--auto-approve", "--format", "json")
    assert code == 1
    (row,) = json.loads(out)["results"]
    assert (row["result"], row["error"]) == ("not_verified", True)
    assert row["note"].startswith("updated, not verified: the convergence read failed")
    assert counters(env)["update"] == 1 and counters(env)["get"] == 5


def test_a_failing_wait_read_still_prints_the_table(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest(extra="release: publish\n")
    env.admin("POST", "faults", {"routes": {"get": {"429": 1.0}}, "retry_after": 0})
    code, out, _ = cli(capsys, "apply", "connectors", "--auto-approve", "--wait")
    assert code == 1
    assert "payment-gateway  not_verified" in out and "the --wait read failed" in out


# -- 7. a saved plan is the approval -------------------------------------------------------------


def test_a_saved_plan_needs_no_prompt_but_paths_do(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest()
    assert run_cli(["plan", "connectors", "--out", "plan.json"]) == 0
    code, _, err = cli(capsys, "apply", "connectors")
    assert code == 1 and "--auto-approve" in err
    code, out, _ = cli(capsys, "apply", "--plan", "plan.json")
    assert code == 0 and "Apply complete: 1 updated." in out


def test_a_plan_file_with_an_edited_id_renames_nothing(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    other = env.admin("POST", "seed", {**REMOTE, "key": "tax-sync", "name": "Tax"})
    write_manifest()
    assert run_cli(["plan", "connectors", "--out", "plan.json"]) == 0
    document = json.loads(Path("plan.json").read_text(encoding="utf-8"))
    document["connectors"][0]["id"] = other["id"]
    Path("plan.json").write_text(json.dumps(document), encoding="utf-8")
    code, out, _ = cli(capsys, "apply", "--plan", "plan.json")
    assert code == 1 and "payment-gateway  stale" in out
    assert "has key 'tax-sync', not 'payment-gateway'" in out
    assert counters(env)["update"] == 0


# -- 9. a publish that fails at once -------------------------------------------------------------


def test_a_publish_failed_by_the_convergence_read_exits_1(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "settings", {"publish_outcome": "failed"})
    env.admin("POST", "seed", REMOTE)
    write_manifest(extra="release: publish\n")
    code, out, _ = cli(capsys, "apply", "connectors", "--auto-approve")
    assert code == 1 and "publish failed" in out


# -- 10. waiting for a pending review ------------------------------------------------------------


def test_a_pending_review_plans_as_waiting_and_apply_sends_nothing(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "settings", {"preview_delay": 600})
    env.admin("POST", "seed", {**REMOTE, "isPreviewable": "pending"})
    write_manifest(extra="release: preview\n")
    code, out, _ = cli(capsys, "plan", "connectors", "--format", "json")
    assert code == 0
    (entry,) = json.loads(out)["connectors"]
    assert entry["change"] == "waiting"
    assert [m["level"] for m in entry["messages"]] == ["warning"]
    assert cli(capsys, "plan", "connectors", "--detailed-exitcode")[0] == 2
    code, out, _ = cli(capsys, "apply", "connectors", "--auto-approve")
    assert code == 1 and "payment-gateway  waiting" in out
    assert counters(env)["update"] == 0


# -- 5. Ctrl-C: a real SIGINT to a real process --------------------------------------------------


def test_ctrl_c_finishes_started_connectors_and_prints_the_table(env: Any, tmp_path: Path) -> None:
    keys = [f"conn-{i:02d}" for i in range(12)]
    env.admin("POST", "seed", [{**REMOTE, "key": k} for k in keys])
    for key in keys:
        write_manifest(key=key, extra="release: publish\n")
    env.admin("POST", "settings", {"publish_delay": 600})
    env.admin("POST", "faults", {"latency_ms": 150})
    command = [sys.executable, "-m", "connectorctl", "apply", "connectors", "--auto-approve",
               "--parallelism", "2"]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    deadline = time.monotonic() + 20
    while env.admin("GET", "counters").get("update", 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    env.admin("POST", "faults", {})
    assert process.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    table = [line.split() for line in out.splitlines() if line.startswith("ConnectorStaged")]
    rows = {cells[1]: cells[2] for cells in table}
    assert sorted(rows) == keys
    started = [k for k in keys if rows[k] == "not_verified"]
    assert 1 <= len(started) < len(keys)
    assert {rows[k] for k in keys if k not in started} == {"interrupted"}
    live = {c["key"]: c for c in _all(env)}
    for key in keys:  # every started connector got its promised publish; no other was touched
        expected = ("Payments", "Processing") if key in started else ("Payment Gateway", "Draft")
        assert (live[key]["name"], live[key]["status"]) == expected, key


def _all(env: Any) -> list[dict[str, Any]]:
    import httpx

    values = env.env()
    token = httpx.post(
        values["CTP_AUTH_URL"],
        data={"grant_type": "client_credentials"},
        auth=(values["CTP_CLIENT_ID"], values["CTP_CLIENT_SECRET"]),
    ).json()
    answer = httpx.get(env.url + "/connectors/drafts?limit=500",
                       headers={"Authorization": f"Bearer {token['access_token']}"})  # fmt: skip
    results: list[dict[str, Any]] = answer.json()["results"]
    return results


def test_a_second_ctrl_c_abandons_requests_in_flight(env: Any, tmp_path: Path) -> None:
    keys = [f"conn-{i:02d}" for i in range(4)]
    env.admin("POST", "seed", [{**REMOTE, "key": k} for k in keys])
    for key in keys:
        write_manifest(key=key)
    env.admin("POST", "faults", {"latency_ms": 700})
    command = [sys.executable, "-m", "connectorctl", "apply", "connectors", "--auto-approve"]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    deadline = time.monotonic() + 20
    while env.admin("GET", "counters").get("update", 0) < 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)  # an update is in flight: its answer takes 0.7 s
    time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    env.admin("POST", "faults", {})
    assert process.returncode == 130
    assert "requests in flight abandoned" in err and "Traceback" not in err
