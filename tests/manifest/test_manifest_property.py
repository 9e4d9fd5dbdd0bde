"""No input makes the loader raise: arbitrary bytes and mutated examples yield only problems."""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectorctl.config import Selection
from connectorctl.manifest.loader import LoadResult, load_bytes, load_manifests
from connectorctl.model import Problem

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "connectors").glob("*.yaml"))
SOURCES = [path.read_bytes() for path in EXAMPLES]
MAX_EXAMPLES = int(os.environ.get("CONNECTORCTL_FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# Pieces that steer mutations towards the loader's corners.
TOKENS = [
    b"&a ", b"*a", b"<<: ", b"${", b"$${", b"${X:-d}", b"}", b"!!binary ", b"!!int ", b"!x ",
    b"? ", b"- ", b": ", b"[", b"]", b"{", b"}", b"---\n", b"...\n", b"\t", b"\x00", b"\xff",
    b"\xef\xbb\xbf", b"'", b'"', b"#", b"\n  ", b"null", b"2024-01-01", b"0x1F", b"%YAML 1.1\n",
    b"key", b"listed: false", b"release: publish", b"name",
]  # fmt: skip


def assert_only_problems(result: LoadResult) -> None:
    assert isinstance(result, LoadResult)
    assert all(isinstance(p, Problem) and p.line >= 1 and p.col >= 1 for p in result.problems)
    assert list(result.problems) == sorted(result.problems)
    if result.problems:
        return
    for desired in result.desired:
        assert isinstance(desired.key, str) and "apiVersion" not in desired.spec


@st.composite
def mutated_example(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SOURCES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        choice = draw(st.integers(0, 3))
        if choice == 0:
            data[at:at] = draw(st.sampled_from(TOKENS))
        elif choice == 1:
            data[at : at + draw(st.integers(1, 40))] = b""
        elif choice == 2:
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        else:
            end = at + draw(st.integers(1, 200))
            data[at:at] = data[at:end]  # repeat a chunk: duplicate keys, documents, nesting
    return bytes(data)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_give_only_problems(data: bytes) -> None:
    assert_only_problems(load_bytes(data, "fuzz.yaml", {"X": "1"}))


@FUZZ
@given(mutated_example())
def test_mutated_examples_give_only_problems(data: bytes) -> None:
    assert_only_problems(load_bytes(data, "fuzz.yaml", {"X": "1"}))


@FUZZ
@given(st.text(alphabet=st.sampled_from("[]{}-:, \n&*ab'\"!#?|>"), max_size=300))
def test_yaml_punctuation_soup_gives_only_problems(text: str) -> None:
    assert_only_problems(load_bytes(text.encode(), "fuzz.yaml", {}))


@settings(max_examples=max(10, MAX_EXAMPLES // 10), deadline=None)
@given(mutated_example())
def test_mutated_files_on_disk_give_only_problems(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder, "m.yaml")
        path.write_bytes(data)
        assert_only_problems(load_manifests(Selection(paths=(str(path),)), {}))
