"""OAuth2 client credentials for the emulator: API clients, tokens, scope checks."""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connectorctl.emulator.options import DEFAULT_CLIENTS
from connectorctl.kinds.connector_staged.actions import ActionRejected

CONNECTOR_SCOPES = ("view_connectors", "manage_connectors", "manage_project")
MANAGE_SCOPES = ("manage_connectors", "manage_project")
DEPLOYMENT_SCOPES = ("view_connectors_deployments", "manage_connectors_deployments")
SCOPE_NAMES = CONNECTOR_SCOPES + DEPLOYMENT_SCOPES


@dataclass(frozen=True)
class ApiClient:
    """One API client the emulator accepts: `ID:SECRET:SCOPES`."""

    client_id: str
    secret: str
    scopes: frozenset[str]


@dataclass(frozen=True)
class Grant:
    """What a bearer token allows, and until when (emulator time)."""

    client_id: str
    scopes: frozenset[str]
    expires_at: float


def parse_client(text: str, project_key: str) -> ApiClient:
    """Parse `ID:SECRET:SCOPES` (split on the first two colons; scopes space- or comma-separated).

    A scope without `:{projectKey}` is for the emulator's project. Raises ValueError.
    """
    parts = text.split(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[1]:
        raise ValueError("a client is ID:SECRET:SCOPES, e.g. my-id:my-secret:manage_connectors")
    client_id, secret, scope_text = parts
    scopes = frozenset(
        scope if ":" in scope else f"{scope}:{project_key}"
        for scope in scope_text.replace(",", " ").split()
    )
    # Never echo the scopes part: with a ':' in the secret, it holds the rest of the secret.
    if not scopes or any(scope.split(":", 1)[0] not in SCOPE_NAMES for scope in scopes):
        raise ValueError(
            f"client '{client_id}': scopes must be among {', '.join(SCOPE_NAMES)} "
            "(a secret cannot contain ':')"
        )
    return ApiClient(client_id, secret, scopes)


def parse_clients(texts: Sequence[str] | None, project_key: str) -> tuple[ApiClient, ...]:
    """The clients from `ID:SECRET:SCOPES` strings; the documented defaults when None or empty."""
    return tuple(parse_client(text, project_key) for text in (texts or DEFAULT_CLIENTS))


def auth_error(status: int, code: str, message: str) -> ActionRejected:
    """An error in the OAuth shape: the usual body plus a top-level `error` (and description)."""
    extra = {"error": code} if message == code else {"error": code, "error_description": message}
    return ActionRejected(status, code, message, extra)


class TokenIssuer:
    """Issues bearer tokens for known clients and checks them on each request."""

    def __init__(self, clients: Sequence[ApiClient], project_key: str) -> None:
        self._clients = {client.client_id: client for client in clients}
        self._project_key = project_key
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()

    @property
    def clients(self) -> tuple[ApiClient, ...]:
        return tuple(self._clients.values())

    def unknown_client(self) -> ActionRejected:
        return auth_error(
            401,
            "invalid_client",
            "Please provide valid client credentials using HTTP Basic Authentication.",
        )

    def authenticate(self, client_id: str, secret: str) -> ApiClient:
        """The client these credentials name; 401 invalid_client otherwise."""
        client = self._clients.get(client_id)
        if client is None or not secrets.compare_digest(client.secret, secret):
            raise self.unknown_client()
        return client

    def issue(
        self, client: ApiClient, requested: str | None, *, now: float, ttl: float
    ) -> tuple[str, Grant]:
        """A new token for an authenticated client; the granted scopes are the requested ones."""
        scopes = client.scopes
        if requested:
            wanted = frozenset(requested.split())
            if not wanted <= client.scopes:
                raise auth_error(
                    400,
                    "invalid_scope",
                    f"Invalid scopes: {' '.join(sorted(wanted - client.scopes))}",
                )
            scopes = wanted
        token = secrets.token_urlsafe(24)
        grant = Grant(client.client_id, scopes, now + ttl)
        with self._lock:
            self._grants[token] = grant
        return token, grant

    def check(self, authorization: str | None, *, write: bool, now: float) -> Grant:
        """The grant behind an `Authorization: Bearer` header; 401 or 403 otherwise."""
        if write:
            return self.check_scopes(authorization, MANAGE_SCOPES, "manage_connectors", now=now)
        return self.check_scopes(authorization, CONNECTOR_SCOPES, "view_connectors", now=now)

    def check_scopes(
        self, authorization: str | None, needed: Sequence[str], missing: str, *, now: float
    ) -> Grant:
        """As `check`, for a route that accepts any scope in `needed` (403 names `missing`)."""
        scheme, _, token = (authorization or "").partition(" ")
        with self._lock:
            grant = self._grants.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None or grant.expires_at <= now:
            raise auth_error(401, "invalid_token", "invalid_token")
        if not any(f"{name}:{self._project_key}" in grant.scopes for name in needed):
            raise auth_error(
                403,
                "insufficient_scope",
                "Insufficient scope. One of the following scopes is missing: "
                f"{missing}:{self._project_key}",
            )
        return grant


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(client id, secret) from an HTTP Basic header, or None."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):  # binascii.Error, or non-ASCII header text
        return None
    client_id, sep, secret = decoded.partition(":")
    return (client_id, secret) if sep else None


def form_credentials(form: Mapping[str, str]) -> tuple[str, str] | None:
    client_id, secret = form.get("client_id"), form.get("client_secret")
    return (client_id, secret) if client_id and secret is not None else None
