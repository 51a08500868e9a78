//! What the dashboard inspects: an event's raw delivery (the rule tester's payload), each
//! channel's circuit breaker in the channels list, and who created a silence.

use crate::common::{Harness, fixture};
use crate::http::{Reply, TestServer};
use chrono::TimeDelta;
use serde_json::json;
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::routing::RuleSet;
use signalcraft_core::{ErrorKind, Headers, NewSilence, Source};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[test]
fn an_event_answers_the_raw_delivery_it_came_from_and_a_dry_run_of_it_decides_the_same() {
    let h = Harness::on_disk();
    let body = fixture("alertmanager/prometheus-msteams_firing_3_alerts.json");
    let headers = Headers::new()
        .with("Content-Type", "application/json")
        .with("Authorization", "Bearer s3cret-token");
    let out = h
        .engine
        .ingest(h.ws(), Source::Alertmanager, &headers, &body)
        .unwrap();
    assert_eq!(out.alerts.len(), 3, "one delivery, three alerts");
    let second = &out.alerts[1];
    let id = second.event_id.clone().unwrap();

    let e = h.engine.event(h.ws(), &id).unwrap();
    assert_eq!(e.id, id);
    assert_eq!(e.group_id, second.group_id);
    assert_eq!(e.source, Source::Alertmanager);
    assert!(!e.purged);
    // the whole delivery, byte for byte, and parsed
    assert_eq!(
        e.payload_text.as_deref().map(str::as_bytes),
        Some(&body[..])
    );
    assert_eq!(
        e.payload,
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()
    );
    assert_eq!(e.alert["fingerprint"], json!(second.fingerprint));
    // headers as stored: credentials redacted
    let auth = e
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str());
    assert_eq!(auth, Some("[redacted]"));
    assert!(!serde_json::to_string(&e).unwrap().contains("s3cret-token"));

    // what the rule tester does with it: a dry run of the stored body and headers names this
    // event's alert among the delivery's by fingerprint, and stores nothing
    let mut stored = Headers::new();
    for (n, v) in &e.headers {
        stored.push(n.as_str(), v.as_str());
    }
    let dry = h
        .engine
        .dry_run(
            h.ws(),
            e.source,
            &stored,
            e.payload_text.as_deref().unwrap().as_bytes(),
            None,
        )
        .unwrap();
    assert_eq!(dry.alerts.len(), 3);
    assert!(
        dry.alerts
            .iter()
            .any(|a| a.fingerprint == second.fingerprint)
    );

    // a dry run tests routing, not signatures: a signed source's stored payload with a fresh id
    // dry-runs in a workspace whose integration has a secret
    h.configure(Source::Sentry, json!(null), Some("whsec-sentry"));
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["event_id"] = "0123456789abcdef0123456789abcdef".into();
    let sentry = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let dry = h
        .engine
        .dry_run(
            h.ws(),
            Source::Sentry,
            &sentry,
            doc.to_string().as_bytes(),
            None,
        )
        .unwrap();
    assert_eq!(
        dry.alerts[0].decision,
        signalcraft_core::IngestDecision::NewGroup
    );
    let real = h
        .engine
        .ingest(h.ws(), Source::Sentry, &sentry, doc.to_string().as_bytes());
    assert_eq!(
        real.unwrap_err().kind(),
        ErrorKind::Signature,
        "ingest still checks"
    );

    // another workspace's event is not found there
    let other = h.engine.create_workspace("globex").unwrap();
    let err = h.engine.event(other.id.as_str(), &id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        h.engine.event(h.ws(), "evt_nope").unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // once retention purges the raw body (its period for raw requests is over) the event says
    // so and answers no payload, while its group and alert stay
    let mut s = h.engine.settings(h.ws()).unwrap();
    s.hygiene.retention_days = 1;
    h.engine.set_settings(h.ws(), &s).unwrap();
    h.advance(TimeDelta::days(2));
    h.engine.tick(None).unwrap();
    let e = h.engine.event(h.ws(), &id).unwrap();
    assert!(e.purged);
    assert_eq!(e.payload, serde_json::Value::Null);
    assert_eq!(e.payload_text, None);
    assert_eq!(e.alert["fingerprint"], json!(second.fingerprint));
}

