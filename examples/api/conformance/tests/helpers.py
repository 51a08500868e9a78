"""What every conformance test shares: where the hosts are, who may call them, real payloads.

The runner (`../run`) prepares the database and passes everything in environment variables, so
the suite runs against any host that serves `examples/api/openapi.yaml`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import httpx

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the suite with examples/api/conformance/run")
    return value


URL_A = env("SC_URL_A")
URL_B = env("SC_URL_B")
# every host's own URL: A and B, or (SC_FLEET=1) the hosts behind the round-robin proxy that
# URL_A and URL_B then both are; for what each process has of its own (metrics, its streams)
HOST_URLS = os.environ.get("SC_HOST_URLS", "").split() or [URL_A, URL_B]
WS = env("SC_WS")
OTHER_WS = env("SC_OTHER_WS")
PASSWORD = env("SC_PASSWORD")
OWNER_EMAIL = env("SC_OWNER_EMAIL")
ADMIN_EMAIL = env("SC_ADMIN_EMAIL")
MEMBER_EMAIL = env("SC_MEMBER_EMAIL")
VIEWER_EMAIL = env("SC_VIEWER_EMAIL")
OTHER_EMAIL = env("SC_OTHER_EMAIL")
TOKENS = {
    "owner": env("SC_TOKEN_OWNER"),
    "admin": env("SC_TOKEN_ADMIN"),
    "member": env("SC_TOKEN_MEMBER"),
    "viewer": env("SC_TOKEN_VIEWER"),
    "other": env("SC_TOKEN_OTHER"),
}
# the names the runner gave the tokens (the timeline shows `token:<name>`)
TOKEN_NAMES = {
    "owner": "conf-owner",
    "admin": "conf-admin",
    "member": "conf-member",
    "viewer": "conf-viewer",
    "other": "other-owner",
}

TIMEOUT = httpx.Timeout(15.0, connect=5.0)


def client(base: str = URL_A, token: str | None = None) -> httpx.Client:
    """A client of one host, with a bearer token when given."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(
        base_url=base,
        headers=headers,
        timeout=TIMEOUT,
        follow_redirects=False,
        event_hooks={"response": [lambda r: check_response(r)]},
    )


def ws_path(ws: str = WS) -> str:
    return f"/api/workspaces/{quote(ws, safe='')}"


def tag() -> str:
    """A fresh marker so that each case makes its own groups."""
    return uuid.uuid4().hex[:10]


def error_of(resp: httpx.Response, status: int, kind: str, path=...) -> dict:
    """Asserts the response is the error JSON with this status and kind (and path, when given)."""
    assert resp.status_code == status, f"expected {status} {kind}, got {resp.status_code}: {resp.text[:500]}"
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) >= {"kind", "message", "path"}, err
    assert err["kind"] == kind, err
    assert isinstance(err["message"], str) and err["message"], err
    if path is not ...:
        assert err["path"] == path, err
    return err


def ok_json(resp: httpx.Response, status: int = 200):
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:500]}"
    assert resp.headers.get("content-type", "").startswith("application/json"), resp.headers
    return resp.json()


# --- real payloads ---------------------------------------------------------------------------------


def sentry_body(marker: str) -> bytes:
    """The docs' Sentry issue alert with a fresh issue and event id and the marker in the title."""
    payload = json.loads((FIXTURES / "issue_alert_triggered.docs.json").read_text())
    event = payload["data"]["event"]
    issue = str(random.randrange(10**9, 10**10))
    event["issue_id"] = issue
    event["issue_url"] = f"https://sentry.io/api/0/issues/{issue}/"
    event["event_id"] = uuid.uuid4().hex
    event["title"] = f"ReferenceError: heck is not defined [{marker}]"
    event["web_url"] = f"https://sentry.io/organizations/test-org/issues/{issue}/events/{event['event_id']}/"
    # Sentry sends compact JSON; the signature is over exactly these bytes
    return json.dumps(payload, separators=(",", ":")).encode()


