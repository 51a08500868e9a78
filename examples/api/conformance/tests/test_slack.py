"""Slack: the OAuth v2 install (302 to the authorize URL, the callback against a loopback Slack), and
signed button clicks on /slack/actions and /slack/actions/{workspace}."""

import os
from urllib.parse import parse_qs, urlparse

from helpers import (
    WS,
    Recorder,
    error_of,
    new_sentry_group,
    ok_json,
    slack_action_body,
    slack_headers,
    ws_path,
)

AUTHORIZE = os.environ.get("SC_SLACK_AUTHORIZE_URL", "")
CLIENT_ID = os.environ.get("SC_SLACK_CLIENT_ID", "")
SLACK_PORT = int(os.environ.get("SC_SLACK_PORT", "0"))
SIGNING_SECRET = "conformance-slack-signing-secret"
TEAM = "T0CONFORM"


def connect(c, **params):
    resp = c.get(f"{ws_path()}/integrations/slack/connect", params={"slack_channel": "#alerts", **params})
    assert resp.status_code == 302, resp.text
    loc = resp.headers["location"]
    assert loc.startswith(AUTHORIZE + "?"), loc
    q = parse_qs(urlparse(loc).query)
    return q


def test_connect_redirects_to_the_configured_authorize_url(admin, viewer):
    q = connect(admin)
    assert q["client_id"] == [CLIENT_ID]
    assert set(q["scope"][0].split(",")) == {"chat:write", "channels:read", "groups:read"}
    assert q["state"][0] and q["redirect_uri"][0].endswith("/api/slack/oauth/callback")
    error_of(viewer.get(f"{ws_path()}/integrations/slack/connect"), 403, "forbidden")


def test_oauth_callback_installs_against_a_loopback_slack(admin, anon):
    def answer(method, path, body):
        if path.endswith("/oauth.v2.access"):
            return 200, {
                "ok": True,
                "access_token": "xoxb-conformance-bot-token",
                "token_type": "bot",
                "scope": "chat:write,channels:read,groups:read",
                "bot_user_id": "U0BOT",
                "app_id": "A0CONFORM",
                "team": {"id": TEAM, "name": "Conformance"},
                "enterprise": None,
                "authed_user": {"id": "U0ADMIN"},
            }
        return 404, {"ok": False, "error": "unknown_method"}

    state = connect(admin)["state"][0]
    with Recorder(port=SLACK_PORT, answer=answer) as slack:
        out = ok_json(anon.get("/api/slack/oauth/callback", params={"code": "code-123", "state": state}))
        assert out["team_id"] == TEAM and out["team_name"] == "Conformance" and out["channel"] == "slack", out
        assert out["workspace"] == WS and out["workspace_id"].startswith("ws_") and out["slack_channel"] == "#alerts", out
        calls = [r for r in slack.requests if r[1].endswith("/oauth.v2.access")]
        assert len(calls) == 1 and b"code-123" in calls[0][3], slack.requests
        # single use
        error_of(anon.get("/api/slack/oauth/callback", params={"code": "code-123", "state": state}), 400, "invalid_input")
    channels = {c["name"]: c for c in ok_json(admin.get(f"{ws_path()}/channels"))["channels"]}
    assert channels["slack"]["kind"] == "slack"
    assert channels["slack"]["config"]["token"] != "xoxb-conformance-bot-token", "the bot token is shown unmasked"
    error_of(anon.get("/api/slack/oauth/callback", params={"code": "x", "state": "forged"}), 400, "invalid_input")


def test_slack_actions_need_slacks_signature_and_ack_the_group(admin, owner, anon, sentry_secret):
    out = ok_json(admin.put(f"{ws_path()}/integrations/slack", json={"secret": SIGNING_SECRET, "options": {"team_id": TEAM}}))
    assert out["has_secret"] is True
    gid = new_sentry_group(owner, sentry_secret)
    body = slack_action_body("signalcraft_ack", gid, TEAM)
    error_of(anon.post("/slack/actions", content=body, headers=slack_headers(body, "wrong-secret")), 401, "signature")
    error_of(anon.post("/slack/actions", content=body, headers=slack_headers(body, SIGNING_SECRET, timestamp=1531420618)), 401, "signature")
    reply = ok_json(anon.post("/slack/actions", content=body, headers=slack_headers(body, SIGNING_SECRET)))
    assert isinstance(reply, dict)
    g = ok_json(owner.get(f"{ws_path()}/groups/{gid}"))
    assert g["status"] == "acknowledged"
    assert [t["actor"] for t in g["timeline"] if t["command"] == "ack"] == ["slack:W111"]


def test_slack_actions_for_one_workspace(admin, owner, anon, sentry_secret):
    ok_json(admin.put(f"{ws_path()}/integrations/slack", json={"secret": SIGNING_SECRET, "options": {"team_id": TEAM}}))
    gid = new_sentry_group(owner, sentry_secret)
    body = slack_action_body("signalcraft_resolve", gid, TEAM)
    error_of(anon.post(f"/slack/actions/{WS}", content=body, headers=slack_headers(body, "wrong-secret")), 401, "signature")
    ok_json(anon.post(f"/slack/actions/{WS}", content=body, headers=slack_headers(body, SIGNING_SECRET)))
    assert ok_json(owner.get(f"{ws_path()}/groups/{gid}"))["status"] == "resolved"
