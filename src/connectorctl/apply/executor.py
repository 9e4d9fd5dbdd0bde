"""Execute a Plan: parallel across connectors, serial within one (DESIGN.md "Applier").

Per connector: the create (POST of the draft), then the field actions in one request (chunks of
500), then the lifecycle action in its own final request, so that a refused lifecycle step never
loses the field changes. A request that may have committed without an answer is ours when the
re-read shows exactly its effect; anything else (and every answered 409) is someone else's write:
with manifests the connector is re-diffed, with a reviewed plan file it is stale. Staged-data
changes sent in this run keep the promised lifecycle step due until it visibly took effect.

What happens after the writes (`--wait`, the convergence check) is in `converge.py`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

from connectorctl.apply.support import (
    CHUNK_SIZE,
    Action,
    Remote,
    already_applied,
    desired_index,
    error_text,
    is_lifecycle,
    join_notes,
    matches_draft,
    requests,
)
from connectorctl.errors import ApiError, ConcurrentModificationError, DuplicateKeyError
from connectorctl.kinds.connector_staged.lifecycle import failure, fingerprint, review_pending
from connectorctl.model import (
    STAGED_DATA_ACTIONS,
    Change,
    ConnectorChange,
    Desired,
    Plan,
)
from connectorctl.results import ApplyResult, ConnectorOutcome, Result

if TYPE_CHECKING:
    from connectorctl.api.client import ConnectClient, RequestTracker


class ApplyProgress(Protocol):
    """Told, from the worker threads, when a resource starts, retries and ends."""

    def started(self, key: str) -> None: ...

    def retrying(self, key: str) -> None: ...

    def finished(self, key: str, result: str, *, requests: int = 0, retries: int = 0) -> None: ...


@dataclass(frozen=True)
class ApplySettings:
    """Parallelism, `--retry-failed`, how to stop (Ctrl-C) and how long `--wait` waits for a review.

    Retry bounds and backoff come from the client's one `RetryPolicy`.
    """

    parallelism: int = 8
    retry_failed: bool = False
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    stopped: Callable[[], bool] = lambda: False
    wait: float | None = None  # --wait's timeout: a pending review is waited for, then re-planned
    allow_delete_published: bool = False
    interval: float = 2.0
    progress: ApplyProgress | None = None  # unchanged resources are not reported to it
    # Dependency waits (a deployment on its connector's release) and deployment follows.
    timeout: float = 1800.0
    lookup: Callable[[str], str | None] = os.environ.get  # secured values, at apply time only
    wait_lines: Callable[[str], None] | None = None  # --wait's lines about deployments


@dataclass(frozen=True)
class Ending:
    """How a connector's run ended early: its result and the note the table shows."""

    result: Result
    note: str


class _Ended(Exception):
    """The connector stopped being something we may write to."""

    def __init__(self, ending: Ending) -> None:
        super().__init__(ending.note)
        self.ending = ending


def execute_plan(
    client: ConnectClient,
    plan: Plan,
    desired_by_key: Mapping[str, Desired] | None,
    settings: ApplySettings | None = None,
) -> ApplyResult:
    """Apply every connector's planned change (`desired_by_key` None: a reviewed plan file).

    Once `settings.stopped()` is true no connector starts; started ones finish their requests.
    """
    settings = settings or ApplySettings()

    from connectorctl.apply.dispatch import run_entries

    def one(change: ConnectorChange) -> ConnectorOutcome:
        outcome = run_one(change)
        if settings.progress is not None and change.change is not Change.UNCHANGED:
            settings.progress.finished(
                change.key, outcome.result.value, requests=outcome.requests, retries=outcome.retries
            )
        return outcome

    def run_one(change: ConnectorChange) -> ConnectorOutcome:
        if settings.stopped() and change.change not in _IDLE:
            return ConnectorOutcome(change.key, Result.INTERRUPTED, id=change.id, error=True,
                                    note="interrupted before it started",
                                    version_before=change.version,
                                    messages=_messages(change))  # fmt: skip
        if settings.progress is not None and change.change not in _IDLE:
            settings.progress.started(change.key)
        desired = None if desired_by_key is None else desired_by_key.get(change.key)
        reviewed = desired_by_key is None
        return _ConnectorRun(client, change, desired, settings, reviewed=reviewed).run()

    # Other kinds and the `depends_on` order live in their own modules.
    return run_entries(client, plan, one, settings, reviewed=desired_by_key is None)


_IDLE = (Change.UNCHANGED, Change.BLOCKED)


def _messages(change: ConnectorChange) -> tuple[tuple[str, str], ...]:
    return tuple((m.level.value, m.text) for m in change.messages)


