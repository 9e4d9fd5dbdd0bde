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
from connectorctl.emulator.runtime import (
    EmulatorRuntime,
    api_route,
    error_response,
    read_json,
    runtime_of,
)
from connectorctl.emulator.service import Ref
from connectorctl.emulator.settings import (
    MAX_SECONDS,
    PREVIEW_OUTCOMES,
    PUBLISH_OUTCOMES,
    REPORT_ENTRY_TYPES,
    bad_request,
    is_seconds,
    iso,
    parse_iso,
)
from connectorctl.kinds.connector_staged.actions import ActionRejected

Handler = Callable[[EmulatorRuntime, Any], Any]
_LATEST = 221845392000.0  # 9000-01-01: far enough from year 9999 that advancing stays printable
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
    _check_script(script)
    return runtime.project.set_script(body["key"], script)


def _check_script(script: Mapping[str, Any]) -> None:
    for name in ("preview_delay", "publish_delay", "certification_delay"):
        if name in script and not is_seconds(script[name]):
            raise bad_request(f"script.{name}: expected seconds (0 to {MAX_SECONDS})")
    for name, allowed in (("preview", PREVIEW_OUTCOMES), ("publish", PUBLISH_OUTCOMES)):
        if name in script and script[name] not in allowed:
            raise bad_request(f"script.{name}: expected one of {', '.join(allowed)}")
    report = script.get("report", [])
    if not isinstance(report, list) or not all(_is_entry(entry) for entry in report):
        raise bad_request('script.report: expected [{"type": "Error", "title": "..."}, ...]')


def _is_entry(entry: Any) -> bool:
    return (
        isinstance(entry, Mapping)
        and entry.get("type") in REPORT_ENTRY_TYPES
        and isinstance(entry.get("title"), str)
    )


def _edit(runtime: EmulatorRuntime, body: Any) -> Any:
    if not isinstance(body, Mapping) or not (body.get("key") or body.get("id")):
        raise bad_request('edit: expected {"key" or "id", "actions": [...]}')
    ref = Ref(key=body["key"]) if body.get("key") else Ref(id=str(body["id"]))
    return runtime.project.edit(ref, body.get("actions", []))


def _clock(runtime: EmulatorRuntime, body: Any) -> Any:
    body = body if isinstance(body, Mapping) else {}
    advance, now = body.get("advance"), body.get("now")
    if advance is not None and not is_seconds(advance, signed=True):
        raise bad_request(f"clock.advance: expected seconds (at most {MAX_SECONDS} either way)")
    try:
        when = parse_iso(now) if isinstance(now, str) else None
    except ValueError:
        when = -1.0
    if when is not None and not 0 <= when <= _LATEST:
        raise bad_request("clock.now: expected an ISO 8601 date-time from 1970 to 9000")
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
