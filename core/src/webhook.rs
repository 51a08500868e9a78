//! The pure decisions of an authenticated webhook delivery: whether it is authenticated, and
//! whether the workspace's ingest rate allows it. [`Engine::webhook`](crate::Engine::webhook)
//! gathers the facts, asks these functions, and records the answer for integration health.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What authenticates a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryAuth {
    /// The source's signature (checked while parsing: the integration has a secret).
    Signature,
    /// A live ingest key (its id).
    Key(String),
    /// Nothing: the workspace allows unauthenticated ingest.
    Open,
}

/// What the engine knows about a delivery's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuthFacts<'a> {
    /// The integration has a signing secret.
    pub has_secret: bool,
    /// The key presented (`?key=` or `Authorization: Bearer`), if any.
    pub key_presented: bool,
    /// The id of the live key of this (workspace, source) the presented key matched.
    pub key_matched: Option<&'a str>,
    /// The integration has at least one live ingest key.
    pub has_keys: bool,
    /// The workspace setting `allow_unauthenticated_ingest`.
    pub allow_unauthenticated: bool,
    /// The delivery came to `auto` and some integration of the workspace has a secret or a key:
    /// then an unauthenticated delivery is refused whatever the setting says.
    pub auto_and_workspace_protected: bool,
}

/// Why a delivery was refused before parsing: the error and the health reason recorded.
#[derive(Debug)]
pub struct Refusal {
    /// The reason counted in integration health (`missing_key`, `invalid_key`).
    pub reason: &'static str,
    /// The error answered.
    pub error: Error,
}

/// Decides how a delivery is authenticated, or why it is refused. With a secret the signature
/// is required (a key does not replace it); otherwise a live key; otherwise only a workspace
/// that allows unauthenticated ingest accepts it.
///
/// `auto` picks only the parser: when some integration of the workspace has a secret or a key
/// and the source `auto` picked has neither, the delivery is refused as a `signature` error —
/// the body's shape never decides that a protected workspace takes unauthenticated data.
pub fn authenticate(f: &AuthFacts<'_>) -> std::result::Result<DeliveryAuth, Refusal> {
    if f.has_secret {
        return Ok(DeliveryAuth::Signature);
    }
    if f.auto_and_workspace_protected && !f.has_keys {
        return Err(Refusal {
            reason: "signature",
            error: Error::Signature(
                "auto: this workspace's integrations require a signature or an ingest key, and the source this body was read as has neither: send it to its own source's webhook with its credential"
                    .into(),
            ),
        });
    }
    if f.key_presented {
        return match f.key_matched {
            Some(id) => Ok(DeliveryAuth::Key(id.to_string())),
            None => Err(Refusal {
                reason: "invalid_key",
                error: Error::Unauthenticated(
                    "the ingest key is not valid for this integration (unknown or revoked)".into(),
                ),
            }),
        };
    }
    if f.allow_unauthenticated && !f.has_keys && !f.auto_and_workspace_protected {
        return Ok(DeliveryAuth::Open);
    }
    Err(Refusal {
        reason: "missing_key",
        error: Error::Unauthenticated(
            "this webhook needs an ingest key (?key= or Authorization: Bearer) or a signing secret"
                .into(),
        ),
    })
}

/// A workspace's ingest rate limit: a token bucket of `burst` deliveries refilled at `per_min`
/// a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestRateLimit {
    /// Deliveries a minute, sustained.
    pub per_min: u32,
    /// Deliveries at once.
    pub burst: u32,
}

impl Default for IngestRateLimit {
    fn default() -> Self {
        Self {
            per_min: 6000,
            burst: 600,
        }
    }
}

impl IngestRateLimit {
    /// Checks the limit: both at least 1.
    pub fn validate(&self) -> Result<()> {
        if self.per_min == 0 {
            return Err(Error::invalid(
                "settings.ingest_rate_limit.per_min",
                "must be at least 1",
            ));
        }
        if self.burst == 0 {
            return Err(Error::invalid(
                "settings.ingest_rate_limit.burst",
                "must be at least 1",
            ));
        }
        Ok(())
    }
}

