//! Slack: rendered messages (snapshots, and files for Slack's own SDK to check), request
//! signatures (Slack's documented vector, tampering, skew) and interactive payloads.

use crate::common::{fixture, t0};
use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use serde_json::{Value, json};
use signalcraft_core::actions::slack::{self as actions, SlackAction};
use signalcraft_core::lifecycle::Command;
use signalcraft_core::notify::slack::{
    self as render, ACTION_ACK, ACTION_RESOLVE, ACTION_SNOOZE, MessageKind, SlackMessage,
};
use signalcraft_core::signature::hmac_sha256_hex;
use signalcraft_core::{AlertGroup, ErrorKind, GroupId, GroupStatus, Headers, Severity, Source};
use std::collections::BTreeMap;
use std::path::PathBuf;

// ---------------------------------------------------------------- rendering

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

const GROUP_ID: &str = "grp_01HZX3K9V7";
const CHANNEL: &str = "C0ALERTS";
const TS: &str = "1772366400.000100";

/// An open Sentry error group, built by hand with fixed times.
fn group() -> AlertGroup {
    AlertGroup {
        id: GroupId::from(GROUP_ID),
        group_key: "9f2c".into(),
        source: Source::Sentry,
        project: Some("web".into()),
        environment: Some("production".into()),
        severity: Severity::Error,
        status: GroupStatus::Open,
        title: "TypeError: Cannot read properties of undefined (reading 'id')".into(),
        message: Some("app/checkout.js in submitOrder".into()),
        fingerprint: "issue:4242".into(),
        link: Some("https://acme.sentry.io/issues/4242/?project=7&referrer=alert".into()),
        tags: BTreeMap::new(),
        assignee: None,
        count: 5,
        reopen_count: 0,
        first_seen: at("2026-03-01T12:00:00Z"),
        last_seen: at("2026-03-01T12:03:00Z"),
        last_activity: at("2026-03-01T12:03:00Z"),
        resolved_at: None,
        snoozed_until: None,
        acknowledged_at: None,
        runbook: None,
    }
}

fn message<'a>(
    group: &'a AlertGroup,
    mentions: &'a [String],
    kind: MessageKind,
    actor: Option<&'a str>,
) -> SlackMessage<'a> {
    SlackMessage {
        group,
        mentions,
        kind,
        actor,
        broadcast: true,
    }
}

/// A rendered case: its name, the API body, and whether it must carry the three buttons.
struct Case {
    name: &'static str,
    body: Value,
    buttons: bool,
}

