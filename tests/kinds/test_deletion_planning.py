"""Tombstones plan a guarded delete: every guard blocks with a message that says what to do."""

from __future__ import annotations

from typing import Any

import pytest

from connectorctl.kinds import Dependency, PlanContext, Until
from connectorctl.kinds.connector_staged import CONNECTOR_STAGED
from connectorctl.model import Change, ConnectorChange, Desired, Level, Location, Target
from connectorctl.planning import make_plan
from connectorctl.report.plan import render_plan

TARGET = Target("https://connect.europe-west1.gcp.commercetools.com", "acme")


def tombstone(key: str = "old", **extra: Any) -> Desired:
    spec = {"key": key, "state": "absent", **extra}
    return Desired(key, spec, Location("connectors/old.yaml", 3, 1))


def live(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "id-old",
        "key": "old",
        "version": 4,
        "status": "Draft",
        "isPreviewable": "none",
        "alreadyListed": False,
        "private": True,
        "privateProjects": [],
    }
    return {**base, **fields}


def plan_one(
    remote: dict[str, Any] | None, desired: Desired | None = None, **context: Any
) -> ConnectorChange:
    deployments = context.pop("deployments", {})
    ctx = PlanContext(project_key="acme", remote={"Deployment": deployments}, **context)
    return CONNECTOR_STAGED.plan(desired or tombstone(), remote, ctx)


def errors(change: ConnectorChange) -> list[str]:
    return [m.text for m in change.messages if m.level is Level.ERROR]


def test_a_draft_connector_is_deleted_by_id_at_its_version() -> None:
    change = plan_one(live())
    assert (change.change, change.id, change.version, change.actions) == (
        Change.DELETE,
        "id-old",
        4,
        (),
    )
    assert change.messages == ()


def test_a_tombstone_of_a_missing_connector_is_unchanged() -> None:
    change = plan_one(None)
    assert change.change is Change.UNCHANGED
    assert [m.text for m in change.messages] == ["absent, as the tombstone says"]


def test_a_published_connector_warns_of_the_cascade() -> None:
    change = plan_one(live(status="Published", privateProjects=["europe-west1.gcp:acme"]))
    assert change.change is Change.DELETE
    assert [(m.level, m.text) for m in change.messages] == [
        (Level.WARNING, "deleting it also deletes the published Connector")
    ]


def test_a_listed_connector_is_blocked_until_the_tombstone_unlists_it() -> None:
    blocked = plan_one(live(status="Published", alreadyListed=True))
    assert blocked.change is Change.BLOCKED
    assert errors(blocked) == [
        "the connector is listed: add `listed: false` to the tombstone to unlist it in this "
        "run; a later run deletes it"
    ]
    unlist = plan_one(live(status="Published", alreadyListed=True), tombstone(listed=False))
    assert (unlist.change, unlist.actions) == (Change.UPDATE, ({"action": "unlist"},))


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("Processing", "a publish is being processed"),
        ("ReadyForCertification", "it is in certification"),
        ("InCertification", "it is in certification"),
    ],
)
def test_a_busy_connector_is_blocked(status: str, reason: str) -> None:
    change = plan_one(live(status=status))
    assert change.change is Change.BLOCKED
    assert errors(change) == [f"cannot delete while {reason}; run again once it has ended"]


def test_deployments_kept_in_the_project_block_the_delete() -> None:
    deployments = {"old-prod": {"key": "old-prod", "connector": {"key": "old"}}}
    change = plan_one(live(status="Published"), deployments=deployments)
    assert errors(change) == [
        "still deployed in this project by old-prod; delete those deployments in the same plan "
        "(tombstones) first"
    ]


def test_deployments_deleted_in_the_same_plan_become_edges() -> None:
    deployments = {
        "old-prod": {"key": "old-prod", "connector": {"key": "old"}},
        "other": {"key": "other", "connector": {"key": "else"}},
    }
    context = PlanContext(
        project_key="acme",
        remote={"Deployment": deployments},
        deleting=frozenset({("Deployment", "old-prod"), ("ConnectorStaged", "old")}),
    )
    change = CONNECTOR_STAGED.plan(tombstone(), live(status="Published"), context)
    assert change.change is Change.DELETE
    assert change.depends_on == (Dependency("Deployment", "old-prod", Until.GONE),)


def test_without_deployment_access_a_published_connector_is_blocked() -> None:
    context = PlanContext(project_key="acme")
    change = CONNECTOR_STAGED.plan(tombstone(), live(status="Published"), context)
    assert errors(change) == [
        "cannot see this project's Deployments (grant view_connectors_deployments): a connector "
        "that was published or is previewable may still be deployed"
    ]
    draft = CONNECTOR_STAGED.plan(tombstone(), live(), context)
    assert draft.change is Change.DELETE


def test_published_for_other_projects_needs_allow_delete_published() -> None:
    remote = live(status="Published", privateProjects=["europe-west1.gcp:acme", "us-east-2.aws:b2"])
    change = plan_one(remote)
    assert errors(change) == [
        "its privateProjects name other projects (us-east-2.aws:b2); their deployments are "
        "invisible from here. To delete it anyway, run with --allow-delete-published"
    ]
    assert plan_one(remote, allow_delete_published=True).change is Change.DELETE


def test_a_public_connector_needs_allow_delete_published() -> None:
    change = plan_one(live(status="Published", private=False))
    assert errors(change)[0].startswith("it is public (certified): other projects may use it;")


def test_deletions_are_loud_in_every_format() -> None:
    plan = make_plan(
        [tombstone()], {"old": live()}, target=TARGET, created_at="2026-12-01T00:00:00Z",
        unmanaged=(),
    )  # fmt: skip
    assert plan.has_changes
    text = render_plan(plan, "text")
    assert "- old (connectors/old.yaml:3:1) will be deleted (version 4)" in text
    assert "Plan: 0 to create, 0 to update, 1 to delete, 0 unchanged, 0 blocked" in text
    github = render_plan(plan, "github")
    assert (
        "::warning file=connectors/old.yaml,line=3,col=1,title=connectorctl%3A old::"
        "DELETE (also deletes the published Connector) old"
    ) in github
    markdown = render_plan(plan, "markdown")
    assert "| Delete | Create | Update | Unchanged | Blocked | Unmanaged |" in markdown
    assert "<b>- DELETE</b> <code>old</code>" in markdown
    colored = render_plan(plan, "text", color=True)
    assert "\x1b[31m-\x1b[0m" in colored
