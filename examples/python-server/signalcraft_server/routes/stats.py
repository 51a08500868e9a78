"""Dashboard figures and the workspace's delivery log."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..http import WS, ctx, ok, query_value
from ..routing import router as make_router

router = make_router()


@router.get(WS + "/stats")
def stats(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    window = query_value(request, "window")
    engine = ctx(request).engine
    wid = a["workspace"]["id"]
    return ok(engine.stats(wid) if window is None else engine.stats(wid, window))


@router.get(WS + "/deliveries")
def deliveries(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    engine = ctx(request).engine
    group = query_value(request, "group")
    if group is not None:
        engine.group(a["workspace"]["id"], group)  # another workspace's id: not_found
    return ok({"deliveries": engine.deliveries(a["workspace"]["id"], group)})
