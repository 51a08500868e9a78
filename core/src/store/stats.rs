//! The queries behind the dashboard figures.

use super::db::{Conn, DbResult, params};
use super::{from_ms, to_ms};
use crate::alert::WorkspaceId;
use crate::{Error, Result};
use chrono::{DateTime, Utc};

fn count(tx: &Conn, sql: &str, p: impl super::db::Params, what: &'static str) -> Result<u64> {
    tx.prepare_cached(sql)
        .and_then(|mut s| s.query_row(p, |r| r.get::<_, i64>(0)))
        .map(|n| n.max(0) as u64)
        .map_err(Error::storage(what))
}

/// Events received in `[since, until)`.
pub(crate) fn events(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<u64> {
    count(
        tx,
        "SELECT COUNT(*) FROM alert_events WHERE workspace_id = ?1 AND received_at >= ?2 AND received_at < ?3",
        params![ws.as_str(), to_ms(since), to_ms(until)],
        "counting events",
    )
}

/// Distinct groups the events in `[since, until)` went to.
pub(crate) fn event_groups(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<u64> {
    count(
        tx,
        "SELECT COUNT(DISTINCT group_id) FROM alert_events
         WHERE workspace_id = ?1 AND received_at >= ?2 AND received_at < ?3 AND group_id IS NOT NULL",
        params![ws.as_str(), to_ms(since), to_ms(until)],
        "counting groups",
    )
}

/// Groups first seen in `[since, until)`.
pub(crate) fn new_groups(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<u64> {
    count(
        tx,
        "SELECT COUNT(*) FROM alert_groups WHERE workspace_id = ?1 AND first_seen >= ?2 AND first_seen < ?3",
        params![ws.as_str(), to_ms(since), to_ms(until)],
        "counting new groups",
    )
}

/// A group's first seen, first ack and first resolve (from the timeline), in ms.
pub(crate) struct GroupTimes {
    pub opened: i64,
    pub acked: Option<i64>,
    pub resolved: Option<i64>,
}

/// The times of the groups first seen in `[since, until)`.
pub(crate) fn group_times(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<GroupTimes>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT g.first_seen,
                (SELECT MIN(at) FROM group_timeline t WHERE t.group_id = g.id AND t.command = 'ack'),
                (SELECT MIN(at) FROM group_timeline t WHERE t.group_id = g.id AND t.command = 'resolve')
             FROM alert_groups g
             WHERE g.workspace_id = ?1 AND g.first_seen >= ?2 AND g.first_seen < ?3",
        )
        .map_err(Error::storage("reading group times"))?;
    let rows = stmt
        .query_map(params![ws.as_str(), to_ms(since), to_ms(until)], |r| {
            Ok(GroupTimes {
                opened: r.get(0)?,
                acked: r.get(1)?,
                resolved: r.get(2)?,
            })
        })
        .map_err(Error::storage("reading group times"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading group times"))
}

/// Events in `[since, until)` by a column (`source`, or the group's `project` / `fingerprint`),
/// most first, ties by name, at most `limit`.
pub(crate) fn noisy(
    tx: &Conn,
    ws: &WorkspaceId,
    by: &str,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(String, u64)>> {
    let column = match by {
        "source" => "e.source",
        "project" => "g.project",
        _ => "g.fingerprint",
    };
    let sql = format!(
        "SELECT {column} AS name, COUNT(*) AS n FROM alert_events e
         LEFT JOIN alert_groups g ON g.id = e.group_id
         WHERE e.workspace_id = ?1 AND e.received_at >= ?2 AND e.received_at < ?3 AND {column} IS NOT NULL
         GROUP BY name ORDER BY n DESC, name LIMIT ?4"
    );
    let mut stmt = tx
        .prepare_cached(&sql)
        .map_err(Error::storage("finding noisy sources"))?;
    let rows = stmt
        .query_map(
            params![ws.as_str(), to_ms(since), to_ms(until), limit as i64],
            |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
        )
        .map_err(Error::storage("finding noisy sources"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("finding noisy sources"))
}

/// The last event time per source (all time): a source gone quiet shows here.
pub(crate) fn last_event_by_source(
    tx: &Conn,
    ws: &WorkspaceId,
) -> Result<Vec<(String, DateTime<Utc>)>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT source, MAX(received_at) FROM alert_events WHERE workspace_id = ?1 GROUP BY source ORDER BY source",
        )
        .map_err(Error::storage("reading last events"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, from_ms(r.get(1)?)))
        })
        .map_err(Error::storage("reading last events"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading last events"))
}

/// Group counts by `status` or `severity` rank, over groups still unresolved or active since
/// `since`.
pub(crate) fn group_counts(
    tx: &Conn,
    ws: &WorkspaceId,
    by: &str,
    since: DateTime<Utc>,
) -> Result<Vec<(String, u64)>> {
    let column = if by == "status" {
        "status"
    } else {
        "CAST(severity AS TEXT)"
    };
    let sql = format!(
        "SELECT {column}, COUNT(*) FROM alert_groups
         WHERE workspace_id = ?1 AND (status <> 'resolved' OR last_activity >= ?2)
         GROUP BY 1 ORDER BY 1"
    );
    let mut stmt = tx
        .prepare_cached(&sql)
        .map_err(Error::storage("counting groups"))?;
    let rows = stmt
        .query_map(params![ws.as_str(), to_ms(since)], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })
        .map_err(Error::storage("counting groups"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("counting groups"))
}

/// Unresolved groups by severity rank, every workspace (what the metrics' gauge shows).
pub(crate) fn open_groups_by_severity(tx: &Conn) -> Result<Vec<(i64, u64)>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT severity, COUNT(*) FROM alert_groups WHERE status <> 'resolved'
             GROUP BY severity ORDER BY severity",
        )
        .map_err(Error::storage("counting open groups"))?;
    let rows = stmt
        .query_map(params![], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })
        .map_err(Error::storage("counting open groups"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("counting open groups"))
}

/// Events in `[since, until)` per bucket of `step_ms` counted from `origin_ms`, by severity
/// rank: `(bucket, rank, events)`.
pub(crate) fn event_series(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    origin_ms: i64,
    step_ms: i64,
) -> Result<Vec<(i64, i64, u64)>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT (received_at - ?4) / ?5, severity, COUNT(*) FROM alert_events
             WHERE workspace_id = ?1 AND received_at >= ?2 AND received_at < ?3
             GROUP BY 1, 2",
        )
        .map_err(Error::storage("reading the event series"))?;
    let rows = stmt
        .query_map(
            params![ws.as_str(), to_ms(since), to_ms(until), origin_ms, step_ms],
            |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64)),
        )
        .map_err(Error::storage("reading the event series"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading the event series"))
}

/// Groups first seen in `[since, until)` per bucket: `(bucket, groups)`.
pub(crate) fn new_group_series(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    origin_ms: i64,
    step_ms: i64,
) -> Result<Vec<(i64, u64)>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT (first_seen - ?4) / ?5, COUNT(*) FROM alert_groups
             WHERE workspace_id = ?1 AND first_seen >= ?2 AND first_seen < ?3
             GROUP BY 1",
        )
        .map_err(Error::storage("reading the group series"))?;
    let rows = stmt
        .query_map(
            params![ws.as_str(), to_ms(since), to_ms(until), origin_ms, step_ms],
            |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
        )
        .map_err(Error::storage("reading the group series"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading the group series"))
}
