"""Properties of the Deployment plan: after the planned redeploy, whatever the API's merge rule
and secured-read mode, the next plan sends nothing."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectorctl.kinds.deployment import Change, plan_deployment, resolve_secured
from connectorctl.model import Desired, Location

KEYS = st.sampled_from(["A_1", "B_2", "C_3", "D_4"])
VALUES = st.sampled_from(["", "x", "y", "z z"])
STANDARD = st.dictionaries(KEYS, VALUES, max_size=4)
SECURED = st.lists(st.sampled_from(["S_1", "S_2"]), unique=True, max_size=2)
MODES = st.sampled_from(["mask", "omit-values", "omit-entries", "echo"])
SEMANTICS = st.sampled_from(["merge", "replace"])
SECRETS = {"S_1": "secret-one", "S_2": "secret-two"}
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _desired(standard: dict[str, str], secured: list[str]) -> Desired:
    app = {
        "applicationName": "service",
        "standardConfiguration": standard,
        "securedConfiguration": {key: "${" + key + "}" for key in secured},
    }
    spec = {
        "connector": {"key": "c1"},
        "region": "europe-west1.gcp",
        "configurations": [app],
    }
    return Desired("dep", spec, Location("d.yaml"))


def _remote(live: dict[str, str], secured: list[str], mode: str) -> dict[str, Any]:
    app = {
        "applicationName": "service",
        "standardConfiguration": [{"key": k, "value": v} for k, v in live.items()],
        "securedConfiguration": [{"key": k, "value": SECRETS[k]} for k in secured],
    }
    doc = {
        "id": "d", "key": "dep", "version": 1, "type": "sandbox", "status": "Deployed",
        "deployedRegion": "europe-west1.gcp",
        "connector": {"key": "c1", "version": 3, "configurations": [
            {"applicationName": "service", "securedConfiguration": [{"key": k} for k in secured]}
        ]},
        "applications": [app],
    }  # fmt: skip
    return _shown(doc, mode)


def _shown(doc: dict[str, Any], mode: str) -> dict[str, Any]:
    shown = copy.deepcopy(doc)
    for app in shown["applications"]:
        if mode == "omit-entries":
            app["securedConfiguration"] = []
        elif mode != "echo":
            hidden = "****" if mode == "mask" else ""
            app["securedConfiguration"] = [
                {"key": e["key"], "value": hidden} for e in app["securedConfiguration"]
            ]
    return shown


def _redeployed(
    live: dict[str, str], secured: list[str], action: dict[str, Any], semantics: str
) -> tuple[dict[str, str], dict[str, str]]:
    """The stored standard and secured values after the API runs `action`."""
    standard, secrets = dict(live), {k: SECRETS[k] for k in secured}
    for sent in action.get("configurationValues", []):
        if semantics == "replace":
            standard, secrets = {}, {}
        standard.update({e["key"]: e["value"] for e in sent["standardConfiguration"]})
        secrets.update({e["key"]: e["value"] for e in sent["securedConfiguration"]})
    return standard, secrets


@FAST
@given(STANDARD, STANDARD, SECURED, MODES, SEMANTICS, st.sampled_from([3, 4]))
def test_a_planned_redeploy_leaves_nothing_to_send(
    wanted: dict[str, str], live: dict[str, str], secured: list[str], mode: str, semantics: str,
    latest: int,
) -> None:  # fmt: skip
    desired = _desired(wanted, secured)
    lookup = SECRETS.get if mode == "echo" else None
    first = plan_deployment(
        desired, _remote(live, secured, mode), connector_latest_version=latest,
        secured_lookup=lookup,
    )  # fmt: skip
    assert first.change in (Change.UNCHANGED, Change.UPDATE)
    if first.change is Change.UNCHANGED:
        assert all(live.get(key) == value for key, value in wanted.items()) and latest == 3
        return
    (action,) = first.actions
    standard, secrets = _redeployed(live, secured, resolve_secured(action, SECRETS.get), semantics)
    assert standard == {**live, **wanted}
    assert secrets == {key: SECRETS[key] for key in secured}
    after = _remote(standard, sorted(secrets), mode)
    after["connector"]["version"] = latest if action.get("updateConnector") else 3
    second = plan_deployment(desired, after, connector_latest_version=latest, secured_lookup=lookup)
    assert (second.change, second.actions, second.diff) == (Change.UNCHANGED, (), ())
