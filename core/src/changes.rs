//! The change feed: every change to a group (a new event, a status change, an assignee, a
//! note, a runbook, an escalation step) gets a per-workspace, strictly increasing sequence
//! number, written in the same transaction as the change. Hosts poll
//! [`Engine::changes`](crate::Engine::changes) and turn it into server-sent events; it works
//! across processes sharing one database file.

use crate::alert::GroupId;
use crate::ingest::IngestDecision;
use crate::lifecycle::{Command, GroupStatus};
use crate::{Error, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How long change rows are kept (`tick` deletes older ones, a bounded batch at a time). A
/// stream that reconnects after longer than this misses what was purged; its `since` is still
/// valid.
pub const CHANGE_RETENTION: TimeDelta = TimeDelta::days(7);

/// Changes answered when no limit is given.
pub const DEFAULT_LIMIT: u32 = 100;

/// The most changes one call answers.
pub const MAX_LIMIT: u32 = 1000;

/// One change to a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Its sequence number in the workspace (strictly increasing, from 1).
    pub seq: i64,
    /// The group.
    pub group_id: GroupId,
    /// `event`, `status`, `assignee`, `note`, `runbook` or `escalation`.
    pub kind: String,
    /// The group's status after the change.
    pub status: GroupStatus,
    /// When.
    pub at: DateTime<Utc>,
}

/// A page of changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangePage {
    /// The changes after `since`, in order.
    pub changes: Vec<Change>,
    /// The workspace's latest sequence number (0 before any change): where a new stream starts.
    pub last_seq: i64,
}

/// The kind of change a lifecycle command makes.
pub fn command_kind(command: &Command) -> &'static str {
    match command {
        Command::Assign { .. } => "assignee",
        Command::Note { .. } => "note",
        Command::Runbook { .. } => "runbook",
        _ => "status",
    }
}

/// The kind of change an ingested alert makes to its group, if it is not written by a
/// lifecycle transition (a source's acknowledgement is) and touches a group at all.
pub fn ingest_kind(decision: IngestDecision) -> Option<&'static str> {
    match decision {
        IngestDecision::NewGroup | IngestDecision::Joined | IngestDecision::Reopened => {
            Some("event")
        }
        IngestDecision::Resolved => Some("status"),
        IngestDecision::Assigned => Some("assignee"),
        IngestDecision::Acknowledged | IngestDecision::Unmatched | IngestDecision::Duplicate => {
            None
        }
    }
}

/// Checks a page size: 1 to [`MAX_LIMIT`], [`DEFAULT_LIMIT`] when absent.
pub fn limit(limit: Option<u32>) -> Result<u32> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(Error::invalid(
            "limit",
            format!("expected 1 to {MAX_LIMIT}"),
        )),
    }
}

/// Checks a position: 0 or more (0, the default, is from the first change kept).
pub fn since(since: Option<i64>) -> Result<i64> {
    match since {
        None => Ok(0),
        Some(s) if s >= 0 => Ok(s),
        Some(_) => Err(Error::invalid(
            "since",
            "expected a sequence number, 0 or more",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn kinds_and_bounds() {
        assert_eq!(command_kind(&Command::Ack), "status");
        assert_eq!(command_kind(&Command::Note { text: "x".into() }), "note");
        assert_eq!(ingest_kind(IngestDecision::Joined), Some("event"));
        assert_eq!(ingest_kind(IngestDecision::Acknowledged), None);
        assert_eq!(limit(None).unwrap(), 100);
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(1001)).is_err());
        assert_eq!(since(None).unwrap(), 0);
        assert!(since(Some(-1)).is_err());
    }
}
