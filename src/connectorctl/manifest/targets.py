"""A manifest's `targets:` against the selected connectorctl.yaml target, and config excludes."""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from connectorctl.config import Selection
from connectorctl.model import Desired, Problem


def target_problems(desired: Desired, selection: Selection) -> list[Problem]:
    """`targets:` without a selected target, or naming a target the config does not define."""
    names = desired.spec.get("targets")
    if names is None:
        return []
    if selection.target is None:
        place = desired.positions.get("targets", desired.location)
        message = (
            "'targets' needs a selected target (--target NAME, CONNECTORCTL_TARGET "
            "or defaultTarget in connectorctl.yaml)"
        )
        return [Problem(place.file, place.line, place.col, message)]
    known = selection.known_targets or ()
    problems = []
    for index, name in enumerate(names):
        if name not in known:
            place = desired.positions.get(f"targets.{index}", desired.location)
            message = f"unknown target {name!r} (connectorctl.yaml defines: {', '.join(known)})"
            problems.append(Problem(place.file, place.line, place.col, message))
    return problems


def for_selected_target(desired: Desired, selection: Selection) -> bool:
    """Whether the manifest applies to the selected target (no `targets:` means every target)."""
    names = desired.spec.get("targets")
    return names is None or selection.target in names


def targets_overlap(first: Desired | None, second: Desired | None) -> bool:
    """Whether two manifests can meet in one target (no `targets:` means every target)."""
    if first is None or second is None:
        return False
    one, two = first.spec.get("targets"), second.spec.get("targets")
    return one is None or two is None or bool(set(one) & set(two))


def config_excluded(file: Path, selection: Selection) -> bool:
    """Whether an `exclude:` glob of connectorctl.yaml matches the file (relative to the config)."""
    if not selection.config_excludes or selection.config_dir is None:
        return False
    relative = Path(os.path.relpath(os.path.abspath(file), selection.config_dir))
    candidates = [relative.name, relative.as_posix()]
    candidates += [p.as_posix() for p in relative.parents if p.as_posix() != "."]
    return any(fnmatch.fnmatch(c, glob) for glob in selection.config_excludes for c in candidates)
