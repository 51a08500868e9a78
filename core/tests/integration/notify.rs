//! Delivery against real servers on 127.0.0.1: webhooks (signed), retries and the delivery log,
//! the circuit breaker, restarts, PagerDuty's events API, SMTP, and secrets at rest.

use crate::common::StoreUnderTest;
use crate::common::{Harness, fixture};
use crate::http::{Reply, SmtpSink, TestServer};
use chrono::TimeDelta;
use serde_json::json;
use signalcraft_core::engine::Actor;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::notify::webhook::sign;
use signalcraft_core::routing::RuleSet;
use signalcraft_core::{Engine, SystemClock};
use std::sync::Arc;
use std::time::Duration;

const KEY: [u8; 32] = [42; 32];

/// An engine on disk with the system clock (retries wait in real time).
fn live() -> (Engine, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let engine = crate::common::builder()
        .store(dir.path().join("signalcraft.db"))
        .clock(Arc::new(SystemClock))
        .secret_key(KEY)
        .build()
        .unwrap();
    let ws = engine.create_workspace("acme").unwrap().id.0;
    (engine, dir, ws)
}

fn route_all(engine: &Engine, ws: &str, channels: &[&str], extra: serde_json::Value) {
    let mut then = json!({"notify": channels});
    if let (Some(t), Some(e)) = (then.as_object_mut(), extra.as_object()) {
        t.extend(e.clone());
    }
    engine
        .put_rules(
            ws,
            &RuleSet::from_json(&json!([{"id": "all", "when": {}, "then": then}])).unwrap(),
        )
        .unwrap();
}

fn fire(engine: &Engine, ws: &str, issue: &str) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["issue_id"] = issue.into();
    doc["data"]["event"]["event_id"] = format!(
        "{:032}",
        issue.len() * 7 + issue.bytes().map(u64::from).sum::<u64>() as usize
    )
    .into();
    let h = signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let out = engine
        .ingest(
            ws,
            signalcraft_core::Source::Sentry,
            &h,
            doc.to_string().as_bytes(),
        )
        .unwrap();
    out.alerts[0].group_id.clone().unwrap().0
}

fn quick_retry() -> serde_json::Value {
    json!({"first_ms": 100, "max_interval_ms": 400, "max_attempts": 6, "max_age_secs": 60, "jitter": 0.2})
}

