"""The `apply --format json` contract: documents built from literal data validate against
schemas/apply-result.schema.json (which takes the plan part from plan.schema.json)."""

from __future__ import annotations

from typing import Any

import pytest

from connectorctl.report.apply_json import apply_document, result_counts, result_row
from support import apply_result_errors, apply_result_validator

validator = apply_result_validator
errors = apply_result_errors


SET_TAG = {"action": "setRepository", "url": "git@github.com:acme/pay.git", "tag": "v1.5.0"}
PUBLISH = {"action": "publish", "certification": False}


def entry(key: str, change: str, version: int | None = 7, **extra: Any) -> dict[str, Any]:
    data = {
        "key": key,
        "source": f"connectors/{key}.yaml:1:1",
        "change": change,
        "id": None if change == "create" else f"id-{key}",
        "version": None if change == "create" else version,
        "actions": [],
        "diff": [],
        "messages": [],
    }
    return {**data, **extra}


def plan(*connectors: dict[str, Any], unchanged: int = 0) -> dict[str, Any]:
    counts = {"create": 0, "update": 0, "unchanged": unchanged, "blocked": 0}
    for connector in connectors:
        counts[connector["change"]] = counts.get(connector["change"], 0) + 1
    return {
        "format_version": "1",
        "kind": "Plan",
        "connectorctl_version": "0.1.0",
        "target": {"name": None,
                   "connect_url": "https://connect.europe-west1.gcp.commercetools.com",
                   "project_key": "acme"},
        "created_at": "2026-11-30T12:00:00Z",
        "summary": {**counts, "unmanaged": 0},
        "connectors": list(connectors),
        "unmanaged": [],
    }  # fmt: skip


UPDATE = entry("payment-gateway", "update", actions=[SET_TAG, PUBLISH])
DRAFT = {"key": "tax-sync", "name": "Tax", "creator": {"email": "a@b.example"},
         "repository": {"url": "git@github.com:acme/tax.git", "tag": "v1"}}  # fmt: skip
CREATE = entry("tax-sync", "create", draft=DRAFT)
UNCHANGED = entry("erp-sync", "unchanged", version=3)


def test_success_document_validates() -> None:
    rows = [
        result_row(kind="ConnectorStaged", key="erp-sync", result="unchanged",
                   id="id-erp-sync", version_before=3, version_after=3),
        result_row(kind="ConnectorStaged", key="payment-gateway", result="updated",
                   id="id-payment-gateway", actions=[SET_TAG, PUBLISH], version_before=7,
                   version_after=9, requests=2, lifecycle="publish", settled="Published",
                   note="publish: Published",
                   reports=[{"type": "Information", "title": "Published", "createdAt": "x"}]),
        result_row(kind="ConnectorStaged", key="tax-sync", result="created", id="id-tax-sync",
                   version_after=1, requests=1),
    ]  # fmt: skip
    document = apply_document(plan(CREATE, UPDATE, UNCHANGED), rows)
    assert errors(document) == []
    assert list(document)[-2:] == ["unmanaged", "results"]
    assert [r["error"] for r in document["results"]] == [False, False, False]


def test_partial_failure_document_validates() -> None:
    rows = [
        result_row(kind="ConnectorStaged", key="payment-gateway", result="failed",
                   id="id-payment-gateway", actions=[SET_TAG], version_before=7, version_after=8,
                   requests=2, messages=[("error", "publish: InvalidOperation: not allowed")]),
        result_row(kind="ConnectorStaged", key="tax-sync", result="created", id="id-tax-sync",
                   version_after=1, requests=1),
    ]  # fmt: skip
    document = apply_document(plan(CREATE, UPDATE), rows)
    assert errors(document) == []
    assert [r["error"] for r in document["results"]] == [True, False]


def test_conflict_document_validates() -> None:
    rows = [
        result_row(kind="ConnectorStaged", key="payment-gateway", result="stale",
                   id="id-payment-gateway", version_before=8, requests=1,
                   messages=[{"level": "error",
                              "text": "the plan was made at version 7; it is now 8"}]),
    ]  # fmt: skip
    document = apply_document(plan(UPDATE), rows)
    assert errors(document) == []
    assert document["results"][0]["actions"] == []


def test_interrupt_document_validates() -> None:
    rows = [
        result_row(kind="ConnectorStaged", key="payment-gateway", result="not_verified",
                   id="id-payment-gateway", actions=[SET_TAG, PUBLISH], version_before=7,
                   version_after=9, requests=2, note="interrupted before the result was read"),
        result_row(kind="ConnectorStaged", key="tax-sync", result="interrupted"),
    ]  # fmt: skip
    document = apply_document(plan(CREATE, UPDATE), rows)
    assert errors(document) == []
    assert result_counts(document["results"]) == {"not_verified": 1, "interrupted": 1}


def valid_row() -> dict[str, Any]:
    return result_row(kind="ConnectorStaged", key="payment-gateway", result="updated",
                      actions=[SET_TAG], version_before=7, version_after=8, requests=1)  # fmt: skip


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"result": "done"}, "'done' is not one of"),
        ({"error": False, "result": "blocked", "actions": []}, "True was expected"),
        ({"result": "unchanged"}, "is expected to be empty"),
        ({"requests": -1}, "-1 is less than the minimum of 0"),
        ({"messages": [{"level": "fatal", "text": "x"}]}, "'fatal' is not one of"),
        ({"actions": [{"url": "x"}]}, "'action' is a required property"),
    ],
)
def test_rows_that_break_the_contract_fail(change: dict[str, Any], expected: str) -> None:
    document = apply_document(plan(UPDATE), [{**valid_row(), **change}])
    assert any(expected in message for message in errors(document)), errors(document)


def test_every_row_field_is_required() -> None:
    row = valid_row()
    del row["version_before"]
    assert errors(apply_document(plan(UPDATE), [row])) == [
        "'version_before' is a required property"
    ]


def test_the_plan_part_is_checked_by_the_plan_schema() -> None:
    document = apply_document({**plan(UPDATE), "format_version": "2"}, [valid_row()])
    assert errors(document) == ["'1' was expected"]
    assert errors(plan(UPDATE)) == ["'results' is a required property"]


def test_result_row_defaults_and_error_rule() -> None:
    row = result_row(kind="Deployment", key="prod", result="redeployed")
    assert row == {
        "kind": "Deployment", "key": "prod", "result": "redeployed", "id": None, "actions": [],
        "version_before": None, "version_after": None, "requests": 0, "retries": 0,
        "error": False, "note": "", "messages": [], "lifecycle": None, "settled": None,
        "reports": [],
    }  # fmt: skip
    warned = result_row(kind="Deployment", key="p", result="updated", messages=[("error", "x")])
    assert warned["error"] is True
    assert result_row(kind="Deployment", key="p", result="waiting")["error"] is True


@pytest.mark.parametrize(
    "kwargs", [{"result": "done"}, {"result": "updated", "messages": [("fatal", "x")]}]
)
def test_result_row_refuses_unknown_values(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        result_row(kind="ConnectorStaged", key="k", **kwargs)
