"""What every printing command shares: writing a block of text, and reporting manifest problems."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from connectorctl.model import Problem

# Problems are reported with the validate reporters; markdown has none of its own.
_PROBLEM_FORMATS = {"markdown": "text"}


def write(stream: TextIO, text: str) -> None:
    """Write `text` as whole lines and flush (CI logs interleave stdout and stderr)."""
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()


def print_problems(problems: Sequence[Problem], fmt: str) -> None:
    """Manifest problems on stdout, in the reporter of the command's format."""
    from connectorctl.report.problems import render_problems

    write(sys.stdout, render_problems(problems, _PROBLEM_FORMATS.get(fmt, fmt)))


def print_notes(notes: Sequence[str]) -> None:
    """Warnings about how the live state was read."""
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
