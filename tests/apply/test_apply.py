"""The applier against the emulator over a real loopback socket, across its [UNKNOWN] settings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from connectorctl.api.client import ConnectClient
from connectorctl.api.remote import read_all
from connectorctl.api.target import resolve_target
from connectorctl.apply.converge import WaitSettings, verify_convergence, wait_for_lifecycle
from connectorctl.apply.executor import CHUNK_SIZE, ApplySettings, desired_index, execute_plan
from connectorctl.config import TargetOptions
from connectorctl.kinds.connector_staged.diff import plan_connector
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
# The behaviours the spec leaves open; every test runs against each combination's values.
FLAVOURS = [
    {"transitions_bump_version": True, "update_status": 201, "omitted_description": "empty"},
    {"transitions_bump_version": False, "update_status": 200, "omitted_description": "absent"},
]


def no_sleep(seconds: float) -> None:
    """Retries in these tests never really wait."""


def desired(key: str = KEY, **changes: Any) -> Desired:
    spec = {**BASE, "key": key, **changes}
    return Desired(key=key, spec=spec, location=Location(f"connectors/{key}.yaml"))


@pytest.fixture(params=FLAVOURS, ids=["bump-201-empty", "nobump-200-absent"])
def api(emulator: Any, request: pytest.FixtureRequest) -> Any:
    emulator.admin("POST", "settings", {**request.param, "preview_delay": 5, "publish_delay": 5})
    return emulator


def make_client(emulator: Any, client: str = "emulator-client") -> ConnectClient:
    return ConnectClient(resolve_target(TargetOptions(), emulator.env(client)), sleep=no_sleep)


@pytest.fixture
def client(api: Any) -> Iterator[ConnectClient]:
    with make_client(api) as connect:
        yield connect


def plan_for(
    client: ConnectClient, wanted: Sequence[Desired], *, retry_failed: bool = False
) -> Plan:
    remote = {d.key: r for d in wanted if (r := client.get_by_key(d.key)) is not None}
    return make_plan(
        wanted,
        remote,
        target=Target(client.target.connect_url, client.target.project_key),
        created_at="2026-01-01T00:00:00Z",
        unmanaged=None,
        retry_failed=retry_failed,
    )


def apply_all(
    client: ConnectClient, wanted: Sequence[Desired], plan: Plan | None = None, **options: Any
) -> ApplyResult:
    plan = plan or plan_for(client, wanted)
    by_key = desired_index(wanted)
    result = execute_plan(client, plan, by_key, ApplySettings(sleep=no_sleep, **options))
    return verify_convergence(client, plan, result, by_key)


def only(result: ApplyResult) -> ConnectorOutcome:
    (outcome,) = result.outcomes
    return outcome


def writes(emulator: Any) -> dict[str, int]:
    counters = emulator.admin("GET", "counters")
    return {route: counters.get(route, 0) for route in ("create", "update")}


def assert_converged(client: ConnectClient, wanted: Sequence[Desired]) -> None:
    plan = plan_for(client, wanted)
    assert [c.change for c in plan.connectors] == [Change.UNCHANGED] * len(wanted)


def seed(emulator: Any, **fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = emulator.admin("POST", "seed", {**BASE, **fields})
    return doc


# -- create, update, no-op ---------------------------------------------------------------------


def test_create_sends_the_draft_then_the_comments(client: ConnectClient, api: Any) -> None:
    wanted = [desired(description="Cards", certificationComments=["Ready", "See docs"])]
    outcome = only(apply_all(client, wanted))
    assert (outcome.result, outcome.failed) == (Result.CREATED, False)
    assert outcome.requests == 2 and outcome.retries == 0
    remote = client.get_by_key(KEY)
    assert remote is not None and remote["description"] == "Cards"
    assert [c["comment"] for c in remote["certificationInfo"]["comments"]] == ["Ready", "See docs"]
    assert writes(api) == {"create": 1, "update": 1}
    assert_converged(client, wanted)


def test_update_sends_every_field_action_in_one_request(client: ConnectClient, api: Any) -> None:
    seed(api)
    repository = {"url": "git@github.com:acme/payment.git", "tag": "v1.1.0"}
    wanted = [desired(name="Payments", repository=repository, integrationTypes=["psp"])]
    outcome = only(apply_all(client, wanted))
    assert (outcome.result, outcome.failed, outcome.requests) == (Result.UPDATED, False, 1)
    assert writes(api) == {"create": 0, "update": 1}
    remote = client.get_by_key(KEY)
    assert remote is not None and remote["version"] == outcome.version
    assert (remote["name"], remote["repository"]["tag"]) == ("Payments", "v1.1.0")
    assert_converged(client, wanted)


def test_nothing_to_do_sends_nothing(client: ConnectClient, api: Any) -> None:
    seed(api)
    outcome = only(apply_all(client, [desired()]))
    assert (outcome.result, outcome.requests, outcome.failed) == (Result.UNCHANGED, 0, False)
    assert writes(api) == {"create": 0, "update": 0}


def test_many_connectors_in_parallel(client: ConnectClient, api: Any) -> None:
    wanted = [desired(f"connector-{n:02d}") for n in range(8)]
    result = apply_all(client, wanted, parallelism=4)
    assert [o.key for o in result.outcomes] == sorted(d.key for d in wanted)
    assert {o.result for o in result.outcomes} == {Result.CREATED}
    assert writes(api) == {"create": 8, "update": 0}


def test_field_actions_are_chunked_at_500(client: ConnectClient, api: Any) -> None:
    seed(api)
    projects = [f"europe-west1.gcp:project-{n:04d}" for n in range(CHUNK_SIZE + 3)]
    outcome = only(apply_all(client, [desired(privateProjects=projects)]))
    assert (outcome.result, outcome.requests) == (Result.UPDATED, 2)
    remote = client.get_by_key(KEY)
    assert remote is not None and sorted(remote["privateProjects"]) == projects


def test_unlist_and_comments_are_sent_once(client: ConnectClient, api: Any) -> None:
    seed(
        api,
        status="Published",
        alreadyListed=True,
        certificationInfo={"comments": [{"userId": "u", "datetime": "2026-01-01T00:00:00.000Z",
                                         "comment": "Old"}]},
    )  # fmt: skip
    wanted = [desired(listed=False, certificationComments=["Old", "New"])]
    outcome = only(apply_all(client, wanted))
    assert (outcome.result, outcome.failed) == (Result.UPDATED, False)
    remote = client.get_by_key(KEY)
    assert remote is not None and remote["alreadyListed"] is False
    assert [c["comment"] for c in remote["certificationInfo"]["comments"]] == ["Old", "New"]
    assert_converged(client, wanted)


# -- lifecycle and --wait ----------------------------------------------------------------------


class EmulatorTime:
    """A clock for --wait whose sleep moves the emulator's clock instead of waiting."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        self.emulator.admin("POST", "clock", {"advance": seconds})

    def settings(self, timeout: float = 60.0) -> WaitSettings:
        return WaitSettings(timeout=timeout, interval=2.0, sleep=self.sleep, clock=self.clock)


