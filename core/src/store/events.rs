//! Received requests (raw payloads) and the alert events made from them.

use super::db::{Conn, DbResult, OptionalExtension, StoreError, params};
use super::{from_ms, opt_from_ms, to_ms};
use crate::alert::{GroupId, Severity, Source, WorkspaceId};
use crate::group::StoredEvent;
use crate::{Error, Result};
use chrono::{DateTime, Utc};

/// When a delivery with this id was already received, if it was.
pub(crate) fn delivery_seen(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    delivery_id: &str,
) -> Result<Option<DateTime<Utc>>> {
    tx.prepare_cached(
        "SELECT received_at FROM requests
         WHERE workspace_id = ?1 AND source = ?2 AND delivery_id = ?3",
    )
    .and_then(|mut s| {
        s.query_row(params![ws.as_str(), source.as_str(), delivery_id], |r| {
            r.get::<_, i64>(0)
        })
        .optional()
    })
    .map(|o| o.map(from_ms))
    .map_err(Error::storage("checking a delivery id"))
}

/// Whether an event with this source event id was already stored.
pub(crate) fn source_event_seen(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    source_event_id: &str,
) -> Result<bool> {
    tx.prepare_cached(
        "SELECT EXISTS(SELECT 1 FROM alert_events
         WHERE workspace_id = ?1 AND source = ?2 AND source_event_id = ?3)",
    )
    .and_then(|mut s| {
        s.query_row(
            params![ws.as_str(), source.as_str(), source_event_id],
            |r| r.get(0),
        )
    })
    .map_err(Error::storage("checking a source event id"))
}

/// A received request to store.
pub(crate) struct NewRequest<'a> {
    pub source: Source,
    pub delivery_id: Option<&'a str>,
    pub received_at: DateTime<Utc>,
    pub headers: &'a str,
    pub body: &'a [u8],
}

/// Stores a received request; returns its seq. Every `seq` the store inserts is the table's
/// `MAX(seq) + 1`, taken under the write lock — SQLite's own rowid rule — rather than
/// PostgreSQL's identity, which skips the values a rolled-back transaction took: so the ids made
/// from a seq (event ids hash the request's) and the cursors that carry one are the same on both
/// stores, and a dry run (rolled back) shows the ids the real write gets.
pub(crate) fn insert_request(tx: &Conn, ws: &WorkspaceId, r: &NewRequest<'_>) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO requests (seq, workspace_id, source, delivery_id, received_at, headers, body)
         VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM requests), ?1, ?2, ?3, ?4, ?5, ?6) RETURNING seq",
    )
    .and_then(|mut s| {
        s.query_row(
            params![
                ws.as_str(),
                r.source.as_str(),
                r.delivery_id,
                to_ms(r.received_at),
                r.headers,
                r.body
            ],
            |row| row.get(0),
        )
    })
    .map_err(Error::storage("storing the request"))
}

/// An alert event to store.
pub(crate) struct NewEvent<'a> {
    pub id: &'a str,
    pub request_seq: i64,
    pub group_id: Option<&'a GroupId>,
    pub source: Source,
    pub source_event_id: Option<&'a str>,
    pub decision: &'a str,
    pub status: &'a str,
    pub severity: Severity,
    pub title: &'a str,
    pub received_at: DateTime<Utc>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub alert: &'a str,
    pub trace: &'a str,
    pub route: Option<&'a str>,
}

pub(crate) fn insert_event(tx: &Conn, ws: &WorkspaceId, e: &NewEvent<'_>) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO alert_events (id, workspace_id, request_seq, group_id, source,
            source_event_id, decision, status, severity, title, received_at, occurred_at, alert,
            trace, route)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
    )
    .and_then(|mut s| {
        s.execute(params![
            e.id,
            ws.as_str(),
            e.request_seq,
            e.group_id.map(GroupId::as_str),
            e.source.as_str(),
            e.source_event_id,
            e.decision,
            e.status,
            e.severity.rank(),
            e.title,
            to_ms(e.received_at),
            e.occurred_at.map(to_ms),
            e.alert,
            e.trace,
            e.route,
        ])
    })
    .map_err(Error::storage("storing an event"))?;
    Ok(())
}

