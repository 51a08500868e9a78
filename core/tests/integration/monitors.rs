//! Fleet monitors end to end: the HTTP probe against real servers on 127.0.0.1, breaches that
//! become alerts of source `monitor` (and recoveries that resolve them), flapping, bounded
//! concurrency, validation, secrets, the background loop.

use crate::common::StoreUnderTest;
use crate::common::{Db, Harness};
use crate::http::{Reply, TestServer};
use chrono::TimeDelta;
use serde_json::{Value, json};
use signalcraft_core::{
    ErrorKind, GroupQuery, GroupStatus, Headers, MonitorState, Severity, Source,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A server whose `/healthz` answers 200 while `healthy` is set, else 503.
fn flipping() -> (TestServer, Arc<AtomicBool>) {
    let healthy = Arc::new(AtomicBool::new(true));
    let flag = healthy.clone();
    let server = TestServer::start(move |_, _| {
        if flag.load(Ordering::SeqCst) {
            Reply::json(200, json!({"status": "ok"}))
        } else {
            Reply::json(503, json!({"status": "down"}))
        }
    });
    (server, healthy)
}

fn probe(id: &str, url: &str, breach_after: u32, recover_after: u32) -> Value {
    json!({"id": id, "app": "api", "kind": "http_probe", "interval_secs": 30,
           "config": {"url": url, "expect_status": 200, "max_latency_ms": 2000},
           "breach_after": breach_after, "recover_after": recover_after,
           "severity": "critical", "environment": "production"})
}

fn monitor_groups(h: &Harness) -> Vec<signalcraft_core::AlertGroup> {
    let page = h.engine.groups(h.ws(), &GroupQuery::default()).unwrap();
    page.groups
        .into_iter()
        .filter(|g| g.source == Source::Monitor)
        .collect()
}

fn run(h: &Harness, id: &str) -> MonitorState {
    let s = h.engine.run_monitor(h.ws(), id).unwrap();
    h.advance(TimeDelta::seconds(30));
    s
}

#[test]
fn a_breach_opens_exactly_one_alert_and_the_recovery_resolves_it() {
    let h = Harness::on_disk();
    let (server, healthy) = flipping();
    h.engine
        .put_monitors(
            h.ws(),
            &json!([probe("api-health", &server.url("/healthz"), 3, 2)]),
        )
        .unwrap();
    let s = h.engine.monitor_status(h.ws()).unwrap();
    assert_eq!(
        (s[0].state.as_str(), s[0].reading.is_none()),
        ("pending", true)
    );

    let ok = run(&h, "api-health");
    assert_eq!((ok.state.as_str(), ok.breaching), ("ok", false));
    let reading = ok.reading.unwrap();
    assert_eq!(reading.details["status_code"], 200);
    assert!(reading.value.unwrap() >= 0.0);

    healthy.store(false, Ordering::SeqCst);
    for n in 1..=2 {
        let s = run(&h, "api-health");
        assert_eq!(
            (s.state.as_str(), s.breaching, s.consecutive),
            ("breach", false, n)
        );
        assert!(
            monitor_groups(&h).is_empty(),
            "no alert before breach_after"
        );
    }
    let open = run(&h, "api-health");
    assert!(open.breaching);
    let groups = monitor_groups(&h);
    assert_eq!(groups.len(), 1);
    let g = &groups[0];
    assert_eq!(open.group_id.as_deref(), Some(g.id.as_str()));
    assert_eq!(g.project.as_deref(), Some("api"));
    assert_eq!(g.environment.as_deref(), Some("production"));
    assert_eq!(g.severity, Severity::Critical);
    assert!(
        g.fingerprint.starts_with("monitor:api-health:"),
        "{}",
        g.fingerprint
    );
    assert!(g.title.contains("HTTP 503 (expected 200)"), "{}", g.title);
    assert_eq!(
        g.tags.get("monitor").map(String::as_str),
        Some("api-health")
    );
    // the inbox filters on the monitor source like any other
    let q: GroupQuery =
        serde_json::from_value(json!({"source": "monitor", "project": "api"})).unwrap();
    assert_eq!(h.engine.groups(h.ws(), &q).unwrap().groups.len(), 1);

    // the breach goes on: no new alert, no new event
    for _ in 0..3 {
        assert!(run(&h, "api-health").breaching);
    }
    let groups = monitor_groups(&h);
    assert_eq!((groups.len(), groups[0].count), (1, 1));

    healthy.store(true, Ordering::SeqCst);
    let one = run(&h, "api-health");
    assert_eq!((one.state.as_str(), one.breaching), ("ok", true));
    assert_eq!(monitor_groups(&h)[0].status, GroupStatus::Open);
    let two = run(&h, "api-health");
    assert_eq!((two.breaching, two.group_id.as_deref()), (false, None));
    let groups = monitor_groups(&h);
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].status, GroupStatus::Resolved);
    let detail = h.engine.group(h.ws(), groups[0].id.as_str()).unwrap();
    assert_eq!(detail.events.len(), 2, "one firing event, one resolve");
    let oks: Vec<bool> = two.history.iter().map(|p| p.ok).collect();
    assert_eq!(
        oks,
        [true, false, false, false, false, false, false, true, true]
    );
}

