"""Helpers shared by test modules (test modules never import each other)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
KEY = "payment-gateway"
MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: payment-gateway
name: {name}
creator:
  email: team@acme.example
repository:
  url: git@github.com:acme/payment.git
  tag: v1.0.0
"""
NAMED_MANIFEST = MANIFEST.replace("key: payment-gateway", "key: {key}")
REMOTE = {
    "key": KEY,
    "name": "Payment Gateway",
    "creator": {"email": "team@acme.example"},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
}


def write_manifest(name: str = "Payment Gateway", extra: str = "") -> None:
    """connectors/payment.yaml in the current directory."""
    folder = Path("connectors")
    folder.mkdir(exist_ok=True)
    (folder / "payment.yaml").write_text(MANIFEST.format(name=name) + extra, encoding="utf-8")


def connector(key: str, name: str, extra: str = "") -> None:
    """connectors/KEY.yaml in the current directory."""
    Path("connectors").mkdir(exist_ok=True)
    text = NAMED_MANIFEST.format(key=key, name=name) + extra
    Path("connectors", f"{key}.yaml").write_text(text, encoding="utf-8")


def use_client(emulator: Any, monkeypatch: pytest.MonkeyPatch, client: str) -> None:
    """The CTP_* variables of one emulator client."""
    for name, value in emulator.env(client).items():
        monkeypatch.setenv(name, value)


def apply_result_validator() -> Draft202012Validator:
    """schemas/apply-result.schema.json, with plan.schema.json resolvable by name."""

    def resource(name: str) -> Resource[Any]:
        return Resource.from_contents(json.loads((SCHEMAS / name).read_text(encoding="utf-8")))

    registry: Registry[Any] = Registry().with_resources(
        [(name, resource(name)) for name in ("plan.schema.json", "apply-result.schema.json")]
    )
    schema = json.loads((SCHEMAS / "apply-result.schema.json").read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


def apply_result_errors(document: dict[str, Any]) -> list[str]:
    """Every schema violation of an `apply --format json` document, sorted."""
    return sorted(e.message for e in apply_result_validator().iter_errors(document))


# A minimal valid manifest of the schema tests: `{key}` to fill in.
MINIMAL = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: {key}
name: Example
creator:
  email: dev@example.com
repository:
  url: https://github.com/example/connector
  tag: v1.0.0
"""


class FakeTime:
    """A clock that only moves when the code under test sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
