"""YAML text → small position-carrying node trees, built from the C parser's event stream.

Composing from events (instead of ruamel's composer) lets one pass bound nesting depth and alias
expansion, find duplicate and non-string keys, and keep every scalar as plain JSON data: a
timestamp stays the string it was written as. Every failure is returned as a Problem.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field
from typing import Any

from connectorctl.model import Problem

MAX_DEPTH = 64
MAX_NODES = 10_000
# Keys and values in one file, all documents together: composing costs ~11 µs a value, so this bound
# keeps any 1 MiB file to about a second (a real manifest holds a few dozen values).
MAX_FILE_NODES = 120_000

_CORE = "tag:yaml.org,2002:"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass
class Node:
    """One composed node: a scalar's plain value, a list of Nodes, or a dict of Entries.

    `size` counts the nodes of the subtree with aliases expanded.
    """

    kind: str  # "scalar" | "seq" | "map"
    line: int
    col: int
    value: Any = None
    tag: str = ""
    size: int = 1


@dataclass
class Entry:
    """One mapping entry: where its key was written, and its value."""

    line: int
    col: int
    node: Node


@dataclass
class Document:
    """One YAML document of a file (its root node is never an empty scalar)."""

    root: Node


class _Stop(Exception):
    """Composition of this file cannot continue; the problem is already recorded."""


def decode(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    """UTF-8 (BOM or not), or UTF-16/32 with a BOM → text; else a problem at the first bad byte."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Problem(file, line, col, f"file is not valid {encoding.upper()} text")


def compose(text: str, file: str) -> tuple[list[Document], list[Problem]]:
    """All non-empty documents of `text`, and every problem met while composing them."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    composer = _Composer(text, file)
    try:
        composer.run()
    except _Stop:
        pass
    except MarkedYAMLError as exc:
        composer.problems.append(_syntax_problem(exc, file))
    except YAMLError as exc:
        composer.problems.append(_reader_problem(exc, text, file))
    return composer.documents, composer.problems


# The pure-Python parser words some problems differently from the C parser; one wording for both
# (pattern of the pure wording → the C wording and, when the C parser gives one, its context).
_PURE_WORDING = (
    (r"mapping values are not allowed here", "mapping values are not allowed in this context", ""),
    (r"special characters are not allowed", "control characters are not allowed", ""),
    (r"expected <block end>, but found .*", "did not find expected key", ""),
    (r"expected the node content, but found .*", "did not find expected node content", ""),
    (r"expected ',' or '\}', but got .*", "did not find expected ',' or '}'", ""),
    (r"expected ',' or '\]', but got .*", "did not find expected ',' or ']'", ""),
    (
        r"found character .* that cannot start any token",
        "found character that cannot start any token",
        "while scanning for the next token",
    ),
)


def _c_wording(problem: str | None, context: str | None) -> tuple[str | None, str | None]:
    for pattern, wording, c_context in _PURE_WORDING:
        if problem is not None and re.fullmatch(pattern, problem, re.DOTALL):
            return wording, context or c_context or None
    return problem, context


def _syntax_problem(exc: Any, file: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    problem, context = _c_wording(exc.problem, exc.context)
    message = f"invalid YAML: {problem or context or 'cannot parse'}"
    reworded = problem != exc.problem  # the pure parser gives no mark for this context
    started = exc.context_mark if exc.context_mark is not None else (mark if reworded else None)
    if context and problem and started is not None:
        where = f"line {started.line + 1}, column {started.column + 1}"
        message += f" ({context} at {where})"
    return Problem(file, line, col, message)


def _reader_problem(exc: Any, text: str, file: str) -> Problem:
    position = getattr(exc, "position", None)
    if not isinstance(position, int):
        return Problem(file, 1, 1, f"invalid YAML: {exc}")
    line = text.count("\n", 0, position) + 1
    col = position - (text.rfind("\n", 0, position) + 1) + 1
    reason, _ = _c_wording(getattr(exc, "reason", "unacceptable character"), None)
    character = getattr(exc, "character", None)
    if isinstance(character, str):
        character = ord(character)
    code = f" #x{character:04x}" if isinstance(character, int) else ""
    return Problem(file, line, col, f"invalid YAML: unacceptable character{code}: {reason}")


def _parser(text: str) -> Any:
    """ruamel's C parser when installed (fast); else its pure-Python parser, same events."""
    try:
        from _ruamel_yaml import CParser  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return _pure_parser(text)
    return CParser(text)


