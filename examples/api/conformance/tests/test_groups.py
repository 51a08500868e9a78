"""Groups: queries, detail, deliveries, actions (roles, the actor), bulk actions, 404 across workspaces."""

import json
import time
import uuid
from datetime import datetime, timedelta, timezone

from helpers import (
    OTHER_WS,
    Recorder,
    OWNER_EMAIL,
    TOKEN_NAMES,
    error_of,
    login,
    WS,
    new_sentry_group,
    ok_json,
    sentry_body,
    sentry_headers,
    tag,
    ws_path,
)


def group(c, gid):
    return ok_json(c.get(f"{ws_path()}/groups/{gid}"))


def test_group_detail_has_events_timeline_and_a_worded_trace(owner, viewer, sentry_secret):
    marker = tag()
    gid = new_sentry_group(owner, sentry_secret, marker)
    g = group(viewer, gid)
    assert g["id"] == gid and g["source"] == "sentry" and g["status"] == "open"
    assert marker in g["title"] and g["count"] == 1 and g["severity"] == "error"
    assert len(g["events"]) == 1
    ev = g["events"][0]
    assert ev["group_id"] == gid and ev["decision"] == "new_group"
    trace = ev["trace"]
    assert trace["dedup"]["decision"] == "new_group", trace
    assert isinstance(trace["routing"]["rules"], list) and isinstance(trace["routing"]["channels"], dict), trace
    assert isinstance(ev["alert"], dict)
    assert isinstance(g["timeline"], list)


def test_group_detail_pages_events_and_timeline_newest_first(owner, member, viewer, sentry_secret):
    # one Sentry issue, 55 events: more than the detail's first page of 50
    payload = json.loads(sentry_body(tag()))
    gid = None
    for i in range(55):
        payload["data"]["event"]["event_id"] = uuid.uuid4().hex
        payload["data"]["event"]["title"] = payload["data"]["event"]["title"].split(" #")[0] + f" #{i}"
        body = json.dumps(payload, separators=(",", ":")).encode()
        out = ok_json(owner.post(f"/webhooks/{WS}/sentry", content=body, headers=sentry_headers(body, sentry_secret)), 202)
        gid = gid or out["alerts"][0]["group_id"]
        assert out["alerts"][0]["group_id"] == gid, out
    for cmd in ["ack", "unack", "ack"]:
        ok_json(member.post(f"{ws_path()}/groups/{gid}/actions", json={"command": cmd}))
    g = group(viewer, gid)
    assert g["count"] == 55
    assert len(g["events"]) == 50 and g["events_next"], "the detail answers one page of events"
    assert g["events"][0]["title"].endswith("#54"), "newest first"
    assert [t["command"] for t in g["timeline"]] == ["ack", "unack", "ack", "open"] and g["timeline_next"] is None
    rest = ok_json(viewer.get(f"{ws_path()}/groups/{gid}/events", params={"cursor": g["events_next"]}))
    assert [e["title"].rsplit("#", 1)[1] for e in rest["items"]] == [str(i) for i in range(4, -1, -1)]
    assert rest["next"] is None
    # pages of 20 walk every event once
    seen, cursor = [], None
    while True:
        params = {"limit": 20, **({"cursor": cursor} if cursor else {})}
        page = ok_json(viewer.get(f"{ws_path()}/groups/{gid}/events", params=params))
        assert len(page["items"]) <= 20
        seen += [e["id"] for e in page["items"]]
        cursor = page["next"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 55
    tl = ok_json(viewer.get(f"{ws_path()}/groups/{gid}/timeline", params={"limit": 2}))
    assert [t["command"] for t in tl["items"]] == ["ack", "unack"] and tl["next"]
    tl2 = ok_json(viewer.get(f"{ws_path()}/groups/{gid}/timeline", params={"cursor": tl["next"]}))
    assert [t["command"] for t in tl2["items"]] == ["ack", "open"] and tl2["next"] is None
    error_of(viewer.get(f"{ws_path()}/groups/{gid}/events", params={"limit": 201}), 400, "invalid_input", "limit")
    error_of(viewer.get(f"{ws_path()}/groups/{gid}/events", params={"limit": "many"}), 400, "invalid_input", "limit")
    error_of(viewer.get(f"{ws_path()}/groups/{gid}/timeline", params={"cursor": g["events_next"]}), 400, "invalid_input", "cursor")
    error_of(viewer.get(f"{ws_path()}/groups/grp_nope/events"), 404, "not_found")


def test_an_event_answers_its_raw_delivery(owner, viewer, other, sentry_secret):
    marker = tag()
    body = sentry_body(marker)
    out = ok_json(owner.post(f"/webhooks/{WS}/sentry", content=body, headers=sentry_headers(body, sentry_secret)), 202)
    eid = out["alerts"][0]["event_id"]
    e = ok_json(viewer.get(f"{ws_path()}/events/{eid}"))
    assert e["id"] == eid and e["group_id"] == out["alerts"][0]["group_id"] and e["source"] == "sentry"
    assert e["purged"] is False
    assert e["payload_text"] == body.decode() and e["payload"] == json.loads(body)
    names = {n.lower(): v for n, v in e["headers"]}
    assert names["sentry-hook-resource"] == "event_alert"
    # the rule tester's round trip: the stored body dry-run decides like ingest did
    tested = ok_json(owner.post(f"{ws_path()}/rules/test", json={"source": "sentry", "headers": dict(e["headers"]), "body": e["payload_text"]}))
    assert tested["alerts"][0]["fingerprint"] == e["alert"]["fingerprint"], tested
    error_of(viewer.get(f"{ws_path()}/events/evt_nope"), 404, "not_found")
    error_of(other.get(f"{ws_path(OTHER_WS)}/events/{eid}"), 404, "not_found")


def test_group_queries(owner, viewer, sentry_secret):
    marker = tag()
    first = new_sentry_group(owner, sentry_secret, f"{marker}-a")
    second = new_sentry_group(owner, sentry_secret, f"{marker}-b")
    page = ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker}))
    assert sorted(g["id"] for g in page["groups"]) == sorted([first, second]), page
    # newest activity first by default
    assert [g["id"] for g in page["groups"]] == [second, first]
    asc = ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "sort": "first_seen", "order": "asc"}))
    assert [g["id"] for g in asc["groups"]] == [first, second]
    one = ok_json(viewer.get(f"{ws_path()}/groups", params={"q": f"{marker}-b"}))
    assert [g["id"] for g in one["groups"]] == [second]
    # filters
    assert len(ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "status": "open,acknowledged", "severity": "error,critical", "source": "sentry"}))["groups"]) == 2
    assert ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "status": "resolved"}))["groups"] == []
    assert ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "severity": "debug"}))["groups"] == []
    assert ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "assignee": "none"}))["groups"] != []
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "since": future}))["groups"] == []
    assert len(ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "until": future}))["groups"]) == 2
    # cursor pagination, one per page, exact
    p1 = ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "limit": 1, "sort": "count"}))
    assert len(p1["groups"]) == 1 and p1["next_cursor"]
    p2 = ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "limit": 1, "sort": "count", "cursor": p1["next_cursor"]}))
    assert len(p2["groups"]) == 1 and p2["groups"][0]["id"] != p1["groups"][0]["id"]
    p3 = ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker, "limit": 1, "sort": "count", "cursor": p2["next_cursor"]})) if p2["next_cursor"] else {"groups": []}
    assert p3["groups"] == []
    # bad queries name the parameter
    error_of(viewer.get(f"{ws_path()}/groups", params={"limit": 0}), 400, "invalid_input", "limit")
    error_of(viewer.get(f"{ws_path()}/groups", params={"status": "sleepy"}), 400, "invalid_input")
    error_of(viewer.get(f"{ws_path()}/groups", params={"sort": "loudness"}), 400, "invalid_input")
    error_of(viewer.get(f"{ws_path()}/groups", params={"cursor": "junk"}), 400, "invalid_input", "cursor")


