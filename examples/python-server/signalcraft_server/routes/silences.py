"""Silences: list, add, expire."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..http import WS, AnyBody, JsonBody, ctx, no_content, ok, without_actor
from ..routing import router as make_router

router = make_router()


@router.get(WS + "/silences")
def list_silences(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok({"silences": ctx(request).engine.silences(a["workspace"]["id"])})


@router.post(WS + "/silences")
def add_silence(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    # the creator is the authenticated principal; an ``actor`` in the body is dropped
    return ok(ctx(request).engine.add_silence(a["workspace"]["id"], without_actor(body), a["actor"]), 201)


@router.delete(WS + "/silences/{id}")
def expire_silence(ws: str, id: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    ctx(request).engine.expire_silence(a["workspace"]["id"], id)
    return no_content()
