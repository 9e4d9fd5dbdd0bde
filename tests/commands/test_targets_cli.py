"""connectorctl.yaml targets end to end: two emulator projects at once, over real loopback HTTP."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from connectorctl.cli import run_cli
from connectorctl.resources import load_schema

Capture = pytest.CaptureFixture[str]

MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: {key}
name: {name}
creator:
  email: team@acme.example
repository:
  url: git@github.com:acme/{key}.git
  tag: ${{TAG:-v1.0.0}}
"""


class Project:
    """One emulator serving one project (the token's project decides whose data it is)."""

    def __init__(self, running: Any) -> None:
        self.url = running.url
        self.project_key = running.project_key
        self._http = httpx.Client(base_url=running.url, timeout=10)

    def admin(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, f"/_emulator/{path}", json=body)
        response.raise_for_status()
        return response.json()


@pytest.fixture(scope="module")
def _projects() -> Iterator[dict[str, Project]]:
    from connectorctl.emulator.server import start_emulator

    with (
        start_emulator(project_key="acme-staging") as staging,
        start_emulator(project_key="acme-prod") as production,
    ):
        yield {"staging": Project(staging), "production": Project(production)}


def config_text(projects: dict[str, Project], extra: dict[str, str] | None = None) -> str:
    extra = extra or {}
    lines = [
        "apiVersion: connectorctl/v1",
        "kind: Config",
        "paths: [connectors/]",
        "targets:",
    ]
    for name, var in (("staging", "STAGING"), ("production", "PROD")):
        project = projects[name]
        lines += [
            f"  {name}:",
            f"    connectUrl: {project.url}",
            f"    authUrl: {project.url}/oauth/token",
            f"    projectKey: {project.project_key}",
            f"    credentials: {{clientId: {var}_ID, clientSecret: {var}_SECRET}}",
        ]
        if name in extra:
            lines.append(extra[name])
    return "\n".join(lines) + "\n"


