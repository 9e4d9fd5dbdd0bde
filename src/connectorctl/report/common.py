"""Values shared by every human plan format: value and action rendering, summaries."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectorctl.model import Change, ConnectorChange, Plan
from connectorctl.report.escape import safe_text

LIFECYCLE_NOTE = "lifecycle: sent last, in its own request"
UNMANAGED_SHOWN = 50


def format_value(value: Any) -> str:
    """A JSON-like rendering of one value; None (an absent field) as `(absent)`."""
    if value is None:
        return "(absent)"
    return safe_text(json.dumps(value, ensure_ascii=False))


def format_action(action: Mapping[str, Any]) -> str:
    """`setRepository url="…" tag="…"`: the action name and its parameters."""
    params = " ".join(f"{k}={format_value(v)}" for k, v in action.items() if k != "action")
    name = safe_text(str(action.get("action")))
    return f"{name} {params}" if params else name


def flatten(data: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) for every leaf of nested mappings; lists are leaves."""
    for name, value in data.items():
        path = f"{prefix}{name}"
        if isinstance(value, Mapping):
            yield from flatten(value, f"{path}.")
        else:
            yield path, value


def summary_line(plan: Plan) -> str:
    """`Plan: 1 to create, 2 to update, 7 unchanged, 0 blocked, 2 unmanaged.` or `No changes. …`."""
    rest = [f"{plan.count(Change.UNCHANGED)} unchanged", f"{plan.count(Change.BLOCKED)} blocked"]
    if plan.count(Change.WAITING):
        rest.insert(1, f"{plan.count(Change.WAITING)} waiting")
    if plan.unmanaged is not None:
        rest.append(f"{len(plan.unmanaged)} unmanaged")
    if not plan.has_changes:
        return f"No changes. {', '.join(rest)}."
    changes = [f"{plan.count(Change.CREATE)} to create", f"{plan.count(Change.UPDATE)} to update"]
    changes += [
        f"{plan.count(change)} to {change.value}"
        for change in (Change.REPLACE, Change.DELETE)
        if plan.count(change)
    ]
    return f"Plan: {', '.join(changes + rest)}."


def is_listed(change: ConnectorChange) -> bool:
    """Whether a connector gets its own entry: anything but a silent unchanged one."""
    return change.change is not Change.UNCHANGED or bool(change.messages)


def shown_keys(keys: Sequence[str], limit: int = UNMANAGED_SHOWN) -> str:
    """A comma-separated list of at most `limit` keys, then how many more there are."""
    shown = ", ".join(safe_text(k) for k in keys[:limit])
    more = len(keys) - limit
    return f"{shown}, … and {more} more" if more > 0 else shown
