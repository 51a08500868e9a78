//! Fleet monitors: the apps and monitors of a workspace (secrets sealed in the stored doc), each
//! monitor's breach state and latest reading, and its short history of readings.

use super::db::{Conn, DbResult, OptionalExtension, Row, params};
use super::{execute, from_ms, query_row, to_ms};
use crate::alert::WorkspaceId;
use crate::monitors::check::{BreachState, Reading};
use crate::monitors::model::{App, Monitor};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Readings kept per monitor.
pub(crate) const HISTORY: usize = 60;

/// A stored monitor with its state.
#[derive(Debug, Clone)]
pub(crate) struct MonitorRow {
    pub monitor: Monitor,
    pub state: BreachState,
    pub reading: Option<Reading>,
    pub next_due_at: DateTime<Utc>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("stored {what} does not parse: {e}"))
}

fn to_text<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(format!("serializing: {e}")))
}

/// Replaces the workspace's apps, and its monitors: monitors kept by id keep their state and
/// history (reset when their kind changes); new ones are due at `now`; removed ones lose their
/// state and history.
pub(crate) fn put(
    tx: &Conn,
    ws: &WorkspaceId,
    apps: &[App],
    monitors: &[Monitor],
    now: DateTime<Utc>,
) -> Result<()> {
    let ctx = "storing monitors";
    execute(
        tx,
        "DELETE FROM monitor_apps WHERE workspace_id = ?1",
        [ws.as_str()],
    )
    .map_err(Error::storage(ctx))?;
    for (i, a) in apps.iter().enumerate() {
        execute(
            tx,
            "INSERT INTO monitor_apps (workspace_id, name, position, doc) VALUES (?1, ?2, ?3, ?4)",
            params![ws.as_str(), a.name, i as i64, to_text(a)?],
        )
        .map_err(Error::storage(ctx))?;
    }
    let keep: Vec<&str> = monitors.iter().map(|m| m.id.as_str()).collect();
    let keep_json = to_text(&keep)?;
    execute(
        tx,
        "DELETE FROM monitor_readings WHERE workspace_id = ?1
           AND monitor_id NOT IN (SELECT value FROM json_each(?2))",
        params![ws.as_str(), keep_json],
    )
    .map_err(Error::storage(ctx))?;
    execute(
        tx,
        "DELETE FROM monitors WHERE workspace_id = ?1
           AND id NOT IN (SELECT value FROM json_each(?2))",
        params![ws.as_str(), keep_json],
    )
    .map_err(Error::storage(ctx))?;
    for (i, m) in monitors.iter().enumerate() {
        let old_kind: Option<String> = query_row(
            tx,
            "SELECT kind FROM monitors WHERE workspace_id = ?1 AND id = ?2",
            params![ws.as_str(), m.id],
            |r| r.get(0),
        )
        .optional()
        .map_err(Error::storage(ctx))?;
        let doc = to_text(m)?;
        match old_kind {
            Some(k) if k == m.kind.as_str() => {
                execute(
                    tx,
                    "UPDATE monitors SET position = ?3, doc = ?4 WHERE workspace_id = ?1 AND id = ?2",
                    params![ws.as_str(), m.id, i as i64, doc],
                )
                .map_err(Error::storage(ctx))?;
            }
            _ => {
                execute(
                    tx,
                    "DELETE FROM monitor_readings WHERE workspace_id = ?1 AND monitor_id = ?2",
                    params![ws.as_str(), m.id],
                )
                .map_err(Error::storage(ctx))?;
                // a new kind or target starts afresh: the old row goes (every other column back
                // to its default, as SQLite's INSERT OR REPLACE would do)
                execute(
                    tx,
                    "DELETE FROM monitors WHERE workspace_id = ?1 AND id = ?2",
                    params![ws.as_str(), m.id],
                )
                .map_err(Error::storage(ctx))?;
                execute(
                    tx,
                    "INSERT INTO monitors (workspace_id, id, position, kind, doc, next_due_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        ws.as_str(),
                        m.id,
                        i as i64,
                        m.kind.as_str(),
                        doc,
                        to_ms(now)
                    ],
                )
                .map_err(Error::storage(ctx))?;
            }
        }
    }
    Ok(())
}

