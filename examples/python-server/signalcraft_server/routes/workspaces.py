"""Workspaces, their settings, members and API tokens."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authenticate, authorize
from ..errors import HostError
from ..http import WS, AnyBody, JsonBody, ctx, no_content, ok, text_field
from ..routing import router as make_router

router = make_router()


@router.get("/api/workspaces")
def list_workspaces(request: Request) -> Response:
    p = authenticate(request)
    role = {m["workspace_id"]: m["role"] for m in p["memberships"]}
    listed = [{**w, "role": role[w["id"]]} for w in ctx(request).engine.workspaces() if w["id"] in role]
    return ok({"workspaces": listed})


@router.post("/api/workspaces")
def create_workspace(request: Request, body: JsonBody) -> Response:
    p = authenticate(request)
    if p["user"] is None:
        raise HostError("forbidden", "an API token cannot create workspaces")
    return ok(ctx(request).engine.create_workspace(text_field(body, "name"), p["user"]["email"]), 201)


@router.get(WS + "/settings")
def get_settings(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok(ctx(request).engine.settings(a["workspace"]["id"]))


@router.patch(WS + "/settings")
def patch_settings(ws: str, request: Request, patch: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    return ok(ctx(request).engine.patch_settings(a["workspace"]["id"], patch))


@router.get(WS + "/members")
def list_members(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "administer")
    return ok({"members": ctx(request).engine.members(a["workspace"]["id"])})


@router.put(WS + "/members/{email}")
def put_member(ws: str, email: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "administer")
    return ok(ctx(request).engine.set_member(a["workspace"]["id"], email, text_field(body, "role")))


@router.delete(WS + "/members/{email}")
def delete_member(ws: str, email: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "administer")
    ctx(request).engine.remove_member(a["workspace"]["id"], email)
    return no_content()


@router.get(WS + "/tokens")
def list_tokens(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "administer")
    return ok({"tokens": ctx(request).engine.tokens(a["workspace"]["id"])})


@router.post(WS + "/tokens")
def create_token(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "administer")
    role = text_field(body, "role")
    name = body.get("name") if isinstance(body.get("name"), str) else None
    return ok(ctx(request).engine.create_token(a["workspace"]["id"], role, name), 201)


@router.delete(WS + "/tokens/{id}")
def revoke_token(ws: str, id: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "administer")
    ctx(request).engine.revoke_token(a["workspace"]["id"], id)
    return no_content()
