"""Fleet monitors through the Python module: runs check a real health endpoint on 127.0.0.1
with the GIL released, and a breach that persists becomes one alert of source monitor; the
awaitable engine answers the same."""

from __future__ import annotations

import asyncio
import http.server
import pathlib
import threading
import time
from typing import Any, Iterator

import pytest

import signalcraft
from signalcraft import aio
from signalcraft.types import MonitorState

NOW = "2026-11-30T12:00:00Z"
LOOPBACK = ["127.0.0.1/32"]


class Health:
    """A health endpoint on 127.0.0.1: 200 while `healthy`, else 503; `delay` seconds per answer."""

    def __init__(self) -> None:
        self.healthy = True
        self.delay = 0.0
        self.hits = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                outer.hits += 1
                time.sleep(outer.delay)
                body = b'{"status": "ok"}' if outer.healthy else b'{"status": "down"}'
                self.send_response(200 if outer.healthy else 503)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/healthz"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def health() -> Iterator[Health]:
    h = Health()
    yield h
    h.server.shutdown()
    h.server.server_close()


def monitors(url: str) -> list[dict[str, Any]]:
    return [{"id": "api-health", "app": "api", "kind": "http_probe", "interval_secs": 30,
             "config": {"url": url, "expect_status": 200, "token": "py-s3cret"},
             "breach_after": 2, "recover_after": 1, "severity": "critical", "environment": "production"}]


def test_a_persisting_breach_opens_one_alert_and_recovery_resolves_it(tmp_path: pathlib.Path, health: Health) -> None:
    with signalcraft.Engine(str(tmp_path / "m.db"), now=NOW, allow_private_targets=LOOPBACK) as e:
        e.create_workspace("acme")
        answer = e.put_monitors("acme", monitors(health.url))
        assert answer["monitors"][0]["config"]["has_token"] is True
        assert "py-s3cret" not in repr(answer) and "py-s3cret" not in repr(e.monitors("acme"))
        health.healthy = False
        [first] = e.run_monitors("acme", once=True)
        assert (first["state"], first["breaching"]) == ("breach", False)
        second = e.run_monitor("acme", "api-health")
        assert second["breaching"] is True
        [group] = e.groups("acme")["groups"]
        assert (group["source"], group["project"], group["id"]) == ("monitor", "api", second["group_id"])
        health.healthy = True
        assert e.run_monitor("acme", "api-health")["breaching"] is False
        assert e.groups("acme")["groups"][0]["status"] == "resolved"
        [app] = e.apps("acme")
        assert (app["state"], app["open_alerts"], app["alerts_query"]) == ("ok", 0, "project=api")
        assert [p["ok"] for p in e.monitor_status("acme")[0]["history"]] == [False, False, True]
        with pytest.raises(signalcraft.InvalidInputError) as bad:
            e.put_monitors("acme", [{"id": "x", "app": "a", "kind": "http_probe", "interval_secs": 1,
                                     "config": {"url": health.url}}])
        assert bad.value.path == "monitors[0].interval_secs"
        with pytest.raises(signalcraft.NotFoundError):
            e.run_monitor("acme", "nope")


def test_runs_release_the_gil(tmp_path: pathlib.Path, health: Health) -> None:
    health.delay = 0.5
    with signalcraft.Engine(str(tmp_path / "gil.db"), now=NOW, allow_private_targets=LOOPBACK) as e:
        e.create_workspace("acme")
        e.put_monitors("acme", monitors(health.url))
        ticks = 0
        done = threading.Event()

        def count() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                time.sleep(0.01)

        t = threading.Thread(target=count)
        t.start()
        e.run_monitors("acme", once=True)
        done.set()
        t.join()
        assert ticks >= 10, "another Python thread ran while the check waited"


def test_the_awaitable_engine_runs_monitors(tmp_path: pathlib.Path, health: Health) -> None:
    async def main() -> list[MonitorState]:
        async with await aio.Engine.open(str(tmp_path / "aio.db"), now=NOW, allow_private_targets=LOOPBACK) as engine:
            await engine.create_workspace("acme")
            await engine.put_monitors("acme", monitors(health.url))
            states = await engine.run_monitors("acme", once=True)
            assert (await engine.run_monitor("acme", "api-health"))["state"] == "ok"
            return states

    [state] = asyncio.run(main())
    reading = state["reading"]
    assert state["state"] == "ok" and reading is not None and reading["details"]["status_code"] == 200
