"""The Deployment manifest schema and the rules a schema cannot say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator, validators
from ruamel.yaml import YAML

from connectorctl.kinds.deployment import manifest_problems

REPO = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((REPO / "schemas" / "deployment.schema.json").read_text())
EXAMPLES = sorted((REPO / "examples" / "deployments").glob("*.yaml"))
VALID: dict[str, Any] = {
    "apiVersion": "connectorctl/v1",
    "kind": "Deployment",
    "key": "pay-sandbox",
    "connector": {"key": "acme-payment-gateway"},
    "region": "europe-west1.gcp",
    "configurations": [],
}


# JSON Schema counts 2.0 as an integer; manifests must not (a YAML `2.0` is a float).
STRICT = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    ),
)


def errors(document: Any) -> list[tuple[str, str]]:
    """(dotted path, message) of every schema error, sorted."""
    validator = STRICT(SCHEMA)
    found = [
        (".".join(str(step) for step in error.absolute_path), error.message)
        for error in validator.iter_errors(document)
    ]
    return sorted(found)


def test_schema_is_valid_and_fastjsonschema_compiles_it() -> None:
    import fastjsonschema

    Draft202012Validator.check_schema(SCHEMA)
    fastjsonschema.compile({k: v for k, v in SCHEMA.items() if k != "$schema"})


def test_there_are_two_examples() -> None:
    assert [path.name for path in EXAMPLES] == [
        "payment-gateway-production.yaml", "payment-gateway-sandbox.yaml",
    ]  # fmt: skip


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_valid(path: Path) -> None:
    document = YAML(typ="safe").load(path.read_text())
    assert errors(document) == []
    assert manifest_problems(document) == []
    assert document["connector"]["key"] == "acme-payment-gateway"


def test_examples_name_the_example_connector() -> None:
    connector = YAML(typ="safe").load(
        (REPO / "examples/connectors/payment-gateway.yaml").read_text()
    )
    assert connector["key"] == "acme-payment-gateway"


@pytest.mark.parametrize(
    "document",
    [
        VALID,
        {**VALID, "connector": {"key": "acme-payment-gateway", "version": 4}, "type": "production"},
        {**VALID, "connector": {"key": "acme-payment-gateway", "staged": True}, "type": "preview"},
        {**VALID, "targets": ["prod", "eu.prod"]},
        {
            **VALID,
            "configurations": [
                {
                    "applicationName": "service",
                    "standardConfiguration": {"LOG_LEVEL": "info", "EMPTY": ""},
                    "securedConfiguration": {"PSP_API_KEY": "${PSP_API_KEY}"},
                },
                {"applicationName": "job-app"},
            ],
            "globalConfiguration": {"securedConfiguration": {"SHARED": "${_SHARED_1}"}},
        },
        {"apiVersion": "connectorctl/v1", "kind": "Deployment", "key": "old", "state": "absent"},
        {"apiVersion": "connectorctl/v1", "kind": "Deployment", "key": "ol", "state": "absent",
         "targets": ["prod"]},
    ],
)  # fmt: skip
def test_valid_documents(document: dict[str, Any]) -> None:
    assert errors(document) == []


APP = {"applicationName": "service"}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"key": "pay\n"}, [("key", "'pay\\n' does not match '^[A-Za-z0-9_-]+$(?!\\\\n)'")]),
        ({"key": "p"}, [("key", "'p' is too short")]),
        ({"kind": "Deploy"}, [("kind", "'Deployment' was expected")]),
        ({"region": "mars"}, [("region", "'mars' is not one of ['europe-west1.gcp', "
          "'us-central1.gcp', 'australia-southeast1.gcp', 'us-east-2.aws', 'eu-central-1.aws']")]),
        ({"type": "staging"}, [("type", "'staging' is not one of ['sandbox', 'production', "
          "'preview']")]),
        ({"connector": {"key": "acme-payment-gateway", "version": 2.0}},
         [("connector.version", "2.0 is not of type 'integer'")]),
        ({"connector": {"key": "acme-payment-gateway", "version": "2"}},
         [("connector.version", "'2' is not of type 'integer'")]),
        ({"connector": {"key": "acme-payment-gateway", "version": 0}},
         [("connector.version", "0 is less than the minimum of 1")]),
        ({"connector": {"version": 1}}, [("connector", "'key' is a required property")]),
        ({"connector": {"key": "acme-payment-gateway", "id": "x"}},
         [("connector", "Additional properties are not allowed ('id' was unexpected)")]),
        ({"configurations": [{**APP, "securedConfiguration": {"PSP_API_KEY": "sk-live-123"}}]},
         [("configurations.0.securedConfiguration.PSP_API_KEY",
           "'sk-live-123' does not match '^\\\\$\\\\{[A-Za-z_][A-Za-z0-9_]*\\\\}$(?!\\\\n)'")]),
        ({"configurations": [{**APP, "securedConfiguration": {"K1": "${A}x"}}]},
         [("configurations.0.securedConfiguration.K1",
           "'${A}x' does not match '^\\\\$\\\\{[A-Za-z_][A-Za-z0-9_]*\\\\}$(?!\\\\n)'")]),
        ({"configurations": [{**APP, "securedConfiguration": {"K1": "${A}\n"}}]},
         [("configurations.0.securedConfiguration.K1",
           "'${A}\\n' does not match '^\\\\$\\\\{[A-Za-z_][A-Za-z0-9_]*\\\\}$(?!\\\\n)'")]),
        ({"configurations": [{**APP, "standardConfiguration": {"LOG_LEVEL": 3}}]},
         [("configurations.0.standardConfiguration.LOG_LEVEL", "3 is not of type 'string'")]),
        ({"configurations": [{**APP, "standardConfiguration": {"log-level": "x"}}]},
         [("configurations.0.standardConfiguration",
           "'log-level' does not match '^[A-Za-z0-9_]+$(?!\\\\n)'")]),
        ({"configurations": [{"applicationName": "service\n"}]},
         [("configurations.0.applicationName",
           "'service\\n' does not match '^[A-Za-z0-9_-]+$(?!\\\\n)'")]),
        ({"configurations": [{**APP, "schedule": "* * * * *"}]},
         [("configurations.0",
           "Additional properties are not allowed ('schedule' was unexpected)")]),
        ({"targets": []}, [("targets", "[] should be non-empty")]),
        ({"targets": ["prod", "prod"]}, [("targets", "['prod', 'prod'] has non-unique elements")]),
        ({"status": "Deployed"},
         [("", "Additional properties are not allowed ('status' was unexpected)")]),
    ],
)  # fmt: skip
def test_invalid_documents(changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert errors({**VALID, **changes}) == expected


def test_list_lengths_are_bounded() -> None:
    (too_many,) = errors({**VALID, "configurations": [APP] * 65})
    assert too_many[0] == "configurations"
    assert too_many[1].endswith("] is too long")
    assert errors({**VALID, "configurations": [APP] * 64}) == []
    (targets,) = errors({**VALID, "targets": [f"t{i}" for i in range(65)]})
    assert targets[0] == "targets"
    values = {f"K{i:03d}": "v" for i in range(257)}
    (standard,) = errors({**VALID, "configurations": [{**APP, "standardConfiguration": values}]})
    assert standard[0] == "configurations.0.standardConfiguration"
    assert standard[1].endswith("has too many properties")


def test_required_fields() -> None:
    assert errors({"apiVersion": "connectorctl/v1", "kind": "Deployment"}) == [
        ("", "'configurations' is a required property"),
        ("", "'connector' is a required property"),
        ("", "'key' is a required property"),
        ("", "'region' is a required property"),
    ]


def test_tombstone_holds_nothing_else() -> None:
    tombstone = {"apiVersion": "connectorctl/v1", "kind": "Deployment", "key": "old"}
    assert errors({**tombstone, "state": "absent", "region": "europe-west1.gcp"}) == [
        ("", "Additional properties are not allowed ('region' was unexpected)")
    ]
    assert errors({**tombstone, "state": "present"}) == [("state", "'absent' was expected")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"connector": {"key": "c1", "staged": True, "version": 2}},
         [("connector.version", "a staged connector cannot be pinned: leave out 'version'")]),
        ({"connector": {"key": "c1", "staged": True}, "type": "sandbox"},
         [("type", "a staged connector deploys only as 'preview', not 'sandbox'")]),
        ({"type": "preview"}, [("type", "'preview' needs 'connector.staged: true'")]),
        ({"configurations": [APP, {"applicationName": "job"}, APP]},
         [("configurations.2.applicationName", "application 'service' is listed more than once")]),
        ({"connector": {"key": "c1", "staged": True}}, []),
    ],
)  # fmt: skip
def test_rules_beyond_the_schema(changes: dict[str, Any], expected: list[tuple[str, str]]) -> None:
    assert manifest_problems({**VALID, **changes}) == expected


def test_a_tombstone_has_no_further_rules() -> None:
    assert manifest_problems({"key": "old", "state": "absent"}) == []
