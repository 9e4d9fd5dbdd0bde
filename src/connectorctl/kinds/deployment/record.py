"""The planned change of one Deployment: the same fields as a connector's `ConnectorChange`,
plus the two changes only Deployments have (delete, and replace = delete then create)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectorctl.kinds.deployment.fields import KIND
from connectorctl.model import DiffEntry, Level, Message


class Change(StrEnum):
    """What a plan does to one Deployment (the values extend `model.Change`)."""

    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    BLOCKED = "blocked"
    DELETE = "delete"
    REPLACE = "replace"  # delete, wait until it is gone (404), create again


@dataclass(frozen=True)
class DeploymentChange:
    """One Deployment's planned change.

    `draft` is the create body (create, replace); `actions` holds the one `redeploy` (update).
    Secured values appear only as their `${NAME}` placeholders.
    """

    key: str
    change: Change
    id: str | None = None
    version: int | None = None
    draft: Mapping[str, Any] | None = None
    actions: tuple[Mapping[str, Any], ...] = ()
    diff: tuple[DiffEntry, ...] = ()
    messages: tuple[Message, ...] = ()
    source: str | None = None
    kind: str = KIND

    @property
    def has_error(self) -> bool:
        return any(m.level is Level.ERROR for m in self.messages)
