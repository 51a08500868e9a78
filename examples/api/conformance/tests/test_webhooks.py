"""Webhooks: ingest keys (query, bearer, rotation), signatures, health counts, 413, 429, the test ingest."""

import json

from helpers import (
    OWNER_EMAIL,
    URL_A,
    WS,
    alertmanager_body,
    client,
    error_of,
    login,
    new_sentry_group,
    ok_json,
    sentry_body,
    sentry_headers,
    tag,
    ws_path,
)

JSON = {"Content-Type": "application/json"}


def integration(c, source):
    items = {i["source"]: i for i in ok_json(c.get(f"{ws_path()}/integrations"))["integrations"]}
    return items[source]


def groups_with(c, marker):
    return ok_json(c.get(f"{ws_path()}/groups", params={"q": marker}))["groups"]


def all_group_ids(c):
    return {g["id"] for g in ok_json(c.get(f"{ws_path()}/groups", params={"limit": 1000}))["groups"]}


def am_post(c, marker, key=None, bearer=None):
    headers = dict(JSON)
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    params = {"key": key} if key else None
    return c.post(f"/webhooks/{WS}/alertmanager", content=alertmanager_body(marker), headers=headers, params=params)


def test_a_webhook_without_a_key_is_401_and_stores_nothing(anon, viewer, am_key):
    before = integration(viewer, "alertmanager")["health"]
    groups_before = all_group_ids(viewer)
    marker = tag()
    error_of(am_post(anon, marker), 401, "unauthenticated")
    error_of(am_post(anon, marker, key="sck_wrong"), 401, "unauthenticated")
    error_of(am_post(anon, marker, bearer="sck_wrong"), 401, "unauthenticated")
    assert all_group_ids(viewer) == groups_before
    after = integration(viewer, "alertmanager")["health"]
    rejected = lambda h, reason: h["rejected_24h"].get(reason, 0)
    assert rejected(after, "missing_key") - rejected(before, "missing_key") == 1, after
    assert rejected(after, "invalid_key") - rejected(before, "invalid_key") == 2, after
    assert after["accepted_24h"] == before["accepted_24h"]
    assert after["last_error"]["kind"] == "unauthenticated"


def test_a_key_in_the_query_or_as_bearer_is_accepted(anon, viewer, am_key):
    before = integration(viewer, "alertmanager")["health"]["accepted_24h"]
    for how in ("query", "bearer"):
        marker = tag()
        resp = am_post(anon, marker, key=am_key) if how == "query" else am_post(anon, marker, bearer=am_key)
        out = ok_json(resp, 202)
        assert out["outcome"] == "accepted" and out["source"] == "alertmanager", out
        assert out["alerts"][0]["decision"] == "new_group" and out["alerts"][0]["group_id"]
        g = ok_json(viewer.get(f"{ws_path()}/groups/{out['alerts'][0]['group_id']}"))
        assert marker in json.dumps(g), g
    after = integration(viewer, "alertmanager")
    assert after["health"]["accepted_24h"] - before == 2
    assert after["health"]["last_delivery_at"] is not None
    assert after["webhook_url"].endswith(f"/webhooks/{WS}/alertmanager")
    assert after["webhook_url"].startswith("http")


def test_keys_rotate_and_revoke(admin, anon, viewer):
    first = ok_json(admin.post(f"{ws_path()}/integrations/alertmanager/keys"), 201)
    second = ok_json(admin.post(f"{ws_path()}/integrations/alertmanager/keys"), 201)
    assert first["key"] != second["key"] and first["id"] != second["id"]
    keys = {k["id"]: k for k in integration(viewer, "alertmanager")["keys"]}
    assert first["id"] in keys and second["id"] in keys
    assert first["key"].startswith(keys[first["id"]]["prefix"]) and len(keys[first["id"]]["prefix"]) < len(first["key"])
    listing = admin.get(f"{ws_path()}/integrations").text
    assert first["key"] not in listing and second["key"] not in listing
    ok_json(am_post(anon, tag(), key=first["key"]), 202)
    ok_json(am_post(anon, tag(), key=second["key"]), 202)
    resp = admin.delete(f"{ws_path()}/integrations/alertmanager/keys/{first['id']}")
    assert resp.status_code == 204 and resp.content == b""
    error_of(am_post(anon, tag(), key=first["key"]), 401, "unauthenticated")
    ok_json(am_post(anon, tag(), key=second["key"]), 202)
    assert first["id"] not in {k["id"] for k in integration(viewer, "alertmanager")["keys"]}
    error_of(admin.delete(f"{ws_path()}/integrations/alertmanager/keys/{first['id']}"), 404, "not_found")
    error_of(viewer.post(f"{ws_path()}/integrations/alertmanager/keys"), 403, "forbidden")


def test_sentry_signatures(anon, viewer, sentry_secret):
    before = integration(viewer, "sentry")
    assert before["has_secret"] is True and before["configured"] is True
    gid = new_sentry_group(anon, sentry_secret)
    assert ok_json(viewer.get(f"{ws_path()}/groups/{gid}"))["source"] == "sentry"
    marker = tag()
    body = sentry_body(marker)
    error_of(anon.post(f"/webhooks/{WS}/sentry", content=body, headers=sentry_headers(body, "not-the-secret")), 401, "signature")
    tampered = body.replace(marker.encode(), b"tampered!!")
    error_of(anon.post(f"/webhooks/{WS}/sentry", content=tampered, headers=sentry_headers(body, sentry_secret)), 401, "signature")
    assert groups_with(viewer, marker) == [] and groups_with(viewer, "tampered!!") == []
    after = integration(viewer, "sentry")["health"]
    assert after["accepted_24h"] - before["health"]["accepted_24h"] == 1
    assert after["rejected_24h"].get("signature", 0) - before["health"]["rejected_24h"].get("signature", 0) == 2
    assert after["last_error"]["kind"] == "signature"


