"""What every emulator route shares: the runtime state, the error shape, bodies, method dispatch.

Route modules (`app` for the API, `admin` for `/_emulator/`) import this one and never each other.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

from connectorctl.emulator.auth import TokenIssuer
from connectorctl.emulator.faults import Decision, FaultConfig, RequestLog, decide
from connectorctl.emulator.service import EmulatedProject, Ref
from connectorctl.emulator.settings import bad_request
from connectorctl.kinds.connector_staged.actions import ActionRejected

MAX_BODY = 1024 * 1024
# Deeper bodies are refused: no API body nests more than a few levels, and the validators recurse.
MAX_DEPTH = 64
DROP_HEADER = b"x-emulator-drop-connection"
Endpoint = Callable[[Request], Awaitable[Response]]


@dataclass
class EmulatorRuntime:
    """Everything the routes share: the project, the clients, the request log, the faults."""

    project: EmulatedProject
    issuer: TokenIssuer
    project_key: str
    log: RequestLog
    faults: FaultConfig
    initial_faults: FaultConfig

    def reset(self) -> None:
        self.project.reset()
        self.log.reset()
        self.faults = self.initial_faults


def runtime_of(request: Request) -> EmulatorRuntime:
    runtime: EmulatorRuntime = request.app.state.runtime
    return runtime


def error_response(error: ActionRejected, headers: Mapping[str, str] | None = None) -> Response:
    """An ActionRejected in the official shape (OAuth errors also carry a top-level `error`)."""
    extra = dict(error.extra or {})
    top: dict[str, Any] = {
        name: extra.pop(name) for name in ("error", "error_description") if name in extra
    }
    body: dict[str, Any] = {
        "statusCode": error.status,
        "message": error.message,
        "errors": [{"code": error.code, "message": error.message, **extra}],
        **top,
    }
    return JSONResponse(body, error.status, headers=dict(headers or {}))


def api_route(path: str, handlers: Mapping[str, Endpoint]) -> Route:
    """A route serving exactly `handlers`' methods; any other (HEAD too) is a 405 in the API shape.

    Starlette adds HEAD to every GET route by itself; dispatching here keeps a HEAD with a body
    from reaching a write handler.
    """
    allowed = ", ".join(handlers)

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:
            message = f"Method {request.method} is not allowed on {request.url.path}."
            rejected = ActionRejected(405, "MethodNotAllowed", message)
            return error_response(rejected, {"Allow": allowed})
        return await handler(request)

    return Route(path, _AnyMethod(request_response(endpoint)))


class _AnyMethod:
    """An ASGI app (not a function), so that Starlette leaves the route open to every method."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


async def read_body(request: Request) -> bytes:
    """The raw request body; 413 over MAX_BODY bytes."""
    declared = request.headers.get("content-length", "0")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _too_large()
    return body


async def read_json(request: Request, *, empty: Any = ...) -> Any:
    """The request body as JSON; 413 over 1 MiB, 400 InvalidJsonInput when it is not JSON.

    An empty body gives `empty` when one is passed. NaN, Infinity and bodies nested deeper than
    MAX_DEPTH are not JSON the API takes.
    """
    body = await read_body(request)
    if not body.strip() and empty is not ...:
        return empty
    try:
        value = json.loads(body, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise bad_request("Request body does not contain valid JSON.") from None
    if not _shallow(value):
        raise bad_request(f"Request body is nested deeper than {MAX_DEPTH} levels.")
    try:  # a lone surrogate (`"\ud800"`) parses, but no answer could ever carry it
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise bad_request("Request body contains a string that is not valid Unicode.") from None
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _shallow(value: Any) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return True


def _too_large() -> ActionRejected:
    return ActionRejected(413, "RequestEntityTooLarge", f"Request body exceeds {MAX_BODY} bytes.")


async def serve(
    request: Request,
    route: str,
    subject: Callable[[], str],
    handler: Callable[[], tuple[int, Any]],
    *,
    write: bool,
    ref: Ref | None = None,
    scopes: tuple[Sequence[str], str] | None = None,
) -> Response:
    """Answer one API request, with faults, auth and errors handled the same way everywhere.

    `scopes` (accepted scope names, the one a 403 names) replaces the connector scope check.
    """
    runtime = runtime_of(request)
    runtime.log.count(route)
    config = runtime.faults
    try:
        who = await run_in_threadpool(subject)
        decision = decide(config, route, who, runtime.log.attempt(route, who))
        if config.latency_ms:
            await asyncio.sleep(config.latency_ms / 1000)
        if decision.status is not None:
            return _fault_response(decision.status, config.retry_after)
        if route != "token":
            now = runtime.project.clock.now()
            authorization = request.headers.get("authorization")
            if scopes is None:
                runtime.issuer.check(authorization, write=write, now=now)
            else:
                runtime.issuer.check_scopes(authorization, scopes[0], scopes[1], now=now)
        if decision.bump and ref is not None:
            await run_in_threadpool(runtime.project.bump_version, ref)
        status, payload = await run_in_threadpool(handler)
    except ActionRejected as error:
        return error_response(error, _challenge(route) if error.status == 401 else None)
    return _answer(status, payload, decision)


def _challenge(route: str) -> dict[str, str]:
    """The `WWW-Authenticate` header a 401 carries (RFC 6749 §5.2, RFC 6750 §3)."""
    if route == "token":
        return {"WWW-Authenticate": 'Basic realm="connectorctl-emulator"'}
    return {"WWW-Authenticate": 'Bearer realm="connectorctl-emulator", error="invalid_token"'}


def _answer(status: int, payload: Any, decision: Decision) -> Response:
    response = JSONResponse(payload, status)
    if decision.drop:
        response.headers[DROP_HEADER.decode()] = "1"
    return response


def _fault_response(status: int, retry_after: int) -> Response:
    codes = {429: "TooManyRequests", 500: "General", 502: "BadGateway", 503: "ServiceUnavailable"}
    messages = {
        429: "Too many requests.",
        500: "Write operations are temporarily rejected due to an internal error.",
        502: "Bad gateway.",
        503: "Service unavailable.",
    }
    headers = {"Retry-After": str(retry_after)} if status == 429 else None
    return error_response(ActionRejected(status, codes[status], messages[status]), headers)
