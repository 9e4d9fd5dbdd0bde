"""Loader fuzz over malformed manifests built from valid ones: only placed problems, no traceback.

Where `tests/test_manifest_property.py` mutates bytes, this mutates structure (wrong types, missing
and misspelt fields, interpolation, conflicting intents, several documents and files) and also
runs `connectorctl validate --format json` on the same files. Examples:
CONNECTORCTL_LOADER_FUZZ_EXAMPLES (default 1000).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from connectorctl.cli import run_cli
from connectorctl.config import Selection
from connectorctl.manifest.loader import load_manifests

EXAMPLES = int(os.environ.get("CONNECTORCTL_LOADER_FUZZ_EXAMPLES", "1000"))
ENV = {"DEFINED": "v1.2.3", "EMPTY": ""}
VALID: dict[str, Any] = {
    "apiVersion": "connectorctl/v1",
    "kind": "ConnectorStaged",
    "key": "payment-gateway",
    "name": "Payment Gateway",
    "description": "Card payments",
    "integrationTypes": ["psp"],
    "creator": {"email": "team@acme.example", "name": "Jane", "noOfContributors": 3},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
    "supportedRegions": ["europe-west1.gcp"],
    "privateProjects": ["europe-west1.gcp:acme-prod"],
    "documentationUrl": "https://acme.example/docs",
    "certificationComments": ["Ready for review."],
    "release": "publish",
    "listed": True,
}
YAML_DUMPER = YAML(typ="safe")
MISSPELT = ["nmae", "Key", "creater", "repo", "relase", "listd", "suportedRegions", "tags", "email"]
STRINGS = st.sampled_from(
    ["${UNDEFINED}", "${DEFINED}", "${EMPTY:-fallback}", "$${DEFINED}", "${", "${A B}",
     "", " ", "x" * 300, "bad key!", "europe-west1.gcp", "2024-01-01", "yes", "~", "\u202e"]
) | st.text(max_size=20)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers(-5, 10**12) | st.floats() | STRINGS
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(STRINGS, inner, max_size=4),
    max_leaves=4,
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A manifest-shaped value: the valid one with a few structural mutations."""
    doc = json.loads(json.dumps(VALID))
    for _ in range(draw(st.integers(1, 4))):
        target = doc
        if draw(st.booleans()) and isinstance(doc.get("creator"), dict):
            target = doc["creator"]
        name = draw(st.sampled_from(sorted(target) or ["key"]))
        choice = draw(st.integers(0, 4))
        if choice == 0:
            target.pop(name, None)
        elif choice == 1:
            target[name] = draw(VALUES)
        elif choice == 2:
            target[draw(st.sampled_from(MISSPELT))] = draw(VALUES)
        elif choice == 3:
            target[name] = draw(STRINGS)
        else:
            doc.update({"listed": False, "release": draw(st.sampled_from(["publish", "certify"]))})
    shape = draw(st.integers(0, 7))
    return [doc] if shape == 6 else draw(VALUES) if shape == 7 else doc


def as_yaml(value: Any) -> str:
    stream = io.StringIO()
    YAML_DUMPER.dump(value, stream)
    return stream.getvalue()


@st.composite
def manifest_files(draw: st.DrawFn) -> list[str]:
    """One or two files, each one or more documents, as JSON (valid YAML) or block YAML."""
    files = []
    for _ in range(draw(st.integers(1, 2))):
        documents = draw(st.lists(mutated(), min_size=1, max_size=3))
        texts = [
            draw(st.sampled_from([as_yaml, lambda v: json.dumps(v, indent=2)]))(d)
            for d in documents
        ]
        if draw(st.booleans()):  # a key repeated inside one mapping
            texts[0] = (
                texts[0] + "key: again\n" if not texts[0].startswith(("[", "{")) else texts[0]
            )
        files.append("---\n".join(texts))
    return files


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "UNDEFINED"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    yield tmp_path


@settings(
    max_examples=EXAMPLES, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)  # fmt: skip
@given(files=manifest_files())
def test_malformed_manifests_give_placed_problems_and_no_traceback(
    workdir: Path, files: list[str]
) -> None:
    folder = Path("fuzz")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    lines = {}
    for number, text in enumerate(files):
        path = folder / f"m{number}.yaml"
        path.write_text(text, encoding="utf-8")
        lines[path.as_posix()] = text.count("\n") + 1

    loaded = load_manifests(Selection(paths=("fuzz",)), ENV)

    for problem in loaded.problems:
        if problem.file == "fuzz":  # the folder holds only empty documents
            assert problem.message == "holds no manifest (check the path)", problem
            continue
        assert problem.file in lines, problem
        assert 1 <= problem.line <= lines[problem.file] + 1, problem
        assert problem.col >= 1 and problem.message.strip(), problem
    assert len({d.key for d in loaded.desired}) == len(loaded.desired)
    code, out, err = validate_cli()
    assert "Traceback" not in out + err and "internal error" not in err
    assert code == (1 if loaded.problems else 0)
    reported = json.loads(out)["problems"]
    assert [(p["file"], p["line"], p["col"]) for p in reported] == [
        (p.file, p.line, p.col) for p in loaded.problems
    ]


def validate_cli() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_cli(["validate", "fuzz", "--format", "json"])
    return code, out.getvalue(), err.getvalue()
