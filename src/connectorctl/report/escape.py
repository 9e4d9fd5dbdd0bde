"""The one escaping function per output format, for every printed text that came from input or
from the API (file names, keys, values, API messages).

text: control characters (newlines included) become visible escapes, so no value can start a line,
drive a terminal or forge a workflow command. github: a workflow command's message and property
values as GitHub's runner parses them. markdown: entities for everything markdown or HTML would
interpret, so a value cannot break a table row, close a <details> block or @-mention anyone.
"""

from __future__ import annotations

import unicodedata


def safe_text(text: str) -> str:
    """`text` with control characters escaped, so remote data cannot drive a terminal."""
    if text.isprintable():
        return text
    return "".join(_escape_char(ch) for ch in text)


def safe_lines(text: str) -> list[str]:
    """The lines of a multi-line text, each made safe; at least one line."""
    return [safe_text(line) for line in text.splitlines()] or [""]


def _escape_char(ch: str) -> str:
    category = unicodedata.category(ch)
    if category.startswith("C") or category in ("Zl", "Zp"):
        return f"\\u{ord(ch):04x}"
    return ch


def github_data(text: str) -> str:
    """A workflow command's message: `%`, CR and LF escaped (GitHub's rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_property(text: str) -> str:
    """A workflow command's property value: as data after text escaping, plus `:` and `,`."""
    return github_data(safe_text(text)).replace(":", "%3A").replace(",", "%2C")


def github_message(text: str) -> str:
    """A workflow command's message from any text: each line made safe, then joined as data."""
    return github_data("\n".join(safe_lines(text)))


def markdown(text: str) -> str:
    """Text that markdown and HTML show literally (and that cannot @-mention anyone)."""
    return "".join(_ENTITIES.get(ch, ch) for ch in safe_text(text))


def markdown_code(text: str) -> str:
    """A value as inline code that survives table cells: `<code>` with every special escaped."""
    return f"<code>{markdown(text)}</code>"


_ENTITIES = {ch: f"&#{ord(ch)};" for ch in "&<>|\\`*_[]#@~"}
