"""Deployment settings (the [UNKNOWN]s of the facts file) and statuses computed from timestamps.

Like the ConnectorStaged lifecycle, nothing runs in the background: a run remembers when it
started (`state["run"]`) and every read applies the transitions that are due on the emulator clock.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectorctl.emulator.settings import bad_request, iso

_CHOICES: Mapping[str, tuple[Any, ...]] = {
    "create_status": ("Queued", "Draft", "Deploying"),
    "deploy_outcome": ("success", "failed"),
    "undeploy_outcome": ("success", "failed"),
    "secured_read": ("mask", "omit-values", "omit-entries", "echo"),
    "redeploy_semantics": ("merge", "replace"),
    "delete_status": (202, 200),
    "delete_body_status": ("Undeploying", "previous"),
    "after_undeploy": ("gone", "readable"),
    "delete_while_busy": ("refuse", "allow"),
    "invalid_transition_status": (400, 409),
}
MASK = "****"
_FAILED_TITLE = "Deployment build failed"
_UNDEPLOY_FAILED_TITLE = "Undeploy failed"


@dataclass(frozen=True)
class DeploymentSettings:
    """Behaviours the spec leaves open, and phase durations in seconds (emulator clock)."""

    create_status: str = "Queued"  # Draft: stays Draft until a redeploy
    queued_delay: float = 1.0
    deploying_delay: float = 2.0
    undeploying_delay: float = 1.0
    deploy_outcome: str = "success"
    undeploy_outcome: str = "success"
    transitions_bump_version: bool = False
    secured_read: str = "mask"
    redeploy_semantics: str = "merge"  # merge per key, or replace each application's lists
    delete_status: int = 202
    delete_body_status: str = "Undeploying"
    after_undeploy: str = "gone"  # readable: stays, as Draft, after a successful undeploy
    delete_while_busy: str = "refuse"
    invalid_transition_status: int = 400
    production_enabled: bool = True

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def merged(self, changes: Any) -> DeploymentSettings:
        """These settings with `changes` applied; ActionRejected(400) names a bad one."""
        if not isinstance(changes, Mapping):
            raise bad_request("deployment settings: expected an object")
        values = self.to_dict()
        for name, value in changes.items():
            if name not in values:
                raise bad_request(f"unknown deployment setting '{name}'")
            values[name] = _checked(name, value, values[name])
        return DeploymentSettings(**values)


def _checked(name: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        ok = isinstance(value, bool)
    elif isinstance(current, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool) and value >= 0
        value = float(value) if ok else value
    else:
        ok = type(value) is type(current)
    choices = _CHOICES.get(name)
    if not ok or (choices is not None and value not in choices):
        allowed = f" (one of {', '.join(map(str, choices))})" if choices else ""
        raise bad_request(f"deployment setting '{name}': invalid value {value!r}{allowed}")
    return value


def start_run(
    doc: dict[str, Any], state: dict[str, Any], kind: str, now: float, *, skip_queue: bool = False
) -> None:
    """A deploy or undeploy run begins now, with its first status."""
    state["run"] = {"kind": kind, "since": now, "skip_queue": skip_queue}
    if kind == "undeploy":
        doc["status"] = "Undeploying"
    else:
        doc["status"] = "Deploying" if skip_queue else "Queued"


def advance(
    doc: dict[str, Any], state: dict[str, Any], now: float, settings: DeploymentSettings
) -> tuple[int, bool]:
    """Apply the transitions due at `now`: (how many happened, whether the deployment is gone)."""
    run = state.get("run")
    if not run:
        return 0, False
    elapsed = now - float(run["since"])
    if run["kind"] == "undeploy":
        return _advance_undeploy(doc, state, elapsed, settings, float(run["since"]))
    wanted = _deploy_status(elapsed, settings, run.get("skip_queue", False))
    if wanted == doc["status"]:
        return 0, False
    steps = _PHASE[wanted] - _PHASE.get(doc["status"], 0)
    doc["status"] = wanted
    if wanted in ("Deployed", "Failed"):
        state.pop("run")
        when = float(run["since"]) + settings.queued_delay + settings.deploying_delay
        _finish_build(doc, wanted == "Deployed", when)
    return max(steps, 1), False


_PHASE = {"Queued": 0, "Deploying": 1, "Deployed": 2, "Failed": 2}


def _deploy_status(elapsed: float, settings: DeploymentSettings, skip_queue: bool) -> str:
    queued = 0.0 if skip_queue else settings.queued_delay
    if elapsed < queued:
        return "Queued"
    if elapsed < queued + settings.deploying_delay:
        return "Deploying"
    return "Deployed" if settings.deploy_outcome == "success" else "Failed"


def _advance_undeploy(
    doc: dict[str, Any],
    state: dict[str, Any],
    elapsed: float,
    settings: DeploymentSettings,
    since: float,
) -> tuple[int, bool]:
    if elapsed < settings.undeploying_delay:
        return 0, False
    state.pop("run")
    if settings.undeploy_outcome == "failed":
        doc["status"] = "UndeployFailed"
        entry = _entry("Error", _UNDEPLOY_FAILED_TITLE, since + settings.undeploying_delay)
        doc["details"]["build"]["report"] = {"entries": [entry]}
        return 1, False
    if settings.after_undeploy == "gone":
        return 1, True
    doc["status"] = "Draft"
    return 1, False


def _finish_build(doc: dict[str, Any], success: bool, when: float) -> None:
    entries = [] if success else [_entry("Error", _FAILED_TITLE, when)]
    doc["details"]["build"]["report"] = {"entries": entries}


def _entry(kind: str, title: str, when: float) -> dict[str, Any]:
    return {"type": kind, "title": title, "createdAt": iso(when)}
