"""Alert groups: the inbox query, one group, its events and timeline page by page, one event
with its raw delivery, its deliveries, and lifecycle commands (one and bulk). The actor is always
the authenticated principal; an ``actor`` in a body is dropped."""

import re
from typing import Any, Optional

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


def item_page(request: Request) -> tuple[Optional[str], Optional[int]]:
    """``?cursor&limit`` of a group's events or timeline (the engine checks 1 to 200)."""
    cursors = request.query_params.getlist("cursor")
    limits = request.query_params.getlist("limit")
    if len(cursors) > 1:
        raise HostError("invalid_input", "cursor: expected one cursor", "cursor")
    if len(limits) > 1 or (limits and not re.fullmatch(r"[0-9]{1,9}", limits[0])):
        raise HostError("invalid_input", "limit: expected a page size (1 to 200)", "limit")
    return (cursors[0] if cursors and cursors[0] else None, int(limits[0]) if limits else None)


@router.get(WS + "/groups/{id}/events")
def group_events(ws: str, id: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    cursor, limit = item_page(request)
    return ok(ctx(request).engine.group_events(a["workspace"]["id"], id, cursor, limit))


@router.get(WS + "/groups/{id}/timeline")
def group_timeline(ws: str, id: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    cursor, limit = item_page(request)
    return ok(ctx(request).engine.group_timeline(a["workspace"]["id"], id, cursor, limit))


@router.get(WS + "/events/{id}")
def get_event(ws: str, id: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok(ctx(request).engine.event(a["workspace"]["id"], id))


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
