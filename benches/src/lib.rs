//! Shared inputs for SignalCraft's benches: real payloads, made unique per iteration.

/// The real Sentry `event_alert` payload from Sentry's docs, as compact JSON.
pub fn sentry_event_alert_template() -> serde_json::Value {
    serde_json::from_slice(include_bytes!(
        "../../core/tests/fixtures/sentry/issue_alert_triggered.docs.json"
    ))
    .unwrap_or(serde_json::Value::Null)
}

/// Makes Sentry event-alert bodies with a fresh `event_id` each, and `issues` distinct issue ids
/// (so that groups both open and join), as Sentry sends them (compact JSON).
pub struct SentryBodies {
    prefix: String,
    middle: String,
    suffix: String,
    issues: u64,
}

impl SentryBodies {
    /// A generator spreading events over `issues` issues.
    pub fn new(issues: u64) -> Self {
        let mut doc = sentry_event_alert_template();
        doc["data"]["event"]["event_id"] = "@@EVENT@@".into();
        doc["data"]["event"]["issue_id"] = "@@ISSUE@@".into();
        let text = doc.to_string();
        let (prefix, rest) = text.split_once("@@EVENT@@").unwrap_or((&text, ""));
        let (middle, suffix) = rest.split_once("@@ISSUE@@").unwrap_or((rest, ""));
        let (prefix, middle, suffix) = (prefix.to_string(), middle.to_string(), suffix.to_string());
        // event_id comes before issue_id in the serialized (sorted) object
        Self {
            prefix,
            middle,
            suffix,
            issues: issues.max(1),
        }
    }

    /// The `n`th body.
    pub fn body(&self, n: u64) -> Vec<u8> {
        format!(
            "{}{n:032x}{}{}{}",
            self.prefix,
            self.middle,
            n % self.issues,
            self.suffix
        )
        .into_bytes()
    }
}

/// `n` realistic routing rules: each looks at environment, severity, a tag and the title, and
/// the alert of [`routing_alert`] matches only the last (with `continue` off for all).
pub fn routing_rules(n: usize) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let last = i + 1 == n;
            serde_json::json!({
                "id": format!("rule-{i:04}"),
                "priority": i,
                "when": {"all": [
                    {"field": "environment", "op": "eq", "value": if last { "production".to_string() } else { format!("env-{}", i % 13) }},
                    {"field": "severity", "op": "gte", "value": "warning"},
                    {"not": {"field": "tags.team", "op": "in", "value": ["growth", "labs"]}},
                    {"any": [
                        {"field": "title", "op": "regex", "value": format!("(Timeout|Connection)Error: .*{}.*", if last { "upstream".to_string() } else { format!("svc{i}") })},
                        {"field": "project", "op": "glob", "value": format!("team-{}-*", i % 17)}
                    ]}
                ]},
                "then": {"notify": [format!("channel-{}", i % 9)], "repeat_interval_mins": 240}
            })
        })
        .collect();
    serde_json::Value::Array(rules)
}

/// The alert the routing bench evaluates.
pub fn routing_alert() -> signalcraft_core::NormalizedAlert {
    signalcraft_core::NormalizedAlert {
        workspace: "ws_bench".into(),
        source: signalcraft_core::Source::Sentry,
        source_event_id: None,
        project: Some("checkout".into()),
        environment: Some("production".into()),
        severity: signalcraft_core::Severity::Error,
        status: signalcraft_core::AlertStatus::Firing,
        fingerprint: "issue:42".into(),
        title: "TimeoutError: upstream took 31s".into(),
        message: None,
        tags: [("team".to_string(), "payments".to_string())]
            .into_iter()
            .collect(),
        link: None,
        occurred_at: None,
        received_at: chrono::DateTime::UNIX_EPOCH,
        scope: Default::default(),
        action: None,
    }
}
