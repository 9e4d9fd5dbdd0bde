"""What `apply` did to each resource, as the closing table (text, markdown, github) or json.

The json document is `apply_json.apply_document` (schema: schemas/apply-result.schema.json): the
plan's json plus one `results` row per resource in plan order. The table lists only the resources
that changed or failed; one conclusion line says how the apply went, consistently with its exit
code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connectorctl.model import Plan
from connectorctl.report.apply_json import apply_document, result_counts, result_row
from connectorctl.report.apply_table import conclusion, render_table
from connectorctl.results import ApplyResult, ConnectorOutcome, Result

# Nothing was sent to a blocked resource; the plan printed above says why.
BLOCKED_NOTE = "nothing sent (see the plan above)"
_MARKDOWN_HEADER = "| kind | key | result | requests | retries | note |"


def outcome_row(outcome: ConnectorOutcome) -> dict[str, Any]:
    """The json row of one outcome (see report.apply_json.result_row)."""
    return result_row(
        kind=outcome.kind,
        key=outcome.key,
        result=outcome.result.value,
        id=outcome.id,
        actions=outcome.actions_sent,
        version_before=outcome.version_before,
        version_after=None if outcome.result is Result.DELETED else outcome.version,
        requests=outcome.requests,
        retries=outcome.retries,
        messages=outcome.messages,
        error=outcome.failed,
        note=_own_note(outcome),
        lifecycle=outcome.lifecycle,
        settled=outcome.settled,
        reports=[{"type": e.type, "title": e.title, "message": e.message} for e in outcome.reports],
    )


def _own_note(outcome: ConnectorOutcome) -> str:
    """The note, without the plan's messages it repeats (they are in `messages`)."""
    note = "" if outcome.note == "blocked" else outcome.note
    for text in sorted({text for _, text in outcome.messages if text}, key=len, reverse=True):
        note = "" if note == text else note.replace(f"; {text}", "").replace(f"{text}; ", "")
    return note


def result_rows(result: ApplyResult) -> list[dict[str, Any]]:
    """Every outcome's json row, in plan order."""
    return [outcome_row(o) for o in result.outcomes]


def conclusion_line(result: ApplyResult) -> str:
    """`Apply complete: …`, `Apply failed: …` or `No changes: …` for this result."""
    return conclusion(result_counts(result_rows(result)), failed=result.has_errors)


def _table_rows(result: ApplyResult) -> list[dict[str, Any]]:
    """Rows for the human table: the plan above already printed the plan's messages."""
    rows = []
    for row in result_rows(result):
        row["messages"] = []
        if row["result"] == "blocked" and not row["note"]:
            row["note"] = BLOCKED_NOTE
        rows.append(row)
    return rows


def _attempted(result: ApplyResult) -> bool:
    """Whether any resource was more than unchanged or blocked (else the plan said it all)."""
    return any(o.result not in (Result.UNCHANGED, Result.BLOCKED) for o in result.outcomes)


def _text(plan: Plan, result: ApplyResult) -> str:
    if not _attempted(result):  # the plan above lists every resource: only the conclusion
        return conclusion_line(result) + "\n"
    return render_table(_table_rows(result), {})


def _github(plan: Plan, result: ApplyResult) -> str:
    from connectorctl.report.escape import github_data, github_property, safe_text

    lines = [_text(plan, result).rstrip("\n")]
    sources = {c.key: c.source for c in plan.connectors}
    for outcome in result.outcomes:
        if not outcome.failed:
            continue
        note = _own_note(outcome) or "; ".join(text for _, text in outcome.messages)
        text = github_data(safe_text(f"{outcome.result.value}: {note}"))
        place = _place(sources.get(outcome.key), github_property)
        title = github_property("connectorctl: " + outcome.key)
        lines.append(f"::error {place}title={title}::{text}")
    return "\n".join(lines) + "\n"


def _place(source: str | None, escape: Callable[[str], str]) -> str:
    if not source:
        return ""
    parts = source.rsplit(":", 2)
    ok = len(parts) == 3 and parts[1].isdigit()
    file, line = (parts[0], parts[1]) if ok else (source, "1")
    return f"file={escape(file)},line={line},"


def _markdown(plan: Plan, result: ApplyResult) -> str:
    from connectorctl.report.escape import markdown, markdown_code

    rows = _table_rows(result)
    shown = [r for r in rows if r["result"] != "unchanged" or r["error"]]
    lines = []
    attempted = _attempted(result)
    if attempted and shown:
        lines += [
            "| kind | key | result | requests | retries | note |",
            "|---|---|---|---:|---:|---|",
        ]
        lines += [
            f"| {markdown(r['kind'])} | {markdown_code(r['key'])} | {r['result']} "
            f"| {r['requests']} | {r['retries']} | {markdown(r['note'])} |"
            for r in shown
        ]
        lines.append("")
    hidden = len(rows) - len(shown)
    if attempted and hidden:
        lines += [f"{hidden} unchanged not shown.", ""]
    lines.extend(_report_lines(rows, markdown))
    lines.append(f"**{markdown(conclusion_line(result))}**")
    return "\n".join(lines) + "\n"


def _report_lines(rows: Sequence[Mapping[str, Any]], escape: Callable[[str], str]) -> list[str]:
    lines: list[str] = []
    for row in rows:
        if row["reports"]:
            lines.append(f"{escape(row['key'])} report ({escape(row['settled'] or 'unsettled')}):")
            lines.extend(
                "- " + escape(": ".join(str(e[f]) for f in ("type", "title", "message") if e[f]))
                for e in row["reports"]
            )
            lines.append("")
    return lines


def apply_to_dict(plan: Plan, result: ApplyResult) -> dict[str, Any]:
    """The plan's json document plus the `results` array."""
    from connectorctl.planfile import plan_to_dict

    return apply_document(plan_to_dict(plan), result_rows(result))


def _json(plan: Plan, result: ApplyResult) -> str:
    from connectorctl.planfile import json_text

    return json_text(apply_to_dict(plan, result)) + "\n"


REPORTERS: Mapping[str, Callable[[Plan, ApplyResult], str]] = {
    "text": _text,
    "json": _json,
    "markdown": _markdown,
    "github": _github,
}


def render_outcomes(plan: Plan, result: ApplyResult, fmt: str) -> str:
    """The apply result in one of the REPORTERS formats."""
    return REPORTERS[fmt](plan, result)
