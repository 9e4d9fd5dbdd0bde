"""Execute a Plan: parallel across connectors, serial within one, 409 → re-read and re-diff.

Per connector: the create (POST of the draft), then the field actions in one request (chunks of
500), then the lifecycle action in its own final request, so that a refused lifecycle step never
loses the field changes. On 409 ConcurrentModification the connector is read again and, when the
manifests are at hand, re-diffed against the same desired state and only what is still needed is
sent (bounded attempts, jittered backoff). With a reviewed plan file there is no re-diff: any
version change makes that connector stale and nothing is written for it.

What happens after the writes (`--wait`, the convergence check) is in `converge.py`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from connectorctl.errors import ApiError, ConcurrentModificationError, DuplicateKeyError
from connectorctl.model import (
    ADD_CERTIFICATION_COMMENT,
    LIFECYCLE_ACTIONS,
    PUBLISH,
    Change,
    ConnectorChange,
    Desired,
    Plan,
)
from connectorctl.results import ApplyResult, ConnectorOutcome, Result

if TYPE_CHECKING:
    from connectorctl.api.client import ConnectClient, RequestTracker

CHUNK_SIZE = 500
Action = Mapping[str, Any]
Remote = dict[str, Any]


@dataclass(frozen=True)
class ApplySettings:
    """How hard to try: conflict attempts per connector, backoff, and the injected sleep."""

    parallelism: int = 8
    retry_failed: bool = False
    attempts: int = 5
    base_delay: float = 0.2
    max_delay: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)


class _Gone(Exception):
    """The connector stopped being something we may write to; carries its final outcome."""

    def __init__(self, outcome_fields: Mapping[str, Any]) -> None:
        super().__init__(str(outcome_fields.get("note", "")))
        self.fields = outcome_fields


def execute_plan(
    client: ConnectClient,
    plan: Plan,
    desired_by_key: Mapping[str, Desired] | None,
    settings: ApplySettings | None = None,
) -> ApplyResult:
    """Apply every connector's planned change (`desired_by_key` None: a reviewed plan file)."""
    settings = settings or ApplySettings()

    def one(change: ConnectorChange) -> ConnectorOutcome:
        desired = None if desired_by_key is None else desired_by_key.get(change.key)
        reviewed = desired_by_key is None
        return _ConnectorRun(client, change, desired, settings, reviewed=reviewed).run()

    workers = max(1, min(settings.parallelism, len(plan.connectors) or 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="apply") as pool:
        return ApplyResult(tuple(pool.map(one, plan.connectors)))


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
        self.track: RequestTracker = RequestTracker()
        self.conflicts = 0
        self.wrote = False
        self.lifecycle: str | None = None
        self.conflict: tuple[int, list[Action]] = (0, [])
        self.id: str | None = change.id
        self.version: int | None = change.version

    def run(self) -> ConnectorOutcome:
        """Apply this connector's change; every expected failure ends up in the outcome."""
        outcome = self._run()
        if self.change.has_error and not outcome.failed:
            note = join_notes(outcome.note, _error_text(self.change))
            outcome = replace(outcome, error=True, note=note)
        return outcome

    def _run(self) -> ConnectorOutcome:
        change = self.change
        if change.change is Change.UNCHANGED:
            return self._outcome(Result.UNCHANGED, _error_text(change), error=change.has_error)
        if change.change is Change.BLOCKED:
            return self._outcome(Result.BLOCKED, _error_text(change) or "blocked", error=True)
        try:
            return self._write()
        except _Gone as gone:
            return self._outcome(**gone.fields)
        except ApiError as exc:
            return self._outcome(Result.FAILED, self._failure_note(exc), error=True)

    def _write(self) -> ConnectorOutcome:
        if self.change.change is Change.CREATE:
            remote, created = self._create()
            actions = self._after_create(remote)
        else:
            remote, created = self._check_fresh(), False
            actions = self.change.actions
        remote = self._send_with_retries(remote, actions)
        # After a conflict the work may have been done by our own lost request or by someone
        # else: either way the connector went from the planned state to the desired one.
        result = Result.CREATED if created else Result.UPDATED
        note = "" if not self.conflicts else f"{self.conflicts} conflict(s) resolved"
        return self._outcome(result, note, remote=remote)

    # -- create ----------------------------------------------------------------------------

    def _create(self) -> tuple[Remote, bool]:
        draft = self.change.draft or {}
        if self.reviewed and self.client.get_by_key(self.change.key, track=self.track) is not None:
            raise _Gone(_stale("a connector with this key now exists; the plan would create it"))
        retries = self.track.retries
        try:
            remote = self.client.create(draft, track=self.track)
        except DuplicateKeyError:
            if self.track.retries == retries:
                # Our first attempt met the duplicate: someone else created this key since the
                # plan read the API. Adopting it silently would report a create we never made.
                raise _Gone(
                    _failed(
                        "a connector with this key was created by someone else since the "
                        "plan was made; run plan again to see it as an update"
                    )
                ) from None
            remote = self._created_before(draft)
        self.wrote = True
        self._seen(remote)
        return remote, True

    def _created_before(self, draft: Mapping[str, Any]) -> Remote:
        """The create answered DuplicateField: our earlier attempt wrote it; fetch, don't repeat."""
        remote = self.client.get_by_key(self.change.key, track=self.track)
        if remote is None:
            raise _Gone(_failed("create answered DuplicateField but no connector has this key"))
        if self.reviewed and not _matches_draft(remote, draft):
            raise _Gone(_stale("a different connector with this key was created meanwhile"))
        return remote

    def _after_create(self, remote: Remote) -> tuple[Action, ...]:
        if self.desired is not None and not self.reviewed:
            return self._rediff(remote)
        return self.change.actions

    # -- update ----------------------------------------------------------------------------

    def _check_fresh(self) -> Remote:
        """A reviewed plan applies only to the version it was computed against."""
        assert self.id is not None
        if not self.reviewed:
            return {"id": self.id, "version": self.version}
        remote = self.client.get_by_id(self.id, track=self.track)
        if remote is None:
            raise _Gone(_stale("the connector no longer exists"))
        planned, live = self.change.version, remote.get("version")
        if live != planned:
            note = f"version {planned} was planned, the connector is now at version {live}"
            raise _Gone(_stale(note))
        return remote

    def _send_with_retries(self, remote: Remote, actions: Sequence[Action]) -> Remote:
        for attempt in range(1, self.settings.attempts + 1):
            try:
                return self._send(remote, actions)
            except ConcurrentModificationError as exc:
                if attempt == self.settings.attempts or not self._backoff(attempt):
                    note = (
                        f"{self._failure_note(exc)} (gave up after {attempt} conflicting attempts)"
                    )
                    raise _Gone(_failed(note)) from exc
                self.conflicts += 1
                remote, actions = self._after_conflict(actions)
        raise AssertionError("unreachable")

    def _send(self, remote: Remote, actions: Sequence[Action]) -> Remote:
        for batch in _requests(actions):
            remote = self._update(remote, batch)
        return remote

    def _update(self, remote: Remote, batch: Sequence[Action]) -> Remote:
        assert self.id is not None
        lifecycle = [a["action"] for a in batch if a["action"] in LIFECYCLE_ACTIONS]
        try:
            fresh = self.client.update(self.id, int(remote["version"]), batch, track=self.track)
        except ConcurrentModificationError:
            self.conflict = (int(remote["version"]), list(batch))
            raise
        except ApiError as exc:
            if not lifecycle:
                raise
            note = f"{lifecycle[0]} refused: {self._api_text(exc)}"
            note += "; field changes were applied" if self.wrote else ""
            raise _Gone(_failed(note) | {"lifecycle": lifecycle[0]}) from exc
        self.wrote = True
        self.lifecycle = lifecycle[0] if lifecycle else self.lifecycle
        self._seen(fresh)
        return fresh

    def _after_conflict(self, actions: Sequence[Action]) -> tuple[Remote, tuple[Action, ...]]:
        """Read the connector again and work out what is still needed."""
        assert self.id is not None
        fresh = self.client.get_by_id(self.id, track=self.track)
        if fresh is None:
            raise _Gone(_failed("the connector was deleted during apply"))
        self._seen(fresh)
        if self.reviewed:
            return fresh, self._reviewed_remainder(fresh, actions)
        _, batch = self.conflict
        if batch and batch[0]["action"] in LIFECYCLE_ACTIONS and already_applied(fresh, batch[0]):
            self.lifecycle = batch[0]["action"]  # our lost request started it: --wait follows it
        return fresh, self._rediff(fresh)

    def _rediff(self, remote: Remote) -> tuple[Action, ...]:
        from connectorctl.kinds.connector_staged.diff import plan_connector

        assert self.desired is not None
        change = plan_connector(self.desired, remote, retry_failed=self.settings.retry_failed)
        if change.change is Change.BLOCKED:
            raise _Gone({"result": Result.BLOCKED, "note": _error_text(change), "error": True})
        return change.actions

    def _reviewed_remainder(self, fresh: Remote, actions: Sequence[Action]) -> tuple[Action, ...]:
        """Without manifests: continue only when our own lost request explains the conflict.

        That is: the connector is exactly one version past the one we sent, and everything the
        conflicting request asked for is already there.
        """
        sent_version, batch = self.conflict
        live = fresh.get("version")
        lifecycle = bool(batch) and batch[0]["action"] in LIFECYCLE_ACTIONS
        # A lifecycle transition may have bumped the version again since (an API setting).
        one_past = isinstance(live, int) and (
            live > sent_version if lifecycle else live == sent_version + 1
        )
        if not (one_past and all(already_applied(fresh, a) for a in batch)):
            note = (
                f"the connector changed during apply (version {sent_version} expected, now {live})"
            )
            raise _Gone(_stale(note))
        self.wrote = True
        if lifecycle:
            self.lifecycle = batch[0]["action"]
        return tuple(a for a in actions if a not in batch and not already_applied(fresh, a))

    def _backoff(self, attempt: int) -> bool:
        ceiling = min(self.settings.max_delay, self.settings.base_delay * 2 ** (attempt - 1))
        delay = self.settings.rng.uniform(0, ceiling)
        deadline = self.track.deadline
        if deadline is not None and self.settings.clock() + delay > deadline:
            return False
        self.settings.sleep(delay)
        return True

    # -- bookkeeping -----------------------------------------------------------------------

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
        lifecycle: str | None = None,
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
            lifecycle=lifecycle or self.lifecycle,
        )


