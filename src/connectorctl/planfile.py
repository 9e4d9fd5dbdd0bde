"""The plan as JSON: the `--out` file, `--format json`, and what `apply --plan FILE` trusts.

The JSON is stable: keys come out in one fixed order and `created_at` honours
`SOURCE_DATE_EPOCH`, so two plans of the same state are byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from connectorctl import __version__
from connectorctl.errors import PlanFileError, UsageError
from connectorctl.manifest.readfile import UnreadableFile, read_regular_file
from connectorctl.model import (
    ACTION_PARAMS,
    CREATOR_FIELDS,
    DRAFT_FIELDS,
    MANIFEST_KIND,
    Change,
    ConnectorChange,
    Dependency,
    DiffEntry,
    Level,
    Message,
    Plan,
    Target,
    Until,
)

FORMAT_VERSION = "1"
SCHEMA_NAME = "plan.schema.json"
_LINE_SEPARATORS = ("\x85", "\u2028", "\u2029")  # JSON leaves them raw; they break lines
MAX_PLAN_BYTES = 64 * 1024 * 1024  # a plan of thousands of connectors is a few MiB
# A plan nests ~6 levels around values that a manifest bounds at 64: renderers recurse.
MAX_PLAN_DEPTH = 100
_SUB_FIELD_ORDER: Mapping[str, tuple[str, ...]] = {
    "creator": CREATOR_FIELDS,
    "repository": ("url", "tag"),
}


def created_at(env: Mapping[str, str], now: Callable[[], datetime] | None = None) -> str:
    """The plan's timestamp, ISO 8601 UTC with `Z`: SOURCE_DATE_EPOCH when set, else now."""
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        problem = f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {_shown(epoch)}"
        if not (epoch.isascii() and epoch.isdigit()):  # "²".isdigit() holds, int("²") fails
            raise UsageError(problem)
        try:
            moment = datetime.fromtimestamp(int(epoch), tz=UTC)
        except (ValueError, OverflowError, OSError):
            raise UsageError(problem + " (out of range)") from None
    else:
        moment = now() if now is not None else datetime.now(tz=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Plan → JSON


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON data, keys in the documented order."""
    unmanaged = None if plan.unmanaged is None else list(plan.unmanaged)
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "kind": "Plan",
        "connectorctl_version": __version__,
        "target": _target_to_dict(plan.target),
        "created_at": plan.created_at,
        "summary": plan_summary(plan),
        "connectors": [connector_to_dict(c) for c in plan.connectors],
        "unmanaged": unmanaged,
    }
    if plan.messages:
        data["messages"] = [{"level": m.level.value, "text": m.text} for m in plan.messages]
    return data


def _target_to_dict(target: Target) -> dict[str, str | None]:
    return {
        "name": target.name,
        "connect_url": target.connect_url,
        "project_key": target.project_key,
    }


def plan_summary(plan: Plan) -> dict[str, int | None]:
    """Counts per change, plus unmanaged keys (None when the plan read by key)."""
    summary: dict[str, int | None] = {change.value: plan.count(change) for change in Change}
    if not summary[Change.WAITING.value]:
        del summary[Change.WAITING.value]  # only present when a connector waits
    summary["unmanaged"] = None if plan.unmanaged is None else len(plan.unmanaged)
    return summary


def connector_to_dict(change: ConnectorChange) -> dict[str, Any]:
    """One connector's entry; `draft` only for a create."""
    data: dict[str, Any] = {"key": change.key}
    if change.kind != MANIFEST_KIND:  # optional: absent means ConnectorStaged (older plans)
        data["kind"] = change.kind
    data |= {
        "source": change.source,
        "change": change.change.value,
        "id": change.id,
        "version": change.version,
    }
    if change.change is Change.CREATE:
        data["draft"] = _ordered_draft(change.draft or {})
    data["actions"] = [_ordered_action(a) for a in change.actions]
    data["diff"] = [{"path": d.path, "before": d.before, "after": d.after} for d in change.diff]
    data["messages"] = [{"level": m.level.value, "text": m.text} for m in change.messages]
    if change.depends_on:  # the edges `apply --plan` schedules by
        data["depends_on"] = [
            {"kind": d.kind, "key": d.key, "until": d.until.value} for d in change.depends_on
        ]
    return data


def plan_to_json(plan: Plan) -> str:
    """The plan file's text: indented JSON ending in a newline, identical for equal plans."""
    return json_text(plan_to_dict(plan)) + "\n"


def json_text(data: Any) -> str:
    """Indented JSON, non-ASCII kept, but the characters that some readers take for a line
    break escaped, so that no value can start a line of its own."""
    text = json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False)
    for separator in _LINE_SEPARATORS:
        text = text.replace(separator, f"\\u{ord(separator):04x}")
    return text


