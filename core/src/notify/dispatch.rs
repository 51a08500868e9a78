//! The pieces of delivery that decide: retry policy, backoff with jitter, `Retry-After`, which
//! answers are retried, and the `Notifier` trait every channel implements.

use super::ChannelConfig;
use crate::group::AlertGroup;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// How a channel retries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryPolicy {
    /// The first retry's delay, in milliseconds (default 1 s).
    pub first_ms: u64,
    /// The longest delay between attempts (default 5 min).
    pub max_interval_ms: u64,
    /// Attempts in all before giving up (default 8).
    pub max_attempts: u32,
    /// Give up on a notification older than this (default 24 h).
    pub max_age_secs: u64,
    /// ± this share of random spread on each delay (default 0.2).
    pub jitter: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            first_ms: 1000,
            max_interval_ms: 300_000,
            max_attempts: 8,
            max_age_secs: 86_400,
            jitter: 0.2,
        }
    }
}

impl RetryPolicy {
    /// The delay before the next attempt after `attempts` attempts: doubling from `first_ms`,
    /// capped, spread by ± `jitter` (`unit` is a random number in [0, 1)), and never shorter than
    /// the server's `Retry-After`.
    pub fn backoff(&self, attempts: u32, retry_after: Option<Duration>, unit: f64) -> Duration {
        let exp = attempts.saturating_sub(1).min(40);
        let base = self
            .first_ms
            .saturating_mul(1u64 << exp)
            .min(self.max_interval_ms.max(self.first_ms));
        let spread = self.jitter.clamp(0.0, 1.0) * (2.0 * unit.clamp(0.0, 1.0) - 1.0);
        let ms = (base as f64 * (1.0 + spread)).max(1.0) as u64;
        let d = Duration::from_millis(ms);
        match retry_after {
            Some(r) if r > d => r.min(Duration::from_secs(self.max_age_secs.max(1))),
            _ => d,
        }
    }
}

/// What one attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Delivered (the server acknowledged it).
    Sent {
        /// The HTTP status, for HTTP channels.
        http_status: Option<u16>,
        /// What the server gave back worth keeping (a Slack message `ts`).
        reference: Option<String>,
        /// Where the server put it, when it says (the Slack channel id of a posted message:
        /// `chat.update` and thread replies need the id, not the name).
        place: Option<String>,
    },
    /// Failed for now; try again.
    Retry {
        /// The HTTP status, if there was an answer.
        http_status: Option<u16>,
        /// What went wrong.
        error: String,
        /// The server's `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Failed for good (a 4xx other than 408/429, a rejected address).
    Fail {
        /// The HTTP status, if there was an answer.
        http_status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// Nothing to send on this channel for this kind of notification.
    Skip {
        /// Why.
        reason: String,
    },
}

/// The answer to an HTTP status: 2xx sent; 408, 429 and 5xx retried; any other 4xx final. The
/// reason kept is the status and its standard phrase only: never the answer's body, which a
/// tenant could otherwise use to read what an endpoint says (the delivery log is theirs).
pub fn classify(status: u16, retry_after: Option<Duration>) -> SendOutcome {
    match status {
        200..=299 => SendOutcome::Sent {
            http_status: Some(status),
            reference: None,
            place: None,
        },
        408 | 429 | 500..=599 => SendOutcome::Retry {
            http_status: Some(status),
            error: status_reason(status),
            retry_after,
        },
        _ => SendOutcome::Fail {
            http_status: Some(status),
            error: status_reason(status),
        },
    }
}

/// `HTTP 503 Service Unavailable`: the status and its standard phrase.
pub fn status_reason(status: u16) -> String {
    let phrase = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason());
    match phrase {
        Some(p) => format!("HTTP {status} {p}"),
        None => format!("HTTP {status}"),
    }
}

