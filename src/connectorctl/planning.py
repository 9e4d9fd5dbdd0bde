"""The whole plan: every desired resource planned by its kind against its live state; pure.

Kinds are planned in registry order, so that a kind that depends on another (a Deployment on its
connector) sees what the plan does to that one. Entries are sorted by kind order, then key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectorctl.kinds import KINDS, PlanContext, ResourceKind
from connectorctl.model import MANIFEST_KIND, ConnectorChange, Desired, Plan, Target

RemoteByKey = Mapping[str, Mapping[str, Any]]


def make_plan(
    desired: Sequence[Desired],
    remote_by_key: RemoteByKey,
    *,
    target: Target,
    created_at: str,
    unmanaged: Sequence[str] | None,
    retry_failed: bool = False,
    remote_by_kind: Mapping[str, RemoteByKey] | None = None,
    context: PlanContext | None = None,
    kinds: Mapping[str, ResourceKind] | None = None,
) -> Plan:
    """Plan each desired resource against its remote (absent → create).

    `remote_by_key` is the ConnectorStaged state; `remote_by_kind` adds other kinds'. `unmanaged`
    is None when the remote was read by key and so cannot know the other keys.
    """
    kinds = KINDS if kinds is None else kinds
    remote = {MANIFEST_KIND: remote_by_key, **(remote_by_kind or {})}
    context = context or PlanContext(retry_failed=retry_failed)
    deleting = context.deleting | {(d.kind, d.key) for d in desired if _is_tombstone(d)}
    planned: dict[tuple[str, str], ConnectorChange] = {}
    for kind in kinds.values():
        current = PlanContext(
            retry_failed=context.retry_failed,
            allow_replace=context.allow_replace,
            allow_delete_published=context.allow_delete_published,
            redeploy=context.redeploy,
            project_key=context.project_key or target.project_key,
            deleting=frozenset(deleting),
            planned=dict(planned),
            remote=remote,
        )
        live = remote.get(kind.name, {})
        for item in sorted((d for d in desired if d.kind == kind.name), key=lambda d: d.key):
            planned[(kind.name, item.key)] = kind.plan(item, live.get(item.key), current)
    _check_known_kinds(desired, kinds)
    return Plan(
        target=target,
        created_at=created_at,
        connectors=tuple(planned.values()),
        unmanaged=None if unmanaged is None else tuple(sorted(set(unmanaged))),
    )


def _is_tombstone(desired: Desired) -> bool:
    return desired.spec.get("state") == "absent"


def _check_known_kinds(desired: Sequence[Desired], kinds: Mapping[str, ResourceKind]) -> None:
    unknown = sorted({d.kind for d in desired if d.kind not in kinds})
    if unknown:
        raise ValueError(f"no resource kind registered for {', '.join(unknown)}")
