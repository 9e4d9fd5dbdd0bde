"""User and environment errors found by trying the tool: each is one line and exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connectorctl.api.client import safe_url
from connectorctl.cli import run_cli


def test_a_symlink_loop_is_a_problem_not_a_crash(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    monkeypatch.chdir(tmp_path)
    assert run_cli(["validate", "."]) == 1
    assert "loop.yaml:1:1: cannot read file" in capsys.readouterr().out


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_a_full_disk_on_stdout_is_exit_1() -> None:
    with open("/dev/full", "w") as full:
        result = subprocess.run(
            [sys.executable, "-m", "connectorctl", "schema"],
            stdout=full, stderr=subprocess.PIPE, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1
    assert "cannot write output" in result.stderr and "Traceback" not in result.stderr


def test_urls_in_messages_never_carry_a_password() -> None:
    url = "http://client:s3cret@127.0.0.1:1/oauth/token"
    assert "s3cret" not in safe_url(url)
    assert safe_url(url) == "http://client:<redacted>@127.0.0.1:1/oauth/token"
    assert safe_url("https://auth.example/oauth/token") == "https://auth.example/oauth/token"


def test_a_corrupt_emulator_state_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".connectorctl").mkdir()
    (tmp_path / ".connectorctl" / "emulator.sqlite").write_text("junk\n")
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "a.yaml").write_text(  # a folder without manifests fails before the start
        "apiVersion: connectorctl/v1\nkind: ConnectorStaged\nkey: k1\nname: N\n"
        "creator: {email: e}\nrepository: {url: u, tag: t}\n"
    )
    monkeypatch.chdir(tmp_path)
    assert run_cli(["plan", "m", "--emulator"]) == 1
    err = capsys.readouterr().err
    assert "the local emulator cannot start" in err and "not a database" in err
    assert "Traceback" not in err
