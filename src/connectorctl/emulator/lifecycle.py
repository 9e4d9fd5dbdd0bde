"""Timed lifecycle transitions, computed lazily from stored timestamps (no background thread).

`schedule` records a preview or publish request; `advance` applies every transition that is due
at a given emulator time. Outcomes and delays come from the settings, overridden per key by a
script (`POST /_emulator/script`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectorctl.emulator.settings import EmulatorSettings, iso
from connectorctl.emulator.store import Record
from connectorctl.model import PUBLISH, UPDATE_PREVIEWABLE

_PREVIEW_OK = (
    "Image security analysis check succeeded",
    "Connector specification file validation check succeeded",
)
_FAILURE_TITLE = "Connector specification file not found"


@dataclass(frozen=True)
class Timing:
    """Delays (seconds) and outcomes for one connector."""

    preview_delay: float
    publish_delay: float
    certification_delay: float
    preview_outcome: str
    publish_outcome: str
    report: tuple[Mapping[str, Any], ...] = ()


def timing_for(settings: EmulatorSettings, script: Mapping[str, Any]) -> Timing:
    """The settings' timing with a key's script on top."""
    return Timing(
        preview_delay=float(script.get("preview_delay", settings.preview_delay)),
        publish_delay=float(script.get("publish_delay", settings.publish_delay)),
        certification_delay=float(script.get("certification_delay", settings.certification_delay)),
        preview_outcome=str(script.get("preview", settings.preview_outcome)),
        publish_outcome=str(script.get("publish", settings.publish_outcome)),
        report=tuple(script.get("report", ())),
    )


def schedule(record: Record, actions: Sequence[Mapping[str, Any]], now: float) -> None:
    """After an accepted update: remember when a preview or publish was requested."""
    names = [a["action"] for a in actions]
    doc, state = record.doc, record.state
    if UPDATE_PREVIEWABLE in names and doc.get("isPreviewable") == "pending":
        state["preview"] = {"since": now}
    elif doc.get("isPreviewable") != "pending":
        state.pop("preview", None)
    if PUBLISH in names and doc.get("status") == "Processing":
        certification = bool(next(a for a in actions if a["action"] == PUBLISH)["certification"])
        state["publish"] = {"since": now, "certification": certification, "stage": "Processing"}


def advance(record: Record, now: float, timing: Timing) -> int:
    """Apply the transitions due at `now`; return how many happened."""
    count = _advance_preview(record, now, timing)
    while _advance_publish(record, now, timing):
        count += 1
    return count


def _advance_preview(record: Record, now: float, timing: Timing) -> int:
    pending = record.state.get("preview")
    if not pending or record.doc.get("isPreviewable") != "pending":
        return 0
    due = float(pending["since"]) + timing.preview_delay
    if now < due:
        return 0
    granted = timing.preview_outcome == "true"
    record.doc["isPreviewable"] = "true" if granted else "false"
    record.doc["previewableReport"] = {"entries": _report(granted, due, timing)}
    record.state.pop("preview", None)
    return 1


def _advance_publish(record: Record, now: float, timing: Timing) -> bool:
    pending = record.state.get("publish")
    if not pending:
        return False
    stage = pending["stage"]
    delay = timing.publish_delay if stage == "Processing" else timing.certification_delay
    due = float(pending["since"]) + delay
    if now < due:
        return False
    doc = record.doc
    if stage == "Processing" and timing.publish_outcome == "failed":
        doc["status"] = "Failed"
        doc["publishingReport"] = {"entries": _report(False, due, timing)}
        record.state.pop("publish")
    elif stage == "Processing" and pending["certification"]:
        doc["status"] = pending["stage"] = "ReadyForCertification"
        pending["since"] = due
    elif stage == "ReadyForCertification":
        doc["status"] = pending["stage"] = "InCertification"
        pending["since"] = due
    else:
        _publish(record, due, timing, certified=bool(pending["certification"]))
    return True


def _publish(record: Record, when: float, timing: Timing, *, certified: bool) -> None:
    doc = record.doc
    doc.update(status="Published", alreadyListed=True, hasChanges=False, private=not certified)
    doc["publishingReport"] = {"entries": _report(True, when, timing)}
    record.state.pop("publish", None)
    if certified:
        record.state["certified"] = True


def _report(success: bool, when: float, timing: Timing) -> list[dict[str, Any]]:
    created_at = iso(when)
    if timing.report:
        return [{"createdAt": created_at, **entry} for entry in timing.report]
    if success:
        return [
            {"type": "Information", "title": title, "createdAt": created_at}
            for title in _PREVIEW_OK
        ]
    return [{"type": "Error", "title": _FAILURE_TITLE, "createdAt": created_at}]
