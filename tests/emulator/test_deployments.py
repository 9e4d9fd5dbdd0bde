"""The emulator's Deployment endpoints over HTTP (Starlette's TestClient, in-process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from connectorctl.emulator.app import create_app
from connectorctl.emulator.server import build_runtime

EXAMPLES = Path(__file__).parents[1] / "data" / "connect-examples" / "deployment"
PROJECT = "acme"
CLIENTS = [
    "deployer:deployer-secret:manage_connectors manage_connectors_deployments",
    "viewer:viewer-secret:view_connectors_deployments",
    "connectors-only:connectors-secret:manage_connectors",
    "owner:owner-secret:manage_project",
]
SCHEMA = [
    {
        "applicationName": "service",
        "applicationType": "service",
        "standardConfiguration": [{"key": "LOG_LEVEL"}, {"key": "REGION_HINT"}],
        "securedConfiguration": [{"key": "PSP_API_KEY"}],
    },
    {
        "applicationName": "sync",
        "applicationType": "job",
        "standardConfiguration": [{"key": "BATCH"}],
        "securedConfiguration": [],
    },
]
PUBLISHED = {
    "id": "0a1b2c3d-0000-4000-8000-000000000001",
    "key": "acme-payment-gateway",
    "version": 3,
    "name": "ACME Payment Gateway",
    "status": "Published",
    "alreadyListed": True,
    "isPreviewable": "none",
    "supportedRegions": ["europe-west1.gcp", "us-central1.gcp"],
    "configurations": SCHEMA,
}
STAGED = {
    "key": "staged-only",
    "version": 5,
    "name": "Staged",
    "status": "Draft",
    "isPreviewable": "true",
    "configurations": SCHEMA,
}
SERVICE = {
    "applicationName": "service",
    "standardConfiguration": [
        {"key": "LOG_LEVEL", "value": "info"},
        {"key": "REGION_HINT", "value": "eu"},
    ],
    "securedConfiguration": [{"key": "PSP_API_KEY", "value": "sk-live-123"}],
}
SECURED_AS_STANDARD = {**SERVICE, "standardConfiguration": [{"key": "PSP_API_KEY", "value": "x"}]}
DRAFT = {
    "key": "pay-sandbox",
    "connector": {"key": "acme-payment-gateway", "version": 3},
    "type": "sandbox",
    "region": "europe-west1.gcp",
    "configurations": [SERVICE],
}


class Env:
    """One emulator, a token per client, and the admin API."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens = {
            name: self._token(name, secret)
            for name, secret, _ in (text.split(":", 2) for text in CLIENTS)
        }

    def _token(self, name: str, secret: str) -> str:
        answer = self.client.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(name, secret)
        )
        return str(answer.json()["access_token"])

    def call(
        self, method: str, path: str, body: Any = None, who: str = "deployer"
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"}
        url = f"/{PROJECT}/deployments{path}"
        return self.client.request(method, url, json=body, headers=headers)

    def create(self, **fields: Any) -> httpx.Response:
        return self.call("POST", "", {**DRAFT, **fields})

    def get(self, key: str = "pay-sandbox") -> httpx.Response:
        return self.call("GET", f"/key={key}")

    def redeploy(self, version: int, key: str = "pay-sandbox", **action: Any) -> httpx.Response:
        body = {"version": version, "actions": [{"action": "redeploy", **action}]}
        return self.call("POST", f"/key={key}", body)

    def admin(self, name: str, body: Any = None) -> Any:
        answer = self.client.post(f"/_emulator/{name}", json=body)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def settings(self, **changes: Any) -> Any:
        return self.admin("deployments/settings", changes)

    def advance(self, seconds: float) -> None:
        self.admin("clock", {"advance": seconds})


@pytest.fixture
def env() -> Iterator[Env]:
    runtime = build_runtime(project_key=PROJECT, clients=CLIENTS)
    with TestClient(create_app(runtime)) as client:  # type: ignore[arg-type]
        environment = Env(client)
        environment.admin("seed", [PUBLISHED, STAGED])
        yield environment


def code_of(response: httpx.Response) -> str:
    body = response.json()
    assert body["statusCode"] == response.status_code
    return str(body["errors"][0]["code"])


def test_create_answers_201_queued_with_a_connector_snapshot(env: Env) -> None:
    response = env.create()
    assert response.status_code == 201
    body = response.json()
    assert (body["key"], body["version"], body["status"]) == ("pay-sandbox", 1, "Queued")
    assert (body["type"], body["preview"], body["deployedRegion"]) == (
        "sandbox", False, "europe-west1.gcp",
    )  # fmt: skip
    assert body["connector"]["key"] == "acme-payment-gateway"
    assert body["connector"]["version"] == 3
    assert [app["applicationName"] for app in body["applications"]] == ["service", "sync"]
    service, sync = body["applications"]
    assert service["standardConfiguration"] == SERVICE["standardConfiguration"]
    assert service["securedConfiguration"] == [{"key": "PSP_API_KEY", "value": "****"}]
    assert sync["standardConfiguration"] == [] and "url" not in sync
    assert service["url"].endswith(".europe-west1.gcp.commercetools.app")
    assert body["details"]["build"]["report"] == {"entries": []}


def test_statuses_follow_the_clock(env: Env) -> None:
    env.create()
    statuses = []
    for step in (0.5, 0.6, 1.0, 1.0):
        env.advance(step)
        statuses.append(env.get().json()["status"])
    assert statuses == ["Queued", "Deploying", "Deploying", "Deployed"]
    assert env.get().json()["version"] == 1


def test_transitions_bump_the_version_when_set(env: Env) -> None:
    env.settings(transitions_bump_version=True)
    env.create()
    env.advance(1.5)
    assert env.get().json()["version"] == 2
    env.advance(5)
    assert env.get().json()["version"] == 3


def test_create_status_and_failed_outcome_are_settings(env: Env) -> None:
    env.settings(create_status="Draft")
    assert env.create().json()["status"] == "Draft"
    env.advance(100)
    assert env.get().json()["status"] == "Draft"
    env.settings(create_status="Deploying", deploy_outcome="failed")
    assert env.create(key="pay-two").json()["status"] == "Deploying"
    env.advance(2)
    failed = env.get("pay-two").json()
    assert failed["status"] == "Failed"
    assert [e["title"] for e in failed["details"]["build"]["report"]["entries"]] == [
        "Deployment build failed"
    ]


def test_get_by_id_and_key_and_404(env: Env) -> None:
    created = env.create().json()
    assert env.call("GET", f"/{created['id']}").json()["key"] == "pay-sandbox"
    missing = env.get("nope")
    assert missing.status_code == 404
    assert code_of(missing) == "ResourceNotFound"
    assert missing.json()["message"] == "Deployment with key=nope does not exist"
    other_project = env.client.get(
        "/other/deployments/key=pay-sandbox",
        headers={"Authorization": f"Bearer {env.tokens['deployer']}"},
    )
    assert other_project.status_code in (403, 404)


def test_query_pages_and_filters_by_type(env: Env) -> None:
    env.create()
    env.create(key="pay-prod", type="production")
    page = env.call("GET", "?limit=1&offset=1").json()
    assert (page["limit"], page["offset"], page["count"], page["total"]) == (1, 1, 1, 2)
    assert [d["key"] for d in page["results"]] == ["pay-prod"]
    only = env.call("GET", "?deploymentType=production").json()
    assert [d["key"] for d in only["results"]] == ["pay-prod"]
    bad = env.call("GET", "?where=x")
    assert (bad.status_code, code_of(bad)) == (400, "InvalidQueryParam")
    too_many = env.call("GET", "?limit=501")
    assert (too_many.status_code, code_of(too_many)) == (400, "InvalidQueryParam")


@pytest.mark.parametrize(
    ("semantics", "expected"),
    [
        ("merge", [{"key": "LOG_LEVEL", "value": "debug"}, {"key": "REGION_HINT", "value": "eu"}]),
        ("replace", [{"key": "LOG_LEVEL", "value": "debug"}]),
    ],
)
def test_redeploy_merges_or_replaces_values(
    env: Env, semantics: str, expected: list[dict[str, str]]
) -> None:
    env.settings(redeploy_semantics=semantics, secured_read="echo")
    env.create()
    env.advance(10)
    sent = {
        "applicationName": "service",
        "standardConfiguration": [{"key": "LOG_LEVEL", "value": "debug"}],
        "securedConfiguration": [],
    }
    response = env.redeploy(1, configurationValues=[sent])
    assert response.status_code == 201
    body = response.json()
    assert (body["version"], body["status"]) == (2, "Queued")
    service = body["applications"][0]
    assert service["standardConfiguration"] == expected
    secured = [{"key": "PSP_API_KEY", "value": "sk-live-123"}] if semantics == "merge" else []
    assert service["securedConfiguration"] == secured


def test_bare_redeploy_keeps_values_and_restarts_the_run(env: Env) -> None:
    env.create()
    env.advance(10)
    before = env.get().json()
    body = env.redeploy(1, skipScripts=True).json()
    assert body["status"] == "Queued"
    assert body["applications"][0]["standardConfiguration"] == SERVICE["standardConfiguration"]
    assert body["details"]["build"]["id"] != before["details"]["build"]["id"]


@pytest.mark.parametrize("status", [400, 409])
def test_redeploy_while_queued_is_an_invalid_transition(env: Env, status: int) -> None:
    env.settings(invalid_transition_status=status)
    env.create()
    response = env.redeploy(1)
    assert response.status_code == status
    assert code_of(response) == "DeploymentInvalidStatusTransition"
    assert response.json()["message"] == "Invalid status change: Already queued"
    env.advance(1.5)
    assert env.redeploy(1).json()["message"] == "Invalid status change: Already deploying"


def test_redeploy_refusals(env: Env) -> None:
    env.create()
    env.advance(10)
    stale = env.redeploy(7)
    assert (stale.status_code, code_of(stale)) == (409, "ConcurrentModification")
    empty = env.redeploy(1, configurationValues=[])
    assert (empty.status_code, code_of(empty)) == (400, "DeploymentApplicationRequired")
    unknown = {"applicationName": "nope", "standardConfiguration": [], "securedConfiguration": []}
    response = env.redeploy(1, configurationValues=[unknown])
    assert code_of(response) == "DeploymentUnknownApplicationConfiguration"
    other = env.call("POST", "/key=pay-sandbox", {"version": 1, "actions": [{"action": "x"}]})
    assert (other.status_code, code_of(other)) == (400, "InvalidJsonInput")
    assert env.get().json()["version"] == 1


def test_update_connector_moves_to_the_latest_version(env: Env) -> None:
    env.create()
    env.advance(10)
    env.admin("edit", {"key": "acme-payment-gateway", "actions": []})
    body = env.redeploy(1, updateConnector=True).json()
    assert body["connector"]["version"] == 4


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("mask", [{"key": "PSP_API_KEY", "value": "****"}]),
        ("omit-values", [{"key": "PSP_API_KEY", "value": ""}]),
        ("omit-entries", []),
        ("echo", [{"key": "PSP_API_KEY", "value": "sk-live-123"}]),
    ],
)
def test_secured_values_on_reads(env: Env, mode: str, expected: list[dict[str, str]]) -> None:
    env.settings(secured_read=mode)
    global_values = {
        "standardConfiguration": [],
        "securedConfiguration": [SERVICE["securedConfiguration"][0]],
    }
    env.create(globalConfiguration=global_values)
    body = env.get().json()
    assert body["applications"][0]["securedConfiguration"] == expected
    assert body["globalConfiguration"]["securedConfiguration"] == expected
    listed = env.call("GET", "").json()["results"][0]
    assert listed["applications"][0]["securedConfiguration"] == expected


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"connector": {"key": "staged-only"}}, "ConnectorReferenceNotFound",
         "Connector 'staged-only' with version None not found"),
        ({"connector": {"key": "acme-payment-gateway", "version": 2}},
         "ConnectorReferenceNotFound", "Connector 'acme-payment-gateway' with version 2 not found"),
        ({"connector": {"key": "missing"}}, "ConnectorReferenceNotFound",
         "Connector 'missing' with version None not found"),
        ({"type": "preview"}, "DeploymentInvalidType",
         "The Connector id=0a1b2c3d-0000-4000-8000-000000000001 or key=acme-payment-gateway cannot "
         "be deployed as a 'preview' type. Only 'sandbox, production' types are allowed."),
        ({"region": "us-east-2.aws"}, "DeploymentUnsupportedRegion",
         "Deployment unsupported region us-east-2.aws"),
        ({"configurations": [{**SERVICE, "applicationName": "web"}]},
         "DeploymentUnknownApplicationConfiguration",
         "Deployment does not require configuration for application named 'web'."),
        ({"configurations": [SECURED_AS_STANDARD]},
         "DeploymentUnknownApplicationConfigurationKey",
         "Deployment does not require standard configuration with key PSP_API_KEY for application "
         "named service."),
        ({"configurations": [{"applicationName": "service", "standardConfiguration": []}]},
         "InvalidJsonInput",
         "configurations.0.securedConfiguration: missing required field or not a list"),
        ({"key": "pay\n"}, "InvalidJsonInput",
         "key: must match ^[A-Za-z0-9_-]+$ with 2 to 256 characters"),
        ({"region": "mars"}, "InvalidJsonInput",
         "region: missing or not one of europe-west1.gcp, us-central1.gcp, "
         "australia-southeast1.gcp, us-east-2.aws, eu-central-1.aws"),
        ({"connector": {"key": "acme-payment-gateway", "id": "x"}}, "InvalidJsonInput",
         "connector: exactly one of 'id' and 'key' is required"),
    ],
)  # fmt: skip
def test_create_refusals(env: Env, fields: dict[str, Any], code: str, message: str) -> None:
    response = env.create(**fields)
    assert response.status_code == 400
    assert (code_of(response), response.json()["message"]) == (code, message)
    assert env.call("GET", "").json()["total"] == 0


