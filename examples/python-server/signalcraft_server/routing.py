"""Routers whose errors, the engine's included, become the contract's error body (so nothing
is re-raised to the server as an unhandled exception)."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute

from .errors import error_reply
from .http import JSON_TYPE, dumps


def error_response(err: BaseException) -> Response:
    """The contract's error body for ``err`` (with ``Retry-After`` for rate limits)."""
    e = error_reply(err)
    headers = {"Retry-After": str(e.retry_after)} if e.retry_after is not None else None
    return Response(content=dumps(e.body()), status_code=e.status, media_type=JSON_TYPE, headers=headers)


def log_error(request: Request, err: BaseException) -> None:
    log: logging.Logger = request.app.state.host.log
    e = error_reply(err)
    rid = request.scope.get("state", {}).get("request_id")
    if e.status >= 500:
        log.error("request failed", exc_info=err, extra={"reqId": rid})
    else:
        log.info(e.message, extra={"reqId": rid, "kind": e.kind, "path": e.path})


class ErrorRoute(APIRoute):
    """A route whose every error is answered with the contract's error body; a GET route answers
    HEAD too (as Fastify's routes do; the server sends no body)."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        methods = kwargs.get("methods")
        if methods is not None and "GET" in {m.upper() for m in methods}:
            kwargs["methods"] = {*methods, "HEAD"}
        super().__init__(path, endpoint, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as err:  # noqa: BLE001 - the one place errors turn into answers
                log_error(request, err)
                return error_response(err)

        return route


def router() -> APIRouter:
    """A domain's router (its routes are :class:`ErrorRoute`s)."""
    return APIRouter(route_class=ErrorRoute)