def _stale(note: str) -> dict[str, Any]:
    return {"result": Result.STALE, "note": "stale plan: " + note, "error": True}


def _failed(note: str) -> dict[str, Any]:
    return {"result": Result.FAILED, "note": note, "error": True}


def _error_text(change: ConnectorChange) -> str:
    return "; ".join(m.text for m in change.messages if m.level.value == "error")


def _requests(actions: Sequence[Action]) -> Iterator[list[Action]]:
    """Field actions in chunks of CHUNK_SIZE, then each lifecycle action alone."""
    fields = [a for a in actions if a["action"] not in LIFECYCLE_ACTIONS]
    for start in range(0, len(fields), CHUNK_SIZE):
        yield fields[start : start + CHUNK_SIZE]
    for action in actions:
        if action["action"] in LIFECYCLE_ACTIONS:
            yield [action]


def _matches_draft(remote: Mapping[str, Any], draft: Mapping[str, Any]) -> bool:
    """Whether the live connector holds every value of the draft (ours, whose response was lost)."""
    for name, value in draft.items():
        live = remote.get(name)
        if isinstance(value, list) and isinstance(live, list):
            if sorted(map(str, value)) != sorted(map(str, live)):
                return False
        elif isinstance(value, Mapping) and isinstance(live, Mapping):
            if any(live.get(k) != v for k, v in value.items()):
                return False
        elif live != value:
            return False
    return True


def already_applied(remote: Mapping[str, Any], action: Action) -> bool:
    """Whether sending `action` to `remote` would change nothing: it was applied already."""
    from connectorctl.kinds.connector_staged.actions import ActionRejected, apply_update

    name = action["action"]
    if name == ADD_CERTIFICATION_COMMENT:
        comments = (remote.get("certificationInfo") or {}).get("comments") or []
        return any(c.get("comment") == action["comment"] for c in comments)
    if name == PUBLISH:
        return remote.get("status") != "Draft" and not remote.get("hasChanges")
    if name in LIFECYCLE_ACTIONS:
        return remote.get("isPreviewable") != "none"
    try:
        _, changed = apply_update(remote, remote.get("version"), [action], now="")
    except ActionRejected:
        return False
    return not changed


def join_notes(first: str, second: str) -> str:
    return f"{first}; {second}" if first else second


def desired_index(desired: Sequence[Desired]) -> dict[str, Desired]:
    """The loaded manifests by connector key."""
    return {d.key: d for d in desired}
