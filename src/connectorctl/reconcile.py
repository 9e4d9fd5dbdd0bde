"""The one plan pipeline shared by `plan` and `apply`: selected manifests → live state → Plan.

Nothing here prints: manifest problems travel in ManifestProblems, remote notes in PlanResult.
"""

from __future__ import annotations

import difflib
import fnmatch
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from connectorctl.api.remote import RemoteState, fetch_kinds, fetch_remote, read_by_key
from connectorctl.api.session import Session
from connectorctl.config import Selection
from connectorctl.errors import ManifestError, UsageError
from connectorctl.model import MANIFEST_KIND, Desired, Level, Location, Message, Plan, Problem


@dataclass(frozen=True)
class PlanResult:
    """A plan with what it was made from, and the notes for the user about the read."""

    plan: Plan
    desired: tuple[Desired, ...]
    remote: RemoteState

    @property
    def notes(self) -> tuple[str, ...]:
        return self.remote.notes


class ManifestProblems(ManifestError):
    """The manifests have problems; the command reports them in its format."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the manifests; nothing planned")
        self.problems = tuple(problems)


def load_desired(selection: Selection, env: Mapping[str, str]) -> tuple[Desired, ...]:
    """The selected manifests; problems raise ManifestProblems."""
    return load_for_target(selection, env)[0]


def load_for_target(
    selection: Selection, env: Mapping[str, str]
) -> tuple[tuple[Desired, ...], tuple[str, ...]]:
    """The selected manifests, and the keys declared only for other targets (see build_plan)."""
    from connectorctl.manifest.loader import load_manifests

    loaded = load_manifests(selection, env)
    if loaded.problems:
        raise ManifestProblems(loaded.problems)
    return select_keys(loaded.desired, selection.keys), loaded.elsewhere


def declared_elsewhere(selection: Selection, env: Mapping[str, str]) -> tuple[str, ...]:
    """Keys that manifests declare only for other targets: never "unmanaged" in this one."""
    from connectorctl.manifest.loader import load_manifests

    if selection.target is None:
        return ()
    return load_manifests(selection, env).elsewhere


def select_keys(desired: Sequence[Desired], keys: Sequence[str]) -> tuple[Desired, ...]:
    """Only the connectors named by `--key` (all without it); an unknown key is an error."""
    if not keys:
        return tuple(desired)
    known = {d.key for d in desired}
    unknown = [k for k in dict.fromkeys(keys) if k not in known]
    if unknown:
        raise UsageError("; ".join(_unknown_key(k, known) for k in unknown))
    wanted = set(keys)
    return tuple(d for d in desired if d.key in wanted)


def _unknown_key(key: str, known: set[str]) -> str:
    """`no manifest has the key 'x'`, with a "did you mean" when a known key is close."""
    close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"no manifest has the key {key!r}{hint}"


@dataclass(frozen=True)
class Deletion:
    """How deletes are planned: the target's `prune.keys` (None: not configured), whether
    `--prune` was given, and `--allow-delete-published`."""

    prune_keys: tuple[str, ...] | None = None
    prune: bool = False
    allow_delete_published: bool = False


def build_plan(
    session: Session,
    desired: Sequence[Desired],
    *,
    by_key: bool,
    created_at: str,
    retry_failed: bool = False,
    elsewhere: Collection[str] = (),
    deletion: Deletion = Deletion(),
    redeploy: Collection[str] = (),
    allow_replace: bool = False,
) -> PlanResult:
    """Read the live state of every kind in play and diff: the one plan pipeline."""
    from connectorctl.kinds import PlanContext
    from connectorctl.planning import make_plan

    connectors = [d.key for d in desired if d.kind == MANIFEST_KIND]
    remote = fetch_remote(session.client, connectors, by_key=by_key)
    unmanaged = _without(remote.unmanaged, elsewhere)
    pruned, notes = _pruned(unmanaged, deletion)
    by_key_found = dict(remote.by_key)
    if pruned:
        by_key_found.update(read_by_key(session.client, pruned))
        unmanaged = tuple(key for key in unmanaged or () if key not in set(pruned))
    tombstones = [_prune_tombstone(key) for key in pruned]
    kinds = fetch_kinds(session.client, [*desired, *tombstones], by_key=by_key, staged=by_key_found)
    tombstones += _pruned_deployments(session, kinds.by_kind, desired, elsewhere, deletion)
    _check_redeploy(desired, redeploy)
    context = PlanContext(
        retry_failed=retry_failed,
        allow_replace=allow_replace,
        allow_delete_published=deletion.allow_delete_published,
        redeploy=frozenset(redeploy),
        project_key=session.target.project_key,
    )
    plan = make_plan(
        [*desired, *tombstones],
        by_key_found,
        target=session.target,
        created_at=created_at,
        unmanaged=unmanaged,
        remote_by_kind=kinds.by_kind,
        context=context,
    )
    plan = replace(plan, messages=plan.messages + notes)
    return PlanResult(plan=plan, desired=tuple(desired), remote=remote)


PRUNE_SOURCE = Location("connectorctl.yaml")


def _pruned(
    unmanaged: Sequence[str] | None, deletion: Deletion
) -> tuple[list[str], tuple[Message, ...]]:
    """Unmanaged keys inside the prune scope: deleted with --prune, else a hint naming it."""
    globs = deletion.prune_keys
    if not globs or not unmanaged:
        return [], ()
    inside = [key for key in unmanaged if any(fnmatch.fnmatchcase(key, g) for g in globs)]
    if not inside or deletion.prune:
        return inside, ()
    noun = "connector matches" if len(inside) == 1 else "connectors match"
    text = (
        f"{len(inside)} unmanaged {noun} prune.keys and no manifest declares them: "
        "run with --prune to delete them (deleting a connector also deletes its published "
        "Connector)"
    )
    return [], (Message(Level.INFO, text),)


def _prune_tombstone(key: str, kind: str = MANIFEST_KIND) -> Desired:
    """What --prune plans for a resource no manifest declares: a tombstone of it."""
    return Desired(key, {"key": key, "state": "absent"}, PRUNE_SOURCE, kind=kind)


def _pruned_deployments(
    session: Session,
    by_kind: dict[str, dict[str, dict[str, Any]]],
    desired: Sequence[Desired],
    elsewhere: Collection[str],
    deletion: Deletion,
) -> list[Desired]:
    """With --prune, the live Deployments in the prune scope that no manifest declares."""
    from connectorctl.api.remote import DEPLOYMENT, DEPLOYMENTS, read_all_in

    globs = deletion.prune_keys
    if not deletion.prune or not globs:
        return []
    if DEPLOYMENT not in by_kind:
        if not session.client.can_read(DEPLOYMENT):
            return []
        by_kind[DEPLOYMENT] = read_all_in(session.client, DEPLOYMENTS)
    declared = {d.key for d in desired if d.kind == DEPLOYMENT} | set(elsewhere)
    return [
        _prune_tombstone(key, DEPLOYMENT)
        for key in sorted(by_kind[DEPLOYMENT])
        if key not in declared and any(fnmatch.fnmatchcase(key, g) for g in globs)
    ]


def _check_redeploy(desired: Sequence[Desired], redeploy: Collection[str]) -> None:
    """`--redeploy KEY` must name a Deployment manifest in play."""
    known = {d.key for d in desired if d.kind == "Deployment"}
    unknown = [k for k in dict.fromkeys(redeploy) if k not in known]
    if unknown:
        raise UsageError(
            "--redeploy: no Deployment manifest has the key " + ", ".join(map(repr, unknown))
        )


def _without(keys: Sequence[str] | None, elsewhere: Collection[str]) -> tuple[str, ...] | None:
    """Unmanaged keys, less those another target's manifests declare."""
    if keys is None or not elsewhere:
        return None if keys is None else tuple(keys)
    declared = set(elsewhere)
    return tuple(key for key in keys if key not in declared)
