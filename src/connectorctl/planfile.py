"""The plan as JSON: the `--out` file, `--format json`, and what `apply --plan FILE` trusts.

The JSON is stable: keys come out in one fixed order and `created_at` honours
`SOURCE_DATE_EPOCH`, so two plans of the same state are byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectorctl import __version__
from connectorctl.errors import PlanFileError, UsageError
from connectorctl.model import (
    ACTION_PARAMS,
    CREATOR_FIELDS,
    DRAFT_FIELDS,
    Change,
    ConnectorChange,
    DiffEntry,
    Level,
    Message,
    Plan,
    Target,
)

FORMAT_VERSION = "1"
SCHEMA_NAME = "plan.schema.json"
_SUB_FIELD_ORDER: Mapping[str, tuple[str, ...]] = {
    "creator": CREATOR_FIELDS,
    "repository": ("url", "tag"),
}


def created_at(env: Mapping[str, str], now: Callable[[], datetime] | None = None) -> str:
    """The plan's timestamp, ISO 8601 UTC with `Z`: SOURCE_DATE_EPOCH when set, else now."""
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise UsageError(f"SOURCE_DATE_EPOCH must be a whole number of seconds, not {epoch!r}")
        moment = datetime.fromtimestamp(int(epoch), tz=UTC)
    else:
        moment = now() if now is not None else datetime.now(tz=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------------------------
# Plan → JSON


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as plain JSON data, keys in the documented order."""
    unmanaged = None if plan.unmanaged is None else list(plan.unmanaged)
    return {
        "format_version": FORMAT_VERSION,
        "connectorctl_version": __version__,
        "target": {"connect_url": plan.target.connect_url, "project_key": plan.target.project_key},
        "created_at": plan.created_at,
        "summary": plan_summary(plan),
        "connectors": [connector_to_dict(c) for c in plan.connectors],
        "unmanaged": unmanaged,
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
    data: dict[str, Any] = {
        "key": change.key,
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
    return data


def plan_to_json(plan: Plan) -> str:
    """The plan file's text: indented JSON ending in a newline, identical for equal plans."""
    return json.dumps(plan_to_dict(plan), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


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
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(f"cannot read plan file {path}: {_reason(exc)}") from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise PlanFileError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from exc
    except ValueError as exc:
        raise PlanFileError(f"{path}: invalid JSON: {exc}") from exc
    try:
        return plan_from_dict(data)
    except PlanFileError as exc:
        raise PlanFileError(f"{path}: {exc}") from exc


def plan_from_dict(data: Any) -> Plan:
    """Rebuild a Plan from JSON data, after checking it against plan.schema.json."""
    _check_format_version(data)
    _check_schema(data)
    connectors = tuple(_connector_from_dict(c) for c in data["connectors"])
    unmanaged = data["unmanaged"]
    plan = Plan(
        target=Target(data["target"]["connect_url"], data["target"]["project_key"]),
        created_at=data["created_at"],
        connectors=connectors,
        unmanaged=None if unmanaged is None else tuple(unmanaged),
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


def _check_schema(data: Any) -> None:
    import jsonschema

    from connectorctl.resources import load_schema

    validator = jsonschema.Draft202012Validator(load_schema(SCHEMA_NAME))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise PlanFileError(f"invalid plan at {error.json_path}: {_short(error.message)}")


def _check_consistency(plan: Plan, summary: Mapping[str, Any]) -> None:
    """What a schema cannot say: order, uniqueness, the summary, lifecycle actions last."""
    keys = [c.key for c in plan.connectors]
    if keys != sorted(set(keys)):
        raise PlanFileError("invalid plan: connectors must be sorted by key, each key once")
    if plan.unmanaged is not None and list(plan.unmanaged) != sorted(plan.unmanaged):
        raise PlanFileError("invalid plan: unmanaged keys must be sorted")
    if summary != plan_summary(plan):
        raise PlanFileError("invalid plan: the summary does not match the connectors")
    for index, change in enumerate(plan.connectors):
        _check_connector(index, change)


def _check_connector(index: int, change: ConnectorChange) -> None:
    where = f"invalid plan at $.connectors[{index}]"
    lifecycle = change.lifecycle_actions
    if len(lifecycle) > 1 or (lifecycle and change.actions[-1] is not lifecycle[0]):
        raise PlanFileError(f"{where}.actions: at most one lifecycle action, and only last")
    if change.draft is not None and change.draft.get("key") != change.key:
        raise PlanFileError(f"{where}.draft.key: must equal the connector key {change.key!r}")
    if change.change is Change.UNCHANGED and change.actions:
        raise PlanFileError(f"{where}.actions: an unchanged connector has no actions")


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