def test_auto_detects_the_source(anon, sentry_secret):
    body = sentry_body(tag())
    out = ok_json(anon.post(f"/webhooks/{WS}/auto", content=body, headers=sentry_headers(body, sentry_secret)), 202)
    assert out["source"] == "sentry" and out["outcome"] == "accepted"


def test_unknown_source_and_workspace(anon, am_key):
    error_of(anon.post(f"/webhooks/{WS}/carrier-pigeon", content=b"{}", headers=JSON), 400, "invalid_input")
    error_of(anon.post("/webhooks/no-such-workspace/alertmanager", content=alertmanager_body(tag()), headers=JSON, params={"key": am_key}), 404, "not_found")


def test_a_body_over_the_limit_is_413(anon, viewer, am_key):
    before = integration(viewer, "alertmanager")["health"]["accepted_24h"]
    big = b'{"version":"4","pad":"' + b"x" * (5 * 1024 * 1024 + 1024) + b'"}'
    error_of(anon.post(f"/webhooks/{WS}/alertmanager", content=big, headers=JSON, params={"key": am_key}), 413, "too_large")
    assert integration(viewer, "alertmanager")["health"]["accepted_24h"] == before


def test_over_the_rate_limit_is_429_with_retry_after():
    # its own workspace, so the low limit troubles no other test
    c, session = login(OWNER_EMAIL)
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    name = f"limited-{tag()}"
    ok_json(c.post("/api/workspaces", json={"name": name}, headers=csrf), 201)
    key = ok_json(c.post(f"{ws_path(name)}/integrations/alertmanager/keys", headers=csrf), 201)["key"]
    settings = ok_json(c.patch(f"{ws_path(name)}/settings", json={"ingest_rate_limit": {"per_min": 1, "burst": 1}}, headers=csrf))
    assert settings["ingest_rate_limit"] == {"per_min": 1, "burst": 1}
    with client(URL_A) as anon:
        first = anon.post(f"/webhooks/{name}/alertmanager", content=alertmanager_body(tag()), headers=JSON, params={"key": key})
        ok_json(first, 202)
        marker = tag()
        resp = anon.post(f"/webhooks/{name}/alertmanager", content=alertmanager_body(marker), headers=JSON, params={"key": key})
        error_of(resp, 429, "rate_limited")
        retry = resp.headers.get("retry-after")
        assert retry is not None and retry.isdigit() and 1 <= int(retry) <= 120, resp.headers
    assert len(ok_json(c.get(f"{ws_path(name)}/groups"))["groups"]) == 1, "a rate-limited delivery was stored"
    health = {i["source"]: i for i in ok_json(c.get(f"{ws_path(name)}/integrations"))["integrations"]}["alertmanager"]["health"]
    assert health["rejected_24h"].get("rate_limited") == 1 and health["accepted_24h"] == 1
    c.close()


def test_integration_test_ingests_the_sample_through_the_real_path(admin, viewer, sentry_secret):
    out = ok_json(admin.post(f"{ws_path()}/integrations/alertmanager/test"), 202)
    assert out["source"] == "alertmanager" and out["outcome"] == "accepted" and out["alerts"], out
    gid = out["alerts"][0]["group_id"]
    assert ok_json(viewer.get(f"{ws_path()}/groups/{gid}"))["source"] == "alertmanager"
    # a second test is a fresh delivery (new ids), not a duplicate
    again = ok_json(admin.post(f"{ws_path()}/integrations/alertmanager/test"), 202)
    assert again["outcome"] == "accepted", again
    # signed with the integration's secret by the engine: accepted although Sentry has one
    out = ok_json(admin.post(f"{ws_path()}/integrations/sentry/test"), 202)
    assert out["source"] == "sentry" and out["outcome"] == "accepted", out
    assert ok_json(viewer.get(f"{ws_path()}/groups/{out['alerts'][0]['group_id']}"))["source"] == "sentry"
    error_of(viewer.post(f"{ws_path()}/integrations/sentry/test"), 403, "forbidden")


def test_integrations_list_every_source(viewer):
    items = ok_json(viewer.get(f"{ws_path()}/integrations"))["integrations"]
    assert {i["source"] for i in items} >= {"sentry", "alertmanager", "grafana", "datadog", "pagerduty", "opsgenie", "generic"}
    for i in items:
        assert set(i["health"]) >= {"last_delivery_at", "accepted_24h", "rejected_24h", "last_error"}
        assert i["webhook_url"].endswith(f"/webhooks/{WS}/{i['source']}")


def test_put_integration_needs_admin_and_checks_input(admin, viewer):
    error_of(viewer.put(f"{ws_path()}/integrations/grafana", json={"max_skew_secs": 300}), 403, "forbidden")
    out = ok_json(admin.put(f"{ws_path()}/integrations/grafana", json={"max_skew_secs": 300}))
    assert out["source"] == "grafana" and out["max_skew_secs"] == 300 and out["has_secret"] is False
    assert integration(viewer, "grafana")["max_skew_secs"] == 300
    error_of(admin.put(f"{ws_path()}/integrations/grafana", json={"bogus": True}), 400, "invalid_input")
    error_of(admin.put(f"{ws_path()}/integrations/carrier-pigeon", json={}), 400, "invalid_input")
