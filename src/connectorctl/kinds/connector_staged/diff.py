"""Desired connector × remote ConnectorStaged → the minimal ordered update actions.

Pure and driven by the field table (`model.FIELDS`): omitted fields are never touched, sets
compare as sets, private projects change by sorted removes then sorted adds, certification
comments are appended once. Diff entries for people come from deepdiff, and only for connectors
that have changes: a connector in sync never reaches it.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectorctl.kinds.connector_staged.lifecycle import PROCESSING, plan_lifecycle, review_pending
from connectorctl.model import (
    ADD_CERTIFICATION_COMMENT,
    DRAFT_FIELDS,
    FIELDS,
    REMOVE_PRIVATE_PROJECT,
    STAGED_DATA_ACTIONS,
    UNLIST,
    Change,
    ConnectorChange,
    Desired,
    DiffEntry,
    FieldSpec,
    Kind,
    Level,
    Message,
    get_path,
)

Action = Mapping[str, Any]


def plan_connector(
    desired: Desired,
    remote: Mapping[str, Any] | None,
    *,
    retry_failed: bool = False,
    owed: bool = False,
) -> ConnectorChange:
    """The planned change of one connector: create, update, unchanged, waiting or blocked.

    `owed`: within one apply, staged-data changes already sent whose lifecycle step is still due.
    """
    if remote is None:
        return _plan_create(desired, retry_failed=retry_failed)
    actions = field_actions(desired.spec, remote)
    changes = any(a["action"] in STAGED_DATA_ACTIONS for a in actions)
    step = plan_lifecycle(
        desired.release, remote, changes=changes, retry_failed=retry_failed, owed=owed
    )
    planned = actions + step.actions
    block = _block_reason(remote, planned)
    change = Change.UPDATE if planned else Change.UNCHANGED
    if desired.release == "preview" and changes and review_pending(remote):
        change = Change.WAITING
    return ConnectorChange(
        key=desired.key,
        change=Change.BLOCKED if block else change,
        id=remote.get("id"),
        version=remote.get("version"),
        actions=planned,
        diff=diff_entries(desired.spec, remote, actions) if actions else (),
        messages=((block,) if block else ()) + step.messages,
        source=str(desired.location),
    )


def _plan_create(desired: Desired, *, retry_failed: bool) -> ConnectorChange:
    step = plan_lifecycle(desired.release, None, changes=True, retry_failed=retry_failed)
    comments = tuple(_comment(text) for text in _unique(desired.certification_comments))
    return ConnectorChange(
        key=desired.key,
        change=Change.CREATE,
        draft=draft_of(desired.spec),
        actions=comments + step.actions,
        messages=step.messages,
        source=str(desired.location),
    )


def draft_of(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The ConnectorStagedDraft (POST body): exactly the manifest's draft fields."""
    return {name: copy.deepcopy(spec[name]) for name in DRAFT_FIELDS if name in spec}


def field_actions(spec: Mapping[str, Any], remote: Mapping[str, Any]) -> tuple[Action, ...]:
    """The non-lifecycle update actions that bring `remote` to the manifest, in canonical order."""
    actions: list[Action] = []
    for field in FIELDS:
        desired = get_path(spec, field.path)
        if desired is None:
            continue
        current = get_path(remote, field.path)
        # Fast path: identical values need no action whatever the field's kind.
        if desired != current:
            actions.extend(_field_actions(field, desired, current))
    existing = _remote_comments(remote)
    wanted = tuple(spec.get("certificationComments") or ())
    actions.extend(_comment(text) for text in _unique(wanted) if text not in existing)
    if spec.get("listed") is False and remote.get("alreadyListed") is True:
        actions.append({"action": UNLIST})
    return tuple(actions)


def _field_actions(field: FieldSpec, desired: Any, remote: Any) -> Iterator[Action]:
    if field.kind is Kind.MEMBERS:
        yield from _member_actions(field, desired, remote)
    elif field.kind is Kind.PAIR:
        values = _pair_values(field, desired, remote)
        if any(values[p] != get_path(remote or {}, sub) for p, sub in field.params.items()):
            yield {"action": field.action, **values}
    elif not _same(field, desired, remote):
        (param,) = field.params
        yield {"action": field.action, param: copy.deepcopy(desired)}


def _same(field: FieldSpec, desired: Any, remote: Any) -> bool:
    """Whether a scalar or set field already holds the desired value, by the API's lights."""
    if field.kind is Kind.SET:
        return set(desired) == set(remote or ())
    # The API cannot tell an empty string from an absent one: neither is worth an action.
    return bool(desired == remote or (desired == "" and remote is None))


def _pair_values(field: FieldSpec, desired: Any, remote: Any) -> dict[str, Any]:
    """A pair field's action parameters; a sub-field the manifest omits keeps its remote value."""
    return {
        param: get_path(desired, sub) if get_path(desired, sub) is not None
        else get_path(remote or {}, sub)
        for param, sub in field.params.items()
    }  # fmt: skip


