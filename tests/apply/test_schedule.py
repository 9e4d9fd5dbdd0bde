"""The applier's scheduler: entries start in `depends_on` order, a dependency that fails or never
settles blocks its dependents, waits are bounded by the timeout (an injected clock)."""

from __future__ import annotations

import threading

from connectorctl.apply.schedule import ScheduleSettings, run_scheduled
from connectorctl.model import Change, ConnectorChange, Dependency, Until
from connectorctl.planfile import connector_to_dict, plan_from_dict, plan_to_dict
from connectorctl.results import ConnectorOutcome, Result

CONNECTOR = ConnectorChange(key="pay", change=Change.UPDATE, id="c1", version=3)
EDGE = Dependency("ConnectorStaged", "pay", Until.SETTLED)
DEPLOYMENT = ConnectorChange(
    key="pay-prod", change=Change.UPDATE, id="d1", version=1, kind="Deployment",
    actions=({"action": "redeploy", "updateConnector": True},), depends_on=(EDGE,),
)  # fmt: skip


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def settings(clock: FakeClock, timeout: float = 60.0) -> ScheduleSettings:
    return ScheduleSettings(
        parallelism=4, timeout=timeout, interval=1.0, sleep=clock.sleep, clock=clock.clock
    )


def test_a_dependent_starts_only_after_its_dependency_settled() -> None:
    clock = FakeClock()
    started: list[str] = []
    lock = threading.Lock()

    def start(change: ConnectorChange) -> ConnectorOutcome:
        with lock:
            started.append(change.key)
        return ConnectorOutcome(change.key, Result.UPDATED, id=change.id, lifecycle="publish",
                                kind=change.kind)  # fmt: skip

    polls: list[float] = []

    def settle(dependency: Dependency, outcome: ConnectorOutcome) -> bool | None:
        polls.append(clock.now)
        return True if len(polls) >= 3 else None

    outcomes = run_scheduled([CONNECTOR, DEPLOYMENT], start, settle, settings(clock))
    assert started == ["pay", "pay-prod"]
    assert [o.result for o in outcomes] == [Result.UPDATED, Result.UPDATED]
    assert len(polls) == 3


def test_a_failed_dependency_blocks_its_dependent() -> None:
    clock = FakeClock()

    def start(change: ConnectorChange) -> ConnectorOutcome:
        assert change.key == "pay"
        return ConnectorOutcome(change.key, Result.FAILED, id="c1", error=True, note="refused")

    outcomes = run_scheduled([CONNECTOR, DEPLOYMENT], start, lambda d, o: True, settings(clock))
    assert [(o.key, o.result, o.note) for o in outcomes] == [
        ("pay", Result.FAILED, "refused"),
        ("pay-prod", Result.BLOCKED, "blocked: waits for ConnectorStaged/pay (it is failed)"),
    ]


def test_a_release_that_never_settles_blocks_after_the_timeout() -> None:
    clock = FakeClock()

    def start(change: ConnectorChange) -> ConnectorOutcome:
        return ConnectorOutcome(change.key, Result.UPDATED, id="c1", lifecycle="publish")

    outcomes = run_scheduled(
        [CONNECTOR, DEPLOYMENT], start, lambda d, o: None, settings(clock, timeout=30)
    )
    assert outcomes[1].result is Result.BLOCKED
    assert outcomes[1].note == (
        "blocked: waits for ConnectorStaged/pay (it did not settle within 30s)"
    )
    assert 30 <= clock.now < 32


def test_a_publish_that_failed_to_settle_blocks_with_the_reason() -> None:
    clock = FakeClock()

    def start(change: ConnectorChange) -> ConnectorOutcome:
        return ConnectorOutcome(change.key, Result.UPDATED, id="c1", lifecycle="publish")

    outcomes = run_scheduled(
        [CONNECTOR, DEPLOYMENT], start, lambda d, o: "publish failed: bad tag", settings(clock)
    )
    assert outcomes[1].note == "blocked: waits for ConnectorStaged/pay (publish failed: bad tag)"


def test_a_dependency_outside_the_plan_is_met() -> None:
    clock = FakeClock()

    def start(change: ConnectorChange) -> ConnectorOutcome:
        return ConnectorOutcome(change.key, Result.REDEPLOYED, kind=change.kind)

    outcomes = run_scheduled([DEPLOYMENT], start, lambda d, o: None, settings(clock))
    assert [o.result for o in outcomes] == [Result.REDEPLOYED]


def test_plan_entries_keep_kind_and_edges_and_old_entries_default() -> None:
    entry = connector_to_dict(DEPLOYMENT)
    assert entry["kind"] == "Deployment"
    assert entry["depends_on"] == [{"kind": "ConnectorStaged", "key": "pay", "until": "settled"}]
    assert "kind" not in connector_to_dict(CONNECTOR)
    assert "depends_on" not in connector_to_dict(CONNECTOR)
    from connectorctl.model import Plan, Target

    plan = Plan(Target("https://x.example", "p"), "2026-01-01T00:00:00Z",
                (CONNECTOR, DEPLOYMENT), None)  # fmt: skip
    back = plan_from_dict(plan_to_dict(plan))
    assert back.connectors[1].kind == "Deployment"
    assert back.connectors[1].depends_on == (EDGE,)
    assert back.connectors[0].kind == "ConnectorStaged"
    assert back.connectors[0].depends_on == ()
