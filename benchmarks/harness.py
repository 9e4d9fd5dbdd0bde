"""What every benchmark shares: the emulator as its own process, the CLI as a subprocess, figures.

The emulator runs in a separate interpreter (`python -m connectorctl emulator --port 0`), so the
CLI's wall time and peak RSS are its own. Data is seeded through the admin API; request counts
come from `GET /_emulator/counters` (before/after deltas, since only a reset clears them).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

PROJECT_KEY = "emulator-project"
CLIENT_ID = "emulator-client"
# The emulator's built-in client: a public local test fixture, not a credential.
CLIENT_SECRET = "emulator-secret"
SEED_BATCH = 500  # the admin API takes at most 1 MiB per request
_BANNER = re.compile(r"the Connect API at (http://\S+)")


# -- the emulator process ---------------------------------------------------------------------


class EmulatorProcess:
    """`connectorctl emulator` in its own process; `.url`, `.admin()`, `.counters()`, `.stop()`."""

    def __init__(self, process: subprocess.Popen[str], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log
        self._http = httpx.Client(base_url=url, timeout=60)

    @classmethod
    def start(cls, *args: str, port: int = 0, db: str = ":memory:") -> EmulatorProcess:
        """Start it (`args` are emulator flags, e.g. `--latency-ms 50`); waits for its URL."""
        log = Path(tempfile.mkstemp(prefix="emulator-", suffix=".log")[1])
        argv = [*connectorctl_argv(), "emulator", "--port", str(port), "--db", db, *args]
        with log.open("w") as errors:
            process = subprocess.Popen(
                argv, stdout=subprocess.PIPE, stderr=errors, text=True, env=clean_env()
            )
        assert process.stdout is not None
        first = process.stdout.readline()
        match = _BANNER.search(first)
        if match is None:
            process.kill()
            raise RuntimeError(f"the emulator did not start: {first}{log.read_text()}")
        return cls(process, match.group(1), log)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, f"/_emulator/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def seed(self, connectors: Sequence[Mapping[str, Any]]) -> None:
        for start in range(0, len(connectors), SEED_BATCH):
            self.admin("POST", "seed", list(connectors[start : start + SEED_BATCH]))

    def counters(self) -> dict[str, int]:
        return dict(self.admin("GET", "counters"))

    def env(self) -> dict[str, str]:
        """The CTP_* variables that point the CLI at this emulator."""
        return {
            "CTP_CLIENT_ID": CLIENT_ID,
            "CTP_CLIENT_SECRET": CLIENT_SECRET,
            "CTP_PROJECT_KEY": PROJECT_KEY,
            "CTP_AUTH_URL": f"{self.url}/oauth/token",
            "CTP_CONNECT_URL": self.url,
        }

    def stop(self) -> None:
        self._http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.log.unlink(missing_ok=True)


@contextmanager
def emulator(*args: str) -> Iterator[EmulatorProcess]:
    running = EmulatorProcess.start(*args)
    try:
        yield running
    finally:
        running.stop()


def count_delta(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Requests per route made between two counter readings (routes with none left out)."""
    delta = {route: after.get(route, 0) - before.get(route, 0) for route in after}
    return {route: n for route, n in sorted(delta.items()) if n}


# -- the CLI as a subprocess --------------------------------------------------------------------


@dataclass(frozen=True)
class CliRun:
    """One finished CLI process: exit code, wall seconds, peak resident memory, its output."""

    exit_code: int
    seconds: float
    peak_rss_mb: float
    stdout: str
    stderr: str


def connectorctl_argv() -> list[str]:
    """How a user starts the CLI: the installed console script, else `python -m connectorctl`."""
    script = shutil.which("connectorctl")
    return [script] if script else [sys.executable, "-m", "connectorctl"]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment without CTP_*/GITHUB_ACTIONS leaking in from the shell, plus `extra`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("CTP_") and k != "GITHUB_ACTIONS"
    }
    env.update({"NO_COLOR": "1", **(extra or {})})
    return env


def run_process(argv: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None) -> CliRun:
    """Run a process to the end; wall time from spawn to exit, peak RSS from its own rusage."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(argv), stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=dict(env), cwd=cwd
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return CliRun(process.returncode, seconds, usage.ru_maxrss / 1024, out.read(), err.read())


def run_cli(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> CliRun:
    """`connectorctl ARGS` as a subprocess."""
    return run_process([*connectorctl_argv(), *args], env=clean_env(env), cwd=cwd)


# -- test data ----------------------------------------------------------------------------------


def connector_key(index: int) -> str:
    return f"connector-{index:05d}"


def remote_connector(index: int, *, tag: str = "v1.0.0") -> dict[str, Any]:
    """The live ConnectorStaged that `manifest_text(index)` describes exactly."""
    key = connector_key(index)
    return {
        "key": key,
        "name": f"Connector {index}",
        "description": f"Integration number {index} for Composable Commerce.",
        "integrationTypes": ["psp", "tax"] if index % 2 else ["erp"],
        "creator": {
            "email": f"team-{index % 17}@acme.example",
            "name": "Jane Doe",
            "company": "ACME",
            "noOfContributors": 1 + index % 9,
        },
        "repository": {"url": f"git@github.com:acme/{key}.git", "tag": tag},
        "supportedRegions": ["europe-west1.gcp", "us-central1.gcp"],
        "documentationUrl": f"https://acme.example/docs/{key}",
    }


def manifest_text(index: int, *, tag: str = "v1.0.0") -> str:
    """One manifest document for connector `index` (its repository tag given)."""
    remote = remote_connector(index, tag=tag)
    creator = remote["creator"]
    return (
        "apiVersion: connectorctl/v1\nkind: ConnectorStaged\n"
        f"key: {remote['key']}\nname: {remote['name']}\ndescription: {remote['description']}\n"
        f"integrationTypes: [{', '.join(remote['integrationTypes'])}]\n"
        f"creator:\n  email: {creator['email']}\n  name: {creator['name']}\n"
        f"  company: {creator['company']}\n  noOfContributors: {creator['noOfContributors']}\n"
        f"repository:\n  url: {remote['repository']['url']}\n  tag: {tag}\n"
        f"supportedRegions: [{', '.join(remote['supportedRegions'])}]\n"
        f"documentationUrl: {remote['documentationUrl']}\n"
    )


def write_manifests(
    folder: Path, count: int, *, changed_every: int = 0, changed_tag: str = "v2.0.0"
) -> list[str]:
    """`count` manifest files in `folder`, every `changed_every`-th with `changed_tag`; the keys."""
    folder.mkdir(parents=True, exist_ok=True)
    keys = []
    for index in range(count):
        changed = changed_every and index % changed_every == 0
        text = manifest_text(index, tag=changed_tag if changed else "v1.0.0")
        (folder / f"{connector_key(index)}.yaml").write_text(text, encoding="utf-8")
        keys.append(connector_key(index))
    return keys


# -- figures ------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned table of the chosen columns."""
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())
    sys.stdout.flush()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def emit_json(records: Sequence[Mapping[str, Any]]) -> None:
    """One JSON line per record (machine-readable figures)."""
    for record in records:
        print(json.dumps(record, sort_keys=True))
    sys.stdout.flush()


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    import platform

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": platform.system(),
    }
