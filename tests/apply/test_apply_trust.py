"""The applier when the network, other writers and lost answers interfere (issue 13's paths).

Every test runs against the emulator over a real loopback socket; faults come from its admin API,
the other writer from its "edit as another user" endpoint, and timing from hooks in the injected
sleep (which run exactly when the client would wait before a retry).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from connectorctl.api.client import ConnectClient
from connectorctl.api.target import resolve_target
from connectorctl.apply.converge import verify_convergence
from connectorctl.apply.executor import ApplySettings, desired_index, execute_plan
from connectorctl.config import TargetOptions
from connectorctl.emulator.faults import decide, fault_config
from connectorctl.model import Change, Desired, Location, Plan, Target
from connectorctl.planning import make_plan
from connectorctl.results import ApplyResult, ConnectorOutcome, Result

KEY = "payment-gateway"
BASE: dict[str, Any] = {
    "key": KEY,
    "name": "Payment Gateway",
    "creator": {"email": "team@acme.example"},
    "repository": {"url": "git@github.com:acme/payment.git", "tag": "v1.0.0"},
}
NEW_TAG = {"url": "git@github.com:acme/payment.git", "tag": "v2.0.0"}
# Whether a staged-data change resets isPreviewable is not stated by the API: both are run.
RESETS = [True, False]


class Hooks:
    """An injected sleep that records each delay and runs the next queued hook, if any."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.queue: list[Callable[[], None]] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.queue:
            self.queue.pop(0)()


@pytest.fixture(params=RESETS, ids=["change-resets-previewable", "change-keeps-previewable"])
def api(emulator: Any, request: pytest.FixtureRequest) -> Any:
    settings = {
        "staged_change_resets_previewable": request.param,
        "preview_delay": 5,
        "publish_delay": 5,
    }
    emulator.admin("POST", "settings", settings)
    return emulator


@pytest.fixture
def hooks() -> Hooks:
    return Hooks()


@pytest.fixture
def client(api: Any, hooks: Hooks) -> Iterator[ConnectClient]:
    target = resolve_target(TargetOptions(), api.env())
    with ConnectClient(target, sleep=hooks.sleep) as connect:
        yield connect


def desired(**changes: Any) -> Desired:
    return Desired(key=KEY, spec={**BASE, **changes}, location=Location("connectors/p.yaml"))


def plan_for(client: ConnectClient, wanted: Sequence[Desired]) -> Plan:
    remote = {d.key: r for d in wanted if (r := client.get_by_key(d.key)) is not None}
    return make_plan(
        wanted,
        remote,
        target=Target(client.target.connect_url, client.target.project_key),
        created_at="2026-01-01T00:00:00Z",
        unmanaged=None,
    )


def run(
    client: ConnectClient, wanted: Sequence[Desired], plan: Plan, *, reviewed: bool, **kw: Any
) -> ConnectorOutcome:
    by_key = None if reviewed else desired_index(wanted)
    result = execute_plan(client, plan, by_key, ApplySettings(sleep=lambda s: None, **kw))
    (outcome,) = verify_convergence(client, plan, result, by_key).outcomes
    return outcome


def counters(emulator: Any) -> dict[str, int]:
    found = emulator.admin("GET", "counters")
    return {route: found.get(route, 0) for route in ("create", "update", "get")}


def live(client: ConnectClient) -> dict[str, Any]:
    remote = client.get_by_key(KEY)
    assert remote is not None
    return remote


def seed_failed(emulator: Any) -> dict[str, Any]:
    """A connector whose last publish failed and that was never listed."""
    doc: dict[str, Any] = emulator.admin("POST", "seed", {**BASE, "status": "Failed"})
    return doc


def seed_where(route: str, pattern: Sequence[bool], kind: str) -> int:
    """A fault seed whose decisions for attempts 1..n of `route` on KEY follow `pattern`."""
    for seed in range(5000):
        config = fault_config({"seed": seed, kind: 0.5})
        got = [decide(config, route, KEY, n + 1).bump for n in range(len(pattern))]
        if got == list(pattern):
            return seed
    raise AssertionError("no seed found")


