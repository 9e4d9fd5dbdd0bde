"""Request bodies: the DeploymentDraft of a create, and resolving secured placeholders.

Bodies carry secured values as their `${NAME}` placeholders (a plan file holds only names);
`resolve_secured` puts the values in at apply time, from a lookup the caller passes in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectorctl.kinds.deployment.fields import (
    SECURED,
    STANDARD,
    effective_type,
    is_staged,
    pairs,
    placeholder_name,
)
from connectorctl.model import Desired


class MissingSecret(Exception):
    """Secured values whose variables are not set; `names` lists them (sorted, no values)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__(f"secured value variable(s) not set: {', '.join(names)}")
        self.names = names


def deployment_draft(
    desired: Desired | Mapping[str, Any], *, connector_version: int | None = None
) -> dict[str, Any]:
    """The create body for a Deployment manifest (or its spec with `key`): maps become
    `[{key, value}]` lists, both always sent; `connector.version` is the pinned one, else
    `connector_version` (the latest, when known), else left out."""
    if isinstance(desired, Desired):
        desired = {"key": desired.key, **desired.spec}
    connector = desired["connector"]
    reference: dict[str, Any] = {"key": connector["key"]}
    version = connector.get("version", connector_version)
    if isinstance(version, int):
        reference["version"] = version
    if is_staged(desired):
        reference["staged"] = True
    draft: dict[str, Any] = {"key": desired["key"], "connector": reference}
    draft["type"] = effective_type(desired)
    draft["region"] = desired["region"]
    draft["configurations"] = [
        application_values(app, app.get(STANDARD, {})) for app in desired["configurations"]
    ]
    if "globalConfiguration" in desired:
        draft["globalConfiguration"] = global_values(
            desired["globalConfiguration"], desired["globalConfiguration"].get(STANDARD, {})
        )
    return draft


def application_values(app: Mapping[str, Any], standard: Mapping[str, str]) -> dict[str, Any]:
    """One `DeploymentConfigurationApplication`: the given standard values, all secured ones."""
    return {
        "applicationName": app["applicationName"],
        STANDARD: pairs(standard),
        SECURED: pairs(app.get(SECURED, {})),
    }


def global_values(declared: Mapping[str, Any], standard: Mapping[str, str]) -> dict[str, Any]:
    return {STANDARD: pairs(standard), SECURED: pairs(declared.get(SECURED, {}))}


def secured_names(body: Any) -> tuple[str, ...]:
    """The variable names of every secured placeholder in a body (sorted, unique)."""
    names: set[str] = set()
    _walk_secured(body, lambda entry: names.add(placeholder_name(entry["value"]) or ""))
    names.discard("")
    return tuple(sorted(names))


def resolve_secured(body: Any, lookup: Callable[[str], str | None]) -> Any:
    """A copy of `body` with each secured `${NAME}` replaced by `lookup(NAME)`.

    Raises MissingSecret naming every variable that `lookup` does not know.
    """
    missing = tuple(name for name in secured_names(body) if lookup(name) is None)
    if missing:
        raise MissingSecret(missing)
    return _resolved(body, lookup, secured=False)


def _resolved(node: Any, lookup: Callable[[str], str | None], *, secured: bool) -> Any:
    if isinstance(node, Mapping):
        if secured and isinstance(node.get("value"), str):
            name = placeholder_name(node["value"])
            value = lookup(name) if name else None
            return {**node, "value": value if value is not None else node["value"]}
        return {k: _resolved(v, lookup, secured=k == SECURED) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolved(item, lookup, secured=secured) for item in node]
    return node


def _walk_secured(node: Any, visit: Callable[[Mapping[str, Any]], None]) -> None:
    if isinstance(node, Mapping):
        for name, value in node.items():
            if name == SECURED and isinstance(value, list):
                for entry in value:
                    if isinstance(entry, Mapping) and isinstance(entry.get("value"), str):
                        visit(entry)
            else:
                _walk_secured(value, visit)
    elif isinstance(node, list):
        for item in node:
            _walk_secured(item, visit)
