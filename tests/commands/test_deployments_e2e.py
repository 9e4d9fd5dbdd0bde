"""Deployments end to end: one connector and two deployments (sandbox, production), planned and
applied against the emulator over real loopback HTTP, under every redeploy semantics and
secured-read setting the emulator offers for the API's unknowns."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectorctl.api.client import ConnectClient
from connectorctl.api.target import resolve_target
from connectorctl.cli import run_cli
from connectorctl.config import TargetOptions

CONNECTOR = """\
apiVersion: connectorctl/v1
kind: ConnectorStaged
key: payment-gateway
name: Payment Gateway
creator:
  email: team@acme.example
repository:
  url: git@github.com:acme/payment.git
  tag: {tag}
release: publish
"""
DEPLOYMENT = """\
apiVersion: connectorctl/v1
kind: Deployment
key: payment-gateway-{stage}
connector:
  key: payment-gateway
type: {stage}
region: {region}
configurations:
  - applicationName: service
    standardConfiguration:
      LOG_LEVEL: {level}
      PSP_ENVIRONMENT: {stage}
    securedConfiguration:
      PSP_API_KEY: ${{PSP_{upper}_API_KEY}}
"""
TOMBSTONE = "apiVersion: connectorctl/v1\nkind: {kind}\nkey: {key}\nstate: absent\n"
SECRETS = {"PSP_SANDBOX_API_KEY": "sbx-Secret-0001", "PSP_PRODUCTION_API_KEY": "prd-Secret-0002"}
SANDBOX, PRODUCTION = "payment-gateway-sandbox", "payment-gateway-production"
FAST = {"queued_delay": 0, "deploying_delay": 0, "undeploying_delay": 0}


def write_connector(tag: str = "v1.0.0") -> None:
    Path("repo").mkdir(exist_ok=True)
    Path("repo/payment.yaml").write_text(CONNECTOR.format(tag=tag), encoding="utf-8")


def write_deployment(stage: str, *, level: str = "info", region: str = "europe-west1.gcp") -> None:
    text = DEPLOYMENT.format(stage=stage, upper=stage.upper(), level=level, region=region)
    Path(f"repo/{stage}.yaml").write_text(text, encoding="utf-8")


def write_repository() -> None:
    write_connector()
    write_deployment("sandbox")
    write_deployment("production")


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run_cli(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def rows(out: str) -> dict[str, str]:
    """KEY → RESULT of the apply table."""
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 3 and parts[0] in ("ConnectorStaged", "Deployment"):
            found.setdefault(parts[1], parts[2])
    return found


@pytest.fixture
def deploy_env(env: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The emulator with instant deployment phases and the secured variables set."""
    env.admin("POST", "deployments/settings", FAST)
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def live(deploy_env: Any) -> Iterator[ConnectClient]:
    """Our client, reading what the emulator holds."""
    target = resolve_target(TargetOptions(), deploy_env.env())
    with ConnectClient(target) as client:
        yield client


def deployment(client: ConnectClient, key: str) -> dict[str, Any] | None:
    return client.get_by_key_in("{projectKey}/deployments", key)


def values(found: dict[str, Any] | None, name: str) -> dict[str, str]:
    assert found is not None
    app = found["applications"][0]
    return {entry["key"]: entry["value"] for entry in app[name]}