#[test]
fn a_target_flapping_every_check_opens_nothing() {
    let h = Harness::on_disk();
    let (server, healthy) = flipping();
    h.engine
        .put_monitors(
            h.ws(),
            &json!([probe("flappy", &server.url("/healthz"), 2, 2)]),
        )
        .unwrap();
    for i in 0..12 {
        healthy.store(i % 2 == 1, Ordering::SeqCst);
        let s = run(&h, "flappy");
        assert!(!s.breaching);
        assert_eq!(s.state, if i % 2 == 1 { "ok" } else { "breach" });
    }
    assert!(monitor_groups(&h).is_empty());
    assert_eq!(server.requests().len(), 12);
}

#[test]
fn an_unreachable_target_is_a_failure_and_breaches() {
    let h = Harness::on_disk();
    // a port nothing listens on: bind, take the port, close
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/healthz?token=q-s3cret");
    h.engine
        .put_monitors(h.ws(), &json!([probe("gone", &url, 1, 1)]))
        .unwrap();
    let s = run(&h, "gone");
    assert_eq!((s.state.as_str(), s.breaching), ("breach", true));
    let shown = serde_json::to_string(&s.reading).unwrap();
    assert!(s.reading.unwrap().error.is_some());
    assert!(
        !shown.contains("q-s3cret"),
        "the query is never shown: {shown}"
    );
    let groups = monitor_groups(&h);
    assert_eq!(groups.len(), 1);
    assert!(!serde_json::to_string(&groups).unwrap().contains("q-s3cret"));
}

#[test]
fn two_hundred_monitors_with_ten_slow_finish_in_about_the_slow_time() {
    let h = Harness::on_disk();
    let slow = Duration::from_secs(5);
    let server = TestServer::start(move |r, _| {
        if r.path.starts_with("/slow") {
            Reply::status(200).after(slow)
        } else {
            Reply::status(200)
        }
    });
    let monitors: Vec<Value> = (0..200)
        .map(|i| {
            let path = if i % 20 == 0 {
                format!("/slow/{i}")
            } else {
                format!("/ok/{i}")
            };
            json!({"id": format!("m{i:03}"), "app": format!("app{}", i % 7), "kind": "http_probe",
                   "interval_secs": 60, "config": {"url": server.url(&path), "timeout_ms": 8000}})
        })
        .collect();
    h.engine
        .put_monitors(h.ws(), &Value::Array(monitors))
        .unwrap();
    let started = Instant::now();
    let states = h.engine.run_monitors(h.ws(), true).unwrap();
    let took = started.elapsed();
    assert_eq!(states.len(), 200);
    assert!(
        states.iter().all(|s| s.state == "ok"),
        "{:?}",
        states.iter().find(|s| s.state != "ok")
    );
    let slow_ones: Vec<&MonitorState> = states
        .iter()
        .filter(|s| {
            s.reading.as_ref().unwrap().details["url"]
                .as_str()
                .unwrap()
                .contains("/slow/")
        })
        .collect();
    assert_eq!(slow_ones.len(), 10);
    assert!(
        slow_ones
            .iter()
            .all(|s| s.reading.as_ref().unwrap().value.unwrap() >= 4_900.0)
    );
    // serially the slow ones alone would take 50 s; concurrently about one slow answer
    eprintln!("200 monitors took {took:?}");
    assert!(took < slow * 3, "200 monitors took {took:?}");
    assert_eq!(server.requests().len(), 200);
    // nothing is due again until the interval has passed
    let again = h.engine.run_monitors(h.ws(), false).unwrap();
    assert_eq!(again.len(), 200);
    assert_eq!(server.requests().len(), 200);
}

