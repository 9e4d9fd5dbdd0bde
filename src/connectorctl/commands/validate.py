"""`connectorctl validate`: check manifests offline and report every problem."""

from __future__ import annotations

import os

import click

from connectorctl.config import Selection
from connectorctl.errors import ExitCode
from connectorctl.manifest.loader import load_manifests
from connectorctl.report.problems import render_problems, resolve_format


def run(selection: Selection, output_format: str) -> int:
    """Validate the selected manifests; exit 0 when clean, 1 when any problem is found."""
    env = dict(os.environ)
    result = load_manifests(selection, env)
    fmt = resolve_format(output_format, env)
    click.echo(render_problems(result.problems, fmt), nl=False)
    if fmt != "json" and not result.problems:
        count = len(result.desired)
        click.echo(f"{count} manifest{'' if count == 1 else 's'} valid", err=True)
    return ExitCode.PROBLEMS if result.problems else ExitCode.OK
