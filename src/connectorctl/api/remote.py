"""The live state: every ConnectorStaged by key, read with the paged query or key by key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectorctl.api.client import MAX_OFFSET, PAGE_LIMIT, ConnectClient


@dataclass(frozen=True)
class RemoteState:
    """What the API holds for the connectors a command works on.

    `by_key` has the managed connectors that exist (absent key = not there); `unmanaged` the other
    remote keys, sorted, or None when only some keys were read. `notes` are warnings for the user.
    """

    by_key: dict[str, dict[str, Any]]
    unmanaged: tuple[str, ...] | None
    notes: tuple[str, ...] = ()


def fetch_remote(
    client: ConnectClient,
    keys: Sequence[str],
    *,
    by_key: bool = False,
    limit: int = PAGE_LIMIT,
    max_offset: int = MAX_OFFSET,
) -> RemoteState:
    """Read the managed `keys`: with the paged query (which also yields the unmanaged keys), or
    with `by_key` one GET per key (for `--key`; unmanaged is then unknown)."""
    if by_key:
        return RemoteState(by_key=read_by_key(client, keys), unmanaged=None)
    connectors, complete = read_all(client, limit=limit, max_offset=max_offset)
    wanted = set(keys)
    found = {c["key"]: c for c in connectors if isinstance(c.get("key"), str)}
    by_key_found = {k: v for k, v in found.items() if k in wanted}
    unmanaged = tuple(sorted(k for k in found if k not in wanted))
    if complete:
        return RemoteState(by_key=by_key_found, unmanaged=unmanaged)
    rest = [k for k in keys if k not in found]
    by_key_found.update(read_by_key(client, rest))
    note = (
        f"the paged query stops at offset {max_offset}: read {len(rest)} managed connector(s) "
        "by key; the unmanaged list is incomplete"
    )
    return RemoteState(by_key=by_key_found, unmanaged=unmanaged, notes=(note,))


def read_all(
    client: ConnectClient, *, limit: int = PAGE_LIMIT, max_offset: int = MAX_OFFSET
) -> tuple[list[dict[str, Any]], bool]:
    """Every connector the paged query reaches, and whether that was all of them."""
    results: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = client.query_page(offset, limit)
        batch = [r for r in page.get("results", []) if isinstance(r, dict)]
        results.extend(batch)
        offset += len(batch)
        total = page.get("total")
        done = not batch or (isinstance(total, int) and offset >= total)
        if done:
            return results, True
        if offset > max_offset:
            return results, False


def read_by_key(client: ConnectClient, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """One GET per key; keys that do not exist are left out."""
    found: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys(keys):
        connector = client.get_by_key(key)
        if connector is not None:
            found[key] = connector
    return found


# -- other kinds: Deployments and the published Connectors they reference ----------------------

DEPLOYMENT = "Deployment"
PUBLISHED = "Connector"
DEPLOYMENTS = "{projectKey}/deployments"
CONNECTORS = "connectors"


@dataclass(frozen=True)
class KindsState:
    """The live state of the kinds beside ConnectorStaged, for `make_plan(remote_by_kind=…)`.

    `by_kind` has no "Deployment" entry when the Deployments were not (or could not be) read:
    the connector deletion guards then know they cannot see them.
    """

    by_kind: dict[str, dict[str, dict[str, Any]]]
    notes: tuple[str, ...] = ()


def fetch_kinds(
    client: ConnectClient,
    desired: Sequence[Any],
    *,
    by_key: bool = False,
    staged: Mapping[str, Mapping[str, Any]] | None = None,
) -> KindsState:
    """Read the Deployments (when a Deployment manifest or a connector tombstone is in play) and
    the published Connectors that the Deployment manifests reference (for their latest version).

    Deployment manifests need read access to Deployments (a ScopeError names the scope); a
    connector tombstone alone reads them only when the token may.
    """
    deployments = [d for d in desired if d.kind == DEPLOYMENT]
    tombstones = [d for d in desired if d.kind != DEPLOYMENT and d.spec.get("state") == "absent"]
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    if deployments:
        client.check_scope(DEPLOYMENT, write=False)
    if deployments or (tombstones and client.can_read(DEPLOYMENT)):
        if by_key and not tombstones:
            keys = [d.key for d in deployments]
            by_kind[DEPLOYMENT] = _read_in_by_key(client, DEPLOYMENTS, keys)
        else:
            by_kind[DEPLOYMENT] = read_all_in(client, DEPLOYMENTS)
    published, previewed = _referenced(deployments)
    if published:
        by_kind[PUBLISHED] = _read_in_by_key(client, CONNECTORS, published)
    missing = [k for k in previewed if k not in (staged or {})]
    if missing:
        by_kind["ConnectorStaged"] = read_by_key(client, missing)
    return KindsState(by_kind=by_kind)


def _referenced(deployments: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Connector keys the Deployment manifests reference: published ones, then staged ones."""
    published: dict[str, None] = {}
    previewed: dict[str, None] = {}
    for item in deployments:
        connector = item.spec.get("connector")
        if not isinstance(connector, Mapping) or not isinstance(connector.get("key"), str):
            continue
        (previewed if connector.get("staged") is True else published)[connector["key"]] = None
    return list(published), list(previewed)


def read_all_in(
    client: ConnectClient, collection: str, *, limit: int = PAGE_LIMIT
) -> dict[str, dict[str, Any]]:
    """Every keyed resource of `collection` the paged query reaches, by key."""
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while offset <= MAX_OFFSET:
        page = client.query_page_in(collection, offset, limit)
        batch = [r for r in page.get("results", []) if isinstance(r, dict)]
        found.update((r["key"], r) for r in batch if isinstance(r.get("key"), str))
        offset += len(batch)
        total = page.get("total")
        if not batch or (isinstance(total, int) and offset >= total):
            break
    return found


def _read_in_by_key(
    client: ConnectClient, collection: str, keys: Sequence[str]
) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for key in dict.fromkeys(keys):
        resource = client.get_by_key_in(collection, key)
        if resource is not None:
            found[key] = resource
    return found
