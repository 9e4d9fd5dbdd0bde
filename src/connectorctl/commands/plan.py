"""`connectorctl plan`: manifests × live state → the plan, rendered and optionally saved.

With `--all-targets`, one plan per connectorctl.yaml target: a section each, one PlanSet in JSON.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from connectorctl.api.session import open_session
from connectorctl.commands._output import print_notes, print_problems, write
from connectorctl.commands._targets import (
    combine_exit_codes,
    deletion_for,
    runs,
    section_header,
)
from connectorctl.config import PlanOptions
from connectorctl.errors import ConnectorctlError, ExitCode, UsageError
from connectorctl.model import Plan
from connectorctl.reconcile import ManifestProblems, PlanResult, build_plan, load_for_target
from connectorctl.targets import TargetRun


def run(options: PlanOptions) -> int:
    """Plan, print it in the chosen format, write `--out`; return the documented exit code."""
    from connectorctl import planfile
    from connectorctl.report import plan as render
    from connectorctl.report.problems import resolve_format

    env = os.environ
    fmt = resolve_format(options.output_format, env)
    if options.out == "-" and fmt != "json":
        raise UsageError("--out - (stdout) needs --format json: stdout holds the plan as text")
    target_runs = runs(options.project, options.target, options.selection, env, fmt)
    if options.project.all_targets:
        return _run_all(target_runs, options, fmt)
    result = _plan(target_runs[0], options, fmt)
    print_notes(result.notes)
    saved = planfile.plan_to_json(result.plan)
    if options.out and options.out != "-":  # `-` is stdout, where the JSON plan goes anyway
        _save(options.out, saved)
    shown = _as_saved(saved)
    write(sys.stdout, render.render_plan(shown, fmt, color=render.use_color(sys.stdout, env)))
    return plan_exit_code(result.plan, detailed=options.detailed_exitcode)


def _plan(target_run: TargetRun, options: PlanOptions, fmt: str) -> PlanResult:
    from connectorctl import planfile

    env = target_run.env
    try:
        desired, elsewhere = load_for_target(target_run.selection, env)
    except ManifestProblems as exc:
        if fmt == "json" and options.project.all_targets:
            # stdout holds the one PlanSet document; the problems go to stderr.
            from connectorctl.report.problems import render_problems

            write(sys.stderr, render_problems(exc.problems, "text"))
        else:
            print_problems(exc.problems, fmt)
        raise
    deletion = deletion_for(
        target_run,
        options.selection,
        prune=options.prune,
        allow_delete_published=options.allow_delete_published,
    )
    with open_session(target_run.target, env) as session:
        return build_plan(
            session,
            desired,
            by_key=bool(target_run.selection.keys),
            created_at=planfile.created_at(env),
            retry_failed=options.retry_failed,
            elsewhere=elsewhere,
            deletion=deletion,
            redeploy=options.redeploy,
            allow_replace=options.allow_replace,
        )


def _run_all(target_runs: list[TargetRun], options: PlanOptions, fmt: str) -> int:
    """One plan per target, a section each; a target that fails does not stop the others."""
    from connectorctl.planfile import plan_to_json
    from connectorctl.planset import planset_to_json
    from connectorctl.report import plan as render

    plans: list[Plan] = []
    codes: list[int] = []
    color = render.use_color(sys.stdout, os.environ)
    for index, target_run in enumerate(target_runs):
        if fmt != "json":
            write(sys.stdout, ("\n" if index else "") + section_header(target_run.name, fmt))
        try:
            result = _plan(target_run, options, fmt)
        except ConnectorctlError as exc:
            print(f"error: target {target_run.name}: {exc}", file=sys.stderr, flush=True)
            codes.append(exc.exit_code)
            continue
        print_notes(result.notes)
        plans.append(result.plan)
        codes.append(plan_exit_code(result.plan, detailed=options.detailed_exitcode))
        if fmt != "json":
            shown = _as_saved(plan_to_json(result.plan))
            write(sys.stdout, render.render_plan(shown, fmt, color=color))
    if fmt == "json":
        write(sys.stdout, planset_to_json(plans))
    if options.out and options.out != "-":
        if len(plans) == len(target_runs):
            _save(options.out, planset_to_json(plans))
        else:
            print(f"error: {options.out} not written: not every target planned", file=sys.stderr)
            codes.append(ExitCode.PROBLEMS)
    return combine_exit_codes(codes)


def _as_saved(saved: str) -> Plan:
    """The plan as read back from its saved form (documented key order): what `show FILE`
    renders, so that both print the same bytes."""
    from connectorctl.planfile import plan_from_dict

    return plan_from_dict(json.loads(saved), trusted=True)


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
