"""Generative hostile input: file names, keys, values and plan files chosen to break out of CI
logs, leak the client secret, or crash the CLI.

Every case asserts: no traceback, an exit code from the contract, no printed line that GitHub
would run as a workflow command (other than our own `::error file=…` annotations, whose
properties and message are escaped), and never the secret's value. Each case has a deadline, so
a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectorctl.cli import run_cli
from connectorctl.errors import PlanFileError
from connectorctl.planfile import plan_from_dict
from connectorctl.report.plan import render_plan

REPO = Path(__file__).resolve().parents[2]
PLAN = json.loads((REPO / "tests" / "data" / "render" / "plan.json").read_text(encoding="utf-8"))
SECRET = "fuzz-secret-Value-42"
ENV = {"CTP_CLIENT_SECRET": SECRET, "TAG": "v1.0.0"}
FAST = settings(
    max_examples=60,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Pieces that drive workflow commands, terminals, YAML and our own interpolation.
PIECES = [
    "\n", "\r", "\r\n", "\x85", "\u2028", "\u2029", "\x1b[31m", "\x00", "\t", "\x7f", "::",
    "::error::", "::stop-commands::tok", "::add-mask::", "%0A", "%", ",", ":", "'", '"', "\\",
    "${", "}", "$${", "${TAG}", "${CTP_CLIENT_SECRET}", "${UNSET}", "${A:-${B}}", SECRET, "@here",
    "</details>", "|", "<", "`", "#", "- ", "---", "\ufeff", "\u202e",
    "\n::error::forged", "\r\n::stop-commands::tok", "\n  ::warning::w", "\x85::notice::n",
    "\u2028::group::g", "\n::add-mask::", "\r::debug::d",
]  # fmt: skip
hostile = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=4)), min_size=1, max_size=8
).map("".join)
file_names = hostile.map(lambda text: _file_name(text) + ".yaml")


def _file_name(text: str) -> str:
    """A name the file system takes (file names never come from the environment: no secret)."""
    name = text.replace(SECRET, "s").replace("/", "_").replace("\x00", "_")
    return name.encode()[:150].decode(errors="ignore") or "x"


FIELDS = ["key", "name", "description", "creator.email", "repository.tag", "privateProjects.0"]


def manifest(field: str, value: str) -> str:
    """A valid manifest with `value` written (as a YAML double-quoted string) at `field`."""
    data: dict[str, Any] = {
        "apiVersion": "connectorctl/v1",
        "kind": "ConnectorStaged",
        "key": "fuzz-key",
        "name": "Fuzz",
        "creator": {"email": "dev@example.com"},
        "repository": {"url": "https://github.com/example/c", "tag": "v1"},
        "privateProjects": ["europe-west1.gcp:acme"],
    }
    *parents, last = field.split(".")
    holder: Any = data
    for step in parents:
        holder = holder[step]
    holder[int(last) if last.isdigit() else last] = value
    return json.dumps(data, ensure_ascii=True)  # JSON is YAML: every character escaped


def cli(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = run_cli(list(args))
    return code, out.getvalue() + err.getvalue()


def assert_safe(output: str) -> None:
    assert "Traceback" not in output and "internal error" not in output, output
    assert SECRET not in output
    for line in output.splitlines():
        if line.lstrip().startswith("::"):
            assert line.startswith(("::error file=", "::warning file=", "::notice file=")), line


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "SOURCE_DATE_EPOCH", "CTP_CLIENT_ID", "CTP_AUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@settings(FAST, max_examples=40)
@given(name=file_names, field=st.sampled_from(FIELDS), value=hostile, fmt=st.sampled_from(
    ["text", "github", "json"]
))  # fmt: skip
def test_validate_output_is_safe_whatever_the_names_and_values(
    workdir: Path, name: str, field: str, value: str, fmt: str
) -> None:
    folder = Path("m")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    try:
        (folder / name).write_text(manifest(field, value), encoding="utf-8")
    except (OSError, UnicodeEncodeError):
        (folder / "plain.yaml").write_text(manifest(field, value), encoding="utf-8")
    code, output = cli("validate", "m", "--format", fmt)
    assert code in (0, 1), output
    assert_safe(output)
    reference = "${CTP_CLIENT_SECRET}"
    if SECRET in value or (reference in value and "$" + reference not in value):
        assert code == 1, output  # a secret never enters a manifest
    if fmt == "json":
        json.loads(output.split("\n}\n", 1)[0] + "\n}")


@settings(FAST, max_examples=150)
@given(path=st.lists(st.sampled_from(["connectors", "1", "0", "key", "draft", "diff", "actions",
    "messages", "text", "after", "before", "summary", "unmanaged", "target", "source", "id",
    "path", "comment", "description", "connect_url", "project_key"]), max_size=4),
    value=st.one_of(hostile, st.integers(), st.floats(), st.none(), st.booleans(),
    st.just([]), st.just({}), st.just([[[[[[[]]]]]]])))  # fmt: skip
def test_plan_files_are_read_and_rendered_safely(path: list[str], value: Any) -> None:
    data = mutate(copy.deepcopy(PLAN), path, value)
    try:
        plan = plan_from_dict(data)
    except PlanFileError as exc:
        assert_safe(str(exc))
        assert "\n" not in str(exc)
        return
    for fmt in ("text", "github", "markdown", "json"):
        assert_safe(render_plan(plan, fmt))


def mutate(data: Any, path: list[str], value: Any) -> Any:
    """`data` with the node at `path` (steps that do not fit are skipped) replaced by `value`."""
    holder, step = None, None
    node = data
    for part in path:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            holder, step, node = node, int(part), node[int(part)]
        elif isinstance(node, dict) and part in node:
            holder, step, node = node, part, node[part]
    if holder is None:
        return value if path else data
    holder[step] = value
    return data


@FAST
@given(text=st.one_of(hostile, st.binary(max_size=64).map(lambda b: b.decode("latin-1"))),
       depth=st.integers(0, 3000))  # fmt: skip
def test_apply_of_any_plan_file_is_one_clean_line(workdir: Path, text: str, depth: int) -> None:
    Path("plan.json").write_text("[" * depth + text + "]" * depth, encoding="utf-8")
    code, output = cli("apply", "--plan", "plan.json", "--auto-approve", "--format", "github")
    assert code == 1, output
    assert_safe(output)
    assert output.startswith("error: ") and output.count("\n") == 1, output


@FAST
@given(value=hostile)
def test_environment_values_give_one_line_errors(workdir: Path, value: str) -> None:
    Path("a.yaml").write_text(manifest("name", "ok"), encoding="utf-8")
    os.environ["SOURCE_DATE_EPOCH"] = value.replace("\x00", "")
    try:
        code, output = cli("apply", "a.yaml", "--wait", "--timeout", "nan")
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    assert code == 1, output
    assert_safe(output)