class _ConnectorRun:
    """One connector's apply, run by one worker thread from start to end."""

    def __init__(
        self,
        client: ConnectClient,
        change: ConnectorChange,
        desired: Desired | None,
        settings: ApplySettings,
        *,
        reviewed: bool,
    ) -> None:
        from connectorctl.api.client import RequestTracker

        self.client = client
        self.change = change
        self.desired = desired
        self.settings = settings
        self.reviewed = reviewed or desired is None
        self.track: RequestTracker = RequestTracker(on_retry=self._retrying)
        self.conflicts = 0
        self.rereads = 0
        self.wrote = False
        # Staged-data actions this run sent whose lifecycle step has not taken effect yet.
        self.owed = False
        self.lifecycle: str | None = None
        self.failure = ""
        # The lifecycle fields just before the lifecycle request: the evidence it took effect.
        self.snapshot: tuple[str, ...] | None = None
        self.id: str | None = change.id
        self.version: int | None = change.version
        self.version_before: int | None = change.version
        self.sent: list[Action] = []

    def run(self) -> ConnectorOutcome:
        """Apply this connector's change; every expected failure ends up in the outcome."""
        outcome = self._run()
        if self.change.has_error and not outcome.failed:
            note = join_notes(outcome.note, error_text(self.change))
            outcome = replace(outcome, error=True, note=note)
        if self.failure and not outcome.failed:
            outcome = replace(outcome, error=True, note=join_notes(outcome.note, self.failure))
        return outcome

    def _run(self) -> ConnectorOutcome:
        change = self.change
        if change.change is Change.UNCHANGED:
            return self._outcome(Result.UNCHANGED, error_text(change), error=change.has_error)
        if change.change is Change.BLOCKED:
            return self._outcome(Result.BLOCKED, error_text(change) or "blocked", error=True)
        try:
            return self._write()
        except _Ended as ended:
            result, note = ended.ending.result, ended.ending.note
            if result in (Result.BLOCKED, Result.INTERRUPTED) and self.sent:
                # Those results promise that nothing was sent.
                result, note = Result.FAILED, f"{note}; earlier requests were applied"
            return self._outcome(result, note, error=True)
        except ApiError as exc:
            return self._outcome(Result.FAILED, self._failure_note(exc), error=True)

    def _write(self) -> ConnectorOutcome:
        if self.change.change is Change.DELETE:
            return self._delete()
        if self.change.change is Change.WAITING:
            remote, created = self._after_review(), False
            actions = self._rediff(remote)
        elif self.change.change is Change.CREATE:
            remote, created = self._create()
            actions = self._rediff(remote) if not self.reviewed else self.change.actions
        else:
            remote, created = self._check_fresh(), False
            actions = self.change.actions
        remote = self._send_all(remote, actions)
        result = Result.CREATED if created else Result.UPDATED
        note = "" if not self.conflicts else f"{self.conflicts} conflict(s) resolved"
        return self._outcome(result, note, remote=remote)

    # -- waiting for a pending review ------------------------------------------------------

    def _after_review(self) -> Remote:
        """Wait (with --wait) until the pending review ends; the re-read connector."""
        wait = self.settings.wait
        if self.reviewed or wait is None:
            how = "" if self.reviewed else "; apply --wait waits for it"
            raise _Ended(Ending(Result.WAITING, "waiting: a preview review is pending" + how))
        assert self.id is not None
        deadline = self.settings.clock() + wait
        while True:
            remote = self._read()
            if not review_pending(remote):
                return remote
            if self.settings.stopped() or self.settings.clock() >= deadline:
                note = f"waiting: the preview review did not end within {wait:g}s"
                raise _Ended(Ending(Result.WAITING, note))
            self.settings.sleep(self.settings.interval)

    # -- create ----------------------------------------------------------------------------

    def _create(self) -> tuple[Remote, bool]:
        draft = self.change.draft or {}
        if self.reviewed and self.client.get_by_key(self.change.key, track=self.track) is not None:
            raise _Ended(_stale("a connector with this key now exists; the plan would create it"))
        try:
            remote = self.client.create(draft, track=self.track)
        except DuplicateKeyError:
            remote = self._duplicate(draft)
        except ApiError as exc:
            if not self.track.uncertain:
                raise
            remote = self._read_back(draft, exc)
        self.wrote = True
        self.owed = True
        self._seen(remote)
        return remote, True

    def _duplicate(self, draft: Mapping[str, Any]) -> Remote:
        """DuplicateField: ours only after a possibly committed attempt and with an equal draft."""
        if not self.track.uncertain:
            # Every attempt was answered: none of ours created it. Adopting it would report a
            # create we never made and then change someone else's connector.
            raise _Ended(_failed(
                "a connector with this key was created by someone else since the plan was "
                "made; nothing was sent to it; run plan again to see it as an update"
            ))  # fmt: skip
        remote = self.client.get_by_key(self.change.key, track=self.track)
        if remote is None:
            raise _Ended(_failed("create answered DuplicateField but no connector has this key"))
        if not matches_draft(remote, draft):
            raise _Ended(_failed(
                "a different connector with this key was created by someone else meanwhile; "
                "nothing was sent to it"
            ))  # fmt: skip
        return remote

    def _read_back(self, draft: Mapping[str, Any], exc: ApiError) -> Remote:
        """Retries ran out after an attempt that may have created it: look before reporting."""
        try:
            remote = self.client.get_by_key(self.change.key, track=self.track)
        except ApiError:
            remote = None
        if remote is not None and matches_draft(remote, draft):
            return remote
        note = f"{self._api_text(exc)}; the connector may exist (an attempt may have created it)"
        raise _Ended(_failed(note)) from exc

    # -- delete ----------------------------------------------------------------------------

    def _delete(self) -> ConnectorOutcome:
        """DELETE by the plan's id only, after a re-read shows the planned key and version and
        every guard holds again; a 404 by id counts as deleted, whatever now holds the key."""
        from connectorctl.kinds.connector_staged.deletion import recheck

        assert self.id is not None
        live = self.client.get_by_id(self.id, track=self.track)
        if live is None:
            return self._outcome(Result.DELETED, "already gone")
        self._fresh_as_planned(live)
        blocked = recheck(
            self.change,
            live,
            project_key=self.client.target.project_key,
            allow_delete_published=self.settings.allow_delete_published,
        )
        if blocked:
            raise _Ended(_stale(f"{blocked} (the connector changed since the plan)"))
        self.client.delete_in("connectors/drafts", self.id, track=self.track)
        self.wrote = True
        note = "its published Connector went with it" if live.get("status") != "Draft" else ""
        return self._outcome(Result.DELETED, note, remote=live)

    # -- update ----------------------------------------------------------------------------

    def _check_fresh(self) -> Remote:
        """A reviewed plan applies only to the connector and version it was computed against."""
        assert self.id is not None
        if not self.reviewed:
            return {"id": self.id, "version": self.version}
        remote = self.client.get_by_id(self.id, track=self.track)
        if remote is None:
            raise _Ended(_stale("the connector no longer exists"))
        self._fresh_as_planned(remote)
        return remote

    def _fresh_as_planned(self, remote: Remote) -> None:
        """The live connector behind the plan's id still has the plan's key and version."""
        if remote.get("key") != self.change.key:
            live = remote.get("key")
            note = f"the connector with this id has key {live!r}, not {self.change.key!r}"
            raise _Ended(_stale(note + " (a stale or edited plan)"))
        planned, live = self.change.version, remote.get("version")
        self.version_before = live if isinstance(live, int) else None
        if live != planned:
            note = f"version {planned} was planned, the connector is now at version {live}"
            raise _Ended(_stale(note))

    def _send_all(self, remote: Remote, actions: Sequence[Action]) -> Remote:
        pending = list(requests(actions))
        while pending:
            try:
                remote = self._update(remote, pending[0])
                pending.pop(0)
            except ApiError as exc:
                remote, pending = self._recover(remote, pending, exc)
        return remote

    def _update(self, remote: Remote, batch: Sequence[Action]) -> Remote:
        assert self.id is not None
        if is_lifecycle(batch):
            self.snapshot = fingerprint(remote)
        fresh = self.client.update(self.id, int(remote["version"]), batch, track=self.track)
        self._sent(batch, fresh)
        return fresh

    def _sent(self, batch: Sequence[Action], fresh: Remote) -> None:
        """Bookkeeping after a request that was (or, lost, may have been) applied."""
        self.wrote = True
        self.sent.extend(batch)
        name = batch[0]["action"]
        if is_lifecycle(batch):
            self.lifecycle, self.owed = name, False
            problem = failure(fresh, name)
            if problem and fingerprint(fresh) != self.snapshot:
                self.failure = problem
        elif any(a["action"] in STAGED_DATA_ACTIONS for a in batch):
            self.owed = True
        self._seen(fresh)

    def _recover(
        self, remote: Remote, pending: list[list[Action]], exc: ApiError
    ) -> tuple[Remote, list[list[Action]]]:
        """After a refused or lost request: ours, someone else's, or a plain failure."""
        batch = pending[0]
        conflict = isinstance(exc, ConcurrentModificationError)
        uncertain = self.track.uncertain  # the re-read below starts a new request
        if not uncertain and not conflict:
            raise self._refused(batch, exc)
        self._reread_or_give_up(exc)
        fresh = self._read()
        sent_at = int(remote["version"])
        if uncertain and self._ours(fresh, sent_at, batch):
            self._sent(batch, fresh)
            return fresh, pending[1:]
        if not conflict and fresh.get("version") == sent_at:
            raise exc  # retries ran out and nothing landed
        if uncertain and any(a["action"] in STAGED_DATA_ACTIONS for a in batch):
            self.owed = True  # possibly committed behind the lost answer: its step is still due
        self.conflicts += 1
        if self.reviewed:
            maybe = "; the request may have landed" if uncertain else ""
            note = f"the connector changed during apply (version {sent_at} expected, now "
            raise _Ended(_stale(note + f"{fresh.get('version')}){maybe}"))
        return fresh, list(requests(self._rediff(fresh)))

    def _refused(self, batch: Sequence[Action], exc: ApiError) -> Exception:
        if not is_lifecycle(batch):
            return exc
        self.lifecycle = batch[0]["action"]  # refused: the table names the step
        note = f"{self.lifecycle} refused: {self._api_text(exc)}"
        note += "; field changes were applied" if self.wrote else ""
        return _Ended(_failed(note))

    def _reread_or_give_up(self, exc: ApiError) -> None:
        """Count a re-read; stop after the policy's bound or when the retry budget is spent."""
        self.rereads += 1
        self._retrying()
        bound = self.client.policy.conflict_attempts
        if self.rereads > bound or not self.client.wait_before_retry(self.rereads, self.track):
            why = f"gave up after {self.rereads - 1} re-reads"
            if self.rereads <= bound:
                why = "gave up: the retry budget is spent"
            raise _Ended(_failed(f"{self._failure_note(exc)} ({why})")) from exc

    def _ours(self, fresh: Remote, sent_at: int, batch: Sequence[Action]) -> bool:
        """Whether our own lost request explains the re-read connector."""
        live = fresh.get("version")
        if not isinstance(live, int):
            return False
        if is_lifecycle(batch):
            # The evidence is the lifecycle fields, not the version: a transition may bump it
            # again (or an API may not bump it for a lifecycle request at all).
            return live >= sent_at and fingerprint(fresh) != self.snapshot
        return live == sent_at + 1 and all(already_applied(fresh, a) for a in batch)

    def _read(self) -> Remote:
        assert self.id is not None
        fresh = self.client.get_by_id(self.id, track=self.track)
        if fresh is None:
            raise _Ended(_failed("the connector was deleted during apply"))
        self._seen(fresh)
        return fresh

    def _rediff(self, remote: Remote) -> tuple[Action, ...]:
        from connectorctl.kinds.connector_staged.diff import plan_connector

        if self.desired is None:
            return self.change.actions
        change = plan_connector(
            self.desired, remote, retry_failed=self.settings.retry_failed, owed=self.owed
        )
        if change.change is Change.BLOCKED:
            raise _Ended(Ending(Result.BLOCKED, error_text(change)))
        if change.change is Change.WAITING:
            raise _Ended(Ending(Result.WAITING, error_text(change, "warning")))
        return change.actions

    # -- bookkeeping -----------------------------------------------------------------------

    def _retrying(self) -> None:
        if self.settings.progress is not None:
            self.settings.progress.retrying(self.change.key)

    def _seen(self, remote: Mapping[str, Any]) -> None:
        self.id = str(remote.get("id", self.id))
        version = remote.get("version")
        self.version = version if isinstance(version, int) else self.version

    def _api_text(self, exc: ApiError) -> str:
        message = str(exc)
        _, sep, tail = message.partition(f"{exc.status} ") if exc.status else ("", "", "")
        return tail if sep else message

    def _failure_note(self, exc: ApiError) -> str:
        return self._api_text(exc) + ("; earlier requests were applied" if self.wrote else "")

    def _outcome(
        self,
        result: Result,
        note: str = "",
        *,
        error: bool = False,
        remote: Mapping[str, Any] | None = None,
    ) -> ConnectorOutcome:
        if remote is not None:
            self._seen(remote)
        return ConnectorOutcome(
            key=self.change.key,
            result=result,
            id=self.id,
            version=self.version,
            requests=self.track.attempts,
            retries=self.track.retries + self.conflicts,
            note=note,
            error=error,
            lifecycle=self.lifecycle,
            actions_sent=tuple(self.sent),
            version_before=self.version_before,
            messages=_messages(self.change),
        )


def _stale(note: str) -> Ending:
    return Ending(Result.STALE, "stale plan: " + note)


def _failed(note: str) -> Ending:
    return Ending(Result.FAILED, note)


__all__ = ["CHUNK_SIZE", "ApplySettings", "already_applied", "desired_index", "execute_plan"]
