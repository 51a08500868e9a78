//! Routing: every operator, nesting, priority, continue, default route, silences, maintenance,
//! repeat intervals, dry-run and the ingest output.

use crate::common::{Harness, fixture, t0};
use chrono::TimeDelta;
use serde_json::json;
use signalcraft_core::routing::{
    ChannelState, Condition, GroupContext, RouteEvent, RoutingContext, RuleSet, evaluate,
};
use signalcraft_core::{
    AlertStatus, ErrorKind, IngestDecision, NewMaintenanceWindow, NewSilence, NormalizedAlert,
    Severity, Source, WorkspaceId, WorkspaceSettings,
};
use std::collections::{BTreeMap, BTreeMap as Map};

pub fn alert() -> NormalizedAlert {
    NormalizedAlert {
        workspace: WorkspaceId::from("ws_r"),
        source: Source::Sentry,
        source_event_id: None,
        project: Some("checkout".into()),
        environment: Some("production".into()),
        severity: Severity::Error,
        status: AlertStatus::Firing,
        fingerprint: "issue:42".into(),
        title: "TimeoutError: upstream took 31s".into(),
        message: None,
        tags: Map::from([
            ("team".to_string(), "payments".to_string()),
            ("retries".to_string(), "7".to_string()),
        ]),
        link: None,
        occurred_at: None,
        received_at: t0(),
        scope: Default::default(),
        action: None,
    }
}

fn cond(v: serde_json::Value) -> Condition {
    Condition::from_json(&v, "when").unwrap_or_else(|e| panic!("{v}: {e}"))
}

#[test]
fn every_operator() {
    let a = alert();
    let cases: Vec<(serde_json::Value, bool)> = vec![
        (
            json!({"field": "environment", "op": "eq", "value": "production"}),
            true,
        ),
        (
            json!({"field": "environment", "op": "eq", "value": "staging"}),
            false,
        ),
        (
            json!({"field": "environment", "op": "ne", "value": "staging"}),
            true,
        ),
        (
            json!({"field": "tags.missing", "op": "ne", "value": "x"}),
            true,
        ),
        (
            json!({"field": "tags.missing", "op": "eq", "value": "x"}),
            false,
        ),
        (
            json!({"field": "project", "op": "in", "value": ["billing", "checkout"]}),
            true,
        ),
        (
            json!({"field": "project", "op": "in", "value": ["billing"]}),
            false,
        ),
        (
            json!({"field": "project", "op": "not_in", "value": ["billing"]}),
            true,
        ),
        (
            json!({"field": "tags.missing", "op": "not_in", "value": ["a"]}),
            true,
        ),
        (
            json!({"field": "title", "op": "contains", "value": "upstream"}),
            true,
        ),
        (
            json!({"field": "title", "op": "contains", "value": "downstream"}),
            false,
        ),
        (
            json!({"field": "title", "op": "starts_with", "value": "TimeoutError"}),
            true,
        ),
        (
            json!({"field": "title", "op": "ends_with", "value": "31s"}),
            true,
        ),
        (
            json!({"field": "title", "op": "ends_with", "value": "31"}),
            false,
        ),
        (
            json!({"field": "fingerprint", "op": "regex", "value": "issue:\\d+"}),
            true,
        ),
        (
            json!({"field": "fingerprint", "op": "regex", "value": "\\d+"}),
            false,
        ), // anchored
        (
            json!({"field": "title", "op": "glob", "value": "Timeout*31?"}),
            true,
        ),
        (
            json!({"field": "title", "op": "glob", "value": "*Error"}),
            false,
        ), // anchored
        (json!({"field": "tags.team", "op": "exists"}), true),
        (
            json!({"field": "tags.team", "op": "exists", "value": false}),
            false,
        ),
        (
            json!({"field": "tags.nope", "op": "exists", "value": false}),
            true,
        ),
        (
            json!({"field": "severity", "op": "gte", "value": "error"}),
            true,
        ),
        (
            json!({"field": "severity", "op": "gt", "value": "error"}),
            false,
        ),
        (
            json!({"field": "severity", "op": "lt", "value": "critical"}),
            true,
        ),
        (
            json!({"field": "severity", "op": "lte", "value": "warning"}),
            false,
        ),
        (
            json!({"field": "severity", "op": "eq", "value": "error"}),
            true,
        ),
        (
            json!({"field": "tags.retries", "op": "gt", "value": 5}),
            true,
        ),
        (
            json!({"field": "tags.retries", "op": "lte", "value": "6.5"}),
            false,
        ),
        (json!({"field": "tags.team", "op": "gt", "value": 1}), false), // not a number
        (
            json!({"field": "source", "op": "eq", "value": "sentry"}),
            true,
        ),
        (
            json!({"field": "status", "op": "eq", "value": "firing"}),
            true,
        ),
        (json!({}), true),
    ];
    for (c, expect) in cases {
        assert_eq!(cond(c.clone()).matches(&a), expect, "{c}");
    }
}