#[test]
fn the_channels_list_shows_each_breaker_closed_open_then_half_open() {
    let healthy = Arc::new(AtomicBool::new(false));
    let up = healthy.clone();
    let server = TestServer::start(move |_, _| {
        if up.load(Ordering::SeqCst) {
            Reply::status(204)
        } else {
            Reply::status(503)
        }
    });
    let h = Harness::on_disk();
    let breaker = |name: &str| {
        let list = h.engine.channels(h.ws()).unwrap();
        list.iter()
            .find(|c| c["name"] == name)
            .map(|c| c["breaker"].clone())
            .unwrap()
    };
    let put = h
        .engine
        .set_channel(
            h.ws(),
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/"),
                "retry": {"first_ms": 100, "max_interval_ms": 100, "max_attempts": 10, "max_age_secs": 600, "jitter": 0.0},
                "breaker": {"failures": 2, "open_secs": 30}}),
        )
        .unwrap();
    assert_eq!(put["breaker"]["state"], "closed");
    h.engine
        .set_channel(
            h.ws(),
            "other",
            ChannelKind::Webhook,
            &json!({"url": server.url("/other")}),
        )
        .unwrap();
    h.engine
        .put_rules(
            h.ws(),
            &RuleSet::from_json(&json!([{"id": "all", "when": {}, "then": {"notify": ["hook"]}}]))
                .unwrap(),
        )
        .unwrap();
    assert_eq!(
        breaker("hook"),
        json!({"state": "closed", "failures": 0, "opened_at": null, "retry_at": null})
    );
    h.sentry(
        "event_alert",
        &fixture("sentry/issue_alert_triggered.docs.json"),
    )
    .unwrap();

    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let b = breaker("hook");
    assert_eq!(
        (b["state"].clone(), b["failures"].clone()),
        (json!("closed"), json!(1))
    );
    h.advance(TimeDelta::seconds(1));
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    let opened = h.engine.now();
    assert_eq!(
        breaker("hook"),
        json!({"state": "open", "failures": 2, "opened_at": opened,
            "retry_at": opened + TimeDelta::seconds(30)})
    );
    assert_eq!(breaker("other")["state"], "closed", "per channel");

    h.advance(TimeDelta::seconds(31));
    let b = breaker("hook");
    assert_eq!(
        b["state"], "half_open",
        "the open time is over: the next attempt probes"
    );
    assert_eq!(b["failures"], 2);

    healthy.store(true, Ordering::SeqCst);
    h.engine.dispatch(None, Duration::ZERO).unwrap();
    assert_eq!(
        breaker("hook"),
        json!({"state": "closed", "failures": 0, "opened_at": null, "retry_at": null}),
        "a success closes it"
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn a_silence_records_who_created_it() {
    let h = Harness::on_disk();
    let new = NewSilence {
        when: json!({"field": "environment", "op": "eq", "value": "staging"}),
        starts_at: None,
        ends_at: h.engine.now() + TimeDelta::hours(2),
        comment: Some("load test".into()),
    };
    let s = h.engine.add_silence(h.ws(), &new, "user:alice").unwrap();
    assert_eq!(s.created_by.as_deref(), Some("user:alice"));
    assert_eq!(s.to_json()["created_by"], "user:alice");
    let listed = h.engine.silences(h.ws()).unwrap();
    assert_eq!(listed[0].created_by.as_deref(), Some("user:alice"));
    for bad in ["", "   ", &"x".repeat(257)] {
        let e = h.engine.add_silence(h.ws(), &new, bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().starts_with("actor:"), "{e}");
    }
    assert_eq!(
        h.engine.silences(h.ws()).unwrap().len(),
        1,
        "nothing partial"
    );
}
