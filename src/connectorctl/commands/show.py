"""`connectorctl show`: print a saved plan exactly as `plan --format F` printed it.

`run` picks the mode; today the only one is PLANFILE (`run_plan_file`). A mode that shows a live
resource by key belongs beside it, selected in `run` from its own option.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

from connectorctl.commands._output import write
from connectorctl.errors import ExitCode, UsageError
from connectorctl.model import Plan


@dataclass(frozen=True)
class ShowOptions:
    """What to show and how; the size limits are GitHub's (PR comment, step summary)."""

    plan_file: str | None = None
    output_format: str = "auto"
    max_chars: int | None = None
    max_bytes: int | None = None


def run(options: ShowOptions) -> int:
    """Show what the options name; a usage error when they name nothing."""
    if options.plan_file is not None:
        return run_plan_file(options)
    raise UsageError("show needs a PLANFILE (a plan saved with `plan --out FILE`)")


def run_plan_file(options: ShowOptions) -> int:
    """Render the saved plan in the chosen format, within the size limits given."""
    from connectorctl import planfile
    from connectorctl.report import plan as render
    from connectorctl.report.problems import resolve_format

    assert options.plan_file is not None
    env = os.environ
    fmt = resolve_format(options.output_format, env)
    limits = [n for n in (options.max_chars, options.max_bytes) if n is not None]
    if fmt == "json" and limits:
        raise UsageError("--max-chars and --max-bytes cannot cut a JSON plan; drop them")
    data = planfile.read_plan_json(options.plan_file)
    if isinstance(data, dict) and "results" in data:
        return _show_result(data, fmt)
    color = render.use_color(sys.stdout, env)
    limit = min(limits) if limits else None
    if isinstance(data, dict) and data.get("kind") == "PlanSet":
        write(sys.stdout, _fit_planset(options.plan_file, fmt, color=color, limit=limit))
        return ExitCode.OK
    plan = planfile.plan_from_dict(data)
    write(sys.stdout, fit_plan(plan, fmt, color=color, limit=limit))
    return ExitCode.OK


def _fit_planset(path: str, fmt: str, *, color: bool, limit: int | None) -> str:
    """Every target's plan, a section each (as `plan --all-targets` prints them); a size limit
    is shared out evenly between the targets."""
    from connectorctl.commands._targets import section_header
    from connectorctl.planfile import json_text
    from connectorctl.planset import planset_to_dict, read_plans

    found = read_plans(path)
    plans = (found,) if isinstance(found, Plan) else found
    if fmt == "json":
        return json_text(planset_to_dict(plans))
    share = None if limit is None else max(1000, limit // max(1, len(plans)) - 200)
    sections = [
        section_header(plan.target.name, fmt) + fit_plan(plan, fmt, color=color, limit=share)
        for plan in plans
    ]
    return "\n".join(sections)


def _show_result(document: dict[str, object], fmt: str) -> int:
    """An `apply --format json` document: its closing table again (json: the document)."""
    import json

    from connectorctl.planfile import json_text
    from connectorctl.report.apply_table import render_document

    if fmt == "json":
        write(sys.stdout, json_text(document))
    else:
        write(sys.stdout, render_document(json.dumps(document)) or "No results in this document.")
    return ExitCode.OK


def fit_plan(plan: Plan, fmt: str, *, color: bool, limit: int | None) -> str:
    """The plan in `fmt`, at most `limit` UTF-8 bytes (so also characters) with its newline.

    Markdown drops whole connector sections and counts them; other formats keep whole lines.
    """
    from connectorctl.report.plan import render_plan

    if limit is None:
        return render_plan(plan, fmt, color=color)
    if fmt == "markdown":
        return render_plan(plan, fmt, max_chars=limit - 1)
    return _whole_lines(render_plan(plan, fmt, color=color), limit - 1)


def _whole_lines(text: str, limit: int) -> str:
    if _size(text) <= limit:
        return text
    lines = text.splitlines(keepends=True)
    kept: list[str] = []
    used = 80  # room for the closing count
    for line in lines:
        if used + _size(line) > limit:
            break
        kept.append(line)
        used += _size(line)
    return "".join(kept) + f"… {len(lines) - len(kept)} more lines not shown (size limit)\n"


def _size(text: str) -> int:
    return len(text.encode("utf-8"))
