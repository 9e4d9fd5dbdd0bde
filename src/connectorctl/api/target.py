"""Which Connect API to talk to, and as whom: flags over `CTP_*` environment variables.

The client secret comes from the environment only: flags end up in shell history and process lists.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from connectorctl.config import ConfigTarget, TargetOptions
from connectorctl.errors import ConfigError
from connectorctl.model import Target

ALLOW_HTTP_ENV = "CONNECTORCTL_ALLOW_HTTP"
CONNECTOR_STAGED = "ConnectorStaged"
# The scope family of each resource kind: read = view_X, manage_X or manage_project;
# write = manage_X or manage_project. A new kind adds its row here.
KIND_SCOPES: Mapping[str, str] = {
    CONNECTOR_STAGED: "connectors",
    "Deployment": "connectors_deployments",
}


class ScopeError(ConfigError):
    """The token's scopes do not allow what the command is about to do."""


@dataclass(frozen=True)
class ResolvedTarget:
    """Everything the client needs to reach one project's Connect API."""

    connect_url: str
    auth_url: str
    project_key: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] = ()

    name: str | None = None

    @property
    def plan_target(self) -> Target:
        """The part of the target a plan records (no credentials)."""
        return Target(connect_url=self.connect_url, project_key=self.project_key, name=self.name)


def resolve_target(options: TargetOptions, env: Mapping[str, str]) -> ResolvedTarget:
    """Merge flags over the environment into a target; ConfigError names what is missing."""
    default_connect, default_auth = region_urls(options.region or env.get("CTP_REGION") or "")
    connect_url = options.connect_url or env.get("CTP_CONNECT_URL") or default_connect
    auth_url = options.auth_url or env.get("CTP_AUTH_URL") or default_auth
    missing = _missing(
        CTP_CLIENT_ID=env.get("CTP_CLIENT_ID"),
        CTP_CLIENT_SECRET=env.get("CTP_CLIENT_SECRET"),
        CTP_PROJECT_KEY=options.project_key or env.get("CTP_PROJECT_KEY"),
    )
    if not connect_url or not auth_url:
        missing.append("CTP_REGION (or both CTP_CONNECT_URL and CTP_AUTH_URL)")
    if missing or not connect_url or not auth_url:
        raise ConfigError("missing target settings: set " + ", ".join(missing))
    allow_http = env.get(ALLOW_HTTP_ENV, "") not in ("", "0")
    for url in (connect_url, auth_url):
        check_url(url, allow_http=allow_http)
    scopes = options.scopes if options.scopes is not None else env.get("CTP_SCOPES", "")
    return ResolvedTarget(
        connect_url=connect_url.rstrip("/"),
        auth_url=auth_url,
        project_key=options.project_key or env["CTP_PROJECT_KEY"],
        client_id=env["CTP_CLIENT_ID"],
        client_secret=env["CTP_CLIENT_SECRET"],
        scopes=tuple(scopes.split()),
    )


def resolve_config_target(target: ConfigTarget, env: Mapping[str, str]) -> ResolvedTarget:
    """A connectorctl.yaml target: its URLs and project, credentials from the variables it names.

    None of the CTP_* variables is read.
    """
    default_connect, default_auth = region_urls(target.region or "")
    connect_url = target.connect_url or default_connect
    auth_url = target.auth_url or default_auth
    for variable in (target.client_id_var, target.client_secret_var):
        if not env.get(variable):
            raise ConfigError(
                f"target '{target.name}': the environment variable {variable} is not set "
                f"(credentials of the target at {target.place})"
            )
    allow_http = env.get(ALLOW_HTTP_ENV, "") not in ("", "0")
    for url in (connect_url, auth_url):
        check_url(url, allow_http=allow_http)
    return ResolvedTarget(
        connect_url=connect_url.rstrip("/"),
        auth_url=auth_url,
        project_key=target.project_key,
        client_id=env[target.client_id_var],
        client_secret=env[target.client_secret_var],
        scopes=target.scopes or (),
        name=target.name,
    )


def region_urls(region: str) -> tuple[str, str]:
    """The default Connect API and token URLs of a region ("" for both without one)."""
    if not region:
        return "", ""
    # Credentials are posted to a host built from the region: it must be a plain region name.
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.[a-z]+", region):
        raise ConfigError(
            f"invalid region {region!r}: use a region name such as europe-west1.gcp "
            "(or give CTP_AUTH_URL and CTP_CONNECT_URL)"
        )
    return (
        f"https://connect.{region}.commercetools.com",
        f"https://auth.{region}.commercetools.com/oauth/token",
    )


def _missing(**values: str | None) -> list[str]:
    return [name for name, value in values.items() if not value]


def check_url(url: str, *, allow_http: bool = False) -> None:
    """Refuse anything but https, except plain http to a loopback host or when allowed."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        if allow_http or is_loopback(parts.hostname):
            return
        raise ConfigError(
            f"refusing plain http to {parts.hostname} (use https, "
            f"or set {ALLOW_HTTP_ENV}=1 for a trusted network)"
        )
    raise ConfigError(f"not an http(s) URL: {url!r}")


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine: localhost, 127.0.0.0/8 or ::1."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _project_scopes(scopes: frozenset[str]) -> dict[str, set[str]]:
    """Scope name → the projects it is granted for (a scope's second `:` part)."""
    granted: dict[str, set[str]] = {}
    for scope in scopes:
        name, _, rest = scope.partition(":")
        project = rest.split(":", 1)[0]  # store scopes have a third part
        if project:
            granted.setdefault(name, set()).add(project)
    return granted


def project_problem(scopes: frozenset[str], project_key: str) -> str | None:
    """Why a token with `scopes` may not touch project `project_key`, or None."""
    projects = sorted({p for ps in _project_scopes(scopes).values() for p in ps})
    if not projects or project_key in projects:
        return None
    return (
        f"the credentials are scoped to project {', '.join(map(repr, projects))}, "
        f"the target is project {project_key!r}"
    )


def scope_problem(
    scopes: frozenset[str] | None, kind: str, project_key: str, write: bool
) -> str | None:
    """Why a token with `scopes` may not read (or write) `kind` in the project, or None.

    Unknown scopes (None) are no problem here: the API's 403 decides.
    """
    if scopes is None:
        return None
    family = KIND_SCOPES[kind]
    names = [f"manage_{family}", "manage_project"]
    if not write:
        names.insert(0, f"view_{family}")
    granted = _project_scopes(scopes)
    if any(project_key in granted.get(name, ()) for name in names):
        return None
    verb = "write" if write else "read"
    return (
        f"the token has no scope to {verb} {kind} in project {project_key!r}: grant "
        f"{names[0]}:{project_key} (or {' or '.join(n for n in names[1:])})"
    )
