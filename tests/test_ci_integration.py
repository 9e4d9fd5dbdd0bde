"""The GitHub Action, the example workflows and the pre-commit hook.

The action's `run:` steps are executed with bash exactly as a runner would: GitHub expressions are
substituted only where they appear in `env:` (no script may contain one), each step gets its own
GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, and the commands talk to the emulator over HTTP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from ruamel.yaml import YAML

from connectorctl import __version__, planfile
from connectorctl.cli import run_cli
from connectorctl.model import Change, ConnectorChange, DiffEntry, Plan, Target
from support import apply_result_errors

REPO = Path(__file__).resolve().parents[1]
GOLDENS = REPO / "tests" / "data" / "ci"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
ANNOTATION = re.compile(r"^::error file=([^,]+),line=(\d+),col=(\d+)::", re.MULTILINE)
Outputs = dict[str, str]
COMMENT_LIMIT = 65_000
SUMMARY_LIMIT = 1024 * 1024

PAYMENT = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: payment-gateway
name: Payment Gateway
creator:
  email: team@acme.example
repository:
  url: git@github.com:acme/payment-connector.git
  tag: v1.4.0
"""
PAYMENT_REMOTE = {
    "key": "payment-gateway",
    "name": "Payment Gateway",
    "creator": {"email": "team@acme.example"},
    "repository": {"url": "git@github.com:acme/payment-connector.git", "tag": "v1.4.0"},
}
MISSPELT = PAYMENT.replace("key: payment-gateway", "key: tax-sync").replace("name:", "nmae:")


def load_yaml(path: Path) -> Any:
    return YAML(typ="safe", pure=True).load(path.read_text(encoding="utf-8"))


