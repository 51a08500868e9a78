//! The change feed: one row per change to a group, numbered per workspace inside the write
//! transaction that makes the change (so that engines in several processes on one file number
//! them in commit order, without gaps or repeats).
//!
//! A change's number is one more than the workspace's latest: the highest `seq` in `changes`
//! (one seek at the end of the workspace's primary-key range), or the workspace's row in
//! `change_seqs` when that is higher. `change_seqs` is a floor written by [`purge`] only, before
//! it deletes a workspace's newest changes, so that numbers are never handed out twice; ingest
//! writes no counter row per change. (Before this, `change_seqs` was bumped by every change: the
//! value such a file holds is the latest number issued, a valid floor.)

use super::db::{Conn, DbResult, StoreError, params};
use super::{execute, from_ms, query_row, to_ms};
use crate::alert::{GroupId, WorkspaceId};
use crate::changes::Change;
use crate::lifecycle::GroupStatus;
use crate::{Error, Result};
use chrono::{DateTime, Utc};

/// Appends a change of `group` and answers its sequence number.
pub(crate) fn append(
    tx: &Conn,
    ws: &WorkspaceId,
    group: &GroupId,
    kind: &str,
    status: GroupStatus,
    at: DateTime<Utc>,
) -> Result<i64> {
    let seq = last_seq(tx, ws)? + 1;
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
pub(crate) fn last_seq(tx: &Conn, ws: &WorkspaceId) -> Result<i64> {
    query_row(
        tx,
        "SELECT max(
             COALESCE((SELECT max(seq) FROM changes WHERE workspace_id = ?1), 0),
             COALESCE((SELECT seq FROM change_seqs WHERE workspace_id = ?1), 0))",
        [ws.as_str()],
        |r| r.get(0),
    )
    .map_err(Error::storage("reading the change sequence"))
}

/// Changes after `since`, in order, at most `limit`.
pub(crate) fn after(tx: &Conn, ws: &WorkspaceId, since: i64, limit: u32) -> Result<Vec<Change>> {
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
                status: status
                    .parse()
                    .map_err(|e: Error| StoreError::column(3, e))?,
                at: from_ms(r.get(4)?),
            })
        })
        .map_err(Error::storage("reading changes"))?;
    rows.collect::<DbResult<_>>()
        .map_err(Error::storage("reading changes"))
}

/// Deletes at most `limit` changes older than `before` (of one workspace, or of all), found
/// by their time index; answers how many. Each workspace whose changes go first has its latest
/// number kept in `change_seqs` (see the module's note), so numbering goes on after it.
pub(crate) fn purge(
    tx: &Conn,
    ws: Option<&WorkspaceId>,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<usize> {
    let doomed: Vec<(String, i64)> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT workspace_id, seq FROM changes
                 WHERE at < ?1 AND (CAST(?2 AS TEXT) IS NULL OR workspace_id = ?2) LIMIT ?3",
            )
            .map_err(Error::storage("purging old changes"))?;
        let rows = stmt
            .query_map(
                params![to_ms(before), ws.map(WorkspaceId::as_str), limit],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(Error::storage("purging old changes"))?;
        rows.collect::<DbResult<_>>()
            .map_err(Error::storage("purging old changes"))?
    };
    let mut floors: Vec<&str> = doomed.iter().map(|(w, _)| w.as_str()).collect();
    floors.sort_unstable();
    floors.dedup();
    for w in floors {
        execute(
            tx,
            "INSERT INTO change_seqs (workspace_id, seq)
             SELECT ?1, max(seq) FROM changes WHERE workspace_id = ?1
             ON CONFLICT (workspace_id) DO UPDATE SET seq = max(change_seqs.seq, excluded.seq)",
            [w],
        )
        .map_err(Error::storage("keeping the change sequence"))?;
    }
    for (w, seq) in &doomed {
        execute(
            tx,
            "DELETE FROM changes WHERE workspace_id = ?1 AND seq = ?2",
            params![w, seq],
        )
        .map_err(Error::storage("purging old changes"))?;
    }
    Ok(doomed.len())
}
