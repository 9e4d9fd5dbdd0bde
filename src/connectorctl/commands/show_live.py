"""`connectorctl show --key K`: the live state of one resource, as yaml or json.

Status, preview state, reports, certification comments and version first, then the whole resource.
A key that does not exist is one error line and exit 1; with json, stdout still holds one document.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from typing import Any

from connectorctl.api.client import ConnectClient
from connectorctl.api.httptrace import redact_body
from connectorctl.api.session import open_session
from connectorctl.commands._output import write
from connectorctl.config import Selection, ShowLiveOptions
from connectorctl.errors import ApiError, ConnectorctlError, ExitCode, NotFoundError, UsageError
from connectorctl.report.escape import safe_text

SUPPORTED_KINDS = ("ConnectorStaged", "Deployment")
# Where each kind lives (below the project for Deployments).
_COLLECTIONS = {"ConnectorStaged": "connectors/drafts", "Deployment": "{projectKey}/deployments"}


def run(options: ShowLiveOptions) -> int:
    """Read the resource by key and print it; exit 1 when it does not exist."""
    try:
        resource = _read(options)
    except ConnectorctlError as exc:
        if options.output_format == "json":
            write(sys.stdout, _error_document(options, str(exc)))
        raise
    from connectorctl.report.live import render_live

    write(sys.stdout, render_live(resource, options.kind, options.output_format))
    return ExitCode.OK


def _read(options: ShowLiveOptions) -> dict[str, Any]:
    if options.kind not in SUPPORTED_KINDS:
        raise UsageError(f"show --kind {safe_text(options.kind)} is not supported")
    from connectorctl.targets import target_runs

    run = target_runs(options.project, options.target, Selection(), os.environ)[0]
    with open_session(run.target, run.env) as session:
        collection = _COLLECTIONS[options.kind]
        session.client.check_scope(options.kind, write=False)
        resource = session.client.get_by_key_in(collection, options.key)
        if resource is None:
            hint = _did_you_mean(session.client, collection, options.key)
            raise NotFoundError(
                f"no {options.kind} with the key {safe_text(repr(options.key))}{hint}", status=404
            )
    # Secured values are never shown, whatever the API returns (it may echo them).
    redacted: dict[str, Any] = redact_body(resource)
    return redacted


def _did_you_mean(client: ConnectClient, collection: str, key: str) -> str:
    """` (did you mean 'x'?)` from the first page of keys, or "" (the hint is best effort)."""
    try:
        page = client.query_page_in(collection, 0)
    except ApiError:
        return ""
    keys = [str(r["key"]) for r in page.get("results", []) if isinstance(r, dict) and r.get("key")]
    close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
    return f" (did you mean {safe_text(repr(close[0]))}?)" if close else ""


def _error_document(options: ShowLiveOptions, message: str) -> str:
    document = {"key": options.key, "kind": options.kind, "error": message}
    return json.dumps(document, indent=2, ensure_ascii=True)
