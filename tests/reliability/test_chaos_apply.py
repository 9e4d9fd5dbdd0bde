"""Chaos apply: seeded 503/429, dropped connections after committed writes, and another writer.

Every fault decision is a pure function of (seed, route, key, attempt) (`emulator.faults.decide`),
so the test knows in advance which connectors meet a fault on their first write. Larger fleets:
CONNECTORCTL_CHAOS_N=1000 (default 100).
"""

from __future__ import annotations

import io
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from connectorctl.api.client import ConnectClient, RetryPolicy
from connectorctl.api.remote import fetch_remote
from connectorctl.api.target import resolve_target
from connectorctl.apply.converge import verify_convergence
from connectorctl.apply.executor import ApplySettings, desired_index, execute_plan
from connectorctl.cli import run_cli
from connectorctl.config import Selection, TargetOptions
from connectorctl.emulator.faults import decide, fault_config
from connectorctl.manifest.loader import load_manifests
from connectorctl.model import Change
from connectorctl.planning import make_plan
from connectorctl.results import ApplyResult, Result

from .fleet import (
    UNMANAGED_URL,
    desired_fields,
    key_of,
    managed_view,
    read_all,
    remote,
    write_fleet,
)

CHAOS_N = int(os.environ.get("CONNECTORCTL_CHAOS_N", "100"))
SEED = 20260917
CHAOS: dict[str, Any] = {
    "seed": SEED,
    "rates": {"503": 0.1, "429": 0.1},
    "retry_after": 1,
    "drop_after_write": 0.05,
    "bump_version": 0.1,
    # Faults hit only the first 3 attempts of each (route, key): with 8 attempts per request and
    # per connector, convergence is certain, not merely likely.
    "first_attempts": 3,
}
UNMANAGED_KEY = "legacy-erp"


def seed_fleet(emulator: Any, indexes: range) -> None:
    for start in range(indexes.start, indexes.stop, 200):
        batch = range(start, min(start + 200, indexes.stop))
        emulator.admin("POST", "seed", [remote(i) for i in batch])
    emulator.admin("POST", "seed", {**remote(0), "key": UNMANAGED_KEY, "name": "Legacy ERP"})


def set_documentation_url(emulator: Any, key: str) -> None:
    """The other writer: a change to a field no manifest manages."""
    action = {"action": "setDocumentationUrl", "documentationUrl": UNMANAGED_URL}
    emulator.admin("POST", "edit", {"key": key, "actions": [action]})


def first_write_faulted(route: str, key: str) -> bool:
    decision = decide(fault_config(CHAOS), route, key, 1)
    return decision.status is not None or decision.drop or decision.bump


class OtherWriter(threading.Thread):
    """Edits an unmanaged field of some connectors while the apply runs."""

    def __init__(self, emulator: Any, keys: list[str]) -> None:
        super().__init__(daemon=True)
        self.emulator, self.keys = emulator, keys

    def run(self) -> None:
        for key in self.keys:
            set_documentation_url(self.emulator, key)


def chaos_apply(
    emulator: Any, folder: Path, sleeps: list[float], edits: dict[str, list[str]]
) -> Any:
    """plan → other writer → apply → verify: the CLI pipeline, sleeps recorded instead of slept."""
    env = emulator.env()
    loaded = load_manifests(Selection(paths=(str(folder),)), {})
    assert not loaded.problems
    policy = RetryPolicy(max_attempts=8, budget=3600, conflict_attempts=8)
    with ConnectClient(
        resolve_target(TargetOptions(), env), policy=policy, sleep=sleeps.append
    ) as client:
        state = fetch_remote(client, [d.key for d in loaded.desired])
        plan = make_plan(
            loaded.desired, state.by_key, target=client.target.plan_target,
            created_at="2026-01-01T00:00:00Z", unmanaged=state.unmanaged,
        )  # fmt: skip
        for key in edits["before"]:
            set_documentation_url(emulator, key)
        writer = OtherWriter(emulator, edits["during"])
        settings = ApplySettings(parallelism=8, sleep=sleeps.append)
        by_key = desired_index(loaded.desired)
        writer.start()
        result = execute_plan(client, plan, by_key, settings)
        writer.join()
        return plan, verify_convergence(client, plan, result, by_key)


