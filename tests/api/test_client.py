"""The Connect client against the emulator over a real loopback socket: auth, errors, retries."""

from __future__ import annotations

import dataclasses
import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from connectorctl.api.client import ConnectClient, RequestTracker, RetryPolicy
from connectorctl.api.remote import fetch_remote, read_all
from connectorctl.api.target import ResolvedTarget, resolve_target
from connectorctl.config import TargetOptions
from connectorctl.errors import (
    ApiError,
    AuthenticationError,
    AuthorizationError,
    ConcurrentModificationError,
    DuplicateKeyError,
    TransportError,
)
from support import FakeTime

DRAFT = {
    "key": "payment-gateway",
    "name": "Payment Gateway",
    "creator": {"email": "team@acme.example"},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
}


def target_for(emulator: Any, client: str = "emulator-client") -> ResolvedTarget:
    return resolve_target(TargetOptions(), emulator.env(client))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(emulator: Any, fake_time: FakeTime) -> Iterator[ConnectClient]:
    with ConnectClient(
        target_for(emulator), sleep=fake_time.sleep, clock=fake_time.clock
    ) as connect:
        yield connect


def test_scopes_from_the_token_response(emulator: Any) -> None:
    with ConnectClient(target_for(emulator)) as manager:
        assert f"manage_connectors:{emulator.project_key}" in manager.granted_scopes()
        assert manager.can_write()
    with ConnectClient(target_for(emulator, "emulator-viewer")) as viewer:
        assert viewer.granted_scopes() == {f"view_connectors:{emulator.project_key}"}
        assert not viewer.can_write()


def test_create_read_update_round_trip(client: ConnectClient) -> None:
    created = client.create(DRAFT)
    assert created["version"] == 1 and created["key"] == "payment-gateway"
    assert client.get_by_key("payment-gateway") == created
    assert client.get_by_id(created["id"]) == created
    updated = client.update(created["id"], 1, [{"action": "setName", "name": "Payments"}])
    assert (updated["name"], updated["version"]) == ("Payments", 2)
    assert client.get_by_key("nope") is None
    assert client.get_by_id("00000000-0000-0000-0000-000000000000") is None


def test_conflict_and_duplicate_map_to_own_errors(client: ConnectClient) -> None:
    created = client.create(DRAFT)
    client.update(created["id"], 1, [{"action": "setName", "name": "Payments"}])
    with pytest.raises(ConcurrentModificationError) as conflict:
        client.update(created["id"], 1, [{"action": "setName", "name": "Again"}])
    assert (conflict.value.status, conflict.value.code) == (409, "ConcurrentModification")
    with pytest.raises(DuplicateKeyError) as duplicate:
        client.create(DRAFT)
    assert duplicate.value.code == "DuplicateField"


def test_invalid_action_is_an_api_error_with_code_and_message(client: ConnectClient) -> None:
    created = client.create(DRAFT)
    with pytest.raises(ApiError) as info:
        client.update(created["id"], 1, [{"action": "setConfigurations"}])
    assert info.value.status == 400
    assert info.value.code == "InvalidJsonInput"
    assert "setConfigurations" in str(info.value)


def test_viewer_cannot_write(emulator: Any) -> None:
    with ConnectClient(target_for(emulator, "emulator-viewer")) as viewer:
        assert read_all(viewer)[0] == []
        with pytest.raises(AuthorizationError) as info:
            viewer.create(DRAFT)
    assert info.value.status == 403
    assert "manage_connectors" in str(info.value)


def test_wrong_secret_is_one_line_without_the_secret(emulator: Any) -> None:
    env = {**emulator.env(), "CTP_CLIENT_SECRET": "not-the-secret-xyz"}
    wrong = ConnectClient(resolve_target(TargetOptions(), env))
    with wrong, pytest.raises(AuthenticationError) as info:
        read_all(wrong)[0]
    message = str(info.value)
    assert message.startswith("authentication failed: ")
    assert "\n" not in message and "not-the-secret-xyz" not in message


def test_token_refreshed_once_on_401(emulator: Any, client: ConnectClient) -> None:
    client.create(DRAFT)
    ttl = emulator.admin("GET", "settings")["token_ttl"]
    emulator.admin("POST", "clock", {"advance": ttl + 10})
    # The cached token has expired on the server: the client gets a new one and carries on.
    assert client.get_by_key("payment-gateway") is not None
    assert emulator.admin("GET", "counters")["token"] == 2


def test_retry_after_is_honoured(emulator: Any, client: ConnectClient, fake_time: FakeTime) -> None:
    client.create(DRAFT)
    faults = {"routes": {"get": {"429": 1.0}}, "retry_after": 3, "first_attempts": 2}
    emulator.admin("POST", "faults", faults)
    track = RequestTracker()
    assert client.get_by_key("payment-gateway", track=track) is not None
    assert fake_time.sleeps == [3.0, 3.0]
    assert (track.attempts, track.retries) == (3, 2)


