"""The official Connect examples: valid against our API schemas, accepted by the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

from connectorctl.resources import load_schema

from .conftest import Api

ORPHAN = "ConnectorSetConfigurationsAction.json"


def _validator(schema_name: str, definition: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(schema_name)
    return jsonschema.Draft202012Validator(
        {**schema, "$ref": f"#/$defs/{definition}"}, format_checker=jsonschema.FormatChecker()
    )


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _actions(examples: Path) -> list[Path]:
    return sorted((examples / "connector" / "updates").glob("*.json"))


def test_every_official_connector_example_fits_its_schema(connect_examples: Path) -> None:
    connector = connect_examples / "connector"
    cases = {
        "ConnectorStaged": [
            "created-draft.json",
            "staged.json",
            "updated-draft.json",
            "draft.json",
        ],
        "ConnectorStagedDraft": ["draft.json"],
        "ConnectorStagedPagedQueryResponse": ["staged-paged.json"],
        "Connector": ["minimal.json"],
        "ConnectorPagedQueryResponse": ["paged.json"],
        "Creator": ["Creator.json"],
        "Repository": ["Repository.json"],
        "ConnectorReportEntry": ["ConnectorReportEntry.json"],
        "CertificationInfoComment": ["CertificationInfoComment.json"],
        "ConnectorConfigurationApplication": ["ConnectorConfigurationApplication.json"],
    }
    for definition, names in cases.items():
        validator = _validator("connector-staged.schema.json", definition)
        for name in names:
            errors = list(validator.iter_errors(_load(connector / name)))
            assert not errors, f"{name} as {definition}: {errors[0].message}"


def test_update_examples_fit_and_the_orphan_does_not(connect_examples: Path) -> None:
    action = _validator("update-action.schema.json", "ConnectorUpdateAction")
    paths = _actions(connect_examples)
    assert len(paths) == 20
    for path in paths:
        valid = action.is_valid(_load(path))
        assert valid is (path.name != ORPHAN), path.name
    update = _validator("update-action.schema.json", "ConnectorUpdate")
    assert update.is_valid(_load(connect_examples / "connector" / "update.json"))


def test_update_schema_errors_name_the_field() -> None:
    action = _validator("update-action.schema.json", "ConnectorUpdateAction")
    errors = list(action.iter_errors({"action": "setRepository", "url": "u"}))
    assert any("'tag' is a required property" in e.message for e in errors)
    errors = list(action.iter_errors({"action": "setSupportedRegions", "regions": []}))
    assert [list(e.absolute_path) for e in errors] == [["regions"]]


def test_the_emulator_accepts_the_official_create_and_every_action(
    connect_examples: Path, emulator: Any, api: Api
) -> None:
    draft = _load(connect_examples / "connector" / "draft.json")
    created = api.http.post("/connectors/drafts", json=draft)
    assert created.status_code == 201, created.text
    staged = _validator("connector-staged.schema.json", "ConnectorStaged")
    assert staged.is_valid(created.json())
    lifecycle = {"ConnectorPublishAction.json", "ConnectorUpdatePreviewableAction.json"}
    ordered = sorted(_actions(connect_examples), key=lambda p: p.name in lifecycle)
    for path in ordered:
        emulator.admin("POST", "clock", {"advance": 60})  # any earlier preview or publish settles
        version = api.get("key=connector-key").json()["version"]
        response = api.update("key=connector-key", version, _load(path))
        if path.name == ORPHAN:
            assert response.status_code == 400
            assert "unknown update action 'setConfigurations'" in response.json()["message"]
            continue
        assert response.status_code == 201, f"{path.name}: {response.text}"
        assert staged.is_valid(response.json()), path.name


def test_update_response_matches_the_official_example_shape(
    connect_examples: Path, api: Api
) -> None:
    draft = _load(connect_examples / "connector" / "draft.json")
    api.http.post("/connectors/drafts", json=draft)
    update = _load(connect_examples / "connector" / "update.json")
    body = api.http.post("/connectors/drafts/key=connector-key", json=update).json()
    expected = _load(connect_examples / "connector" / "updated-draft.json")
    assert set(expected) <= set(body) | {"publishingReport", "previewableReport"}
    assert (body["version"], body["name"]) == (expected["version"], expected["name"])
