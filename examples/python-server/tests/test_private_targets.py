"""SIGNALCRAFT_ALLOW_PRIVATE_TARGETS reaches the engine the host opens: unset, a channel aimed at
a loopback receiver gets no request and its delivery fails with the guard's reason; with
127.0.0.1/32 it arrives."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path

import pytest

from signalcraft_server.engine import open_engine, private_targets_from_env


def test_the_variable_is_parsed_like_the_cli_does() -> None:
    assert private_targets_from_env(None) is None
    assert private_targets_from_env("") is None
    assert private_targets_from_env("0") is None
    assert private_targets_from_env("1") is True
    assert private_targets_from_env(" 127.0.0.1/32, 10.0.0.0/8 ,") == ["127.0.0.1/32", "10.0.0.0/8"]


class _Receiver(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Receiver.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.mark.parametrize(("allow", "status"), [(None, "failed"), ("127.0.0.1/32", "sent")])
def test_the_host_engine_obeys_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, allow: str | None, status: str
) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Receiver.hits.clear()
    if allow is None:
        monkeypatch.delenv("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS", raising=False)
    else:
        monkeypatch.setenv("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS", allow)
    engine = open_engine(str(tmp_path / "sc.db"), 1 << 20)
    try:
        engine.create_workspace("acme")
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        engine.set_channel("acme", "hook", "webhook", {"url": url})
        engine.test_channel("acme", "hook")
        engine.dispatch("acme", 5000)
        d = engine.deliveries("acme")[0]
        assert d["status"] == status, d
        if status == "failed":
            assert "refused" in d["last_error"] and "loopback" in d["last_error"]
            assert _Receiver.hits == []
        else:
            assert _Receiver.hits == ["/hook"]
    finally:
        engine.close()
        server.shutdown()
