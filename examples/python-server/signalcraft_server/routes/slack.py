"""Slack's request URL for buttons: the raw signed body to the engine, which checks the
signature, finds the workspace (by the payload's team id, or the one in the path) and acts."""

from fastapi import Request
from fastapi.responses import Response

from ..http import RawBody, ctx, header_pairs, ok
from ..routing import router as make_router

router = make_router()


@router.post("/slack/actions")
def team_action(request: Request, body: RawBody) -> Response:
    return ok(ctx(request).engine.handle_slack_team_action(header_pairs(request), body))


@router.post("/slack/actions/{workspace}")
def workspace_action(workspace: str, request: Request, body: RawBody) -> Response:
    return ok(ctx(request).engine.handle_slack_action(workspace, header_pairs(request), body))
