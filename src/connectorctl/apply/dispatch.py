"""Each plan entry to the run of its kind, scheduled by the entries' `depends_on` edges.

ConnectorStaged entries run in the executor's connector run; Deployment entries in
`deployments.DeploymentRun`. A `settled` edge on a ConnectorStaged is met once its lifecycle step
took effect (Published; `isPreviewable: true` for a preview), read here between starts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from connectorctl.apply.deployments import (
    KIND as DEPLOYMENT,
)
from connectorctl.apply.deployments import (
    DeploymentRun,
    DeploymentSettings,
    deleted_before,
)
from connectorctl.apply.schedule import ScheduleSettings, run_scheduled
from connectorctl.errors import ApiError
from connectorctl.kinds.connector_staged.lifecycle import failure, settled_state
from connectorctl.model import Change, ConnectorChange, Dependency, Plan
from connectorctl.results import ApplyResult, ConnectorOutcome

if TYPE_CHECKING:
    from connectorctl.api.client import ConnectClient


class ApplySettings(Protocol):
    """The part of the executor's ApplySettings this module reads."""

    @property
    def parallelism(self) -> int: ...
    @property
    def wait(self) -> float | None: ...
    @property
    def timeout(self) -> float: ...
    @property
    def interval(self) -> float: ...
    @property
    def sleep(self) -> Callable[[float], None]: ...
    @property
    def clock(self) -> Callable[[], float]: ...
    @property
    def stopped(self) -> Callable[[], bool]: ...
    @property
    def lookup(self) -> Callable[[str], str | None]: ...
    @property
    def wait_lines(self) -> Callable[[str], None] | None: ...
    @property
    def progress(self) -> Events | None: ...


class Events(Protocol):
    """Told when a resource starts and ends (the apply progress reporter)."""

    def started(self, key: str) -> None: ...

    def finished(self, key: str, result: str, *, requests: int = 0, retries: int = 0) -> None: ...


def run_entries(
    client: ConnectClient,
    plan: Plan,
    connector_run: Callable[[ConnectorChange], ConnectorOutcome],
    settings: ApplySettings,
    *,
    reviewed: bool,
) -> ApplyResult:
    """Every entry's outcome, in plan order."""
    deployment = DeploymentSettings(
        lookup=settings.lookup,
        reviewed=reviewed,
        wait=settings.wait is not None,
        timeout=settings.wait if settings.wait is not None else settings.timeout,
        interval=settings.interval,
        sleep=settings.sleep,
        clock=settings.clock,
        progress=settings.wait_lines,
        needed=deleted_before(plan.connectors),
    )

    def start(change: ConnectorChange) -> ConnectorOutcome:
        if change.kind != DEPLOYMENT:
            return connector_run(change)  # reports its own progress
        events = settings.progress if change.change not in _IDLE else None
        if events is not None:
            events.started(change.key)
        outcome = DeploymentRun(client, change, deployment).run()
        if events is not None:
            events.finished(
                change.key, outcome.result.value, requests=outcome.requests, retries=outcome.retries
            )
        return outcome

    schedule = ScheduleSettings(
        parallelism=settings.parallelism,
        timeout=settings.timeout,
        interval=settings.interval,
        sleep=settings.sleep,
        clock=settings.clock,
        stopped=settings.stopped,
    )
    settle = _settle_check(client)
    return ApplyResult(run_scheduled(plan.connectors, start, settle, schedule))


_IDLE = (Change.UNCHANGED, Change.BLOCKED)


def _settle_check(
    client: ConnectClient,
) -> Callable[[Dependency, ConnectorOutcome], bool | str | None]:
    def settle(dependency: Dependency, outcome: ConnectorOutcome) -> bool | str | None:
        """A ConnectorStaged's lifecycle step: settled, still under way, or failed."""
        if outcome.lifecycle is None or outcome.id is None:
            return True
        try:
            remote = client.get_by_id(outcome.id)
        except ApiError as exc:
            return f"the read failed: {exc}"
        if remote is None:
            return "it was deleted"
        if settled_state(remote, outcome.lifecycle) is None:
            return None
        return failure(remote, outcome.lifecycle) or True

    return settle