/// Every rendered case: snapshotted here, and handed to Slack's SDK by the Python test.
fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut push = |name, body, buttons| {
        out.push(Case {
            name,
            body,
            buttons,
        })
    };

    let g = group();
    push(
        "open",
        render::post_message(CHANNEL, &SlackMessage::firing(&g)),
        true,
    );

    let mut crit = group();
    crit.severity = Severity::Critical;
    push(
        "critical_default_mention",
        render::post_message(CHANNEL, &SlackMessage::firing(&crit)),
        true,
    );

    let mentions: Vec<String> = [
        "@channel",
        "<@U024BE7LH>",
        "<!subteam^SAZ94GDB8>",
        "@bob<x>",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    push(
        "explicit_mentions",
        render::post_message(
            CHANNEL,
            &message(&crit, &mentions, MessageKind::Firing, None),
        ),
        true,
    );

    let mut resolved = group();
    resolved.status = GroupStatus::Resolved;
    resolved.resolved_at = Some(at("2026-03-01T12:20:00Z"));
    resolved.assignee = Some("alice".into());
    resolved.runbook = Some("https://wiki.example/runbooks/checkout".into());
    push(
        "resolved_update",
        render::update_message(
            CHANNEL,
            TS,
            &message(
                &resolved,
                &[],
                MessageKind::Resolved,
                Some("slack:U024BE7LH"),
            ),
        ),
        false,
    );

    let mut acked = group();
    acked.status = GroupStatus::Acknowledged;
    acked.acknowledged_at = Some(at("2026-03-01T12:05:00Z"));
    acked.reopen_count = 2;
    push(
        "acknowledged_update",
        render::update_message(
            CHANNEL,
            TS,
            &message(&acked, &[], MessageKind::Status, Some("user:alice")),
        ),
        true,
    );

    let mut snoozed = group();
    snoozed.status = GroupStatus::Snoozed;
    snoozed.snoozed_until = Some(at("2026-03-01T13:05:00Z"));
    push(
        "snoozed_reply",
        render::thread_reply(
            CHANNEL,
            TS,
            &message(&snoozed, &[], MessageKind::Status, Some("slack:W111")),
        ),
        false,
    );

    let mut crit12 = crit.clone();
    crit12.count = 12;
    push(
        "escalation_reply",
        render::thread_reply(
            CHANNEL,
            TS,
            &message(&crit12, &[], MessageKind::Escalation { step: 1 }, None),
        ),
        false,
    );
    push(
        "escalation_update",
        render::update_message(
            CHANNEL,
            TS,
            &message(&crit12, &[], MessageKind::Escalation { step: 1 }, None),
        ),
        true,
    );
    push(
        "seen_again_reply",
        render::thread_reply(CHANNEL, TS, &SlackMessage::firing(&crit12)),
        false,
    );

    let mut hostile = group();
    hostile.title = "<script>alert(1)</script> & <!channel> <@U1>".into();
    hostile.message = Some("x < y && y > z <https://evil.example|click>".into());
    hostile.environment = Some("<!everyone>".into());
    hostile.assignee = Some("<@U999> & co".into());
    hostile.link = Some("https://x.example/a|b?c=1&d=<2>".into());
    push(
        "hostile_title",
        render::post_message(CHANNEL, &SlackMessage::firing(&hostile)),
        true,
    );

    let mut long = group();
    long.title = "é".repeat(5000);
    long.message = Some("&".repeat(5000));
    long.project = Some("<".repeat(5000));
    long.assignee = Some("a".repeat(5000));
    push(
        "long_title",
        render::post_message(CHANNEL, &SlackMessage::firing(&long)),
        true,
    );

    for severity in [Severity::Warning, Severity::Info, Severity::Debug] {
        let mut g = group();
        g.severity = severity;
        g.environment = None;
        g.project = None;
        g.message = None;
        g.link = None;
        g.count = 1;
        let name = match severity {
            Severity::Warning => "warning_bare",
            Severity::Info => "info_bare",
            _ => "debug_bare",
        };
        push(
            name,
            render::post_message(CHANNEL, &SlackMessage::firing(&g)),
            true,
        );
    }
    out
}

fn blocks_of(body: &Value) -> &Vec<Value> {
    body["blocks"].as_array().unwrap()
}

fn section_text(body: &Value) -> &str {
    body["blocks"][1]["text"]["text"].as_str().unwrap()
}

#[test]
fn snapshots_of_every_case() {
    for case in cases() {
        insta::assert_json_snapshot!(case.name, case.body);
    }
}

#[test]
fn buttons_only_while_unresolved_and_carry_the_group_id() {
    for case in cases() {
        let actions: Vec<&Value> = blocks_of(&case.body)
            .iter()
            .filter(|b| b["type"] == "actions")
            .collect();
        if !case.buttons {
            assert!(actions.is_empty(), "{}", case.name);
            continue;
        }
        assert_eq!(actions.len(), 1, "{}", case.name);
        let got: Vec<(&str, &str, &str)> = actions[0]["elements"]
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
            got,
            [
                ("Acknowledge", ACTION_ACK, GROUP_ID),
                ("Snooze 1h", ACTION_SNOOZE, GROUP_ID),
                ("Resolve", ACTION_RESOLVE, GROUP_ID),
            ],
            "{}",
            case.name
        );
    }
}