/// Sends a request through the SSRF guard ([`crate::net::send`]) and reads the answer:
/// `(status, Retry-After, body)`. A refused target fails for good; no answer (connection
/// refused, timeout) is retried. Reasons are sanitized: no URL, no address, no body.
pub async fn exchange(
    policy: &crate::net::PrivateTargets,
    req: reqwest::RequestBuilder,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(u16, Option<Duration>, String), SendOutcome> {
    let resp = crate::net::send(policy, req).await.map_err(|e| {
        if e.is_transient() {
            SendOutcome::Retry {
                http_status: None,
                error: format!("{what}request failed: {e}"),
                retry_after: None,
            }
        } else {
            SendOutcome::Fail {
                http_status: None,
                error: format!("{what}{e}"),
            }
        }
    })?;
    let status = resp.status().as_u16();
    let retry_after = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, now));
    Ok((
        status,
        retry_after,
        read_limited(resp, MAX_RESPONSE_BYTES).await,
    ))
}

/// The most of a response body a delivery reads (the rest is dropped unread).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// Reads at most `limit` bytes of a response body, as (lossy) UTF-8: a receiver that answers
/// with an endless body costs one bounded buffer.
pub async fn read_limited(mut resp: reqwest::Response, limit: usize) -> String {
    let mut buf: Vec<u8> = Vec::new();
    while buf.len() < limit {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                let take = chunk.len().min(limit - buf.len());
                buf.extend_from_slice(&chunk[..take]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Parses `Retry-After`: delay seconds or an HTTP date.
pub fn parse_retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    let v = value.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs.min(86_400)));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// One notification on its way out.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    /// The outbox row's id (stable across retries: receivers can deduplicate on it).
    pub delivery_id: i64,
    /// The workspace's id.
    pub workspace: &'a str,
    /// The channel.
    pub channel: &'a ChannelConfig,
    /// `firing`, `resolved`, `status`, `escalation`, `test` or `digest` (notifications over the
    /// channel's cap, folded: the payload is a [`super::storm::Digest`]).
    pub kind: &'a str,
    /// What was decided (alert, decision, command, step…).
    pub payload: &'a Value,
    /// The group as it is now.
    pub group: Option<&'a AlertGroup>,
    /// The Slack message already posted for this group and channel, if any.
    pub slack_ts: Option<&'a str>,
    /// The Slack channel (id, as Slack answered the post) that message is in.
    pub slack_channel: Option<&'a str>,
    /// Now.
    pub now: DateTime<Utc>,
}

/// A channel that can deliver.
pub trait Notifier {
    /// Makes one attempt.
    fn send(&self, out: &Outgoing<'_>) -> impl std::future::Future<Output = SendOutcome> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_caps_jitters_and_honours_retry_after() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1, None, 0.5), Duration::from_millis(1000));
        assert_eq!(p.backoff(2, None, 0.5), Duration::from_millis(2000));
        assert_eq!(p.backoff(4, None, 0.5), Duration::from_millis(8000));
        assert_eq!(p.backoff(30, None, 0.5), Duration::from_millis(300_000));
        assert_eq!(p.backoff(1, None, 0.0), Duration::from_millis(800));
        assert_eq!(p.backoff(1, None, 0.999_999), Duration::from_millis(1199));
        assert_eq!(
            p.backoff(1, Some(Duration::from_secs(30)), 0.5),
            Duration::from_secs(30)
        );
        assert_eq!(
            p.backoff(5, Some(Duration::from_millis(10)), 0.5),
            Duration::from_millis(16_000)
        );
    }

    #[test]
    fn statuses() {
        assert!(matches!(classify(204, None), SendOutcome::Sent { .. }));
        for s in [408, 429, 500, 503] {
            assert!(
                matches!(classify(s, None), SendOutcome::Retry { .. }),
                "{s}"
            );
        }
        for s in [400, 401, 403, 404, 410] {
            assert!(matches!(classify(s, None), SendOutcome::Fail { .. }), "{s}");
        }
        let now = DateTime::from_timestamp(1_445_412_480, 0).unwrap_or_default(); // 2015-10-21 07:28:00
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:29:00 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }
}