#[test]
fn webhook_is_signed_and_logged() {
    let server = TestServer::start(|_, _| Reply::status(204));
    let (engine, _dir, ws) = live();
    engine
        .set_channel(
            &ws,
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/alerts"), "secret": "whsec"}),
        )
        .unwrap();
    route_all(&engine, &ws, &["hook"], json!({}));
    let gid = fire(&engine, &ws, "1");
    let r = engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!((r.sent, r.failed, r.pending), (1, 0, 0));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/alerts")
    );
    let ts: i64 = req
        .header("X-SignalCraft-Timestamp")
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        req.header("X-SignalCraft-Signature").unwrap(),
        sign("whsec", ts, &req.body),
        "receivers can verify it"
    );
    let body = req.json();
    assert_eq!(body["type"], "firing");
    assert_eq!(body["group"]["id"], gid.as_str());
    assert_eq!(body["event"]["decision"], "new_group");
    let log = engine.deliveries(&ws, Some(&gid)).unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].status.as_str(),
            log[0].attempts,
            log[0].kind.as_deref()
        ),
        ("sent", 1, Some("webhook"))
    );
    assert_eq!(log[0].attempt_log[0].http_status, Some(204));
    // nothing is sent twice
    assert_eq!(engine.dispatch(None, Duration::ZERO).unwrap().sent, 0);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_flaky_endpoint_is_retried_and_every_attempt_logged() {
    // 500, then 429 with Retry-After: 1, then a response slower than the timeout, then 200
    let server = TestServer::start(|_, i| match i {
        0 => Reply::status(500),
        1 => Reply::status(429).with_header("Retry-After", "1"),
        2 => Reply::status(200).after(Duration::from_millis(2500)),
        _ => Reply::status(200),
    });
    let (engine, _dir, ws) = live();
    engine
        .set_channel(
            &ws,
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/"), "timeout_secs": 1, "retry": quick_retry()}),
        )
        .unwrap();
    route_all(&engine, &ws, &["hook"], json!({}));
    let gid = fire(&engine, &ws, "1");
    let r = engine.dispatch(None, Duration::from_secs(20)).unwrap();
    assert_eq!((r.sent, r.failed, r.pending), (1, 0, 0));
    let d = &engine.deliveries(&ws, Some(&gid)).unwrap()[0];
    let log: Vec<(&str, Option<u16>)> = d
        .attempt_log
        .iter()
        .map(|a| (a.outcome.as_str(), a.http_status))
        .collect();
    assert_eq!(
        log,
        [
            ("retry", Some(500)),
            ("retry", Some(429)),
            ("retry", None),
            ("sent", Some(200))
        ]
    );
    assert!(
        d.attempt_log[2]
            .error
            .as_deref()
            .unwrap()
            .contains("request failed"),
        "{:?}",
        d.attempt_log[2]
    );
    let reqs = server.requests();
    let waited = reqs[2].at - reqs[1].at;
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After honoured: waited {waited:?}"
    );
    // the same delivery id on every attempt
    let ids: Vec<_> = reqs
        .iter()
        .map(|r| r.header("X-SignalCraft-Delivery").unwrap().to_string())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn a_400_is_not_retried_and_attempts_are_bounded() {
    let server = TestServer::start(|_, _| Reply::status(400));
    let dead = TestServer::start(|_, _| Reply::status(503));
    let (engine, _dir, ws) = live();
    engine
        .set_channel(
            &ws,
            "bad",
            ChannelKind::Webhook,
            &json!({"url": server.url("/")}),
        )
        .unwrap();
    engine.set_channel(&ws, "dead", ChannelKind::Webhook, &json!({"url": dead.url("/"),
        "retry": {"first_ms": 100, "max_interval_ms": 100, "max_attempts": 3, "max_age_secs": 60, "jitter": 0.0},
        "breaker": {"failures": 100, "open_secs": 1}})).unwrap();
    route_all(&engine, &ws, &["bad", "dead"], json!({}));
    fire(&engine, &ws, "1");
    let r = engine.dispatch(None, Duration::from_secs(10)).unwrap();
    assert_eq!((r.sent, r.failed, r.pending), (0, 2, 0));
    assert_eq!(server.requests().len(), 1, "a 400 is final");
    assert_eq!(dead.requests().len(), 3, "max_attempts");
    let log = engine.deliveries(&ws, None).unwrap();
    let statuses: Vec<(&str, &str, u32)> = log
        .iter()
        .map(|d| (d.channel.as_str(), d.status.as_str(), d.attempts))
        .collect();
    assert_eq!(statuses, [("bad", "failed", 1), ("dead", "failed", 3)]);
    assert!(log[0].last_error.as_deref().unwrap().contains("HTTP 400"));
}

#[test]
fn the_circuit_breaker_stops_hammering_a_dead_endpoint() {
    let dead = TestServer::start(|_, _| Reply::status(500));
    let (engine, _dir, ws) = live();
    engine.set_channel(&ws, "dead", ChannelKind::Webhook, &json!({"url": dead.url("/"),
        "retry": {"first_ms": 100, "max_interval_ms": 100, "max_attempts": 50, "max_age_secs": 60, "jitter": 0.0},
        "breaker": {"failures": 3, "open_secs": 30}})).unwrap();
    route_all(&engine, &ws, &["dead"], json!({}));
    for i in 0..5 {
        fire(&engine, &ws, &format!("{i}"));
    }
    let r = engine.dispatch(None, Duration::from_millis(1500)).unwrap();
    assert_eq!(
        dead.requests().len(),
        3,
        "three failures open the breaker; then nothing is sent"
    );
    assert_eq!(r.pending, 5, "nothing is dropped");
}

