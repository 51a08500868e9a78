//! Alert groups as the engine shows them: the group, its events and its timeline.

use crate::alert::{GroupId, Severity, Source};
use crate::lifecycle::GroupStatus;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A group of alerts that are the same problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertGroup {
    /// Its opaque id.
    pub id: GroupId,
    /// The group key (hex), shared by every group that ever held this problem.
    pub group_key: String,
    /// Where its alerts come from.
    pub source: Source,
    /// The project, if any.
    pub project: Option<String>,
    /// The environment, if any.
    pub environment: Option<String>,
    /// The latest firing event's severity.
    pub severity: Severity,
    /// Its status.
    pub status: GroupStatus,
    /// The latest firing event's title.
    pub title: String,
    /// The latest firing event's message or culprit.
    pub message: Option<String>,
    /// The source's fingerprint.
    pub fingerprint: String,
    /// The latest deep link to the source.
    pub link: Option<String>,
    /// The latest firing event's tags.
    pub tags: BTreeMap<String, String>,
    /// Who is assigned, if anyone.
    pub assignee: Option<String>,
    /// Firing events in the group.
    pub count: u64,
    /// How many times it was reopened.
    pub reopen_count: u64,
    /// The first firing event's receipt time.
    pub first_seen: DateTime<Utc>,
    /// The last firing event's receipt time.
    pub last_seen: DateTime<Utc>,
    /// The last change of any kind (events and state changes).
    pub last_activity: DateTime<Utc>,
    /// When it was resolved, if it is.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When a snooze ends, if it is snoozed.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// When it was first acknowledged (since it last opened).
    pub acknowledged_at: Option<DateTime<Utc>>,
    /// A runbook link.
    pub runbook: Option<String>,
}

/// One stored alert event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    /// Its opaque id.
    pub id: String,
    /// The group it went to, if any.
    pub group_id: Option<GroupId>,
    /// What ingest decided (`new_group`, `joined`, `reopened`, `resolved`, `assigned`, `unmatched`).
    pub decision: String,
    /// Firing or resolved.
    pub status: String,
    /// Its severity.
    pub severity: Severity,
    /// Its title.
    pub title: String,
    /// The source's id for it, if any.
    pub source_event_id: Option<String>,
    /// When the source says it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When the engine received it.
    pub received_at: DateTime<Utc>,
    /// The normalized alert.
    pub alert: serde_json::Value,
    /// How ingest decided.
    pub trace: serde_json::Value,
    /// What routing decided (null for events stored before routing existed).
    pub route: serde_json::Value,
}

/// One state change of a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`source:sentry`, `user:alice`, `system:auto-close`).
    pub actor: String,
    /// What (`open`, `reopen`, `resolve`, `assign`, …).
    pub command: String,
    /// The status before.
    pub from: Option<GroupStatus>,
    /// The status after.
    pub to: Option<GroupStatus>,
    /// Anything else worth keeping.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub detail: serde_json::Value,
}

/// A group with its events and timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    /// The group.
    #[serde(flatten)]
    pub group: AlertGroup,
    /// Its events, oldest first.
    pub events: Vec<StoredEvent>,
    /// Its state changes, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// Which groups to list. Newest activity first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupQuery {
    /// Only this status (all statuses when `None`).
    pub status: Option<GroupStatus>,
    /// Only this environment.
    pub environment: Option<String>,
    /// Only this project.
    pub project: Option<String>,
    /// Only this source.
    pub source: Option<Source>,
    /// Only this severity or worse.
    pub min_severity: Option<Severity>,
    /// Page size (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Where the previous page ended.
    pub cursor: Option<String>,
}

impl GroupQuery {
    /// The default page size.
    pub const DEFAULT_LIMIT: u32 = 50;
    /// The largest page size.
    pub const MAX_LIMIT: u32 = 1000;

    /// Only groups with `status`.
    pub fn status(mut self, status: GroupStatus) -> Self {
        self.status = Some(status);
        self
    }

    /// The page size, checked.
    pub fn page_size(&self) -> Result<u32> {
        match self.limit {
            None => Ok(Self::DEFAULT_LIMIT),
            Some(n) if (1..=Self::MAX_LIMIT).contains(&n) => Ok(n),
            Some(n) => Err(Error::invalid(
                "limit",
                format!("must be 1 to {}, got {n}", Self::MAX_LIMIT),
            )),
        }
    }
}

/// A page of groups.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupPage {
    /// The groups, newest activity first.
    pub groups: Vec<AlertGroup>,
    /// Pass this as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// A position in the newest-activity-first order: opaque to callers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub last_activity_ms: i64,
    pub seq: i64,
}

impl Cursor {
    pub(crate) fn encode(&self) -> String {
        format!("c1.{:x}.{:x}", self.last_activity_ms, self.seq)
    }

    pub(crate) fn decode(s: &str) -> Result<Self> {
        let bad = || Error::invalid("cursor", format!("not a cursor from this engine: {s:?}"));
        let mut parts = s.split('.');
        if parts.next() != Some("c1") {
            return Err(bad());
        }
        let a = parts.next().ok_or_else(bad)?;
        let b = parts.next().ok_or_else(bad)?;
        if parts.next().is_some() {
            return Err(bad());
        }
        Ok(Self {
            last_activity_ms: i64::from_str_radix(a, 16).map_err(|_| bad())?,
            seq: i64::from_str_radix(b, 16).map_err(|_| bad())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_junk() {
        let c = Cursor {
            last_activity_ms: 1_700_000_000_123,
            seq: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c));
        for junk in ["", "c1", "c1.zz.1", "c2.1.1", "c1.1.1.1"] {
            assert!(Cursor::decode(junk).is_err(), "{junk}");
        }
    }
}
