"""The small interface every resource kind implements, and the records it speaks in.

A kind knows its manifest schema, the API collection it lives in, the scopes that read and write
it, and how to plan one resource — including what that resource must wait for ("needs that
resource settled first", "goes after those are gone"), recorded in the plan entry's `depends_on`
so that a saved plan carries its edges to `apply --plan`. The planner, applier, reporters and
emulator loop over the registry in `connectorctl.kinds` and never name a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectorctl.model import ConnectorChange, Dependency, Desired, Until

__all__ = ["Dependency", "PlanContext", "ResourceKind", "Until"]


@dataclass(frozen=True)
class PlanContext:
    """What planning one resource may look at besides its own manifest and live state.

    `planned` holds the changes of kinds planned earlier in registry order, by (kind, key), so
    that a dependent kind (a Deployment) can see what happens to what it depends on.
    """

    retry_failed: bool = False
    allow_replace: bool = False
    allow_delete_published: bool = False
    redeploy: frozenset[str] = frozenset()
    project_key: str = ""
    deleting: frozenset[tuple[str, str]] = frozenset()
    planned: Mapping[tuple[str, str], ConnectorChange] = field(default_factory=dict)
    remote: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)


class ResourceKind(Protocol):
    """One resource kind as the stages see it."""

    @property
    def name(self) -> str:
        """The manifest `kind` and plan entry `kind`, e.g. `ConnectorStaged`."""

    @property
    def schema(self) -> str:
        """File name of its manifest JSON Schema in `schemas/`."""

    @property
    def collection(self) -> str:
        """API path below `/{projectKey}/`, e.g. `connectors/drafts`."""

    @property
    def scope(self) -> str:
        """The scope family: `connectors` → view_connectors / manage_connectors."""

    def manifest_problems(self, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        """(dotted path, message) for each rule of a schema-valid manifest its schema cannot say."""

    def plan(
        self, desired: Desired, remote: Mapping[str, Any] | None, context: PlanContext
    ) -> ConnectorChange:
        """The planned change of one resource (pure), with the edges it waits for (`depends_on`)."""
