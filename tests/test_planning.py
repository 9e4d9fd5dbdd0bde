"""The plan builder: every desired connector against its remote, sorted, with unmanaged keys."""

from __future__ import annotations

from typing import Any

from connectorctl.model import Change, Desired, Location, Plan, Target
from connectorctl.planning import make_plan

TARGET = Target("https://connect.europe-west1.gcp.commercetools.com", "acme")
CREATED = "2026-11-30T12:00:00Z"


def desired(key: str, **spec: Any) -> Desired:
    base = {
        "key": key,
        "name": key.title(),
        "creator": {"email": "team@acme.example"},
        "repository": {"url": f"git@github.com:acme/{key}.git", "tag": "v1"},
    }
    return Desired(key, {**base, **spec}, Location(f"connectors/{key}.yaml", 1, 1))


def remote(key: str, **fields: Any) -> dict[str, Any]:
    base = {
        "id": f"id-{key}",
        "key": key,
        "version": 3,
        "name": key.title(),
        "creator": {"email": "team@acme.example"},
        "repository": {"url": f"git@github.com:acme/{key}.git", "tag": "v1"},
        "private": True,
        "privateProjects": [],
        "status": "Draft",
        "isPreviewable": "none",
        "hasChanges": False,
        "alreadyListed": False,
    }
    return {**base, **fields}


def build(desired_items: list[Desired], remotes: dict[str, Any], **kw: Any) -> Plan:
    kw.setdefault("unmanaged", ())
    return make_plan(desired_items, remotes, target=TARGET, created_at=CREATED, **kw)


def test_connectors_sorted_by_key_with_their_changes() -> None:
    remotes = {
        "tax": remote("tax"),
        "erp": remote("erp", name="Old"),
        "psp": remote("psp", status="Processing", name="Old"),
    }
    items = [desired("tax"), desired("psp"), desired("new"), desired("erp")]
    plan = build(items, remotes, unmanaged=["zeta", "alpha", "zeta"])
    assert [(c.key, c.change) for c in plan.connectors] == [
        ("erp", Change.UPDATE),
        ("new", Change.CREATE),
        ("psp", Change.BLOCKED),
        ("tax", Change.UNCHANGED),
    ]
    assert plan.unmanaged == ("alpha", "zeta")
    assert (plan.target, plan.created_at) == (TARGET, CREATED)
    assert [plan.count(c) for c in Change] == [1, 1, 0, 0, 1, 0, 1]
    assert plan.has_changes and plan.has_errors


def test_update_carries_remote_id_version_and_source() -> None:
    plan = build([desired("erp")], {"erp": remote("erp", name="Old")})
    (change,) = plan.connectors
    assert (change.id, change.version, change.source) == ("id-erp", 3, "connectors/erp.yaml:1:1")
    assert change.actions == ({"action": "setName", "name": "Erp"},)


def test_reading_by_key_has_no_unmanaged_list() -> None:
    assert build([desired("erp")], {}, unmanaged=None).unmanaged is None


def test_in_sync_plan_is_empty() -> None:
    plan = build([desired("a"), desired("b")], {"a": remote("a"), "b": remote("b")})
    assert not plan.has_changes and not plan.has_errors
    assert all(c.actions == () and c.diff == () for c in plan.connectors)


def test_retry_failed_reaches_every_connector() -> None:
    remotes = {"a": remote("a", status="Failed"), "b": remote("b", status="Failed")}
    items = [desired("a", release="publish"), desired("b", release="certify")]
    plain = build(items, remotes)
    assert all(c.has_error and c.change is Change.UNCHANGED for c in plain.connectors)
    retried = build(items, remotes, retry_failed=True)
    assert [c.actions for c in retried.connectors] == [
        ({"action": "publish", "certification": False},),
        ({"action": "publish", "certification": True},),
    ]
    assert not retried.has_errors