def test_a_viewer_may_not_act_and_a_member_may(viewer, member, owner, sentry_secret):
    gid = new_sentry_group(owner, sentry_secret)
    error_of(viewer.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "ack"}), 403, "forbidden")
    assert group(viewer, gid)["status"] == "open", "a refused ack changed the group"
    acked = ok_json(member.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "ack"}))
    assert acked["id"] == gid and acked["status"] == "acknowledged" and acked["acknowledged_at"]


def test_the_actor_is_the_principal_never_the_body(member, owner, sentry_secret):
    gid = new_sentry_group(owner, sentry_secret)
    ok_json(member.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "ack", "actor": "mallory", "role": "owner"}))
    c, session = login(OWNER_EMAIL)
    ok_json(c.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "note", "text": "looking", "actor": "mallory"}, headers={"X-CSRF-Token": session["csrf_token"]}))
    c.close()
    timeline = group(owner, gid)["timeline"]
    actors = [(t["command"], t["actor"]) for t in timeline]
    assert ("ack", f"token:{TOKEN_NAMES['member']}") in actors, actors
    assert ("note", f"user:{OWNER_EMAIL}") in actors, actors
    assert all("mallory" not in t["actor"] for t in timeline), actors


def test_every_command(member, owner, sentry_secret):
    gid = new_sentry_group(owner, sentry_secret)
    act = lambda body: ok_json(member.post(f"{ws_path()}/groups/{gid}/actions", json=body))
    until = (datetime.now(timezone.utc) + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    g = act({"command": "snooze", "until": until})
    assert g["status"] == "snoozed" and g["snoozed_until"].startswith(until[:16])
    assert act({"command": "unsnooze"})["status"] == "open"
    assert act({"command": "assign", "user": "ann"})["assignee"] == "ann"
    assert [x["id"] for x in ok_json(member.get(f"{ws_path()}/groups", params={"assignee": "ann", "q": g["title"][-12:-1]}))["groups"]] == [gid]
    assert act({"command": "assign", "user": None})["assignee"] is None
    assert act({"command": "runbook", "url": "https://runbooks.example/heck"})["runbook"] == "https://runbooks.example/heck"
    assert act({"command": "ack"})["status"] == "acknowledged"
    assert act({"command": "unack"})["status"] == "open"
    resolved = act({"command": "resolve"})
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    assert act({"command": "reopen"})["status"] == "open"
    commands = [t["command"] for t in group(member, gid)["timeline"]]
    for c in ["snooze", "unsnooze", "assign", "runbook", "ack", "unack", "resolve", "reopen"]:
        assert c in commands, commands
    error_of(member.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "explode"}), 400, "invalid_input")
    error_of(member.post(f"{ws_path()}/groups/{gid}/actions", json={"command": "snooze"}), 400, "invalid_input")


