"""ConnectorStaged: field table, action semantics, diff and lifecycle rules, behind the kind API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectorctl.kinds.base import Dependency, PlanContext
from connectorctl.model import ConnectorChange, Desired


@dataclass(frozen=True)
class ConnectorStagedKind:
    """The ConnectorStaged kind: no dependencies of its own (Deployments depend on it)."""

    name: str = "ConnectorStaged"
    schema: str = "manifest.schema.json"
    collection: str = "connectors/drafts"
    scope: str = "connectors"

    def plan(
        self, desired: Desired, remote: Mapping[str, Any] | None, context: PlanContext
    ) -> ConnectorChange:
        """Create, update, unchanged or blocked, by the diff and lifecycle rules."""
        from connectorctl.kinds.connector_staged.diff import plan_connector

        return plan_connector(desired, remote, retry_failed=context.retry_failed)

    def dependencies(self, change: ConnectorChange, context: PlanContext) -> tuple[Dependency, ...]:
        """A connector waits for nothing before its own requests."""
        return ()


CONNECTOR_STAGED = ConnectorStagedKind()
