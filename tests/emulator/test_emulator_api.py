"""Every ConnectorStaged endpoint and error code of the emulator, over a real socket."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .conftest import DRAFT, Api, error_code


def test_token_with_basic_auth_names_granted_scopes(emulator: Any) -> None:
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("emulator-client", "emulator-secret"),
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    project = emulator.project_key
    assert body["scope"] == (f"manage_connectors:{project} manage_connectors_deployments:{project}")
    assert body["expires_in"] > 0


def test_token_with_form_credentials_and_requested_scope(emulator: Any) -> None:
    scope = f"manage_connectors:{emulator.project_key}"
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "emulator-client",
            "client_secret": "emulator-secret",
            "scope": scope,
        },
    )
    assert response.json()["scope"] == scope
    refused = httpx.post(
        f"{emulator.url}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "scope": f"manage_project:{emulator.project_key}",
        },
        auth=("emulator-viewer", "emulator-viewer-secret"),
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"


def test_bad_client_secret_is_401_and_not_echoed(emulator: Any) -> None:
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=("emulator-client", "wrong-secret"),
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "wrong-secret" not in response.text


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc"])
def test_missing_or_bad_token_is_401_in_the_official_shape(
    emulator: Any, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    response = httpx.get(f"{emulator.url}/connectors/drafts", headers=headers)
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "message": "invalid_token",
        "errors": [{"code": "invalid_token", "message": "invalid_token"}],
        "error": "invalid_token",
    }


def test_token_expires_on_the_emulator_clock(emulator: Any, api: Api) -> None:
    assert api.query().status_code == 200
    emulator.admin("POST", "clock", {"advance": 172801})
    assert api.query().status_code == 401


def test_viewer_reads_but_cannot_write(emulator: Any, api: Api) -> None:
    created = api.create().json()
    viewer = Api(emulator.url, "emulator-viewer", "emulator-viewer-secret")
    assert viewer.get(created["id"]).status_code == 200
    for response in (
        viewer.create(key="other"),
        viewer.update(created["id"], 1, {"action": "setName", "name": "X"}),
        viewer.http.delete(f"/connectors/drafts/{created['id']}"),
    ):
        assert response.status_code == 403
        assert error_code(response) == "insufficient_scope"


def test_create_answers_a_fresh_draft(api: Api) -> None:
    response = api.create(description="Cards")
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert body["private"] is True
    assert body["status"] == "Draft"
    assert body["isPreviewable"] == "none"
    assert (body["hasChanges"], body["alreadyListed"]) == (False, False)
    assert body["configurations"][0]["applicationType"] == "service"
    assert body["privateProjects"] == [] and body["integrationTypes"] == []
    assert "publishingReport" not in body and "previewableReport" not in body


def test_create_ignores_read_only_fields(api: Api) -> None:
    body = api.create(id="mine", version=7, status="Published", private=False).json()
    assert body["id"] != "mine"
    assert (body["version"], body["status"], body["private"]) == (1, "Draft", True)


def test_create_duplicate_key(api: Api) -> None:
    assert api.create().status_code == 201
    response = api.create()
    assert response.status_code == 400
    assert error_code(response) == "DuplicateField"
    error = response.json()["errors"][0]
    assert (error["field"], error["duplicateValue"]) == ("key", "payment-gateway")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({k: v for k, v in DRAFT.items() if k != "name"}, "name"),
        ({**DRAFT, "creator": {"name": "x"}}, "creator.email"),
        ({**DRAFT, "repository": {"url": "u"}}, "repository.tag"),
        ({**DRAFT, "name": 5}, "name"),
        ({**DRAFT, "supportedRegions": ["mars"]}, "supportedRegions.0"),
        ({**DRAFT, "key": "bad key"}, "key"),
        ({**DRAFT, "colour": "red"}, "colour"),
    ],
)
def test_create_validation_names_the_field(api: Api, body: dict[str, Any], field: str) -> None:
    response = api.http.post("/connectors/drafts", json=body)
    assert response.status_code == 400
    assert error_code(response) == "InvalidJsonInput"
    assert response.json()["message"].startswith(f"{field}:")


@pytest.mark.parametrize("content", [b"{", b"", b"[1, 2]", b"\xff"])
def test_malformed_bodies_are_invalid_json_input(api: Api, content: bytes) -> None:
    response = api.http.post("/connectors/drafts", content=content)
    assert response.status_code == 400
    assert error_code(response) == "InvalidJsonInput"


def test_body_over_one_mebibyte_is_413(api: Api) -> None:
    response = api.create(description="x" * (1024 * 1024 + 1))
    assert response.status_code == 413


def test_get_by_id_and_key_and_404(api: Api) -> None:
    created = api.create().json()
    assert api.get(created["id"]).json() == created
    assert api.get("key=payment-gateway").json() == created
    for ref, text in (("key=nope", "key 'nope'"), ("no-such-id", "ID 'no-such-id'")):
        response = api.get(ref)
        assert response.status_code == 404
        assert error_code(response) == "ResourceNotFound"
        assert text in response.json()["message"]


def test_update_by_id_and_key_bumps_version_once_per_request(api: Api) -> None:
    created = api.create().json()
    response = api.update(
        created["id"],
        1,
        {"action": "setName", "name": "New"},
        {"action": "setCreatorName", "creatorName": "Jane"},
    )
    assert response.status_code == 201
    assert (response.json()["version"], response.json()["name"]) == (2, "New")
    by_key = api.update("key=payment-gateway", 2, {"action": "setDescription", "description": "D"})
    assert by_key.json()["version"] == 3


def test_update_that_changes_nothing_keeps_the_version(api: Api) -> None:
    api.create()
    same = api.update("key=payment-gateway", 1, {"action": "setName", "name": DRAFT["name"]})
    assert same.status_code == 201
    assert same.json()["version"] == 1
    assert api.update("key=payment-gateway", 1).json()["version"] == 1


def test_update_status_setting(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin("POST", "settings", {"update_status": 200})
    assert (
        api.update("key=payment-gateway", 1, {"action": "setName", "name": "B"}).status_code == 200
    )


def test_version_mismatch_is_409_with_both_versions(api: Api) -> None:
    api.create()
    response = api.update("key=payment-gateway", 5, {"action": "setName", "name": "B"})
    assert response.status_code == 409
    assert error_code(response) == "ConcurrentModification"
    error = response.json()["errors"][0]
    assert (error["expectedVersion"], error["currentVersion"]) == (5, 1)


def test_actions_are_atomic(api: Api) -> None:
    api.create()
    response = api.update(
        "key=payment-gateway",
        1,
        {"action": "setName", "name": "Changed"},
        {"action": "setSupportedRegions", "regions": []},
    )
    assert response.status_code == 400
    assert "actions[1].regions" in response.json()["message"]
    assert api.get("key=payment-gateway").json()["name"] == DRAFT["name"]


@pytest.mark.parametrize(
    ("action", "text"),
    [
        ({"action": "setConfigurations", "configurations": []}, "unknown update action"),
        ({"action": "setName"}, "actions[0].name"),
        ({"action": "setName", "name": 3}, "actions[0].name"),
        ({"name": "x"}, "actions[0]"),
    ],
)
def test_invalid_actions_are_refused(api: Api, action: dict[str, Any], text: str) -> None:
    api.create()
    response = api.update("key=payment-gateway", 1, action)
    assert response.status_code == 400
    assert error_code(response) == "InvalidJsonInput"
    assert text in response.json()["message"]


@pytest.mark.parametrize(
    "body", [{"actions": []}, {"version": 1}, {"version": 1, "actions": [], "x": 1}]
)
def test_update_body_shape(api: Api, body: dict[str, Any]) -> None:
    api.create()
    response = api.http.post("/connectors/drafts/key=payment-gateway", json=body)
    assert response.status_code == 400
    assert error_code(response) == "InvalidJsonInput"


def test_private_project_actions(emulator: Any, api: Api) -> None:
    api.create()
    project = {"action": "addPrivateProject", "privateProject": "europe-west1.gcp:acme-prod"}
    added = api.update("key=payment-gateway", 1, project)
    assert added.json()["privateProjects"] == ["europe-west1.gcp:acme-prod"]
    emulator.admin("POST", "seed", {**DRAFT, "key": "public", "private": False})
    refused = api.update("key=public", 1, project)
    assert refused.status_code == 400
    assert error_code(refused) == "ConnectorStagedNotPrivate"


def test_delete_by_id_and_key(api: Api) -> None:
    first = api.create().json()
    api.create(key="second")
    deleted = api.http.delete(f"/connectors/drafts/{first['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["id"] == first["id"]
    assert api.http.delete("/connectors/drafts/key=second").status_code == 200
    assert api.get(first["id"]).status_code == 404
    assert api.http.delete("/connectors/drafts/key=second").status_code == 404


def test_query_pages_in_creation_order(api: Api) -> None:
    for key in ("c-one", "a-two", "b-three"):
        api.create(key=key)
    page = api.query(limit=2, offset=1).json()
    assert (page["limit"], page["offset"], page["count"], page["total"]) == (2, 1, 2, 3)
    assert [c["key"] for c in page["results"]] == ["a-two", "b-three"]
    assert api.query().json()["limit"] == 20
    assert api.query(limit=0).json()["results"] == []


def test_query_sort_and_filters(emulator: Any, api: Api) -> None:
    api.create(key="k-b", name="B", integrationTypes=["psp"])
    api.create(key="k-a", name="A", integrationTypes=["tax", "erp"])
    emulator.admin("POST", "seed", {**DRAFT, "key": "k-c", "name": "C", "private": False})
    keys = lambda r: [c["key"] for c in r.json()["results"]]  # noqa: E731
    assert keys(api.query(sort="name asc")) == ["k-a", "k-b", "k-c"]
    assert keys(api.query(sort="name desc")) == ["k-c", "k-b", "k-a"]
    assert keys(api.query(isPrivate="false")) == ["k-c"]
    assert keys(api.query(isPrivate="true")) == ["k-b", "k-a"]
    params = [("integrationTypes", "psp"), ("integrationTypes", "erp")]
    assert keys(api.http.get("/connectors/drafts", params=params)) == ["k-b", "k-a"]


@pytest.mark.parametrize(
    "params",
    [{"limit": 501}, {"limit": -1}, {"limit": "x"}, {"offset": 10001}, {"sort": "nope asc"},
     {"sort": "name sideways"}, {"isPrivate": "maybe"}, {"where": "key=\"x\""}],
)  # fmt: skip
def test_query_parameters_out_of_range(api: Api, params: dict[str, Any]) -> None:
    response = api.query(**params)
    assert response.status_code == 400
    assert error_code(response) == "InvalidQueryParam"


def test_unknown_route_is_a_json_404(api: Api) -> None:
    response = api.http.get("/connectors/nothing/here")
    assert response.status_code == 404
    assert error_code(response) == "ResourceNotFound"


def test_counters_count_requests_per_route(emulator: Any, api: Api) -> None:
    api.create()
    api.get("key=payment-gateway")
    api.get("key=payment-gateway")
    api.query()
    assert emulator.admin("GET", "counters") == {"create": 1, "get": 2, "query": 1, "token": 1}
