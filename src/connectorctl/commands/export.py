"""`connectorctl export`: write `<key>.yaml` manifests for connectors that already exist.

Only desired fields are written (no release, listed or certification comments), and fields that
are empty or absent remotely are left out, so that a plan right after the export is empty.
"""

from __future__ import annotations

import io
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from connectorctl.api.client import ConnectClient
from connectorctl.api.remote import read_all, read_by_key
from connectorctl.api.session import open_session
from connectorctl.config import ExportOptions
from connectorctl.errors import ConnectorctlError, ExitCode, NotFoundError, UsageError
from connectorctl.model import CREATOR_FIELDS, DRAFT_FIELDS, MANIFEST_API_VERSION, MANIFEST_KIND
from connectorctl.report.escape import safe_text
from connectorctl.targets import TargetRun

SCHEMA_PATH = Path("schemas") / "manifest.schema.json"
DEPLOYMENT = "Deployment"
DEPLOYMENTS = "{projectKey}/deployments"
_KEY = re.compile(r"[A-Za-z0-9_-]{2,256}")  # the manifest schema's key: a safe file name
_SUB_FIELDS: Mapping[str, tuple[str, ...]] = {
    "creator": CREATOR_FIELDS,
    "repository": ("url", "tag"),
}


def run(options: ExportOptions) -> int:
    """Read the connectors and write one manifest each; nothing at all when a file exists."""
    if options.output_dir == "-":
        raise UsageError("--output-dir - is not a folder: export writes one file per connector")
    target = _target_run(options).target
    with open_session(target, os.environ) as session:
        if options.keys:
            connectors, deployments = _read_keys(session.client, options.keys)
        else:
            connectors, _ = read_all(session.client)
            deployments = _read_deployments(session.client)
    out_dir = Path(options.output_dir)
    connectors, refused = _exportable(connectors)
    deployments, refused_deployments = _exportable(deployments)
    files = manifest_files(connectors, out_dir)
    variables = _deployment_files(deployments, out_dir, files)
    refused += refused_deployments
    existing = sorted(str(path) for path in files if path.exists())
    if existing and not options.force:
        raise ConnectorctlError(
            "refusing to overwrite "
            + safe_text(", ".join(existing))
            + " (use --force); nothing written"
        )
    _write_all(files)
    count = len(files) - len(deployments)
    where = safe_text(out_dir.as_posix())
    print(f"exported {count} connector(s) to {where}", file=sys.stderr)
    if deployments:
        print(f"exported {len(deployments)} deployment(s) to {where}/deployments", file=sys.stderr)
    if variables:
        names = ", ".join(safe_text(v) for v in variables)
        print(f"set these variables to the secured values before apply: {names}", file=sys.stderr)
    return ExitCode.PROBLEMS if refused else ExitCode.OK


def valid_key(key: Any) -> bool:
    """Whether a remote key can name a manifest and its file (never a path: no `/` or `..`)."""
    return isinstance(key, str) and _KEY.fullmatch(key) is not None


def _exportable(
    connectors: Sequence[dict[str, Any]],
) -> tuple[list[dict[str, Any]], int]:
    """The connectors whose key can name a manifest; an error line for each other one."""
    kept = []
    for connector in connectors:
        key = connector.get("key")
        if key is None or valid_key(key):
            kept.append(connector)
            continue
        where = safe_text(str(connector.get("id")))
        message = f"its key {safe_text(repr(key))} is not a valid manifest key; not exported"
        print(f"error: connector {where}: {message}", file=sys.stderr)
    return kept, len(connectors) - len(kept)


def _target_run(options: ExportOptions) -> TargetRun:
    from connectorctl.config import Selection
    from connectorctl.targets import target_runs

    return target_runs(options.project, options.target, Selection(), os.environ)[0]


