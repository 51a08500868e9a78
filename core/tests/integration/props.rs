//! Property tests: the group key ignores tag order and is deterministic; parsers never panic.

use crate::common::{fixture, t0};
use proptest::prelude::*;
use signalcraft_core::fingerprint::{GroupKeyInputs, alert_group_key, group_key};
use signalcraft_core::sources::{self, CompiledOptions, IntegrationConfig, Parsed, SourceInput};
use signalcraft_core::{Headers, Source, WorkspaceId};

fn parse_event(tags: &[(String, String)]) -> signalcraft_core::NormalizedAlert {
    let mut doc: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["tags"] = tags
        .iter()
        .map(|(k, v)| serde_json::json!([k, v]))
        .collect();
    let body = doc.to_string();
    let ws = WorkspaceId::from("ws_p");
    let config = IntegrationConfig::default();
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let input = SourceInput {
        workspace: &ws,
        config: &config,
        options: &CompiledOptions::load(Source::Sentry, &config.options),
        headers: &headers,
        body: body.as_bytes(),
        now: t0(),
    };
    match sources::parse(Source::Sentry, &input).unwrap() {
        Parsed::Alerts { mut alerts, .. } => alerts.remove(0),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn group_key_ignores_tag_order(
        tags in proptest::collection::btree_map("[a-z.]{1,8}", "[ -~]{0,12}", 0..8),
        seed in any::<u64>(),
    ) {
        let mut list: Vec<(String, String)> = tags.into_iter().collect();
        let a = parse_event(&list);
        // a deterministic shuffle from the seed
        let n = list.len();
        if n > 1 {
            let mut s = seed;
            for i in (1..n).rev() {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                list.swap(i, (s >> 33) as usize % (i + 1));
            }
        }
        let b = parse_event(&list);
        prop_assert_eq!(&a.tags, &b.tags);
        prop_assert_eq!(alert_group_key(&a), alert_group_key(&b));
    }

    #[test]
    fn group_key_is_deterministic_and_separates_fields(
        ws in "[a-z0-9_]{1,12}", project in proptest::option::of("[ -~]{0,10}"),
        env in proptest::option::of("[ -~]{0,10}"), fp in "[ -~]{1,20}",
    ) {
        let inputs = GroupKeyInputs { workspace: &ws, source: "sentry", project: project.as_deref(), environment: env.as_deref(), fingerprint: &fp };
        let k1 = group_key(&inputs);
        let k2 = group_key(&inputs.clone());
        prop_assert_eq!(k1, k2);
        prop_assert_eq!(k1.to_hex().len(), 64);
        // swapping project and environment (when they differ) gives another key
        if project != env {
            let swapped = GroupKeyInputs { project: env.as_deref(), environment: project.as_deref(), ..inputs };
            prop_assert_ne!(k1, group_key(&swapped));
        }
    }

    #[test]
    fn parser_never_panics_on_arbitrary_bytes(body in proptest::collection::vec(any::<u8>(), 0..512), resource in prop::sample::select(vec!["event_alert", "issue", "metric_alert", "error", "x"])) {
        let ws = WorkspaceId::from("ws_p");
        let config = IntegrationConfig::default();
        let headers = Headers::new().with("Sentry-Hook-Resource", resource);
        let input = SourceInput { workspace: &ws, config: &config, options: &CompiledOptions::load(Source::Sentry, &config.options), headers: &headers, body: &body, now: t0() };
        let _ = sources::parse(Source::Sentry, &input);
    }
}

mod routing_props {
    use crate::common::t0;
    use crate::routing::alert;
    use proptest::prelude::*;
    use serde_json::{Value, json};
    use signalcraft_core::routing::{GroupContext, RouteEvent, RoutingContext, RuleSet, evaluate};
    use std::collections::BTreeMap;

    fn leaf() -> impl Strategy<Value = Value> {
        let field = prop::sample::select(vec![
            "source",
            "project",
            "environment",
            "title",
            "fingerprint",
            "tags.team",
            "tags.region",
            "status",
        ]);
        let word = prop::sample::select(vec![
            "production",
            "staging",
            "checkout",
            "payments",
            "eu",
            "issue:42",
            "firing",
        ]);
        prop_oneof![
            (
                field.clone(),
                prop::sample::select(vec![
                    "eq",
                    "ne",
                    "contains",
                    "starts_with",
                    "ends_with",
                    "glob"
                ]),
                word.clone()
            )
                .prop_map(|(f, o, v)| json!({"field": f, "op": o, "value": v})),
            (
                field.clone(),
                prop::sample::select(vec!["in", "not_in"]),
                prop::collection::vec(word.clone(), 1..3)
            )
                .prop_map(|(f, o, v)| json!({"field": f, "op": o, "value": v})),
            (field.clone(), any::<bool>())
                .prop_map(|(f, b)| json!({"field": f, "op": "exists", "value": b})),
            (
                prop::sample::select(vec!["gt", "gte", "lt", "lte", "eq"]),
                prop::sample::select(vec!["debug", "info", "warning", "error", "critical"])
            )
                .prop_map(|(o, v)| json!({"field": "severity", "op": o, "value": v})),
            (field, "[a-z]{1,4}")
                .prop_map(|(f, r)| json!({"field": f, "op": "regex", "value": format!("{r}.*")})),
        ]
    }

    fn condition() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..4).prop_map(|v| json!({"all": v})),
                prop::collection::vec(inner.clone(), 1..4).prop_map(|v| json!({"any": v})),
                inner.prop_map(|c| json!({"not": c})),
            ]
        })
    }

    fn rules() -> impl Strategy<Value = Value> {
        prop::collection::vec((condition(), -5i64..5, any::<bool>(), any::<bool>(), prop::collection::vec(prop::sample::select(vec!["a", "b", "c"]), 0..3)), 0..8)
            .prop_map(|rs| {
                Value::Array(rs.into_iter().enumerate().map(|(i, (when, prio, cont, enabled, notify))| json!({
                    "id": format!("r{i}"), "priority": prio, "continue": cont, "enabled": enabled,
                    "when": when, "then": {"notify": notify}
                })).collect())
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

        #[test]
        fn rule_json_round_trips(doc in rules()) {
            let a = RuleSet::from_json(&doc).unwrap();
            let b = RuleSet::from_json(&a.to_json()).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a.to_json(), b.to_json());
        }

        #[test]
        fn the_rule_index_never_changes_a_decision(
            envs in prop::collection::vec(prop::sample::select(vec!["production", "staging", "qa", "dev"]), 8..40),
            extra in rules(),
            env in prop::sample::select(vec!["production", "staging", "qa", "dev", "none"]),
            sev in prop::sample::select(vec!["info", "error", "critical"]),
        ) {
            let mut list: Vec<Value> = envs.iter().enumerate().map(|(i, e)| json!({
                "id": format!("env{i}"), "priority": (i % 5) as i64, "continue": i % 3 == 0,
                "when": {"all": [{"field": "environment", "op": if i % 4 == 0 { "in" } else { "eq" },
                                  "value": if i % 4 == 0 { json!([e, "dev"]) } else { json!(e) }},
                                 {"field": "severity", "op": "gte", "value": "error"}]},
                "then": {"notify": [format!("c{}", i % 3)]}
            })).collect();
            list.extend(extra.as_array().unwrap().iter().cloned());
            let rs = RuleSet::from_json(&Value::Array(list)).unwrap();
            prop_assert!(rs.indexed_field().is_some());
            let plain = rs.without_index();
            let mut a = alert();
            if env == "none" { a.environment = None } else { a.environment = Some(env.to_string()) }
            a.severity = sev.parse().unwrap();
            let state = BTreeMap::new();
            let g = GroupContext { event: RouteEvent::Opened, channels: &state };
            let c1 = RoutingContext { rules: &rs, default_route: None, silences: &[], windows: &[] };
            let c2 = RoutingContext { rules: &plain, default_route: None, silences: &[], windows: &[] };
            let (d1, t1) = evaluate(&c1, &a, &g, t0());
            let (d2, t2) = evaluate(&c2, &a, &g, t0());
            prop_assert_eq!(d1, d2);
            prop_assert_eq!(t1.explain(&rs, &a), t2.explain(&plain, &a));
        }

        #[test]
        fn evaluation_is_deterministic_and_ignores_tag_order(doc in rules(), tags in prop::collection::vec((prop::sample::select(vec!["team", "region", "x"]), prop::sample::select(vec!["payments", "eu", "growth"])), 0..4)) {
            let rs = RuleSet::from_json(&doc).unwrap();
            let ctx = RoutingContext { rules: &rs, default_route: None, silences: &[], windows: &[] };
            let mut a = alert();
            a.tags.clear();
            let mut b = a.clone();
            for (k, v) in &tags { a.tags.insert(k.to_string(), v.to_string()); }
            for (k, v) in tags.iter().rev() { b.tags.entry(k.to_string()).or_insert_with(|| v.to_string()); }
            // last write wins for a, first for b: make them agree on duplicates
            for (k, v) in &a.tags { b.tags.insert(k.clone(), v.clone()); }
            let state = BTreeMap::new();
            let g = GroupContext { event: RouteEvent::Opened, channels: &state };
            let first = evaluate(&ctx, &a, &g, t0());
            prop_assert_eq!(&first, &evaluate(&ctx, &a, &g, t0()));
            prop_assert_eq!(&first, &evaluate(&ctx, &b, &g, t0()));
        }
    }
}

