"""Secrets: every command run with `--debug` against the emulator; no output, log or written file
holds the client secret or a bearer token (any token-shaped string that the emulator accepts)."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectorctl.cli import run_cli

from .fleet import remote, write_fleet

SECRET = "s3cr3t-Zq9vLm2Xw8"
VIEW_SECRET = "v13w-Kp4Rt7Yh1Nc"
WRONG_SECRET = "wr0ng-Hx5Bd6Gq0Ts"
SECRETS = (SECRET, VIEW_SECRET, WRONG_SECRET, "emulator-secret")
TOKEN_SHAPED = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{20,64}(?![A-Za-z0-9_-])")
CHAOS = {"seed": 7, "rates": {"503": 0.2, "429": 0.2}, "retry_after": 0, "first_attempts": 2}


class Target:
    def __init__(self, url: str) -> None:
        self.url = url

    def env(self, client: str = "ci-bot", secret: str = SECRET) -> dict[str, str]:
        return {
            "CTP_CLIENT_ID": client, "CTP_CLIENT_SECRET": secret,
            "CTP_PROJECT_KEY": "secrets-project", "CTP_AUTH_URL": f"{self.url}/oauth/token",
            "CTP_CONNECT_URL": self.url,
        }  # fmt: skip

    def admin(self, path: str, body: Any) -> Any:
        response = httpx.post(f"{self.url}/_emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def accepts(self, token: str) -> bool:
        response = httpx.get(
            f"{self.url}/connectors/drafts",
            params={"limit": "1"},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        return response.status_code == 200


@pytest.fixture(scope="module")
def target() -> Iterator[Target]:
    from connectorctl.emulator.server import start_emulator

    clients = [f"ci-bot:{SECRET}:manage_connectors", f"ci-viewer:{VIEW_SECRET}:view_connectors"]
    settings = {"preview_delay": 0, "publish_delay": 0}
    with start_emulator(project_key="secrets-project", clients=clients, settings=settings) as em:
        yield Target(em.url)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    for name in ("GITHUB_ACTIONS", "CTP_REGION", "CTP_SCOPES", "CONNECTORCTL_EMULATOR_CLIENTS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str],
    *args: str,
) -> tuple[int, str]:  # fmt: skip
    with monkeypatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        code = run_cli(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_no_command_leaks_a_secret_or_a_token_with_debug(
    target: Target, workdir: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    target.admin("reset", None)
    target.admin("seed", [remote(i) for i in range(3, 6)])
    write_fleet(workdir / "connectors", range(6))
    with (workdir / "connectors" / "fleet-0000.yaml").open("a") as manifest:
        manifest.write("release: preview\ncertificationComments: [Ready.]\n")
    env, runs = target.env(), {}
    runs["validate"] = run(capsys, monkeypatch, env, "--debug", "validate", "connectors")
    runs["schema"] = run(capsys, monkeypatch, env, "--debug", "schema")
    runs["plan"] = run(capsys, monkeypatch, env, "plan", "connectors", "--debug", "--out", "p.json")
    target.admin("faults", CHAOS)
    runs["apply"] = run(
        capsys, monkeypatch, env, "apply", "connectors", "--debug", "--auto-approve", "--wait"
    )
    target.admin("faults", {})
    target.admin("edit", {"key": "fleet-0004", "actions": [{"action": "setName", "name": "X"}]})
    runs["plan-key"] = run(capsys, monkeypatch, env, "--debug", "plan", "connectors",
                           "--key", "fleet-0004", "--out", "p.json")  # fmt: skip
    runs["apply-plan"] = run(
        capsys, monkeypatch, env, "apply", "--plan", "p.json", "--debug", "--auto-approve"
    )
    runs["export"] = run(capsys, monkeypatch, env, "export", "--debug", "--output-dir", "out")
    view = target.env("ci-viewer", VIEW_SECRET)
    target.admin("edit", {"key": "fleet-0005", "actions": [{"action": "setName", "name": "Y"}]})
    runs["apply-viewer"] = run(capsys, monkeypatch, view, "apply", "connectors", "--debug",
                               "--auto-approve")  # fmt: skip
    wrong = target.env(secret=WRONG_SECRET)
    runs["plan-wrong-secret"] = run(capsys, monkeypatch, wrong, "plan", "connectors", "--debug")

    assert {name: code for name, (code, _) in runs.items()} == {
        "validate": 0, "schema": 0, "plan": 0, "apply": 0, "plan-key": 0, "apply-plan": 0,
        "export": 0, "apply-viewer": 1, "plan-wrong-secret": 1,
    }  # fmt: skip
    assert "retrying" in runs["apply"][1] and "Bearer <redacted>" in runs["apply"][1]
    assert "authentication failed" in runs["plan-wrong-secret"][1]
    written = [p.read_text() for p in [workdir / "p.json", *sorted((workdir / "out").iterdir())]]
    assert_clean(target, [text for _, text in runs.values()] + written)


def assert_clean(target: Target, texts: list[str]) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text
        assert re.findall(r"Bearer (?!<redacted>)\S+", text) == []
    candidates = {m for text in texts for m in TOKEN_SHAPED.findall(text)}
    leaked = sorted(c for c in candidates if target.accepts(c))
    assert leaked == []


def test_the_emulator_command_and_the_embedded_emulator_print_no_secret(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = [sys.executable, "-m", "connectorctl", "emulator", "--port", "0",
            "--client", f"ci-bot:{SECRET}:manage_connectors"]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = "".join(process.stdout.readline() for _ in range(12))
    finally:
        process.terminate()
        rest, errors = process.communicate(timeout=10)
    assert "ci-bot" in banner and "CTP_CLIENT_SECRET=..." in banner
    write_fleet(workdir / "connectors", range(2))
    code, output = run(capsys, monkeypatch, {}, "plan", "connectors", "--emulator", "--debug")
    assert code == 0 and "> POST" in output
    for text in (banner + rest + errors, output):
        assert SECRET not in text and "emulator-secret" not in text
        assert re.findall(r"Bearer (?!<redacted>)\S+", text) == []
