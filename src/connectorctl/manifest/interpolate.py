"""`${VAR}` and `${VAR:-default}` in manifest strings; `$${` is a literal `${`.

The result is always a string: no type coercion. The environment is passed in, never read here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

MAX_ERRORS = 20  # per string: a value with thousands of bad references gets one summary line
_REFERENCE = re.compile(
    r"\$\$\{"  # escaped: a literal "${"
    r"|\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}"
    r"|\$\{(?P<bad>[^}]*\}?)"
)
UNDEFINED_VARIABLE = "undefined variable"


def interpolate(text: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """`text` with every reference replaced, and a message for each that cannot be."""
    if "${" not in text:
        return text, []
    errors: list[str] = []

    def replace(match: re.Match[str]) -> str:
        name, default, bad = match.group("name", "default", "bad")
        if name is None and bad is None:
            return "${"
        if bad is not None:
            errors.append(f"invalid variable reference '${{{bad}' (use $${{ for a literal ${{)")
            return match.group(0)
        if default is not None and "${" in default.replace("$${", ""):
            errors.append(
                f"nested variable reference in the default of '${{{name}:-…}}' is not supported"
            )
            return match.group(0)
        value = env.get(name)
        if default is not None and not value:
            return default
        if value is None:
            errors.append(f"{UNDEFINED_VARIABLE} '{name}'")
            return match.group(0)
        return value

    result = _REFERENCE.sub(replace, text)
    if len(errors) > MAX_ERRORS:
        more = len(errors) - MAX_ERRORS
        errors[MAX_ERRORS:] = [f"{more} more problems with variable references in this string"]
    return result, errors
