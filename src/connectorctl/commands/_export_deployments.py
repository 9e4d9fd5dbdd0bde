"""`export` for Deployments: `deployments/<key>.yaml` manifests with `${NAME}` placeholders.

Secured values are never read back into a file: each secured key becomes a placeholder whose
variable name is derived from the deployment, application and key, and the names are listed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from connectorctl.model import MANIFEST_API_VERSION

KIND = "Deployment"
FOLDER = "deployments"
STANDARD = "standardConfiguration"
SECURED = "securedConfiguration"


def variable_name(*parts: str) -> str:
    """An environment variable name for a secured value: `PAYMENT_SANDBOX_SERVICE_API_KEY`."""
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts)).upper().lstrip("0123456789")


def deployment_manifest(live: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The manifest of one live Deployment, and the variables its secured values need."""
    key = str(live["key"])
    connector = live.get("connector") or {}
    reference: dict[str, Any] = {"key": connector.get("key")}
    if live.get("type") == "preview" or live.get("preview") is True:
        reference["staged"] = True
    data: dict[str, Any] = {"apiVersion": MANIFEST_API_VERSION, "kind": KIND, "key": key}
    data["connector"] = reference
    data["type"] = live.get("type")
    data["region"] = live.get("deployedRegion")
    variables: list[str] = []
    schemas = _by_name(connector.get("configurations"))
    data["configurations"] = []
    for app in live.get("applications") or ():
        if not isinstance(app, Mapping) or not isinstance(app.get("applicationName"), str):
            continue
        name = app["applicationName"]
        entry: dict[str, Any] = {"applicationName": name}
        entry[STANDARD] = _values(app.get(STANDARD))
        secured = _keys(app.get(SECURED)) or _keys((schemas.get(name) or {}).get(SECURED))
        placeholders = {k: variable_name(key, name, k) for k in secured}
        variables.extend(placeholders.values())
        entry[SECURED] = {k: "${" + v + "}" for k, v in placeholders.items()}
        data["configurations"].append(entry)
    glob = live.get("globalConfiguration") or {}
    if _values(glob.get(STANDARD)) or _keys(glob.get(SECURED)):
        names = {k: variable_name(key, "global", k) for k in _keys(glob.get(SECURED))}
        variables.extend(names.values())
        data["globalConfiguration"] = {
            STANDARD: _values(glob.get(STANDARD)),
            SECURED: {k: "${" + v + "}" for k, v in names.items()},
        }
    return data, variables


def deployment_path(out_dir: Path, key: str) -> Path:
    return out_dir / FOLDER / f"{key}.yaml"


def _by_name(apps: Any) -> dict[str, Mapping[str, Any]]:
    return {
        a["applicationName"]: a
        for a in apps or ()
        if isinstance(a, Mapping) and isinstance(a.get("applicationName"), str)
    }


def _values(entries: Any) -> dict[str, str]:
    return {
        e["key"]: e["value"]
        for e in (entries if isinstance(entries, Sequence) else ())
        if isinstance(e, Mapping)
        and isinstance(e.get("key"), str)
        and isinstance(e.get("value"), str)
    }


def _keys(entries: Any) -> list[str]:
    return [
        e["key"]
        for e in (entries if isinstance(entries, Sequence) else ())
        if isinstance(e, Mapping) and isinstance(e.get("key"), str)
    ]
