"""Hostile and odd input to the loader and the schema: real FIFOs, devices, links, huge lists."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import fastjsonschema
import jsonschema
import pytest

from connectorctl.config import Selection
from connectorctl.errors import UsageError
from connectorctl.manifest.loader import LoadResult, load_bytes, load_manifests
from connectorctl.manifest.readfile import UnreadableFile, read_regular_file
from connectorctl.resources import load_schema
from support import MINIMAL

T = TypeVar("T")

SECRET = "s3cr3t-value-1234"


def within(seconds: float, work: Callable[[], T]) -> T:
    """The result of `work`, failing the test (instead of hanging it) when it takes too long."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert box, f"still running after {seconds} s"
    return box[0]  # type: ignore[no-any-return]


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(*paths: str, env: dict[str, str] | None = None) -> LoadResult:
    return within(10, lambda: load_manifests(Selection(paths=paths), env or {}))


def messages(result: LoadResult) -> list[str]:
    return [str(p) for p in result.problems]


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- only regular files are read ---------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_in_a_scanned_folder_is_a_problem_and_never_opened(here: Path) -> None:
    write(here / "m" / "a.yaml", MINIMAL.format(key="a1"))
    os.mkfifo(here / "m" / "pipe.yaml")
    result = load("m")
    assert messages(result) == ["m/pipe.yaml:1:1: not a regular file (a FIFO); it was not read"]
    assert [d.key for d in result.desired] == ["a1"]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_link_to_dev_zero_is_a_problem(here: Path) -> None:
    write(here / "m" / "a.yaml", MINIMAL.format(key="a1"))
    (here / "m" / "zero.yaml").symlink_to("/dev/zero")
    result = load("m")
    assert messages(result) == [
        "m/zero.yaml:1:1: not a regular file (a character device); it was not read"
    ]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_directly_is_a_problem(here: Path) -> None:
    os.mkfifo(here / "pipe.yaml")
    assert messages(load("pipe.yaml")) == [
        "pipe.yaml:1:1: not a regular file (a FIFO); it was not read"
    ]


@pytest.mark.skipif(not os.access("/proc/kallsyms", os.R_OK), reason="needs /proc/kallsyms")
def test_size_is_what_was_read_not_what_stat_says(here: Path) -> None:
    assert os.stat("/proc/kallsyms").st_size == 0  # /proc lies about sizes
    (problem,) = load("/proc/kallsyms").problems
    assert problem.message == "file is larger than 1 MiB"


def test_reading_stops_after_the_limit(here: Path) -> None:
    write(here / "big.yaml", "x" * 5000)
    with pytest.raises(UnreadableFile, match=r"^file is larger than 4096 bytes$"):
        read_regular_file(here / "big.yaml", 4096)
    assert read_regular_file(here / "big.yaml", 5000) == b"x" * 5000


# --- paths -------------------------------------------------------------------------------------


def test_an_empty_path_is_a_usage_error(here: Path) -> None:
    write(here / "a.yaml", MINIMAL.format(key="a1"))
    with pytest.raises(UsageError, match="an empty string is not a path"):
        load_manifests(Selection(paths=("m", "")), {})


def test_a_folder_without_manifests_is_a_problem(here: Path) -> None:
    (here / "empty").mkdir()
    write(here / "blank" / "a.yaml", "# nothing here\n")
    write(here / "ok" / "a.yaml", MINIMAL.format(key="a1"))
    result = load("empty", "blank", "ok")
    assert messages(result) == [
        "blank:1:1: holds no manifest (check the path)",
        "empty:1:1: holds no *.yaml or *.yml file (check the path)",
    ]
    assert [d.key for d in result.desired] == ["a1"]


def test_the_working_directory_without_manifests_is_a_problem(here: Path) -> None:
    assert messages(load()) == [".:1:1: holds no *.yaml or *.yml file (check the path)"]


