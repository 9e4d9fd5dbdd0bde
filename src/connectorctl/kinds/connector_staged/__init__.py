"""ConnectorStaged: field table, action semantics, diff and lifecycle rules, behind the kind API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectorctl.kinds.base import PlanContext
from connectorctl.model import ConnectorChange, Desired


@dataclass(frozen=True)
class ConnectorStagedKind:
    """The ConnectorStaged kind: only its DELETE waits (for its deployments deleted in the plan)."""

    name: str = "ConnectorStaged"
    schema: str = "manifest.schema.json"
    collection: str = "connectors/drafts"
    scope: str = "connectors"

    def manifest_problems(self, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        """None beyond the schema: release × listed is checked by the loader with positions."""
        return []

    def plan(
        self, desired: Desired, remote: Mapping[str, Any] | None, context: PlanContext
    ) -> ConnectorChange:
        """Create, update, unchanged or blocked, by the diff and lifecycle rules."""
        from connectorctl.kinds.connector_staged.deletion import is_tombstone, plan_delete
        from connectorctl.kinds.connector_staged.diff import plan_connector

        if is_tombstone(desired):
            return plan_delete(desired, remote, context)
        return plan_connector(desired, remote, retry_failed=context.retry_failed)


CONNECTOR_STAGED = ConnectorStagedKind()
