//! Failing open on words a sender added: an unknown status (any source, a generic
//! `status_map`) is read as firing with a note, never rejected; PagerDuty Events v2 bodies
//! without `routing_key` (or with it in `X-Routing-Key`), acknowledge/resolve bodies of only
//! `dedup_key` and `event_action`, and triggers without `dedup_key` (a stable derived key).

use crate::common::{Harness, edited, fixture};
use serde_json::json;
use signalcraft_core::{
    ErrorKind, GroupStatus, Headers, IngestDecision, IngestOutcome, IntegrationUpdate, Source,
};

fn noted(out: &IngestOutcome, needle: &str) -> bool {
    out.notes.iter().any(|n| n.contains(needle))
}

#[test]
fn an_unknown_alertmanager_or_grafana_status_is_firing_with_a_note() {
    let h = Harness::on_disk();
    let body = edited("alertmanager/zulip_firing_2_alerts.json", |d| {
        d["alerts"][1]["status"] = "smouldering".into()
    });
    let out = h.ingest(Source::Alertmanager, &body).unwrap();
    assert_eq!(out.alerts.len(), 2);
    assert!(
        out.alerts
            .iter()
            .all(|a| a.decision == IngestDecision::NewGroup)
    );
    assert!(
        noted(&out, "alerts[1].status: unknown status \"smouldering\""),
        "{:?}",
        out.notes
    );
    assert!(noted(&out, "read as firing"));
    let body = edited("grafana/grafana_docs_firing_2_alerts.json", |d| {
        d["alerts"][0]["status"] = "pending".into()
    });
    let out = h.ingest(Source::Grafana, &body).unwrap();
    assert_eq!(out.alerts[0].status, Some(GroupStatus::Open));
    assert!(noted(&out, "alerts[0].status: unknown status \"pending\""));
}

#[test]
fn an_unmapped_generic_status_is_firing_with_a_note() {
    let h = Harness::on_disk();
    h.configure(
        Source::Generic,
        json!({"events": "alerts", "fields": {"title": "summary", "status": "state", "event_id": "id"},
               "status_map": {"ok": "resolved", "alerting": "firing"}}),
        None,
    );
    let open = |id: &str, state: &str| {
        h.ingest(
            Source::Generic,
            json!({"alerts": [{"id": id, "summary": "disk full", "state": state}]})
                .to_string()
                .as_bytes(),
        )
        .unwrap()
    };
    let first = open("a1", "alerting");
    assert_eq!(first.alerts[0].decision, IngestDecision::NewGroup);
    // a word the map does not know joins the open group: it is never read as a resolve
    let odd = open("a2", "exploded");
    assert_eq!(odd.alerts[0].decision, IngestDecision::Joined);
    assert!(
        noted(&odd, "alerts[0].state: unknown status \"exploded\""),
        "{:?}",
        odd.notes
    );
    let ok = open("a3", "ok");
    assert_eq!(ok.alerts[0].decision, IngestDecision::Resolved);
    // a map naming a status the engine does not have is still a configuration error
    let e = h
        .engine
        .set_integration(
            h.ws(),
            Source::Generic,
            &IntegrationUpdate {
                options: Some(json!({"fields": {"title": "t"}, "status_map": {"ok": "closed"}})),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
}

#[test]
fn an_unknown_sentry_action_is_firing_with_a_note() {
    let h = Harness::on_disk();
    let body = edited("sentry/issue_alert_triggered.docs.json", |d| {
        d["action"] = "escalated".into()
    });
    let out = h.sentry("event_alert", &body).unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::NewGroup);
    assert!(
        noted(&out, "unknown Sentry event_alert action \"escalated\""),
        "{:?}",
        out.notes
    );
    let body = edited("sentry/issue_created.docs.json", |d| {
        d["action"] = "teleported".into()
    });
    let out = h.sentry("issue", &body).unwrap();
    assert_eq!(out.alerts[0].status, Some(GroupStatus::Open));
    assert!(noted(&out, "read as \"created\" (firing)"));
    let body = edited("sentry/metric_alert_resolved.docs.json", |d| {
        d["action"] = "meh".into()
    });
    let out = h.sentry("metric_alert", &body).unwrap();
    assert_eq!(
        out.alerts[0].decision,
        IngestDecision::NewGroup,
        "not a resolve"
    );
}

fn pd(h: &Harness, headers: &Headers, body: &[u8]) -> signalcraft_core::Result<IngestOutcome> {
    h.engine.ingest(h.ws(), Source::Pagerduty, headers, body)
}

#[test]
fn pagerduty_without_routing_key_and_with_only_dedup_key() {
    let h = Harness::on_disk();
    let none = Headers::new();
    let trigger = edited("pagerduty/events_v2_trigger.docs.json", |d| {
        d.as_object_mut().unwrap().remove("routing_key");
    });
    let out = pd(&h, &none, &trigger).unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::NewGroup);
    assert_eq!(out.alerts[0].fingerprint, "samplekeyhere");
    // acknowledge and resolve with only dedup_key and event_action
    let ack = br#"{"dedup_key": "samplekeyhere", "event_action": "acknowledge"}"#;
    let out = pd(&h, &none, ack).unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::Acknowledged);
    assert_eq!(out.alerts[0].status, Some(GroupStatus::Acknowledged));
    let resolve = br#"{"dedup_key": "samplekeyhere", "event_action": "resolve"}"#;
    let out = pd(&h, &none, resolve).unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::Resolved);
    // auto tells them apart too
    let out = h.engine.ingest_auto(h.ws(), &none, &trigger).unwrap();
    assert_eq!(out.source, Source::Pagerduty);
    // still required: a dedup_key to acknowledge
    let e = pd(&h, &none, br#"{"event_action": "acknowledge"}"#).unwrap_err();
    assert_eq!(e.path(), Some("dedup_key"));
}

