"""Checks of Deployment request bodies: shape (InvalidJsonInput) and the facts' error codes."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connectorctl.emulator.service import Ref, invalid_query
from connectorctl.emulator.settings import bad_request
from connectorctl.kinds.connector_staged.actions import ActionRejected
from connectorctl.model import REGIONS

_KEY = re.compile(r"[A-Za-z0-9_-]{2,256}")
_DRAFT_FIELDS = frozenset(
    {"key", "type", "connector", "configurations", "globalConfiguration", "region"}
)
_REFERENCE_FIELDS = frozenset({"id", "key", "version", "staged"})
_APPLICATION_FIELDS = frozenset(
    {"applicationName", "standardConfiguration", "securedConfiguration", "schedule"}
)
TYPES = ("sandbox", "production", "preview")


def checked_draft(body: Any) -> dict[str, Any]:
    """A DeploymentDraft's fields; 400 InvalidJsonInput naming the first bad one."""
    if not isinstance(body, Mapping):
        raise bad_request("Request body must be a DeploymentDraft object.")
    _no_unknown(body, _DRAFT_FIELDS, "DeploymentDraft")
    key = body.get("key")
    if key is not None and not (isinstance(key, str) and _KEY.fullmatch(key)):
        raise bad_request("key: must match ^[A-Za-z0-9_-]+$ with 2 to 256 characters")
    if body.get("type") is not None and body.get("type") not in TYPES:
        raise bad_request(f"type: must be one of {', '.join(TYPES)}")
    if body.get("region") not in REGIONS:
        raise bad_request(f"region: missing or not one of {', '.join(REGIONS)}")
    _check_reference(body.get("connector"))
    if not isinstance(body.get("configurations"), list):
        raise bad_request("configurations: missing required field or not a list")
    for index, app in enumerate(body["configurations"]):
        check_application(app, f"configurations.{index}")
    if "globalConfiguration" in body:
        check_global(body["globalConfiguration"], required=False)
    return dict(body)


def _check_reference(reference: Any) -> None:
    if not isinstance(reference, Mapping):
        raise bad_request("connector: missing required field or not an object")
    _no_unknown(reference, _REFERENCE_FIELDS, "ConnectorReference")
    if ("id" in reference) == ("key" in reference):
        raise bad_request("connector: exactly one of 'id' and 'key' is required")
    version = reference.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        raise bad_request("connector.version: expected an integer")
    if not isinstance(reference.get("staged", False), bool):
        raise bad_request("connector.staged: expected a boolean")


def check_application(app: Any, where: str) -> None:
    """One DeploymentConfigurationApplication: both value lists are required."""
    if not isinstance(app, Mapping) or not isinstance(app.get("applicationName"), str):
        raise bad_request(f"{where}.applicationName: missing required field")
    _no_unknown(app, _APPLICATION_FIELDS, "DeploymentConfigurationApplication")
    for name in ("standardConfiguration", "securedConfiguration"):
        check_values(app.get(name), f"{where}.{name}", required=True)


def check_global(value: Any, *, required: bool) -> None:
    if not isinstance(value, Mapping):
        raise bad_request("globalConfiguration: expected an object")
    for name in ("standardConfiguration", "securedConfiguration"):
        check_values(value.get(name), f"globalConfiguration.{name}", required=required)


def check_values(values: Any, where: str, *, required: bool) -> None:
    """A ConfigurationValue list: `[{key, value}]`, strings only."""
    if values is None and not required:
        return
    if not isinstance(values, list):
        raise bad_request(f"{where}: missing required field or not a list")
    for entry in values:
        if not (
            isinstance(entry, Mapping)
            and isinstance(entry.get("key"), str)
            and isinstance(entry.get("value"), str)
        ):
            raise bad_request(f"{where}: each item needs a string 'key' and 'value'")


def _no_unknown(body: Mapping[str, Any], known: frozenset[str], type_name: str) -> None:
    unknown = sorted(set(body) - known)
    if unknown:
        raise bad_request(f"{unknown[0]}: unknown field in {type_name}")


def check_type(connector: Mapping[str, Any], staged: bool, wanted: str, production: bool) -> None:
    """The connector × type matrix of the facts (§4)."""
    allowed = ("preview",) if staged else ("sandbox", "production")
    if wanted not in allowed:
        raise error(
            "DeploymentInvalidType",
            f"The Connector id={connector.get('id')} or key={connector.get('key')} cannot be "
            f"deployed as a '{wanted}' type. Only '{', '.join(allowed)}' types are allowed.",
        )
    if wanted == "production" and not production:
        raise error(
            "DeploymentProductionDeactivated",
            "Deployments to production are disabled for this Project. "
            "Please contact support to enable production deployments.",
        )