#[test]
fn bodies_have_the_api_shape() {
    let all = cases();
    let body = |name: &str| &all.iter().find(|c| c.name == name).unwrap().body;
    let open = body("open");
    assert_eq!(open["channel"], CHANNEL);
    assert_eq!(open["unfurl_links"], false);
    assert!(open.get("ts").is_none() && open.get("thread_ts").is_none());
    assert_eq!(
        open["text"],
        "🟠 [error] TypeError: Cannot read properties of undefined (reading 'id') (production/web)"
    );
    assert_eq!(blocks_of(open)[0]["type"], "header");

    let update = body("resolved_update");
    assert_eq!(update["ts"], TS);
    assert!(update.get("thread_ts").is_none());
    assert!(section_text(update).contains("✅ *Resolved* by <@U024BE7LH> <!date^1772367600^"));

    let reply = body("escalation_reply");
    assert_eq!(reply["thread_ts"], TS);
    assert_eq!(
        reply["text"],
        "<!here> 🚨 Escalation step 2: still open, 12 events"
    );
    let seen = body("seen_again_reply");
    assert_eq!(
        seen["text"],
        "Seen again: 12 events, last <!date^1772366580^{time}|12:03 UTC>"
    );
}

#[test]
fn mentions_critical_default_explicit_and_none() {
    let all = cases();
    let section =
        |name: &str| section_text(&all.iter().find(|c| c.name == name).unwrap().body).to_string();
    assert!(section("critical_default_mention").starts_with("<!here> *Critical*"));
    let explicit = section("explicit_mentions");
    assert!(
        explicit
            .starts_with("<!channel> <@U024BE7LH> <!subteam^SAZ94GDB8> @bob&lt;x&gt; *Critical*"),
        "{explicit}"
    );
    assert!(!explicit.contains("<!here>"));
    assert!(section("open").starts_with("*Error* · Sentry"));
    // Status updates never ping again, even for a critical group.
    let mut crit = group();
    crit.severity = Severity::Critical;
    crit.status = GroupStatus::Acknowledged;
    let body = render::update_message(CHANNEL, TS, &message(&crit, &[], MessageKind::Status, None));
    assert!(!body.to_string().contains("<!here>"));
}

#[test]
fn user_data_is_escaped_and_cut() {
    let all = cases();
    let hostile = &all.iter().find(|c| c.name == "hostile_title").unwrap().body;
    // The header is plain text: shown as written, never parsed as mrkdwn.
    assert_eq!(
        blocks_of(hostile)[0]["text"]["text"],
        "🟠 <script>alert(1)</script> & <!channel> <@U1>"
    );
    let text = hostile.to_string();
    let outside_header: String = blocks_of(hostile)[1..]
        .iter()
        .map(Value::to_string)
        .collect();
    for raw in [
        "<!channel>",
        "<!everyone>",
        "<@U1>",
        "<@U999>",
        "<https://evil",
    ] {
        assert!(!outside_header.contains(raw), "{raw} in {outside_header}");
        assert!(!hostile["text"].as_str().unwrap().contains(raw), "{raw}");
    }
    assert!(text.contains("&lt;!everyone&gt;"));
    assert!(
        section_text(hostile)
            .contains("<https://x.example/a%7Cb?c=1&amp;d=&lt;2&gt;|Open x.example>"),
        "a link off Sentry's hosts is labelled with its host"
    );

    let long = &all.iter().find(|c| c.name == "long_title").unwrap().body;
    let header = blocks_of(long)[0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.chars().count(), render::HEADER_MAX);
    assert!(header.ends_with('…'));
    assert!(section_text(long).chars().count() <= render::SECTION_MAX);
    for f in blocks_of(long)[2]["fields"].as_array().unwrap() {
        let t = f["text"].as_str().unwrap();
        assert!(
            t.chars().count() <= render::FIELD_MAX,
            "{}",
            t.chars().count()
        );
        assert!(
            t.ends_with("&lt;…") || !t.contains("&lt;"),
            "cut inside an entity"
        );
    }
}

