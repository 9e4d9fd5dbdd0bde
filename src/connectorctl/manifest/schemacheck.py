"""Manifest data × `schemas/manifest.schema.json` → short, human problems at the offending node."""

from __future__ import annotations

import difflib
import json
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import Any, cast

from connectorctl.manifest.yamlnodes import Positions
from connectorctl.model import OBSERVED_FIELDS, PROJECT_IDENTIFIER_PATTERN, Problem

# Unknown fields reported one by one per mapping (each gets a "did you mean", which costs).
MAX_UNKNOWN_FIELDS = 20
_JSON_TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean (true or false)",
    "null": "null",
}


def strict_validator(schema: Mapping[str, Any]) -> Any:
    """A draft 2020-12 validator for which `2.0` is not an integer (JSON Schema says it is)."""
    from jsonschema import Draft202012Validator, validators

    def is_integer(_checker: Any, instance: Any) -> bool:
        return isinstance(instance, int) and not isinstance(instance, bool)

    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", is_integer)
    extend: Any = validators.extend  # untyped in jsonschema's stubs
    strict = extend(Draft202012Validator, type_checker=checker)
    return strict(schema)


def without_unique_items(node: Any) -> Any:
    """The schema without `uniqueItems`, whose check is quadratic for mappings: the callers
    check uniqueness themselves, in linear time."""
    if isinstance(node, list):
        return [without_unique_items(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    return {k: without_unique_items(v) for k, v in node.items() if k != "uniqueItems"}


@cache
def _schema() -> dict[str, Any]:
    from connectorctl.resources import load_schema

    return cast(dict[str, Any], without_unique_items(load_schema("manifest.schema.json")))


@cache
def _validator() -> Any:
    """The compiled manifest validator (built once: validating many files stays fast)."""
    schema = _schema()
    return strict_validator(_inline_refs(schema, schema.get("$defs", {})))


@cache
def _lists() -> dict[str, tuple[int, bool]]:
    """Top-level list fields: their item bound and whether they are sets."""
    from connectorctl.resources import load_schema

    properties = load_schema("manifest.schema.json").get("properties", {})
    return {
        name: (int(field["maxItems"]), bool(field.get("uniqueItems")))
        for name, field in properties.items()
        if isinstance(field, Mapping) and "maxItems" in field
    }


def _inline_refs(node: Any, defs: Mapping[str, Any]) -> Any:
    """The schema with local `#/$defs/...` references replaced by their target (faster checks)."""
    if isinstance(node, list):
        return [_inline_refs(item, defs) for item in node]
    if not isinstance(node, Mapping):
        return node
    ref = node.get("$ref", "")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and ref[8:] in defs:
        return _inline_refs(defs[ref[8:]], defs)
    return {name: _inline_refs(value, defs) for name, value in node.items()}


@cache
def _fast_check() -> Callable[[Any], Any]:
    """A code-generated validator for the common case of a valid manifest (~15x faster).

    It only answers "valid or not": every invalid document goes through jsonschema, which
    gives the error paths the messages need. The schema keeps to keywords both understand.
    """
    import fastjsonschema

    schema = dict(_schema())
    schema.pop("$schema", None)
    # use_default=False: the validator must not write schema defaults into the data it checks.
    return cast(Callable[[Any], Any], fastjsonschema.compile(schema, use_default=False))


def _quickly_valid(data: Any) -> bool:
    from fastjsonschema import JsonSchemaException

    if _has_float(data):  # fastjsonschema, like JSON Schema, takes 2.0 for an integer
        return False
    try:
        _fast_check()(data)
    except JsonSchemaException:
        return False
    return True


def _has_float(data: Any) -> bool:
    if isinstance(data, float):
        return True
    if isinstance(data, dict):
        return any(_has_float(value) for value in data.values())
    if isinstance(data, list):
        return any(_has_float(value) for value in data)
    return False


def check_manifest(data: Any, positions: Positions, file: str) -> list[Problem]:
    """Every schema violation of one manifest document, each at the node it concerns.

    Lists over their bound are reported and cut to it first, so that the time taken stays
    linear in the size of the document whatever it holds.
    """
    found: set[Problem] = set()
    if isinstance(data, dict):
        data = _bounded(data, positions, file, found)
    if not found and _quickly_valid(data):
        return []
    for error in _validator().iter_errors(data):
        path = ".".join(str(step) for step in error.absolute_path)
        explain = _EXPLAIN.get(error.validator, _fallback)
        for where, message in explain(error, path, positions):
            line, col = where
            found.add(Problem(file, line, col, message))
    return sorted(found)


def _bounded(
    data: dict[str, Any], positions: Positions, file: str, found: set[Problem]
) -> dict[str, Any]:
    """The data with each list field cut to its bound; a problem for each that was longer,
    and for each item a set lists again."""
    data = dict(data)
    for name, (limit, is_set) in _lists().items():
        items = data.get(name)
        if not isinstance(items, list):
            continue
        if len(items) > limit:
            line, col = _at(positions, name)
            found.add(Problem(file, line, col, f"'{name}' has more than {limit} items"))
            items = data[name] = items[:limit]
        if is_set:
            for where, message in _duplicates(items, name, positions):
                found.add(Problem(file, where[0], where[1], message))
    return data


def _duplicates(items: list[Any], path: str, positions: Positions) -> Found:
    seen: set[str] = set()
    for index, item in enumerate(items):
        identity = json.dumps(item, sort_keys=True)
        if identity in seen:
            yield (
                _at(positions, f"{path}.{index}"),
                f"{_name(path)} lists {show(item)} more than once",
            )
        seen.add(identity)


Found = Iterator[tuple[tuple[int, int], str]]
# Patterns end in this instead of `$`, which also matches before a final newline.
_WHOLE_STRING = "(?![\\s\\S])"


def _at(positions: Positions, path: str) -> tuple[int, int]:
    return positions.values.get(path, positions.values.get("", (1, 1)))


def _name(path: str) -> str:
    return f"'{path}'" if path else "the manifest"


def show(value: Any) -> str:
    """A value as a person reads it in a message: strings quoted, the rest as JSON."""
    if isinstance(value, str):
        return repr(value) if "'" not in value else json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value)


def _title(error: Any, path: str) -> str:
    title = error.schema.get("title") if isinstance(error.schema, Mapping) else None
    return str(title) if title else f"value for {_name(path)}"


def _additional(error: Any, path: str, positions: Positions) -> Found:
    allowed = list(error.schema.get("properties", {}))
    unknown = [name for name in error.instance if name not in allowed]
    tombstone = not path and error.instance.get("state") == "absent"
    for name in unknown[:MAX_UNKNOWN_FIELDS]:
        child = f"{path}.{name}" if path else name
        where = positions.keys.get(child, _at(positions, path))
        if tombstone:
            yield where, f"'{name}' has no place in a tombstone (state: absent): {_TOMBSTONE}"
            continue
        yield where, _unknown_field(name, allowed, top_level=not path)
    if len(unknown) > MAX_UNKNOWN_FIELDS:
        more = len(unknown) - MAX_UNKNOWN_FIELDS
        yield _at(positions, path), f"{_name(path)} has {more} more unknown fields"


_TOMBSTONE = "it holds only apiVersion, kind, key, state, targets and listed: false"


def _unknown_field(name: str, allowed: list[str], *, top_level: bool) -> str:
    if top_level and name in OBSERVED_FIELDS:
        return f"field '{name}' is set by the Connect API and cannot be in a manifest"
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if not close:
        close = [a for a in allowed if a.lower() == name.lower()]
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"unknown field '{name}'{hint}"


def _required(error: Any, path: str, positions: Positions) -> Found:
    for name in error.validator_value:
        if name not in error.instance:
            full = f"{path}.{name}" if path else name
            yield _at(positions, path), f"missing required field '{full}'"


def _type(error: Any, path: str, positions: Positions) -> Found:
    expected = error.validator_value
    wanted = expected if isinstance(expected, str) else expected[0]
    what = _JSON_TYPES.get(wanted, wanted)
    yield _at(positions, path), f"{_name(path)} must be {what}, not {show(error.instance)}"


def _enum(error: Any, path: str, positions: Positions) -> Found:
    choices = ", ".join(str(v) for v in error.validator_value)
    message = f"{show(error.instance)} is not a valid {_title(error, path)} (one of: {choices})"
    yield _at(positions, path), message


def _const(error: Any, path: str, positions: Positions) -> Found:
    wanted = show(error.validator_value)
    yield _at(positions, path), f"{_name(path)} must be {wanted}, not {show(error.instance)}"


# Patterns in words; a pattern not listed here is shown as its regex.
_PATTERN_WORDS = {
    PROJECT_IDENTIFIER_PATTERN: (
        "write it as {region}:{projectKey}, e.g. europe-west1.gcp:acme-prod"
    ),
    "^[A-Za-z0-9_-]+$": "only letters, digits, '-' and '_'",
}


def _pattern(error: Any, path: str, positions: Positions) -> Found:
    message = f"{show(error.instance)} is not a valid {_title(error, path)}"
    shown = str(error.validator_value).replace(_WHOLE_STRING, "$")
    words = _PATTERN_WORDS.get(shown, f"must match {shown}")
    yield _at(positions, path), f"{message} ({words})"


def _min_length(error: Any, path: str, positions: Positions) -> Found:
    if error.validator_value == 1:
        yield _at(positions, path), f"{_name(path)} must not be empty"
        return
    message = f"{show(error.instance)} is too short for a {_title(error, path)}"
    yield _at(positions, path), f"{message} (at least {error.validator_value} characters)"


def _max_length(error: Any, path: str, positions: Positions) -> Found:
    limit = error.validator_value
    yield _at(positions, path), f"{_name(path)} is too long (at most {limit} characters)"


def _minimum(error: Any, path: str, positions: Positions) -> Found:
    message = f"{_name(path)} must be at least {error.validator_value}"
    yield _at(positions, path), f"{message}, not {show(error.instance)}"


def _min_items(error: Any, path: str, positions: Positions) -> Found:
    count = error.validator_value
    items = "item" if count == 1 else "items"
    yield _at(positions, path), f"{_name(path)} needs at least {count} {items}"


def _max_items(error: Any, path: str, positions: Positions) -> Found:
    yield _at(positions, path), f"{_name(path)} has more than {error.validator_value} items"


def _fallback(error: Any, path: str, positions: Positions) -> Found:
    yield _at(positions, path), f"{_name(path)}: {error.message}"


_EXPLAIN: dict[str, Callable[[Any, str, Positions], Found]] = {
    "additionalProperties": _additional,
    "required": _required,
    "type": _type,
    "enum": _enum,
    "const": _const,
    "pattern": _pattern,
    "minLength": _min_length,
    "maxLength": _max_length,
    "minimum": _minimum,
    "minItems": _min_items,
    "maxItems": _max_items,
}


@cache
def _named_validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    from connectorctl.resources import load_schema

    schema = load_schema(name)
    return Draft202012Validator(_inline_refs(schema, schema.get("$defs", {})))


def check_document(data: Any, positions: Positions, file: str, schema_name: str) -> list[Problem]:
    """Every violation of one document against another schema in `schemas/` (e.g. the config)."""
    found: set[Problem] = set()
    for error in _named_validator(schema_name).iter_errors(data):
        path = ".".join(str(step) for step in error.absolute_path)
        explain = _EXPLAIN.get(error.validator, _fallback)
        for (line, col), message in explain(error, path, positions):
            found.add(Problem(file, line, col, message))
    return sorted(found)
