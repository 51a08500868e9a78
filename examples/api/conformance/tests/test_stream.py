"""The change stream: an event after an ingest, a Last-Event-ID replay, every host on one database."""

from helpers import HOST_URLS, TOKENS, URL_A, EventStream, client, error_of, new_sentry_group, ok_json, ws_path

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


def test_every_host_on_the_database_sees_every_others_changes(sentry_secret):
    """A stream on each host; a group made through each host in turn, resolved through the next:
    every stream shows both changes, whichever host made them (the feed is read from the
    database)."""
    streams = [EventStream(base, STREAM, TOKENS["viewer"]) for base in HOST_URLS]
    owners = [client(base, TOKENS["owner"]) for base in HOST_URLS]
    try:
        for i, through in enumerate(owners):
            gid = new_sentry_group(through, sentry_secret)  # through host i
            for j, s in enumerate(streams):
                ev = s.wait(lambda e: e["data"].get("group_id") == gid, timeout=10)
                assert ev is not None, f"host {HOST_URLS[j]}'s stream missed {HOST_URLS[i]}'s ingest; got {s.events}"
                check_event(ev, gid)
            after = owners[(i + 1) % len(owners)]  # through the next host
            assert ok_json(after.get(f"{ws_path()}/groups/{gid}"))["id"] == gid
            ok_json(after.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "resolve"}))
            for j, s in enumerate(streams):
                ev = s.wait(lambda e: e["data"].get("group_id") == gid and e["data"]["status"] == "resolved", timeout=10)
                assert ev is not None, f"host {HOST_URLS[j]}'s stream missed a resolve through another host; got {s.events}"
                check_event(ev, gid)
                assert ev["data"]["kind"] == "status"
    finally:
        for c in owners:
            c.close()
        for s in streams:
            s.close()