/// A page of a group's events, newest first: at most `limit` events older than `before` (a
/// seq; all when `None`), each with its seq, plus whether older ones remain.
pub(crate) fn group_page(
    tx: &Conn,
    group: &GroupId,
    before: Option<i64>,
    limit: u32,
) -> Result<(Vec<(i64, StoredEvent)>, bool)> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT seq, id, group_id, decision, status, severity, title, source_event_id,
                occurred_at, received_at, alert, trace, route
             FROM alert_events WHERE group_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3",
        )
        .map_err(Error::storage("reading events"))?;
    let rows = stmt
        .query_map(
            params![
                group.as_str(),
                before.unwrap_or(i64::MAX),
                i64::from(limit) + 1
            ],
            |r| {
                let alert: String = r.get(10)?;
                let trace: String = r.get(11)?;
                let route: Option<String> = r.get(12)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    StoredEvent {
                        id: r.get(1)?,
                        group_id: r.get::<_, Option<String>>(2)?.map(GroupId),
                        decision: r.get(3)?,
                        status: r.get(4)?,
                        severity: Severity::from_rank(r.get(5)?).unwrap_or(Severity::Error),
                        title: r.get(6)?,
                        source_event_id: r.get(7)?,
                        occurred_at: opt_from_ms(r.get(8)?),
                        received_at: from_ms(r.get(9)?),
                        alert: serde_json::from_str(&alert).map_err(|e| bad_json(10, e))?,
                        trace: serde_json::from_str(&trace).map_err(|e| bad_json(11, e))?,
                        route: match route {
                            Some(r) => serde_json::from_str(&r).map_err(|e| bad_json(12, e))?,
                            None => serde_json::Value::Null,
                        },
                    },
                ))
            },
        )
        .map_err(Error::storage("reading events"))?;
    let mut items = rows
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading events"))?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    Ok((items, more))
}

fn bad_json(col: usize, e: serde_json::Error) -> StoreError {
    StoreError::column(col, e)
}

/// An event looked up by id, with the request it came from (`purged` once retention has emptied
/// the request's body and headers).
pub(crate) struct EventWithRequest {
    pub id: String,
    pub group_id: Option<GroupId>,
    pub source: String,
    pub received_at: DateTime<Utc>,
    pub alert: serde_json::Value,
    pub headers: Option<String>,
    pub body: Option<Vec<u8>>,
    pub purged: bool,
}

/// One event of a workspace by id, with its request's headers and body.
pub(crate) fn with_request(
    tx: &Conn,
    ws: &WorkspaceId,
    id: &str,
) -> Result<Option<EventWithRequest>> {
    tx.prepare_cached(
        "SELECT e.id, e.group_id, e.source, e.received_at, e.alert, r.headers, r.body,
             r.seq IS NULL OR r.purged_at IS NOT NULL
         FROM alert_events e LEFT JOIN requests r ON r.seq = e.request_seq
         WHERE e.id = ?1 AND e.workspace_id = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![id, ws.as_str()], |r| {
            let alert: String = r.get(4)?;
            Ok(EventWithRequest {
                id: r.get(0)?,
                group_id: r.get::<_, Option<String>>(1)?.map(GroupId),
                source: r.get(2)?,
                received_at: from_ms(r.get(3)?),
                alert: serde_json::from_str(&alert).map_err(|e| bad_json(4, e))?,
                headers: r.get(5)?,
                body: r.get(6)?,
                purged: r.get(7)?,
            })
        })
        .optional()
    })
    .map_err(Error::storage("reading an event"))
}