/// Writes every case to `target/tmp/slack-blocks/` for `tests/python/test_slack_blocks.py`,
/// which checks them with Slack's own SDK (`slack_sdk.models.blocks`).
#[test]
fn render_fixtures_for_slack_sdk() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("slack-blocks");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = serde_json::Map::new();
    for case in cases() {
        let file = format!("{}.json", case.name);
        std::fs::write(
            dir.join(&file),
            serde_json::to_vec_pretty(&case.body).unwrap(),
        )
        .unwrap();
        let expect = if case.buttons {
            json!({"buttons": [[ACTION_ACK, GROUP_ID], [ACTION_SNOOZE, GROUP_ID], [ACTION_RESOLVE, GROUP_ID]]})
        } else {
            json!({"buttons": []})
        };
        manifest.insert(file, expect);
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&Value::Object(manifest)).unwrap(),
    )
    .unwrap();
}

// ---------------------------------------------------------------- signatures

struct Vector {
    secret: String,
    timestamp: String,
    signature: String,
    body: Vec<u8>,
}

/// Slack's documented signing example (see `fixtures/slack/README.md`).
fn vector() -> Vector {
    let v: Value = serde_json::from_slice(&fixture("slack/signing_test_vector.json")).unwrap();
    let body = fixture("slack/signing_test_vector.body.txt");
    assert_eq!(
        body,
        v["body"].as_str().unwrap().as_bytes(),
        "the two fixture files agree"
    );
    assert_eq!(
        v["basestring"].as_str().unwrap(),
        format!(
            "v0:{}:{}",
            v["timestamp"].as_str().unwrap(),
            v["body"].as_str().unwrap()
        )
    );
    Vector {
        secret: v["signing_secret"].as_str().unwrap().into(),
        timestamp: v["headers"]["X-Slack-Request-Timestamp"]
            .as_str()
            .unwrap()
            .into(),
        signature: v["headers"]["X-Slack-Signature"].as_str().unwrap().into(),
        body,
    }
}

fn unix(ts: &str) -> DateTime<Utc> {
    DateTime::from_timestamp(ts.parse().unwrap(), 0).unwrap()
}

fn slack_headers(ts: Option<&str>, sig: Option<&str>) -> Headers {
    let mut h = Headers::new().with("Content-Type", "application/x-www-form-urlencoded");
    if let Some(ts) = ts {
        h.push("X-Slack-Request-Timestamp", ts);
    }
    if let Some(sig) = sig {
        h.push("X-Slack-Signature", sig);
    }
    h
}

fn assert_signature_error(r: signalcraft_core::Result<()>, needle: &str) {
    let err = r.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature, "{err}");
    assert!(
        err.to_string().contains(needle),
        "expected {needle:?} in {err}"
    );
}

#[test]
fn slack_signing_vector_verifies() {
    let v = vector();
    let h = slack_headers(Some(&v.timestamp), Some(&v.signature));
    let now = unix(&v.timestamp);
    actions::verify(&v.secret, &h, &v.body, now).unwrap();
    // Header names in any case, and either edge of the 5-minute window.
    let lower = Headers::new()
        .with("x-slack-request-timestamp", v.timestamp.as_str())
        .with("x-slack-signature", v.signature.as_str());
    actions::verify(&v.secret, &lower, &v.body, now + TimeDelta::seconds(300)).unwrap();
    actions::verify(&v.secret, &lower, &v.body, now - TimeDelta::seconds(300)).unwrap();
    // Our own HMAC agrees with the vector.
    let base = format!(
        "v0:{}:{}",
        v.timestamp,
        String::from_utf8(v.body.clone()).unwrap()
    );
    assert_eq!(
        format!(
            "v0={}",
            hmac_sha256_hex(v.secret.as_bytes(), base.as_bytes())
        ),
        v.signature
    );
}