#[test]
fn pagerduty_routing_key_in_a_header_is_checked_against_the_secret() {
    let h = Harness::on_disk();
    h.engine
        .set_integration(
            h.ws(),
            Source::Pagerduty,
            &IntegrationUpdate {
                secret: Some("R-secret".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let bare = edited("pagerduty/events_v2_trigger.docs.json", |d| {
        d.as_object_mut().unwrap().remove("routing_key");
    });
    // with a secret, a key must come: none is a signature error, nothing stored
    assert_eq!(
        pd(&h, &Headers::new(), &bare).unwrap_err().kind(),
        ErrorKind::Signature
    );
    let wrong = Headers::new().with("X-Routing-Key", "R-other");
    assert_eq!(
        pd(&h, &wrong, &bare).unwrap_err().kind(),
        ErrorKind::Signature
    );
    assert!(h.row_counts().iter().all(|(_, n)| *n == 0));
    let right = Headers::new().with("X-Routing-Key", "R-secret");
    assert_eq!(
        pd(&h, &right, &bare).unwrap().outcome,
        signalcraft_core::Outcome::Accepted
    );
    // the body's key wins over the header's
    let body_key = edited("pagerduty/events_v2_trigger.docs.json", |d| {
        d["routing_key"] = "R-other".into()
    });
    assert_eq!(
        pd(&h, &right, &body_key).unwrap_err().kind(),
        ErrorKind::Signature
    );
    let out = h.engine.ingest_auto(
        h.ws(),
        &right,
        br#"{"event_action": "resolve", "dedup_key": "samplekeyhere"}"#,
    );
    assert_eq!(out.unwrap().source, Source::Pagerduty);
}

#[test]
fn a_trigger_without_dedup_key_gets_a_stable_key_from_source_and_summary() {
    let h = Harness::on_disk();
    let none = Headers::new();
    let body = |summary: &str, routing: &str| {
        edited("pagerduty/events_v2_trigger.docs.json", |d| {
            let o = d.as_object_mut().unwrap();
            o.remove("dedup_key");
            o.insert("routing_key".into(), routing.into());
            d["payload"]["summary"] = summary.into();
        })
    };
    let a = pd(&h, &none, &body("Disk full on db1", "k1")).unwrap();
    assert!(a.alerts[0].fingerprint.starts_with("derived:"));
    assert!(
        noted(&a, "derived from payload.source and payload.summary"),
        "{:?}",
        a.notes
    );
    // the same source and summary (whatever the routing key) join; another summary does not
    let b = pd(&h, &none, &body("Disk full on db1", "k2")).unwrap();
    assert_eq!(b.alerts[0].decision, IngestDecision::Joined);
    assert_eq!(b.alerts[0].fingerprint, a.alerts[0].fingerprint);
    let c = pd(&h, &none, &body("Disk full on db2", "k1")).unwrap();
    assert_eq!(c.alerts[0].decision, IngestDecision::NewGroup);
    // an unknown severity is a warning with a note, not an error
    let odd = edited("pagerduty/events_v2_trigger.openapi-example.json", |d| {
        d["payload"]["severity"] = "apocalyptic".into()
    });
    let out = pd(&h, &none, &odd).unwrap();
    assert_eq!(out.alerts[0].severity, signalcraft_core::Severity::Warning);
    assert!(noted(
        &out,
        "payload.severity: unknown severity \"apocalyptic\""
    ));
    let _ = fixture("pagerduty/README.md");
}
