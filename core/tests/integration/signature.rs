//! Sentry signatures: good, tampered body, wrong secret, missing header, skew.

use crate::common::{Harness, compact};
use chrono::TimeDelta;
use signalcraft_core::signature::hmac_sha256_hex;
use signalcraft_core::{ErrorKind, Headers, IntegrationUpdate, Outcome, Source};

const SECRET: &str = "b1f1a6a3c5b24d7e8f0a9c3d2e1f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f";

fn signed_harness(max_skew: Option<u64>) -> Harness {
    let h = Harness::on_disk();
    let update = IntegrationUpdate {
        secret: Some(SECRET.into()),
        max_skew_secs: max_skew,
        ..Default::default()
    };
    let view = h
        .engine
        .set_integration(h.ws(), Source::Sentry, &update)
        .unwrap();
    assert!(view.has_secret);
    h
}

/// The body as Sentry sends it: compact JSON.
fn body() -> Vec<u8> {
    serde_json::to_vec(&compact("sentry/issue_alert_triggered.docs.json")).unwrap()
}

fn headers(sig: Option<&str>, ts: Option<i64>) -> Headers {
    let mut h = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    if let Some(s) = sig {
        h.push("Sentry-Hook-Signature", s);
    }
    if let Some(t) = ts {
        h.push("Sentry-Hook-Timestamp", t.to_string());
    }
    h
}

fn assert_rejected(h: &Harness, hd: &Headers, body: &[u8], needle: &str) {
    let err = h
        .engine
        .ingest(h.ws(), Source::Sentry, hd, body)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature, "{err}");
    assert!(err.to_string().contains(needle), "{err}");
    assert!(
        h.row_counts().iter().all(|(_, n)| *n == 0),
        "{:?}",
        h.row_counts()
    );
}

#[test]
fn good_signature_is_accepted() {
    let h = signed_harness(None);
    let body = body();
    let sig = hmac_sha256_hex(SECRET.as_bytes(), &body);
    let out = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers(Some(&sig), None), &body)
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
}

#[test]
fn tampered_body_is_rejected() {
    let h = signed_harness(None);
    let body = body();
    let sig = hmac_sha256_hex(SECRET.as_bytes(), &body);
    let tampered = String::from_utf8(body).unwrap().replace("heck", "hack");
    assert_rejected(
        &h,
        &headers(Some(&sig), None),
        tampered.as_bytes(),
        "does not match",
    );
}

#[test]
fn pretty_printed_copy_of_a_signed_body_is_rejected() {
    // signatures cover the raw bytes: re-serializing breaks them, as it should
    let h = signed_harness(None);
    let body = body();
    let sig = hmac_sha256_hex(SECRET.as_bytes(), &body);
    let pretty =
        serde_json::to_vec_pretty(&compact("sentry/issue_alert_triggered.docs.json")).unwrap();
    assert_rejected(&h, &headers(Some(&sig), None), &pretty, "does not match");
}

#[test]
fn wrong_secret_is_rejected() {
    let h = signed_harness(None);
    let body = body();
    let sig = hmac_sha256_hex(b"not-the-secret", &body);
    assert_rejected(&h, &headers(Some(&sig), None), &body, "does not match");
}

#[test]
fn missing_signature_is_rejected() {
    let h = signed_harness(None);
    assert_rejected(&h, &headers(None, None), &body(), "missing");
    // the legacy plugin never signs, so with a secret set it is refused too
    let legacy = crate::common::fixture("sentry/legacy_webhooks_plugin.zulip.json");
    assert_rejected(&h, &Headers::new(), &legacy, "missing");
}

#[test]
fn skew_limit() {
    let h = signed_harness(Some(300));
    let body = body();
    let sig = hmac_sha256_hex(SECRET.as_bytes(), &body);
    let now = h.engine.now().timestamp();
    assert_rejected(
        &h,
        &headers(Some(&sig), Some(now - 301)),
        &body,
        "more than the allowed 300s",
    );
    assert_rejected(
        &h,
        &headers(Some(&sig), Some(now + 301)),
        &body,
        "more than the allowed",
    );
    assert_rejected(
        &h,
        &headers(Some(&sig), None),
        &body,
        "Sentry-Hook-Timestamp: missing",
    );
    let ok = h
        .engine
        .ingest(
            h.ws(),
            Source::Sentry,
            &headers(Some(&sig), Some(now - 300)),
            &body,
        )
        .unwrap();
    assert_eq!(ok.outcome, Outcome::Accepted);
    h.advance(TimeDelta::hours(1));
}

#[test]
fn no_secret_accepts_unsigned_and_clearing_the_secret_works() {
    let h = signed_harness(None);
    let cleared = IntegrationUpdate {
        clear_secret: true,
        ..Default::default()
    };
    let view = h
        .engine
        .set_integration(h.ws(), Source::Sentry, &cleared)
        .unwrap();
    assert!(!view.has_secret);
    let out = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers(None, None), &body())
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
}
