"""The Deployment kind: manifest rules, create bodies, and the pure plan of one deployment.

The planner and applier use these names (no I/O here; the API and emulator live elsewhere):
`KIND`, `manifest_problems`, `plan_deployment`, `deployment_draft`, `redeploy_action`,
`secured_names`, `resolve_secured`, `MissingSecret`, `DeploymentChange`.
"""

from __future__ import annotations

from connectorctl.kinds.deployment.check import manifest_problems
from connectorctl.kinds.deployment.diff import plan_deployment, redeploy_action
from connectorctl.kinds.deployment.draft import (
    MissingSecret,
    deployment_draft,
    resolve_secured,
    secured_names,
)
from connectorctl.kinds.deployment.fields import KIND, SCHEMA_NAME
from connectorctl.kinds.deployment.record import Change, DeploymentChange

__all__ = [
    "KIND",
    "SCHEMA_NAME",
    "Change",
    "DeploymentChange",
    "MissingSecret",
    "deployment_draft",
    "manifest_problems",
    "plan_deployment",
    "redeploy_action",
    "resolve_secured",
    "secured_names",
]