def sentry_headers(body: bytes, secret: str | None) -> dict:
    headers = {"Content-Type": "application/json", "Sentry-Hook-Resource": "event_alert"}
    if secret is not None:
        headers["Sentry-Hook-Signature"] = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return headers


def alertmanager_body(marker: str, resolved: bool = False) -> bytes:
    """alertmanager-bot's firing (or resolved) delivery with the marker as a label."""
    name = "alertmanager-bot_resolved.json" if resolved else "alertmanager-bot_firing.json"
    payload = json.loads((FIXTURES / name).read_text())
    for labels in [payload["commonLabels"], payload["groupLabels"]] + [a["labels"] for a in payload["alerts"]]:
        labels["conformance"] = marker
    if not resolved:
        # the 2018 capture's endsAt is long past (the alert would read as resolved); a current
        # Alertmanager sends the zero time for a firing alert
        for a in payload["alerts"]:
            a["endsAt"] = "0001-01-01T00:00:00Z"
    payload["groupKey"] = '{}:{alertname="Fire",conformance="%s"}' % marker
    return json.dumps(payload, separators=(",", ":")).encode()


def slack_action_body(action_id: str, group_id: str, team_id: str) -> bytes:
    payload = json.loads((FIXTURES / "block_actions_button.payload.json").read_text())
    payload["actions"][0]["action_id"] = action_id
    payload["actions"][0]["value"] = group_id
    payload["team"]["id"] = team_id
    payload["user"]["team_id"] = team_id
    return ("payload=" + quote(json.dumps(payload))).encode()


def slack_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
    }


# --- sessions ---------------------------------------------------------------------------------------


def login(email: str, base: str = URL_A) -> tuple[httpx.Client, dict]:
    """A client holding a session cookie, and the login answer."""
    c = client(base)
    body = ok_json(c.post("/api/session", json={"email": email, "password": PASSWORD}))
    assert c.cookies.get("sc_session"), "login set no sc_session cookie"
    return c, body


# --- loopback servers -----------------------------------------------------------------------------


class Recorder:
    """A loopback HTTP server that records every request and answers with `answer(path, body)`."""

    def __init__(self, port: int = 0, answer=None):
        self.requests: list[tuple[str, str, dict, bytes]] = []
        self.cond = threading.Condition()
        recorder = self
        answer = answer or (lambda method, path, body: (200, {"ok": True}))

        class Handler(BaseHTTPRequestHandler):
            def _handle(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                with recorder.cond:
                    recorder.requests.append((self.command, self.path, dict(self.headers), body))
                    recorder.cond.notify_all()
                status, out = answer(self.command, self.path, body)
                data = json.dumps(out).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = _handle
            do_GET = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float) -> list:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.cond.wait(left)
            return list(self.requests)


# --- server-sent events -----------------------------------------------------------------------------


class EventStream:
    """Reads a host's `text/event-stream` in a thread; events are `{"id", "data"}` dicts."""

    def __init__(self, base: str, path: str, token: str, last_event_id: str | None = None):
        headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        self.client = httpx.Client(base_url=base, timeout=httpx.Timeout(30.0, connect=5.0))
        self.cm = self.client.stream("GET", path, headers=headers)
        self.response = self.cm.__enter__()
        self.events: list[dict] = []
        self.cond = threading.Condition()
        self.closed = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        ev: dict = {}
        data: list[str] = []
        try:
            for line in self.response.iter_lines():
                if line == "":
                    if data:
                        ev["data"] = json.loads("\n".join(data))
                        with self.cond:
                            self.events.append(ev)
                            self.cond.notify_all()
                    ev, data = {}, []
                elif line.startswith(":"):
                    continue
                else:
                    field, _, value = line.partition(":")
                    value = value[1:] if value.startswith(" ") else value
                    if field == "data":
                        data.append(value)
                    elif field == "id":
                        ev["id"] = value
                    elif field == "event":
                        ev["event"] = value
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass
        finally:
            with self.cond:
                self.closed = True
                self.cond.notify_all()

    def wait(self, pred, timeout: float = 10.0) -> dict | None:
        """The first event matching `pred`, waiting up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for ev in self.events:
                    if pred(ev):
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.cond.wait(left)

    def close(self):
        try:
            self.cm.__exit__(None, None, None)
        finally:
            self.client.close()


def new_sentry_group(c: httpx.Client, secret: str, marker: str | None = None, ws: str = WS) -> str:
    """Posts a signed Sentry issue alert and answers the new group's id."""
    marker = marker or tag()
    body = sentry_body(marker)
    out = ok_json(c.post(f"/webhooks/{ws}/sentry", content=body, headers=sentry_headers(body, secret)), 202)
    assert out["outcome"] == "accepted" and out["source"] == "sentry", out
    assert len(out["alerts"]) == 1 and out["alerts"][0]["decision"] == "new_group", out
    gid = out["alerts"][0]["group_id"]
    assert isinstance(gid, str) and gid, out
    return gid