def _member_actions(field: FieldSpec, desired: Any, remote: Any) -> Iterator[Action]:
    (param,) = field.params
    wanted, present = set(desired), set(remote or ())
    for item in sorted(present - wanted):
        yield {"action": REMOVE_PRIVATE_PROJECT, param: item}
    for item in sorted(wanted - present):
        yield {"action": field.action, param: item}


def _remote_comments(remote: Mapping[str, Any]) -> frozenset[str]:
    comments = get_path(remote, ("certificationInfo", "comments")) or ()
    return frozenset(str(c.get("comment")) for c in comments if isinstance(c, Mapping))


def _comment(text: str) -> Action:
    return {"action": ADD_CERTIFICATION_COMMENT, "comment": text}


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _block_reason(remote: Mapping[str, Any], planned: Sequence[Action]) -> Message | None:
    """Why nothing may be sent for this connector, or None."""
    if not planned:
        return None
    if remote.get("status") == PROCESSING:
        return Message(
            Level.ERROR,
            "blocked: a publish is in progress (status Processing) and the API refuses updates "
            "until it ends; run again once it has finished (apply --wait waits for it)",
        )
    projects = {REMOVE_PRIVATE_PROJECT, *(f.action for f in FIELDS if f.kind is Kind.MEMBERS)}
    if not remote.get("private") and any(a["action"] in projects for a in planned):
        return Message(
            Level.ERROR,
            "blocked: privateProjects differ but the connector is not private (the API would "
            "answer ConnectorStagedNotPrivate); remove privateProjects from the manifest or make "
            "it match the remote list",
        )
    return None


# ---------------------------------------------------------------------------------------------
# Diff entries for people: both sides seen through the comparison rules, then deepdiff.


def diff_entries(
    spec: Mapping[str, Any], remote: Mapping[str, Any], actions: Sequence[Action]
) -> tuple[DiffEntry, ...]:
    """`path: before → after` for every managed field the actions change."""
    before, after = _projections(spec, remote, {a["action"] for a in actions})
    entries = [DiffEntry(path, get_path(before, p), get_path(after, p)) for path, p in
               _changed_paths(before, after)]  # fmt: skip
    added = [a["comment"] for a in actions if a["action"] == ADD_CERTIFICATION_COMMENT]
    if added:
        entries.append(DiffEntry("certificationComments", None, added))
    if any(a["action"] == UNLIST for a in actions):
        entries.append(DiffEntry("listed", True, False))
    return tuple(entries)


def _projections(
    spec: Mapping[str, Any], remote: Mapping[str, Any], emitted: set[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both sides of every field the actions change, sets sorted, no-op differences removed."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field in FIELDS:
        desired = get_path(spec, field.path)
        if desired is None or not emitted & _actions_of(field):
            continue
        current = get_path(remote, field.path)
        if field.kind is Kind.PAIR:
            for param, sub in field.params.items():
                _put(before, field.path + sub, get_path(current or {}, sub))
                _put(after, field.path + sub, _pair_values(field, desired, current)[param])
        elif field.kind in (Kind.SET, Kind.MEMBERS):
            _put(before, field.path, sorted(set(current or ())))
            _put(after, field.path, sorted(set(desired)))
        else:
            _put(before, field.path, desired if _same(field, desired, current) else current)
            _put(after, field.path, desired)
    return before, after


def _actions_of(field: FieldSpec) -> set[str]:
    return {field.action, REMOVE_PRIVATE_PROJECT} if field.kind is Kind.MEMBERS else {field.action}


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data.setdefault(step, {})
    data[path[-1]] = value


def _changed_paths(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> list[tuple[str, tuple[str, ...]]]:
    """(dotted path, path) of each changed field or pair sub-field, in canonical order."""
    from deepdiff import DeepDiff

    found: dict[tuple[str, ...], tuple[int, int]] = {}
    for changes in DeepDiff(before, after, view="tree").values():
        for level in changes:
            path, rank = _entry_path(tuple(level.path(output_format="list")))
            found[path] = rank
    ordered = sorted(found, key=found.__getitem__)
    return [(".".join(path), path) for path in ordered]


def _entry_path(leaf: tuple[Any, ...]) -> tuple[tuple[str, ...], tuple[int, int]]:
    """The field (or pair sub-field) a deepdiff leaf belongs to, with its canonical rank."""
    for index, field in enumerate(FIELDS):
        if leaf[: len(field.path)] != field.path:
            continue
        if field.kind is Kind.PAIR and len(leaf) > len(field.path):
            subs = list(field.params.values())
            sub = (leaf[len(field.path)],)
            return field.path + sub, (index, subs.index(sub) if sub in subs else len(subs))
        return field.path, (index, 0)
    raise AssertionError(f"deepdiff reported a path outside the field table: {leaf}")
