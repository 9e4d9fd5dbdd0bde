"""Apply one Deployment's planned change (DESIGN "Deployments"): create, redeploy, replace, delete.

Secured values travel as `${NAME}` placeholders up to here and are resolved from the environment
only in the request body (`resolve_secured`); an unset variable fails this deployment, naming the
variable. Deletes are asynchronous: a delete that something waits for (or `--wait`) is followed
until the deployment answers 404; `--wait` follows a create or redeploy until Deployed or Failed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectorctl.apply.support import error_text, join_notes
from connectorctl.errors import ApiError, ConcurrentModificationError, DuplicateKeyError
from connectorctl.kinds.deployment import MissingSecret, resolve_secured
from connectorctl.model import Change, ConnectorChange, Until
from connectorctl.results import ConnectorOutcome, ReportEntry, Result

if TYPE_CHECKING:
    from connectorctl.api.client import ConnectClient, RequestTracker

KIND = "Deployment"
DEPLOYMENTS = "{projectKey}/deployments"
CONNECTORS = "connectors"
STAGED = "connectors/drafts"
SETTLED_STATUSES = frozenset({"Deployed", "Failed"})
LOG_LINES = 5
STANDARD = "standardConfiguration"


@dataclass(frozen=True)
class DeploymentSettings:
    """What a deployment run needs from the apply settings."""

    lookup: Callable[[str], str | None]
    reviewed: bool = False
    wait: bool = False  # follow to Deployed / Failed / 404
    timeout: float = 1800.0
    interval: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    progress: Callable[[str], None] | None = None
    needed: frozenset[str] = frozenset()  # deployments something waits for to be gone


class _Stop(Exception):
    def __init__(self, result: Result, note: str, reports: tuple[ReportEntry, ...] = ()) -> None:
        super().__init__(note)
        self.result, self.note, self.reports = result, note, reports


class DeploymentRun:
    """One deployment's apply, run by one worker thread."""

    def __init__(
        self, client: ConnectClient, change: ConnectorChange, settings: DeploymentSettings
    ) -> None:
        from connectorctl.api.client import RequestTracker

        self.client = client
        self.change = change
        self.settings = settings
        self.track: RequestTracker = RequestTracker()
        self.id = change.id
        self.version = change.version
        self.wrote = False
        self.settled: str | None = None
        self.last_line = ""
        self.unconverged = ""

    def run(self) -> ConnectorOutcome:
        change = self.change
        if change.change is Change.UNCHANGED:
            return self._outcome(Result.UNCHANGED, error_text(change), error=change.has_error)
        if change.change in (Change.BLOCKED, Change.WAITING):
            return self._outcome(Result.BLOCKED, error_text(change) or "blocked", error=True)
        try:
            result = self._write()
        except _Stop as stop:
            return self._outcome(stop.result, stop.note, error=True, reports=stop.reports)
        except MissingSecret as exc:
            return self._outcome(Result.FAILED, str(exc), error=True)
        except ApiError as exc:
            note = _api_text(exc) + ("; earlier requests were applied" if self.wrote else "")
            return self._outcome(Result.FAILED, note, error=True)
        if self.unconverged:
            return self._outcome(result, self.unconverged, error=True)
        return self._outcome(result, "")

    def _write(self) -> Result:
        kind = self.change.change
        if kind is Change.CREATE:
            self._create()
            self._follow()
            return Result.CREATED
        if kind is Change.UPDATE:
            self._redeploy()
            self._follow()
            return Result.REDEPLOYED
        if kind is Change.DELETE:
            self._delete()
            return Result.DELETED
        self._replace()
        self._follow()
        return Result.REPLACED

    # -- the requests ----------------------------------------------------------------------

    def _create(self, *, retry_duplicate: bool = False) -> None:
        draft = dict(self.change.draft or {})
        if self.change.depends_on and "version" not in (draft.get("connector") or {}):
            draft = self._latest_connector(draft)
        if self.settings.reviewed and not retry_duplicate and self._live_by_key() is not None:
            raise _Stop(Result.STALE, "stale plan: a deployment with this key now exists")
        body = resolve_secured(draft, self.settings.lookup)
        begin = self.settings.clock()
        deadline = begin + self.settings.timeout
        while True:
            try:
                created = self.client.create_in(DEPLOYMENTS, body, track=self.track)
                break
            except DuplicateKeyError:
                if self.track.uncertain:
                    created = self._live_by_key() or {}
                    break
                if not retry_duplicate or self.settings.clock() >= deadline:
                    raise
                self.settings.sleep(self._pause(begin))
        self.wrote = True
        self._seen(created)
        self._check_values(
            body.get("configurations") or (), body.get("globalConfiguration"), created
        )

    def _latest_connector(self, draft: dict[str, Any]) -> dict[str, Any]:
        """After this run's release settled, the draft names the connector's version now."""
        reference = dict(draft.get("connector") or {})
        staged = reference.get("staged") is True
        collection = STAGED if staged else CONNECTORS
        live = self.client.get_by_key_in(collection, str(reference.get("key")), track=self.track)
        if live is not None and isinstance(live.get("version"), int):
            reference["version"] = live["version"]
        return {**draft, "connector": reference}

    def _redeploy(self) -> None:
        live = self._fresh()
        actions = [resolve_secured(dict(a), self.settings.lookup) for a in self.change.actions]
        conflicts = 0
        while True:
            try:
                fresh = self.client.update_in(
                    DEPLOYMENTS, str(self.id), int(live["version"]), actions, track=self.track
                )
                break
            except ConcurrentModificationError:
                conflicts += 1
                if self.settings.reviewed or conflicts > self.client.policy.conflict_attempts:
                    raise
                live = self._read()
        self.wrote = True
        self._seen(fresh)
        for action in actions:
            apps = action.get("configurationValues") or ()
            self._check_values(apps, action.get("globalConfiguration"), fresh)

    def _delete(self) -> None:
        if self.settings.reviewed:
            self._fresh()
        self.client.delete_in(DEPLOYMENTS, str(self.id), track=self.track)
        self.wrote = True
        if self.settings.wait or self.change.key in self.settings.needed:
            self._until_gone()

    def _replace(self) -> None:
        resolve_secured(self.change.draft or {}, self.settings.lookup)  # unset: nothing deleted
        if self.settings.reviewed:
            self._fresh()
        self.client.delete_in(DEPLOYMENTS, str(self.id), track=self.track)
        self.wrote = True
        self._until_gone()
        try:
            self._create(retry_duplicate=True)
        except (ApiError, MissingSecret) as exc:
            why = _api_text(exc) if isinstance(exc, ApiError) else str(exc)
            raise _Stop(
                Result.FAILED, f"removed before recreated: the create failed: {why}"
            ) from exc

    def _check_values(self, apps: Any, glob: Any, live: Mapping[str, Any]) -> None:
        """The standard values sent must read back: anything else "did not converge"."""
        live_apps = {
            a.get("applicationName"): a
            for a in live.get("applications") or ()
            if isinstance(a, Mapping)
        }
        sent = [(f"configurations.{a['applicationName']}", a, live_apps.get(a["applicationName"]))
                for a in apps]  # fmt: skip
        if glob is not None:
            sent.append(("globalConfiguration", glob, live.get("globalConfiguration")))
        left = [
            f"{where}.{STANDARD}.{key}"
            for where, declared, found in sent
            for key, value in _pairs(declared.get(STANDARD)).items()
            if _pairs((found or {}).get(STANDARD)).get(key) != value
        ]
        if left:
            self.unconverged = "did not converge: " + ", ".join(left)

    # -- following its status --------------------------------------------------------------

    def _until_gone(self) -> None:
        begin = self.settings.clock()
        deadline = begin + self.settings.timeout
        while True:
            live = self.client.get_by_id_in(DEPLOYMENTS, str(self.id), track=self.track)
            if live is None:
                self.settled = "gone"
                return
            if live.get("status") == "UndeployFailed":
                raise _Stop(Result.FAILED, "undeploy failed" + _titles(live), _reports(live))
            if self.settings.clock() >= deadline:
                note = f"still {live.get('status')} after {self.settings.timeout:g}s (not gone)"
                raise _Stop(Result.FAILED, note)
            self._progress(f"waiting for deployment {self.change.key} to be gone")
            self.settings.sleep(self._pause(begin))

    def _follow(self) -> None:
        """With --wait: until Deployed or Failed (a Failed one is an error with its report)."""
        if not self.settings.wait:
            return
        begin = self.settings.clock()
        deadline = begin + self.settings.timeout
        while True:
            live = self._read()
            status = str(live.get("status"))
            if status in SETTLED_STATUSES:
                self.settled = status
                if status == "Failed":
                    note = "deployment Failed" + _titles(live) + self._log_tail()
                    raise _Stop(Result.FAILED, note, _reports(live))
                return
            if self.settings.clock() >= deadline:
                note = f"still {status} after {self.settings.timeout:g}s"
                raise _Stop(Result.FAILED, note)
            self._progress(f"waiting for deployment {self.change.key}: {status}")
            self.settings.sleep(self._pause(begin))

    def _log_tail(self) -> str:
        """The last lines of the deprecated logs endpoint, while it answers."""
        try:
            page = self.client.logs_in(DEPLOYMENTS, str(self.id))
        except ApiError:
            return ""
        lines = [
            str(entry.get("message", ""))
            for entry in (page or {}).get("data") or ()
            if isinstance(entry, Mapping)
        ]
        return f"; last log lines: {' | '.join(lines[-LOG_LINES:])}" if lines else ""

    # -- reads -----------------------------------------------------------------------------

    def _fresh(self) -> dict[str, Any]:
        """The live deployment before a write; with a reviewed plan it must be the planned one."""
        live = self._read()
        if not self.settings.reviewed:
            return live
        if live.get("key") != self.change.key:
            raise _Stop(Result.STALE, f"stale plan: the deployment with this id has key "
                        f"{live.get('key')!r}, not {self.change.key!r}")  # fmt: skip
        if live.get("version") != self.change.version:
            raise _Stop(Result.STALE, f"stale plan: version {self.change.version} was planned, "
                        f"the deployment is now at version {live.get('version')}")  # fmt: skip
        return live

    def _read(self) -> dict[str, Any]:
        live = self.client.get_by_id_in(DEPLOYMENTS, str(self.id), track=self.track)
        if live is None:
            raise _Stop(Result.FAILED, "the deployment was deleted during apply")
        self._seen(live)
        return live

    def _live_by_key(self) -> dict[str, Any] | None:
        return self.client.get_by_key_in(DEPLOYMENTS, self.change.key, track=self.track)

    def _seen(self, live: Mapping[str, Any]) -> None:
        if live.get("id"):
            self.id = str(live["id"])
        version = live.get("version")
        self.version = version if isinstance(version, int) else self.version

    def _pause(self, begin: float) -> float:
        """Short first polls (a fast API answers at once), then every `interval` seconds."""
        return min(self.settings.interval, 0.1 + (self.settings.clock() - begin) / 2)

    def _progress(self, line: str) -> None:
        """One line per new status, not one per poll."""
        if self.settings.progress is not None and line != self.last_line:
            self.last_line = line
            self.settings.progress(line)

    def _outcome(
        self,
        result: Result,
        note: str,
        *,
        error: bool = False,
        reports: tuple[ReportEntry, ...] = (),
    ) -> ConnectorOutcome:
        if self.change.has_error and result is not Result.UNCHANGED:
            note, error = join_notes(note, error_text(self.change)), True
        return ConnectorOutcome(
            key=self.change.key,
            result=result,
            id=self.id,
            version=self.version,
            requests=self.track.attempts,
            retries=self.track.retries,
            note=note,
            error=error,
            settled=self.settled,
            reports=reports,
            kind=KIND,
        )


