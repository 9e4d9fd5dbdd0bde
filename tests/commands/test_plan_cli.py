"""`connectorctl plan` end to end against the emulator over a real loopback socket."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from connectorctl.cli import run_cli
from connectorctl.resources import load_schema
from support import MANIFEST, REMOTE

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "connectors"


def write_manifest(folder: Path, text: str = MANIFEST, name: str = "Payment Gateway") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "payment.yaml"
    path.write_text(text.format(name=name), encoding="utf-8")
    return path


@pytest.fixture
def env(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """The CTP_* variables of the manage client, set; the cwd is a fresh folder."""
    variables: dict[str, str] = emulator.env()
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    for name in ("GITHUB_ACTIONS", "CTP_REGION", "CTP_SCOPES", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return variables


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = run_cli(["plan", *args, "--format", "json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def only(plan: dict[str, Any]) -> dict[str, Any]:
    assert len(plan["connectors"]) == 1
    connector: dict[str, Any] = plan["connectors"][0]
    return connector


def test_plan_create(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    write_manifest(Path("connectors"))
    assert run_cli(["plan", "connectors"]) == 0
    text = capsys.readouterr().out
    assert "payment-gateway" in text and "create" in text
    assert run_cli(["plan", "connectors", "--detailed-exitcode"]) == 2
    code, plan = plan_json(capsys, "connectors")
    assert code == 0
    connector = only(plan)
    assert connector["change"] == "create"
    assert connector["draft"]["key"] == "payment-gateway"
    assert connector["source"] == "connectors/payment.yaml:1:1"
    assert plan["summary"]["create"] == 1


def test_plan_update_shows_before_and_after(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", {**REMOTE, "name": "Old Name"})
    write_manifest(Path("connectors"), name="New Name")
    assert run_cli(["plan", "connectors", "--detailed-exitcode"]) == 2
    text = capsys.readouterr().out
    assert "Old Name" in text and "New Name" in text and "setName" in text
    _, plan = plan_json(capsys, "connectors")
    connector = only(plan)
    assert connector["change"] == "update"
    assert connector["actions"] == [{"action": "setName", "name": "New Name"}]
    assert connector["diff"] == [{"path": "name", "before": "Old Name", "after": "New Name"}]
    assert connector["version"] == 1 and connector["id"]


def test_plan_unchanged_and_unmanaged(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", REMOTE)
    emulator.admin("POST", "seed", {**REMOTE, "key": "legacy-erp"})
    emulator.admin("POST", "seed", {**REMOTE, "key": "sandbox-test"})
    write_manifest(Path("connectors"))
    assert run_cli(["plan", "connectors", "--detailed-exitcode"]) == 0
    capsys.readouterr()
    _, plan = plan_json(capsys, "connectors")
    assert only(plan)["change"] == "unchanged"
    assert plan["unmanaged"] == ["legacy-erp", "sandbox-test"]
    assert plan["summary"]["unmanaged"] == 2
    # Reading by key cannot know the unmanaged connectors.
    _, by_key = plan_json(capsys, "connectors", "--key", "payment-gateway")
    assert by_key["unmanaged"] is None and by_key["summary"]["unmanaged"] is None


def test_plan_blocked_is_exit_1(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", {**REMOTE, "private": False, "privateProjects": []})
    text = MANIFEST + "privateProjects:\n  - europe-west1.gcp:acme-prod\n"
    write_manifest(Path("connectors"), text)
    code, plan = plan_json(capsys, "connectors", "--detailed-exitcode")
    assert code == 1
    connector = only(plan)
    assert connector["change"] == "blocked"
    assert any(m["level"] == "error" for m in connector["messages"])
    assert run_cli(["plan", "connectors", "--format", "github"]) == 1
    out = capsys.readouterr().out
    assert "::error file=connectors/payment.yaml,line=1" in out
    # An error wins over changes: a create beside the blocked connector still exits 1.
    other = MANIFEST.replace("key: payment-gateway", "key: tax-sync")
    Path("connectors/tax.yaml").write_text(other.format(name="Tax"), encoding="utf-8")
    code, plan = plan_json(capsys, "connectors", "--detailed-exitcode")
    assert code == 1 and plan["summary"]["create"] == 1 and plan["summary"]["blocked"] == 1


PREVIEW = {"action": "updatePreviewable"}
PUBLISH = {"action": "publish", "certification": False}
CERTIFY = {"action": "publish", "certification": True}
LIFECYCLE_ROWS = [
    # release, remote observed fields, --retry-failed, expected change, lifecycle action, level
    ("draft", {"status": "Published", "hasChanges": True}, False, "unchanged", None, None),
    ("preview", {"isPreviewable": "none"}, False, "update", PREVIEW, None),
    ("preview", {"isPreviewable": "pending"}, False, "unchanged", None, "info"),
    ("preview", {"isPreviewable": "true"}, False, "unchanged", None, None),
    ("preview", {"isPreviewable": "false"}, False, "unchanged", None, "error"),
    ("preview", {"isPreviewable": "false"}, True, "update", PREVIEW, None),
    ("publish", {"status": "Draft"}, False, "update", PUBLISH, None),
    ("publish", {"status": "Published"}, False, "unchanged", None, None),
    ("publish", {"status": "Published", "hasChanges": True}, False, "update", PUBLISH, None),
    ("publish", {"status": "Processing"}, False, "unchanged", None, "info"),
    ("publish", {"status": "Failed"}, False, "unchanged", None, "error"),
    ("publish", {"status": "Failed"}, True, "update", PUBLISH, None),
    ("certify", {"status": "Draft"}, False, "update", CERTIFY, None),
    ("certify", {"status": "InCertification"}, False, "unchanged", None, "info"),
    ("certify", {"status": "ReadyForCertification"}, False, "unchanged", None, "info"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("release", "observed", "retry", "change", "action", "level"), LIFECYCLE_ROWS
)
def test_every_lifecycle_row_shows_in_the_plan(
    env: dict[str, str],
    emulator: Any,
    capsys: pytest.CaptureFixture[str],
    release: str,
    observed: dict[str, Any],
    retry: bool,
    change: str,
    action: dict[str, Any] | None,
    level: str | None,
) -> None:
    emulator.admin("POST", "seed", {**REMOTE, **observed})
    write_manifest(Path("connectors"), MANIFEST + f"release: {release}\n")
    code, plan = plan_json(capsys, "connectors", *(["--retry-failed"] if retry else []))
    connector = only(plan)
    assert connector["change"] == change
    assert connector["actions"] == ([action] if action else [])
    levels = {m["level"] for m in connector["messages"]}
    assert (level in levels) if level else not (levels & {"error", "warning"})
    assert code == (1 if level == "error" else 0)


def test_field_change_while_processing_is_blocked(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", {**REMOTE, "status": "Processing"})
    write_manifest(Path("connectors"), MANIFEST + "release: publish\n", name="Renamed")
    code, plan = plan_json(capsys, "connectors")
    assert code == 1 and only(plan)["change"] == "blocked"


def test_view_only_client_can_plan(
    env: dict[str, str],
    emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in emulator.env("emulator-viewer").items():
        monkeypatch.setenv(name, value)
    emulator.admin("POST", "seed", {**REMOTE, "name": "Old"})
    write_manifest(Path("connectors"))
    code, plan = plan_json(capsys, "connectors")
    assert code == 0 and only(plan)["change"] == "update"


def test_wrong_secret_is_one_line_and_never_shown(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CTP_CLIENT_SECRET", "wrong-secret-4711")
    write_manifest(Path("connectors"))
    assert run_cli(["plan", "connectors", "--debug"]) == 1
    captured = capsys.readouterr()
    errors = [line for line in captured.err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith("error: authentication failed: ")
    assert "wrong-secret-4711" not in captured.out + captured.err
    assert "Traceback" not in captured.err


def test_debug_trace_redacts_secret_and_token(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", REMOTE)
    write_manifest(Path("connectors"))
    assert run_cli(["--debug", "plan", "connectors"]) == 0
    err = capsys.readouterr().err
    assert "GET " in err and "/connectors/drafts" in err and "[attempt 1/5]" in err
    assert env["CTP_CLIENT_SECRET"] not in err
    assert "Bearer <redacted>" in err and '"access_token": "<redacted>"' in err
    assert not re.search(r"Bearer (?!<redacted>)", err)
    assert not re.search(r'"access_token": "(?!<redacted>)', err)


def test_injected_429_and_503_are_retried(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.admin("POST", "seed", REMOTE)
    faults = {"routes": {"query": {"429": 0.5, "503": 0.5}}, "first_attempts": 2, "retry_after": 0}
    emulator.admin("POST", "faults", faults)
    write_manifest(Path("connectors"))
    code, plan = plan_json(capsys, "connectors")
    assert code == 0 and only(plan)["change"] == "unchanged"
    assert emulator.admin("GET", "counters")["query"] == 3


def test_persistent_429_gives_up_with_the_api_error(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    # Retry-After: 0 keeps this fast; the jittered backoff itself is tested in test_client.py.
    emulator.admin("POST", "faults", {"routes": {"query": {"429": 1.0}}, "retry_after": 0})
    write_manifest(Path("connectors"))
    assert run_cli(["plan", "connectors"]) == 1
    err = capsys.readouterr().err
    assert "429" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert emulator.admin("GET", "counters")["query"] == 5


def test_manifest_problems_fetch_nothing(
    env: dict[str, str], emulator: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest(Path("connectors"), MANIFEST + "colour: blue\n")
    assert run_cli(["plan", "connectors"]) == 1
    captured = capsys.readouterr()
    assert "connectors/payment.yaml:" in captured.out + captured.err
    assert not emulator.admin("GET", "counters").get("query")


def test_usage_errors_exit_1(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["plan", "--format", "yaml"]) == 1
    write_manifest(Path("connectors"))
    assert run_cli(["plan", "connectors", "--key", "not-in-any-manifest"]) == 1
    assert "not-in-any-manifest" in capsys.readouterr().err


def test_plan_json_and_out_file_validate_and_are_reproducible(
    env: dict[str, str],
    emulator: Any,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    emulator.admin("POST", "seed", {**REMOTE, "name": "Old", "key": "other"})
    emulator.admin("POST", "seed", {**REMOTE, "name": "Old"})
    write_manifest(Path("connectors"), MANIFEST + "release: preview\n")
    assert run_cli(["plan", "connectors", "--out", "one.json", "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert "|" in markdown and "<details>" in markdown
    assert run_cli(["plan", "connectors", "--out", "two.json"]) == 0
    first, second = Path("one.json").read_bytes(), Path("two.json").read_bytes()
    assert first == second
    data = json.loads(first)
    jsonschema.validate(data, load_schema("plan.schema.json"))
    assert data["created_at"] == "2023-11-14T22:13:20Z"
    assert data["kind"] == "Plan"
    assert data["target"] == {
        "name": None,
        "connect_url": env["CTP_CONNECT_URL"].rstrip("/"),
        "project_key": emulator.project_key,
    }


def test_examples_plan_cleanly(env: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    code, plan = plan_json(capsys, str(EXAMPLES))
    assert code == 0
    assert plan["connectors"] and all(c["change"] == "create" for c in plan["connectors"])
    jsonschema.validate(plan, load_schema("plan.schema.json"))


def test_embedded_emulator_needs_no_credentials(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTP_", "GITHUB_"))}
    result = subprocess.run(
        [sys.executable, "-m", "connectorctl", "plan", str(EXAMPLES), "--emulator"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(
        "using the local emulator at http://connectorctl-emulator.localhost"
    )
    assert "create" in result.stdout
    assert (tmp_path / ".connectorctl" / "emulator.sqlite").is_file()


def test_embedded_emulator_plans_are_byte_identical(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CTP_", "GITHUB_"))}
    env["SOURCE_DATE_EPOCH"] = "1780000000"
    outputs = []
    for name in ("a.json", "b.json"):
        result = subprocess.run(
            [sys.executable, "-m", "connectorctl", "plan", str(EXAMPLES), "--emulator",
             "--out", name],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs.append((tmp_path / name).read_bytes())
    # Each run listens on a new port; the plan names the embedded emulator by a stable URL.
    assert outputs[0] == outputs[1]
    assert b'"connect_url": "http://connectorctl-emulator.localhost"' in outputs[0]
