//! PagerDuty Events API v2: trigger / acknowledge / resolve with PagerDuty's rules.

use crate::common::{Harness, alerts, edited, fixture, parse_as, snapshot_fixtures, t0};
use chrono::TimeDelta;
use signalcraft_core::{
    AlertStatus, ErrorKind, GroupStatus, Headers, IngestDecision, MatchScope, Severity, Source,
    SourceAction,
};

pub const FIXTURES: &[&str] = &[
    "pagerduty/events_v2_trigger.docs.json",
    "pagerduty/events_v2_trigger.openapi-example.json",
    "pagerduty/events_v2_acknowledge.docs.json",
    "pagerduty/events_v2_resolve.docs.json",
];

#[test]
fn every_fixture_normalizes_snapshot() {
    snapshot_fixtures(Source::Pagerduty, FIXTURES, t0());
}

#[test]
fn trigger_fields() {
    let (a, _) = alerts(
        parse_as(
            Source::Pagerduty,
            &Headers::new(),
            &fixture(FIXTURES[1]),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    let a = &a[0];
    assert_eq!(a.fingerprint, "srv01/mysql");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(
        a.title,
        "DISK at 99% on machine prod-datapipe03.example.com"
    );
    assert_eq!(a.project.as_deref(), Some("mysql"));
    assert_eq!(a.link.as_deref(), Some("http://pagerduty.example.com"));
    assert_eq!(
        a.tags.get("details.free space").map(String::as_str),
        Some("1%")
    );
    assert_eq!(
        a.tags.get("pagerduty.group").map(String::as_str),
        Some("prod-datapipe")
    );
    assert_eq!(a.occurred_at.unwrap().timestamp_millis(), 1437122578315); // "+0000" offset
    let (ack, _) = alerts(
        parse_as(
            Source::Pagerduty,
            &Headers::new(),
            &fixture(FIXTURES[2]),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(
        (ack[0].action.clone(), ack[0].scope),
        (Some(SourceAction::Acknowledge), MatchScope::Fingerprint)
    );
    let (res, _) = alerts(
        parse_as(
            Source::Pagerduty,
            &Headers::new(),
            &fixture(FIXTURES[3]),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(
        (res[0].status, res[0].fingerprint.as_str()),
        (AlertStatus::Resolved, "dedupkeyhere")
    );
}

#[test]
fn lifecycle_follows_pagerduty() {
    let h = Harness::on_disk();
    // the docs' trigger uses dedup_key "samplekeyhere"; ack/resolve from the docs use
    // "dedupkeyhere": the trigger is edited to use the same key.
    let trigger = edited(FIXTURES[0], |d| d["dedup_key"] = "dedupkeyhere".into());
    let t = h.ingest(Source::Pagerduty, &trigger).unwrap();
    assert_eq!(t.alerts[0].decision, IngestDecision::NewGroup);
    let id = t.alerts[0].group_id.clone().unwrap();
    // a day later the same key still joins (the incident is open: no time window)
    h.advance(TimeDelta::days(1));
    assert_eq!(
        h.ingest(Source::Pagerduty, &trigger).unwrap().alerts[0].decision,
        IngestDecision::Joined
    );
    let ack = h.ingest(Source::Pagerduty, &fixture(FIXTURES[2])).unwrap();
    assert_eq!(ack.alerts[0].decision, IngestDecision::Acknowledged);
    assert_eq!(ack.alerts[0].status, Some(GroupStatus::Acknowledged));
    let g = h.engine.group(h.ws(), id.as_str()).unwrap();
    let last = &g.timeline[0];
    assert_eq!(
        (
            last.command.as_str(),
            last.from,
            last.to,
            last.actor.as_str()
        ),
        (
            "ack",
            Some(GroupStatus::Open),
            Some(GroupStatus::Acknowledged),
            "source:pagerduty"
        )
    );
    assert_eq!(g.group.count, 2, "an acknowledgement is not a firing event");
    // acknowledging again changes nothing
    let again = h.ingest(Source::Pagerduty, &fixture(FIXTURES[2])).unwrap();
    assert_eq!(again.alerts[0].decision, IngestDecision::Acknowledged);
    assert_eq!(
        h.engine.group(h.ws(), id.as_str()).unwrap().timeline.len(),
        g.timeline.len()
    );
    let r = h.ingest(Source::Pagerduty, &fixture(FIXTURES[3])).unwrap();
    assert_eq!(r.alerts[0].decision, IngestDecision::Resolved);
    // after a resolve, a new trigger opens a new group, even in the same instant
    let t2 = h.ingest(Source::Pagerduty, &trigger).unwrap();
    assert_eq!(t2.alerts[0].decision, IngestDecision::NewGroup);
    assert_ne!(t2.alerts[0].group_id.as_ref(), Some(&id));
    // ack and resolve with no open incident are unmatched
    let h2 = Harness::on_disk();
    assert_eq!(
        h2.ingest(Source::Pagerduty, &fixture(FIXTURES[2]))
            .unwrap()
            .alerts[0]
            .decision,
        IngestDecision::Unmatched
    );
}

#[test]
fn trigger_without_dedup_key_gets_a_derived_one() {
    let body = edited(FIXTURES[0], |d| {
        d.as_object_mut().unwrap().remove("dedup_key");
    });
    let (a, notes) = alerts(
        parse_as(
            Source::Pagerduty,
            &Headers::new(),
            &body,
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert!(a[0].fingerprint.starts_with("derived:"));
    assert!(notes[0].contains("no dedup_key"));
}

#[test]
fn routing_key_must_match_the_secret_when_one_is_set() {
    let body = fixture(FIXTURES[1]);
    let err = parse_as(
        Source::Pagerduty,
        &Headers::new(),
        &body,
        serde_json::Value::Null,
        Some("other"),
        t0(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature);
    assert!(
        parse_as(
            Source::Pagerduty,
            &Headers::new(),
            &body,
            serde_json::Value::Null,
            Some("e93facc04764012d7bfb002500d5d1a6"),
            t0()
        )
        .is_ok()
    );
}

#[test]
fn malformed_input_is_invalid_and_stores_nothing() {
    let h = Harness::on_disk();
    let none = Headers::new();
    let s = Source::Pagerduty;
    let t = FIXTURES[1];
    // PagerDuty's own response bodies are not events
    h.check_invalid(
        s,
        &none,
        &fixture("pagerduty/events_v2_response_202_success.openapi-example.json"),
        "not an event",
    );
    h.check_invalid(
        s,
        &none,
        &fixture("pagerduty/events_v2_response_error.openapi-example.json"),
        "not an event",
    );
    h.check_invalid(s, &none, b"{\"routing_key\": \"k\"", "not valid JSON");
    h.check_invalid(
        s,
        &none,
        &edited(t, |d| d["event_action"] = "escalate".into()),
        "event_action: unknown event_action \"escalate\"",
    );
    h.check_invalid(
        s,
        &none,
        &edited(t, |d| {
            d["payload"].as_object_mut().unwrap().remove("summary");
        }),
        "payload.summary: missing",
    );
    h.check_invalid(
        s,
        &none,
        &edited(t, |d| {
            d["payload"].as_object_mut().unwrap().remove("source");
        }),
        "payload.source: missing",
    );
    h.check_invalid(
        s,
        &none,
        &edited(t, |d| d["payload"]["summary"] = "x".repeat(1025).into()),
        "payload.summary: longer than",
    );
    h.check_invalid(
        s,
        &none,
        &edited(t, |d| d["dedup_key"] = "k".repeat(256).into()),
        "dedup_key: longer than",
    );
    h.check_invalid(
        s,
        &none,
        &edited(t, |d| d["payload"]["timestamp"] = "noonish".into()),
        "payload.timestamp: not an ISO 8601 time",
    );
    h.check_invalid(
        s,
        &none,
        &edited(t, |d| d["links"] = "x".into()),
        "links: expected an array",
    );
    h.check_invalid(
        s,
        &none,
        &edited(FIXTURES[3], |d| {
            d.as_object_mut().unwrap().remove("dedup_key");
        }),
        "dedup_key: missing (required for resolve)",
    );
}
