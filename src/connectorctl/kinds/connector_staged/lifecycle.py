"""Release intent × remote status → the lifecycle action, nothing, or a message.

Pure: `plan_lifecycle` reads the manifest's `release`, the remote ConnectorStaged (None for a
create) and whether this plan changes staged data, and returns at most one lifecycle action
(`updatePreviewable` or `publish`) with the messages a person needs (DESIGN.md "Lifecycle rules").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connectorctl.model import PUBLISH, UPDATE_PREVIEWABLE, Level, Message, Previewable, Status

PROCESSING = Status.PROCESSING
FAILED = Status.FAILED
IN_CERTIFICATION = frozenset({Status.READY_FOR_CERTIFICATION, Status.IN_CERTIFICATION})

_RETRY_HINT = "fix the repository and run with --retry-failed, or push a new tag"


@dataclass(frozen=True)
class LifecycleStep:
    """What the release intent adds to a connector's plan: zero or one action, and messages."""

    actions: tuple[Mapping[str, Any], ...] = ()
    messages: tuple[Message, ...] = ()


@dataclass(frozen=True)
class ObservedState:
    """The observed lifecycle fields of a remote connector (a new one: Draft, not previewable)."""

    status: str = Status.DRAFT
    is_previewable: str = Previewable.NONE
    has_changes: bool = False
    publishing_report: tuple[str, ...] = ()
    previewable_report: tuple[str, ...] = ()

    @classmethod
    def of(cls, remote: Mapping[str, Any] | None) -> ObservedState:
        """Read the lifecycle fields of a ConnectorStaged; None means "being created"."""
        if remote is None:
            return cls()
        return cls(
            status=str(remote.get("status") or Status.DRAFT),
            is_previewable=str(remote.get("isPreviewable") or Previewable.NONE),
            has_changes=bool(remote.get("hasChanges")),
            # Reports matter only after a failure; most connectors never need their titles.
            publishing_report=(
                report_titles(remote.get("publishingReport"))
                if remote.get("status") == FAILED
                else ()
            ),
            previewable_report=(
                report_titles(remote.get("previewableReport"))
                if remote.get("isPreviewable") == Previewable.FALSE
                else ()
            ),
        )


def fingerprint(remote: Mapping[str, Any]) -> tuple[str, ...]:
    """The lifecycle fields a lifecycle request changes when it takes effect.

    A re-read whose fingerprint differs from one taken just before sending the request is the
    evidence that the request (or its outcome) landed: status, isPreviewable, hasChanges, reports.
    """
    import json

    return (
        str(remote.get("status")),
        str(remote.get("isPreviewable")),
        str(bool(remote.get("hasChanges"))),
        json.dumps(remote.get("publishingReport"), sort_keys=True),
        json.dumps(remote.get("previewableReport"), sort_keys=True),
    )


def failure(remote: Mapping[str, Any], action: str) -> str | None:
    """The failure a lifecycle step ended in (failed publish, rejected preview), or None."""
    if action == PUBLISH and remote.get("status") == FAILED:
        return "publish failed: " + _titles(report_titles(remote.get("publishingReport")))
    if action == UPDATE_PREVIEWABLE and remote.get("isPreviewable") == Previewable.FALSE:
        return "preview rejected: " + _titles(report_titles(remote.get("previewableReport")))
    return None


def review_pending(remote: Mapping[str, Any] | None) -> bool:
    """Whether a preview review is under way."""
    return remote is not None and remote.get("isPreviewable") == Previewable.PENDING


def settled_state(remote: Mapping[str, Any], action: str) -> tuple[str, Any] | None:
    """After `action`: the settled state's text and its report, or None while still under way."""
    if action == PUBLISH:
        status = str(remote.get("status"))
        return None if status == PROCESSING else (status, remote.get("publishingReport"))
    previewable = str(remote.get("isPreviewable"))
    if previewable == Previewable.PENDING:
        return None
    return f"isPreviewable={previewable}", remote.get("previewableReport")


def report_entries(report: Any) -> tuple[Mapping[str, Any], ...]:
    """The entries of a ConnectorReport (publishingReport, previewableReport) that are objects."""
    entries = report.get("entries") if isinstance(report, Mapping) else None
    if not isinstance(entries, list):
        return ()
    return tuple(e for e in entries if isinstance(e, Mapping))