# --- every response the tests get is checked against openapi.yaml -----------------------------------

import re  # noqa: E402

import yaml  # noqa: E402
from jsonschema import Draft202012Validator  # noqa: E402

DOCUMENT = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi.yaml").read_text())
VIOLATIONS: list[str] = []


def _operations():
    ops = []
    for template, item in DOCUMENT["paths"].items():
        pattern = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")) + "$")
        for method in ("get", "put", "post", "patch", "delete"):
            if method in item:
                ops.append((template.count("{"), method.upper(), pattern, template, item[method]))
    # literal segments win over parameters (`groups/actions` before `groups/{id}`)
    ops.sort(key=lambda o: o[0])
    return ops


OPERATIONS = _operations()


def _resolve(node):
    while isinstance(node, dict) and "$ref" in node and len(node) == 1:
        cur = DOCUMENT
        for part in node["$ref"].lstrip("#/").split("/"):
            cur = cur[part]
        node = cur
    return node


def check_response(resp: httpx.Response) -> None:
    """Records how `resp` differs from what openapi.yaml says of its operation and status."""
    req = resp.request
    path = req.url.path
    where = f"{req.method} {path} -> {resp.status_code}"
    op = next((o for _, m, p, _, o in OPERATIONS if m == req.method and p.match(path)), None)
    if op is None:
        # not a route of the document: it must be the 404 error
        responses = {"404": {"$ref": "#/components/responses/NotFound"}}
    else:
        responses = op["responses"]
    spec = responses.get(str(resp.status_code))
    if spec is None:
        VIOLATIONS.append(f"{where}: status not in the document ({sorted(responses)})")
        return
    spec = _resolve(spec)
    for name, header in (spec.get("headers") or {}).items():
        header = _resolve(header)
        if header.get("required") and name.lower() not in resp.headers:
            VIOLATIONS.append(f"{where}: required header {name} missing")
    content = spec.get("content")
    resp.read()
    if not content:
        if resp.content:
            VIOLATIONS.append(f"{where}: a body where the document has none: {resp.content[:200]!r}")
        return
    ctype = resp.headers.get("content-type", "").split(";")[0].strip()
    if ctype not in content:
        VIOLATIONS.append(f"{where}: content type {ctype!r} not in {sorted(content)}")
        return
    if ctype != "application/json":
        return
    schema = dict(_resolve(content[ctype]["schema"]))
    schema["components"] = DOCUMENT["components"]
    try:
        body = resp.json()
    except ValueError:
        VIOLATIONS.append(f"{where}: not JSON: {resp.text[:200]!r}")
        return
    errors = sorted(Draft202012Validator(schema).iter_errors(body), key=lambda e: list(e.absolute_path))
    for e in errors[:3]:
        at = "/".join(str(p) for p in e.absolute_path)
        VIOLATIONS.append(f"{where}: at /{at}: {e.message[:300]}")