#[test]
fn tampered_body_wrong_secret_and_bad_headers_are_rejected() {
    let v = vector();
    let now = unix(&v.timestamp);
    let h = slack_headers(Some(&v.timestamp), Some(&v.signature));

    let mut tampered = v.body.clone();
    let at = tampered.iter().position(|&b| b == b'r').unwrap(); // user_name=roadrunner
    tampered[at] = b'R';
    assert_signature_error(
        actions::verify(&v.secret, &h, &tampered, now),
        "does not match",
    );
    let mut longer = v.body.clone();
    longer.push(b'&');
    assert_signature_error(
        actions::verify(&v.secret, &h, &longer, now),
        "does not match",
    );

    assert_signature_error(
        actions::verify("8f742231b10e8888abcd99yyyzzz85a6", &h, &v.body, now),
        "does not match",
    );
    assert_signature_error(
        actions::verify("", &h, &v.body, now),
        "no Slack signing secret",
    );

    // The signature covers the timestamp: a replay with a fresh timestamp fails.
    let moved = (v.timestamp.parse::<i64>().unwrap() + 60).to_string();
    let h2 = slack_headers(Some(&moved), Some(&v.signature));
    assert_signature_error(
        actions::verify(&v.secret, &h2, &v.body, now),
        "X-Slack-Signature: does not match",
    );

    let no_sig = slack_headers(Some(&v.timestamp), None);
    assert_signature_error(
        actions::verify(&v.secret, &no_sig, &v.body, now),
        "X-Slack-Signature: missing",
    );
    let no_ts = slack_headers(None, Some(&v.signature));
    assert_signature_error(
        actions::verify(&v.secret, &no_ts, &v.body, now),
        "X-Slack-Request-Timestamp: missing",
    );
    let bare_hex = slack_headers(Some(&v.timestamp), v.signature.strip_prefix("v0="));
    assert_signature_error(actions::verify(&v.secret, &bare_hex, &v.body, now), "v0=");
    let v1 = v.signature.replacen("v0=", "v1=", 1);
    let h3 = slack_headers(Some(&v.timestamp), Some(&v1));
    assert_signature_error(actions::verify(&v.secret, &h3, &v.body, now), "v0=");
    let junk = slack_headers(Some(&v.timestamp), Some("v0=not-hex"));
    assert_signature_error(
        actions::verify(&v.secret, &junk, &v.body, now),
        "not a hex digest",
    );
    let ts_junk = slack_headers(Some("yesterday"), Some(&v.signature));
    assert_signature_error(
        actions::verify(&v.secret, &ts_junk, &v.body, now),
        "not a unix timestamp",
    );
}

#[test]
fn old_and_future_timestamps_are_rejected() {
    let v = vector();
    let h = slack_headers(Some(&v.timestamp), Some(&v.signature));
    let then = unix(&v.timestamp);
    // The documented vector is from 2018: at any real `now` it is a replay.
    assert_signature_error(
        actions::verify(&v.secret, &h, &v.body, t0()),
        "more than the allowed 300s",
    );
    assert_signature_error(
        actions::verify(&v.secret, &h, &v.body, then + TimeDelta::seconds(301)),
        "301s away from now",
    );
    assert_signature_error(
        actions::verify(&v.secret, &h, &v.body, then - TimeDelta::seconds(301)),
        "301s away from now",
    );
}

// ---------------------------------------------------------------- interactive payloads

/// `application/x-www-form-urlencoded` as browsers and Slack write it (space as `+`).
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form_body(payload: &Value) -> Vec<u8> {
    format!("payload={}", form_encode(&payload.to_string())).into_bytes()
}

fn button_fixture_action() -> SlackAction {
    SlackAction {
        user_id: "W111".into(),
        user_name: Some("primary-owner".into()),
        action_id: "a".into(),
        group_id: "click_me_123".into(),
        channel_id: Some("C111".into()),
        message_ts: Some("111.222".into()),
        response_url: Some("https://hooks.slack.com/actions/T111/111/random-value".into()),
        team_id: Some("T111".into()),
    }
}

