//! Slack OAuth v2 against a Slack-shaped server on 127.0.0.1: the authorize URL and its signed
//! state, the code exchanged at `oauth.v2.access` (form-encoded), the bot token sealed in the
//! channel, the team routed to its workspace for button clicks; and every refusal — a forged,
//! expired or reused state, Slack answering `ok: false` — storing nothing it should not.

use crate::common::{Harness, fixture};
use crate::http::{Reply, TestServer};
use crate::slack_delivery::{SIGNING, percent};
use chrono::TimeDelta;
use serde_json::{Value, json};
use signalcraft_core::engine::{SlackConnectOptions, SlackInstall};
use signalcraft_core::routing::RuleSet;
use signalcraft_core::signature::hmac_sha256_hex;
use signalcraft_core::slack_oauth::SlackApp;
use signalcraft_core::{ErrorKind, GroupStatus, Headers, IntegrationUpdate};
use std::time::Duration;

const TEAM: &str = "T0G9PQBBK"; // the team of Slack's block_actions fixture

/// Slack: oauth.v2.access answers by code; chat.postMessage / chat.update accept.
pub fn slack() -> TestServer {
    TestServer::start(|r, _| {
        if r.path.ends_with("/oauth.v2.access") {
            let body = String::from_utf8_lossy(&r.body).to_string();
            if body.contains("code=good-code&") && body.contains("client_secret=shh%21") {
                Reply::json(
                    200,
                    json!({"ok": true, "access_token": "xoxb-installed-token", "token_type": "bot",
                           "scope": "chat:write,channels:read,groups:read", "bot_user_id": "U0BOT",
                           "app_id": "A0APP", "team": {"id": TEAM, "name": "Acme Ops"},
                           "enterprise": null, "authed_user": {"id": "U111"}}),
                )
            } else {
                Reply::json(200, json!({"ok": false, "error": "invalid_code"}))
            }
        } else if r.path.ends_with("/chat.postMessage") || r.path.ends_with("/chat.update") {
            Reply::json(
                200,
                json!({"ok": true, "channel": "C0ALERTS", "ts": "1772366400.000100"}),
            )
        } else {
            Reply::json(404, json!({"ok": false, "error": "unknown_method"}))
        }
    })
}

pub fn app(server: &TestServer) -> SlackApp {
    SlackApp {
        client_id: "1234.5678".into(),
        client_secret: "shh!".into(),
        redirect_uri: "http://127.0.0.1:9/api/slack/oauth/callback".into(),
        api_base: Some(server.url("/api")),
        authorize_url: Some(server.url("/oauth/v2/authorize")),
        signing_secret: Some(SIGNING.into()),
    }
}

fn query(url: &str, key: &str) -> Option<String> {
    let q = url.split_once('?')?.1;
    q.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| {
            let mut out = Vec::new();
            let b = v.as_bytes();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'%' && i + 2 < b.len() + 1 {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                    i += 3;
                } else {
                    out.push(b[i]);
                    i += 1;
                }
            }
            String::from_utf8(out).unwrap()
        })
    })
}

fn options(slack_channel: &str) -> SlackConnectOptions {
    SlackConnectOptions {
        channel: None,
        slack_channel: Some(slack_channel.into()),
    }
}

fn exchanges(server: &TestServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/oauth.v2.access"))
        .count()
}