#[test]
fn a_slow_target_hits_its_own_timeout_without_delaying_the_others() {
    let h = Harness::on_disk();
    let server = TestServer::start(|r, _| {
        if r.path == "/slow" {
            Reply::status(200).after(Duration::from_secs(4))
        } else {
            Reply::status(200)
        }
    });
    let doc = json!([
        {"id": "slow", "app": "a", "kind": "http_probe", "config": {"url": server.url("/slow"), "timeout_ms": 500}, "breach_after": 1},
        {"id": "fast", "app": "a", "kind": "http_probe", "config": {"url": server.url("/fast")}},
    ]);
    h.engine.put_monitors(h.ws(), &doc).unwrap();
    let started = Instant::now();
    let states = h.engine.run_monitors(h.ws(), true).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let slow = states.iter().find(|s| s.id == "slow").unwrap();
    let error = slow.reading.as_ref().unwrap().error.clone().unwrap();
    assert!(error.contains("timed out"), "{error}");
    assert_eq!((slow.state.as_str(), slow.breaching), ("breach", true));
    assert_eq!(states.iter().find(|s| s.id == "fast").unwrap().state, "ok");
}

#[test]
fn due_monitors_follow_the_engine_clock() {
    let h = Harness::on_disk();
    let (server, _) = flipping();
    let mut a = probe("a", &server.url("/healthz"), 1, 1);
    a["interval_secs"] = json!(60);
    let mut b = probe("b", &server.url("/healthz"), 1, 1);
    b["interval_secs"] = json!(600);
    h.engine.put_monitors(h.ws(), &json!([a, b])).unwrap();
    h.engine.run_monitors(h.ws(), false).unwrap();
    assert_eq!(server.requests().len(), 2, "new monitors are due at once");
    h.advance(TimeDelta::seconds(59));
    h.engine.run_monitors(h.ws(), false).unwrap();
    assert_eq!(server.requests().len(), 2);
    h.advance(TimeDelta::seconds(1));
    let states = h.engine.run_monitors(h.ws(), false).unwrap();
    assert_eq!(server.requests().len(), 3, "only a was due");
    let a = states.iter().find(|s| s.id == "a").unwrap();
    assert_eq!(a.next_due_at, h.engine.now() + TimeDelta::seconds(60));
    assert_eq!(a.reading.as_ref().unwrap().at, h.engine.now());
    h.engine.run_monitors(h.ws(), true).unwrap();
    assert_eq!(server.requests().len(), 5, "once runs every monitor");
}