def vendored_schema(name: str) -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath(name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


ACTION = load_yaml(REPO / "action.yml")
WORKFLOWS = sorted((REPO / "examples" / "github").glob("*.yml"))


# ------------------------------------------------------------------------------------------------
# Static checks: schemas, expressions, the pre-commit hook.


def test_action_matches_the_github_action_schema() -> None:
    jsonschema.validate(ACTION, vendored_schema("github-actions.json"))
    assert ACTION["runs"]["using"] == "composite"
    inputs = {"command", "paths", "args", "working-directory", "python-version"}
    assert set(ACTION["inputs"]) >= inputs
    assert set(ACTION["outputs"]) == {
        "exitcode", "has-changes", "plan-file", "summary-file", "result-file",
    }  # fmt: skip


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflow_matches_the_github_workflow_schema(path: Path) -> None:
    jsonschema.validate(load_yaml(path), vendored_schema("github-workflows.json"))


def test_the_example_workflows_exist() -> None:
    assert [p.name for p in WORKFLOWS] == [
        "apply-on-merge.yml",
        "drift-check.yml",
        "pr-plan.yml",
        "targets-apply.yml",
        "targets-plan.yml",
    ]
    apply = load_yaml(REPO / "examples" / "github" / "apply-on-merge.yml")
    assert apply["concurrency"]["cancel-in-progress"] is False


def test_the_target_workflows_plan_all_and_apply_one_environment_each() -> None:
    plan = load_yaml(REPO / "examples" / "github" / "targets-plan.yml")
    (plan_step,) = [s for s in plan["jobs"]["plan"]["steps"] if s.get("id") == "plan"]
    assert plan_step["with"]["all-targets"] == "true"
    apply = load_yaml(REPO / "examples" / "github" / "targets-apply.yml")
    jobs = apply["jobs"]
    assert [(name, job["environment"]) for name, job in jobs.items()] == [
        ("staging", "staging"),
        ("production", "production"),
    ]
    assert jobs["production"]["needs"] == "staging"
    targets = [s["with"]["target"] for job in jobs.values() for s in job["steps"] if "with" in s
               and "target" in s["with"]]  # fmt: skip
    assert targets == ["staging", "production"]


def run_steps(document: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if "runs" in document:
        yield from document["runs"]["steps"]
    for job in document.get("jobs", {}).values():
        yield from job.get("steps", [])


@pytest.mark.parametrize("path", [REPO / "action.yml", *WORKFLOWS], ids=lambda p: p.name)
def test_no_script_contains_a_github_expression(path: Path) -> None:
    scripts = [step["run"] for step in run_steps(load_yaml(path)) if "run" in step]
    assert scripts or path.name in ("pr-plan.yml", "targets-plan.yml", "targets-apply.yml")
    for script in scripts:
        assert "${{" not in script


def test_pre_commit_hook_runs_a_real_cli_command(tmp_path: Path) -> None:
    (hook,) = load_yaml(REPO / ".pre-commit-hooks.yaml")
    assert hook["id"] == "connectorctl-validate"
    assert hook["language"] == "python"
    program, *args = hook["entry"].split()
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert f'{program} = "connectorctl.cli:main"' in pyproject
    files = re.compile(hook["files"])
    assert files.search("connectors/payment.yaml") and files.search("infra/connectors/a.yml")
    assert not files.search(".github/workflows/ci.yml")
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(PAYMENT, encoding="utf-8")
    bad.write_text(MISSPELT, encoding="utf-8")
    assert run_cli([*args, str(good)]) == 0
    assert run_cli([*args, str(good), str(bad)]) == 1


# ------------------------------------------------------------------------------------------------
# Running the action's steps as a runner would.


@dataclass
class ActionRun:
    outputs: dict[str, str]
    step_outputs: dict[str, dict[str, str]]
    stdout: str
    stderr: str
    summary: str
    failed_step: str | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def succeeded(self) -> bool:
        return self.failed_step is None

    def summary_file(self) -> str:
        return Path(self.outputs["summary-file"]).read_text(encoding="utf-8")


class ActionRunner:
    """Runs action.yml's `run:` steps with bash; `uses:` steps (setup-python, cache) are skipped."""

    def __init__(self, tmp: Path, env: Mapping[str, str], event: str = "push") -> None:
        self.event = event
        self.tmp, self.workspace = tmp, tmp / "workspace"
        self.workspace.mkdir(exist_ok=True)
        (tmp / "runner").mkdir(exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("CTP_", "GITHUB_"))}
        self.env.update(
            PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
            RUNNER_TEMP=str(tmp / "runner"),
            GITHUB_ACTIONS="true",
            GITHUB_WORKSPACE=str(self.workspace),
            CONNECTORCTL_ACTION_SKIP_INSTALL="1",
            SOURCE_DATE_EPOCH="1764504000",
            NO_COLOR="1",
            **env,
        )
        self.count = 0

    def write(self, name: str, text: str) -> None:
        path = self.workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def run(self, **given: str) -> ActionRun:
        inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        unknown = set(given) - set(inputs)
        assert not unknown, f"not inputs of the action: {unknown}"
        inputs.update(given)
        result = ActionRun({}, {}, "", "", "")
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if "uses" in step:
                assert step["uses"].startswith(("actions/setup-python@", "actions/cache@"))
                continue
            env = {k: self.resolve(str(v), inputs, result) for k, v in step.get("env", {}).items()}
            code, outputs = self.step(step["run"], env, result)
            result.step_outputs[step.get("id", str(index))] = outputs
            if code != 0:
                result.failed_step = step["name"]
                break
        for name, spec in ACTION["outputs"].items():
            result.outputs[name] = self.resolve(spec["value"], inputs, result)
        return result

    def step(self, script: str, env: Mapping[str, str], result: ActionRun) -> tuple[int, Outputs]:
        self.count += 1
        output, summary = self.tmp / f"output-{self.count}", self.tmp / f"summary-{self.count}"
        output.touch()
        summary.touch()
        path = self.tmp / f"step-{self.count}.sh"
        path.write_text(script, encoding="utf-8")
        full_env = {**self.env, **env, "GITHUB_OUTPUT": str(output)}
        full_env["GITHUB_STEP_SUMMARY"] = str(summary)
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
            cwd=self.workspace, env=full_env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        result.stdout += done.stdout
        result.stderr += done.stderr
        result.summary += summary.read_text(encoding="utf-8")
        result.files += [output, summary]
        return done.returncode, parse_outputs(output.read_text(encoding="utf-8"))

    def resolve(self, text: str, inputs: Mapping[str, str], result: ActionRun) -> str:
        def value(match: re.Match[str]) -> str:
            parts = match.group(1).split(".")
            if parts[0] == "inputs":
                return inputs[parts[1]]
            if parts == ["github", "action_path"]:
                return str(REPO)
            if parts == ["github", "event_name"]:
                return self.event
            if parts[0] == "steps" and parts[2] == "outputs":
                return result.step_outputs.get(parts[1], {}).get(parts[3], "")
            raise AssertionError(f"expression not supported here: {match.group(0)}")

        return EXPRESSION.sub(value, text)


def parse_outputs(text: str) -> dict[str, str]:
    outputs = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        assert sep and "<<" not in name, f"unexpected GITHUB_OUTPUT line: {line!r}"
        outputs[name] = value
    return outputs


@pytest.fixture
def runner(tmp_path: Path, emulator: Any) -> ActionRunner:
    action_runner = ActionRunner(tmp_path, emulator.env())
    action_runner.write("connectors/payment.yaml", PAYMENT)
    return action_runner


def test_plan_with_changes_succeeds_with_has_changes(runner: ActionRunner, emulator: Any) -> None:
    run = runner.run(command="plan", paths="connectors")
    assert run.succeeded, run.stdout + run.stderr
    assert run.outputs["exitcode"] == "2"
    assert run.outputs["has-changes"] == "true"
    plan = json.loads(Path(run.outputs["plan-file"]).read_text(encoding="utf-8"))
    assert [(c["key"], c["change"]) for c in plan["connectors"]] == [("payment-gateway", "create")]
    assert "payment-gateway" in run.summary and "succeeded with changes" in run.summary
    check_golden("plan-create.md", run.summary_file(), emulator.url)


def test_plan_without_changes(runner: ActionRunner, emulator: Any) -> None:
    emulator.admin("POST", "seed", PAYMENT_REMOTE)
    run = runner.run(command="plan", paths="connectors")
    assert run.succeeded, run.stdout + run.stderr
    assert run.outputs["exitcode"] == "0"
    assert run.outputs["has-changes"] == "false"
    assert Path(run.outputs["plan-file"]).is_file()
    assert "**connectorctl plan** succeeded." in run.summary_file()
    assert "::error" not in run.stdout


def test_plan_with_an_update_shows_the_diff(runner: ActionRunner, emulator: Any) -> None:
    emulator.admin(
        "POST", "seed", {**PAYMENT_REMOTE, "repository": {"url": "git@x:y.git", "tag": "v1"}}
    )
    run = runner.run(command="plan", paths="connectors")
    assert run.succeeded, run.stdout + run.stderr
    assert (run.outputs["exitcode"], run.outputs["has-changes"]) == ("2", "true")
    check_golden("plan-update.md", run.summary_file(), emulator.url)


@pytest.mark.parametrize("command", ["validate", "plan", "apply"])
def test_invalid_manifest_annotates_and_fails(
    runner: ActionRunner, emulator: Any, command: str
) -> None:
    runner.write("connectors/tax.yaml", MISSPELT)
    run = runner.run(command=command, paths="connectors")
    assert run.failed_step == "Fail on errors"
    assert run.outputs["exitcode"] == "1"
    assert run.outputs["has-changes"] == "false"
    assert run.outputs["plan-file"] == ""
    found = ANNOTATION.findall(run.stdout)
    assert found and {f for f, _, _ in found} == {"connectors/tax.yaml"}
    assert ("connectors/tax.yaml", "4", "1") in found  # the misspelt `nmae:` key
    assert "connectors/tax.yaml:4:1:" in run.summary_file()
    assert "failed (exit code 1)" in run.summary
    if command == "validate":
        check_golden("validate-problems.md", run.summary_file(), emulator.url)


def test_validate_clean_manifests(runner: ActionRunner) -> None:
    run = runner.run(command="validate", paths="connectors")
    assert run.succeeded, run.stdout + run.stderr
    assert run.outputs == {
        "exitcode": "0",
        "has-changes": "false",
        "plan-file": "",
        "summary-file": run.outputs["summary-file"],
        "result-file": "",
    }
    assert "**connectorctl validate** succeeded." in run.summary_file()


def test_apply_writes_then_the_next_plan_is_empty(runner: ActionRunner) -> None:
    applied = runner.run(command="apply", paths="connectors", **{"apply-args": "--parallelism 2"})
    assert applied.succeeded, applied.stdout + applied.stderr
    assert applied.outputs["exitcode"] == "0"
    assert applied.outputs["has-changes"] == "true"
    assert "apply output" in applied.summary
    assert applied.stdout.count("::notice file=connectors/payment.yaml") == 1
    assert applied.summary.count("Apply complete: 1 created.") == 1
    assert "payment-gateway: created (2 requests)" in applied.summary  # progress, in the log
    document = json.loads(Path(applied.outputs["result-file"]).read_text(encoding="utf-8"))
    assert apply_result_errors(document) == []
    assert [(r["key"], r["result"]) for r in document["results"]] == [
        ("payment-gateway", "created")
    ]
    again = runner.run(command="apply", paths="connectors")
    assert again.succeeded, again.stdout + again.stderr
    assert (again.outputs["exitcode"], again.outputs["has-changes"]) == ("0", "false")
    assert "applied" not in again.step_outputs["run"]  # an empty plan is not applied
    assert again.outputs["result-file"] == ""
    assert "Apply complete" not in again.stdout


def test_apply_that_writes_nothing_has_no_changes(runner: ActionRunner, emulator: Any) -> None:
    runner.env.update(emulator.env(client="emulator-viewer"))  # may read, may not write
    run = runner.run(command="apply", paths="connectors")
    assert run.step_outputs["run"]["applied"] == "true"
    assert (run.outputs["exitcode"], run.outputs["has-changes"]) == ("1", "false")
    assert run.failed_step == "Fail on errors"
    assert "manage_connectors" in run.stdout


def test_secret_is_masked_and_never_printed(runner: ActionRunner, emulator: Any) -> None:
    secret = emulator.env()["CTP_CLIENT_SECRET"]
    run = runner.run(command="apply", paths="connectors")
    assert run.succeeded, run.stdout + run.stderr
    assert run.stdout.startswith(f"::add-mask::{secret}\n")
    rest = run.stdout.removeprefix(f"::add-mask::{secret}\n") + run.stderr
    written = "".join(p.read_text(encoding="utf-8") for p in run.files)
    assert secret not in rest + written + run.summary_file()


def test_inputs_are_never_evaluated_as_shell(runner: ActionRunner) -> None:
    run = runner.run(command="plan", paths="connectors", args="$(touch pwned) ;touch pwned2")
    assert not (runner.workspace / "pwned").exists()
    assert not (runner.workspace / "pwned2").exists()
    assert run.outputs["exitcode"] == "1"
    assert not run.succeeded


def test_unknown_command_fails_with_an_annotation(runner: ActionRunner) -> None:
    run = runner.run(command="destroy")
    assert run.failed_step == "Fail on errors"
    assert "::error::command must be validate, plan or apply, not 'destroy'" in run.stdout


def test_working_directory(runner: ActionRunner) -> None:
    runner.write("infra/connectors/payment.yaml", PAYMENT)
    (runner.workspace / "connectors" / "payment.yaml").unlink()
    run = runner.run(command="validate", paths="connectors", **{"working-directory": "infra"})
    assert run.succeeded and run.outputs["exitcode"] == "0", run.stdout + run.stderr


def check_golden(name: str, text: str, emulator_url: str) -> None:
    """Compare with tests/data/ci/NAME; UPDATE_GOLDENS=1 rewrites it."""
    normal = text.replace(emulator_url.rstrip("/"), "http://emulator.invalid")
    normal = normal.replace(__version__, "VERSION")
    golden = GOLDENS / name
    if os.environ.get("UPDATE_GOLDENS"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(normal, encoding="utf-8")
    assert normal == golden.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------------------------
# GitHub's size limits, with a plan far larger than both.


def huge_plan(count: int = 1500) -> Plan:
    """Over a thousand updates with long non-ASCII text, so bytes and characters differ."""
    long = "Zahlungsverkehr für Übersee ✓ " * 8
    changes = tuple(
        ConnectorChange(
            key=f"connector-{i:05d}",
            change=Change.UPDATE,
            id=f"00000000-0000-4000-8000-{i:012d}",
            version=3,
            actions=(
                {"action": "setName", "name": f"{long}{i}"},
                {"action": "setDescription", "description": f"{long}{i}"},
            ),
            diff=(DiffEntry("name", "Altes Gerät ✗", f"{long}{i}"),),
            source=f"connectors/connector-{i:05d}.yaml:1:1",
        )
        for i in range(count)
    )
    target = Target("https://connect.europe-west1.gcp.commercetools.com", "acme")
    return Plan(target, "2026-11-30T12:00:00Z", changes, ())


def test_huge_plan_is_truncated_under_both_limits(tmp_path: Path) -> None:
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(planfile.plan_to_json(huge_plan()), encoding="utf-8")
    runner = ActionRunner(tmp_path, {})
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "summary")
    run = ActionRun({}, {"install": {"python": sys.executable}}, "", "", "")
    run.step_outputs["run"] = {
        "exitcode": "2",
        "plan-file": str(plan_file),
        "log-file": "",
        "out-dir": str(tmp_path),
    }
    inputs = {"command": "plan"}
    env = {k: runner.resolve(str(v), inputs, run) for k, v in step["env"].items()}
    code, outputs = runner.step(step["run"], env, run)
    assert code == 0, run.stderr
    assert outputs["has-changes"] == "true"
    comment = Path(outputs["summary-file"]).read_text(encoding="utf-8")
    assert len(comment) < COMMENT_LIMIT
    assert len(run.summary.encode("utf-8")) < SUMMARY_LIMIT
    assert len(run.summary.encode("utf-8")) > 500_000  # the summary uses its larger budget
    for text in (comment, run.summary):
        shown = text.count("<details>")
        assert f"… {1500 - shown} more connectors not shown" in text
        assert text.rstrip().endswith("**connectorctl plan** succeeded with changes.")


# ------------------------------------------------------------------------------------------------
# The install step itself, in a throwaway virtual environment.


@pytest.mark.slow
def test_install_step_builds_a_working_venv(tmp_path: Path) -> None:
    pytest.importorskip("hatchling", reason="building connectorctl offline needs hatchling")
    runner = ActionRunner(tmp_path, {"CONNECTORCTL_ACTION_OFFLINE": "1"})
    del runner.env["CONNECTORCTL_ACTION_SKIP_INSTALL"]
    step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "install")
    run = ActionRun({}, {}, "", "", "")
    env = {k: runner.resolve(str(v), {}, run) for k, v in step["env"].items()}
    code, outputs = runner.step(step["run"], env, run)
    assert code == 0, run.stdout + run.stderr
    python = Path(outputs["python"])
    assert python.is_relative_to(tmp_path / "runner")
    version = subprocess.run(
        [str(python), "-m", "connectorctl", "--version"], capture_output=True, text=True
    )
    assert version.stdout.strip() == f"connectorctl, version {__version__}"


