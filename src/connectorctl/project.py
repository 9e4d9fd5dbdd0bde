"""connectorctl.yaml: finding it, reading it with positions, and checking it against its schema.

The file names projects ("targets") and the NAMES of the variables holding their credentials;
which target a run uses is decided in `targets.py`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectorctl.config import ConfigTarget
from connectorctl.errors import ConfigError
from connectorctl.manifest.schemacheck import check_document
from connectorctl.manifest.yamlnodes import Positions, compose, decode, to_plain
from connectorctl.model import Problem

CONFIG_NAME = "connectorctl.yaml"
CONFIG_ENV = "CONNECTORCTL_CONFIG"
SCHEMA_NAME = "config.schema.json"
MAX_CONFIG_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ProjectConfig:
    """A checked connectorctl.yaml; `paths` and `exclude` are relative to `directory`."""

    file: str
    directory: str
    paths: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    parallelism: int | None = None
    timeout: float | None = None
    targets: tuple[ConfigTarget, ...] = ()
    default_target: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(target.name for target in self.targets)

    def target(self, name: str) -> ConfigTarget | None:
        return next((t for t in self.targets if t.name == name), None)

    def manifest_paths(self) -> tuple[str, ...]:
        """The config's `paths` as paths from the working directory."""
        return tuple(_display(os.path.join(self.directory, path)) for path in self.paths)


class ConfigProblems(ConfigError):
    """connectorctl.yaml has problems; the command reports them like manifest problems."""

    def __init__(self, file: str, problems: Sequence[Problem]) -> None:
        count = len(problems)
        super().__init__(f"{count} problem{'' if count == 1 else 's'} in {file}")
        self.problems = tuple(problems)


def find_config(explicit: str | None, env: Mapping[str, str], cwd: str = ".") -> Path | None:
    """`--config`, CONNECTORCTL_CONFIG, or connectorctl.yaml from `cwd` up to the .git folder."""
    named = explicit or env.get(CONFIG_ENV)
    if named:
        if not os.path.isfile(named):
            source = "--config" if explicit else CONFIG_ENV
            raise ConfigError(f"{source}: config file {named!r} not found")
        return Path(named)
    folder = Path(os.path.abspath(cwd))
    for directory in (folder, *folder.parents):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists():
            return None
    return None


def load_config(path: Path) -> ProjectConfig:
    """Read and check one config file; ConfigProblems lists everything wrong, each at its place."""
    file = _display(path)
    data, positions, problems = _read(path, file)
    if not problems:
        problems = check_document(data, positions, file, SCHEMA_NAME)
    if not problems:
        problems = _rules(data, positions, file)
    if problems:
        raise ConfigProblems(file, problems)
    return _config(data, positions, file, os.path.dirname(os.path.abspath(path)))


def _read(path: Path, file: str) -> tuple[Any, Positions, list[Problem]]:
    positions = Positions()
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            return None, positions, [Problem(file, 1, 1, "not a regular file")]
        with path.open("rb") as stream:
            raw = stream.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        return None, positions, [Problem(file, 1, 1, f"cannot read file: {exc.strerror or exc}")]
    if len(raw) > MAX_CONFIG_BYTES:
        return None, positions, [Problem(file, 1, 1, "file is larger than 1 MiB")]
    text, problem = decode(raw, file)
    if text is None:
        return None, positions, [problem] if problem else []
    documents, problems = compose(text, file)
    if problems:
        return None, positions, problems
    if len(documents) != 1:
        where = documents[1].root if len(documents) > 1 else None
        line, col = (where.line, where.col) if where else (1, 1)
        return None, positions, [Problem(file, line, col, "a config file holds one YAML document")]
    return to_plain(documents[0].root, positions), positions, []


def _rules(data: Mapping[str, Any], positions: Positions, file: str) -> list[Problem]:
    """What the schema cannot say: URLs or a region, secrets never in `variables`, defaultTarget."""
    problems: list[Problem] = []
    targets: Mapping[str, Any] = data.get("targets", {})
    for name, target in targets.items():
        problems += _target_rules(name, target, positions, file)
    default = data.get("defaultTarget")
    if default is not None and default not in targets:
        line, col = positions.values["defaultTarget"]
        known = ", ".join(targets) or "none"
        message = f"defaultTarget {default!r} is not a target (targets: {known})"
        problems.append(Problem(file, line, col, message))
    return problems


def _target_rules(
    name: str, target: Mapping[str, Any], positions: Positions, file: str
) -> list[Problem]:
    base = f"targets.{name}"
    problems: list[Problem] = []
    has_urls = "connectUrl" in target and "authUrl" in target
    if "region" not in target and not has_urls:
        line, col = positions.keys[base]
        message = f"target '{name}' needs 'region', or both 'connectUrl' and 'authUrl'"
        problems.append(Problem(file, line, col, message))
    variables: Mapping[str, str] = target.get("variables", {})
    credentials = target["credentials"]
    secret = {*target.get("secrets", []), credentials["clientId"], credentials["clientSecret"]}
    for variable in variables:
        if variable in secret:
            line, col = positions.keys[f"{base}.variables.{variable}"]
            message = (
                f"variable '{variable}' is a secret or credential of target '{name}': "
                "its value comes from the environment, never from this file"
            )
            problems.append(Problem(file, line, col, message))
    return problems


def _config(
    data: Mapping[str, Any], positions: Positions, file: str, directory: str
) -> ProjectConfig:
    defaults: Mapping[str, Any] = data.get("defaults", {})
    targets = tuple(
        _target(name, value, "{}:{}:{}".format(file, *positions.keys[f"targets.{name}"]))
        for name, value in data.get("targets", {}).items()
    )
    timeout = defaults.get("timeout")
    return ProjectConfig(
        file=file,
        directory=directory,
        paths=tuple(data.get("paths", ())),
        exclude=tuple(data.get("exclude", ())),
        parallelism=defaults.get("parallelism"),
        timeout=None if timeout is None else float(timeout),
        targets=targets,
        default_target=data.get("defaultTarget"),
    )


def _target(name: str, data: Mapping[str, Any], place: str) -> ConfigTarget:
    scopes = data.get("scopes")
    prune = data.get("prune")
    return ConfigTarget(
        name=name,
        project_key=data["projectKey"],
        client_id_var=data["credentials"]["clientId"],
        client_secret_var=data["credentials"]["clientSecret"],
        region=data.get("region"),
        connect_url=data.get("connectUrl"),
        auth_url=data.get("authUrl"),
        scopes=None if scopes is None else tuple(scopes),
        variables=dict(data.get("variables", {})),
        secrets=tuple(data.get("secrets", ())),
        prune_keys=None if prune is None else tuple(prune["keys"]),
        place=place,
    )


def _display(path: str | Path) -> str:
    try:
        return Path(os.path.relpath(os.path.abspath(path))).as_posix()
    except ValueError:  # another drive on Windows
        return Path(path).as_posix()
