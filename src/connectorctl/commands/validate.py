"""`connectorctl validate`: check manifests offline and report every problem."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence

import click

from connectorctl.config import Selection
from connectorctl.errors import ExitCode
from connectorctl.manifest.loader import load_manifests
from connectorctl.model import Problem
from connectorctl.report.escape import github_message, github_property, safe_text
from connectorctl.report.problems import render_problems, resolve_format


def run(selection: Selection, output_format: str, *, allow_undefined_vars: bool = False) -> int:
    """Validate the selected manifests; exit 0 when clean, 1 when any problem is found.

    With `allow_undefined_vars`, an undefined `${VAR}` is a warning, not a problem.
    """
    env = dict(os.environ)
    result = load_manifests(selection, env, allow_undefined_vars=allow_undefined_vars)
    fmt = resolve_format(output_format, env)
    click.echo(_render(result.problems, result.warnings, fmt), nl=False)
    if fmt != "json" and not result.problems:
        count = len(result.desired)
        click.echo(f"{count} manifest{'' if count == 1 else 's'} valid", err=True)
    return ExitCode.PROBLEMS if result.problems else ExitCode.OK


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
