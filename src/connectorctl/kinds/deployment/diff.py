"""Deployment manifest × live Deployment → the planned change (pure: no I/O).

Facts behind the rules: DESIGN.md "Deployments" and spec/connect-deployments-facts.md §3, §7, §8.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connectorctl.kinds.deployment.draft import application_values, deployment_draft, global_values
from connectorctl.kinds.deployment.fields import (
    BUSY_STATUSES,
    FAILED_STATUSES,
    REDEPLOY,
    SECURED,
    STANDARD,
    effective_type,
    entry_keys,
    is_staged,
    is_tombstone,
    placeholder_name,
    values_map,
)
from connectorctl.kinds.deployment.record import Change, DeploymentChange, deployment_change
from connectorctl.model import Desired, DiffEntry, Level, Message

SecretLookup = Callable[[str], str | None]


@dataclass(frozen=True)
class PlanOptions:
    """What the caller knows beyond the manifest and the live Deployment."""

    connector_latest_version: int | None = None
    redeploy_requested: bool = False
    allow_replace: bool = False
    retry_failed: bool = False
    # Only when the API returns secured values in clear and the caller may read the variables.
    secured_lookup: SecretLookup | None = None
    # The connector's connect.yaml applications (`configurations`), when the caller read them.
    connector_configurations: Sequence[Mapping[str, Any]] | None = None


@dataclass
class _Found:
    """What differs, collected while comparing."""

    diff: list[DiffEntry] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    update_connector: bool = False

    def note(self, level: Level, text: str) -> None:
        self.messages.append(Message(level, text))


def plan_deployment(
    desired: Desired,
    remote: Mapping[str, Any] | None,
    *,
    connector_latest_version: int | None = None,
    redeploy_requested: bool = False,
    allow_replace: bool = False,
    retry_failed: bool = False,
    secured_lookup: SecretLookup | None = None,
    connector_configurations: Sequence[Mapping[str, Any]] | None = None,
) -> DeploymentChange:
    """The change that brings `remote` (None = absent) to the manifest `desired`.

    `connector_configurations` (the connector's `configurations`) checks that every secured key
    it defines is given; without it, the deployed connector snapshot in `remote` is used.
    """
    options = PlanOptions(
        connector_latest_version, redeploy_requested, allow_replace, retry_failed,
        secured_lookup, connector_configurations,
    )  # fmt: skip
    spec = {"key": desired.key, **desired.spec}
    source = str(desired.location)
    if is_tombstone(spec):
        return _plan_delete(spec, remote, options, source)
    if remote is None:
        return _plan_create(spec, options, source)
    return _plan_existing(spec, remote, options, source)


def _change(spec: Mapping[str, Any], change: Change, source: str, **rest: Any) -> DeploymentChange:
    return deployment_change(key=str(spec["key"]), change=change, source=source, **rest)


def _ids(remote: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": remote.get("id"), "version": remote.get("version")}


def _plan_delete(
    spec: Mapping[str, Any], remote: Mapping[str, Any] | None, options: PlanOptions, source: str
) -> DeploymentChange:
    if remote is None:
        return _change(spec, Change.UNCHANGED, source)
    status = remote.get("status")
    if status == "Undeploying":
        note = Message(Level.INFO, "the deployment is being undeployed already")
        return _change(spec, Change.UNCHANGED, source, messages=(note,), **_ids(remote))
    if status in ("Queued", "Deploying"):
        return _blocked(
            spec, remote, source, f"the deployment is {status}: it cannot be deleted now"
        )
    if status == "UndeployFailed" and not options.retry_failed:
        text = "the last undeploy failed" + _report_text(remote) + "; use --retry-failed to retry"
        message = Message(Level.ERROR, text)
        return _change(spec, Change.UNCHANGED, source, messages=(message,), **_ids(remote))
    return _change(spec, Change.DELETE, source, **_ids(remote))


def _plan_create(spec: Mapping[str, Any], options: PlanOptions, source: str) -> DeploymentChange:
    pinned = spec["connector"].get("version")
    latest = options.connector_latest_version
    if isinstance(pinned, int) and latest is not None and pinned != latest:
        return _blocked(spec, None, source, _pin_text(pinned, latest))
    found = _Found()
    schemas = _by_name(options.connector_configurations or ())
    for app in spec["configurations"]:
        prefix = f"configurations.{app['applicationName']}"
        _check_secured_keys(app, schemas.get(app["applicationName"]), prefix, found)
    if found.messages:
        return _blocked(spec, None, source, found.messages[0].text)
    draft = deployment_draft(spec, connector_version=latest)
    return _change(spec, Change.CREATE, source, draft=draft)


def _plan_existing(
    spec: Mapping[str, Any], remote: Mapping[str, Any], options: PlanOptions, source: str
) -> DeploymentChange:
    moved = _immutable_differences(spec, remote)
    if moved:
        return _plan_replace(spec, remote, moved, options, source)
    found = _Found()
    _compare_connector(spec, remote, options, found)
    if found.messages and found.messages[-1].level is Level.ERROR:
        return _blocked(spec, remote, source, found.messages[-1].text)
    _compare_values(spec, remote, options, found)
    errors = [m for m in found.messages if m.level is Level.ERROR]
    if errors:
        return _blocked(spec, remote, source, errors[0].text, diff=tuple(found.diff))
    return _decide(spec, remote, options, found, source)


def _plan_replace(
    spec: Mapping[str, Any],
    remote: Mapping[str, Any],
    moved: list[DiffEntry],
    options: PlanOptions,
    source: str,
) -> DeploymentChange:
    fields = ", ".join(entry.path for entry in moved)
    if not options.allow_replace:
        text = f"{fields} cannot change in place: replacing the deployment needs --allow-replace"
        return _blocked(spec, remote, source, text, diff=tuple(moved))
    if remote.get("status") in BUSY_STATUSES:
        return _blocked(spec, remote, source, f"the deployment is {remote.get('status')}")
    draft = deployment_draft(spec, connector_version=options.connector_latest_version)
    note = Message(Level.WARNING, f"{fields} changed: the deployment is deleted and created again")
    return _change(
        spec, Change.REPLACE, source, draft=draft, diff=tuple(moved), messages=(note,),
        **_ids(remote),
    )  # fmt: skip


def _immutable_differences(spec: Mapping[str, Any], remote: Mapping[str, Any]) -> list[DiffEntry]:
    remote_connector = remote.get("connector") or {}
    remote_staged = remote.get("type") == "preview" or remote.get("preview") is True
    pairs = (
        ("region", remote.get("deployedRegion"), spec["region"]),
        ("type", remote.get("type"), effective_type(spec)),
        ("connector.key", remote_connector.get("key"), spec["connector"]["key"]),
        ("connector.staged", remote_staged, is_staged(spec)),
    )
    return [DiffEntry(path, before, after) for path, before, after in pairs if before != after]


def _compare_connector(
    spec: Mapping[str, Any], remote: Mapping[str, Any], options: PlanOptions, found: _Found
) -> None:
    latest = options.connector_latest_version
    deployed = (remote.get("connector") or {}).get("version")
    pinned = spec["connector"].get("version")
    if isinstance(pinned, int) and latest is not None and pinned != latest:
        found.note(Level.ERROR, _pin_text(pinned, latest))
        return
    if latest is not None and isinstance(deployed, int) and deployed < latest:
        found.update_connector = True
        found.diff.append(DiffEntry("connector.version", deployed, latest))


def _pin_text(pinned: int, latest: int) -> str:
    return (
        f"connector.version {pinned} is not the latest version ({latest}): "
        "only the latest version can be deployed"
    )


def _compare_values(
    spec: Mapping[str, Any], remote: Mapping[str, Any], options: PlanOptions, found: _Found
) -> None:
    live_apps = _live_applications(remote)
    snapshot = (remote.get("connector") or {}).get("configurations") or ()
    schemas = _by_name(options.connector_configurations or snapshot)
    for app in spec["configurations"]:
        name = app["applicationName"]
        live = live_apps.get(name, {})
        prefix = f"configurations.{name}"
        _check_secured_keys(app, schemas.get(name), prefix, found)
        _compare_standard(app.get(STANDARD, {}), live.get(STANDARD), prefix, found)
        _compare_secured(app.get(SECURED, {}), live.get(SECURED), prefix, options, found)
    if "globalConfiguration" in spec:
        declared, live = spec["globalConfiguration"], remote.get("globalConfiguration") or {}
        _compare_standard(
            declared.get(STANDARD, {}), live.get(STANDARD), "globalConfiguration", found
        )
        _compare_secured(
            declared.get(SECURED, {}), live.get(SECURED), "globalConfiguration", options, found
        )


def _by_name(applications: Any) -> dict[str, Mapping[str, Any]]:
    """Application entries (connect.yaml schemas or deployed values) by `applicationName`."""
    return {
        app["applicationName"]: app
        for app in applications or ()
        if isinstance(app, Mapping) and isinstance(app.get("applicationName"), str)
    }


def _check_secured_keys(
    app: Mapping[str, Any], schema: Mapping[str, Any] | None, prefix: str, found: _Found
) -> None:
    """A secured key the connector defines but the manifest does not give would be lost on a
    redeploy that replaces values: a plan error."""
    defined = entry_keys((schema or {}).get(SECURED)) or ()
    missing = [key for key in defined if key not in app.get(SECURED, {})]
    if missing:
        text = f"{prefix}.{SECURED} does not give {', '.join(missing)}, which the connector defines"
        found.note(Level.ERROR, text)


def _live_applications(remote: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return _by_name(remote.get("applications"))


def _compare_standard(wanted: Mapping[str, str], live: Any, prefix: str, found: _Found) -> None:
    have = values_map(live)
    for key, value in wanted.items():
        if have.get(key) != value:
            found.diff.append(DiffEntry(f"{prefix}.{STANDARD}.{key}", have.get(key), value))


def _compare_secured(
    wanted: Mapping[str, str], live: Any, prefix: str, options: PlanOptions, found: _Found
) -> None:
    """A secured key the API lists without it being set is a known difference; values only
    compare when the API returns them in clear and the caller may read the variables."""
    listed = entry_keys(live)
    have = values_map(live)
    lookup = options.secured_lookup
    for key, placeholder in wanted.items():
        path = f"{prefix}.{SECURED}.{key}"
        if listed is not None and key not in listed:
            found.diff.append(DiffEntry(path, None, placeholder))
        elif lookup is not None and listed is not None:
            name = placeholder_name(placeholder)
            value = lookup(name) if name else None
            if value is not None and have.get(key) != value:
                # Neither value goes into the plan: only the variable name does.
                found.diff.append(DiffEntry(path, "(hidden)", placeholder))


def _decide(
    spec: Mapping[str, Any],
    remote: Mapping[str, Any],
    options: PlanOptions,
    found: _Found,
    source: str,
) -> DeploymentChange:
    status = remote.get("status")
    messages = list(found.messages)
    wanted = bool(found.diff) or options.redeploy_requested
    if status in FAILED_STATUSES and not wanted:
        if not options.retry_failed:
            text = f"the deployment is {status}" + _report_text(remote)
            messages.append(Message(Level.ERROR, text + "; nothing new to send (--retry-failed)"))
            return _unchanged(spec, remote, found, messages, source)
        wanted = True
    if not wanted:
        return _unchanged(spec, remote, found, [*messages, *_secured_note(spec, options)], source)
    if status in BUSY_STATUSES:
        return _blocked(
            spec, remote, source, f"the deployment is {status}: nothing can be sent until it ends",
            diff=tuple(found.diff),
        )  # fmt: skip
    if options.redeploy_requested:
        messages.append(Message(Level.INFO, "redeploy requested: secured values are sent"))
    action = redeploy_action(spec, remote, update_connector=found.update_connector)
    return _change(
        spec, Change.UPDATE, source, actions=(action,), diff=tuple(found.diff),
        messages=tuple(messages), **_ids(remote),
    )  # fmt: skip


def _unchanged(
    spec: Mapping[str, Any],
    remote: Mapping[str, Any],
    found: _Found,
    messages: list[Message],
    source: str,
) -> DeploymentChange:
    if remote.get("status") == "Undeploying":
        return _blocked(spec, remote, source, "the deployment is being undeployed")
    return _change(spec, Change.UNCHANGED, source, messages=tuple(messages), **_ids(remote))


def _secured_note(spec: Mapping[str, Any], options: PlanOptions) -> list[Message]:
    has_secured = any(app.get(SECURED) for app in spec["configurations"]) or bool(
        (spec.get("globalConfiguration") or {}).get(SECURED)
    )
    if not has_secured or options.secured_lookup is not None:
        return []
    text = (
        "secured values are not compared (the API does not return them): "
        f"use --redeploy {spec['key']} to send them"
    )
    return [Message(Level.INFO, text)]


def redeploy_action(
    spec: Mapping[str, Any], remote: Mapping[str, Any], *, update_connector: bool
) -> dict[str, Any]:
    """The one `redeploy` action: every declared application with all its standard values
    (unmanaged live keys kept with their live value) and all its secured placeholders."""
    live_apps = _live_applications(remote)
    action: dict[str, Any] = {"action": REDEPLOY}
    if spec["configurations"]:
        action["configurationValues"] = [
            application_values(app, _merged(app, live_apps.get(app["applicationName"], {})))
            for app in spec["configurations"]
        ]
    if "globalConfiguration" in spec:
        declared = spec["globalConfiguration"]
        live = remote.get("globalConfiguration") or {}
        action["globalConfiguration"] = global_values(declared, _merged(declared, live))
    if update_connector:
        action["updateConnector"] = True
    return action


def _merged(declared: Mapping[str, Any], live: Mapping[str, Any]) -> dict[str, str]:
    """Declared standard values in manifest order, then unmanaged live keys with live values."""
    wanted: dict[str, str] = dict(declared.get(STANDARD, {}))
    for key, value in values_map(live.get(STANDARD)).items():
        wanted.setdefault(key, value)
    return wanted


def _blocked(
    spec: Mapping[str, Any],
    remote: Mapping[str, Any] | None,
    source: str,
    text: str,
    *,
    diff: tuple[DiffEntry, ...] = (),
) -> DeploymentChange:
    ids = _ids(remote) if remote is not None else {}
    message = Message(Level.ERROR, text)
    return _change(spec, Change.BLOCKED, source, diff=diff, messages=(message,), **ids)


def _report_text(remote: Mapping[str, Any]) -> str:
    """The titles of the last build report's Error entries, for the message."""
    report = ((remote.get("details") or {}).get("build") or {}).get("report") or {}
    titles = [
        str(entry.get("title"))
        for entry in report.get("entries") or ()
        if isinstance(entry, Mapping) and entry.get("type") == "Error"
    ]
    return f" ({'; '.join(titles)})" if titles else ""
