"""The Starlette app: the Connect API's ConnectorStaged endpoints, `/oauth/token`, `/_emulator/`.

Every API request goes through `serve`: count it, decide its faults (seeded), check the token,
run the handler in a worker thread, and answer in the commercetools error shape on failure.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectorctl.emulator.auth import TokenIssuer, basic_credentials, form_credentials
from connectorctl.emulator.deployments_http import deployment_routes
from connectorctl.emulator.faults import Decision, FaultConfig, RequestLog, decide
from connectorctl.emulator.service import EmulatedProject, Ref, parse_query
from connectorctl.emulator.settings import bad_request
from connectorctl.kinds.connector_staged.actions import ActionRejected

MAX_BODY = 1024 * 1024
_DROP_HEADER = b"x-emulator-drop-connection"
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


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


def error_response(error: ActionRejected, headers: dict[str, str] | None = None) -> JSONResponse:
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
    return JSONResponse(body, error.status, headers=headers)


def _runtime(request: Request) -> EmulatorRuntime:
    runtime: EmulatorRuntime = request.app.state.runtime
    return runtime


async def read_json(request: Request, *, empty: Any = ...) -> Any:
    """The request body as JSON; 413 over 1 MiB, 400 InvalidJsonInput when it is not JSON.

    An empty body gives `empty` when one is passed.
    """
    declared = request.headers.get("content-length", "0")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise _too_large()
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise _too_large()
    if not body.strip() and empty is not ...:
        return empty
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body does not contain valid JSON.") from None


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
) -> Response:
    """Answer one API request, with faults, auth and errors handled the same way everywhere."""
    runtime = _runtime(request)
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
            runtime.issuer.check(request.headers.get("authorization"), write=write, now=now)
        if decision.bump and ref is not None:
            await run_in_threadpool(runtime.project.bump_version, ref)
        status, payload = await run_in_threadpool(handler)
    except ActionRejected as error:
        return error_response(error)
    return _answer(status, payload, decision)


def _answer(status: int, payload: Any, decision: Decision) -> Response:
    response = JSONResponse(payload, status)
    if decision.drop:
        response.headers[_DROP_HEADER.decode()] = "1"
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


# -- routes ---------------------------------------------------------------------------------


async def token(request: Request) -> Response:
    runtime = _runtime(request)
    body = await request.body()
    form = dict(parse_qsl(request.url.query)) | dict(parse_qsl(body.decode("latin-1")))
    credentials = basic_credentials(request.headers.get("authorization")) or form_credentials(form)

    def handler() -> tuple[int, Any]:
        if form.get("grant_type") != "client_credentials":
            raise bad_request("grant_type must be client_credentials")
        if credentials is None:
            raise ActionRejected(
                401,
                "invalid_client",
                "Please provide valid client credentials using HTTP Basic Authentication.",
                {"error": "invalid_client"},
            )
        settings, now = runtime.project.settings, runtime.project.clock.now()
        access, grant = runtime.issuer.issue(
            *credentials, form.get("scope"), now=now, ttl=settings.token_ttl
        )
        return 200, {
            "access_token": access, "token_type": "Bearer",
            "expires_in": int(settings.token_ttl), "scope": " ".join(sorted(grant.scopes)),
        }  # fmt: skip

    return await serve(
        request, "token", lambda: credentials[0] if credentials else "", handler, write=False
    )


async def drafts(request: Request) -> Response:
    project = _runtime(request).project
    if request.method == "GET":

        def query() -> tuple[int, Any]:
            return 200, project.query(parse_query(request.query_params.multi_items()))

        return await serve(request, "query", lambda: "", query, write=False)
    try:
        body = await read_json(request)
    except ActionRejected as error:
        _runtime(request).log.count("create")
        return error_response(error)
    key = body.get("key") if isinstance(body, dict) else None
    return await serve(
        request, "create", lambda: str(key or ""), lambda: (201, project.create(body)), write=True
    )


async def draft(request: Request) -> Response:
    runtime = _runtime(request)
    project = runtime.project
    ref = Ref.parse(request.path_params["ref"])
    subject = lambda: project.key_of(ref)  # noqa: E731
    if request.method == "GET":
        return await serve(request, "get", subject, lambda: (200, project.get(ref)), write=False)
    if request.method == "DELETE":
        return await serve(
            request, "delete", subject, lambda: (200, project.delete(ref)), write=True, ref=ref
        )
    try:
        body = await read_json(request)
    except ActionRejected as error:
        runtime.log.count("update")
        return error_response(error)

    def update() -> tuple[int, Any]:
        return project.settings.update_status, project.update(ref, body)

    return await serve(request, "update", subject, update, write=True, ref=ref)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    message = f"No route for {request.method} {request.url.path}."
    return error_response(
        ActionRejected(status, "ResourceNotFound" if status == 404 else "MethodNotAllowed", message)
    )


async def _internal(request: Request, exc: Exception) -> Response:
    return error_response(ActionRejected(500, "General", f"Internal error: {type(exc).__name__}."))


def create_app(runtime: EmulatorRuntime) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """The ASGI app for one runtime (serve it with uvicorn, or mount it in-process)."""
    from connectorctl.emulator.admin import admin_routes

    routes = [
        Route("/oauth/token", token, methods=["POST"]),
        Route("/connectors/drafts", drafts, methods=["GET", "POST"]),
        Route("/connectors/drafts/{ref}", draft, methods=["GET", "POST", "DELETE"]),
        *admin_routes(),
        *deployment_routes(),  # Deployments: their own module, registered in one place
    ]
    app = Starlette(
        routes=routes, exception_handlers={HTTPException: _not_found, Exception: _internal}
    )
    app.state.runtime = runtime
    return ConnectionGuard(app)


class ConnectionGuard:
    """Outermost ASGI layer: drops the connection when asked, and keeps tracebacks off stderr.

    A response marked with the drop header is never sent: the socket is aborted instead, after
    the write was committed, so the client sees a broken connection rather than a status code.
    """

    def __init__(self, app: Starlette) -> None:
        self.app = app

    @property
    def state(self) -> Any:
        return self.app.state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        dropped = False

        async def guarded_send(message: Message) -> None:
            nonlocal dropped
            if message["type"] == "http.response.start" and _DROP_HEADER in dict(
                message.get("headers", [])
            ):
                dropped = True
                await _abort(send)
            if not dropped:
                await send(message)

        try:
            await self.app(scope, receive, guarded_send)
        except ConnectionAbortedError:
            raise
        except Exception:
            if scope.get("type") != "http":
                raise
            # Starlette already answered 500 through `_internal`; nothing more to tell anyone.


async def _abort(send: Send) -> None:
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is None:
        raise ConnectionAbortedError("connection dropped after the write committed")
    transport.abort()
    for _ in range(3):  # let the server notice the disconnect before the app returns
        await asyncio.sleep(0)
