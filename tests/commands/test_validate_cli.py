"""`connectorctl validate` end to end: output formats and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectorctl.cli import run_cli
from connectorctl.model import Problem
from connectorctl.report.problems import render_problems, resolve_format

REPO = Path(__file__).resolve().parents[2]
INVALID = REPO / "tests" / "data" / "invalid"

MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: example
name: Example
creator:
  email: dev@example.com
repository:
  url: https://github.com/example/connector
  tag: {tag}
"""


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.delenv("TAG", raising=False)


def test_examples_validate_with_exit_0(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(REPO)
    assert run_cli(["validate", "examples/connectors/"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "no problems\n"
    assert captured.err == "5 manifests valid\n"


def test_typo_gets_a_did_you_mean_and_exit_1(
    clean_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "m.yaml").write_text(MANIFEST.format(tag="v1") + "nmae: x\n")
    monkeypatch.chdir(tmp_path)
    assert run_cli(["validate", "m.yaml"]) == 1
    assert capsys.readouterr().out == (
        "m.yaml:10:1: unknown field 'nmae' (did you mean 'name'?)\n1 problem in 1 file\n"
    )


def test_unset_variable_is_reported_at_its_place(
    clean_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "m.yaml").write_text(MANIFEST.format(tag="${TAG}"))
    monkeypatch.chdir(tmp_path)
    assert run_cli(["validate"]) == 1
    assert "m.yaml:9:8: undefined variable 'TAG'\n" in capsys.readouterr().out
    monkeypatch.setenv("TAG", "v1.2.3")
    assert run_cli(["validate"]) == 0


def test_json_format(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID)
    assert run_cli(["validate", "--format", "json", "unknown-field.yaml"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data == {
        "problems": [
            {
                "file": "unknown-field.yaml",
                "line": 10,
                "col": 1,
                "message": "unknown field 'nmae' (did you mean 'name'?)",
            }
        ]
    }
    assert run_cli(["validate", "--format", "json", str(REPO / "examples" / "connectors")]) == 0
    assert json.loads(capsys.readouterr().out) == {"problems": []}


def test_auto_picks_github_annotations_under_actions(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert run_cli(["validate", "undefined-variable.yaml"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "undefined-variable.yaml:8:8: undefined variable 'TAG'"
    assert "::error file=undefined-variable.yaml,line=8,col=8::undefined variable 'TAG'\n" in out


def test_exclude_skips_files(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID)
    excludes = [
        arg
        for name in INVALID.glob("*.yaml")
        if name.name != "bad-region.yaml"
        for arg in ("--exclude", name.name)
    ]
    assert run_cli(["validate", ".", *excludes]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "1 problem in 1 file"


def test_excluding_every_file_is_an_error(
    clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID)
    excludes = [arg for name in INVALID.glob("*.yaml") for arg in ("--exclude", name.name)]
    assert run_cli(["validate", ".", *excludes]) == 1
    assert capsys.readouterr().out == (
        ".:1:1: holds no *.yaml or *.yml file that --exclude leaves (check the path)\n"
        "1 problem in 1 file\n"
    )


@pytest.mark.parametrize("name", sorted(p.name for p in INVALID.glob("*.yaml")))
def test_every_invalid_manifest_exits_1_without_traceback(
    name: str, clean_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(INVALID)
    assert run_cli(["validate", name]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert captured.out.startswith(name + ":")


def test_missing_path_exits_1(
    clean_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    assert run_cli(["validate", "nowhere"]) == 1
    assert capsys.readouterr().out.startswith("nowhere:1:1: no such file or directory\n")


def test_bad_format_is_a_usage_error_exit_1(clean_env: None) -> None:
    assert run_cli(["validate", "--format", "xml"]) == 1


def test_validate_help_teaches(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(["validate", "--help"]) == 0
    out = capsys.readouterr().out
    for word in ("file:line:col", "--format", "--exclude", "Exit 0"):
        assert word in out


def test_resolve_format() -> None:
    assert resolve_format("auto", {}) == "text"
    assert resolve_format("auto", {"GITHUB_ACTIONS": "true"}) == "github"
    assert resolve_format("json", {"GITHUB_ACTIONS": "true"}) == "json"


def test_github_annotations_escape_their_data() -> None:
    problem = Problem("a,b:c.yaml", 3, 4, "100% wrong\nreally")
    out = render_problems([problem], "github")
    assert out.splitlines()[-1] == "::error file=a%2Cb%3Ac.yaml,line=3,col=4::100%25 wrong%0Areally"


def test_text_counts_problems_and_files() -> None:
    problems = [
        Problem("a.yaml", 1, 1, "x"),
        Problem("a.yaml", 2, 1, "y"),
        Problem("b.yaml", 1, 1, "z"),
    ]
    assert render_problems(problems, "text").splitlines()[-1] == "3 problems in 2 files"
    assert render_problems([], "text") == "no problems\n"


def test_json_problems_keep_every_value_on_its_line(
    clean_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "\x85::notice::n.yaml").write_text("key: [\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_cli(["validate", ".", "--format", "json"]) == 1
    out = capsys.readouterr().out
    assert '"file": "\\u0085::notice::n.yaml"' in out
    assert not [line for line in out.splitlines() if line.startswith("::")]