def wait(
    client: ConnectClient,
    api: Any,
    result: ApplyResult,
    lines: list[str] | None = None,
    **options: Any,
) -> ApplyResult:
    progress = [] if lines is None else lines
    return wait_for_lifecycle(
        client, result, progress.append, EmulatorTime(api).settings(**options)
    )


def test_publish_waits_until_published(client: ConnectClient, api: Any) -> None:
    result = apply_all(client, [desired(release="publish")])
    assert only(result).lifecycle == "publish"
    assert writes(api) == {"create": 1, "update": 1}
    outcome = only(wait(client, api, result))
    assert (outcome.settled, outcome.failed) == ("Published", False)
    assert "publish: Published" in outcome.note
    assert_converged(client, [desired(release="publish")])


def test_failed_publish_is_an_error_with_its_report(client: ConnectClient, api: Any) -> None:
    api.admin("POST", "script", {"key": KEY, "publish": "failed"})
    result = apply_all(client, [desired(release="publish")])
    outcome = only(wait(client, api, result))
    assert (outcome.settled, outcome.failed) == ("Failed", True)
    assert outcome.reports and any(e.type == "Error" for e in outcome.reports)


def test_preview_waits_and_a_rejection_is_an_error(client: ConnectClient, api: Any) -> None:
    seed(api)
    api.admin("POST", "script", {"key": KEY, "preview": "false"})
    result = apply_all(client, [desired(release="preview", name="Payments")])
    assert only(result).requests == 2  # the field change, then updatePreviewable alone
    outcome = only(wait(client, api, result))
    assert (outcome.settled, outcome.failed) == ("isPreviewable=false", True)


