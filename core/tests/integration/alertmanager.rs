//! Alertmanager: every real fixture normalizes (snapshots), field mapping, resolves, bad input.

use crate::common::{Harness, alerts, edited, fixture, parse_as, snapshot_fixtures, t0};
use signalcraft_core::sources::alertmanager::labels_fingerprint;
use signalcraft_core::{AlertStatus, GroupStatus, Headers, IngestDecision, Severity, Source};

pub const FIXTURES: &[&str] = &[
    "alertmanager/alertmanager-bot_firing.json",
    "alertmanager/alertmanager-bot_resolved.json",
    "alertmanager/prometheus-msteams_firing_3_alerts.json",
    "alertmanager/zulip_firing_2_alerts.json",
];

fn parse_at(
    body: &[u8],
    options: serde_json::Value,
    now: &str,
) -> Vec<signalcraft_core::NormalizedAlert> {
    alerts(
        parse_as(
            Source::Alertmanager,
            &Headers::new(),
            body,
            options,
            None,
            now.parse().unwrap(),
        )
        .unwrap(),
    )
    .0
}

#[test]
fn every_fixture_normalizes_snapshot() {
    snapshot_fixtures(Source::Alertmanager, FIXTURES, t0());
}

#[test]
fn zulip_fields() {
    let a = parse_at(
        &fixture("alertmanager/zulip_firing_2_alerts.json"),
        serde_json::Value::Null,
        "2020-02-06T00:20:00Z",
    );
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].fingerprint, "a1bc48475b20e73d");
    assert_eq!(a[1].fingerprint, "c2ea85182f28cbd9");
    assert_eq!(a[0].severity, Severity::Critical);
    assert_eq!(a[0].status, AlertStatus::Firing);
    assert_eq!(a[0].title, "High CPU core temperature");
    assert_eq!(
        a[0].message.as_deref(),
        Some("CPU core temperature is 34.75C")
    );
    assert!(
        a[0].link
            .as_deref()
            .unwrap()
            .starts_with("http://cobalt:9090/graph")
    );
    assert_eq!(a[0].tags.get("host").map(String::as_str), Some("andromeda"));
    assert_eq!(
        a[0].tags.get("annotation.topic").map(String::as_str),
        Some("andromeda")
    );
    assert_eq!(
        a[0].occurred_at.unwrap().to_rfc3339(),
        "2020-02-06T00:17:58.432911368+00:00"
    );
}

#[test]
fn old_sender_firing_with_future_ends_at_is_firing_and_expired_ends_at_resolves() {
    // The 2018 alertmanager-bot body sets endsAt = startsAt + 3m on a firing alert.
    let body = fixture("alertmanager/alertmanager-bot_firing.json");
    let a = parse_at(&body, serde_json::Value::Null, "2018-11-04T21:45:00Z");
    assert_eq!(a[0].status, AlertStatus::Firing);
    assert_eq!(a[0].title, "Fire"); // no summary annotation: the alertname
    assert_eq!(a[0].message.as_deref(), Some("Something is on fire"));
    // no fingerprint in this old body: Alertmanager's own label hash
    assert_eq!(
        a[0].fingerprint,
        labels_fingerprint(
            &a[0]
                .tags
                .iter()
                .filter(|(k, _)| !k.starts_with("annotation."))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        )
    );
    // received after endsAt: resolved, and the notes say why
    let (a, notes) = alerts(
        parse_as(
            Source::Alertmanager,
            &Headers::new(),
            &body,
            serde_json::Value::Null,
            None,
            t0(),
        )
        .unwrap(),
    );
    assert_eq!(a[0].status, AlertStatus::Resolved);
    assert!(notes.iter().any(|n| n.contains("endsAt")), "{notes:?}");
    let r = parse_at(
        &fixture("alertmanager/alertmanager-bot_resolved.json"),
        serde_json::Value::Null,
        "2018-11-04T21:49:00Z",
    );
    assert_eq!(r[0].status, AlertStatus::Resolved);
    assert_eq!(r[0].fingerprint, a[0].fingerprint);
    assert_eq!(
        r[0].occurred_at.unwrap().to_rfc3339(),
        "2018-11-04T21:48:13.283995108+00:00"
    );
}

#[test]
fn environment_project_and_label_names_are_configurable() {
    let body = fixture("alertmanager/prometheus-msteams_firing_3_alerts.json");
    let a = parse_at(&body, serde_json::Value::Null, "2020-10-11T14:40:00Z");
    assert_eq!(a.len(), 3);
    assert_eq!(a[0].environment.as_deref(), Some("whatever/promstack")); // namespace
    assert_eq!(a[0].project, None);
    assert_eq!(a[0].severity, Severity::Info);
    let opts = serde_json::json!({"project_labels": ["name"], "environment_labels": ["zone"],
        "title_annotation": "title", "severity_label": "template", "severity_map": {"group": "critical"}});
    let a = parse_at(&body, opts, "2020-10-11T14:40:00Z");
    assert_eq!(a[1].project.as_deref(), Some("nginx"));
    assert_eq!(a[1].environment, None);
    assert_eq!(a[1].title, "Memory: Relativ memory usage low");
    // severity_label names a label; "template" is an annotation, so the label is missing
    assert_eq!(a[1].severity, Severity::Warning);
}

#[test]
fn unknown_severity_is_warning_and_the_outcome_says_so() {
    let h = Harness::on_disk();
    let body = edited("alertmanager/zulip_firing_2_alerts.json", |d| {
        d["alerts"][0]["labels"]["severity"] = "apocalyptic".into();
        d["alerts"][1]["labels"]["severity"] = "P2".into();
    });
    let out = h.ingest(Source::Alertmanager, &body).unwrap();
    assert_eq!(out.alerts[0].severity, Severity::Warning);
    assert_eq!(out.alerts[1].severity, Severity::Error);
    assert!(
        out.notes
            .iter()
            .any(|n| n.contains("unknown severity \"apocalyptic\", treated as warning")),
        "{:?}",
        out.notes
    );
}