def test_staged_connector_deploys_as_preview_only(env: Env) -> None:
    staged = {"key": "staged-only", "staged": True}
    wrong = env.create(key="pv", connector=staged, type="sandbox")
    assert code_of(wrong) == "DeploymentInvalidType"
    draft = {k: v for k, v in DRAFT.items() if k != "type"}
    response = env.call("POST", "", {**draft, "key": "pv", "connector": staged})
    assert response.status_code == 201
    assert (response.json()["type"], response.json()["preview"]) == ("preview", True)
    env.admin("edit", {"key": "staged-only", "actions": [{"action": "setName", "name": "N"}]})
    refused = env.call("POST", "", {**draft, "key": "pv2", "connector": staged})
    assert code_of(refused) == "ConnectorStagedNotPreviewable"


def test_production_can_be_deactivated_and_keys_are_unique(env: Env) -> None:
    env.settings(production_enabled=False)
    refused = env.create(type="production")
    assert code_of(refused) == "DeploymentProductionDeactivated"
    assert env.create().status_code == 201
    duplicate = env.create()
    assert (code_of(duplicate), duplicate.json()["errors"][0]["field"]) == ("DuplicateField", "key")


def test_delete_is_asynchronous_and_then_404(env: Env) -> None:
    env.create()
    env.advance(10)
    response = env.call("DELETE", "/key=pay-sandbox")
    assert (response.status_code, response.json()["status"]) == (202, "Undeploying")
    assert env.get().json()["status"] == "Undeploying"
    again = env.call("DELETE", "/key=pay-sandbox")
    assert code_of(again) == "DeploymentInvalidStatusTransition"
    env.advance(1)
    assert env.get().status_code == 404
    assert env.create().status_code == 201  # the key is free again


