"""A command's connection to the Connect API: the real one, or the embedded local emulator."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from connectorctl.api.client import ConnectClient
from connectorctl.api.target import (
    CONNECTOR_STAGED,
    ResolvedTarget,
    resolve_config_target,
    resolve_target,
)
from connectorctl.config import TargetOptions
from connectorctl.emulator.options import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
from connectorctl.errors import ConfigError
from connectorctl.model import Target

EMULATOR_DB = Path(".connectorctl") / "emulator.sqlite"
# The embedded emulator listens on a new port each run; plans name it by this stable URL instead,
# so two plans of the same state stay byte-identical and a saved plan applies to the next run.
EMULATOR_TARGET_URL = "http://connectorctl-emulator.localhost"
# The emulator's default client: a local test fixture, not a credential.
EMULATOR_CLIENT_ID = DEFAULT_CLIENT_ID
EMULATOR_CLIENT_SECRET = DEFAULT_CLIENT_SECRET
# Short lifecycle steps for the embedded emulator: a plan run right after `apply` finds them ended.
EMBEDDED_SETTINGS = {"preview_delay": 0.1, "publish_delay": 0.1, "certification_delay": 0.1}
# Deployment phases as short: an `apply --wait` of the examples ends in about a second.
EMBEDDED_DEPLOYMENT_SETTINGS = {
    "queued_delay": 0.1,
    "deploying_delay": 0.2,
    "undeploying_delay": 0.1,
}


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
        selected = options.selected
        if options.emulator:
            # A target keeps its project (and so its data) in the emulator; URLs and credentials go.
            key, name = (selected.project_key, selected.name) if selected else (None, None)
            resolved = stack.enter_context(_embedded_emulator(key, name))
        elif selected is not None:
            resolved = resolve_config_target(selected, env)
        else:
            resolved = resolve_target(options, env)
        client = stack.enter_context(ConnectClient(resolved, debug=debug, warn=_warning))
        # The project and the read scope are checked before anything else is asked of the API.
        client.check_scope(CONNECTOR_STAGED, write=False)
        target = resolved.plan_target
        if options.emulator:
            target = Target(EMULATOR_TARGET_URL, target.project_key, target.name)
        yield Session(client=client, target=target)


@contextlib.contextmanager
def _embedded_emulator(
    project_key: str | None = None, name: str | None = None
) -> Iterator[ResolvedTarget]:
    try:
        from connectorctl.emulator.options import DEFAULT_PROJECT_KEY
        from connectorctl.emulator.server import start_emulator
    except ImportError as exc:
        missing = (exc.name or "a dependency").split(".")[0]
        raise ConfigError(
            f"the local emulator needs {missing}, which is not installed; "
            "reinstall connectorctl with its default dependencies"
        ) from exc
    # Each project keeps its own state file, so that several targets never share connectors.
    db = EMULATOR_DB if project_key is None else emulator_db(project_key)
    try:
        os.makedirs(db.parent, exist_ok=True)
        running = start_emulator(
            db=str(db), project_key=project_key or DEFAULT_PROJECT_KEY, settings=EMBEDDED_SETTINGS
        )
    except (ValueError, OSError) as exc:
        raise ConfigError(f"the local emulator cannot start: {exc}") from exc
    with running as emulator:
        from connectorctl.emulator.deployments import Deployments

        Deployments(emulator.runtime.project).update_settings(EMBEDDED_DEPLOYMENT_SETTINGS)
        # Plans name the emulator by its stable URL only: the port changes on every run.
        state = db.as_posix()
        _stderr_line(f"using the local emulator at {EMULATOR_TARGET_URL} (state in {state})")
        yield ResolvedTarget(
            connect_url=emulator.url.rstrip("/"),
            auth_url=emulator.url.rstrip("/") + "/oauth/token",
            project_key=emulator.project_key,
            client_id=EMULATOR_CLIENT_ID,
            client_secret=EMULATOR_CLIENT_SECRET,
            name=name,
        )


def emulator_db(project_key: str) -> Path:
    """The embedded emulator's state file for one target's project."""
    return EMULATOR_DB.with_name(f"emulator-{project_key}.sqlite")


def _warning(text: str) -> None:
    _stderr_line(f"warning: {text}")


def _stderr_line(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
