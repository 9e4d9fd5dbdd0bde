"""The emulator's defaults (one place) and the typed options `connectorctl emulator` serves with.

Importable without the emulator extra: the client's session and the tests read the defaults.
The default clients are public local test fixtures, not credentials.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

UNLIST_UNCERTIFIED = ("works", "refused")
# The facts document no code for an update while Processing; this is the only documented code
# that refuses a request because a publish process is under way.
PROCESSING_ERROR_CODE = "ConnectorStagedInCertification"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8080
DEFAULT_DB = ":memory:"
DEFAULT_PROJECT_KEY = "emulator-project"
DEFAULT_CLIENT_ID = "emulator-client"
DEFAULT_CLIENT_SECRET = "emulator-secret"
VIEWER_CLIENT_ID = "emulator-viewer"
VIEWER_CLIENT_SECRET = "emulator-viewer-secret"
DEFAULT_CLIENT_SECRETS: Mapping[str, str] = {
    DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET,
    VIEWER_CLIENT_ID: VIEWER_CLIENT_SECRET,
}
DEFAULT_CLIENTS = (
    # The quick start deploys too: the default client manages connectors and their deployments.
    f"{DEFAULT_CLIENT_ID}:{DEFAULT_CLIENT_SECRET}:manage_connectors manage_connectors_deployments",
    f"{VIEWER_CLIENT_ID}:{VIEWER_CLIENT_SECRET}:view_connectors",
)


@dataclass(frozen=True)
class EmulatorOptions:
    """What to serve: where, which state file and project, which clients, settings and faults.

    `settings` and `faults` are partial bodies of `POST /_emulator/settings` and `/faults`.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    db: str = DEFAULT_DB
    project_key: str = DEFAULT_PROJECT_KEY
    clients: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    faults: Mapping[str, Any] = field(default_factory=dict)
