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

/// A workspace's settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkspaceSettings {
    /// How events are grouped in time.
    pub dedup: DedupPolicy,
}

impl WorkspaceSettings {
    /// Parses settings JSON, naming the path of a bad field.
    pub fn from_json(value: &serde_json::Value) -> Result<Self> {
        serde_json::from_value(value.clone())
            .map_err(|e| Error::invalid("settings", format!("{e}")))
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
