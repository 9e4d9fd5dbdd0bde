"""A ConnectorStaged delete (tombstone or prune), as planned and guarded by the deletion rules.

It runs after the deployments it depends on are gone (the scheduler sees to that). A reviewed
plan deletes only the connector and version it was made against.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from connectorctl.errors import ApiError
from connectorctl.model import ConnectorChange
from connectorctl.results import ConnectorOutcome, Result

if TYPE_CHECKING:
    from connectorctl.api.client import ConnectClient

STAGED = "connectors/drafts"


def delete_connector(
    client: ConnectClient, change: ConnectorChange, *, reviewed: bool
) -> ConnectorOutcome:
    """DELETE the connector (which also deletes its published Connector)."""
    from connectorctl.api.client import RequestTracker

    track = RequestTracker()

    def outcome(result: Result, note: str = "", error: bool = False) -> ConnectorOutcome:
        return ConnectorOutcome(change.key, result, id=change.id, version=change.version,
                                requests=track.attempts, retries=track.retries, note=note,
                                error=error)  # fmt: skip

    try:
        live = client.get_by_id_in(STAGED, str(change.id), track=track)
        if live is None:
            return outcome(Result.DELETED, "already gone")
        if live.get("key") != change.key:
            note = f"stale plan: the connector with this id has key {live.get('key')!r}"
            return outcome(Result.STALE, note, True)
        if reviewed and live.get("version") != change.version:
            note = (f"stale plan: version {change.version} was planned, the connector is now "
                    f"at version {live.get('version')}")  # fmt: skip
            return outcome(Result.STALE, note, True)
        client.delete_in(STAGED, str(change.id), track=track)
    except ApiError as exc:
        return outcome(Result.FAILED, str(exc), True)
    return outcome(Result.DELETED)
