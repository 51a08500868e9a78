"""The change stream: an event after an ingest, a Last-Event-ID replay, two hosts on one database."""

from helpers import TOKENS, URL_A, URL_B, EventStream, error_of, new_sentry_group, ok_json, ws_path

STREAM = f"{ws_path()}/stream"


def check_event(ev, gid):
    assert ev["id"] == str(ev["data"]["seq"]), ev
    assert ev["data"]["id"] == gid and ev["data"]["group_id"] == gid, ev
    assert ev["data"]["kind"] in {"event", "status", "assignee", "note", "runbook", "escalation"}
    assert ev["data"]["status"] in {"open", "acknowledged", "snoozed", "resolved"}
    assert ev["data"]["at"]


def test_the_stream_needs_a_credential_and_a_visible_workspace(anon, other):
    error_of(anon.get(STREAM), 401, "unauthenticated")
    error_of(other.get(STREAM), 404, "not_found")


def test_an_event_after_an_ingest_and_a_replay_after_reconnecting(owner, member, sentry_secret):
    s = EventStream(URL_A, STREAM, TOKENS["viewer"])
    try:
        assert s.response.status_code == 200
        assert s.response.headers["content-type"].startswith("text/event-stream")
        gid = new_sentry_group(owner, sentry_secret)
        ev = s.wait(lambda e: e["data"].get("group_id") == gid, timeout=10)
        assert ev is not None, f"no event for {gid} within 10 s; got {s.events}"
        check_event(ev, gid)
        assert ev["data"]["kind"] == "event" and ev["data"]["status"] == "open"
        last_id = ev["id"]
    finally:
        s.close()
    # changes while disconnected
    ok_json(member.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "ack"}))
    ok_json(member.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "note", "text": "on it"}))
    s = EventStream(URL_A, STREAM, TOKENS["viewer"], last_event_id=last_id)
    try:
        acked = s.wait(lambda e: e["data"].get("group_id") == gid and e["data"]["kind"] == "status", timeout=10)
        assert acked is not None, f"the missed ack was not replayed; got {s.events}"
        check_event(acked, gid)
        assert acked["data"]["status"] == "acknowledged"
        noted = s.wait(lambda e: e["data"].get("group_id") == gid and e["data"]["kind"] == "note", timeout=10)
        assert noted is not None and int(noted["id"]) > int(acked["id"]) > int(last_id)
        # the replay starts after Last-Event-ID: the event already seen is not sent again
        assert all(int(e["id"]) > int(last_id) for e in s.events), s.events
    finally:
        s.close()


def test_two_hosts_on_one_database_see_each_others_changes(owner, owner_b, sentry_secret):
    on_b = EventStream(URL_B, STREAM, TOKENS["viewer"])
    on_a = EventStream(URL_A, STREAM, TOKENS["viewer"])
    try:
        gid = new_sentry_group(owner, sentry_secret)  # through host A
        ev = on_b.wait(lambda e: e["data"].get("group_id") == gid, timeout=10)
        assert ev is not None, f"host B's stream missed host A's ingest; got {on_b.events}"
        check_event(ev, gid)
        assert ok_json(owner_b.get(f"{ws_path()}/groups/{gid}"))["id"] == gid
        ok_json(owner_b.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "resolve"}))  # through host B
        ev = on_a.wait(lambda e: e["data"].get("group_id") == gid and e["data"]["status"] == "resolved", timeout=10)
        assert ev is not None, f"host A's stream missed host B's resolve; got {on_a.events}"
        check_event(ev, gid)
        assert ev["data"]["kind"] == "status"
    finally:
        on_a.close()
        on_b.close()
