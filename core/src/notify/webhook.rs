//! Webhook channel: a JSON POST signed so receivers can verify it.
//!
//! Headers: `X-SignalCraft-Timestamp: <unix seconds>` and
//! `X-SignalCraft-Signature: sha256=<hex HMAC-SHA256(secret, "{timestamp}.{raw body}")>` (the
//! signature only when the channel has a secret). `X-SignalCraft-Delivery` carries the delivery
//! id, the same on every retry, so receivers can drop duplicates.

use super::dispatch::{Notifier, Outgoing, SendOutcome, classify, exchange};
use crate::signature::hmac_sha256_hex;
use serde_json::{Value, json};
use std::time::Duration;

/// The timestamp header.
pub const TIMESTAMP_HEADER: &str = "X-SignalCraft-Timestamp";
/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-SignalCraft-Signature";
/// The delivery id header.
pub const DELIVERY_HEADER: &str = "X-SignalCraft-Delivery";

/// The body a webhook receives.
pub fn render(out: &Outgoing<'_>) -> Value {
    if out.kind == "digest" {
        // notifications over the channel's cap: the digest's counts, groups and inbox link
        let digest: super::storm::Digest =
            serde_json::from_value(out.payload.clone()).unwrap_or_default();
        return json!({
            "type": "digest",
            "delivery_id": out.delivery_id,
            "workspace": out.workspace,
            "channel": out.channel.name,
            "group": null,
            "event": out.payload,
            "text": digest.summary(),
            "links": {"inbox": digest.link()},
            "sent_at": out.now,
        });
    }
    json!({
        "type": out.kind,
        "delivery_id": out.delivery_id,
        "workspace": out.workspace,
        "channel": out.channel.name,
        "group": out.group,
        "event": out.payload,
        "links": {"source": out.group.and_then(|g| g.link.clone())},
        "sent_at": out.now,
    })
}

/// The signature header's value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut msg = format!("{timestamp}.").into_bytes();
    msg.extend_from_slice(body);
    format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), &msg))
}

/// Sends to a webhook channel.
#[derive(Debug, Clone)]
pub struct WebhookNotifier {
    /// The HTTP client (from [`crate::net::client`]).
    pub http: reqwest::Client,
    /// Which non-public addresses it may reach.
    pub policy: std::sync::Arc<crate::net::PrivateTargets>,
}

impl Notifier for WebhookNotifier {
    async fn send(&self, out: &Outgoing<'_>) -> SendOutcome {
        let Some(url) = out.channel.text("url") else {
            return SendOutcome::Fail {
                http_status: None,
                error: "the channel has no url".into(),
            };
        };
        let body = render(out).to_string().into_bytes();
        let ts = out.now.timestamp();
        let timeout = out
            .channel
            .config
            .get("timeout_secs")
            .and_then(Value::as_u64)
            .unwrap_or(10)
            .clamp(1, super::channel::MAX_TIMEOUT_SECS);
        let mut req = self
            .http
            .post(url)
            .timeout(Duration::from_secs(timeout))
            .header("Content-Type", "application/json")
            .header(
                "User-Agent",
                concat!("SignalCraft/", env!("CARGO_PKG_VERSION")),
            )
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(DELIVERY_HEADER, out.delivery_id.to_string());
        if let Some(secret) = out.channel.text("secret") {
            req = req.header(SIGNATURE_HEADER, sign(secret, ts, &body));
        }
        match exchange(&self.policy, req.body(body), out.now, "").await {
            Ok((status, retry_after, _)) => classify(status, retry_after),
            Err(outcome) => outcome,
        }
    }
}