#[test]
fn validation_errors_name_the_path_and_store_nothing() {
    let h = Harness::on_disk();
    let good = probe("ok", "http://127.0.0.1:9/healthz", 1, 1);
    h.engine
        .put_monitors(h.ws(), &json!([good.clone()]))
        .unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!([good.clone(), {"id": "x", "app": "a", "kind": "ping", "config": {}}]),
            "monitors[1].kind",
        ),
        (
            json!({"monitors": [{"id": "x", "app": "a", "kind": "http_probe", "interval_secs": 1, "config": {"url": "http://127.0.0.1/"}}]}),
            "monitors[0].interval_secs",
        ),
        (
            json!({"monitors": [{"id": "x", "app": "a", "kind": "http_probe", "interval_secs": 86_401, "config": {"url": "http://127.0.0.1/"}}]}),
            "monitors[0].interval_secs",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "breach_after": 0, "config": {"url": "http://127.0.0.1/"}}]),
            "monitors[0].breach_after",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "recover_after": 101, "config": {"url": "http://127.0.0.1/"}}]),
            "monitors[0].recover_after",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "severity": "urgent", "config": {"url": "http://127.0.0.1/"}}]),
            "monitors[0].severity",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "config": {}}]),
            "monitors[0].config.url",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "config": {"url": "http://u:p@127.0.0.1/"}}]),
            "monitors[0].config.url",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "config": {"url": "http://127.0.0.1/", "body_regex": "("}}]),
            "monitors[0].config.body_regex",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "config": {"url": "http://127.0.0.1/", "headers": {"Authorization": "Bearer x"}}}]),
            "monitors[0].config.headers.Authorization",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "config": {"url": "http://127.0.0.1/"}, "thresholds": {"max_latency_ms": -1}}]),
            "monitors[0].thresholds.max_latency_ms",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "registry_freshness", "config": {"registry_url": "http://127.0.0.1:5000"}, "thresholds": {"max_age_days": 0}}]),
            "monitors[0].thresholds.max_age_days",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "k8s_workloads", "config": {"namespace": "prod"}}]),
            "monitors[0].config.server",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "usage_quota", "config": {"provider": "acme"}}]),
            "monitors[0].config.provider",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "cloud_cost", "config": {"provider": "hetzner"}}]),
            "monitors[0].thresholds.budget",
        ),
        (
            json!([{"id": "x", "app": "a", "kind": "http_probe", "config": {"url": "http://127.0.0.1/", "has_token": true}}]),
            "monitors[0].config.has_token",
        ),
        (
            json!({"apps": [{"name": "a", "repository": {"forge": "github", "base_url": "http://127.0.0.1", "owner": "o", "repo": "r"}}], "monitors": []}),
            "apps[0].repository.forge",
        ),
        (json!({"monitors": [], "extra": 1}), "extra"),
        (
            json!([{"id": "x", "app": "a", "kind": "git_ci", "config": {"owner": "o", "repo": "r"}}]),
            "monitors[0].config.base_url",
        ),
        (
            json!({"apps": [{"name": "a", "workload": {"namespace": "prod", "deployment": "api"}}],
                "monitors": [{"id": "x", "app": "a", "kind": "registry_freshness", "config": {"registry_url": "http://127.0.0.1:5000"}}]}),
            "monitors[0].config.repository",
        ),
        (json!("monitors"), "$"),
    ];
    for (doc, path) in cases {
        let e = h.engine.put_monitors(h.ws(), &doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{doc}");
        assert_eq!(e.path(), Some(path), "{doc}: {e}");
    }
    // what an app describes completes its monitors' configs
    let completed = json!({
        "apps": [{"name": "api", "health_urls": ["http://127.0.0.1:9/healthz"],
                  "repository": {"base_url": "http://127.0.0.1:3000", "owner": "team", "repo": "api"}}],
        "monitors": [{"id": "h", "app": "api", "kind": "http_probe", "config": {}},
                     {"id": "ci", "app": "api", "kind": "git_ci", "config": {}}]});
    let answer = h.engine.put_monitors(h.ws(), &completed).unwrap();
    assert_eq!(answer["monitors"].as_array().unwrap().len(), 2);
    h.engine
        .put_monitors(h.ws(), &json!([good.clone()]))
        .unwrap();
    let too_many: Vec<Value> = (0..501)
        .map(|i| probe(&format!("m{i}"), "http://127.0.0.1:9/", 1, 1))
        .collect();
    let e = h
        .engine
        .put_monitors(h.ws(), &Value::Array(too_many))
        .unwrap_err();
    assert!(e.to_string().contains("over the limit of 500"), "{e}");
    // nothing of the failed puts was stored
    let set = h.engine.monitors(h.ws()).unwrap();
    assert_eq!(set["monitors"].as_array().unwrap().len(), 1);
    assert_eq!(set["monitors"][0]["id"], "ok");
}

#[test]
fn secrets_are_sealed_never_answered_and_survive_a_round_trip() {
    let h = Harness::on_disk();
    let server = TestServer::start(|_, _| Reply::status(200));
    let mut m = probe("authed", &server.url("/private"), 1, 1);
    m["config"]["token"] = json!("s3cret-token-value");
    let answer = h.engine.put_monitors(h.ws(), &json!([m])).unwrap();
    let shown = answer.to_string();
    assert!(!shown.contains("s3cret"), "{shown}");
    assert_eq!(answer["monitors"][0]["config"]["has_token"], true);
    let listed = h.engine.monitors(h.ws()).unwrap();
    assert!(!listed.to_string().contains("s3cret"));
    // the listing put back unchanged keeps the secret
    h.engine.put_monitors(h.ws(), &listed).unwrap();
    let s = h.engine.run_monitor(h.ws(), "authed").unwrap();
    assert_eq!(s.state, "ok");
    let sent = server.requests();
    assert_eq!(
        sent[0].header("authorization"),
        Some("Bearer s3cret-token-value")
    );
    for v in [
        serde_json::to_string(&h.engine.monitor_status(h.ws()).unwrap()).unwrap(),
        serde_json::to_string(&h.engine.apps(h.ws()).unwrap()).unwrap(),
    ] {
        assert!(!v.contains("s3cret"));
    }
    // sealed at rest
    let doc = Db::open(h.db_path()).rows("SELECT doc FROM monitors")[0][0].text();
    assert!(!doc.contains("s3cret") && doc.contains("enc:v1:"), "{doc}");
}

