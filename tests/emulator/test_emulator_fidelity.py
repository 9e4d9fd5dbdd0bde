"""The emulator against connect-api-facts.md, with literal expectations from the facts.

Where the facts are silent the behaviour is a setting; both values are exercised here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import DRAFT, Api, error_code

KEY = "key=payment-gateway"
PUBLISH = {"action": "publish", "certification": False}
PREVIEW = {"action": "updatePreviewable"}
PROJECT = "europe-west1.gcp:acme-prod"
REPORT = {
    "entries": [{"type": "Information", "title": "ok", "createdAt": "2026-01-01T00:00:00.000Z"}]
}
LISTED = {
    **DRAFT, "version": 7, "status": "Published", "alreadyListed": True, "hasChanges": False,
    "isPreviewable": "true", "previewableReport": REPORT,
}  # fmt: skip


def settings(emulator: Any, **changes: Any) -> None:
    emulator.admin("POST", "settings", changes)


def advance(emulator: Any, seconds: float) -> None:
    emulator.admin("POST", "clock", {"advance": seconds})


# -- updates while Processing ---------------------------------------------------------------


def test_processing_is_refused_before_not_private(emulator: Any, api: Api) -> None:
    emulator.admin("POST", "seed", {**DRAFT, "private": False})
    assert api.update(KEY, 1, PUBLISH).json()["status"] == "Processing"
    add = {"action": "addPrivateProject", "privateProject": PROJECT}
    refused = api.update(KEY, 2, add)
    assert (refused.status_code, error_code(refused)) == (400, "ConnectorStagedInCertification")
    settings(emulator, processing_error_code="ConnectorStagedPreviewRequestUnderProcess")
    again = api.update(KEY, 2, add)
    assert error_code(again) == "ConnectorStagedPreviewRequestUnderProcess"


def test_processing_still_answers_a_stale_version_with_409(api: Api) -> None:
    api.create()
    api.update(KEY, 1, PUBLISH)
    stale = api.update(KEY, 1, {"action": "setName", "name": "Renamed"})
    assert (stale.status_code, error_code(stale)) == (409, "ConcurrentModification")


def test_the_processing_code_default_is_a_documented_code(emulator: Any) -> None:
    documented = {
        "ConnectorStagedNotPrivate", "ConnectorStagedPreviewRequestUnderProcess",
        "ConnectorStagedInCertification", "ConnectorAlreadyCertified",
    }  # fmt: skip
    assert emulator.admin("GET", "settings")["processing_error_code"] in documented


# -- create ---------------------------------------------------------------------------------


def test_zero_contributors_is_taken_on_create_but_not_by_the_setter(api: Api) -> None:
    created = api.create(creator={"email": "team@acme.example", "noOfContributors": 0})
    assert created.status_code == 201
    assert created.json()["creator"] == {"email": "team@acme.example", "noOfContributors": 0}
    action = {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 0}
    assert error_code(api.update(KEY, 1, action)) == "InvalidJsonInput"


def test_certification_comment_user_is_the_project_key(api: Api) -> None:
    api.create()
    body = api.update(KEY, 1, {"action": "addCertificationComment", "comment": "Hi"}).json()
    [comment] = body["certificationInfo"]["comments"]
    assert (comment["userId"], comment["comment"], body["version"]) == ("emulator-project", "Hi", 2)


# -- requests that change nothing -----------------------------------------------------------


def test_a_private_project_change_that_changes_nothing_keeps_the_version(api: Api) -> None:
    api.create(privateProjects=[PROJECT])
    absent = {"action": "removePrivateProject", "privateProject": "europe-west1.gcp:other"}
    present = {"action": "addPrivateProject", "privateProject": PROJECT}
    for action in (absent, present):
        answer = api.update(KEY, 1, action)
        assert (answer.status_code, answer.json()["version"]) == (201, 1)
    body = api.get(KEY).json()
    assert (body["version"], body["privateProjects"]) == (1, [PROJECT])


def test_a_setter_that_changes_nothing_keeps_the_lifecycle_fields(emulator: Any, api: Api) -> None:
    emulator.admin("POST", "seed", LISTED)
    body = api.update(KEY, 7, {"action": "setName", "name": "Payment Gateway"}).json()
    assert (body["version"], body["hasChanges"], body["isPreviewable"]) == (7, False, "true")
    assert body["previewableReport"] == REPORT


@pytest.mark.parametrize(("resets", "previewable"), [(True, "none"), (False, "true")])
def test_a_staged_change_resets_is_previewable_per_setting(
    emulator: Any, api: Api, resets: bool, previewable: str
) -> None:
    settings(emulator, staged_change_resets_previewable=resets)
    emulator.admin("POST", "seed", LISTED)
    body = api.update(KEY, 7, {"action": "setName", "name": "Renamed"}).json()
    assert (body["version"], body["hasChanges"], body["isPreviewable"]) == (8, True, previewable)
    assert ("previewableReport" in body) is not resets


# -- a new request clears the old failure report --------------------------------------------


def test_a_new_publish_clears_the_failure_report(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin("POST", "script", {"key": "payment-gateway", "publish": "failed"})
    api.update(KEY, 1, PUBLISH)
    advance(emulator, 3)
    failed = api.get(KEY).json()
    assert (failed["status"], failed["publishingReport"]["entries"][0]["type"]) == (
        "Failed",
        "Error",
    )
    again = api.update(KEY, 3, PUBLISH).json()
    assert (again["status"], "publishingReport" in again) == ("Processing", False)


def test_a_new_preview_request_clears_the_rejection_report(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin("POST", "script", {"key": "payment-gateway", "preview": "false"})
    api.update(KEY, 1, PREVIEW)
    advance(emulator, 2)
    assert api.get(KEY).json()["previewableReport"]["entries"][0]["type"] == "Error"
    again = api.update(KEY, 3, PREVIEW).json()
    assert (again["isPreviewable"], "previewableReport" in again) == ("pending", False)


# -- unlist (settings: the facts only speak of certified connectors) ------------------------


def test_unlist_on_an_uncertified_connector_works_by_default(api: Api, emulator: Any) -> None:
    emulator.admin("POST", "seed", LISTED)
    body = api.update(KEY, 7, {"action": "unlist"}).json()
    assert (body["alreadyListed"], body["version"]) == (False, 8)


def test_unlist_on_an_uncertified_connector_can_be_refused(api: Api, emulator: Any) -> None:
    settings(emulator, unlist_uncertified="refused")
    emulator.admin("POST", "seed", LISTED)
    refused = api.update(KEY, 7, {"action": "unlist"})
    assert (refused.status_code, error_code(refused)) == (400, "InvalidJsonInput")
    assert api.get(KEY).json()["alreadyListed"] is True
    emulator.admin("POST", "seed", {"connector": {**LISTED, "key": "certified"}, "certified": True})
    assert api.update("key=certified", 7, {"action": "unlist"}).json()["alreadyListed"] is False


def test_unlist_may_keep_already_listed(api: Api, emulator: Any) -> None:
    settings(emulator, unlist_clears_listed=False)
    emulator.admin("POST", "seed", LISTED)
    body = api.update(KEY, 7, {"action": "unlist"}).json()
    assert (body["alreadyListed"], body["version"]) == (True, 7)


def test_unknown_behaviour_settings_refuse_bad_values(emulator: Any) -> None:
    for change in (
        {"unlist_uncertified": "maybe"},
        {"unlist_clears_listed": "yes"},
        {"staged_change_resets_previewable": 1},
    ):
        response = httpx.post(f"{emulator.url}/_emulator/settings", json=change)
        assert (response.status_code, response.json()["errors"][0]["code"]) == (
            400,
            "InvalidJsonInput",
        )


# -- DELETE (facts §1: 200 with the deleted ConnectorStaged, no version parameter, 404 after) --


@pytest.mark.parametrize("by", ["id", "key"])
def test_delete_answers_the_deleted_resource_then_404(api: Api, by: str) -> None:
    created = api.create().json()
    api.update(KEY, 1, {"action": "setName", "name": "Renamed"})
    before = api.get(KEY).json()
    ref = created["id"] if by == "id" else KEY
    deleted = api.http.delete(f"/connectors/drafts/{ref}")
    assert (deleted.status_code, deleted.json()) == (200, before)
    assert (deleted.json()["version"], deleted.json()["name"]) == (2, "Renamed")
    for answer in (api.get(ref), api.http.delete(f"/connectors/drafts/{ref}")):
        assert (answer.status_code, error_code(answer)) == (404, "ResourceNotFound")
    assert api.http.delete(f"/connectors/drafts/{ref}").json()["message"] == "Connector not found."
    assert api.query().json()["total"] == 0
