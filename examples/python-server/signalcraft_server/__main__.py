"""The SignalCraft server: ``python -m signalcraft_server --port PORT --db PATH|URL [--host 127.0.0.1]
[--demo] [--metrics-token T] [--workers N]``. Opens the engine, serves the contract with uvicorn, runs the
engine's background loop, and shuts down gracefully on SIGTERM/SIGINT: no new connections, the
change streams ended, requests in flight finished (at most 10 s), the background loop stopped and
the engine closed."""

from __future__ import annotations

import json
import os
import socket
import sys
from contextlib import asynccontextmanager
from types import FrameType
from typing import Any, AsyncIterator, Optional

import uvicorn
from anyio import to_thread

from . import config as config_mod
from . import logs, workers
from .app import HostContext, build_app
from .demo import seed_demo
from .engine import open_engine
from .feed import ChangeFeed

SHUTDOWN_LIMIT_SECS = 10


class HostServer(uvicorn.Server):
    """uvicorn's server, which ends the change streams as soon as shutdown begins (they never end
    by themselves, and uvicorn waits for open responses before the app's own shutdown)."""

    def __init__(self, cfg: uvicorn.Config, host: HostContext, address: str, announce: bool) -> None:
        super().__init__(cfg)
        self.host = host
        self.address = address
        self.announce = announce

    async def startup(self, sockets: Optional[list[socket.socket]] = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            if self.announce:
                self.host.log.info("serving", extra={"address": self.address, "db": config_mod.describe_db(self.host.config.db)})
            # Machine-readable for scripts and tests: the address actually bound (a worker's goes
            # to its supervisor, which prints one for all).
            sys.stdout.write(json.dumps({"msg": "listening", "address": self.address}) + "\n")
            sys.stdout.flush()

    def handle_exit(self, sig: int, frame: Optional[FrameType]) -> None:
        super().handle_exit(sig, frame)
        # a graceful stop exits 0, as the node host does (uvicorn would re-raise the signal)
        self._captured_signals.clear()

    async def shutdown(self, sockets: Optional[list[socket.socket]] = None) -> None:
        self.host.log.info("shutting down: no new connections, finishing requests in flight")
        self.host.feed.close_all()
        await super().shutdown(sockets=sockets)


def main(argv: list[str]) -> int:
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        cfg = config_mod.parse(argv, here)
    except ValueError as e:
        sys.stderr.write(f"signalcraft-server: {e}\n")
        return 2
    log = logs.setup(cfg.log_level)
    worker = os.environ.get(workers.WORKER_ENV) == "1"
    if cfg.workers > 1 and not worker:
        return workers.supervise(cfg, argv, log)
    # The demo's webhook channel posts to this host on loopback.
    if cfg.demo:
        os.environ["SIGNALCRAFT_ALLOW_PRIVATE_TARGETS"] = "1"
    try:
        sock = workers.bind(cfg.host, cfg.port, reuse_port=worker)
        engine = open_engine(cfg.db, cfg.max_body_bytes)
    except Exception as e:  # noqa: BLE001 - a start that fails says why and exits
        sys.stderr.write(f"signalcraft-server: {e}\n")
        return 2
    address = workers.address(sock)
    feed = ChangeFeed(engine, cfg.feed_poll_secs, log)
    host = HostContext(engine=engine, config=cfg, feed=feed, log=log)
    if engine.missing:
        log.warning(
            "the signalcraft package lacks calls of the contract; their routes answer 500",
            extra={"missing": engine.missing},
        )

    @asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        engine.start_background()
        host.background["running"] = True
        if cfg.demo and not worker:
            port = sock.getsockname()[1]
            await to_thread.run_sync(
                seed_demo, engine, cfg.db, f"http://127.0.0.1:{port}", cfg.max_body_bytes, log
            )
        try:
            yield
        finally:
            feed.close_all()
            await to_thread.run_sync(engine.stop)
            host.background["running"] = False
            engine.engine.close()
            log.info("stopped")

    app = build_app(host, lifespan=lifespan)
    server = HostServer(
        uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            server_header=False,
            proxy_headers=cfg.trust_proxy is not None,
            forwarded_allow_ips=cfg.trust_proxy or "",
            timeout_graceful_shutdown=SHUTDOWN_LIMIT_SECS,
            lifespan="on",
        ),
        host,
        address,
        announce=not worker,
    )
    server.run(sockets=[sock])
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