def test_a_missing_path_is_reported_and_the_next_one_still_validated(here: Path) -> None:
    write(here / "a" / "x.yaml", MINIMAL.format(key="a1"))
    write(here / "b" / "y.yaml", MINIMAL.format(key="b1") + "nmae: x\n")
    result = load("a/", "missing/", "b/")
    assert messages(result) == [
        "b/y.yaml:10:1: unknown field 'nmae' (did you mean 'name'?)",
        "missing:1:1: no such file or directory",
    ]
    assert [d.key for d in result.desired] == ["a1"]


def test_symlinked_folders_are_followed_once_without_looping(here: Path) -> None:
    write(here / "real" / "x.yaml", MINIMAL.format(key="x1"))
    (here / "m").mkdir()
    (here / "m" / "linked").symlink_to(here / "real", target_is_directory=True)
    (here / "m" / "loop").symlink_to(here / "m", target_is_directory=True)
    result = load("m")
    assert result.problems == ()
    assert [(d.key, d.location.file) for d in result.desired] == [("x1", "m/linked/x.yaml")]


def test_a_file_named_twice_is_not_an_empty_path(here: Path) -> None:
    write(here / "a.yaml", MINIMAL.format(key="a1"))
    result = load(".", "a.yaml")
    assert result.problems == ()
    assert len(result.desired) == 1


# --- interpolation -----------------------------------------------------------------------------


def test_every_undefined_variable_of_a_mapping_is_reported() -> None:
    text = MINIMAL.format(key="a1").replace("name: Example", "name: ${N1}-${N2}")
    text = text.replace("  email: dev@example.com", "  email: ${E1}\n  company: ${E2}")
    result = load_bytes(text.encode(), "m.yaml", {})
    assert messages(result) == [
        "m.yaml:4:7: undefined variable 'N1'",
        "m.yaml:4:7: undefined variable 'N2'",
        "m.yaml:6:10: undefined variable 'E1'",
        "m.yaml:7:12: undefined variable 'E2'",
    ]


def test_a_nested_default_is_a_clear_problem() -> None:
    text = MINIMAL.format(key="a1").replace("tag: v1.0.0", "tag: ${A:-${B}}")
    result = load_bytes(text.encode(), "m.yaml", {"B": "v2"})
    assert messages(result) == [
        "m.yaml:9:8: nested variable reference in the default of '${A:-…}' is not supported"
    ]


# --- secrets -----------------------------------------------------------------------------------


def test_a_secret_in_a_manifest_is_a_problem_at_its_place_and_never_shown() -> None:
    text = MINIMAL.format(key="${CTP_CLIENT_SECRET}").replace(
        "name: Example", "name: Example\ndescription: 'pasted: " + SECRET + "'"
    )
    result = load_bytes(text.encode(), "m.yaml", {"CTP_CLIENT_SECRET": SECRET})
    found = messages(result)
    suffix = "contains the value of CTP_CLIENT_SECRET (a secret never goes in a manifest)"
    assert f"m.yaml:3:6: {suffix}" in found
    assert f"m.yaml:5:14: {suffix}" in found
    assert not any(SECRET in line for line in found)
    assert result.desired == ()


def test_short_secrets_are_not_looked_for_and_other_names_can_be_added() -> None:
    text = MINIMAL.format(key="a1").replace("tag: v1.0.0", "tag: ${TAG}")
    env = {"CTP_CLIENT_SECRET": "v1", "TAG": "v1.0.0-rc1", "DEPLOY_TOKEN": "v1.0.0-rc1"}
    assert load_bytes(text.encode(), "m.yaml", env).problems == ()
    result = load_bytes(text.encode(), "m.yaml", env, {"CTP_CLIENT_SECRET", "DEPLOY_TOKEN"})
    assert [p.message for p in result.problems] == [
        "contains the value of DEPLOY_TOKEN (a secret never goes in a manifest)"
    ]


# --- schema: whole strings, integers, bounded lists -------------------------------------------


