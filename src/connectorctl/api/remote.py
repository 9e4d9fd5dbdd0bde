"""The live state: every ConnectorStaged by key, read with the paged query or key by key."""

from __future__ import annotations

from collections.abc import Sequence
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