#[test]
fn apps_show_their_monitors_state_and_open_alerts() {
    let h = Harness::on_disk();
    let (server, healthy) = flipping();
    let doc = json!({
        "apps": [{"name": "api", "repository": {"base_url": "http://127.0.0.1:3000", "owner": "team", "repo": "api"},
                  "health_urls": [server.url("/healthz")], "links": {"runbook": "http://127.0.0.1:3000/wiki"}},
                 {"name": "idle"}],
        "monitors": [probe("api-health", &server.url("/healthz"), 1, 1),
                     {"id": "web-health", "app": "web", "kind": "http_probe", "config": {"url": server.url("/healthz")}}],
    });
    let answer = h.engine.put_monitors(h.ws(), &doc).unwrap();
    let names: Vec<&str> = answer["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["api", "idle", "web"],
        "an app named only by a monitor exists"
    );
    healthy.store(false, Ordering::SeqCst);
    h.engine.run_monitors(h.ws(), true).unwrap();
    let apps = h.engine.apps(h.ws()).unwrap();
    let api = apps.iter().find(|a| a.name == "api").unwrap();
    assert_eq!((api.state.as_str(), api.open_alerts), ("breach", 1));
    assert_eq!(api.alerts_query, "project=api");
    assert_eq!(api.repository.as_ref().unwrap().repo, "api");
    assert_eq!(api.monitors.len(), 1);
    let idle = apps.iter().find(|a| a.name == "idle").unwrap();
    assert_eq!((idle.state.as_str(), idle.monitors.len()), ("pending", 0));
    let web = apps.iter().find(|a| a.name == "web").unwrap();
    assert_eq!((web.state.as_str(), web.open_alerts), ("breach", 1));
}

#[test]
fn removing_a_breaching_monitor_resolves_its_alert() {
    let h = Harness::on_disk();
    let (server, healthy) = flipping();
    healthy.store(false, Ordering::SeqCst);
    h.engine
        .put_monitors(
            h.ws(),
            &json!([probe("api-health", &server.url("/healthz"), 1, 1)]),
        )
        .unwrap();
    assert!(run(&h, "api-health").breaching);
    assert_eq!(monitor_groups(&h)[0].status, GroupStatus::Open);
    h.engine.put_monitors(h.ws(), &json!([])).unwrap();
    assert_eq!(monitor_groups(&h)[0].status, GroupStatus::Resolved);
    assert!(h.engine.monitor_status(h.ws()).unwrap().is_empty());
    let e = h.engine.run_monitor(h.ws(), "api-health").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}

#[test]
fn monitor_is_not_a_webhook_source() {
    let h = Harness::on_disk();
    let source: Source = "monitor".parse().unwrap();
    assert_eq!(source, Source::Monitor);
    assert!(!Source::ALL.contains(&Source::Monitor));
    let e = h
        .engine
        .ingest(h.ws(), source, &Headers::new(), br#"{"title": "x"}"#)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    // what hosts call for POST /webhooks/{ws}/{source}
    let e = signalcraft_core::host::webhook_source("monitor").unwrap_err();
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::InvalidInput, Some("source"))
    );
    assert!(h.row_counts().iter().all(|(_, n)| *n == 0));
}

