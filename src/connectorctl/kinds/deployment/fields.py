"""What a Deployment manifest and the Deployment resource hold, in one place.

The diff, the draft builder, the emulator and the checks read these names instead of repeating
them (facts: spec/connect-deployments-facts.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

KIND = "Deployment"
SCHEMA_NAME = "deployment.schema.json"

TYPES = ("sandbox", "production", "preview")
STATUSES = (
    "Draft", "Queued", "Deploying", "Deployed", "Failed", "Undeploying", "UndeployFailed",
)  # fmt: skip
# Nothing may be sent while the API is working on the deployment (redeploy is refused).
BUSY_STATUSES = frozenset({"Queued", "Deploying", "Undeploying"})
FAILED_STATUSES = frozenset({"Failed", "UndeployFailed"})

# Manifest fields whose change needs a new deployment (no update action changes them).
IMMUTABLE_FIELDS = ("region", "type", "connector.key", "connector.staged")

# Server-owned Deployment fields: never in a manifest.
OBSERVED_FIELDS = (
    "id", "version", "status", "details", "applications", "deployedRegion", "preview", "apiClient",
)  # fmt: skip

STANDARD = "standardConfiguration"
SECURED = "securedConfiguration"
REDEPLOY = "redeploy"

# A secured value in a manifest is exactly `${NAME}`: the variable is read at apply time only.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def placeholder_name(value: str) -> str | None:
    """The variable NAME of a `${NAME}` placeholder, or None for anything else."""
    match = PLACEHOLDER.fullmatch(value)
    return match.group(1) if match else None


def effective_type(spec: Mapping[str, Any]) -> str:
    """The manifest's type, or the API's default: preview for a staged connector, else sandbox."""
    declared = spec.get("type")
    if isinstance(declared, str):
        return declared
    return "preview" if is_staged(spec) else "sandbox"


def is_staged(spec: Mapping[str, Any]) -> bool:
    connector = spec.get("connector")
    return isinstance(connector, Mapping) and connector.get("staged") is True


def is_tombstone(spec: Mapping[str, Any]) -> bool:
    return spec.get("state") == "absent"


def values_map(entries: Any) -> dict[str, str]:
    """`[{key, value}]` from the API → {key: value}; entries without a string value are skipped."""
    result: dict[str, str] = {}
    for entry in entries if isinstance(entries, Sequence) else ():
        if isinstance(entry, Mapping) and isinstance(entry.get("key"), str):
            value = entry.get("value")
            if isinstance(value, str):
                result[entry["key"]] = value
    return result


def entry_keys(entries: Any) -> tuple[str, ...] | None:
    """The keys listed in `[{key, …}]`, or None when the API lists none (nothing to compare)."""
    keys = tuple(
        entry["key"]
        for entry in (entries if isinstance(entries, Sequence) else ())
        if isinstance(entry, Mapping) and isinstance(entry.get("key"), str)
    )
    return keys or None


def pairs(values: Mapping[str, str]) -> list[dict[str, str]]:
    """{key: value} → the wire's `[{key, value}]`, in the mapping's order."""
    return [{"key": key, "value": value} for key, value in values.items()]
