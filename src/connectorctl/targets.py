"""Which target(s) a run uses: `--target`, `--all-targets`, `defaultTarget`, or plain `CTP_*`.

A run is the plain values one command needs for one target: the target options (with the
config target selected), the manifest selection, and the variables for `${VAR}`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from connectorctl.config import ConfigTarget, ProjectOptions, Selection, TargetOptions
from connectorctl.errors import ConfigError, UsageError
from connectorctl.project import ProjectConfig, find_config, load_config

TARGET_ENV = "CONNECTORCTL_TARGET"
# The settings a target replaces; defaultTarget gives way to (and conflicts with) these two.
_CHOOSING_ENV = ("CTP_PROJECT_KEY", "CTP_CLIENT_ID")


@dataclass(frozen=True)
class TargetRun:
    """One command run against one target (name None: no config target, `CTP_*` as before)."""

    name: str | None
    target: TargetOptions
    selection: Selection
    env: Mapping[str, str]
    config: ProjectConfig | None = None


def target_runs(
    project: ProjectOptions,
    target: TargetOptions,
    selection: Selection,
    env: Mapping[str, str],
    *,
    named: str | None = None,
    saved_plan: bool = False,
) -> list[TargetRun]:
    """The runs a command makes, in the config's target order.

    With `saved_plan`, the plan's target (`named`, None for a plan made without one) decides.
    """
    found = find_config(project.config, env)
    config = None if found is None else load_config(found)
    if saved_plan:
        names = _of_saved_plan(project, env, config, named)
    else:
        names = _chosen(project, target, env, config)
    if not names:
        return [_run(None, target, selection, env, config)]
    if target.chooses_target:
        raise UsageError(
            "--target selects a connectorctl.yaml target: give no --region, --project-key, "
            "--connect-url, --auth-url or --scopes with it"
        )
    return [_run(name, target, selection, env, config) for name in names]


def _chosen(
    project: ProjectOptions,
    target: TargetOptions,
    env: Mapping[str, str],
    config: ProjectConfig | None,
) -> tuple[str, ...]:
    if project.all_targets:
        if project.target:
            raise UsageError("give either --target or --all-targets, not both")
        if config is None or not config.targets:
            raise UsageError("--all-targets needs a connectorctl.yaml that defines targets")
        return config.names
    name = project.target or env.get(TARGET_ENV)
    if name:
        _check_known(name, config, "--target" if project.target else TARGET_ENV)
        return (name,)
    if config is None or config.default_target is None:
        return ()
    return (_default_target(config, config.default_target, target, env),)


def _of_saved_plan(
    project: ProjectOptions, env: Mapping[str, str], config: ProjectConfig | None, named: str | None
) -> tuple[str, ...]:
    """A saved plan applies to the target it names; one made without a target, to `CTP_*`."""
    wanted = project.target or env.get(TARGET_ENV)
    if named is None:
        if project.target:
            raise UsageError("the plan was made without a target: give no --target with it")
        return ()
    if wanted and wanted != named:
        raise UsageError(f"the plan is for target {named!r}, not {wanted!r}")
    _check_known(named, config, "the plan's target")
    return (named,)


def _check_known(name: str, config: ProjectConfig | None, source: str) -> None:
    if config is None:
        raise ConfigError(f"{source} {name}: no connectorctl.yaml found (use --config FILE)")
    if config.target(name) is None:
        known = ", ".join(config.names) or "none"
        raise ConfigError(f"{source}: unknown target {name!r} in {config.file} (targets: {known})")


def _default_target(
    config: ProjectConfig, default: str, target: TargetOptions, env: Mapping[str, str]
) -> str:
    """defaultTarget, unless the environment or flags already choose a project: then an error."""
    others = [name for name in _CHOOSING_ENV if env.get(name)]
    if target.chooses_target:
        others.append("the target flags (--project-key, --region, URLs, --scopes)")
    if others:
        raise ConfigError(
            f"two sources choose the project: defaultTarget {default!r} in {config.file}, "
            f"and {' and '.join(others)}; pass --target NAME, or unset {' and '.join(others)}"
        )
    return default


def _run(
    name: str | None,
    target: TargetOptions,
    selection: Selection,
    env: Mapping[str, str],
    config: ProjectConfig | None,
) -> TargetRun:
    if config is None:
        return TargetRun(None, target, selection, env)
    chosen = None if name is None else config.target(name)
    selection = dataclasses.replace(
        selection,
        paths=selection.paths or config.manifest_paths(),
        target=name,
        known_targets=config.names or None,
        config_dir=config.directory,
        config_excludes=config.exclude,
        secret_names=secret_names(config),
    )
    if chosen is None:
        return TargetRun(None, target, selection, env, config)
    selected = dataclasses.replace(target, selected=chosen)
    return TargetRun(name, selected, selection, with_variables(chosen, env), config)


def secret_names(config: ProjectConfig) -> tuple[str, ...]:
    """Every variable whose value must never appear in a manifest: client secrets, `secrets:`."""
    names = [n for t in config.targets for n in (t.client_secret_var, *t.secrets)]
    return tuple(dict.fromkeys(names))


def with_variables(target: ConfigTarget, env: Mapping[str, str]) -> dict[str, str]:
    """The environment plus the target's `variables`; one set differently in both is an error."""
    for name, value in target.variables.items():
        if name in env and env[name] != value:
            raise ConfigError(
                f"variable {name} is set both by target '{target.name}' ({target.place}) and "
                "in the environment, with another value: unset one of them"
            )
    return {**env, **target.variables}
