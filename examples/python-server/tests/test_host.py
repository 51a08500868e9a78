"""What the conformance suite does not see of the Python host: raw bodies byte-exact, the body
limit on a streamed body, secrets kept out of the logs, heartbeats, graceful shutdown with open
streams, the demo seed. Each test runs the real host (``python -m signalcraft_server``) on a temp
database on 127.0.0.1."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
from hosts import PASSWORD, Host

HERE = Path(__file__).resolve().parent.parent
FIXTURE = HERE.parent / "node-server" / "fixtures" / "sentry" / "issue_alert_triggered.docs.json"


@pytest.fixture
def host(db: tuple[Path, str]) -> Iterator[tuple[Host, str]]:
    h = Host(db[0], env={"SIGNALCRAFT_MAX_BODY_BYTES": "65536", "SIGNALCRAFT_HEARTBEAT_MS": "300"})
    try:
        yield h, db[1]
    finally:
        h.stop()


def test_webhook_bodies_reach_the_engine_byte_exact(host: tuple[Host, str]) -> None:
    h, token = host
    secret = "byte-exact-secret"
    with httpx.Client(base_url=h.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
        assert c.put("/api/workspaces/t/integrations/sentry", json={"secret": secret}).status_code == 200
    # pretty-printed, non-ASCII, a trailing newline: bytes a re-serialization would change
    payload = json.loads(FIXTURE.read_text())
    payload["data"]["event"]["title"] = "Ünïcode — spaced   out"
    body = (json.dumps(payload, indent=3, ensure_ascii=False) + "\n").encode()
    sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "Sentry-Hook-Resource": "event_alert",
        "Sentry-Hook-Signature": sig,
    }
    with httpx.Client(base_url=h.url, timeout=10) as anon:
        out = anon.post("/webhooks/t/sentry", content=body, headers=headers)
        assert out.status_code == 202, out.text
        assert out.json()["outcome"] == "accepted"
        # the same JSON in other bytes does not carry the same signature
        compact = json.dumps(payload, separators=(",", ":")).encode()
        bad = anon.post("/webhooks/t/sentry", content=compact, headers=headers)
        assert bad.status_code == 401 and bad.json()["error"]["kind"] == "signature", bad.text


def test_a_body_over_the_limit_is_413_declared_or_streamed(host: tuple[Host, str]) -> None:
    h, token = host
    big = b'{"pad":"' + b"x" * 70_000 + b'"}'

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        for i in range(0, len(big), 8192):
            yield big[i : i + 8192]

    with httpx.Client(base_url=h.url, timeout=10) as anon:
        for content in (big, chunks()):
            resp = anon.post(
                "/webhooks/t/alertmanager", content=content, headers={"Content-Type": "application/json"}
            )
            assert resp.status_code == 413, resp.text
            assert resp.json() == {
                "error": {
                    "kind": "too_large",
                    "message": "request body is larger than the limit",
                    "path": "body",
                }
            }
    with httpx.Client(base_url=h.url, headers={"Authorization": f"Bearer {token}"}, timeout=10) as c:
        assert c.get("/api/workspaces/t/groups").json()["groups"] == []


def test_logs_are_json_and_keep_secrets_out(host: tuple[Host, str]) -> None:
    h, token = host
    with httpx.Client(base_url=h.url, timeout=10) as c:
        c.post(
            "/webhooks/t/alertmanager?key=sck_query-secret-123",
            content=b"{}",
            headers={"Content-Type": "application/json"},
        )
        c.get(
            "/api/me", headers={"Authorization": f"Bearer {token}", "Cookie": "sc_session=cookie-secret-456"}
        )
        login = c.post("/api/session", json={"email": "owner@host.example", "password": PASSWORD})
        assert login.status_code == 200, login.text
    assert h.wait_line(lambda ln: "/api/session" in ln, 5) is not None
    out = h.output()
    for secret in (
        "sck_query-secret-123",
        token,
        "cookie-secret-456",
        PASSWORD,
        login.cookies["sc_session"],
        login.json()["csrf_token"],
    ):
        assert secret not in out, f"{secret!r} was logged"
    lines = [ln for ln in out.splitlines() if ln.startswith("{")]
    records = [json.loads(ln) for ln in lines]
    urls = [r["req"]["url"] for r in records if r.get("msg") == "request completed"]
    assert "/webhooks/t/alertmanager?key=[redacted]" in urls, urls
    assert all({"level", "time", "msg"} <= set(r) for r in records if r.get("msg") != "listening")


def test_streams_get_heartbeats_and_end_on_sigterm(host: tuple[Host, str]) -> None:
    h, token = host
    got: list[str] = []
    ended = threading.Event()

    def read() -> None:
        with (
            httpx.Client(timeout=30) as c,
            c.stream(
                "GET", f"{h.url}/api/workspaces/t/stream", headers={"Authorization": f"Bearer {token}"}
            ) as r,
        ):
            assert r.headers["content-type"].startswith("text/event-stream")
            for line in r.iter_lines():
                got.append(line)
        ended.set()

    t = threading.Thread(target=read, daemon=True)
    t.start()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and got.count(": ping") < 2:
        time.sleep(0.05)
    assert got.count(": ping") >= 2, got
    started = time.monotonic()
    assert h.stop() == 0, h.output()
    assert time.monotonic() - started < 5, "shutdown waited for the open stream"
    assert ended.wait(5), "the stream did not end on shutdown"
    assert h.wait_line(lambda ln: '"msg": "stopped"' in ln, 5) is not None, h.output()


def test_demo_seeds_a_day_that_delivers_to_the_sink_and_probes_itself(tmp_path: Path) -> None:
    h = Host(tmp_path / "demo.db", "--demo")
    try:
        line = h.wait_line(lambda ln: "SignalCraft demo:" in ln, 60)
        assert line is not None, h.output()
        password = re.search(r"password (\S+)", line).group(1)  # type: ignore[union-attr]
        with httpx.Client(base_url=h.url, timeout=10) as c:
            s = c.post("/api/session", json={"email": "owner@example.com", "password": password})
            assert s.status_code == 200, s.text
            groups = c.get("/api/workspaces/demo/groups", params={"limit": 100}).json()["groups"]
            assert len(groups) >= 8, groups
            assert {g["status"] for g in groups} >= {"open", "acknowledged", "resolved", "snoozed"}
            assert {g["source"] for g in groups} >= {
                "sentry",
                "alertmanager",
                "grafana",
                "datadog",
                "pagerduty",
                "opsgenie",
            }
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and c.get("/demo/sink").json()["received"] == 0:
                time.sleep(0.2)
            assert c.get("/demo/sink").json()["received"] > 0, "no delivery reached the demo sink"
            # the fleet: probes of this host's own /healthz and /readyz, checked by its background loop
            monitors = c.get("/api/workspaces/demo/monitors").json()["monitors"]
            assert [(m["id"], m["config"]["url"]) for m in monitors] == [
                ("signalcraft-health", f"{h.url}/healthz"),
                ("signalcraft-ready", f"{h.url}/readyz"),
            ]
            deadline = time.monotonic() + 20
            app: dict = {}
            while time.monotonic() < deadline:
                apps = c.get("/api/workspaces/demo/apps").json()["apps"]
                app = next((a for a in apps if a["name"] == "signalcraft"), {})
                if app and all(m["state"] == "ok" for m in app["monitors"]):
                    break
                time.sleep(0.25)
            assert app.get("state") == "ok", app
            assert all(m["reading"]["details"]["status_code"] == 200 for m in app["monitors"]), app
    finally:
        assert h.stop() == 0


def test_workers_share_the_port_and_stop_together(db: tuple[Path, str]) -> None:
    h = Host(db[0], "--workers", "2")
    try:
        for _ in range(24):  # a new connection each time: the kernel spreads them over the workers
            with httpx.Client(base_url=h.url, timeout=10) as c:
                assert c.get("/api/me", headers={"Authorization": f"Bearer {db[1]}"}).status_code == 200
        time.sleep(0.3)
        pids = {
            r["pid"]
            for r in map(json.loads, (ln for ln in h.output().splitlines() if ln.startswith('{"level"')))
            if r.get("msg") == "request completed"
        }
        assert len(pids) == 2, pids
    finally:
        assert h.stop() == 0, h.output()
    assert h.output().count('"msg": "stopped"') == 2, h.output()
