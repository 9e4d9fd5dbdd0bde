"""The fast validity check never lets through a manifest that jsonschema would reject."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connectorctl.config import Selection
from connectorctl.manifest.loader import load_manifests
from connectorctl.manifest.schemacheck import _quickly_valid, _validator

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = load_manifests(Selection(paths=(str(REPO / "examples" / "connectors"),)), {}).desired
BASE = [{"apiVersion": "connectorctl/v1", "kind": "ConnectorStaged", **d.spec} for d in EXAMPLES]

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
field_paths = st.sampled_from(
    [
        ("key",), ("name",), ("description",), ("integrationTypes",), ("creator",),
        ("creator", "email"), ("creator", "noOfContributors"), ("creator", "nmae"),
        ("repository",), ("repository", "tag"), ("supportedRegions",), ("privateProjects",),
        ("certificationComments",), ("release",), ("listed",), ("documentationUrl",), ("extra",),
    ]
)  # fmt: skip

REPO = Path(__file__).resolve().parents[2]


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for step in path[:-1]:
        child = data.get(step)
        if not isinstance(child, dict):
            child = data[step] = {}
        data = child
    data[path[-1]] = value


def test_examples_are_valid_for_both() -> None:
    assert BASE
    for data in BASE:
        assert _quickly_valid(data)
        assert not list(_validator().iter_errors(data))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(range(len(BASE))), st.lists(st.tuples(field_paths, json_values), max_size=3))
def test_fast_valid_implies_schema_valid(
    index: int, edits: list[tuple[tuple[str, ...], Any]]
) -> None:
    data = copy.deepcopy(BASE[index])
    for path, value in edits:
        _set(data, path, value)
    if _quickly_valid(data):
        assert not list(_validator().iter_errors(data)), data
