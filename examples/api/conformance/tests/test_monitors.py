"""Fleet monitors: the document (put, get, redaction, path-precise errors that store nothing),
roles, workspace walls, and a real HTTP probe against a loopback server that flips between
healthy and failing: state, history, the alert of source `monitor` it opens and resolves, and the
app's view of it all (`GET …/apps`)."""

import threading

import pytest

from helpers import OTHER_WS, Recorder, error_of, ok_json, tag, ws_path

MON_SECRET = "gitea-token-conformance-0123456789"


class Target:
    """A loopback HTTP service whose health the test flips; counts what it served."""

    def __init__(self):
        self.healthy = True
        self.lock = threading.Lock()
        self.served = {"ok": 0, "failing": 0}

        def answer(_method, _path, _body):
            with self.lock:
                state = "ok" if self.healthy else "failing"
                self.served[state] += 1
            return (200, {"status": "ok"}) if state == "ok" else (503, {"status": "down"})

        self.recorder = Recorder(answer=answer)

    def __enter__(self):
        self.recorder.__enter__()
        return self

    def __exit__(self, *exc):
        self.recorder.__exit__(*exc)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.recorder.port}/healthz"

    def set(self, healthy: bool) -> None:
        with self.lock:
            self.healthy = healthy


def probe(mid: str, app: str, url: str, **over) -> dict:
    m = {
        "id": mid,
        "app": app,
        "kind": "http_probe",
        # long enough that the hosts' background loops leave the monitor to the test once checked
        "interval_secs": 3600,
        "config": {"url": url, "expect_status": 200, "max_latency_ms": 5000},
        "breach_after": 2,
        "recover_after": 1,
        "severity": "critical",
        "environment": "production",
    }
    m.update(over)
    return m


@pytest.fixture
def clean(admin):
    """The workspace's monitors are emptied after the test (other modules share the workspace)."""
    yield
    ok_json(admin.put(f"{ws_path()}/monitors", json={"apps": [], "monitors": []}))


def test_put_and_get_the_document_roles_and_walls(admin, member, viewer, owner_b, other, anon, clean):
    app = f"shop-{tag()}"
    doc = {
        "apps": [{"name": app, "health_urls": ["http://127.0.0.1:9/healthz"], "links": {"runbook": "https://runbooks.example/shop"}}],
        "monitors": [probe(f"{app}-health", app, "http://127.0.0.1:9/healthz")],
    }
    error_of(viewer.put(f"{ws_path()}/monitors", json=doc), 403, "forbidden")
    error_of(member.put(f"{ws_path()}/monitors", json=doc), 403, "forbidden")
    error_of(anon.put(f"{ws_path()}/monitors", json=doc), 401, "unauthenticated")
    stored = ok_json(admin.put(f"{ws_path()}/monitors", json=doc))
    assert [a["name"] for a in stored["apps"]] == [app], stored
    assert [m["id"] for m in stored["monitors"]] == [f"{app}-health"], stored
    m = stored["monitors"][0]
    assert m["kind"] == "http_probe" and m["app"] == app and m["config"]["url"] == "http://127.0.0.1:9/healthz"
    assert m["breach_after"] == 2 and m["recover_after"] == 1 and m["severity"] == "critical"
    # the same set from any member, on either host (one database)
    assert ok_json(viewer.get(f"{ws_path()}/monitors")) == stored
    assert ok_json(owner_b.get(f"{ws_path()}/monitors")) == stored
    # another workspace's owner sees nothing of it, and cannot write it
    for path in ("/monitors", "/monitors/status", "/apps"):
        error_of(other.get(f"{ws_path()}{path}"), 404, "not_found")
        error_of(anon.get(f"{ws_path()}{path}"), 401, "unauthenticated")
    error_of(other.put(f"{ws_path()}/monitors", json=doc), 404, "not_found")
    error_of(other.post(f"{ws_path()}/monitors/{app}-health/run"), 404, "not_found")
    assert ok_json(other.get(f"{ws_path(OTHER_WS)}/monitors")) == {"apps": [], "monitors": []}

    # the list form replaces the set too; an app named only by a monitor exists by name
    solo = f"solo-{tag()}"
    listed = ok_json(admin.put(f"{ws_path()}/monitors", json=[probe(f"{solo}-health", solo, "http://127.0.0.1:9/")]))
    assert [m["id"] for m in listed["monitors"]] == [f"{solo}-health"]
    apps = ok_json(viewer.get(f"{ws_path()}/apps"))["apps"]
    assert [a["name"] for a in apps] == [solo], apps
    assert apps[0]["alerts_query"] == f"project={solo}" and apps[0]["open_alerts"] == 0
    assert [s["id"] for s in apps[0]["monitors"]] == [f"{solo}-health"]
    states = ok_json(viewer.get(f"{ws_path()}/monitors/status"))["monitors"]
    assert [s["id"] for s in states] == [f"{solo}-health"]