def _pure_parser(text: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.parser import Parser
    from ruamel.yaml.tokens import ValueToken

    class _Parser(Parser):
        """Places an empty mapping value right after its `:`, as the C parser does."""

        def parse_block_mapping_value(self) -> Any:
            token = self.scanner.peek_token()
            event = super().parse_block_mapping_value()
            empty = getattr(event, "value", None) == "" and event.start_mark is event.end_mark
            if isinstance(token, ValueToken) and empty and event.implicit == (True, False):
                event.start_mark = event.end_mark = token.end_mark
            return event

    yaml = YAML(typ="safe", pure=True)
    yaml.Parser = _Parser
    _, parser = yaml.get_constructor_parser(text)
    return parser


class _Composer:
    """Walks the event stream once, building Nodes and collecting problems."""

    def __init__(self, text: str, file: str) -> None:
        from ruamel.yaml import events

        self.events = events
        self.text = text
        self.parser: Any = None  # made in run(): the pure parser checks the text at once
        self.file = file
        self.documents: list[Document] = []
        self.problems: list[Problem] = []
        self.anchors: dict[str, Node] = {}
        self.depth = 0
        self.count = 0

    def run(self) -> None:
        self.parser = _parser(self.text)
        self.parser.get_event()  # StreamStart
        while not isinstance(self.parser.peek_event(), self.events.StreamEndEvent):
            self.parser.get_event()  # DocumentStart
            self.anchors = {}
            root = self.node()
            self.parser.get_event()  # DocumentEnd
            if not (root.kind == "scalar" and root.value is None):
                self.documents.append(Document(root))

    def problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.file, node.line, node.col, message))

    def node(self) -> Node:
        ev = self.events
        event = self.parser.get_event()
        mark = event.start_mark
        if isinstance(event, ev.AliasEvent):
            built = self.alias(event.anchor, mark.line + 1, mark.column + 1)
            self.counted(built.line, built.col, built.size)
            return built
        self.counted(mark.line + 1, mark.column + 1)
        if isinstance(event, ev.ScalarEvent):
            built = self.scalar(event, mark.line + 1, mark.column + 1)
        else:
            built = self.collection(event, mark.line + 1, mark.column + 1)
        if event.anchor is not None:
            self.anchors[event.anchor] = built
        return built

    def counted(self, line: int, col: int, size: int = 1) -> None:
        """Count values towards the file's bound; stop composing past it."""
        self.count += size
        if self.count > MAX_FILE_NODES:
            message = f"more than {MAX_FILE_NODES} values in one file (split it)"
            self.problems.append(Problem(self.file, line, col, message))
            raise _Stop

    def alias(self, anchor: str, line: int, col: int) -> Node:
        target = self.anchors.get(anchor)
        if target is None:
            self.problems.append(Problem(self.file, line, col, f"undefined alias '{anchor}'"))
            raise _Stop
        return Node(target.kind, line, col, target.value, target.tag, target.size)

    def collection(self, event: Any, line: int, col: int) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.problems.append(
                Problem(self.file, line, col, f"nesting deeper than {MAX_DEPTH} levels")
            )
            raise _Stop
        is_map = isinstance(event, self.events.MappingStartEvent)
        node = Node("map" if is_map else "seq", line, col, tag=event.tag or "")
        if node.tag not in ("", "!", _CORE + ("map" if is_map else "seq")):
            self.problem(node, f"unsupported tag '{short_tag(node.tag)}'")
        if is_map:
            self.fill_mapping(node)
        else:
            self.fill_sequence(node)
        self.parser.get_event()  # the collection's end event
        self.depth -= 1
        return node

    def fill_sequence(self, node: Node) -> None:
        items: list[Node] = []
        while not isinstance(self.parser.peek_event(), self.events.SequenceEndEvent):
            item = self.node()
            items.append(item)
            self.grow(node, item)
        node.value = items

    def fill_mapping(self, node: Node) -> None:
        entries: dict[str, Entry] = {}
        merges: list[Node] = []
        while not isinstance(self.parser.peek_event(), self.events.MappingEndEvent):
            key = self.node()
            value = self.node()
            self.grow(node, value)
            if key.tag == _CORE + "merge":
                merges.append(value)
            elif self.usable_key(key):
                self.add_entry(entries, key, value)
        for merged in merges:
            self.merge(entries, merged)
        node.value = entries

    def grow(self, node: Node, child: Node) -> None:
        node.size += child.size
        if node.size > MAX_NODES:
            self.problem(child, f"aliases expand to more than {MAX_NODES} nodes")
            raise _Stop

    def usable_key(self, key: Node) -> bool:
        if key.kind == "scalar" and isinstance(key.value, str):
            return True
        shown = _describe_key(key)
        self.problem(key, f"mapping keys must be strings, not {shown}")
        return False

    def add_entry(self, entries: dict[str, Entry], key: Node, value: Node) -> None:
        first = entries.get(key.value)
        if first is not None:
            self.problem(key, f"duplicate field '{key.value}' (first at line {first.line})")
            return
        entries[key.value] = Entry(key.line, key.col, value)

    def merge(self, entries: dict[str, Entry], merged: Node) -> None:
        sources = merged.value if merged.kind == "seq" else [merged]
        for source in sources:
            if source.kind != "map":
                self.problem(source, "a merge key ('<<') needs a mapping or a list of mappings")
                continue
            for name, entry in source.value.items():
                entries.setdefault(name, entry)

    def scalar(self, event: Any, line: int, col: int) -> Node:
        tag = event.tag
        if tag is None:
            tag = resolve_plain(event.value) if event.implicit[0] else _CORE + "str"
        elif tag == "!":
            tag = _CORE + "str"
        node = Node("scalar", line, col, tag=tag)
        try:
            node.value = _scalar_value(tag, event.value)
        except ValueError as exc:
            # A plain scalar that only looks like a number (`+_`) is a string; a wrong tag is not.
            if event.tag is not None:
                self.problem(node, str(exc))
            node.value = event.value
        return node


