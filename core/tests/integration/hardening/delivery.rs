//! Notification storm control and fair, bounded delivery.
//!
//! Every test talks to real HTTP servers on 127.0.0.1 (a Slack-shaped API, webhook receivers)
//! and a SQLite file on disk; the engine's manual clock steps minutes where a cap counts them.

use crate::common::StoreUnderTest;
use crate::common::{Harness, fixture, t0};
use crate::http::{Reply, TestServer};
use chrono::TimeDelta;
use serde_json::{Value, json};
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::routing::RuleSet;
use signalcraft_core::{Engine, ErrorKind, Headers, ManualClock, Source};
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A Slack Web API on 127.0.0.1: `chat.postMessage` answers a fresh `ts`, `chat.update` ok.
fn slack_server() -> TestServer {
    let n = Arc::new(AtomicU32::new(0));
    TestServer::start(move |r, _| {
        if r.path.ends_with("/chat.postMessage") {
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::json(
                200,
                json!({"ok": true, "channel": "C0STORM", "ts": format!("1772366400.{i:06}")}),
            )
        } else if r.path.ends_with("/chat.update") {
            Reply::json(200, json!({"ok": true, "channel": "C0STORM", "ts": "x"}))
        } else {
            Reply::json(404, json!({"ok": false, "error": "unknown_method"}))
        }
    })
}

fn slack_channel(engine: &Engine, ws: &str, name: &str, server: &TestServer) {
    engine
        .set_channel(
            ws,
            name,
            ChannelKind::Slack,
            &json!({"token": "xoxb-storm", "channel": "C0STORM", "api_base": server.url("/api")}),
        )
        .unwrap();
}