def _ordered(data: Mapping[str, Any], first: Sequence[str]) -> dict[str, Any]:
    """`data` with the keys of `first` in that order, then any others sorted."""
    known = [k for k in first if k in data]
    rest = sorted(k for k in data if k not in first)
    return {k: data[k] for k in (*known, *rest)}


def _ordered_action(action: Mapping[str, Any]) -> dict[str, Any]:
    params = tuple(ACTION_PARAMS.get(str(action.get("action")), {}))
    return _ordered(action, ("action", *params))


def _ordered_draft(draft: Mapping[str, Any]) -> dict[str, Any]:
    ordered = _ordered(draft, DRAFT_FIELDS)
    for name, sub_fields in _SUB_FIELD_ORDER.items():
        if isinstance(ordered.get(name), Mapping):
            ordered[name] = _ordered(ordered[name], sub_fields)
    return ordered


# ---------------------------------------------------------------------------------------------
# JSON → Plan


def read_plan_file(path: str | Path) -> Plan:
    """Load and check a plan file written by `plan --out`; PlanFileError says what is wrong."""
    data = read_plan_json(path)
    try:
        return plan_from_dict(data)
    except PlanFileError as exc:
        raise PlanFileError(f"{_shown(str(path))}: {exc}") from exc


def read_plan_json(path: str | Path) -> Any:
    """The JSON of a plan (or PlanSet) file: a regular file, bounded in size and depth."""
    shown = _shown(str(path))
    try:
        text = read_regular_file(path, MAX_PLAN_BYTES).decode("utf-8")
    except UnreadableFile as exc:
        reason = str(exc).removeprefix("cannot read file: ")
        raise PlanFileError(f"cannot read plan file {shown}: {reason}") from None
    except UnicodeDecodeError as exc:
        raise PlanFileError(f"cannot read plan file {shown}: {_reason(exc)}") from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{shown}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except RecursionError:
        raise PlanFileError(f"{shown}: invalid plan: JSON nested too deeply") from None
    except ValueError as exc:
        raise PlanFileError(f"{shown}: invalid JSON: {exc}") from exc
    if _deeper_than(data, MAX_PLAN_DEPTH):
        raise PlanFileError(f"{shown}: invalid plan: JSON nested too deeply")
    return data


def plan_from_dict(data: Any, *, trusted: bool = False) -> Plan:
    """Rebuild a Plan from JSON data, after checking it against plan.schema.json.

    `trusted`: data this process just made with `plan_to_dict` (no schema check needed).
    """
    _check_format_version(data)
    try:
        if not trusted:
            _check_schema(data)
    except RecursionError:
        raise PlanFileError("invalid plan: JSON nested too deeply") from None
    connectors = tuple(_connector_from_dict(c) for c in data["connectors"])
    unmanaged = data["unmanaged"]
    plan = Plan(
        target=Target(
            data["target"]["connect_url"], data["target"]["project_key"], data["target"]["name"]
        ),
        created_at=data["created_at"],
        connectors=connectors,
        unmanaged=None if unmanaged is None else tuple(unmanaged),
        messages=tuple(Message(Level(m["level"]), m["text"]) for m in data.get("messages", ())),
    )
    _check_consistency(plan, data["summary"])
    return plan


