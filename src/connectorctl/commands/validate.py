"""`connectorctl validate`: check manifests offline and report every problem."""

from __future__ import annotations

import json
import os

import click

from connectorctl.commands._targets import combine_exit_codes, runs, section_header
from connectorctl.config import ProjectOptions, Selection, TargetOptions
from connectorctl.errors import ExitCode
from connectorctl.manifest.loader import LoadResult, load_manifests
from connectorctl.report.problems import render_problems, resolve_format
from connectorctl.targets import TargetRun


def run(selection: Selection, output_format: str, project: ProjectOptions | None = None) -> int:
    """Validate the selected manifests; exit 0 when clean, 1 when any problem is found."""
    env = dict(os.environ)
    fmt = resolve_format(output_format, env)
    project = project or ProjectOptions()
    target_runs = runs(project, TargetOptions(), selection, env, fmt)
    if project.all_targets:
        return _run_all(target_runs, fmt)
    result = load_manifests(target_runs[0].selection, target_runs[0].env)
    _report(result, fmt)
    return ExitCode.PROBLEMS if result.problems else ExitCode.OK


def _report(result: LoadResult, fmt: str) -> None:
    click.echo(render_problems(result.problems, fmt), nl=False)
    if fmt != "json" and not result.problems:
        count = len(result.desired)
        click.echo(f"{count} manifest{'' if count == 1 else 's'} valid", err=True)


def _run_all(target_runs: list[TargetRun], fmt: str) -> int:
    """Every target in turn: a section each, or `{"targets": [{"name", "problems"}]}` in JSON."""
    codes: list[int] = []
    sections: list[dict[str, object]] = []
    for index, target_run in enumerate(target_runs):
        result = load_manifests(target_run.selection, target_run.env)
        codes.append(ExitCode.PROBLEMS if result.problems else ExitCode.OK)
        if fmt == "json":
            problems = json.loads(render_problems(result.problems, "json"))["problems"]
            sections.append({"name": target_run.name, "problems": problems})
            continue
        click.echo(("\n" if index else "") + section_header(target_run.name, fmt), nl=False)
        click.echo(render_problems(result.problems, fmt), nl=False)
        if not result.problems:
            count = len(result.desired)
            click.echo(f"{count} manifest{'' if count == 1 else 's'} valid for {target_run.name}")
    if fmt == "json":
        click.echo(json.dumps({"targets": sections}, indent=2, ensure_ascii=False))
    return combine_exit_codes(codes)