#[test]
fn firing_then_resolved_through_the_engine() {
    let h = Harness::on_disk();
    h.clock.set("2018-11-04T21:44:30Z".parse().unwrap());
    let out = h
        .ingest(
            Source::Alertmanager,
            &fixture("alertmanager/alertmanager-bot_firing.json"),
        )
        .unwrap();
    assert_eq!(out.source, Source::Alertmanager);
    assert_eq!(out.alerts[0].decision, IngestDecision::NewGroup);
    let id = out.alerts[0].group_id.clone().unwrap();
    // a repeat notification joins
    let again = h
        .ingest(
            Source::Alertmanager,
            &fixture("alertmanager/alertmanager-bot_firing.json"),
        )
        .unwrap();
    assert_eq!(again.alerts[0].decision, IngestDecision::Joined);
    h.clock.set("2018-11-04T21:48:20Z".parse().unwrap());
    let r = h
        .ingest(
            Source::Alertmanager,
            &fixture("alertmanager/alertmanager-bot_resolved.json"),
        )
        .unwrap();
    assert_eq!(r.alerts[0].decision, IngestDecision::Resolved);
    assert_eq!(r.alerts[0].group_id.as_ref(), Some(&id));
    let g = h.engine.group(h.ws(), id.as_str()).unwrap();
    assert_eq!(g.group.status, GroupStatus::Resolved);
    assert_eq!(g.timeline.last().unwrap().actor, "source:alertmanager");
}

#[test]
fn fingerprint_fields_override() {
    let body = fixture("alertmanager/prometheus-msteams_firing_3_alerts.json");
    let opts = serde_json::json!({"fingerprint_fields": ["tags.alertname", "environment"]});
    let a = parse_at(&body, opts.clone(), "2020-10-11T14:40:00Z");
    // the three alerts differ only in `name`, which is not among the fields: one fingerprint
    assert!(a[0].fingerprint.starts_with("fields:"));
    assert_eq!(a[0].fingerprint, a[1].fingerprint);
    assert_eq!(a[1].fingerprint, a[2].fingerprint);
    let b = parse_at(
        &body,
        serde_json::json!({"fingerprint_fields": ["tags.alertname", "event.labels.name"]}),
        "2020-10-11T14:40:00Z",
    );
    assert_ne!(b[0].fingerprint, b[1].fingerprint);
    let h = Harness::on_disk();
    h.configure(Source::Alertmanager, opts, None);
    let out = h.ingest(Source::Alertmanager, &body).unwrap();
    let d: Vec<_> = out.alerts.iter().map(|a| a.decision).collect();
    assert_eq!(
        d,
        vec![
            IngestDecision::NewGroup,
            IngestDecision::Joined,
            IngestDecision::Joined
        ]
    );
}

#[test]
fn malformed_input_is_invalid_and_stores_nothing() {
    let h = Harness::on_disk();
    let f = "alertmanager/zulip_firing_2_alerts.json";
    let none = Headers::new();
    let s = Source::Alertmanager;
    let body = fixture(f);
    h.check_invalid(s, &none, &body[..body.len() / 2], "not valid JSON");
    h.check_invalid(s, &none, b"[]", "$: expected an object");
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["version"] = "3".into()),
        "version: expected \"4\"",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| {
            d.as_object_mut().unwrap().remove("version");
        }),
        "version: missing",
    );
    h.check_invalid(
        s,
        &none,
        &fixture("grafana/grafana_docs_firing_2_alerts.json"),
        "use the grafana source",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alerts"] = serde_json::json!({})),
        "alerts: expected an array",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alerts"][1]["labels"] = "x".into()),
        "alerts[1].labels: expected an object",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| {
            d["alerts"][0].as_object_mut().unwrap().remove("labels");
        }),
        "alerts[0].labels: missing",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| {
            d["alerts"][0]["labels"]["host"] = serde_json::json!([1])
        }),
        "alerts[0].labels.host: expected a string",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alerts"][0]["startsAt"] = "yesterday".into()),
        "alerts[0].startsAt: not an RFC 3339 time",
    );
    h.check_invalid(
        s,
        &none,
        &edited(f, |d| d["alerts"][0]["fingerprint"] = 5.into()),
        "alerts[0].fingerprint: expected a string",
    );
}

#[test]
fn options_are_validated_with_paths() {
    let h = Harness::on_disk();
    for (opts, needle) in [
        (
            serde_json::json!({"severity_lable": "x"}),
            "options.severity_lable: unknown option",
        ),
        (
            serde_json::json!({"project_labels": "service"}),
            "options.project_labels: expected an array",
        ),
        (
            serde_json::json!({"severity_map": {"sev1": "huge"}}),
            "options.severity_map.sev1: expected debug",
        ),
        (
            serde_json::json!({"fingerprint_fields": []}),
            "options.fingerprint_fields: must name at least one",
        ),
        (
            serde_json::json!({"fingerprint_fields": ["body..x"]}),
            "options.fingerprint_fields[0]",
        ),
        (
            serde_json::json!({"reopen_window_secs": -1}),
            "options.reopen_window_secs",
        ),
    ] {
        let err = h
            .engine
            .set_integration(
                h.ws(),
                Source::Alertmanager,
                &signalcraft_core::IntegrationUpdate {
                    options: Some(opts),
                    ..Default::default()
                },
            )
            .unwrap_err();
        assert!(
            err.to_string().contains(needle),
            "expected {needle:?} in {err}"
        );
    }
}