/// The workspace's apps, in order.
pub(crate) fn apps(tx: &Conn, ws: &WorkspaceId) -> Result<Vec<App>> {
    let ctx = "reading apps";
    let mut stmt = tx
        .prepare_cached("SELECT doc FROM monitor_apps WHERE workspace_id = ?1 ORDER BY position")
        .map_err(Error::storage(ctx))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| r.get::<_, String>(0))
        .map_err(Error::storage(ctx))?;
    let mut out = Vec::new();
    for doc in rows {
        let doc = doc.map_err(Error::storage(ctx))?;
        out.push(serde_json::from_str(&doc).map_err(|e| corrupt("app", e))?);
    }
    Ok(out)
}

const ROW: &str = "SELECT doc, failures, passes, breaching, subject, group_id, reading, next_due_at
                   FROM monitors";

type Raw = (
    String,
    i64,
    i64,
    bool,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn row(r: &Row<'_>) -> DbResult<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn parse_row(raw: Raw) -> Result<MonitorRow> {
    let (doc, failures, passes, breaching, subject, group_id, reading, due) = raw;
    Ok(MonitorRow {
        monitor: serde_json::from_str(&doc).map_err(|e| corrupt("monitor", e))?,
        state: BreachState {
            failures: u32::try_from(failures).unwrap_or(u32::MAX),
            passes: u32::try_from(passes).unwrap_or(u32::MAX),
            breaching,
            subject,
            group_id,
        },
        reading: reading
            .map(|t| serde_json::from_str(&t))
            .transpose()
            .map_err(|e| corrupt("reading", e))?,
        next_due_at: from_ms(due),
    })
}

/// The workspace's monitors with their state, in order.
pub(crate) fn rows(tx: &Conn, ws: &WorkspaceId) -> Result<Vec<MonitorRow>> {
    let ctx = "reading monitors";
    let mut stmt = tx
        .prepare_cached(&format!("{ROW} WHERE workspace_id = ?1 ORDER BY position"))
        .map_err(Error::storage(ctx))?;
    let raws = stmt
        .query_map([ws.as_str()], row)
        .map_err(Error::storage(ctx))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage(ctx))?;
    raws.into_iter().map(parse_row).collect()
}

/// One monitor with its state.
pub(crate) fn row_of(tx: &Conn, ws: &WorkspaceId, id: &str) -> Result<Option<MonitorRow>> {
    query_row(
        tx,
        &format!("{ROW} WHERE workspace_id = ?1 AND id = ?2"),
        params![ws.as_str(), id],
        row,
    )
    .optional()
    .map_err(Error::storage("reading a monitor"))?
    .map(parse_row)
    .transpose()
}

/// Monitors of any workspace due at `now`, soonest first, at most `limit`.
pub(crate) fn due(
    tx: &Conn,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(WorkspaceId, String)>> {
    let ctx = "finding due monitors";
    let mut stmt = tx
        .prepare_cached(
            "SELECT workspace_id, id FROM monitors WHERE next_due_at <= ?1
             ORDER BY next_due_at, workspace_id, position LIMIT ?2",
        )
        .map_err(Error::storage(ctx))?;
    let rows = stmt
        .query_map(params![to_ms(now), limit as i64], |r| {
            Ok((WorkspaceId(r.get(0)?), r.get(1)?))
        })
        .map_err(Error::storage(ctx))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage(ctx))
}

/// Claims a due monitor's check for this engine: its `next_due_at` moves to `until` (the check's
/// lease), and `true` answers, only if it was still due at `now`. Several engines on one
/// database (PostgreSQL instances, or processes on one SQLite file) each run the background loop:
/// the claim, a write under the store's write lock, lets one of them run each check. The result's
/// `apply` sets the real next due time; a claimer that dies leaves the monitor due again at
/// `until`, for another engine to take over.
pub(crate) fn claim(
    tx: &Conn,
    ws: &WorkspaceId,
    id: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        tx,
        "UPDATE monitors SET next_due_at = ?4
         WHERE workspace_id = ?1 AND id = ?2 AND next_due_at <= ?3",
        params![ws.as_str(), id, to_ms(now), to_ms(until)],
    )
    .map_err(Error::storage("claiming a monitor's check"))?;
    Ok(n == 1)
}

