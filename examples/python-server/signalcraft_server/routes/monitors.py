"""Fleet monitors: the apps and monitors document (get, replace), every monitor's state, one
monitor run now, and the apps with their states and open alerts (the dashboard's Fleet page)."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..http import WS, AnyBody, ctx, ok
from ..routing import router as make_router

router = make_router()


@router.get(WS + "/monitors")
def get_monitors(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok(ctx(request).engine.monitors(a["workspace"]["id"]))


@router.put(WS + "/monitors")
def put_monitors(ws: str, request: Request, body: AnyBody) -> Response:
    # the document as `signalcraft monitor put` reads it (a list, or {apps, monitors}): the
    # engine checks its shape and names every problem's path
    a = authorize(request, ws, "configure")
    return ok(ctx(request).engine.put_monitors(a["workspace"]["id"], body))


@router.get(WS + "/monitors/status")
def monitor_status(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok({"monitors": ctx(request).engine.monitor_status(a["workspace"]["id"])})


@router.post(WS + "/monitors/{id}/run")
def run_monitor(ws: str, id: str, request: Request, _body: AnyBody) -> Response:
    # the check talks to its target: this plain route runs in the threadpool, the engine's call
    # releases the GIL while it waits
    a = authorize(request, ws, "act")
    return ok(ctx(request).engine.run_monitor(a["workspace"]["id"], id))


@router.get(WS + "/apps")
def list_apps(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok({"apps": ctx(request).engine.apps(a["workspace"]["id"])})
