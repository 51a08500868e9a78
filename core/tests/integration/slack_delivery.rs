//! Slack end to end against a Slack-shaped server on 127.0.0.1: the first message with its
//! Block Kit buttons and mention, thread replies and updates, a click on Acknowledge coming back
//! signed, the message updated after it, and Slack's rate limiting.

use crate::common::{Harness, fixture};
use crate::http::{Reply, TestServer};
use chrono::TimeDelta;
use serde_json::{Value, json};
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::routing::RuleSet;
use signalcraft_core::signature::hmac_sha256_hex;
use signalcraft_core::{ErrorKind, GroupStatus, Headers};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

pub const SIGNING: &str = "8f742231b10e8888abcd99yyyzzz85a5";

fn slack_server() -> TestServer {
    let n = Arc::new(AtomicU32::new(0));
    TestServer::start(move |r, _| {
        if r.path.ends_with("/chat.postMessage") {
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            Reply::json(
                200,
                json!({"ok": true, "channel": "C0SIGNAL", "ts": format!("1772366400.{i:06}")}),
            )
        } else if r.path.ends_with("/chat.update") {
            Reply::json(200, json!({"ok": true, "channel": "C0SIGNAL", "ts": "x"}))
        } else {
            Reply::json(404, json!({"ok": false, "error": "unknown_method"}))
        }
    })
}

fn setup(h: &Harness, server: &TestServer) {
    h.engine
        .set_channel(h.ws(), "slack-oncall", ChannelKind::Slack,
            &json!({"token": "xoxb-test-token", "channel": "C0SIGNAL", "api_base": server.url("/api")}))
        .unwrap();
    h.engine
        .put_rules(h.ws(), &RuleSet::from_json(&json!([{"id": "all", "when": {},
            "then": {"notify": ["slack-oncall"], "set_severity": "critical", "repeat_interval_mins": 1}}])).unwrap())
        .unwrap();
    h.engine.set_slack_signing_secret(h.ws(), SIGNING).unwrap();
}