def test_wait_gives_up_at_the_timeout(client: ConnectClient, api: Any) -> None:
    api.admin("POST", "settings", {"publish_delay": 1000})
    result = apply_all(client, [desired(release="publish")])
    lines: list[str] = []
    outcome = only(wait(client, api, result, lines, timeout=24))
    assert outcome.failed and "did not settle within 24s" in outcome.note
    # Not a terminal: a progress line about every 10 s of waiting, not one per poll.
    assert len(lines) == 2 and all(f"{KEY} (publish)" in line for line in lines)


def test_lifecycle_refusal_keeps_the_field_changes(client: ConnectClient, api: Any) -> None:
    connector = {**BASE, "status": "Failed", "hasChanges": False}
    api.admin("POST", "seed", {"connector": connector, "certified": True})
    wanted = [desired(release="certify", certificationComments=["Please certify"])]
    plan = plan_for(client, wanted, retry_failed=True)
    assert [a["action"] for a in plan.connectors[0].actions] == [
        "addCertificationComment",
        "publish",
    ]
    outcome = only(apply_all(client, wanted, plan, retry_failed=True))
    assert (outcome.result, outcome.failed, outcome.lifecycle) == (Result.FAILED, True, "publish")
    assert (
        "ConnectorAlreadyCertified" in outcome.note and "field changes were applied" in outcome.note
    )
    remote = client.get_by_key(KEY)
    assert remote is not None
    assert [c["comment"] for c in remote["certificationInfo"]["comments"]] == ["Please certify"]


# -- conflicts, faults, lost responses ---------------------------------------------------------


def test_a_concurrent_writer_causes_409_and_apply_converges(
    client: ConnectClient, api: Any
) -> None:
    seed(api)
    wanted = [desired(name="Payments", certificationComments=["Ready"])]
    plan = plan_for(client, wanted)
    edit = {"action": "setDocumentationUrl", "documentationUrl": "https://acme.example/docs"}
    api.admin("POST", "edit", {"key": KEY, "actions": [edit]})
    outcome = only(apply_all(client, wanted, plan))
    assert (outcome.result, outcome.failed) == (Result.UPDATED, False)
    assert outcome.retries == 1
    remote = client.get_by_key(KEY)
    assert remote is not None and remote["documentationUrl"] == "https://acme.example/docs"
    assert [c["comment"] for c in remote["certificationInfo"]["comments"]] == ["Ready"]
    assert_converged(client, wanted)


def test_version_bumps_behind_our_back_are_retried(client: ConnectClient, api: Any) -> None:
    seed(api)
    api.admin("POST", "faults", {"bump_version": 1.0, "first_attempts": 2})
    wanted = [desired(name="Payments")]
    outcome = only(apply_all(client, wanted))
    assert (outcome.result, outcome.failed, outcome.retries) == (Result.UPDATED, False, 2)
    assert_converged(client, wanted)


def test_conflicts_are_bounded_at_five_rereads(client: ConnectClient, api: Any) -> None:
    seed(api)
    plan = plan_for(client, [desired(name="Payments")])
    api.admin("POST", "faults", {"bump_version": 1.0})
    before = api.admin("GET", "counters")
    outcome = only(apply_all(client, [desired(name="Payments")], plan))
    counters = api.admin("GET", "counters")
    assert (outcome.result, outcome.failed) == (Result.FAILED, True)
    assert "ConcurrentModification" in outcome.note and "gave up after 5 re-reads" in outcome.note
    assert counters["update"] - before.get("update", 0) == 6  # the first send and 5 re-sends
    assert counters["get"] - before.get("get", 0) == 5 + 1  # 5 re-reads, 1 convergence read


def test_429_and_503_are_retried(client: ConnectClient, api: Any) -> None:
    seed(api)
    faults = {"rates": {"429": 0.5, "503": 0.5}, "first_attempts": 2, "retry_after": 0}
    api.admin("POST", "faults", faults)
    wanted = [desired(name="Payments")]
    outcome = only(apply_all(client, wanted))
    assert (outcome.result, outcome.failed) == (Result.UPDATED, False)
    assert outcome.retries >= 2
    assert_converged(client, wanted)


