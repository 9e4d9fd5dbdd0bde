"""One live resource as `show --key` prints it: a summary, its reports and comments, then all of it.

Every string that came from the API is written so that it cannot drive a terminal or start a line
as a workflow command: yaml quotes and escapes it, json escapes everything outside ASCII.
"""

from __future__ import annotations

import io
import json
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any, cast

SUMMARY_FIELDS = ("status", "isPreviewable", "hasChanges", "version")
REPORT_FIELDS = ("publishingReport", "previewableReport")
LIVE_FORMATS = ("yaml", "json")


def live_document(resource: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The summary (key, kind, status, …, version), reports, comments, then the resource."""
    document: dict[str, Any] = {"key": resource.get("key"), "kind": kind}
    for name in SUMMARY_FIELDS:
        document[name] = resource.get(name)
    document["reports"] = {name: report_entries(resource, name) for name in REPORT_FIELDS}
    document["certificationComments"] = certification_comments(resource)
    document["resource"] = dict(resource)
    return document


def report_entries(resource: Mapping[str, Any], name: str) -> list[Any]:
    """The entries of one report (`publishingReport` or `previewableReport`); [] when absent."""
    report = resource.get(name)
    entries = report.get("entries") if isinstance(report, Mapping) else None
    return list(entries) if isinstance(entries, list) else []


def certification_comments(resource: Mapping[str, Any]) -> list[Any]:
    """The comments of `certificationInfo`; [] when absent."""
    info = resource.get("certificationInfo")
    comments = info.get("comments") if isinstance(info, Mapping) else None
    return list(comments) if isinstance(comments, list) else []


def render_live(resource: Mapping[str, Any], kind: str, fmt: str) -> str:
    """The live resource as yaml or json text, newline-ended."""
    document = live_document(resource, kind)
    if fmt == "json":
        return json.dumps(document, indent=2, ensure_ascii=True) + "\n"
    return safe_yaml(document)


def safe_yaml(data: Any) -> str:
    """Block yaml in which no string can start a line or carry a raw control character."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.allow_unicode = True
    yaml.width = 1_000_000_000  # never fold: a folded line could begin with the value's text
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.Representer = _null_representer()
    stream = io.StringIO()
    yaml.dump(_quoted(data), stream)
    return "".join(_escape_char(ch) for ch in stream.getvalue())


@cache
def _null_representer() -> Any:
    """ruamel's representer with `null` spelled out (it writes nothing), on a subclass of ours."""
    from ruamel.yaml.representer import RoundTripRepresenter

    class NullRepresenter(RoundTripRepresenter):
        pass

    def represent_null(representer: Any, _: None) -> Any:
        return representer.represent_scalar("tag:yaml.org,2002:null", "null")

    NullRepresenter.add_representer(type(None), represent_null)
    return NullRepresenter


def _quoted(value: Any) -> Any:
    """`value` with every risky string (and mapping key) forced into a double-quoted scalar."""
    if isinstance(value, str):
        return _scalar(value)
    if isinstance(value, Mapping):
        return {_scalar(str(k)): _quoted(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_quoted(v) for v in value]
    return value


def _scalar(text: str) -> str:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if text.startswith(":") or not text.isprintable() or any(_unsafe(ch) for ch in text):
        return cast(str, DoubleQuotedScalarString(text))
    return text


def _unsafe(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category.startswith("C") or category in ("Zl", "Zp")


def _escape_char(ch: str) -> str:
    # The emitter escapes C0/C1 controls itself but keeps format characters (bidi overrides);
    # such a character only ever sits inside a double-quoted scalar, where `\u` escapes it.
    if ch == "\n" or not _unsafe(ch):
        return ch
    code = ord(ch)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