/// An Alertmanager body with one alert whose labels are written in the given order (the JSON
/// text itself, so the parser sees that order), and no `fingerprint`.
fn am_body(labels: &[(String, String)]) -> String {
    let labels: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{}:{}", serde_json::json!(k), serde_json::json!(v)))
        .collect();
    format!(
        r#"{{"version":"4","status":"firing","alerts":[{{"status":"firing","labels":{{{}}},"annotations":{{}},"startsAt":"2026-03-01T11:00:00Z","endsAt":"0001-01-01T00:00:00Z"}}]}}"#,
        labels.join(",")
    )
}

fn am_fingerprint(body: &str) -> String {
    let ws = WorkspaceId::from("ws_p");
    let config = IntegrationConfig::default();
    let headers = Headers::new();
    let input = SourceInput {
        workspace: &ws,
        config: &config,
        options: &CompiledOptions::load(Source::Alertmanager, &config.options),
        headers: &headers,
        body: body.as_bytes(),
        now: t0(),
    };
    match sources::parse(Source::Alertmanager, &input).unwrap() {
        Parsed::Alerts { alerts, .. } => alerts[0].fingerprint.clone(),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn alertmanager_fingerprint_ignores_label_order(
        labels in proptest::collection::btree_map("[a-zA-Z_][a-zA-Z0-9_]{0,8}", "[ -~]{0,12}", 0..8),
        seed in any::<u64>(),
    ) {
        let mut list: Vec<(String, String)> = labels.into_iter().collect();
        let a = am_fingerprint(&am_body(&list));
        let n = list.len();
        let mut s = seed;
        for i in (1..n.max(1)).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            list.swap(i, (s >> 33) as usize % (i + 1));
        }
        let b = am_fingerprint(&am_body(&list));
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.len(), 16);
    }

    #[test]
    fn every_source_parser_never_panics(body in proptest::collection::vec(any::<u8>(), 0..256), which in 0usize..7) {
        let source = Source::ALL[which];
        let ws = WorkspaceId::from("ws_p");
        let config = IntegrationConfig { options: serde_json::json!({"fields": {"title": "a.0.b"}, "events": "x"}), ..IntegrationConfig::default() };
        let config = if source == Source::Generic { config } else { IntegrationConfig::default() };
        let headers = Headers::new();
        let input = SourceInput { workspace: &ws, config: &config, options: &CompiledOptions::load(source, &config.options), headers: &headers, body: &body, now: t0() };
        let _ = sources::parse(source, &input);
    }
}
