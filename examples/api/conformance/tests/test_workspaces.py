"""Workspaces, settings, members and tokens; roles on each; another workspace is 404."""

from helpers import (
    OTHER_EMAIL,
    OTHER_WS,
    OWNER_EMAIL,
    TOKENS,
    URL_A,
    WS,
    client,
    error_of,
    login,
    ok_json,
    tag,
    ws_path,
)


def test_workspaces_lists_only_the_callers_with_their_role(owner, viewer):
    mine = ok_json(owner.get("/api/workspaces"))["workspaces"]
    assert [w["name"] for w in mine] == [WS], mine
    assert mine[0]["role"] == "owner" and mine[0]["id"].startswith("ws_")
    assert ok_json(viewer.get("/api/workspaces"))["workspaces"][0]["role"] == "viewer"

    c, _ = login(OWNER_EMAIL)
    names = {w["name"]: w["role"] for w in ok_json(c.get("/api/workspaces"))["workspaces"]}
    assert names.get(WS) == "owner" and OTHER_WS not in names, names
    c.close()


def test_a_workspace_is_reachable_by_name_and_by_id(owner):
    ws = ok_json(owner.get("/api/workspaces"))["workspaces"][0]
    by_name = ok_json(owner.get(f"{ws_path(ws['name'])}/settings"))
    by_id = ok_json(owner.get(f"{ws_path(ws['id'])}/settings"))
    assert by_name == by_id


def test_creating_a_workspace_makes_the_caller_owner():
    c, session = login(OWNER_EMAIL)
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    name = f"made-{tag()}"
    ws = ok_json(c.post("/api/workspaces", json={"name": name}, headers=csrf), 201)
    assert ws["name"] == name and ws["id"].startswith("ws_") and ws["created_at"]
    listed = {w["name"]: w["role"] for w in ok_json(c.get("/api/workspaces"))["workspaces"]}
    assert listed[name] == "owner"
    members = ok_json(c.get(f"{ws_path(name)}/members"))["members"]
    assert [(m["email"], m["role"]) for m in members] == [(OWNER_EMAIL, "owner")]
    error_of(c.post("/api/workspaces", json={"name": name}, headers=csrf), 400, "invalid_input", "name")
    error_of(c.post("/api/workspaces", json={"name": "ws_reserved"}, headers=csrf), 400, "invalid_input", "name")
    error_of(c.post("/api/workspaces", json={"name": "has space"}, headers=csrf), 400, "invalid_input", "name")
    c.close()


def test_an_api_token_cannot_create_workspaces(owner):
    error_of(owner.post("/api/workspaces", json={"name": f"tok-{tag()}"}), 403, "forbidden")


def test_another_workspace_is_not_found(owner, other):
    for path in ["/settings", "/groups", "/members", "/rules", "/channels", "/integrations", "/stats"]:
        error_of(owner.get(f"{ws_path(OTHER_WS)}{path}"), 404, "not_found")
        error_of(other.get(f"{ws_path(WS)}{path}"), 404, "not_found")
    error_of(owner.get(f"{ws_path('no-such-workspace')}/groups"), 404, "not_found")
    # by id too
    other_id = ok_json(other.get("/api/workspaces"))["workspaces"][0]["id"]
    error_of(owner.get(f"{ws_path(other_id)}/groups"), 404, "not_found")


def test_settings_read_and_merge_patch(admin, viewer):
    before = ok_json(viewer.get(f"{ws_path()}/settings"))
    assert before["allow_unauthenticated_ingest"] is False
    assert before["ingest_rate_limit"]["per_min"] >= 1 and before["ingest_rate_limit"]["burst"] >= 1
    assert before["dedup"]["window"] in {"rolling", "fixed", "until_resolved"}

    error_of(viewer.patch(f"{ws_path()}/settings", json={"hygiene": {"retention_days": 7}}), 403, "forbidden")
    after = ok_json(admin.patch(f"{ws_path()}/settings", json={"hygiene": {"retention_days": 7}}))
    assert after["hygiene"]["retention_days"] == 7
    # a merge patch keeps everything it does not name
    assert after["hygiene"]["auto_close_after_mins"] == before["hygiene"]["auto_close_after_mins"]
    assert after["dedup"] == before["dedup"]
    assert after["ingest_rate_limit"] == before["ingest_rate_limit"]
    assert ok_json(viewer.get(f"{ws_path()}/settings")) == after

    error_of(admin.patch(f"{ws_path()}/settings", json={"dedup": {"window": "sometimes"}}), 400, "invalid_input")
    error_of(admin.patch(f"{ws_path()}/settings", json={"no_such_setting": 1}), 400, "invalid_input")
    assert ok_json(viewer.get(f"{ws_path()}/settings")) == after, "a refused patch stored something"
    restored = ok_json(admin.patch(f"{ws_path()}/settings", json={"hygiene": {"retention_days": before["hygiene"]["retention_days"]}}))
    assert restored == before


