"""A command's connection to the Connect API: the real one, or the embedded local emulator."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from connectorctl.api.client import ConnectClient
from connectorctl.api.target import CONNECTOR_STAGED, ResolvedTarget, resolve_target
from connectorctl.config import TargetOptions
from connectorctl.errors import ConfigError
from connectorctl.model import Target

EMULATOR_DB = Path(".connectorctl") / "emulator.sqlite"
# The embedded emulator listens on a new port each run; plans name it by this stable URL instead,
# so two plans of the same state stay byte-identical and a saved plan applies to the next run.
EMULATOR_TARGET_URL = "http://connectorctl-emulator.localhost"
# The emulator's default client: a local test fixture, not a credential.
EMULATOR_CLIENT_ID = "emulator-client"
EMULATOR_CLIENT_SECRET = "emulator-secret"


@dataclass(frozen=True)
class Session:
    """An open client and the target it talks to."""

    client: ConnectClient
    target: Target


@contextlib.contextmanager
def open_session(options: TargetOptions, env: Mapping[str, str]) -> Iterator[Session]:
    """Open a client for the chosen target; with `--emulator`, run the local emulator meanwhile."""
    debug = _stderr_line if options.debug else None
    with contextlib.ExitStack() as stack:
        if options.emulator:
            resolved = stack.enter_context(_embedded_emulator())
        else:
            resolved = resolve_target(options, env)
        client = stack.enter_context(ConnectClient(resolved, debug=debug, warn=_warning))
        # The project and the read scope are checked before anything else is asked of the API.
        client.check_scope(CONNECTOR_STAGED, write=False)
        target = resolved.plan_target
        if options.emulator:
            target = Target(connect_url=EMULATOR_TARGET_URL, project_key=target.project_key)
        yield Session(client=client, target=target)


@contextlib.contextmanager
def _embedded_emulator() -> Iterator[ResolvedTarget]:
    from connectorctl.emulator.server import start_emulator

    try:
        os.makedirs(EMULATOR_DB.parent, exist_ok=True)
        running = start_emulator(db=str(EMULATOR_DB))
    except (ValueError, OSError) as exc:
        raise ConfigError(f"the local emulator cannot start: {exc}") from exc
    with running as emulator:
        state = EMULATOR_DB.as_posix()
        _stderr_line(f"using the local emulator at {emulator.url} (state in {state})")
        yield ResolvedTarget(
            connect_url=emulator.url.rstrip("/"),
            auth_url=emulator.url.rstrip("/") + "/oauth/token",
            project_key=emulator.project_key,
            client_id=EMULATOR_CLIENT_ID,
            client_secret=EMULATOR_CLIENT_SECRET,
        )


def _warning(text: str) -> None:
    _stderr_line(f"warning: {text}")


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