#[test]
fn nesting() {
    let a = alert();
    let c = cond(json!({"all": [
        {"field": "environment", "op": "eq", "value": "production"},
        {"any": [{"field": "severity", "op": "eq", "value": "critical"},
                 {"not": {"field": "tags.team", "op": "in", "value": ["growth", "labs"]}}]},
        {"not": {"not": {"field": "project", "op": "eq", "value": "checkout"}}}
    ]}));
    assert!(c.matches(&a));
    let miss = cond(json!({"all": [{"field": "project", "op": "eq", "value": "checkout"},
                                    {"not": {"field": "tags.team", "op": "eq", "value": "payments"}}]}))
        .check(&a)
        .unwrap_err();
    assert_eq!(miss.at, "all[1].not");
}

fn rules(v: serde_json::Value) -> RuleSet {
    RuleSet::from_json(&v).unwrap_or_else(|e| panic!("{e}"))
}

fn route(
    rs: &RuleSet,
    a: &NormalizedAlert,
) -> (
    signalcraft_core::RouteDecision,
    signalcraft_core::routing::RouteTrace,
) {
    let ctx = RoutingContext {
        rules: rs,
        default_route: None,
        silences: &[],
        windows: &[],
    };
    evaluate(
        &ctx,
        a,
        &GroupContext {
            event: RouteEvent::Opened,
            channels: &BTreeMap::new(),
        },
        t0(),
    )
}

#[test]
fn priority_order_continue_and_default_route() {
    let rs = rules(json!([
        {"id": "z-late", "priority": 50, "when": {}, "then": {"notify": ["late"]}},
        {"id": "b-first", "priority": 10, "when": {"field": "severity", "op": "gte", "value": "error"}, "then": {"notify": ["oncall"], "mention": ["@here"]}, "continue": true},
        {"id": "a-tie", "priority": 10, "when": {"field": "environment", "op": "eq", "value": "staging"}, "then": {"notify": ["staging"]}},
        {"id": "c-stop", "priority": 20, "when": {"field": "tags.team", "op": "eq", "value": "payments"}, "then": {"notify": ["payments", "oncall"]}},
        {"id": "d-off", "priority": 15, "enabled": false, "when": {}, "then": {"notify": ["never"]}}
    ]));
    let order: Vec<&str> = rs.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(order, ["a-tie", "b-first", "d-off", "c-stop", "z-late"]);
    let (d, t) = route(&rs, &alert());
    let t = t.explain(&rs, &alert());
    assert_eq!(d.matched, ["b-first", "c-stop"]);
    assert_eq!(d.intended, ["oncall", "payments"]);
    assert_eq!(d.notify, ["oncall", "payments"]);
    assert_eq!(d.mention, ["@here"]);
    assert!(!d.default_route);
    let results: Vec<(&str, &str)> = t
        .rules
        .iter()
        .map(|r| (r.rule.as_str(), r.result.as_str()))
        .collect();
    assert_eq!(
        results,
        [
            ("a-tie", "no_match"),
            ("b-first", "matched"),
            ("d-off", "disabled"),
            ("c-stop", "matched"),
            ("z-late", "not_evaluated")
        ]
    );
    assert_eq!(
        t.rules[0].reason.as_deref(),
        Some("when: environment eq \"staging\": was \"production\"")
    );
    assert!(t.rules[4].reason.as_deref().unwrap().contains("c-stop"));

    // nothing matches: the default route, and the trace says so
    let mut quiet = alert();
    quiet.severity = Severity::Info;
    quiet.tags.clear();
    let rs2 = rules(
        json!([{"id": "only", "when": {"field": "severity", "op": "gte", "value": "error"}, "then": {"notify": ["oncall"]}}]),
    );
    let (d, t) = route(&rs2, &quiet);
    assert!(d.matched.is_empty() && d.notify.is_empty() && d.default_route);
    assert!(t.default_route.unwrap().contains("store, don't notify"));
}

