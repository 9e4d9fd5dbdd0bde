"""Serving the emulator: uvicorn on a pre-bound loopback socket, in a daemon thread or in front."""

from __future__ import annotations

import logging
import socket
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from connectorctl.emulator.app import create_app
from connectorctl.emulator.auth import TokenIssuer, parse_clients
from connectorctl.emulator.faults import FaultConfig, RequestLog
from connectorctl.emulator.options import DEFAULT_PROJECT_KEY
from connectorctl.emulator.runtime import EmulatorRuntime
from connectorctl.emulator.service import EmulatedProject
from connectorctl.emulator.settings import EmulatorSettings
from connectorctl.emulator.store import Store


def build_runtime(
    *,
    db: str = ":memory:",
    project_key: str = DEFAULT_PROJECT_KEY,
    clients: Sequence[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    faults: FaultConfig | None = None,
) -> EmulatorRuntime:
    """The emulator's state for `create_app`; ValueError on a bad client or setting."""
    from connectorctl.kinds.connector_staged.actions import ActionRejected

    try:
        resolved = EmulatorSettings().merged(settings or {})
    except ActionRejected as error:
        raise ValueError(error.message) from None
    try:
        store = Store(db)
    except (sqlite3.Error, OSError) as error:
        raise ValueError(f"cannot use {db} as the emulator's state file: {error}") from None
    project = EmulatedProject(store, resolved, project_key)
    issuer = TokenIssuer(parse_clients(clients, project_key), project_key)
    faults = faults or FaultConfig()
    return EmulatorRuntime(project, issuer, project_key, RequestLog(), faults, faults)


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this; without it every answer waits ~40 ms for a delayed ACK.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind((host, port))
    sock.listen(128)
    return sock


def quiet_uvicorn() -> None:
    """Keep uvicorn's own log lines and tracebacks off the user's terminal."""
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi"):
        logger = logging.getLogger(name)
        logger.handlers = [logging.NullHandler()]
        logger.propagate = False


def make_server(runtime: EmulatorRuntime) -> Any:
    """A uvicorn Server for the runtime's app, configured quietly (no signal or logging setup)."""
    import uvicorn

    quiet_uvicorn()
    config = uvicorn.Config(
        create_app(runtime), log_config=None, access_log=False, lifespan="off",
        log_level="critical", http="h11", ws="none", timeout_graceful_shutdown=2,
    )  # fmt: skip
    return uvicorn.Server(config)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class RunningEmulator:
    """An emulator serving in a daemon thread; `.url` serves the API, token and admin API."""

    url: str
    project_key: str
    runtime: EmulatorRuntime
    _server: Any = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    def stop(self) -> None:
        """Stop serving and close the database (idempotent)."""
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
        self.runtime.project.store.close()

    def __enter__(self) -> RunningEmulator:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(
    *,
    db: str = ":memory:",
    host: str = "127.0.0.1",
    port: int = 0,
    project_key: str = DEFAULT_PROJECT_KEY,
    clients: Sequence[str] | None = None,
    settings: Mapping[str, Any] | None = None,
    faults: FaultConfig | None = None,
) -> RunningEmulator:
    """Serve the emulator on a pre-bound socket in a daemon thread; returns once it accepts."""
    runtime = build_runtime(
        db=db, project_key=project_key, clients=clients, settings=settings, faults=faults
    )
    sock = bind_socket(host, port)
    server = make_server(runtime)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="connectorctl-emulator", daemon=True
    )
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.01)
    if not server.started:
        sock.close()
        raise RuntimeError("the emulator did not start")
    return RunningEmulator(url_of(sock), project_key, runtime, server, thread, sock)
