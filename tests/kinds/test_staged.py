"""The reference action semantics, anchored to the official Connect API examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from connectorctl.kinds.connector_staged.actions import (
    ActionRejected,
    apply_update,
    check_action_shape,
)
from connectorctl.model import ACTION_PARAMS

NOW = "2026-01-02T03:04:05.000Z"


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


@pytest.fixture
def created(connect_examples: Path) -> dict[str, Any]:
    return dict(load(connect_examples / "connector", "created-draft.json"))


def test_official_update_example_gives_the_official_result(connect_examples: Path) -> None:
    folder = connect_examples / "connector"
    request = load(folder, "update.json")
    result, changed = apply_update(
        load(folder, "created-draft.json"), request["version"], request["actions"], now=NOW
    )
    assert changed
    assert result == load(folder, "updated-draft.json")


# Each official action example applied to created-draft.json (version 1, Draft, private, no
# projects, not listed): the fields it must change, and whether the version moves.
EXPECTED: dict[str, tuple[dict[str, Any], bool]] = {
    "ConnectorSetNameAction": ({"name": "The new name of the Connector"}, True),
    "ConnectorSetDescriptionAction": ({"description": "New description of the Connector."}, True),
    "ConnectorSetDocumentationUrlAction": (
        {"documentationUrl": "https://www.example.com/my-connector/documentation"},
        True,
    ),
    "ConnectorSetIntegrationTypesAction": ({"integrationTypes": ["promotion", "other"]}, True),
    "ConnectorSetCreatorTitleAction": ({"creator.title": "Ms"}, True),
    "ConnectorSetCreatorNameAction": ({"creator.name": "Jane Doe"}, True),
    "ConnectorSetCreatorEmailAction": ({"creator.email": "new-email-address@example.com"}, True),
    "ConnectorSetCreatorCompanyAction": ({"creator.company": "New name of company"}, True),
    "ConnectorSetCreatorNoOfContributorsAction": ({"creator.noOfContributors": 123}, True),
    "ConnectorSetCreatorSupportUrlAction": (
        {"creator.supportUrl": "https://www.example.com/support"},
        True,
    ),
    "ConnectorSetCreatorLogoAction": (
        {"creator.logoUrl": "https://www.example.com/logo.png"},
        True,
    ),
    # The example names the repository the draft already has: a no-op, no new version.
    "ConnectorSetRepositoryAction": ({}, False),
    "ConnectorSetSupportedRegionsAction": (
        {"supportedRegions": ["europe-west1.gcp", "us-central1.gcp", "australia-southeast1.gcp"]},
        True,
    ),
    "ConnectorAddPrivateProjectAction": (
        {"privateProjects": ["europe-west1.gcp:example-project-key"]},
        True,
    ),
    # Not in the list: nothing to remove.
    "ConnectorRemovePrivateProjectAction": ({}, False),
    "ConnectorAddCertificationCommentAction": (
        {
            "certificationInfo": {
                "comments": [
                    {"userId": "reviewer", "datetime": NOW, "comment": "The comment to add."}
                ]
            }
        },
        True,
    ),
    # Not listed yet: unlisting changes nothing.
    "ConnectorUnlistAction": ({}, False),
    "ConnectorUpdatePreviewableAction": ({"isPreviewable": "pending"}, True),
    "ConnectorPublishAction": ({"status": "Processing"}, True),
}
ORPHAN = "ConnectorSetConfigurationsAction"


def with_changes(staged: dict[str, Any], changes: dict[str, Any], version: int) -> dict[str, Any]:
    result = copy.deepcopy(staged)
    for dotted, value in changes.items():
        *parents, last = dotted.split(".")
        target = result
        for step in parents:
            target = target[step]
        target[last] = value
    result["version"] = version
    return result


def test_every_official_action_example_is_covered(connect_examples: Path) -> None:
    names = {p.stem for p in (connect_examples / "connector" / "updates").glob("*.json")}
    assert names == set(EXPECTED) | {ORPHAN}
    examples = [load(connect_examples / "connector" / "updates", f"{n}.json") for n in EXPECTED]
    assert {e["action"] for e in examples} == set(ACTION_PARAMS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_official_action_example(
    connect_examples: Path, created: dict[str, Any], name: str
) -> None:
    action = load(connect_examples / "connector" / "updates", f"{name}.json")
    changes, bumps = EXPECTED[name]
    result, changed = apply_update(created, 1, [action], now=NOW, user_id="reviewer")
    assert changed is bumps
    assert result == with_changes(created, changes, 2 if bumps else 1)


def test_orphan_set_configurations_example_is_refused(
    connect_examples: Path, created: dict[str, Any]
) -> None:
    action = load(connect_examples / "connector" / "updates", f"{ORPHAN}.json")
    with pytest.raises(ActionRejected) as caught:
        apply_update(created, 1, [action], now=NOW)
    assert (caught.value.status, caught.value.code) == (400, "InvalidJsonInput")
    assert "setConfigurations" in caught.value.message


def test_remove_private_project_after_add(created: dict[str, Any]) -> None:
    project = "europe-west1.gcp:acme-prod"
    added, _ = apply_update(
        created, 1, [{"action": "addPrivateProject", "privateProject": project}], now=NOW
    )
    removed, changed = apply_update(
        added, 2, [{"action": "removePrivateProject", "privateProject": project}], now=NOW
    )
    assert changed and removed["privateProjects"] == [] and removed["version"] == 3


def test_unlist_a_listed_connector(created: dict[str, Any]) -> None:
    listed = {**created, "alreadyListed": True, "status": "Published"}
    result, changed = apply_update(listed, 1, [{"action": "unlist"}], now=NOW)
    assert changed and result["alreadyListed"] is False and result["version"] == 2


def test_version_mismatch_is_a_conflict(created: dict[str, Any]) -> None:
    with pytest.raises(ActionRejected) as caught:
        apply_update(created, 7, [{"action": "setName", "name": "x"}], now=NOW)
    assert (caught.value.status, caught.value.code) == (409, "ConcurrentModification")
    assert caught.value.extra == {"expectedVersion": 7, "currentVersion": 1}


def test_a_request_is_atomic(created: dict[str, Any]) -> None:
    original = copy.deepcopy(created)
    public = {**created, "private": False}
    actions = [
        {"action": "setName", "name": "changed"},
        {"action": "addPrivateProject", "privateProject": "europe-west1.gcp:acme-prod"},
    ]
    with pytest.raises(ActionRejected) as caught:
        apply_update(public, 1, actions, now=NOW)
    assert caught.value.code == "ConnectorStagedNotPrivate"
    assert created == original and public["name"] == original["name"]


def test_field_change_after_publish_sets_has_changes_and_resets_preview(
    created: dict[str, Any],
) -> None:
    published = {**created, "status": "Published", "alreadyListed": True, "isPreviewable": "true"}
    published["previewableReport"] = {"entries": []}
    result, _ = apply_update(
        published, 1, [{"action": "setDescription", "description": "d"}], now=NOW
    )
    assert result["hasChanges"] is True
    assert result["isPreviewable"] == "none" and "previewableReport" not in result


def test_comment_and_unlist_do_not_count_as_staged_changes(created: dict[str, Any]) -> None:
    published = {**created, "status": "Published", "alreadyListed": True, "isPreviewable": "true"}
    actions = [{"action": "addCertificationComment", "comment": "hi"}, {"action": "unlist"}]
    result, _ = apply_update(published, 1, actions, now=NOW)
    assert result["hasChanges"] is False and result["isPreviewable"] == "true"


def test_field_change_on_a_draft_does_not_set_has_changes(created: dict[str, Any]) -> None:
    result, _ = apply_update(created, 1, [{"action": "setName", "name": "n"}], now=NOW)
    assert result["hasChanges"] is False


@pytest.mark.parametrize(
    ("overrides", "action", "code"),
    [
        ({"isPreviewable": "pending"}, {"action": "updatePreviewable"},
         "ConnectorStagedPreviewRequestUnderProcess"),
        ({"status": "InCertification"}, {"action": "publish", "certification": True},
         "ConnectorStagedInCertification"),
        ({"status": "ReadyForCertification"}, {"action": "publish", "certification": True},
         "ConnectorStagedInCertification"),
        ({"private": False}, {"action": "removePrivateProject",
                              "privateProject": "europe-west1.gcp:acme-prod"},
         "ConnectorStagedNotPrivate"),
    ],
)  # fmt: skip
def test_refused_lifecycle_and_project_steps(
    created: dict[str, Any], overrides: dict[str, Any], action: dict[str, Any], code: str
) -> None:
    with pytest.raises(ActionRejected) as caught:
        apply_update({**created, **overrides}, 1, [action], now=NOW)
    assert (caught.value.status, caught.value.code) == (400, code)


def test_already_certified_only_without_changes(created: dict[str, Any]) -> None:
    published = {**created, "status": "Published", "alreadyListed": True}
    certify = [{"action": "publish", "certification": True}]
    with pytest.raises(ActionRejected) as caught:
        apply_update(published, 1, certify, now=NOW, certified=True)
    assert caught.value.code == "ConnectorAlreadyCertified"
    changed = {**published, "hasChanges": True}
    result, _ = apply_update(changed, 1, certify, now=NOW, certified=True)
    assert result["status"] == "Processing"


@pytest.mark.parametrize(
    ("action", "fragment"),
    [
        ("setName", "missing required field 'action'"),
        ({"action": "setKey", "key": "k"}, "unknown update action 'setKey'"),
        ({"action": "setName"}, "actions[0].name: missing required field"),
        ({"action": "setName", "name": 3}, "actions[0].name: expected string"),
        (
            {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": True},
            "expected integer",
        ),
        ({"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 0}, "at least 1"),
        ({"action": "setSupportedRegions", "regions": []}, "at least 1 item"),
        (
            {"action": "setSupportedRegions", "regions": ["mars-1.gcp"]},
            "'mars-1.gcp' is not one of",
        ),
        (
            {"action": "setIntegrationTypes", "integrationTypes": ["psp", "ai"]},
            "'ai' is not one of",
        ),
        ({"action": "addPrivateProject", "privateProject": "no-colon"}, "identifier"),
        ({"action": "addPrivateProject", "privateProject": "eu:proj\n"}, "identifier"),
        ({"action": "publish", "certification": "yes"}, "expected boolean"),
    ],
)
def test_action_shape_is_checked(action: Any, fragment: str) -> None:
    with pytest.raises(ActionRejected) as caught:
        check_action_shape(0, action)
    assert (caught.value.status, caught.value.code) == (400, "InvalidJsonInput")
    assert fragment in caught.value.message


def test_request_shape_is_checked(created: dict[str, Any]) -> None:
    for version, actions in (("1", []), (True, []), (1, {"action": "setName"})):
        with pytest.raises(ActionRejected) as caught:
            apply_update(created, version, actions, now=NOW)
        assert caught.value.code == "InvalidJsonInput"


def test_empty_request_changes_nothing(created: dict[str, Any]) -> None:
    assert apply_update(created, 1, [], now=NOW) == (created, False)


def test_unknown_fields_inside_an_action_are_refused() -> None:
    staged = {"id": "c1", "version": 1, "name": "A"}
    with pytest.raises(ActionRejected) as refused:
        apply_update(staged, 1, [{"action": "setName", "name": "B", "colour": "red"}], now="t")
    assert (refused.value.status, refused.value.code) == (400, "InvalidJsonInput")
    assert "actions[0].colour" in refused.value.message
