"""Without ruamel's C extension the loader falls back to the pure-Python parser, same problems."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from connectorctl.config import Selection
from connectorctl.manifest import yamlnodes
from connectorctl.manifest.loader import load_manifests

REPO = Path(__file__).resolve().parents[2]
INVALID = REPO / "tests" / "data" / "invalid"
GOLDENS = sorted(p.name for p in INVALID.glob("*.yaml"))


@pytest.fixture
def without_clib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import _ruamel_yaml` fail, as on an interpreter without the C extension."""
    monkeypatch.setitem(sys.modules, "_ruamel_yaml", None)


@pytest.mark.usefixtures("without_clib")
def test_the_fallback_parser_is_used() -> None:
    parser = yamlnodes._parser("a: 1\n")
    assert type(parser).__mro__[1].__module__ == "ruamel.yaml.parser"


@pytest.mark.usefixtures("without_clib")
@pytest.mark.parametrize("name", GOLDENS)
def test_invalid_manifest_golden_without_clib(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = load_manifests(Selection(paths=(name,)), {"DEFINED": "12"})
    expected = (INVALID / name).with_suffix(".expected").read_text(encoding="utf-8")
    assert "".join(f"{p}\n" for p in result.problems) == expected


@pytest.mark.usefixtures("without_clib")
def test_examples_load_the_same_without_clib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = load_manifests(Selection(paths=("examples/connectors",)), {})
    assert result.problems == ()
    assert sorted(d.key for d in result.desired) == [
        "acme-oms-bridge",
        "acme-order-emails",
        "acme-payment-gateway",
        "acme-search-sync",
        "acme-tax-calculator",
    ]


BROKEN_YAML = [
    "apiVersion: connectorctl/v1\nkind: %x\n",
    "apiVersion: connectorctl/v1\n- kind\n",
    "key: {a: b c: d}\n",
    "key: [a, b: c: d]\n",
    "key: [a, b\n",
    "key: x\nname:\ncreator: [}\n",
    "key: x\nname: X: Y\n",
    "key: 'open\n",
    "key: &a [*b]\n",
]


@pytest.mark.parametrize("text", BROKEN_YAML)
def test_broken_yaml_gives_the_c_parsers_problems(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_clib = [str(p) for p in yamlnodes.compose(text, "m.yaml")[1]]
    monkeypatch.setitem(sys.modules, "_ruamel_yaml", None)
    without = [str(p) for p in yamlnodes.compose(text, "m.yaml")[1]]
    assert with_clib and without == with_clib
