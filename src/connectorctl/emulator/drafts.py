"""Create bodies: validation against the ConnectorStagedDraft schema, and new documents."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from connectorctl.emulator.settings import EmulatorSettings, bad_request
from connectorctl.kinds.connector_staged.actions import ActionRejected
from connectorctl.model import DRAFT_FIELDS, OBSERVED_FIELDS
from connectorctl.resources import load_schema

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

# Configurations come from the repository's connect.yaml in the real API; we synthesise one app.
DEFAULT_CONFIGURATIONS = (
    {
        "applicationName": "service",
        "applicationType": "service",
        "standardConfiguration": [],
        "securedConfiguration": [],
    },
)


@cache
def _draft_validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator, validators

    strict_integers = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool)
    )
    validator = validators.extend(  # type: ignore[no-untyped-call]
        Draft202012Validator, type_checker=strict_integers
    )
    schema = _as_the_api_checks(load_schema("connector-staged.schema.json"))
    return cast(
        "Draft202012Validator", validator({**schema, "$ref": "#/$defs/ConnectorStagedDraft"})
    )


def _as_the_api_checks(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The shared API schema as the API checks a create body.

    Patterns match whole strings (a JSON Schema pattern is searched, and `$` matches before a
    final newline); `creator` and `repository` take only their own fields; the minimum of 1
    contributor belongs to setCreatorNoOfContributors, not to create.
    """
    strict: dict[str, Any] = _whole_string_patterns(copy.deepcopy(dict(schema)))
    defs = strict["$defs"]
    for name in ("Creator", "Repository"):
        defs[name]["additionalProperties"] = False
    defs["Creator"]["properties"]["noOfContributors"].pop("minimum", None)
    return strict


def _whole_string_patterns(node: Any) -> Any:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == "pattern" and isinstance(value, str):
                node[name] = r"\A(?:" + value.removeprefix("^").removesuffix("$") + r")\Z"
            else:
                _whole_string_patterns(value)
    elif isinstance(node, list):
        for item in node:
            _whole_string_patterns(item)
    return node


def validated_draft(body: Any) -> dict[str, Any]:
    """The draft fields of a create body; 400 InvalidJsonInput naming every bad field."""
    if not isinstance(body, Mapping):
        raise bad_request("Request body must be a ConnectorStagedDraft object.")
    unknown = sorted(set(body) - set(DRAFT_FIELDS) - set(OBSERVED_FIELDS))
    draft = {name: body[name] for name in DRAFT_FIELDS if name in body}
    messages = [f"{name}: unknown field in ConnectorStagedDraft" for name in unknown]
    errors = sorted(_draft_validator().iter_errors(draft), key=lambda e: list(e.absolute_path))
    messages += [_error_message(error) for error in errors]
    if messages:
        detail = "; ".join(messages)
        raise ActionRejected(400, "InvalidJsonInput", messages[0], {"detailedErrorMessage": detail})
    return draft


def _error_message(error: ValidationError) -> str:
    path = ".".join(str(step) for step in error.absolute_path)
    if error.validator == "required":
        missing = str(error.message).split("'")[1]
        path = f"{path}.{missing}" if path else missing
        return f"{path}: missing required field"
    return f"{path or 'body'}: {error.message}"


def new_connector(draft: Mapping[str, Any], settings: EmulatorSettings) -> dict[str, Any]:
    """A fresh ConnectorStaged for a validated draft (without `id`)."""
    doc: dict[str, Any] = {"key": draft["key"]} if "key" in draft else {}
    doc.update(version=1, name=draft["name"])
    if "description" in draft or settings.omitted_description == "empty":
        doc["description"] = draft.get("description", "")
    doc.update(
        integrationTypes=list(draft.get("integrationTypes", [])),
        creator=copy.deepcopy(draft["creator"]),
        repository=copy.deepcopy(draft["repository"]),
        configurations=copy.deepcopy(list(DEFAULT_CONFIGURATIONS)),
        private=True,
        privateProjects=list(draft.get("privateProjects", [])),
        supportedRegions=list(draft.get("supportedRegions", [])),
        hasChanges=False,
        alreadyListed=False,
        status="Draft",
        isPreviewable="none",
    )
    if "documentationUrl" in draft:
        doc["documentationUrl"] = draft["documentationUrl"]
    return doc


def seeded_connector(raw: Mapping[str, Any], settings: EmulatorSettings) -> dict[str, Any]:
    """A raw ConnectorStaged as given, with whatever it lacks filled in as for a new one."""
    base = {"name": "", "creator": {"email": ""}, "repository": {"url": "", "tag": ""}}
    doc = {"id": str(raw.get("id") or uuid.uuid4()), **new_connector({**base, **raw}, settings)}
    doc.update(copy.deepcopy(dict(raw)))
    doc["id"] = str(doc["id"])
    return doc
