"""The emulated `/{projectKey}/deployments` resource: create, read, query, redeploy, delete.

Deployments live in their own store table; settings are kept in the store's `meta` table (so a
reset restores the defaults). The connector a Deployment names is read through the project,
which applies its due lifecycle steps first. A published Connector is emulated by the
ConnectorStaged once published: its `version` stands for the Connector's version.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from connectorctl.emulator import deployments_checks as checks
from connectorctl.emulator.deployments_lifecycle import MASK, DeploymentSettings, advance, start_run
from connectorctl.emulator.deployments_logs import log_page
from connectorctl.emulator.service import EmulatedProject, Ref
from connectorctl.emulator.settings import bad_request, iso
from connectorctl.emulator.store import Transaction
from connectorctl.kinds.connector_staged.actions import ActionRejected

_SETTINGS = "deployment_settings"
_REDEPLOY_FROM = frozenset({"Draft", "Deployed", "Failed", "UndeployFailed"})
_SNAPSHOT_FIELDS = (
    "id", "key", "version", "name", "description", "integrationTypes", "creator", "repository",
    "configurations", "globalConfiguration", "supportedRegions", "documentationUrl",
)  # fmt: skip
Row = tuple[str, dict[str, Any], dict[str, Any]]  # id, doc, state


class Deployments:
    """One project's Deployments (stateless: everything lives in the project's store)."""

    def __init__(self, project: EmulatedProject) -> None:
        self.project = project

    # -- settings ---------------------------------------------------------------------------

    def settings(self) -> DeploymentSettings:
        with self.project.store.transaction() as tx:
            return _settings(tx)

    def update_settings(self, changes: Any) -> DeploymentSettings:
        with self.project.store.transaction() as tx:
            merged = _settings(tx).merged(changes)
            tx.set_value(_SETTINGS, merged.to_dict())
        return merged

    # -- the API ----------------------------------------------------------------------------

    def create(self, body: Any) -> dict[str, Any]:
        draft = checks.checked_draft(body)
        settings = self.settings()
        connector = self._connector(draft["connector"])
        staged = bool(draft["connector"].get("staged"))
        wanted = draft.get("type") or ("preview" if staged else "sandbox")
        checks.check_type(connector, staged, wanted, settings.production_enabled)
        regions = connector.get("supportedRegions") or []
        if regions and draft["region"] not in regions:
            raise checks.error(
                "DeploymentUnsupportedRegion", f"Deployment unsupported region {draft['region']}"
            )
        checks.check_configuration(connector.get("configurations") or [], draft["configurations"])
        doc = _new_deployment(draft, connector, wanted)
        state: dict[str, Any] = {"staged": staged}
        if settings.create_status == "Draft":
            doc["status"] = "Draft"
        else:
            skip = settings.create_status == "Deploying"
            start_run(doc, state, "deploy", self.project.clock.now(), skip_queue=skip)
        with self.project.store.transaction() as tx:
            if isinstance(doc.get("key"), str) and _find(tx, key=doc["key"]) is not None:
                raise checks.duplicate(doc["key"])
            tx.execute(
                "INSERT INTO deployments (id, key, doc, state) VALUES (?, ?, ?, ?)",
                (doc["id"], doc.get("key"), json.dumps(doc), json.dumps(state)),
            )
        return self._shown(doc, settings)

    def get(self, ref: Ref) -> dict[str, Any]:
        self._settle(ref)
        with self.project.store.transaction() as tx:
            settings = _settings(tx)
            _, doc, _ = self._load(tx, ref)
        return self._shown(doc, settings)

    def query(self, params: Iterable[tuple[str, str]]) -> dict[str, Any]:
        limit, offset, wanted_type = checks.parse_query(params)
        self._settle()
        with self.project.store.transaction() as tx:
            settings = _settings(tx)
            rows = tx.execute("SELECT id, doc, state FROM deployments ORDER BY seq")
            docs = [_row(row)[1] for row in rows]
        found = [doc for doc in docs if wanted_type in (None, doc["type"])]
        page = found[offset : offset + limit]
        return {
            "limit": limit, "offset": offset, "count": len(page), "total": len(found),
            "results": [self._shown(doc, settings) for doc in page],
        }  # fmt: skip

    def logs(self, ref: Ref, params: Iterable[tuple[str, str]]) -> dict[str, Any]:
        """One page of the (deprecated) logs endpoint."""
        doc = self.get(ref)
        return log_page(doc, params, iso(self.project.clock.now()))

    def update(self, ref: Ref, body: Any) -> dict[str, Any]:
        actions = checks.checked_update(body)
        self._settle(ref)
        latest = (
            self._latest_connector(ref) if any(a.get("updateConnector") for a in actions) else None
        )
        with self.project.store.transaction() as tx:
            settings = _settings(tx)
            id_, doc, state = self._load(tx, ref)
            if body["version"] != doc["version"]:
                raise checks.conflict(body["version"], doc["version"])
            for action in actions:
                self._redeploy(doc, state, action, settings, latest)
            doc["version"] += 1
            _save(tx, id_, doc, state)
        return self._shown(doc, settings)

    def delete(self, ref: Ref) -> tuple[int, dict[str, Any]]:
        self._settle(ref)
        with self.project.store.transaction() as tx:
            settings = _settings(tx)
            id_, doc, state = self._load(tx, ref)
            previous = doc["status"]
            if previous in ("Queued", "Deploying", "Undeploying") and (
                settings.delete_while_busy == "refuse" or previous == "Undeploying"
            ):
                raise checks.invalid_transition(previous, settings.invalid_transition_status)
            start_run(doc, state, "undeploy", self.project.clock.now())
            _save(tx, id_, doc, state)
        shown = self._shown(doc, settings)
        if settings.delete_body_status == "previous":
            shown["status"] = previous
        return settings.delete_status, shown

    # -- admin ------------------------------------------------------------------------------

    def force(self, body: Any) -> dict[str, Any]:
        """Admin: end the current run now with `Failed` or `UndeployFailed` and a report."""
        if not isinstance(body, Mapping) or not isinstance(body.get("key"), str):
            raise bad_request('force: expected {"key": KEY, "status": "Failed"|"UndeployFailed"}')
        status = body.get("status")
        if status not in ("Failed", "UndeployFailed"):
            raise bad_request("force.status: expected Failed or UndeployFailed")
        entries = body.get("report", [{"type": "Error", "title": f"Forced {status}"}])
        if not isinstance(entries, list) or not all(isinstance(e, Mapping) for e in entries):
            raise bad_request("force.report: expected a list of report entries")
        self._settle(Ref(key=body["key"]))
        with self.project.store.transaction() as tx:
            settings = _settings(tx)
            id_, doc, state = self._load(tx, Ref(key=body["key"]))
            state.pop("run", None)
            doc["status"] = status
            now = self.project.clock.now()
            report = [{"createdAt": iso(now), **entry} for entry in entries]
            doc["details"]["build"]["report"] = {"entries": report}
            _save(tx, id_, doc, state)
        return self._shown(doc, settings)

    # -- inside -----------------------------------------------------------------------------

    def _connector(self, reference: Mapping[str, Any]) -> dict[str, Any]:
        ref = Ref(id=reference.get("id"), key=reference.get("key"))
        version = reference.get("version")
        label = str(reference.get("key") or reference.get("id"))
        try:
            connector = self.project.get(ref)
        except ActionRejected:
            raise checks.reference_not_found(label, version) from None
        if reference.get("staged"):
            if connector.get("isPreviewable") != "true":
                raise checks.error(
                    "ConnectorStagedNotPreviewable",
                    f"Connector id={connector['id']} or key={connector.get('key')} with version "
                    f"{connector['version']} is not previewable",
                )
        elif connector.get("status") != "Published" and not connector.get("alreadyListed"):
            raise checks.reference_not_found(label, version)
        if version is not None and version != connector["version"]:
            raise checks.reference_not_found(label, version)
        return connector

    def _latest_connector(self, ref: Ref) -> dict[str, Any] | ActionRejected:
        """The connector an `updateConnector` moves to (read before the update's transaction)."""
        with self.project.store.transaction() as tx:
            _, doc, state = self._load(tx, ref)
        reference = {"id": doc["connector"]["id"], "staged": state.get("staged", False)}
        try:
            return self._connector(reference)
        except ActionRejected as error:
            return error

    def _redeploy(
        self,
        doc: dict[str, Any],
        state: dict[str, Any],
        action: Mapping[str, Any],
        settings: DeploymentSettings,
        latest: dict[str, Any] | ActionRejected | None,
    ) -> None:
        if doc["status"] not in _REDEPLOY_FROM:
            raise checks.invalid_transition(doc["status"], settings.invalid_transition_status)
        values = action.get("configurationValues")
        schemas = doc["connector"].get("configurations") or []
        if values is not None:
            if not values:
                raise checks.error(
                    "DeploymentApplicationRequired",
                    "A Deployment requires at least one application",
                )
            checks.check_configuration(schemas, values)
            _apply_values(doc, values, settings.redeploy_semantics)
        if action.get("globalConfiguration") is not None:
            _apply_global(doc, action["globalConfiguration"], settings.redeploy_semantics)
        if action.get("updateConnector"):
            if isinstance(latest, ActionRejected):
                raise checks.update_failure(doc, latest.message)
            if latest is not None:
                doc["connector"] = _snapshot(latest)
        doc["details"]["build"] = {"id": str(uuid.uuid4()), "report": {"entries": []}}
        start_run(doc, state, "deploy", self.project.clock.now())

    def _settle(self, ref: Ref | None = None) -> None:
        """Apply due transitions (all deployments, or one) in their own committed transaction,
        so that a request that then fails still leaves an undeployed Deployment gone."""
        with self.project.store.transaction() as tx:
            settings = _settings(tx)
            if ref is None:
                rows = [_row(r) for r in tx.execute("SELECT id, doc, state FROM deployments")]
            else:
                found = _find(tx, id=ref.id, key=ref.key)
                rows = [found] if found else []
            for id_, doc, state in rows:
                count, gone = advance(doc, state, self.project.clock.now(), settings)
                if gone:
                    tx.execute("DELETE FROM deployments WHERE id = ?", (id_,))
                elif count:
                    doc["version"] += count if settings.transitions_bump_version else 0
                    _save(tx, id_, doc, state)

    def _load(self, tx: Transaction, ref: Ref) -> Row:
        row = _find(tx, id=ref.id, key=ref.key)
        if row is None:
            raise checks.not_found(ref)
        return row

    def _shown(self, doc: Mapping[str, Any], settings: DeploymentSettings) -> dict[str, Any]:
        """The Deployment as a read answers it: secured values per `secured_read`."""
        shown = copy.deepcopy(dict(doc))
        for holder in [*shown["applications"], shown.get("globalConfiguration") or {}]:
            if "securedConfiguration" in holder:
                holder["securedConfiguration"] = _secured_view(
                    holder["securedConfiguration"], settings.secured_read
                )
        return shown


def _secured_view(entries: list[dict[str, str]], mode: str) -> list[dict[str, str]]:
    if mode == "echo":
        return entries
    if mode == "omit-entries":
        return []
    hidden = MASK if mode == "mask" else ""
    return [{"key": entry["key"], "value": hidden} for entry in entries]


def _apply_values(doc: dict[str, Any], values: list[Any], semantics: str) -> None:
    by_name = {app["applicationName"]: app for app in doc["applications"]}
    for sent in values:
        app = by_name[sent["applicationName"]]
        for name in ("standardConfiguration", "securedConfiguration"):
            app[name] = _combined(app.get(name, []), sent[name], semantics)


def _apply_global(doc: dict[str, Any], sent: Any, semantics: str) -> None:
    checks.check_global(sent, required=False)
    current = doc.setdefault("globalConfiguration", {})
    for name in ("standardConfiguration", "securedConfiguration"):
        if name in sent:
            current[name] = _combined(current.get(name, []), sent[name], semantics)


def _combined(live: list[dict[str, str]], sent: list[Any], semantics: str) -> list[dict[str, str]]:
    """merge: sent keys overwrite live ones, others stay; replace: only the sent values."""
    pairs = [{"key": e["key"], "value": e["value"]} for e in sent]
    if semantics == "replace":
        return pairs
    merged = {entry["key"]: entry["value"] for entry in live}
    merged.update((entry["key"], entry["value"]) for entry in pairs)
    return [{"key": key, "value": value} for key, value in merged.items()]


def _new_deployment(
    draft: Mapping[str, Any], connector: Mapping[str, Any], wanted: str
) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": str(uuid.uuid4())}
    if draft.get("key") is not None:
        doc["key"] = draft["key"]
    given = {app["applicationName"]: app for app in draft["configurations"]}
    doc.update(
        version=1,
        type=wanted,
        connector=_snapshot(connector),
        details={"build": {"id": str(uuid.uuid4()), "report": {"entries": []}}},
        applications=[
            _application(schema, given.get(schema.get("applicationName"), {}), draft["region"])
            for schema in connector.get("configurations") or []
        ],
        deployedRegion=draft["region"],
        preview=wanted == "preview",
        status="Queued",
    )
    if "globalConfiguration" in draft:
        sent = draft["globalConfiguration"]
        doc["globalConfiguration"] = {
            name: _combined([], sent.get(name, []), "replace")
            for name in ("standardConfiguration", "securedConfiguration")
        }
    return doc


def _application(
    schema: Mapping[str, Any], given: Mapping[str, Any], region: str
) -> dict[str, Any]:
    name = str(schema.get("applicationName"))
    app: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "applicationName": name,
        "standardConfiguration": _combined([], given.get("standardConfiguration", []), "replace"),
        "securedConfiguration": _combined([], given.get("securedConfiguration", []), "replace"),
    }
    if schema.get("applicationType", "service") == "service":
        app["url"] = f"{name}-{app['id'][:8]}.{region}.commercetools.app"
    return app


def _snapshot(connector: Mapping[str, Any]) -> dict[str, Any]:
    snapshot = {
        name: copy.deepcopy(connector[name]) for name in _SNAPSHOT_FIELDS if name in connector
    }
    snapshot["certified"] = connector.get("status") == "Published" and not connector.get(
        "private", True
    )
    return snapshot


def _settings(tx: Transaction) -> DeploymentSettings:
    stored = tx.value(_SETTINGS)
    return DeploymentSettings(**stored) if isinstance(stored, dict) else DeploymentSettings()


def _row(row: tuple[str, str, str]) -> Row:
    return row[0], json.loads(row[1]), json.loads(row[2])


def _find(tx: Transaction, *, id: str | None = None, key: str | None = None) -> Row | None:
    column, value = ("id", id) if id is not None else ("key", key)
    row = tx.execute(f"SELECT id, doc, state FROM deployments WHERE {column} = ?", (value,))
    found = row.fetchone()
    return _row(found) if found else None


def _save(tx: Transaction, id_: str, doc: Mapping[str, Any], state: Mapping[str, Any]) -> None:
    tx.execute(
        "UPDATE deployments SET doc = ?, state = ? WHERE id = ?",
        (json.dumps(doc), json.dumps(state), id_),
    )
