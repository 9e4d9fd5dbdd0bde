"""After apply: wait for lifecycle steps to settle (`--wait`), then check convergence.

`wait_for_lifecycle` polls each connector that got a lifecycle action until `isPreviewable` is no
longer pending and the status is no longer Processing (a certification under way counts as
settled: it takes days). `verify_convergence` re-reads every touched connector and re-diffs it:
any field change still needed is "did not converge".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from connectorctl.apply import Action, already_applied, join_notes
from connectorctl.model import PUBLISH, ConnectorChange, Desired, Plan
from connectorctl.outcome import ApplyResult, ConnectorOutcome, ReportEntry

if TYPE_CHECKING:
    from connectorctl.client import ConnectClient


@dataclass(frozen=True)
class WaitSettings:
    """How `--wait` polls: at most `timeout` seconds, one read per connector every `interval`."""

    timeout: float = 600.0
    interval: float = 2.0
    log_every: float = 10.0
    tty: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def wait_for_lifecycle(
    client: ConnectClient,
    result: ApplyResult,
    progress: Callable[[str], None],
    settings: WaitSettings | None = None,
) -> ApplyResult:
    """Poll each connector that got a lifecycle action until it settles or the timeout passes."""
    settings = settings or WaitSettings()
    outcomes = {o.key: o for o in result.outcomes}
    waiting = {o.key for o in result.outcomes if o.lifecycle and o.id and not o.failed}
    start = settings.clock()
    last_line = start
    while waiting:
        for key in sorted(waiting):
            settled = _poll(client, outcomes[key])
            if settled is not None:
                outcomes[key] = settled
                waiting.discard(key)
        elapsed = settings.clock() - start
        if not waiting or elapsed >= settings.timeout:
            break
        if settings.tty or settings.clock() - last_line >= settings.log_every:
            last_line = settings.clock()
            progress(_progress_line(outcomes, waiting, elapsed))
        settings.sleep(min(settings.interval, max(settings.timeout - elapsed, 0.0)))
    for key in waiting:
        outcomes[key] = _timed_out(outcomes[key], settings.timeout)
    return ApplyResult(tuple(outcomes[o.key] for o in result.outcomes))


def _progress_line(
    outcomes: Mapping[str, ConnectorOutcome], waiting: set[str], elapsed: float
) -> str:
    names = ", ".join(f"{k} ({outcomes[k].lifecycle})" for k in sorted(waiting))
    return f"waiting {elapsed:.0f}s for {len(waiting)} connector(s) to settle: {names}"


def _poll(client: ConnectClient, outcome: ConnectorOutcome) -> ConnectorOutcome | None:
    """The outcome once the connector's lifecycle step settled, else None."""
    assert outcome.id is not None
    remote = client.get_by_id(outcome.id)
    if remote is None:
        return replace(outcome, error=True, note=join_notes(outcome.note, "deleted while waiting"))
    if outcome.lifecycle == PUBLISH:
        state = str(remote.get("status"))
        if state == "Processing":
            return None
        report, failed, settled = remote.get("publishingReport"), state == "Failed", state
    else:
        state = str(remote.get("isPreviewable"))
        if state == "pending":
            return None
        report, failed = remote.get("previewableReport"), state == "false"
        settled = f"isPreviewable={state}"
    note = f"{outcome.lifecycle}: {settled}" + (" (failed)" if failed else "")
    return replace(
        outcome,
        settled=settled,
        reports=_entries(report),
        error=outcome.error or failed,
        note=join_notes(outcome.note, note),
    )


def _timed_out(outcome: ConnectorOutcome, timeout: float) -> ConnectorOutcome:
    note = f"{outcome.lifecycle} did not settle within {timeout:g}s"
    return replace(outcome, error=True, note=join_notes(outcome.note, note))


def _entries(report: Any) -> tuple[ReportEntry, ...]:
    entries = report.get("entries") if isinstance(report, Mapping) else None
    if not isinstance(entries, list):
        return ()
    return tuple(
        ReportEntry(str(e.get("type", "")), str(e.get("title", "")), str(e.get("message") or ""))
        for e in entries
        if isinstance(e, Mapping)
    )


def verify_convergence(
    client: ConnectClient,
    plan: Plan,
    result: ApplyResult,
    desired_by_key: Mapping[str, Desired] | None,
) -> ApplyResult:
    """Re-read every touched connector: field changes still needed mean "did not converge"."""
    changes = {c.key: c for c in plan.connectors}
    outcomes = []
    for outcome in result.outcomes:
        if outcome.touched and outcome.id is not None:
            desired = None if desired_by_key is None else desired_by_key.get(outcome.key)
            outcome = _converged(client, outcome, changes[outcome.key], desired)
        outcomes.append(outcome)
    return ApplyResult(tuple(outcomes))


def _converged(
    client: ConnectClient,
    outcome: ConnectorOutcome,
    change: ConnectorChange,
    desired: Desired | None,
) -> ConnectorOutcome:
    assert outcome.id is not None
    remote = client.get_by_id(outcome.id)
    if remote is None:
        return replace(outcome, error=True, note=join_notes(outcome.note, "did not converge: gone"))
    left = _left_to_do(remote, change, desired)
    outcome = replace(outcome, version=remote.get("version", outcome.version))
    if not left:
        return outcome
    names = ", ".join(dict.fromkeys(a["action"] for a in left))
    return replace(outcome, error=True, note=join_notes(outcome.note, f"did not converge: {names}"))


def _left_to_do(
    remote: Mapping[str, Any], change: ConnectorChange, desired: Desired | None
) -> list[Action]:
    if desired is None:
        return [a for a in change.field_actions if not already_applied(remote, a)]
    from connectorctl.diff import field_actions

    return list(field_actions(desired.spec, remote))
