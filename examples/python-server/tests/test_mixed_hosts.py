"""A Node host and a Python host on one database file serve the same data, and each one's stream
shows the other's changes. Needs node (the node host's ./start builds what it lacks)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx
import pytest
import signalcraft
from hosts import Host

NODE_START = Path(__file__).resolve().parent.parent.parent / "node-server" / "start"
SENTRY = (
    Path(__file__).resolve().parent.parent.parent
    / "node-server"
    / "fixtures"
    / "sentry"
    / "issue_alert_triggered.docs.json"
)

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="the node host needs node")


class NodeHost:
    def __init__(self, db: Path) -> None:
        self.proc = subprocess.Popen(
            [str(NODE_START), "--port", "0", "--db", str(db), "--host", "127.0.0.1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "SIGNALCRAFT_ALLOW_PRIVATE_TARGETS": "1"},
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 900  # a first start may build the addon
        self.url = ""
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if b'"msg":"listening"' in line:
                self.url = json.loads(line)["address"]
                break
        assert self.url, "the node host did not start"
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()  # type: ignore[union-attr]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=15)


class Stream:
    """A host's change stream, read in a thread."""

    def __init__(self, url: str, token: str) -> None:
        self.events: list[dict] = []
        self.cond = threading.Condition()
        self.client = httpx.Client(timeout=30)
        self.cm = self.client.stream(
            "GET", f"{url}/api/workspaces/mix/stream", headers={"Authorization": f"Bearer {token}"}
        )
        self.resp = self.cm.__enter__()
        assert self.resp.status_code == 200
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for line in self.resp.iter_lines():
                if line.startswith("data: "):
                    with self.cond:
                        self.events.append(json.loads(line[6:]))
                        self.cond.notify_all()
        except httpx.HTTPError:
            pass

    def wait(self, pred, timeout: float = 10) -> dict | None:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events:
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def close(self) -> None:
        self.cm.__exit__(None, None, None)
        self.client.close()


@pytest.fixture
def hosts(tmp_path: Path) -> Iterator[tuple[str, str, str, str]]:
    db = tmp_path / "mixed.db"
    with signalcraft.Engine(str(db)) as e:
        e.add_user("owner@mix.example", "mixed-hosts-password", "Owner")
        e.create_workspace("mix", "owner@mix.example")
        token = e.create_token("mix", "owner", "mixer")["token"]
        key = e.create_ingest_key("mix", "sentry")["key"]
    node = NodeHost(db)
    py = Host(db)
    try:
        yield node.url, py.url, token, key
    finally:
        py.stop()
        node.stop()


def test_each_hosts_stream_shows_the_others_changes(hosts: tuple[str, str, str, str]) -> None:
    node, py, token, key = hosts
    auth = {"Authorization": f"Bearer {token}"}
    on_py, on_node = Stream(py, token), Stream(node, token)
    try:
        with httpx.Client(timeout=10) as c:
            out = c.post(
                f"{node}/webhooks/mix/sentry",
                params={"key": key},
                content=SENTRY.read_bytes(),
                headers={"Content-Type": "application/json", "Sentry-Hook-Resource": "event_alert"},
            )
            assert out.status_code == 202, out.text
            gid = out.json()["alerts"][0]["group_id"]
            assert on_py.wait(lambda e: e["group_id"] == gid and e["kind"] == "event") is not None, (
                on_py.events
            )
            acked = c.post(
                f"{py}/api/workspaces/mix/groups/{gid}/actions", json={"command": "ack"}, headers=auth
            )
            assert acked.status_code == 200, acked.text
            ev = on_node.wait(lambda e: e["group_id"] == gid and e["status"] == "acknowledged")
            assert ev is not None, on_node.events
            # the same data, byte for byte, from either host
            for path in (f"/api/workspaces/mix/groups/{gid}", "/api/workspaces/mix/groups", "/api/me"):
                a, b = c.get(node + path, headers=auth), c.get(py + path, headers=auth)
                assert a.status_code == b.status_code == 200
                if path != "/api/me":  # the token's last_used_at moves between the two reads
                    assert a.content == b.content, path
                assert a.headers["content-type"] == b.headers["content-type"]
    finally:
        on_py.close()
        on_node.close()


