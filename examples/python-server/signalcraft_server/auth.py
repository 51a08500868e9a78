"""The credential of a request and the one engine call that authorizes it. Who may do what is
the engine's decision (``authorize``); the host only reads where the credential is."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Optional

from fastapi import Request
from fastapi.responses import Response

from .http import ctx

#: The session cookie's name.
SESSION_COOKIE = "sc_session"

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_BEARER = re.compile(r"^Bearer\s+(\S+)\s*$", re.I)
_FRACTION = re.compile(r"(\.\d{6})\d+")


def credential(request: Request) -> str:
    """``Authorization: Bearer X`` if present, else the ``sc_session`` cookie, else "" (the engine
    answers unauthenticated)."""
    header = request.headers.get("authorization")
    if header is not None:
        m = _BEARER.match(header)
        if m:
            return m.group(1)
    return request.cookies.get(SESSION_COOKIE, "")


def unsafe(request: Request) -> bool:
    """Whether the method changes state (a session then needs its CSRF token)."""
    return request.method not in SAFE_METHODS


def csrf(request: Request) -> Optional[str]:
    """The ``X-CSRF-Token`` header, or None."""
    return request.headers.get("x-csrf-token")


def authenticate(request: Request) -> dict[str, Any]:
    """The principal behind the request (routes that are not about one workspace)."""
    return ctx(request).engine.authenticate(credential(request), unsafe(request), csrf(request))  # type: ignore[no-any-return]


def authorize(request: Request, workspace: str, permission: str) -> dict[str, Any]:
    """The principal's access to ``workspace`` with ``permission``, or the engine's error."""
    return ctx(request).engine.authorize(  # type: ignore[no-any-return]
        credential(request), workspace, permission, unsafe(request), csrf(request)
    )


def secure_cookies(request: Request) -> bool:
    """Whether cookies get ``Secure``: the public URL is https, or this request came over https."""
    public = ctx(request).config.public_url or ""
    return public.startswith("https://") or request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, token: str, expires_at: str) -> None:
    """Sets the session cookie: HttpOnly, SameSite=Strict, Secure when served over https."""
    # RFC 3339 with nanoseconds: Python's datetime (before 3.11) reads at most microseconds
    expires = datetime.fromisoformat(_FRACTION.sub(r"\1", expires_at).replace("Z", "+00:00"))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        expires=expires,
        path="/",
        secure=secure_cookies(request),
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    """Clears the session cookie (``Max-Age=0``)."""
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=secure_cookies(request), httponly=True, samesite="strict"
    )
