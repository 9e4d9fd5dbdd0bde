"""A ConnectorStaged tombstone (`state: absent`) or prune → delete, guarded (DESIGN "Deletion").

The API's DELETE of a ConnectorStaged also deletes its published Connector, so every guard that
fails makes the entry `blocked` (nothing is sent) with a message that says what to do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from connectorctl.kinds.base import PlanContext
from connectorctl.model import (
    UNLIST,
    Change,
    ConnectorChange,
    Dependency,
    Desired,
    Level,
    Location,
    Message,
    Until,
)

CASCADE = "deleting it also deletes the published Connector"
_BUSY = {
    "Processing": "a publish is being processed",
    "ReadyForCertification": "it is in certification",
    "InCertification": "it is in certification",
}
DEPLOYMENT = "Deployment"


def is_tombstone(desired: Desired) -> bool:
    """Whether the manifest says the resource must not exist."""
    return desired.spec.get("state") == "absent"


def plan_delete(
    desired: Desired, remote: Mapping[str, Any] | None, context: PlanContext
) -> ConnectorChange:
    """delete, unchanged (already gone), an unlist first (listed: false), or blocked."""
    base = ConnectorChange(key=desired.key, change=Change.DELETE, source=str(desired.location))
    if remote is None:
        gone = Message(Level.INFO, "absent, as the tombstone says")
        return _with(base, change=Change.UNCHANGED, messages=(gone,))
    base = _with(base, id=remote.get("id"), version=remote.get("version"))
    guard = _guard(desired, remote, context)
    if isinstance(guard, ConnectorChange):
        return guard
    if guard is not None:
        return _with(base, change=Change.BLOCKED, messages=(guard,))
    published = _was_published(remote)
    note = Message(Level.WARNING, CASCADE) if published else None
    return _with(
        base, messages=(note,) if note else (), depends_on=_waits_for(desired.key, context)
    )


def _waits_for(key: str, context: PlanContext) -> tuple[Dependency, ...]:
    """A connector's DELETE waits until each of its deployments deleted in this plan is gone."""
    return tuple(
        Dependency(DEPLOYMENT, deployment, Until.GONE)
        for deployment in sorted(_deployments_of(key, context))
    )


def _guard(
    desired: Desired, remote: Mapping[str, Any], context: PlanContext
) -> ConnectorChange | Message | None:
    """The first guard that fails: an unlist-first update, or the error that blocks the delete."""
    status = str(remote.get("status") or "Draft")
    if status in _BUSY:
        return _blocked(f"cannot delete while {_BUSY[status]}; run again once it has ended")
    if remote.get("alreadyListed") is True:
        if desired.spec.get("listed") is False:
            return _unlist_first(desired, remote)
        return _blocked(
            "the connector is listed: add `listed: false` to the tombstone to unlist it in "
            "this run; a later run deletes it"
        )
    return _deployment_guard(desired.key, remote, context) or _published_guard(remote, context)


def _deployment_guard(key: str, remote: Mapping[str, Any], context: PlanContext) -> Message | None:
    deployments = context.remote.get(DEPLOYMENT)
    if deployments is None:
        if _was_published(remote) or remote.get("isPreviewable") == "true":
            return _blocked(
                "cannot see this project's Deployments (grant view_connectors_deployments): "
                "a connector that was published or is previewable may still be deployed"
            )
        return None
    kept = sorted(_deployments_of(key, context, deleted=False))
    if kept:
        return _blocked(
            "still deployed in this project by " + ", ".join(kept) + "; delete those "
            "deployments in the same plan (tombstones) first"
        )
    return None


def _published_guard(remote: Mapping[str, Any], context: PlanContext) -> Message | None:
    if context.allow_delete_published or not _was_published(remote):
        return None
    others = [p for p in remote.get("privateProjects") or [] if not _is_project(p, context)]
    if remote.get("private") is False:
        reason = "it is public (certified): other projects may use it"
    elif others:
        reason = "its privateProjects name other projects (" + ", ".join(map(str, others)) + ")"
    else:
        return None
    return _blocked(
        f"{reason}; their deployments are invisible from here. To delete it anyway, "
        "run with --allow-delete-published"
    )


def _unlist_first(desired: Desired, remote: Mapping[str, Any]) -> ConnectorChange:
    note = Message(
        Level.WARNING,
        "unlisted in this run; deleted by a later run once the API shows alreadyListed: false",
    )
    return ConnectorChange(
        key=desired.key,
        change=Change.UPDATE,
        id=remote.get("id"),
        version=remote.get("version"),
        actions=({"action": UNLIST},),
        messages=(note,),
        source=str(desired.location),
    )


def _deployments_of(connector_key: str, context: PlanContext, *, deleted: bool = True) -> set[str]:
    """Keys of the live deployments of a connector, those deleted in this plan or the others."""
    live = context.remote.get(DEPLOYMENT) or {}
    found = set()
    for key, deployment in live.items():
        connector = deployment.get("connector") or {}
        ours = isinstance(connector, Mapping) and connector.get("key") == connector_key
        if ours and ((DEPLOYMENT, key) in context.deleting) == deleted:
            found.add(key)
    return found


def _was_published(remote: Mapping[str, Any]) -> bool:
    return str(remote.get("status") or "Draft") != "Draft" or remote.get("alreadyListed") is True


def _is_project(identifier: Any, context: PlanContext) -> bool:
    return isinstance(identifier, str) and identifier.partition(":")[2] == context.project_key


def _blocked(text: str) -> Message:
    return Message(Level.ERROR, text)


def _with(entry: ConnectorChange, **fields: Any) -> ConnectorChange:
    return replace(entry, **fields)


def recheck(
    change: ConnectorChange,
    live: Mapping[str, Any],
    *,
    project_key: str,
    allow_delete_published: bool,
) -> str:
    """Right before a DELETE: the guards again on the live connector; "" when they all hold.

    Deployments were checked by the plan and are waited for by its edges (`depends_on`).
    """
    desired = Desired(change.key, {"key": change.key, "state": "absent"}, Location("apply"))
    context = PlanContext(
        allow_delete_published=allow_delete_published,
        remote={DEPLOYMENT: {}},
        project_key=project_key,
    )
    guard = _guard(desired, live, context)
    if isinstance(guard, ConnectorChange):
        return "the connector is listed again; unlist it first"
    return "" if guard is None else guard.text
