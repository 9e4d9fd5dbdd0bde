"""The whole plan: every desired connector diffed against the remote state, sorted by key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from connectorctl.kinds.connector_staged.diff import plan_connector
from connectorctl.model import Desired, Plan, Target


def make_plan(
    desired: Sequence[Desired],
    remote_by_key: Mapping[str, Mapping[str, Any]],
    *,
    target: Target,
    created_at: str,
    unmanaged: Sequence[str] | None,
    retry_failed: bool = False,
) -> Plan:
    """Plan each desired connector against its remote (absent → create); pure, no I/O.

    `unmanaged` is None when the remote was read by key and so cannot know the other keys.
    """
    connectors = tuple(
        plan_connector(item, remote_by_key.get(item.key), retry_failed=retry_failed)
        for item in sorted(desired, key=lambda d: d.key)
    )
    return Plan(
        target=target,
        created_at=created_at,
        connectors=connectors,
        unmanaged=None if unmanaged is None else tuple(sorted(set(unmanaged))),
    )
