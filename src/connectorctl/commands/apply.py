"""`connectorctl apply`: the plan, rendered as `plan` renders it, confirmed, then executed."""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TextIO

from connectorctl.api.session import Session, open_session
from connectorctl.commands._output import print_notes, print_problems
from connectorctl.commands._targets import check_prune_selection, deletion_for, prepare_apply
from connectorctl.config import ApplyOptions, Selection
from connectorctl.errors import ConnectorctlError, ExitCode, PlanFileError, UsageError
from connectorctl.model import Change, Desired, Plan
from connectorctl.reconcile import Deletion
from connectorctl.results import ApplyResult

if TYPE_CHECKING:
    from connectorctl.report.progress import ProgressReporter

CONFIRM_PROMPT = "Apply these changes? Only 'yes' will be accepted."


class ApplyCancelled(ConnectorctlError):
    """The confirmation was declined."""


class _Shown:
    """What stdout got so far: with --format json it must end up holding exactly one document."""

    def __init__(self, fmt: str) -> None:
        self.json = fmt == "json"
        self.plan: Plan | None = None
        self.document = False

    def error_document(self, exc: BaseException) -> None:
        """With --format json and nothing printed yet: a document that carries the error."""
        if not self.json or self.document:
            return
        self.document = True
        _write(sys.stdout, error_document(self.plan, exc))


def error_document(plan: Plan | None, exc: BaseException) -> str:
    """The plan document (when there is one) with no results and `error`: message, exit code."""
    from connectorctl.planfile import json_text, plan_to_dict
    from connectorctl.report.apply_json import apply_document

    if isinstance(exc, ConnectorctlError):
        message, code = str(exc), int(exc.exit_code)
    else:
        message, code = "interrupted", int(ExitCode.INTERRUPTED)
    document: dict[str, Any] = {} if plan is None else apply_document(plan_to_dict(plan), [])
    document["error"] = {"message": message, "exit_code": code}
    return json_text(document)


def run(options: ApplyOptions) -> int:
    """Plan (or read `--plan FILE`), show it, confirm, apply, wait, verify; return the exit code."""
    from connectorctl.project import ConfigProblems
    from connectorctl.reconcile import ManifestProblems
    from connectorctl.report.problems import resolve_format

    env: Mapping[str, str] = os.environ
    fmt = resolve_format(options.output_format, env)
    shown = _Shown(fmt)
    try:
        return _run(options, env, fmt, shown)
    except (ManifestProblems, ConfigProblems):
        raise  # their report is the document
    except (ConnectorctlError, KeyboardInterrupt) as exc:
        shown.error_document(exc)
        raise


def _run(options: ApplyOptions, env: Mapping[str, str], fmt: str, shown: _Shown) -> int:
    _check_options(options)
    options, env, reviewed = prepare_apply(options, env, fmt)
    desired = None if reviewed else _load_desired(options, env, fmt)
    deletion = _deletion(options, env)
    with open_session(options.target, env) as session:
        plan = reviewed or _make_plan(session, options, desired or (), env, deletion)
        shown.plan = plan
        _check_target(plan, session, options)
        return _apply(session, plan, desired, options, fmt, env, shown)


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
    if options.prune:
        if options.plan_file:
            raise UsageError("--prune plans deletes; a saved plan already holds its own")
        check_prune_selection(selection)


def _load_desired(options: ApplyOptions, env: Mapping[str, str], fmt: str) -> tuple[Desired, ...]:
    from connectorctl.reconcile import ManifestProblems, load_desired

    try:
        return load_desired(options.selection, env)
    except ManifestProblems as exc:
        print_problems(exc.problems, fmt)
        raise


def _deletion(options: ApplyOptions, env: Mapping[str, str]) -> Deletion:
    """The target's prune scope (the config is read again: apply keeps no TargetRun)."""
    from connectorctl.project import find_config, load_config
    from connectorctl.targets import TargetRun

    found = find_config(options.project.config, env)
    config = None if found is None else load_config(found)
    name = None if options.target.selected is None else options.target.selected.name
    run = TargetRun(name, options.target, options.selection, env, config)
    return deletion_for(
        run, Selection(), prune=options.prune, allow_delete_published=options.allow_delete_published
    )