def test_a_lost_create_response_does_not_duplicate(client: ConnectClient, api: Any) -> None:
    api.admin("POST", "faults", {"routes": {}, "drop_after_write": 1.0, "first_attempts": 1})
    wanted = [desired(description="Cards")]
    outcome = only(apply_all(client, wanted))
    assert (outcome.result, outcome.failed) == (Result.CREATED, False)
    assert [c["key"] for c in read_all(client)[0]] == [KEY]
    assert_converged(client, wanted)


def test_a_lost_update_response_is_not_applied_twice(client: ConnectClient, api: Any) -> None:
    seed(api)
    api.admin("POST", "faults", {"drop_after_write": 1.0, "first_attempts": 1})
    wanted = [desired(certificationComments=["Ready"])]
    outcome = only(apply_all(client, wanted))
    assert (outcome.result, outcome.failed) == (Result.UPDATED, False)
    remote = client.get_by_key(KEY)
    assert remote is not None
    assert [c["comment"] for c in remote["certificationInfo"]["comments"]] == ["Ready"]


# -- a reviewed plan file: no re-diff ----------------------------------------------------------


def apply_reviewed(client: ConnectClient, plan: Plan) -> ApplyResult:
    result = execute_plan(client, plan, None, ApplySettings(sleep=no_sleep))
    return verify_convergence(client, plan, result, None)


def test_reviewed_plan_is_applied_exactly(client: ConnectClient, api: Any) -> None:
    seed(api)
    wanted = [desired(name="Payments"), desired("tax-sync")]
    result = apply_reviewed(client, plan_for(client, wanted))
    assert [(o.key, o.result, o.failed) for o in result.outcomes] == [
        (KEY, Result.UPDATED, False),
        ("tax-sync", Result.CREATED, False),
    ]
    assert_converged(client, wanted)


def test_stale_plan_is_refused_and_nothing_written(client: ConnectClient, api: Any) -> None:
    seed(api)
    wanted = [desired(name="Payments"), desired("tax-sync")]
    plan = plan_for(client, wanted)
    api.admin("POST", "edit", {"key": KEY, "actions": [{"action": "setName", "name": "Other"}]})
    seed(api, key="tax-sync")
    before = writes(api)
    result = apply_reviewed(client, plan)
    assert [(o.result, o.failed) for o in result.outcomes] == [
        (Result.STALE, True),
        (Result.STALE, True),
    ]
    assert "version" in result.outcomes[0].note and "now exists" in result.outcomes[1].note
    assert writes(api) == before
    remote = client.get_by_key(KEY)
    assert remote is not None and remote["name"] == "Other"


def test_stale_connector_does_not_stop_the_others(client: ConnectClient, api: Any) -> None:
    seed(api)
    wanted = [desired(name="Payments"), desired("tax-sync")]
    plan = plan_for(client, wanted)
    api.admin("POST", "edit", {"key": KEY, "actions": [{"action": "setName", "name": "Other"}]})
    result = apply_reviewed(client, plan)
    assert [o.result for o in result.outcomes] == [Result.STALE, Result.CREATED]
    assert result.has_errors


def test_reviewed_plan_survives_a_lost_update_response(client: ConnectClient, api: Any) -> None:
    seed(api)
    wanted = [desired(name="Payments", certificationComments=["Ready"])]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"drop_after_write": 1.0, "first_attempts": 1})
    outcome = only(apply_reviewed(client, plan))
    assert (outcome.result, outcome.failed) == (Result.UPDATED, False)
    remote = client.get_by_key(KEY)
    assert remote is not None
    assert [c["comment"] for c in remote["certificationInfo"]["comments"]] == ["Ready"]


def test_reviewed_plan_survives_a_lost_create_response(client: ConnectClient, api: Any) -> None:
    plan = plan_for(client, [desired(description="Cards")])
    api.admin("POST", "faults", {"drop_after_write": 1.0, "first_attempts": 1})
    outcome = only(apply_reviewed(client, plan))
    assert (outcome.result, outcome.failed) == (Result.CREATED, False)
    assert [c["key"] for c in read_all(client)[0]] == [KEY]


# -- blocked, convergence ----------------------------------------------------------------------


