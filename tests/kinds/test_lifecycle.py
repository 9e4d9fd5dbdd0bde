"""The lifecycle table of DESIGN.md, row by row: release intent × remote status."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connectorctl.kinds.connector_staged.diff import plan_connector
from connectorctl.kinds.connector_staged.lifecycle import plan_lifecycle, report_titles
from connectorctl.model import Change, Desired, Level, Location

PREVIEW = {"action": "updatePreviewable"}
REPORT = {
    "entries": [
        {"type": "Information", "title": "Image security analysis check succeeded"},
        {"type": "Error", "title": "Connector specification file not found"},
        {"type": "Error", "title": "SAST failed", "message": "2 critical findings"},
    ]
}
TITLES = "Connector specification file not found; SAST failed (2 critical findings)"


def remote(**fields: Any) -> dict[str, Any]:
    base = {
        "name": "Connector's name",
        "status": "Draft",
        "isPreviewable": "none",
        "hasChanges": False,
        "private": True,
    }
    return {**base, **fields}


def levels(step: Any) -> list[Level]:
    return [m.level for m in step.messages]


# (isPreviewable, changes, retry_failed) → whether updatePreviewable is sent
PREVIEW_ROWS = [
    ("none", False, False, True),
    ("none", True, False, True),
    ("true", False, False, False),
    ("true", True, False, True),
    ("false", True, False, True),
    ("false", False, True, True),
    ("false", False, False, False),
    ("pending", False, False, False),
    ("pending", True, False, False),
    ("pending", False, True, False),
]


@pytest.mark.parametrize(("previewable", "changes", "retry", "sent"), PREVIEW_ROWS)
def test_preview_rows(previewable: str, changes: bool, retry: bool, sent: bool) -> None:
    step = plan_lifecycle(
        "preview", remote(isPreviewable=previewable), changes=changes, retry_failed=retry
    )
    assert step.actions == ((PREVIEW,) if sent else ())


def test_rejected_preview_without_changes_is_an_error_with_the_report() -> None:
    state = remote(isPreviewable="false", previewableReport=REPORT)
    step = plan_lifecycle("preview", state, changes=False)
    assert levels(step) == [Level.ERROR]
    assert step.messages[0].text == (
        f"preview rejected: {TITLES}; fix the repository and run with --retry-failed, "
        "or push a new tag"
    )


def test_rejected_preview_with_retry_failed_is_an_ordinary_update() -> None:
    step = plan_lifecycle(
        "preview", remote(isPreviewable="false"), changes=False, retry_failed=True
    )
    assert (step.actions, step.messages) == ((PREVIEW,), ())


def test_pending_preview_messages() -> None:
    pending = remote(isPreviewable="pending")
    assert levels(plan_lifecycle("preview", pending, changes=False)) == [Level.INFO]
    with_changes = plan_lifecycle("preview", pending, changes=True)
    assert levels(with_changes) == [Level.WARNING]
    assert with_changes.actions == ()
    assert with_changes.messages[0].text.startswith("waiting: a preview review is in progress")


# (status, hasChanges, changes, retry_failed) → whether publish is sent
PUBLISH_ROWS = [
    ("Draft", False, False, False, True),
    ("Draft", False, True, False, True),
    ("Published", False, False, False, False),
    ("Published", True, False, False, True),
    ("Published", False, True, False, True),
    ("Failed", False, False, False, False),
    ("Failed", True, False, False, False),
    ("Failed", False, True, False, True),
    ("Failed", False, False, True, True),
    ("Processing", True, True, True, False),
    ("ReadyForCertification", True, True, True, False),
    ("InCertification", True, True, True, False),
    ("InCertification", False, False, False, False),
]


@pytest.mark.parametrize("release", ["publish", "certify"])
@pytest.mark.parametrize(("status", "has_changes", "changes", "retry", "sent"), PUBLISH_ROWS)
def test_publish_rows(
    release: str, status: str, has_changes: bool, changes: bool, retry: bool, sent: bool
) -> None:
    state = remote(status=status, hasChanges=has_changes)
    step = plan_lifecycle(release, state, changes=changes, retry_failed=retry)
    publish = {"action": "publish", "certification": release == "certify"}
    assert step.actions == ((publish,) if sent else ())


@pytest.mark.parametrize("release", ["publish", "certify"])
def test_failed_publish_without_changes_is_an_error_with_the_report(release: str) -> None:
    state = remote(status="Failed", publishingReport=REPORT)
    step = plan_lifecycle(release, state, changes=False)
    assert levels(step) == [Level.ERROR]
    assert step.messages[0].text == (
        f"publish failed: {TITLES}; fix the repository and run with --retry-failed, "
        "or push a new tag"
    )
    retried = plan_lifecycle(release, state, changes=False, retry_failed=True)
    assert retried.messages == ()


@pytest.mark.parametrize("status", ["ReadyForCertification", "InCertification"])
def test_certification_under_way(status: str) -> None:
    with_changes = plan_lifecycle("certify", remote(status=status), changes=True)
    assert levels(with_changes) == [Level.WARNING]
    assert "another publish" in with_changes.messages[0].text
    assert levels(plan_lifecycle("certify", remote(status=status), changes=False)) == [Level.INFO]


@pytest.mark.parametrize("state", [remote(), remote(status="Published", hasChanges=True)])
@pytest.mark.parametrize("changes", [False, True])
def test_draft_release_emits_nothing(state: dict[str, Any], changes: bool) -> None:
    assert plan_lifecycle("draft", state, changes=changes).actions == ()


@pytest.mark.parametrize(
    ("release", "expected"),
    [("draft", ()), ("preview", (PREVIEW,)), ("publish", ({"action": "publish",
      "certification": False},)), ("certify", ({"action": "publish", "certification": True},))],
)  # fmt: skip
def test_a_new_connector(release: str, expected: tuple[Any, ...]) -> None:
    assert plan_lifecycle(release, None, changes=True).actions == expected


def test_failures_the_intent_did_not_ask_for_are_info() -> None:
    failed = remote(status="Failed", publishingReport=REPORT)
    assert levels(plan_lifecycle("preview", failed, changes=False)) == [Level.INFO]
    assert levels(plan_lifecycle("draft", failed, changes=False)) == [Level.INFO]
    rejected = remote(isPreviewable="false", previewableReport=REPORT)
    for release in ("draft", "publish"):
        step = plan_lifecycle(release, rejected, changes=False)
        assert Level.ERROR not in levels(step)
        assert any("preview was rejected" in m.text for m in step.messages)


def test_report_titles_tolerate_odd_reports() -> None:
    assert report_titles(None) == ()
    assert report_titles({"entries": None}) == ()
    assert report_titles({"entries": [{"type": "Information", "title": "ok"}]}) == ("ok",)
    assert report_titles({"entries": [{"type": "Error"}, 3]}) == ("untitled report entry",)


# Through the diff: the whole connector change.


def desired(**spec: Any) -> Desired:
    base = {"key": "connector-key", "name": "Connector's name"}
    return Desired("connector-key", {**base, **spec}, Location("c.yaml"))


def test_official_failed_example_under_publish(connect_examples: Path) -> None:
    staged = json.loads((connect_examples / "connector" / "staged.json").read_text())
    result = plan_connector(desired(release="publish"), staged)
    assert (result.change, result.actions) == (Change.UNCHANGED, ())
    errors = [m.text for m in result.messages if m.level is Level.ERROR]
    assert errors == [
        "publish failed: Connector specification file not found; fix the repository and run "
        "with --retry-failed, or push a new tag"
    ]
    retried = plan_connector(desired(release="publish"), staged, retry_failed=True)
    assert retried.change is Change.UPDATE and not retried.has_error
    assert retried.actions == ({"action": "publish", "certification": False},)


def test_official_rejected_preview_example_under_preview(connect_examples: Path) -> None:
    staged = json.loads((connect_examples / "connector" / "staged.json").read_text())
    result = plan_connector(desired(release="preview"), staged)
    assert result.has_error and result.change is Change.UNCHANGED
    fixed = plan_connector(desired(release="preview", name="Renamed"), staged)
    assert fixed.actions == ({"action": "setName", "name": "Renamed"}, PREVIEW)
    assert not fixed.has_error


def test_certification_under_way_still_sends_field_changes() -> None:
    result = plan_connector(
        desired(release="certify", name="Renamed"), remote(status="InCertification")
    )
    assert result.change is Change.UPDATE
    assert result.actions == ({"action": "setName", "name": "Renamed"},)
    assert [m.level for m in result.messages] == [Level.WARNING]


def test_comments_and_unlist_are_not_changes() -> None:
    state = remote(status="Published", alreadyListed=True, isPreviewable="true")
    spec = desired(release="preview", listed=False, certificationComments=["note"])
    assert plan_connector(spec, state).actions == (
        {"action": "addCertificationComment", "comment": "note"},
        {"action": "unlist"},
    )
    publish = plan_connector(desired(release="publish", certificationComments=["n"]), state)
    assert [a["action"] for a in publish.actions] == ["addCertificationComment"]


def test_listed_true_is_satisfied_by_publish() -> None:
    result = plan_connector(desired(release="publish", listed=True), remote())
    assert result.actions == ({"action": "publish", "certification": False},)
