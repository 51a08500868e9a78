//! `Engine::metrics_text`: the Prometheus text format 0.0.4, parsed line by line — every family
//! has a HELP and a TYPE (a counter's named `_total`, as promtool wants), no OpenMetrics-only
//! line, every sample belongs to a declared family, and the values follow what the
//! engine did (ingests, refusals, notifications against a real server on 127.0.0.1, escalations,
//! the outbox and open groups read from the store).

use crate::common::{Harness, fixture};
use crate::http::{Reply, TestServer};
use chrono::TimeDelta;
use serde_json::json;
use signalcraft_core::Source;
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::routing::RuleSet;
use std::collections::BTreeMap;
use std::time::Duration;

/// A parsed exposition: family name → type, and sample (name with labels) → value.
pub struct Exposition {
    pub types: BTreeMap<String, String>,
    pub samples: BTreeMap<String, f64>,
}

/// Parses the text format strictly enough to catch a malformed exposition.
pub fn parse(text: &str) -> Exposition {
    let mut types = BTreeMap::new();
    let mut helps = BTreeMap::new();
    let mut samples = BTreeMap::new();
    assert!(text.ends_with('\n'), "ends with a newline");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').expect("HELP name text");
            assert!(!help.is_empty(), "{line}");
            helps.insert(name.to_string(), help.to_string());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, t) = rest.split_once(' ').expect("TYPE name type");
            assert!(
                ["counter", "gauge", "histogram"].contains(&t),
                "unexpected type in {line}"
            );
            assert!(helps.contains_key(name), "TYPE before HELP: {line}");
            if t == "counter" {
                assert!(
                    name.ends_with("_total"),
                    "a counter's family is named _total: {line}"
                );
            }
            types.insert(name.to_string(), t.to_string());
        } else {
            assert!(!line.starts_with('#'), "unknown comment {line}");
            let (series, value) = line.rsplit_once(' ').expect("sample value");
            let value: f64 = value.parse().unwrap_or_else(|_| panic!("value in {line}"));
            let name = series.split('{').next().unwrap();
            let family = types
                .keys()
                .filter(|f| name.starts_with(f.as_str()))
                .max_by_key(|f| f.len())
                .unwrap_or_else(|| panic!("sample of no declared family: {line}"));
            let suffix = &name[family.len()..];
            let allowed: &[&str] = match types[family].as_str() {
                "counter" => &[""],
                "gauge" => &[""],
                _ => &["_bucket", "_sum", "_count"],
            };
            assert!(
                allowed.contains(&suffix),
                "{line}: {suffix:?} on a {}",
                types[family]
            );
            if series.contains('{') {
                assert!(series.ends_with('}'), "{line}");
            }
            assert!(
                samples.insert(series.to_string(), value).is_none(),
                "repeated {line}"
            );
        }
    }
    Exposition { types, samples }
}

impl Exposition {
    fn value(&self, series: &str) -> f64 {
        *self
            .samples
            .get(series)
            .unwrap_or_else(|| panic!("no sample {series} in {:#?}", self.samples))
    }
}

