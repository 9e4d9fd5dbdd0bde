"""The Deployment kind behind the kind interface: it plans against what the plan does to its
connector, and waits for that connector's lifecycle step to settle (DESIGN "Deployments").

`context.remote` may hold `Connector` (the published Connectors by key, for their latest
version) next to `ConnectorStaged` and `Deployment`; a connector published or previewed by this
plan makes a deployment that follows the latest version move with it (`updateConnector: true`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from connectorctl.kinds.base import PlanContext
from connectorctl.kinds.deployment.check import manifest_problems
from connectorctl.kinds.deployment.diff import plan_deployment, redeploy_action
from connectorctl.kinds.deployment.fields import KIND, SCHEMA_NAME, is_staged, is_tombstone
from connectorctl.model import (
    PUBLISH,
    UPDATE_PREVIEWABLE,
    Change,
    ConnectorChange,
    Dependency,
    Desired,
    DiffEntry,
    Level,
    Message,
    Until,
)

CONNECTOR_STAGED = "ConnectorStaged"
PUBLISHED = "Connector"
AFTER_RELEASE = "(the version this run releases)"


@dataclass(frozen=True)
class DeploymentKind:
    """Deployments: per project, depending on their connector's release."""

    name: str = KIND
    schema: str = SCHEMA_NAME
    collection: str = "{projectKey}/deployments"
    scope: str = "connectors_deployments"

    def manifest_problems(self, data: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Staged × version × type, and applications listed once."""
        return manifest_problems(data)

    def plan(
        self, desired: Desired, remote: Mapping[str, Any] | None, context: PlanContext
    ) -> ConnectorChange:
        """Create, redeploy, replace, delete, unchanged or blocked."""
        spec = desired.spec
        if is_tombstone(spec):
            return plan_deployment(desired, remote, retry_failed=context.retry_failed)
        change = plan_deployment(
            desired,
            remote,
            connector_latest_version=_latest_version(spec, context),
            redeploy_requested=desired.key in context.redeploy,
            allow_replace=context.allow_replace,
            retry_failed=context.retry_failed,
        )
        if _releases(spec, context) and _follows_latest(spec):
            if remote is not None:
                change = _follow_release(change, spec, remote)
            change = _unversioned_draft(change)
        return replace(change, depends_on=_waits_for(spec, change, context))


DEPLOYMENT = DeploymentKind()


def _waits_for(
    spec: Mapping[str, Any], change: ConnectorChange, context: PlanContext
) -> tuple[Dependency, ...]:
    """A create, redeploy or replace waits for its connector's release in this plan to settle."""
    if change.change not in (Change.CREATE, Change.UPDATE, Change.REPLACE):
        return ()
    if not _releases(spec, context):
        return ()
    return (Dependency(CONNECTOR_STAGED, spec["connector"]["key"], Until.SETTLED),)


def _latest_version(spec: Mapping[str, Any], context: PlanContext) -> int | None:
    """The version a deployment would get now: the published Connector's (the staged one's for
    a preview deployment), when the plan read it."""
    key = spec["connector"]["key"]
    source = CONNECTOR_STAGED if is_staged(spec) else PUBLISHED
    live = context.remote.get(source, {}).get(key) or {}
    version = live.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


def _releases(spec: Mapping[str, Any], context: PlanContext) -> bool:
    return _releases_key(spec["connector"]["key"], context, staged=is_staged(spec))


def _releases_key(key: str, context: PlanContext, *, staged: bool) -> bool:
    """Whether this plan sends the connector's lifecycle step (a publish; a preview for staged)."""
    planned = context.planned.get((CONNECTOR_STAGED, key))
    if planned is None or planned.change not in (Change.CREATE, Change.UPDATE):
        return False
    steps = {a["action"] for a in planned.lifecycle_actions}
    return (UPDATE_PREVIEWABLE if staged else PUBLISH) in steps


def _unversioned_draft(change: ConnectorChange) -> ConnectorChange:
    """A create after this run's release names no version: the applier reads the latest once
    the release settled (a pinned version is kept as it is)."""
    if change.draft is None or change.change not in (Change.CREATE, Change.REPLACE):
        return change
    reference = {k: v for k, v in change.draft["connector"].items() if k != "version"}
    return replace(change, draft={**change.draft, "connector": reference})


def _follows_latest(spec: Mapping[str, Any]) -> bool:
    return not isinstance(spec["connector"].get("version"), int)


def _follow_release(
    change: ConnectorChange, spec: Mapping[str, Any], remote: Mapping[str, Any]
) -> ConnectorChange:
    """The deployment moves to the version this run releases: a redeploy with updateConnector."""
    if change.change not in (Change.UPDATE, Change.UNCHANGED):
        return change
    deployed = (remote.get("connector") or {}).get("version")
    entry = DiffEntry("connector.version", deployed, AFTER_RELEASE)
    note = Message(Level.INFO, "redeployed once this run's release of its connector settles")
    action = redeploy_action(spec, remote, update_connector=True)
    if change.change is Change.UPDATE:
        action = {**dict(change.actions[0]), "updateConnector": True}
    diff = (*(d for d in change.diff if d.path != "connector.version"), entry)
    return replace(
        change,
        change=Change.UPDATE,
        actions=(action,),
        diff=diff,
        messages=(*[m for m in change.messages if m.level is not Level.INFO], note),
    )
