//! PagerDuty channel: Events API v2, with `dedup_key` = the group id, so that trigger,
//! acknowledge and resolve follow the group.

use super::dispatch::{Notifier, Outgoing, SendOutcome, classify, exchange};
use crate::alert::Severity;
use crate::lifecycle::GroupStatus;
use serde_json::{Value, json};
use std::time::Duration;

/// PagerDuty's events endpoint.
pub const DEFAULT_EVENTS_URL: &str = "https://events.pagerduty.com/v2/enqueue";

fn pd_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info | Severity::Debug => "info",
    }
}

/// The event to send, or `None` when the notification means nothing to PagerDuty (a snooze).
pub fn render(out: &Outgoing<'_>, routing_key: &str) -> Option<Value> {
    if out.kind == "test" {
        // a test from the UI: an info event with a key of its own, never an alert's
        let text = out
            .payload
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or("Test notification from SignalCraft");
        return Some(json!({
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": format!("signalcraft-test-{}", out.delivery_id),
            "client": "SignalCraft",
            "payload": {
                "summary": text.chars().take(1024).collect::<String>(),
                "source": "signalcraft",
                "severity": "info",
                "custom_details": {"test": true},
            },
        }));
    }
    if out.kind == "digest" {
        // notifications over the channel's cap, as one event with a key of its own
        let d: super::storm::Digest =
            serde_json::from_value(out.payload.clone()).unwrap_or_default();
        let worst = d
            .groups
            .iter()
            .map(|g| g.severity)
            .max()
            .unwrap_or(Severity::Info);
        let mut event = json!({
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": format!("signalcraft-digest-{}", out.delivery_id),
            "client": "SignalCraft",
            "payload": {
                "summary": d.summary().chars().take(1024).collect::<String>(),
                "source": "signalcraft",
                "severity": pd_severity(worst),
                "custom_details": {"digest": out.payload},
            },
        });
        if let Some(link) = d.link() {
            event["links"] = json!([{"href": link, "text": "Open in the inbox"}]);
        }
        return Some(event);
    }
    let g = out.group?;
    let action = match out.kind {
        "firing" | "escalation" => "trigger",
        "resolved" => "resolve",
        // the status the change moved to (the group may have moved on since)
        "status" => match out
            .payload
            .get("to")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<GroupStatus>().ok())
            .unwrap_or(g.status)
        {
            GroupStatus::Acknowledged => "acknowledge",
            GroupStatus::Open => "trigger",
            GroupStatus::Resolved => "resolve",
            GroupStatus::Snoozed => return None,
        },
        _ => return None,
    };
    let summary: String = g.title.chars().take(1024).collect();
    let mut event = json!({
        "routing_key": routing_key,
        "event_action": action,
        "dedup_key": g.id,
        "client": "SignalCraft",
    });
    if action == "trigger" {
        event["payload"] = json!({
            "summary": summary,
            "source": g.project.clone().unwrap_or_else(|| g.source.as_str().to_string()),
            "severity": pd_severity(g.severity),
            "timestamp": g.last_seen,
            "component": g.project,
            "group": g.environment,
            "class": g.source,
            "custom_details": {
                "count": g.count, "fingerprint": g.fingerprint, "status": g.status,
                "first_seen": g.first_seen, "tags": g.tags, "kind": out.kind,
            },
        });
        if let Some(link) = &g.link
            && let Some(text) =
                super::source_link_label(g.source, super::source_name(g.source), link)
        {
            event["links"] = json!([{"href": link.trim(), "text": text}]);
        }
    }
    Some(event)
}

/// Sends to a PagerDuty channel.
#[derive(Debug, Clone)]
pub struct PagerdutyNotifier {
    /// The HTTP client (from [`crate::net::client`]).
    pub http: reqwest::Client,
    /// Which non-public addresses it may reach.
    pub policy: std::sync::Arc<crate::net::PrivateTargets>,
}

impl Notifier for PagerdutyNotifier {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome {
        let Some(key) = out.channel.text("routing_key") else {
            return SendOutcome::Fail {
                http_status: None,
                error: "the channel has no routing_key".into(),
            };
        };
        let Some(event) = render(out, key) else {
            return SendOutcome::Skip {
                reason: format!(
                    "PagerDuty has nothing for a {} notification in this state",
                    out.kind
                ),
            };
        };
        let url = out.channel.text("events_url").unwrap_or(DEFAULT_EVENTS_URL);
        let req = self
            .http
            .post(url)
            .timeout(Duration::from_secs(10))
            .header("Content-Type", "application/json")
            .body(event.to_string());
        match exchange(&self.policy, req, out.now, "").await {
            Ok((status, retry_after, _)) => classify(status, retry_after),
            Err(outcome) => outcome,
        }
    }
}