# ------------------------------------------------------------------------------------------------
# Supply chain: pinned actions, the constraints file, fork pull requests.

USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(\S+?)@(\S+)(.*)$", re.MULTILINE)


@pytest.mark.parametrize("path", [REPO / "action.yml", *WORKFLOWS], ids=lambda p: p.name)
def test_every_third_party_action_is_pinned_to_a_commit(path: Path) -> None:
    found = USES.findall(path.read_text(encoding="utf-8"))
    assert found
    for name, ref, comment in found:
        if name == "connectorctl/connectorctl":
            continue  # this action, by its release tag
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{name}@{ref} is not a commit"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{name}: no version comment"


def test_setup_python_is_skipped_with_skip_install_and_the_install_is_constrained() -> None:
    steps = {step["name"]: step for step in ACTION["runs"]["steps"]}
    condition = steps["Set up Python"]["if"]
    assert "env.CONNECTORCTL_ACTION_SKIP_INSTALL != '1'" in condition
    install = steps["Install connectorctl"]["run"]
    assert '--constraint "$ACTION_PATH/constraints.txt" "$ACTION_PATH"' in install
    assert steps["Cache pip downloads"]["with"]["path"] == "${{ steps.pip-cache.outputs.dir }}"
    scripts = "".join(step.get("run", "") for step in ACTION["runs"]["steps"])
    assert "<<" not in scripts  # no inline program: the summary comes from `connectorctl show`
    assert scripts.count('"${cli[@]}" show "$PLAN_FILE" --format markdown') == 2


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_example_workflows_keep_permissions_and_credentials_tight(path: Path) -> None:
    workflow = load_yaml(path)
    assert workflow["permissions"] == {}
    assert workflow["concurrency"]["group"].startswith("connectorctl-")
    for job in workflow["jobs"].values():
        assert "permissions" in job
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_a_pull_request_without_credentials_skips_plan_with_a_notice(tmp_path: Path) -> None:
    runner = ActionRunner(tmp_path, {}, event="pull_request")
    runner.write("connectors/payment.yaml", PAYMENT)
    run = runner.run(command="plan", paths="connectors")
    assert run.succeeded, run.stdout + run.stderr
    assert run.outputs == {
        "exitcode": "0",
        "has-changes": "false",
        "plan-file": "",
        "summary-file": run.outputs["summary-file"],
        "result-file": "",
    }
    assert "::notice::connectorctl plan skipped: this pull request has no Connect API" in run.stdout
    assert run.summary_file() == (
        "**connectorctl plan** skipped: no Connect API credentials "
        "(a pull request from a fork gets no secrets).\n"
    )
    validated = runner.run(command="validate", paths="connectors")
    assert validated.succeeded and validated.outputs["exitcode"] == "0"