@pytest.fixture
def projects(
    _projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> dict[str, Project]:
    """Both projects reset, a repository in a fresh cwd with connectorctl.yaml, credentials set."""
    for project in _projects.values():
        project.admin("POST", "reset")
        project.admin("POST", "settings", {"preview_delay": 0, "publish_delay": 0})
    monkeypatch.delenv("TAG", raising=False)  # CTP_*, CONNECTORCTL_*, GITHUB_*: conftest
    for var in ("STAGING", "PROD"):
        monkeypatch.setenv(f"{var}_ID", "emulator-client")
        monkeypatch.setenv(f"{var}_SECRET", "emulator-secret")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    (tmp_path / ".git").mkdir()
    (tmp_path / "connectorctl.yaml").write_text(config_text(_projects), encoding="utf-8")
    write_manifest("payment-gateway")
    return _projects


def write_manifest(key: str, extra: str = "", name: str = "Payment Gateway") -> None:
    folder = Path("connectors")
    folder.mkdir(exist_ok=True)
    text = MANIFEST.format(key=key, name=name) + extra
    (folder / f"{key}.yaml").write_text(text, encoding="utf-8")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run_cli(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def plan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code, out, err = run(capsys, "plan", "--format", "json", *argv)
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def changes(plan: dict[str, Any]) -> dict[str, str]:
    return {c["key"]: c["change"] for c in plan["connectors"]}


def test_plan_all_targets_shows_both_projects(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "plan", "--all-targets")
    assert code == 0, err
    assert out.index("=== target staging ===") < out.index("=== target production ===")
    assert 'Plan for target "staging": project "acme-staging"' in out
    assert 'Plan for target "production": project "acme-prod"' in out
    assert out.count("payment-gateway (connectors/payment-gateway.yaml:1:1) will be created") == 2


def test_plan_all_targets_json_is_one_planset(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    data = plan_json(capsys, "--all-targets")
    assert list(data) == ["format_version", "kind", "targets"]
    assert (data["format_version"], data["kind"]) == ("1", "PlanSet")
    jsonschema.validate(data, load_schema("planset.schema.json"))
    assert [p["kind"] for p in data["targets"]] == ["Plan", "Plan"]
    assert [p["target"]["name"] for p in data["targets"]] == ["staging", "production"]
    assert [p["target"]["project_key"] for p in data["targets"]] == ["acme-staging", "acme-prod"]
    for plan in data["targets"]:
        jsonschema.validate(plan, load_schema("plan.schema.json"))


def test_plan_all_targets_markdown_names_each_target(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "plan", "--all-targets", "--format", "markdown")
    assert code == 0
    assert "## Target <code>staging</code>" in out and "## Target <code>production</code>" in out


def test_apply_target_staging_writes_only_to_staging(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "apply", "--target", "staging", "--auto-approve")
    assert code == 0, err + out
    assert changes(plan_json(capsys, "--target", "staging")) == {"payment-gateway": "unchanged"}
    assert changes(plan_json(capsys, "--target", "production")) == {"payment-gateway": "create"}


def test_credentials_come_from_the_named_variables_not_ctp(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    monkeypatch.setenv("CTP_CLIENT_ID", "someone-else")
    monkeypatch.setenv("CTP_CLIENT_SECRET", "wrong-secret")
    monkeypatch.setenv("CTP_CONNECT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("CTP_AUTH_URL", "http://127.0.0.1:9/oauth/token")
    plan = plan_json(capsys, "--target", "production")
    assert plan["target"] == {
        "name": "production",
        "connect_url": projects["production"].url,
        "project_key": "acme-prod",
    }
    monkeypatch.setenv("PROD_SECRET", "not-the-secret")
    code, _, err = run(capsys, "plan", "--target", "production")
    assert code == 1
    assert err.startswith("error: authentication failed")
    assert "not-the-secret" not in err


def test_missing_credentials_variable_names_target_and_variable(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    monkeypatch.delenv("PROD_SECRET")
    code, out, err = run(capsys, "plan", "--target", "production")
    assert code == 1 and out == ""
    assert err == (
        "error: target 'production': the environment variable PROD_SECRET is not set "
        "(credentials of the target at connectorctl.yaml:10:3)\n"
    )


def test_all_targets_goes_on_after_one_fails_and_combines_exit_codes(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    monkeypatch.delenv("STAGING_ID")
    code, out, err = run(capsys, "plan", "--all-targets", "--detailed-exitcode")
    assert code == 1
    assert "STAGING_ID is not set" in err
    assert 'Plan for target "production": project "acme-prod"' in out


def test_all_targets_detailed_exitcode_is_2_with_changes(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "apply", "--target", "staging", "--auto-approve")[0] == 0
    code, _, _ = run(capsys, "plan", "--all-targets", "--detailed-exitcode")
    assert code == 2


def test_variable_in_target_and_environment_is_an_error_naming_both(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    config = config_text(projects, {"staging": "    variables: {TAG: v2.0.0}"})
    Path("connectorctl.yaml").write_text(config, encoding="utf-8")
    plan = plan_json(capsys, "--target", "staging")
    assert plan["connectors"][0]["draft"]["repository"]["tag"] == "v2.0.0"
    monkeypatch.setenv("TAG", "v2.0.0")  # the same value: no conflict
    assert run(capsys, "plan", "--target", "staging")[0] == 0
    monkeypatch.setenv("TAG", "v3.0.0")
    code, _, err = run(capsys, "plan", "--target", "staging")
    assert code == 1
    assert err == (
        "error: variable TAG is set both by target 'staging' (connectorctl.yaml:5:3) and in "
        "the environment, with another value: unset one of them\n"
    )


def test_manifest_for_one_target_is_neither_created_nor_unmanaged_in_the_other(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest("staging-only", "targets: [staging]\n", name="Staging Only")
    projects["production"].admin(
        "POST",
        "seed",
        {
            "key": "staging-only",
            "name": "Staging Only",
            "creator": {"email": "team@acme.example"},
            "repository": {"url": "git@github.com:acme/staging-only.git", "tag": "v1.0.0"},
        },
    )
    staging = plan_json(capsys, "--target", "staging")
    assert changes(staging) == {"payment-gateway": "create", "staging-only": "create"}
    production = plan_json(capsys, "--target", "production")
    assert changes(production) == {"payment-gateway": "create"}
    assert production["unmanaged"] == []
    assert production["summary"]["unmanaged"] == 0
    code, _, err = run(capsys, "apply", "--target", "production", "--auto-approve")
    assert code == 0, err
    assert changes(plan_json(capsys, "--target", "production")) == {"payment-gateway": "unchanged"}


def test_same_key_for_disjoint_targets_is_not_a_duplicate(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest("payment-gateway", "targets: [staging]\n")
    other = MANIFEST.format(key="payment-gateway", name="Payments (prod)")
    Path("connectors/prod.yaml").write_text(other + "targets: [production]\n", encoding="utf-8")
    data = plan_json(capsys, "--all-targets")
    names = [p["connectors"][0]["draft"]["name"] for p in data["targets"]]
    assert names == ["Payment Gateway", "Payments (prod)"]


def test_targets_in_a_manifest_without_a_selected_target_is_a_problem(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest("payment-gateway", "targets: [staging]\n")
    code, out, _ = run(capsys, "validate")
    assert code == 1
    assert out.startswith(
        "connectors/payment-gateway.yaml:10:10: 'targets' needs a selected target (--target NAME, "
        "CONNECTORCTL_TARGET or defaultTarget in connectorctl.yaml)\n"
    )


def test_unknown_target_in_a_manifest_is_a_problem(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest("payment-gateway", "targets: [staging, qa]\n")
    code, out, _ = run(capsys, "validate", "--target", "staging")
    assert code == 1
    assert out.startswith(
        "connectors/payment-gateway.yaml:10:20: unknown target 'qa' "
        "(connectorctl.yaml defines: staging, production)\n"
    )


def test_target_flags_with_target_are_a_usage_error(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "plan", "--target", "staging", "--project-key", "other")
    assert code == 1
    assert err.startswith("error: --target selects a connectorctl.yaml target")
    code, _, err = run(capsys, "--region", "europe-west1.gcp", "plan", "--target", "staging")
    assert code == 1 and "--target selects" in err


def test_unknown_target_names_the_known_ones(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    monkeypatch.setenv("CONNECTORCTL_TARGET", "qa")
    code, _, err = run(capsys, "plan")
    assert code == 1
    assert err == (
        "error: CONNECTORCTL_TARGET: unknown target 'qa' in connectorctl.yaml "
        "(targets: staging, production)\n"
    )


def test_default_target_applies_only_without_ctp_settings(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    text = config_text(projects) + "defaultTarget: production\n"
    Path("connectorctl.yaml").write_text(text, encoding="utf-8")
    assert plan_json(capsys)["target"]["name"] == "production"
    monkeypatch.setenv("CTP_PROJECT_KEY", "acme-prod")
    code, _, err = run(capsys, "plan")
    assert code == 1
    assert err == (
        "error: two sources choose the project: defaultTarget 'production' in connectorctl.yaml, "
        "and CTP_PROJECT_KEY; pass --target NAME, or unset CTP_PROJECT_KEY\n"
    )
    assert plan_json(capsys, "--target", "staging")["target"]["name"] == "staging"


def test_emulator_with_a_target_keeps_its_project(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    monkeypatch.delenv("PROD_SECRET")  # --emulator needs no credentials
    plan = plan_json(capsys, "--target", "production", "--emulator")
    assert plan["target"] == {
        "name": "production",
        "connect_url": "http://connectorctl-emulator.localhost",
        "project_key": "acme-prod",
    }
    assert Path(".connectorctl/emulator-acme-prod.sqlite").is_file()


def test_apply_planset_needs_target_and_applies_that_plan(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "plan", "--all-targets", "--out", "plans.json")[0] == 0
    assert json.loads(Path("plans.json").read_text())["kind"] == "PlanSet"
    code, _, err = run(capsys, "apply", "--plan", "plans.json")
    assert code == 1
    assert err == (
        "error: plans.json holds the plans of several targets (staging, production): "
        "pass --target NAME\n"
    )
    code, _, err = run(
        capsys, "apply", "--plan", "plans.json", "--target", "production", "--auto-approve"
    )
    assert code == 0, err
    assert changes(plan_json(capsys, "--target", "production")) == {"payment-gateway": "unchanged"}
    assert changes(plan_json(capsys, "--target", "staging")) == {"payment-gateway": "create"}


def test_saved_plan_applies_to_the_target_it_names(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "plan", "--target", "production", "--out", "prod.json")[0] == 0
    code, _, err = run(capsys, "apply", "--plan", "prod.json", "--target", "staging")
    assert code == 1
    assert err == "error: the plan is for target 'production', not 'staging'\n"
    assert run(capsys, "apply", "--plan", "prod.json", "--auto-approve")[0] == 0
    assert changes(plan_json(capsys, "--target", "production")) == {"payment-gateway": "unchanged"}
    assert changes(plan_json(capsys, "--target", "staging")) == {"payment-gateway": "create"}


def test_validate_all_targets_json(
    projects: dict[str, Project], capsys: pytest.CaptureFixture[str]
) -> None:
    write_manifest("staging-only", "targets: [staging, qa]\n", name="Staging Only")
    code, out, _ = run(capsys, "validate", "--all-targets", "--format", "json")
    assert code == 1
    problem = {
        "file": "connectors/staging-only.yaml",
        "line": 10,
        "col": 20,
        "message": "unknown target 'qa' (connectorctl.yaml defines: staging, production)",
    }
    assert json.loads(out) == {
        "targets": [
            {"name": "staging", "problems": [problem]},
            {"name": "production", "problems": [problem]},
        ]
    }


def test_export_target_reads_that_project(projects: dict[str, Project], capsys: Capture) -> None:
    assert run(capsys, "apply", "--target", "production", "--auto-approve")[0] == 0
    code, _, err = run(capsys, "export", "--target", "staging", "--output-dir", "staging")
    assert (code, err) == (0, "exported 0 connector(s) to staging\n")
    code, _, err = run(capsys, "export", "--target", "production", "--output-dir", "prod")
    assert (code, err) == (0, "exported 1 connector(s) to prod\n")
    assert sorted(p.name for p in Path("prod").iterdir()) == ["payment-gateway.yaml"]


def test_markdown_plan_of_a_target_names_it(projects: dict[str, Project], capsys: Capture) -> None:
    code, out, _ = run(capsys, "plan", "--target", "staging", "--format", "markdown")
    assert code == 0
    assert out.startswith(
        "### connectorctl plan: target <code>staging</code>, project <code>acme-staging</code>\n"
    )


def test_plan_made_without_a_target_applies_with_ctp_settings(
    projects: dict[str, Project], monkeypatch: pytest.MonkeyPatch, capsys: Capture
) -> None:
    production = projects["production"]
    monkeypatch.setenv("CTP_CLIENT_ID", "emulator-client")
    monkeypatch.setenv("CTP_CLIENT_SECRET", "emulator-secret")
    monkeypatch.setenv("CTP_PROJECT_KEY", "acme-prod")
    monkeypatch.setenv("CTP_CONNECT_URL", production.url)
    monkeypatch.setenv("CTP_AUTH_URL", f"{production.url}/oauth/token")
    assert run(capsys, "plan", "--out", "plain.json")[0] == 0
    assert json.loads(Path("plain.json").read_text())["target"]["name"] is None
    code, _, err = run(capsys, "apply", "--plan", "plain.json", "--target", "staging")
    assert (code, err) == (
        1,
        "error: the plan was made without a target: give no --target with it\n",
    )
    assert run(capsys, "apply", "--plan", "plain.json", "--auto-approve")[0] == 0
    assert changes(plan_json(capsys, "--target", "production")) == {"payment-gateway": "unchanged"}


def test_same_key_for_overlapping_targets_is_a_duplicate_in_every_target(
    projects: dict[str, Project], capsys: Capture
) -> None:
    write_manifest("payment-gateway", "targets: [production]\n")
    other = MANIFEST.format(key="payment-gateway", name="Payments (prod)")
    Path("connectors/prod.yaml").write_text(other + "targets: [production]\n", encoding="utf-8")
    problem = (
        "connectors/prod.yaml:3:1: duplicate connector key 'payment-gateway' "
        "(also defined at connectors/payment-gateway.yaml:3:1)\n"
    )
    for target in ("staging", "production"):
        code, out, _ = run(capsys, "validate", "--target", target)
        assert (code, out) == (1, problem + "1 problem in 1 file\n")


@pytest.mark.parametrize("fmt", ["text", "markdown", "github", "json"])
def test_show_prints_a_planset_as_plan_all_targets_printed_it(
    projects: dict[str, Project], capsys: Capture, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796140800")
    code, printed, _ = run(capsys, "plan", "--all-targets", "--format", fmt, "--out", "plans.json")
    assert code == 0
    code, shown, _ = run(capsys, "show", "plans.json", "--format", fmt)
    assert (code, shown) == (0, printed)
    assert "acme-staging" in shown and "acme-prod" in shown
