//! Workspaces: the walls between tenants, and their settings.

use crate::alert::WorkspaceId;
use crate::dedup::DedupPolicy;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workspace {
    /// Its opaque id.
    pub id: WorkspaceId,
    /// Its unique name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// When `tick` closes and forgets groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HygienePolicy {
    /// Resolve groups with no event for this many minutes (0: never).
    pub auto_close_after_mins: u64,
    /// Delete the events and timelines of groups resolved this many days ago (0: keep forever).
    pub retention_days: u64,
}

impl Default for HygienePolicy {
    fn default() -> Self {
        Self {
            auto_close_after_mins: 24 * 60,
            retention_days: 30,
        }
    }
}

/// Bounds on the work one ingest call may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestLimits {
    /// Alerts one delivery may carry (an Alertmanager or Grafana notification, a generic
    /// batch); over it the delivery is `invalid_input` and nothing is stored. 1 to 1,000,000.
    pub alerts_per_delivery: u32,
    /// Deliveries one `ingest_batch` call may carry. 1 to 100,000.
    pub batch_deliveries: u32,
    /// Total body bytes of one `ingest_batch` call. 1 KiB to 1 GiB.
    pub batch_bytes: u64,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            alerts_per_delivery: 1_000,
            batch_deliveries: 1_000,
            batch_bytes: 64 * 1024 * 1024,
        }
    }
}

impl IngestLimits {
    /// Checks each bound, naming the bad field.
    pub fn validate(&self) -> Result<()> {
        let check = |name: &str, v: u64, min: u64, max: u64| {
            if v < min || v > max {
                Err(Error::invalid(
                    format!("settings.ingest_limits.{name}"),
                    format!("must be {min} to {max}, got {v}"),
                ))
            } else {
                Ok(())
            }
        };
        check(
            "alerts_per_delivery",
            u64::from(self.alerts_per_delivery),
            1,
            1_000_000,
        )?;
        check(
            "batch_deliveries",
            u64::from(self.batch_deliveries),
            1,
            100_000,
        )?;
        check("batch_bytes", self.batch_bytes, 1024, 1024 * 1024 * 1024)
    }
}

/// Replay defence for signed webhooks: how long the digest of every verified signed message is
/// kept, so that a repeat is answered `duplicate` (Sentry signs only the body: without this, a
/// captured signed webhook could be replayed with a fresh `Request-ID`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReplayDefence {
    /// Seconds a digest is kept (at least twice the integration's `max_skew_secs` whatever this
    /// says). 60 to 604,800 (a week); default 600.
    pub window_secs: u64,
}

impl Default for ReplayDefence {
    fn default() -> Self {
        Self { window_secs: 600 }
    }
}

impl ReplayDefence {
    /// Checks the window.
    pub fn validate(&self) -> Result<()> {
        if !(60..=604_800).contains(&self.window_secs) {
            return Err(Error::invalid(
                "settings.replay.window_secs",
                format!("must be 60 to 604800 seconds, got {}", self.window_secs),
            ));
        }
        Ok(())
    }

    /// How long a digest of a message signed for an integration with `max_skew_secs` is kept.
    pub fn keep_secs(&self, max_skew_secs: Option<u64>) -> u64 {
        self.window_secs
            .max(max_skew_secs.unwrap_or(0).saturating_mul(2))
            .min(604_800 * 2)
    }
}

/// How notifications are held back in a storm, and who they may ping.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationPolicy {
    /// Notifications (HTTP calls: a Slack thread reply with its refresh counts two) a channel
    /// gets in any minute; over it, they are folded into one digest message per minute. A
    /// channel's own `rate_limit.per_min` overrides it. 1 to 10,000; default 30.
    pub per_channel_per_min: u32,
    /// Let deliveries accepted without a signature or an ingest key (the workspace allows
    /// unauthenticated ingest) ping `@here`, `@channel` or `@everyone` — by their severity or
    /// by a rule's `mention`. Default false: such notifications mention nobody broadly.
    pub allow_unauthenticated_mentions: bool,
}

