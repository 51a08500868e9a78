//! Opsgenie outgoing webhooks: Create / Acknowledge / Close, exact nanosecond timestamps.

use crate::common::{Harness, alerts, edited, fixture, parse_as, snapshot_fixtures, t0};
use signalcraft_core::{GroupStatus, Headers, IngestDecision, Outcome, Severity, Source};

pub const FIXTURES: &[&str] = &[
    "opsgenie/zulip_opsgenie_create.json",
    "opsgenie/zulip_opsgenie_acknowledge.json",
    "opsgenie/zulip_opsgenie_close.json",
];

#[test]
fn every_fixture_normalizes_snapshot() {
    snapshot_fixtures(Source::Opsgenie, FIXTURES, t0());
}

#[test]
fn nanosecond_timestamps_are_exact() {
    let (a, _) = alerts(
        parse_as(
            Source::Opsgenie,
            &Headers::new(),
            &fixture(FIXTURES[1]),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    // 1420452224764002246 ns: a float64 would give ...764002304
    let t = a[0].occurred_at.unwrap();
    assert_eq!(t.timestamp(), 1420452224);
    assert_eq!(t.timestamp_subsec_nanos(), 764002246);
    assert_eq!(
        a[0].source_event_id.as_deref(),
        Some("052652ac-5d1c-464a-812a-7dd18bbfba8c:Acknowledge:1420452224764002246")
    );
    // two updates 1 ns apart are two events
    let b = edited(FIXTURES[1], |d| {
        d["alert"]["updatedAt"] = serde_json::json!(1420452224764002247_i64)
    });
    let (b, _) = alerts(
        parse_as(
            Source::Opsgenie,
            &Headers::new(),
            &b,
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_ne!(a[0].source_event_id, b[0].source_event_id);
    let (c, _) = alerts(
        parse_as(
            Source::Opsgenie,
            &Headers::new(),
            &fixture(FIXTURES[0]),
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(c[0].fingerprint, "alert-alias");
    assert_eq!(c[0].severity, Severity::Warning); // priority 3
    assert_eq!(c[0].project.as_deref(), Some("Server"));
    assert_eq!(c[0].occurred_at.unwrap().timestamp_millis(), 1502709956288); // createdAt (ms)
}

#[test]
fn create_acknowledge_close() {
    let h = Harness::on_disk();
    // The captured Create uses alias "alert-alias", the captured Acknowledge/Close "aliastest":
    // the Create is edited to the same alias so the three are one alert's life.
    let create = edited(FIXTURES[0], |d| d["alert"]["alias"] = "aliastest".into());
    let c = h.ingest(Source::Opsgenie, &create).unwrap();
    assert_eq!(c.alerts[0].decision, IngestDecision::NewGroup);
    let id = c.alerts[0].group_id.clone().unwrap();
    let a = h.ingest(Source::Opsgenie, &fixture(FIXTURES[1])).unwrap();
    assert_eq!(a.alerts[0].decision, IngestDecision::Acknowledged);
    assert_eq!(
        h.engine.group(h.ws(), id.as_str()).unwrap().group.status,
        GroupStatus::Acknowledged
    );
    // a redelivery of the same acknowledgement is a duplicate
    assert_eq!(
        h.ingest(Source::Opsgenie, &fixture(FIXTURES[1]))
            .unwrap()
            .outcome,
        Outcome::Duplicate
    );
    let r = h.ingest(Source::Opsgenie, &fixture(FIXTURES[2])).unwrap();
    assert_eq!(r.alerts[0].decision, IngestDecision::Resolved);
    let g = h.engine.group(h.ws(), id.as_str()).unwrap();
    assert_eq!(g.group.status, GroupStatus::Resolved);
    let cmds: Vec<_> = g
        .timeline
        .iter()
        .rev()
        .map(|e| e.command.as_str())
        .collect();
    assert_eq!(cmds, vec!["open", "ack", "resolve"]);
}

#[test]
fn other_actions_are_ignored_with_a_reason() {
    let h = Harness::on_disk();
    let out = h
        .ingest(
            Source::Opsgenie,
            &edited(FIXTURES[0], |d| d["action"] = "AddNote".into()),
        )
        .unwrap();
    assert_eq!(out.outcome, Outcome::Ignored);
    assert!(out.reason.unwrap().contains("AddNote"));
    assert!(h.row_counts().iter().all(|(_, n)| *n == 0));
}

#[test]
fn malformed_input_is_invalid_and_stores_nothing() {
    let h = Harness::on_disk();
    let none = Headers::new();
    let s = Source::Opsgenie;
    let f = FIXTURES[1];
    h.check_invalid(s, &none, b"", "not valid JSON");
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| {
            d.as_object_mut().unwrap().remove("action");
        }),
        "action: missing",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alert"] = "x".into()),
        "alert: expected an object",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| {
            d["alert"].as_object_mut().unwrap().remove("alertId");
        }),
        "alert.alertId: missing",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alert"]["updatedAt"] = 1.4e18.into()),
        "alert.updatedAt: expected an integer",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alert"]["updatedAt"] = serde_json::json!(u64::MAX)),
        "alert.updatedAt: expected an integer",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alert"]["createdAt"] = "then".into()),
        "alert.createdAt: expected an integer",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alert"]["tags"] = serde_json::json!([1])),
        "alert.tags[0]: expected a string",
    );
    h.check_invalid(
        s,
        &none,
        &edited(FIXTURES[0], |d| d["alert"]["priority"] = "P9".into()),
        "alert.priority: unknown priority",
    );
}
