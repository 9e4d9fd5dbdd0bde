"""The Connect API client: OAuth2 client credentials, one retry policy, our own error classes.

Synchronous httpx with threads: one `ConnectClient` (one httpx.Client, thread-safe) is shared by
the applier's worker threads; the token is fetched and refreshed under a lock.

Every httpx exception is translated here (`raise … from exc`); nothing above this module sees one.
Note for callers: a POST create whose response was lost is retried and may then answer
DuplicateField (DuplicateKeyError) although the first attempt created the connector; the applier
treats that as created.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from connectorctl import __version__
from connectorctl.api.httptrace import HttpTrace, query_text
from connectorctl.api.proxies import direct_mounts
from connectorctl.api.target import (
    CONNECTOR_STAGED,
    ResolvedTarget,
    ScopeError,
    project_problem,
    scope_problem,
)
from connectorctl.errors import (
    ApiError,
    AuthenticationError,
    AuthorizationError,
    ConcurrentModificationError,
    DuplicateKeyError,
    NotFoundError,
    TransportError,
)

if TYPE_CHECKING:
    import httpx

USER_AGENT = f"connectorctl/{__version__}"
STAGED = "connectors/drafts"  # the ConnectorStaged collection
PAGE_LIMIT = 500
MAX_OFFSET = 10000
_BODY_LIMIT = 300
# A 500 may still complete, and 502/504 come from a gateway that may have passed the request on.
MAYBE_COMMITTED = frozenset({500, 502, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to retry: an explicit retryable set, full-jitter exponential backoff."""

    max_attempts: int = 5
    base_delay: float = 0.5
    max_delay: float = 20.0
    budget: float = 60.0  # seconds of retrying per connector (RequestTracker.deadline)
    timeout: float = 30.0
    retry_statuses: frozenset[int] = frozenset({429, 500, 502, 503, 504})
    conflict_attempts: int = 5  # re-reads after a 409, per connector

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Full-jitter exponential backoff before attempt `attempt + 1`."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass
class RequestTracker:
    """Counts the requests made for one connector and bounds its total retry time.

    When left None, the deadline is set from the policy's budget at the first retry.
    """

    attempts: int = 0
    retries: int = 0
    deadline: float | None = None
    # Whether an attempt of the last request may have committed: sent with no answer read,
    # or answered 500/502/504. Only such a request can explain a later 409 or DuplicateField.
    uncertain: bool = False
    # Told of every retry as it starts (apply's progress shows "retrying").
    on_retry: Callable[[], None] | None = field(default=None, repr=False, compare=False)


@dataclass
class _Token:
    value: str
    expires_at: float
    scopes: frozenset[str] | None = field(default_factory=frozenset)  # None: unknown