#[test]
fn the_background_loop_runs_due_monitors() {
    let h = Harness::on_disk();
    let (server, _) = flipping();
    h.engine
        .put_monitors(h.ws(), &json!([probe("bg", &server.url("/healthz"), 1, 1)]))
        .unwrap();
    let ws = h.ws().to_string();
    let engine = Arc::new(h.engine);
    engine.start_background().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let state = loop {
        let s = engine.monitor_status(&ws).unwrap().remove(0);
        if s.reading.is_some() || Instant::now() > deadline {
            break s;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    engine.stop();
    assert_eq!(state.state, "ok");
    assert_eq!(
        server.requests().len(),
        1,
        "checked once: the next check is 30 s later"
    );
}

#[test]
fn the_ssrf_guard_holds_for_monitors_unless_the_engine_allows_private_targets() {
    let (server, _) = flipping();
    let dir = tempfile::tempdir().unwrap();
    // an engine left at the default: no private targets
    let engine = signalcraft_core::Engine::builder()
        .store(dir.path().join("strict.db"))
        .build()
        .unwrap();
    engine.create_workspace("acme").unwrap();
    engine
        .put_monitors(
            "acme",
            &json!([probe("api-health", &server.url("/healthz"), 1, 1)]),
        )
        .unwrap();
    let s = engine.run_monitor("acme", "api-health").unwrap();
    let error = s.reading.unwrap().error.unwrap();
    assert!(
        error.contains("refused") && error.contains("loopback"),
        "{error}"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
    // by name too: the resolver drops loopback addresses
    let by_name = server.url("/healthz").replace("127.0.0.1", "localhost");
    engine
        .put_monitors("acme", &json!([probe("by-name", &by_name, 1, 1)]))
        .unwrap();
    let s = engine.run_monitor("acme", "by-name").unwrap();
    assert!(s.reading.unwrap().error.is_some());
    assert!(server.requests().is_empty());
}

#[test]
fn a_rate_limited_api_is_left_alone_for_its_retry_after_and_opens_nothing() {
    let h = Harness::on_disk();
    let server = TestServer::start(|_, _| {
        Reply::json(429, json!({"error": {"message": "Rate limit reached"}}))
            .with_header("Retry-After", "3600")
    });
    let doc = json!([{"id": "openai-budget", "app": "api", "kind": "usage_quota", "interval_secs": 60,
        "config": {"provider": "openai", "base_url": server.url(""), "api_key": "sk-test"},
        "thresholds": {"limit": 100}, "breach_after": 1}]);
    h.engine.put_monitors(h.ws(), &doc).unwrap();
    let s = h.engine.run_monitor(h.ws(), "openai-budget").unwrap();
    assert_eq!((s.state.as_str(), s.breaching), ("error", false), "{s:?}");
    assert!(s.reading.unwrap().error.unwrap().contains("rate limited"));
    assert_eq!(s.next_due_at, h.engine.now() + TimeDelta::seconds(3600));
    let asked = server.requests().len();
    assert!(asked >= 1);
    // an hour minus a second later it is still not due
    h.advance(TimeDelta::seconds(3599));
    h.engine.run_monitors(h.ws(), false).unwrap();
    assert_eq!(server.requests().len(), asked);
    assert!(monitor_groups(&h).is_empty());
}

#[test]
fn the_history_keeps_the_last_sixty_readings() {
    let h = Harness::on_disk();
    let (server, healthy) = flipping();
    h.engine
        .put_monitors(
            h.ws(),
            &json!([probe("api-health", &server.url("/healthz"), 100, 1)]),
        )
        .unwrap();
    for i in 0..65 {
        healthy.store(i % 5 != 0, Ordering::SeqCst);
        h.engine.run_monitors(h.ws(), true).unwrap();
    }
    let s = h.engine.monitor_status(h.ws()).unwrap().remove(0);
    assert_eq!(s.history.len(), 60);
    // newest last: check 64 passed, check 60 failed
    assert!(s.history[59].ok && !s.history[55].ok);
    let rows = Db::open(h.db_path()).int("SELECT COUNT(*) FROM monitor_readings");
    assert_eq!(rows, 60);
    // a changed kind starts over; a removed monitor leaves nothing behind
    let cost = json!([{"id": "api-health", "app": "api", "kind": "cloud_cost",
        "config": {"provider": "hetzner", "base_url": server.url("/v1"), "token": "t"},
        "thresholds": {"budget": 10}}]);
    h.engine.put_monitors(h.ws(), &cost).unwrap();
    let s = h.engine.monitor_status(h.ws()).unwrap().remove(0);
    assert_eq!((s.state.as_str(), s.history.len()), ("pending", 0));
    h.engine.put_monitors(h.ws(), &json!([])).unwrap();
    let rows = Db::open(h.db_path()).int("SELECT COUNT(*) FROM monitor_readings");
    assert_eq!(rows, 0);
}
