"""The demo's loopback sink: the demo workspace's webhook channel posts here, so deliveries
visibly succeed without anything outside the machine. Served only with --demo."""

import json
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from ..http import RawBody, ctx, no_content, ok
from ..routing import router as make_router

router = make_router()
_state: dict[str, Any] = {"received": 0, "last": None}


@router.post("/demo/sink")
async def receive(request: Request, body: RawBody) -> Response:
    _state["received"] += 1
    try:
        _state["last"] = json.loads(body) if body else None
    except ValueError:
        _state["last"] = body.decode("utf-8", "replace")
    ctx(request).log.info("demo sink received a delivery", extra={"received": _state["received"]})
    return no_content()


@router.get("/demo/sink")
async def show() -> Response:
    return ok(_state)
