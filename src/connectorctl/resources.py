"""The JSON Schemas in `schemas/`, shipped inside the wheel as `connectorctl/_schemas`."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast


def schema_text(name: str) -> str:
    """The text of one schema: from the installed wheel, else from the source checkout."""
    packaged = resources.files("connectorctl").joinpath("_schemas", name)
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    # Editable installs and source checkouts keep the one copy at the repository's top level.
    return (Path(__file__).resolve().parents[2] / "schemas" / name).read_text(encoding="utf-8")


@cache
def load_schema(name: str) -> dict[str, Any]:
    """One schema, parsed (cached: it never changes while we run)."""
    return cast(dict[str, Any], json.loads(schema_text(name)))
