//! Generic JSON through a per-integration mapping: paths, batches, maps, signatures, bad mappings.

use crate::common::{Harness, alerts, fixture, parse_as, t0};
use signalcraft_core::signature::{hmac_sha256, hmac_sha256_hex};
use signalcraft_core::{
    AlertStatus, ErrorKind, GroupStatus, Headers, IngestDecision, IntegrationUpdate, Severity,
    Source,
};

/// The mapping from the issue, verbatim.
fn issue_mapping() -> serde_json::Value {
    serde_json::json!({"events": "alerts",
        "fields": {"title": "summary", "severity": "level", "environment": "env", "project": "service",
                   "status": "state", "event_id": "id", "link": "url", "occurred_at": "ts"},
        "severity_map": {"P1": "critical", "P2": "error"},
        "status_map": {"ok": "resolved", "alerting": "firing"},
        "fingerprint_fields": ["service", "check"],
        "signature": {"header": "X-Hub-Signature-256", "prefix": "sha256=", "encoding": "hex"}})
}

fn batch(state: &str, ids: [&str; 2]) -> Vec<u8> {
    serde_json::json!({"alerts": [
        {"summary": "db down", "level": "P1", "env": "prod", "service": "db", "check": "ping",
         "state": state, "id": ids[0], "url": "https://mon.example/1", "ts": "2026-03-01T11:59:00Z"},
        {"summary": "db slow", "level": "P7", "env": "prod", "service": "db", "check": "latency",
         "state": state, "id": ids[1], "ts": 1772366340}
    ]}).to_string().into_bytes()
}

#[test]
fn the_issue_mapping_end_to_end() {
    let h = Harness::on_disk();
    h.configure(Source::Generic, issue_mapping(), Some("k"));
    let body = batch("alerting", ["e1", "e2"]);
    let signed = Headers::new().with(
        "X-Hub-Signature-256",
        format!("sha256={}", hmac_sha256_hex(b"k", &body)),
    );
    let out = h
        .engine
        .ingest(h.ws(), Source::Generic, &signed, &body)
        .unwrap();
    assert_eq!(out.alerts.len(), 2);
    assert_eq!(out.alerts[0].severity, Severity::Critical);
    assert_eq!(out.alerts[1].severity, Severity::Warning);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("unknown severity \"P7\"")),
        "{:?}",
        out.notes
    );
    assert!(out.alerts[0].fingerprint.starts_with("fields:"));
    assert_ne!(out.alerts[0].fingerprint, out.alerts[1].fingerprint);
    let g = h
        .engine
        .group(h.ws(), out.alerts[0].group_id.as_ref().unwrap().as_str())
        .unwrap();
    assert_eq!(g.group.project.as_deref(), Some("db"));
    assert_eq!(g.group.environment.as_deref(), Some("prod"));
    assert_eq!(g.group.link.as_deref(), Some("https://mon.example/1"));
    assert_eq!(
        g.events[0].occurred_at.unwrap().to_rfc3339(),
        "2026-03-01T11:59:00+00:00"
    );
    // unsigned: refused
    let err = h
        .engine
        .ingest(h.ws(), Source::Generic, &Headers::new(), &body)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature);
    // "ok" resolves through status_map
    let body = batch("ok", ["e3", "e4"]);
    let signed = Headers::new().with(
        "X-Hub-Signature-256",
        format!("sha256={}", hmac_sha256_hex(b"k", &body)),
    );
    let r = h
        .engine
        .ingest(h.ws(), Source::Generic, &signed, &body)
        .unwrap();
    assert!(
        r.alerts
            .iter()
            .all(|a| a.decision == IngestDecision::Resolved),
        "{r:?}"
    );
}

