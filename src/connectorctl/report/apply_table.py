"""The closing table of `apply` (text): only the resources that changed or failed, the rest counted.

One conclusion line at the end says how the apply went, consistently with its exit code: `Apply
failed: …` exactly when a row has an error (exit 1), never a second line saying the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from connectorctl.report.apply_json import RESULTS, result_counts
from connectorctl.report.escape import safe_text

HEADER = ("KIND", "KEY", "RESULT", "REQUESTS", "RETRIES", "NOTE")


def render_table(rows: Sequence[Mapping[str, Any]], counts: Mapping[str, int]) -> str:
    """The table of `rows` that changed or failed, what is not shown, and one conclusion line.

    `rows` are result rows (see report.apply_json.result_row); `counts` are resources without a
    row, by result (e.g. `{"unchanged": 57}` when the applier builds no row for those).
    """
    shown = [row for row in rows if _shown(row)]
    lines = _table(shown) if shown else []
    totals = _totals(rows, counts)
    hidden = totals.get("unchanged", 0) - sum(1 for r in shown if r.get("result") == "unchanged")
    if hidden:
        lines.append(f"{hidden} unchanged not shown.")
    lines.append(conclusion(totals, failed=any(row.get("error") for row in rows)))
    return "\n".join(lines) + "\n"


def render_document(text: str) -> str:
    """The table of an `apply --format json` document; "" for an error document or bad JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        return ""
    if not isinstance(document, dict) or "error" in document:
        return ""
    rows = document.get("results")
    return render_table(rows, {}) if isinstance(rows, list) and rows else ""


def conclusion(totals: Mapping[str, int], *, failed: bool) -> str:
    """`Apply complete: …`, `Apply failed: …` or `No changes: …`, counting every result."""
    parts = ", ".join(f"{totals[name]} {name}" for name in RESULTS if totals.get(name))
    if failed:
        return f"Apply failed: {parts}."
    if not any(totals.get(name) for name in RESULTS if name != "unchanged"):
        return f"No changes: {parts}." if parts else "No changes: nothing to apply."
    return f"Apply complete: {parts}."


def _shown(row: Mapping[str, Any]) -> bool:
    return row.get("result") != "unchanged" or bool(row.get("error"))


def _totals(rows: Sequence[Mapping[str, Any]], counts: Mapping[str, int]) -> dict[str, int]:
    totals = dict(result_counts(rows))
    for name, count in counts.items():
        totals[name] = totals.get(name, 0) + count
    return totals


def _table(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    cells = [_cells(row) for row in rows]
    widths = [max(len(line[i]) for line in [HEADER, *cells]) for i in range(len(HEADER) - 1)]
    lines = [_line(HEADER, widths)]
    for row, line in zip(rows, cells, strict=True):
        lines.append(_line(line, widths))
        lines.extend(_details(row))
    return lines


def _cells(row: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        safe_text(str(row.get("kind", ""))),
        safe_text(str(row.get("key", ""))),
        safe_text(str(row.get("result", ""))),
        str(row.get("requests", 0)),
        str(row.get("retries", 0)),
        safe_text(str(row.get("note", ""))),
    )


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    padded = [cells[i].ljust(widths[i]) for i in range(len(widths))]
    return "  ".join([*padded, cells[-1]]).rstrip()


def _details(row: Mapping[str, Any]) -> list[str]:
    """A row's messages and report entries, indented under it."""
    lines = [
        f"  {safe_text(str(m.get('level', '')))}: {safe_text(str(m.get('text', '')))}"
        for m in row.get("messages") or ()
    ]
    for entry in row.get("reports") or ():
        text = ": ".join(str(entry.get(f)) for f in ("type", "title", "message") if entry.get(f))
        lines.append(f"  report: {safe_text(text)}")
    return lines
