"""The loader reads every registered kind: Deployments and tombstones, each by its own schema."""

from __future__ import annotations

from pathlib import Path

from connectorctl.config import Selection
from connectorctl.manifest.loader import load_manifests

CONNECTOR = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: pay
name: Pay
creator: {email: team@acme.example}
repository: {url: "git@github.com:acme/pay.git", tag: v1}
"""
DEPLOYMENT = """\
apiVersion: connectorctl/v1
kind: Deployment
key: pay
connector: {key: pay}
region: europe-west1.gcp
configurations:
  - applicationName: service
    standardConfiguration: {LOG_LEVEL: "${LEVEL:-info}"}
    securedConfiguration: {PSP_API_KEY: "${PSP_API_KEY}"}
"""


def load(tmp_path: Path, text: str, env: dict[str, str] | None = None) -> tuple[list, list[str]]:
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    result = load_manifests(Selection(paths=(str(tmp_path),)), env or {})
    problems = [f"{p.line}:{p.col}: {p.message}" for p in result.problems]
    return list(result.desired), problems


def test_a_deployment_loads_with_its_kind_and_its_secured_placeholder_unread(
    tmp_path: Path,
) -> None:
    desired, problems = load(tmp_path, DEPLOYMENT, {"PSP_API_KEY": "live-secret-value-123"})
    assert problems == []
    [deployment] = desired
    assert (deployment.kind, deployment.key) == ("Deployment", "pay")
    app = deployment.spec["configurations"][0]
    assert app["standardConfiguration"] == {"LOG_LEVEL": "info"}
    assert app["securedConfiguration"] == {"PSP_API_KEY": "${PSP_API_KEY}"}


def test_a_connector_and_a_deployment_may_share_a_key(tmp_path: Path) -> None:
    desired, problems = load(tmp_path, CONNECTOR + "---\n" + DEPLOYMENT)
    assert problems == []
    assert sorted((d.kind, d.key) for d in desired) == [
        ("ConnectorStaged", "pay"),
        ("Deployment", "pay"),
    ]


def test_two_deployments_with_one_key_are_a_problem_at_the_second(tmp_path: Path) -> None:
    _, problems = load(tmp_path, DEPLOYMENT + "---\n" + DEPLOYMENT)
    assert len(problems) == 1
    assert problems[0].startswith("13:1: duplicate deployment key 'pay' (also defined at ")
    assert problems[0].endswith("m.yaml:3:1)")


def test_a_literal_secured_value_is_refused_at_its_place(tmp_path: Path) -> None:
    _, problems = load(tmp_path, DEPLOYMENT.replace('"${PSP_API_KEY}"', "hunter2-literal"))
    assert len(problems) == 1
    assert problems[0].startswith("9:")


def test_deployment_rules_beyond_the_schema_point_at_the_field(tmp_path: Path) -> None:
    text = DEPLOYMENT.replace("connector: {key: pay}", "connector: {key: pay, staged: true}")
    _, problems = load(tmp_path, text.replace("region:", "type: production\nregion:"))
    assert problems == ["5:7: a staged connector deploys only as 'preview', not 'production'"]


def test_a_connector_tombstone_loads_and_keeps_listed_false(tmp_path: Path) -> None:
    text = "apiVersion: connectorctl/v1\nkind: ConnectorStaged\nkey: old\nstate: absent\n"
    desired, problems = load(tmp_path, text + "listed: false\n")
    assert problems == []
    assert desired[0].spec == {"key": "old", "state": "absent", "listed": False}


def test_a_tombstone_with_data_says_what_a_tombstone_holds(tmp_path: Path) -> None:
    text = "apiVersion: connectorctl/v1\nkind: ConnectorStaged\nkey: old\nstate: absent\n"
    _, problems = load(tmp_path, text + "name: Old\nlisted: true\n")
    assert problems == [
        "5:1: 'name' has no place in a tombstone (state: absent): it holds only apiVersion, "
        "kind, key, state, targets and listed: false",
        "6:9: 'listed' must be false, not true",
    ]


def test_an_unknown_kind_names_the_known_ones(tmp_path: Path) -> None:
    _, problems = load(tmp_path, CONNECTOR.replace("kind: ConnectorStaged", "kind: Widget"))
    assert problems == ["2:7: 'kind' must be ConnectorStaged or Deployment, not 'Widget'"]
