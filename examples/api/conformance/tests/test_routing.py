"""Rules (get, put, check, test, replay), silences, maintenance windows, escalations."""

from helpers import ADMIN_EMAIL, TOKEN_NAMES, error_of, login, ok_json, sentry_body, sentry_headers, tag, ws_path

RULE = {
    "id": "page-errors",
    "name": "Errors go to the team",
    "priority": 10,
    "when": {"field": "severity", "op": "in", "value": ["error", "critical"]},
    "then": {"notify": [], "mention": ["@oncall"]},
}
BAD = {"id": "bad", "when": {"field": "severity", "op": "equalz", "value": "x"}, "then": {"notify": []}}


def test_rules_put_get_and_roles(admin, viewer, member):
    stored = ok_json(admin.put(f"{ws_path()}/rules", json={"rules": [RULE]}))
    assert stored == {"ok": True, "rules": 1}
    rules = ok_json(viewer.get(f"{ws_path()}/rules"))["rules"]
    assert [r["id"] for r in rules] == ["page-errors"]
    assert rules[0]["when"] == RULE["when"] and rules[0]["then"]["mention"] == ["@oncall"]
    assert rules[0]["enabled"] is True and rules[0]["priority"] == 10
    error_of(member.put(f"{ws_path()}/rules", json={"rules": []}), 403, "forbidden")
    error_of(viewer.post(f"{ws_path()}/rules/check", json={"rules": [RULE]}), 403, "forbidden")


def test_rules_check_names_the_bad_path_and_stores_nothing(admin, viewer):
    ok_json(admin.put(f"{ws_path()}/rules", json={"rules": [RULE]}))
    assert ok_json(admin.post(f"{ws_path()}/rules/check", json={"rules": [RULE, {**RULE, "id": "two"}]})) == {"ok": True, "rules": 2}
    error_of(admin.post(f"{ws_path()}/rules/check", json={"rules": [BAD]}), 400, "invalid_input", "rules[0].when.op")
    error_of(admin.put(f"{ws_path()}/rules", json={"rules": [RULE, BAD]}), 400, "invalid_input", "rules[1].when.op")
    error_of(admin.put(f"{ws_path()}/rules", json={"rules": [RULE, RULE]}), 400, "invalid_input", "rules[1].id")
    assert [r["id"] for r in ok_json(viewer.get(f"{ws_path()}/rules"))["rules"]] == ["page-errors"], "a refused put stored rules"


def test_rules_test_is_a_dry_run(admin, viewer, sentry_secret):
    ok_json(admin.put(f"{ws_path()}/rules", json={"rules": [RULE]}))
    marker = tag()
    raw = sentry_body(marker)
    body = raw.decode()
    # the workspace's Sentry integration has a secret: a dry run checks the signature too
    headers = {k: v for k, v in sentry_headers(raw, sentry_secret).items() if k != "Content-Type"}
    out = ok_json(admin.post(f"{ws_path()}/rules/test", json={"source": "sentry", "body": body, "headers": headers}))
    assert out["stored"] is False and out["source"] == "sentry"
    alert = out["alerts"][0]
    assert alert["route"]["matched"] == ["page-errors"] and alert["route"]["mention"] == ["@oncall"]
    assert isinstance(alert["trace"], dict)
    # candidate rules instead of the stored ones
    other = {**RULE, "id": "only-debug", "when": {"field": "severity", "op": "eq", "value": "debug"}}
    out = ok_json(admin.post(f"{ws_path()}/rules/test", json={"source": "sentry", "body": body, "headers": headers, "rules": [other]}))
    assert out["alerts"][0]["route"]["matched"] == []
    assert ok_json(viewer.get(f"{ws_path()}/groups", params={"q": marker}))["groups"] == [], "a dry run stored a group"
    error_of(admin.post(f"{ws_path()}/rules/test", json={"source": "sentry", "body": body, "headers": headers, "rules": [BAD]}), 400, "invalid_input", "rules[0].when.op")


def test_replay_reports_per_rule_and_channel(admin, owner, sentry_secret):
    from helpers import new_sentry_group

    new_sentry_group(owner, sentry_secret)
    report = ok_json(admin.post(f"{ws_path()}/rules/replay", json={"rules": [{**RULE, "id": "candidate"}]}))
    assert report["events"] >= 1
    assert report["per_rule"]["candidate"]["after"] >= 1
    assert isinstance(report["changed"], list) and report["since"] < report["until"]
    error_of(admin.post(f"{ws_path()}/rules/replay", json={"rules": [BAD]}), 400, "invalid_input", "rules[0].when.op")


