"""The admin API under `/_emulator/` (no token needed; the emulator binds loopback).

See the package docstring for the request bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connectorctl.emulator.faults import fault_config
from connectorctl.emulator.lifecycle import timing_for
from connectorctl.emulator.runtime import (
    EmulatorRuntime,
    api_route,
    error_response,
    read_json,
    runtime_of,
)
from connectorctl.emulator.service import Ref
from connectorctl.emulator.settings import bad_request, iso, parse_iso
from connectorctl.kinds.connector_staged.actions import ActionRejected

Handler = Callable[[EmulatorRuntime, Any], Any]
_SCRIPT_KEYS = frozenset(
    {"preview", "publish", "preview_delay", "publish_delay", "certification_delay", "report"}
)


def _reset(runtime: EmulatorRuntime, body: Any) -> Any:
    runtime.reset()
    return {"reset": True}


def _seed(runtime: EmulatorRuntime, body: Any) -> Any:
    if isinstance(body, Mapping) and "connector" in body:
        return runtime.project.seed(body["connector"], certified=bool(body.get("certified")))
    if isinstance(body, list):
        return [runtime.project.seed(raw) for raw in body]
    return runtime.project.seed(body)


def _script(runtime: EmulatorRuntime, body: Any) -> Any:
    if not isinstance(body, Mapping) or not isinstance(body.get("key"), str):
        raise bad_request('script: expected {"key": KEY, ...outcomes}')
    script = {name: value for name, value in body.items() if name != "key"}
    unknown = sorted(set(script) - _SCRIPT_KEYS)
    if unknown:
        raise bad_request(f"script: unknown field '{unknown[0]}'")
    timing_for(runtime.project.settings, script)  # refuses values that are not numbers
    return runtime.project.set_script(body["key"], script)


def _edit(runtime: EmulatorRuntime, body: Any) -> Any:
    if not isinstance(body, Mapping) or not (body.get("key") or body.get("id")):
        raise bad_request('edit: expected {"key" or "id", "actions": [...]}')
    ref = Ref(key=body["key"]) if body.get("key") else Ref(id=str(body["id"]))
    return runtime.project.edit(ref, body.get("actions", []))


def _clock(runtime: EmulatorRuntime, body: Any) -> Any:
    body = body if isinstance(body, Mapping) else {}
    advance, now = body.get("advance"), body.get("now")
    if advance is not None and (not isinstance(advance, int | float) or isinstance(advance, bool)):
        raise bad_request("clock.advance: expected seconds")
    try:
        when = parse_iso(now) if isinstance(now, str) else None
    except ValueError:
        raise bad_request("clock.now: expected an ISO 8601 date-time") from None
    return {"now": runtime.project.move_clock(advance=advance, now=when)}


def _settings(runtime: EmulatorRuntime, body: Any) -> Any:
    if body is not None:
        if not isinstance(body, Mapping):
            raise bad_request("settings: expected an object")
        runtime.project.update_settings(body)
    return runtime.project.settings.to_dict()


def _faults(runtime: EmulatorRuntime, body: Any) -> Any:
    if body is not None:
        if not isinstance(body, Mapping):
            raise bad_request("faults: expected an object")
        runtime.faults = fault_config(body)
        runtime.log.reset_attempts()
    return runtime.faults.to_dict()


def _counters(runtime: EmulatorRuntime, body: Any) -> Any:
    return runtime.log.counters()


def _now(runtime: EmulatorRuntime, body: Any) -> Any:
    return {"now": iso(runtime.project.clock.now())}


_POST: Mapping[str, Handler] = {
    "reset": _reset, "seed": _seed, "script": _script, "edit": _edit,
    "clock": _clock, "settings": _settings, "faults": _faults,
}  # fmt: skip
_GET: Mapping[str, Handler] = {
    "counters": _counters, "clock": _now, "settings": _settings, "faults": _faults,
}  # fmt: skip


async def _admin_get(request: Request) -> Response:
    return await _admin(request, _GET, None)


async def _admin_post(request: Request) -> Response:
    try:
        body = await read_json(request, empty=None)
    except ActionRejected as error:
        return error_response(error)
    return await _admin(request, _POST, body)


async def _admin(request: Request, handlers: Mapping[str, Handler], body: Any) -> Response:
    name = request.path_params["name"]
    handler = handlers.get(name)
    if handler is None:
        message = f"No admin endpoint {request.method} /_emulator/{name}."
        return error_response(ActionRejected(404, "ResourceNotFound", message))
    try:
        result = await run_in_threadpool(handler, runtime_of(request), body)
    except ActionRejected as error:
        return error_response(error)
    return JSONResponse(result)


def admin_routes() -> list[Route]:
    return [api_route("/_emulator/{name}", {"GET": _admin_get, "POST": _admin_post})]
