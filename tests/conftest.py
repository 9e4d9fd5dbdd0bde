"""Fixtures shared by every test module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# The official Connect API examples, vendored with their origin in SOURCE.txt.
CONNECT_EXAMPLES = REPO / "tests" / "data" / "connect-examples"
# Loopback never goes through a proxy, whatever the developer's or runner's environment says.
LOOPBACK = "127.0.0.1,localhost,::1,.localhost"


_LEAKY_PREFIXES = ("CTP_", "GITHUB_", "CONNECTORCTL_", "RUNNER_")
_LEAKY_NAMES = ("NO_COLOR", "FORCE_COLOR", "SOURCE_DATE_EPOCH", "CI")


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment() -> Iterator[None]:
    """Nothing of the shell's target, CI or colour settings leaks in (CTP_*, GITHUB_*,
    CONNECTORCTL_*, NO_COLOR, FORCE_COLOR, SOURCE_DATE_EPOCH); loopback bypasses proxies.

    `UPDATE_GOLDENS=1` (the one golden-update switch) is kept.
    """
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(_LEAKY_PREFIXES) or name in _LEAKY_NAMES:
                patch.delenv(name)
        for name in ("NO_PROXY", "no_proxy"):
            given = os.environ.get(name, "")
            patch.setenv(name, f"{given},{LOOPBACK}" if given else LOOPBACK)
        yield


@pytest.fixture
def connect_examples() -> Path:
    """The official JSON examples folder (a missing folder is a failure, not a skip)."""
    assert (CONNECT_EXAMPLES / "connector" / "staged.json").is_file(), CONNECT_EXAMPLES
    return CONNECT_EXAMPLES


# ---------------------------------------------------------------------------------------------
# The Connect API emulator over a real loopback socket.

from connectorctl.emulator.options import DEFAULT_CLIENT_SECRETS  # noqa: E402


class EmulatorHandle:
    """What a test sees of the session's emulator: its URL, its admin API, CTP_* variables."""

    def __init__(self, url: str, project_key: str) -> None:
        import httpx

        self.url = url
        self.project_key = project_key
        self._http = httpx.Client(base_url=url, timeout=10, trust_env=False)

    def admin(self, method: str, path: str, json: Any = None) -> Any:
        """Call `/_emulator/{path}`; raises on an error answer."""
        response = self._http.request(method, f"/_emulator/{path.lstrip('/')}", json=json)
        response.raise_for_status()
        return response.json()

    def env(self, client: str = "emulator-client") -> dict[str, str]:
        """The CTP_* variables that point connectorctl at the emulator as `client`."""
        return {
            "CTP_CLIENT_ID": client,
            "CTP_CLIENT_SECRET": DEFAULT_CLIENT_SECRETS[client],
            "CTP_PROJECT_KEY": self.project_key,
            "CTP_AUTH_URL": f"{self.url}/oauth/token",
            "CTP_CONNECT_URL": self.url,
        }

    def close(self) -> None:
        self._http.close()


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[EmulatorHandle]:
    from connectorctl.emulator.server import start_emulator

    with start_emulator() as running:
        handle = EmulatorHandle(running.url, running.project_key)
        yield handle
        handle.close()


@pytest.fixture
def emulator(_emulator_server: EmulatorHandle) -> EmulatorHandle:
    """The session's emulator, reset (data, settings, faults, clock, counters) for this test."""
    _emulator_server.admin("POST", "reset")
    return _emulator_server
