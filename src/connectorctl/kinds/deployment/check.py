"""Rules of a Deployment manifest that a JSON Schema cannot say (each at a dotted path)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectorctl.kinds.deployment.fields import is_staged, is_tombstone


def manifest_problems(spec: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(dotted path, message) for each rule the schema-valid manifest `spec` breaks."""
    if is_tombstone(spec):
        return []
    problems: list[tuple[str, str]] = []
    connector = spec.get("connector")
    connector = connector if isinstance(connector, Mapping) else {}
    if is_staged(spec) and "version" in connector:
        problems.append(
            ("connector.version", "a staged connector cannot be pinned: leave out 'version'")
        )
    declared = spec.get("type")
    if is_staged(spec) and declared not in (None, "preview"):
        problems.append(("type", f"a staged connector deploys only as 'preview', not '{declared}'"))
    if not is_staged(spec) and declared == "preview":
        problems.append(("type", "'preview' needs 'connector.staged: true'"))
    problems += _duplicate_applications(spec.get("configurations"))
    return problems


def _duplicate_applications(configurations: Any) -> list[tuple[str, str]]:
    seen: set[str] = set()
    problems = []
    for index, application in enumerate(configurations or ()):
        name = application.get("applicationName") if isinstance(application, Mapping) else None
        if name in seen:
            path = f"configurations.{index}.applicationName"
            problems.append((path, f"application '{name}' is listed more than once"))
        if isinstance(name, str):
            seen.add(name)
    return problems