/// A token bucket's state: tokens left at a time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    /// Tokens left (fractional: refill is continuous).
    pub tokens: f64,
    /// When `tokens` was measured.
    pub at: DateTime<Utc>,
}

/// Takes one token from `bucket` (a full bucket when `None`) at `now`: the new state, or
/// `rate_limited` with the seconds until a token is back (the state is then unchanged).
pub fn take(bucket: Option<Bucket>, limit: IngestRateLimit, now: DateTime<Utc>) -> Result<Bucket> {
    let burst = f64::from(limit.burst.max(1));
    let per_ms = f64::from(limit.per_min.max(1)) / 60_000.0;
    let tokens = match bucket {
        None => burst,
        Some(b) => {
            let elapsed = (now - b.at).num_milliseconds().max(0) as f64;
            (b.tokens + elapsed * per_ms).min(burst)
        }
    };
    if tokens >= 1.0 {
        return Ok(Bucket {
            tokens: tokens - 1.0,
            at: now,
        });
    }
    let wait_ms = (1.0 - tokens) / per_ms;
    Err(Error::rate_limited(
        format!(
            "the workspace's ingest rate limit ({} a minute, burst {}) is exceeded",
            limit.per_min, limit.burst
        ),
        (wait_ms / 1000.0).ceil() as u64,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeDelta;

    fn facts() -> AuthFacts<'static> {
        AuthFacts {
            has_secret: false,
            key_presented: false,
            key_matched: None,
            has_keys: false,
            allow_unauthenticated: false,
            auto_and_workspace_protected: false,
        }
    }

    #[test]
    fn secret_first_then_key_then_the_setting() {
        let sig = AuthFacts {
            has_secret: true,
            key_presented: true,
            ..facts()
        };
        assert_eq!(authenticate(&sig).unwrap(), DeliveryAuth::Signature);
        let key = AuthFacts {
            key_presented: true,
            key_matched: Some("key_1"),
            has_keys: true,
            ..facts()
        };
        assert_eq!(
            authenticate(&key).unwrap(),
            DeliveryAuth::Key("key_1".into())
        );
        let wrong = AuthFacts {
            key_presented: true,
            allow_unauthenticated: true,
            ..facts()
        };
        assert_eq!(authenticate(&wrong).unwrap_err().reason, "invalid_key");
        assert_eq!(authenticate(&facts()).unwrap_err().reason, "missing_key");
        let open = AuthFacts {
            allow_unauthenticated: true,
            ..facts()
        };
        assert_eq!(authenticate(&open).unwrap(), DeliveryAuth::Open);
        let keyed = AuthFacts {
            has_keys: true,
            ..open
        };
        assert_eq!(authenticate(&keyed).unwrap_err().reason, "missing_key");
        let auto = AuthFacts {
            auto_and_workspace_protected: true,
            ..open
        };
        let refused = authenticate(&auto).unwrap_err();
        assert_eq!(refused.reason, "signature");
        assert_eq!(refused.error.kind(), crate::ErrorKind::Signature);
        // a wrong key does not change that
        let wrong_key = AuthFacts {
            key_presented: true,
            ..auto
        };
        assert_eq!(authenticate(&wrong_key).unwrap_err().reason, "signature");
    }

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let now = DateTime::parse_from_rfc3339("2026-11-30T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let limit = IngestRateLimit {
            per_min: 60,
            burst: 3,
        };
        let mut b = None;
        for _ in 0..3 {
            b = Some(take(b, limit, now).unwrap());
        }
        let e = take(b, limit, now).unwrap_err();
        assert_eq!(e.retry_after_secs(), Some(1));
        let later = take(b, limit, now + TimeDelta::seconds(1)).unwrap();
        assert!(later.tokens.abs() < 1e-9);
        // refill stops at the burst
        let idle = take(b, limit, now + TimeDelta::hours(1)).unwrap();
        assert!((idle.tokens - 2.0).abs() < 1e-9);
    }
}