# -- 1. a promised publish is never dropped ----------------------------------------------------


@pytest.mark.parametrize("reviewed", [False, True], ids=["manifests", "plan-file"])
def test_a_lost_field_answer_still_sends_the_promised_publish(
    client: ConnectClient, api: Any, reviewed: bool
) -> None:
    seed_failed(api)
    wanted = [desired(release="publish", repository=NEW_TAG)]
    plan = plan_for(client, wanted)
    assert [a["action"] for a in plan.connectors[0].actions] == ["setRepository", "publish"]
    api.admin("POST", "faults", {"drop_after_write": 1.0, "first_attempts": 1})
    outcome = run(client, wanted, plan, reviewed=reviewed)
    assert (outcome.result, outcome.failed, outcome.lifecycle) == (Result.UPDATED, False, "publish")
    # the lost setRepository, its retry answered 409, then the publish
    assert counters(api)["update"] == 3
    assert live(client)["status"] == "Processing"


def test_a_foreign_bump_before_the_publish_still_sends_it(client: ConnectClient, api: Any) -> None:
    seed_failed(api)
    wanted = [desired(release="publish", repository=NEW_TAG)]
    plan = plan_for(client, wanted)
    seed = seed_where("update", [False, True, False], "bump_version")
    api.admin("POST", "faults", {"seed": seed, "bump_version": 0.5, "first_attempts": 2})
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed, outcome.lifecycle) == (Result.UPDATED, False, "publish")
    assert outcome.retries == 1
    assert live(client)["status"] == "Processing"


def test_a_foreign_bump_makes_a_saved_plan_stale(client: ConnectClient, api: Any) -> None:
    seed_failed(api)
    wanted = [desired(release="publish", repository=NEW_TAG)]
    plan = plan_for(client, wanted)
    seed = seed_where("update", [False, True], "bump_version")
    api.admin("POST", "faults", {"seed": seed, "bump_version": 0.5, "first_attempts": 2})
    outcome = run(client, wanted, plan, reviewed=True)
    assert (outcome.result, outcome.failed) == (Result.STALE, True)
    assert "version 2 expected, now 3" in outcome.note
    assert counters(api)["update"] == 2


def test_a_lost_publish_answer_is_ours_and_not_sent_again(client: ConnectClient, api: Any) -> None:
    api.admin("POST", "seed", {**BASE, "status": "Published", "alreadyListed": True})
    wanted = [desired(release="publish", name="Payments")]
    plan = plan_for(client, wanted)
    # drop only the publish (the second update request)
    seed = next(
        s
        for s in range(5000)
        if [
            decide(fault_config({"seed": s, "drop_after_write": 0.5}), "update", KEY, n).drop
            for n in (1, 2, 3)
        ]
        == [False, True, False]
    )
    api.admin("POST", "faults", {"seed": seed, "drop_after_write": 0.5, "first_attempts": 3})
    outcome = run(client, wanted, plan, reviewed=True)
    assert (outcome.result, outcome.failed, outcome.lifecycle) == (Result.UPDATED, False, "publish")
    assert counters(api)["update"] == 3  # setName, the lost publish, its retry answered 409


# -- 2./3. creates: never adopt someone else's, never report a landed create as failed ----------


def competitor(api: Any, **fields: Any) -> Callable[[], None]:
    return lambda: api.admin("POST", "seed", {**BASE, **fields})


@pytest.mark.parametrize("fields", [{}, {"name": "Theirs"}], ids=["equal", "different"])
def test_a_create_answered_429_never_adopts_a_competing_create(
    client: ConnectClient, api: Any, hooks: Hooks, fields: dict[str, Any]
) -> None:
    wanted = [desired(release="publish")]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"routes": {"create": {"429": 1.0}}, "first_attempts": 1,
                                 "retry_after": 0})  # fmt: skip
    hooks.queue.append(competitor(api, **fields))
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.FAILED, True)
    assert "created by someone else" in outcome.note and "nothing was sent" in outcome.note
    assert counters(api) == {"create": 2, "update": 0, "get": 1}
    assert live(client)["status"] == "Draft"  # no publish sent to their connector


