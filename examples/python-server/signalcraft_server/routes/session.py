"""Sessions: log in (the cookie ``sc_session`` and the CSRF token), log out, who am I."""

from fastapi import Request
from fastapi.responses import Response

from ..auth import authenticate, clear_session_cookie, credential, set_session_cookie
from ..http import JsonBody, ctx, no_content, ok, text_field
from ..routing import router as make_router

router = make_router()


@router.post("/api/session")
def login(request: Request, body: JsonBody) -> Response:
    address = request.client.host if request.client else None
    s = ctx(request).engine.login(text_field(body, "email"), text_field(body, "password"), address)
    # The session token travels only in the HttpOnly cookie.
    resp = ok({"user": s["user"], "csrf_token": s["csrf_token"], "expires_at": s["expires_at"]})
    set_session_cookie(resp, request, s["token"], s["expires_at"])
    return resp


@router.delete("/api/session")
def logout(request: Request, _body: JsonBody) -> Response:
    authenticate(request)
    ctx(request).engine.logout(credential(request))
    resp = no_content()
    clear_session_cookie(resp, request)
    return resp


@router.get("/api/me")
def me(request: Request) -> Response:
    return ok(authenticate(request))