#[test]
fn suppress_and_set_severity() {
    let rs = rules(json!([
        {"id": "mute-labs", "priority": 1, "when": {"field": "tags.team", "op": "eq", "value": "payments"}, "then": {"suppress": true, "set_severity": "warning"}, "continue": true},
        {"id": "all", "priority": 2, "when": {}, "then": {"notify": ["oncall"]}}
    ]));
    let (d, _) = route(&rs, &alert());
    assert_eq!(d.suppressed_by.as_deref(), Some("rule:mute-labs"));
    assert_eq!(d.intended, ["oncall"]);
    assert!(d.notify.is_empty());
    assert_eq!(d.set_severity, Some(Severity::Warning));
}

#[test]
fn validation_names_the_json_path() {
    let cases = [
        (
            json!([{"id": "a"}, {"id": "b"}, {"id": "c", "when": {"all": [{"field": "environment", "op": "equalz", "value": "x"}]}}]),
            "rules[2].when.all[0].op: unknown operator \"equalz\"",
        ),
        (
            json!([{"id": "a", "when": {"field": "colour", "op": "eq", "value": "x"}}]),
            "rules[0].when.field: unknown field \"colour\"",
        ),
        (
            json!([{"id": "a", "when": {"field": "title", "op": "regex", "value": "("}}]),
            "rules[0].when.value: bad regex",
        ),
        (
            json!([{"id": "a", "when": {"field": "severity", "op": "gte", "value": "huge"}}]),
            "rules[0].when.value: expected a severity",
        ),
        (
            json!([{"id": "a", "when": {"field": "title", "op": "in", "value": "x"}}]),
            "rules[0].when.value: in expects a list",
        ),
        (
            json!([{"id": "a", "when": {"field": "title", "op": "eq", "value": "x", "extra": 1}}]),
            "rules[0].when.extra: unknown key",
        ),
        (
            json!([{"id": "a", "when": {"all": []}}]),
            "rules[0].when.all: an empty list",
        ),
        (
            json!([{"id": "a", "when": {"all": [{}], "any": [{}]}}]),
            "rules[0].when: only one of all/any/not",
        ),
        (
            json!([{"id": "a", "then": {"notify": ["ok"], "page": true}}]),
            "rules[0].then.page: unknown key",
        ),
        (
            json!([{"id": "a", "then": {"notify": "oncall"}}]),
            "rules[0].then.notify: expected a list",
        ),
        (
            json!([{"id": "a", "then": {"set_severity": "meh"}}]),
            "rules[0].then.set_severity: unknown severity",
        ),
        (
            json!([{"id": "a", "priority": "high"}]),
            "rules[0].priority: expected a whole number",
        ),
        (
            json!([{"id": "a", "continue": "yes"}]),
            "rules[0].continue: expected true or false",
        ),
        (
            json!([{"id": "a"}, {"id": "a"}]),
            "rules[1].id: duplicate id \"a\"",
        ),
        (json!([{"name": "no id"}]), "rules[0].id: missing"),
        (
            json!([{"id": "a", "colour": "red"}]),
            "rules[0].colour: unknown key",
        ),
        (json!({"id": "a"}), "rules: expected a JSON list of rules"),
    ];
    for (doc, expect) in cases {
        let err = RuleSet::from_json(&doc).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(
            err.to_string().starts_with(expect),
            "got {err:?}\nwanted {expect}"
        );
    }
    // every problem is reported, one per line
    let err =
        RuleSet::from_json(&json!([{"id": "a", "when": {"field": "x", "op": "y", "value": 1}}]))
            .unwrap_err()
            .to_string();
    assert!(
        err.contains("rules[0].when.field") && err.contains("rules[0].when.op"),
        "{err}"
    );
}