class ConnectClient:
    """A Connect API session for one target; use as a context manager or call `close()`."""

    def __init__(
        self,
        target: ResolvedTarget,
        *,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        debug: Callable[[str], None] | None = None,
        rng: random.Random | None = None,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        import httpx

        self.target = target
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self._clock = clock
        self._trace = HttpTrace(debug, self._secrets)
        self._rng = rng or random.Random()
        self._token: _Token | None = None
        self._warn = warn
        self.token_requests = 0
        self._lock = threading.Lock()
        self._http = httpx.Client(
            timeout=httpx.Timeout(self.policy.timeout, connect=min(10.0, self.policy.timeout)),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            verify=True,
            follow_redirects=False,
            mounts=direct_mounts((target.connect_url, target.auth_url)),
        )

    def __enter__(self) -> ConnectClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    # -- auth ------------------------------------------------------------------------------

    def granted_scopes(self) -> frozenset[str] | None:
        """The scopes the token grants (None: unknown); fetches a token when none is cached."""
        return self._current_token().scopes

    def can_write(self, kind: str = CONNECTOR_STAGED) -> bool:
        """Whether the granted scopes allow writing `kind` (unknown scopes: the API decides)."""
        return scope_problem(self.granted_scopes(), kind, self.target.project_key, True) is None

    def can_read(self, kind: str) -> bool:
        """Whether the granted scopes allow reading `kind` (unknown scopes: the API decides)."""
        return scope_problem(self.granted_scopes(), kind, self.target.project_key, False) is None

    def check_scope(self, kind: str, *, write: bool) -> None:
        """Refuse, naming the scope needed, when the token cannot read (or write) `kind`."""
        problem = scope_problem(self.granted_scopes(), kind, self.target.project_key, write)
        if problem is not None:
            raise ScopeError(problem)

    def wait_before_retry(self, attempt: int, track: RequestTracker) -> bool:
        """Sleep the policy's backoff before another attempt; False when the budget is spent."""
        delay = self.policy.backoff(attempt, self._rng)
        if track.deadline is None:
            track.deadline = self._clock() + self.policy.budget
        if self._clock() + delay > track.deadline:
            return False
        self._sleep(delay)
        return True

    def _current_token(self, stale: str | None = None) -> _Token:
        with self._lock:
            token = self._token
            if token is None or token.value == stale or self._clock() >= token.expires_at:
                first = token is None
                token = self._token = self._fetch_token()
                if first:
                    self._check_project(token.scopes)
            return token

    def _check_project(self, scopes: frozenset[str] | None) -> None:
        """The token's scopes name the project it may touch: it must be the target's."""
        if scopes is None:
            if self._warn is not None:
                self._warn(
                    "the token answer names no scopes and none were requested: the scopes are "
                    "unknown, so the API decides what is allowed"
                )
            return
        problem = project_problem(scopes, self.target.project_key)
        if problem is not None:
            raise ScopeError(problem)

    def _fetch_token(self) -> _Token:
        data = {"grant_type": "client_credentials"}
        if self.target.scopes:
            data["scope"] = " ".join(self.target.scopes)
        auth = (self.target.client_id, self.target.client_secret)
        self.token_requests += 1
        response = self._exchange("POST", self.target.auth_url, None, data=data, auth=auth)
        if response.status_code != 200:
            raise AuthenticationError(
                f"authentication failed: {_api_message(response)}", status=response.status_code
            )
        body = _json_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise AuthenticationError("authentication failed: the token response has no token")
        expires_in = body.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
        return _Token(
            value=body["access_token"],
            expires_at=self._clock() + max(lifetime - 60.0, lifetime / 2),
            scopes=_granted(body.get("scope"), self.target.scopes),
        )

    def _secrets(self) -> list[str]:
        values = [self.target.client_secret]
        if self._token is not None:
            values.append(self._token.value)
        return [v for v in values if v]

    # -- resources -------------------------------------------------------------------------

    def query_page(self, offset: int = 0, limit: int = PAGE_LIMIT) -> dict[str, Any]:
        """One page of `GET /connectors/drafts` (limit ≤ 500, offset ≤ 10000)."""
        return self.query_page_in(STAGED, offset, limit)

    def get_by_key(self, key: str, *, track: RequestTracker | None = None) -> dict[str, Any] | None:
        """The ConnectorStaged with this key, or None when there is none."""
        return self.get_by_key_in(STAGED, key, track=track)

    def get_by_id(self, id: str, *, track: RequestTracker | None = None) -> dict[str, Any] | None:
        """The ConnectorStaged with this id, or None when there is none."""
        return self.get_by_id_in(STAGED, id, track=track)

    def create(
        self, draft: Mapping[str, Any], *, track: RequestTracker | None = None
    ) -> dict[str, Any]:
        """POST a ConnectorStagedDraft; DuplicateKeyError when the key exists."""
        return self.create_in(STAGED, draft, track=track)

    def update(
        self,
        id: str,
        version: int,
        actions: Sequence[Mapping[str, Any]],
        *,
        track: RequestTracker | None = None,
    ) -> dict[str, Any]:
        """POST update actions at `version`; ConcurrentModificationError on 409."""
        return self.update_in(STAGED, id, version, actions, track=track)

    # -- any collection (Deployments, published Connectors) -------------------------------

    def collection_path(self, collection: str) -> str:
        """`/{projectKey}/deployments` for a kind's collection template, e.g. `{projectKey}/…`."""
        project = quote(self.target.project_key, safe="")
        return "/" + collection.replace("{projectKey}", project).strip("/")

    def query_page_in(
        self, collection: str, offset: int = 0, limit: int = PAGE_LIMIT
    ) -> dict[str, Any]:
        """One page of `GET /{collection}?limit=…&offset=…`."""
        params = {"limit": str(limit), "offset": str(offset)}
        path = self.collection_path(collection)
        return _as_dict(self._request("GET", path, params=params))

    def get_by_key_in(
        self, collection: str, key: str, *, track: RequestTracker | None = None
    ) -> dict[str, Any] | None:
        """The resource of `collection` with this key, or None when there is none."""
        return self._get(f"{self.collection_path(collection)}/key={quote(key, safe='')}", track)

    def get_by_id_in(
        self, collection: str, id: str, *, track: RequestTracker | None = None
    ) -> dict[str, Any] | None:
        """The resource of `collection` with this id, or None when there is none."""
        return self._get(f"{self.collection_path(collection)}/{quote(id, safe='')}", track)

    def create_in(
        self, collection: str, draft: Mapping[str, Any], *, track: RequestTracker | None = None
    ) -> dict[str, Any]:
        """POST a draft to `collection`; DuplicateKeyError when the key exists."""
        path = self.collection_path(collection)
        return _as_dict(self._request("POST", path, body=draft, track=track))

    def update_in(
        self,
        collection: str,
        id: str,
        version: int,
        actions: Sequence[Mapping[str, Any]],
        *,
        track: RequestTracker | None = None,
    ) -> dict[str, Any]:
        """POST update actions to one resource of `collection` at `version`."""
        body = {"version": version, "actions": list(actions)}
        path = f"{self.collection_path(collection)}/{quote(id, safe='')}"
        return _as_dict(self._request("POST", path, body=body, track=track))

    def delete_in(
        self, collection: str, id: str, *, track: RequestTracker | None = None
    ) -> dict[str, Any] | None:
        """DELETE one resource of `collection` (200, 202 or 204); None when already gone."""
        path = f"{self.collection_path(collection)}/{quote(id, safe='')}"
        try:
            answer = self._request("DELETE", path, track=track)
        except NotFoundError:
            return None
        return answer if isinstance(answer, dict) else {}

    def logs_in(self, collection: str, id: str) -> dict[str, Any] | None:
        """The (deprecated) logs page of one resource, or None when the endpoint is gone."""
        return self._get(f"{self.collection_path(collection)}/{quote(id, safe='')}/logs", None)

    def _get(self, path: str, track: RequestTracker | None) -> dict[str, Any] | None:
        try:
            return _as_dict(self._request("GET", path, track=track))
        except NotFoundError:
            return None

    # -- the request path ------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        track: RequestTracker | None = None,
    ) -> Any:
        """Send an authenticated request; refresh the token once on 401; map errors."""
        url = self.target.connect_url + path
        token = self._current_token()
        response = self._send_authorized(method, url, token, params, body, track)
        if response.status_code == 401:
            token = self._current_token(stale=token.value)
            response = self._send_authorized(method, url, token, params, body, track)
        if response.status_code in (200, 201) or (
            method == "DELETE" and response.status_code == 202
        ):
            return _json_body(response)
        if method == "DELETE" and response.status_code == 204:
            return None
        raise api_error(response)

    def _send_authorized(
        self,
        method: str,
        url: str,
        token: _Token,
        params: Mapping[str, str] | None,
        body: Any,
        track: RequestTracker | None,
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token.value}"}
        return self._exchange(method, url, track, params=params, json=body, headers=headers)

    def _exchange(
        self, method: str, url: str, track: RequestTracker | None, **kwargs: Any
    ) -> httpx.Response:
        """The one retry loop: retryable statuses and transport errors, Retry-After, budget."""
        track = track if track is not None else RequestTracker()
        if kwargs.get("json") is None:
            kwargs.pop("json", None)
        limit = self.policy.max_attempts
        attempt = 0
        track.uncertain = False
        writes = method in ("POST", "DELETE")
        while True:
            attempt += 1
            track.attempts += 1
            self._trace.line(f"> {method} {url}{query_text(kwargs)} [attempt {attempt}/{limit}]")
            outcome = self._attempt(method, url, kwargs)
            if isinstance(outcome, TransportError):
                track.uncertain = track.uncertain or writes
                delay = self._retry_delay(attempt, None, track)
                if isinstance(delay, str):
                    raise TransportError(f"{outcome} ({delay})") from outcome.__cause__
                if delay is None:
                    raise outcome from outcome.__cause__
            elif outcome.status_code in self.policy.retry_statuses:
                maybe = writes and outcome.status_code in MAYBE_COMMITTED
                track.uncertain = track.uncertain or maybe
                delay = self._retry_delay(attempt, outcome, track)
                if isinstance(delay, str):
                    outcome.extensions["connectorctl_note"] = delay
                    return outcome
                if delay is None:
                    return outcome
            else:
                return outcome
            track.retries += 1
            if track.on_retry is not None:
                track.on_retry()
            self._trace.line(f"  retrying in {delay:.2f}s")
            self._sleep(delay)

    def _attempt(
        self, method: str, url: str, kwargs: Mapping[str, Any]
    ) -> httpx.Response | TransportError:
        import httpx

        self._trace.request(kwargs)
        try:
            response = self._http.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            self._trace.line(f"< {type(exc).__name__}: {exc}")
            return _transport_error(method, url, exc)
        self._trace.response(response)
        return response

    def _retry_delay(
        self, attempt: int, response: httpx.Response | None, track: RequestTracker
    ) -> float | str | None:
        """Seconds to wait before the next attempt; None (or why, as text) when retrying stops."""
        if attempt >= self.policy.max_attempts:
            return None
        retry_after = _retry_after(response) if response is not None else None
        delay = self.policy.backoff(attempt, self._rng) if retry_after is None else retry_after
        if track.deadline is None:
            # The budget bounds time spent retrying, so it starts with the first retry.
            track.deadline = self._clock() + self.policy.budget
        if self._clock() + delay > track.deadline:
            self._trace.line("  retry budget exhausted")
            if retry_after is not None:
                return f"Retry-After {retry_after:g}s would pass the retry budget"
            return None
        return delay