def check_configuration(
    schemas: Sequence[Mapping[str, Any]], apps: Sequence[Mapping[str, Any]]
) -> None:
    """Application names and keys against the connector's connect.yaml schema.

    An application whose schema declares no key at all accepts any key: connectors created
    through the emulator's API have no connect.yaml to declare them.
    """
    by_name = {schema.get("applicationName"): schema for schema in schemas}
    for app in apps:
        name = app["applicationName"]
        schema = by_name.get(name)
        if schema is None:
            raise error(
                "DeploymentUnknownApplicationConfiguration",
                f"Deployment does not require configuration for application named '{name}'.",
            )
        for list_name, word in (
            ("standardConfiguration", "standard"),
            ("securedConfiguration", "secret"),
        ):
            _check_keys(schema, app, list_name, word, name)


def _check_keys(
    schema: Mapping[str, Any], app: Mapping[str, Any], list_name: str, word: str, name: str
) -> None:
    declared = {
        entry.get("key")
        for list_of in ("standardConfiguration", "securedConfiguration")
        for entry in schema.get(list_of) or ()
        if isinstance(entry, Mapping)
    }
    if not declared:
        return
    allowed = {e.get("key") for e in schema.get(list_name) or () if isinstance(e, Mapping)}
    for entry in app.get(list_name) or ():
        if entry["key"] not in allowed:
            raise error(
                "DeploymentUnknownApplicationConfigurationKey",
                f"Deployment does not require {word} configuration with key {entry['key']} "
                f"for application named {name}.",
            )


def error(code: str, message: str, status: int = 400) -> ActionRejected:
    return ActionRejected(status, code, message)


def checked_update(body: Any) -> list[Mapping[str, Any]]:
    if not isinstance(body, Mapping):
        raise bad_request("Request body must be a DeploymentUpdate object.")
    unknown = sorted(set(body) - {"version", "actions"})
    if unknown:
        raise bad_request(f"{unknown[0]}: unknown field in DeploymentUpdate")
    version, actions = body.get("version"), body.get("actions")
    if not isinstance(version, int) or isinstance(version, bool):
        raise bad_request("version: missing required field or not an integer")
    if not isinstance(actions, list):
        raise bad_request("actions: missing required field or not a list")
    known = {
        "action",
        "skipScripts",
        "configurationValues",
        "globalConfiguration",
        "updateConnector",
    }
    for action in actions:
        if not isinstance(action, Mapping) or action.get("action") != "redeploy":
            raise bad_request("actions: the only update action is 'redeploy'")
        if set(action) - known:
            raise bad_request(f"{sorted(set(action) - known)[0]}: unknown field in redeploy")
        values = action.get("configurationValues")
        if values is not None and not isinstance(values, list):
            raise bad_request("configurationValues: expected a list")
        for index, app in enumerate(values or ()):
            check_application(app, f"configurationValues.{index}")
    return list(actions)


def parse_query(params: Iterable[tuple[str, str]]) -> tuple[int, int, str | None]:
    values: dict[str, str] = {}
    for name, value in params:
        if name not in ("limit", "offset", "sort", "deploymentType", "integrationTypes"):
            raise invalid_query(f"Unknown query parameter '{name}'.")
        values[name] = value
    for name, maximum in (("limit", 500), ("offset", 10000)):
        text = values.get(name, "20" if name == "limit" else "0")
        if not text.isdigit() or int(text) > maximum:
            raise invalid_query(f"{name}: expected an integer between 0 and {maximum}.")
    wanted = values.get("deploymentType")
    if wanted is not None and wanted not in TYPES:
        raise invalid_query(f"deploymentType: unknown value '{wanted}'.")
    return int(values.get("limit", "20")), int(values.get("offset", "0")), wanted


# -- errors of the facts file (§5) ---------------------------------------------------------


def not_found(ref: Ref) -> ActionRejected:
    which = f"key={ref.key}" if ref.key is not None else f"id={ref.id}"
    return ActionRejected(404, "ResourceNotFound", f"Deployment with {which} does not exist")


def duplicate(key: str) -> ActionRejected:
    return ActionRejected(
        400, "DuplicateField", f"A duplicate value '\"{key}\"' exists for field 'key'.",
        {"field": "key", "duplicateValue": key},
    )  # fmt: skip


def conflict(expected: int, current: int) -> ActionRejected:
    return ActionRejected(
        409, "ConcurrentModification",
        f"Object has a different version than expected. Expected: {expected} - Actual: {current}.",
        {"expectedVersion": expected, "currentVersion": current},
    )  # fmt: skip


def invalid_transition(status: str, http_status: int) -> ActionRejected:
    word = {"Queued": "queued", "Deploying": "deploying", "Undeploying": "undeploying"}
    message = f"Invalid status change: Already {word.get(status, status.lower())}"
    return error("DeploymentInvalidStatusTransition", message, http_status)


def reference_not_found(label: str, version: Any) -> ActionRejected:
    return error(
        "ConnectorReferenceNotFound", f"Connector '{label}' with version {version} not found"
    )


def update_failure(doc: Mapping[str, Any], cause: str) -> ActionRejected:
    connector = doc["connector"]
    return error(
        "DeploymentConnectorUpdateFailure",
        f"Deployment with id={doc['id']} or key={doc.get('key')} failed while trying to update "
        f"Connector id={connector.get('id')} or key={connector.get('key')} (cause: {cause})",
    )
