"""`connectorctl completion SHELL`: the completion script, and --key values from the manifests."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click
from click.shell_completion import get_completion_class

from connectorctl.config import Selection
from connectorctl.errors import ExitCode, UsageError

PROG = "connectorctl"
COMPLETE_VAR = "_CONNECTORCTL_COMPLETE"


def run(cli: click.Command, shell: str) -> int:
    """Print the completion script for `shell` (click's, for the `connectorctl` program)."""
    completion_class = get_completion_class(shell)
    if completion_class is None:
        raise UsageError(f"no completion for shell {shell!r}; choose bash, zsh or fish")
    script = completion_class(cli, {}, PROG, COMPLETE_VAR).source()
    sys.stdout.write(script if script.endswith("\n") else script + "\n")
    return ExitCode.OK


def manifest_keys(paths: Sequence[str], incomplete: str) -> list[str]:
    """Keys of the valid manifests under `paths` (default ".") that start with `incomplete`."""
    from connectorctl.manifest.loader import load_manifests

    try:
        loaded = load_manifests(Selection(paths=tuple(paths)), os.environ)
    except Exception:
        return []
    return sorted({d.key for d in loaded.desired if d.key.startswith(incomplete)})
