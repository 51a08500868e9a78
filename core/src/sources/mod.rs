//! Alert sources: each file verifies a webhook's signature and parses it into [`NormalizedAlert`]s.
//!
//! Every source has the same shape: `parse(&SourceInput) -> Result<Parsed>`. Adding a source
//! means one file here and one line in [`parse`] and [`validate_options`].

pub mod sentry;

use crate::Result;
use crate::alert::{NormalizedAlert, Source, WorkspaceId};
use crate::headers::Headers;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A workspace's settings for one source.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrationConfig {
    /// The shared secret signatures are checked with; `None` accepts unsigned payloads.
    pub secret: Option<String>,
    /// With a secret: how far the sender's timestamp header may be from now, in seconds.
    pub max_skew_secs: Option<u64>,
    /// Source-specific options (validated by [`validate_options`]).
    pub options: serde_json::Value,
}

/// What a source parser is given.
#[derive(Debug, Clone, Copy)]
pub struct SourceInput<'a> {
    /// The workspace the payload was sent to.
    pub workspace: &'a WorkspaceId,
    /// The workspace's settings for this source.
    pub config: &'a IntegrationConfig,
    /// The request headers.
    pub headers: &'a Headers,
    /// The raw request body, exactly as received.
    pub body: &'a [u8],
    /// The time of receipt.
    pub now: DateTime<Utc>,
}

/// What a payload turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Alerts to ingest.
    Alerts {
        /// The source's id for this delivery (a `Request-ID` header), used for idempotency.
        delivery_id: Option<String>,
        /// The alerts.
        alerts: Vec<NormalizedAlert>,
        /// Notes on the parse worth showing the caller (how the payload was recognized).
        notes: Vec<String>,
    },
    /// A valid payload that carries no alert (an installation or comment webhook).
    Ignored {
        /// Why.
        reason: String,
    },
}

/// Verifies and parses a payload from `source`.
pub fn parse(source: Source, input: &SourceInput<'_>) -> Result<Parsed> {
    match source {
        Source::Sentry => sentry::parse(input),
    }
}

/// Checks a source's integration options.
pub fn validate_options(source: Source, options: &serde_json::Value) -> Result<()> {
    match source {
        Source::Sentry => sentry::validate_options(options),
    }
}