def report_titles(report: Any) -> tuple[str, ...]:
    """The titles of a ConnectorReport's Error entries (all entries when none is an Error)."""
    entries = report_entries(report)
    errors = [e for e in entries if e.get("type") == "Error"] or entries
    return tuple(_entry_text(e) for e in errors)


def _entry_text(entry: Mapping[str, Any]) -> str:
    title = str(entry.get("title") or "untitled report entry")
    detail = entry.get("message")
    return f"{title} ({detail})" if detail else title


def plan_lifecycle(
    release: str,
    remote: Mapping[str, Any] | None,
    *,
    changes: bool,
    retry_failed: bool = False,
    owed: bool = False,
) -> LifecycleStep:
    """The lifecycle action and messages for `release` against `remote` (None = being created).

    `owed`: this run already sent staged-data changes whose lifecycle step has not taken effect;
    they count as changes for the step, never for the pending-review hold-back.
    """
    state = ObservedState.of(remote)
    if release == "preview":
        step = _preview(state, changes=changes, owed=owed, retry_failed=retry_failed)
    elif release in ("publish", "certify"):
        due = changes or owed
        step = _publish(state, release == "certify", changes=due, retry_failed=retry_failed)
    else:
        step = LifecycleStep()
    return LifecycleStep(step.actions, step.messages + _bystander_messages(release, state, changes))


def _preview(
    state: ObservedState, *, changes: bool, owed: bool, retry_failed: bool
) -> LifecycleStep:
    previewable = state.is_previewable
    if previewable == Previewable.PENDING:
        return LifecycleStep(messages=(_pending_message(changes),))
    rejected = previewable == Previewable.FALSE
    if changes or owed or previewable == Previewable.NONE or (rejected and retry_failed):
        return LifecycleStep(actions=({"action": UPDATE_PREVIEWABLE},))
    if rejected:
        text = f"preview rejected: {_titles(state.previewable_report)}; {_RETRY_HINT}"
        return LifecycleStep(messages=(Message(Level.ERROR, text),))
    return LifecycleStep()


def _pending_message(changes: bool) -> Message:
    if changes:
        return Message(
            Level.WARNING,
            "waiting: a preview review is in progress, and a review of the old state must not "
            "pass for the new one, so nothing is sent for this connector; run again once the "
            "review has ended (apply --wait waits for it)",
        )
    return Message(Level.INFO, "a preview review is in progress; run again once it has ended")


def _publish(
    state: ObservedState, certification: bool, *, changes: bool, retry_failed: bool
) -> LifecycleStep:
    status = state.status
    if status in IN_CERTIFICATION:
        return LifecycleStep(messages=(_certification_message(status, changes),))
    if status == PROCESSING:
        return LifecycleStep(
            messages=(Message(Level.INFO, "a publish is in progress; run again once it has ended"),)
        )
    failed = status == FAILED
    pending = not failed and (state.has_changes or status == Status.DRAFT)
    if changes or pending or (failed and retry_failed):
        return LifecycleStep(actions=({"action": PUBLISH, "certification": certification},))
    if failed:
        text = f"publish failed: {_titles(state.publishing_report)}; {_RETRY_HINT}"
        return LifecycleStep(messages=(Message(Level.ERROR, text),))
    return LifecycleStep()


def _certification_message(status: str, changes: bool) -> Message:
    if changes:
        return Message(
            Level.WARNING,
            f"certification is under way (status {status}): the field changes are sent, but they "
            "need another publish once the certification has ended; run again then",
        )
    return Message(Level.INFO, f"certification is under way (status {status}); nothing to publish")


def _bystander_messages(release: str, state: ObservedState, changes: bool) -> tuple[Message, ...]:
    """Failures that the release intent does not care about: info only, never an error."""
    messages: list[Message] = []
    if state.is_previewable == Previewable.FALSE and release != "preview" and not changes:
        messages.append(
            Message(
                Level.INFO, f"the last preview was rejected: {_titles(state.previewable_report)}"
            )
        )
    if state.status == FAILED and release not in ("publish", "certify"):
        messages.append(
            Message(Level.INFO, f"the last publish failed: {_titles(state.publishing_report)}")
        )
    return tuple(messages)


def _titles(titles: tuple[str, ...]) -> str:
    return "; ".join(titles) if titles else "no report entries"
