"""The diff engine: one field change gives exactly its action, in the canonical order."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest

from connectorctl.kinds.connector_staged import diff
from connectorctl.kinds.connector_staged.diff import draft_of, plan_connector
from connectorctl.model import (
    ACTION_ORDER,
    ACTION_PARAMS,
    DRAFT_FIELDS,
    Change,
    Desired,
    DiffEntry,
    Level,
    Location,
)

P1, P2, P3 = "europe-west1.gcp:acme-prod", "europe-west1.gcp:acme-stage", "us-central1.gcp:acme-us"


def remote_connector(**overrides: Any) -> dict[str, Any]:
    """A live ConnectorStaged with every managed field set, private, Draft, not previewed."""
    staged: dict[str, Any] = {
        "id": "5ab3edcd-9d23-4934-8f48-256805253119",
        "key": "payment-gateway",
        "version": 7,
        "name": "Payment Gateway",
        "description": "Card payments",
        "documentationUrl": "https://acme.example/docs",
        "integrationTypes": ["psp", "other"],
        "creator": {
            "title": "Ms",
            "name": "Jane Doe",
            "email": "team@acme.example",
            "company": "ACME",
            "noOfContributors": 12,
            "supportUrl": "https://acme.example/support",
            "logoUrl": "https://acme.example/logo.png",
        },
        "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.4.0"},
        "configurations": [],
        "private": True,
        "privateProjects": [P1, P2],
        "supportedRegions": ["europe-west1.gcp", "us-central1.gcp"],
        "hasChanges": False,
        "alreadyListed": False,
        "status": "Draft",
        "isPreviewable": "none",
        "certificationInfo": {"comments": [{"userId": "u", "datetime": "t", "comment": "first"}]},
    }
    staged.update(overrides)
    return staged


def manifest(**overrides: Any) -> dict[str, Any]:
    """The manifest that is in sync with `remote_connector()` under `release: draft`."""
    remote = remote_connector()
    spec = {name: copy.deepcopy(remote[name]) for name in DRAFT_FIELDS}
    spec["certificationComments"] = ["first"]
    spec.update(overrides)
    return spec


def desired(spec: Mapping[str, Any]) -> Desired:
    return Desired(str(spec["key"]), spec, Location("connectors/payment.yaml", 3, 1))


def plan(spec: Mapping[str, Any], remote: Mapping[str, Any] | None, **kw: Any) -> Any:
    return plan_connector(desired(spec), remote, **kw)


def creator(**changes: Any) -> dict[str, Any]:
    return {**remote_connector()["creator"], **changes}


# One manifest change → exactly one action (what the API needs, with its exact field names).
ONE_FIELD_CASES: list[tuple[dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    ({"name": "Pay"}, {}, {"action": "setName", "name": "Pay"}),
    ({"description": "Cards"}, {}, {"action": "setDescription", "description": "Cards"}),
    ({"documentationUrl": "https://d"}, {},
     {"action": "setDocumentationUrl", "documentationUrl": "https://d"}),
    ({"integrationTypes": ["tax"]}, {},
     {"action": "setIntegrationTypes", "integrationTypes": ["tax"]}),
    ({"creator": creator(title="Dr")}, {}, {"action": "setCreatorTitle", "creatorTitle": "Dr"}),
    ({"creator": creator(name="Jo")}, {}, {"action": "setCreatorName", "creatorName": "Jo"}),
    ({"creator": creator(email="x@y.z")}, {},
     {"action": "setCreatorEmail", "creatorEmail": "x@y.z"}),
    ({"creator": creator(company="Co")}, {},
     {"action": "setCreatorCompany", "creatorCompany": "Co"}),
    ({"creator": creator(noOfContributors=3)}, {},
     {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 3}),
    ({"creator": creator(supportUrl="https://s")}, {},
     {"action": "setCreatorSupportUrl", "creatorSupportUrl": "https://s"}),
    ({"creator": creator(logoUrl="https://l")}, {}, {"action": "setCreatorLogo", "logoUrl": "https://l"}),
    ({"repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.5.0"}}, {},
     {"action": "setRepository", "url": "git@github.com:acme/payment.git", "tag": "v1.5.0"}),
    ({"repository": {"url": "https://github.com/acme/p.git", "tag": "v1.4.0"}}, {},
     {"action": "setRepository", "url": "https://github.com/acme/p.git", "tag": "v1.4.0"}),
    ({"supportedRegions": ["europe-west1.gcp"]}, {},
     {"action": "setSupportedRegions", "regions": ["europe-west1.gcp"]}),
    ({"privateProjects": [P1]}, {}, {"action": "removePrivateProject", "privateProject": P2}),
    ({"privateProjects": [P3, P1, P2]}, {}, {"action": "addPrivateProject", "privateProject": P3}),
    ({"certificationComments": ["first", "second"]}, {},
     {"action": "addCertificationComment", "comment": "second"}),
    ({"listed": False}, {"alreadyListed": True, "status": "Published"}, {"action": "unlist"}),
    ({"release": "preview"}, {}, {"action": "updatePreviewable"}),
    ({"release": "publish"}, {}, {"action": "publish", "certification": False}),
    ({"release": "certify"}, {}, {"action": "publish", "certification": True}),
]  # fmt: skip


@pytest.mark.parametrize(("change", "remote", "expected"), ONE_FIELD_CASES)
def test_one_change_emits_exactly_its_action(
    change: dict[str, Any], remote: dict[str, Any], expected: dict[str, Any]
) -> None:
    result = plan(manifest(**change), remote_connector(**remote))
    assert result.actions == (expected,)
    assert result.change is Change.UPDATE
    assert (result.id, result.version) == ("5ab3edcd-9d23-4934-8f48-256805253119", 7)
    assert result.source == "connectors/payment.yaml:3:1"
    assert not result.has_error


def test_every_api_action_is_reachable_from_a_manifest() -> None:
    reached = {case[2]["action"] for case in ONE_FIELD_CASES}
    assert reached == set(ACTION_PARAMS)


def test_in_sync_connector_is_unchanged_and_never_reaches_deepdiff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def explode(*args: Any) -> None:
        raise AssertionError("deepdiff used for an in-sync connector")

    monkeypatch.setattr(diff, "_changed_paths", explode)
    result = plan(manifest(), remote_connector())
    assert (result.change, result.actions, result.diff, result.messages) == (
        Change.UNCHANGED, (), (), ()
    )  # fmt: skip


def test_all_fields_changed_at_once_gives_the_canonical_order() -> None:
    spec = manifest(
        name="N", description="D", documentationUrl="https://d", integrationTypes=["tax"],
        creator={"title": "T", "name": "N", "email": "e@x.y", "company": "C",
                 "noOfContributors": 2, "supportUrl": "https://s", "logoUrl": "https://l"},
        repository={"url": "git@github.com:acme/other.git", "tag": "v2"},
        supportedRegions=["us-east-2.aws"], privateProjects=[P3, "eu-central-1.aws:acme-de"],
        certificationComments=["b-second", "a-first", "first"], listed=False, release="publish",
    )  # fmt: skip
    remote = remote_connector(alreadyListed=True, status="Published", hasChanges=False)
    names = [a["action"] for a in plan(spec, remote).actions]
    assert names == [
        "setName", "setDescription", "setDocumentationUrl", "setIntegrationTypes",
        "setCreatorTitle", "setCreatorName", "setCreatorEmail", "setCreatorCompany",
        "setCreatorNoOfContributors", "setCreatorSupportUrl", "setCreatorLogo", "setRepository",
        "setSupportedRegions", "removePrivateProject", "removePrivateProject",
        "addPrivateProject", "addPrivateProject", "addCertificationComment",
        "addCertificationComment", "unlist", "publish",
    ]  # fmt: skip
    assert names == sorted(names, key=ACTION_ORDER.__getitem__)


def test_private_projects_sorted_removes_then_sorted_adds() -> None:
    remote = remote_connector(privateProjects=["z.gcp:zz", P2, "a.gcp:aa"])
    result = plan(manifest(privateProjects=[P3, "b.gcp:bb", P2]), remote)
    assert result.actions == (
        {"action": "removePrivateProject", "privateProject": "a.gcp:aa"},
        {"action": "removePrivateProject", "privateProject": "z.gcp:zz"},
        {"action": "addPrivateProject", "privateProject": "b.gcp:bb"},
        {"action": "addPrivateProject", "privateProject": P3},
    )


def test_new_comments_follow_manifest_order_once() -> None:
    spec = manifest(certificationComments=["zeta", "first", "alpha", "zeta"])
    assert plan(spec, remote_connector()).actions == (
        {"action": "addCertificationComment", "comment": "zeta"},
        {"action": "addCertificationComment", "comment": "alpha"},
    )


@pytest.mark.parametrize(
    "change",
    [
        {"integrationTypes": ["other", "psp"]},
        {"supportedRegions": ["us-central1.gcp", "europe-west1.gcp"]},
        {"privateProjects": [P2, P1]},
        {"certificationComments": []},
        {"listed": True},
        {"listed": False},
    ],
)
def test_reordered_sets_and_satisfied_intents_emit_nothing(change: dict[str, Any]) -> None:
    assert plan(manifest(**change), remote_connector()).actions == ()


@pytest.mark.parametrize(
    "omitted",
    ["description", "documentationUrl", "integrationTypes", "supportedRegions", "privateProjects"],
)
def test_omitted_fields_are_never_touched(omitted: str) -> None:
    spec = manifest()
    del spec[omitted]
    remote = remote_connector(**{omitted: ["us-east-2.aws"] if omitted.endswith("s") else "x"})
    assert plan(spec, remote).actions == ()


def test_omitted_creator_subfields_are_never_touched() -> None:
    result = plan(manifest(creator={"email": "team@acme.example"}), remote_connector())
    assert result.actions == ()


def test_empty_description_matches_an_absent_one() -> None:
    remote = remote_connector()
    del remote["description"]
    assert plan(manifest(description=""), remote).actions == ()
    assert plan(manifest(description="x"), remote).actions == (
        {"action": "setDescription", "description": "x"},
    )


def test_empty_private_projects_is_managed() -> None:
    result = plan(manifest(privateProjects=[]), remote_connector())
    assert [a["action"] for a in result.actions] == ["removePrivateProject"] * 2


def test_remote_missing_optional_lists_and_creator_fields() -> None:
    remote = remote_connector(creator={"email": "team@acme.example"})
    for name in ("integrationTypes", "supportedRegions", "privateProjects", "certificationInfo"):
        del remote[name]
    result = plan(manifest(), remote)
    assert [a["action"] for a in result.actions] == [
        "setIntegrationTypes", "setCreatorTitle", "setCreatorName", "setCreatorCompany",
        "setCreatorNoOfContributors", "setCreatorSupportUrl", "setCreatorLogo",
        "setSupportedRegions", "addPrivateProject", "addPrivateProject",
        "addCertificationComment",
    ]  # fmt: skip


def test_diff_entries_for_people() -> None:
    spec = manifest(
        name="Pay",
        creator=creator(email="new@acme.example"),
        repository={"url": "git@github.com:acme/payment.git", "tag": "v1.5.0"},
        privateProjects=[P3, P1],
        certificationComments=["first", "again"],
        listed=False,
    )
    remote = remote_connector(alreadyListed=True, status="Published")
    assert plan(spec, remote).diff == (
        DiffEntry("name", "Payment Gateway", "Pay"),
        DiffEntry("creator.email", "team@acme.example", "new@acme.example"),
        DiffEntry("repository.tag", "v1.4.0", "v1.5.0"),
        DiffEntry("privateProjects", [P1, P2], [P1, P3]),
        DiffEntry("certificationComments", None, ["again"]),
        DiffEntry("listed", True, False),
    )


def test_diff_entry_for_a_field_absent_remotely() -> None:
    remote = remote_connector()
    del remote["documentationUrl"]
    assert plan(manifest(), remote).diff == (
        DiffEntry("documentationUrl", None, "https://acme.example/docs"),
    )


def test_create_carries_exactly_the_manifest_draft_fields() -> None:
    spec = {
        "key": "tax-sync",
        "name": "Tax",
        "creator": {"email": "t@acme.example"},
        "repository": {"url": "git@github.com:acme/tax.git", "tag": "v1"},
        "privateProjects": [P2, P1],
        "certificationComments": ["please review", "please review", "docs attached"],
        "release": "certify",
        "listed": True,
    }
    result = plan(spec, None)
    assert result.change is Change.CREATE
    assert (result.id, result.version, result.diff, result.messages) == (None, None, (), ())
    assert result.draft == {
        "key": "tax-sync",
        "name": "Tax",
        "creator": {"email": "t@acme.example"},
        "repository": {"url": "git@github.com:acme/tax.git", "tag": "v1"},
        "privateProjects": [P2, P1],
    }
    assert list(result.draft) == [f for f in DRAFT_FIELDS if f in spec]
    assert result.actions == (
        {"action": "addCertificationComment", "comment": "please review"},
        {"action": "addCertificationComment", "comment": "docs attached"},
        {"action": "publish", "certification": True},
    )


@pytest.mark.parametrize(
    ("release", "lifecycle"),
    [("draft", ()), ("preview", ({"action": "updatePreviewable"},)),
     ("publish", ({"action": "publish", "certification": False},))],
)  # fmt: skip
def test_create_then_the_lifecycle_action(release: str, lifecycle: tuple[Any, ...]) -> None:
    spec = manifest(release=release, certificationComments=[], listed=False)
    result = plan(spec, None)
    assert result.actions == lifecycle
    assert result.draft == draft_of(spec)


def test_draft_is_a_copy() -> None:
    spec = manifest()
    draft = draft_of(spec)
    draft["creator"]["name"] = "changed"
    assert spec["creator"]["name"] == "Jane Doe"


def test_not_private_connector_blocks_project_changes() -> None:
    remote = remote_connector(private=False)
    result = plan(manifest(name="Pay", privateProjects=[P1, P3], release="publish"), remote)
    assert result.change is Change.BLOCKED
    assert [a["action"] for a in result.actions] == [
        "setName", "removePrivateProject", "addPrivateProject", "publish"
    ]  # fmt: skip
    assert result.has_error
    assert "ConnectorStagedNotPrivate" in result.messages[0].text
    assert "remove privateProjects from the manifest" in result.messages[0].text


def test_not_private_connector_without_project_changes_is_not_blocked() -> None:
    result = plan(manifest(name="Pay"), remote_connector(private=False))
    assert result.change is Change.UPDATE


def test_processing_connector_with_something_to_send_is_blocked() -> None:
    result = plan(manifest(name="Pay", release="publish"), remote_connector(status="Processing"))
    assert result.change is Change.BLOCKED
    assert result.actions == ({"action": "setName", "name": "Pay"},)
    assert result.messages[0].level is Level.ERROR
    assert "--wait" in result.messages[0].text


def test_processing_connector_with_nothing_to_send_is_unchanged() -> None:
    result = plan(manifest(release="publish"), remote_connector(status="Processing"))
    assert (result.change, result.actions, result.has_error) == (Change.UNCHANGED, (), False)


def test_comment_alone_on_a_processing_connector_is_blocked() -> None:
    spec = manifest(certificationComments=["first", "new"])
    assert plan(spec, remote_connector(status="Processing")).change is Change.BLOCKED
