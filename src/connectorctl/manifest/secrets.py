"""A secret never enters a manifest: the values of secret variables are looked for in every
interpolated string, so a `${CTP_CLIENT_SECRET}` (or the pasted value) is a problem at its place.

Callers pass the set of variable names that hold secrets; targets with secrets of their own add
their variable names to `SECRET_VARIABLES`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

SECRET_VARIABLES = frozenset({"CTP_CLIENT_SECRET"})
MIN_SECRET_LENGTH = 8  # shorter values match ordinary words too often to mean anything
REDACTED = "<redacted>"


def secret_values(env: Mapping[str, str], names: Collection[str]) -> dict[str, str]:
    """The value of each named variable that is set and long enough to be looked for."""
    return {
        name: env[name] for name in sorted(names) if len(env.get(name, "")) >= MIN_SECRET_LENGTH
    }


def secrets_in(text: str, secrets: Mapping[str, str]) -> list[str]:
    """The names of the secrets whose value occurs in `text`."""
    return [name for name, value in secrets.items() if value in text]


def secret_message(names: Collection[str]) -> str:
    """The problem for a string holding secret values (it never shows the value)."""
    listed = ", ".join(sorted(names))
    return f"contains the value of {listed} (a secret never goes in a manifest)"
