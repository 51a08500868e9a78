//! Grafana-managed alerting: snapshots, Grafana's extra fields, the optional HMAC, bad input.

use crate::common::{Harness, alerts, edited, fixture, parse_as, snapshot_fixtures, t0};
use signalcraft_core::signature::hmac_sha256_hex;
use signalcraft_core::{AlertStatus, ErrorKind, Headers, IngestDecision, Source};

pub const FIXTURES: &[&str] = &[
    "grafana/grafana_docs_firing_2_alerts.json",
    "grafana/zulip_grafana11_firing_values.json",
    "grafana/zulip_grafana9_resolved.json",
];

#[test]
fn every_fixture_normalizes_snapshot() {
    snapshot_fixtures(Source::Grafana, FIXTURES, t0());
}

#[test]
fn grafana_extras_become_tags() {
    let (a, _) = alerts(
        parse_as(
            Source::Grafana,
            &Headers::new(),
            &fixture("grafana/zulip_grafana11_firing_values.json"),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    let t = &a[0].tags;
    assert_eq!(
        t.get("grafana.value.A").map(String::as_str),
        Some("2473545728")
    );
    assert_eq!(t.get("grafana.value.minute").map(String::as_str), Some("9"));
    assert_eq!(
        t.get("grafana.panelURL").map(String::as_str),
        Some("https://play.grafana.org/d/ece9fb32-7f71-4be9-bd94-2f23608ae5b9?orgId=1&viewPanel=2")
    );
    assert!(
        t.contains_key("grafana.dashboardURL")
            && t.contains_key("grafana.silenceURL")
            && t.contains_key("grafana.imageURL")
    );
    assert_eq!(a[0].fingerprint, "e6349a25f5ef0e9e");
    assert_eq!(a[0].title, "High memory usage");
    let (a, _) = alerts(
        parse_as(
            Source::Grafana,
            &Headers::new(),
            &fixture("grafana/grafana_docs_firing_2_alerts.json"),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    // empty URLs are left out
    assert!(!a[0].tags.contains_key("grafana.panelURL"));
    assert_eq!(
        a[0].tags.get("grafana.value.B").map(String::as_str),
        Some("44.23943737541908")
    );
    let (r, _) = alerts(
        parse_as(
            Source::Grafana,
            &Headers::new(),
            &fixture("grafana/zulip_grafana9_resolved.json"),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(r[0].status, AlertStatus::Resolved);
}

#[test]
fn hmac_signature_as_grafana_computes_it() {
    let h = Harness::on_disk();
    let body = fixture("grafana/zulip_grafana9_resolved.json");
    h.configure(Source::Grafana, serde_json::Value::Null, Some("s3cret"));
    // body only (no timestamp header configured)
    let sig = hmac_sha256_hex(b"s3cret", &body);
    let ok = Headers::new().with("X-Grafana-Alerting-Signature", sig.clone());
    assert!(h.engine.ingest(h.ws(), Source::Grafana, &ok, &body).is_ok());
    let bad = Headers::new().with(
        "X-Grafana-Alerting-Signature",
        hmac_sha256_hex(b"other", &body),
    );
    assert_eq!(
        h.engine
            .ingest(h.ws(), Source::Grafana, &bad, &body)
            .unwrap_err()
            .kind(),
        ErrorKind::Signature
    );
    assert_eq!(
        h.engine
            .ingest(h.ws(), Source::Grafana, &Headers::new(), &body)
            .unwrap_err()
            .kind(),
        ErrorKind::Signature
    );
    // with a timestamp header: "<ts>:" + body, and the skew limit
    h.engine
        .set_integration(
            h.ws(),
            Source::Grafana,
            &signalcraft_core::IntegrationUpdate {
                options: Some(
                    serde_json::json!({"timestamp_header": "X-Grafana-Alerting-Timestamp"}),
                ),
                max_skew_secs: Some(300),
                ..Default::default()
            },
        )
        .unwrap();
    let ts = h.engine.now().timestamp().to_string();
    let mut msg = format!("{ts}:").into_bytes();
    msg.extend_from_slice(&body);
    let signed = Headers::new()
        .with(
            "X-Grafana-Alerting-Signature",
            hmac_sha256_hex(b"s3cret", &msg),
        )
        .with("X-Grafana-Alerting-Timestamp", ts.clone());
    let out = h
        .engine
        .ingest(h.ws(), Source::Grafana, &signed, &body)
        .unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::Unmatched);
    // the body-only signature no longer verifies
    let body_only = Headers::new()
        .with("X-Grafana-Alerting-Signature", sig)
        .with("X-Grafana-Alerting-Timestamp", ts);
    assert_eq!(
        h.engine
            .ingest(h.ws(), Source::Grafana, &body_only, &body)
            .unwrap_err()
            .kind(),
        ErrorKind::Signature
    );
    h.clock.advance(chrono::TimeDelta::minutes(10));
    assert_eq!(
        h.engine
            .ingest(h.ws(), Source::Grafana, &signed, &body)
            .unwrap_err()
            .kind(),
        ErrorKind::Signature
    );
}

#[test]
fn malformed_input_is_invalid_and_stores_nothing() {
    let h = Harness::on_disk();
    let f = "grafana/grafana_docs_firing_2_alerts.json";
    let none = Headers::new();
    let s = Source::Grafana;
    h.check_invalid(s, &none, b"{", "not valid JSON");
    h.check_invalid(
        s,
        &none,
        &fixture("alertmanager/zulip_firing_2_alerts.json"),
        "use the alertmanager source",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["version"] = 1.into()),
        "version: expected a string",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alerts"][1]["values"] = serde_json::json!([1, 2])),
        "alerts[1].values: expected an object",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| {
            d["alerts"][0]["values"]["B"] = serde_json::json!({"x": 1})
        }),
        "alerts[0].values.B: expected a string, number or boolean",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alerts"][0]["endsAt"] = "soon".into()),
        "alerts[0].endsAt",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alerts"][0]["panelURL"] = false.into()),
        "alerts[0].panelURL: expected a string",
    );
}
