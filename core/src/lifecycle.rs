//! The group state machine's states. (Commands and their rules grow here.)

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a group is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// Firing and nobody has said they are on it.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Muted until a time.
    Snoozed,
    /// Over.
    Resolved,
}

impl GroupStatus {
    /// Every status.
    pub const ALL: [GroupStatus; 4] = [
        GroupStatus::Open,
        GroupStatus::Acknowledged,
        GroupStatus::Snoozed,
        GroupStatus::Resolved,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Open => "open",
            GroupStatus::Acknowledged => "acknowledged",
            GroupStatus::Snoozed => "snoozed",
            GroupStatus::Resolved => "resolved",
        }
    }

    /// Open, acknowledged or snoozed: the group still collects events.
    pub fn is_unresolved(self) -> bool {
        self != GroupStatus::Resolved
    }
}

impl fmt::Display for GroupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "status",
                    format!(
                        "unknown status {s:?} (expected open, acknowledged, snoozed or resolved)"
                    ),
                )
            })
    }
}