def test_blocked_connector_is_reported_and_not_sent(client: ConnectClient, api: Any) -> None:
    seed(api, private=False)
    outcome = only(apply_all(client, [desired(privateProjects=["europe-west1.gcp:acme-prod"])]))
    assert (outcome.result, outcome.failed, outcome.requests) == (Result.BLOCKED, True, 0)
    assert writes(api) == {"create": 0, "update": 0}


def test_a_change_made_after_apply_is_did_not_converge(client: ConnectClient, api: Any) -> None:
    seed(api)
    wanted = [desired(name="Payments")]
    plan = plan_for(client, wanted)
    result = execute_plan(client, plan, desired_index(wanted), ApplySettings(sleep=no_sleep))
    api.admin("POST", "edit", {"key": KEY, "actions": [{"action": "setName", "name": "Other"}]})
    outcome = only(verify_convergence(client, plan, result, desired_index(wanted)))
    assert outcome.failed and "did not converge: setName" in outcome.note


def test_plan_connector_is_what_apply_rediffs_with(client: ConnectClient, api: Any) -> None:
    remote = seed(api)
    change = plan_connector(desired(name="Payments"), remote)
    assert change.change is Change.UPDATE and change.version == remote["version"]


@pytest.mark.parametrize("reviewed", [False, True], ids=["manifests", "plan-file"])
def test_a_lost_publish_response_is_not_sent_twice(
    client: ConnectClient, api: Any, reviewed: bool
) -> None:
    seed(api)
    wanted = [desired(release="publish")]
    plan = plan_for(client, wanted)
    api.admin("POST", "faults", {"drop_after_write": 1.0, "first_attempts": 1})
    by_key = None if reviewed else desired_index(wanted)
    outcome = only(execute_plan(client, plan, by_key, ApplySettings(sleep=no_sleep)))
    assert (outcome.result, outcome.failed, outcome.lifecycle) == (Result.UPDATED, False, "publish")
    assert writes(api)["update"] == 2  # the lost publish and its retry, answered 409
    remote = client.get_by_key(KEY)
    assert remote is not None and remote["status"] == "Processing"


def test_outcome_reporters_show_every_connector() -> None:
    from connectorctl.report.results import REPORTERS, render_outcomes
    from connectorctl.results import ReportEntry

    plan = Plan(Target("https://connect.example", "acme"), "2026-01-01T00:00:00Z", (), ())
    result = ApplyResult(
        (
            ConnectorOutcome("a-one", Result.CREATED, requests=2),
            ConnectorOutcome(
                "b-two",
                Result.UPDATED,
                requests=3,
                retries=1,
                note="publish: Failed | see report",
                error=True,
                settled="Failed",
                reports=(ReportEntry("Error", "Spec file not found"),),
            ),
        )
    )
    assert set(REPORTERS) == {"text", "json", "markdown", "github"}
    text = render_outcomes(plan, result, "text")
    assert text == (
        "KIND             KEY    RESULT   REQUESTS  RETRIES  NOTE\n"
        "ConnectorStaged  a-one  created  2         0\n"
        "ConnectorStaged  b-two  updated  3         1        publish: Failed | see report\n"
        "  report: Error: Spec file not found\n"
        "Apply failed: 1 created, 1 updated.\n"
    )
    markdown = render_outcomes(plan, result, "markdown")
    row = "| ConnectorStaged | <code>b-two</code> | updated | 3 | 1 |"
    assert f"{row} publish: Failed &#124; see report |" in markdown
    assert markdown.endswith("**Apply failed: 1 created, 1 updated.**\n")
    assert "::error title=connectorctl%3A b-two::updated: publish: Failed" in render_outcomes(
        plan, result, "github"
    )


def test_a_key_created_by_someone_else_after_the_plan_is_not_adopted(
    client: ConnectClient, api: Any
) -> None:
    wanted = [desired(name="Ours")]
    plan = plan_for(client, wanted)
    assert plan.connectors[0].change is Change.CREATE
    theirs = seed(api, name="Theirs")
    outcome = only(apply_all(client, wanted, plan))
    assert (outcome.result, outcome.failed) == (Result.FAILED, True)
    assert "created by someone else" in outcome.note
    remote = client.get_by_key(KEY)
    assert remote is not None
    assert (remote["name"], remote["version"]) == ("Theirs", theirs["version"])
