"""`validate --allow-undefined-vars` (the pre-commit hook's mode) and pattern errors in words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from connectorctl.cli import run_cli

REPO = Path(__file__).resolve().parents[2]
MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: example
name: Example
creator:
  email: dev@example.com
repository:
  url: https://github.com/example/connector
  tag: ${RELEASE_TAG}
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("GITHUB_ACTIONS", "RELEASE_TAG", "KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    Path("m.yaml").write_text(MANIFEST, encoding="utf-8")


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(["validate", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_without_the_flag_an_undefined_variable_is_a_problem(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert validate(capsys, "m.yaml") == (
        1,
        "m.yaml:9:8: undefined variable 'RELEASE_TAG'\n1 problem in 1 file\n",
        "",
    )


def test_with_the_flag_it_is_a_warning_and_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert validate(capsys, "m.yaml", "--allow-undefined-vars") == (
        0,
        "m.yaml:9:8: warning: undefined variable 'RELEASE_TAG'\nno problems\n",
        "1 manifest valid\n",
    )


def test_json_lists_the_warnings_beside_the_problems(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate(capsys, "m.yaml", "--allow-undefined-vars", "--format", "json")
    assert code == 0
    assert json.loads(out) == {
        "problems": [],
        "warnings": [
            {"file": "m.yaml", "line": 9, "col": 8, "message": "undefined variable 'RELEASE_TAG'"}
        ],
    }


def test_github_annotates_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = validate(capsys, "m.yaml", "--allow-undefined-vars", "--format", "github")
    assert code == 0
    assert out.splitlines() == [
        "m.yaml:9:8: warning: undefined variable 'RELEASE_TAG'",
        "::warning file=m.yaml,line=9,col=8::undefined variable 'RELEASE_TAG'",
        "no problems",
    ]


def test_other_problems_still_fail_with_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    text = MANIFEST.replace("key: example", "key: ${KEY}").replace(
        "name: Example", "name: ${bad-ref}"
    )
    Path("m.yaml").write_text(text, encoding="utf-8")
    code, out, _ = validate(capsys, "m.yaml", "--allow-undefined-vars")
    assert code == 1
    assert out.splitlines() == [
        "m.yaml:3:6: warning: undefined variable 'KEY'",
        "m.yaml:9:8: warning: undefined variable 'RELEASE_TAG'",
        "m.yaml:3:6: '${KEY}' is not a valid connector key (only letters, digits, '-' and '_')",
        "m.yaml:4:7: invalid variable reference '${bad-ref}' (use $${ for a literal ${)",
        "2 problems in 1 file",
    ]


def test_the_pre_commit_hook_allows_undefined_variables(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (hook,) = YAML(typ="safe").load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert hook["entry"] == "connectorctl validate --allow-undefined-vars"
    _, *args = hook["entry"].split()
    assert run_cli([*args, "m.yaml"]) == 0


def test_a_private_project_error_names_the_form_not_a_regex(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = MANIFEST.replace("${RELEASE_TAG}", "v1") + "privateProjects:\n  - acme-staging\n"
    Path("m.yaml").write_text(text, encoding="utf-8")
    code, out, _ = validate(capsys, "m.yaml")
    assert code == 1
    assert out.splitlines()[0] == (
        "m.yaml:11:5: 'acme-staging' is not a valid project identifier "
        "(write it as {region}:{projectKey}, e.g. europe-west1.gcp:acme-prod)"
    )
    assert "^" not in out
