"""`connectorctl apply`: the plan, rendered as `plan` renders it, confirmed, then executed."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from typing import TextIO

from connectorctl.api.session import Session, open_session
from connectorctl.commands._output import print_notes, print_problems
from connectorctl.commands._targets import prepare_apply
from connectorctl.config import ApplyOptions
from connectorctl.errors import ConnectorctlError, ExitCode, PlanFileError, UsageError
from connectorctl.model import Desired, Plan
from connectorctl.results import ApplyResult

CONFIRM_PROMPT = "Apply these changes? Only 'yes' will be accepted."


class ApplyCancelled(ConnectorctlError):
    """The confirmation was declined."""


def run(options: ApplyOptions) -> int:
    """Plan (or read `--plan FILE`), show it, confirm, apply, wait, verify; return the exit code."""
    from connectorctl.report.problems import resolve_format

    env: Mapping[str, str] = os.environ
    fmt = resolve_format(options.output_format, env)
    _check_options(options)
    options, env, reviewed = prepare_apply(options, env, fmt)
    desired = None if reviewed else _load_desired(options, env, fmt)
    with open_session(options.target, env) as session:
        plan = reviewed or _make_plan(session, options, desired or (), env)
        _check_target(plan, session, options)
        return _apply(session, plan, desired, options, fmt, env)


def _check_options(options: ApplyOptions) -> None:
    selection = options.selection
    if options.plan_file and (selection.paths or selection.keys or selection.excludes):
        raise UsageError(
            "--plan FILE applies exactly the saved plan: give no PATH, --key or --exclude with it"
        )
    if options.plan_file and (options.redeploy or options.allow_replace):
        raise UsageError(
            "--plan FILE applies the saved plan as reviewed: give --redeploy and "
            "--allow-replace to the plan command instead"
        )
    if not math.isfinite(options.timeout) or options.timeout <= 0:
        raise UsageError("--timeout must be a positive number of seconds")


def _load_desired(options: ApplyOptions, env: Mapping[str, str], fmt: str) -> tuple[Desired, ...]:
    from connectorctl.reconcile import ManifestProblems, load_desired

    try:
        return load_desired(options.selection, env)
    except ManifestProblems as exc:
        print_problems(exc.problems, fmt)
        raise


def _make_plan(
    session: Session, options: ApplyOptions, desired: tuple[Desired, ...], env: Mapping[str, str]
) -> Plan:
    from connectorctl.planfile import created_at
    from connectorctl.reconcile import build_plan, declared_elsewhere

    result = build_plan(
        session,
        desired,
        by_key=bool(options.selection.keys),
        created_at=created_at(env),
        retry_failed=options.retry_failed,
        elsewhere=declared_elsewhere(options.selection, env),
        redeploy=options.redeploy,
        allow_replace=options.allow_replace,
    )
    print_notes(result.notes)
    return result.plan


def _check_target(plan: Plan, session: Session, options: ApplyOptions) -> None:
    """A reviewed plan is only good for the project it was made against."""
    if options.plan_file is None:
        return
    if plan.target.project_key != session.target.project_key:
        raise PlanFileError(
            f"the plan is for project {plan.target.project_key!r}, "
            f"the target is project {session.target.project_key!r}"
        )
    if plan.target.connect_url != session.target.connect_url:
        raise PlanFileError(
            f"the plan is for {plan.target.connect_url}, the target is {session.target.connect_url}"
        )


def _apply(
    session: Session,
    plan: Plan,
    desired: tuple[Desired, ...] | None,
    options: ApplyOptions,
    fmt: str,
    env: Mapping[str, str],
) -> int:
    from connectorctl.apply import converge
    from connectorctl.apply import executor as apply
    from connectorctl.report.plan import render_plan, use_color

    if fmt != "json":
        _write(sys.stdout, render_plan(plan, fmt, color=use_color(sys.stdout, env)))
    desired_by_key = None if desired is None else apply.desired_index(desired)
    if not plan.has_changes:
        return _finish(plan, apply.execute_plan(session.client, plan, desired_by_key), fmt)
    for kind in _kinds(plan):
        session.client.check_scope(kind, write=True)
    if options.plan_file is None:  # a saved plan is the approval
        _confirm(options, plan if fmt == "json" else None)
    with _Interrupts() as interrupts:
        settings = apply.ApplySettings(
            parallelism=options.parallelism,
            retry_failed=options.retry_failed,
            stopped=interrupts.is_set,
            wait=options.timeout if options.wait else None,
            timeout=options.timeout,
            lookup=env.get,
            progress=_stderr_line if options.wait else None,
        )
        result = apply.execute_plan(session.client, plan, desired_by_key, settings)
        if options.wait and not interrupts.is_set():
            result = _wait(session, result, options, interrupts.is_set)
        if interrupts.is_set():
            result = _interrupted(result)
        else:
            result = converge.verify_convergence(
                session.client, plan, result, desired_by_key, options.parallelism
            )
    code = _finish(plan, result, fmt)
    return ExitCode.INTERRUPTED if interrupts.is_set() else code


def _kinds(plan: Plan) -> list[str]:
    """The resource kinds the plan would write (scopes are checked per kind)."""
    from connectorctl.model import CHANGING

    return list(dict.fromkeys(c.kind for c in plan.connectors if c.change in CHANGING))


def _interrupted(result: ApplyResult) -> ApplyResult:
    """After Ctrl-C: what was written is not verified (no convergence read follows)."""
    from connectorctl.apply.converge import not_verified

    return ApplyResult(
        tuple(
            not_verified(o, "interrupted before the convergence check") if o.touched else o
            for o in result.outcomes
        )
    )


class _Interrupts:
    """SIGINT during apply: the first stops new work, a second abandons requests in flight."""

    def __init__(self) -> None:
        import threading

        self._event = threading.Event()
        self._previous: object = None

    def is_set(self) -> bool:
        return self._event.is_set()

    def __enter__(self) -> _Interrupts:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)  # type: ignore[arg-type]

    def _handle(self, signum: int, frame: object) -> None:
        if self._event.is_set():
            sys.stderr.write("\ninterrupted again: requests in flight abandoned\n")
            sys.stderr.flush()
            os._exit(ExitCode.INTERRUPTED)
        self._event.set()
        sys.stderr.write(
            "\ninterrupted: no new connector starts; started ones finish their requests "
            "(Ctrl-C again to abandon them)\n"
        )
        sys.stderr.flush()


def _confirm(options: ApplyOptions, unshown: Plan | None) -> None:
    """Ask on a terminal; refuse without --auto-approve anywhere else.

    `unshown` is a plan not printed yet (stdout carries json): it is shown on stderr first.
    """
    from connectorctl.report.plan import render_plan

    if options.auto_approve:
        return
    if not _is_tty(sys.stdin):
        raise UsageError(
            "refusing to apply without confirmation: stdin is not a terminal; "
            "review the plan and pass --auto-approve"
        )
    if unshown is not None:
        _write(sys.stderr, render_plan(unshown, "text"))
    sys.stderr.write(f"\n{CONFIRM_PROMPT}\n  Enter a value: ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    if answer.strip() != "yes":
        raise ApplyCancelled("apply cancelled")


def _wait(
    session: Session, result: ApplyResult, options: ApplyOptions, stopped: Callable[[], bool]
) -> ApplyResult:
    from connectorctl.apply.converge import WaitSettings, wait_for_lifecycle

    tty = _is_tty(sys.stderr)
    progress = _Progress(sys.stderr, tty=tty)
    settings = WaitSettings(
        timeout=options.timeout, tty=tty, parallelism=options.parallelism, stopped=stopped
    )
    try:
        return wait_for_lifecycle(session.client, result, progress.line, settings)
    finally:
        progress.done()


class _Progress:
    """Wait progress on stderr: one line rewritten in place on a terminal, plain lines in logs."""

    def __init__(self, stream: TextIO, *, tty: bool) -> None:
        self.stream = stream
        self.tty = tty
        self.width = 0

    def line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r" + text.ljust(self.width))
            self.width = max(self.width, len(text))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and self.width:
            self.stream.write("\n")
            self.stream.flush()


def _finish(plan: Plan, result: ApplyResult, fmt: str) -> int:
    from connectorctl.report.results import render_outcomes

    if fmt != "json" and not plan.has_changes:
        _write(sys.stdout, "No changes to apply.")
    else:
        separator = "" if fmt == "json" else "\n"
        _write(sys.stdout, separator + render_outcomes(plan, result, fmt))
    return ExitCode.PROBLEMS if result.has_errors else ExitCode.OK


def _stderr_line(text: str) -> None:
    _write(sys.stderr, text)


def _write(stream: TextIO, text: str) -> None:
    stream.write(text if text.endswith("\n") else text + "\n")
    stream.flush()


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
