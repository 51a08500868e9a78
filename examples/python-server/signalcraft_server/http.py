"""Small request and response helpers every router shares.

Bodies are read here, in the event loop, as dependencies (``Depends(json_object)``,
``Depends(raw_body)``), bounded by the engine's max body size; the routes themselves are plain
``def`` functions, which FastAPI runs in its threadpool (``run_in_threadpool``), so the engine's
blocking calls (which release the GIL) never block the loop.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

from fastapi import Depends, Request
from fastapi.responses import Response

from .errors import HostError

#: The path prefix of one workspace's API.
WS = "/api/workspaces/{ws}"

#: JSON bodies as the Node host (Fastify) sends them.
JSON_TYPE = "application/json; charset=utf-8"

UNSUPPORTED = "Unsupported Media Type"
NOT_JSON = "Body is not valid JSON but content-type is set to 'application/json'"

#: Media types read as JSON (RFC 7396's own for PATCH …/settings).
_JSON_TYPES = ("application/json", "application/merge-patch+json")


def ctx(request: Request) -> Any:
    """The host's context (engine, config, feed), set by the app."""
    return request.app.state.host


def dumps(body: Any) -> bytes:
    """Compact JSON, as JSON.stringify writes it."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def ok(body: Any, status: int = 200) -> Response:
    """A JSON answer (serialized here, in the threadpool when the route runs there)."""
    return Response(content=dumps(body), status_code=status, media_type=JSON_TYPE)


def no_content() -> Response:
    return Response(status_code=204)


def too_large() -> HostError:
    return HostError("too_large", "request body is larger than the limit", "body")


async def read_body(request: Request) -> bytes:
    """The body as bytes, at most the engine's max body size (else ``too_large``).

    A declared length over the limit is refused before reading anything; a body that turns out
    larger is drained (up to 4 times the limit, bounded work) so the client reads the 413 rather
    than a reset connection.
    """
    limit = ctx(request).config.max_body_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            if size > 4 * limit:
                break
            chunks.clear()
            continue
        chunks.append(chunk)
    if size > limit:
        raise too_large()
    return b"".join(chunks)


async def raw_body(request: Request) -> bytes:
    """The request's body exactly as received (webhooks, Slack: signatures are over these bytes)."""
    return await read_body(request)


def _no_prototype(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object, refused (as Fastify's secure-json-parse refuses it) when it has a
    ``__proto__`` key or a ``constructor`` holding a ``prototype``."""
    for k, v in pairs:
        if k == "__proto__" or (k == "constructor" and isinstance(v, dict) and "prototype" in v):
            raise ValueError("Object contains forbidden prototype property")
    return dict(pairs)


async def json_value(request: Request) -> Any:
    """The JSON body (``None`` when none was sent); like Fastify: JSON and text bodies only.

    Not JSON, or a content type the API does not take: ``invalid_input`` at ``body`` (never 415),
    with Fastify's own messages, so that both hosts answer the same bytes.
    """
    data = await read_body(request)
    ctype = request.headers.get("content-type")
    if ctype is None:
        if not data:
            return None
        raise HostError("invalid_input", UNSUPPORTED, "body")
    media = ctype.split(";", 1)[0].strip().lower()
    if media in _JSON_TYPES:
        if not data:
            raise HostError(
                "invalid_input", "Body cannot be empty when content-type is set to 'application/json'", "body"
            )
        try:
            return json.loads(data, object_pairs_hook=_no_prototype)
        except (ValueError, UnicodeDecodeError):
            raise HostError("invalid_input", NOT_JSON, "body") from None
    if media == "text/plain":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            raise HostError("invalid_input", "body is not UTF-8 text", "body") from None
    raise HostError("invalid_input", UNSUPPORTED, "body")


async def json_object(request: Request) -> dict:
    """The JSON body as an object (an absent body is ``{}``); anything else is invalid_input."""
    body = await json_value(request)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise HostError("invalid_input", "expected a JSON object", "body")
    return body


def without_actor(body: dict) -> dict:
    """The body without ``actor``: the actor is always the authenticated principal."""
    return {k: v for k, v in body.items() if k != "actor"}


def header_pairs(request: Request) -> list[tuple[str, str]]:
    """The request headers as ``(name, value)`` pairs in order, repeats kept."""
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw]


def query_value(request: Request, name: str) -> Optional[str]:
    """A single query value (the last when repeated), or None."""
    values = request.query_params.getlist(name)
    return values[-1] if values else None


def text_field(body: dict, name: str) -> str:
    v = body.get(name)
    if not isinstance(v, str):
        raise HostError("invalid_input", f"{name}: expected a string", name)
    return v


#: A route's body, as parameter types: the JSON object, the raw bytes, or any JSON (read so that
#: a malformed body is refused as Fastify refuses it, even where the route needs none).
JsonBody = Annotated[dict, Depends(json_object)]
RawBody = Annotated[bytes, Depends(raw_body)]
AnyBody = Annotated[Any, Depends(json_value)]
