"""Operations: Prometheus metrics, liveness and readiness."""

import hashlib
import hmac
import re

from fastapi import Request
from fastapi.responses import Response

from ..errors import HostError
from ..http import ctx, ok
from ..routing import error_response
from ..routing import router as make_router

router = make_router()
_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.I)


def bearer_is(request: Request, token: str) -> bool:
    """``Authorization: Bearer <token>`` equal to ``token`` (compared in constant time)."""
    m = _BEARER.match(request.headers.get("authorization", ""))
    if m is None:
        return False
    return hmac.compare_digest(
        hashlib.sha256(m.group(1).encode()).digest(), hashlib.sha256(token.encode()).digest()
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    host = ctx(request)
    token = host.config.metrics_token
    if token is not None and not bearer_is(request, token):
        resp = error_response(
            HostError("unauthenticated", "metrics need the bearer token given by --metrics-token")
        )
        resp.headers["WWW-Authenticate"] = "Bearer"
        return resp
    return Response(content=host.engine.metrics_text(), media_type="text/plain; version=0.0.4; charset=utf-8")


@router.get("/healthz")
async def healthz() -> Response:
    return ok({"status": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> Response:
    host = ctx(request)
    engine = host.engine
    if engine.has("ready"):
        r = engine.ready()
        if not r["database_writable"]:
            raise HostError("storage", "the database is not writable")
        if r["background"] != "running":
            raise HostError("storage", f"the background loop is {r['background']}")
        return ok({"status": "ready"})
    # A package without ready(): what the host itself knows (a read, and the loop it started).
    engine.workspaces()
    if not host.background["running"]:
        raise HostError("storage", "the background loop is not running")
    return ok({"status": "ready"})
