"""Maintenance windows: list, add, delete."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..http import WS, AnyBody, JsonBody, ctx, no_content, ok
from ..routing import router as make_router

router = make_router()


@router.get(WS + "/maintenance")
def list_maintenance(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok({"maintenance": ctx(request).engine.maintenance_windows(a["workspace"]["id"])})


@router.post(WS + "/maintenance")
def add_maintenance(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    return ok(ctx(request).engine.add_maintenance(a["workspace"]["id"], body), 201)


@router.delete(WS + "/maintenance/{id}")
def delete_maintenance(ws: str, id: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    ctx(request).engine.delete_maintenance(a["workspace"]["id"], id)
    return no_content()
