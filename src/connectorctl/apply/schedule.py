"""Run plan entries on a worker pool in the order their `depends_on` edges ask for.

An entry takes no worker until every dependency it names has ended and, for `settled` edges,
its lifecycle step has taken effect (polled here, between starts). A dependency that failed, was
blocked, or did not settle within the timeout makes the entry `blocked: waits for <kind>/<key>`.
Dependencies on resources the plan does not touch are met already.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass

from connectorctl.model import Change, ConnectorChange, Dependency, Until
from connectorctl.results import ConnectorOutcome, Result

Ident = tuple[str, str]
# What a settle check says: True settled, None not yet, a text why it never will.
Settle = Callable[[Dependency, ConnectorOutcome], bool | str | None]
_WAIT = "wait"
_GO = "go"
_IDLE = (Change.UNCHANGED, Change.BLOCKED)


@dataclass(frozen=True)
class ScheduleSettings:
    """Workers, how long a dependency may take to settle, and how often it is looked at."""

    parallelism: int = 8
    timeout: float = 1800.0
    interval: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    stopped: Callable[[], bool] = lambda: False


def run_scheduled(
    entries: Sequence[ConnectorChange],
    start: Callable[[ConnectorChange], ConnectorOutcome],
    settle: Settle,
    settings: ScheduleSettings,
) -> tuple[ConnectorOutcome, ...]:
    """Every entry's outcome, in entry order."""
    return _Scheduler(entries, start, settle, settings).run()


class _Scheduler:
    def __init__(
        self,
        entries: Sequence[ConnectorChange],
        start: Callable[[ConnectorChange], ConnectorOutcome],
        settle: Settle,
        settings: ScheduleSettings,
    ) -> None:
        self.entries = list(entries)
        self.index = {(e.kind, e.key): e for e in entries}
        self.start = start
        self.settle = settle
        self.settings = settings
        self.outcomes: dict[Ident, ConnectorOutcome] = {}
        self.settled: dict[Dependency, bool | str] = {}
        self.polled: dict[Dependency, float] = {}
        self.begin = settings.clock()

    def run(self) -> tuple[ConnectorOutcome, ...]:
        waiting = [(e.kind, e.key) for e in self.entries]
        running: dict[Ident, Future[ConnectorOutcome]] = {}
        workers = max(1, min(self.settings.parallelism, len(self.entries) or 1))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
            while waiting or running:
                for ident in [i for i, f in running.items() if f.done()]:
                    self.outcomes[ident] = running.pop(ident).result()
                for ident in list(waiting):
                    verdict = self._verdict(self.index[ident])
                    if verdict == _WAIT:
                        continue
                    waiting.remove(ident)
                    if isinstance(verdict, ConnectorOutcome):
                        self.outcomes[ident] = verdict
                    else:
                        running[ident] = pool.submit(self.start, self.index[ident])
                if running:
                    wait(list(running.values()), self._pause(), return_when=FIRST_COMPLETED)
                elif waiting:
                    self.settings.sleep(self._pause())
        return tuple(self.outcomes[(e.kind, e.key)] for e in self.entries)

    def _pause(self) -> float:
        return min(self.settings.interval, 0.1 + (self.settings.clock() - self.begin) / 2)

    def _verdict(self, entry: ConnectorChange) -> str | ConnectorOutcome:
        """Go, wait, or the outcome it ends with without starting."""
        if self.settings.stopped() and entry.change not in _IDLE:
            note = "interrupted before it started"
            return ConnectorOutcome(entry.key, Result.INTERRUPTED, id=entry.id, error=True,
                                    note=note, kind=entry.kind)  # fmt: skip
        if entry.change in _IDLE:
            return _GO
        for dependency in entry.depends_on:
            state = self._state(dependency)
            if state == _WAIT:
                return _WAIT
            if state is not True:
                note = f"blocked: waits for {dependency} ({state})"
                return ConnectorOutcome(entry.key, Result.BLOCKED, id=entry.id, error=True,
                                        note=note, kind=entry.kind)  # fmt: skip
        return _GO

    def _state(self, dependency: Dependency) -> bool | str:
        ident = (dependency.kind, dependency.key)
        if ident not in self.index:
            return True  # the plan does not touch it
        outcome = self.outcomes.get(ident)
        if outcome is None:
            return _WAIT
        if outcome.failed:
            return f"it is {outcome.result.value}"
        if dependency.until is Until.GONE or outcome.result is Result.UNCHANGED:
            return True
        known = self.settled.get(dependency)
        if known is not None:
            return known
        now = self.settings.clock()
        if now - self.polled.get(dependency, -1e9) < self._pause():
            return _WAIT
        self.polled[dependency] = now
        state = self.settle(dependency, outcome)
        if state is None:
            if now - self.begin >= self.settings.timeout:
                state = f"it did not settle within {self.settings.timeout:g}s"
            else:
                return _WAIT
        self.settled[dependency] = state
        return state
