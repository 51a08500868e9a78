"""Authentication: credentials required, login, logout, /api/me, CSRF on unsafe cookie requests."""

from helpers import (
    ADMIN_EMAIL,
    OWNER_EMAIL,
    PASSWORD,
    TOKEN_NAMES,
    TOKENS,
    URL_A,
    VIEWER_EMAIL,
    WS,
    client,
    error_of,
    login,
    ok_json,
    ws_path,
)

PROTECTED = [
    ("GET", "/api/me"),
    ("GET", "/api/workspaces"),
    ("POST", "/api/workspaces"),
    ("GET", f"{ws_path()}/groups"),
    ("GET", f"{ws_path()}/settings"),
    ("POST", f"{ws_path()}/groups/actions"),
    ("GET", f"{ws_path()}/rules"),
    ("GET", f"{ws_path()}/integrations"),
    ("GET", f"{ws_path()}/stats"),
    ("GET", f"{ws_path()}/stream"),
    ("DELETE", "/api/session"),
]


def test_every_api_route_needs_a_credential(anon):
    for method, path in PROTECTED:
        resp = anon.request(method, path, json={} if method != "GET" else None)
        error_of(resp, 401, "unauthenticated")


def test_a_bad_bearer_token_or_cookie_is_401():
    with client(URL_A, "sct_not-a-real-token") as c:
        error_of(c.get("/api/me"), 401, "unauthenticated")
    with client(URL_A) as c:
        c.cookies.set("sc_session", "not-a-real-session")
        error_of(c.get("/api/me"), 401, "unauthenticated")
    # an unknown workspace is still 401 without a credential: nothing is learnt
    with client(URL_A) as c:
        error_of(c.get("/api/workspaces/no-such-workspace/groups"), 401, "unauthenticated")


def test_login_with_bad_credentials_is_401_and_says_the_same_for_an_unknown_email(anon):
    wrong = error_of(anon.post("/api/session", json={"email": ADMIN_EMAIL, "password": "wrong " + PASSWORD}), 401, "unauthenticated")
    unknown = error_of(anon.post("/api/session", json={"email": "nobody@conf.example", "password": PASSWORD}), 401, "unauthenticated")
    assert wrong["message"] == unknown["message"]
    assert "set-cookie" not in anon.post("/api/session", json={"email": "nobody@conf.example", "password": "x"}).headers


def test_login_without_fields_is_400(anon):
    error_of(anon.post("/api/session", json={"email": OWNER_EMAIL}), 400, "invalid_input")
    error_of(anon.post("/api/session", content=b"not json", headers={"Content-Type": "application/json"}), 400, "invalid_input")


def test_login_sets_a_strict_http_only_cookie_and_me_answers_the_principal():
    c = client(URL_A)
    resp = c.post("/api/session", json={"email": OWNER_EMAIL, "password": PASSWORD})
    body = ok_json(resp)
    assert set(body) >= {"user", "csrf_token", "expires_at"}
    assert "token" not in body, "the session token belongs in the cookie only"
    assert body["user"]["email"] == OWNER_EMAIL and body["user"]["name"] == "Olive Owner"
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith("sc_session="), cookie
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=strict" in lowered and "path=/" in lowered, cookie

    me = ok_json(c.get("/api/me"))
    assert me["kind"] == "session"
    assert me["actor"] == f"user:{OWNER_EMAIL}"
    assert me["user"]["email"] == OWNER_EMAIL
    assert me["token"] is None
    assert me["csrf_token"] == body["csrf_token"]
    roles = {m["workspace"]: m["role"] for m in me["memberships"]}
    assert roles.get(WS) == "owner", me
    c.close()


def test_me_with_an_api_token():
    with client(URL_A, TOKENS["viewer"]) as c:
        me = ok_json(c.get("/api/me"))
    assert me["kind"] == "token"
    assert me["actor"] == f"token:{TOKEN_NAMES['viewer']}"
    assert me["user"] is None and me["csrf_token"] is None
    assert me["token"]["role"] == "viewer" and me["token"]["name"] == TOKEN_NAMES["viewer"]


def test_unsafe_cookie_requests_need_the_csrf_token():
    c, session = login(VIEWER_EMAIL)
    note = {"when": {"field": "severity", "op": "eq", "value": "debug"}, "ends_at": "1h"}
    # without, and with a wrong token: refused before anything happens
    error_of(c.post("/api/workspaces", json={"name": "csrf-never"}), 403, "forbidden")
    error_of(c.post("/api/workspaces", json={"name": "csrf-never"}, headers={"X-CSRF-Token": "wrong"}), 403, "forbidden")
    error_of(c.delete("/api/session"), 403, "forbidden")
    # reads need none
    ok_json(c.get(f"{ws_path()}/silences"))
    # with the right token the request reaches authorization: a viewer may not add silences
    error_of(c.post(f"{ws_path()}/silences", json=note, headers={"X-CSRF-Token": session["csrf_token"]}), 403, "forbidden")
    # the workspace was never made
    names = [w["name"] for w in ok_json(c.get("/api/workspaces"))["workspaces"]]
    assert "csrf-never" not in names
    c.close()


def test_csrf_token_lets_an_owner_session_write():
    c, session = login(OWNER_EMAIL)
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    note = {"when": {"field": "severity", "op": "eq", "value": "debug"}, "ends_at": "1h", "comment": "csrf ok"}
    created = ok_json(c.post(f"{ws_path()}/silences", json=note, headers=csrf), 201)
    assert created["comment"] == "csrf ok" and created["active"] is True
    assert c.delete(f"{ws_path()}/silences/{created['id']}", headers=csrf).status_code == 204
    c.close()


def test_bearer_requests_need_no_csrf_token(admin):
    note = {"when": {"field": "severity", "op": "eq", "value": "debug"}, "ends_at": "30m"}
    created = ok_json(admin.post(f"{ws_path()}/silences", json=note), 201)
    assert admin.delete(f"{ws_path()}/silences/{created['id']}").status_code == 204


def test_logout_revokes_the_session_and_clears_the_cookie():
    c, session = login(OWNER_EMAIL)
    old = c.cookies.get("sc_session")
    resp = c.delete("/api/session", headers={"X-CSRF-Token": session["csrf_token"]})
    assert resp.status_code == 204, resp.text
    assert resp.content == b""
    cleared = resp.headers.get("set-cookie", "")
    assert cleared.startswith("sc_session="), cleared
    assert "max-age=0" in cleared.lower() or "expires=thu, 01 jan 1970" in cleared.lower(), cleared
    with client(URL_A) as again:
        again.cookies.set("sc_session", old)
        error_of(again.get("/api/me"), 401, "unauthenticated")
    c.close()
