"""Small pure helpers of the applier: request batching, "already there" checks, notes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectorctl.model import (
    ADD_CERTIFICATION_COMMENT,
    LIFECYCLE_ACTIONS,
    MANIFEST_KIND,
    PUBLISH,
    ConnectorChange,
    Desired,
    Previewable,
    Status,
)

CHUNK_SIZE = 500
Action = Mapping[str, Any]
Remote = dict[str, Any]


def is_lifecycle(batch: Sequence[Action]) -> bool:
    return bool(batch) and batch[0]["action"] in LIFECYCLE_ACTIONS


def error_text(change: ConnectorChange, level: str = "error") -> str:
    return "; ".join(m.text for m in change.messages if m.level.value == level)


def requests(actions: Sequence[Action]) -> Iterator[list[Action]]:
    """Field actions in chunks of CHUNK_SIZE, then each lifecycle action alone."""
    fields = [a for a in actions if a["action"] not in LIFECYCLE_ACTIONS]
    for start in range(0, len(fields), CHUNK_SIZE):
        yield fields[start : start + CHUNK_SIZE]
    for action in actions:
        if action["action"] in LIFECYCLE_ACTIONS:
            yield [action]


def matches_draft(remote: Mapping[str, Any], draft: Mapping[str, Any]) -> bool:
    """Whether the plan's diff of the draft fields against the live connector is empty."""
    from connectorctl.kinds.connector_staged.diff import field_actions

    return not field_actions(draft, remote)


def already_applied(remote: Mapping[str, Any], action: Action) -> bool:
    """Whether sending `action` to `remote` would change nothing: it was applied already."""
    from connectorctl.kinds.connector_staged.actions import ActionRejected, apply_update

    name = action["action"]
    if name == ADD_CERTIFICATION_COMMENT:
        comments = (remote.get("certificationInfo") or {}).get("comments") or []
        return any(c.get("comment") == action["comment"] for c in comments)
    if name == PUBLISH:
        return remote.get("status") != Status.DRAFT and not remote.get("hasChanges")
    if name in LIFECYCLE_ACTIONS:
        return remote.get("isPreviewable") != Previewable.NONE
    try:
        _, changed = apply_update(remote, remote.get("version"), [action], now="")
    except ActionRejected:
        return False
    return not changed


def join_notes(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def desired_index(desired: Sequence[Desired]) -> dict[str, Desired]:
    """The loaded connector manifests by key (other kinds are planned and applied by kind)."""
    return {d.key: d for d in desired if d.kind == MANIFEST_KIND}