# YAML 1.2 core schema resolution of plain scalars (as ruamel.yaml does for YAML 1.2).
_IMPLICIT = tuple(
    (_CORE + kind, re.compile(pattern, re.X))
    for kind, pattern in (
        ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$"),
        (
            "float",
            r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
            |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
            |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
            |[-+]?\.(?:inf|Inf|INF)
            |\.(?:nan|NaN|NAN))$""",
        ),
        ("int", r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$"),
        ("merge", r"^<<$"),
        ("null", r"^(?:~|null|Null|NULL|)$"),
        (
            "timestamp",
            r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
            |[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?
            (?:[Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](?:\.[0-9]*)?
            (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$""",
        ),
    )
)


def resolve_plain(text: str) -> str:
    """The tag of a plain (unquoted, untagged) scalar."""
    if text and text[0] not in "-+.0123456789tTfFnN~<":
        return _CORE + "str"
    for tag, pattern in _IMPLICIT:
        if pattern.match(text):
            return tag
    return _CORE + "str"


def _describe_key(key: Node) -> str:
    if key.kind != "scalar":
        return "a " + {"map": "mapping", "seq": "list"}[key.kind]
    if key.value is None:
        return "null"
    if isinstance(key.value, bool):
        return "true" if key.value else "false"
    return repr(key.value)


def _scalar_value(tag: str, text: str) -> Any:
    """A scalar as plain JSON data, chosen by its tag; ValueError for what JSON cannot hold."""
    kind = tag[len(_CORE) :] if tag.startswith(_CORE) else tag
    if kind in ("str", "timestamp", "merge"):
        return text
    if kind == "null":
        return None
    if kind == "bool":
        return _bool(text)
    if kind == "int":
        return _int(text)
    if kind == "float":
        return _float(text)
    raise ValueError(f"unsupported tag '{short_tag(tag)}'")


def short_tag(tag: str) -> str:
    """A tag as it is usually written: `!!binary` for the core schema's tags."""
    return "!!" + tag[len(_CORE) :] if tag.startswith(_CORE) else tag


def _bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise ValueError(f"'{text}' is not a boolean (true or false)")


def _int(text: str) -> int:
    cleaned = text.replace("_", "")
    sign = -1 if cleaned.startswith("-") else 1
    digits = cleaned.lstrip("+-")
    bases = {"0x": 16, "0o": 8, "0b": 2}
    try:
        base = bases.get(digits[:2].lower(), 10)
        return sign * int(digits[2:] if base != 10 else digits, base)
    except ValueError:
        raise ValueError(f"'{text}' is not an integer") from None


def _float(text: str) -> float:
    cleaned = text.replace("_", "").lower()
    special = {".inf": "inf", "+.inf": "inf", "-.inf": "-inf", ".nan": "nan"}
    try:
        return float(special.get(cleaned, cleaned))
    except ValueError:
        raise ValueError(f"'{text}' is not a number") from None


@dataclass
class Positions:
    """Where each value of a document was written, by dotted path, and where each key was."""

    values: dict[str, tuple[int, int]] = field(default_factory=dict)
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)


def to_plain(node: Node, positions: Positions, path: str = "") -> Any:
    """The node as plain JSON data, recording every value's and key's place in `positions`."""
    positions.values[path] = (node.line, node.col)
    if node.kind == "scalar":
        return node.value
    if node.kind == "seq":
        return [to_plain(item, positions, _join(path, str(i))) for i, item in enumerate(node.value)]
    data: dict[str, Any] = {}
    for name, entry in node.value.items():
        child = _join(path, name)
        positions.keys[child] = (entry.line, entry.col)
        data[name] = to_plain(entry.node, positions, child)
    return data


def _join(path: str, step: str) -> str:
    return f"{path}.{step}" if path else step
