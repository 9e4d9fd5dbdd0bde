"""`connectorctl emulator`: serves, prints URLs and variable names (never a secret), stops."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from typing import Any

import httpx
import pytest

from connectorctl.cli import run_cli
from connectorctl.emulator.server import bind_socket

SECRET = "s3cr3t-value-never-printed"


def _start(*args: str) -> tuple[subprocess.Popen[str], list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "connectorctl", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "CONNECTORCTL_EMULATOR_CLIENTS": ""},
    )  # fmt: skip
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            break
    return process, lines


def _stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    return out, err


def test_serves_and_never_prints_the_secret(tmp_path: Any) -> None:
    client = f"ci-bot:{SECRET}:manage_connectors,view_connectors"
    process, lines = _start("--client", client, "--db", str(tmp_path / "db.sqlite"),
                            "--project-key", "demo", "--update-status", "200")  # fmt: skip
    try:
        banner = "".join(lines)
        url = next(line.split("=", 1)[1].strip() for line in lines if "CTP_CONNECT_URL=" in line)
        assert url.startswith("http://127.0.0.1:")
        names = ("CTP_AUTH_URL", "CTP_CONNECT_URL", "CTP_PROJECT_KEY=demo", "CTP_CLIENT_ID=ci-bot")
        for name in (*names, "CTP_CLIENT_SECRET"):
            assert name in banner
        token = httpx.post(f"{url}/oauth/token", data={"grant_type": "client_credentials"},
                           auth=("ci-bot", SECRET)).json()  # fmt: skip
        assert token["scope"] == "manage_connectors:demo view_connectors:demo"
        assert httpx.get(f"{url}/_emulator/settings").json()["update_status"] == 200
    finally:
        out, err = _stop(process)
    assert SECRET not in banner + out + err
    assert "Traceback" not in err


def test_default_clients_and_fault_flags() -> None:
    process, lines = _start("--seed", "3", "--fail-rate", "503=1", "--retry-after", "0",
                            "--no-transition-bumps-version", "--publish-delay", "0",
                            "--no-staged-change-resets-previewable", "--unlist-uncertified",
                            "refused", "--no-unlist-clears-listed")  # fmt: skip
    try:
        banner = "".join(lines)
        assert "emulator-client" in banner and "emulator-secret" not in banner
        url = next(line.split("=", 1)[1].strip() for line in lines if "CTP_CONNECT_URL=" in line)
        faults = httpx.get(f"{url}/_emulator/faults").json()
        assert (faults["seed"], faults["rates"]) == (3, {"503": 1.0})
        assert httpx.get(f"{url}/connectors/drafts").status_code == 503
        settings = httpx.get(f"{url}/_emulator/settings").json()
        assert (settings["transitions_bump_version"], settings["publish_delay"]) == (False, 0)
        unknowns = (
            "staged_change_resets_previewable",
            "unlist_uncertified",
            "unlist_clears_listed",
        )
        assert [settings[name] for name in unknowns] == [False, "refused", False]
        assert settings["processing_error_code"] == "ConnectorStagedInCertification"
    finally:
        _stop(process)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--client", "no-colons"], "ID:SECRET:SCOPES"),
        (["--client", "a:b:fly_to_moon"], "scopes must be among"),
        (["--fail-rate", "404=0.5"], "--fail-rate"),
        (["--fail-rate", "503=7"], "between 0 and 1"),
        (["--drop-after-write", "x"], "between 0 and 1"),
    ],
)
def test_bad_flags_are_one_line_errors(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert run_cli(["emulator", *args]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    taken = bind_socket("127.0.0.1", 0)
    try:
        port = str(taken.getsockname()[1])
        assert run_cli(["emulator", "--port", port]) == 1
    finally:
        taken.close()
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err


def test_without_the_extra_the_message_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "connectorctl.emulator.server", None)
    assert run_cli(["emulator"]) == 1
    assert "pip install 'connectorctl[emulator]'" in capsys.readouterr().err
