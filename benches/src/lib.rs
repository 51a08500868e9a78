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