#[test]
fn real_form_body_parses() {
    let action = actions::parse(&fixture("slack/block_actions_button.form-body.txt")).unwrap();
    assert_eq!(action, button_fixture_action());
    assert_eq!(actions::actor(&action), "slack:W111");
    // The same payload, compact and `+`-encoded as Slack sends it, reads the same.
    let payload: Value =
        serde_json::from_slice(&fixture("slack/block_actions_button.payload.json")).unwrap();
    assert_eq!(
        actions::parse(&form_body(&payload)).unwrap(),
        button_fixture_action()
    );
    // With other fields around it, in any order.
    let mut body = b"token=x&".to_vec();
    body.extend(form_body(&payload));
    body.extend(b"&z=1");
    assert_eq!(actions::parse(&body).unwrap(), button_fixture_action());
    // Its action id is not ours: mapping it names it.
    let err = actions::command(&action, t0()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("unknown action \"a\""), "{err}");
}

#[test]
fn payload_with_message_parses() {
    let payload: Value =
        serde_json::from_slice(&fixture("slack/block_actions_with_message.payload.json")).unwrap();
    let action = actions::parse(&form_body(&payload)).unwrap();
    assert_eq!(
        action,
        SlackAction {
            user_id: "U111".into(),
            user_name: None,
            action_id: "button".into(),
            group_id: "clicked".into(),
            channel_id: Some("C111".into()),
            message_ts: Some("1678252213.679169".into()),
            response_url: Some("http://localhost:8888/webhook".into()),
            team_id: Some("T0G9PQBBK".into()),
        }
    );
}