def test_a_create_answered_500_is_ours_only_when_equal(
    client: ConnectClient, api: Any, hooks: Hooks
) -> None:
    wanted = [desired()]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"routes": {"create": {"500": 1.0}}, "first_attempts": 1})
    hooks.queue.append(competitor(api))  # as if the 500 had completed
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.CREATED, False)


def test_a_create_answered_500_with_a_different_live_one_fails(
    client: ConnectClient, api: Any, hooks: Hooks
) -> None:
    wanted = [desired()]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"routes": {"create": {"500": 1.0}}, "first_attempts": 1})
    hooks.queue.append(competitor(api, name="Theirs"))
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.FAILED, True)
    assert live(client)["name"] == "Theirs"
    assert counters(api)["update"] == 0


def test_a_lost_create_then_503s_is_read_back_as_created(
    client: ConnectClient, api: Any, hooks: Hooks
) -> None:
    wanted = [desired()]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"drop_after_write": 1.0, "first_attempts": 1})
    unavailable = {"routes": {"create": {"503": 1.0}}}
    hooks.queue.append(lambda: api.admin("POST", "faults", unavailable))
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.CREATED, False)
    assert counters(api)["create"] == 5
    assert len(hooks.delays) == 4


def test_a_lost_create_that_cannot_be_read_back_says_it_may_exist(
    client: ConnectClient, api: Any, hooks: Hooks
) -> None:
    wanted = [desired()]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"drop_after_write": 1.0, "first_attempts": 1})
    unavailable = {"rates": {"503": 1.0}}
    hooks.queue.append(lambda: api.admin("POST", "faults", unavailable))
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.FAILED, True)
    assert "may exist" in outcome.note


# -- 7. a saved plan names connectors by key: the id must still be that key's --------------------


def test_a_plan_entry_whose_id_has_another_key_is_refused(client: ConnectClient, api: Any) -> None:
    api.admin("POST", "seed", BASE)
    other = api.admin("POST", "seed", {**BASE, "key": "tax-sync", "name": "Tax"})
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    entry = plan.connectors[0]
    tampered = Plan(plan.target, plan.created_at, (_with_id(entry, other["id"]),), None)
    outcome = run(client, wanted, tampered, reviewed=True)
    assert (outcome.result, outcome.failed) == (Result.STALE, True)
    assert "has key 'tax-sync', not 'payment-gateway'" in outcome.note
    assert counters(api)["update"] == 0
    assert client.get_by_key("tax-sync") == other


def _with_id(entry: Any, id: str) -> Any:
    from dataclasses import replace

    return replace(entry, id=id, version=1)


# -- deleted connectors ----------------------------------------------------------------------


def delete(api: Any, client: ConnectClient, id: str) -> None:
    import httpx

    token = client._current_token().value  # the same client's credentials
    httpx.delete(f"{api.url}/connectors/drafts/{id}?version={live(client)['version']}",
                 headers={"Authorization": f"Bearer {token}"}).raise_for_status()  # fmt: skip


def test_a_connector_deleted_since_the_plan(client: ConnectClient, api: Any) -> None:
    doc = api.admin("POST", "seed", BASE)
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    delete(api, client, doc["id"])
    reviewed = run(client, wanted, plan, reviewed=True)
    assert (reviewed.result, reviewed.note) == (
        Result.STALE,
        "stale plan: the connector no longer exists",
    )
    rediffed = run(client, wanted, plan, reviewed=False)
    assert (rediffed.result, rediffed.failed) == (Result.FAILED, True)
    assert "404" not in rediffed.note and "ResourceNotFound" in rediffed.note


def test_a_connector_deleted_during_apply(client: ConnectClient, api: Any, hooks: Hooks) -> None:
    doc = api.admin("POST", "seed", BASE)
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    api.admin("POST", "edit", {"key": KEY, "actions": []})  # a foreign write: our send gets 409
    hooks.queue.append(lambda: delete(api, client, doc["id"]))
    outcome = run(client, wanted, plan, reviewed=False)
    assert outcome.result is Result.FAILED
    assert outcome.note.startswith("the connector was deleted during apply")


