"""The pure plan of one Deployment: literal request bodies for each rule of the design."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from connectorctl.kinds.deployment import (
    KIND,
    Change,
    MissingSecret,
    deployment_draft,
    plan_deployment,
    resolve_secured,
    secured_names,
)
from connectorctl.model import Desired, DiffEntry, Level, Location, Message

SECURED_NOTE = Message(
    Level.INFO,
    "secured values are not compared (the API does not return them): "
    "use --redeploy pay-sandbox to send them",
)
SPEC: dict[str, Any] = {
    "connector": {"key": "acme-payment-gateway"},
    "type": "sandbox",
    "region": "europe-west1.gcp",
    "configurations": [
        {
            "applicationName": "service",
            "standardConfiguration": {"LOG_LEVEL": "info"},
            "securedConfiguration": {"PSP_API_KEY": "${PSP_API_KEY}"},
        }
    ],
}
REMOTE: dict[str, Any] = {
    "id": "d-1",
    "key": "pay-sandbox",
    "version": 4,
    "type": "sandbox",
    "preview": False,
    "status": "Deployed",
    "deployedRegion": "europe-west1.gcp",
    "connector": {
        "id": "c-1",
        "key": "acme-payment-gateway",
        "version": 3,
        "configurations": [
            {
                "applicationName": "service",
                "standardConfiguration": [{"key": "LOG_LEVEL"}, {"key": "REGION_HINT"}],
                "securedConfiguration": [{"key": "PSP_API_KEY"}],
            }
        ],
    },
    "details": {"build": {"id": "b-1", "report": {"entries": []}}},
    "applications": [
        {
            "id": "a-1",
            "applicationName": "service",
            "standardConfiguration": [
                {"key": "LOG_LEVEL", "value": "info"},
                {"key": "REGION_HINT", "value": "eu"},
            ],
            "securedConfiguration": [{"key": "PSP_API_KEY", "value": "****"}],
        }
    ],
}
FULL_REDEPLOY = {
    "action": "redeploy",
    "configurationValues": [
        {
            "applicationName": "service",
            "standardConfiguration": [
                {"key": "LOG_LEVEL", "value": "info"},
                {"key": "REGION_HINT", "value": "eu"},
            ],
            "securedConfiguration": [{"key": "PSP_API_KEY", "value": "${PSP_API_KEY}"}],
        }
    ],
}


def desired(**changes: Any) -> Desired:
    spec = {**copy.deepcopy(SPEC), **changes}
    return Desired("pay-sandbox", spec, Location("deployments/sandbox.yaml", 3, 1))


def remote(**changes: Any) -> dict[str, Any]:
    return {**copy.deepcopy(REMOTE), **changes}


def with_standard(values: dict[str, str]) -> list[dict[str, Any]]:
    app = copy.deepcopy(SPEC["configurations"][0])
    app["standardConfiguration"] = values
    return [app]


def test_create_sends_lists_for_maps_and_the_latest_version() -> None:
    change = plan_deployment(desired(), None, connector_latest_version=3)
    assert (change.kind, change.change, change.key) == (KIND, Change.CREATE, "pay-sandbox")
    assert change.source == "deployments/sandbox.yaml:3:1"
    assert change.draft == {
        "key": "pay-sandbox",
        "connector": {"key": "acme-payment-gateway", "version": 3},
        "type": "sandbox",
        "region": "europe-west1.gcp",
        "configurations": [
            {
                "applicationName": "service",
                "standardConfiguration": [{"key": "LOG_LEVEL", "value": "info"}],
                "securedConfiguration": [{"key": "PSP_API_KEY", "value": "${PSP_API_KEY}"}],
            }
        ],
    }
    assert change.actions == () and change.messages == ()


def test_draft_of_a_staged_connector_with_global_values_and_empty_lists() -> None:
    spec = {
        "key": "pv",
        "connector": {"key": "c1", "staged": True},
        "region": "us-east-2.aws",
        "configurations": [{"applicationName": "job"}],
        "globalConfiguration": {"securedConfiguration": {"TOKEN": "${TOKEN}"}},
    }
    assert deployment_draft(spec) == {
        "key": "pv",
        "connector": {"key": "c1", "staged": True},
        "type": "preview",
        "region": "us-east-2.aws",
        "configurations": [
            {"applicationName": "job", "standardConfiguration": [], "securedConfiguration": []}
        ],
        "globalConfiguration": {
            "standardConfiguration": [],
            "securedConfiguration": [{"key": "TOKEN", "value": "${TOKEN}"}],
        },
    }


def test_draft_from_a_loaded_manifest_record() -> None:
    assert deployment_draft(desired(), connector_version=9)["connector"] == {
        "key": "acme-payment-gateway", "version": 9,
    }  # fmt: skip
    assert deployment_draft(desired())["key"] == "pay-sandbox"


def test_create_without_a_known_version_leaves_it_out() -> None:
    change = plan_deployment(desired(), None)
    assert change.draft is not None
    assert change.draft["connector"] == {"key": "acme-payment-gateway"}


def test_pinned_version_must_be_the_latest() -> None:
    pinned = desired(connector={"key": "acme-payment-gateway", "version": 2})
    text = (
        "connector.version 2 is not the latest version (3): only the latest version can be deployed"
    )
    created = plan_deployment(pinned, None, connector_latest_version=3)
    assert (created.change, created.messages) == (Change.BLOCKED, (Message(Level.ERROR, text),))
    existing = plan_deployment(pinned, remote(), connector_latest_version=3)
    assert (existing.change, existing.messages) == (Change.BLOCKED, (Message(Level.ERROR, text),))
    assert existing.actions == ()


def test_same_state_is_unchanged_with_one_note_about_secured_values() -> None:
    change = plan_deployment(desired(), remote(), connector_latest_version=3)
    assert (change.change, change.id, change.version) == (Change.UNCHANGED, "d-1", 4)
    assert change.messages == (SECURED_NOTE,)
    assert change.actions == () and change.diff == ()


def test_no_note_without_secured_values() -> None:
    app = {"applicationName": "service", "standardConfiguration": {"LOG_LEVEL": "info"}}
    spec = desired(configurations=[app])
    bare = remote(connector={**REMOTE["connector"], "configurations": []})
    assert plan_deployment(spec, bare, connector_latest_version=3).messages == ()


def test_standard_change_is_one_redeploy_with_full_configuration() -> None:
    change = plan_deployment(
        desired(configurations=with_standard({"LOG_LEVEL": "debug"})), remote(),
        connector_latest_version=3,
    )  # fmt: skip
    assert change.change == Change.UPDATE
    assert change.actions == (
        {
            "action": "redeploy",
            "configurationValues": [
                {
                    "applicationName": "service",
                    "standardConfiguration": [
                        {"key": "LOG_LEVEL", "value": "debug"},
                        {"key": "REGION_HINT", "value": "eu"},
                    ],
                    "securedConfiguration": [{"key": "PSP_API_KEY", "value": "${PSP_API_KEY}"}],
                }
            ],
        },
    )
    assert change.diff == (
        DiffEntry("configurations.service.standardConfiguration.LOG_LEVEL", "info", "debug"),
    )
    assert change.messages == ()


def test_new_standard_key_goes_after_declared_ones() -> None:
    change = plan_deployment(
        desired(configurations=with_standard({"NEW_KEY": "1", "LOG_LEVEL": "info"})), remote()
    )
    assert change.actions[0]["configurationValues"][0]["standardConfiguration"] == [
        {"key": "NEW_KEY", "value": "1"},
        {"key": "LOG_LEVEL", "value": "info"},
        {"key": "REGION_HINT", "value": "eu"},
    ]
    assert change.diff == (
        DiffEntry("configurations.service.standardConfiguration.NEW_KEY", None, "1"),
    )


def test_following_the_latest_redeploys_with_update_connector() -> None:
    change = plan_deployment(desired(), remote(), connector_latest_version=4)
    assert change.change == Change.UPDATE
    assert change.actions == ({**FULL_REDEPLOY, "updateConnector": True},)
    assert change.diff == (DiffEntry("connector.version", 3, 4),)


def test_pinned_to_the_latest_also_moves_a_deployment_behind() -> None:
    pinned = desired(connector={"key": "acme-payment-gateway", "version": 4})
    change = plan_deployment(pinned, remote(), connector_latest_version=4)
    assert change.actions == ({**FULL_REDEPLOY, "updateConnector": True},)


def test_connector_update_without_declared_applications_sends_no_values() -> None:
    spec = desired(configurations=[])
    bare = remote(connector={**REMOTE["connector"], "configurations": []})
    change = plan_deployment(spec, bare, connector_latest_version=5)
    assert change.actions == ({"action": "redeploy", "updateConnector": True},)


def test_global_configuration_change() -> None:
    spec = desired(globalConfiguration={"standardConfiguration": {"CURRENCY": "EUR"}})
    live = remote(globalConfiguration={
        "standardConfiguration": [{"key": "CURRENCY", "value": "USD"}, {"key": "X", "value": "1"}],
        "securedConfiguration": [],
    })  # fmt: skip
    change = plan_deployment(spec, live, connector_latest_version=3)
    assert change.actions == (
        {
            **FULL_REDEPLOY,
            "globalConfiguration": {
                "standardConfiguration": [
                    {"key": "CURRENCY", "value": "EUR"},
                    {"key": "X", "value": "1"},
                ],
                "securedConfiguration": [],
            },
        },
    )
    assert change.diff == (
        DiffEntry("globalConfiguration.standardConfiguration.CURRENCY", "USD", "EUR"),
    )


@pytest.mark.parametrize(
    ("live", "path", "before", "after"),
    [
        ({"deployedRegion": "us-central1.gcp"}, "region", "us-central1.gcp", "europe-west1.gcp"),
        ({"type": "production"}, "type", "production", "sandbox"),
        ({"connector": {**REMOTE["connector"], "key": "other"}}, "connector.key", "other",
         "acme-payment-gateway"),
    ],
)  # fmt: skip
def test_immutable_fields_need_allow_replace(
    live: dict[str, Any], path: str, before: str, after: str
) -> None:
    blocked = plan_deployment(desired(), remote(**live), connector_latest_version=3)
    assert blocked.change == Change.BLOCKED
    text = f"{path} cannot change in place: replacing the deployment needs --allow-replace"
    assert blocked.messages == (Message(Level.ERROR, text),)
    assert blocked.diff == (DiffEntry(path, before, after),)
    replaced = plan_deployment(
        desired(), remote(**live), connector_latest_version=3, allow_replace=True
    )
    assert (replaced.change, replaced.id, replaced.version) == (Change.REPLACE, "d-1", 4)
    assert replaced.draft == plan_deployment(desired(), None, connector_latest_version=3).draft
    note = f"{path} changed: the deployment is deleted and created again"
    assert replaced.messages == (Message(Level.WARNING, note),)


def test_staged_to_published_is_a_replace_of_two_fields() -> None:
    live = remote(type="preview", preview=True)
    change = plan_deployment(desired(), live, allow_replace=True)
    assert change.change == Change.REPLACE
    assert change.diff == (
        DiffEntry("type", "preview", "sandbox"),
        DiffEntry("connector.staged", True, False),
    )


@pytest.mark.parametrize("status", ["Queued", "Deploying", "Undeploying"])
def test_busy_deployments_are_blocked_when_something_is_to_send(status: str) -> None:
    spec = desired(configurations=with_standard({"LOG_LEVEL": "debug"}))
    change = plan_deployment(spec, remote(status=status))
    assert change.change == Change.BLOCKED
    assert change.messages == (
        Message(Level.ERROR, f"the deployment is {status}: nothing can be sent until it ends"),
    )
    assert change.actions == ()


@pytest.mark.parametrize("status", ["Queued", "Deploying", "Draft"])
def test_busy_deployment_with_nothing_to_send_is_unchanged(status: str) -> None:
    change = plan_deployment(desired(), remote(status=status))
    assert change.change == Change.UNCHANGED


def test_undeploying_deployment_is_blocked_for_a_live_manifest() -> None:
    change = plan_deployment(desired(), remote(status="Undeploying"))
    assert change.change == Change.BLOCKED
    assert change.messages == (Message(Level.ERROR, "the deployment is being undeployed"),)


FAILED_DETAILS = {"build": {"id": "b-2", "report": {"entries": [
    {"type": "Warning", "title": "Slow start", "createdAt": "2026-01-01T00:00:00.000Z"},
    {"type": "Error", "title": "Build crashed", "createdAt": "2026-01-01T00:00:00.000Z"},
]}}}  # fmt: skip


def test_failed_with_nothing_new_is_an_error_unless_retry_failed() -> None:
    failed = remote(status="Failed", details=FAILED_DETAILS)
    change = plan_deployment(desired(), failed, connector_latest_version=3)
    assert change.change == Change.UNCHANGED
    text = "the deployment is Failed (Build crashed); nothing new to send (--retry-failed)"
    assert change.messages == (Message(Level.ERROR, text),)
    assert change.has_error
    retried = plan_deployment(desired(), failed, connector_latest_version=3, retry_failed=True)
    assert (retried.change, retried.actions, retried.messages) == (
        Change.UPDATE, (FULL_REDEPLOY,), ()
    )  # fmt: skip


def test_failed_with_a_change_is_redeployed_without_error() -> None:
    spec = desired(configurations=with_standard({"LOG_LEVEL": "debug"}))
    change = plan_deployment(spec, remote(status="Failed", details=FAILED_DETAILS))
    assert change.change == Change.UPDATE
    assert not change.has_error


def test_redeploy_requested_sends_the_secured_values() -> None:
    change = plan_deployment(
        desired(), remote(), connector_latest_version=3, redeploy_requested=True
    )
    assert change.change == Change.UPDATE
    assert change.actions == (FULL_REDEPLOY,)
    assert change.messages == (Message(Level.INFO, "redeploy requested: secured values are sent"),)


def test_a_secured_key_the_api_lists_as_missing_is_a_difference() -> None:
    live = remote()
    live["applications"][0]["securedConfiguration"] = [{"key": "OTHER", "value": "****"}]
    change = plan_deployment(desired(), live, connector_latest_version=3)
    assert change.change == Change.UPDATE
    assert change.diff == (
        DiffEntry(
            "configurations.service.securedConfiguration.PSP_API_KEY", None, "${PSP_API_KEY}"
        ),
    )
    assert change.actions == (FULL_REDEPLOY,)


def test_secured_values_in_clear_are_compared_without_showing_them() -> None:
    live = remote()
    live["applications"][0]["securedConfiguration"] = [{"key": "PSP_API_KEY", "value": "sk-old-1"}]
    secrets = {"PSP_API_KEY": "sk-new-2"}
    change = plan_deployment(
        desired(), live, connector_latest_version=3, secured_lookup=secrets.get
    )
    assert change.change == Change.UPDATE
    assert change.diff == (
        DiffEntry("configurations.service.securedConfiguration.PSP_API_KEY", "(hidden)",
                  "${PSP_API_KEY}"),
    )  # fmt: skip
    assert "sk-" not in repr(change)
    same = plan_deployment(
        desired(), live, connector_latest_version=3, secured_lookup={"PSP_API_KEY": "sk-old-1"}.get
    )
    assert (same.change, same.messages) == (Change.UNCHANGED, ())


def test_connector_secured_key_missing_from_the_manifest_is_a_plan_error() -> None:
    app = {"applicationName": "service", "standardConfiguration": {"LOG_LEVEL": "debug"}}
    change = plan_deployment(desired(configurations=[app]), remote())
    assert change.change == Change.BLOCKED
    text = (
        "configurations.service.securedConfiguration does not give PSP_API_KEY, "
        "which the connector defines"
    )
    assert change.messages == (Message(Level.ERROR, text),)


def test_create_checks_secured_keys_against_the_connector() -> None:
    app = {"applicationName": "service", "standardConfiguration": {"LOG_LEVEL": "debug"}}
    schema = [
        {"applicationName": "service", "securedConfiguration": [{"key": "A_KEY"}, {"key": "B"}]}
    ]
    change = plan_deployment(desired(configurations=[app]), None, connector_configurations=schema)
    text = (
        "configurations.service.securedConfiguration does not give A_KEY, B, "
        "which the connector defines"
    )
    assert (change.change, change.messages) == (Change.BLOCKED, (Message(Level.ERROR, text),))
    fine = plan_deployment(desired(), None, connector_configurations=[])
    assert fine.change == Change.CREATE


def test_latest_connector_schema_wins_over_the_deployed_snapshot() -> None:
    schema = [{"applicationName": "service", "securedConfiguration": [{"key": "NEW_SECRET"}]}]
    change = plan_deployment(desired(), remote(), connector_configurations=schema)
    assert change.messages == (
        Message(
            Level.ERROR,
            "configurations.service.securedConfiguration does not give NEW_SECRET, "
            "which the connector defines",
        ),
    )


def test_tombstones() -> None:
    gone = Desired("pay-sandbox", {"state": "absent"}, Location("d.yaml"))
    deleted = plan_deployment(gone, remote())
    assert (deleted.change, deleted.id, deleted.version) == (Change.DELETE, "d-1", 4)
    assert plan_deployment(gone, None).change == Change.UNCHANGED
    undeploying = plan_deployment(gone, remote(status="Undeploying"))
    assert (undeploying.change, undeploying.messages) == (
        Change.UNCHANGED, (Message(Level.INFO, "the deployment is being undeployed already"),),
    )  # fmt: skip
    busy = plan_deployment(gone, remote(status="Deploying"))
    assert busy.messages == (
        Message(Level.ERROR, "the deployment is Deploying: it cannot be deleted now"),
    )
    assert plan_deployment(gone, remote(status="Failed")).change == Change.DELETE


def test_tombstone_of_an_undeploy_failure_needs_retry_failed() -> None:
    gone = Desired("pay-sandbox", {"state": "absent"}, Location("d.yaml"))
    failed = remote(status="UndeployFailed", details=FAILED_DETAILS)
    change = plan_deployment(gone, failed)
    text = "the last undeploy failed (Build crashed); use --retry-failed to retry"
    assert (change.change, change.messages) == (Change.UNCHANGED, (Message(Level.ERROR, text),))
    assert plan_deployment(gone, failed, retry_failed=True).change == Change.DELETE


# -- no perpetual redeploy: apply the planned action the way the API might, plan again --------


def _apply(
    live: dict[str, Any], action: dict[str, Any], semantics: str, read: str
) -> dict[str, Any]:
    result = copy.deepcopy(live)
    apps = {app["applicationName"]: app for app in result["applications"]}
    for sent in action.get("configurationValues", []):
        app = apps[sent["applicationName"]]
        for name in ("standardConfiguration", "securedConfiguration"):
            values = {} if semantics == "replace" else {e["key"]: e["value"] for e in app[name]}
            values.update({e["key"]: e["value"] for e in sent[name]})
            app[name] = [{"key": k, "value": v} for k, v in values.items()]
    for app in result["applications"]:
        shown = {"mask": "****", "omit-values": "", "echo": None}
        if read == "omit-entries":
            app["securedConfiguration"] = []
        elif shown.get(read) is not None:
            app["securedConfiguration"] = [
                {"key": e["key"], "value": shown[read]} for e in app["securedConfiguration"]
            ]
    if action.get("updateConnector"):
        result["connector"]["version"] = 4
    result["version"] += 1
    return result


@pytest.mark.parametrize("semantics", ["merge", "replace"])
@pytest.mark.parametrize("read", ["mask", "omit-values", "omit-entries", "echo"])
def test_a_second_plan_after_the_redeploy_is_empty(semantics: str, read: str) -> None:
    spec = desired(configurations=with_standard({"LOG_LEVEL": "debug"}))
    first = plan_deployment(spec, remote(), connector_latest_version=4)
    assert first.change == Change.UPDATE
    resolved = resolve_secured(first.actions[0], {"PSP_API_KEY": "sk-live-9"}.get)
    after = _apply(remote(), resolved, semantics, read)
    lookup = {"PSP_API_KEY": "sk-live-9"}.get if read == "echo" else None
    second = plan_deployment(spec, after, connector_latest_version=4, secured_lookup=lookup)
    assert (second.change, second.actions, second.diff) == (Change.UNCHANGED, (), ())
    assert after["applications"][0]["standardConfiguration"] == [
        {"key": "LOG_LEVEL", "value": "debug"},
        {"key": "REGION_HINT", "value": "eu"},
    ]


# -- secured placeholders ----------------------------------------------------------------------


def test_secured_names_and_resolution() -> None:
    body = {**FULL_REDEPLOY, "globalConfiguration": {
        "standardConfiguration": [{"key": "S", "value": "${NOT_SECURED}"}],
        "securedConfiguration": [{"key": "T", "value": "${TOKEN}"}],
    }}  # fmt: skip
    assert secured_names(body) == ("PSP_API_KEY", "TOKEN")
    resolved = resolve_secured(body, {"PSP_API_KEY": "k1", "TOKEN": "t1"}.get)
    assert resolved["configurationValues"][0]["securedConfiguration"] == [
        {"key": "PSP_API_KEY", "value": "k1"}
    ]
    assert resolved["globalConfiguration"] == {
        "standardConfiguration": [{"key": "S", "value": "${NOT_SECURED}"}],
        "securedConfiguration": [{"key": "T", "value": "t1"}],
    }
    assert body["configurationValues"][0]["securedConfiguration"][0]["value"] == "${PSP_API_KEY}"


def test_missing_secured_variables_are_named_not_valued() -> None:
    body = {**FULL_REDEPLOY, "globalConfiguration": {
        "securedConfiguration": [{"key": "T", "value": "${TOKEN}"}],
    }}  # fmt: skip
    with pytest.raises(MissingSecret) as raised:
        resolve_secured(body, {"PSP_API_KEY": "k1"}.get)
    assert raised.value.names == ("TOKEN",)
    assert str(raised.value) == "secured value variable(s) not set: TOKEN"
