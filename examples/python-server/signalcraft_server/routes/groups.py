"""Alert groups: the inbox query, one group, its deliveries, and lifecycle commands (one and
bulk). The actor is always the authenticated principal; an ``actor`` in a body is dropped."""

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..errors import HostError
from ..http import WS, JsonBody, ctx, ok, without_actor
from ..routing import router as make_router

router = make_router()


def group_query(request: Request) -> dict[str, Any]:
    """Query values as the engine takes them: repeated keys stay lists, ``limit`` a number when
    it is one."""
    out: dict[str, Any] = {}
    for k in request.query_params.keys():
        values = request.query_params.getlist(k)
        v: Any = values[0] if len(values) == 1 else values
        if k == "limit" and isinstance(v, str) and v.isdigit():
            v = int(v)
        out[k] = v
    return out


@router.get(WS + "/groups")
def list_groups(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok(ctx(request).engine.groups(a["workspace"]["id"], group_query(request)))


@router.post(WS + "/groups/actions")
def act_many(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "act")
    command = without_actor(body)
    if "ids" not in command:
        raise HostError("invalid_input", "ids: required", "ids")
    ids = command.pop("ids")
    # the binding takes a list of strings (anything else would be a TypeError, a 500)
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise HostError("invalid_input", "ids: expected a list of group ids", "ids")
    results = ctx(request).engine.act_many(a["workspace"]["id"], ids, command, a["actor"], a["role"])
    return ok({"results": results})


@router.get(WS + "/groups/{id}")
def get_group(ws: str, id: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok(ctx(request).engine.group(a["workspace"]["id"], id))


@router.get(WS + "/groups/{id}/deliveries")
def group_deliveries(ws: str, id: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    engine = ctx(request).engine
    engine.group(a["workspace"]["id"], id)  # another workspace's id: not_found
    return ok({"deliveries": engine.deliveries(a["workspace"]["id"], id)})


@router.post(WS + "/groups/{id}/actions")
def act(ws: str, id: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "act")
    return ok(ctx(request).engine.act(a["workspace"]["id"], id, without_actor(body), a["actor"], a["role"]))
