"""POST /webhooks/{workspace}/{source}: the raw delivery to the engine's one webhook call, which
authenticates it (signature, ingest key, or the workspace's allow_unauthenticated_ingest),
rate-limits, ingests and records health."""

from fastapi import Request
from fastapi.responses import Response

from ..http import RawBody, ctx, header_pairs, ok, query_value
from ..routing import router as make_router

router = make_router()


@router.post("/webhooks/{workspace}/{source}")
def webhook(workspace: str, source: str, request: Request, body: RawBody) -> Response:
    out = ctx(request).engine.webhook(
        workspace, source, header_pairs(request), body, query_value(request, "key")
    )
    return ok(out, 202)
