"""Helpers for the emulator's own tests: an authenticated HTTP client over the real socket."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from connectorctl.emulator.options import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

DRAFT: dict[str, Any] = {
    "key": "payment-gateway",
    "name": "Payment Gateway",
    "creator": {"email": "team@acme.example"},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
}


class Api:
    """The Connect API of the emulator, with a token for one client."""

    def __init__(
        self, url: str, client: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET
    ) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)
        token = self.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client, secret)
        )
        token.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"

    def create(self, **fields: Any) -> httpx.Response:
        return self.http.post("/connectors/drafts", json={**DRAFT, **fields})

    def get(self, ref: str) -> httpx.Response:
        return self.http.get(f"/connectors/drafts/{ref}")

    def update(self, ref: str, version: int, *actions: dict[str, Any]) -> httpx.Response:
        body = {"version": version, "actions": list(actions)}
        return self.http.post(f"/connectors/drafts/{ref}", json=body)

    def query(self, **params: Any) -> httpx.Response:
        return self.http.get("/connectors/drafts", params=params)


@pytest.fixture
def api(emulator: Any) -> Iterator[Api]:
    client = Api(emulator.url)
    yield client
    client.http.close()


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert body["statusCode"] == response.status_code
    assert body["message"] == body["errors"][0]["message"]
    return str(body["errors"][0]["code"])