fn route_all(engine: &Engine, ws: &str, channels: &[&str], extra: Value) {
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

/// One Alertmanager delivery (the shape of the Zulip fixture) with `n` alerts, each its own
/// group (`host` and `fingerprint` differ), all `status`.
fn alertmanager_body(n: usize, status: &str, severity: &str) -> Vec<u8> {
    let mut doc: Value =
        serde_json::from_slice(&fixture("alertmanager/zulip_firing_2_alerts.json")).unwrap();
    let template = doc["alerts"][0].clone();
    doc["status"] = status.into();
    doc["commonLabels"]["severity"] = severity.into();
    doc["alerts"] = (0..n)
        .map(|i| {
            let mut a = template.clone();
            a["status"] = status.into();
            a["labels"]["host"] = format!("node-{i:05}").into();
            a["labels"]["severity"] = severity.into();
            a["fingerprint"] = format!("{:016x}", 0x5700_0000_0000u64 + i as u64).into();
            if status == "resolved" {
                a["endsAt"] = "2020-02-06T00:27:58.432911368Z".into();
            }
            a
        })
        .collect();
    doc.to_string().into_bytes()
}

/// The Slack calls a server got, as (method, body).
fn calls(server: &TestServer) -> Vec<(String, Value)> {
    server
        .requests()
        .iter()
        .map(|r| (r.path.rsplit('/').next().unwrap().to_string(), r.json()))
        .collect()
}

/// Outbox rows by (kind, status, folded), counted, straight from the database file.
fn outbox_counts(h: &Harness) -> Vec<(String, String, bool, i64)> {
    crate::common::Db::open(h.db_path())
        .rows(
            "SELECT kind, status, CASE WHEN folded_into IS NOT NULL THEN 1 ELSE 0 END, COUNT(*)
             FROM outbox GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
        )
        .into_iter()
        .map(|r| (r[0].text(), r[1].text(), r[2].int() != 0, r[3].int()))
        .collect()
}

fn row(kind: &str, status: &str, folded: bool, n: i64) -> (String, String, bool, i64) {
    (kind.into(), status.into(), folded, n)
}

/// The mentions that ping a whole channel in a text.
fn pings(text: &str) -> usize {
    text.matches("<!here>").count()
        + text.matches("<!channel>").count()
        + text.matches("<!everyone>").count()
}

/// The broad pings of one Slack message: those of its notification `text`, checked to be no
/// more than once in its blocks as well.
fn broadcasts(body: &Value) -> usize {
    let n = pings(body["text"].as_str().unwrap_or(""));
    assert!(pings(&body["blocks"].to_string()) <= 1, "{body}");
    n
}

#[test]
fn five_thousand_new_critical_groups_page_a_channel_at_most_its_cap_a_minute() {
    let slack = slack_server();
    let h = Harness::on_disk();
    slack_channel(&h.engine, h.ws(), "oncall", &slack);
    route_all(&h.engine, h.ws(), &["oncall"], json!({}));
    h.engine
        .patch_settings(
            h.ws(),
            &json!({"ingest_limits": {"alerts_per_delivery": 5000}}),
        )
        .unwrap();

    let out = h
        .ingest(
            Source::Alertmanager,
            &alertmanager_body(5000, "firing", "critical"),
        )
        .unwrap();
    assert_eq!(out.alerts.len(), 5000);

    // minute 0: the cap's worth of messages, each its own page; the rest is folded
    let mut per_minute = Vec::new();
    let mut seen = 0;
    let started = Instant::now();
    let r = h.engine.dispatch(None, Duration::ZERO).unwrap();
    assert_eq!(r.sent, 30);
    assert_eq!(r.pending, 1, "the digest waits for the next minute");
    let c = calls(&slack);
    per_minute.push(c.len() - seen);
    seen = c.len();
    assert!(c.iter().all(|(m, _)| m == "chat.postMessage"));
    assert!(
        c.iter().all(|(_, b)| broadcasts(b) == 1),
        "each of the 30 critical messages pings once"
    );

    // minute 1: the digest, one message, one @here
    h.advance(TimeDelta::seconds(60));
    let r = h.engine.dispatch(None, Duration::ZERO).unwrap();
    assert_eq!((r.sent, r.pending), (1, 0));
    let c = calls(&slack);
    per_minute.push(c.len() - seen);
    seen = c.len();
    let (method, digest) = c.last().unwrap().clone();
    assert_eq!(method, "chat.postMessage");
    let text = digest["text"].as_str().unwrap();
    assert!(
        text.contains("… and 4970 more new groups (4970 critical)"),
        "{text}"
    );
    assert_eq!(broadcasts(&digest), 1, "{digest}");
    assert!(text.contains("public_url"), "no base URL: says so: {text}");
    assert!(!digest.to_string().contains("/inbox"), "and has no link");

    // minute 2: every group resolves at once; resolves of groups whose firing went out still
    // go out (a thread reply and a refresh: two calls each) until the cap, the rest is folded
    h.engine
        .patch_settings(
            h.ws(),
            &json!({"public_url": "https://signalcraft.example.com/"}),
        )
        .unwrap();
    h.advance(TimeDelta::seconds(60));
    let out = h
        .ingest(
            Source::Alertmanager,
            &alertmanager_body(5000, "resolved", "critical"),
        )
        .unwrap();
    assert_eq!(out.alerts.len(), 5000);
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let c = calls(&slack);
    per_minute.push(c.len() - seen);
    seen = c.len();
    let replies: Vec<&Value> = c[c.len() - per_minute[2]..]
        .iter()
        .filter(|(m, b)| m == "chat.postMessage" && b.get("thread_ts").is_some())
        .map(|(_, b)| b)
        .collect();
    assert_eq!(replies.len(), 15, "15 resolves in threads (30 calls)");
    assert!(replies.iter().all(|b| broadcasts(b) == 0));

    // minute 3: the digest of the rest, with the filtered inbox link
    h.advance(TimeDelta::seconds(60));
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let c = calls(&slack);
    per_minute.push(c.len() - seen);
    let (_, digest) = c.last().unwrap().clone();
    let text = digest["text"].as_str().unwrap();
    assert!(text.contains("… and 4985 groups resolved"), "{text}");
    assert_eq!(broadcasts(&digest), 0, "resolves ping nobody");
    let blocks = digest["blocks"].to_string();
    assert!(
        blocks.contains("<https://signalcraft.example.com/w/acme/inbox?status=&since=2026-03-01T12%3A01%3A00Z|Open them in the inbox.>"),
        "{blocks}"
    );

    assert!(
        per_minute.iter().all(|n| *n <= 30),
        "Slack calls per minute: {per_minute:?}"
    );
    assert_eq!(per_minute, [30, 1, 30, 1]);
    assert_eq!(
        outbox_counts(&h),
        [
            row("digest", "sent", false, 2),
            row("firing", "cancelled", true, 4970),
            row("firing", "sent", false, 30),
            row("resolved", "cancelled", true, 4985),
            row("resolved", "sent", false, 15),
        ]
    );
    // the delivery log says where each folded one went
    let log = h.engine.deliveries(h.ws(), None).unwrap();
    let folded = log.iter().find(|d| d.folded_into.is_some()).unwrap();
    assert!(
        folded
            .last_error
            .as_deref()
            .unwrap()
            .contains("over the channel's cap of 30 notifications a minute"),
        "{folded:?}"
    );
    eprintln!(
        "storm: 5000 groups in one delivery, Slack calls per minute {per_minute:?}, dispatch took {:?}",
        started.elapsed()
    );
}

#[test]
fn a_channel_sets_its_own_cap_and_escalations_fold_too() {
    let slack = slack_server();
    let h = Harness::on_disk();
    h.engine
        .set_channel(
            h.ws(),
            "oncall",
            ChannelKind::Slack,
            &json!({"token": "xoxb-storm", "channel": "C0STORM", "api_base": slack.url("/api"),
                "rate_limit": {"per_min": 5}}),
        )
        .unwrap();
    route_all(
        &h.engine,
        h.ws(),
        &["oncall"],
        json!({"escalation": "pager"}),
    );
    let policy = EscalationPolicy::from_json(
        &json!({"steps": [{"after_mins": 1, "notify": ["oncall"], "mention": ["@channel"]}]}),
    )
    .unwrap();
    h.engine.put_escalation(h.ws(), "pager", &policy).unwrap();
    h.ingest(
        Source::Alertmanager,
        &alertmanager_body(12, "firing", "warning"),
    )
    .unwrap();
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    assert_eq!(calls(&slack).len(), 5, "the channel's own cap");
    // a minute on: 12 escalation steps fire; the digest of 7 new groups takes one slot, the
    // escalations of the 5 posted groups are two calls each (2 fit), the rest is folded
    h.advance(TimeDelta::seconds(61));
    let fired = h.engine.tick(None).unwrap().fired.len();
    assert_eq!(fired, 12);
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let c = calls(&slack);
    assert_eq!(c.len() - 5, 5, "{:?}", &c[5..]);
    h.advance(TimeDelta::seconds(60));
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let c = calls(&slack);
    let (_, digest) = c.last().unwrap();
    let text = digest["text"].as_str().unwrap();
    assert!(text.contains("… and 10 escalations"), "{text}");
    assert!(text.starts_with("<!channel> "), "{text}");
    assert_eq!(broadcasts(digest), 1, "one broadcast per digest: {text}");
}

#[test]
fn unauthenticated_critical_alerts_do_not_ping_here_by_default() {
    let slack = slack_server();
    let h = Harness::on_disk();
    slack_channel(&h.engine, h.ws(), "oncall", &slack);
    route_all(&h.engine, h.ws(), &["oncall"], json!({}));
    h.engine
        .patch_settings(h.ws(), &json!({"allow_unauthenticated_ingest": true}))
        .unwrap();
    let hook = |body: &[u8], key: Option<&str>| {
        h.engine
            .webhook(
                h.ws(),
                Some(Source::Alertmanager),
                &Headers::new(),
                body,
                key,
            )
            .unwrap()
    };
    let last_post = || {
        h.engine.dispatch(None, Duration::from_secs(5)).unwrap();
        calls(&slack).last().unwrap().1.clone()
    };

    // accepted with neither signature nor key: critical, and still nobody is pinged broadly
    hook(&alertmanager_body(1, "firing", "critical"), None);
    let post = last_post();
    assert!(post.to_string().contains("[critical]"), "{post}");
    assert_eq!(broadcasts(&post), 0, "{post}");

    // a rule's explicit @channel is not honoured for it either
    route_all(
        &h.engine,
        h.ws(),
        &["oncall"],
        json!({"mention": ["@channel", "<@U024BE7LH>"]}),
    );
    let mut body: Value =
        serde_json::from_slice(&alertmanager_body(1, "firing", "critical")).unwrap();
    body["alerts"][0]["labels"]["host"] = "other".into();
    body["alerts"][0]["fingerprint"] = "00000000000000aa".into();
    hook(body.to_string().as_bytes(), None);
    let post = last_post();
    assert_eq!(broadcasts(&post), 0, "{post}");
    assert!(
        post.to_string().contains("<@U024BE7LH>"),
        "user mentions stay: {post}"
    );

    // with an ingest key the same delivery pings
    route_all(&h.engine, h.ws(), &["oncall"], json!({}));
    let key = h
        .engine
        .create_ingest_key(h.ws(), Source::Alertmanager)
        .unwrap()
        .key;
    body["alerts"][0]["labels"]["host"] = "keyed".into();
    body["alerts"][0]["fingerprint"] = "00000000000000bb".into();
    hook(body.to_string().as_bytes(), Some(&key));
    let post = last_post();
    assert_eq!(broadcasts(&post), 1, "{post}");

    // and the setting lets unauthenticated ones ping again
    let s = h
        .engine
        .patch_settings(
            h.ws(),
            &json!({"notifications": {"allow_unauthenticated_mentions": true}}),
        )
        .unwrap();
    assert!(s.notifications.allow_unauthenticated_mentions);
    assert_eq!(s.notifications.per_channel_per_min, 30, "the default");
    let other = Harness::on_disk();
    let slack2 = slack_server();
    slack_channel(&other.engine, other.ws(), "oncall", &slack2);
    route_all(&other.engine, other.ws(), &["oncall"], json!({}));
    other
        .engine
        .patch_settings(
            other.ws(),
            &json!({"allow_unauthenticated_ingest": true,
                "notifications": {"allow_unauthenticated_mentions": true}}),
        )
        .unwrap();
    other
        .engine
        .webhook(
            other.ws(),
            Some(Source::Alertmanager),
            &Headers::new(),
            &alertmanager_body(1, "firing", "critical"),
            None,
        )
        .unwrap();
    other.engine.dispatch(None, Duration::from_secs(5)).unwrap();
    let post = calls(&slack2).last().unwrap().1.clone();
    assert_eq!(broadcasts(&post), 1, "{post}");
}

#[test]
fn a_slow_endpoint_does_not_delay_another_workspace_or_a_due_escalation() {
    // the slow receiver holds every request for 30 s; the test ends long before
    let slow = TestServer::start(|_, _| Reply::status(200).after(Duration::from_secs(30)));
    let fast = slack_server();
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(t0()));
    let engine = Arc::new(
        crate::common::builder()
            .store(dir.path().join("signalcraft.db"))
            .clock(clock.clone())
            .build()
            .unwrap(),
    );
    let a = engine.create_workspace("slowpoke").unwrap().id.0;
    let b = engine.create_workspace("bystander").unwrap().id.0;
    engine
        .set_channel(
            &a,
            "hook",
            ChannelKind::Webhook,
            &json!({"url": slow.url("/hook"), "timeout_secs": 30}),
        )
        .unwrap();
    route_all(&engine, &a, &["hook"], json!({}));
    slack_channel(&engine, &b, "oncall", &fast);
    route_all(&engine, &b, &["oncall"], json!({"escalation": "pager"}));
    let policy =
        EscalationPolicy::from_json(&json!({"steps": [{"after_mins": 1, "notify": ["oncall"]}]}))
            .unwrap();
    engine.put_escalation(&b, "pager", &policy).unwrap();

    engine.start_background().unwrap();
    engine
        .ingest(
            &a,
            Source::Alertmanager,
            &Headers::new(),
            &alertmanager_body(8, "firing", "critical"),
        )
        .unwrap();
    let wait_for = |what: &str, done: &dyn Fn() -> bool| {
        let until = Instant::now() + Duration::from_secs(8);
        while !done() {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait_for("the slow endpoint's first request", &|| {
        !slow.requests().is_empty()
    });

    // another workspace's Slack delivery, while the slow endpoint holds its request
    let sent_at = Instant::now();
    engine
        .ingest(
            &b,
            Source::Alertmanager,
            &Headers::new(),
            &alertmanager_body(1, "firing", "critical"),
        )
        .unwrap();
    wait_for("the Slack message", &|| !fast.requests().is_empty());
    let slack_delay = fast.requests()[0].at.duration_since(sent_at);

    // a due escalation, with the slow endpoint still holding on
    let due_at = Instant::now();
    clock.advance(TimeDelta::seconds(61));
    wait_for("the escalation's thread reply", &|| {
        fast.requests()
            .iter()
            .any(|r| r.path.ends_with("chat.postMessage") && r.json().get("thread_ts").is_some())
    });
    let escalation_delay = fast
        .requests()
        .iter()
        .find(|r| r.path.ends_with("chat.postMessage") && r.json().get("thread_ts").is_some())
        .unwrap()
        .at
        .duration_since(due_at);
    assert!(
        slow.requests()
            .iter()
            .all(|r| r.at.elapsed() < Duration::from_secs(30)),
        "the slow endpoint never answered yet"
    );

    let stopping = Instant::now();
    engine.stop();
    let stop_took = stopping.elapsed();
    eprintln!(
        "slow endpoint held: Slack delivery of another workspace after {slack_delay:?}, due escalation after {escalation_delay:?}, stop took {stop_took:?}"
    );
    assert!(slack_delay < Duration::from_secs(1), "{slack_delay:?}");
    assert!(
        escalation_delay < Duration::from_secs(1),
        "{escalation_delay:?}"
    );
    assert!(
        stop_took < Duration::from_secs(2),
        "stop does not wait on the slow send"
    );
}

#[test]
fn claims_go_round_robin_over_workspaces() {
    let server = TestServer::start(|_, _| Reply::status(200));
    let h = Harness::on_disk();
    let other = h.engine.create_workspace("quiet").unwrap().id.0;
    for ws in [h.ws(), other.as_str()] {
        h.engine
            .set_channel(
                ws,
                "hook",
                ChannelKind::Webhook,
                &json!({"url": server.url(&format!("/{ws}"))}),
            )
            .unwrap();
        route_all(&h.engine, ws, &["hook"], json!({}));
    }
    // the busy workspace queues 200 first, the quiet one 1 after them
    h.ingest(
        Source::Alertmanager,
        &alertmanager_body(200, "firing", "warning"),
    )
    .unwrap();
    h.engine
        .ingest(
            &other,
            Source::Alertmanager,
            &Headers::new(),
            &alertmanager_body(1, "firing", "warning"),
        )
        .unwrap();
    h.engine
        .patch_settings(
            h.ws(),
            &json!({"notifications": {"per_channel_per_min": 1000}}),
        )
        .unwrap();
    let r = h.engine.dispatch(None, Duration::from_secs(20)).unwrap();
    assert_eq!(r.sent, 201);
    let order: Vec<String> = server.requests().iter().map(|r| r.path.clone()).collect();
    let quiet_at = order
        .iter()
        .position(|p| p == &format!("/{other}"))
        .unwrap();
    assert!(quiet_at < 2, "the quiet workspace went {quiet_at}th of 201");
}

#[test]
fn retry_breaker_timeout_and_cap_settings_are_bounded_with_paths() {
    let h = Harness::on_disk();
    let set = |config: Value| {
        h.engine
            .set_channel(h.ws(), "hook", ChannelKind::Webhook, &config)
            .unwrap_err()
    };
    let e = set(json!({"url": "http://127.0.0.1:9/x",
        "retry": {"first_ms": 1, "max_attempts": 4_000_000_000u64, "max_interval_ms": 50}}));
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    let msg = e.to_string();
    for part in [
        "config.retry.max_attempts: expected 1 to 50",
        "config.retry.first_ms: expected 100 to 3600000 milliseconds",
        "config.retry.max_interval_ms: expected 100 to 3600000 milliseconds",
    ] {
        assert!(msg.contains(part), "{part} in {msg}");
    }
    let msg = set(json!({"url": "http://127.0.0.1:9/x",
        "breaker": {"failures": 5000, "open_secs": 30}, "timeout_secs": 60,
        "rate_limit": {"per_min": 0}}))
    .to_string();
    for part in [
        "config.breaker.failures: expected 1 to 1000",
        "config.timeout_secs: expected 1 to 30 seconds",
        "config.rate_limit.per_min: expected 1 to 10000",
    ] {
        assert!(msg.contains(part), "{part} in {msg}");
    }
    // the bounds themselves are accepted
    h.engine
        .set_channel(
            h.ws(),
            "hook",
            ChannelKind::Webhook,
            &json!({"url": "http://127.0.0.1:9/x",
            "retry": {"first_ms": 100, "max_attempts": 50, "max_interval_ms": 100},
            "breaker": {"failures": 1000}, "timeout_secs": 30, "rate_limit": {"per_min": 10000}}),
        )
        .unwrap();
    // a channel stored by an older build with looser bounds still loads, brought within them
    crate::common::Db::open(h.db_path()).execute(crate::common::dialect(
        "UPDATE channels SET config = json_set(config, '$.timeout_secs', 300, '$.retry.max_attempts', 100000)",
        "UPDATE channels SET config = jsonb_set(jsonb_set(config::jsonb, '{timeout_secs}', '300'), \
         '{retry,max_attempts}', '100000')::text",
    ));
    let listed = h.engine.channels(h.ws()).unwrap();
    assert_eq!(listed[0]["config"]["timeout_secs"], 30);
    assert_eq!(listed[0]["config"]["retry"]["max_attempts"], 50);

    for (patch, path) in [
        (
            json!({"notifications": {"per_channel_per_min": 0}}),
            "settings.notifications.per_channel_per_min",
        ),
        (
            json!({"notifications": {"per_channel_per_min": 10_001}}),
            "settings.notifications.per_channel_per_min",
        ),
        (
            json!({"public_url": "ftp://example.com"}),
            "settings.public_url",
        ),
        (
            json!({"public_url": "https://example.com/?q=1"}),
            "settings.public_url",
        ),
    ] {
        match h.engine.patch_settings(h.ws(), &patch).unwrap_err() {
            signalcraft_core::Error::InvalidInput { path: p, .. } => assert_eq!(p, path),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_attempt_log_keeps_the_last_twenty_and_counts_them_all() {
    let server = TestServer::start(|_, _| Reply::status(503));
    let h = Harness::on_disk();
    h.engine
        .set_channel(
            h.ws(),
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/"),
            "retry": {"first_ms": 100, "max_interval_ms": 100, "max_attempts": 50, "jitter": 0.0},
            "breaker": {"failures": 1000}}),
        )
        .unwrap();
    route_all(&h.engine, h.ws(), &["hook"], json!({}));
    h.ingest(
        Source::Alertmanager,
        &alertmanager_body(1, "firing", "warning"),
    )
    .unwrap();
    for _ in 0..30 {
        h.engine.dispatch(None, Duration::ZERO).unwrap();
        h.advance(TimeDelta::seconds(1));
    }
    assert_eq!(server.requests().len(), 30);
    let d = h.engine.deliveries(h.ws(), None).unwrap().pop().unwrap();
    assert_eq!((d.status.as_str(), d.attempts), ("pending", 30));
    assert_eq!(d.attempt_log.len(), 20);
    assert_eq!(d.attempts_omitted, 10);
    // the newest are kept
    assert_eq!(
        d.attempt_log.last().unwrap().at,
        t0() + TimeDelta::seconds(29)
    );
    let stored = crate::common::Db::open(h.db_path()).int("SELECT COUNT(*) FROM delivery_attempts");
    assert_eq!(stored, 20, "stored bounded too");
}

#[test]
fn a_row_that_does_not_load_fails_alone_and_the_batch_goes_on() {
    let slack = slack_server();
    let h = Harness::on_disk();
    slack_channel(&h.engine, h.ws(), "good", &slack);
    slack_channel(&h.engine, h.ws(), "broken", &slack);
    route_all(&h.engine, h.ws(), &["broken", "good"], json!({}));
    // the broken channel's sealed token no longer decrypts
    let db = crate::common::Db::open(h.db_path());
    let n = db.change(crate::common::dialect(
        "UPDATE channels SET config = json_set(config, '$.token', 'enc:v1:AAAAbm90IGEgcmVhbCBzZWFsZWQgc2VjcmV0') WHERE name = 'broken'",
        "UPDATE channels SET config = jsonb_set(config::jsonb, '{token}', \
         '\"enc:v1:AAAAbm90IGEgcmVhbCBzZWFsZWQgc2VjcmV0\"')::text WHERE name = 'broken'",
    ));
    assert_eq!(n, 1);
    // and one notification's payload is no longer JSON
    h.ingest(
        Source::Alertmanager,
        &alertmanager_body(3, "firing", "warning"),
    )
    .unwrap();
    db.execute(
        "UPDATE outbox SET payload = '{not json' WHERE seq = (SELECT MAX(seq) FROM outbox WHERE channel = 'good')",
    );
    let r = h.engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!((r.sent, r.failed, r.pending), (2, 4, 0), "{r:?}");
    assert_eq!(calls(&slack).len(), 2);
    let log = h.engine.deliveries(h.ws(), None).unwrap();
    let broken: Vec<_> = log.iter().filter(|d| d.channel == "broken").collect();
    assert_eq!(broken.len(), 3);
    for d in &broken {
        assert_eq!(d.status, "failed");
        let err = d.last_error.as_deref().unwrap();
        assert!(
            err.contains("cannot load this notification for channel \"broken\"")
                && err.contains("does not decrypt"),
            "{err}"
        );
    }
    let unparsable = log
        .iter()
        .find(|d| d.channel == "good" && d.status == "failed")
        .unwrap();
    assert!(
        unparsable
            .last_error
            .as_deref()
            .unwrap()
            .contains("stored payload does not parse"),
        "{unparsable:?}"
    );
}

/// A receiver that answers 200 with a `Content-Length` of 100 MB, sends 70 KiB of it and then
/// holds the connection: only a reader that stops at its limit is done at once.
#[test]
fn response_bodies_are_read_up_to_a_small_limit() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let served = Arc::new(AtomicU32::new(0));
    let count = served.clone();
    std::thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let mut buf = [0u8; 65536];
        let mut req = Vec::new();
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = s.read(&mut buf).unwrap_or(0);
            if n == 0 {
                return;
            }
            req.extend_from_slice(&buf[..n]);
        }
        count.fetch_add(1, Ordering::SeqCst);
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
        let _ = s.write_all(&vec![b'x'; 70 * 1024]);
        std::thread::sleep(Duration::from_secs(20));
    });
    let h = Harness::on_disk();
    h.engine
        .set_channel(
            h.ws(),
            "hook",
            ChannelKind::Webhook,
            &json!({"url": format!("http://127.0.0.1:{port}/"), "timeout_secs": 20}),
        )
        .unwrap();
    route_all(&h.engine, h.ws(), &["hook"], json!({}));
    h.ingest(
        Source::Alertmanager,
        &alertmanager_body(1, "firing", "warning"),
    )
    .unwrap();
    let started = Instant::now();
    let r = h.engine.dispatch(None, Duration::ZERO).unwrap();
    let took = started.elapsed();
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert_eq!(r.sent, 1);
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn pagerduty_resolves_of_triggered_incidents_wait_for_a_slot_instead_of_folding() {
    let pd = TestServer::start(|r, _| {
        let body: Value = serde_json::from_slice(&r.body).unwrap_or_default();
        Reply::json(
            202,
            json!({"status": "success", "message": "Event processed", "dedup_key": body["dedup_key"]}),
        )
    });
    let h = Harness::on_disk();
    h.engine
        .set_channel(
            h.ws(),
            "pd",
            ChannelKind::Pagerduty,
            &json!({
            "routing_key": "R0123456789abcdef0123456789abcdef",
            "events_url": pd.url("/v2/enqueue"), "rate_limit": {"per_min": 2}}),
        )
        .unwrap();
    route_all(&h.engine, h.ws(), &["pd"], json!({}));
    let events = || -> Vec<(String, String)> {
        pd.requests()
            .iter()
            .map(|r| {
                let e = r.json();
                (
                    e["event_action"].as_str().unwrap().to_string(),
                    e["dedup_key"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    h.ingest(
        Source::Alertmanager,
        &alertmanager_body(3, "firing", "critical"),
    )
    .unwrap();
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let triggered: Vec<String> = events().into_iter().map(|(_, k)| k).collect();
    assert_eq!(triggered.len(), 2, "the cap");
    // a minute on, all three resolve: the digest (of the third trigger) takes a slot, one
    // resolve the other; the second resolve waits, the folded group's resolve folds
    h.advance(TimeDelta::seconds(60));
    h.ingest(
        Source::Alertmanager,
        &alertmanager_body(3, "resolved", "critical"),
    )
    .unwrap();
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let e = events();
    assert_eq!(e.len(), 4, "{e:?}");
    assert_eq!(
        e[2..]
            .iter()
            .filter(|(_, k)| k.starts_with("signalcraft-digest-"))
            .count(),
        1,
        "{e:?}"
    );
    h.advance(TimeDelta::seconds(60));
    let r = h.engine.dispatch(None, Duration::ZERO).unwrap();
    assert_eq!(r.pending, 0);
    let resolved: Vec<String> = events()
        .into_iter()
        .filter(|(a, _)| a == "resolve")
        .map(|(_, k)| k)
        .collect();
    let mut want = triggered.clone();
    let mut got = resolved.clone();
    want.sort();
    got.sort();
    assert_eq!(
        got, want,
        "every incident PagerDuty was told about is resolved"
    );
}
