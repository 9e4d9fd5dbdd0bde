"""Progress of `apply` on stderr, from a real process against the emulator over loopback: a line
per changed connector in a log, one line redrawn in place on a terminal (a pseudo-terminal)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from support import REMOTE, connector, use_client

COMMAND = [sys.executable, "-m", "connectorctl", "apply", "connectors", "--auto-approve"]


@pytest.fixture
def five(emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Two connectors already live and unchanged, three to update."""
    use_client(emulator, monkeypatch, "emulator-client")
    for name in ("GITHUB_ACTIONS", "SOURCE_DATE_EPOCH", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    for key in ("a-same", "b-same", "c-new", "d-new", "e-new"):
        emulator.admin("POST", "seed", {**REMOTE, "key": key})
        connector(key, "Payment Gateway" if key.endswith("same") else f"Renamed {key}")
    return emulator


def test_in_a_log_each_changed_connector_gets_a_line_before_the_table(five: Any) -> None:
    done = subprocess.run(
        [*COMMAND, "--parallelism", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,  # one stream, as a CI log interleaves them
        text=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    progress = [line for line in lines if line.endswith("(1 request)")]
    assert sorted(progress) == [
        "c-new: updated (1 request)",
        "d-new: updated (1 request)",
        "e-new: updated (1 request)",
    ]
    table = lines.index("KIND             KEY    RESULT   REQUESTS  RETRIES  NOTE")
    assert max(lines.index(line) for line in progress) < table
    assert lines[table + 1 :] == [
        "ConnectorStaged  c-new  updated  1         0",
        "ConnectorStaged  d-new  updated  1         0",
        "ConnectorStaged  e-new  updated  1         0",
        "2 unchanged not shown.",
        "Apply complete: 3 updated, 2 unchanged.",
    ]
    assert not any(line.startswith(("a-same", "b-same")) for line in lines)


def test_on_a_terminal_one_line_is_redrawn_in_place(five: Any) -> None:
    # Every first update attempt is answered 500: each connector is retried once.
    five.admin("POST", "faults", {"routes": {"update": {"500": 1.0}}, "first_attempts": 1})
    leader, follower = os.openpty()
    try:
        done = subprocess.run(
            [*COMMAND, "--parallelism", "1"],
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            env={**os.environ, "TERM": "xterm"},
            timeout=60,
        )
        os.close(follower)
        follower = -1
        shown = _read_all(leader)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert done.returncode == 0, shown
    redraw = "\r\x1b[K"
    frames = [frame for frame in shown.split(redraw) if frame]
    assert frames == [
        "2/5 done · 0 in flight",
        "2/5 done · 1 in flight",
        "2/5 done · 1 in flight · 1 retrying",
        "3/5 done · 0 in flight",
        "3/5 done · 1 in flight",
        "3/5 done · 1 in flight · 1 retrying",
        "4/5 done · 0 in flight",
        "4/5 done · 1 in flight",
        "4/5 done · 1 in flight · 1 retrying",
        "5/5 done · 0 in flight",
    ]
    assert shown.endswith(redraw)  # cleared before the closing table
    assert "ConnectorStaged  c-new  updated  2         1" in done.stdout
    assert "Apply complete: 3 updated, 2 unchanged." in done.stdout


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: every writer closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8")
