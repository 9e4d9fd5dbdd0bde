"""After apply: wait for lifecycle steps to settle (`--wait`), then check convergence.

`wait_for_lifecycle` polls each connector that got a lifecycle action until `isPreviewable` is no
longer pending and the status is no longer Processing (a certification under way counts as
settled: it takes days). `verify_convergence` re-reads every touched connector and re-diffs it:
any field change still needed is "did not converge".
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from connectorctl.apply.support import Action, already_applied, join_notes
from connectorctl.errors import ApiError
from connectorctl.kinds.connector_staged.lifecycle import failure, report_entries, settled_state
from connectorctl.model import MANIFEST_KIND, ConnectorChange, Desired, Plan
from connectorctl.results import ApplyResult, ConnectorOutcome, ReportEntry, Result

if TYPE_CHECKING:
    from connectorctl.api.client import ConnectClient


T = TypeVar("T")


@dataclass(frozen=True)
class WaitSettings:
    """How `--wait` polls: at most `timeout` seconds, one read per connector every `interval`."""

    timeout: float = 600.0
    interval: float = 2.0
    log_every: float = 10.0
    tty: bool = False
    parallelism: int = 8
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    stopped: Callable[[], bool] = lambda: False


def wait_for_lifecycle(
    client: ConnectClient,
    result: ApplyResult,
    progress: Callable[[str], None],
    settings: WaitSettings | None = None,
) -> ApplyResult:
    """Poll each connector that got a lifecycle action until it settles or the timeout passes."""
    settings = settings or WaitSettings()
    # Connectors only (a Deployment may share a connector's key; its run follows it itself).
    outcomes = {o.key: o for o in result.outcomes if o.kind == MANIFEST_KIND}
    waiting = {key for key, o in outcomes.items() if o.lifecycle and o.id and not o.failed}
    start = settings.clock()
    last_line = start
    while waiting:
        polled = _in_parallel(
            lambda key: _poll(client, outcomes[key]), sorted(waiting), settings.parallelism
        )
        for key, settled in polled.items():
            if settled is not None:
                outcomes[key] = settled
                waiting.discard(key)
        elapsed = settings.clock() - start
        if not waiting or elapsed >= settings.timeout or settings.stopped():
            break
        if settings.tty or settings.clock() - last_line >= settings.log_every:
            last_line = settings.clock()
            progress(_progress_line(outcomes, waiting, elapsed))
        settings.sleep(min(settings.interval, max(settings.timeout - elapsed, 0.0)))
    for key in waiting:
        if settings.stopped():
            outcomes[key] = not_verified(outcomes[key], "interrupted while waiting")
        else:
            outcomes[key] = _timed_out(outcomes[key], settings.timeout)
    return ApplyResult(
        tuple(outcomes[o.key] if o.kind == MANIFEST_KIND else o for o in result.outcomes)
    )


def _progress_line(
    outcomes: Mapping[str, ConnectorOutcome], waiting: set[str], elapsed: float
) -> str:
    names = ", ".join(f"{k} ({outcomes[k].lifecycle})" for k in sorted(waiting))
    return f"waiting {elapsed:.0f}s for {len(waiting)} connector(s) to settle: {names}"


def not_verified(outcome: ConnectorOutcome, why: str) -> ConnectorOutcome:
    """A written connector whose confirming read failed (or never happened)."""
    if outcome.result not in (Result.CREATED, Result.UPDATED):
        return replace(outcome, error=True, note=join_notes(outcome.note, why))
    note = join_notes(outcome.note, f"{outcome.result.value}, not verified: {why}")
    return replace(outcome, result=Result.NOT_VERIFIED, error=True, note=note)


def _poll(client: ConnectClient, outcome: ConnectorOutcome) -> ConnectorOutcome | None:
    """The outcome once the connector's lifecycle step settled, else None."""
    assert outcome.id is not None
    try:
        remote = client.get_by_id(outcome.id)
    except ApiError as exc:
        return not_verified(outcome, f"the --wait read failed: {exc}")
    if remote is None:
        return replace(outcome, error=True, note=join_notes(outcome.note, "deleted while waiting"))
    assert outcome.lifecycle is not None
    state = settled_state(remote, outcome.lifecycle)
    if state is None:
        return None
    text, report = state
    failed = failure(remote, outcome.lifecycle) is not None
    note = f"{outcome.lifecycle}: {text}" + (" (failed)" if failed else "")
    return replace(
        outcome,
        settled=text,
        reports=_entries(report),
        error=outcome.error or failed,
        note=join_notes(outcome.note, note),
    )


