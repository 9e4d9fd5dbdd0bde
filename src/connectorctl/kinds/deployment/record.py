"""The planned change of one Deployment: the shared plan entry record, with kind Deployment.

Deployments use every change of `model.Change`, including the two that connectors rarely need:
delete, and replace (delete, wait until it is gone, create again).
"""

from __future__ import annotations

from typing import Any

from connectorctl.kinds.deployment.fields import KIND
from connectorctl.model import Change, ConnectorChange

DeploymentChange = ConnectorChange

__all__ = ["Change", "DeploymentChange", "deployment_change"]


def deployment_change(**fields: Any) -> ConnectorChange:
    """A plan entry of kind Deployment (`draft` is the create body; `actions` the redeploy)."""
    return ConnectorChange(kind=KIND, **fields)