def test_create_all_in_one_apply_then_no_changes(
    deploy_env: Any, live: ConnectClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_repository()
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve")
    assert code == 0, out
    assert rows(out) == {"payment-gateway": "created", PRODUCTION: "created", SANDBOX: "created"}
    connector = live.get_by_key("payment-gateway")
    assert connector is not None and connector["status"] == "Published"
    for key in (SANDBOX, PRODUCTION):
        found = deployment(live, key)
        assert found is not None
        assert found["connector"]["version"] == connector["version"]
    code, out, _ = cli(capsys, "plan", "repo", "--detailed-exitcode")
    assert code == 0, out


@pytest.mark.parametrize("semantics", ["merge", "replace"])
@pytest.mark.parametrize("secured_read", ["mask", "echo"])
def test_the_life_of_two_deployments(
    deploy_env: Any,
    live: ConnectClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    semantics: str,
    secured_read: str,
) -> None:
    deploy_env.admin(
        "POST", "deployments/settings",
        {"redeploy_semantics": semantics, "secured_read": secured_read},
    )  # fmt: skip
    write_repository()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0

    # A new tag: the connector is published again, then both deployments follow it.
    write_connector("v1.1.0")
    code, out, _ = cli(capsys, "plan", "repo", "--format", "json")
    plan = json.loads(out)
    redeploys = [c for c in plan["connectors"] if c.get("kind") == "Deployment"]
    assert [c["change"] for c in redeploys] == ["update", "update"]
    assert [c["actions"][0]["updateConnector"] for c in redeploys] == [True, True]
    assert redeploys[0]["depends_on"] == [
        {"kind": "ConnectorStaged", "key": "payment-gateway", "until": "settled"}
    ]
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve")
    assert code == 0, out
    assert rows(out) == {
        "payment-gateway": "updated",
        PRODUCTION: "redeployed",
        SANDBOX: "redeployed",
    }
    connector = live.get_by_key("payment-gateway")
    assert connector is not None
    for key in (SANDBOX, PRODUCTION):
        found = deployment(live, key)
        assert found is not None and found["connector"]["version"] == connector["version"]
    assert cli(capsys, "plan", "repo", "--detailed-exitcode")[0] == 0

    # One standard value: one redeploy, carrying the whole configuration.
    write_deployment("sandbox", level="debug")
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve")
    assert rows(out) == {SANDBOX: "redeployed"}  # the table counts the unchanged ones
    assert "2 unchanged" in out
    sandbox = deployment(live, SANDBOX)
    assert values(sandbox, "standardConfiguration") == {
        "LOG_LEVEL": "debug",
        "PSP_ENVIRONMENT": "sandbox",
    }
    if secured_read == "echo":
        assert values(sandbox, "securedConfiguration") == {"PSP_API_KEY": "sbx-Secret-0001"}
    else:
        assert values(sandbox, "securedConfiguration") == {"PSP_API_KEY": "****"}

    # A new secured value: no diff (never perpetual); --redeploy sends it.
    monkeypatch.setenv("PSP_SANDBOX_API_KEY", "sbx-Secret-0003")
    code, out, _ = cli(capsys, "plan", "repo", "--detailed-exitcode")
    assert code == 0, out
    assert f"use --redeploy {SANDBOX} to send them" in out
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve", "--redeploy", SANDBOX)
    assert code == 0, out
    assert rows(out)[SANDBOX] == "redeployed"
    if secured_read == "echo":
        assert values(deployment(live, SANDBOX), "securedConfiguration") == {
            "PSP_API_KEY": "sbx-Secret-0003"
        }

    # Another region: refused without --allow-replace, replaced with it.
    write_deployment("production", region="us-central1.gcp")
    code, out, _ = cli(capsys, "plan", "repo")
    assert code == 1
    assert "needs --allow-replace" in out
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve", "--allow-replace")
    assert code == 0, out
    assert rows(out)[PRODUCTION] == "replaced"
    production = deployment(live, PRODUCTION)
    assert production is not None and production["deployedRegion"] == "us-central1.gcp"
    assert cli(capsys, "plan", "repo", "--detailed-exitcode")[0] == 0


def test_a_failed_deployment_is_an_error_with_its_report(
    deploy_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_repository()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    deploy_env.admin(
        "POST", "deployments/settings", {"deploy_outcome": "failed", "deploying_delay": 0.3}
    )
    deploy_env.admin("POST", "clock", {"advance": 1})  # the first runs end under the new delay
    write_deployment("sandbox", level="debug")
    code, out, err = cli(capsys, "apply", "repo", "--auto-approve", "--wait", "--timeout", "30")
    assert code == 1
    assert err.count(f"waiting for deployment {SANDBOX}: Deploying\n") == 1
    assert rows(out)[SANDBOX] == "failed"
    assert "deployment Failed: Deployment build failed" in out
    assert "last log lines:" in out
    # Nothing new to send: the next plan says so, as an error.
    code, out, _ = cli(capsys, "plan", "repo")
    assert code == 1
    assert "the deployment is Failed (Deployment build failed)" in out


def test_tombstones_delete_the_deployments_before_their_connector(
    deploy_env: Any, live: ConnectClient, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_env.admin("POST", "deployments/settings", {"undeploying_delay": 0.3})
    write_repository()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    # Unlisted meanwhile (a listed connector is unlisted by one run and deleted by the next).
    deploy_env.admin("POST", "edit", {"key": "payment-gateway", "actions": [{"action": "unlist"}]})
    for name, kind, key in (
        ("payment.yaml", "ConnectorStaged", "payment-gateway"),
        ("sandbox.yaml", "Deployment", SANDBOX),
        ("production.yaml", "Deployment", PRODUCTION),
    ):
        Path("repo", name).write_text(TOMBSTONE.format(kind=kind, key=key), encoding="utf-8")
    code, out, err = cli(capsys, "apply", "repo", "--auto-approve", "--debug")
    assert code == 0, out + err
    assert rows(out) == {"payment-gateway": "deleted", PRODUCTION: "deleted", SANDBOX: "deleted"}
    assert deployment(live, SANDBOX) is None and deployment(live, PRODUCTION) is None
    assert live.get_by_key("payment-gateway") is None
    lines = err.splitlines()
    connector_delete = next(
        i for i, line in enumerate(lines) if line.startswith("> DELETE") and "/drafts/" in line
    )
    before = lines[:connector_delete]
    deletes = [line for line in before if re.match(r"> DELETE \S+/deployments/", line)]
    assert len(deletes) == 2
    assert sum(1 for line in before if line.startswith("< 404")) == 2  # both gone first


def test_an_unset_secured_variable_fails_only_that_deployment(
    deploy_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PSP_PRODUCTION_API_KEY")
    write_repository()
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve")
    assert code == 1
    assert rows(out) == {"payment-gateway": "created", PRODUCTION: "failed", SANDBOX: "created"}
    assert "secured value variable(s) not set: PSP_PRODUCTION_API_KEY" in out


def test_a_deployment_is_blocked_when_its_connector_release_fails(
    deploy_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_env.admin("POST", "script", {"key": "payment-gateway", "publish": "failed"})
    write_repository()
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve")
    assert code == 1
    found = rows(out)
    assert found[SANDBOX] == "blocked" and found[PRODUCTION] == "blocked"
    assert "blocked: waits for ConnectorStaged/payment-gateway" in out


def test_a_saved_plan_keeps_the_order(
    deploy_env: Any, live: ConnectClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_repository()
    assert cli(capsys, "plan", "repo", "--out", "plan.json")[0] == 0
    code, out, _ = cli(capsys, "apply", "--plan", "plan.json")
    assert code == 0, out
    assert rows(out) == {"payment-gateway": "created", PRODUCTION: "created", SANDBOX: "created"}
    assert deployment(live, SANDBOX) is not None


def test_without_deployment_scopes_the_plan_names_the_scope(
    deploy_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in deploy_env.env("emulator-viewer").items():
        monkeypatch.setenv(name, value)
    write_repository()
    code, _, err = cli(capsys, "plan", "repo")
    assert code == 1
    assert "grant view_connectors_deployments:" in err


def test_secured_values_appear_in_no_output(
    deploy_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_env.admin("POST", "deployments/settings", {"secured_read": "echo"})
    write_repository()
    seen = []
    for fmt in ("text", "markdown", "github", "json"):
        seen.append(cli(capsys, "plan", "repo", "--format", fmt, "--out", "plan.json", "--debug"))
    seen.append((0, Path("plan.json").read_text(encoding="utf-8"), ""))
    seen.append(cli(capsys, "apply", "repo", "--auto-approve", "--format", "json", "--debug"))
    seen.append(cli(capsys, "apply", "repo", "--auto-approve", "--redeploy", SANDBOX, "--debug"))
    seen.append(cli(capsys, "show", "--key", SANDBOX, "--kind", "Deployment", "--debug"))
    seen.append(cli(capsys, "export", "--output-dir", "exported", "--debug"))
    exported = sorted(Path("exported").rglob("*.yaml"))
    seen.extend((0, p.read_text(encoding="utf-8"), "") for p in exported)
    assert [code for code, _, _ in seen] == [0] * len(seen)
    assert [p.as_posix() for p in exported] == [
        "exported/deployments/payment-gateway-production.yaml",
        "exported/deployments/payment-gateway-sandbox.yaml",
        "exported/payment-gateway.yaml",
    ]
    text = "\n".join(out + err for _, out, err in seen)
    assert "PSP_SANDBOX_API_KEY" in text
    for value in SECRETS.values():
        assert value not in text


def test_export_writes_deployment_manifests_that_plan_empty(
    deploy_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_repository()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    code, _, err = cli(capsys, "export", "--output-dir", "exported")
    assert code == 0
    assert "exported 2 deployment(s) to exported/deployments" in err
    assert (
        "set these variables to the secured values before apply: "
        "PAYMENT_GATEWAY_PRODUCTION_SERVICE_PSP_API_KEY, "
        "PAYMENT_GATEWAY_SANDBOX_SERVICE_PSP_API_KEY"
    ) in err
    text = Path("exported/deployments/payment-gateway-sandbox.yaml").read_text(encoding="utf-8")
    assert "PSP_API_KEY: ${PAYMENT_GATEWAY_SANDBOX_SERVICE_PSP_API_KEY}" in text
    assert "LOG_LEVEL: info" in text
    code, out, _ = cli(capsys, "plan", "exported", "--detailed-exitcode")
    assert code == 0, out


def test_show_a_live_deployment(deploy_env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    write_repository()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    code, out, _ = cli(capsys, "show", "--key", SANDBOX, "--kind", "Deployment", "--format", "json")
    assert code == 0
    shown = json.loads(out)
    assert shown["key"] == SANDBOX
    assert shown["status"] == "Deployed"
    code, _, err = cli(capsys, "show", "--key", "payment-gateway-sandbx", "--kind", "Deployment")
    assert code == 1
    assert f"did you mean '{SANDBOX}'" in err


def test_the_examples_deploy_on_the_embedded_emulator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("PSP_PRODUCTION_API_KEY", "prd-Secret-0002")
    monkeypatch.setenv("PSP_SANDBOX_API_KEY", "sbx-Secret-0001")
    paths = [str(examples / "connectors"), str(examples / "deployments")]
    code, out, _ = cli(capsys, "apply", *paths, "--emulator", "--auto-approve")
    assert code == 0, out
    assert out.endswith("Apply complete: 7 created.\n")
    assert {k: v for k, v in rows(out).items() if k.startswith("payment-gateway-")} == {
        "payment-gateway-production": "created",
        "payment-gateway-sandbox": "created",
    }
    code, out, _ = cli(capsys, "plan", *paths, "--emulator", "--detailed-exitcode")
    assert code == 0, out
    assert out.endswith("No changes. 7 unchanged, 0 blocked, 0 unmanaged.\n")


def test_apply_without_the_deployment_write_scope_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from connectorctl.emulator.server import start_emulator

    client = "reader:reader-secret:manage_connectors view_connectors_deployments"
    with start_emulator(clients=[client]) as running:
        monkeypatch.chdir(tmp_path)
        for name in ("GITHUB_ACTIONS", "CTP_REGION", "CTP_SCOPES"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {
            "CTP_CLIENT_ID": "reader", "CTP_CLIENT_SECRET": "reader-secret",
            "CTP_PROJECT_KEY": running.project_key, "CTP_AUTH_URL": f"{running.url}/oauth/token",
            "CTP_CONNECT_URL": running.url, **SECRETS,
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        write_repository()
        assert cli(capsys, "plan", "repo")[0] == 0
        code, out, err = cli(capsys, "apply", "repo", "--auto-approve")
        assert code == 1
        assert "no scope to write Deployment" in err
        assert "grant manage_connectors_deployments:" in err
        assert "KEY " not in out  # refused before any write: no result table


def test_a_deployment_may_share_its_connector_key(
    deploy_env: Any, live: ConnectClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_connector()
    text = DEPLOYMENT.format(
        stage="sandbox", upper="SANDBOX", level="info", region="europe-west1.gcp"
    )
    text = text.replace("key: payment-gateway-sandbox", "key: payment-gateway")
    Path("repo/sandbox.yaml").write_text(text, encoding="utf-8")
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve", "--wait")
    assert code == 0, out
    table = [line.split()[:3] for line in out.splitlines() if " payment-gateway " in line]
    assert table[-2:] == [
        ["ConnectorStaged", "payment-gateway", "created"],
        ["Deployment", "payment-gateway", "created"],
    ]
    assert "publish: Published" in out
    found = deployment(live, "payment-gateway")
    assert found is not None and found["status"] == "Deployed"
    assert cli(capsys, "plan", "repo", "--detailed-exitcode")[0] == 0


def test_a_new_deployment_in_the_run_that_releases_gets_the_new_version(
    deploy_env: Any, live: ConnectClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_connector()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    first = live.get_by_key("payment-gateway")
    write_connector("v2.0.0")
    write_deployment("sandbox")
    code, out, _ = cli(capsys, "plan", "repo", "--format", "json")
    entry = json.loads(out)["connectors"][1]
    assert entry["draft"]["connector"] == {"key": "payment-gateway"}
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve")
    assert code == 0, out
    connector = live.get_by_key("payment-gateway")
    found = deployment(live, SANDBOX)
    assert first is not None and connector is not None and found is not None
    assert connector["version"] > first["version"]
    assert found["connector"]["version"] == connector["version"]


def test_a_replace_whose_create_fails_says_it_removed_the_deployment(
    deploy_env: Any, live: ConnectClient, capsys: pytest.CaptureFixture[str]
) -> None:
    write_repository()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    deploy_env.admin("POST", "deployments/settings", {"production_enabled": False})
    write_deployment("production", region="us-central1.gcp")
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve", "--allow-replace")
    assert code == 1
    assert rows(out)[PRODUCTION] == "failed"
    assert "removed before recreated: the create failed: DeploymentProductionDeactivated" in out
    assert deployment(live, PRODUCTION) is None


def test_a_replace_with_an_unset_secret_deletes_nothing(
    deploy_env: Any,
    live: ConnectClient,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_repository()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    monkeypatch.delenv("PSP_PRODUCTION_API_KEY")
    write_deployment("production", region="us-central1.gcp")
    code, out, _ = cli(capsys, "apply", "repo", "--auto-approve", "--allow-replace")
    assert code == 1
    assert "secured value variable(s) not set: PSP_PRODUCTION_API_KEY" in out
    found = deployment(live, PRODUCTION)
    assert found is not None and found["deployedRegion"] == "europe-west1.gcp"


def test_without_deployment_scopes_a_published_connector_is_not_deleted(
    deploy_env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_connector()
    assert cli(capsys, "apply", "repo", "--auto-approve")[0] == 0
    deploy_env.admin("POST", "edit", {"key": "payment-gateway", "actions": [{"action": "unlist"}]})
    for name, value in deploy_env.env("emulator-viewer").items():
        monkeypatch.setenv(name, value)
    Path("repo/payment.yaml").write_text(
        TOMBSTONE.format(kind="ConnectorStaged", key="payment-gateway"), encoding="utf-8"
    )
    code, out, _ = cli(capsys, "plan", "repo")
    assert code == 1
    assert "cannot see this project's Deployments (grant view_connectors_deployments)" in out


def test_deployments_are_read_page_by_page(deploy_env: Any, live: ConnectClient) -> None:
    from connectorctl.api.remote import read_all_in

    connector = {"key": "payment-gateway", "name": "P", "creator": {"email": "a@b.example"},
                 "repository": {"url": "git@github.com:acme/p.git", "tag": "v1"}}  # fmt: skip
    created = live.create(connector)
    live.update(created["id"], created["version"], [{"action": "publish", "certification": False}])
    for index in range(3):
        live.create_in("{projectKey}/deployments", {
            "key": f"dep-{index}", "connector": {"key": "payment-gateway"},
            "region": "europe-west1.gcp", "configurations": [],
        })  # fmt: skip
    assert sorted(read_all_in(live, "{projectKey}/deployments", limit=2)) == [
        "dep-0",
        "dep-1",
        "dep-2",
    ]
    assert live.delete_in("{projectKey}/deployments", "no-such-id") is None


def test_a_saved_plan_takes_no_redeploy_flags(
    deploy_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_repository()
    assert cli(capsys, "plan", "repo", "--out", "plan.json")[0] == 0
    code, _, err = cli(capsys, "apply", "--plan", "plan.json", "--redeploy", SANDBOX)
    assert code == 1
    assert "give --redeploy and --allow-replace to the plan command instead" in err


def test_redeploy_names_a_deployment_manifest(
    deploy_env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    write_repository()
    code, _, err = cli(capsys, "plan", "repo", "--redeploy", "payment-gateway")
    assert code == 1
    assert err == "error: --redeploy: no Deployment manifest has the key 'payment-gateway'\n"
