//! The normalized alert model every source parses into.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_string())
            }
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                Self(s)
            }
        }
    };
}

string_id!(
    /// A workspace's opaque id.
    WorkspaceId
);
string_id!(
    /// An alert group's opaque id.
    GroupId
);
string_id!(
    /// A stored alert event's opaque id.
    EventId
);

/// How bad an alert is. Ordered: `debug < info < warning < error < critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Diagnostic noise.
    Debug,
    /// Worth knowing.
    Info,
    /// Something may need attention.
    Warning,
    /// Something is broken.
    Error,
    /// Something is badly broken: page someone.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Severity; 5] = [
        Severity::Debug,
        Severity::Info,
        Severity::Warning,
        Severity::Error,
        Severity::Critical,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
            Severity::Critical => "critical",
        }
    }

    /// The rank used for storage and ordering (0 = debug … 4 = critical).
    pub fn rank(self) -> i64 {
        self as i64
    }

    /// The severity with rank `rank`.
    pub fn from_rank(rank: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.rank() == rank)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "severity",
                    format!(
                        "unknown severity {s:?} (expected debug, info, warning, error or critical)"
                    ),
                )
            })
    }
}

/// Whether the source says the condition is going on or over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// The condition is happening.
    Firing,
    /// The source says the condition is over.
    Resolved,
}

impl AlertStatus {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// Where an alert came from. Each has one parser in [`crate::sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Source {
    /// Sentry: integration-platform webhooks and the legacy WebHooks plugin.
    Sentry,
    /// Prometheus Alertmanager webhooks (`version: "4"`).
    Alertmanager,
    /// Grafana-managed alerting webhooks (`version: "1"` with `orgId`).
    Grafana,
    /// Datadog webhooks (the default payload, or a custom one with the same keys).
    Datadog,
    /// PagerDuty Events API v2 bodies (`trigger`, `acknowledge`, `resolve`).
    Pagerduty,
    /// Opsgenie outgoing webhooks (`Create`, `Acknowledge`, `Close`).
    Opsgenie,
    /// Any JSON, through a per-integration field mapping.
    Generic,
    /// The engine's own fleet monitors ([`crate::monitors`]): not a webhook source, so not in
    /// [`Source::ALL`]; `ingest` refuses it.
    Monitor,
}

impl Source {
    /// Every webhook source (what `ingest` and integrations take); [`Source::Monitor`] is not one.
    pub const ALL: [Source; 7] = [
        Source::Sentry,
        Source::Alertmanager,
        Source::Grafana,
        Source::Datadog,
        Source::Pagerduty,
        Source::Opsgenie,
        Source::Generic,
    ];

    /// The lowercase name used in APIs, the CLI and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Sentry => "sentry",
            Source::Alertmanager => "alertmanager",
            Source::Grafana => "grafana",
            Source::Datadog => "datadog",
            Source::Pagerduty => "pagerduty",
            Source::Opsgenie => "opsgenie",
            Source::Generic => "generic",
            Source::Monitor => "monitor",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Source {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .chain([Source::Monitor])
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                Error::invalid(
                    "source",
                    format!("unknown source {s:?} (known: {})", known.join(", ")),
                )
            })
    }
}

/// Which existing groups a source-driven action (resolve, assign) applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum MatchScope {
    /// The group with this alert's group key (workspace, source, project, environment, fingerprint).
    #[default]
    GroupKey,
    /// Every unresolved group of this source with this fingerprint in the workspace, whatever its
    /// project or environment (Sentry issue ids are unique across a Sentry organization).
    Fingerprint,
}

/// Something a source asks of existing groups besides firing or resolving.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum SourceAction {
    /// Someone was assigned (or unassigned, with `None`) in the source.
    Assign {
        /// The assignee's display name.
        assignee: Option<String>,
    },
    /// Someone acknowledged the alert in the source (PagerDuty `acknowledge`, Opsgenie
    /// `Acknowledge`): the unresolved groups it matches become `acknowledged`.
    Acknowledge,
}

/// One alert in the shape every source is turned into.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NormalizedAlert {
    /// The workspace it belongs to (filled in by the engine).
    pub workspace: WorkspaceId,
    /// Where it came from.
    pub source: Source,
    /// What the source calls this particular occurrence, when it says (Sentry's `event_id`).
    pub source_event_id: Option<String>,
    /// The project, service or app.
    pub project: Option<String>,
    /// The deployment environment (`production`, `staging`, …).
    pub environment: Option<String>,
    /// How bad it is.
    pub severity: Severity,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// The source's identity for "the same problem", namespaced (`issue:123`, `metric_alert:7`).
    pub fingerprint: String,
    /// One line for humans.
    pub title: String,
    /// Where it happened, or a longer message.
    pub message: Option<String>,
    /// Labels and tags, sorted by name.
    pub tags: BTreeMap<String, String>,
    /// A deep link back to the source.
    pub link: Option<String>,
    /// When the source says it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When the engine received it.
    pub received_at: DateTime<Utc>,
    /// Which groups a resolve or action applies to.
    #[serde(default, skip_serializing_if = "is_default_scope")]
    pub scope: MatchScope,
    /// A non-firing action on existing groups (an assignment), if this is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<SourceAction>,
}

fn is_default_scope(s: &MatchScope) -> bool {
    *s == MatchScope::GroupKey
}
