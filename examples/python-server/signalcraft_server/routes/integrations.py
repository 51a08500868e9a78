"""Integrations (webhook sources): health and keys per source with its webhook URL, settings,
new ingest keys, a test delivery of the source's sample; and the Slack OAuth install."""

import inspect
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ..auth import authorize
from ..errors import HostError
from ..http import WS, AnyBody, JsonBody, ctx, no_content, ok, query_value
from ..routing import router as make_router

router = make_router()


def public_url(request: Request) -> str:
    """Where the outside world reaches this host: SIGNALCRAFT_PUBLIC_URL, else the request's origin."""
    configured = ctx(request).config.public_url
    if configured:
        return str(configured)
    host = request.headers.get("host") or f"{ctx(request).config.host}:{ctx(request).config.port}"
    return f"{request.url.scheme}://{host}"


def component(s: str) -> str:
    """JavaScript's encodeURIComponent."""
    return quote(s, safe="-_.!~*'()")


def webhook_url(base: str, workspace: str, source: str) -> str:
    """Where a source posts."""
    return f"{base}/webhooks/{component(workspace)}/{component(source)}"


def slack_app(request: Request) -> dict[str, str]:
    """The Slack app from the environment; without one, invalid_input at ``slack`` (the contract)."""
    s = ctx(request).config.slack
    if not s.client_id or not s.client_secret:
        raise HostError(
            "invalid_input",
            "no Slack app is configured on this host (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET)",
            "slack",
        )
    app = {
        "client_id": s.client_id,
        "client_secret": s.client_secret,
        "redirect_uri": s.redirect_uri or f"{public_url(request)}/api/slack/oauth/callback",
    }
    if s.api_base:
        app["api_base"] = s.api_base
    if s.authorize_url:
        app["authorize_url"] = s.authorize_url
    if s.signing_secret:
        app["signing_secret"] = s.signing_secret
    return app


@router.get(WS + "/integrations")
def list_integrations(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "read")
    base = public_url(request)
    listed = [
        {**i, "webhook_url": webhook_url(base, a["workspace"]["name"], str(i["source"]))}
        for i in ctx(request).engine.integrations(a["workspace"]["id"])
    ]
    return ok({"integrations": listed})


@router.get(WS + "/integrations/slack/connect")
def slack_connect(ws: str, request: Request) -> Response:
    a = authorize(request, ws, "configure")
    options = {n: v for n in ("channel", "slack_channel") if (v := query_value(request, n)) is not None}
    out = ctx(request).engine.slack_connect(a["workspace"]["id"], slack_app(request), options)
    return RedirectResponse(out["url"], status_code=302)


@router.get("/api/slack/oauth/callback")
async def slack_oauth_callback(request: Request) -> Response:
    code = query_value(request, "code")
    state = query_value(request, "state")
    if code is None:
        raise HostError("invalid_input", "code: required", "code")
    if state is None:
        raise HostError("invalid_input", "state: required", "state")
    app = slack_app(request)
    # the exchange talks to Slack: in a worker thread (or awaited, should the package answer an awaitable)
    out: Any = await run_in_threadpool(ctx(request).engine.slack_oauth_callback, app, code, state)
    if inspect.isawaitable(out):
        out = await out
    return ok(out)


@router.put(WS + "/integrations/{source}")
def put_integration(ws: str, source: str, request: Request, body: JsonBody) -> Response:
    a = authorize(request, ws, "configure")
    engine = ctx(request).engine
    if source == "slack":  # the signing secret and the team id /slack/actions routes by
        return ok(engine.set_slack_integration(a["workspace"]["id"], body))
    return ok(engine.set_integration(a["workspace"]["id"], source, body))


@router.post(WS + "/integrations/{source}/keys")
def create_key(ws: str, source: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    return ok(ctx(request).engine.create_ingest_key(a["workspace"]["id"], source), 201)


@router.delete(WS + "/integrations/{source}/keys/{id}")
def revoke_key(ws: str, source: str, id: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    ctx(request).engine.revoke_ingest_key(a["workspace"]["id"], source, id)
    return no_content()


@router.post(WS + "/integrations/{source}/test")
def test_integration(ws: str, source: str, request: Request, _body: AnyBody) -> Response:
    a = authorize(request, ws, "configure")
    return ok(ctx(request).engine.test_integration(a["workspace"]["id"], source), 202)
