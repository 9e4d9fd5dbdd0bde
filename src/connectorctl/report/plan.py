"""Plan reporters: text (like `terraform plan`), json, markdown and github, picked from a dict.

Reporters only turn a Plan into a string; they never print and never decide exit codes.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from connectorctl.errors import UsageError
from connectorctl.model import Change, ConnectorChange, Level, Plan

LIFECYCLE_NOTE = "lifecycle: sent last, in its own request"
UNMANAGED_SHOWN = 50
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
    """Colour only on a terminal, and never with NO_COLOR set or TERM=dumb."""
    if "NO_COLOR" in env or env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


# ---------------------------------------------------------------------------------------------
# Values shared by every human format.


def safe_text(text: str) -> str:
    """`text` with control characters escaped, so remote data cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) for ch in text)


def safe_lines(text: str) -> list[str]:
    """The lines of a multi-line text, each made safe; at least one line."""
    return [safe_text(line) for line in text.splitlines()] or [""]


def _escape_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category.startswith("C") or category in ("Zl", "Zp"):
        return f"\\u{ord(ch):04x}"
    return ch


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
    if plan.unmanaged is not None:
        rest.append(f"{len(plan.unmanaged)} unmanaged")
    if not plan.has_changes:
        return f"No changes. {', '.join(rest)}."
    changes = [f"{plan.count(Change.CREATE)} to create", f"{plan.count(Change.UPDATE)} to update"]
    return f"Plan: {', '.join(changes + rest)}."


def is_listed(change: ConnectorChange) -> bool:
    """Whether a connector gets its own entry: anything but a silent unchanged one."""
    return change.change is not Change.UNCHANGED or bool(change.messages)


def shown_keys(keys: Sequence[str], limit: int = UNMANAGED_SHOWN) -> str:
    """A comma-separated list of at most `limit` keys, then how many more there are."""
    shown = ", ".join(safe_text(k) for k in keys[:limit])
    more = len(keys) - limit
    return f"{shown}, … and {more} more" if more > 0 else shown


# ---------------------------------------------------------------------------------------------
# text


_ANSI = {"green": "32", "yellow": "33", "red": "31", "cyan": "36", "bold": "1", "dim": "2"}
_SYMBOL = {Change.CREATE: "+", Change.UPDATE: "~", Change.BLOCKED: "!", Change.UNCHANGED: "="}
_SYMBOL_COLOR = {Change.CREATE: "green", Change.UPDATE: "yellow", Change.BLOCKED: "red"}
_VERB = {
    Change.CREATE: "will be created",
    Change.UPDATE: "will be updated",
    Change.BLOCKED: "is blocked: nothing will be sent",
    Change.UNCHANGED: "has no changes",
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
    return style(f'Plan for project "{project}" at {url}', "bold") + f" ({plan.created_at})"


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
    lines.extend(_message_lines(change, style))
    return lines


def _title(change: ConnectorChange, style: Style) -> str:
    symbol = style(_SYMBOL[change.change], *_color_of(change))
    where = f" ({safe_text(change.source)})" if change.source else ""
    version = f" (version {change.version})" if change.version is not None else ""
    return f"{symbol} {style(change.key, 'bold')}{where} {_VERB[change.change]}{version}"


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
    text = render_text(plan, options)
    return text + "".join(f"{cmd}\n" for cmd in commands)


def connector_annotations(change: ConnectorChange) -> list[str]:
    """`::error|warning|notice file=…,line=…,col=…,title=…::message` lines for one connector."""
    found = [(_COMMAND[m.level], m.text) for m in change.messages]
    if change.change is Change.BLOCKED and not change.has_error:
        found.insert(0, ("error", "blocked: nothing will be sent for this connector"))
    if change.change in (Change.CREATE, Change.UPDATE):
        found.append(("notice", _change_notice(change)))
    properties = _location_properties(change.source)
    properties.append(f"title={escape_property(f'connectorctl: {change.key}')}")
    return [f"::{cmd} {','.join(properties)}::{_annotation_text(text)}" for cmd, text in found]


def _annotation_text(text: str) -> str:
    return escape_data("\n".join(safe_lines(text)))


_COMMAND = {Level.ERROR: "error", Level.WARNING: "warning", Level.INFO: "notice"}


def _change_notice(change: ConnectorChange) -> str:
    names = [str(a.get("action")) for a in change.actions]
    verb = "create" if change.change is Change.CREATE else "update"
    return f"{verb} {change.key}" + (f": {', '.join(names)}" if names else "")


def _location_properties(source: str | None) -> list[str]:
    """file/line/col from a `file:line:col` source (the file itself may contain colons)."""
    if not source:
        return []
    parts = source.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        file, line, col = parts
        return [f"file={escape_property(file)}", f"line={line}", f"col={col}"]
    return [f"file={escape_property(source)}"]


def escape_data(text: str) -> str:
    """Escape a workflow command's message: `%`, CR and LF."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value: as data, plus `:` and `,`."""
    return escape_data(safe_text(text)).replace(":", "%3A").replace(",", "%2C")


def _render_markdown(plan: Plan, options: RenderOptions) -> str:
    from connectorctl.report.markdown import render_markdown

    return render_markdown(plan, max_chars=options.max_chars)


REPORTERS: Mapping[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "markdown": _render_markdown,
    "github": render_github,
}
