"""Odd and hostile requests: only the API's methods, bad bodies and numbers are 400s, never 500s."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from connectorctl.cli import run_cli

from .conftest import DRAFT, Api, error_code

KEY = "key=payment-gateway"


def _shape(response: httpx.Response) -> dict[str, Any]:
    """The body, checked to be in the API's error shape."""
    body: dict[str, Any] = response.json()
    assert body["statusCode"] == response.status_code
    assert [set(error) >= {"code", "message"} for error in body["errors"]] == [True]
    return body


def test_head_with_a_body_creates_nothing(api: Api) -> None:
    head = api.http.request("HEAD", "/connectors/drafts", content=json.dumps(DRAFT))
    assert head.status_code == 405
    assert api.query().json()["total"] == 0


def test_head_with_a_body_updates_nothing(api: Api) -> None:
    api.create()
    body = {"version": 1, "actions": [{"action": "setName", "name": "Renamed"}]}
    head = api.http.request("HEAD", f"/connectors/drafts/{KEY}", content=json.dumps(body))
    assert head.status_code == 405
    assert (api.get(KEY).json()["name"], api.get(KEY).json()["version"]) == ("Payment Gateway", 1)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/connectors/drafts"),
        ("PATCH", f"/connectors/drafts/{KEY}"),
        ("OPTIONS", "/connectors/drafts"),
        ("GET", "/oauth/token"),
        ("DELETE", "/_emulator/reset"),
    ],
)
def test_other_methods_are_405_in_the_api_shape(api: Api, method: str, path: str) -> None:
    response = api.http.request(method, path, content=b"{}")
    assert response.status_code == 405
    assert _shape(response)["errors"][0]["code"] == "MethodNotAllowed"
    assert response.headers["allow"] in ("GET, POST", "GET, POST, DELETE", "POST")


def test_a_deeply_nested_body_is_400(api: Api) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    for path in ("/connectors/drafts", f"/connectors/drafts/{KEY}", "/_emulator/seed"):
        response = api.http.post(path, content=deep)
        assert (response.status_code, _shape(response)["errors"][0]["code"]) == (
            400,
            "InvalidJsonInput",
        )


def test_a_body_nested_65_levels_is_400(api: Api) -> None:
    value: Any = "x"
    for _ in range(64):
        value = {"a": value}
    response = api.http.post("/connectors/drafts", json={**DRAFT, "name": value})
    assert response.status_code == 400
    assert "nested deeper than 64 levels" in response.json()["message"]


def test_nan_is_not_json(api: Api) -> None:
    body = '{"version": NaN, "actions": []}'
    api.create()
    response = api.http.post(f"/connectors/drafts/{KEY}", content=body)
    assert (response.status_code, error_code(response)) == (400, "InvalidJsonInput")


@pytest.mark.parametrize("raw", ["%C2%B2", "%D9%A3", "9" * 5000, "-1", "+3", " 3", "3.0"])
def test_query_numbers_are_ascii_digits(api: Api, raw: str) -> None:
    response = api.http.get(f"/connectors/drafts?limit={raw}")
    assert (response.status_code, error_code(response)) == (400, "InvalidQueryParam")


def test_query_limit_in_ascii_digits_still_works(api: Api) -> None:
    api.create()
    assert api.http.get("/connectors/drafts?limit=003").json()["limit"] == 3


@pytest.mark.parametrize(
    "fields",
    [
        {"key": "nlkey\n"},
        {"key": "\nnlkey"},
        {"privateProjects": ["europe-west1.gcp:acme-prod\n"]},
        {"creator": {"email": "team@acme.example", "noOfContributors": 2.0}},
        {"creator": {"email": "team@acme.example", "noOfContributors": True}},
        {"creator": {"email": "team@acme.example", "nickname": "t"}},
        {"repository": {"url": "git@github.com:acme/p.git", "tag": "v1", "branch": "main"}},
    ],
    ids=["key-newline", "key-leading-newline", "project-newline", "float-contributors",
         "bool-contributors", "creator-extra", "repository-extra"],
)  # fmt: skip
def test_create_refuses_what_the_api_refuses(api: Api, fields: dict[str, Any]) -> None:
    response = api.create(**fields)
    assert (response.status_code, error_code(response)) == (400, "InvalidJsonInput")
    assert api.query().json()["total"] == 0