def test_silences(admin, viewer):
    body = {"when": {"field": "title", "op": "contains", "value": "heck"}, "ends_at": "2h", "comment": f"deploy {tag()}"}
    error_of(viewer.post(f"{ws_path()}/silences", json=body), 403, "forbidden")
    # the creator is the authenticated principal, never a name in the body
    s = ok_json(admin.post(f"{ws_path()}/silences", json={**body, "actor": "mallory"}), 201)
    assert s["active"] is True and s["comment"] == body["comment"] and s["ends_at"] > s["starts_at"]
    assert s["created_by"] == f"token:{TOKEN_NAMES['admin']}", s
    listed = {x["id"]: x for x in ok_json(viewer.get(f"{ws_path()}/silences"))["silences"]}
    assert listed[s["id"]]["active"] is True and listed[s["id"]]["created_by"] == s["created_by"]
    c, session = login(ADMIN_EMAIL)
    by_user = ok_json(c.post(f"{ws_path()}/silences", json=body, headers={"X-CSRF-Token": session["csrf_token"]}), 201)
    c.close()
    assert by_user["created_by"] == f"user:{ADMIN_EMAIL}", by_user
    admin.delete(f"{ws_path()}/silences/{by_user['id']}")
    resp = admin.delete(f"{ws_path()}/silences/{s['id']}")
    assert resp.status_code == 204 and resp.content == b""
    listed = {x["id"]: x for x in ok_json(viewer.get(f"{ws_path()}/silences"))["silences"]}
    assert listed[s["id"]]["active"] is False, "an expired silence is listed as inactive"
    error_of(admin.post(f"{ws_path()}/silences", json={"when": {}, "ends_at": "soon"}), 400, "invalid_input", "silence.ends_at")
    error_of(admin.post(f"{ws_path()}/silences", json={"ends_at": "1h"}), 400, "invalid_input", "silence.when")
    error_of(admin.delete(f"{ws_path()}/silences/sil_nope"), 404, "not_found")


def test_maintenance_windows(admin, viewer):
    body = {"weekdays": "mon-fri", "from": "22:00", "to": "06:00", "tz": "Europe/Berlin"}
    error_of(viewer.post(f"{ws_path()}/maintenance", json=body), 403, "forbidden")
    w = ok_json(admin.post(f"{ws_path()}/maintenance", json=body), 201)
    assert w["weekdays"] == ["mon", "tue", "wed", "thu", "fri"] and w["from"] == "22:00" and w["to"] == "06:00"
    assert w["tz"] == "Europe/Berlin" and w["deleted_at"] is None and isinstance(w["active"], bool)
    assert w["id"] in [x["id"] for x in ok_json(viewer.get(f"{ws_path()}/maintenance"))["maintenance"]]
    resp = admin.delete(f"{ws_path()}/maintenance/{w['id']}")
    assert resp.status_code == 204 and resp.content == b""
    live = [x for x in ok_json(viewer.get(f"{ws_path()}/maintenance"))["maintenance"] if x["id"] == w["id"] and x["deleted_at"] is None]
    assert live == []
    error_of(admin.post(f"{ws_path()}/maintenance", json={**body, "tz": "Mars/Olympus"}), 400, "invalid_input", "tz")
    error_of(admin.post(f"{ws_path()}/maintenance", json={**body, "from": "25:00"}), 400, "invalid_input")
    error_of(admin.delete(f"{ws_path()}/maintenance/mw_nope"), 404, "not_found")


def test_escalations(admin, viewer):
    name = f"oncall-{tag()}"
    hook = f"esc-{tag()}"
    ok_json(admin.put(f"{ws_path()}/channels/{hook}", json={"kind": "webhook", "config": {"url": "http://127.0.0.1:9/never"}}))
    policy = {"steps": [{"after_mins": 0, "notify": [hook], "mention": ["@primary"]}, {"after_mins": 15, "notify": [hook], "mention": ["@secondary"]}], "repeat": 1}
    error_of(viewer.put(f"{ws_path()}/escalations/{name}", json=policy), 403, "forbidden")
    out = ok_json(admin.put(f"{ws_path()}/escalations/{name}", json=policy))
    assert out["ok"] is True and out["name"] == name
    assert [s["after_mins"] for s in out["policy"]["steps"]] == [0, 15] and out["policy"]["repeat"] == 1
    policies = ok_json(viewer.get(f"{ws_path()}/escalations"))["policies"]
    assert policies[name]["steps"][1]["mention"] == ["@secondary"]
    error_of(admin.put(f"{ws_path()}/escalations/{name}", json={"steps": [{"after_mins": 15, "notify": [hook]}, {"after_mins": 5, "notify": [hook]}]}), 400, "invalid_input")
    error_of(admin.put(f"{ws_path()}/escalations/{name}", json={"steps": [], "bogus": 1}), 400, "invalid_input", "policy.bogus")
    resp = admin.delete(f"{ws_path()}/escalations/{name}")
    assert resp.status_code == 204 and resp.content == b""
    assert name not in ok_json(viewer.get(f"{ws_path()}/escalations"))["policies"]
    error_of(admin.delete(f"{ws_path()}/escalations/{name}"), 404, "not_found")
    assert admin.delete(f"{ws_path()}/channels/{hook}").status_code == 204
