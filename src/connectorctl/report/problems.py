"""Problem reporters (text, json, github), picked from a dict; `auto` chooses for the CI."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from connectorctl.model import Problem
from connectorctl.planfile import json_text
from connectorctl.report.escape import github_message, github_property, safe_text


def resolve_format(fmt: str, env: Mapping[str, str]) -> str:
    """`auto` → github when GITHUB_ACTIONS is set, else text; any other format unchanged."""
    if fmt != "auto":
        return fmt
    return "github" if env.get("GITHUB_ACTIONS") else "text"


def render_problems(problems: Sequence[Problem], fmt: str) -> str:
    """The problems in one format (text | json | github; any other prints text), newline-ended."""
    return REPORTERS.get(fmt, _text)(problems)


def _text(problems: Sequence[Problem]) -> str:
    lines = [safe_text(str(problem)) for problem in problems]
    lines.append(_count(problems))
    return "\n".join(lines) + "\n"


def _count(problems: Sequence[Problem]) -> str:
    if not problems:
        return "no problems"
    files = len({problem.file for problem in problems})
    noun = "problem" if len(problems) == 1 else "problems"
    where = "1 file" if files == 1 else f"{files} files"
    return f"{len(problems)} {noun} in {where}"


def _json(problems: Sequence[Problem]) -> str:
    rows = [{"file": p.file, "line": p.line, "col": p.col, "message": p.message} for p in problems]
    return json_text({"problems": rows}) + "\n"


def _github(problems: Sequence[Problem]) -> str:
    annotations = [
        f"::error file={github_property(p.file)},line={p.line},col={p.col}"
        f"::{github_message(p.message)}"
        for p in problems
    ]
    return _text(problems) + "".join(line + "\n" for line in annotations)


REPORTERS: dict[str, Callable[[Sequence[Problem]], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
}
