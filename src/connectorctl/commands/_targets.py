"""What commands share about connectorctl.yaml targets: the runs, section headers, exit codes."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

from connectorctl.commands._output import print_problems
from connectorctl.config import ApplyOptions, ProjectOptions, Selection, TargetOptions
from connectorctl.errors import ConfigError, ExitCode, UsageError
from connectorctl.model import Plan
from connectorctl.project import ConfigProblems
from connectorctl.reconcile import Deletion
from connectorctl.targets import TargetRun, target_runs

# Exit codes of several targets combine by severity, not by size.
_SEVERITY = (ExitCode.INTERRUPTED, ExitCode.INTERNAL, ExitCode.PROBLEMS, ExitCode.CHANGES)


def runs(
    project: ProjectOptions,
    target: TargetOptions,
    selection: Selection,
    env: Mapping[str, str],
    fmt: str,
    *,
    named: str | None = None,
    saved_plan: bool = False,
) -> list[TargetRun]:
    """The command's runs; problems in connectorctl.yaml are printed in the command's format."""
    try:
        return target_runs(project, target, selection, env, named=named, saved_plan=saved_plan)
    except ConfigProblems as exc:
        print_problems(exc.problems, fmt)
        raise


def combine_exit_codes(codes: Iterable[int]) -> int:
    """One exit code for several targets: 130 > 3 > 1 > 2 > 0."""
    found = set(codes)
    return next((int(code) for code in _SEVERITY if code in found), ExitCode.OK)


def section_header(name: str | None, fmt: str) -> str:
    """The line that opens one target's section in a run over every target."""
    from connectorctl.report.escape import markdown_code, safe_text

    label = "(none)" if name is None else name
    if fmt == "markdown":
        return f"## Target {markdown_code(label)}\n"
    return f"=== target {safe_text(label)} ===\n"


def prepare_apply(
    options: ApplyOptions, env: Mapping[str, str], fmt: str
) -> tuple[ApplyOptions, Mapping[str, str], Plan | None]:
    """The apply options for its one target, the variables, and the reviewed plan (`--plan`).

    A saved plan names its target; a PlanSet needs `--target`. The config's `defaults:` fill
    in the options left at their defaults.
    """
    from connectorctl.planset import plan_for_target

    reviewed = None
    if options.plan_file is not None:
        wanted = options.project.target or env.get("CONNECTORCTL_TARGET")
        reviewed = plan_for_target(options.plan_file, wanted)
    named = None if reviewed is None else reviewed.target.name
    saved = reviewed is not None
    project, target, selection = options.project, options.target, options.selection
    run = runs(project, target, selection, env, fmt, named=named, saved_plan=saved)[0]
    options = dataclasses.replace(options, target=run.target, selection=run.selection)
    config, defaulted = run.config, options.project.defaulted
    if config is not None and config.parallelism is not None and "parallelism" in defaulted:
        options = dataclasses.replace(options, parallelism=config.parallelism)
    if config is not None and config.timeout is not None and "timeout" in defaulted:
        options = dataclasses.replace(options, timeout=config.timeout)
    return options, run.env, reviewed


def deletion_for(
    target_run: TargetRun, given: Selection, *, prune: bool, allow_delete_published: bool
) -> Deletion:
    """How one target's plan deletes; `--prune` only over the whole repository it manages.

    `given` is the selection the command line gave (before the config's paths fill it in).
    """
    selected = target_run.target.selected
    prune_keys = None if selected is None else selected.prune_keys
    if prune:
        check_prune_selection(given)
        config = target_run.config
        if config is None or not config.paths:
            raise ConfigError("--prune needs a connectorctl.yaml with `paths:` (see README)")
        if not prune_keys:
            name = target_run.name or "(none)"
            raise ConfigError(
                f"--prune needs `prune: {{keys: [...]}}` on target {name} in {config.file}: "
                "the keys this repository owns in that project"
            )
    return Deletion(prune_keys, prune, allow_delete_published)


def check_prune_selection(given: Selection) -> None:
    """A subset of the manifests must never look like "everything else is gone"."""
    if given.paths or given.keys or given.excludes:
        raise UsageError(
            "--prune deletes what no manifest declares, so it needs every manifest: give no "
            "PATH, --key or --exclude with it (the config's paths are used)"
        )