def _connector_from_dict(data: Mapping[str, Any]) -> ConnectorChange:
    return ConnectorChange(
        key=data["key"],
        change=Change(data["change"]),
        id=data["id"],
        version=data["version"],
        draft=data.get("draft"),
        actions=tuple(data["actions"]),
        diff=tuple(DiffEntry(d["path"], d["before"], d["after"]) for d in data["diff"]),
        messages=tuple(Message(Level(m["level"]), m["text"]) for m in data["messages"]),
        source=data["source"],
        kind=data.get("kind", MANIFEST_KIND),
        depends_on=tuple(
            Dependency(d["kind"], d["key"], Until(d["until"])) for d in data.get("depends_on", ())
        ),
    )


def _check_format_version(data: Any) -> None:
    if not isinstance(data, dict):
        raise PlanFileError("not a connectorctl plan: expected a JSON object")
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise PlanFileError(
            f"unsupported plan format_version {json.dumps(version)}; this connectorctl "
            f'reads format_version "{FORMAT_VERSION}" (make the plan again with this version)'
        )


@cache
def _validator() -> Any:
    from connectorctl.manifest.schemacheck import strict_validator, without_unique_items
    from connectorctl.resources import load_schema

    return strict_validator(without_unique_items(load_schema(SCHEMA_NAME)))


def _check_schema(data: Any) -> None:
    import jsonschema

    error = jsonschema.exceptions.best_match(_validator().iter_errors(data))
    if error is not None:
        raise PlanFileError(f"invalid plan at {error.json_path}: {_short(_unquoted(error))}")


def _unquoted(error: Any) -> str:
    """The schema message without the offending value: a plan file is untrusted input, and a
    value echoed into a CI log could be anything (a secret pasted by mistake included)."""
    message = str(error.message)
    quoted = repr(error.instance)
    return message.replace(quoted, "the value") if quoted in message else message


def _check_consistency(plan: Plan, summary: Mapping[str, Any]) -> None:
    """What a schema cannot say: order, uniqueness, the summary, lifecycle actions last."""
    if not _grouped_and_sorted([(c.kind, c.key) for c in plan.connectors]):
        raise PlanFileError(
            "invalid plan: connectors must be grouped by kind and sorted by key, each key once"
        )
    if plan.unmanaged is not None and list(plan.unmanaged) != sorted(set(plan.unmanaged)):
        raise PlanFileError("invalid plan: unmanaged keys must be sorted, each key once")
    if summary != plan_summary(plan):
        raise PlanFileError("invalid plan: the summary does not match the connectors")
    for index, change in enumerate(plan.connectors):
        _check_connector(index, change)


def _grouped_and_sorted(entries: Sequence[tuple[str, str]]) -> bool:
    """Entries of one kind together (ConnectorStaged first), keys sorted and unique in each."""
    kinds = list(dict.fromkeys(kind for kind, _ in entries))
    if MANIFEST_KIND in kinds and kinds[0] != MANIFEST_KIND:
        return False
    for kind in kinds:
        keys = [key for k, key in entries if k == kind]
        if keys != sorted(set(keys)):
            return False
    grouped = [entry for kind in kinds for entry in entries if entry[0] == kind]
    return grouped == list(entries)


def _check_connector(index: int, change: ConnectorChange) -> None:
    where = f"invalid plan at $.connectors[{index}]"
    lifecycle = change.lifecycle_actions
    if len(lifecycle) > 1 or (lifecycle and change.actions[-1] is not lifecycle[0]):
        raise PlanFileError(f"{where}.actions: at most one lifecycle action, and only last")
    if change.draft is not None and change.draft.get("key") != change.key:
        raise PlanFileError(f"{where}.draft.key: must equal the connector key {change.key!r}")
    if change.change is Change.UNCHANGED and change.actions:
        raise PlanFileError(f"{where}.actions: an unchanged connector has no actions")


def _deeper_than(data: Any, limit: int) -> bool:
    """Whether JSON data nests deeper than `limit` (iteratively: no recursion to exhaust)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def _shown(text: str) -> str:
    """A name or value for a message: as is when printable, else JSON-quoted (one line)."""
    return text if text.isprintable() else json.dumps(text)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc)


def _short(message: str, limit: int = 200) -> str:
    """One line, bounded: schema messages quote the offending value, which may be huge."""
    line = " ".join(message.split())
    return line if len(line) <= limit else line[: limit - 1] + "…"