/// A monitor's history, oldest first (at most [`HISTORY`]).
pub(crate) fn history(tx: &Conn, ws: &WorkspaceId, id: &str) -> Result<Vec<Reading>> {
    let ctx = "reading a monitor's history";
    let mut stmt = tx
        .prepare_cached(
            "SELECT reading FROM monitor_readings WHERE workspace_id = ?1 AND monitor_id = ?2
             ORDER BY seq DESC LIMIT ?3",
        )
        .map_err(Error::storage(ctx))?;
    let texts = stmt
        .query_map(params![ws.as_str(), id, HISTORY as i64], |r| {
            r.get::<_, String>(0)
        })
        .map_err(Error::storage(ctx))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage(ctx))?;
    let mut out = texts
        .iter()
        .map(|t| serde_json::from_str(t).map_err(|e| corrupt("reading", e)))
        .collect::<Result<Vec<Reading>>>()?;
    out.reverse();
    Ok(out)
}

/// One point of a monitor's history.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Point {
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub value: Option<f64>,
}

/// Every monitor's history points in the workspace, oldest first.
pub(crate) fn points(tx: &Conn, ws: &WorkspaceId) -> Result<HashMap<String, Vec<Point>>> {
    let ctx = "reading monitor histories";
    let mut stmt = tx
        .prepare_cached(
            "SELECT monitor_id, at, ok, value FROM monitor_readings WHERE workspace_id = ?1
             ORDER BY seq",
        )
        .map_err(Error::storage(ctx))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                Point {
                    at: from_ms(r.get(1)?),
                    ok: r.get(2)?,
                    value: r.get(3)?,
                },
            ))
        })
        .map_err(Error::storage(ctx))?;
    let mut out: HashMap<String, Vec<Point>> = HashMap::new();
    for r in rows {
        let (id, p) = r.map_err(Error::storage(ctx))?;
        out.entry(id).or_default().push(p);
    }
    Ok(out)
}

/// Records a reading and the state it left, and when the monitor is next due; prunes the
/// history to [`HISTORY`]. `false` when the monitor no longer exists (removed meanwhile).
pub(crate) fn record(
    tx: &Conn,
    ws: &WorkspaceId,
    id: &str,
    reading: &Reading,
    state: &BreachState,
    next_due_at: DateTime<Utc>,
) -> Result<bool> {
    let ctx = "recording a reading";
    let text = to_text(reading)?;
    let n = execute(
        tx,
        "UPDATE monitors SET failures = ?3, passes = ?4, breaching = ?5, subject = ?6,
            group_id = ?7, reading = ?8, checked_at = ?9, next_due_at = ?10
         WHERE workspace_id = ?1 AND id = ?2",
        params![
            ws.as_str(),
            id,
            i64::from(state.failures),
            i64::from(state.passes),
            state.breaching,
            state.subject,
            state.group_id,
            text,
            to_ms(reading.at),
            to_ms(next_due_at)
        ],
    )
    .map_err(Error::storage(ctx))?;
    if n == 0 {
        return Ok(false);
    }
    execute(
        tx,
        "INSERT INTO monitor_readings (workspace_id, monitor_id, at, ok, value, reading)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            ws.as_str(),
            id,
            to_ms(reading.at),
            reading.ok,
            reading.value,
            text
        ],
    )
    .map_err(Error::storage(ctx))?;
    execute(
        tx,
        "DELETE FROM monitor_readings WHERE workspace_id = ?1 AND monitor_id = ?2 AND seq <= (
            SELECT seq FROM monitor_readings WHERE workspace_id = ?1 AND monitor_id = ?2
            ORDER BY seq DESC LIMIT 1 OFFSET ?3)",
        params![ws.as_str(), id, HISTORY as i64],
    )
    .map_err(Error::storage(ctx))?;
    Ok(true)
}

/// Open alert counts per project (app) among the workspace's unresolved groups.
pub(crate) fn open_alerts_by_project(tx: &Conn, ws: &WorkspaceId) -> Result<HashMap<String, u64>> {
    let ctx = "counting open alerts per app";
    let mut stmt = tx
        .prepare_cached(
            "SELECT project, COUNT(*) FROM alert_groups
             WHERE workspace_id = ?1 AND status <> 'resolved' AND project IS NOT NULL
             GROUP BY project",
        )
        .map_err(Error::storage(ctx))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
        })
        .map_err(Error::storage(ctx))?;
    let mut out = HashMap::new();
    for r in rows {
        let (p, n) = r.map_err(Error::storage(ctx))?;
        out.insert(p, u64::try_from(n).unwrap_or(0));
    }
    Ok(out)
}
