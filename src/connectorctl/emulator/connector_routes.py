"""The ConnectorStaged endpoints (`/connectors/drafts[...]`) over the emulated project.

Each resource kind brings its own module of routes like this one; `app.create_app` joins them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from connectorctl.emulator.runtime import api_route, error_response, read_json, runtime_of, serve
from connectorctl.emulator.service import Ref, parse_query
from connectorctl.kinds.connector_staged.actions import ActionRejected


async def query_drafts(request: Request) -> Response:
    project = runtime_of(request).project

    def query() -> tuple[int, Any]:
        return 200, project.query(parse_query(request.query_params.multi_items()))

    return await serve(request, "query", lambda: "", query, write=False)


async def create_draft(request: Request) -> Response:
    project = runtime_of(request).project
    try:
        body = await read_json(request)
    except ActionRejected as error:
        runtime_of(request).log.count("create")
        return error_response(error)
    key = body.get("key") if isinstance(body, dict) else None
    return await serve(
        request, "create", lambda: str(key or ""), lambda: (201, project.create(body)), write=True
    )


def _target(request: Request) -> tuple[Ref, Callable[[], str]]:
    project = runtime_of(request).project
    ref = Ref.parse(request.path_params["ref"])
    return ref, lambda: project.key_of(ref)


async def get_draft(request: Request) -> Response:
    project = runtime_of(request).project
    ref, subject = _target(request)
    return await serve(request, "get", subject, lambda: (200, project.get(ref)), write=False)


async def delete_draft(request: Request) -> Response:
    project = runtime_of(request).project
    ref, subject = _target(request)
    return await serve(
        request, "delete", subject, lambda: (200, project.delete(ref)), write=True, ref=ref
    )


async def update_draft(request: Request) -> Response:
    runtime = runtime_of(request)
    ref, subject = _target(request)
    try:
        body = await read_json(request)
    except ActionRejected as error:
        runtime.log.count("update")
        return error_response(error)

    def update() -> tuple[int, Any]:
        return runtime.project.settings.update_status, runtime.project.update(ref, body)

    return await serve(request, "update", subject, update, write=True, ref=ref)


async def get_published(request: Request) -> Response:
    """`GET /connectors/{ref}`: a published Connector, emulated by its ConnectorStaged once
    published (its `version` stands for the Connector's, as the Deployments service assumes)."""
    project = runtime_of(request).project
    ref, subject = _target(request)

    def published() -> tuple[int, Any]:
        connector = project.get(ref)
        if connector.get("status") != "Published" and not connector.get("alreadyListed"):
            label = ref.key or ref.id
            raise ActionRejected(404, "ResourceNotFound", f"The Connector {label} was not found.")
        return 200, connector

    return await serve(request, "published.get", subject, published, write=False)


def connector_routes() -> list[Route]:
    """The ConnectorStaged endpoints, with exactly the methods the API has."""
    return [
        api_route("/connectors/drafts", {"GET": query_drafts, "POST": create_draft}),
        api_route(
            "/connectors/drafts/{ref}",
            {"GET": get_draft, "POST": update_draft, "DELETE": delete_draft},
        ),
        api_route("/connectors/{ref}", {"GET": get_published}),
    ]