def test_another_workspaces_group_is_404(owner, other, sentry_secret):
    gid = new_sentry_group(owner, sentry_secret)
    # the other workspace's owner, through their own workspace and through ours
    error_of(other.get(f"{ws_path(OTHER_WS)}/groups/{gid}"), 404, "not_found")
    error_of(other.get(f"{ws_path(OTHER_WS)}/groups/{gid}/deliveries"), 404, "not_found")
    error_of(other.post(f"{ws_path(OTHER_WS)}/groups/{gid}/actions", json={"command": "ack"}), 404, "not_found")
    error_of(other.get(f"{ws_path()}/groups/{gid}"), 404, "not_found")
    error_of(owner.get(f"{ws_path()}/groups/grp_does_not_exist"), 404, "not_found")
    assert group(owner, gid)["status"] == "open"


def test_a_routed_group_is_delivered_and_its_deliveries_listed(viewer, admin, owner, sentry_secret):
    marker = tag()
    name = f"route-{marker}"
    saved = ok_json(viewer.get(f"{ws_path()}/rules"))["rules"]
    with Recorder() as sink:
        ok_json(admin.put(f"{ws_path()}/channels/{name}", json={"kind": "webhook", "config": {"url": f"http://127.0.0.1:{sink.port}/alerts"}}))
        rule = {"id": f"to-{name}", "priority": -1, "when": {"field": "title", "op": "contains", "value": marker}, "then": {"notify": [name]}}
        ok_json(admin.put(f"{ws_path()}/rules", json={"rules": [rule] + saved}))
        try:
            gid = new_sentry_group(owner, sentry_secret, marker)
            received = sink.wait_for(1, timeout=20)
            assert len(received) == 1 and received[0][0] == "POST" and received[0][1] == "/alerts", received
            assert marker.encode() in received[0][3]
            deadline = time.monotonic() + 10
            while True:
                rows = ok_json(viewer.get(f"{ws_path()}/groups/{gid}/deliveries"))["deliveries"]
                if (rows and rows[0]["status"] == "sent") or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert len(rows) == 1, rows
            d = rows[0]
            assert d["group_id"] == gid and d["channel"] == name and d["kind"] == "webhook", d
            assert d["notification"] == "firing" and d["status"] == "sent" and d["attempt_log"][0]["http_status"] == 200, d
            assert d["test"] is False
            everywhere = ok_json(viewer.get(f"{ws_path()}/deliveries", params={"group": gid}))["deliveries"]
            assert [x["id"] for x in everywhere] == [d["id"]]
        finally:
            ok_json(admin.put(f"{ws_path()}/rules", json={"rules": saved}))
            admin.delete(f"{ws_path()}/channels/{name}")


def test_bulk_actions(member, viewer, owner, sentry_secret):
    a = new_sentry_group(owner, sentry_secret)
    b = new_sentry_group(owner, sentry_secret)
    foreign = "grp_not_in_this_workspace"
    error_of(viewer.post(f"{ws_path()}/groups/actions", json={"ids": [a, b], "command": "resolve"}), 403, "forbidden")
    out = ok_json(member.post(f"{ws_path()}/groups/actions", json={"ids": [a, foreign, b], "command": "resolve", "actor": "mallory"}))
    results = out["results"]
    assert [r["id"] for r in results] == [a, foreign, b]
    assert results[0]["ok"]["status"] == "resolved" and results[2]["ok"]["status"] == "resolved"
    assert results[1]["error"]["kind"] == "not_found" and "ok" not in results[1]
    for gid in (a, b):
        g = group(member, gid)
        assert g["status"] == "resolved"
        assert [t["actor"] for t in g["timeline"] if t["command"] == "resolve"] == [f"token:{TOKEN_NAMES['member']}"]
    error_of(member.post(f"{ws_path()}/groups/actions", json={"ids": [a] * 1001, "command": "ack"}), 400, "invalid_input", "ids")
    error_of(member.post(f"{ws_path()}/groups/actions", json={"ids": [a], "command": "explode"}), 400, "invalid_input")
    error_of(member.post(f"{ws_path()}/groups/actions", json={"command": "ack"}), 400, "invalid_input")