def test_delete_settings_status_body_and_visibility(env: Env) -> None:
    env.settings(delete_status=200, delete_body_status="previous", after_undeploy="readable")
    env.create()
    env.advance(10)
    response = env.call("DELETE", "/key=pay-sandbox")
    assert (response.status_code, response.json()["status"]) == (200, "Deployed")
    env.advance(1)
    assert env.get().json()["status"] == "Draft"


def test_delete_while_deploying_is_refused_unless_allowed(env: Env) -> None:
    env.create()
    assert code_of(env.call("DELETE", "/key=pay-sandbox")) == "DeploymentInvalidStatusTransition"
    env.settings(delete_while_busy="allow")
    assert env.call("DELETE", "/key=pay-sandbox").status_code == 202


def test_undeploy_failure_then_retry(env: Env) -> None:
    env.settings(undeploy_outcome="failed")
    env.create()
    env.advance(10)
    env.call("DELETE", "/key=pay-sandbox")
    env.advance(1)
    body = env.get().json()
    assert body["status"] == "UndeployFailed"
    assert [e["title"] for e in body["details"]["build"]["report"]["entries"]] == [
        "Undeploy failed"
    ]
    env.settings(undeploy_outcome="success")
    assert env.call("DELETE", "/key=pay-sandbox").status_code == 202
    env.advance(1)
    assert env.get().status_code == 404


