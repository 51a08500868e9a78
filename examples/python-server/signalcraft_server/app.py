"""The FastAPI app: request ids, security headers, request logs, the shared error handling and
one router per domain. ``build_app`` opens nothing itself; ``__main__`` owns the engine's life."""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .config import HostConfig
from .engine import Core
from .errors import HostError
from .feed import ChangeFeed
from .logs import monotonic_ms, redact_url
from .routes import (
    channels,
    dashboard,
    demo_sink,
    escalations,
    groups,
    integrations,
    maintenance,
    monitors,
    ops,
    rules,
    session,
    silences,
    slack,
    stats,
    stream,
    webhooks,
    workspaces,
)
from .routing import error_response


@dataclass
class HostContext:
    """What every route gets (``request.app.state.host``)."""

    engine: Core
    config: HostConfig
    feed: ChangeFeed
    log: logging.Logger
    #: Whether the engine's background loop runs (set by ``__main__``).
    background: dict[str, bool] = field(default_factory=lambda: {"running": False})


#: helmet 8's default headers, so both hosts send the same (the Node host uses @fastify/helmet).
SECURITY_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
        b"frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
        b"script-src-attr 'none';"
        b"style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests",
    ),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"origin-agent-cluster", b"?1"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-dns-prefetch-control", b"off"),
    (b"x-download-options", b"noopen"),
    (b"x-frame-options", b"SAMEORIGIN"),
    (b"x-permitted-cross-domain-policies", b"none"),
    (b"x-xss-protection", b"0"),
]


class HostMiddleware:
    """Request id (``X-Request-Id``), security headers, and one log line per request."""

    def __init__(self, app: ASGIApp, log: logging.Logger) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = rid
        start = time.perf_counter()
        status = {"code": 0}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode()))
                headers.extend(SECURITY_HEADERS)
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            path = scope.get("path", "")
            qs = scope.get("query_string", b"").decode("latin-1")
            client = scope.get("client")
            self.log.info(
                "request completed",
                extra={
                    "reqId": rid,
                    "req": {
                        "method": scope.get("method"),
                        "url": redact_url(path + ("?" + qs if qs else "")),
                        "remoteAddress": client[0] if client else None,
                    },
                    "res": {"statusCode": status["code"]},
                    "responseTime": monotonic_ms(start),
                },
            )


def build_app(host: HostContext, lifespan: Any = None) -> FastAPI:
    """The app on an open engine (``host``)."""
    app = FastAPI(
        title="SignalCraft server",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # the contract is examples/api/openapi.yaml, not a generated one
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.state.host = host

    async def not_found(request: Request, exc: Exception) -> Response:
        # an unknown route, or a known path with another method (Fastify answers 404 for both)
        code = getattr(exc, "status_code", 404)
        if code in (404, 405):
            err = HostError("not_found", f"no route {request.method} {request.url.path}")
        else:
            err = HostError("invalid_input", str(getattr(exc, "detail", exc)), "body")
        return error_response(err)

    app.add_exception_handler(StarletteHTTPException, not_found)
    for module in (
        webhooks,
        slack,
        session,
        workspaces,
        groups,
        rules,
        silences,
        maintenance,
        escalations,
        channels,
        integrations,
        monitors,
        stats,
        stream,
        ops,
    ):
        app.include_router(module.router)
    if host.config.demo:
        app.include_router(demo_sink.router)
    dashboard.mount(app, host.config.dashboard_dir)
    app.add_middleware(HostMiddleware, log=host.log)
    return app