def _make_plan(
    session: Session,
    options: ApplyOptions,
    desired: tuple[Desired, ...],
    env: Mapping[str, str],
    deletion: Deletion,
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
        deletion=deletion,
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
    shown: _Shown,
) -> int:
    from connectorctl.apply import converge
    from connectorctl.apply import executor as apply

    if fmt != "json":
        _write(sys.stdout, _plan_text(plan, fmt, env))
    desired_by_key = None if desired is None else apply.desired_index(desired)
    if not plan.has_changes:
        return _finish(plan, apply.execute_plan(session.client, plan, desired_by_key), fmt, shown)
    for kind in _kinds(plan):
        session.client.check_scope(kind, write=True)
    if options.plan_file is None:  # a saved plan is the approval
        _confirm(options, plan if fmt == "json" else None, deletes=_deletes(plan))
    with _Interrupts(lambda: shown.error_document(KeyboardInterrupt())) as interrupts:
        progress = _progress(plan)
        settings = apply.ApplySettings(
            parallelism=options.parallelism,
            retry_failed=options.retry_failed,
            stopped=interrupts.is_set,
            wait=options.timeout if options.wait else None,
            allow_delete_published=options.allow_delete_published,
            progress=progress,
            timeout=options.timeout,
            lookup=env.get,
            wait_lines=_stderr_line if options.wait else None,
        )
        try:
            result = apply.execute_plan(session.client, plan, desired_by_key, settings)
        finally:
            progress.close()
        if options.wait and not interrupts.is_set():
            result = _wait(session, result, options, interrupts.is_set)
        if interrupts.is_set():
            result = _interrupted(result)
        else:
            result = converge.verify_convergence(
                session.client, plan, result, desired_by_key, options.parallelism
            )
    code = _finish(plan, result, fmt, shown)
    return ExitCode.INTERRUPTED if interrupts.is_set() else code


def _plan_text(plan: Plan, fmt: str, env: Mapping[str, str]) -> str:
    """The plan as `plan` prints it; with nothing to send, apply's conclusion replaces its summary.

    (A blocked plan would otherwise say "No changes." and then fail.)
    """
    from connectorctl.report.common import summary_line
    from connectorctl.report.plan import render_plan, use_color

    text = render_plan(plan, fmt, color=use_color(sys.stdout, env))
    if plan.has_changes:
        return text
    lines = text.rstrip("\n").split("\n")
    summary = summary_line(plan)
    ends = [i for i, line in enumerate(lines) if summary in line]
    if ends:
        del lines[ends[-1]]
    return "\n".join(lines) + "\n"  # the blank line before the summary stays


def _progress(plan: Plan) -> ProgressReporter:
    """Progress on stderr; the unchanged resources are done from the start."""
    from connectorctl.model import Change
    from connectorctl.report.progress import ProgressReporter

    progress = ProgressReporter(sys.stderr, total=len(plan.connectors))
    progress.unchanged(plan.count(Change.UNCHANGED))
    return progress


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

    def __init__(self, abandoned: Callable[[], None] = lambda: None) -> None:
        import threading

        self._event = threading.Event()
        self._previous: object = None
        self._abandoned = abandoned

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
            self._abandoned()
            os._exit(ExitCode.INTERRUPTED)
        self._event.set()
        sys.stderr.write(
            "\ninterrupted: no new connector starts; started ones finish their requests "
            "(Ctrl-C again to abandon them)\n"
        )
        sys.stderr.flush()


def _deletes(plan: Plan) -> int:
    return sum(1 for c in plan.connectors if c.change in (Change.DELETE, Change.REPLACE))


def _prompt(deletes: int) -> str:
    """The confirmation question; it says how many resources will be deleted."""
    if not deletes:
        return CONFIRM_PROMPT
    noun = "resource" if deletes == 1 else "resources"
    return (
        f"{deletes} {noun} will be DELETED (a ConnectorStaged takes its published Connector with "
        f"it). {CONFIRM_PROMPT}"
    )


def _confirm(options: ApplyOptions, unshown: Plan | None, *, deletes: int = 0) -> None:
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
    sys.stderr.write(f"\n{_prompt(deletes)}\n  Enter a value: ")
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


def _finish(plan: Plan, result: ApplyResult, fmt: str, shown: _Shown) -> int:
    from connectorctl.report.results import render_outcomes

    separator = "\n" if fmt != "json" and plan.has_changes else ""
    shown.document = True
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