def deleted_before(changes: tuple[ConnectorChange, ...]) -> frozenset[str]:
    """Deployments that another entry waits for to be gone (their delete waits for 404)."""
    return frozenset(
        d.key for c in changes for d in c.depends_on if d.kind == KIND and d.until is Until.GONE
    )


def _report_entries(live: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    report = ((live.get("details") or {}).get("build") or {}).get("report") or {}
    return [e for e in report.get("entries") or () if isinstance(e, Mapping)]


def _reports(live: Mapping[str, Any]) -> tuple[ReportEntry, ...]:
    return tuple(
        ReportEntry(str(e.get("type", "")), str(e.get("title", "")), str(e.get("message") or ""))
        for e in _report_entries(live)
    )


def _titles(live: Mapping[str, Any]) -> str:
    entries = _report_entries(live)
    errors = [e for e in entries if e.get("type") == "Error"] or entries
    titles = [str(e.get("title", "")) for e in errors]
    return f": {'; '.join(titles)}" if titles else ""


def _api_text(exc: ApiError) -> str:
    message = str(exc)
    _, sep, tail = message.partition(f"{exc.status} ") if exc.status else ("", "", "")
    return tail if sep else message


def _pairs(entries: Any) -> dict[str, Any]:
    """`[{key, value}]` → {key: value} (anything else: empty)."""
    return {
        e["key"]: e.get("value")
        for e in (entries if isinstance(entries, list) else ())
        if isinstance(e, Mapping) and isinstance(e.get("key"), str)
    }
