"""One root error for every expected failure, and the exit codes of the CLI contract."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """The exit codes documented in the README; the same for every command."""

    OK = 0
    PROBLEMS = 1
    CHANGES = 2
    INTERNAL = 3
    INTERRUPTED = 130


class ConnectorctlError(Exception):
    """An expected failure: printed as one `error: …` line, never with a traceback."""

    exit_code: int = ExitCode.PROBLEMS


class UsageError(ConnectorctlError):
    """The command line or the environment does not make sense."""


class ConfigError(ConnectorctlError):
    """The target (URLs, credentials, scopes) cannot be used."""


class ManifestError(ConnectorctlError):
    """Manifests could not be loaded; the problems were already reported."""


class PlanFileError(ConnectorctlError):
    """A plan file given to `apply --plan` cannot be used."""


class ApiError(ConnectorctlError):
    """The Connect API answered with an error (after any retries).

    `code` is the API's own error code (e.g. `ConcurrentModification`), `status` the HTTP status
    (0 when no response arrived at all).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str | None = None,
        body: object = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.body = body


class AuthenticationError(ApiError):
    """The client id or secret was rejected, or the token is not accepted."""


class AuthorizationError(ApiError):
    """The token lacks a scope for the request."""


class NotFoundError(ApiError):
    """404 ResourceNotFound."""


class ConcurrentModificationError(ApiError):
    """409: the connector's version moved under us."""


class DuplicateKeyError(ApiError):
    """400 DuplicateField on create: a connector with this key exists."""


class TransportError(ApiError):
    """No usable HTTP response: connection refused or dropped, timeout, TLS failure."""
