"""The reference semantics of ConnectorStaged update actions, in memory.

`apply_update` is what the Connect API does with one `ConnectorUpdate` request: the emulator
serves it, and the diff's property tests use it to check that a plan really converges.
Asynchronous progress (pending → true, Processing → Published) is the emulator's business.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectorctl.model import (
    ACTION_PARAMS,
    ADD_CERTIFICATION_COMMENT,
    ADD_PRIVATE_PROJECT,
    FIELDS,
    INTEGRATION_TYPES,
    PROJECT_IDENTIFIER_PATTERN,
    REGIONS,
    REMOVE_PRIVATE_PROJECT,
    STAGED_DATA_ACTIONS,
    UNLIST,
    UPDATE_PREVIEWABLE,
)

_JSON_TYPES: Mapping[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
}
_IN_CERTIFICATION = ("ReadyForCertification", "InCertification")


@dataclass
class ActionRejected(Exception):
    """The API refuses the request; nothing of it is applied."""

    status: int
    code: str
    message: str
    extra: Mapping[str, Any] | None = None


def _invalid(message: str) -> ActionRejected:
    return ActionRejected(400, "InvalidJsonInput", message, {"detailedErrorMessage": message})


def check_action_shape(index: int, action: Any) -> None:
    """Raise InvalidJsonInput unless `action` is a known update action with valid fields."""
    where = f"actions[{index}]"
    if not isinstance(action, Mapping) or not isinstance(action.get("action"), str):
        raise _invalid(f"{where}: missing required field 'action'")
    name = action["action"]
    params = ACTION_PARAMS.get(name)
    if params is None:
        raise _invalid(f"{where}: unknown update action '{name}'")
    for param, json_type in params.items():
        if param not in action:
            raise _invalid(f"{where}.{param}: missing required field for '{name}'")
        if not _JSON_TYPES[json_type](action[param]):
            raise _invalid(f"{where}.{param}: expected {json_type}")
    unknown = sorted(set(action) - set(params) - {"action"})
    if unknown:
        raise _invalid(f"{where}.{unknown[0]}: unknown field for '{name}'")
    _check_values(where, name, action)


def _check_values(where: str, name: str, action: Mapping[str, Any]) -> None:
    if name == "setSupportedRegions":
        _check_enum_list(f"{where}.regions", action["regions"], REGIONS, min_items=1)
    elif name == "setIntegrationTypes":
        _check_enum_list(f"{where}.integrationTypes", action["integrationTypes"], INTEGRATION_TYPES)
    elif name == "setCreatorNoOfContributors" and action["creatorNoOfContributors"] < 1:
        raise _invalid(f"{where}.creatorNoOfContributors: must be at least 1")
    elif name in (ADD_PRIVATE_PROJECT, REMOVE_PRIVATE_PROJECT) and not re.fullmatch(
        PROJECT_IDENTIFIER_PATTERN, action["privateProject"]
    ):
        raise _invalid(f"{where}.privateProject: not a '{{region}}:{{projectKey}}' identifier")


def _check_enum_list(
    where: str, values: list[Any], allowed: Sequence[str], min_items: int = 0
) -> None:
    if len(values) < min_items:
        raise _invalid(f"{where}: needs at least {min_items} item(s)")
    for value in values:
        if value not in allowed:
            raise _invalid(f"{where}: '{value}' is not one of {', '.join(allowed)}")


def apply_update(
    staged: Mapping[str, Any],
    version: Any,
    actions: Any,
    *,
    now: str,
    user_id: str = "connectorctl-user",
    certified: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Apply one update request atomically; return (new staged, whether anything changed).

    The version is bumped by one when something changed. Raises ActionRejected (and changes
    nothing) on a version mismatch, an invalid action or a refused lifecycle step.
    """
    if not isinstance(version, int) or isinstance(version, bool):
        raise _invalid("version: missing required field or not an integer")
    if not isinstance(actions, list):
        raise _invalid("actions: missing required field or not an array")
    for index, action in enumerate(actions):
        check_action_shape(index, action)
    if version != staged["version"]:
        raise ActionRejected(
            409,
            "ConcurrentModification",
            f"Object id={staged['id']} has a different version than expected. "
            f"Expected: {version} - Actual: {staged['version']}.",
            {"expectedVersion": version, "currentVersion": staged["version"]},
        )
    result = copy.deepcopy(dict(staged))
    changed = False
    for action in actions:
        changed = (
            _apply_one(result, action, now=now, user_id=user_id, certified=certified) or changed
        )
    if changed:
        result["version"] = staged["version"] + 1
    return result, changed


