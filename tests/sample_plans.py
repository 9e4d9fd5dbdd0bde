"""A sample plan with every kind of entry, shared by the plan-file and reporter tests."""

from __future__ import annotations

from connectorctl.model import Change, ConnectorChange, DiffEntry, Level, Message, Plan, Target

TARGET = Target("https://connect.europe-west1.gcp.commercetools.com", "acme")
CREATED = "2026-11-30T12:00:00Z"


def sample_plan(unmanaged: tuple[str, ...] | None = ("legacy-erp", "sandbox-test")) -> Plan:
    """A plan with every kind of entry: create, update with lifecycle, blocked, unchanged."""
    return Plan(
        target=TARGET,
        created_at=CREATED,
        connectors=(
            ConnectorChange(key="analytics-bridge", change=Change.UNCHANGED, id="a1", version=4,
                            source="connectors/analytics.yaml:1:1"),
            ConnectorChange(
                key="legacy-feed", change=Change.UNCHANGED, id="b2", version=9,
                source="connectors/legacy.yaml:1:1",
                messages=(Message(Level.ERROR, "the last publish failed:\n"
                                  "- connect.yaml: missing deployAs"),),
            ),
            ConnectorChange(
                key="payment-gateway", change=Change.UPDATE, id="5ab3c0de", version=7,
                source="connectors/payment.yaml:3:1",
                actions=(
                    {"action": "setDescription", "description": "Card payments"},
                    {"action": "setRepository", "url": "git@github.com:acme/payment.git",
                     "tag": "v1.5.0"},
                    {"action": "removePrivateProject", "privateProject": "europe-west1.gcp:old"},
                    {"action": "addPrivateProject", "privateProject": "europe-west1.gcp:acme-prod"},
                    {"action": "addCertificationComment", "comment": "Ready for review."},
                    {"action": "publish", "certification": False},
                ),
                diff=(
                    DiffEntry("description", None, "Card payments"),
                    DiffEntry("repository.tag", "v1.4.0", "v1.5.0"),
                    DiffEntry("privateProjects", ["europe-west1.gcp:old"],
                              ["europe-west1.gcp:acme-prod"]),
                ),
                messages=(Message(Level.WARNING, "a certification is under way; the field "
                                  "changes need another publish once it ends"),),
            ),
            ConnectorChange(
                key="private-catalog", change=Change.BLOCKED, id="c3", version=2,
                source="connectors/catalog.yaml:1:1",
                actions=({"action": "addPrivateProject", "privateProject": "us-east-2.aws:shop"},),
                diff=(DiffEntry("privateProjects", [], ["us-east-2.aws:shop"]),),
                messages=(Message(Level.ERROR, "privateProjects cannot change: the connector "
                                  "is not private (ConnectorStagedNotPrivate)"),),
            ),
            ConnectorChange(
                key="tax-sync", change=Change.CREATE, source="connectors/tax.yaml:1:1",
                draft={
                    "key": "tax-sync", "name": "Tax Sync", "integrationTypes": ["tax"],
                    "creator": {"email": "tax@acme.example", "noOfContributors": 2},
                    "repository": {"url": "https://github.com/acme/tax.git", "tag": "v0.1.0"},
                    "supportedRegions": ["europe-west1.gcp"],
                },
                actions=({"action": "addCertificationComment", "comment": "First version."},
                         {"action": "updatePreviewable"}),
                messages=(Message(Level.INFO, "a preview will be requested after the create"),),
            ),
        ),
        unmanaged=unmanaged,
    )  # fmt: skip
