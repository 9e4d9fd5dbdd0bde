"""A fleet of generated connectors for the reliability suite: manifests and their live state."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import httpx

UNMANAGED_URL = "https://other-team.example/docs"


def key_of(index: int) -> str:
    return f"fleet-{index:04d}"


def remote(index: int, *, tag: str = "v1.0.0", name: str | None = None) -> dict[str, Any]:
    """A live ConnectorStaged; `manifest(index)` describes it exactly (documentationUrl aside)."""
    key = key_of(index)
    return {
        "key": key,
        "name": name or f"Fleet connector {index}",
        "description": f"Generated connector {index}.",
        "integrationTypes": ["psp"] if index % 2 else ["tax", "erp"],
        "creator": {"email": f"team-{index % 7}@acme.example", "name": "Jane Doe"},
        "repository": {"url": f"git@github.com:acme/{key}.git", "tag": tag},
        "supportedRegions": ["europe-west1.gcp"],
    }


def manifest(index: int, *, tag: str = "v1.0.0", name: str | None = None) -> str:
    """One manifest document; `documentationUrl` is left out, so it is unmanaged."""
    doc = remote(index, tag=tag, name=name)
    return (
        f"apiVersion: connectorctl/v1\nkind: ConnectorStaged\nkey: {doc['key']}\n"
        f"name: {doc['name']}\ndescription: {doc['description']}\n"
        f"integrationTypes: [{', '.join(doc['integrationTypes'])}]\n"
        f"creator:\n  email: {doc['creator']['email']}\n  name: {doc['creator']['name']}\n"
        f"repository:\n  url: {doc['repository']['url']}\n  tag: {tag}\n"
        "supportedRegions: [europe-west1.gcp]\n"
    )


def desired_fields(index: int) -> dict[str, Any]:
    """The managed fields every fleet connector must end up with (tag v2, renamed)."""
    return remote(index, tag="v2.0.0", name=f"Fleet connector {index} (v2)")


def write_fleet(folder: Path, indexes: Iterable[int]) -> None:
    """Manifests asking every connector for tag v2.0.0 and a new name (three actions each)."""
    folder.mkdir(parents=True, exist_ok=True)
    for index in indexes:
        text = manifest(index, tag="v2.0.0", name=f"Fleet connector {index} (v2)")
        (folder / f"{key_of(index)}.yaml").write_text(text, encoding="utf-8")


def managed_view(connector: Mapping[str, Any]) -> dict[str, Any]:
    """The fields a fleet manifest manages, compared without set order."""
    view = {name: connector.get(name) for name in ("key", "name", "description")}
    view["integrationTypes"] = sorted(connector.get("integrationTypes") or [])
    view["creator"] = {k: (connector.get("creator") or {}).get(k) for k in ("email", "name")}
    view["repository"] = dict(connector.get("repository") or {})
    view["supportedRegions"] = sorted(connector.get("supportedRegions") or [])
    return view


def read_all(
    url: str, client: str = "emulator-client", secret: str = "emulator-secret"
) -> list[dict[str, Any]]:
    """Every connector, read straight from the API (no faults expected meanwhile)."""
    with httpx.Client(base_url=url, timeout=30) as http:
        token = http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client, secret)
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        found: list[dict[str, Any]] = []
        while True:
            page = http.get(
                "/connectors/drafts", params={"limit": 500, "offset": len(found)}, headers=headers
            ).json()
            found += page["results"]
            if not page["results"] or len(found) >= page["total"]:
                return found