def test_secrets_in_configs_are_never_answered(admin, viewer, clean):
    app = f"forge-{tag()}"
    doc = {
        "apps": [{"name": app, "repository": {"forge": "gitea", "base_url": "http://127.0.0.1:9", "owner": "acme", "repo": app, "branch": "main"}}],
        "monitors": [{
            "id": f"{app}-ci", "app": app, "kind": "git_ci", "interval_secs": 3600,
            "config": {"base_url": "http://127.0.0.1:9", "owner": "acme", "repo": app, "branch": "main", "token": MON_SECRET},
            "breach_after": 1, "recover_after": 1, "severity": "error", "environment": "production",
        }],
    }
    put = admin.put(f"{ws_path()}/monitors", json=doc)
    stored = ok_json(put)
    assert MON_SECRET not in put.text
    cfg = stored["monitors"][0]["config"]
    assert cfg.get("has_token") is True and "token" not in cfg, cfg
    got = viewer.get(f"{ws_path()}/monitors")
    assert MON_SECRET not in got.text and ok_json(got) == stored
    assert MON_SECRET not in viewer.get(f"{ws_path()}/monitors/status").text
    assert MON_SECRET not in viewer.get(f"{ws_path()}/apps").text


def test_a_bad_document_names_the_path_and_stores_nothing(admin, viewer, clean):
    app = f"keep-{tag()}"
    kept = ok_json(admin.put(f"{ws_path()}/monitors", json={"monitors": [probe(f"{app}-health", app, "http://127.0.0.1:9/")]}))
    good = probe("fine", app, "http://127.0.0.1:9/")
    cases = [
        ({"monitors": [good, probe("bad-url", app, "not a url")]}, "monitors[1].config.url"),
        ({"monitors": [good, {**probe("bad-kind", app, "http://127.0.0.1:9/"), "kind": "crystal_ball"}]}, "monitors[1].kind"),
        ([good, probe("bad-url", app, "")], "monitors[1].config.url"),  # the list form names the same paths
        ({"monitors": [good, good]}, "monitors[1].id"),
    ]
    for doc, path in cases:
        err = error_of(admin.put(f"{ws_path()}/monitors", json=doc), 400, "invalid_input")
        assert err["path"] == path, (doc, err)
    error_of(admin.put(f"{ws_path()}/monitors", json="monitors"), 400, "invalid_input")
    error_of(admin.put(f"{ws_path()}/monitors", content=b"{not json", headers={"Content-Type": "application/json"}), 400, "invalid_input", "body")
    assert ok_json(viewer.get(f"{ws_path()}/monitors")) == kept


