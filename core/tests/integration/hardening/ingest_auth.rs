//! Authenticated ingest that `auto` cannot route around, and replay defence.

use crate::common::{Harness, compact, fixture};
use chrono::TimeDelta;
use serde_json::json;
use signalcraft_core::signature::hmac_sha256_hex;
use signalcraft_core::{ErrorKind, Headers, IntegrationUpdate, Outcome, Source};

const SECRET: &str = "b1f1a6a3c5b24d7e8f0a9c3d2e1f4a5b";

fn am_body() -> Vec<u8> {
    fixture("alertmanager/alertmanager-bot_firing.json")
}

fn set_secret(h: &Harness, source: Source, secret: &str) -> signalcraft_core::Result<bool> {
    h.engine
        .set_integration(
            h.ws(),
            source,
            &IntegrationUpdate {
                secret: Some(secret.into()),
                ..Default::default()
            },
        )
        .map(|v| v.has_secret)
}

fn allow_unauthenticated(h: &Harness) {
    h.engine
        .patch_settings(h.ws(), &json!({"allow_unauthenticated_ingest": true}))
        .unwrap();
}

fn nothing_stored(h: &Harness) -> bool {
    h.row_counts().iter().all(|(_, n)| *n == 0)
}

#[test]
fn auto_never_routes_an_alertmanager_body_around_a_sentry_secret() {
    let h = Harness::on_disk();
    // even where unauthenticated ingest is allowed: the setting is for unprotected workspaces
    allow_unauthenticated(&h);
    assert!(set_secret(&h, Source::Sentry, SECRET).unwrap());
    let e = h
        .engine
        .webhook(h.ws(), None, &Headers::new(), &am_body(), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    assert!(e.to_string().contains("auto"), "{e}");
    assert!(nothing_stored(&h), "{:?}", h.row_counts());
    // a key presented for another source does not help either
    let sentry_key = h.engine.create_ingest_key(h.ws(), Source::Sentry).unwrap();
    let e = h
        .engine
        .webhook(
            h.ws(),
            None,
            &Headers::new(),
            &am_body(),
            Some(&sentry_key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    // the refusal is counted for health under the source auto picked
    let am = h
        .engine
        .integrations(h.ws())
        .unwrap()
        .into_iter()
        .find(|i| i.source == Source::Alertmanager)
        .unwrap();
    assert_eq!(am.health.rejected_24h.get("signature"), Some(&2));
    // with alertmanager's own key the same body through auto gets in
    let am_key = h
        .engine
        .create_ingest_key(h.ws(), Source::Alertmanager)
        .unwrap();
    let out = h
        .engine
        .webhook(h.ws(), None, &Headers::new(), &am_body(), Some(&am_key.key))
        .unwrap();
    assert_eq!(out.source, Source::Alertmanager);
    assert_eq!(out.outcome, Outcome::Accepted);
}

#[test]
fn a_secret_is_refused_where_it_cannot_be_checked_and_enforced_where_it_is_kept() {
    let h = Harness::on_disk();
    allow_unauthenticated(&h);
    for source in [Source::Datadog, Source::Opsgenie] {
        let e = set_secret(&h, source, SECRET).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{source}: {e}");
        assert!(e.to_string().contains("ingest key"), "{source}: {e}");
        assert!(!h.engine.integration(h.ws(), source).unwrap().has_secret);
    }
    // Alertmanager: the secret is the bearer credential of http_config.authorization
    assert!(set_secret(&h, Source::Alertmanager, SECRET).unwrap());
    let am = |headers: &Headers| {
        h.engine.webhook(
            h.ws(),
            Some(Source::Alertmanager),
            headers,
            &am_body(),
            None,
        )
    };
    let e = am(&Headers::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    let e = am(&Headers::new().with("Authorization", "Bearer not-the-secret")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    assert!(nothing_stored(&h), "{:?}", h.row_counts());
    let out = am(&Headers::new().with("Authorization", format!("Bearer {SECRET}"))).unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    // and auto cannot read the body as some other, unprotected source: it is alertmanager's
    let e = h
        .engine
        .webhook(h.ws(), None, &Headers::new(), &am_body(), None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    // "send a test alert" signs the sample as Alertmanager would
    let out = h
        .engine
        .test_integration(h.ws(), Source::Alertmanager)
        .unwrap();
    assert!(out.notes[0].contains("signed with the integration's secret"));
}

#[test]
fn a_secret_stored_where_it_cannot_be_checked_fails_closed() {
    let h = Harness::on_disk();
    allow_unauthenticated(&h);
    // as an older build could have stored it (plain text is sealed when the engine opens)
    crate::common::Db::open(h.db_path()).execute(&format!(
        "INSERT INTO integrations (workspace_id, source, secret, max_skew_secs, options, updated_at)
         VALUES ({}, 'datadog', 'legacy', NULL, 'null', 0)",
        crate::common::lit(h.ws())
    ));
    let body = fixture("datadog/relay_default_payload_service_check_triggered.json");
    let e = h
        .engine
        .webhook(h.ws(), Some(Source::Datadog), &Headers::new(), &body, None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    assert!(e.to_string().contains("ingest key"), "{e}");
    assert!(nothing_stored(&h), "{:?}", h.row_counts());
}

fn sentry_resolved() -> Vec<u8> {
    serde_json::to_vec(&compact("sentry/issue_resolved.zulip.json")).unwrap()
}

fn signed(body: &[u8], request_id: &str) -> Headers {
    Headers::new()
        .with("Sentry-Hook-Resource", "issue")
        .with("Request-ID", request_id)
        .with(
            "Sentry-Hook-Signature",
            hmac_sha256_hex(SECRET.as_bytes(), body),
        )
}

#[test]
fn a_replayed_signed_sentry_body_with_a_fresh_request_id_is_a_duplicate() {
    let h = Harness::on_disk();
    set_secret(&h, Source::Sentry, SECRET).unwrap();
    let body = sentry_resolved();
    let first = h
        .engine
        .webhook(
            h.ws(),
            Some(Source::Sentry),
            &signed(&body, "req-1"),
            &body,
            None,
        )
        .unwrap();
    assert_eq!(first.outcome, Outcome::Accepted);
    let before = h.row_counts();
    // five minutes later, the captured request again with a new Request-ID
    h.advance(TimeDelta::minutes(5));
    let replay = h
        .engine
        .webhook(
            h.ws(),
            Some(Source::Sentry),
            &signed(&body, "req-2"),
            &body,
            None,
        )
        .unwrap();
    assert_eq!(replay.outcome, Outcome::Duplicate, "{replay:?}");
    assert!(replay.reason.as_deref().unwrap().contains("signed body"));
    assert!(replay.alerts.is_empty());
    assert_eq!(h.row_counts(), before);
    // also through the trusted path and in a batch
    let again = h
        .engine
        .ingest(h.ws(), Source::Sentry, &signed(&body, "req-3"), &body)
        .unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
    // past the window (600 s by default) the digest is purged by tick: documented, not covered
    h.advance(TimeDelta::minutes(6));
    h.engine.tick(Some(h.ws())).unwrap();
    let kept = crate::common::Db::open(h.db_path()).int("SELECT COUNT(*) FROM signed_digests");
    assert_eq!(kept, 0);
    let late = h
        .engine
        .ingest(h.ws(), Source::Sentry, &signed(&body, "req-4"), &body)
        .unwrap();
    assert_eq!(late.outcome, Outcome::Accepted);
}

#[test]
fn the_replay_window_is_a_setting_and_widens_with_the_skew() {
    let h = Harness::on_disk();
    set_secret(&h, Source::Sentry, SECRET).unwrap();
    let s = h.engine.settings(h.ws()).unwrap();
    assert_eq!(s.replay.window_secs, 600);
    let e = h
        .engine
        .patch_settings(h.ws(), &json!({"replay": {"window_secs": 5}}))
        .unwrap_err();
    assert!(e.to_string().contains("settings.replay.window_secs"), "{e}");
    h.engine
        .patch_settings(h.ws(), &json!({"replay": {"window_secs": 3600}}))
        .unwrap();
    let body = sentry_resolved();
    let ingest = |id: &str| {
        h.engine
            .ingest(h.ws(), Source::Sentry, &signed(&body, id), &body)
            .unwrap()
            .outcome
    };
    assert_eq!(ingest("a"), Outcome::Accepted);
    h.advance(TimeDelta::minutes(50));
    h.engine.tick(None).unwrap();
    assert_eq!(ingest("b"), Outcome::Duplicate);
    // a dry run (the rule tester) tests a body already received without being refused
    let dry = h
        .engine
        .dry_run(h.ws(), Source::Sentry, &signed(&body, "c"), &body, None)
        .unwrap();
    assert_ne!(dry.outcome, Outcome::Duplicate);
}

/// Headers as a Slack-style sender signs: `v0=` + hex HMAC of `v0:<ts>:<body>`.
fn generic_signed(ts: i64, body: &[u8]) -> Headers {
    let msg = format!("v0:{ts}:{}", String::from_utf8_lossy(body));
    Headers::new()
        .with(
            "X-Sig",
            format!("v0={}", hmac_sha256_hex(SECRET.as_bytes(), msg.as_bytes())),
        )
        .with("X-Ts", ts.to_string())
}

#[test]
fn generic_signatures_check_the_skew_of_a_signed_timestamp() {
    let h = Harness::on_disk();
    h.engine
        .set_integration(
            h.ws(),
            Source::Generic,
            &IntegrationUpdate {
                secret: Some(SECRET.into()),
                max_skew_secs: Some(300),
                options: Some(json!({
                    "fields": {"title": "title"},
                    "signature": {"header": "X-Sig", "prefix": "v0=", "timestamp_header": "X-Ts", "message": "v0:{timestamp}:{body}"}
                })),
                ..Default::default()
            },
        )
        .unwrap();
    let body = br#"{"title":"disk full on db-1"}"#;
    let now = h.engine.now().timestamp();
    let ingest = |headers: &Headers| h.engine.ingest(h.ws(), Source::Generic, headers, body);
    // fresh: accepted
    assert_eq!(
        ingest(&generic_signed(now, body)).unwrap().outcome,
        Outcome::Accepted
    );
    // signed 10 minutes ago: over the skew
    let e = ingest(&generic_signed(now - 600, body)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    assert!(e.to_string().contains("X-Ts"), "{e}");
    // a fresh timestamp on an old signature: does not match
    let mut moved = generic_signed(now - 600, body);
    moved = Headers::from_iter(
        moved
            .iter()
            .map(|(n, v)| {
                if n == "X-Ts" {
                    (n.to_string(), now.to_string())
                } else {
                    (n.to_string(), v.to_string())
                }
            })
            .collect::<Vec<_>>(),
    );
    assert_eq!(ingest(&moved).unwrap_err().kind(), ErrorKind::Signature);
    // no timestamp: refused
    let e = ingest(&Headers::new().with("X-Sig", "v0=00")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
    // the same signed message again is a replay
    assert_eq!(
        ingest(&generic_signed(now, body)).unwrap().outcome,
        Outcome::Duplicate
    );
    // the mapping is checked: a message without {body} last, or {timestamp} without a header
    for bad in [
        json!({"header": "X-Sig", "timestamp_header": "X-Ts", "message": "{body}:{timestamp}"}),
        json!({"header": "X-Sig", "message": "{timestamp}:{body}"}),
        json!({"header": "X-Sig", "timestamp_header": "X-Ts", "message": "{body}"}),
    ] {
        let e = h
            .engine
            .set_integration(
                h.ws(),
                Source::Generic,
                &IntegrationUpdate {
                    options: Some(json!({"fields": {"title": "title"}, "signature": bad})),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("options.signature"), "{e}");
    }
}

#[test]
fn grafana_signed_timestamps_are_checked_and_replays_are_duplicates() {
    let h = Harness::on_disk();
    h.engine
        .set_integration(
            h.ws(),
            Source::Grafana,
            &IntegrationUpdate {
                secret: Some(SECRET.into()),
                max_skew_secs: Some(120),
                options: Some(json!({"timestamp_header": "X-Grafana-Alerting-Timestamp"})),
                ..Default::default()
            },
        )
        .unwrap();
    let body = fixture("grafana/grafana_docs_firing_2_alerts.json");
    let headers = |ts: i64| {
        let mut msg = format!("{ts}:").into_bytes();
        msg.extend_from_slice(&body);
        Headers::new()
            .with(
                "X-Grafana-Alerting-Signature",
                hmac_sha256_hex(SECRET.as_bytes(), &msg),
            )
            .with("X-Grafana-Alerting-Timestamp", ts.to_string())
    };
    let now = h.engine.now().timestamp();
    let out = h
        .engine
        .ingest(h.ws(), Source::Grafana, &headers(now), &body)
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    // the same signed message: a replay within the window
    h.advance(TimeDelta::seconds(60));
    let out = h
        .engine
        .ingest(h.ws(), Source::Grafana, &headers(now), &body)
        .unwrap();
    assert_eq!(out.outcome, Outcome::Duplicate);
    // Grafana's next notification, signed at its own time: accepted
    let out = h
        .engine
        .ingest(h.ws(), Source::Grafana, &headers(now + 60), &body)
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    // past the skew the replay is a signature error whatever the digests say
    h.advance(TimeDelta::seconds(300));
    let e = h
        .engine
        .ingest(h.ws(), Source::Grafana, &headers(now), &body)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Signature, "{e}");
}

#[test]
fn has_secret_is_never_a_claim_without_enforcement() {
    // every source: a secret is refused, or else an uncredentialed delivery is refused and the
    // sender's own scheme (what "send a test alert" does) gets in
    let h = Harness::on_disk();
    allow_unauthenticated(&h);
    for source in Source::ALL {
        if source == Source::Generic {
            h.engine
                .set_integration(
                    h.ws(),
                    source,
                    &IntegrationUpdate {
                        options: Some(json!({"fields": {"title": "title"}})),
                        ..Default::default()
                    },
                )
                .unwrap();
        }
        let kept = match set_secret(&h, source, SECRET) {
            Ok(kept) => kept,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::InvalidInput, "{source}: {e}");
                assert!(!h.engine.integration(h.ws(), source).unwrap().has_secret);
                continue;
            }
        };
        assert!(kept, "{source}");
        let (headers, body) = match h.engine.sample_payload(source) {
            Ok(s) => (s.headers(), s.body.into_bytes()),
            Err(_) => (Headers::new(), br#"{"title":"disk full"}"#.to_vec()),
        };
        let e = h
            .engine
            .webhook(h.ws(), Some(source), &headers, &body, None)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Signature, "{source}: {e}");
        if source != Source::Generic {
            let out = h.engine.test_integration(h.ws(), source).unwrap();
            assert_ne!(out.outcome, Outcome::Duplicate, "{source}");
        }
    }
}
