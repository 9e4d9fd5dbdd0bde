"""The Deployment kind in the plan: it follows its connector's release and waits for it."""

from __future__ import annotations

import copy
from typing import Any

from connectorctl.kinds import KINDS, PlanContext
from connectorctl.kinds.deployment.kind import AFTER_RELEASE, DEPLOYMENT
from connectorctl.model import (
    Change,
    ConnectorChange,
    Dependency,
    Desired,
    DiffEntry,
    Location,
    Target,
    Until,
)
from connectorctl.planning import make_plan

CONNECTOR = "acme-payment-gateway"
SPEC: dict[str, Any] = {
    "connector": {"key": CONNECTOR},
    "type": "sandbox",
    "region": "europe-west1.gcp",
    "configurations": [
        {"applicationName": "service", "standardConfiguration": {"LOG_LEVEL": "info"}}
    ],
}
REMOTE: dict[str, Any] = {
    "id": "d-1",
    "key": "pay-sandbox",
    "version": 4,
    "type": "sandbox",
    "status": "Deployed",
    "deployedRegion": "europe-west1.gcp",
    "connector": {"id": "c-1", "key": CONNECTOR, "version": 3},
    "applications": [
        {
            "applicationName": "service",
            "standardConfiguration": [{"key": "LOG_LEVEL", "value": "info"}],
            "securedConfiguration": [],
        }
    ],
}
PUBLISH = ConnectorChange(
    key=CONNECTOR,
    change=Change.UPDATE,
    actions=(
        {"action": "setRepository", "url": "git@github.com:a/b.git", "tag": "v2"},
        {"action": "publish", "certification": False},
    ),
)


def deployment(**spec: Any) -> Desired:
    return Desired(
        "pay-sandbox", {**copy.deepcopy(SPEC), **spec}, Location("d.yaml"), kind="Deployment"
    )


def context(planned: ConnectorChange | None = None, connector_version: int = 3) -> PlanContext:
    return PlanContext(
        planned={("ConnectorStaged", CONNECTOR): planned} if planned else {},
        remote={"Connector": {CONNECTOR: {"key": CONNECTOR, "version": connector_version}}},
    )


def test_registered_after_the_connector_kind() -> None:
    assert list(KINDS) == ["ConnectorStaged", "Deployment"]
    assert (DEPLOYMENT.schema, DEPLOYMENT.collection, DEPLOYMENT.scope) == (
        "deployment.schema.json",
        "{projectKey}/deployments",
        "connectors_deployments",
    )


def test_in_sync_with_no_release_is_unchanged_and_waits_for_nothing() -> None:
    change = DEPLOYMENT.plan(deployment(), REMOTE, context())
    assert (change.kind, change.change, change.depends_on) == ("Deployment", Change.UNCHANGED, ())


def test_behind_the_published_connector_redeploys_with_update_connector() -> None:
    change = DEPLOYMENT.plan(deployment(), REMOTE, context(connector_version=5))
    assert change.change is Change.UPDATE
    assert change.actions[0]["updateConnector"] is True
    assert change.diff == (DiffEntry("connector.version", 3, 5),)
    assert change.depends_on == ()


def test_a_publish_in_this_plan_moves_the_deployment_after_it_settles() -> None:
    change = DEPLOYMENT.plan(deployment(), REMOTE, context(PUBLISH))
    assert change.change is Change.UPDATE
    assert change.actions == (
        {
            "action": "redeploy",
            "configurationValues": [
                {
                    "applicationName": "service",
                    "standardConfiguration": [{"key": "LOG_LEVEL", "value": "info"}],
                    "securedConfiguration": [],
                }
            ],
            "updateConnector": True,
        },
    )
    assert change.diff == (DiffEntry("connector.version", 3, AFTER_RELEASE),)
    assert change.depends_on == (Dependency("ConnectorStaged", CONNECTOR, Until.SETTLED),)


def test_a_pinned_version_does_not_follow_the_release() -> None:
    change = DEPLOYMENT.plan(
        deployment(connector={"key": CONNECTOR, "version": 3}), REMOTE, context(PUBLISH)
    )
    assert change.change is Change.UNCHANGED
    assert change.depends_on == ()


def test_a_create_waits_for_its_connector_created_and_published_in_the_same_plan() -> None:
    created = ConnectorChange(
        key=CONNECTOR,
        change=Change.CREATE,
        actions=({"action": "publish", "certification": False},),
    )
    change = DEPLOYMENT.plan(deployment(), None, context(created))
    assert change.change is Change.CREATE
    assert change.depends_on == (Dependency("ConnectorStaged", CONNECTOR, Until.SETTLED),)


def test_a_preview_deployment_waits_for_the_preview_not_the_publish() -> None:
    staged = deployment(connector={"key": CONNECTOR, "staged": True}, type="preview")
    assert DEPLOYMENT.plan(staged, None, context(PUBLISH)).depends_on == ()
    preview = ConnectorChange(
        key=CONNECTOR, change=Change.UPDATE, actions=({"action": "updatePreviewable"},)
    )
    assert DEPLOYMENT.plan(staged, None, context(preview)).depends_on == (
        Dependency("ConnectorStaged", CONNECTOR, Until.SETTLED),
    )


def test_planned_through_the_whole_plan_after_its_connector() -> None:
    connector = Desired(
        CONNECTOR,
        {
            "key": CONNECTOR,
            "name": "Pay",
            "creator": {"email": "a@b.example"},
            "repository": {"url": "git@github.com:a/b.git", "tag": "v1"},
            "release": "publish",
        },
        Location("c.yaml"),
    )
    plan = make_plan(
        [deployment(), connector],
        {},
        target=Target("https://connect.example", "acme"),
        created_at="t",
        unmanaged=(),
    )
    assert [(c.kind, c.key, c.change) for c in plan.connectors] == [
        ("ConnectorStaged", CONNECTOR, Change.CREATE),
        ("Deployment", "pay-sandbox", Change.CREATE),
    ]
    assert plan.connectors[1].depends_on == (
        Dependency("ConnectorStaged", CONNECTOR, Until.SETTLED),
    )
