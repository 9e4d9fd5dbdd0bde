"""Resource kinds as plug-ins: each brings its schema, fields, actions, diff, lifecycle and edges.

`KINDS` lists them in planning order (a kind may depend only on kinds before it).
"""

from __future__ import annotations

from collections.abc import Mapping

from connectorctl.kinds.base import Dependency, PlanContext, ResourceKind, Until
from connectorctl.kinds.connector_staged import CONNECTOR_STAGED
from connectorctl.kinds.deployment.kind import DEPLOYMENT

KINDS: Mapping[str, ResourceKind] = {
    CONNECTOR_STAGED.name: CONNECTOR_STAGED,
    DEPLOYMENT.name: DEPLOYMENT,
}

__all__ = ["KINDS", "Dependency", "PlanContext", "ResourceKind", "Until", "kind_named"]


def kind_named(name: str, registry: Mapping[str, ResourceKind] | None = None) -> ResourceKind:
    """The registered kind called `name` (KeyError names the known kinds)."""
    registry = KINDS if registry is None else registry
    try:
        return registry[name]
    except KeyError:
        raise KeyError(f"unknown resource kind {name!r}; known: {', '.join(registry)}") from None
