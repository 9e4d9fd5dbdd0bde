"""The markdown plan: a summary table and one collapsible section per listed connector.

Meant for a GitHub step summary (1 MiB) or a pull-request comment (65,536 characters): with
`max_chars` whole sections are left out, errors last to go, and a closing line counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectorctl.model import MANIFEST_KIND, Change, ConnectorChange, Plan
from connectorctl.report.common import (
    LIFECYCLE_NOTE,
    flatten,
    format_value,
    is_listed,
    shown_keys,
    summary_line,
)
from connectorctl.report.escape import markdown as _escape
from connectorctl.report.escape import markdown_code as _code
from connectorctl.report.escape import safe_lines

_LABEL = {
    Change.CREATE: "+ create",
    Change.UPDATE: "~ update",
    Change.DELETE: "- DELETE",
    Change.REPLACE: "-/+ REPLACE",
    Change.BLOCKED: "! blocked",
    Change.UNCHANGED: "= unchanged",
    Change.WAITING: "… waiting",
}
_BLOCKED_NOTE = "would need (nothing is sent while blocked)"


def render_markdown(plan: Plan, *, max_chars: int | None = None) -> str:
    """The plan as GitHub-flavoured markdown, at most `max_chars` characters (and UTF-8 bytes)."""
    head, tail = _head(plan), _tail(plan)
    sections = [_section(c) for c in _listed_in_order(plan)]
    if max_chars is None:
        return head + "".join(sections) + tail
    return _fit(head, sections, tail, max_chars)


def _fit(head: str, sections: list[str], tail: str, max_chars: int) -> str:
    """Head, as many whole sections as fit, a count of those left out, tail."""
    whole = head + "".join(sections) + tail
    if _size(whole) <= max_chars:
        return whole
    budget = max_chars - _size(head) - _size(tail) - _size(_omitted(len(sections)))
    kept: list[str] = []
    for section in sections:
        if _size(section) > budget:
            break
        kept.append(section)
        budget -= _size(section)
    left_out = len(sections) - len(kept)
    text = head + "".join(kept) + (_omitted(left_out) if left_out else "") + tail
    return text if _size(text) <= max_chars else _clip(text, max_chars)


def _omitted(count: int) -> str:
    return (
        f"\n… {count} more connectors not shown (limit reached); "
        "see the full plan in the job log/artifact.\n"
    )


def _size(text: str) -> int:
    # UTF-8 bytes bound both limits: the step summary counts bytes, a comment characters.
    return len(text.encode("utf-8"))


def _clip(text: str, max_chars: int) -> str:
    """A last resort when even the head does not fit: cut at a byte bound, then say so."""
    note = "\n… (truncated)\n"
    room = max(max_chars - _size(note), 0)
    return text.encode("utf-8")[:room].decode("utf-8", errors="ignore") + note


def _listed_in_order(plan: Plan) -> list[ConnectorChange]:
    """Deletions first, then errors, so a truncated summary still shows what needs a person."""
    listed = [c for c in plan.connectors if is_listed(c)]
    return sorted(listed, key=_urgency)


def _urgency(change: ConnectorChange) -> int:
    if change.change in (Change.DELETE, Change.REPLACE):
        return 0
    return 1 if change.change is Change.BLOCKED or change.has_error else 2


def _head(plan: Plan) -> str:
    columns = [Change.CREATE, Change.UPDATE, Change.UNCHANGED, Change.BLOCKED]
    loud = [c for c in (Change.DELETE, Change.REPLACE) if plan.count(c)]
    counts = [f"**{plan.count(c)}**" for c in loud] + [str(plan.count(c)) for c in columns]
    unmanaged = "n/a" if plan.unmanaged is None else str(len(plan.unmanaged))
    titles = [c.value.title() for c in [*loud, *columns]] + ["Unmanaged"]
    return (
        f"### connectorctl plan: {_target_name(plan)}{_code(plan.target.project_key)}\n\n"
        f"Target {_code(plan.target.connect_url)}, planned at {_escape(plan.created_at)}.\n\n"
        f"| {' | '.join(titles)} |\n"
        f"|{'---:|' * len(titles)}\n"
        f"| {' | '.join([*counts, unmanaged])} |\n\n"
    )


def _target_name(plan: Plan) -> str:
    name = plan.target.name
    return "" if name is None else f"target {_code(name)}, project "


def _tail(plan: Plan) -> str:
    lines = []
    if plan.unmanaged:
        keys = shown_keys(plan.unmanaged)
        lines.append(f"**Unmanaged** (in no manifest): {_escape(keys)}\n")
    lines.extend(f"**{m.level.value}**: {_escape(m.text)}\n" for m in plan.messages)
    lines.append(f"**{_escape(summary_line(plan))}**\n")
    return "\n" + "\n".join(lines)


def _kind(change: ConnectorChange) -> str:
    """`Deployment ` before the key of an entry that is not a connector."""
    return "" if change.kind == MANIFEST_KIND else f"{_escape(change.kind)} "


def _section(change: ConnectorChange) -> str:
    where = f" · {_escape(change.source)}" if change.source else ""
    parts = [
        f"<details><summary><b>{_LABEL[change.change]}</b> {_kind(change)}{_code(change.key)}"
        f"{where}</summary>\n",
        *_draft_table(change),
        *_diff_table(change),
        *_action_list(change),
        *_message_list(change),
        "</details>\n",
    ]
    return "\n".join(parts) + "\n"


def _draft_table(change: ConnectorChange) -> list[str]:
    if change.change is not Change.CREATE or not change.draft:
        return []
    rows = [f"| {_code(path)} | {_code(format_value(v))} |" for path, v in flatten(change.draft)]
    return ["| Field | Value |\n|---|---|\n" + "\n".join(rows) + "\n"]


def _diff_table(change: ConnectorChange) -> list[str]:
    if not change.diff:
        return []
    rows = [
        f"| {_code(d.path)} | {_code(format_value(d.before))} | {_code(format_value(d.after))} |"
        for d in change.diff
    ]
    return ["| Field | Before | After |\n|---|---|---|\n" + "\n".join(rows) + "\n"]


def _action_list(change: ConnectorChange) -> list[str]:
    if not change.actions:
        return []
    heading = _BLOCKED_NOTE if change.change is Change.BLOCKED else "Actions"
    items = [f"1. {_action(a)}" for a in change.field_actions]
    items += [f"1. {_action(a)} — _{LIFECYCLE_NOTE}_" for a in change.lifecycle_actions]
    return [f"**{heading}**\n\n" + "\n".join(items) + "\n"]


def _action(action: Mapping[str, Any]) -> str:
    params = [f"{_escape(k)}={_code(format_value(v))}" for k, v in action.items() if k != "action"]
    return " ".join([_code(str(action.get("action"))), *params])


def _message_list(change: ConnectorChange) -> list[str]:
    if not change.messages:
        return []
    items = [
        f"- **{m.level.value}**: {'<br>'.join(_escape(line) for line in safe_lines(m.text))}"
        for m in change.messages
    ]
    return ["\n".join(items) + "\n"]
