"""Plan reporters: text (like `terraform plan`), json, markdown and github, picked from a dict.

Reporters only turn a Plan into a string; they never print and never decide exit codes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TextIO

from connectorctl.errors import UsageError
from connectorctl.model import MANIFEST_KIND, Change, ConnectorChange, Level, Plan
from connectorctl.report.common import (
    LIFECYCLE_NOTE,
    flatten,
    format_action,
    format_value,
    is_listed,
    shown_keys,
    summary_line,
)
from connectorctl.report.escape import github_data as escape_data
from connectorctl.report.escape import github_property as escape_property
from connectorctl.report.escape import safe_lines, safe_text
from connectorctl.report.markdown import render_markdown

# GitHub's limits for markdown, to pass as `max_chars`.
STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes of $GITHUB_STEP_SUMMARY per step
COMMENT_LIMIT = 65_000  # characters of a pull-request comment body (65,536, with room to spare)


@dataclass(frozen=True)
class RenderOptions:
    """How to render: ANSI colour (text/github) and a size bound (markdown)."""

    color: bool = False
    max_chars: int | None = None


Reporter = Callable[[Plan, RenderOptions], str]


def render_plan(plan: Plan, fmt: str, *, color: bool = False, max_chars: int | None = None) -> str:
    """The plan in one of the REPORTERS formats (text, json, markdown, github)."""
    reporter = REPORTERS.get(fmt)
    if reporter is None:
        raise UsageError(f"unknown plan format {fmt!r}; choose one of: {', '.join(REPORTERS)}")
    return reporter(plan, RenderOptions(color=color, max_chars=max_chars))


def use_color(stream: TextIO, env: Mapping[str, str]) -> bool:
    """Colour on a terminal; a non-empty NO_COLOR turns it off, a non-empty FORCE_COLOR on."""
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# ---------------------------------------------------------------------------------------------
# text


_ANSI = {"green": "32", "yellow": "33", "red": "31", "cyan": "36", "bold": "1", "dim": "2"}
_SYMBOL = {
    Change.CREATE: "+",
    Change.UPDATE: "~",
    Change.DELETE: "-",
    Change.REPLACE: "-/+",
    Change.BLOCKED: "!",
    Change.UNCHANGED: "=",
    Change.WAITING: "…",
}
_SYMBOL_COLOR = {
    Change.CREATE: "green",
    Change.UPDATE: "yellow",
    Change.DELETE: "red",
    Change.REPLACE: "red",
    Change.BLOCKED: "red",
    Change.WAITING: "yellow",
}
_VERB = {
    Change.CREATE: "will be created",
    Change.UPDATE: "will be updated",
    Change.DELETE: "will be deleted",
    Change.REPLACE: "will be replaced (deleted, then created)",
    Change.BLOCKED: "is blocked: nothing will be sent",
    Change.UNCHANGED: "has no changes",
    Change.WAITING: "is waiting for a preview review to end: nothing will be sent",
}
_LEVEL_COLOR = {Level.ERROR: "red", Level.WARNING: "yellow", Level.INFO: "cyan"}


@dataclass(frozen=True)
class Style:
    """ANSI colouring that is a no-op when colour is off."""

    color: bool

    def __call__(self, text: str, *names: str) -> str:
        if not self.color or not names:
            return text
        codes = ";".join(_ANSI[name] for name in names)
        return f"\x1b[{codes}m{text}\x1b[0m"


def render_text(plan: Plan, options: RenderOptions) -> str:
    """A terraform-like plan: header, one entry per listed connector, summary line."""
    style = Style(options.color)
    lines = [_header(plan, style), ""]
    for change in plan.connectors:
        if is_listed(change):
            lines.extend(connector_lines(change, style))
            lines.append("")
    lines.extend(_footer_lines(plan))
    lines.append(style(summary_line(plan), "bold"))
    return "\n".join(lines) + "\n"


def _header(plan: Plan, style: Style) -> str:
    project = safe_text(plan.target.project_key)
    url = safe_text(plan.target.connect_url)
    name = plan.target.name
    target = "" if name is None else f'target "{safe_text(name)}": '
    return style(f'Plan for {target}project "{project}" at {url}', "bold") + f" ({plan.created_at})"


def connector_lines(change: ConnectorChange, style: Style) -> list[str]:
    """The entry of one connector: title, values, actions, messages."""
    lines = [_title(change, style)]
    if change.change is Change.CREATE:
        lines.extend(f"    {path}: {format_value(v)}" for path, v in flatten(change.draft or {}))
    for entry in change.diff:
        lines.append(
            f"    {safe_text(entry.path)}: {style(format_value(entry.before), 'dim')} → "
            f"{format_value(entry.after)}"
        )
    lines.extend(_action_lines(change, style))
    lines.extend(_dependency_lines(change))
    lines.extend(_message_lines(change, style))
    return lines


def kind_prefix(change: ConnectorChange) -> str:
    """`Deployment ` before the key of an entry that is not a connector ("" for connectors)."""
    return "" if change.kind == MANIFEST_KIND else f"{safe_text(change.kind)} "


def _dependency_lines(change: ConnectorChange) -> list[str]:
    """What the entry waits for: `after: ConnectorStaged/x settled`."""
    return [f"    after: {safe_text(str(d))} {d.until.value}" for d in change.depends_on]


def _title(change: ConnectorChange, style: Style) -> str:
    symbol = style(_SYMBOL[change.change], *_color_of(change))
    where = f" ({safe_text(change.source)})" if change.source else ""
    version = f" (version {change.version})" if change.version is not None else ""
    key = kind_prefix(change) + style(safe_text(change.key), "bold")
    return f"{symbol} {key}{where} {style(_VERB[change.change], *_verb_color(change))}{version}"


def _verb_color(change: ConnectorChange) -> tuple[str, ...]:
    return ("red", "bold") if change.change in (Change.DELETE, Change.REPLACE) else ()


def _color_of(change: ConnectorChange) -> tuple[str, ...]:
    color = _SYMBOL_COLOR.get(change.change)
    return (color,) if color else ()


def _action_lines(change: ConnectorChange, style: Style) -> list[str]:
    if not change.actions:
        return []
    heading = {Change.CREATE: "then:", Change.BLOCKED: "would need:"}.get(change.change, "actions:")
    lines = [f"    {heading}"]
    for action in change.field_actions:
        lines.append(f"      {format_action(action)}")
    for action in change.lifecycle_actions:
        lines.append(f"      {format_action(action)}  {style(f'[{LIFECYCLE_NOTE}]', 'cyan')}")
    return lines


def _message_lines(change: ConnectorChange, style: Style) -> list[str]:
    lines = []
    for message in change.messages:
        label = style(f"{message.level.value}:", _LEVEL_COLOR[message.level])
        first, *rest = safe_lines(message.text)
        lines.append(f"    {label} {first}")
        lines.extend(f"      {line}" for line in rest)
    return lines


def _footer_lines(plan: Plan) -> list[str]:
    lines = []
    unchanged = sum(1 for c in plan.connectors if c.change is Change.UNCHANGED and not is_listed(c))
    if unchanged:
        noun = "connector" if unchanged == 1 else "connectors"
        lines.append(f"{unchanged} unchanged {noun} not shown.")
    if plan.unmanaged:
        count = len(plan.unmanaged)
        lines.append(f"{count} unmanaged (in no manifest): {shown_keys(plan.unmanaged)}")
    if plan.unmanaged is None:
        lines.append("Unmanaged connectors not listed (read by key).")
    lines.extend(f"{m.level.value}: {line}" for m in plan.messages for line in safe_lines(m.text))
    return [*lines, ""] if lines else []


# ---------------------------------------------------------------------------------------------
# json, github


def render_json(plan: Plan, options: RenderOptions) -> str:
    """The plan file's JSON (DESIGN.md "Plan"), the same bytes `--out` writes."""
    from connectorctl.planfile import plan_to_json

    return plan_to_json(plan)


