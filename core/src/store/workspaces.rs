//! Workspaces and their integrations.

use super::db::{Conn, DbResult, OptionalExtension, Row, params};
use super::{execute, query_row};
use super::{from_ms, to_ms};
use crate::alert::{Source, WorkspaceId};
use crate::sources::IntegrationConfig;
use crate::workspace::{Workspace, WorkspaceSettings};
use crate::{Error, Result};
use chrono::{DateTime, Utc};

fn row_to_workspace(r: &Row<'_>) -> DbResult<Workspace> {
    Ok(Workspace {
        id: WorkspaceId(r.get(0)?),
        name: r.get(1)?,
        created_at: from_ms(r.get(2)?),
    })
}

pub(crate) fn insert(tx: &Conn, ws: &Workspace) -> Result<()> {
    let taken: bool = query_row(
        tx,
        "SELECT EXISTS(SELECT 1 FROM workspaces WHERE name = ?1)",
        [&ws.name],
        |r| r.get(0),
    )
    .map_err(Error::storage("checking a workspace name"))?;
    if taken {
        return Err(Error::invalid(
            "name",
            format!("a workspace named {:?} already exists", ws.name),
        ));
    }
    execute(
        tx,
        "INSERT INTO workspaces (id, name, created_at) VALUES (?1, ?2, ?3)",
        params![ws.id.as_str(), ws.name, to_ms(ws.created_at)],
    )
    .map_err(Error::storage("creating a workspace"))?;
    Ok(())
}

pub(crate) fn id_exists(tx: &Conn, id: &str) -> Result<bool> {
    query_row(
        tx,
        "SELECT EXISTS(SELECT 1 FROM workspaces WHERE id = ?1)",
        [id],
        |r| r.get(0),
    )
    .map_err(Error::storage("looking up a workspace"))
}

/// The workspace whose id, or else whose name, is `reference`.
pub(crate) fn resolve(tx: &Conn, reference: &str) -> Result<Workspace> {
    query_row(
        tx,
        "SELECT id, name, created_at FROM workspaces WHERE id = ?1
         UNION ALL
         SELECT id, name, created_at FROM workspaces WHERE name = ?1
         LIMIT 1",
        [reference],
        row_to_workspace,
    )
    .optional()
    .map_err(Error::storage("looking up a workspace"))?
    .ok_or_else(|| Error::not_found("workspace", reference))
}

/// Like [`resolve`], with the workspace's configuration version (bumped by every write to its
/// settings or integrations, see the migration that added it): one indexed lookup.
pub(crate) fn resolve_versioned(tx: &Conn, reference: &str) -> Result<(Workspace, i64)> {
    query_row(
        tx,
        "SELECT id, name, created_at, config_version FROM workspaces WHERE id = ?1
         UNION ALL
         SELECT id, name, created_at, config_version FROM workspaces WHERE name = ?1
         LIMIT 1",
        [reference],
        |r| Ok((row_to_workspace(r)?, r.get(3)?)),
    )
    .optional()
    .map_err(Error::storage("looking up a workspace"))?
    .ok_or_else(|| Error::not_found("workspace", reference))
}

/// A workspace's configuration version, by id (`None`: no such workspace).
pub(crate) fn config_version(tx: &Conn, ws: &WorkspaceId) -> Result<Option<i64>> {
    query_row(
        tx,
        "SELECT config_version FROM workspaces WHERE id = ?1",
        [ws.as_str()],
        |r| r.get(0),
    )
    .optional()
    .map_err(Error::storage(
        "reading a workspace's configuration version",
    ))
}

pub(crate) fn list(tx: &Conn) -> Result<Vec<Workspace>> {
    let mut stmt = tx
        .prepare_cached("SELECT id, name, created_at FROM workspaces ORDER BY name")
        .map_err(Error::storage("listing workspaces"))?;
    let rows = stmt
        .query_map(params![], row_to_workspace)
        .map_err(Error::storage("listing workspaces"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("listing workspaces"))
}

pub(crate) fn settings(tx: &Conn, ws: &WorkspaceId) -> Result<WorkspaceSettings> {
    let text: String = query_row(
        tx,
        "SELECT settings FROM workspaces WHERE id = ?1",
        [ws.as_str()],
        |r| r.get(0),
    )
    .map_err(Error::storage("reading workspace settings"))?;
    let value: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| Error::Internal(format!("stored workspace settings are not JSON: {e}")))?;
    WorkspaceSettings::from_json(&value)
}

pub(crate) fn set_settings(
    tx: &Conn,
    ws: &WorkspaceId,
    settings: &WorkspaceSettings,
) -> Result<()> {
    let text = serde_json::to_string(settings)
        .map_err(|e| Error::Internal(format!("serializing settings: {e}")))?;
    execute(
        tx,
        "UPDATE workspaces SET settings = ?2 WHERE id = ?1",
        params![ws.as_str(), text],
    )
    .map_err(Error::storage("writing workspace settings"))?;
    Ok(())
}

pub(crate) fn integration(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
) -> Result<IntegrationConfig> {
    integration_named(tx, ws, source.as_str())
}

/// An integration by name: a source's, or `slack` (the signing secret of interactive actions).
pub(crate) fn integration_named(
    tx: &Conn,
    ws: &WorkspaceId,
    name: &str,
) -> Result<IntegrationConfig> {
    let row = query_row(
        tx,
        "SELECT secret, max_skew_secs, options FROM integrations
             WHERE workspace_id = ?1 AND source = ?2",
        params![ws.as_str(), name],
        |r| {
            Ok((
                r.get::<_, Option<String>>(0)?,
                r.get::<_, Option<i64>>(1)?,
                r.get::<_, String>(2)?,
            ))
        },
    )
    .optional()
    .map_err(Error::storage("reading an integration"))?;
    let Some((secret, skew, options)) = row else {
        return Ok(IntegrationConfig::default());
    };
    Ok(IntegrationConfig {
        secret,
        max_skew_secs: skew.map(|s| s.max(0) as u64),
        options: serde_json::from_str(&options).map_err(|e| {
            Error::Internal(format!("stored integration options are not JSON: {e}"))
        })?,
    })
}

/// The names of the integrations a workspace has a row for.
pub(crate) fn integration_names(tx: &Conn, ws: &WorkspaceId) -> Result<Vec<String>> {
    let mut stmt = tx
        .prepare_cached("SELECT source FROM integrations WHERE workspace_id = ?1")
        .map_err(Error::storage("listing integrations"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| r.get(0))
        .map_err(Error::storage("listing integrations"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("listing integrations"))
}

pub(crate) fn set_integration(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    config: &IntegrationConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    set_integration_named(tx, ws, source.as_str(), config, now)
}

/// Writes an integration by name.
pub(crate) fn set_integration_named(
    tx: &Conn,
    ws: &WorkspaceId,
    name: &str,
    config: &IntegrationConfig,
    now: DateTime<Utc>,
) -> Result<()> {
    let options = serde_json::to_string(&config.options)
        .map_err(|e| Error::Internal(format!("serializing options: {e}")))?;
    let skew = config
        .max_skew_secs
        .map(|s| i64::try_from(s).unwrap_or(i64::MAX));
    execute(
        tx,
        "INSERT INTO integrations (workspace_id, source, secret, max_skew_secs, options, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (workspace_id, source) DO UPDATE SET
           secret = excluded.secret, max_skew_secs = excluded.max_skew_secs,
           options = excluded.options, updated_at = excluded.updated_at",
        params![ws.as_str(), name, config.secret, skew, options, to_ms(now)],
    )
    .map_err(Error::storage("writing an integration"))?;
    Ok(())
}
