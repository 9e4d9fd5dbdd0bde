"""`connectorctl emulator`: serve the local Connect API."""

from __future__ import annotations

import click


@click.command("emulator")
def emulator_command() -> int:
    """Serve the local Connect API emulator."""
    raise click.ClickException("the emulator is not built yet")
