"""Fixtures shared by every test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
# The official Connect API examples live beside the repository, not in it.
CONNECT_EXAMPLES = REPO.parent / "shared" / "connect-examples"


@pytest.fixture
def connect_examples() -> Path:
    """The official JSON examples folder; tests that need it skip when it is absent."""
    if not CONNECT_EXAMPLES.is_dir():
        pytest.skip("official Connect examples not available beside the repository")
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
        self._http = httpx.Client(base_url=url, timeout=10)

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