# -- pure helpers ---------------------------------------------------------------------------


def api_error(response: httpx.Response) -> ApiError:
    """Our error class for a non-success response, carrying the API's code and message."""
    status = response.status_code
    body = _json_body(response, strict=False)
    code = _first_code(body)
    message = _api_message(response)
    note = response.extensions.get("connectorctl_note")
    message += f" ({note})" if note else ""
    if status == 401:
        return AuthenticationError(f"authentication failed: {message}", status=status, code=code)
    where = f"{response.request.method} {response.request.url.path}"
    text = f"{where}: {status} {code or 'error'}: {message}"
    if status == 403:
        cls: type[ApiError] = AuthorizationError
        family = "connectors_deployments" if "/deployments" in where else "connectors"
        text += f" (reading needs view_{family}, writing manage_{family} or manage_project)"
    elif status == 404:
        cls = NotFoundError
    elif status == 409:
        cls = ConcurrentModificationError
    elif code == "DuplicateField":
        cls = DuplicateKeyError
    else:
        cls = ApiError
    return cls(text, status=status, code=code, body=body)


def _first_code(body: Any) -> str | None:
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            return str(errors[0].get("code")) if errors[0].get("code") else None
        if isinstance(body.get("error"), str):
            return str(body["error"])
    return None


def _api_message(response: httpx.Response) -> str:
    body = _json_body(response, strict=False)
    if isinstance(body, dict):
        for name in ("error_description", "message", "error"):
            if isinstance(body.get(name), str) and body[name]:
                return _truncate(body[name], _BODY_LIMIT)
    text = " ".join(response.text.split())
    return _truncate(text, _BODY_LIMIT) or f"HTTP {response.status_code}"


