//! Every real Sentry fixture normalizes; snapshots of the normalized alerts.

use crate::common::{Harness, SENTRY_FIXTURES, fixture, t0};
use signalcraft_core::sources::{self, IntegrationConfig, Parsed, SourceInput};
use signalcraft_core::{
    AlertStatus, Headers, IngestDecision, MatchScope, Outcome, Severity, Source, WorkspaceId,
};

fn parse(resource: Option<&str>, body: &[u8]) -> signalcraft_core::Result<Parsed> {
    let mut headers = Headers::new().with("Request-ID", "0123456789abcdef0123456789abcdef");
    if let Some(r) = resource {
        headers.push("Sentry-Hook-Resource", r);
    }
    let ws = WorkspaceId::from("ws_test");
    let config = IntegrationConfig::default();
    sources::parse(
        Source::Sentry,
        &SourceInput {
            workspace: &ws,
            config: &config,
            options: &signalcraft_core::sources::CompiledOptions::load(
                Source::Sentry,
                &config.options,
            ),
            headers: &headers,
            body,
            now: t0(),
        },
    )
}

#[test]
fn every_fixture_normalizes_snapshot() {
    for (file, resource) in SENTRY_FIXTURES {
        let parsed = parse(*resource, &fixture(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let name = file
            .trim_start_matches("sentry/")
            .trim_end_matches(".json")
            .replace('.', "_");
        match parsed {
            Parsed::Alerts {
                alerts,
                delivery_id,
                notes,
                ..
            } => {
                assert_eq!(
                    delivery_id.as_deref(),
                    Some("0123456789abcdef0123456789abcdef")
                );
                insta::assert_json_snapshot!(
                    name,
                    serde_json::json!({"alerts": alerts, "notes": notes})
                );
            }
            Parsed::Ignored { reason } => {
                insta::assert_json_snapshot!(name, serde_json::json!({"ignored": reason}))
            }
        }
    }
}

fn one(resource: Option<&str>, body: &[u8]) -> signalcraft_core::NormalizedAlert {
    match parse(resource, body).unwrap() {
        Parsed::Alerts { mut alerts, .. } => {
            assert_eq!(alerts.len(), 1);
            alerts.remove(0)
        }
        other => panic!("expected alerts, got {other:?}"),
    }
}

#[test]
fn event_alert_fields() {
    let a = one(
        Some("event_alert"),
        &fixture("sentry/issue_alert_triggered.docs.json"),
    );
    assert_eq!(a.fingerprint, "issue:1117540176");
    assert_eq!(a.severity, Severity::Error);
    assert_eq!(a.status, AlertStatus::Firing);
    // the numeric project id is replaced by the slug found in the event's API url
    assert_eq!(a.project.as_deref(), Some("front-end"));
    assert_eq!(
        a.source_event_id.as_deref(),
        Some("e4874d664c3540c1a32eab185f12c5ab")
    );
    assert_eq!(a.title, "ReferenceError: heck is not defined");
    assert_eq!(a.message.as_deref(), Some("?(<anonymous>)"));
    assert!(
        a.link
            .as_deref()
            .unwrap()
            .starts_with("https://sentry.io/organizations/test-org/issues/1117540176/")
    );
    assert_eq!(
        a.tags.get("sentry.rule").map(String::as_str),
        Some("Very Important Alert Rule!")
    );
    assert_eq!(
        a.occurred_at.unwrap().to_rfc3339(),
        "2019-08-19T21:06:17.677+00:00"
    );
}

#[test]
fn issue_webhooks_resolve_and_assign_by_fingerprint() {
    let r = one(Some("issue"), &fixture("sentry/issue_resolved.zulip.json"));
    assert_eq!(
        (r.status, r.scope),
        (AlertStatus::Resolved, MatchScope::Fingerprint)
    );
    assert_eq!(r.fingerprint, "issue:1638821441");
    let i = one(Some("issue"), &fixture("sentry/issue_ignored.zulip.json"));
    assert_eq!(
        (i.status, i.scope),
        (AlertStatus::Resolved, MatchScope::Fingerprint)
    );
    let a = one(Some("issue"), &fixture("sentry/issue_assigned.zulip.json"));
    assert_eq!(a.status, AlertStatus::Firing);
    assert!(
        matches!(a.action, Some(signalcraft_core::SourceAction::Assign { assignee: Some(ref n) }) if n == "Hemanth V. Alluri")
    );
    assert_eq!(a.severity, Severity::Info);
}

#[test]
fn fatal_is_critical_and_legacy_level_is_top_level() {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["level"] = "fatal".into();
    let a = one(Some("event_alert"), doc.to_string().as_bytes());
    assert_eq!(a.severity, Severity::Critical);

    let mut legacy: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/legacy_webhooks_plugin.zulip.json")).unwrap();
    legacy["level"] = "warning".into(); // the event inside still says error
    let a = one(None, legacy.to_string().as_bytes());
    assert_eq!(a.severity, Severity::Warning);
    assert_eq!(a.environment.as_deref(), Some("prod"));
    assert_eq!(a.fingerprint, "issue:4218258981");
}

#[test]
fn metric_alert_actions() {
    // Only the resolved payload is published; critical/warning differ in `action` and the title
    // (the fixtures' README explains the shape), so they are derived from it here.
    let base: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/metric_alert_resolved.docs.json")).unwrap();
    for (action, severity, status) in [
        ("critical", Severity::Critical, AlertStatus::Firing),
        ("warning", Severity::Warning, AlertStatus::Firing),
        ("resolved", Severity::Info, AlertStatus::Resolved),
    ] {
        let mut doc = base.clone();
        doc["action"] = action.into();
        let a = one(Some("metric_alert"), doc.to_string().as_bytes());
        assert_eq!((a.severity, a.status), (severity, status), "{action}");
        assert_eq!(a.fingerprint, "metric_alert:7");
        assert_eq!(a.project.as_deref(), Some("bar"));
        assert_eq!(a.title, "Too many errors");
        assert_eq!(
            a.link.as_deref(),
            Some("https://sentry.io/organizations/baz/alerts/1/")
        );
    }
}

#[test]
fn issue_links_are_built_from_options_when_the_payload_has_none() {
    let ws = WorkspaceId::from("ws_test");
    let config = IntegrationConfig {
        options: serde_json::json!({"organization": "test-org"}),
        ..IntegrationConfig::default()
    };
    let headers = Headers::new().with("Sentry-Hook-Resource", "issue");
    let body = fixture("sentry/issue_created.docs.json");
    let parsed = sources::parse(
        Source::Sentry,
        &SourceInput {
            workspace: &ws,
            config: &config,
            options: &signalcraft_core::sources::CompiledOptions::load(
                Source::Sentry,
                &config.options,
            ),
            headers: &headers,
            body: &body,
            now: t0(),
        },
    )
    .unwrap();
    let Parsed::Alerts { alerts, .. } = parsed else {
        panic!()
    };
    assert_eq!(
        alerts[0].link.as_deref(),
        Some("https://sentry.io/organizations/test-org/issues/1170820242/")
    );
}

#[test]
fn resource_is_inferred_without_the_header() {
    let parsed = parse(None, &fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    let Parsed::Alerts { notes, alerts, .. } = parsed else {
        panic!()
    };
    assert_eq!(alerts[0].fingerprint, "issue:1117540176");
    assert!(notes[0].contains("event_alert"), "{notes:?}");
}

#[test]
fn installation_and_comment_are_ignored_with_a_reason_and_store_nothing() {
    let h = Harness::on_disk();
    for (file, resource) in [
        ("sentry/installation_created.docs.json", "installation"),
        ("sentry/comment_created.docs.json", "comment"),
    ] {
        let out = h.sentry(resource, &fixture(file)).unwrap();
        assert_eq!(out.outcome, Outcome::Ignored);
        assert!(out.reason.unwrap().contains(resource));
    }
    assert!(
        h.row_counts().iter().all(|(_, n)| *n == 0),
        "{:?}",
        h.row_counts()
    );
}

#[test]
fn issue_resolve_closes_every_open_group_of_that_issue_whatever_the_environment() {
    let h = Harness::on_disk();
    // Two event alerts for issue 1638821441 from two environments, plus the issue webhook itself.
    let mut ev: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    ev["data"]["event"]["issue_id"] = "1638821441".into();
    let mut ids = Vec::new();
    for (i, env) in ["production", "staging"].iter().enumerate() {
        ev["data"]["event"]["environment"] = (*env).into();
        ev["data"]["event"]["event_id"] = format!("{i:032x}").into();
        let out = h.sentry("event_alert", ev.to_string().as_bytes()).unwrap();
        assert_eq!(out.alerts[0].decision, IngestDecision::NewGroup);
        ids.push(out.alerts[0].group_id.clone().unwrap());
    }
    let mut created: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_created.zulip.json")).unwrap();
    created["data"]["issue"]["id"] = "1638821441".into();
    let created = h.sentry("issue", created.to_string().as_bytes()).unwrap();
    assert_eq!(created.alerts[0].decision, IngestDecision::NewGroup);
    // an unrelated issue stays open
    let other = h
        .sentry("issue", &fixture("sentry/issue_created.docs.json"))
        .unwrap();

    let out = h
        .sentry("issue", &fixture("sentry/issue_resolved.zulip.json"))
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    let resolved: Vec<_> = out
        .alerts
        .iter()
        .map(|a| (a.group_id.clone().unwrap(), a.decision))
        .collect();
    assert_eq!(resolved.len(), 3, "{resolved:?}");
    assert!(resolved.iter().all(|(_, d)| *d == IngestDecision::Resolved));
    for id in &ids {
        let g = h.engine.group(h.ws(), id.as_str()).unwrap();
        assert_eq!(g.group.status, signalcraft_core::GroupStatus::Resolved);
        let last = &g.timeline[0];
        assert_eq!(
            (last.command.as_str(), last.actor.as_str()),
            ("resolve", "source:sentry")
        );
    }
    let g = h
        .engine
        .group(h.ws(), other.alerts[0].group_id.as_ref().unwrap().as_str())
        .unwrap();
    assert_eq!(g.group.status, signalcraft_core::GroupStatus::Open);

    // resolving again matches nothing and changes nothing
    let again = h
        .sentry("issue", &fixture("sentry/issue_ignored.zulip.json"))
        .unwrap();
    assert_eq!(again.alerts[0].decision, IngestDecision::Unmatched);
}

#[test]
fn assignment_is_recorded_on_the_open_group() {
    let h = Harness::on_disk();
    let mut created: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_assigned.zulip.json")).unwrap();
    created["action"] = "created".into();
    let out = h.sentry("issue", created.to_string().as_bytes()).unwrap();
    let id = out.alerts[0].group_id.clone().unwrap();
    let out = h
        .sentry("issue", &fixture("sentry/issue_assigned.zulip.json"))
        .unwrap();
    assert_eq!(out.alerts[0].decision, IngestDecision::Assigned);
    let g = h.engine.group(h.ws(), id.as_str()).unwrap();
    assert_eq!(g.group.assignee.as_deref(), Some("Hemanth V. Alluri"));
    assert_eq!(g.group.count, 1, "an assignment is not a firing event");
    assert_eq!(g.timeline[0].command, "assign");
}
