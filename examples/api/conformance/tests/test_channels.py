"""Channels: secrets masked, the test notification through the real outbox, delete; deliveries."""

import time

from helpers import Recorder, error_of, ok_json, tag, ws_path

SECRET = "whsec-conformance-0123456789"


def test_channel_secrets_are_masked(admin, viewer):
    name = f"hook-{tag()}"
    config = {"url": "http://127.0.0.1:9/never", "secret": SECRET}
    error_of(viewer.put(f"{ws_path()}/channels/{name}", json={"kind": "webhook", "config": config}), 403, "forbidden")
    ch = ok_json(admin.put(f"{ws_path()}/channels/{name}", json={"kind": "webhook", "config": config}))
    assert ch["name"] == name and ch["kind"] == "webhook"
    assert ch["config"]["url"] == config["url"]
    assert ch["config"]["secret"] != SECRET and ch["config"]["secret"].endswith(SECRET[-4:])
    listing = viewer.get(f"{ws_path()}/channels")
    chans = {c["name"]: c for c in ok_json(listing)["channels"]}
    assert chans[name]["config"]["secret"] == ch["config"]["secret"]
    assert SECRET not in listing.text
    error_of(admin.put(f"{ws_path()}/channels/{name}", json={"kind": "webhook", "config": {}}), 400, "invalid_input")
    error_of(admin.put(f"{ws_path()}/channels/{name}", json={"kind": "carrier-pigeon", "config": config}), 400, "invalid_input")
    resp = admin.delete(f"{ws_path()}/channels/{name}")
    assert resp.status_code == 204 and resp.content == b""
    assert name not in [c["name"] for c in ok_json(viewer.get(f"{ws_path()}/channels"))["channels"]]
    error_of(admin.delete(f"{ws_path()}/channels/{name}"), 404, "not_found")


def test_channel_test_goes_through_the_outbox_to_a_loopback_receiver(admin, viewer):
    with Recorder() as sink:
        name = f"sink-{tag()}"
        ok_json(admin.put(f"{ws_path()}/channels/{name}", json={"kind": "webhook", "config": {"url": f"http://127.0.0.1:{sink.port}/hook"}}))
        error_of(viewer.post(f"{ws_path()}/channels/{name}/test"), 403, "forbidden")
        queued = ok_json(admin.post(f"{ws_path()}/channels/{name}/test"), 202)
        assert queued["test"] is True and queued["channel"] == name and queued["kind"] == "webhook"
        received = sink.wait_for(1, timeout=20)
        assert len(received) >= 1, "the test notification never reached the channel"
        method, path, _headers, _body = received[0]
        assert method == "POST" and path == "/hook"
        deadline = time.monotonic() + 10
        while True:
            rows = [d for d in ok_json(viewer.get(f"{ws_path()}/deliveries"))["deliveries"] if d["id"] == queued["id"]]
            assert len(rows) == 1, rows
            if rows[0]["status"] == "sent" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert rows[0]["status"] == "sent" and rows[0]["attempts"] >= 1 and rows[0]["attempt_log"][0]["http_status"] == 200
        admin.delete(f"{ws_path()}/channels/{name}")
    error_of(admin.post(f"{ws_path()}/channels/no-such-channel/test"), 404, "not_found")


def test_the_channels_list_shows_each_breaker(admin, viewer):
    with Recorder(answer=lambda method, path, body: (503, {"ok": False})) as dead:
        name = f"dead-{tag()}"
        config = {"url": f"http://127.0.0.1:{dead.port}/hook", "breaker": {"failures": 1, "open_secs": 600},
                  "retry": {"first_ms": 100, "max_interval_ms": 200, "max_attempts": 5, "max_age_secs": 600, "jitter": 0}}
        put = ok_json(admin.put(f"{ws_path()}/channels/{name}", json={"kind": "webhook", "config": config}))
        assert put["breaker"] == {"state": "closed", "failures": 0, "opened_at": None, "retry_at": None}, put
        ok_json(admin.post(f"{ws_path()}/channels/{name}/test"), 202)
        assert dead.wait_for(1, timeout=20), "the test notification never reached the channel"
        deadline = time.monotonic() + 10
        while True:
            b = {c["name"]: c for c in ok_json(viewer.get(f"{ws_path()}/channels"))["channels"]}[name]["breaker"]
            if b["state"] == "open" or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert b["state"] == "open" and b["failures"] == 1, b
        assert b["opened_at"] < b["retry_at"], b
        time.sleep(0.5)
        assert len(dead.requests) == 1, "an open breaker sends nothing more"
        admin.delete(f"{ws_path()}/channels/{name}")


def test_workspace_deliveries(viewer):
    # runs after the channel test above, whose delivery is listed
    body = ok_json(viewer.get(f"{ws_path()}/deliveries"))
    assert len(body["deliveries"]) >= 1
    for d in body["deliveries"]:
        assert d["status"] in {"pending", "sent", "failed", "cancelled"}


def test_a_channel_named_by_rules_cannot_be_deleted(admin, viewer):
    name = f"ruled-{tag()}"
    ok_json(admin.put(f"{ws_path()}/channels/{name}", json={"kind": "webhook", "config": {"url": "http://127.0.0.1:9/never"}}))
    saved = ok_json(viewer.get(f"{ws_path()}/rules"))["rules"]
    rule = {"id": f"to-{name}", "when": {"field": "severity", "op": "eq", "value": "debug"}, "then": {"notify": [name]}}
    ok_json(admin.put(f"{ws_path()}/rules", json={"rules": saved + [rule]}))
    error_of(admin.delete(f"{ws_path()}/channels/{name}"), 409, "conflict")
    assert name in [c["name"] for c in ok_json(viewer.get(f"{ws_path()}/channels"))["channels"]]
    ok_json(admin.put(f"{ws_path()}/rules", json={"rules": saved}))
    assert admin.delete(f"{ws_path()}/channels/{name}").status_code == 204