def test_admin_forces_failed_and_redeploy_recovers(env: Env) -> None:
    env.create()
    report = [{"type": "Error", "title": "Build crashed", "application": "service"}]
    forced = env.admin(
        "deployments/force", {"key": "pay-sandbox", "status": "Failed", "report": report}
    )
    assert forced["status"] == "Failed"
    entries = env.get().json()["details"]["build"]["report"]["entries"]
    assert [(e["type"], e["title"], e["application"]) for e in entries] == [
        ("Error", "Build crashed", "service")
    ]
    assert env.redeploy(1).json()["status"] == "Queued"


def test_admin_refuses_bad_settings_and_force(env: Env) -> None:
    for body in (
        {"secured_read": "plain"},
        {"queued_delay": -1},
        {"nope": 1},
        {"delete_status": 204},
    ):
        answer = env.client.post("/_emulator/deployments/settings", json=body)
        assert answer.status_code == 400, body
    answer = env.client.post(
        "/_emulator/deployments/force", json={"key": "x", "status": "Deployed"}
    )
    assert answer.status_code == 400
    assert env.client.get("/_emulator/deployments/settings").json()["secured_read"] == "mask"
    env.admin("reset")
    env.settings(secured_read="echo")
    env.admin("reset")
    assert env.client.get("/_emulator/deployments/settings").json()["secured_read"] == "mask"