def render_github(plan: Plan, options: RenderOptions) -> str:
    """The text plan, then workflow-command annotations at each connector's manifest line."""
    commands = [cmd for change in plan.connectors for cmd in connector_annotations(change)]
    commands += [f"::{_COMMAND[m.level]}::{_annotation_text(m.text)}" for m in plan.messages]
    text = render_text(plan, options)
    return text + "".join(f"{cmd}\n" for cmd in commands)


def connector_annotations(change: ConnectorChange) -> list[str]:
    """`::error|warning|notice file=…,line=…,col=…,title=…::message` lines for one connector."""
    found = [(_COMMAND[m.level], m.text) for m in change.messages]
    if change.change is Change.BLOCKED and not change.has_error:
        found.insert(0, ("error", "blocked: nothing will be sent for this connector"))
    if change.change in (Change.DELETE, Change.REPLACE):
        found.insert(0, ("warning", _change_notice(change)))
    elif change.change in (Change.CREATE, Change.UPDATE):
        found.append(("notice", _change_notice(change)))
    properties = _location_properties(change.source)
    title = f"connectorctl: {kind_prefix(change)}{change.key}"
    properties.append(f"title={escape_property(title)}")
    return [f"::{cmd} {','.join(properties)}::{_annotation_text(text)}" for cmd, text in found]


def _annotation_text(text: str) -> str:
    return escape_data("\n".join(safe_lines(text)))


_COMMAND = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def _change_notice(change: ConnectorChange) -> str:
    names = [str(a.get("action")) for a in change.actions]
    verb = _NOTICE_VERB.get(change.change, "update")
    return f"{verb} {kind_prefix(change)}{change.key}" + (f": {', '.join(names)}" if names else "")


_NOTICE_VERB = {
    Change.CREATE: "create",
    Change.DELETE: "DELETE (also deletes the published Connector)",
    Change.REPLACE: "REPLACE (delete, then create)",
}


def _location_properties(source: str | None) -> list[str]:
    """file/line/col from a `file:line:col` source (the file itself may contain colons)."""
    if not source:
        return []
    parts = source.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        file, line, col = parts
        return [f"file={escape_property(file)}", f"line={line}", f"col={col}"]
    return [f"file={escape_property(source)}"]


def _render_markdown(plan: Plan, options: RenderOptions) -> str:
    return render_markdown(plan, max_chars=options.max_chars)


REPORTERS: Mapping[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "markdown": _render_markdown,
    "github": render_github,
}