pub fn percent(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Slack's real `block_actions` body, pointed at our button and group, form-encoded and signed.
pub fn click(h: &Harness, action_id: &str, group: &str) -> (Headers, Vec<u8>) {
    let mut p: Value =
        serde_json::from_slice(&fixture("slack/block_actions_with_message.payload.json")).unwrap();
    p["actions"][0]["action_id"] = action_id.into();
    p["actions"][0]["value"] = group.into();
    // the SDK fixture's user has only an id; real clicks carry the username too
    p["user"]["username"] = "ada".into();
    let body = format!("payload={}", percent(&p.to_string())).into_bytes();
    let ts = h.engine.now().timestamp().to_string();
    let mut base = format!("v0:{ts}:").into_bytes();
    base.extend_from_slice(&body);
    let sig = format!("v0={}", hmac_sha256_hex(SIGNING.as_bytes(), &base));
    (
        Headers::new()
            .with("X-Slack-Request-Timestamp", ts)
            .with("X-Slack-Signature", sig),
        body,
    )
}

fn calls(server: &TestServer) -> Vec<(String, Value)> {
    server
        .requests()
        .iter()
        .map(|r| (r.path.rsplit('/').next().unwrap().to_string(), r.json()))
        .collect()
}

#[test]
fn message_buttons_threading_and_updates() {
    let server = slack_server();
    let h = Harness::on_disk();
    setup(&h, &server);
    let gid = crate::lifecycle::event(&h, "1", 1).alerts[0]
        .group_id
        .clone()
        .unwrap()
        .0;
    assert_eq!(
        h.engine
            .dispatch(None, Duration::from_secs(5))
            .unwrap()
            .sent,
        1
    );
    let reqs = server.requests();
    assert_eq!(
        reqs[0].header("Authorization"),
        Some("Bearer xoxb-test-token")
    );
    assert!(
        reqs[0]
            .header("Content-Type")
            .unwrap()
            .starts_with("application/json")
    );
    let (method, first) = &calls(&server)[0];
    assert_eq!(method, "chat.postMessage");
    assert_eq!(first["channel"], "C0SIGNAL");
    assert!(first.to_string().contains("<!here>"), "critical: @here");
    let actions = first["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap();
    let buttons: Vec<(&str, &str, &str)> = actions["elements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["text"]["text"].as_str().unwrap(),
                e["action_id"].as_str().unwrap(),
                e["value"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        buttons,
        [
            ("Acknowledge", "signalcraft_ack", gid.as_str()),
            ("Snooze 1h", "signalcraft_snooze", gid.as_str()),
            ("Resolve", "signalcraft_resolve", gid.as_str())
        ]
    );

    // a later event (a repeat is due): the original is refreshed and the thread gets a reply
    h.advance(TimeDelta::minutes(2));
    crate::lifecycle::event(&h, "1", 2);
    h.engine.dispatch(None, Duration::from_secs(5)).unwrap();
    let c = calls(&server);
    assert_eq!(c.len(), 3, "no new top-level message: {c:?}");
    assert_eq!(
        (c[1].0.as_str(), c[1].1["ts"].as_str()),
        ("chat.update", Some("1772366400.000001"))
    );
    assert_eq!(
        (c[2].0.as_str(), c[2].1["thread_ts"].as_str()),
        ("chat.postMessage", Some("1772366400.000001"))
    );

    // a click on Acknowledge, signed as Slack signs it
    let (headers, body) = click(&h, "signalcraft_ack", &gid);
    let out = h
        .engine
        .handle_slack_action(h.ws(), &headers, &body)
        .unwrap();
    assert_eq!(
        (out.command.as_str(), out.status.as_str(), out.changed),
        ("ack", "acknowledged", true)
    );
    assert!(out.actor.starts_with("slack:"));
    assert_eq!(out.display_name.as_deref(), Some("ada"));
    // a double click changes nothing
    let again = h
        .engine
        .handle_slack_action(h.ws(), &headers, &body)
        .unwrap();
    assert!(!again.changed);
    let d = h.engine.group(h.ws(), &gid).unwrap();
    assert_eq!(d.group.status, GroupStatus::Acknowledged);
    assert_eq!(d.timeline.iter().filter(|t| t.command == "ack").count(), 1);
    let ack = d.timeline.iter().find(|t| t.command == "ack").unwrap();
    assert_eq!(
        (ack.actor.as_str(), ack.detail["display_name"].as_str()),
        (out.actor.as_str(), Some("ada"))
    );
    // the original message is updated with the new status
    h.engine.dispatch(None, Duration::from_secs(5)).unwrap();
    let c = calls(&server);
    let (m, upd) = c.last().unwrap();
    assert_eq!(
        (m.as_str(), upd["ts"].as_str()),
        ("chat.update", Some("1772366400.000001"))
    );
    assert!(
        upd.to_string().to_lowercase().contains("acknowledged"),
        "{upd}"
    );

    // resolve from Slack, then a stale Acknowledge click: answered, nothing changes
    let (headers, body) = click(&h, "signalcraft_resolve", &gid);
    assert_eq!(
        h.engine
            .handle_slack_action(h.ws(), &headers, &body)
            .unwrap()
            .status,
        "resolved"
    );
    let (headers, body) = click(&h, "signalcraft_ack", &gid);
    let stale = h
        .engine
        .handle_slack_action(h.ws(), &headers, &body)
        .unwrap();
    assert!(!stale.changed && stale.status == "resolved");
    assert_eq!(stale.response["response_type"], "ephemeral");
}

#[test]
fn clicks_must_be_signed_and_recent() {
    let server = slack_server();
    let h = Harness::on_disk();
    setup(&h, &server);
    let gid = crate::lifecycle::event(&h, "1", 1).alerts[0]
        .group_id
        .clone()
        .unwrap()
        .0;
    let (headers, body) = click(&h, "signalcraft_ack", &gid);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b"%20");
    assert_eq!(
        h.engine
            .handle_slack_action(h.ws(), &headers, &tampered)
            .unwrap_err()
            .kind(),
        ErrorKind::Signature
    );
    h.advance(TimeDelta::minutes(6));
    let old = h
        .engine
        .handle_slack_action(h.ws(), &headers, &body)
        .unwrap_err();
    assert_eq!(old.kind(), ErrorKind::Signature, "{old}");
    assert_eq!(
        h.engine.group(h.ws(), &gid).unwrap().group.status,
        GroupStatus::Open,
        "nothing changed"
    );
}

#[test]
fn slack_rate_limits_are_honoured_and_hard_errors_are_final() {
    let limited = TestServer::start(|_, i| match i {
        0 => Reply::status(429).with_header("Retry-After", "1"),
        1 => Reply::json(200, json!({"ok": false, "error": "ratelimited"}))
            .with_header("Retry-After", "1"),
        _ => Reply::json(200, json!({"ok": true, "channel": "C1", "ts": "1.000001"})),
    });
    let broken = TestServer::start(|_, _| {
        Reply::json(200, json!({"ok": false, "error": "channel_not_found"}))
    });
    let h = Harness::on_disk();
    let retry = json!({"first_ms": 100, "max_interval_ms": 200, "max_attempts": 5, "max_age_secs": 600, "jitter": 0.0});
    h.engine.set_channel(h.ws(), "a", ChannelKind::Slack, &json!({"token": "xoxb-a", "channel": "C1", "api_base": limited.url("/api"), "retry": retry})).unwrap();
    h.engine
        .set_channel(
            h.ws(),
            "b",
            ChannelKind::Slack,
            &json!({"token": "xoxb-b", "channel": "C2", "api_base": broken.url("/api")}),
        )
        .unwrap();
    h.engine
        .put_rules(
            h.ws(),
            &RuleSet::from_json(
                &json!([{"id": "all", "when": {}, "then": {"notify": ["a", "b"]}}]),
            )
            .unwrap(),
        )
        .unwrap();
    crate::lifecycle::event(&h, "1", 1);
    // the engine's clock is manual here: move it along with real time while waiting
    let clock = h.clock.clone();
    let mover = std::thread::spawn(move || {
        for _ in 0..60 {
            clock.advance(TimeDelta::milliseconds(100));
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let r = h.engine.dispatch(None, Duration::from_secs(8)).unwrap();
    mover.join().unwrap();
    assert_eq!((r.sent, r.failed, r.pending), (1, 1, 0));
    let log = h.engine.deliveries(h.ws(), None).unwrap();
    let a = log.iter().find(|d| d.channel == "a").unwrap();
    let outcomes: Vec<(&str, Option<&str>)> = a
        .attempt_log
        .iter()
        .map(|x| (x.outcome.as_str(), x.error.as_deref()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("retry", Some("chat.postMessage: HTTP 429")),
            ("retry", Some("chat.postMessage: ratelimited")),
            ("sent", None)
        ]
    );
    let b = log.iter().find(|d| d.channel == "b").unwrap();
    assert_eq!((b.status.as_str(), b.attempts), ("failed", 1));
    assert!(
        b.last_error
            .as_deref()
            .unwrap()
            .contains("channel_not_found")
    );
}
