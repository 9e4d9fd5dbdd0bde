"""The manifest loader: examples load, every invalid manifest has its golden problems."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connectorctl.config import Selection
from connectorctl.manifest.loader import MAX_FILE_BYTES, LoadResult, load_bytes, load_manifests
from connectorctl.model import INTEGRATION_TYPES, REGIONS, RELEASES, Location, Problem
from connectorctl.resources import load_schema
from support import MINIMAL

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "connectors"
INVALID = REPO / "tests" / "data" / "invalid"
GOLDEN_ENV = {"DEFINED": "12"}


def load_text(text: str, env: dict[str, str] | None = None, file: str = "m.yaml") -> LoadResult:
    return load_bytes(text.encode(), file, env or {})


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- examples ----------------------------------------------------------------------------------


def test_every_example_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = load_manifests(Selection(paths=("examples/connectors",)), {})
    assert result.problems == ()
    keys = sorted(d.key for d in result.desired)
    assert keys == [
        "acme-oms-bridge",
        "acme-order-emails",
        "acme-payment-gateway",
        "acme-search-sync",
        "acme-tax-calculator",
    ]
    assert {d.release for d in result.desired} == {"draft", "preview", "publish", "certify"}
    assert all(d.location.file.startswith("examples/connectors/") for d in result.desired)


def test_examples_point_editors_at_the_schema() -> None:
    for path in EXAMPLES.glob("*.yaml"):
        first = path.read_text(encoding="utf-8").splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../schemas/manifest.schema.json"


def test_certified_example_has_no_private_projects(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    result = load_manifests(Selection(paths=("examples/connectors",)), {})
    for desired in result.desired:
        if desired.release == "certify":
            assert "privateProjects" not in desired.spec


# --- goldens ----------------------------------------------------------------------------------

GOLDENS = sorted(p.name for p in INVALID.glob("*.yaml"))


def test_there_are_enough_distinct_invalid_manifests() -> None:
    assert len(GOLDENS) >= 25
    for name in GOLDENS:
        assert (INVALID / name).with_suffix(".expected").is_file(), name


@pytest.mark.parametrize("name", GOLDENS)
def test_invalid_manifest_golden(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID)
    result = load_manifests(Selection(paths=(name,)), GOLDEN_ENV)
    expected = (INVALID / name).with_suffix(".expected").read_text(encoding="utf-8")
    assert "".join(f"{p}\n" for p in result.problems) == expected
    # Only the first of two documents with the same key is a clean manifest.
    assert len(result.desired) == (1 if name == "duplicate-connector-key.yaml" else 0)


def test_the_whole_invalid_folder_reports_every_golden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(INVALID.parent)
    result = load_manifests(Selection(paths=("invalid",)), GOLDEN_ENV)
    expected = "".join(
        line.replace(name, f"invalid/{name}") + "\n"
        for name in GOLDENS
        for line in (INVALID / name).with_suffix(".expected").read_text().splitlines()
    )
    assert "".join(f"{p}\n" for p in result.problems) == expected
    assert list(result.problems) == sorted(result.problems)


# --- the Desired record ------------------------------------------------------------------------


def test_desired_is_plain_data_with_positions() -> None:
    text = (
        "# a comment\n"
        + MINIMAL.format(key="k1")
        + "privateProjects:\n  - europe-west1.gcp:acme-prod\nlisted: true\n"
    )
    result = load_text(text)
    assert result.problems == ()
    (desired,) = result.desired
    assert desired.key == "k1"
    assert "apiVersion" not in desired.spec and "kind" not in desired.spec
    assert desired.spec["creator"] == {"email": "dev@example.com"}
    assert desired.location == Location("m.yaml", 2, 1)
    assert desired.position("creator.email") == Location("m.yaml", 7, 10)
    assert desired.position("privateProjects.0") == Location("m.yaml", 12, 5)
    assert desired.position("listed") == Location("m.yaml", 13, 9)
    assert desired.listed is True


def test_timestamps_and_numbers_stay_plain_json() -> None:
    text = MINIMAL.format(key="k1").replace("v1.0.0", "2024-01-31") + (
        "description: 2001-12-14t21:59:43.10-05:00\n"
    )
    (desired,) = load_text(text).desired
    assert desired.spec["repository"]["tag"] == "2024-01-31"
    assert desired.spec["description"] == "2001-12-14t21:59:43.10-05:00"


def test_yes_and_octal_look_alikes_are_not_coerced() -> None:
    text = MINIMAL.format(key="k1").replace("name: Example", "name: yes") + ("description: 0o17\n")
    result = load_text(text)
    assert [p.message for p in result.problems] == ["'description' must be a string, not 15"]
    (only,) = load_text(MINIMAL.format(key="k1").replace("name: Example", "name: yes")).desired
    assert only.spec["name"] == "yes"


def test_multi_document_file_and_empty_documents_are_skipped() -> None:
    text = "---\n" + MINIMAL.format(key="a1") + "---\n# nothing\n---\n" + MINIMAL.format(key="b1")
    result = load_text(text + "---\n")
    assert result.problems == ()
    assert [d.key for d in result.desired] == ["a1", "b1"]
    assert result.desired[1].location == Location("m.yaml", 14, 1)


def test_bom_and_utf16_are_read() -> None:
    text = MINIMAL.format(key="k1") + "description: Crème brûlée\n"
    for data in (b"\xef\xbb\xbf" + text.encode(), text.encode("utf-16")):
        result = load_bytes(data, "m.yaml", {})
        assert result.problems == ()
        assert result.desired[0].spec["description"] == "Crème brûlée"


def test_empty_file_has_nothing() -> None:
    assert load_text("") == load_text("# only a comment\n")
    assert load_text("").desired == () and load_text("").problems == ()


def test_merge_keys_expand() -> None:
    text = MINIMAL.format(key="k1").replace(
        "creator:\n  email: dev@example.com\n",
        "creator:\n  <<: &who {email: dev@example.com, company: ACME}\n  company: Other\n",
    )
    (desired,) = load_text(text).desired
    assert desired.spec["creator"] == {"company": "Other", "email": "dev@example.com"}


def test_aliases_within_the_bound_are_expanded() -> None:
    text = MINIMAL.format(key="k1") + "supportedRegions: &r [europe-west1.gcp]\n"
    text += "integrationTypes: &t [psp]\n"
    (desired,) = load_text(text).desired
    assert desired.spec["supportedRegions"] == ["europe-west1.gcp"]


# --- interpolation ----------------------------------------------------------------------------


def test_interpolation_uses_env_then_default() -> None:
    text = MINIMAL.format(key="k1").replace("v1.0.0", "${TAG:-v9}") + (
        "description: price is $${PRICE} for ${WHO}\n"
    )
    (desired,) = load_text(text, {"WHO": "everyone"}).desired
    assert desired.spec["repository"]["tag"] == "v9"
    assert desired.spec["description"] == "price is ${PRICE} for everyone"
    (desired,) = load_text(text, {"WHO": "x", "TAG": "v2.0.0"}).desired
    assert desired.spec["repository"]["tag"] == "v2.0.0"


def test_every_undefined_variable_is_reported_at_its_place() -> None:
    text = MINIMAL.format(key="k1").replace("v1.0.0", "${TAG}") + "description: ${A} ${B}\n"
    problems = load_text(text).problems
    assert [str(p) for p in problems] == [
        "m.yaml:9:8: undefined variable 'TAG'",
        "m.yaml:10:14: undefined variable 'A'",
        "m.yaml:10:14: undefined variable 'B'",
    ]


def test_interpolation_never_reads_the_process_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TAG", "v1")
    text = MINIMAL.format(key="k1").replace("v1.0.0", "${TAG}")
    assert [p.message for p in load_text(text, {}).problems] == ["undefined variable 'TAG'"]


# --- files and folders ------------------------------------------------------------------------


def test_directories_are_searched_recursively_skipping_hidden(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.yaml", MINIMAL.format(key="a1"))
    write(tmp_path / "sub" / "deeper" / "b.yml", MINIMAL.format(key="b1"))
    write(tmp_path / ".hidden" / "c.yaml", "not: [valid")
    write(tmp_path / ".dotfile.yaml", "not: [valid")
    write(tmp_path / "notes.txt", "not: [valid")
    monkeypatch.chdir(tmp_path)
    result = load_manifests(Selection(), {})
    assert result.problems == ()
    assert [d.location.file for d in result.desired] == ["a.yaml", "sub/deeper/b.yml"]


def test_excludes_match_name_relative_path_and_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "m" / "a.yaml", MINIMAL.format(key="a1"))
    write(tmp_path / "m" / "connect.yaml", "deployAs: []\n")
    write(tmp_path / "m" / "vendor" / "x" / "b.yaml", "bad: [\n")
    write(tmp_path / "m" / "tools" / "c.yaml", "bad: [\n")
    monkeypatch.chdir(tmp_path)
    selection = Selection(paths=("m",), excludes=("connect.yaml", "vendor", "tools/*.yaml"))
    result = load_manifests(selection, {})
    assert result.problems == ()
    assert [d.key for d in result.desired] == ["a1"]


def test_missing_path_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = load_manifests(Selection(paths=("nope",)), {})
    assert result.problems == (Problem("nope", 1, 1, "no such file or directory"),)


def test_a_file_named_twice_is_loaded_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "a.yaml", MINIMAL.format(key="a1"))
    monkeypatch.chdir(tmp_path)
    result = load_manifests(Selection(paths=("a.yaml", ".", "./a.yaml")), {})
    assert result.problems == ()
    assert len(result.desired) == 1


def test_same_key_in_two_files_names_both_places(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "a.yaml", "# first\n" + MINIMAL.format(key="shared"))
    write(tmp_path / "b" / "c.yaml", MINIMAL.format(key="shared"))
    monkeypatch.chdir(tmp_path)
    result = load_manifests(Selection(), {})
    assert [str(p) for p in result.problems] == [
        "b/c.yaml:3:1: duplicate connector key 'shared' (also defined at a.yaml:4:1)"
    ]


def test_paths_outside_the_working_directory_are_relative_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "outside" / "a.yaml", MINIMAL.format(key="a1") + "nmae: x\n")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    result = load_manifests(Selection(paths=(str(path),)), {})
    assert result.problems[0].file == "../outside/a.yaml"


def test_files_over_one_mib_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big = MINIMAL.format(key="k1") + "# " + "x" * MAX_FILE_BYTES + "\n"
    write(tmp_path / "big.yaml", big)
    monkeypatch.chdir(tmp_path)
    (problem,) = load_manifests(Selection(), {}).problems
    assert problem.file == "big.yaml" and (problem.line, problem.col) == (1, 1)
    assert problem.message.startswith("file is larger than 1 MiB")


def test_unreadable_folder_entry_is_a_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "broken.yaml").symlink_to(tmp_path / "missing-target.yaml")
    monkeypatch.chdir(tmp_path)
    result = load_manifests(Selection(), {})
    assert [p.message for p in result.problems] == ["cannot read file: No such file or directory"]


# --- schema and speed --------------------------------------------------------------------------


def test_schema_enums_follow_the_field_table() -> None:
    schema = load_schema("manifest.schema.json")
    assert schema["$defs"]["integrationType"]["enum"] == list(INTEGRATION_TYPES)
    assert schema["$defs"]["region"]["enum"] == list(REGIONS)
    assert schema["properties"]["release"]["enum"] == list(RELEASES)
    assert len(INTEGRATION_TYPES) == 14 and len(REGIONS) == 5


def test_every_schema_property_has_a_description() -> None:
    def walk(node: object, where: str) -> None:
        if isinstance(node, dict):
            for name, sub in node.get("properties", {}).items():
                assert sub.get("description"), f"{where}.{name}"
            for value in node.values():
                walk(value, where)

    walk(load_schema("manifest.schema.json"), "")


def test_schema_is_valid_2020_12() -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(load_schema("manifest.schema.json"))


def test_thousands_of_manifests_validate_quickly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = (EXAMPLES / "payment-gateway.yaml").read_text(encoding="utf-8")
    for i in range(2000):
        write(tmp_path / f"d{i % 20}" / f"m{i}.yaml", body.replace("acme-payment", f"c{i}"))
    monkeypatch.chdir(tmp_path)
    started = time.perf_counter()
    result = load_manifests(Selection(), {})
    elapsed = time.perf_counter() - started
    assert result.problems == () and len(result.desired) == 2000
    assert elapsed < 6.0, f"2000 manifests took {elapsed:.2f}s"
