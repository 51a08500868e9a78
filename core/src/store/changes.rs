//! The change feed: one row per change to a group, numbered per workspace inside the write
//! transaction that makes the change (so that engines in several processes on one file number
//! them in commit order, without gaps or repeats).

use super::{execute, from_ms, query_row, to_ms};
use crate::alert::{GroupId, WorkspaceId};
use crate::changes::Change;
use crate::lifecycle::GroupStatus;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

/// Appends a change of `group` and answers its sequence number.
pub(crate) fn append(
    tx: &Connection,
    ws: &WorkspaceId,
    group: &GroupId,
    kind: &str,
    status: GroupStatus,
    at: DateTime<Utc>,
) -> Result<i64> {
    let seq: i64 = query_row(
        tx,
        "INSERT INTO change_seqs (workspace_id, seq) VALUES (?1, 1)
         ON CONFLICT (workspace_id) DO UPDATE SET seq = seq + 1
         RETURNING seq",
        [ws.as_str()],
        |r| r.get(0),
    )
    .map_err(Error::storage("numbering a change"))?;
    execute(
        tx,
        "INSERT INTO changes (workspace_id, seq, group_id, kind, status, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ws.as_str(),
            seq,
            group.as_str(),
            kind,
            status.as_str(),
            to_ms(at)
        ],
    )
    .map_err(Error::storage("recording a change"))?;
    Ok(seq)
}

/// The workspace's latest sequence number (0 before any change).
pub(crate) fn last_seq(tx: &Connection, ws: &WorkspaceId) -> Result<i64> {
    query_row(
        tx,
        "SELECT seq FROM change_seqs WHERE workspace_id = ?1",
        [ws.as_str()],
        |r| r.get(0),
    )
    .optional()
    .map(|s| s.unwrap_or(0))
    .map_err(Error::storage("reading the change sequence"))
}

/// Changes after `since`, in order, at most `limit`.
pub(crate) fn after(
    tx: &Connection,
    ws: &WorkspaceId,
    since: i64,
    limit: u32,
) -> Result<Vec<Change>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT seq, group_id, kind, status, at FROM changes
             WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
        )
        .map_err(Error::storage("reading changes"))?;
    let rows = stmt
        .query_map(params![ws.as_str(), since, limit], |r| {
            let status: String = r.get(3)?;
            Ok(Change {
                seq: r.get(0)?,
                group_id: GroupId(r.get(1)?),
                kind: r.get(2)?,
                status: status.parse().map_err(|e: Error| {
                    rusqlite::Error::FromSqlConversionFailure(
                        3,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                at: from_ms(r.get(4)?),
            })
        })
        .map_err(Error::storage("reading changes"))?;
    rows.collect::<rusqlite::Result<_>>()
        .map_err(Error::storage("reading changes"))
}

/// Deletes at most `limit` changes older than `before` (of one workspace, or of all), found
/// by their time index; answers how many.
pub(crate) fn purge(
    tx: &Connection,
    ws: Option<&WorkspaceId>,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<usize> {
    execute(
        tx,
        "DELETE FROM changes WHERE (workspace_id, seq) IN (
             SELECT workspace_id, seq FROM changes
             WHERE at < ?1 AND (?2 IS NULL OR workspace_id = ?2) LIMIT ?3)",
        params![to_ms(before), ws.map(WorkspaceId::as_str), limit],
    )
    .map_err(Error::storage("purging old changes"))
}