#[test]
fn pending_notifications_survive_a_restart_and_are_sent_once() {
    let server = TestServer::start(|_, _| Reply::status(200));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("signalcraft.db");
    {
        let engine = crate::common::builder()
            .store(&path)
            .clock(Arc::new(SystemClock))
            .secret_key(KEY)
            .build()
            .unwrap();
        let ws = engine.create_workspace("acme").unwrap().id.0;
        engine
            .set_channel(
                &ws,
                "hook",
                ChannelKind::Webhook,
                &json!({"url": server.url("/")}),
            )
            .unwrap();
        route_all(&engine, &ws, &["hook"], json!({}));
        fire(&engine, &ws, "1");
        fire(&engine, &ws, "2");
        // the engine goes away before delivering
    }
    let engine = crate::common::builder()
        .store(&path)
        .clock(Arc::new(SystemClock))
        .secret_key(KEY)
        .build()
        .unwrap();
    let r = engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!((r.sent, r.pending), (2, 0));
    let again = crate::common::builder()
        .store(&path)
        .clock(Arc::new(SystemClock))
        .secret_key(KEY)
        .build()
        .unwrap();
    assert_eq!(
        again.dispatch(None, Duration::from_secs(1)).unwrap().sent,
        0
    );
    assert_eq!(
        server.requests().len(),
        2,
        "a row the server acknowledged is not sent again"
    );
}

