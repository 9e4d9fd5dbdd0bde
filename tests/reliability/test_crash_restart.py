"""Crash and restart: the emulator is killed (SIGKILL) in the middle of an apply and restarted on
the same SQLite file and port; nothing it had written is lost and a second apply converges."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from .fleet import (
    desired_fields,
    key_of,
    managed_view,
    read_all,
    remote,
    write_fleet,
)

FLEET = 60
KILL_AFTER_WRITES = 15
_URL = re.compile(r"the Connect API at (http://\S+)")


class EmulatorProcess:
    """`connectorctl emulator` in its own process, on a SQLite file."""

    def __init__(self, db: Path, port: int = 0) -> None:
        argv = [sys.executable, "-m", "connectorctl", "emulator", "--db", str(db),
                "--port", str(port), "--latency-ms", "20"]  # fmt: skip
        self.process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.process.stdout is not None
        match = _URL.search(self.process.stdout.readline())
        assert match, "the emulator did not start"
        self.url = match.group(1)
        self.port = int(self.url.rsplit(":", 1)[1])

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}/_emulator/{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def writes(self) -> int:
        counters = self.admin("GET", "counters")
        return int(counters.get("create", 0) + counters.get("update", 0))

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture
def processes() -> Iterator[list[EmulatorProcess]]:
    started: list[EmulatorProcess] = []
    yield started
    for process in started:
        process.stop()


def apply_process(folder: Path, url: str) -> subprocess.Popen[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CTP_", "GITHUB_"))},
        "CTP_CLIENT_ID": "emulator-client", "CTP_CLIENT_SECRET": "emulator-secret",
        "CTP_PROJECT_KEY": "emulator-project", "CTP_AUTH_URL": f"{url}/oauth/token",
        "CTP_CONNECT_URL": url, "NO_COLOR": "1",
    }  # fmt: skip
    argv = [sys.executable, "-m", "connectorctl", "apply", str(folder), "--auto-approve",
            "--parallelism", "2", "--format", "json"]  # fmt: skip
    return subprocess.Popen(
        argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def wait_for_writes(emulator: EmulatorProcess, count: int, apply: subprocess.Popen[str]) -> None:
    """Poll the counters until the apply has written `count` times (processes share no clock)."""
    deadline = time.monotonic() + 30
    while emulator.writes() < count:
        assert apply.poll() is None, "the apply ended before the emulator could be killed"
        assert time.monotonic() < deadline, "the apply made no progress"
        time.sleep(0.005)


def test_killed_emulator_loses_nothing_and_a_second_apply_converges(
    tmp_path: Path, processes: list[EmulatorProcess]
) -> None:
    db, folder = tmp_path / "state.sqlite", tmp_path / "connectors"
    first = EmulatorProcess(db)
    processes.append(first)
    first.admin("POST", "seed", [remote(i) for i in range(FLEET // 2, FLEET)])
    write_fleet(folder, range(FLEET))  # half creates, half updates

    apply = apply_process(folder, first.url)
    wait_for_writes(first, KILL_AFTER_WRITES, apply)
    before_kill = {c["key"]: c for c in read_all(first.url)}
    first.kill()
    second = EmulatorProcess(db, port=first.port)
    processes.append(second)
    out, _ = apply.communicate(timeout=120)  # its retries meet the restarted emulator, or give up
    assert apply.returncode in (0, 1) and '"results"' in out

    after_restart = {c["key"]: c for c in read_all(second.url)}
    for key, seen in before_kill.items():  # every committed write survived the crash
        assert after_restart[key]["id"] == seen["id"]
        assert after_restart[key]["version"] >= seen["version"]
    written = [k for k, c in before_kill.items() if index_of(k) < FLEET // 2 or c["version"] > 1]
    assert KILL_AFTER_WRITES <= len(written) < FLEET, "the kill came in the middle of the apply"

    again = apply_process(folder, second.url)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, out + err
    final = read_all(second.url)
    assert sorted(c["key"] for c in final) == [key_of(i) for i in range(FLEET)]
    for connector in final:
        wanted = desired_fields(index_of(connector["key"]))
        assert managed_view(connector) == managed_view(wanted)


def index_of(key: str) -> int:
    return int(key.rsplit("-", 1)[1])