# -- 8. the 409 re-read backoff has a deadline ---------------------------------------------------


def test_conflict_rereads_stop_at_the_retry_budget(api: Any) -> None:
    now = [1000.0]
    delays: list[float] = []

    def sleep(seconds: float) -> None:
        delays.append(seconds)
        now[0] += 25.0  # every wait takes 25 s of the fake clock

    target = resolve_target(TargetOptions(), api.env())
    with ConnectClient(target, sleep=sleep, clock=lambda: now[0]) as client:
        api.admin("POST", "seed", BASE)
        wanted = [desired(name="Payments")]
        plan = plan_for(client, wanted)
        api.admin("POST", "faults", {"bump_version": 1.0})
        result = execute_plan(client, plan, desired_index(wanted), ApplySettings())
    (outcome,) = result.outcomes
    assert (outcome.result, outcome.failed) == (Result.FAILED, True)
    assert "gave up: the retry budget is spent" in outcome.note
    # deadline = 1000 + 60: waits start at 1000, 1025 and 1050; at 1075 the budget is spent
    assert len(delays) == 3
    ceilings = [0.5, 1.0, 2.0]  # base 0.5 × 2^(n-1), full jitter
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))


# -- 9. a publish that fails at once is an error -------------------------------------------------


def test_a_publish_that_failed_by_the_convergence_read_is_an_error(
    client: ConnectClient, api: Any
) -> None:
    api.admin("POST", "settings", {"publish_delay": 0, "publish_outcome": "failed"})
    api.admin("POST", "seed", BASE)
    wanted = [desired(release="publish", name="Payments")]
    outcome = run(client, wanted, plan_for(client, wanted), reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.UPDATED, True)
    assert "publish failed" in outcome.note


def test_a_failed_publish_from_before_is_not_this_runs(client: ConnectClient, api: Any) -> None:
    api.admin("POST", "seed", {**BASE, "status": "Failed"})
    wanted = [desired(release="draft", name="Payments")]
    outcome = run(client, wanted, plan_for(client, wanted), reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.UPDATED, False)


# -- 10. a pending review never passes for a newer state ----------------------------------------


def seed_pending(api: Any) -> None:
    api.admin("POST", "seed", {**BASE, "isPreviewable": "pending"})


def test_a_pending_review_holds_every_change_back(client: ConnectClient, api: Any) -> None:
    seed_pending(api)
    wanted = [desired(release="preview", name="Payments")]
    plan = plan_for(client, wanted)
    (entry,) = plan.connectors
    assert entry.change is Change.WAITING and plan.has_changes and not plan.has_errors
    for reviewed in (False, True):
        outcome = run(client, wanted, plan, reviewed=reviewed)
        assert (outcome.result, outcome.failed) == (Result.WAITING, True)
    assert counters(api)["update"] == 0


def test_apply_wait_sends_once_the_review_has_ended(client: ConnectClient, api: Any) -> None:
    seed_pending(api)
    wanted = [desired(release="preview", name="Payments")]
    plan = plan_for(client, wanted)
    advance = lambda seconds: api.admin("POST", "clock", {"advance": seconds})  # noqa: E731
    by_key = desired_index(wanted)
    settings = ApplySettings(sleep=advance, wait=60.0, interval=2.0)
    result = execute_plan(client, plan, by_key, settings)
    (outcome,) = verify_convergence(client, plan, result, by_key).outcomes
    assert (outcome.result, outcome.failed, outcome.lifecycle) == (
        Result.UPDATED,
        False,
        "updatePreviewable",
    )
    remote = live(client)
    assert (remote["name"], remote["isPreviewable"]) == ("Payments", "pending")


def test_a_pending_review_with_nothing_to_send_is_unchanged(
    client: ConnectClient, api: Any
) -> None:
    seed_pending(api)
    plan = plan_for(client, [desired(release="preview")])
    assert [(c.change, c.actions) for c in plan.connectors] == [(Change.UNCHANGED, ())]


