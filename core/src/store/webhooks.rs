//! The authenticated webhook's state: each workspace's rate-limit bucket, and the per-hour
//! delivery counters and last error behind integration health.

use super::db::{Conn, OptionalExtension, params};
use super::{execute, from_ms, opt_from_ms, query_row, to_ms};
use crate::alert::WorkspaceId;
use crate::webhook::Bucket;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// Hourly counters kept per (workspace, source) before they are purged.
const KEEP_HOURS: i64 = 48;

const HOUR_MS: i64 = 3_600_000;

pub(crate) fn bucket(tx: &Conn, ws: &WorkspaceId) -> Result<Option<Bucket>> {
    query_row(
        tx,
        "SELECT tokens, at FROM ingest_buckets WHERE workspace_id = ?1",
        [ws.as_str()],
        |r| {
            Ok(Bucket {
                tokens: r.get(0)?,
                at: from_ms(r.get(1)?),
            })
        },
    )
    .optional()
    .map_err(Error::storage("reading the ingest rate bucket"))
}

pub(crate) fn save_bucket(tx: &Conn, ws: &WorkspaceId, b: &Bucket) -> Result<()> {
    execute(
        tx,
        "INSERT INTO ingest_buckets (workspace_id, tokens, at) VALUES (?1, ?2, ?3)
         ON CONFLICT (workspace_id) DO UPDATE SET tokens = excluded.tokens, at = excluded.at",
        params![ws.as_str(), b.tokens, to_ms(b.at)],
    )
    .map_err(Error::storage("saving the ingest rate bucket"))?;
    Ok(())
}

/// Counts one delivery to (workspace, source) under `reason` (`accepted`, or why it was refused)
/// in the hour of `now`, and notes its time. Counters older than two days are dropped.
pub(crate) fn count_delivery(
    tx: &Conn,
    ws: &WorkspaceId,
    source: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = to_ms(now);
    let hour = at.div_euclid(HOUR_MS) * HOUR_MS;
    let count: i64 = query_row(
        tx,
        "INSERT INTO delivery_counts (workspace_id, source, hour, reason, count)
         VALUES (?1, ?2, ?3, ?4, 1)
         ON CONFLICT (workspace_id, source, hour, reason) DO UPDATE SET count = delivery_counts.count + 1
         RETURNING count",
        params![ws.as_str(), source, hour, reason],
        |r| r.get(0),
    )
    .map_err(Error::storage("counting a delivery"))?;
    if count == 1 {
        // the first of its hour and reason: drop counters older than two days (at most a
        // couple of rows each hour, so the table stays small)
        execute(
            tx,
            "DELETE FROM delivery_counts WHERE workspace_id = ?1 AND source = ?2 AND hour < ?3",
            params![ws.as_str(), source, at - KEEP_HOURS * HOUR_MS],
        )
        .map_err(Error::storage("purging delivery counters"))?;
    }
    let accepted = (reason == "accepted").then_some(at);
    execute(
        tx,
        "INSERT INTO delivery_health (workspace_id, source, last_delivery_at, last_accepted_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id, source) DO UPDATE SET last_delivery_at = excluded.last_delivery_at,
             last_accepted_at = coalesce(excluded.last_accepted_at, delivery_health.last_accepted_at)",
        params![ws.as_str(), source, at, accepted],
    )
    .map_err(Error::storage("noting a delivery"))?;
    Ok(())
}

/// Records a refused delivery: its count and the last error.
pub(crate) fn record_refusal(
    tx: &Conn,
    ws: &WorkspaceId,
    source: &str,
    reason: &str,
    error: &Error,
    now: DateTime<Utc>,
) -> Result<()> {
    count_delivery(tx, ws, source, reason, now)?;
    let message: String = error.to_string().chars().take(500).collect();
    execute(
        tx,
        "UPDATE delivery_health SET last_error_at = ?3, last_error_kind = ?4,
             last_error_reason = ?5, last_error_message = ?6
         WHERE workspace_id = ?1 AND source = ?2",
        params![
            ws.as_str(),
            source,
            to_ms(now),
            error.kind().as_str(),
            reason,
            message
        ],
    )
    .map_err(Error::storage("recording a delivery error"))?;
    Ok(())
}

/// The last error of a source's deliveries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LastError {
    pub(crate) at: DateTime<Utc>,
    pub(crate) kind: String,
    pub(crate) reason: String,
    pub(crate) message: String,
}

/// What health knows about a (workspace, source).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct HealthRow {
    pub(crate) last_delivery_at: Option<DateTime<Utc>>,
    pub(crate) last_accepted_at: Option<DateTime<Utc>>,
    pub(crate) last_error: Option<LastError>,
    /// Counts by reason over the hours since the cutoff (`accepted` among them).
    pub(crate) counts: BTreeMap<String, u64>,
}

/// Health of every source of a workspace that has had a delivery, by source name; counters
/// from the hour containing `since` on.
pub(crate) fn health(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
) -> Result<BTreeMap<String, HealthRow>> {
    let mut out: BTreeMap<String, HealthRow> = BTreeMap::new();
    let mut stmt = tx
        .prepare_cached(
            "SELECT source, last_delivery_at, last_accepted_at, last_error_at, last_error_kind,
                 last_error_reason, last_error_message
             FROM delivery_health WHERE workspace_id = ?1",
        )
        .map_err(Error::storage("reading integration health"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| {
            let source: String = r.get(0)?;
            let err_at: Option<i64> = r.get(3)?;
            let last_error = match err_at {
                Some(at) => Some(LastError {
                    at: from_ms(at),
                    kind: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                    reason: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
                    message: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
                }),
                None => None,
            };
            Ok((
                source,
                HealthRow {
                    last_delivery_at: opt_from_ms(r.get(1)?),
                    last_accepted_at: opt_from_ms(r.get(2)?),
                    last_error,
                    counts: BTreeMap::new(),
                },
            ))
        })
        .map_err(Error::storage("reading integration health"))?;
    for row in rows {
        let (source, h) = row.map_err(Error::storage("reading integration health"))?;
        out.insert(source, h);
    }
    let from_hour = to_ms(since).div_euclid(HOUR_MS) * HOUR_MS;
    let mut stmt = tx
        .prepare_cached(
            "SELECT source, reason, CAST(SUM(count) AS BIGINT) FROM delivery_counts
             WHERE workspace_id = ?1 AND hour >= ?2 GROUP BY source, reason",
        )
        .map_err(Error::storage("reading delivery counters"))?;
    let rows = stmt
        .query_map(params![ws.as_str(), from_hour], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })
        .map_err(Error::storage("reading delivery counters"))?;
    for row in rows {
        let (source, reason, n) = row.map_err(Error::storage("reading delivery counters"))?;
        out.entry(source)
            .or_default()
            .counts
            .insert(reason, n.max(0) as u64);
    }
    Ok(out)
}
