"""The small interface every resource kind implements, and the records it speaks in.

A kind knows its manifest schema, the API collection it lives in, the scopes that read and write
it, how to plan one resource, and what it must wait for ("needs that resource settled first",
"goes after those are gone"). The planner, applier, reporters and emulator loop over the registry
in `connectorctl.kinds` and never name a kind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from connectorctl.model import ConnectorChange, Desired


class Until(StrEnum):
    """What a dependency edge waits for."""

    SETTLED = "settled"  # the other resource's lifecycle step has taken effect and succeeded
    GONE = "gone"  # the other resource answers 404


@dataclass(frozen=True, order=True)
class Dependency:
    """An edge: this resource's requests wait until `kind`/`key` reaches `until`."""

    kind: str
    key: str
    until: Until

    def __str__(self) -> str:
        return f"{self.kind}/{self.key}"


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

    def plan(
        self, desired: Desired, remote: Mapping[str, Any] | None, context: PlanContext
    ) -> ConnectorChange:
        """The planned change of one resource (pure)."""

    def dependencies(self, change: ConnectorChange, context: PlanContext) -> tuple[Dependency, ...]:
        """The resources this change must wait for before its first request."""
