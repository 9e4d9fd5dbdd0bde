"""The plan file: stable JSON, its schema, and reading it back for `apply --plan`."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectorctl import __version__
from connectorctl.errors import PlanFileError, UsageError
from connectorctl.model import (
    ACTION_PARAMS,
    Change,
    ConnectorChange,
    DiffEntry,
    Level,
    Message,
    Plan,
)
from connectorctl.planfile import (
    created_at,
    plan_from_dict,
    plan_to_dict,
    plan_to_json,
    read_plan_file,
)
from connectorctl.resources import load_schema
from sample_plans import CREATED, TARGET, sample_plan

REPO = Path(__file__).resolve().parents[1]


def validate(data: Any) -> None:
    jsonschema.Draft202012Validator(load_schema("plan.schema.json")).validate(data)


# --- writing -----------------------------------------------------------------------------------


def test_plan_json_has_the_documented_shape() -> None:
    data = json.loads(plan_to_json(sample_plan()))
    assert list(data) == [
        "format_version", "kind", "connectorctl_version", "target", "created_at", "summary",
        "connectors", "unmanaged",
    ]  # fmt: skip
    assert data["format_version"] == "1"
    assert data["kind"] == "Plan"
    assert list(data["target"]) == ["name", "connect_url", "project_key"]
    assert data["connectorctl_version"] == __version__
    assert data["summary"] == {"create": 1, "update": 1, "delete": 0, "replace": 0,
                               "unchanged": 2, "blocked": 1, "unmanaged": 2}  # fmt: skip
    assert [c["key"] for c in data["connectors"]] == sorted(c["key"] for c in data["connectors"])
    create = data["connectors"][-1]
    assert list(create) == [
        "key", "source", "change", "id", "version", "draft", "actions", "diff", "messages",
    ]  # fmt: skip
    assert create["id"] is None and create["version"] is None
    assert all("draft" not in c for c in data["connectors"][:-1])
    assert data["unmanaged"] == ["legacy-erp", "sandbox-test"]


def test_plan_json_validates_against_the_schema() -> None:
    validate(json.loads(plan_to_json(sample_plan())))
    validate(plan_to_dict(sample_plan(unmanaged=None)))


def test_unmanaged_is_null_when_read_by_key() -> None:
    data = plan_to_dict(sample_plan(unmanaged=None))
    assert data["unmanaged"] is None
    assert data["summary"]["unmanaged"] is None


def test_equal_plans_give_identical_bytes_whatever_the_key_order() -> None:
    plan = sample_plan()
    shuffled_connectors = []
    for change in plan.connectors:
        actions = tuple(dict(reversed(list(a.items()))) for a in change.actions)
        draft = None if change.draft is None else dict(reversed(list(change.draft.items())))
        shuffled_connectors.append(
            ConnectorChange(change.key, change.change, change.id, change.version, draft,
                            actions, change.diff, change.messages, change.source)
        )  # fmt: skip
    shuffled = Plan(plan.target, plan.created_at, tuple(shuffled_connectors), plan.unmanaged)
    assert shuffled == plan
    assert plan_to_json(shuffled).encode() == plan_to_json(plan).encode()
    create = json.loads(plan_to_json(shuffled))["connectors"][-1]
    assert list(create["draft"]) == [
        "key", "name", "integrationTypes", "creator", "repository", "supportedRegions",
    ]  # fmt: skip
    assert list(create["draft"]["creator"]) == ["email", "noOfContributors"]


def test_plan_json_keeps_unicode_and_ends_with_a_newline() -> None:
    plan = sample_plan()
    change = plan.connectors[2]
    renamed = ConnectorChange(change.key, change.change, change.id, change.version,
                              actions=({"action": "setName", "name": "Zahlungen — Köln"},),
                              source=change.source)  # fmt: skip
    text = plan_to_json(Plan(plan.target, plan.created_at, (renamed,), ()))
    assert "Zahlungen — Köln" in text
    assert text.endswith("}\n") and not text.endswith("\n\n")


# --- created_at --------------------------------------------------------------------------------


def test_created_at_honours_source_date_epoch() -> None:
    assert created_at({"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01T00:00:00Z"
    assert created_at({"SOURCE_DATE_EPOCH": "1796040000"}) == "2026-11-30T12:00:00Z"


def test_created_at_uses_the_clock_without_source_date_epoch() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    assert created_at({}, now=lambda: moment) == "2026-01-02T03:04:05Z"
    assert created_at({"SOURCE_DATE_EPOCH": " "}, now=lambda: moment) == "2026-01-02T03:04:05Z"


@pytest.mark.parametrize("value", ["yesterday", "-5", "1.5"])
def test_bad_source_date_epoch_is_a_usage_error(value: str) -> None:
    with pytest.raises(UsageError, match="SOURCE_DATE_EPOCH"):
        created_at({"SOURCE_DATE_EPOCH": value})


# --- reading -----------------------------------------------------------------------------------


def test_round_trip_gives_an_equal_plan() -> None:
    for plan in (sample_plan(), sample_plan(unmanaged=None), sample_plan(unmanaged=())):
        assert plan_from_dict(plan_to_dict(plan)) == plan
        assert plan_from_dict(json.loads(plan_to_json(plan))) == plan


def test_read_plan_file_reads_what_plan_to_json_wrote(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(plan_to_json(sample_plan()), encoding="utf-8")
    assert read_plan_file(path) == sample_plan()
    assert read_plan_file(str(path)) == sample_plan()


def test_missing_plan_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError) as info:
        read_plan_file(tmp_path / "nope.json")
    assert (
        str(info.value)
        == f"cannot read plan file {tmp_path / 'nope.json'}: No such file or directory"
    )


def test_a_directory_or_binary_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError, match="cannot read plan file"):
        read_plan_file(tmp_path)
    binary = tmp_path / "plan.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(PlanFileError, match="cannot read plan file"):
        read_plan_file(binary)


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text('{\n  "format_version": "1",\n  "target": }\n', encoding="utf-8")
    with pytest.raises(PlanFileError) as info:
        read_plan_file(path)
    assert str(info.value) == f"{path}:3:13: invalid JSON: Expecting value"


def test_nan_is_not_json(tmp_path: Path) -> None:
    data = plan_to_dict(sample_plan())
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data).replace('"version": 7', '"version": NaN'), encoding="utf-8")
    with pytest.raises(PlanFileError, match="NaN is not valid JSON"):
        read_plan_file(path)


@pytest.mark.parametrize("version", ["2", 1, None])
def test_other_format_versions_are_refused(version: Any) -> None:
    data = plan_to_dict(sample_plan())
    data["format_version"] = version
    with pytest.raises(PlanFileError, match="unsupported plan format_version") as info:
        plan_from_dict(data)
    assert json.dumps(version) in str(info.value)


def test_not_an_object_is_refused() -> None:
    with pytest.raises(PlanFileError, match="expected a JSON object"):
        plan_from_dict([1, 2])


def _broken(edit: Any) -> dict[str, Any]:
    data = copy.deepcopy(plan_to_dict(sample_plan()))
    edit(data)
    return data


SCHEMA_VIOLATIONS = [
    (lambda d: d["connectors"][2]["actions"].__setitem__(0, {"action": "setConfigurations"}),
     "$.connectors[2].actions[0].action"),
    (lambda d: d["connectors"][2]["actions"][1].pop("tag"), "$.connectors[2].actions[1]"),
    (lambda d: d["connectors"][2]["actions"][0].__setitem__("extra", 1),
     "$.connectors[2].actions[0]"),
    (lambda d: d["connectors"][4].pop("draft"), "$.connectors[4]"),
    (lambda d: d["connectors"][2].__setitem__("draft", {}), "$.connectors[2]"),
    (lambda d: d["connectors"][4].__setitem__("id", "x"), "$.connectors[4].id"),
    (lambda d: d["connectors"][2].__setitem__("version", None), "$.connectors[2].version"),
    (lambda d: d["connectors"][0].__setitem__("change", "destroy"), "$.connectors[0].change"),
    (lambda d: d["connectors"][1]["messages"][0].__setitem__("level", "fatal"),
     "$.connectors[1].messages[0].level"),
    (lambda d: d["connectors"][4]["draft"]["creator"].pop("email"),
     "$.connectors[4].draft.creator"),
    (lambda d: d["connectors"][3]["actions"][0].__setitem__("privateProject", "no colon"),
     "$.connectors[3].actions[0].privateProject"),
    (lambda d: d["summary"].__setitem__("create", -1), "$.summary.create"),
    (lambda d: d.__setitem__("created_at", "yesterday"), "$.created_at"),
    (lambda d: d.pop("unmanaged"), "$"),
    (lambda d: d.__setitem__("surprise", True), "$"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "path"), SCHEMA_VIOLATIONS)
def test_schema_violations_name_the_json_path(edit: Any, path: str) -> None:
    data = _broken(edit)
    with pytest.raises(PlanFileError) as info:
        plan_from_dict(data)
    message = str(info.value)
    assert message.startswith(f"invalid plan at {path}: "), message
    assert "\n" not in message
    with pytest.raises(jsonschema.ValidationError):
        validate(data)


CONSISTENCY_VIOLATIONS = [
    (lambda d: d["connectors"].reverse(), "sorted by key"),
    (lambda d: d["connectors"].append(copy.deepcopy(d["connectors"][-1])), "each key once"),
    (lambda d: d["summary"].__setitem__("update", 5), "summary does not match"),
    (lambda d: d["unmanaged"].reverse(), "unmanaged keys must be sorted"),
    (lambda d: d["connectors"][2]["actions"].reverse(), "only last"),
    (lambda d: d["connectors"][4]["draft"].__setitem__("key", "other"), "draft.key"),
    (lambda d: d["connectors"][0]["actions"].append({"action": "unlist"}), "unchanged"),
]  # fmt: skip


@pytest.mark.parametrize(("edit", "fragment"), CONSISTENCY_VIOLATIONS)
def test_what_the_schema_cannot_say_is_checked_too(edit: Any, fragment: str) -> None:
    with pytest.raises(PlanFileError, match=fragment):
        plan_from_dict(_broken(edit))


def test_plan_file_errors_are_prefixed_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(_broken(lambda d: d["summary"].__setitem__("blocked", 0))))
    with pytest.raises(PlanFileError, match=r"^.*plan\.json: invalid plan: the summary"):
        read_plan_file(path)


def test_huge_values_are_not_quoted_whole_in_messages() -> None:
    data = _broken(lambda d: d["connectors"][2]["actions"][0].__setitem__("description", 7))
    data["connectors"][2]["actions"][0]["description"] = ["x" * 10_000]
    with pytest.raises(PlanFileError) as info:
        plan_from_dict(data)
    assert len(str(info.value)) < 300


# --- the schema itself -------------------------------------------------------------------------


def test_schema_is_valid_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(load_schema("plan.schema.json"))


def test_schema_actions_agree_with_the_field_table() -> None:
    defs = load_schema("plan.schema.json")["$defs"]
    assert defs["action"]["properties"]["action"]["enum"] == list(ACTION_PARAMS)
    for name, params in ACTION_PARAMS.items():
        action = defs[f"action.{name}"]
        assert action["required"] == ["action", *params]
        assert set(action["properties"]) == {"action", *params}
        assert action["additionalProperties"] is False


# --- properties --------------------------------------------------------------------------------

_text = st.text(max_size=12)
_json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | _text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=6,
)
_action: st.SearchStrategy[dict[str, Any]] = st.sampled_from([
    {"action": "setName", "name": "N"},
    {"action": "setCreatorNoOfContributors", "creatorNoOfContributors": 3},
    {"action": "setSupportedRegions", "regions": ["us-central1.gcp"]},
    {"action": "unlist"},
])  # fmt: skip
_message = st.builds(Message, st.sampled_from(list(Level)), _text)
_diff = st.builds(DiffEntry, _text.filter(bool), _json_value, _json_value)


@st.composite
def _connector(draw: st.DrawFn, key: str) -> ConnectorChange:
    change = draw(st.sampled_from([Change.UPDATE, Change.BLOCKED, Change.UNCHANGED]))
    actions: tuple[dict[str, Any], ...] = ()
    if change is not Change.UNCHANGED:
        actions = tuple(draw(st.lists(_action, max_size=3)))
    publish = {"action": "publish", "certification": True}
    lifecycle: tuple[dict[str, Any], ...] = draw(st.sampled_from([(), (publish,)]))
    return ConnectorChange(
        key, change, id=draw(_text.filter(bool)), version=draw(st.integers(0, 10**6)),
        actions=actions + (lifecycle if actions else ()),
        diff=tuple(draw(st.lists(_diff, max_size=3))),
        messages=tuple(draw(st.lists(_message, max_size=2))),
        source=draw(st.none() | _text),
    )  # fmt: skip


@st.composite
def _plans(draw: st.DrawFn) -> Plan:
    keys = sorted(draw(st.sets(st.from_regex(r"[a-z0-9_-]{2,8}", fullmatch=True), max_size=4)))
    names = st.lists(st.from_regex(r"[a-z]{2,6}", fullmatch=True), unique=True, max_size=3)
    unmanaged = draw(st.none() | names.map(lambda n: tuple(sorted(n))))
    return Plan(TARGET, CREATED, tuple(draw(_connector(k)) for k in keys), unmanaged)


@settings(max_examples=60, deadline=None)
@given(_plans())
def test_any_plan_round_trips_and_validates(plan: Plan) -> None:
    text = plan_to_json(plan)
    validate(json.loads(text))
    assert plan_from_dict(json.loads(text)) == plan
    assert plan_to_json(plan_from_dict(json.loads(text))) == text


@pytest.mark.parametrize("depth", [120, 300, 990])
def test_a_plan_nested_past_100_levels_is_refused_before_any_renderer_sees_it(
    tmp_path: Path, depth: int
) -> None:
    data = json.loads((REPO / "tests" / "data" / "render" / "plan.json").read_text("utf-8"))
    data["connectors"][2]["diff"][0]["after"] = "DEEP"
    path = tmp_path / "deep.json"
    path.write_text(json.dumps(data).replace('"DEEP"', "[" * depth + "]" * depth), "utf-8")
    with pytest.raises(PlanFileError, match=r"deep\.json: invalid plan: JSON nested too deeply$"):
        read_plan_file(path)


def test_whole_string_patterns_and_integers_in_plan_files(tmp_path: Path) -> None:
    data = json.loads((REPO / "tests" / "data" / "render" / "plan.json").read_text("utf-8"))
    data["unmanaged"] = ["legacy-one\n", "zz"]
    with pytest.raises(PlanFileError, match=r"invalid plan at \$\.unmanaged"):
        plan_from_dict(data)
    data = json.loads((REPO / "tests" / "data" / "render" / "plan.json").read_text("utf-8"))
    data["connectors"][2]["version"] = 7.0
    with pytest.raises(PlanFileError, match=r"invalid plan at \$\.connectors\[2\]\.version"):
        plan_from_dict(data)


def test_plan_json_escapes_characters_that_some_readers_take_for_line_breaks() -> None:
    data = json.loads((REPO / "tests" / "data" / "render" / "plan.json").read_text("utf-8"))
    data["connectors"][2]["diff"][0]["after"] = "a\x85::error::b\u2028c\u2029d é"
    text = plan_to_json(plan_from_dict(data))
    assert '"after": "a\\u0085::error::b\\u2028c\\u2029d é"' in text
    assert len(text.splitlines()) == text.count("\n")
