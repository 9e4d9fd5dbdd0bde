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

from collections.abc import Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectorctl.emulator.deployments import Deployments
from connectorctl.emulator.runtime import (
    api_route,
    error_response,
    read_json,
    runtime_of,
    serve,
)
from connectorctl.emulator.service import Ref
from connectorctl.kinds.connector_staged.actions import ActionRejected

VIEW_SCOPES = ("manage_project", "manage_connectors_deployments", "view_connectors_deployments")
MANAGE_SCOPES = ("manage_project", "manage_connectors_deployments")
Handler = Callable[[Deployments], tuple[int, Any]]


async def _serve(
    request: Request, route: str, subject: str, handler: Handler, *, write: bool
) -> Response:
    """Count, inject faults, check the deployment scopes and the project, run the handler."""
    runtime = runtime_of(request)
    scopes = (
        (MANAGE_SCOPES, "manage_connectors_deployments")
        if write
        else (VIEW_SCOPES, "view_connectors_deployments")
    )

    def run() -> tuple[int, Any]:
        if request.path_params["project"] != runtime.project_key:
            message = f"The project '{request.path_params['project']}' is not served here."
            raise ActionRejected(404, "ResourceNotFound", message)
        return handler(Deployments(runtime.project))

    return await serve(request, route, lambda: subject, run, write=write, scopes=scopes)


async def deployments(request: Request) -> Response:
    if request.method == "GET":
        params = request.query_params.multi_items()
        return await _serve(
            request, "deployments.query", "", lambda d: (200, d.query(params)), write=False
        )
    try:
        body = await read_json(request)
    except ActionRejected as error:
        runtime_of(request).log.count("deployments.create")
        return error_response(error)
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
        body = await read_json(request)
    except ActionRejected as error:
        runtime_of(request).log.count("deployments.update")
        return error_response(error)
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
    service = Deployments(runtime_of(request).project)
    name, method = request.path_params["name"], request.method
    try:
        body = await read_json(request) if method == "POST" else None
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
        return error_response(error)
    return JSONResponse(result)


def deployment_routes() -> list[Route]:
    """The routes the app registers for Deployments (API and admin)."""
    return [  # the admin route first: `/{project}/deployments/{ref}` would match it too
        api_route("/_emulator/deployments/{name}", {"GET": admin, "POST": admin}),
        api_route("/{project}/deployments", {"GET": deployments, "POST": deployments}),
        api_route(
            "/{project}/deployments/{ref}",
            {"GET": deployment, "POST": deployment, "DELETE": deployment},
        ),
        api_route("/{project}/deployments/{ref}/logs", {"GET": logs}),
    ]