#[test]
fn the_exposition_follows_what_the_engine_did() {
    let server = TestServer::start(|_, _| Reply::status(204));
    let h = Harness::on_disk();
    // Before anything happened: labelled families have no series yet (and are left out).
    let fresh = parse(&h.engine.metrics_text().unwrap());
    assert_eq!(fresh.value("signalcraft_escalations_fired_total"), 0.0);
    assert_eq!(
        fresh.value("signalcraft_open_groups{severity=\"critical\"}"),
        0.0
    );

    h.engine
        .set_channel(
            h.ws(),
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/alerts")}),
        )
        .unwrap();
    h.engine
        .put_escalation(
            h.ws(),
            "page",
            &signalcraft_core::escalation::EscalationPolicy::from_json(
                &json!({"steps": [{"after_mins": 1, "notify": ["hook"]}]}),
            )
            .unwrap(),
        )
        .unwrap();
    h.engine
        .put_rules(
            h.ws(),
            &RuleSet::from_json(
                &json!([{"id": "all", "when": {}, "then": {"notify": ["hook"], "escalation": "page"}}]),
            )
            .unwrap(),
        )
        .unwrap();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let severity = h.sentry("event_alert", &body).unwrap().alerts[0].severity;
    let open = format!(
        "signalcraft_open_groups{{severity=\"{}\"}}",
        severity.as_str()
    );
    h.sentry("event_alert", &body).unwrap(); // duplicate
    h.engine
        .set_integration(
            h.ws(),
            Source::Sentry,
            &signalcraft_core::IntegrationUpdate {
                secret: Some("s".into()),
                ..Default::default()
            },
        )
        .unwrap();
    let unsigned = fixture("sentry/issue_created.docs.json");
    let e = h.sentry("issue", &unsigned).unwrap_err();
    assert_eq!(e.kind().as_str(), "signature");
    assert!(h.ingest(Source::Grafana, b"{").is_err());
    // a webhook without a key is refused before ingest, and counted with its reason
    let am = fixture("alertmanager/alertmanager-bot_firing.json");
    let e = h
        .engine
        .webhook(
            h.ws(),
            Some(Source::Alertmanager),
            &signalcraft_core::Headers::new(),
            &am,
            None,
        )
        .unwrap_err();
    assert_eq!(e.kind().as_str(), "unauthenticated");
    let pending = parse(&h.engine.metrics_text().unwrap());
    assert_eq!(pending.value("signalcraft_outbox_pending"), 1.0);
    assert_eq!(pending.value(&open), 1.0);

    let sent = h.engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!(sent.sent, 1);
    h.advance(TimeDelta::minutes(2));
    let tick = h.engine.tick(None).unwrap();
    assert_eq!(tick.fired.len(), 1);

    let text = h.engine.metrics_text().unwrap();
    // kept for promtool and prometheus_client's parser (examples/api/conformance checks a host's)
    let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("metrics.prom");
    std::fs::write(&out, &text).unwrap();
    let m = parse(&text);
    for (family, t) in [
        ("signalcraft_ingest_deliveries_total", "counter"),
        ("signalcraft_ingest_rejected_total", "counter"),
        ("signalcraft_ingest_duration_seconds", "histogram"),
        ("signalcraft_notifications_total", "counter"),
        ("signalcraft_delivery_duration_seconds", "histogram"),
        ("signalcraft_escalations_fired_total", "counter"),
        ("signalcraft_outbox_pending", "gauge"),
        ("signalcraft_open_groups", "gauge"),
    ] {
        assert_eq!(m.types.get(family).map(String::as_str), Some(t), "{family}");
    }
    let ingest = |source: &str, outcome: &str| {
        m.value(&format!(
            "signalcraft_ingest_deliveries_total{{source=\"{source}\",outcome=\"{outcome}\"}}"
        ))
    };
    assert_eq!(ingest("sentry", "accepted"), 1.0);
    assert_eq!(ingest("sentry", "duplicate"), 1.0);
    assert_eq!(ingest("sentry", "rejected"), 1.0);
    assert_eq!(ingest("grafana", "rejected"), 1.0);
    assert_eq!(
        m.value("signalcraft_ingest_rejected_total{source=\"sentry\",reason=\"signature\"}"),
        1.0
    );
    assert_eq!(
        m.value("signalcraft_ingest_rejected_total{source=\"grafana\",reason=\"invalid_input\"}"),
        1.0
    );
    assert_eq!(m.value("signalcraft_ingest_duration_seconds_count"), 5.0);
    assert_eq!(
        m.value("signalcraft_ingest_duration_seconds_bucket{le=\"+Inf\"}"),
        5.0
    );
    assert_eq!(
        m.value(
            "signalcraft_ingest_rejected_total{source=\"alertmanager\",reason=\"missing_key\"}"
        ),
        1.0
    );
    assert_eq!(ingest("alertmanager", "rejected"), 1.0);
    assert!(m.value("signalcraft_ingest_duration_seconds_sum") > 0.0);
    assert_eq!(
        m.value("signalcraft_notifications_total{kind=\"webhook\",status=\"sent\"}"),
        1.0
    );
    assert_eq!(
        m.value("signalcraft_delivery_duration_seconds_count{kind=\"webhook\"}"),
        1.0
    );
    assert_eq!(m.value("signalcraft_escalations_fired_total"), 1.0);
    // the escalation step queued a notification for the hook channel
    assert_eq!(m.value("signalcraft_outbox_pending"), 1.0);
    assert_eq!(m.value(&open), 1.0);
    // buckets are cumulative
    let buckets: Vec<f64> = m
        .samples
        .iter()
        .filter(|(k, _)| k.starts_with("signalcraft_ingest_duration_seconds_bucket"))
        .map(|(_, v)| *v)
        .collect();
    assert!(buckets.len() > 2);
    assert!(buckets.iter().all(|v| *v <= 5.0));
}