def test_scopes(env: Env) -> None:
    env.create()
    assert env.call("GET", "/key=pay-sandbox", who="viewer").status_code == 200
    assert env.call("GET", "/key=pay-sandbox", who="owner").status_code == 200
    write = env.call("POST", "", {**DRAFT, "key": "pay-2"}, who="viewer")
    assert (write.status_code, code_of(write)) == (403, "insufficient_scope")
    assert "manage_connectors_deployments:acme" in write.json()["message"]
    read = env.call("GET", "", who="connectors-only")
    assert (read.status_code, code_of(read)) == (403, "insufficient_scope")
    assert env.call("POST", "", {**DRAFT, "key": "pay-3"}, who="owner").status_code == 201
    anonymous = env.client.get(f"/{PROJECT}/deployments")
    assert anonymous.status_code == 401


def test_official_examples_are_accepted(env: Env) -> None:
    schema = {
        "applicationName": "app-1",
        "standardConfiguration": [{"key": "CONFIG_KEY"}],
        "securedConfiguration": [{"key": "CONFIG_SECRET_KEY"}],
    }
    seeded = {**PUBLISHED, "id": "a49aa2c5-15b6-41c4-88af-4b7afdcc07a5", "key": "connector-key"}
    env.admin("seed", {**seeded, "version": 1, "configurations": [schema]})
    draft = json.loads((EXAMPLES / "draft.json").read_text())
    created = env.call("POST", "", draft)
    assert created.status_code == 201, created.text
    assert created.json()["connector"]["key"] == "connector-key"
    env.advance(10)
    update = json.loads((EXAMPLES / "update.json").read_text())
    response = env.call("POST", "/key=deployment-key", update)
    assert response.status_code == 201, response.text
    action = json.loads((EXAMPLES / "updates" / "DeploymentRedeployUpdateAction.json").read_text())
    env.advance(10)
    again = env.call("POST", "/key=deployment-key", {"version": 2, "actions": [action]})
    assert again.status_code == 201, again.text
    assert again.json()["version"] == 3