_SETTERS = {spec.action: spec for spec in FIELDS if spec.action.startswith("set")}


def _apply_one(
    staged: dict[str, Any], action: Mapping[str, Any], *, now: str, user_id: str, certified: bool
) -> bool:
    name = action["action"]
    if name in _SETTERS:
        changed = _apply_setter(staged, action)
    elif name in (ADD_PRIVATE_PROJECT, REMOVE_PRIVATE_PROJECT):
        changed = _apply_private_project(staged, action)
    elif name == ADD_CERTIFICATION_COMMENT:
        _add_comment(staged, {"userId": user_id, "datetime": now, "comment": action["comment"]})
        return True
    elif name == UNLIST:
        changed = bool(staged.get("alreadyListed"))
        staged["alreadyListed"] = False
        return changed
    elif name == UPDATE_PREVIEWABLE:
        return _request_preview(staged)
    else:
        return _request_publish(staged, bool(action["certification"]), certified)
    if changed and name in STAGED_DATA_ACTIONS:
        _mark_staged_change(staged)
    return changed


def _apply_setter(staged: dict[str, Any], action: Mapping[str, Any]) -> bool:
    spec = _SETTERS[action["action"]]
    changed = False
    for param, sub in spec.params.items():
        target = staged
        path = spec.path + sub
        for step in path[:-1]:
            if not isinstance(target.get(step), dict):
                target[step] = {}
            target = target[step]
        value = action[param]
        if path[-1] not in target or target[path[-1]] != value:
            target[path[-1]] = copy.deepcopy(value)
            changed = True
    return changed


def _apply_private_project(staged: dict[str, Any], action: Mapping[str, Any]) -> bool:
    if not staged.get("private"):
        raise ActionRejected(
            400,
            "ConnectorStagedNotPrivate",
            f"The operation is not valid because ConnectorStaged with id={staged['id']} "
            "is not private.",
        )
    if not isinstance(staged.get("privateProjects"), list):
        staged["privateProjects"] = []
    projects: list[str] = staged["privateProjects"]
    project = action["privateProject"]
    if action["action"] == ADD_PRIVATE_PROJECT:
        if project in projects:
            return False
        projects.append(project)
        return True
    if project not in projects:
        return False
    projects.remove(project)
    return True


def _add_comment(staged: dict[str, Any], comment: dict[str, Any]) -> None:
    if not isinstance(staged.get("certificationInfo"), dict):
        staged["certificationInfo"] = {}
    info = staged["certificationInfo"]
    if not isinstance(info.get("comments"), list):
        info["comments"] = []
    info["comments"].append(comment)


def _mark_staged_change(staged: dict[str, Any]) -> None:
    if staged.get("alreadyListed") or staged.get("status") == "Published":
        staged["hasChanges"] = True
    staged["isPreviewable"] = "none"
    staged.pop("previewableReport", None)


def _request_preview(staged: dict[str, Any]) -> bool:
    if staged.get("isPreviewable") == "pending":
        raise ActionRejected(
            400,
            "ConnectorStagedPreviewRequestUnderProcess",
            "The ConnectorStaged preview request is already in progress.",
        )
    staged["isPreviewable"] = "pending"
    staged.pop("previewableReport", None)
    return True


def _request_publish(staged: dict[str, Any], certification: bool, certified: bool) -> bool:
    # The facts: ConnectorStagedInCertification only answers a publish that requires certification.
    if certification and staged.get("status") in _IN_CERTIFICATION:
        raise ActionRejected(
            400,
            "ConnectorStagedInCertification",
            "The ConnectorStaged is already in certification.",
        )
    if certification and certified and not staged.get("hasChanges"):
        raise ActionRejected(
            400, "ConnectorAlreadyCertified", "The ConnectorStaged is already certified."
        )
    staged["status"] = "Processing"
    staged.pop("publishingReport", None)
    return True