def _timed_out(outcome: ConnectorOutcome, timeout: float) -> ConnectorOutcome:
    note = f"{outcome.lifecycle} did not settle within {timeout:g}s"
    return replace(outcome, error=True, note=join_notes(outcome.note, note))


def _entries(report: Any) -> tuple[ReportEntry, ...]:
    return tuple(
        ReportEntry(str(e.get("type", "")), str(e.get("title", "")), str(e.get("message") or ""))
        for e in report_entries(report)
    )


def verify_convergence(
    client: ConnectClient,
    plan: Plan,
    result: ApplyResult,
    desired_by_key: Mapping[str, Desired] | None,
    parallelism: int = 8,
) -> ApplyResult:
    """Re-read every touched connector: field changes still needed mean "did not converge"."""
    changes = {c.key: c for c in plan.connectors if c.kind == MANIFEST_KIND}
    by_key = {o.key: o for o in result.outcomes if o.kind == MANIFEST_KIND}

    def check(key: str) -> ConnectorOutcome:
        desired = None if desired_by_key is None else desired_by_key.get(key)
        return _converged(client, by_key[key], changes[key], desired)

    # Other kinds (Deployments) are followed by their own run; this re-diff is ConnectorStaged's.
    touched = [
        o.key for o in result.outcomes if o.touched and o.id is not None and o.kind == MANIFEST_KIND
    ]
    checked = _in_parallel(check, touched, parallelism)
    return ApplyResult(
        tuple(checked.get(o.key, o) if o.kind == MANIFEST_KIND else o for o in result.outcomes)
    )


def _in_parallel(read: Callable[[str], T], keys: Iterable[str], parallelism: int) -> dict[str, T]:
    """`read(key)` for every key, `parallelism` at a time (the reads are independent GETs)."""
    keys = list(keys)
    if len(keys) <= 1 or parallelism <= 1:
        return {key: read(key) for key in keys}
    with ThreadPoolExecutor(max_workers=min(parallelism, len(keys))) as pool:
        return dict(zip(keys, pool.map(read, keys), strict=True))


def _converged(
    client: ConnectClient,
    outcome: ConnectorOutcome,
    change: ConnectorChange,
    desired: Desired | None,
) -> ConnectorOutcome:
    assert outcome.id is not None
    try:
        remote = client.get_by_id(outcome.id)
    except ApiError as exc:
        return not_verified(outcome, f"the convergence read failed: {exc}")
    if remote is None:
        return replace(outcome, error=True, note=join_notes(outcome.note, "did not converge: gone"))
    left = _left_to_do(remote, change, desired)
    outcome = replace(outcome, version=remote.get("version", outcome.version))
    problem = failure(remote, outcome.lifecycle) if outcome.lifecycle else None
    if problem and not outcome.failed:
        outcome = replace(outcome, error=True, note=join_notes(outcome.note, problem))
    if not left:
        return outcome
    names = ", ".join(dict.fromkeys(a["action"] for a in left))
    return replace(outcome, error=True, note=join_notes(outcome.note, f"did not converge: {names}"))


def _left_to_do(
    remote: Mapping[str, Any], change: ConnectorChange, desired: Desired | None
) -> list[Action]:
    if desired is None:
        return [a for a in change.field_actions if not already_applied(remote, a)]
    from connectorctl.kinds.connector_staged.diff import field_actions

    return list(field_actions(desired.spec, remote))
