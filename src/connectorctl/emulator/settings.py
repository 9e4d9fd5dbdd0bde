"""Emulator settings (the [UNKNOWN] behaviours of the real API, lifecycle timing) and the clock."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectorctl.emulator.options import PROCESSING_ERROR_CODE, UNLIST_UNCERTIFIED
from connectorctl.kinds.connector_staged.actions import ActionRejected

PREVIEW_OUTCOMES = ("true", "false")
PUBLISH_OUTCOMES = ("success", "failed")
OMITTED_DESCRIPTION = ("absent", "empty")
REPORT_ENTRY_TYPES = ("Information", "Warning", "Error")
MAX_SECONDS = 10 * 365 * 24 * 3600


@dataclass(frozen=True)
class EmulatorSettings:
    """Behaviours the spec leaves open, and how long the asynchronous steps take (seconds)."""

    transitions_bump_version: bool = True
    update_status: int = 201
    omitted_description: str = "empty"
    processing_error_code: str = PROCESSING_ERROR_CODE
    staged_change_resets_previewable: bool = True
    unlist_uncertified: str = "works"
    unlist_clears_listed: bool = True
    preview_delay: float = 2.0
    publish_delay: float = 3.0
    certification_delay: float = 3.0
    preview_outcome: str = "true"
    publish_outcome: str = "success"
    token_ttl: float = 172800.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def merged(self, changes: Mapping[str, Any]) -> EmulatorSettings:
        """These settings with `changes` applied; ActionRejected(400) names a bad one."""
        known = {f.name: f for f in dataclasses.fields(self)}
        values = self.to_dict()
        for name, value in changes.items():
            if name not in known:
                raise bad_request(f"unknown setting '{name}'")
            values[name] = _checked(name, value, values[name])
        return EmulatorSettings(**values)


def _checked(name: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        ok = isinstance(value, bool)
    elif isinstance(current, int | float):
        ok = is_seconds(value)
        value = type(current)(value) if ok else value
    else:
        ok = isinstance(value, str) and bool(value)
    choices = {
        "update_status": (200, 201),
        "omitted_description": OMITTED_DESCRIPTION,
        "preview_outcome": PREVIEW_OUTCOMES,
        "publish_outcome": PUBLISH_OUTCOMES,
        "unlist_uncertified": UNLIST_UNCERTIFIED,
    }.get(name)
    if not ok or (choices is not None and value not in choices):
        allowed = f" (one of {', '.join(map(str, choices))})" if choices else ""
        raise bad_request(f"setting '{name}': invalid value {value!r}{allowed}")
    return value


def is_seconds(value: Any, *, signed: bool = False) -> bool:
    """A JSON number of seconds within ten years (negative only when `signed`); NaN never is."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return (-MAX_SECONDS if signed else 0) <= value <= MAX_SECONDS


def bad_request(message: str) -> ActionRejected:
    """A 400 InvalidJsonInput naming what is wrong."""
    return ActionRejected(400, "InvalidJsonInput", message, {"detailedErrorMessage": message})


class Clock:
    """Wall-clock time plus an offset tests move (`POST /_emulator/clock`): no test sleeps."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        return self._offset

    def now(self) -> float:
        return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._offset += seconds

    def set_now(self, when: float) -> None:
        with self._lock:
            self._offset = when - time.time()

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0


def iso(when: float) -> str:
    """An epoch time as the API writes it: ISO 8601, milliseconds, `Z`."""
    moment = datetime.fromtimestamp(when, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_iso(text: str) -> float:
    """The epoch time of an ISO 8601 string (a trailing `Z` allowed)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
