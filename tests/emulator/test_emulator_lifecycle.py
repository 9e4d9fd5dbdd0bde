"""Preview, publish and certification over time (the emulator clock moves; nothing sleeps)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Api, error_code

KEY = "key=payment-gateway"
PREVIEW = {"action": "updatePreviewable"}
PUBLISH = {"action": "publish", "certification": False}
CERTIFY = {"action": "publish", "certification": True}
SET_NAME = {"action": "setName", "name": "Renamed"}


def advance(emulator: Any, seconds: float) -> None:
    emulator.admin("POST", "clock", {"advance": seconds})


@pytest.mark.parametrize(("outcome", "entry_type"), [("true", "Information"), ("false", "Error")])
def test_preview_pending_then_decided(
    emulator: Any, api: Api, outcome: str, entry_type: str
) -> None:
    api.create()
    emulator.admin("POST", "script", {"key": "payment-gateway", "preview": outcome})
    assert api.update(KEY, 1, PREVIEW).json()["isPreviewable"] == "pending"
    again = api.update(KEY, 2, PREVIEW)
    assert error_code(again) == "ConnectorStagedPreviewRequestUnderProcess"
    advance(emulator, 1.9)
    assert api.get(KEY).json()["isPreviewable"] == "pending"
    advance(emulator, 0.2)
    body = api.get(KEY).json()
    assert (body["isPreviewable"], body["version"]) == (outcome, 3)
    assert body["previewableReport"]["entries"][0]["type"] == entry_type


def test_publish_then_field_change_sets_has_changes(emulator: Any, api: Api) -> None:
    api.create()
    processing = api.update(KEY, 1, PUBLISH).json()
    assert processing["status"] == "Processing"
    advance(emulator, 3)
    published = api.get(KEY).json()
    assert published["status"] == "Published"
    assert (published["alreadyListed"], published["hasChanges"], published["version"]) == (
        True,
        False,
        3,
    )
    assert published["publishingReport"]["entries"]
    changed = api.update(KEY, 3, SET_NAME).json()
    assert (changed["hasChanges"], changed["isPreviewable"]) == (True, "none")
    comment = api.update(KEY, 4, {"action": "addCertificationComment", "comment": "hi"}).json()
    assert comment["certificationInfo"]["comments"][0]["comment"] == "hi"


def test_failed_publish_has_a_report(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin("POST", "script", {"key": "payment-gateway", "publish": "failed"})
    api.update(KEY, 1, PUBLISH)
    advance(emulator, 3)
    body = api.get(KEY).json()
    assert body["status"] == "Failed"
    assert body["publishingReport"]["entries"][0]["type"] == "Error"


def test_certification_path_and_already_certified(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin(
        "POST", "script", {"key": "payment-gateway", "publish_delay": 1, "certification_delay": 1}
    )
    api.update(KEY, 1, CERTIFY)
    seen = []
    for _ in range(3):
        advance(emulator, 1)
        seen.append(api.get(KEY).json()["status"])
    assert seen == ["ReadyForCertification", "InCertification", "Published"]
    body = api.get(KEY).json()
    assert (body["private"], body["version"]) == (False, 5)
    refused = api.update(KEY, 5, CERTIFY)
    assert error_code(refused) == "ConnectorAlreadyCertified"
    api.update(KEY, 5, SET_NAME)
    assert api.update(KEY, 6, CERTIFY).json()["status"] == "Processing"


def test_in_certification_refuses_publish_but_takes_fields(emulator: Any, api: Api) -> None:
    api.create()
    api.update(KEY, 1, CERTIFY)
    advance(emulator, 3)
    assert api.get(KEY).json()["status"] == "ReadyForCertification"
    assert error_code(api.update(KEY, 3, CERTIFY)) == "ConnectorStagedInCertification"
    assert api.update(KEY, 3, SET_NAME).json()["name"] == "Renamed"


def test_publish_without_certification_is_taken_during_a_certification(
    emulator: Any, api: Api
) -> None:
    # The facts: ConnectorStagedInCertification is only for a publish that requires certification.
    api.create()
    api.update(KEY, 1, CERTIFY)
    advance(emulator, 3)
    assert api.get(KEY).json()["status"] == "ReadyForCertification"
    taken = api.update(KEY, 3, PUBLISH)
    assert (taken.status_code, taken.json()["status"], taken.json()["version"]) == (
        201,
        "Processing",
        4,
    )
    advance(emulator, 3)
    body = api.get(KEY).json()
    assert (body["status"], body["private"]) == ("Published", True)


def test_updates_while_processing_use_the_configured_code(emulator: Any, api: Api) -> None:
    api.create()
    api.update(KEY, 1, PUBLISH)
    refused = api.update(KEY, 2, SET_NAME)
    assert refused.status_code == 400
    assert error_code(refused) == "ConnectorStagedInCertification"
    emulator.admin("POST", "settings", {"processing_error_code": "General"})
    assert error_code(api.update(KEY, 2, SET_NAME)) == "General"
    assert api.get(KEY).json()["name"] != "Renamed"


def test_transitions_may_keep_the_version(emulator: Any, api: Api) -> None:
    emulator.admin("POST", "settings", {"transitions_bump_version": False})
    api.create()
    api.update(KEY, 1, PUBLISH)
    advance(emulator, 3)
    body = api.get(KEY).json()
    assert (body["status"], body["version"]) == ("Published", 2)


def test_a_read_and_the_next_update_agree_on_the_version(emulator: Any, api: Api) -> None:
    api.create()
    api.update(KEY, 1, PREVIEW)
    advance(emulator, 5)
    # The update observes the transition first, so version 3 (not 2) is the current one.
    assert api.update(KEY, 2, SET_NAME).status_code == 409
    assert api.get(KEY).json()["version"] == 3
    assert api.update(KEY, 3, SET_NAME).status_code == 201


def test_settings_delays_and_global_outcomes(emulator: Any, api: Api) -> None:
    emulator.admin("POST", "settings", {"preview_delay": 0, "preview_outcome": "false"})
    api.create()
    api.update(KEY, 1, PREVIEW)
    assert api.get(KEY).json()["isPreviewable"] == "false"


@pytest.mark.parametrize(("mode", "expected"), [("empty", ""), ("absent", None)])
def test_omitted_description(emulator: Any, api: Api, mode: str, expected: str | None) -> None:
    emulator.admin("POST", "settings", {"omitted_description": mode})
    assert api.create().json().get("description") == expected


def test_bad_settings_are_refused(emulator: Any, api: Api) -> None:
    import httpx

    for body in ({"update_status": 204}, {"nope": 1}, {"preview_delay": -1}):
        response = httpx.post(f"{emulator.url}/_emulator/settings", json=body)
        assert response.status_code == 400
    assert emulator.admin("GET", "settings")["update_status"] == 201


def test_seed_and_edit_as_another_user(emulator: Any, api: Api) -> None:
    seeded = emulator.admin("POST", "seed", {"key": "legacy", "name": "Old", "status": "Published",
                                             "alreadyListed": True})  # fmt: skip
    assert (seeded["version"], seeded["status"], seeded["isPreviewable"]) == (
        1,
        "Published",
        "none",
    )
    edited = emulator.admin("POST", "edit", {"key": "legacy", "actions": [SET_NAME]})
    assert (edited["name"], edited["version"], edited["hasChanges"]) == ("Renamed", 2, True)
    bumped = emulator.admin("POST", "edit", {"id": seeded["id"], "actions": []})
    assert bumped["version"] == 3
    assert api.get("key=legacy").json()["version"] == 3


def test_clock_can_be_set(emulator: Any) -> None:
    assert emulator.admin("POST", "clock", {"now": "2030-01-02T03:04:05Z"})["now"].startswith(
        "2030-01-02T03:04:05"
    )
    assert emulator.admin("GET", "clock")["now"].startswith("2030-01-02T03:04")