def _json_body(response: httpx.Response, *, strict: bool = True) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        if not strict:
            return None
        raise ApiError(
            f"{response.request.method} {response.request.url.path}: the response is not JSON: "
            + _truncate(response.text, _BODY_LIMIT),
            status=response.status_code,
        ) from exc


def _as_dict(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ApiError(f"expected a JSON object from the API, got {type(value).__name__}")
    return value


def _retry_after(response: httpx.Response, now: Callable[[], float] = time.time) -> float | None:
    """`Retry-After` in seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            seconds = parsedate_to_datetime(value.strip()).timestamp() - now()
        except (TypeError, ValueError, IndexError):
            return None
    return max(seconds, 0.0)


def _granted(answer: Any, requested: Sequence[str]) -> frozenset[str] | None:
    """The granted scopes: the answer's, else the requested ones (RFC 6749 §5.1), else unknown."""
    if isinstance(answer, str):
        return frozenset(answer.split())
    return frozenset(requested) if requested else None


def safe_url(url: str) -> str:
    """The URL without any password in it: error messages must never carry a secret."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:<redacted>@{parts.hostname}"
    netloc += f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=netloc))


def _transport_error(method: str, url: str, exc: Exception) -> TransportError:
    error = TransportError(f"{method} {safe_url(url)}: {type(exc).__name__}: {exc}".rstrip(": "))
    error.__cause__ = exc
    return error


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
