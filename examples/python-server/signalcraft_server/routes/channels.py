"""Notification channels: list (secrets masked by the engine), put, delete, send a test."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..errors import HostError
from ..http import WS, AnyBody, JsonBody, ctx, no_content, ok
from ..routing import router as make_router

router = make_router()


@router.get(WS + "/channels")
def list_channels(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok({"channels": ctx(request).engine.channels(a["workspace"]["id"])})


@router.put(WS + "/channels/{name}")
def put_channel(ws: str, name: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    kind = body.get("kind")
    if not isinstance(kind, str):
        raise HostError("invalid_input", "kind: expected a string", "kind")
    config = body.get("config")
    return ok(
        ctx(request).engine.set_channel(a["workspace"]["id"], name, kind, {} if config is None else config)
    )


@router.delete(WS + "/channels/{name}")
def delete_channel(ws: str, name: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    ctx(request).engine.delete_channel(a["workspace"]["id"], name)
    return no_content()


@router.post(WS + "/channels/{name}/test")
def test_channel(ws: str, name: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    return ok(ctx(request).engine.test_channel(a["workspace"]["id"], name), 202)
