"""Plan reporters: goldens for each format, colour, escaping, and markdown size limits.

Regenerate the goldens after an intended change with `UPDATE_GOLDENS=1 pytest tests/test_render.py`.
"""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path

import jsonschema
import pytest

from connectorctl.errors import UsageError
from connectorctl.model import Change, ConnectorChange, DiffEntry, Level, Message, Plan
from connectorctl.planfile import plan_to_json
from connectorctl.report.plan import (
    COMMENT_LIMIT,
    REPORTERS,
    STEP_SUMMARY_LIMIT,
    escape_data,
    escape_property,
    render_plan,
    summary_line,
    use_color,
)
from connectorctl.resources import load_schema
from sample_plans import CREATED, TARGET, sample_plan

GOLDENS = Path(__file__).parents[1] / "data" / "render"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def check_golden(name: str, text: str) -> None:
    path = GOLDENS / name
    if os.environ.get("UPDATE_GOLDENS"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("fmt", "golden"),
    [
        ("text", "plan.txt"),
        ("json", "plan.json"),
        ("markdown", "plan.md"),
        ("github", "plan.github"),
    ],
)
def test_each_format_matches_its_golden(fmt: str, golden: str) -> None:
    check_golden(golden, render_plan(sample_plan(), fmt))


def test_reporters_are_picked_from_a_dict() -> None:
    assert set(REPORTERS) == {"text", "json", "markdown", "github"}
    with pytest.raises(UsageError, match="unknown plan format 'yaml'"):
        render_plan(sample_plan(), "yaml")


def test_json_format_is_the_plan_file_and_validates() -> None:
    text = render_plan(sample_plan(), "json")
    assert text == plan_to_json(sample_plan())
    jsonschema.Draft202012Validator(load_schema("plan.schema.json")).validate(json.loads(text))


# --- text --------------------------------------------------------------------------------------


def test_text_lists_changes_and_counts_silent_unchanged_ones() -> None:
    text = render_plan(sample_plan(), "text")
    assert "analytics-bridge" not in text
    assert "1 unchanged connector not shown." in text
    assert '    repository.tag: "v1.4.0" → "v1.5.0"' in text
    assert '    description: (absent) → "Card payments"' in text
    assert "      publish certification=false  [lifecycle: sent last, in its own request]" in text
    assert text.endswith("Plan: 1 to create, 1 to update, 2 unchanged, 1 blocked, 2 unmanaged.\n")


def test_colour_only_when_asked() -> None:
    plain = render_plan(sample_plan(), "text")
    coloured = render_plan(sample_plan(), "text", color=True)
    assert not ANSI.search(plain)
    assert "\x1b[32m+\x1b[0m" in coloured  # create in green
    assert "\x1b[31m!\x1b[0m" in coloured  # blocked in red
    assert ANSI.sub("", coloured) == plain


class FakeStream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize(
    ("tty", "env", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"FORCE_COLOR": ""}, False),
        (True, {"FORCE_COLOR": "1", "TERM": "dumb"}, True),
        (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),
        (True, {"TERM": "dumb"}, False),
        (True, {"TERM": "xterm-256color"}, True),
    ],
)
def test_use_color(tty: bool, env: dict[str, str], expected: bool) -> None:
    assert use_color(FakeStream(tty), env) is expected


def test_use_color_without_isatty() -> None:
    assert use_color(object(), {}) is False  # type: ignore[arg-type]


def _plan(*connectors: ConnectorChange, unmanaged: tuple[str, ...] | None = ()) -> Plan:
    return Plan(TARGET, CREATED, connectors, unmanaged)


def test_summary_line_variants() -> None:
    quiet = ConnectorChange("quiet", Change.UNCHANGED, id="q", version=1)
    assert summary_line(_plan(quiet, unmanaged=("x",))) == (
        "No changes. 1 unchanged, 0 blocked, 1 unmanaged."
    )
    assert summary_line(_plan(quiet, unmanaged=None)) == "No changes. 1 unchanged, 0 blocked."
    text = render_plan(_plan(quiet, unmanaged=None), "text")
    assert "Unmanaged connectors not listed (read by key)." in text
    assert summary_line(_plan()) == "No changes. 0 unchanged, 0 blocked, 0 unmanaged."


