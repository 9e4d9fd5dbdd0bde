"""The closing table of apply: changed and failed resources listed, the rest counted."""

from __future__ import annotations

from typing import Any

from connectorctl.report.apply_json import result_row
from connectorctl.report.apply_table import render_table


def row(key: str, result: str, **extra: Any) -> dict[str, Any]:
    return result_row(kind="ConnectorStaged", key=key, result=result, **extra)


def test_one_update_among_many_unchanged_is_one_row_and_a_count() -> None:
    rows = [row(f"conn-{n:02}", "unchanged") for n in range(59)]
    rows.insert(30, row("payment-gateway", "updated", requests=2, note="publish: Published"))
    assert render_table(rows, {}) == (
        "KIND             KEY              RESULT   REQUESTS  RETRIES  NOTE\n"
        "ConnectorStaged  payment-gateway  updated  2         0        publish: Published\n"
        "59 unchanged not shown.\n"
        "Apply complete: 1 updated, 59 unchanged.\n"
    )


def test_counts_without_rows_are_added() -> None:
    rows = [row("tax-sync", "created", requests=1)]
    assert render_table(rows, {"unchanged": 3}) == (
        "KIND             KEY       RESULT   REQUESTS  RETRIES  NOTE\n"
        "ConnectorStaged  tax-sync  created  1         0\n"
        "3 unchanged not shown.\n"
        "Apply complete: 1 created, 3 unchanged.\n"
    )


def test_a_blocked_apply_says_so_once_and_not_no_changes() -> None:
    rows = [
        row("erp-sync", "unchanged"),
        row("payment-gateway", "blocked", messages=[("error", "status is Processing")]),
    ]
    text = render_table(rows, {})
    assert text == (
        "KIND             KEY              RESULT   REQUESTS  RETRIES  NOTE\n"
        "ConnectorStaged  payment-gateway  blocked  0         0\n"
        "  error: status is Processing\n"
        "1 unchanged not shown.\n"
        "Apply failed: 1 unchanged, 1 blocked.\n"
    )
    assert "No changes" not in text


def test_a_partial_failure_lists_both_and_fails() -> None:
    rows = [
        row("a-conn", "updated", requests=1),
        row("b-conn", "failed", requests=5, retries=4, note="503 ServiceUnavailable",
            reports=[{"type": "Error", "title": "Build failed", "message": "npm ci"}]),
    ]  # fmt: skip
    assert render_table(rows, {}) == (
        "KIND             KEY     RESULT   REQUESTS  RETRIES  NOTE\n"
        "ConnectorStaged  a-conn  updated  1         0\n"
        "ConnectorStaged  b-conn  failed   5         4        503 ServiceUnavailable\n"
        "  report: Error: Build failed: npm ci\n"
        "Apply failed: 1 updated, 1 failed.\n"
    )


def test_nothing_changed_is_one_line() -> None:
    assert render_table([row("a-conn", "unchanged")], {"unchanged": 2}) == (
        "3 unchanged not shown.\nNo changes: 3 unchanged.\n"
    )
    assert render_table([], {}) == "No changes: nothing to apply.\n"


def test_an_unchanged_row_with_an_error_is_shown() -> None:
    rows = [row("a-conn", "unchanged", messages=[("error", "did not converge")])]
    assert render_table(rows, {}) == (
        "KIND             KEY     RESULT     REQUESTS  RETRIES  NOTE\n"
        "ConnectorStaged  a-conn  unchanged  0         0\n"
        "  error: did not converge\n"
        "Apply failed: 1 unchanged.\n"
    )


def test_interrupted_run_counts_not_verified_and_interrupted() -> None:
    rows = [row("a-conn", "not_verified", requests=2), row("b-conn", "interrupted")]
    assert render_table(rows, {"unchanged": 1}).splitlines()[-2:] == [
        "1 unchanged not shown.",
        "Apply failed: 1 unchanged, 1 not_verified, 1 interrupted.",
    ]


def test_remote_text_is_escaped() -> None:
    rows = [row("a-conn", "failed", note="x\n::error::y", messages=[("error", "\x1b[2J")])]
    lines = render_table(rows, {}).splitlines()
    assert lines[1].endswith("x\\u000a::error::y")
    assert lines[2] == "  error: \\u001b[2J"