def test_persistent_5xx_stops_after_five_attempts(
    emulator: Any, client: ConnectClient, fake_time: FakeTime
) -> None:
    client.create(DRAFT)
    emulator.admin("POST", "faults", {"routes": {"get": {"502": 1.0}}, "retry_after": 0})
    with pytest.raises(ApiError) as info:
        client.get_by_key("payment-gateway")
    assert info.value.status == 502 and info.value.code
    assert len(fake_time.sleeps) == 4  # no Retry-After on a 502: jittered backoff
    assert all(0 <= d <= 0.5 * 2**i for i, d in enumerate(fake_time.sleeps))
    assert emulator.admin("GET", "counters")["get"] == 5


def test_update_accepts_200_as_well_as_201(emulator: Any, client: ConnectClient) -> None:
    created = client.create(DRAFT)
    emulator.admin("POST", "settings", {"update_status": 200})
    updated = client.update(created["id"], 1, [{"action": "setName", "name": "B"}])
    assert updated["name"] == "B"


def test_debug_log_numbers_attempts_and_redacts(emulator: Any, fake_time: FakeTime) -> None:
    lines: list[str] = []
    emulator.admin("POST", "faults", {"routes": {"query": {"503": 1.0}}, "first_attempts": 1})
    with ConnectClient(
        target_for(emulator), sleep=fake_time.sleep, clock=fake_time.clock, debug=lines.append
    ) as traced:
        read_all(traced)[0]
        token = traced._current_token().value
    log = "\n".join(lines)
    assert "[attempt 1/5]" in log and "[attempt 2/5]" in log and "< 503" in log
    assert token not in log and "emulator-secret" not in log
    assert "Authorization: Basic <redacted>" in log and "Authorization: Bearer <redacted>" in log


def test_paged_query_reads_everything_and_finds_unmanaged(client: ConnectClient) -> None:
    for index in range(5):
        client.create({**DRAFT, "key": f"conn-{index}"})
    assert sorted(c["key"] for c in read_all(client)[0]) == [f"conn-{i}" for i in range(5)]
    state = fetch_remote(client, ["conn-1", "conn-3", "absent"])
    assert sorted(state.by_key) == ["conn-1", "conn-3"]
    assert state.unmanaged == ("conn-0", "conn-2", "conn-4")
    by_key = fetch_remote(client, ["conn-2", "absent"], by_key=True)
    assert list(by_key.by_key) == ["conn-2"] and by_key.unmanaged is None


def test_offset_cap_falls_back_to_reads_by_key(client: ConnectClient) -> None:
    for index in range(7):
        client.create({**DRAFT, "key": f"conn-{index}"})
    state = fetch_remote(client, ["conn-0", "conn-6"], limit=2, max_offset=2)
    assert sorted(state.by_key) == ["conn-0", "conn-6"]
    assert state.unmanaged == ("conn-1", "conn-2", "conn-3")
    assert state.notes and "by key" in state.notes[0]


def _closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


class MaxJitter(random.Random):
    """Jitter that always picks the ceiling, so delays are predictable."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_connection_refused_is_retried_then_a_transport_error(fake_time: FakeTime) -> None:
    url = _closed_port_url()
    target = ResolvedTarget(url, url + "/oauth/token", "p", "id", "secret")
    policy = RetryPolicy(base_delay=1.0)
    dead = ConnectClient(target, policy=policy, sleep=fake_time.sleep, clock=fake_time.clock)
    with dead, pytest.raises(TransportError) as info:
        read_all(dead)[0]
    assert info.value.status == 0 and isinstance(info.value.__cause__, Exception)
    assert len(fake_time.sleeps) == 4  # five attempts
    for attempt, delay in enumerate(fake_time.sleeps):
        assert 0 <= delay <= 2**attempt  # full jitter under the exponential ceiling


def test_tracker_counts_attempts_and_bounds_retry_time(emulator: Any, fake_time: FakeTime) -> None:
    working = target_for(emulator)
    target = dataclasses.replace(working, connect_url=_closed_port_url())
    policy = RetryPolicy(base_delay=1.0, budget=5.0)
    track = RequestTracker()
    with ConnectClient(
        target, policy=policy, sleep=fake_time.sleep, clock=fake_time.clock, rng=MaxJitter()
    ) as half_dead:
        assert half_dead.can_write()  # the token endpoint works
        with pytest.raises(TransportError):
            half_dead.get_by_key("payment-gateway", track=track)
    # Delays 1 and 2 fit in the 5 s budget; the third (4 s) would not, so it stops there.
    assert fake_time.sleeps == [1.0, 2.0]
    assert (track.attempts, track.retries) == (3, 2)
    assert track.deadline == 1005.0