impl Default for NotificationPolicy {
    fn default() -> Self {
        Self {
            per_channel_per_min: crate::notify::storm::DEFAULT_PER_MIN,
            allow_unauthenticated_mentions: false,
        }
    }
}

impl NotificationPolicy {
    /// Checks the bounds, naming the setting's path.
    pub fn validate(&self) -> Result<()> {
        let max = crate::notify::storm::MAX_PER_MIN;
        if !(1..=max).contains(&self.per_channel_per_min) {
            return Err(Error::invalid(
                "settings.notifications.per_channel_per_min",
                format!("expected 1 to {max}"),
            ));
        }
        Ok(())
    }
}

/// A workspace's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkspaceSettings {
    /// How events are grouped in time.
    pub dedup: DedupPolicy,
    /// Auto-close and retention.
    pub hygiene: HygienePolicy,
    /// Where alerts that match no rule go: a rule's `then` object. `None` (the default): stored,
    /// not notified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_route: Option<serde_json::Value>,
    /// Accept webhooks with neither a signature nor an ingest key, for integrations that have
    /// neither set (local experiments). Default false.
    pub allow_unauthenticated_ingest: bool,
    /// The per-workspace token bucket of [`Engine::webhook`](crate::Engine::webhook).
    pub ingest_rate_limit: crate::webhook::IngestRateLimit,
    /// Alerts per delivery, deliveries and bytes per batch.
    pub ingest_limits: IngestLimits,
    /// How long signed messages are remembered to refuse replays.
    pub replay: ReplayDefence,
    /// Storm control and broadcast mentions.
    pub notifications: NotificationPolicy,
    /// The dashboard's public address (`https://signalcraft.example.com`): digests link to the
    /// inbox under it. `None` (the default): digests say where to look, without a link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

impl WorkspaceSettings {
    /// Parses settings JSON, naming the path of a bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        let s: Self = serde_json::from_value(value.clone())
            .map_err(|e| Error::invalid("settings", format!("{e}")))?;
        s.default_route_actions()?;
        s.ingest_rate_limit.validate()?;
        s.ingest_limits.validate()?;
        s.replay.validate()?;
        s.validate_notifications()?;
        Ok(s)
    }

    /// Checks `notifications` and `public_url`, naming the bad field's path.
    pub fn validate_notifications(&self) -> Result<()> {
        self.notifications.validate()?;
        if let Some(u) = &self.public_url {
            let ok = (u.starts_with("https://") || u.starts_with("http://"))
                && u.len() > 8
                && u.len() <= 512
                && !u.contains(char::is_whitespace)
                && !u.contains(['?', '#']);
            if !ok {
                return Err(Error::invalid(
                    "settings.public_url",
                    "expected an http(s) URL without query or fragment, at most 512 characters",
                ));
            }
        }
        Ok(())
    }

    /// The default route, parsed and checked.
    pub fn default_route_actions(&self) -> Result<Option<crate::routing::RuleActions>> {
        let Some(v) = &self.default_route else {
            return Ok(None);
        };
        let mut errors = crate::routing::FieldErrors::default();
        let a = crate::routing::RuleActions::parse(
            &crate::json::Node::at(v, "default_route"),
            &mut errors,
        );
        errors.into_result()?;
        Ok(Some(a))
    }
}

/// Checks a workspace name: 1 to 64 characters of letters, digits, `.`, `_` and `-`, not
/// starting with `ws_` (the id prefix).
pub fn validate_name(name: &str) -> Result<()> {
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if name.is_empty() || name.len() > 64 || !ok_chars {
        return Err(Error::invalid(
            "name",
            format!("workspace names are 1 to 64 letters, digits, '.', '_' or '-'; got {name:?}"),
        ));
    }
    if name.starts_with("ws_") {
        return Err(Error::invalid(
            "name",
            "workspace names may not start with \"ws_\" (reserved for ids)",
        ));
    }
    Ok(())
}
