"""What `apply` did to each connector, and how that is shown: a text table or a json document.

The json document is the plan's json (the same `connectors`, `summary`, `target`, …) plus a
`results` array, one object per connector in plan order:

    {"key": "payment-gateway",
     "result": "created" | "updated" | "unchanged" | "waiting" | "blocked" | "stale" | "failed"
               | "not_verified" | "interrupted",
     "id": "5ab3…" | null, "version": 8 | null,
     "requests": 3, "retries": 1,
     "error": false,                      # true: this connector makes apply exit 1
     "note": "publish: Published",       # one line for people; "" when nothing to say
     "lifecycle": "publish" | "updatePreviewable" | null,   # the lifecycle action sent
     "settled": "Published" | "isPreviewable=true" | null,  # the state --wait saw at the end
     "reports": [{"type": "Error", "title": "…", "message": "…"}]}   # entries seen by --wait
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from connectorctl.model import Plan
from connectorctl.results import ApplyResult, ConnectorOutcome, Result


def outcome_to_dict(outcome: ConnectorOutcome) -> dict[str, Any]:
    """The json form of one outcome (see the module docstring)."""
    return {
        "key": outcome.key,
        "result": outcome.result.value,
        "id": outcome.id,
        "version": outcome.version,
        "requests": outcome.requests,
        "retries": outcome.retries,
        "error": outcome.failed,
        "note": outcome.note,
        "lifecycle": outcome.lifecycle,
        "settled": outcome.settled,
        "reports": [
            {"type": e.type, "title": e.title, "message": e.message} for e in outcome.reports
        ],
    }


def summary_line(result: ApplyResult) -> str:
    """`Apply: 1 created, 2 updated, …` counting every result kind present."""
    parts = [f"{result.count(kind)} {kind.value}" for kind in Result if result.count(kind)]
    failed = sum(1 for o in result.outcomes if o.failed)
    text = "Apply: " + (", ".join(parts) if parts else "nothing to do")
    return text + (f" ({failed} with errors)" if failed else "")


def _text(plan: Plan, result: ApplyResult) -> str:
    header = ("KEY", "RESULT", "REQUESTS", "RETRIES", "NOTE")
    from connectorctl.report.escape import safe_text

    rows = [
        (o.key, o.result.value, str(o.requests), str(o.retries), safe_text(o.note))
        for o in result.outcomes
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = [_table_line(header, widths), *(_table_line(row, widths) for row in rows)]
    lines.extend(_report_lines(result.outcomes))
    lines.append(summary_line(result))
    return "\n".join(lines) + "\n"


def _table_line(row: Sequence[str], widths: Sequence[int]) -> str:
    cells = [row[i].ljust(widths[i]) for i in range(len(widths))]
    return "  ".join([*cells, row[-1]]).rstrip()


def _report_lines(outcomes: Sequence[ConnectorOutcome]) -> list[str]:
    lines: list[str] = []
    for outcome in outcomes:
        if outcome.reports:
            lines.append("")
            lines.append(f"{outcome.key} report ({outcome.settled or 'unsettled'}):")
            lines.extend(f"  {_safe(str(entry))}" for entry in outcome.reports)
    return lines


def _safe(text: str) -> str:
    from connectorctl.report.escape import safe_text

    return safe_text(text)


def _github(plan: Plan, result: ApplyResult) -> str:
    lines = [_text(plan, result).rstrip("\n")]
    sources = {c.key: c.source for c in plan.connectors}
    for outcome in result.outcomes:
        if outcome.failed:
            lines.append(_annotation(outcome, sources.get(outcome.key)))
    return "\n".join(lines) + "\n"


def _annotation(outcome: ConnectorOutcome, source: str | None) -> str:
    from connectorctl.report.escape import github_data as escape_data
    from connectorctl.report.escape import github_property as escape_property
    from connectorctl.report.escape import safe_text

    text = escape_data(safe_text(f"{outcome.result.value}: {outcome.note}"))
    place = ""
    if source:
        parts = source.rsplit(":", 2)
        ok = len(parts) == 3 and parts[1].isdigit()
        file, line = (parts[0], parts[1]) if ok else (source, "1")
        place = f"file={escape_property(file)},line={line},"
    return f"::error {place}title={escape_property('connectorctl: ' + outcome.key)}::{text}"


def _markdown(plan: Plan, result: ApplyResult) -> str:
    lines = [
        "| key | result | requests | retries | note |",
        "|---|---|---:|---:|---|",
    ]
    for o in result.outcomes:
        note = _safe(o.note).replace("|", "\\|")
        lines.append(f"| `{o.key}` | {o.result.value} | {o.requests} | {o.retries} | {note} |")
    lines.extend(_report_lines(result.outcomes))
    lines.append("")
    lines.append(f"**{summary_line(result)}**")
    return "\n".join(lines) + "\n"


def apply_to_dict(plan: Plan, result: ApplyResult) -> dict[str, Any]:
    """The plan's json document plus the `results` array."""
    from connectorctl.planfile import plan_to_dict

    data = dict(plan_to_dict(plan))
    data["results"] = [outcome_to_dict(o) for o in result.outcomes]
    return data


def _json(plan: Plan, result: ApplyResult) -> str:
    return json.dumps(apply_to_dict(plan, result), indent=2, sort_keys=False) + "\n"


REPORTERS: Mapping[str, Callable[[Plan, ApplyResult], str]] = {
    "text": _text,
    "json": _json,
    "markdown": _markdown,
    "github": _github,
}


def render_outcomes(plan: Plan, result: ApplyResult, fmt: str) -> str:
    """The apply result in one of the REPORTERS formats."""
    return REPORTERS[fmt](plan, result)
