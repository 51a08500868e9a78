"""The event loop keeps serving while an engine call waits (the routes run in the threadpool)."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx
from hosts import Host


def test_a_slow_engine_call_does_not_block_the_loop(db: tuple[Path, str]) -> None:
    """The OAuth callback waits on a Slack that answers after 2 s; meanwhile the host answers."""
    import http.server
    from urllib.parse import parse_qs, urlparse

    class SlowSlack(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(2)
            body = json.dumps(
                {
                    "ok": True,
                    "access_token": "xoxb-slow",
                    "token_type": "bot",
                    "bot_user_id": "U0",
                    "app_id": "A0",
                    "team": {"id": "T0SLOW", "name": "Slow"},
                    "scope": "chat:write",
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    slack = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowSlack)
    threading.Thread(target=slack.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{slack.server_address[1]}"
    env = {
        "SLACK_CLIENT_ID": "1.2",
        "SLACK_CLIENT_SECRET": "s",
        "SLACK_API_BASE": f"{base}/api",
        "SLACK_AUTHORIZE_URL": f"{base}/oauth/v2/authorize",
    }
    h = Host(db[0], env=env)
    try:
        with httpx.Client(base_url=h.url, headers={"Authorization": f"Bearer {db[1]}"}, timeout=10) as c:
            loc = c.get("/api/workspaces/t/integrations/slack/connect").headers["location"]
            state = parse_qs(urlparse(loc).query)["state"][0]
        done: dict[str, float] = {}

        def callback() -> None:
            with httpx.Client(timeout=10) as c:
                r = c.get(f"{h.url}/api/slack/oauth/callback", params={"code": "c", "state": state})
                assert r.status_code == 200, r.text
                done["at"] = time.monotonic()

        started = time.monotonic()
        t = threading.Thread(target=callback)
        t.start()
        time.sleep(0.3)
        with httpx.Client(base_url=h.url, timeout=10) as c:
            for path in ("/healthz", "/readyz", "/api/workspaces/t/groups"):
                t0 = time.monotonic()
                r = c.get(path, headers={"Authorization": f"Bearer {db[1]}"})
                assert r.status_code == 200 and time.monotonic() - t0 < 1, (path, r.status_code)
        assert "at" not in done, "the slow call had finished already: the test proves nothing"
        t.join(10)
        assert done["at"] - started >= 2
    finally:
        h.stop()
        slack.shutdown()