def test_update_refuses_a_float_contributor_count(api: Api) -> None:
    api.create()
    action = {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 2.0}
    response = api.update(KEY, 1, action)
    assert (response.status_code, error_code(response)) == (400, "InvalidJsonInput")


def test_token_checks_the_client_before_the_grant_type(emulator: Any) -> None:
    for auth in (("emulator-client", "wrong-secret"), None):
        response = httpx.post(
            f"{emulator.url}/oauth/token", data={"grant_type": "password"}, auth=auth
        )
        assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic ")


def test_token_takes_grant_type_only_from_the_body(emulator: Any) -> None:
    auth = ("emulator-client", "emulator-secret")
    url = f"{emulator.url}/oauth/token"
    from_query = httpx.post(f"{url}?grant_type=client_credentials", auth=auth)
    assert (from_query.status_code, from_query.json()["error"]) == (400, "invalid_request")
    other = httpx.post(url, data={"grant_type": "password"}, auth=auth)
    assert (other.status_code, other.json()["error"]) == (400, "unsupported_grant_type")
    assert httpx.post(url, data={"grant_type": "client_credentials"}, auth=auth).status_code == 200


def test_api_401_names_the_bearer_scheme(emulator: Any) -> None:
    response = httpx.get(f"{emulator.url}/connectors/drafts")
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer ")


def test_a_client_with_a_colon_in_its_secret_is_not_echoed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_cli(["emulator", "--client", "ci-bot:partone:parttwo:manage_connectors"]) == 1
    err = capsys.readouterr().err
    assert "scopes must be among" in err and "ci-bot" in err
    assert "partone" not in err and "parttwo" not in err
    assert len(err.strip().splitlines()) == 1


def test_a_lone_surrogate_is_400_and_stores_nothing(api: Api) -> None:
    api.create()
    body = b'{"version": 1, "actions": [{"action": "setName", "name": "\\ud800"}]}'
    response = api.http.post(f"/connectors/drafts/{KEY}", content=body)
    assert (response.status_code, error_code(response)) == (400, "InvalidJsonInput")
    assert api.get(KEY).json()["version"] == 1


def test_a_basic_header_that_is_not_ascii_is_401(emulator: Any) -> None:
    response = httpx.post(
        f"{emulator.url}/oauth/token",
        headers={"Authorization": b"Basic \xff\xfe"},
        data={"grant_type": "client_credentials"},
    )
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("script", {"key": "k", "report": 5}),
        ("script", {"key": "k", "report": [{"type": "Fatal", "title": "x"}]}),
        ("script", {"key": "k", "preview_delay": "x"}),
        ("script", {"key": "k", "publish_delay": 10**400}),
        ("script", {"key": "k", "publish": "maybe"}),
        ("clock", {"advance": 1e308}),
        ("clock", {"advance": 10**400}),
        ("clock", {"now": "99999-01-01T00:00:00Z"}),
        ("clock", {"now": "9999-12-31T23:59:59Z"}),
        ("settings", {"preview_delay": 10**400}),
        ("settings", {"token_ttl": 1e308}),
        ("settings", {"publish_delay": -1}),
    ],
)
def test_bad_admin_values_are_400_in_the_api_shape(
    emulator: Any, name: str, body: dict[str, Any]
) -> None:
    response = httpx.post(f"{emulator.url}/_emulator/{name}", json=body)
    assert (response.status_code, _shape(response)["errors"][0]["code"]) == (
        400,
        "InvalidJsonInput",
    )


def test_a_trailing_slash_is_404_not_a_redirect(api: Api) -> None:
    response = api.http.post("/connectors/drafts/", json=DRAFT)
    assert (response.status_code, error_code(response)) == (404, "ResourceNotFound")
    assert api.query().json()["total"] == 0
