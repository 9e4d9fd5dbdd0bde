"""Resource kinds are plug-ins: a new kind plans through the same stages without touching them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from connectorctl.kinds import KINDS, Dependency, PlanContext, Until, kind_named
from connectorctl.kinds.connector_staged import CONNECTOR_STAGED
from connectorctl.model import Change, ConnectorChange, Desired, Location, Target
from connectorctl.planning import make_plan

TARGET = Target("https://connect.example", "acme")


@dataclass(frozen=True)
class WidgetKind:
    """A tiny fake kind: a widget needs its connector settled and is created or left alone."""

    name: str = "Widget"
    schema: str = "widget.schema.json"
    collection: str = "widgets"
    scope: str = "widgets"

    def plan(
        self, desired: Desired, remote: Mapping[str, Any] | None, context: PlanContext
    ) -> ConnectorChange:
        connector = context.planned.get(("ConnectorStaged", desired.spec["connector"]))
        note = "connector " + (connector.change.value if connector else "not in this plan")
        from connectorctl.model import Level, Message

        return ConnectorChange(
            key=desired.key,
            kind=self.name,
            depends_on=(Dependency("ConnectorStaged", desired.spec["connector"], Until.SETTLED),),
            change=Change.UNCHANGED if remote else Change.CREATE,
            draft=None if remote else dict(desired.spec),
            messages=(Message(Level.INFO, note),),
        )


def _connector(key: str) -> Desired:
    spec = {
        "key": key,
        "name": "Conn",
        "creator": {"email": "a@b.example"},
        "repository": {"url": "git@github.com:a/b.git", "tag": "v1"},
    }
    return Desired(key, spec, Location("c.yaml"))


def test_registry_holds_connector_staged_with_its_api_facts() -> None:
    kind = kind_named("ConnectorStaged")
    assert kind is CONNECTOR_STAGED
    assert (kind.schema, kind.collection, kind.scope) == (
        "manifest.schema.json",
        "connectors/drafts",
        "connectors",
    )
    assert list(KINDS) == ["ConnectorStaged", "Deployment"]


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(
        KeyError, match="unknown resource kind 'Nope'; known: ConnectorStaged, Deployment"
    ):
        kind_named("Nope")


def test_a_new_kind_plans_after_the_kinds_it_depends_on() -> None:
    kinds = {"ConnectorStaged": CONNECTOR_STAGED, "Widget": WidgetKind()}
    widgets = [
        Desired("w2", {"connector": "conn"}, Location("w.yaml", 5), kind="Widget"),
        Desired("w1", {"connector": "other"}, Location("w.yaml", 1), kind="Widget"),
    ]
    plan = make_plan(
        [*widgets, _connector("conn")],
        {},
        remote_by_kind={"Widget": {"w1": {"id": "x", "key": "w1"}}},
        target=TARGET,
        created_at="t",
        unmanaged=(),
        kinds=kinds,
    )
    assert [(c.kind, c.key, c.change) for c in plan.connectors] == [
        ("ConnectorStaged", "conn", Change.CREATE),
        ("Widget", "w1", Change.UNCHANGED),
        ("Widget", "w2", Change.CREATE),
    ]
    assert [m.text for c in plan.connectors[1:] for m in c.messages] == [
        "connector not in this plan",
        "connector create",
    ]
    assert [str(e) for e in plan.connectors[2].depends_on] == ["ConnectorStaged/conn"]


def test_a_manifest_of_an_unregistered_kind_is_refused() -> None:
    item = Desired("w", {}, Location("w.yaml"), kind="Gadget")
    with pytest.raises(ValueError, match="no resource kind registered for Gadget"):
        make_plan([item], {}, target=TARGET, created_at="t", unmanaged=())
