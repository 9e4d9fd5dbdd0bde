"""The `apply --format json` document: the plan document plus one result row per resource.

The contract is `schemas/apply-result.schema.json`. Rows are built from plain values, so the
applier fills them in without this module knowing its records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

RESULTS = (
    "created", "updated", "deleted", "redeployed", "replaced", "unchanged",
    "waiting", "blocked", "stale", "failed", "not_verified", "interrupted",
)  # fmt: skip
# Results that make apply exit 1 on their own.
ERROR_RESULTS = frozenset({"waiting", "blocked", "stale", "failed", "not_verified", "interrupted"})
MESSAGE_LEVELS = ("info", "warning", "error")


def apply_document(
    plan_dict: Mapping[str, Any], results: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The plan document (unchanged, in its order) followed by `results`."""
    document = dict(plan_dict)
    document["results"] = [dict(row) for row in results]
    return document


def result_row(
    *,
    kind: str,
    key: str,
    result: str,
    actions: Iterable[Mapping[str, Any]] = (),
    version_before: int | None = None,
    version_after: int | None = None,
    requests: int = 0,
    retries: int = 0,
    messages: Iterable[Mapping[str, str] | tuple[str, str]] = (),
    id: str | None = None,
    error: bool | None = None,
    note: str = "",
    lifecycle: str | None = None,
    settled: str | None = None,
    reports: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One resource's row; `error` defaults to whether `result` alone makes apply exit 1."""
    if result not in RESULTS:
        raise ValueError(f"unknown apply result {result!r}")
    rows_messages = [_message(m) for m in messages]
    if error is None:
        error = result in ERROR_RESULTS or any(m["level"] == "error" for m in rows_messages)
    return {
        "kind": kind,
        "key": key,
        "result": result,
        "id": id,
        "actions": [dict(a) for a in actions],
        "version_before": version_before,
        "version_after": version_after,
        "requests": requests,
        "retries": retries,
        "error": error,
        "note": note,
        "messages": rows_messages,
        "lifecycle": lifecycle,
        "settled": settled,
        "reports": [_report_entry(e) for e in reports],
    }


def _message(message: Mapping[str, str] | tuple[str, str]) -> dict[str, str]:
    level, text = (message["level"], message["text"]) if isinstance(message, Mapping) else message
    if level not in MESSAGE_LEVELS:
        raise ValueError(f"unknown message level {level!r}")
    return {"level": level, "text": text}


def _report_entry(entry: Mapping[str, Any]) -> dict[str, Any]:
    row = {"type": str(entry.get("type", "")), "title": str(entry.get("title", ""))}
    row["message"] = str(entry.get("message") or "")
    return row


def result_counts(results: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many rows have each result, in the order of RESULTS (absent results left out)."""
    counts = {name: sum(1 for row in results if row.get("result") == name) for name in RESULTS}
    return {name: count for name, count in counts.items() if count}
