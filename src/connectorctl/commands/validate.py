"""`connectorctl validate`: check manifests offline and report every problem."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import click

from connectorctl.commands._targets import combine_exit_codes, runs, section_header
from connectorctl.config import ProjectOptions, Selection, TargetOptions
from connectorctl.errors import ExitCode
from connectorctl.manifest.loader import LoadResult, load_manifests
from connectorctl.model import Problem
from connectorctl.report.escape import github_message, github_property, safe_text
from connectorctl.report.problems import render_problems, resolve_format
from connectorctl.targets import TargetRun


def run(
    selection: Selection,
    output_format: str,
    project: ProjectOptions | None = None,
    *,
    allow_undefined_vars: bool = False,
) -> int:
    """Validate the selected manifests; exit 0 when clean, 1 when any problem is found.

    With `allow_undefined_vars`, an undefined `${VAR}` is a warning, not a problem.
    """
    env = dict(os.environ)
    fmt = resolve_format(output_format, env)
    project = project or ProjectOptions()
    target_runs = runs(project, TargetOptions(), selection, env, fmt)
    if project.all_targets:
        return _run_all(target_runs, fmt, allow_undefined_vars)
    result = load_manifests(
        target_runs[0].selection, target_runs[0].env, allow_undefined_vars=allow_undefined_vars
    )
    _report(result, fmt)
    return ExitCode.PROBLEMS if result.problems else ExitCode.OK


def _report(result: LoadResult, fmt: str) -> None:
    click.echo(_render(result.problems, result.warnings, fmt), nl=False)
    if fmt != "json" and not result.problems:
        count = len(result.desired)
        click.echo(f"{count} manifest{'' if count == 1 else 's'} valid", err=True)


def _run_all(target_runs: list[TargetRun], fmt: str, allow_undefined_vars: bool) -> int:
    """Every target in turn: a section each, or `{"targets": [{"name", "problems"}]}` in JSON."""
    codes: list[int] = []
    sections: list[dict[str, object]] = []
    for index, target_run in enumerate(target_runs):
        result = load_manifests(
            target_run.selection, target_run.env, allow_undefined_vars=allow_undefined_vars
        )
        codes.append(ExitCode.PROBLEMS if result.problems else ExitCode.OK)
        if fmt == "json":
            problems = json.loads(render_problems(result.problems, "json"))["problems"]
            sections.append({"name": target_run.name, "problems": problems})
            continue
        click.echo(("\n" if index else "") + section_header(target_run.name, fmt), nl=False)
        click.echo(_render(result.problems, result.warnings, fmt), nl=False)
        if not result.problems:
            count = len(result.desired)
            click.echo(f"{count} manifest{'' if count == 1 else 's'} valid for {target_run.name}")
    if fmt == "json":
        click.echo(json.dumps({"targets": sections}, indent=2, ensure_ascii=False))
    return combine_exit_codes(codes)


def _render(problems: Sequence[Problem], warnings: Sequence[Problem], fmt: str) -> str:
    """The problems report, with the warnings before it (in the json document: `warnings`)."""
    report = render_problems(problems, fmt)
    if not warnings:
        return report
    if fmt == "json":
        document = json.loads(report)
        document["warnings"] = [
            {"file": w.file, "line": w.line, "col": w.col, "message": w.message} for w in warnings
        ]
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    lines = [safe_text(f"{w.file}:{w.line}:{w.col}: warning: {w.message}") for w in warnings]
    if fmt == "github":
        lines += [
            f"::warning file={github_property(w.file)},line={w.line},col={w.col}"
            f"::{github_message(w.message)}"
            for w in warnings
        ]
    return "".join(line + "\n" for line in lines) + report