fn ingest_event(h: &Harness, n: u32, env: &str) -> signalcraft_core::IngestOutcome {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["event_id"] = format!("{n:032x}").into();
    doc["data"]["event"]["environment"] = env.into();
    h.sentry("event_alert", doc.to_string().as_bytes()).unwrap()
}

fn resolve_issue(h: &Harness) -> signalcraft_core::IngestOutcome {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_resolved.zulip.json")).unwrap();
    doc["data"]["issue"]["id"] = "1117540176".into();
    h.sentry("issue", doc.to_string().as_bytes()).unwrap()
}

fn put(h: &Harness, v: serde_json::Value) {
    h.engine.put_rules(h.ws(), &rules(v)).unwrap();
}

#[test]
fn ingest_routes_repeats_and_resolves() {
    let h = Harness::on_disk();
    put(
        &h,
        json!([{"id": "prod", "when": {"field": "environment", "op": "eq", "value": "production"},
                    "then": {"notify": ["slack-oncall"], "repeat_interval_mins": 30, "escalation": "default"}}]),
    );
    let first = ingest_event(&h, 1, "production");
    let r = first.alerts[0].route.as_ref().unwrap();
    assert_eq!(
        (r.matched.as_slice(), r.notify.as_slice()),
        (&["prod".to_string()][..], &["slack-oncall".to_string()][..])
    );
    assert_eq!(r.escalation.as_deref(), Some("default"));
    assert_eq!(
        first.alerts[0].trace["routing"]["channels"]["slack-oncall"],
        "group opened"
    );

    h.advance(TimeDelta::minutes(10));
    let joined = ingest_event(&h, 2, "production");
    assert_eq!(joined.alerts[0].decision, IngestDecision::Joined);
    let r = joined.alerts[0].route.as_ref().unwrap();
    assert!(r.notify.is_empty(), "inside the repeat interval");
    assert!(
        joined.alerts[0].trace["routing"]["channels"]["slack-oncall"]
            .as_str()
            .unwrap()
            .contains("next repeat at 2026-03-01T12:30:00Z")
    );

    h.advance(TimeDelta::minutes(25)); // 35 min after the first notification
    let repeat = ingest_event(&h, 3, "production");
    assert_eq!(
        repeat.alerts[0].route.as_ref().unwrap().notify,
        ["slack-oncall"]
    );

    let resolved = resolve_issue(&h);
    let r = resolved.alerts[0].route.as_ref().unwrap();
    assert_eq!(
        r.notify,
        ["slack-oncall"],
        "the channel that heard it fire hears it resolve"
    );

    // the route is stored with each event
    let g = h
        .engine
        .group(h.ws(), first.alerts[0].group_id.as_ref().unwrap().as_str())
        .unwrap();
    let notified: Vec<usize> = g
        .events
        .iter()
        .rev() // newest first: read it oldest first
        .map(|e| e.route["notify"].as_array().unwrap().len())
        .collect();
    assert_eq!(notified, [1, 0, 1, 1]);
}

