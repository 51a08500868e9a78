//! Datadog: the real default payload (snapshot), Recovered derived from it, bad input.

use crate::common::{Harness, alerts, edited, fixture, parse_as, snapshot_fixtures, t0};
use signalcraft_core::{
    AlertStatus, GroupStatus, Headers, IngestDecision, Outcome, Severity, Source,
};

const F: &str = "datadog/relay_default_payload_service_check_triggered.json";

#[test]
fn every_fixture_normalizes_snapshot() {
    snapshot_fixtures(Source::Datadog, &[F], t0());
}

#[test]
fn default_payload_fields() {
    let (a, notes) = alerts(
        parse_as(
            Source::Datadog,
            &Headers::new(),
            &fixture(F),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    let a = &a[0];
    assert_eq!(a.fingerprint, "monitor:18692904");
    assert!(notes[0].contains("monitor 18692904"), "{notes:?}");
    assert_eq!(a.title, "Host Cluster Alert");
    assert_eq!(a.severity, Severity::Error);
    assert_eq!(a.status, AlertStatus::Firing);
    assert_eq!(a.source_event_id.as_deref(), Some("5485379890863845239"));
    assert_eq!(
        a.link.as_deref(),
        Some("https://app.datadoghq.com/monitors#18692904?")
    );
    assert_eq!(a.occurred_at.unwrap().timestamp_millis(), 1591216985000);
    assert_eq!(a.tags.get("datadog.test").map(String::as_str), Some("true"));
    assert_eq!(
        a.tags.get("datadog.org_name").map(String::as_str),
        Some("Puppet")
    );
    assert!(
        a.message
            .as_deref()
            .unwrap()
            .starts_with("@webhook-relay-test")
    );
}

/// No real Recovered payload is published: it is derived here from the real Triggered one by
/// changing the title's transition prefix and the event id (as Datadog does for a new event).
fn recovered() -> Vec<u8> {
    edited(F, |d| {
        d["title"] = "[Recovered] [TEST] Host Cluster Alert".into();
        d["id"] = "5485379890863845240".into();
    })
}

#[test]
fn recovered_resolves_the_group() {
    let h = Harness::on_disk();
    let out = h.ingest(Source::Datadog, &fixture(F)).unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::NewGroup);
    let id = out.alerts[0].group_id.clone().unwrap();
    // Datadog retries the same event: a duplicate
    let again = h.ingest(Source::Datadog, &fixture(F)).unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
    let r = h.ingest(Source::Datadog, &recovered()).unwrap();
    assert_eq!(r.alerts[0].decision, IngestDecision::Resolved);
    assert_eq!(r.alerts[0].group_id.as_ref(), Some(&id));
    assert_eq!(
        h.engine.group(h.ws(), id.as_str()).unwrap().group.status,
        GroupStatus::Resolved
    );
}

#[test]
fn custom_payload_fields_win() {
    // The default payload plus Datadog's $ALERT_ID, $AGGREG_KEY, $ALERT_TRANSITION, $ALERT_PRIORITY
    // and $TAGS, as users add them (derived from the real payload).
    let body = edited(F, |d| {
        d["alert_id"] = "18692904".into();
        d["aggreg_key"] = "host:i-123".into();
        d["alert_transition"] = "Recovered".into();
        d["alert_priority"] = "P1".into();
        d["tags"] = "env:prod,service:api,team:core".into();
    });
    let (a, _) = alerts(
        parse_as(
            Source::Datadog,
            &Headers::new(),
            &body,
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(a[0].fingerprint, "monitor:18692904:host:i-123");
    assert_eq!(a[0].status, AlertStatus::Resolved);
    assert_eq!(a[0].severity, Severity::Critical);
    assert_eq!(a[0].environment.as_deref(), Some("prod"));
    assert_eq!(a[0].project.as_deref(), Some("api"));
}

#[test]
fn malformed_input_is_invalid_and_stores_nothing() {
    let h = Harness::on_disk();
    let none = Headers::new();
    let s = Source::Datadog;
    h.check_invalid(s, &none, b"title=x", "not valid JSON");
    h.check_invalid(s, &none, b"\"x\"", "$: expected an object");
    h.check_invalid(
        s,
        &none,
        &edited(F, |d| {
            d.as_object_mut().unwrap().remove("title");
        }),
        "title: missing",
    );
    h.check_invalid(
        s,
        &none,
        &edited(F, |d| d["title"] = 7.into()),
        "title: expected a string",
    );
    h.check_invalid(
        s,
        &none,
        &edited(F, |d| d["date"] = "last tuesday".into()),
        "date: expected an integer",
    );
    h.check_invalid(
        s,
        &none,
        &edited(F, |d| d["date"] = 1.5e300.into()),
        "date: expected an integer",
    );
    h.check_invalid(
        s,
        &none,
        &edited(F, |d| d["org"]["name"] = serde_json::json!({})),
        "org.name",
    );
    h.check_invalid(
        s,
        &none,
        &edited(F, |d| d["id"] = serde_json::json!([1])),
        "id: expected an id",
    );
}
