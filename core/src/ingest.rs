//! What ingest answers.

use crate::alert::{GroupId, Severity, Source};
use crate::lifecycle::GroupStatus;
use serde::{Deserialize, Serialize};

/// What became of a delivery as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored (every alert in it has an entry in `alerts`).
    Accepted,
    /// Seen before (same delivery id, or every alert's event id): nothing changed.
    Duplicate,
    /// A valid payload that carries no alert: nothing stored.
    Ignored,
}

impl Outcome {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Duplicate => "duplicate",
            Self::Ignored => "ignored",
        }
    }
}

/// What ingest decided for one alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IngestDecision {
    /// Opened a new group.
    NewGroup,
    /// Joined an unresolved group.
    Joined,
    /// Reopened a recently resolved group.
    Reopened,
    /// The source resolved the group.
    Resolved,
    /// The source assigned someone on the group.
    Assigned,
    /// The source acknowledged the group.
    Acknowledged,
    /// A resolve or assignment for which no group is unresolved: stored, nothing changed.
    Unmatched,
    /// This alert's event id was already ingested: nothing stored for it.
    Duplicate,
}

impl IngestDecision {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            IngestDecision::NewGroup => "new_group",
            IngestDecision::Joined => "joined",
            IngestDecision::Reopened => "reopened",
            IngestDecision::Resolved => "resolved",
            IngestDecision::Assigned => "assigned",
            IngestDecision::Acknowledged => "acknowledged",
            IngestDecision::Unmatched => "unmatched",
            IngestDecision::Duplicate => "duplicate",
        }
    }
}

/// One alert's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestedAlert {
    /// The group it went to (none when unmatched).
    pub group_id: Option<GroupId>,
    /// The stored event's id (none for a duplicate).
    pub event_id: Option<String>,
    /// What happened.
    pub decision: IngestDecision,
    /// The group's status after this event.
    pub status: Option<GroupStatus>,
    /// Firing events in the group after this event.
    pub count: u64,
    /// The alert's severity (after a rule's `set_severity`).
    pub severity: Severity,
    /// The source's fingerprint.
    pub fingerprint: String,
    /// The alert's title.
    pub title: String,
    /// What routing decided (absent for duplicates).
    pub route: Option<crate::routing::RouteDecision>,
    /// How the decision was made.
    pub trace: serde_json::Value,
}

/// The answer to one `ingest` call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IngestOutcome {
    /// Accepted, duplicate or ignored.
    pub outcome: Outcome,
    /// Why, for duplicate and ignored.
    pub reason: Option<String>,
    /// The source that parsed it.
    pub source: Source,
    /// One entry per alert (more than one when a source resolve closes several groups).
    pub alerts: Vec<IngestedAlert>,
    /// How the payload was recognized, when worth saying.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}