def test_the_review_of_the_old_state_never_passes_for_the_new_one(
    client: ConnectClient, api: Any
) -> None:
    seed_pending(api)
    wanted = [desired(release="preview", name="Payments")]
    result = _apply_twice(client, api, wanted)
    assert result.outcomes[0].result is Result.WAITING
    api.admin("POST", "clock", {"advance": 10})  # the old review ends
    plan = plan_for(client, wanted)
    actions = [a["action"] for a in plan.connectors[0].actions]
    assert actions == ["setName", "updatePreviewable"]


def _apply_twice(client: ConnectClient, api: Any, wanted: Sequence[Desired]) -> ApplyResult:
    plan = plan_for(client, wanted)
    return execute_plan(client, plan, desired_index(wanted), ApplySettings())


# -- Ctrl-C at the executor: nothing new starts --------------------------------------------------


def test_nothing_starts_once_stopped(client: ConnectClient, api: Any) -> None:
    api.admin("POST", "seed", BASE)
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    result = execute_plan(client, plan, desired_index(wanted), ApplySettings(stopped=lambda: True))
    assert [(o.result, o.failed) for o in result.outcomes] == [(Result.INTERRUPTED, True)]
    assert counters(api)["update"] == 0


# -- --wait: elapsed time is measured from its start ---------------------------------------------


def test_wait_gives_up_after_its_timeout_on_a_clock_far_from_zero(
    client: ConnectClient, api: Any
) -> None:
    from connectorctl.apply.converge import WaitSettings, wait_for_lifecycle

    api.admin("POST", "settings", {"publish_delay": 600})
    api.admin("POST", "seed", BASE)
    wanted = [desired(release="publish", name="Payments")]
    result = execute_plan(client, plan_for(client, wanted), desired_index(wanted), ApplySettings())
    now = [5000.0]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    settings = WaitSettings(timeout=7.0, interval=2.0, sleep=sleep, clock=lambda: now[0])
    lines: list[str] = []
    (outcome,) = wait_for_lifecycle(client, result, lines.append, settings).outcomes
    assert sleeps == [2.0, 2.0, 2.0, 1.0]
    assert outcome.failed and outcome.note.endswith("publish did not settle within 7s")
    assert lines == []  # log_every is 10 s: no progress line within 7 s


# -- re-diffs and DuplicateField at the edges ----------------------------------------------------


def test_a_rediff_after_409_that_finds_the_connector_blocked(
    client: ConnectClient, api: Any, hooks: Hooks
) -> None:
    api.admin("POST", "seed", BASE)
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"bump_version": 1.0, "first_attempts": 1})
    publish = {"action": "publish", "certification": False}
    hooks.queue.append(lambda: api.admin("POST", "edit", {"key": KEY, "actions": [publish]}))
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed) == (Result.BLOCKED, True)
    assert "a publish is in progress" in outcome.note
    assert live(client)["name"] == "Payment Gateway"


def test_duplicate_field_with_no_connector_under_that_key() -> None:
    from connectorctl.api.target import ResolvedTarget
    from scripted_http import TOKEN, answer, scripted_server

    duplicate = answer(400, {"errors": [{"code": "DuplicateField", "message": "dup"}]})
    script = {
        "/oauth": [TOKEN],
        "/connectors/drafts/key=": [answer(404, {"message": "not found"})],
        "/connectors/drafts": [answer(500, {"message": "boom"}), duplicate],
    }
    wanted = [desired()]
    with scripted_server(script) as server:
        target = ResolvedTarget(server.url, server.url + "/oauth/token", "acme", "i", "s")
        with ConnectClient(target, sleep=lambda s: None) as client:
            plan = make_plan(wanted, {}, target=Target(server.url, "acme"),
                             created_at="2026-01-01T00:00:00Z", unmanaged=None)  # fmt: skip
            result = execute_plan(client, plan, desired_index(wanted), ApplySettings())
    (outcome,) = result.outcomes
    assert (outcome.result, outcome.note) == (
        Result.FAILED,
        "create answered DuplicateField but no connector has this key",
    )
    assert [(m, p) for m, p, _, _ in server.requests[1:]] == [
        ("POST", "/connectors/drafts"),
        ("POST", "/connectors/drafts"),
        ("GET", "/connectors/drafts/key=payment-gateway"),
    ]