#: Requests whose answers must be the same from either host: (method, path, headers, body, auth).
SAME = [
    ("GET", "/api/me", {}, None, False),
    ("GET", "/api/workspaces/mix/groups", {}, None, False),
    ("GET", "/api/workspaces/nope/groups", {}, None, True),
    ("GET", "/no/such/route", {}, None, False),
    ("DELETE", "/api/me", {}, None, True),
    ("POST", "/api/session", {"Content-Type": "application/json"}, b"{bad", False),
    ("POST", "/api/session", {"Content-Type": "application/json"}, b'{"email": 1}', False),
    ("POST", "/api/session", {"Content-Type": "application/json"}, b"[]", False),
    ("POST", "/api/session", {"Content-Type": "application/json"}, b"", False),
    ("POST", "/api/session", {"Content-Type": "application/json"}, b"  ", False),
    ("POST", "/api/session", {}, b"email=x", False),
    ("PATCH", "/api/workspaces/mix/settings", {"Content-Type": "application/merge-patch+json"}, b"{", True),
    ("PATCH", "/api/workspaces/mix/settings", {"Content-Type": "application/merge-patch+json"}, b"{}", True),
    (
        "POST",
        "/api/session",
        {"Content-Type": "application/json"},
        b'{"email":"x@y.z","password":"p"}',
        False,
    ),
    ("GET", "/api/workspaces", {}, None, True),
    ("GET", "/api/workspaces/mix/settings", {}, None, True),
    ("GET", "/api/workspaces/mix/rules", {}, None, True),
    ("GET", "/api/workspaces/mix/silences", {}, None, True),
    ("GET", "/api/workspaces/mix/channels", {}, None, True),
    ("GET", "/api/workspaces/mix/groups?limit=0", {}, None, True),
    ("GET", "/api/workspaces/mix/groups?status=open&status=resolved", {}, None, True),
    ("GET", "/api/workspaces/mix/groups/grp_nope", {}, None, True),
    ("GET", "/api/workspaces/mix/groups/grp_nope/deliveries", {}, None, True),
    (
        "POST",
        "/api/workspaces/mix/groups/grp_nope/actions",
        {"Content-Type": "application/json"},
        b'{"command":"ack"}',
        True,
    ),
    ("PUT", "/api/workspaces/mix/rules", {"Content-Type": "application/json"}, b"{}", True),
    (
        "PUT",
        "/api/workspaces/mix/rules",
        {"Content-Type": "application/json"},
        b'{"rules":[{"id":"x","when":{"field":"severity","op":"equalz","value":1},"then":{"notify":[]}}]}',
        True,
    ),
    ("PUT", "/api/workspaces/mix/channels/c", {"Content-Type": "application/json"}, b'{"config":{}}', True),
    ("POST", "/api/workspaces/mix/silences", {"Content-Type": "text/plain"}, b"hello", True),
    ("POST", "/api/workspaces/mix/silences", {"Content-Type": "application/xml"}, b"<a/>", True),
    (
        "PATCH",
        "/api/workspaces/mix/settings",
        {"Content-Type": "application/json"},
        b'{"no_such_setting":1}',
        True,
    ),
    ("POST", "/webhooks/mix/carrier-pigeon", {"Content-Type": "application/json"}, b"{}", False),
    ("POST", "/webhooks/mix/sentry", {"Content-Type": "application/json"}, b"{}", False),
    ("POST", "/webhooks/nope/sentry?key=x", {"Content-Type": "application/json"}, b"{}", False),
    ("GET", "/healthz", {}, None, False),
    (
        "POST",
        "/api/workspaces/mix/silences",
        {"Content-Type": "application/json"},
        b'{"__proto__":{},"when":{}}',
        True,
    ),
    (
        "POST",
        "/api/workspaces/mix/silences",
        {"Content-Type": "application/json"},
        b'{"when":{"constructor":{"prototype":{}}}}',
        True,
    ),
    (
        "POST",
        "/api/workspaces/mix/silences",
        {"Content-Type": "application/json"},
        b'{"when":{"field":"title","op":"eq","value":"constructor"},"ends_at":"1h","constructor":1}',
        True,
    ),
]


def test_both_hosts_answer_the_same(hosts: tuple[str, str, str, str]) -> None:
    node, py, token, _key = hosts
    with httpx.Client(timeout=10) as c:
        for method, path, headers, body, auth in SAME:
            h = {**headers, **({"Authorization": f"Bearer {token}"} if auth else {})}
            a = c.request(method, node + path, headers=h, content=body)
            b = c.request(method, py + path, headers=h, content=body)
            where = f"{method} {path} {body!r}"
            assert a.status_code == b.status_code, (where, a.status_code, a.text, b.status_code, b.text)
            assert a.headers.get("content-type") == b.headers.get("content-type"), where
            ja, jb = a.json(), b.json()
            if path != "/api/me":  # the token's last_used_at moves between the two reads
                assert ja == jb, (where, ja, jb)
        # HEAD of a GET route: its status and headers, no body
        for path in ("/api/workspaces/mix/groups", "/healthz", "/api/me"):
            a = c.head(node + path, headers={"Authorization": f"Bearer {token}"})
            b = c.head(py + path, headers={"Authorization": f"Bearer {token}"})
            assert (a.status_code, a.headers.get("content-type"), a.content) == (
                b.status_code,
                b.headers.get("content-type"),
                b"",
            ), path