/// A click on one of our own buttons, signed, end to end through the pure steps.
#[test]
fn our_buttons_map_to_commands() {
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let now = t0();
    let rendered = render::post_message(CHANNEL, &SlackMessage::firing(&group()));
    let buttons = rendered["blocks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["type"] == "actions")
        .unwrap()["elements"]
        .as_array()
        .unwrap()
        .clone();
    let expected = [
        Command::Ack,
        Command::Snooze {
            until: now + TimeDelta::hours(1),
        },
        Command::Resolve,
    ];
    for (button, want) in buttons.iter().zip(expected) {
        let payload = json!({
            "type": "block_actions",
            "user": {"id": "U024BE7LH", "username": "ann", "name": "ann.b", "team_id": "T1"},
            "team": {"id": "T1", "domain": "acme"},
            "channel": {"id": CHANNEL, "name": "alerts"},
            "container": {"type": "message", "message_ts": TS, "channel_id": CHANNEL},
            "message": {"ts": TS, "text": "🟠 [error] TypeError"},
            "response_url": "https://hooks.slack.com/actions/T1/1/x",
            "actions": [{
                "type": "button",
                "action_id": button["action_id"],
                "block_id": "b",
                "value": button["value"],
                "text": button["text"],
                "action_ts": "1772366500.000001"
            }]
        });
        let body = form_body(&payload);
        let ts = now.timestamp().to_string();
        let base = [format!("v0:{ts}:").as_bytes(), &body].concat();
        let sig = format!("v0={}", hmac_sha256_hex(secret.as_bytes(), &base));
        let h = slack_headers(Some(&ts), Some(&sig));
        actions::verify(secret, &h, &body, now + TimeDelta::seconds(2)).unwrap();
        let action = actions::parse(&body).unwrap();
        assert_eq!(action.group_id, GROUP_ID);
        assert_eq!(action.user_name.as_deref(), Some("ann"));
        assert_eq!(action.message_ts.as_deref(), Some(TS));
        assert_eq!(actions::actor(&action), "slack:U024BE7LH");
        assert_eq!(actions::command(&action, now).unwrap(), want);
    }
}

fn assert_invalid(body: &[u8], needle: &str) {
    let err = actions::parse(body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().starts_with(needle),
        "expected {needle:?} at the start of {err}"
    );
}

#[test]
fn malformed_forms_name_the_path() {
    let good: Value =
        serde_json::from_slice(&fixture("slack/block_actions_button.payload.json")).unwrap();
    let edited = |edit: &dyn Fn(&mut Value)| {
        let mut v = good.clone();
        edit(&mut v);
        form_body(&v)
    };
    assert_invalid(b"", "payload: missing");
    assert_invalid(b"token=x&command=%2Fdeploy", "payload: missing");
    assert_invalid(
        b"payload=%7B%22type%22%3A%2",
        "payload: malformed percent-escape at byte 16 of the field",
    );
    assert_invalid(b"payload=%zz", "payload: malformed percent-escape");
    assert_invalid(b"pay%load=1", "form: malformed percent-escape");
    assert_invalid(b"payload=%FF", "payload: not UTF-8");
    assert_invalid(b"payload=hello", "payload: not valid JSON");
    assert_invalid(b"payload=", "payload: not valid JSON");
    assert_invalid(
        b"payload=%5B%5D",
        "payload: expected an object, got an array",
    );
    assert_invalid(
        &edited(&|v| v["type"] = json!("view_submission")),
        "payload.type: expected \"block_actions\", got \"view_submission\"",
    );
    assert_invalid(
        &edited(&|v| v["type"] = json!(7)),
        "payload.type: expected a string",
    );
    assert_invalid(
        &edited(&|v| {
            v.as_object_mut().unwrap().remove("type");
        }),
        "payload.type: missing",
    );
    assert_invalid(
        &edited(&|v| {
            v["user"].as_object_mut().unwrap().remove("id");
        }),
        "payload.user.id: missing",
    );
    assert_invalid(
        &edited(&|v| v["user"]["id"] = json!("  ")),
        "payload.user.id: expected an id",
    );
    assert_invalid(
        &edited(&|v| v["user"] = json!("W111")),
        "payload.user: expected an object",
    );
    assert_invalid(
        &edited(&|v| v["actions"] = json!([])),
        "payload.actions: expected at least one action",
    );
    assert_invalid(
        &edited(&|v| v["actions"] = json!({})),
        "payload.actions: expected an array",
    );
    assert_invalid(
        &edited(&|v| {
            v["actions"][0].as_object_mut().unwrap().remove("value");
        }),
        "payload.actions[0].value: missing",
    );
    assert_invalid(
        &edited(&|v| v["actions"][0]["action_id"] = json!("")),
        "payload.actions[0].action_id: expected a non-empty string",
    );
    assert_invalid(
        &edited(&|v| v["channel"] = json!("C111")),
        "payload.channel: expected an object",
    );
    assert_invalid(
        &edited(&|v| v["response_url"] = json!(1)),
        "payload.response_url: expected a string",
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes, and arbitrary payloads, never panic: they parse or fail as invalid input.
    #[test]
    fn parse_never_panics(raw in proptest::collection::vec(any::<u8>(), 0..300), json_ish in "[{}\\[\\]\":,a-z0-9%+ ]{0,120}") {
        for body in [raw.clone(), [b"payload=".as_slice(), &raw].concat(), format!("payload={json_ish}").into_bytes()] {
            if let Err(e) = actions::parse(&body) {
                prop_assert_eq!(e.kind(), ErrorKind::InvalidInput);
            }
        }
    }

    /// Any form-encoded string decodes back to itself.
    #[test]
    fn form_encoding_round_trips(s in "\\PC{0,60}") {
        let payload = json!({"type": "block_actions", "user": {"id": "U1", "name": s}, "actions": [{"action_id": "x", "value": s.clone() + "v"}]});
        let action = actions::parse(&form_body(&payload)).unwrap();
        prop_assert_eq!(action.group_id, s.clone() + "v");
        let trimmed = s.trim();
        prop_assert_eq!(action.user_name, (!trimmed.is_empty()).then(|| trimmed.to_string()));
    }

    /// Verification never panics on arbitrary headers and bodies, and only the right MAC passes.
    #[test]
    fn verify_never_panics(ts in "[0-9a-z ]{0,12}", sig in "(v0=)?[0-9a-fA-F]{0,70}", body in proptest::collection::vec(any::<u8>(), 0..100)) {
        let h = slack_headers(Some(&ts), Some(&sig));
        if let Err(e) = actions::verify("secret", &h, &body, t0()) {
            prop_assert_eq!(e.kind(), ErrorKind::Signature);
        }
    }
}
