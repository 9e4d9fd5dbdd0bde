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
        from connectorctl.kinds.connector_staged.deletion import is_tombstone, plan_delete
        from connectorctl.kinds.connector_staged.diff import plan_connector

        if is_tombstone(desired):
            return plan_delete(desired, remote, context)
        return plan_connector(desired, remote, retry_failed=context.retry_failed)

    def dependencies(self, change: ConnectorChange, context: PlanContext) -> tuple[Dependency, ...]:
        """A connector's DELETE waits for its deployments deleted in the same plan to be gone."""
        from connectorctl.kinds.connector_staged.deletion import delete_dependencies

        return delete_dependencies(change, context)


CONNECTOR_STAGED = ConnectorStagedKind()
