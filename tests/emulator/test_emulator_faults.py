"""Fault injection over a real socket: statuses, dropped connections, version bumps, seeds."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from connectorctl.emulator.faults import FaultConfig, decide

from .conftest import Api, error_code

KEY = "key=payment-gateway"
SET_NAME = {"action": "setName", "name": "Renamed"}


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_error_rates_per_route(emulator: Any, api: Api, status: int) -> None:
    api.create()
    emulator.admin("POST", "faults", {"routes": {"get": {str(status): 1.0}}, "retry_after": 0})
    response = api.get(KEY)
    assert response.status_code == status
    error_code(response)
    if status == 429:
        assert response.headers["Retry-After"] == "0"
    assert api.query().status_code == 200  # other routes untouched


def test_first_attempts_only(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin("POST", "faults", {"rates": {"503": 1.0}, "first_attempts": 2})
    assert [api.get(KEY).status_code for _ in range(3)] == [503, 503, 200]


def test_dropped_connection_after_the_write_committed(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin("POST", "faults", {"drop_after_write": 1.0})
    with pytest.raises(httpx.TransportError):
        api.update(KEY, 1, SET_NAME)
    with pytest.raises(httpx.TransportError):
        api.create(key="second")
    emulator.admin("POST", "faults", {})
    assert api.get(KEY).json()["name"] == "Renamed"
    assert api.get("key=second").status_code == 200


def test_version_bumped_behind_the_clients_back(emulator: Any, api: Api) -> None:
    api.create()
    emulator.admin("POST", "faults", {"bump_version": 1.0, "first_attempts": 1})
    conflict = api.update(KEY, 1, SET_NAME)
    assert conflict.status_code == 409
    assert conflict.json()["errors"][0]["currentVersion"] == 2
    assert api.update(KEY, 2, SET_NAME).status_code == 201


def test_latency(emulator: Any, api: Api) -> None:
    emulator.admin("POST", "faults", {"latency_ms": 150})
    started = time.perf_counter()
    api.query()
    assert time.perf_counter() - started >= 0.15


def test_bad_fault_bodies(emulator: Any) -> None:
    for body in (
        {"rates": {"404": 0.5}},
        {"rates": {"503": 2}},
        {"routes": {"x": {}}},
        {"oops": 1},
    ):
        assert httpx.post(f"{emulator.url}/_emulator/faults", json=body).status_code == 400


def _statuses(emulator: Any, api: Api, keys: list[str]) -> dict[str, list[int]]:
    """Three GETs per key, keys in parallel (each key's GETs in order)."""

    def run(key: str) -> list[int]:
        return [api.get(f"key={key}").status_code for _ in range(3)]

    emulator.admin("POST", "faults", {"seed": 42, "rates": {"503": 0.3, "429": 0.2}})
    with ThreadPoolExecutor(8) as pool:
        return dict(zip(keys, pool.map(run, keys), strict=True))


def test_same_seed_same_faults_under_concurrency(emulator: Any, api: Api) -> None:
    keys = [f"k{i:02d}" for i in range(16)]
    for key in keys:
        api.create(key=key)
    first = _statuses(emulator, api, keys)
    second = _statuses(emulator, api, list(reversed(keys)))
    assert first == second
    flat = [s for statuses in first.values() for s in statuses]
    assert {200, 503, 429} <= set(flat)


def test_decisions_are_a_function_of_their_inputs() -> None:
    config = FaultConfig(seed=7, rates={503: 0.5}, drop_after_write=0.5)
    runs = [[decide(config, "update", "k", n) for n in range(1, 50)] for _ in range(2)]
    assert runs[0] == runs[1]
    other = [decide(FaultConfig(seed=8, rates={503: 0.5}), "update", "k", n) for n in range(1, 50)]
    assert [d.status for d in other] != [d.status for d in runs[0]]