def test_remote_data_cannot_drive_the_terminal() -> None:
    evil = ConnectorChange(
        "evil", Change.UPDATE, id="e", version=1,
        actions=({"action": "setName", "name": "\x1b[2Jgone\x9b31m"},),
        diff=(DiffEntry("name", "old\u202e", "\x1b[2Jgone\x9b31m"),),
        messages=(Message(Level.WARNING, "bell\x07 here"),),
        source="con\x1bnectors/evil.yaml:1:1",
    )  # fmt: skip
    for fmt in ("text", "github", "markdown"):
        text = render_plan(_plan(evil), fmt)
        assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
        assert "\u202e" not in text
    assert "\\u001b[2Jgone\\u009b31m" in render_plan(_plan(evil), "text")


def test_unmanaged_list_is_bounded_in_text() -> None:
    keys = tuple(f"key-{i:04d}" for i in range(120))
    text = render_plan(_plan(unmanaged=keys), "text")
    assert "120 unmanaged (in no manifest): key-0000, " in text
    assert "key-0049, … and 70 more" in text
    assert "key-0050" not in text


# --- github ------------------------------------------------------------------------------------


def test_github_annotations_sit_at_each_connectors_source() -> None:
    lines = render_plan(sample_plan(), "github").splitlines()
    commands = [line for line in lines if line.startswith("::")]
    assert commands[0] == (
        "::error file=connectors/legacy.yaml,line=1,col=1,title=connectorctl%3A legacy-feed"
        "::the last publish failed:%0A- connect.yaml: missing deployAs"
    )
    kinds = [c.split(" ", 1)[0] for c in commands]
    assert kinds == ["::error", "::warning", "::notice", "::error", "::notice", "::notice"]
    assert lines[: len(lines) - len(commands)] == render_plan(sample_plan(), "text").splitlines()


def test_blocked_connector_without_an_error_message_still_gets_an_error() -> None:
    blocked = ConnectorChange("stuck", Change.BLOCKED, id="s", version=3, source="a.yaml:4:1")
    commands = [ln for ln in render_plan(_plan(blocked), "github").splitlines() if ln[:2] == "::"]
    assert commands == [
        "::error file=a.yaml,line=4,col=1,title=connectorctl%3A stuck"
        "::blocked: nothing will be sent for this connector"
    ]


def test_github_escapes_workflow_command_data_and_properties() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("C:\\a,b.yaml") == "C%3A\\a%2Cb.yaml"
    odd = ConnectorChange(
        "odd", Change.UNCHANGED, id="o", version=1, source="dir,x/a:b.yaml:12:3",
        messages=(Message(Level.INFO, "50% of\nit"), Message(Level.WARNING, "::error::fake")),
    )  # fmt: skip
    commands = [ln for ln in render_plan(_plan(odd), "github").splitlines() if ln[:2] == "::"]
    assert commands == [
        "::notice file=dir%2Cx/a%3Ab.yaml,line=12,col=3,title=connectorctl%3A odd::50%25 of%0Ait",
        "::warning file=dir%2Cx/a%3Ab.yaml,line=12,col=3,title=connectorctl%3A odd::::error::fake",
    ]


def test_github_without_a_parsable_source() -> None:
    change = ConnectorChange("k1", Change.UPDATE, id="i", version=1, source=None,
                             actions=({"action": "unlist"},))  # fmt: skip
    commands = [ln for ln in render_plan(_plan(change), "github").splitlines() if ln[:2] == "::"]
    assert commands == ["::notice title=connectorctl%3A k1::update k1: unlist"]
    change = ConnectorChange("k2", Change.UPDATE, id="i", version=1, source="weird",
                             actions=({"action": "unlist"},))  # fmt: skip
    commands = [ln for ln in render_plan(_plan(change), "github").splitlines() if ln[:2] == "::"]
    assert commands == ["::notice file=weird,title=connectorctl%3A k2::update k2: unlist"]