def test_a_push_without_credentials_still_fails(tmp_path: Path) -> None:
    runner = ActionRunner(tmp_path, {}, event="push")
    runner.write("connectors/payment.yaml", PAYMENT)
    run = runner.run(command="plan", paths="connectors")
    assert run.failed_step == "Fail on errors"
    assert run.outputs["exitcode"] == "1"
    assert "skipped" not in run.stdout


def _two_targets(runner: ActionRunner, emulator: Any) -> None:
    lines = ["apiVersion: connectorctl/v1", "kind: Config", "paths: [connectors/]", "targets:"]
    for name in ("staging", "production"):
        lines += [
            f"  {name}:",
            f"    connectUrl: {emulator.url}",
            f"    authUrl: {emulator.url}/oauth/token",
            f"    projectKey: {emulator.project_key}",
            "    credentials: {clientId: CTP_CLIENT_ID, clientSecret: CTP_CLIENT_SECRET}",
        ]
    runner.write("connectorctl.yaml", "\n".join(lines) + "\n")
    (runner.workspace / ".git").mkdir(exist_ok=True)


def test_all_targets_plans_every_target_in_one_summary(runner: ActionRunner, emulator: Any) -> None:
    _two_targets(runner, emulator)
    run = runner.run(command="plan", **{"all-targets": "true"})
    assert run.succeeded, run.stdout + run.stderr
    assert (run.outputs["exitcode"], run.outputs["has-changes"]) == ("2", "true")
    summary = run.summary_file()
    assert "## Target <code>staging</code>" in summary
    assert "## Target <code>production</code>" in summary
    plans = json.loads(Path(run.outputs["plan-file"]).read_text(encoding="utf-8"))
    assert [p["target"]["name"] for p in plans["targets"]] == ["staging", "production"]


def test_target_input_selects_one_target_and_all_targets_is_refused_for_apply(
    runner: ActionRunner, emulator: Any
) -> None:
    _two_targets(runner, emulator)
    run = runner.run(command="plan", target="production")
    assert run.succeeded, run.stdout + run.stderr
    plan = json.loads(Path(run.outputs["plan-file"]).read_text(encoding="utf-8"))
    assert plan["target"]["name"] == "production"
    refused = runner.run(command="apply", **{"all-targets": "true"})
    assert refused.failed_step == "Fail on errors"
    assert "::error::all-targets is for validate and plan; apply one target per job" in (
        refused.stdout
    )
