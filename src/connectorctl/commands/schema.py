"""`connectorctl schema`: print the manifest (or config) JSON Schema for editors."""

from __future__ import annotations

from pathlib import Path

import click

from connectorctl.errors import ExitCode, UsageError
from connectorctl.resources import schema_text


def run(output: str | None) -> int:
    """Write the manifest schema to `output`, or print it."""
    return _write(schema_text("manifest.schema.json"), output)


def run_config(output: str | None) -> int:
    """Write the connectorctl.yaml schema to `output`, or print it."""
    return _write(schema_text("config.schema.json"), output)


def _write(text: str, output: str | None) -> int:
    if output is None:
        click.echo(text, nl=not text.endswith("\n"))
        return ExitCode.OK
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from exc
    click.echo(f"wrote {output}", err=True)
    return ExitCode.OK
