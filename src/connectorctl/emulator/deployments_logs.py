"""The (deprecated) logs endpoint: one page synthesised from the Deployment's state.

A deployed application logs that it listens; every Error entry of the last build report becomes
an ERROR line of the application it names (or of every application), so `--wait` has lines to show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connectorctl.emulator.deployments_checks import error
from connectorctl.emulator.settings import parse_iso

_PARAMS = frozenset({"pageToken", "applicationName", "startDate", "endDate"})


def log_page(doc: Mapping[str, Any], params: Iterable[tuple[str, str]], now: str) -> dict[str, Any]:
    """`DeploymentLogCursorPagedQueryResponse` for one Deployment (always a single page)."""
    values = dict(params)
    if set(values) - _PARAMS:
        name = sorted(set(values) - _PARAMS)[0]
        raise error("InvalidQueryParam", f"Unknown query parameter '{name}'.")
    if "pageToken" in values:
        token = values["pageToken"]
        raise error("DeploymentLogInvalidPageToken", f"Invalid page token: {token}")
    for name in ("startDate", "endDate"):
        if name in values:
            try:
                parse_iso(values[name])
            except ValueError:
                raise error("DeploymentLogInvalidDate", "Invalid start/end date") from None
    names = [str(app["applicationName"]) for app in doc.get("applications", [])]
    wanted = values.get("applicationName")
    if wanted is not None and wanted not in names:
        message = f"Deployment does not have an application named {wanted}."
        raise error("DeploymentApplicationDoesNotExist", message)
    chosen = [name for name in names if wanted in (None, name)]
    return {"data": _lines(doc, chosen, now), "next": ""}


def _lines(doc: Mapping[str, Any], names: list[str], now: str) -> list[dict[str, Any]]:
    lines = []
    if doc.get("status") == "Deployed":
        lines += [_line(doc, name, "DEFAULT", "Listening on port: 8080", now) for name in names]
    report = doc["details"]["build"].get("report") or {}
    for entry in report.get("entries", []):
        if entry.get("type") != "Error":
            continue
        for name in names:
            if entry.get("application") in (None, name):
                when = str(entry.get("createdAt", now))
                lines.append(_line(doc, name, "ERROR", str(entry.get("title", "")), when))
    return lines


def _line(doc: Mapping[str, Any], app: str, severity: str, text: str, when: str) -> dict[str, Any]:
    return {
        "type": "APPLICATION_TEXT", "deploymentId": doc["id"], "applicationName": app,
        "severity": severity, "timestamp": when, "details": {"message": text},
    }  # fmt: skip