@pytest.mark.parametrize("validator", ["jsonschema", "fastjsonschema"])
def test_both_validators_refuse_a_final_newline_in_a_pattern(validator: str) -> None:
    schema = dict(load_schema("manifest.schema.json"))
    data: dict[str, Any] = {
        "apiVersion": "connectorctl/v1",
        "kind": "ConnectorStaged",
        "key": "nlkey\n",
        "name": "n",
        "creator": {"email": "e"},
        "repository": {"url": "u", "tag": "t"},
    }
    schema.pop("$schema")
    if validator == "jsonschema":
        assert not jsonschema.Draft202012Validator(schema).is_valid(data)
        data["key"] = "nlkey"
        assert jsonschema.Draft202012Validator(schema).is_valid(data)
    else:
        with pytest.raises(fastjsonschema.JsonSchemaException):
            fastjsonschema.compile(schema)(data)
        data["key"] = "nlkey"
        fastjsonschema.compile(schema)(data)


def test_a_key_or_project_with_a_final_newline_is_refused() -> None:
    text = MINIMAL.format(key='"nlkey\\n"') + 'privateProjects: ["europe-west1.gcp:acme\\n"]\n'
    result = load_bytes(text.encode(), "m.yaml", {})
    assert [p.message.split(" (")[0] for p in result.problems] == [
        "'nlkey\\n' is not a valid connector key",
        "'europe-west1.gcp:acme\\n' is not a valid project identifier",
    ]


def test_an_integral_float_is_not_an_integer() -> None:
    text = MINIMAL.format(key="a1").replace("  email:", "  noOfContributors: 2.0\n  email:")
    result = load_bytes(text.encode(), "m.yaml", {})
    assert messages(result) == [
        "m.yaml:6:21: 'creator.noOfContributors' must be an integer, not 2.0"
    ]


def test_zero_contributors_is_valid() -> None:
    text = MINIMAL.format(key="a1").replace("  email:", "  noOfContributors: 0\n  email:")
    assert load_bytes(text.encode(), "m.yaml", {}).problems == ()


def test_an_over_long_list_of_mappings_is_reported_quickly() -> None:
    items = "".join(f"  - {{a: {i}}}\n" for i in range(4900)) + "  - {a: 1}\n"
    document = MINIMAL.format(key="a1") + "integrationTypes:\n" + items
    started = time.perf_counter()
    result = load_bytes("---\n".join([document] * 3).encode(), "m.yaml", {})
    assert time.perf_counter() - started < 2.0  # 18 s per document when it was quadratic
    assert "m.yaml:11:3: 'integrationTypes' has more than 64 items" in messages(result)


def test_every_repeated_item_of_a_set_is_reported() -> None:
    text = MINIMAL.format(key="a1") + "integrationTypes:\n" + "  - psp\n" * 4
    result = load_bytes(text.encode(), "m.yaml", {})
    assert messages(result) == [
        f"m.yaml:{line}:5: 'integrationTypes' lists 'psp' more than once" for line in (12, 13, 14)
    ]


def test_a_file_with_too_many_values_stops_with_one_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("connectorctl.manifest.yamlnodes.MAX_FILE_NODES", 30)
    text = "---\n".join(MINIMAL.format(key=f"k{n}") for n in range(3))
    result = load_bytes(text.encode(), "m.yaml", {})
    assert messages(result) == ["m.yaml:16:3: more than 30 values in one file (split it)"]


def test_unknown_fields_past_twenty_are_counted_not_listed() -> None:
    text = MINIMAL.format(key="a1") + "".join(f"extra{n}: x\n" for n in range(25))
    found = messages(load_bytes(text.encode(), "m.yaml", {}))
    assert len(found) == 21
    assert "m.yaml:1:1: the manifest has 5 more unknown fields" in found


def test_a_secret_written_where_no_value_goes_is_masked_in_messages() -> None:
    text = MINIMAL.format(key="a1") + f"{SECRET}: x\nrelease: !!int '{SECRET}'\n"
    result = load_bytes(text.encode(), "m.yaml", {"CTP_CLIENT_SECRET": SECRET})
    assert messages(result) == [
        "m.yaml:10:1: unknown field '<redacted>'",
        "m.yaml:11:10: '<redacted>' is not an integer",
    ]
