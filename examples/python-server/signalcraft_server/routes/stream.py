"""GET /api/workspaces/{ws}/stream: server-sent events, one per change (``id:`` = its seq,
``data:`` the group id and status); ``Last-Event-ID`` replays what came after it; heartbeats keep
proxies from closing an idle stream."""

import asyncio
import json
import re
from typing import Any, AsyncIterator, Optional

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..auth import authorize
from ..errors import HostError
from ..feed import Subscriber
from ..http import WS, ctx, query_value
from ..routing import router as make_router

router = make_router()


def resume_after(header: Optional[str], query: Optional[str]) -> Optional[int]:
    """The position to resume after, from ``Last-Event-ID`` (or ``?last_event_id=``), or None."""
    v = header if header is not None else query
    if v is None or v == "":
        return None
    if not re.fullmatch(r"\d{1,15}", v.strip()):
        raise HostError("invalid_input", "Last-Event-ID: expected a change sequence number", "Last-Event-ID")
    return int(v.strip())


def event(c: dict[str, Any]) -> str:
    data = {
        "id": c["group_id"],
        "group_id": c["group_id"],
        "status": c["status"],
        "kind": c["kind"],
        "seq": c["seq"],
        "at": c["at"],
    }
    return f"id: {c['seq']}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n"


@router.get(WS + "/stream")
async def stream(ws: str, request: Request) -> Response:
    host = ctx(request)
    a = await run_in_threadpool(authorize, request, ws, "read")
    ws_id = a["workspace"]["id"]
    after = resume_after(request.headers.get("last-event-id"), query_value(request, "last_event_id"))
    start = after if after is not None else await host.feed.head(ws_id)
    sub = Subscriber(start)
    host.feed.subscribe(ws_id, sub)

    async def events() -> AsyncIterator[str]:
        try:
            yield f"retry: 2000\n: stream of {a['workspace']['name']} from {start}\n\n"
            while True:
                try:
                    change = await asyncio.wait_for(sub.queue.get(), timeout=host.config.heartbeat_secs)
                except asyncio.TimeoutError:
                    yield ": ping\n\n"
                    continue
                if change is None:
                    return
                yield event(change)
        finally:
            host.feed.unsubscribe(ws_id, sub)

    return StreamingResponse(
        events(),
        media_type="text/event-stream; charset=utf-8",
        headers={
            "Cache-Control": "no-cache, no-transform",
            "Connection": "keep-alive",
            "X-Accel-Buffering": "no",
        },
    )