def test_every_connector_converges_under_chaos(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    creates, updates = range(0, CHAOS_N // 4), range(CHAOS_N // 4, CHAOS_N)
    seed_fleet(emulator, updates)
    write_fleet(tmp_path / "connectors", range(CHAOS_N))
    edits = {
        "before": [key_of(i) for i in updates if i % 10 == 0],
        "during": [key_of(i) for i in updates if i % 10 == 5],
    }
    emulator.admin("POST", "faults", CHAOS)
    sleeps: list[float] = []

    plan, result = chaos_apply(emulator, tmp_path / "connectors", sleeps, edits)

    emulator.admin("POST", "faults", {})
    assert plan.count(Change.CREATE) == len(creates) and plan.count(Change.UPDATE) == len(updates)
    assert plan.unmanaged == (UNMANAGED_KEY,)
    assert_converged(result, creates, updates)
    assert_final_state(emulator, creates, updates, edits)
    assert_retries_counted(result, creates, updates, edits["before"], sleeps)
    assert_second_plan_empty(emulator, tmp_path, monkeypatch)


def assert_converged(result: ApplyResult, creates: range, updates: range) -> None:
    outcomes = {o.key: o for o in result.outcomes}
    failed = {k: o.note for k, o in outcomes.items() if o.failed}
    assert failed == {}
    assert {k for k, o in outcomes.items() if o.result is Result.CREATED} == {
        key_of(i) for i in creates
    }
    assert {k for k, o in outcomes.items() if o.result is Result.UPDATED} == {
        key_of(i) for i in updates
    }


def assert_final_state(
    emulator: Any, creates: range, updates: range, edits: dict[str, list[str]]
) -> None:
    connectors = read_all(emulator.url)
    keys = [c["key"] for c in connectors]
    assert len(keys) == len(set(keys)) == CHAOS_N + 1  # no key created twice
    by_key = {c["key"]: c for c in connectors}
    for index in [*creates, *updates]:
        live = by_key[key_of(index)]
        assert managed_view(live) == managed_view(desired_fields(index)), key_of(index)
    for key in edits["before"] + edits["during"]:
        assert by_key[key].get("documentationUrl") == UNMANAGED_URL, key  # their edit survives
    untouched = [key_of(i) for i in updates if key_of(i) not in edits["before"] + edits["during"]]
    assert all(not by_key[k].get("documentationUrl") for k in untouched)
    assert by_key[UNMANAGED_KEY]["version"] == 1 and by_key[UNMANAGED_KEY]["name"] == "Legacy ERP"


def assert_retries_counted(
    result: ApplyResult, creates: range, updates: range, edited: list[str], sleeps: list[float]
) -> None:
    outcomes = {o.key: o for o in result.outcomes}
    expected = {key_of(i) for i in creates if first_write_faulted("create", key_of(i))}
    expected |= {key_of(i) for i in updates if first_write_faulted("update", key_of(i))}
    expected |= set(edited)  # the plan's version is stale: one 409 at least
    assert expected, "the seed must make some first writes fail"
    assert {k for k in expected if outcomes[k].retries == 0} == set()
    assert all(o.requests > o.retries for o in result.outcomes)
    assert sum(o.retries for o in result.outcomes) >= len(expected)
    assert float(CHAOS["retry_after"]) in sleeps  # Retry-After honoured on a 429


def test_the_seed_exercises_every_fault_kind() -> None:
    config = fault_config(CHAOS)
    decisions = [
        decide(config, route, key_of(i), attempt)
        for route in ("create", "update")
        for i in range(CHAOS_N)
        for attempt in (1, 2, 3)
    ]
    assert {d.status for d in decisions} >= {429, 503}
    assert any(d.drop for d in decisions) and any(d.bump for d in decisions)
    assert not any(decide(config, "update", key_of(i), 4).status for i in range(CHAOS_N))


def assert_second_plan_empty(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    assert run_cli(["plan", "connectors", "--detailed-exitcode", "--format", "json"]) == 0


# -- the default budget --------------------------------------------------------------------------

BUDGET_N = 40
DEFAULT_ATTEMPTS = RetryPolicy().max_attempts


def exhausting_seed() -> tuple[dict[str, Any], set[str]]:
    """A seed under which some (not all) connectors meet a 429 on every default attempt."""
    for seed in range(1000):
        body = {"seed": seed, "routes": {"update": {"429": 0.5}}, "retry_after": 0}
        config = fault_config(body)
        doomed = {
            key_of(i)
            for i in range(BUDGET_N)
            if all(
                decide(config, "update", key_of(i), a).status
                for a in range(1, DEFAULT_ATTEMPTS + 1)
            )
        }
        if 0 < len(doomed) < BUDGET_N // 2:
            return body, doomed
    raise AssertionError("no seed found")


def test_a_connector_out_of_attempts_fails_whole_never_half_applied(
    emulator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    faults, doomed = exhausting_seed()
    emulator.admin("POST", "seed", [remote(i) for i in range(BUDGET_N)])
    write_fleet(tmp_path / "connectors", range(BUDGET_N))
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    emulator.admin("POST", "faults", faults)

    code = run_cli(["apply", "connectors", "--auto-approve", "--format", "json"])

    out = capsys.readouterr().out
    emulator.admin("POST", "faults", {})
    assert code == 1
    results = {r["key"]: r for r in json.loads(out)["results"]}
    assert {k for k, r in results.items() if r["error"]} == doomed
    assert all(results[k]["result"] == "failed" for k in doomed)
    assert all(results[k]["requests"] == DEFAULT_ATTEMPTS for k in doomed)
    live = {c["key"]: c for c in read_all(emulator.url)}
    for index in range(BUDGET_N):
        key = key_of(index)
        wanted = remote(index) if key in doomed else desired_fields(index)
        assert managed_view(live[key]) == managed_view(wanted), key  # all or nothing


# -- lifecycle chaos: lost lifecycle answers, 429s on creates with a competing writer, and reads
# that fail after the writes ---------------------------------------------------------------------

LIFECYCLE_N = 40
LIFECYCLE_CREATES = range(0, 10)
LIFECYCLE_UPDATES = range(10, LIFECYCLE_N)
LIFECYCLE_CHAOS: dict[str, Any] = {
    "seed": SEED,
    "routes": {"create": {"429": 0.4}, "update": {"503": 0.1}},
    "retry_after": 0,
    "drop_after_write": 0.25,
    "first_attempts": 2,
}
READS_FAIL = {"seed": SEED, "routes": {"get": {"503": 0.5}}, "first_attempts": 5}


def competing_keys() -> list[str]:
    """Creates whose first attempt is answered 429: another process creates these keys meanwhile."""
    config = fault_config(LIFECYCLE_CHAOS)
    found = [key_of(i) for i in LIFECYCLE_CREATES if decide(config, "create", key_of(i), 1).status]
    return found[:3]


def unverifiable_keys() -> set[str]:
    """Keys whose convergence read fails on each of its 5 attempts."""
    config = fault_config(READS_FAIL)
    return {
        key_of(i)
        for i in range(LIFECYCLE_N)
        if all(decide(config, "get", key_of(i), a).status for a in range(1, 6))
    }


def test_the_lifecycle_seed_exercises_every_path() -> None:
    config = fault_config(LIFECYCLE_CHAOS)
    lost_lifecycle = [
        key_of(i)
        for i in LIFECYCLE_UPDATES
        if not decide(config, "update", key_of(i), 1).drop
        and decide(config, "update", key_of(i), 2).drop
    ]
    assert lost_lifecycle, "some publish answers must be lost"
    assert len(competing_keys()) == 3
    assert 0 < len(unverifiable_keys()) < LIFECYCLE_N // 4


def write_publishing_fleet(folder: Path) -> None:
    write_fleet(folder, range(LIFECYCLE_N))
    for path in folder.glob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8") + "release: publish\n", encoding="utf-8")


def test_lifecycle_chaos_loses_no_step_and_adopts_nothing(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.admin("POST", "settings", {"publish_delay": 0})
    emulator.admin("POST", "seed", [remote(i) for i in LIFECYCLE_UPDATES])
    write_publishing_fleet(tmp_path / "connectors")
    competitors = competing_keys()
    theirs = [{**remote(int(k.split("-")[1])), "name": "Theirs"} for k in competitors]

    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:  # the first retry wait: the other process creates its connectors now
            if theirs:
                emulator.admin("POST", "seed", theirs)
                theirs.clear()

    env = emulator.env()
    loaded = load_manifests(Selection(paths=(str(tmp_path / "connectors"),)), {})
    with ConnectClient(resolve_target(TargetOptions(), env), sleep=sleep) as client:
        state = fetch_remote(client, [d.key for d in loaded.desired])
        plan = make_plan(loaded.desired, state.by_key, target=client.target.plan_target,
                         created_at="2026-01-01T00:00:00Z", unmanaged=state.unmanaged)  # fmt: skip
        emulator.admin("POST", "faults", LIFECYCLE_CHAOS)
        by_key = desired_index(loaded.desired)
        result = execute_plan(client, plan, by_key, ApplySettings(sleep=sleep))
        emulator.admin("POST", "faults", READS_FAIL)
        result = verify_convergence(client, plan, result, by_key)
    emulator.admin("POST", "faults", {})

    rows = {o.key: o for o in result.outcomes}
    assert sorted(rows) == [key_of(i) for i in range(LIFECYCLE_N)]  # a row for every connector
    live = {c["key"]: c for c in read_all(emulator.url)}
    assert len(live) == LIFECYCLE_N  # 0 duplicates
    for key in competitors:  # 0 adopted: their connector failed, untouched
        assert (rows[key].result, rows[key].failed) == (Result.FAILED, True), rows[key].note
        assert (live[key]["name"], live[key]["status"], live[key]["version"]) == (
            "Theirs", "Draft", 1,
        )  # fmt: skip
    unverified = unverifiable_keys()
    for key, row in rows.items():
        if key in competitors:
            continue
        expected = Result.NOT_VERIFIED if key in unverified else None
        assert expected is None or row.result is expected, (key, row)
        assert row.result in (Result.CREATED, Result.UPDATED, Result.NOT_VERIFIED), (key, row)
        assert live[key]["status"] == "Published", key  # 0 lost lifecycle steps
    assert {k for k, o in rows.items() if o.failed} == set(competitors) | unverified

    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert run_cli(["apply", "connectors", "--auto-approve", "--format", "json"]) == 0
    assert run_cli(["plan", "connectors", "--detailed-exitcode", "--format", "json"]) == 0
