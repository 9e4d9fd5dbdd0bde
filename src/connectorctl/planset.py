"""Several targets' plans in one document: `{"format_version": "1", "kind": "PlanSet", ...}`.

Written by `plan --all-targets --out FILE`; `apply --plan FILE --target NAME` applies one plan.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectorctl.errors import PlanFileError, UsageError
from connectorctl.model import Plan
from connectorctl.planfile import FORMAT_VERSION, plan_from_dict, plan_to_dict, read_plan_json
from connectorctl.report.escape import safe_text

SCHEMA_NAME = "planset.schema.json"


def planset_to_dict(plans: Sequence[Plan]) -> dict[str, Any]:
    """The plans of several targets as one JSON document."""
    return {
        "format_version": FORMAT_VERSION,
        "kind": "PlanSet",
        "targets": [plan_to_dict(plan) for plan in plans],
    }


def planset_to_json(plans: Sequence[Plan]) -> str:
    """The PlanSet file's text: indented JSON ending in a newline, identical for equal plans."""
    return json.dumps(planset_to_dict(plans), indent=2, ensure_ascii=False) + "\n"


def read_plans(path: str | Path) -> tuple[Plan, ...] | Plan:
    """A plan file (one Plan) or a PlanSet file (its plans, in order)."""
    data = read_plan_json(path)
    if not isinstance(data, dict) or data.get("kind") != "PlanSet":
        try:
            return plan_from_dict(data)
        except PlanFileError as exc:
            raise PlanFileError(f"{safe_text(str(path))}: {exc}") from exc
    _check_schema(data, path)
    plans = []
    for index, item in enumerate(data["targets"]):
        try:
            plans.append(plan_from_dict(item))
        except PlanFileError as exc:
            raise PlanFileError(f"{safe_text(str(path))}: $.targets[{index}]: {exc}") from exc
    names = [plan.target.name for plan in plans]
    if None in names or len(set(names)) != len(names):
        raise PlanFileError(
            f"{safe_text(str(path))}: every plan of a PlanSet names its own target, each once"
        )
    return tuple(plans)


def plan_for_target(path: str | Path, target: str | None) -> Plan:
    """The plan in `path` to apply: the file's one plan, or the `target`'s plan of a PlanSet."""
    found = read_plans(path)
    if isinstance(found, Plan):
        return found
    if target is None:
        names = ", ".join(str(plan.target.name) for plan in found)
        shown = safe_text(str(path))
        raise UsageError(
            f"{shown} holds the plans of several targets ({names}): pass --target NAME"
        )
    for plan in found:
        if plan.target.name == target:
            return plan
    raise PlanFileError(
        f"{safe_text(str(path))} holds no plan for target {safe_text(repr(target))}"
    )


def _check_schema(data: Any, path: str | Path) -> None:
    import jsonschema

    from connectorctl.resources import load_schema

    validator = jsonschema.Draft202012Validator(load_schema(SCHEMA_NAME))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise PlanFileError(
            f"{safe_text(str(path))}: invalid plan set at {error.json_path}: "
            f"{safe_text(error.message[:200])}"
        )