#[test]
fn silenced_alerts_are_stored_and_their_resolve_still_goes_out() {
    let h = Harness::on_disk();
    put(
        &h,
        json!([{"id": "all", "when": {}, "then": {"notify": ["oncall"]}}]),
    );
    let first = ingest_event(&h, 1, "production");
    assert_eq!(first.alerts[0].route.as_ref().unwrap().notify, ["oncall"]);
    let s = h
        .engine
        .add_silence(
            h.ws(),
            &NewSilence {
                when: json!({"field": "fingerprint", "op": "eq", "value": "issue:1117540176"}),
                starts_at: None,
                ends_at: t0() + TimeDelta::hours(2),
                comment: Some("deploying".into()),
            },
            "cli",
        )
        .unwrap();
    h.advance(TimeDelta::minutes(1));
    // a new group for another environment: silenced, but grouped and stored
    let other = ingest_event(&h, 2, "staging");
    assert_eq!(other.alerts[0].decision, IngestDecision::NewGroup);
    let r = other.alerts[0].route.as_ref().unwrap();
    assert_eq!(
        r.suppressed_by.as_deref(),
        Some(format!("silence:{}", s.id).as_str())
    );
    assert!(r.notify.is_empty());
    assert_eq!(
        other.alerts[0].trace["routing"]["silences"][0],
        s.id.as_str()
    );
    // the resolve closes both groups; only the one that was notified sends a resolve
    let resolved = resolve_issue(&h);
    let by_group: BTreeMap<String, Vec<String>> = resolved
        .alerts
        .iter()
        .map(|a| {
            (
                a.group_id.clone().unwrap().0,
                a.route.clone().unwrap().notify,
            )
        })
        .collect();
    assert_eq!(
        by_group[first.alerts[0].group_id.as_ref().unwrap().as_str()],
        ["oncall"]
    );
    assert!(by_group[other.alerts[0].group_id.as_ref().unwrap().as_str()].is_empty());
    // expired silences stop muting
    h.engine.expire_silence(h.ws(), &s.id).unwrap();
    h.advance(TimeDelta::hours(3));
    let later = ingest_event(&h, 3, "canary");
    assert_eq!(later.alerts[0].route.as_ref().unwrap().notify, ["oncall"]);
    assert_eq!(
        h.engine
            .add_silence(
                h.ws(),
                &NewSilence {
                    when: json!({"field": "nope"}),
                    starts_at: None,
                    ends_at: t0() + TimeDelta::days(1),
                    comment: None
                },
                "cli",
            )
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn maintenance_windows_for_the_workspace_and_for_named_rules() {
    let h = Harness::on_disk(); // t0 = Sunday 2026-03-01 12:00 UTC = 13:00 in Berlin
    put(
        &h,
        json!([
            {"id": "db", "priority": 1, "when": {"field": "environment", "op": "eq", "value": "production"}, "then": {"notify": ["dba"]}, "continue": true},
            {"id": "all", "priority": 2, "when": {}, "then": {"notify": ["oncall"]}}
        ]),
    );
    let w = h
        .engine
        .add_maintenance(
            h.ws(),
            &NewMaintenanceWindow {
                weekdays: "sun".into(),
                from: "12:30".into(),
                to: "14:00".into(),
                tz: "Europe/Berlin".into(),
                when: None,
                rules: vec!["db".into()],
            },
        )
        .unwrap();
    let out = ingest_event(&h, 1, "production");
    let r = out.alerts[0].route.as_ref().unwrap();
    assert_eq!(r.matched, ["db", "all"]);
    assert_eq!(
        r.notify,
        ["oncall"],
        "the db rule's channel is in maintenance"
    );
    assert!(
        out.alerts[0].trace["routing"]["channels"]["dba"]
            .as_str()
            .unwrap()
            .contains(&w.id)
    );

    let whole = h
        .engine
        .add_maintenance(
            h.ws(),
            &NewMaintenanceWindow {
                weekdays: "sat-sun".into(),
                from: "13:00".into(),
                to: "13:30".into(),
                tz: "Europe/Berlin".into(),
                when: Some(json!({"field": "environment", "op": "eq", "value": "staging"})),
                rules: vec![],
            },
        )
        .unwrap();
    let staging = ingest_event(&h, 2, "staging");
    assert_eq!(
        staging.alerts[0].route.as_ref().unwrap().suppressed_by,
        Some(format!("maintenance:{}", whole.id))
    );
    h.advance(TimeDelta::hours(2)); // 15:00 Berlin: both windows closed
    let after = ingest_event(&h, 3, "qa");
    assert_eq!(after.alerts[0].route.as_ref().unwrap().notify, ["oncall"]);
    for bad in [
        ("mon", "10:00", "10:00", "UTC"),
        ("mon", "25:00", "10:00", "UTC"),
        ("xyz", "10:00", "11:00", "UTC"),
        ("mon", "10:00", "11:00", "Mars/Base"),
    ] {
        let e = h
            .engine
            .add_maintenance(
                h.ws(),
                &NewMaintenanceWindow {
                    weekdays: bad.0.into(),
                    from: bad.1.into(),
                    to: bad.2.into(),
                    tz: bad.3.into(),
                    when: None,
                    rules: vec![],
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
}

#[test]
fn default_route_from_settings() {
    let h = Harness::on_disk();
    put(
        &h,
        json!([{"id": "never", "when": {"field": "environment", "op": "eq", "value": "nowhere"}, "then": {"notify": ["x"]}}]),
    );
    let settings = WorkspaceSettings {
        default_route: Some(json!({"notify": ["triage"]})),
        ..Default::default()
    };
    h.engine.set_settings(h.ws(), &settings).unwrap();
    let out = ingest_event(&h, 1, "production");
    let r = out.alerts[0].route.as_ref().unwrap();
    assert!(r.default_route);
    assert_eq!(r.notify, ["triage"]);
    let bad = WorkspaceSettings {
        default_route: Some(json!({"notify": 3})),
        ..Default::default()
    };
    assert!(
        h.engine
            .set_settings(h.ws(), &bad)
            .unwrap_err()
            .to_string()
            .contains("default_route.notify")
    );
}

#[test]
fn dry_run_decides_like_ingest_and_stores_nothing() {
    let h = Harness::on_disk();
    put(
        &h,
        json!([{"id": "all", "when": {}, "then": {"notify": ["oncall"]}}]),
    );
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let headers = signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let dry = h
        .engine
        .dry_run(h.ws(), Source::Sentry, &headers, &body, None)
        .unwrap();
    assert!(
        h.row_counts().iter().all(|(_, n)| *n == 0),
        "{:?}",
        h.row_counts()
    );
    let candidate = rules(json!([{"id": "cand", "when": {}, "then": {"notify": ["other"]}}]));
    let dry2 = h
        .engine
        .dry_run(h.ws(), Source::Sentry, &headers, &body, Some(&candidate))
        .unwrap();
    assert_eq!(dry2.alerts[0].route.as_ref().unwrap().notify, ["other"]);
    let real = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers, &body)
        .unwrap();
    // The same outcome, but for the routing trace: ingest stores it compactly (the rules that
    // matched, by position in the rule set it names) and a dry run words every rule at once.
    let without_routing = |o: &signalcraft_core::IngestOutcome| {
        let mut v = serde_json::to_value(o).unwrap();
        for a in v["alerts"].as_array_mut().unwrap() {
            a["trace"].as_object_mut().unwrap().remove("routing");
        }
        v
    };
    assert_eq!(without_routing(&dry), without_routing(&real));
    let compact = &real.alerts[0].trace["routing"];
    assert_eq!(compact["matched"], json!(["all"]));
    assert_eq!(compact["positions"], json!([0]));
    assert!(compact["rule_set"].is_i64(), "{compact}");
    assert!(compact.get("rules").is_none(), "{compact}");
    // read back, the stored trace is worded against the rule set that routed it, exactly as
    // the dry run worded it
    let group_id = real.alerts[0].group_id.clone().unwrap();
    let detail = h.engine.group(h.ws(), group_id.as_str()).unwrap();
    let mut worded = detail.events[0].trace["routing"].clone();
    assert_eq!(worded["rule_set"], compact["rule_set"]);
    worded.as_object_mut().unwrap().remove("rule_set");
    assert_eq!(worded, dry.alerts[0].trace["routing"]);
    assert_eq!(worded["rules"][0]["result"], "matched");
    // a dry run after the real ingest sees the duplicate, still storing nothing
    let before = h.row_counts();
    let again = h
        .engine
        .dry_run(h.ws(), Source::Sentry, &headers, &body, None)
        .unwrap();
    assert_eq!(again.outcome, signalcraft_core::Outcome::Duplicate);
    assert_eq!(h.row_counts(), before);
}

#[test]
fn evaluation_is_stateless_across_channels_given() {
    let rs = rules(json!([{"id": "r", "when": {}, "then": {"notify": ["c"]}}]));
    let ctx = RoutingContext {
        rules: &rs,
        default_route: None,
        silences: &[],
        windows: &[],
    };
    let notified = BTreeMap::from([(
        "c".to_string(),
        ChannelState {
            last_firing_at: Some(t0()),
            firing_sent: true,
        },
    )]);
    let (d, _) = evaluate(
        &ctx,
        &alert(),
        &GroupContext {
            event: RouteEvent::Joined,
            channels: &notified,
        },
        t0() + TimeDelta::days(1),
    );
    assert!(d.notify.is_empty(), "no repeat interval: notified once");
    let (d, _) = evaluate(
        &ctx,
        &alert(),
        &GroupContext {
            event: RouteEvent::Other,
            channels: &BTreeMap::new(),
        },
        t0(),
    );
    assert!(d.notify.is_empty());
}

/// A stored trace is worded against the rule set that routed the event, even after the rules
/// changed; each event names its own rule set.
#[test]
fn stored_traces_are_worded_against_the_rules_of_their_time() {
    let h = Harness::on_disk();
    put(
        &h,
        json!([
            {"id": "a-staging-only", "when": {"field": "environment", "op": "eq", "value": "staging"},
             "then": {"notify": ["qa"]}},
            {"id": "b-everything", "when": {}, "then": {"notify": ["oncall"]}}
        ]),
    );
    let headers = signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let first = h
        .engine
        .ingest(
            h.ws(),
            Source::Sentry,
            &headers,
            &fixture("sentry/issue_alert_triggered.docs.json"),
        )
        .unwrap();
    put(
        &h,
        json!([{"id": "replacement", "when": {}, "then": {"notify": ["elsewhere"]}}]),
    );
    let second_body = crate::common::edited("sentry/issue_alert_triggered.docs.json", |v| {
        v["data"]["event"]["event_id"] = "0000000000000000000000000000beef".into();
    });
    let second = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers, &second_body)
        .unwrap();
    assert_eq!(second.alerts[0].group_id, first.alerts[0].group_id);
    let detail = h
        .engine
        .group(h.ws(), first.alerts[0].group_id.as_ref().unwrap().as_str())
        .unwrap();
    let old = &detail.events[1].trace["routing"]; // newest first
    assert_eq!(old["rules"][0]["rule"], "a-staging-only");
    assert_eq!(old["rules"][0]["result"], "no_match");
    let why = old["rules"][0]["reason"].as_str().unwrap();
    assert!(why.contains("environment eq"), "{why}");
    assert_eq!(old["rules"][1]["rule"], "b-everything");
    assert_eq!(old["rules"][1]["result"], "matched");
    let new = &detail.events[0].trace["routing"];
    assert_eq!(new["rules"][0]["rule"], "replacement");
    assert_eq!(new["rules"].as_array().unwrap().len(), 1);
    assert_ne!(old["rule_set"], new["rule_set"]);
    assert_eq!(
        second.alerts[0].trace["routing"]["matched"],
        json!(["replacement"])
    );
}
