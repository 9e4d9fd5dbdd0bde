"""`connectorctl apply` end to end against the emulator over a real loopback socket."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from connectorctl.cli import run_cli
from support import KEY, REMOTE, use_client, write_manifest

REPO = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    """A stdin that says it is a terminal, with the user's typed answer."""

    def isatty(self) -> bool:
        return True


def writes(emulator: Any) -> int:
    counters = emulator.admin("GET", "counters")
    return int(counters.get("create", 0) + counters.get("update", 0))


def apply(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(["apply", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_apply_creates_and_a_plan_right_after_is_empty(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest()
    code, out, _ = apply(capsys, "connectors", "--auto-approve")
    assert code == 0
    assert "will be created" in out  # the plan, rendered as `plan` renders it
    assert "ConnectorStaged  payment-gateway  created  1" in out
    assert out.endswith("\nApply complete: 1 created.\n")
    assert run_cli(["plan", "connectors", "--detailed-exitcode"]) == 0


def test_update_and_json_results(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest("Payments")
    code, out, _ = apply(capsys, "connectors", "--auto-approve", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["format_version"] == "1"
    assert [c["change"] for c in document["connectors"]] == ["update"]
    (result,) = document["results"]
    assert {k: result[k] for k in ("key", "result", "requests", "retries", "error")} == {
        "key": KEY, "result": "updated", "requests": 1, "retries": 0, "error": False,
    }  # fmt: skip
    assert (result["version_before"], result["version_after"]) == (1, 2)
    assert result["actions"] == [{"action": "setName", "name": "Payments"}]


def test_no_changes_asks_nothing_and_exits_0(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest()
    code, out, _ = apply(capsys, "connectors")
    assert code == 0 and out.endswith(
        "1 unchanged connector not shown.\n\nNo changes: 1 unchanged.\n"
    )
    assert writes(env) == 0


def test_without_a_terminal_it_needs_auto_approve(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest()
    code, _, err = apply(capsys, "connectors")
    assert code == 1 and "--auto-approve" in err and "Traceback" not in err
    assert writes(env) == 0


def test_declined_confirmation_cancels(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_manifest()
    monkeypatch.setattr(sys, "stdin", Terminal("no\n"))
    code, _, err = apply(capsys, "connectors")
    assert code == 1 and "Only 'yes' will be accepted" in err and "apply cancelled" in err
    assert writes(env) == 0


def test_json_on_a_terminal_shows_the_plan_before_asking(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_manifest()
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    code, out, err = apply(capsys, "connectors", "--format", "json")
    assert code == 0 and "will be created" in err
    assert json.loads(out)["results"][0]["result"] == "created"


def test_confirmed_with_yes_applies(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_manifest()
    monkeypatch.setattr(sys, "stdin", Terminal("yes\n"))
    code, out, _ = apply(capsys, "connectors")
    assert code == 0 and "Apply complete: 1 created." in out
    assert writes(env) == 1


def test_view_only_client_is_refused_before_any_write(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    use_client(env, monkeypatch, "emulator-viewer")
    write_manifest()
    code, _, err = apply(capsys, "connectors", "--auto-approve")
    assert code == 1
    assert f"grant manage_connectors:{env.project_key}" in err
    assert "emulator-viewer-secret" not in err
    assert writes(env) == 0


def test_wait_for_publish(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    write_manifest(extra="release: publish\n")
    code, out, _ = apply(capsys, "connectors", "--auto-approve", "--wait", "--timeout", "30")
    assert code == 0 and "publish: Published" in out


def test_wait_for_a_failed_publish_shows_the_report(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    report = [{"type": "Error", "title": "Connector specification file not found"}]
    env.admin("POST", "script", {"key": KEY, "publish": "failed", "report": report})
    write_manifest(extra="release: publish\n")
    code, out, _ = apply(capsys, "connectors", "--auto-approve", "--wait", "--format", "github")
    assert code == 1
    assert "publish: Failed" in out and "Connector specification file not found" in out
    assert "::error file=connectors/payment.yaml,line=1," in out


def test_preview_with_wait(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    write_manifest(extra="release: preview\n")
    code, out, _ = apply(capsys, "connectors", "--auto-approve", "--wait")
    assert code == 0 and "updatePreviewable: isPreviewable=true" in out


def test_saved_plan_is_applied(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest("Payments")
    assert run_cli(["plan", "connectors", "--out", "plan.json"]) == 0
    code, out, err = apply(capsys, "--plan", "plan.json", "--auto-approve")
    assert code == 0 and "updated" in out, out + err
    assert run_cli(["plan", "connectors", "--detailed-exitcode"]) == 0


def test_stale_saved_plan_is_refused_with_nothing_written(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    env.admin("POST", "seed", REMOTE)
    write_manifest("Payments")
    assert run_cli(["plan", "connectors", "--out", "plan.json"]) == 0
    env.admin("POST", "edit", {"key": KEY, "actions": [{"action": "setName", "name": "Other"}]})
    before = writes(env)
    code, out, _ = apply(capsys, "--plan", "plan.json", "--auto-approve")
    assert code == 1 and "stale" in out
    assert writes(env) == before


def test_plan_file_with_paths_is_a_usage_error(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = apply(capsys, "connectors", "--plan", "plan.json")
    assert code == 1 and "--plan FILE" in err


def test_broken_plan_file_is_reported(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    Path("plan.json").write_text("{not json", encoding="utf-8")
    code, _, err = apply(capsys, "--plan", "plan.json", "--auto-approve")
    assert code == 1 and "plan.json" in err and "Traceback" not in err


def test_manifest_problems_exit_1(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    write_manifest(extra="colour: red\n")
    code, out, _ = apply(capsys, "connectors", "--auto-approve")
    assert code == 1 and "connectors/payment.yaml:" in out
    assert writes(env) == 0


def test_blocked_connector_exits_1(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    env.admin("POST", "seed", {**REMOTE, "private": False})
    write_manifest("Payments", extra='privateProjects: ["europe-west1.gcp:acme-prod"]\n')
    code, out, _ = apply(capsys, "connectors", "--auto-approve")
    assert code == 1 and "blocked" in out
    assert writes(env) == 0


def test_interrupt_exits_130_and_a_bug_exits_3(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import connectorctl.apply.executor

    write_manifest()

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(connectorctl.apply.executor, "execute_plan", interrupted)
    assert apply(capsys, "connectors", "--auto-approve")[0] == 130

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(connectorctl.apply.executor, "execute_plan", broken)
    code, _, err = apply(capsys, "connectors", "--auto-approve")
    assert code == 3 and "please report" in err


def test_readme_quick_start_with_the_embedded_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("GITHUB_ACTIONS", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "examples" / "connectors", tmp_path / "examples" / "connectors")
    code, out, _ = apply(capsys, "examples/connectors", "--emulator", "--auto-approve")
    assert code == 0 and "created" in out
    assert run_cli(["plan", "examples/connectors", "--emulator", "--detailed-exitcode"]) == 0
