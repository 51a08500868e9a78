"""A round-robin HTTP proxy on loopback, the "client" of several hosts on one database:

    python round_robin.py PORT UPSTREAM_URL [UPSTREAM_URL...]

Every request goes to the next upstream in turn (per request, not per connection: one keep-alive
connection of a client still reaches every host). The request is read whole (bodies are bounded:
MAX_BODY), then sent with httpx, whose client reads a host's early answer (a 413 before the body
was read) even when the host closed before taking the whole body. The answer is streamed back as
it arrives, so a server-sent event stream stays open through the proxy; when the client goes away,
so does the upstream stream. Prints ``{"msg": "listening", "address": ...}`` once bound; on
SIGTERM/SIGINT it stops and prints ``{"msg": "stopped", "forwarded": {host: requests}}``. An
upstream that cannot be reached is a 502 error JSON. Runs in the conformance venv (httpx).
"""

from __future__ import annotations

import json
from http.cookiejar import CookieJar, DefaultCookiePolicy
import select
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

#: The largest request body forwarded (the hosts' own limit is 5 MiB; the suite sends just over).
MAX_BODY = 16 * 1024 * 1024
#: Hop-by-hop headers (RFC 9110 7.6.1) belong to one connection and are never forwarded; the
#: framing headers are the proxy's to set on each side.
HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
    "proxy-authorization", "proxy-authenticate", "expect", "content-length",
}


class Fleet:
    """The upstreams, whose turn is next, and how many requests each got."""

    def __init__(self, urls: list[str]) -> None:
        self.hosts = []
        for u in urls:
            parts = urlsplit(u)
            if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost", "::1") or not parts.port:
                raise SystemExit(f"round_robin: upstreams are http://127.0.0.1:PORT (loopback only), got {u}")
            self.hosts.append((parts.hostname, parts.port))
        self.counts = [0] * len(self.hosts)
        self.next = 0
        self.lock = threading.Lock()
        # no read timeout: a stream is open as long as its client keeps it; no cookie jar (a
        # cookie belongs to the client, which sends it with each request itself)
        self.client = httpx.Client(
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
            timeout=httpx.Timeout(connect=5.0, read=None, write=60.0, pool=None),
            limits=httpx.Limits(max_connections=None, max_keepalive_connections=32),
            follow_redirects=False,
        )

    def take(self) -> int:
        with self.lock:
            i = self.next
            self.next = (self.next + 1) % len(self.hosts)
            self.counts[i] += 1
            return i

    def forwarded(self) -> dict[str, int]:
        with self.lock:
            return {f"{h}:{p}": n for (h, p), n in zip(self.hosts, self.counts)}


class BodyError(Exception):
    """The client's request body cannot be read (framing, size)."""


def client_gone(sock: socket.socket) -> bool:
    """Whether the client closed its end (readable, and a peek reads nothing)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "Proxy"

    def log_message(self, *_args: object) -> None:
        pass

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            out = bytearray()
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError as e:
                    raise BodyError("a bad chunk size") from e
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return bytes(out)
                if len(out) + size > MAX_BODY:
                    raise BodyError("body over the proxy's limit")
                out += self.rfile.read(size)
                self.rfile.readline(1024)
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        if not length.isdigit() or int(length) > MAX_BODY:
            raise BodyError("a bad or too large Content-Length")
        return self.rfile.read(int(length))

    def _error(self, status: int, message: str) -> None:
        data = json.dumps({"error": {"kind": "internal", "message": f"round_robin: {message}", "path": None}}).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _forward(self) -> None:
        fleet = self.server.fleet
        try:
            body = self._body()
        except BodyError as e:
            self.close_connection = True
            self._error(400, str(e))
            return
        host, port = fleet.hosts[fleet.take()]
        # as bytes both ways: a header is passed on exactly as it came (latin-1 is what the parser
        # decoded it with)
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        try:
            url = httpx.URL(scheme="http", host=host, port=port, raw_path=self.path.encode("latin-1"))
            req = fleet.client.build_request(self.command, url, headers=headers, content=body)
            resp = fleet.client.send(req, stream=True)
        except (httpx.HTTPError, httpx.InvalidURL, ValueError, UnicodeError) as e:
            self._error(502, f"upstream {host}:{port}: {e}")
            return
        try:
            self._answer(resp)
        finally:
            resp.close()

    def _answer(self, resp: httpx.Response) -> None:
        self.send_response_only(resp.status_code, resp.reason_phrase)
        for k, v in resp.headers.raw:
            if k.decode("latin-1").lower() not in HOP_BY_HOP:
                self._headers_buffer.append(b"%s: %s\r\n" % (k, v))
        no_body = self.command == "HEAD" or resp.status_code in (204, 304) or 100 <= resp.status_code < 200
        length = resp.headers.get("content-length")
        if no_body:
            if length is not None:
                self.send_header("Content-Length", length)
            self.end_headers()
            self.wfile.flush()
            return
        if length is not None:
            self.send_header("Content-Length", length)
            self.end_headers()
            for chunk in resp.iter_raw():
                self.wfile.write(chunk)
            self.wfile.flush()
            return
        # a stream (or a body of unknown length): chunked, each piece as it arrives
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self.wfile.flush()
        done = threading.Event()

        def watch() -> None:  # the client closing its stream ends the upstream request
            while not done.wait(0.2):
                if client_gone(self.connection):
                    resp.close()
                    return

        threading.Thread(target=watch, daemon=True).start()
        try:
            for chunk in resp.iter_raw():
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except (httpx.HTTPError, OSError):
            self.close_connection = True
        finally:
            done.set()

    def __getattr__(self, name: str):
        # every method goes to a host (TRACE, unknown ones…), which answers for itself
        if name.startswith("do_"):
            return self._forward
        raise AttributeError(name)


class Proxy(ThreadingHTTPServer):
    daemon_threads = True
    fleet: Fleet


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not argv[0].isdigit():
        sys.stderr.write("usage: round_robin.py PORT UPSTREAM_URL [UPSTREAM_URL...]\n")
        return 2
    server = Proxy(("127.0.0.1", int(argv[0])), Handler)
    server.fleet = Fleet(argv[1:])

    def stop(_sig: int, _frame: object) -> None:
        print(json.dumps({"msg": "stopped", "forwarded": server.fleet.forwarded()}), flush=True)
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"msg": "listening", "address": f"http://127.0.0.1:{server.server_address[1]}"}), flush=True)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
