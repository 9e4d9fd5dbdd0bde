"""Manifest files → validated `Desired` connectors, or every problem found, each at its place.

Stages per document: compose YAML (yamlnodes) → plain data + positions → `${VAR}` interpolation →
JSON Schema (schemacheck) → cross-field and cross-document rules (release × listed, duplicate keys).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from connectorctl.config import Selection
from connectorctl.errors import UsageError
from connectorctl.manifest.interpolate import UNDEFINED_VARIABLE, interpolate
from connectorctl.manifest.readfile import UnreadableFile, read_regular_file
from connectorctl.manifest.schemacheck import check_document, check_manifest, show
from connectorctl.manifest.secrets import (
    REDACTED,
    SECRET_VARIABLES,
    secret_message,
    secret_values,
    secrets_in,
)
from connectorctl.manifest.targets import (
    config_excluded,
    for_selected_target,
    target_problems,
    targets_overlap,
)
from connectorctl.manifest.yamlnodes import Document, Positions, compose, decode, to_plain
from connectorctl.model import MANIFEST_API_VERSION, MANIFEST_KIND, Desired, Location, Problem

MAX_FILE_BYTES = 1024 * 1024
MANIFEST_SUFFIXES = (".yaml", ".yml")
_LISTING_RELEASES = ("publish", "certify")


@dataclass(frozen=True)
class LoadResult:
    """The manifests that loaded cleanly, and every problem found (sorted)."""

    desired: tuple[Desired, ...]
    problems: tuple[Problem, ...]
    # Keys that manifests declare only for other connectorctl.yaml targets (`targets:`).
    elsewhere: tuple[str, ...] = ()
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class _Parsed:
    """One document after interpolation and checks; `desired` is None when it has problems."""

    desired: Desired | None
    key: str | None
    key_place: Location | None
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    kind: str = MANIFEST_KIND


def load_manifests(
    selection: Selection,
    env: Mapping[str, str],
    secret_names: Collection[str] = SECRET_VARIABLES,
    *,
    allow_undefined_vars: bool = False,
) -> LoadResult:
    """Load, interpolate and validate every manifest the selection names (default: ".").

    Each path must hold at least one manifest. `secret_names` (with the selection's own) are the
    variables whose values must never appear in a manifest (see `secret_values`). With
    `allow_undefined_vars`, an undefined `${VAR}` stays as written and is a warning.
    """
    if any(not path for path in selection.paths):
        raise UsageError("an empty string is not a path (is a variable unset?)")
    secrets = secret_values(env, {*secret_names, *selection.secret_names})
    problems: list[Problem] = []
    parsed: list[_Parsed] = []
    found_in: dict[str, int] = {}  # real path → documents and problems found in it
    for argument in selection.paths or (".",):
        files, missing = find_manifest_files((argument,), selection.excludes)
        files = [path for path in files if not config_excluded(path, selection)]
        problems.extend(missing)
        reals = [os.path.realpath(path) for path in files]
        for path, real in zip(files, reals, strict=True):
            if real in found_in:
                continue
            context = _Context(display_path(path), env, secrets, allow_undefined_vars)
            file_problems, documents = _load_file(path, context)
            problems.extend(file_problems)
            parsed.extend(documents)
            found_in[real] = len(file_problems) + len(documents)
        if not missing and not any(found_in[real] for real in reals):
            problems.append(_no_manifest(argument, files, bool(selection.excludes)))
    for document in parsed:
        problems.extend(document.problems)
    parsed, elsewhere = _for_target(parsed, selection, problems)
    desired, duplicates = _unique_keys(parsed)
    problems.extend(duplicates)
    warnings = sorted({w for document in parsed for w in document.warnings})
    return LoadResult(
        tuple(desired),
        _scrubbed(problems, secrets),
        tuple(sorted(set(elsewhere))),
        tuple(warnings),
    )


def _for_target(
    parsed: Sequence[_Parsed], selection: Selection, problems: list[Problem]
) -> tuple[list[_Parsed], list[str]]:
    """The documents for the selected target (`targets:`), and the keys left to other targets."""
    kept: list[_Parsed] = []
    elsewhere: list[_Parsed] = []
    for document in parsed:
        found = [] if document.desired is None else target_problems(document.desired, selection)
        problems.extend(found)
        if found:
            kept.append(_Parsed(None, document.key, document.key_place, ()))
        elif document.desired is None or for_selected_target(document.desired, selection):
            kept.append(document)
        else:
            elsewhere.append(document)
    problems.extend(_duplicates_elsewhere(kept, elsewhere))
    return kept, [document.key for document in elsewhere if document.key is not None]


def _duplicates_elsewhere(kept: Sequence[_Parsed], elsewhere: Sequence[_Parsed]) -> list[Problem]:
    """The same key in two documents whose `targets:` overlap, one of them for another target."""
    problems: list[Problem] = []
    seen: list[_Parsed] = [d for d in kept if d.desired is not None]
    for document in elsewhere:
        place = document.key_place
        for earlier in seen:
            if (
                place
                and earlier.key == document.key
                and earlier.kind == document.kind
                and targets_overlap(earlier.desired, document.desired)
            ):
                also = f"also defined at {earlier.key_place}"
                message = f"duplicate connector key '{document.key}' ({also})"
                problems.append(Problem(place.file, place.line, place.col, message))
                break
        seen.append(document)
    return problems


def _no_manifest(argument: str, files: Sequence[Path], excluding: bool) -> Problem:
    what = "no manifest" if files else "no *.yaml or *.yml file"
    what += " that --exclude leaves" if excluding and not files else ""
    return Problem(display_path(argument), 1, 1, f"holds {what} (check the path)")


def _scrubbed(problems: Sequence[Problem], secrets: Mapping[str, str]) -> tuple[Problem, ...]:
    """The problems, sorted and unique, with any secret value a message quotes masked (a
    secret written literally, e.g. as a field name, is quoted before interpolation sees it)."""
    unique = sorted(set(problems))
    if not secrets:
        return tuple(unique)
    masked = []
    for problem in unique:
        message = problem.message
        for value in secrets.values():
            message = message.replace(value, REDACTED)
        masked.append(Problem(problem.file, problem.line, problem.col, message))
    return tuple(masked)


def display_path(path: str | Path) -> str:
    """A path as shown in messages and plans: relative to the working directory."""
    try:
        return Path(os.path.relpath(os.path.abspath(path))).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return Path(path).as_posix()


# ---------------------------------------------------------------------------------------------
# Finding files


def find_manifest_files(
    paths: Sequence[str], excludes: Sequence[str]
) -> tuple[list[Path], list[Problem]]:
    """The manifest files under `paths` (sorted per argument, each once), and unusable paths."""
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for argument in paths:
        root = Path(argument)
        if root.is_dir():
            found = [
                f for f in _walk(root, problems) if not _excluded(f.relative_to(root), excludes)
            ]
        elif root.exists():
            # Not a folder but there: a regular file is read, anything else becomes a problem.
            found = [] if _excluded(Path(root.name), excludes) else [root]
        else:
            problems.append(Problem(display_path(argument), 1, 1, "no such file or directory"))
            continue
        for file in found:
            # realpath, not resolve(): a symlink loop must become a problem, not an exception.
            real = Path(os.path.realpath(file))
            if real not in seen:
                seen.add(real)
                files.append(file)
    return files, problems


def _walk(root: Path, problems: list[Problem]) -> Iterator[Path]:
    """`*.yaml` / `*.yml` below `root`, sorted, skipping hidden entries; links to folders are
    followed, each real folder once (a link back up is not a loop)."""
    visited = {os.path.realpath(root)}

    def unreadable(exc: OSError) -> None:
        where = display_path(exc.filename or root)
        problems.append(Problem(where, 1, 1, f"cannot read folder: {exc.strerror or exc}"))

    for folder, dirs, names in os.walk(root, onerror=unreadable, followlinks=True):
        kept = []
        for name in sorted(d for d in dirs if not d.startswith(".")):
            real = os.path.realpath(os.path.join(folder, name))
            if real not in visited:
                visited.add(real)
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            if not name.startswith(".") and name.lower().endswith(MANIFEST_SUFFIXES):
                yield Path(folder, name)


def _excluded(relative: Path, excludes: Sequence[str]) -> bool:
    """Whether a glob matches the file's name, its relative path, or a folder above it."""
    candidates = [relative.name, relative.as_posix()]
    candidates += [p.as_posix() for p in relative.parents if p.as_posix() != "."]
    return any(fnmatch.fnmatch(c, glob) for glob in excludes for c in candidates)


# ---------------------------------------------------------------------------------------------
# One file, one document


def load_bytes(
    data: bytes,
    file: str,
    env: Mapping[str, str],
    secret_names: Collection[str] = SECRET_VARIABLES,
) -> LoadResult:
    """Load the manifests in one file's content (`file` names it in problems)."""
    secrets = secret_values(env, secret_names)
    problems, parsed = _load_data(data, _Context(file, env, secrets))
    for document in parsed:
        problems.extend(document.problems)
    desired, duplicates = _unique_keys(parsed)
    return LoadResult(tuple(desired), _scrubbed([*problems, *duplicates], secrets))


def _load_file(path: Path, context: _Context) -> tuple[list[Problem], list[_Parsed]]:
    try:
        data = read_regular_file(path, MAX_FILE_BYTES)
    except UnreadableFile as exc:
        return [Problem(context.file, 1, 1, str(exc))], []
    return _load_data(data, context)


def _too_large(file: str, size: int) -> Problem:
    return Problem(file, 1, 1, f"file is larger than 1 MiB ({size} bytes)")


def _load_data(data: bytes, context: _Context) -> tuple[list[Problem], list[_Parsed]]:
    file = context.file
    if len(data) > MAX_FILE_BYTES:
        return [_too_large(file, len(data))], []
    text, problem = decode(data, file)
    if text is None:
        return [problem] if problem else [], []
    documents, problems = compose(text, file)
    # A node YAML could not read is reported once, not again by the schema.
    taken = {(p.line, p.col) for p in problems}
    parsed = [_parse_document(doc, file, context) for doc in documents]
    return problems, [_without(doc, taken) for doc in parsed]


def _without(document: _Parsed, taken: set[tuple[int, int]]) -> _Parsed:
    kept = tuple(p for p in document.problems if (p.line, p.col) not in taken)
    desired = document.desired if not taken else None
    return replace(document, desired=desired, problems=kept)


# A Deployment's secured values: exactly `${NAME}` (the schema says so), resolved by apply only.
_SECURED = re.compile(r"(configurations\.\d+|globalConfiguration)\.securedConfiguration\.")


@dataclass(frozen=True)
class _Context:
    """What interpolation needs: the file (for problems), the variables, the secret values."""

    file: str
    env: Mapping[str, str]
    secrets: Mapping[str, str]
    allow_undefined_vars: bool = False


def _parse_document(document: Document, file: str, context: _Context) -> _Parsed:
    positions = Positions()
    raw = to_plain(document.root, positions)
    if isinstance(raw, dict) and raw.get("kind") == "Config":
        return _Parsed(None, None, None, ())  # connectorctl.yaml: not a manifest
    data, problems = _interpolate(raw, "", positions, context)
    warnings = [
        p
        for p in problems
        if context.allow_undefined_vars and p.message.startswith(UNDEFINED_VARIABLE)
    ]
    problems = [p for p in problems if p not in warnings]
    start = Location(file, document.root.line, document.root.col)
    if not isinstance(data, dict) or data.get("apiVersion") != MANIFEST_API_VERSION:
        return _Parsed(None, None, None, (*problems, _not_a_manifest(data, positions, file)))
    raw_kind = data.get("kind")
    kind = raw_kind if isinstance(raw_kind, str) else MANIFEST_KIND
    problems += _kind_problems(kind, data, positions, file)
    key = data.get("key") if isinstance(data.get("key"), str) else None
    key_place = _place(positions.keys.get("key"), file) if key else None
    desired = None if problems or key is None else _desired(key, data, positions, start)
    return _Parsed(desired, key, key_place, tuple(problems), tuple(warnings), kind)


def _kind_problems(kind: str, data: Any, positions: Positions, file: str) -> list[Problem]:
    """The schema and the rules of the manifest's kind (an unknown kind is one problem)."""
    from connectorctl.kinds import KINDS

    if kind == MANIFEST_KIND or kind not in KINDS:
        # The ConnectorStaged schema (bounded lists, fast path) also explains an unknown kind.
        found = check_manifest(data, positions, file)
        if kind not in KINDS:
            line, col = positions.values.get("kind", (1, 1))
            known = " or ".join(KINDS)
            found = [p for p in found if (p.line, p.col) != (line, col)]
            found.append(Problem(file, line, col, f"'kind' must be {known}, not {show(kind)}"))
            return found
        return found + _release_rules(data, positions, file)
    found = check_document(data, positions, file, KINDS[kind].schema)
    if found:
        return found
    return [
        Problem(file, *positions.values.get(path, positions.values[""]), message)
        for path, message in KINDS[kind].manifest_problems(data)
    ]


def _interpolate(
    value: Any, path: str, positions: Positions, context: _Context
) -> tuple[Any, list[Problem]]:
    """The data with `${VAR}` replaced in every string; a problem per unresolved reference.

    A string holding a secret is a problem and is replaced by a marker, so that no later
    message can show it.
    """
    if isinstance(value, str):
        if _SECURED.match(path):
            return value, []  # `${NAME}` read at apply time only (Deployments); never a literal
        return _interpolate_text(value, positions.values[path], context)
    problems: list[Problem] = []
    if isinstance(value, dict):
        result: dict[str, Any] = {}
        for name, item in value.items():
            result[name], found = _interpolate(item, _join(path, name), positions, context)
            problems += found
        return result, problems
    if isinstance(value, list):
        items = []
        for index, item in enumerate(value):
            new, found = _interpolate(item, _join(path, str(index)), positions, context)
            items.append(new)
            problems += found
        return items, problems
    return value, problems


def _interpolate_text(
    value: str, where: tuple[int, int], context: _Context
) -> tuple[str, list[Problem]]:
    text, errors = interpolate(value, context.env)
    names = context.secrets and (
        secrets_in(text, context.secrets) or secrets_in(value, context.secrets)
    )
    if names:
        errors = [m for m in errors if not secrets_in(m, context.secrets)]
        errors.append(secret_message(names))
        text = REDACTED
    line, col = where
    return text, [Problem(context.file, line, col, message) for message in errors]


def _not_a_manifest(data: Any, positions: Positions, file: str) -> Problem:
    line, col = positions.values[""]
    if not isinstance(data, dict):
        return Problem(file, line, col, f"a manifest must be a mapping, not {show(data)}")
    if "apiVersion" not in data:
        hint = " (not a connectorctl manifest? skip it with --exclude)"
        return Problem(file, line, col, f"missing required field 'apiVersion'{hint}")
    line, col = positions.values["apiVersion"]
    wanted = f"'apiVersion' must be '{MANIFEST_API_VERSION}'"
    return Problem(file, line, col, f"{wanted}, not {show(data['apiVersion'])}")


def _release_rules(data: Mapping[str, Any], positions: Positions, file: str) -> list[Problem]:
    release = data.get("release")
    if data.get("listed") is not False or release not in _LISTING_RELEASES:
        return []
    line, col = positions.keys["listed"]
    message = f"'listed: false' contradicts 'release: {release}' (a publish lists the connector)"
    return [Problem(file, line, col, message)]


def _desired(key: str, data: Mapping[str, Any], positions: Positions, start: Location) -> Desired:
    spec = {name: value for name, value in data.items() if name not in ("apiVersion", "kind")}
    places = {
        path: Location(start.file, line, col)
        for path, (line, col) in positions.values.items()
        if path
    }
    kind = str(data.get("kind", MANIFEST_KIND))
    return Desired(key=key, spec=spec, location=start, positions=places, kind=kind)


def _unique_keys(parsed: Sequence[_Parsed]) -> tuple[list[Desired], list[Problem]]:
    """The clean documents, minus any that repeat an earlier key of its kind (a problem each)."""
    first: dict[tuple[str, str], Location] = {}
    desired: list[Desired] = []
    problems: list[Problem] = []
    for document in parsed:
        if document.key is not None and document.key_place is not None:
            earlier = first.setdefault((document.kind, document.key), document.key_place)
            if earlier is not document.key_place:
                place = document.key_place
                noun = _NOUN.get(document.kind, document.kind)
                message = f"duplicate {noun} key '{document.key}' (also defined at {earlier})"
                problems.append(Problem(place.file, place.line, place.col, message))
                continue
        if document.desired is not None:
            desired.append(document.desired)
    return desired, problems


_NOUN = {MANIFEST_KIND: "connector", "Deployment": "deployment"}


def _place(where: tuple[int, int] | None, file: str) -> Location:
    line, col = where or (1, 1)
    return Location(file, line, col)


def _join(path: str, step: str) -> str:
    return f"{path}.{step}" if path else step