def _read_keys(
    client: ConnectClient, keys: Sequence[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Connectors by key; keys that are no connector are looked up as Deployments."""
    found = read_by_key(client, keys)
    rest = [k for k in dict.fromkeys(keys) if k not in found]
    deployments: dict[str, dict[str, Any]] = {}
    if rest and client.can_read(DEPLOYMENT):
        for key in rest:
            live = client.get_by_key_in(DEPLOYMENTS, key)
            if live is not None:
                deployments[key] = live
    missing = [k for k in rest if k not in deployments]
    if missing:
        names = ", ".join(repr(k) for k in missing)
        raise NotFoundError(f"no connector or deployment with the key {names}", status=404)
    return list(found.values()), list(deployments.values())


def _read_deployments(client: ConnectClient) -> list[dict[str, Any]]:
    """Every Deployment of the project, when the token may read them (else none)."""
    if not client.can_read(DEPLOYMENT):
        return []
    from connectorctl.api.remote import read_all_in

    return list(read_all_in(client, DEPLOYMENTS).values())


def _deployment_files(
    deployments: Sequence[Mapping[str, Any]], out_dir: Path, files: dict[Path, str]
) -> list[str]:
    """Add `deployments/<key>.yaml` to `files`; the secured-value variables they name."""
    from connectorctl.commands._export_deployments import deployment_manifest, deployment_path

    variables: list[str] = []
    for live in sorted(deployments, key=lambda d: str(d.get("key", ""))):
        if not valid_key(live.get("key")):
            continue
        data, names = deployment_manifest(live)
        variables.extend(names)
        escaped = _escape(data)
        # Placeholders are meant to be interpolated: only the other values are escaped.
        for index, app in enumerate(data["configurations"]):
            escaped["configurations"][index]["securedConfiguration"] = app["securedConfiguration"]
        if "globalConfiguration" in data:
            secured = data["globalConfiguration"]["securedConfiguration"]
            escaped["globalConfiguration"]["securedConfiguration"] = secured
        files[deployment_path(out_dir, str(live["key"]))] = dump_yaml(escaped)
    return variables


def manifest_files(connectors: Sequence[Mapping[str, Any]], out_dir: Path) -> dict[Path, str]:
    """The manifest text of each keyed connector, by target file (keyless ones are skipped)."""
    header = schema_comment(out_dir)
    files: dict[Path, str] = {}
    for connector in sorted(connectors, key=lambda c: str(c.get("key", ""))):
        key = connector.get("key")
        if not isinstance(key, str) or not key:
            print(
                f"warning: skipping connector {connector.get('id')}: it has no key", file=sys.stderr
            )
            continue
        if not valid_key(key):  # a key that names another place is never a file name
            raise ConnectorctlError(f"refusing to export the key {safe_text(repr(key))}")
        files[out_dir / f"{key}.yaml"] = header + dump_yaml(manifest_data(connector))
    return files


def manifest_data(connector: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest of one remote connector: its non-empty desired fields, in draft order."""
    data: dict[str, Any] = {"apiVersion": MANIFEST_API_VERSION, "kind": MANIFEST_KIND}
    for name in DRAFT_FIELDS:
        value = connector.get(name)
        if name in _SUB_FIELDS and isinstance(value, Mapping):
            value = {k: value[k] for k in _SUB_FIELDS[name] if not _empty(value.get(k))}
        if not _empty(value):
            data[name] = _escape(value)
    return data


def schema_comment(out_dir: Path) -> str:
    """The yaml-language-server line pointing editors at the manifest schema."""
    schema = SCHEMA_PATH.resolve()
    if schema.is_file():
        target = Path(os.path.relpath(schema, out_dir.resolve())).as_posix()
        return f"# yaml-language-server: $schema={target}\n"
    return (
        f"# yaml-language-server: $schema={SCHEMA_PATH.name}\n"
        f"# (write it beside this file with: connectorctl schema -o {SCHEMA_PATH.name})\n"
    )


def dump_yaml(data: Mapping[str, Any]) -> str:
    """Block-style YAML, keys in the given order."""
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _escape(value: Any) -> Any:
    """Keep `${` literal: the loader would interpolate it (`$${` reads back as `${`).

    A string that is not all printable is double-quoted, where YAML escapes every control
    character (plain or single-quoted, a U+0085 would read back as a line break).
    """
    if isinstance(value, str):
        from ruamel.yaml.scalarstring import DoubleQuotedScalarString

        text = value.replace("${", "$${")
        return text if text.isprintable() else DoubleQuotedScalarString(text)
    if isinstance(value, list):
        return [_escape(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _escape(v) for k, v in value.items()}
    return value


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _write_all(files: Mapping[Path, str]) -> None:
    for path, text in files.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConnectorctlError(f"cannot write {path}: {exc.strerror}") from exc
