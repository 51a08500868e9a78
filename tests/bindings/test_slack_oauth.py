"""The Slack install through the Python binding against a Slack-shaped server on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import pathlib
import threading
import urllib.parse
from typing import Any

import pytest

import signalcraft


class _Slack(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
        code = urllib.parse.parse_qs(body).get("code", [""])[0]
        answer: dict[str, Any] = (
            {"ok": True, "access_token": "xoxb-py", "team": {"id": "T0PY", "name": "Py Team"}}
            if code == "good"
            else {"ok": False, "error": "invalid_code"}
        )
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        pass


def test_a_slack_install_and_its_refusals(tmp_path: pathlib.Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slack)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    engine = signalcraft.Engine(str(tmp_path / "sc.db"), allow_private_targets=["127.0.0.1/32"])
    try:
        engine.create_workspace("acme")
        app = {"client_id": "1.2", "client_secret": "shh", "redirect_uri": f"{base}/cb", "api_base": f"{base}/api"}
        c = engine.slack_connect("acme", app, {"slack_channel": "#ops"})
        q = urllib.parse.parse_qs(urllib.parse.urlsplit(c["url"]).query)
        assert q["scope"] == ["chat:write,channels:read,groups:read"]
        assert q["state"] == [c["state"]]
        with pytest.raises(signalcraft.InvalidInputError) as bad:
            engine.slack_oauth_callback(app, "stale", c["state"])
        assert bad.value.path == "code"
        with pytest.raises(signalcraft.InvalidInputError) as reused:
            engine.slack_oauth_callback(app, "good", c["state"])
        assert reused.value.path == "state"
        c2 = engine.slack_connect("acme", app)
        done = engine.slack_oauth_callback(app, "good", c2["state"])
        assert (done["team_id"], done["team_name"], done["channel"]) == ("T0PY", "Py Team", "slack")
        assert engine.channels("acme")[0]["name"] == "slack"
    finally:
        engine.close()
        server.shutdown()