def scripted_run(script: dict[str, Any], wanted: Sequence[Desired], remote: Any) -> Any:
    """Plan against `remote` and execute against a scripted loopback server (no convergence)."""
    from connectorctl.api.target import ResolvedTarget
    from scripted_http import scripted_server

    with scripted_server(script) as server:
        target = ResolvedTarget(server.url, server.url + "/oauth/token", "acme", "i", "s")
        with ConnectClient(target, sleep=lambda s: None) as client:
            plan = make_plan(wanted, remote, target=Target(server.url, "acme"),
                             created_at="2026-01-01T00:00:00Z", unmanaged=None)  # fmt: skip
            (outcome,) = execute_plan(client, plan, desired_index(wanted)).outcomes
    return outcome


def test_a_publish_answered_failed_is_an_error_of_this_run() -> None:
    from scripted_http import TOKEN, answer

    remote = {**BASE, "id": "c1", "version": 1, "status": "Published", "hasChanges": False}
    report = {"entries": [{"type": "Error", "title": "Build failed"}]}
    script = {"/oauth": [TOKEN], "/connectors/drafts/c1": [
        answer(200, {**remote, "name": "Payments", "version": 2, "hasChanges": True}),
        answer(200, {**remote, "name": "Payments", "version": 3, "status": "Failed",
                     "publishingReport": report}),
    ]}  # fmt: skip
    outcome = scripted_run(script, [desired(release="publish", name="Payments")], {KEY: remote})
    assert (outcome.result, outcome.failed, outcome.note) == (
        Result.UPDATED, True, "publish failed: Build failed",
    )  # fmt: skip


def test_a_refused_request_after_a_create_says_earlier_requests_were_applied() -> None:
    from scripted_http import TOKEN, answer

    created = {**BASE, "id": "c1", "version": 1, "status": "Draft", "isPreviewable": "none"}
    error = {"code": "InvalidInput", "message": "bad"}
    refused = answer(400, {"statusCode": 400, "message": "bad", "errors": [error]})
    script = {"/oauth": [TOKEN], "/connectors/drafts/c1": [refused],
              "/connectors/drafts": [answer(201, created)]}  # fmt: skip
    outcome = scripted_run(script, [desired(certificationComments=["Ready"])], {})
    assert (outcome.result, outcome.note, outcome.requests) == (
        Result.FAILED, "InvalidInput: bad; earlier requests were applied", 2,
    )  # fmt: skip


def test_an_answered_409_is_foreign_even_when_it_looks_like_ours(
    client: ConnectClient, api: Any
) -> None:
    api.admin("POST", "seed", BASE)
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    # someone else makes exactly our change first: version 2 with our field in place
    api.admin("POST", "edit", {"key": KEY, "actions": [{"action": "setName", "name": "Payments"}]})
    outcome = run(client, wanted, plan, reviewed=False)
    assert (outcome.result, outcome.failed, outcome.retries) == (Result.UPDATED, False, 1)
    assert outcome.note == "1 conflict(s) resolved"
    assert counters(api)["update"] == 1  # the 409; the re-diff found nothing left to send


def test_retries_that_run_out_with_nothing_landed_fail_without_resending(
    client: ConnectClient, api: Any
) -> None:
    api.admin("POST", "seed", BASE)
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"routes": {"update": {"502": 1.0}}})
    result = execute_plan(client, plan, desired_index(wanted), ApplySettings())
    (outcome,) = result.outcomes
    assert (outcome.result, outcome.failed) == (Result.FAILED, True)
    assert outcome.note == "BadGateway: Bad gateway."
    assert counters(api) == {"create": 0, "update": 5, "get": 2}  # plan read + one re-read