def test_members_need_the_owner(owner, admin):
    members = ok_json(owner.get(f"{ws_path()}/members"))["members"]
    roles = {m["email"]: m["role"] for m in members}
    assert roles == {
        "owner@conf.example": "owner",
        "admin@conf.example": "admin",
        "member@conf.example": "member",
        "viewer@conf.example": "viewer",
    }, roles
    for m in members:
        assert m["workspace_id"].startswith("ws_") and m["user_id"]
    error_of(admin.get(f"{ws_path()}/members"), 403, "forbidden")
    error_of(admin.put(f"{ws_path()}/members/{OTHER_EMAIL}", json={"role": "viewer"}), 403, "forbidden")


def test_put_and_delete_a_member(owner):
    added = ok_json(owner.put(f"{ws_path()}/members/{OTHER_EMAIL}", json={"role": "viewer"}))
    assert added["email"] == OTHER_EMAIL and added["role"] == "viewer" and added["name"] == "Otto Other"
    changed = ok_json(owner.put(f"{ws_path()}/members/{OTHER_EMAIL}", json={"role": "member"}))
    assert changed["role"] == "member"
    roles = {m["email"]: m["role"] for m in ok_json(owner.get(f"{ws_path()}/members"))["members"]}
    assert roles[OTHER_EMAIL] == "member"
    resp = owner.delete(f"{ws_path()}/members/{OTHER_EMAIL}")
    assert resp.status_code == 204 and resp.content == b""
    roles = {m["email"] for m in ok_json(owner.get(f"{ws_path()}/members"))["members"]}
    assert OTHER_EMAIL not in roles
    error_of(owner.delete(f"{ws_path()}/members/{OTHER_EMAIL}"), 404, "not_found")
    error_of(owner.put(f"{ws_path()}/members/nobody@conf.example", json={"role": "viewer"}), 404, "not_found")
    error_of(owner.put(f"{ws_path()}/members/{OTHER_EMAIL}", json={"role": "emperor"}), 400, "invalid_input")


def test_tokens_are_shown_once_work_and_can_be_revoked(owner, admin):
    made = ok_json(owner.post(f"{ws_path()}/tokens", json={"role": "viewer", "name": f"ci-{tag()}"}), 201)
    assert made["role"] == "viewer" and len(made["token"]) >= 16 and made["id"]
    listed = ok_json(owner.get(f"{ws_path()}/tokens"))["tokens"]
    mine = [t for t in listed if t["id"] == made["id"]]
    assert len(mine) == 1 and mine[0]["name"] == made["name"] and mine[0]["role"] == "viewer"
    assert made["token"] not in owner.get(f"{ws_path()}/tokens").text, "a token's secret was shown again"
    with client(URL_A, made["token"]) as c:
        ok_json(c.get(f"{ws_path()}/groups"))
        error_of(c.post(f"{ws_path()}/groups/actions", json={"ids": ["x"], "command": "ack"}), 403, "forbidden")
    used = [t for t in ok_json(owner.get(f"{ws_path()}/tokens"))["tokens"] if t["id"] == made["id"]][0]
    assert used["last_used_at"] is not None
    resp = owner.delete(f"{ws_path()}/tokens/{made['id']}")
    assert resp.status_code == 204 and resp.content == b""
    with client(URL_A, made["token"]) as c:
        error_of(c.get(f"{ws_path()}/groups"), 401, "unauthenticated")
    error_of(owner.delete(f"{ws_path()}/tokens/{made['id']}-nope"), 404, "not_found")
    error_of(admin.get(f"{ws_path()}/tokens"), 403, "forbidden")
    error_of(admin.post(f"{ws_path()}/tokens", json={"role": "owner"}), 403, "forbidden")
    error_of(owner.post(f"{ws_path()}/tokens", json={"role": "emperor"}), 400, "invalid_input")
