"""Properties of the diff over random remotes and desired states.

(a) applying the planned actions to the remote (with the reference semantics) converges: the
re-plan has no field action left; (b) the plan is minimal: without any single one of its actions
the re-plan is not empty, and no action alone is a no-op; (c) the output does not depend on
PYTHONHASHSEED.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectorctl.kinds.connector_staged.actions import apply_update
from connectorctl.kinds.connector_staged.diff import plan_connector
from connectorctl.model import CREATOR_FIELDS, INTEGRATION_TYPES, REGIONS, Desired, Location

NOW = "2026-01-01T00:00:00.000Z"
PROJECTS = [f"{region}:proj-{n}" for region in REGIONS[:2] for n in range(3)]
COMMENTS = ["ready", "see docs", "fixed review notes"]

texts = st.sampled_from(["", "a", "b", "Connector", "https://acme.example/x"])


def unique(values: Sequence[str], min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, min_size=min_size)


def optional(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict holding any subset of `fields`."""
    return st.fixed_dictionaries({}, optional=fields)


def creator_values() -> dict[str, st.SearchStrategy[Any]]:
    values: dict[str, st.SearchStrategy[Any]] = {name: texts for name in CREATOR_FIELDS}
    values["noOfContributors"] = st.integers(1, 3)
    return values


@st.composite
def remotes(draw: st.DrawFn) -> dict[str, Any]:
    creator = draw(optional(**creator_values()))
    creator["email"] = draw(texts)
    staged = {
        "id": "id-1",
        "key": "payment",
        "version": draw(st.integers(1, 50)),
        "name": draw(texts),
        "creator": creator,
        "repository": {"url": draw(texts), "tag": draw(texts)},
        "private": True,
        "status": draw(st.sampled_from(["Draft", "Published"])),
        "hasChanges": draw(st.booleans()),
        "alreadyListed": draw(st.booleans()),
        "isPreviewable": draw(st.sampled_from(["none", "true", "false"])),
    }
    staged |= draw(
        optional(
            description=texts,
            documentationUrl=texts,
            integrationTypes=unique(INTEGRATION_TYPES[:4]),
            supportedRegions=unique(REGIONS, min_size=1),
            privateProjects=unique(PROJECTS),
        )
    )
    comments = draw(unique(COMMENTS))
    if comments:
        staged["certificationInfo"] = {
            "comments": [{"userId": "u", "datetime": NOW, "comment": c} for c in comments]
        }
    return staged


@st.composite
def desired_states(draw: st.DrawFn) -> Desired:
    spec: dict[str, Any] = {"key": "payment", "name": draw(texts)}
    creator = draw(optional(**creator_values()))
    creator["email"] = draw(texts)
    spec["creator"] = creator
    spec["repository"] = {"url": draw(texts), "tag": draw(texts)}
    spec |= draw(
        optional(
            description=texts,
            documentationUrl=texts,
            integrationTypes=unique(INTEGRATION_TYPES[:4]),
            supportedRegions=unique(REGIONS, min_size=1),
            privateProjects=unique(PROJECTS),
            certificationComments=unique(COMMENTS),
            listed=st.booleans(),
            release=st.sampled_from(["draft", "preview", "publish", "certify"]),
        )
    )
    return Desired("payment", spec, Location("payment.yaml"))


def field_actions(desired: Desired, remote: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return list(plan_connector(desired, remote).field_actions)


def applied(remote: Mapping[str, Any], actions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    result, _ = apply_update(remote, remote["version"], list(actions), now=NOW)
    return result


FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(desired_states(), remotes())
def test_applying_the_plan_converges(desired: Desired, remote: dict[str, Any]) -> None:
    actions = field_actions(desired, remote)
    assert field_actions(desired, applied(remote, actions)) == []


@FAST
@given(desired_states(), remotes())
def test_every_planned_action_is_needed(desired: Desired, remote: dict[str, Any]) -> None:
    actions = field_actions(desired, remote)
    for index, action in enumerate(actions):
        _, changed = apply_update(remote, remote["version"], [action], now=NOW)
        assert changed, f"no-op action {action}"
        rest = actions[:index] + actions[index + 1 :]
        assert field_actions(desired, applied(remote, rest)) != [], f"{action} was not needed"


@FAST
@given(desired_states(), remotes())
def test_reordered_remote_lists_change_nothing(desired: Desired, remote: dict[str, Any]) -> None:
    reordered = {k: v[::-1] if isinstance(v, list) else v for k, v in remote.items()}
    assert plan_connector(desired, reordered) == plan_connector(desired, remote)


@FAST
@given(desired_states())
def test_a_remote_built_from_the_manifest_is_in_sync(desired: Desired) -> None:
    created = plan_connector(desired, None)
    remote = {"id": "id-1", "version": 1, "private": True, "status": "Draft", **created.draft}
    remote = applied(remote, created.field_actions)
    assert plan_connector(desired, remote).field_actions == ()


DETERMINISM_SCRIPT = textwrap.dedent(
    """
    import dataclasses, json
    from connectorctl.model import REGIONS, Desired, Location, Target
    from connectorctl.planning import make_plan
    projects = [f"{r}:p-{n}" for r in REGIONS for n in range(8)]
    remote = {"id": "i", "key": "k", "version": 2, "name": "a", "private": True,
              "creator": {"email": "e"}, "repository": {"url": "u", "tag": "1"},
              "privateProjects": projects[::2], "supportedRegions": list(REGIONS[:3]),
              "integrationTypes": ["psp", "tax", "erp"], "status": "Published",
              "hasChanges": True, "alreadyListed": True, "isPreviewable": "true"}
    spec = {"key": "k", "name": "b", "creator": {"email": "f", "name": "n"},
            "repository": {"url": "u", "tag": "2"}, "privateProjects": projects[::3],
            "supportedRegions": list(REGIONS[2:]), "integrationTypes": ["oms", "psp"],
            "certificationComments": ["x", "y", "x"], "release": "certify"}
    new = dict(spec, key="n")
    desired = [Desired("n", new, Location("n.yaml")), Desired("k", spec, Location("k.yaml"))]
    plan = make_plan(desired, {"k": remote}, target=Target("u", "p"), created_at="t",
                     unmanaged=[f"u{n}" for n in range(20)])
    print(json.dumps(dataclasses.asdict(plan), default=str))
    """
)


def plan_output(seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run(
        [sys.executable, "-c", DETERMINISM_SCRIPT], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_output_identical_across_hash_seeds() -> None:
    first, second = plan_output("1"), plan_output("2")
    assert first == second
    connectors = json.loads(first)["connectors"]
    assert len(connectors[0]["actions"]) > 10 and connectors[1]["draft"]