# --- markdown ----------------------------------------------------------------------------------


def test_markdown_puts_errors_first_and_balances_sections() -> None:
    text = render_plan(sample_plan(), "markdown")
    order = [m.group(1) for m in re.finditer(r"<summary><b>[^<]*</b> <code>([^<]*)</code>", text)]
    assert order == ["legacy-feed", "private-catalog", "payment-gateway", "tax-sync"]
    assert text.count("<details>") == text.count("</details>") == 4
    assert "| 1 | 1 | 2 | 1 | 2 |" in text


def test_markdown_values_cannot_break_tables_or_mention_people() -> None:
    change = ConnectorChange(
        "md", Change.UPDATE, id="m", version=1,
        actions=({"action": "setDescription", "description": "a | b `c` *d* @team <img>"},),
        diff=(DiffEntry("description", None, "a | b `c` *d* @team <img>"),),
        messages=(Message(Level.INFO, "ping @octocat | </details>"),),
    )  # fmt: skip
    text = render_plan(_plan(change), "markdown")
    row = next(line for line in text.splitlines() if line.startswith("| <code>description"))
    assert row.count("|") == 4
    for raw in ("@team", "@octocat", "<img>", "`c`", "*d*", "</details> "):
        assert raw not in text
    assert text.count("</details>") == 1


def test_markdown_unmanaged_none_shows_na() -> None:
    text = render_plan(_plan(unmanaged=None), "markdown")
    assert "| 0 | 0 | 0 | 0 | n/a |" in text
    assert text.rstrip().endswith("**No changes. 0 unchanged, 0 blocked.**")


def _huge_plan(count: int) -> Plan:
    connectors = tuple(
        ConnectorChange(
            f"connector-{i:05d}", Change.BLOCKED if i % 1000 == 999 else Change.UPDATE,
            id=f"id-{i}", version=i + 1, source=f"connectors/c{i:05d}.yaml:1:1",
            actions=({"action": "setRepository", "url": f"git@github.com:acme/c{i}.git",
                      "tag": "v2.0.0"}, {"action": "publish", "certification": False}),
            diff=(DiffEntry("repository.tag", "v1.0.0", "v2.0.0"),),
            messages=(Message(Level.ERROR, "blocked"),) if i % 1000 == 999 else (),
        )
        for i in range(count)
    )  # fmt: skip
    unmanaged = tuple(f"old-{i:05d}" for i in range(3000))
    return Plan(TARGET, CREATED, connectors, unmanaged)


@pytest.fixture(scope="module")
def huge_plan() -> Plan:
    return _huge_plan(5000)


@pytest.mark.parametrize("limit", [COMMENT_LIMIT, STEP_SUMMARY_LIMIT])
def test_huge_markdown_stays_under_the_limit_and_counts_what_is_left_out(
    huge_plan: Plan, limit: int
) -> None:
    text = render_plan(huge_plan, "markdown", max_chars=limit)
    assert len(text) <= limit and len(text.encode("utf-8")) <= limit
    assert limit in (65_000, 1024 * 1024)
    shown = text.count("<details>")
    assert shown == text.count("</details>") > 0
    left_out = 5000 - shown
    assert (
        f"\n… {left_out} more connectors not shown (limit reached); "
        "see the full plan in the job log/artifact.\n"
    ) in text
    assert text.count("<b>! blocked</b>") == 5  # errors are kept first
    assert text.rstrip().endswith(
        "**Plan: 0 to create, 4995 to update, 0 unchanged, 5 blocked, 3000 unmanaged.**"
    )
    assert "… and 2950 more" in text


def test_markdown_that_fits_is_not_truncated() -> None:
    full = render_plan(sample_plan(), "markdown")
    assert render_plan(sample_plan(), "markdown", max_chars=len(full.encode())) == full
    assert "not shown (limit reached)" not in full


def test_markdown_with_an_absurdly_small_limit_still_respects_it() -> None:
    text = render_plan(sample_plan(), "markdown", max_chars=120)
    assert len(text.encode("utf-8")) <= 120
    assert text.endswith("… (truncated)\n")
