"""`connectorctl plan`: manifests × live state → the plan, rendered; `apply` shares `build_plan`."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from connectorctl.api.remote import RemoteState, fetch_remote
from connectorctl.api.session import Session, open_session
from connectorctl.config import PlanOptions, Selection
from connectorctl.errors import ConnectorctlError, ExitCode, ManifestError, UsageError
from connectorctl.model import Desired, Plan

# Problems are reported with the validate reporters; markdown has none of its own.
_PROBLEM_FORMATS = {"markdown": "text"}


@dataclass(frozen=True)
class PlanResult:
    """A plan with what it was made from."""

    plan: Plan
    desired: tuple[Desired, ...]
    remote: RemoteState


def run(options: PlanOptions) -> int:
    """Plan, print it in the chosen format, write `--out`; return the documented exit code."""
    from connectorctl import planfile
    from connectorctl.report import plan as render
    from connectorctl.report.problems import resolve_format

    env = os.environ
    fmt = resolve_format(options.output_format, env)
    desired = load_desired(options.selection, env, fmt)
    with open_session(options.target, env) as session:
        result = build_plan(
            session, options.selection, retry_failed=options.retry_failed, env=env, desired=desired
        )
    if options.out:
        _write(options.out, planfile.plan_to_json(result.plan))
    text = render.render_plan(result.plan, fmt, color=render.use_color(sys.stdout, env))
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return plan_exit_code(result.plan, detailed=options.detailed_exitcode)


def build_plan(
    session: Session,
    selection: Selection,
    *,
    retry_failed: bool = False,
    env: Mapping[str, str] | None = None,
    desired: Sequence[Desired] | None = None,
    problem_format: str = "text",
) -> PlanResult:
    """Load the manifests (unless given), read the live state, diff: the one plan pipeline.

    Manifest problems are printed and raise ManifestError before anything is fetched.
    """
    from connectorctl import planfile
    from connectorctl.planning import make_plan

    env = os.environ if env is None else env
    if desired is None:
        desired = load_desired(selection, env, problem_format)
    remote = fetch_remote(session.client, [d.key for d in desired], by_key=bool(selection.keys))
    for note in remote.notes:
        print(f"warning: {note}", file=sys.stderr)
    plan = make_plan(
        desired,
        remote.by_key,
        target=session.target,
        created_at=planfile.created_at(env),
        unmanaged=remote.unmanaged,
        retry_failed=retry_failed,
    )
    return PlanResult(plan=plan, desired=tuple(desired), remote=remote)


def load_desired(
    selection: Selection, env: Mapping[str, str], problem_format: str = "text"
) -> tuple[Desired, ...]:
    """The selected manifests; problems are printed and raise ManifestError."""
    from connectorctl.manifest.loader import load_manifests
    from connectorctl.report.problems import render_problems

    loaded = load_manifests(selection, env)
    if loaded.problems:
        fmt = _PROBLEM_FORMATS.get(problem_format, problem_format)
        text = render_problems(loaded.problems, fmt)
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        raise ManifestError(f"{len(loaded.problems)} problem(s) in the manifests; nothing planned")
    return select_keys(loaded.desired, selection.keys)


def select_keys(desired: Sequence[Desired], keys: Sequence[str]) -> tuple[Desired, ...]:
    """Only the connectors named by `--key` (all without it); an unknown key is an error."""
    if not keys:
        return tuple(desired)
    known = {d.key for d in desired}
    unknown = [k for k in dict.fromkeys(keys) if k not in known]
    if unknown:
        raise UsageError("no manifest has the key " + ", ".join(repr(k) for k in unknown))
    wanted = set(keys)
    return tuple(d for d in desired if d.key in wanted)


def plan_exit_code(plan: Plan, *, detailed: bool) -> int:
    """1 when any connector has an error, else 2 for changes with --detailed-exitcode, else 0."""
    if plan.has_errors:
        return ExitCode.PROBLEMS
    if detailed and plan.has_changes:
        return ExitCode.CHANGES
    return ExitCode.OK


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ConnectorctlError(f"cannot write the plan to {path}: {exc.strerror}") from exc
