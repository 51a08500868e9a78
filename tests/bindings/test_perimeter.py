"""The perimeter through the Python binding: a panic inside a call is an ``InternalError`` (an
``Exception``, not pyo3's ``PanicException``), and the engine keeps working; channels reach
loopback only with ``allow_private_targets``."""

from __future__ import annotations

import http.server
import pathlib
import threading
from typing import Any, Optional, Sequence, Union

import pytest

import signalcraft

ALERT = (
    pathlib.Path(__file__).parent.parent.parent / "core/tests/fixtures/sentry/issue_alert_triggered.docs.json"
).read_bytes()


def test_a_panic_is_an_internal_error_and_the_engine_survives() -> None:
    with signalcraft.Engine(None) as engine:
        with pytest.raises(signalcraft.InternalError) as caught:
            engine._panic_for_tests()  # noqa: SLF001 - the test hook
        assert caught.value.kind == "internal"
        assert "panicked: a panic provoked by a test" in str(caught.value)
        assert isinstance(caught.value, Exception)
        assert engine.create_workspace("after")["name"] == "after"


class _Receiver(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Receiver.hits.append(self.path)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


def _deliver(tmp: pathlib.Path, url: str, allow: Union[bool, Sequence[str], None]) -> tuple[Any, Any]:
    with signalcraft.Engine(str(tmp / "sc.db"), allow_private_targets=allow) as engine:
        engine.create_workspace("acme")
        engine.set_channel("acme", "hook", "webhook", {"url": url})
        engine.put_rules("acme", [{"id": "all", "when": {}, "then": {"notify": ["hook"]}}])
        engine.ingest("acme", "sentry", {"Sentry-Hook-Resource": "event_alert"}, ALERT)
        report = engine.dispatch("acme", 5000)
        return report, engine.deliveries("acme")


def test_loopback_needs_allow_private_targets(tmp_path: pathlib.Path) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        _Receiver.hits.clear()
        allows: list[tuple[str, Optional[Union[bool, list[str]]], int]] = [
            ("none", None, 0),
            ("list", ["127.0.0.1/32"], 1),
            ("all", True, 1),
        ]
        for name, allow, sent in allows:
            d = tmp_path / name
            d.mkdir()
            report, log = _deliver(d, url, allow)
            assert report["sent"] == sent, (name, report, log)
            if sent == 0:
                assert report["failed"] == 1
                assert "refused" in log[0]["last_error"] and "loopback" in log[0]["last_error"]
        assert len(_Receiver.hits) == 2
        with pytest.raises(signalcraft.InvalidInputError) as bad:
            signalcraft.Engine(None, allow_private_targets=["10.0.0.0/8", "nope"])
        assert bad.value.path == "allow_private_targets[1]"
    finally:
        server.shutdown()