/// When a signed message with this digest was received, if its digest is still kept at `now`.
pub(crate) fn signed_seen(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    digest: &[u8; 32],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    tx.prepare_cached(
        "SELECT received_at FROM signed_digests
         WHERE workspace_id = ?1 AND source = ?2 AND digest = ?3 AND expires_at > ?4",
    )
    .and_then(|mut s| {
        s.query_row(
            params![ws.as_str(), source.as_str(), &digest[..], to_ms(now)],
            |r| r.get::<_, i64>(0),
        )
        .optional()
    })
    .map(|o| o.map(from_ms))
    .map_err(Error::storage("checking a signed body's digest"))
}

/// Remembers a signed message's digest until `expires_at` (replacing an expired one).
pub(crate) fn remember_signed(
    tx: &Conn,
    ws: &WorkspaceId,
    source: Source,
    digest: &[u8; 32],
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO signed_digests (workspace_id, source, digest, received_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (workspace_id, source, digest)
         DO UPDATE SET received_at = excluded.received_at, expires_at = excluded.expires_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            ws.as_str(),
            source.as_str(),
            &digest[..],
            to_ms(now),
            to_ms(expires_at)
        ])
    })
    .map(|_| ())
    .map_err(Error::storage("remembering a signed body's digest"))
}

/// Forgets at most `limit` digests expired at `now`; how many.
pub(crate) fn purge_signed(tx: &Conn, now: DateTime<Utc>, limit: usize) -> Result<usize> {
    tx.prepare_cached(
        "DELETE FROM signed_digests WHERE rowid IN
         (SELECT rowid FROM signed_digests WHERE expires_at <= ?1 LIMIT ?2)",
    )
    .and_then(|mut s| s.execute(params![to_ms(now), limit as i64]))
    .map_err(Error::storage("purging expired signed-body digests"))
}

/// Deletes at most `limit` events of `ws` received at or before `before` that never joined a
/// group (unmatched resolves and acknowledgements), and the raw requests left without events;
/// how many events.
pub(crate) fn purge_unmatched(
    tx: &Conn,
    ws: &WorkspaceId,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<usize> {
    let seqs: Vec<(i64, i64)> = {
        let mut stmt = tx
            .prepare_cached(
                "SELECT seq, request_seq FROM alert_events
                 WHERE workspace_id = ?1 AND received_at <= ?2 AND group_id IS NULL
                 ORDER BY received_at LIMIT ?3",
            )
            .map_err(Error::storage("finding unmatched events"))?;
        let rows = stmt
            .query_map(params![ws.as_str(), to_ms(before), limit as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(Error::storage("finding unmatched events"))?;
        rows.collect::<DbResult<Vec<_>>>()
            .map_err(Error::storage("finding unmatched events"))?
    };
    for (seq, _) in &seqs {
        tx.prepare_cached("DELETE FROM alert_events WHERE seq = ?1")
            .and_then(|mut s| s.execute([seq]))
            .map_err(Error::storage("purging unmatched events"))?;
    }
    for (_, request) in &seqs {
        tx.prepare_cached(
            "DELETE FROM requests WHERE seq = ?1
             AND NOT EXISTS (SELECT 1 FROM alert_events WHERE request_seq = ?1)",
        )
        .and_then(|mut s| s.execute([request]))
        .map_err(Error::storage("purging requests"))?;
    }
    Ok(seqs.len())
}

/// Empties the raw bodies and headers of at most `limit` requests of `ws` received at or before
/// `before` (their events stay: open groups keep their history, the raw payload goes) and marks
/// them purged; how many.
pub(crate) fn purge_raw(
    tx: &Conn,
    ws: &WorkspaceId,
    before: DateTime<Utc>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<usize> {
    tx.prepare_cached(
        "UPDATE requests SET body = ?5, headers = '[]', purged_at = ?4
         WHERE seq IN (SELECT seq FROM requests
             WHERE workspace_id = ?1 AND received_at <= ?2 AND purged_at IS NULL
             ORDER BY received_at LIMIT ?3)",
    )
    .and_then(|mut s| {
        s.execute(params![
            ws.as_str(),
            to_ms(before),
            limit as i64,
            to_ms(now),
            Vec::<u8>::new()
        ])
    })
    .map_err(Error::storage("purging raw request bodies"))
}