#[test]
fn a_real_alertmanager_body_through_a_mapping_and_top_level_arrays() {
    // Real data: the Zulip Alertmanager fixture, read as generic JSON.
    let body = fixture("alertmanager/zulip_firing_2_alerts.json");
    let mapping = serde_json::json!({"events": "alerts", "fields": {"title": "annotations.summary",
        "severity": "labels.severity", "status": "status", "fingerprint": "fingerprint",
        "occurred_at": "startsAt", "tags": "labels", "message": "annotations.description"}});
    let (a, _) = alerts(
        parse_as(
            Source::Generic,
            &Headers::new(),
            &body,
            mapping.clone(),
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(a.len(), 2);
    assert_eq!(
        (a[0].title.as_str(), a[0].severity, a[0].status),
        (
            "High CPU core temperature",
            Severity::Critical,
            AlertStatus::Firing
        )
    );
    assert_eq!(a[1].fingerprint, "c2ea85182f28cbd9");
    assert_eq!(a[0].tags.get("host").map(String::as_str), Some("andromeda"));
    // the alerts array at the top level is a batch too
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let top = doc["alerts"].to_string();
    let mut m = mapping.clone();
    m.as_object_mut().unwrap().remove("events");
    let (b, _) = alerts(
        parse_as(
            Source::Generic,
            &Headers::new(),
            top.as_bytes(),
            m.clone(),
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(b.len(), 2);
    // paths with indexes
    let m2 = serde_json::json!({"fields": {"title": "alerts.1.annotations.description"}});
    let (c, _) = alerts(parse_as(Source::Generic, &Headers::new(), &body, m2, None, t0()).unwrap());
    assert_eq!(c[0].title, "CPU core temperature is 17.625C");
    assert_eq!(c[0].fingerprint, "title:CPU core temperature is 17.625C");
}

#[test]
fn base64_signatures_and_acknowledged_status() {
    let h = Harness::on_disk();
    h.configure(
        Source::Generic,
        serde_json::json!({"fields": {"title": "t", "status": "s"},
        "status_map": {"ack": "acknowledged"},
        "signature": {"header": "X-Sig", "encoding": "base64"}}),
        Some("k"),
    );
    let sign = |b: &[u8]| {
        // standard base64 of the raw HMAC, computed independently of the parser's encoder
        let raw = hmac_sha256(b"k", b);
        let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in raw.chunks(3) {
            let n = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= c.len() {
                    s.push(table[(n >> (18 - 6 * i) & 63) as usize] as char)
                } else {
                    s.push('=')
                }
            }
        }
        Headers::new().with("X-Sig", s)
    };
    let fire = br#"{"t": "queue stuck"}"#;
    let out = h
        .engine
        .ingest(h.ws(), Source::Generic, &sign(fire), fire)
        .unwrap();
    let id = out.alerts[0].group_id.clone().unwrap();
    let ack = br#"{"t": "queue stuck", "s": "ACK"}"#;
    let out = h
        .engine
        .ingest(h.ws(), Source::Generic, &sign(ack), ack)
        .unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::Acknowledged);
    assert_eq!(
        h.engine.group(h.ws(), id.as_str()).unwrap().group.status,
        GroupStatus::Acknowledged
    );
    assert_eq!(
        h.engine
            .ingest(h.ws(), Source::Generic, &sign(fire), ack)
            .unwrap_err()
            .kind(),
        ErrorKind::Signature
    );
}

#[test]
fn mappings_are_validated_with_paths() {
    let h = Harness::on_disk();
    for (opts, needle) in [
        (serde_json::json!({}), "options.fields: missing"),
        (
            serde_json::json!({"fields": {}}),
            "options.fields.title: missing",
        ),
        (
            serde_json::json!({"fields": {"title": "a..b"}}),
            "options.fields.title: \"a..b\" is not a dotted path",
        ),
        (
            serde_json::json!({"fields": {"title": "t", "colour": "c"}}),
            "options.fields.colour: unknown field",
        ),
        (
            serde_json::json!({"fields": {"title": 5}}),
            "options.fields.title: expected a string",
        ),
        (
            serde_json::json!({"fields": {"title": "t"}, "severity_map": {"P1": "urgent"}}),
            "options.severity_map.P1",
        ),
        (
            serde_json::json!({"fields": {"title": "t"}, "status_map": {"ok": "fine"}}),
            "options.status_map.ok: unknown status",
        ),
        (
            serde_json::json!({"fields": {"title": "t"}, "signature": {"header": "X", "encoding": "rot13"}}),
            "options.signature.encoding",
        ),
        (
            serde_json::json!({"fields": {"title": "t"}, "signature": {}}),
            "options.signature.header: missing",
        ),
        (
            serde_json::json!({"fields": {"title": "t"}, "events": ""}),
            "options.events",
        ),
        (
            serde_json::json!({"fields": {"title": "t"}, "fingerprint_fields": "service"}),
            "options.fingerprint_fields: expected an array",
        ),
        (
            serde_json::json!({"fields": {"title": "t"}, "evnets": "x"}),
            "options.evnets: unknown option",
        ),
        (serde_json::json!([1]), "options: expected an object"),
    ] {
        let err = h
            .engine
            .set_integration(
                h.ws(),
                Source::Generic,
                &IntegrationUpdate {
                    options: Some(opts),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.to_string().contains(needle),
            "expected {needle:?} in {err}"
        );
    }
}

#[test]
fn malformed_input_is_invalid_and_stores_nothing() {
    let h = Harness::on_disk();
    let none = Headers::new();
    let s = Source::Generic;
    // no mapping yet
    h.check_invalid(s, &none, b"{}", "the generic source needs a mapping");
    h.configure(s, issue_mapping(), None);
    h.check_invalid(s, &none, b"{", "not valid JSON");
    h.check_invalid(s, &none, br#"{"events": []}"#, "alerts: missing");
    h.check_invalid(
        s,
        &none,
        br#"{"alerts": {"summary": "x"}}"#,
        "alerts: expected an array",
    );
    h.check_invalid(
        s,
        &none,
        br#"{"alerts": [{"summary": "x"}, {"level": "P1"}]}"#,
        "alerts[1].summary: missing",
    );
    h.check_invalid(
        s,
        &none,
        br#"{"alerts": [{"summary": "x", "ts": "tomorrow"}]}"#,
        "alerts[0].ts: not an RFC 3339 time",
    );
    h.check_invalid(
        s,
        &none,
        br#"{"alerts": [{"summary": {"a": 1}}]}"#,
        "alerts[0].summary: expected a string, number or boolean",
    );
    h.check_invalid(
        s,
        &none,
        br#"{"alerts": [7]}"#,
        "alerts[0]: expected an object",
    );
}
