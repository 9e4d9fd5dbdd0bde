"""The Starlette app: `/oauth/token`, the ConnectorStaged endpoints, and `/_emulator/`.

Every API request goes through `runtime.serve`: count it, decide its faults (seeded), check the
token, run the handler in a worker thread, and answer in the commercetools error shape on failure.
Each resource kind brings its own module of routes (`connector_routes`); `create_app` joins them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from connectorctl.emulator.admin import admin_routes
from connectorctl.emulator.auth import auth_error, basic_credentials, form_credentials
from connectorctl.emulator.connector_routes import connector_routes
from connectorctl.emulator.deployments_http import deployment_routes
from connectorctl.emulator.runtime import (
    DROP_HEADER,
    EmulatorRuntime,
    api_route,
    error_response,
    read_body,
    runtime_of,
    serve,
)
from connectorctl.kinds.connector_staged.actions import ActionRejected

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


# -- the token endpoint ------------------------------------------------------------------


async def token(request: Request) -> Response:
    """`POST /oauth/token`: client credentials from Basic auth or the form body (never the query).

    RFC 6749 §5.2 order: the client is authenticated first, then the grant type is checked.
    """
    runtime = runtime_of(request)
    try:
        body = await read_body(request)
    except ActionRejected as error:
        runtime.log.count("token")
        return error_response(error)
    form = dict(parse_qsl(body.decode("latin-1")))
    credentials = basic_credentials(request.headers.get("authorization")) or form_credentials(form)

    def handler() -> tuple[int, Any]:
        if credentials is None:
            raise runtime.issuer.unknown_client()
        client = runtime.issuer.authenticate(*credentials)
        _check_grant_type(form.get("grant_type"))
        settings, now = runtime.project.settings, runtime.project.clock.now()
        access, grant = runtime.issuer.issue(
            client, form.get("scope"), now=now, ttl=settings.token_ttl
        )
        return 200, {
            "access_token": access, "token_type": "Bearer",
            "expires_in": int(settings.token_ttl), "scope": " ".join(sorted(grant.scopes)),
        }  # fmt: skip

    return await serve(
        request, "token", lambda: credentials[0] if credentials else "", handler, write=False
    )


def _check_grant_type(grant_type: str | None) -> None:
    if grant_type is None:
        raise auth_error(400, "invalid_request", "grant_type is required.")
    if grant_type != "client_credentials":
        raise auth_error(400, "unsupported_grant_type", "grant_type must be client_credentials.")


# -- the app --------------------------------------------------------------------------------


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
    routes = [
        api_route("/oauth/token", {"POST": token}),
        *connector_routes(),
        *admin_routes(),
        *deployment_routes(),  # Deployments: their own module, registered in one place
    ]
    app = Starlette(
        routes=routes, exception_handlers={HTTPException: _not_found, Exception: _internal}
    )
    app.router.redirect_slashes = False  # the API has no redirects: a stray slash is a 404
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
            if message["type"] == "http.response.start" and DROP_HEADER in dict(
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