def test_an_http_probe_breaches_opens_an_alert_and_recovers(admin, member, viewer, owner_b, clean):
    app = f"api-{tag()}"
    mid = f"{app}-health"
    with Target() as target:
        doc = {"apps": [{"name": app, "health_urls": [target.url]}], "monitors": [probe(mid, app, target.url)]}
        ok_json(admin.put(f"{ws_path()}/monitors", json=doc))
        before = ok_json(viewer.get(f"{ws_path()}/monitors/status"))["monitors"]
        assert [s["id"] for s in before] == [mid] and before[0]["kind"] == "http_probe"

        error_of(viewer.post(f"{ws_path()}/monitors/{mid}/run"), 403, "forbidden")
        error_of(member.post(f"{ws_path()}/monitors/no-such-monitor/run"), 404, "not_found")

        # healthy: an ok reading with the probe's details
        s = ok_json(member.post(f"{ws_path()}/monitors/{mid}/run"))
        assert s["id"] == mid and s["app"] == app and s["state"] == "ok" and s["breaching"] is False, s
        r = s["reading"]
        assert r["ok"] is True and r["error"] is None and isinstance(r["summary"], str) and r["summary"]
        assert r["details"]["url"] == target.url and r["details"]["status_code"] == 200
        assert isinstance(r["details"]["latency_ms"], (int, float)) and r["details"]["latency_ms"] >= 0
        assert len(s["history"]) >= 1 and s["history"][-1]["ok"] is True
        assert target.served["ok"] >= 1
        assert s["group_id"] is None

        # failing: a breach after `breach_after` (2) failed checks in a row, not before (a
        # background check of the new monitor may have counted one already)
        target.set(False)
        s = ok_json(member.post(f"{ws_path()}/monitors/{mid}/run"))
        assert s["reading"]["ok"] is False and s["state"] == "breach", s
        assert s["reading"]["details"]["status_code"] == 503
        assert s["consecutive"] >= 1 and s["breaching"] is (s["consecutive"] >= 2), s
        assert (s["group_id"] is None) is (not s["breaching"]), s
        if not s["breaching"]:
            s = ok_json(owner_b.post(f"{ws_path()}/monitors/{mid}/run"))  # the other host, same database
            assert s["consecutive"] == 2, s
        assert target.served["failing"] >= 2
        assert s["breaching"] is True and isinstance(s["group_id"], str), s
        # one more failure keeps the same alert open
        again = ok_json(owner_b.post(f"{ws_path()}/monitors/{mid}/run"))
        assert again["breaching"] is True and again["group_id"] == s["group_id"], again
        gid = s["group_id"]
        g = ok_json(viewer.get(f"{ws_path()}/groups/{gid}"))
        assert g["source"] == "monitor" and g["project"] == app and g["status"] == "open", g
        assert g["severity"] == "critical" and g["environment"] == "production"
        listed = ok_json(viewer.get(f"{ws_path()}/groups", params={"project": app, "status": "open"}))["groups"]
        assert [x["id"] for x in listed] == [gid]

        apps = {a["name"]: a for a in ok_json(viewer.get(f"{ws_path()}/apps"))["apps"]}
        a = apps[app]
        assert a["state"] == "breach" and a["open_alerts"] == 1 and a["alerts_query"] == f"project={app}", a
        assert a["health_urls"] == [target.url]
        assert [m["id"] for m in a["monitors"]] == [mid] and a["monitors"][0]["breaching"] is True

        # healthy again: resolved after `recover_after` (1) good check
        target.set(True)
        s = ok_json(member.post(f"{ws_path()}/monitors/{mid}/run"))
        assert s["state"] == "ok" and s["breaching"] is False, s
        assert ok_json(viewer.get(f"{ws_path()}/groups/{gid}"))["status"] == "resolved"
        oks = [h["ok"] for h in s["history"]]
        assert oks[-1] is True and False in oks, s["history"]
        a = {x["name"]: x for x in ok_json(viewer.get(f"{ws_path()}/apps"))["apps"]}[app]
        assert a["state"] == "ok" and a["open_alerts"] == 0, a


def test_an_unreachable_target_is_a_reading_not_an_error(admin, member, clean):
    app = f"gone-{tag()}"
    # port 9 (discard) has no listener on loopback: the connection is refused at once
    ok_json(admin.put(f"{ws_path()}/monitors", json=[probe(f"{app}-health", app, "http://127.0.0.1:9/healthz", breach_after=1)]))
    s = ok_json(member.post(f"{ws_path()}/monitors/{app}-health/run"))
    assert s["state"] in ("error", "breach") and s["reading"]["ok"] is False, s
    assert isinstance(s["reading"]["error"], str) and s["reading"]["error"], s
