//! Slack installs: the OAuth states already used (single use) and the Slack team of each
//! workspace.

use super::db::{Conn, DbResult, OptionalExtension, params};
use super::{execute, query_row, to_ms};
use crate::alert::WorkspaceId;
use crate::{Error, Result};
use chrono::{DateTime, Utc};

/// Records a state's nonce as used; `false` when it already was. Used states past their expiry
/// are forgotten (an expired state is refused on its own).
pub(crate) fn use_state(
    tx: &Conn,
    ws: &WorkspaceId,
    nonce: &str,
    expires_ms: i64,
    now: DateTime<Utc>,
) -> Result<bool> {
    execute(
        tx,
        "DELETE FROM slack_oauth_used_states WHERE expires_at < ?1",
        params![to_ms(now)],
    )
    .map_err(Error::storage("forgetting expired OAuth states"))?;
    let n = execute(
        tx,
        "INSERT INTO slack_oauth_used_states (nonce, workspace_id, expires_at, used_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT (nonce) DO NOTHING",
        params![nonce, ws.as_str(), expires_ms, to_ms(now)],
    )
    .map_err(Error::storage("recording an OAuth state"))?;
    Ok(n == 1)
}

/// The workspace a Slack team was installed into, if any.
pub(crate) fn team_workspace(tx: &Conn, team: &str) -> Result<Option<WorkspaceId>> {
    query_row(
        tx,
        "SELECT workspace_id FROM slack_teams WHERE team_id = ?1",
        [team],
        |r| r.get::<_, String>(0),
    )
    .optional()
    .map(|w| w.map(WorkspaceId))
    .map_err(Error::storage("finding a Slack team"))
}

/// The workspaces whose slack integration names the team in its `team_id` option.
pub(crate) fn team_by_option(tx: &Conn, team: &str) -> Result<Vec<WorkspaceId>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT workspace_id FROM integrations
             WHERE source = 'slack' AND json_valid(options) = 1
               AND json_extract(options, '$.team_id') = ?1
             ORDER BY workspace_id LIMIT 2",
        )
        .map_err(Error::storage("finding a Slack team"))?;
    let rows = stmt
        .query_map([team], |r| r.get::<_, String>(0).map(WorkspaceId))
        .map_err(Error::storage("finding a Slack team"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("finding a Slack team"))
}

/// Records that `team` is installed into `ws` (a reinstall into the same workspace updates it).
pub(crate) fn record_team(
    tx: &Conn,
    ws: &WorkspaceId,
    team: &str,
    team_name: Option<&str>,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO slack_teams (team_id, workspace_id, team_name, channel, installed_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (team_id) DO UPDATE SET team_name = excluded.team_name,
            channel = excluded.channel, installed_at = excluded.installed_at
         WHERE slack_teams.workspace_id = excluded.workspace_id",
        params![team, ws.as_str(), team_name, channel, to_ms(now)],
    )
    .map_err(Error::storage("recording a Slack team"))?;
    Ok(())
}
