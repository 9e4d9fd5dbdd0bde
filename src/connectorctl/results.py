"""What `apply` did to each resource: plain result records, shared by the applier and reporters."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Result(StrEnum):
    """The end state of one connector after apply."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    REDEPLOYED = "redeployed"
    REPLACED = "replaced"
    UNCHANGED = "unchanged"
    WAITING = "waiting"
    BLOCKED = "blocked"
    STALE = "stale"
    FAILED = "failed"
    NOT_VERIFIED = "not_verified"  # written, but the read that would confirm it failed
    INTERRUPTED = "interrupted"  # never started: Ctrl-C came first


ERROR_RESULTS = frozenset(
    {
        Result.WAITING,
        Result.BLOCKED,
        Result.STALE,
        Result.FAILED,
        Result.NOT_VERIFIED,
        Result.INTERRUPTED,
    }
)


@dataclass(frozen=True)
class ReportEntry:
    """One entry of a publishingReport or previewableReport."""

    type: str
    title: str
    message: str = ""

    def __str__(self) -> str:
        return f"{self.type}: {self.title}" + (f": {self.message}" if self.message else "")


@dataclass(frozen=True)
class ConnectorOutcome:
    """The result of applying one connector's planned change."""

    key: str
    result: Result
    id: str | None = None
    version: int | None = None
    requests: int = 0
    retries: int = 0
    note: str = ""
    error: bool = False
    lifecycle: str | None = None
    settled: str | None = None
    reports: tuple[ReportEntry, ...] = ()
    kind: str = "ConnectorStaged"

    @property
    def failed(self) -> bool:
        return self.error or self.result in ERROR_RESULTS

    @property
    def touched(self) -> bool:
        """Whether apply wrote to this connector (so it is re-read and re-diffed)."""
        return self.result in (Result.CREATED, Result.UPDATED) or (
            self.result is Result.FAILED and self.id is not None and self.requests > 0
        )


@dataclass(frozen=True)
class ApplyResult:
    """Every connector's outcome, in plan order (sorted by key)."""

    outcomes: tuple[ConnectorOutcome, ...]

    @property
    def has_errors(self) -> bool:
        return any(o.failed for o in self.outcomes)

    def count(self, result: Result) -> int:
        return sum(1 for o in self.outcomes if o.result is result)
