"""Escalation policies: list, put, delete."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..http import WS, AnyBody, JsonBody, ctx, no_content, ok
from ..routing import router as make_router

router = make_router()


@router.get(WS + "/escalations")
def list_escalations(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok({"policies": ctx(request).engine.escalations(a["workspace"]["id"])})


@router.put(WS + "/escalations/{name}")
def put_escalation(ws: str, name: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    engine = ctx(request).engine
    engine.put_escalation(a["workspace"]["id"], name, body)
    # the policy as stored (the engine fills in defaults)
    return ok({"ok": True, "name": name, "policy": engine.escalations(a["workspace"]["id"]).get(name)})


@router.delete(WS + "/escalations/{name}")
def delete_escalation(ws: str, name: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    ctx(request).engine.delete_escalation(a["workspace"]["id"], name)
    return no_content()
