"""connectorctl.yaml on its own: finding it, its schema and rules, target selection, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from connectorctl.cli import run_cli
from connectorctl.commands._targets import combine_exit_codes
from connectorctl.config import ProjectOptions, Selection, TargetOptions
from connectorctl.errors import ConfigError
from connectorctl.manifest.loader import load_manifests
from connectorctl.project import ConfigProblems, find_config, load_config
from connectorctl.targets import target_runs

Capture = pytest.CaptureFixture[str]

CONFIG = """\
apiVersion: connectorctl/v1
kind: Config
paths: [connectors/]
exclude: ["**/connect.yaml"]
defaults: {parallelism: 4, timeout: 90}
targets:
  staging:
    region: europe-west1.gcp
    projectKey: acme-staging
    scopes: ["manage_connectors:acme-staging"]
    credentials: {clientId: STAGING_ID, clientSecret: STAGING_SECRET}
    variables: {TAG: v1.5.0-rc.1}
    secrets: [PSP_API_KEY]
    prune: {keys: ["acme-*"]}
  production:
    connectUrl: https://connect.example
    authUrl: https://auth.example/oauth/token
    projectKey: acme-prod
    credentials: {clientId: PROD_ID, clientSecret: PROD_SECRET}
"""
MANIFEST = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: acme-payments
name: Payments
creator: {email: team@acme.example}
repository: {url: "git@github.com:acme/p.git", tag: "${TAG:-v1.0.0}"}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("CTP_PROJECT_KEY", "CTP_CLIENT_ID", "CONNECTORCTL_CONFIG", "CONNECTORCTL_TARGET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("TAG", raising=False)
    (tmp_path / ".git").mkdir()
    (tmp_path / "connectorctl.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "connectors" / "payments").mkdir(parents=True)
    (tmp_path / "connectors" / "payments" / "p.yaml").write_text(MANIFEST, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems_of(text: str, tmp_path: Path) -> list[str]:
    path = tmp_path / "connectorctl.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigProblems) as caught:
        load_config(path)
    return [str(p) for p in caught.value.problems]


def test_config_is_read_with_every_field(repo: Path) -> None:
    config = load_config(repo / "connectorctl.yaml")
    assert config.names == ("staging", "production")
    assert (config.paths, config.exclude) == (("connectors/",), ("**/connect.yaml",))
    assert (config.parallelism, config.timeout, config.default_target) == (4, 90.0, None)
    staging = config.target("staging")
    assert staging is not None
    assert (staging.project_key, staging.region) == ("acme-staging", "europe-west1.gcp")
    assert (staging.client_id_var, staging.client_secret_var) == ("STAGING_ID", "STAGING_SECRET")
    assert staging.scopes == ("manage_connectors:acme-staging",)
    assert dict(staging.variables) == {"TAG": "v1.5.0-rc.1"}
    assert (staging.secrets, staging.prune_keys) == (("PSP_API_KEY",), ("acme-*",))
    assert staging.place == "connectorctl.yaml:7:3"
    production = config.target("production")
    assert production is not None and production.prune_keys is None
    assert production.connect_url == "https://connect.example"


def test_config_found_from_a_subfolder_but_not_above_git(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo / "connectors" / "payments")
    assert find_config(None, {}) == repo / "connectorctl.yaml"
    inner = repo / "inner"
    (inner / ".git").mkdir(parents=True)
    assert find_config(None, {}, cwd=str(inner)) is None


def test_config_option_and_variable_name_another_file(repo: Path) -> None:
    assert find_config("connectorctl.yaml", {}) == Path("connectorctl.yaml")
    assert find_config(None, {"CONNECTORCTL_CONFIG": "connectorctl.yaml"}) == Path(
        "connectorctl.yaml"
    )
    with pytest.raises(ConfigError, match=r"^--config: config file 'nope\.yaml' not found$"):
        find_config("nope.yaml", {})


def test_schema_problems_are_at_file_line_col(repo: Path) -> None:
    text = CONFIG.replace("    projectKey: acme-prod\n", "    projectkey: acme-prod\n")
    text = text.replace("parallelism: 4", "parallelism: 0")
    assert problems_of(text, repo) == [
        "connectorctl.yaml:5:25: 'defaults.parallelism' must be at least 1, not 0",
        "connectorctl.yaml:16:5: missing required field 'targets.production.projectKey'",
        "connectorctl.yaml:18:5: unknown field 'projectkey' (did you mean 'projectKey'?)",
    ]


def test_target_and_key_patterns_match_whole_strings(repo: Path) -> None:
    text = CONFIG.replace("projectKey: acme-prod", 'projectKey: "acme-prod\\n"')
    problems = problems_of(text, repo)
    assert len(problems) == 1 and problems[0].startswith("connectorctl.yaml:18:17: ")


def test_rules_beyond_the_schema(repo: Path) -> None:
    text = CONFIG.replace("    variables: {TAG: v1.5.0-rc.1}", "    variables: {PSP_API_KEY: x}")
    text = text.replace("    connectUrl: https://connect.example\n", "")
    text += "defaultTarget: qa\n"
    assert problems_of(text, repo) == [
        "connectorctl.yaml:12:17: variable 'PSP_API_KEY' is a secret or credential of target "
        "'staging': its value comes from the environment, never from this file",
        "connectorctl.yaml:15:3: target 'production' needs 'region', or both 'connectUrl' "
        "and 'authUrl'",
        "connectorctl.yaml:19:16: defaultTarget 'qa' is not a target "
        "(targets: staging, production)",
    ]


def test_config_problems_are_reported_by_validate(repo: Path, capsys: Capture) -> None:
    (repo / "connectorctl.yaml").write_text(CONFIG + "defaultTarget: [x]\n", encoding="utf-8")
    assert run_cli(["validate", "--format", "json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {
        "problems": [
            {
                "file": "connectorctl.yaml",
                "line": 20,
                "col": 16,
                "message": "'defaultTarget' must be a string, not a list",
            }
        ]
    }
    assert captured.err == "error: 1 problem in connectorctl.yaml\n"


def test_a_target_run_has_paths_variables_and_secret_names(repo: Path) -> None:
    project = ProjectOptions(target="staging")
    [run] = target_runs(project, TargetOptions(), Selection(), {"X": "1"})
    assert run.name == "staging"
    assert run.selection.paths == ("connectors",)
    assert run.selection.target == "staging"
    assert run.selection.known_targets == ("staging", "production")
    assert run.selection.secret_names == ("STAGING_SECRET", "PSP_API_KEY", "PROD_SECRET")
    assert run.target.selected is not None and run.target.selected.project_key == "acme-staging"
    assert run.env == {"X": "1", "TAG": "v1.5.0-rc.1"}
    desired = load_manifests(run.selection, run.env).desired
    assert [d.spec["repository"]["tag"] for d in desired] == ["v1.5.0-rc.1"]


def test_without_a_target_ctp_settings_are_used_as_before(repo: Path) -> None:
    [run] = target_runs(ProjectOptions(), TargetOptions(), Selection(), {})
    assert (run.name, run.target.selected, run.selection.target) == (None, None, None)
    assert run.selection.paths == ("connectors",)


def test_config_excludes_are_relative_to_the_config(repo: Path) -> None:
    connect = repo / "connectors" / "payments" / "connect.yaml"
    connect.write_text("deployAs: []\n", encoding="utf-8")
    [run] = target_runs(ProjectOptions(target="staging"), TargetOptions(), Selection(), {})
    loaded = load_manifests(run.selection, run.env)
    assert (loaded.problems, [d.key for d in loaded.desired]) == ((), ["acme-payments"])


def test_a_config_file_among_manifests_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "connectorctl.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "p.yaml").write_text(MANIFEST, encoding="utf-8")
    loaded = load_manifests(Selection(paths=(str(tmp_path),)), {})
    assert (loaded.problems, [d.key for d in loaded.desired]) == ((), ["acme-payments"])


def test_all_targets_needs_targets_and_not_target(repo: Path, capsys: Capture) -> None:
    assert run_cli(["validate", "--all-targets", "--target", "staging"]) == 1
    assert capsys.readouterr().err == "error: give either --target or --all-targets, not both\n"
    (repo / "connectorctl.yaml").write_text("apiVersion: connectorctl/v1\nkind: Config\n")
    assert run_cli(["validate", "--all-targets"]) == 1
    assert capsys.readouterr().err == (
        "error: --all-targets needs a connectorctl.yaml that defines targets\n"
    )


def test_target_without_a_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=r"^--target staging: no connectorctl\.yaml found"):
        target_runs(ProjectOptions(target="staging"), TargetOptions(), Selection(), {})


def test_validate_all_targets_text_sections(repo: Path, capsys: Capture) -> None:
    assert run_cli(["validate", "--all-targets", "--format", "text"]) == 0
    out = capsys.readouterr().out
    assert out == (
        "=== target staging ===\nno problems\n1 manifest valid for staging\n\n"
        "=== target production ===\nno problems\n1 manifest valid for production\n"
    )


def test_schema_config_prints_the_config_schema(capsys: Capture) -> None:
    assert run_cli(["schema", "--config"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "connectorctl project config (connectorctl.yaml, v1)"
    assert schema["properties"]["kind"] == {"description": "Always Config.", "const": "Config"}


@pytest.mark.parametrize(
    ("codes", "combined"),
    [
        ([], 0),
        ([0, 0], 0),
        ([0, 2], 2),
        ([2, 1, 0], 1),
        ([1, 3, 2], 3),
        ([3, 130, 1], 130),
    ],
)
def test_exit_codes_combine_by_severity(codes: list[int], combined: int) -> None:
    assert combine_exit_codes(codes) == combined


def test_paths_are_relative_to_a_config_named_from_elsewhere(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (repo / "ci").mkdir()
    monkeypatch.chdir(repo / "ci")
    project = ProjectOptions(target="production", config="../connectorctl.yaml")
    [run] = target_runs(project, TargetOptions(), Selection(), {})
    assert run.selection.paths == ("../connectors",)
    loaded = load_manifests(run.selection, run.env)
    assert [d.location.file for d in loaded.desired] == ["../connectors/payments/p.yaml"]


def test_config_defaults_fill_only_options_left_at_their_defaults(repo: Path) -> None:
    from connectorctl.commands._targets import prepare_apply
    from connectorctl.config import ApplyOptions

    project = ProjectOptions(target="staging", defaulted=("parallelism", "timeout"))
    options = ApplyOptions(Selection(), TargetOptions(), project=project)
    prepared, env, reviewed = prepare_apply(options, {}, "text")
    assert (prepared.parallelism, prepared.timeout, reviewed) == (4, 90.0, None)
    assert env == {"TAG": "v1.5.0-rc.1"}
    given = ProjectOptions(target="staging", defaulted=("timeout",))
    options = ApplyOptions(Selection(), TargetOptions(), parallelism=2, project=given)
    prepared, _, _ = prepare_apply(options, {}, "text")
    assert (prepared.parallelism, prepared.timeout) == (2, 90.0)
