"""Routing rules: list, replace, check, test (a dry run that stores nothing) and replay."""

from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..auth import authorize
from ..errors import HostError
from ..http import WS, JsonBody, ctx, dumps, ok
from ..routing import router as make_router

router = make_router()


def rule_list(body: dict) -> Any:
    """``{"rules": [...]}`` -> the list (the engine checks its shape and names paths)."""
    if "rules" not in body:
        raise HostError("invalid_input", "rules: required", "rules")
    return body["rules"]


@router.get(WS + "/rules")
def get_rules(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    return ok({"rules": ctx(request).engine.rules(a["workspace"]["id"])})


@router.put(WS + "/rules")
def put_rules(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    engine = ctx(request).engine
    engine.put_rules(a["workspace"]["id"], rule_list(body))
    return ok({"ok": True, "rules": len(engine.rules(a["workspace"]["id"]))})


@router.post(WS + "/rules/check")
def check_rules(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    return ok(ctx(request).engine.check_rules(a["workspace"]["id"], rule_list(body)))


@router.post(WS + "/rules/test")
def test_rules(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    source = body["source"] if isinstance(body.get("source"), str) else "auto"
    payload = body["body"] if isinstance(body.get("body"), str) else dumps(body.get("body")).decode()
    out = ctx(request).engine.dry_run(
        a["workspace"]["id"], source, body.get("headers"), payload, body.get("rules")
    )
    return ok({**out, "stored": False})


@router.post(WS + "/rules/replay")
def replay(ws: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    since = body["since"] if isinstance(body.get("since"), str) else None
    until = body["until"] if isinstance(body.get("until"), str) else None
    return ok(ctx(request).engine.replay(a["workspace"]["id"], rule_list(body), since, until))