#[test]
fn pagerduty_follows_the_group() {
    let pd = TestServer::start(|r, _| {
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap_or_default();
        Reply::json(
            202,
            json!({"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]}),
        )
    });
    let (engine, _dir, ws) = live();
    engine.set_channel(&ws, "pd", ChannelKind::Pagerduty, &json!({"routing_key": "R0123456789abcdef0123456789abcdef", "events_url": pd.url("/v2/enqueue")})).unwrap();
    route_all(&engine, &ws, &["pd"], json!({}));
    let gid = fire(&engine, &ws, "1");
    let owner = Actor::new("alice", Role::Owner);
    engine.act(&ws, &gid, &Command::Ack, &owner).unwrap();
    engine.act(&ws, &gid, &Command::Resolve, &owner).unwrap();
    let r = engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!(r.sent, 3);
    let events: Vec<serde_json::Value> = pd.requests().iter().map(|r| r.json()).collect();
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    assert!(events.iter().all(|e| e["dedup_key"] == gid.as_str()
        && e["routing_key"] == "R0123456789abcdef0123456789abcdef"));
    assert_eq!(events[0]["payload"]["severity"], "error");
    assert_eq!(
        events[0]["payload"]["summary"],
        "ReferenceError: heck is not defined"
    );
    assert!(
        events[0]["links"][0]["href"]
            .as_str()
            .unwrap()
            .starts_with("https://sentry.io/")
    );
}

#[test]
fn email_reaches_a_real_smtp_server() {
    let sink = SmtpSink::start();
    let (engine, _dir, ws) = live();
    engine.set_channel(&ws, "mail", ChannelKind::Email, &json!({"smtp_host": "127.0.0.1", "smtp_port": sink.port, "insecure": true,
        "from": "SignalCraft <alerts@example.com>", "to": ["oncall@example.com", "lead@example.com"]})).unwrap();
    route_all(&engine, &ws, &["mail"], json!({}));
    let gid = fire(&engine, &ws, "1");
    engine
        .act(&ws, &gid, &Command::Ack, &Actor::new("al", Role::Owner))
        .unwrap();
    engine
        .act(&ws, &gid, &Command::Resolve, &Actor::new("al", Role::Owner))
        .unwrap();
    let r = engine.dispatch(None, Duration::from_secs(10)).unwrap();
    assert_eq!(r.pending, 0);
    let msgs = sink.messages();
    assert_eq!(
        msgs.len(),
        2,
        "the firing and the resolve; the ack is skipped for email"
    );
    let (from, to, data) = &msgs[0];
    assert_eq!(from, "<alerts@example.com>");
    assert_eq!(
        to,
        &[
            "<oncall@example.com>".to_string(),
            "<lead@example.com>".to_string()
        ]
    );
    assert!(
        data.contains("Subject: [FIRING] [ERROR] ReferenceError: heck is not defined"),
        "{data}"
    );
    assert!(
        data.contains("text/plain") && data.contains("text/html"),
        "{data}"
    );
    assert!(msgs[1].2.contains("Subject: [RESOLVED]"));
    let log = engine.deliveries(&ws, None).unwrap();
    let statuses: Vec<(&str, &str)> = log
        .iter()
        .map(|d| (d.notification.as_str(), d.status.as_str()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("firing", "sent"),
            ("status", "cancelled"),
            ("resolved", "sent")
        ]
    );
}

#[test]
fn group_wait_holds_the_page_and_a_quick_resolve_cancels_it() {
    let server = TestServer::start(|_, _| Reply::status(200));
    let h = Harness::on_disk();
    h.engine
        .set_channel(
            h.ws(),
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/")}),
        )
        .unwrap();
    route_all(
        &h.engine,
        h.ws(),
        &["hook"],
        json!({"group_wait_secs": 120}),
    );
    crate::lifecycle::event(&h, "1", 1);
    assert_eq!(h.engine.dispatch(None, Duration::ZERO).unwrap().pending, 1);
    assert!(server.requests().is_empty(), "held by group_wait");
    h.advance(TimeDelta::seconds(30));
    crate::lifecycle::resolve(&h, "1");
    let r = h.engine.dispatch(None, Duration::ZERO).unwrap();
    assert_eq!((r.sent, r.pending), (0, 0));
    assert!(server.requests().is_empty());
    assert_eq!(
        h.engine.deliveries(h.ws(), None).unwrap()[0].status,
        "cancelled"
    );
}

#[test]
fn secrets_are_sealed_at_rest_and_masked() {
    let (engine, dir, ws) = live();
    engine
        .set_channel(
            &ws,
            "slack",
            ChannelKind::Slack,
            &json!({"token": "xoxb-0000-1111-supersecret", "channel": "C123"}),
        )
        .unwrap();
    engine
        .set_integration(
            &ws,
            signalcraft_core::Source::Sentry,
            &signalcraft_core::IntegrationUpdate {
                secret: Some("sentry-client-secret".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let listed = serde_json::to_string(&engine.channels(&ws).unwrap()).unwrap();
    assert!(
        !listed.contains("supersecret") && listed.contains("••••"),
        "{listed}"
    );
    let path = dir.path().join("signalcraft.db");
    let raw = if crate::common::on_postgres() {
        // no file: every value of every row
        crate::common::Db::open(&path).everything()
    } else {
        String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned()
    };
    assert!(
        !raw.contains("supersecret") && !raw.contains("sentry-client-secret"),
        "secrets are not stored in the clear"
    );
    let bad = engine
        .set_channel(
            &ws,
            "x",
            ChannelKind::Webhook,
            &json!({"url": "ftp://nope", "colour": 1}),
        )
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("config.url") && bad.contains("config.colour"),
        "{bad}"
    );
}

#[test]
fn without_a_key_a_key_file_is_made_beside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.db");
    // the variable would win over the file; this test is about the file
    if std::env::var(signalcraft_core::secrets::KEY_ENV).is_ok() {
        return;
    }
    if crate::common::on_postgres() {
        // a PostgreSQL database has no file to put a key beside: without a key the engine
        // refuses to start, saying where the key comes from
        let Err(err) = crate::common::builder()
            .database(crate::common::database_for(&path))
            .build()
        else {
            panic!("a PostgreSQL store without a key is refused");
        };
        assert_eq!(
            err.kind(),
            signalcraft_core::ErrorKind::InvalidInput,
            "{err}"
        );
        assert!(
            err.to_string().contains(signalcraft_core::secrets::KEY_ENV),
            "{err}"
        );
        assert!(!dir.path().join("x.db.key").exists());
        return;
    }
    let engine = crate::common::builder().store(&path).build().unwrap();
    let ws = engine.create_workspace("w").unwrap().id.0;
    let key = dir.path().join("x.db.key");
    assert!(!key.exists(), "made on first use, not before");
    engine
        .set_channel(
            &ws,
            "pd",
            ChannelKind::Pagerduty,
            &json!({"routing_key": "abc"}),
        )
        .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    drop(engine);
    let again = crate::common::builder().store(&path).build().unwrap();
    let list = again.channels(&ws).unwrap();
    assert_eq!(
        list[0]["config"]["routing_key"], "••••",
        "reopened with the same key file"
    );
}

#[test]
fn the_background_loop_delivers_and_ticks_until_stopped() {
    let server = TestServer::start(|_, _| Reply::status(200));
    let dir = tempfile::tempdir().unwrap();
    let engine = Arc::new(
        crate::common::builder()
            .store(dir.path().join("bg.db"))
            .clock(Arc::new(SystemClock))
            .secret_key(KEY)
            .build()
            .unwrap(),
    );
    let ws = engine.create_workspace("acme").unwrap().id.0;
    engine
        .set_channel(
            &ws,
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/")}),
        )
        .unwrap();
    route_all(&engine, &ws, &["hook"], json!({}));
    engine.start_background().unwrap();
    engine.start_background().unwrap(); // idempotent
    fire(&engine, &ws, "1");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while server.requests().is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    engine.stop();
    assert_eq!(
        server.requests().len(),
        1,
        "delivered by the background loop"
    );
    fire(&engine, &ws, "2");
    std::thread::sleep(Duration::from_millis(700));
    assert_eq!(
        server.requests().len(),
        1,
        "stopped: nothing more goes out on its own"
    );
    assert_eq!(
        engine.dispatch(None, Duration::from_secs(5)).unwrap().sent,
        1
    );
}

#[test]
fn integration_secrets_stored_in_the_clear_are_sealed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    let ws = {
        let engine = crate::common::builder()
            .store(&path)
            .secret_key(KEY)
            .build()
            .unwrap();
        engine.create_workspace("acme").unwrap().id.0
    };
    // what an older version left behind
    crate::common::Db::open(&path).execute(&format!(
        "INSERT INTO integrations (workspace_id, source, secret, options, updated_at) \
         VALUES ({}, 'sentry', 'plain-old-secret', 'null', 0)",
        crate::common::lit(&ws)
    ));
    let engine = crate::common::builder()
        .store(&path)
        .secret_key(KEY)
        .build()
        .unwrap();
    let stored = crate::common::Db::open(&path)
        .texts("SELECT secret FROM integrations")
        .remove(0);
    assert!(stored.starts_with("enc:v1:"), "{stored}");
    // and it still verifies signatures
    let body = serde_json::to_vec(&crate::common::compact(
        "sentry/issue_alert_triggered.docs.json",
    ))
    .unwrap();
    let sig = signalcraft_core::signature::hmac_sha256_hex(b"plain-old-secret", &body);
    let h = signalcraft_core::Headers::new()
        .with("Sentry-Hook-Resource", "event_alert")
        .with("Sentry-Hook-Signature", sig);
    assert_eq!(
        engine
            .ingest(&ws, signalcraft_core::Source::Sentry, &h, &body)
            .unwrap()
            .outcome,
        signalcraft_core::Outcome::Accepted
    );
}
