"""``--workers N``: N host processes on one port (Linux's SO_REUSEPORT spreads connections among
them), each with its own engine on the database file, as two hosts on one file already work.

The supervisor reserves the port (so ``--port 0`` works), seeds the demo once when asked, starts
the workers, relays their output, prints the one ``listening`` line when every worker serves,
forwards SIGTERM/SIGINT to them and exits 0 when they all stopped cleanly (1 if one failed).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from types import FrameType
from typing import IO, Optional

from .config import HostConfig, describe_db
from .demo import seed_demo
from .engine import open_engine

#: Set in a worker's environment: bind with SO_REUSEPORT, print no listening line, seed nothing
#: (the supervisor did).
WORKER_ENV = "SIGNALCRAFT_SERVER_WORKER"
READY_SECS = 120


def bind(host: str, port: int, reuse_port: bool) -> socket.socket:
    """The listening socket of one host process."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    if not reuse_port:
        return socket.create_server((host, port), family=family)
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _worker_argv(argv: list[str], port: int) -> list[str]:
    """The supervisor's arguments with the port it reserved and without --workers."""
    out: list[str] = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--port", "--workers"):
            skip = True
            continue
        if a.startswith(("--port=", "--workers=")):
            continue
        out.append(a)
    return [*out, "--port", str(port)]


def supervise(cfg: HostConfig, argv: list[str], log: logging.Logger) -> int:
    """Runs ``cfg.workers`` host processes until a signal stops them."""
    # Reserved, never listened on: it holds the port while the workers bind it too.
    reserved = socket.socket(socket.AF_INET6 if ":" in cfg.host else socket.AF_INET, socket.SOCK_STREAM)
    reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    reserved.bind((cfg.host, cfg.port))
    url = address(reserved)
    port = reserved.getsockname()[1]
    env = {**os.environ, WORKER_ENV: "1"}
    if cfg.demo:
        # seeded once, here; the workers (--demo too) serve the sink and deliver
        engine = open_engine(cfg.db, cfg.max_body_bytes)
        try:
            seed_demo(engine, cfg.db, f"http://127.0.0.1:{port}", cfg.max_body_bytes, log)
        finally:
            engine.engine.close()

    ready = threading.Semaphore(0)
    procs: list[subprocess.Popen[bytes]] = []

    def relay(stream: IO[bytes]) -> None:
        for line in stream:
            if line.startswith(b'{"msg": "listening"'):
                ready.release()
                continue
            sys.stdout.buffer.write(line)
            sys.stdout.flush()

    for _ in range(cfg.workers):
        p = subprocess.Popen(
            [sys.executable, "-m", "signalcraft_server", *_worker_argv(argv, port)],
            stdout=subprocess.PIPE,
            env=env,
        )
        procs.append(p)
        threading.Thread(target=relay, args=(p.stdout,), daemon=True).start()

    stopping = threading.Event()

    def stop(sig: int, _frame: Optional[FrameType]) -> None:
        stopping.set()
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    deadline = time.monotonic() + READY_SECS
    started = 0
    while started < cfg.workers and time.monotonic() < deadline and not stopping.is_set():
        if ready.acquire(timeout=0.2):
            started += 1
        elif any(p.poll() is not None for p in procs):
            break
    if started == cfg.workers:
        log.info("serving", extra={"address": url, "db": describe_db(cfg.db), "workers": cfg.workers})
        sys.stdout.write(json.dumps({"msg": "listening", "address": url}) + "\n")
        sys.stdout.flush()
    else:
        log.error("a worker did not start; stopping the others")
        stop(signal.SIGTERM, None)

    # a worker that ends on its own ends the others
    while any(p.poll() is None for p in procs):
        if not stopping.is_set() and any(p.poll() is not None for p in procs):
            log.error("a worker exited; stopping the others")
            stop(signal.SIGTERM, None)
        time.sleep(0.1)
    reserved.close()
    codes = [p.returncode for p in procs]
    return 0 if started == cfg.workers and all(c == 0 for c in codes) else 1
