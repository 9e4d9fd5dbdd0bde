"""HTTP routes for `/{projectKey}/deployments` and the admin hooks under `/_emulator/deployments/`.

`deployment_routes()` is the one thing the app registers. Requests go through the same request
counters (`deployments.create|get|query|update|delete|logs`), seeded faults and token checks as the
connector routes; reads need view_connectors_deployments, manage_connectors_deployments or
manage_project, writes one of the last two.

Admin (no token; JSON bodies):
- `GET|POST /_emulator/deployments/settings` — partial updates of: `create_status` ("Queued" |
  "Draft" | "Deploying"), `queued_delay` (1), `deploying_delay` (2), `undeploying_delay` (1),
  `deploy_outcome` / `undeploy_outcome` ("success" | "failed"), `transitions_bump_version`
  (false), `secured_read` ("mask" | "omit-values" | "omit-entries" | "echo"),
  `redeploy_semantics` ("merge" | "replace"), `delete_status` (202 | 200), `delete_body_status`
  ("Undeploying" | "previous"), `after_undeploy` ("gone" | "readable"), `delete_while_busy`
  ("refuse" | "allow"), `invalid_transition_status` (400 | 409), `production_enabled` (true).
  `POST /_emulator/reset` restores the defaults.
- `POST /_emulator/deployments/force` — `{"key": K, "status": "Failed" | "UndeployFailed",
  "report": [{"type": "Error", "title": "…"}]}` ends the current run now with that status.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectorctl.emulator.deployments import Deployments
from connectorctl.emulator.faults import decide
from connectorctl.emulator.service import Ref
from connectorctl.emulator.settings import bad_request
from connectorctl.kinds.connector_staged.actions import ActionRejected

MAX_BODY = 1024 * 1024
VIEW_SCOPES = ("manage_project", "manage_connectors_deployments", "view_connectors_deployments")
MANAGE_SCOPES = ("manage_project", "manage_connectors_deployments")
_FAULTS = {429: "TooManyRequests", 500: "General", 502: "BadGateway", 503: "ServiceUnavailable"}
Handler = Callable[[Deployments], tuple[int, Any]]


def rejected(error: ActionRejected) -> JSONResponse:
    """An error in the commercetools shape (OAuth errors also carry a top-level `error`)."""
    extra = dict(error.extra or {})
    top: dict[str, Any] = {
        name: extra.pop(name) for name in ("error", "error_description") if name in extra
    }
    first = {"code": error.code, "message": error.message, **extra}
    body = {"statusCode": error.status, "message": error.message, "errors": [first], **top}
    return JSONResponse(body, error.status)


async def _body(request: Request) -> Any:
    data = b""
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            raise ActionRejected(
                413, "RequestEntityTooLarge", f"Request body exceeds {MAX_BODY} bytes."
            )
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("Request body does not contain valid JSON.") from None


async def _serve(
    request: Request, route: str, subject: str, handler: Handler, *, write: bool
) -> Response:
    """Count, inject faults, check the token and the project, run the handler."""
    runtime = request.app.state.runtime
    runtime.log.count(route)
    try:
        decision = decide(runtime.faults, route, subject, runtime.log.attempt(route, subject))
        if decision.status is not None:
            message = f"Injected {decision.status}."
            return rejected(ActionRejected(decision.status, _FAULTS[decision.status], message))
        if runtime.faults.latency_ms:
            await asyncio.sleep(runtime.faults.latency_ms / 1000)
        needed, missing = (
            (MANAGE_SCOPES, "manage_connectors_deployments")
            if write
            else (VIEW_SCOPES, "view_connectors_deployments")
        )
        now = runtime.project.clock.now()
        runtime.issuer.check_scopes(request.headers.get("authorization"), needed, missing, now=now)
        if request.path_params["project"] != runtime.project_key:
            message = f"The project '{request.path_params['project']}' is not served here."
            raise ActionRejected(404, "ResourceNotFound", message)
        status, payload = await run_in_threadpool(handler, Deployments(runtime.project))
    except ActionRejected as error:
        return rejected(error)
    return JSONResponse(payload, status)


async def deployments(request: Request) -> Response:
    if request.method == "GET":
        params = request.query_params.multi_items()
        return await _serve(
            request, "deployments.query", "", lambda d: (200, d.query(params)), write=False
        )
    try:
        body = await _body(request)
    except ActionRejected as error:
        request.app.state.runtime.log.count("deployments.create")
        return rejected(error)
    key = str(body.get("key") or "") if isinstance(body, dict) else ""
    return await _serve(
        request, "deployments.create", key, lambda d: (201, d.create(body)), write=True
    )


async def deployment(request: Request) -> Response:
    ref = Ref.parse(request.path_params["ref"])
    subject = ref.key or str(ref.id)
    if request.method == "GET":
        return await _serve(
            request, "deployments.get", subject, lambda d: (200, d.get(ref)), write=False
        )
    if request.method == "DELETE":
        return await _serve(
            request, "deployments.delete", subject, lambda d: d.delete(ref), write=True
        )
    try:
        body = await _body(request)
    except ActionRejected as error:
        request.app.state.runtime.log.count("deployments.update")
        return rejected(error)
    return await _serve(
        request, "deployments.update", subject, lambda d: (201, d.update(ref, body)), write=True
    )


async def logs(request: Request) -> Response:
    ref = Ref.parse(request.path_params["ref"])
    params = request.query_params.multi_items()
    return await _serve(
        request, "deployments.logs", ref.key or str(ref.id),
        lambda d: (200, d.logs(ref, params)), write=False,
    )  # fmt: skip


async def admin(request: Request) -> Response:
    """`GET|POST settings` and `POST force` (no token: the admin API binds loopback)."""
    service = Deployments(request.app.state.runtime.project)
    name, method = request.path_params["name"], request.method
    try:
        body = await _body(request) if method == "POST" else None
        if name == "settings" and method == "POST":
            result = (await run_in_threadpool(service.update_settings, body)).to_dict()
        elif name == "settings":
            result = (await run_in_threadpool(service.settings)).to_dict()
        elif name == "force" and method == "POST":
            result = await run_in_threadpool(service.force, body)
        else:
            message = f"No admin endpoint {method} /_emulator/deployments/{name}."
            raise ActionRejected(404, "ResourceNotFound", message)
    except ActionRejected as error:
        return rejected(error)
    return JSONResponse(result)


def deployment_routes() -> list[Route]:
    """The routes the app registers for Deployments (API and admin)."""
    return [  # the admin route first: `/{project}/deployments/{ref}` would match it too
        Route("/_emulator/deployments/{name}", admin, methods=["GET", "POST"]),
        Route("/{project}/deployments", deployments, methods=["GET", "POST"]),
        Route("/{project}/deployments/{ref}", deployment, methods=["GET", "POST", "DELETE"]),
        Route("/{project}/deployments/{ref}/logs", logs, methods=["GET"]),
    ]