def test_example_manifests_deploy_on_the_emulator(env: Env) -> None:
    from ruamel.yaml import YAML

    from connectorctl.kinds.deployment import deployment_draft, resolve_secured

    env.admin("reset")
    published = {"key": "acme-payment-gateway", "version": 7, "status": "Published",
                 "alreadyListed": True, "supportedRegions": ["europe-west1.gcp"]}  # fmt: skip
    env.admin("seed", published)
    folder = Path(__file__).parents[2] / "examples" / "deployments"
    secrets = {"PSP_SANDBOX_API_KEY": "sk-test-1", "PSP_PRODUCTION_API_KEY": "sk-live-1"}
    created = []
    for path in sorted(folder.glob("*.yaml")):
        spec = YAML(typ="safe").load(path.read_text())
        body = resolve_secured(deployment_draft(spec, connector_version=7), secrets.get)
        response = env.call("POST", "", body)
        assert response.status_code == 201, response.text
        created.append((response.json()["key"], response.json()["type"]))
    assert created == [
        ("payment-gateway-production", "production"), ("payment-gateway-sandbox", "sandbox"),
    ]  # fmt: skip


def test_logs_endpoint_shows_listening_and_error_lines(env: Env) -> None:
    env.create()
    env.advance(10)
    page = env.call("GET", "/key=pay-sandbox/logs").json()
    assert page["next"] == ""
    assert [(line["applicationName"], line["severity"], line["details"]["message"])
            for line in page["data"]] == [
        ("service", "DEFAULT", "Listening on port: 8080"),
        ("sync", "DEFAULT", "Listening on port: 8080"),
    ]  # fmt: skip
    report = [{"type": "Error", "title": "Out of memory", "application": "sync"}]
    env.admin("deployments/force", {"key": "pay-sandbox", "status": "Failed", "report": report})
    failed = env.call("GET", "/key=pay-sandbox/logs?applicationName=sync").json()["data"]
    assert [(line["severity"], line["details"]["message"]) for line in failed] == [
        ("ERROR", "Out of memory")
    ]
    unknown = env.call("GET", "/key=pay-sandbox/logs?applicationName=web")
    assert code_of(unknown) == "DeploymentApplicationDoesNotExist"
    assert code_of(env.call("GET", "/key=pay-sandbox/logs?startDate=yesterday")) == (
        "DeploymentLogInvalidDate"
    )
    assert code_of(env.call("GET", "/key=pay-sandbox/logs?pageToken=abc")) == (
        "DeploymentLogInvalidPageToken"
    )
    assert env.call("GET", "/key=nope/logs").status_code == 404


def test_head_with_a_body_never_creates_or_redeploys(env: Env) -> None:
    head = env.call("HEAD", "", DRAFT)
    assert head.status_code == 405
    assert env.get().status_code == 404
    assert env.create().status_code == 201
    version = env.get().json()["version"]
    body = {"version": version, "actions": [{"action": "redeploy"}]}
    assert env.call("HEAD", "/key=pay-sandbox", body).status_code == 405
    assert env.call("PUT", "/key=pay-sandbox", body).status_code == 405
    assert env.get().json()["version"] == version
