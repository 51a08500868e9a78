//! Slack channel delivery: Slack's Web API with a bot token (`Authorization: Bearer`, JSON
//! bodies). The first firing posts a message (its `ts` is kept per group and channel); later
//! events reply in its thread and refresh it; status changes update it with `chat.update`;
//! escalation steps reply in the thread with their mentions.

use super::dispatch::{Notifier, Outgoing, SendOutcome, exchange};
use super::slack::{
    MessageKind, SlackMessage, digest_message, post_message, thread_reply, update_message,
};
use serde_json::Value;
use std::time::Duration;

/// Slack's Web API.
pub const DEFAULT_API_BASE: &str = "https://slack.com/api";

/// Slack `error` codes worth retrying.
const RETRYABLE: [&str; 5] = [
    "ratelimited",
    "internal_error",
    "fatal_error",
    "service_unavailable",
    "request_timeout",
];

/// Sends to a Slack channel.
#[derive(Debug, Clone)]
pub struct SlackNotifier {
    /// The HTTP client (from [`crate::net::client`]).
    pub http: reqwest::Client,
    /// Which non-public addresses it may reach.
    pub policy: std::sync::Arc<crate::net::PrivateTargets>,
}

impl SlackNotifier {
    /// Calls one Web API method; `Ok` with Slack's answer when `ok: true`.
    async fn call(
        &self,
        out: &Outgoing<'_>,
        method: &str,
        body: &Value,
    ) -> Result<Value, SendOutcome> {
        let base = out
            .channel
            .text("api_base")
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/');
        let token = out.channel.text("token").unwrap_or_default();
        let req = self
            .http
            .post(format!("{base}/{method}"))
            .timeout(Duration::from_secs(10))
            .bearer_auth(token)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.to_string());
        let (status, retry_after, text) =
            exchange(&self.policy, req, out.now, &format!("{method}: ")).await?;
        if status == 429 || status >= 500 {
            return Err(SendOutcome::Retry {
                http_status: Some(status),
                error: format!("{method}: HTTP {status}"),
                retry_after,
            });
        }
        if !(200..300).contains(&status) {
            return Err(SendOutcome::Fail {
                http_status: Some(status),
                error: format!("{method}: HTTP {status}"),
            });
        }
        let answer: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if answer.get("ok").and_then(Value::as_bool) == Some(true) {
            return Ok(answer);
        }
        // Slack's error codes are short snake_case words; anything else is not shown
        let code = match answer.get("error").and_then(Value::as_str) {
            Some(c)
                if !c.is_empty()
                    && c.len() <= 64
                    && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                c.to_string()
            }
            Some(_) => "an error code that is not one of Slack's".to_string(),
            None => "no ok in the answer".to_string(),
        };
        if RETRYABLE.contains(&code.as_str()) {
            Err(SendOutcome::Retry {
                http_status: Some(status),
                error: format!("{method}: {code}"),
                retry_after,
            })
        } else {
            Err(SendOutcome::Fail {
                http_status: Some(status),
                error: format!("{method}: {code}"),
            })
        }
    }

    async fn run(&self, out: &Outgoing<'_>) -> Result<SendOutcome, SendOutcome> {
        if out.kind == "test" {
            // a test from the UI: a plain message, no buttons (there is no group to act on)
            let channel = out.channel.text("channel").unwrap_or_default();
            let text = out
                .payload
                .get("text")
                .and_then(Value::as_str)
                .unwrap_or("Test notification from SignalCraft");
            let answer = self
                .call(
                    out,
                    "chat.postMessage",
                    &serde_json::json!({"channel": channel, "text": text}),
                )
                .await?;
            return Ok(SendOutcome::Sent {
                http_status: Some(200),
                reference: answer.get("ts").and_then(Value::as_str).map(str::to_string),
                place: answer
                    .get("channel")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
        if out.kind == "digest" {
            let channel = out.channel.text("channel").unwrap_or_default();
            let digest: super::storm::Digest =
                serde_json::from_value(out.payload.clone()).unwrap_or_default();
            let answer = self
                .call(out, "chat.postMessage", &digest_message(channel, &digest))
                .await?;
            return Ok(SendOutcome::Sent {
                http_status: Some(200),
                reference: None,
                place: answer
                    .get("channel")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            });
        }
        let Some(g) = out.group else {
            return Ok(SendOutcome::Skip {
                reason: "no group".into(),
            });
        };
        let channel = out.channel.text("channel").unwrap_or_default();
        let mentions: Vec<String> = out
            .payload
            .get("mention")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let actor = out.payload.get("actor").and_then(Value::as_str);
        let kind = match out.kind {
            "resolved" => MessageKind::Resolved,
            "status" => MessageKind::Status,
            "escalation" => MessageKind::Escalation {
                // the outbox counts steps from 1, the renderer from 0
                step: (out.payload.get("step").and_then(Value::as_u64).unwrap_or(1) as usize)
                    .saturating_sub(1),
            },
            _ => MessageKind::Firing,
        };
        let msg = SlackMessage {
            group: g,
            mentions: &mentions,
            kind,
            actor,
            // what an unauthenticated delivery caused pings nobody broadly
            broadcast: out.payload.get("broadcast").and_then(Value::as_bool) != Some(false),
        };
        let sent = |reference: Option<String>, place: Option<String>| SendOutcome::Sent {
            http_status: Some(200),
            reference,
            place,
        };
        // chat.update and thread replies take the channel id the post answered, not a name
        let posted_in = out.slack_channel.unwrap_or(channel);
        match (out.slack_ts, out.kind) {
            (None, "status") => Ok(SendOutcome::Skip {
                reason: "no Slack message to update".into(),
            }),
            (None, _) => {
                let answer = self
                    .call(out, "chat.postMessage", &post_message(channel, &msg))
                    .await?;
                let text = |k: &str| answer.get(k).and_then(Value::as_str).map(str::to_string);
                Ok(sent(text("ts"), text("channel")))
            }
            (Some(ts), "status") => {
                self.call(out, "chat.update", &update_message(posted_in, ts, &msg))
                    .await?;
                Ok(sent(None, None))
            }
            (Some(ts), _) => {
                // refresh the original (count, status), then say it in the thread
                let refresh = SlackMessage {
                    kind: MessageKind::Status,
                    ..msg
                };
                self.call(out, "chat.update", &update_message(posted_in, ts, &refresh))
                    .await?;
                self.call(out, "chat.postMessage", &thread_reply(posted_in, ts, &msg))
                    .await?;
                Ok(sent(None, None))
            }
        }
    }
}

impl Notifier for SlackNotifier {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome {
        match self.run(out).await {
            Ok(o) | Err(o) => o,
        }
    }
}
