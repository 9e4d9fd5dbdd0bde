"""`connectorctl plan`: manifests × live state → the plan, rendered and optionally saved."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from connectorctl.api.session import open_session
from connectorctl.commands._output import print_notes, print_problems, write
from connectorctl.config import PlanOptions
from connectorctl.errors import ConnectorctlError, ExitCode, UsageError
from connectorctl.model import Plan
from connectorctl.reconcile import ManifestProblems, build_plan, load_desired


def run(options: PlanOptions) -> int:
    """Plan, print it in the chosen format, write `--out`; return the documented exit code."""
    from connectorctl import planfile
    from connectorctl.report import plan as render
    from connectorctl.report.problems import resolve_format

    env = os.environ
    fmt = resolve_format(options.output_format, env)
    if options.out == "-" and fmt != "json":
        raise UsageError("--out - (stdout) needs --format json: stdout holds the plan as text")
    try:
        desired = load_desired(options.selection, env)
    except ManifestProblems as exc:
        print_problems(exc.problems, fmt)
        raise
    with open_session(options.target, env) as session:
        result = build_plan(
            session,
            desired,
            by_key=bool(options.selection.keys),
            created_at=planfile.created_at(env),
            retry_failed=options.retry_failed,
        )
    print_notes(result.notes)
    saved = planfile.plan_to_json(result.plan)
    if options.out and options.out != "-":  # `-` is stdout, where the JSON plan goes anyway
        _save(options.out, saved)
    # Rendered from its saved form (documented key order): `show FILE` prints the same bytes.
    shown = planfile.plan_from_dict(json.loads(saved))
    write(sys.stdout, render.render_plan(shown, fmt, color=render.use_color(sys.stdout, env)))
    return plan_exit_code(result.plan, detailed=options.detailed_exitcode)


def plan_exit_code(plan: Plan, *, detailed: bool) -> int:
    """1 when any connector has an error, else 2 for changes with --detailed-exitcode, else 0."""
    if plan.has_errors:
        return ExitCode.PROBLEMS
    if detailed and plan.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


def _save(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConnectorctlError(f"cannot write the plan to {path}: {exc.strerror}") from exc