#[test]
fn an_install_seals_the_token_records_the_team_and_routes_clicks() {
    let server = slack();
    let h = Harness::on_disk();
    let app = app(&server);
    let c = h
        .engine
        .slack_connect(h.ws(), &app, &options("#alerts"))
        .unwrap();
    assert!(
        c.url
            .starts_with(&format!("{}?", server.url("/oauth/v2/authorize"))),
        "{}",
        c.url
    );
    assert!(
        c.url
            .contains("&scope=chat:write,channels:read,groups:read&"),
        "{}",
        c.url
    );
    assert_eq!(query(&c.url, "client_id").as_deref(), Some("1234.5678"));
    assert_eq!(
        query(&c.url, "redirect_uri").as_deref(),
        Some(app.redirect_uri.as_str())
    );
    assert_eq!(query(&c.url, "state").as_deref(), Some(c.state.as_str()));

    let done: SlackInstall = h
        .engine
        .slack_oauth_callback(&app, "good-code", &c.state)
        .unwrap();
    assert_eq!(done.team_id, TEAM);
    assert_eq!(done.team_name.as_deref(), Some("Acme Ops"));
    assert_eq!(
        (done.workspace.as_str(), done.channel.as_str()),
        ("acme", "slack")
    );
    // the exchange: form-encoded code, client id and secret, redirect URI
    let ex = server
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/oauth.v2.access")
        .unwrap();
    assert_eq!(ex.method, "POST");
    assert_eq!(
        ex.header("Content-Type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = String::from_utf8(ex.body.clone()).unwrap();
    for part in [
        "code=good-code",
        "client_id=1234.5678",
        "client_secret=shh%21",
        "redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fapi%2Fslack%2Foauth%2Fcallback",
    ] {
        assert!(form.split('&').any(|p| p == part), "{part} in {form}");
    }
    // the channel: token masked when shown, sealed at rest
    let channels = h.engine.channels(h.ws()).unwrap();
    assert_eq!(channels[0]["name"], "slack");
    assert_eq!(channels[0]["config"]["channel"], "#alerts");
    assert_ne!(channels[0]["config"]["token"], "xoxb-installed-token");
    let stored = crate::common::Db::open(h.db_path())
        .texts("SELECT config FROM channels WHERE name = 'slack'")
        .remove(0);
    assert!(!stored.contains("xoxb-installed-token"), "{stored}");

    // the channel works: an alert posts with the installed token
    h.engine
        .put_rules(
            h.ws(),
            &RuleSet::from_json(&json!([{"id": "all", "when": {}, "then": {"notify": ["slack"]}}]))
                .unwrap(),
        )
        .unwrap();
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
    let post = server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/chat.postMessage"))
        .unwrap();
    assert_eq!(
        post.header("Authorization"),
        Some("Bearer xoxb-installed-token")
    );

    // a click sent to the app's one request URL finds the workspace by its team id
    let (headers, body) = crate::slack_delivery::click(&h, "signalcraft_ack", &gid);
    let out = h.engine.handle_slack_team_action(&headers, &body).unwrap();
    assert_eq!((out.status.as_str(), out.changed), ("acknowledged", true));
    assert_eq!(
        h.engine.group(h.ws(), &gid).unwrap().group.status,
        GroupStatus::Acknowledged
    );
    // the message is updated in place, in the channel id the post answered (chat.update takes
    // no channel name), though the channel is configured by name
    assert_eq!(
        h.engine
            .dispatch(None, Duration::from_secs(5))
            .unwrap()
            .sent,
        1
    );
    let update = server
        .requests()
        .into_iter()
        .find(|r| r.path.ends_with("/chat.update"))
        .unwrap();
    assert_eq!(update.json()["channel"], "C0ALERTS");
    assert_eq!(update.json()["ts"], "1772366400.000100");
    // signed with another secret: refused
    let (mut bad, body) = crate::slack_delivery::click(&h, "signalcraft_resolve", &gid);
    bad = Headers::new()
        .with(
            "X-Slack-Request-Timestamp",
            bad.get("x-slack-request-timestamp").unwrap(),
        )
        .with("X-Slack-Signature", "v0=00");
    assert_eq!(
        h.engine
            .handle_slack_team_action(&bad, &body)
            .unwrap_err()
            .kind(),
        ErrorKind::Signature
    );
}

/// A click payload of another team, signed with the workspace's secret.
fn click_of_team(h: &Harness, team: &str, group: &str) -> (Headers, Vec<u8>) {
    let mut p: Value =
        serde_json::from_slice(&fixture("slack/block_actions_with_message.payload.json")).unwrap();
    p["actions"][0]["action_id"] = "signalcraft_ack".into();
    p["actions"][0]["value"] = group.into();
    p["team"]["id"] = team.into();
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

#[test]
fn a_team_named_in_the_slack_integration_routes_too() {
    let h = Harness::on_disk();
    let gid = crate::lifecycle::event(&h, "1", 1).alerts[0]
        .group_id
        .clone()
        .unwrap()
        .0;
    let (headers, body) = click_of_team(&h, "T0OTHER", &gid);
    let e = h
        .engine
        .handle_slack_team_action(&headers, &body)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let view = h
        .engine
        .set_slack_integration(
            h.ws(),
            &IntegrationUpdate {
                secret: Some(SIGNING.into()),
                options: Some(json!({"team_id": "T0OTHER"})),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(view["has_secret"], true);
    assert_eq!(view["options"]["team_id"], "T0OTHER");
    let out = h.engine.handle_slack_team_action(&headers, &body).unwrap();
    assert_eq!(out.status, "acknowledged");
    let e = h
        .engine
        .set_slack_integration(
            h.ws(),
            &IntegrationUpdate {
                options: Some(json!({"team": "x"})),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.path(), Some("options.team"));
}

#[test]
fn forged_expired_and_reused_states_and_slack_refusals() {
    let server = slack();
    let h = Harness::on_disk();
    let app = app(&server);
    let c = h
        .engine
        .slack_connect(h.ws(), &app, &options("#ops"))
        .unwrap();
    // forged: another engine's key, or an edited state
    let other = crate::common::builder()
        .secret_key([9; 32])
        .build()
        .unwrap();
    other.create_workspace("acme").unwrap();
    let theirs = other.slack_connect("acme", &app, &options("#ops")).unwrap();
    let state_error = |state: &str| {
        let e = h
            .engine
            .slack_oauth_callback(&app, "good-code", state)
            .unwrap_err();
        assert_eq!(
            (e.kind(), e.path()),
            (ErrorKind::InvalidInput, Some("state")),
            "{e}"
        );
        e.to_string()
    };
    state_error(&theirs.state);
    let mut edited = c.state.clone();
    edited.insert(5, 'x');
    state_error(&edited);
    state_error("v1.nothing.here");
    assert_eq!(exchanges(&server), 0, "a bad state never reaches Slack");
    // Slack refuses the code: invalid_input at code, nothing installed, the state used up
    let e = h
        .engine
        .slack_oauth_callback(&app, "stale-code", &c.state)
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.path()),
        (ErrorKind::InvalidInput, Some("code"))
    );
    assert!(e.to_string().contains("invalid_code"), "{e}");
    assert!(h.engine.channels(h.ws()).unwrap().is_empty());
    assert!(state_error(&c.state).contains("already used"));
    // reused after a good install
    let c2 = h
        .engine
        .slack_connect(h.ws(), &app, &options("#ops"))
        .unwrap();
    h.engine
        .slack_oauth_callback(&app, "good-code", &c2.state)
        .unwrap();
    assert!(state_error(&c2.state).contains("already used"));
    assert_eq!(exchanges(&server), 2);
    // expired: 10 minutes
    let c3 = h
        .engine
        .slack_connect(h.ws(), &app, &options("#ops"))
        .unwrap();
    h.advance(TimeDelta::minutes(10));
    assert!(state_error(&c3.state).contains("expired"));
    assert_eq!(exchanges(&server), 2);
    // the same team into another workspace: a conflict, the first install stays
    let ws2 = h.engine.create_workspace("beta").unwrap();
    let c4 = h
        .engine
        .slack_connect("beta", &app, &options("#ops"))
        .unwrap();
    let e = h
        .engine
        .slack_oauth_callback(&app, "good-code", &c4.state)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(h.engine.channels(ws2.id.as_str()).unwrap().is_empty());
    // bad arguments are named
    let e = h
        .engine
        .slack_connect(
            h.ws(),
            &SlackApp {
                client_id: String::new(),
                ..app.clone()
            },
            &options("#ops"),
        )
        .unwrap_err();
    assert_eq!(e.path(), Some("app.client_id"));
    let e = h
        .engine
        .slack_connect(
            h.ws(),
            &app,
            &SlackConnectOptions {
                channel: Some("bad name!".into()),
                slack_channel: None,
            },
        )
        .unwrap_err();
    assert_eq!(e.path(), Some("options.channel"), "{e}");
}

#[test]
fn an_oversized_click_is_too_large() {
    let h = Harness::on_disk();
    let big = vec![b'a'; signalcraft_core::engine::DEFAULT_MAX_BODY_BYTES + 1];
    for r in [
        h.engine.handle_slack_team_action(&Headers::new(), &big),
        h.engine.handle_slack_action(h.ws(), &Headers::new(), &big),
    ] {
        assert_eq!(r.unwrap_err().kind(), ErrorKind::TooLarge);
    }
}
