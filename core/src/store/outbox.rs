//! Channels, the outbox's delivery state, the attempt log, circuit breakers, Slack message ids.

use super::db::{Conn, DbResult, OptionalExtension, params};
use super::{execute, query_row};
use super::{from_ms, opt_from_ms, to_ms};
use crate::alert::{GroupId, WorkspaceId};
use crate::notify::{ChannelConfig, ChannelKind};
use crate::secrets::SecretBox;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

fn seal_config(c: &ChannelConfig, secrets: &SecretBox) -> Result<String> {
    let mut cfg = c.config.clone();
    for k in c.kind.secret_fields() {
        if let Some(Value::String(s)) = cfg.get_mut(*k) {
            *s = secrets.seal(s)?;
        }
    }
    Ok(Value::Object(cfg).to_string())
}

fn open_config(
    ws: &str,
    name: &str,
    kind: &str,
    text: &str,
    secrets: &SecretBox,
) -> Result<ChannelConfig> {
    let kind: ChannelKind = kind.parse()?;
    let mut v: Value = serde_json::from_str(text)
        .map_err(|e| Error::Internal(format!("stored channel {ws}/{name} does not parse: {e}")))?;
    if let Some(map) = v.as_object_mut() {
        for k in kind.secret_fields() {
            if let Some(Value::String(s)) = map.get_mut(*k) {
                *s = secrets.open(s)?;
            }
        }
    }
    ChannelConfig::parse_stored(name, kind, &v)
}

pub(crate) fn put_channel(
    tx: &Conn,
    ws: &WorkspaceId,
    c: &ChannelConfig,
    secrets: &SecretBox,
    now: DateTime<Utc>,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO channels (workspace_id, name, kind, config, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (workspace_id, name) DO UPDATE SET kind = excluded.kind, config = excluded.config,
            updated_at = excluded.updated_at",
        params![ws.as_str(), c.name, c.kind.as_str(), seal_config(c, secrets)?, to_ms(now)],
    )
    .map_err(Error::storage("writing a channel"))?;
    // a reconfigured channel starts with a closed breaker
    execute(
        tx,
        "DELETE FROM channel_breakers WHERE workspace_id = ?1 AND channel = ?2",
        params![ws.as_str(), c.name],
    )
    .map_err(Error::storage("resetting a breaker"))?;
    Ok(())
}

pub(crate) fn channel(
    tx: &Conn,
    ws: &WorkspaceId,
    name: &str,
    secrets: &SecretBox,
) -> Result<Option<ChannelConfig>> {
    let row: Option<(String, String)> = tx
        .prepare_cached("SELECT kind, config FROM channels WHERE workspace_id = ?1 AND name = ?2")
        .and_then(|mut s| {
            s.query_row(params![ws.as_str(), name], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(Error::storage("reading a channel"))?;
    row.map(|(k, c)| open_config(ws.as_str(), name, &k, &c, secrets))
        .transpose()
}

pub(crate) fn channels(
    tx: &Conn,
    ws: &WorkspaceId,
    secrets: &SecretBox,
) -> Result<Vec<ChannelConfig>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT name, kind, config FROM channels WHERE workspace_id = ?1 ORDER BY name",
        )
        .map_err(Error::storage("listing channels"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
            ))
        })
        .map_err(Error::storage("listing channels"))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("listing channels"))?;
    rows.into_iter()
        .map(|(n, k, c)| open_config(ws.as_str(), &n, &k, &c, secrets))
        .collect()
}

/// Names of a workspace's channels (no secrets needed).
pub(crate) fn channel_names(tx: &Conn, ws: &WorkspaceId) -> Result<Vec<String>> {
    let mut stmt = tx
        .prepare_cached("SELECT name FROM channels WHERE workspace_id = ?1 ORDER BY name")
        .map_err(Error::storage("listing channels"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| r.get(0))
        .map_err(Error::storage("listing channels"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("listing channels"))
}

/// A notification claimed for an attempt.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub seq: i64,
    pub workspace: WorkspaceId,
    pub group: Option<GroupId>,
    pub channel: String,
    pub kind: String,
    pub payload: Value,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

/// A due notification, as read before the claim decides on it (its payload unparsed: a row
/// that does not parse fails alone).
#[derive(Debug, Clone)]
pub(crate) struct DueRow {
    pub seq: i64,
    pub workspace: WorkspaceId,
    pub group: Option<GroupId>,
    pub channel: String,
    pub kind: String,
    pub payload: String,
    pub attempts: u32,
    pub created_at: DateTime<Utc>,
}

/// Up to `limit` due notifications, round-robin over (workspace, channel): every channel's
/// oldest first, then every channel's second, and so on — so that one workspace's or one
/// channel's backlog never starves the rest.
pub(crate) fn due(
    tx: &Conn,
    ws: Option<&WorkspaceId>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<DueRow>> {
    let mut stmt = tx
        .prepare_cached(
            // rank on the narrow columns only; payloads are read for the rows picked
            "WITH ranked AS (
                 SELECT seq, ROW_NUMBER() OVER (PARTITION BY workspace_id, channel ORDER BY seq) AS rr
                 FROM outbox
                 WHERE status = 'pending' AND not_before <= ?1 AND COALESCE(next_attempt_at, 0) <= ?1
                   AND COALESCE(lease_until, 0) <= ?1 AND (CAST(?2 AS TEXT) IS NULL OR workspace_id = ?2)),
             picked AS (SELECT seq, rr FROM ranked ORDER BY rr, seq LIMIT ?3)
             SELECT o.seq, o.workspace_id, o.group_id, o.channel, o.kind, o.payload, o.attempts, o.created_at
             FROM picked p JOIN outbox o ON o.seq = p.seq
             ORDER BY p.rr, p.seq",
        )
        .map_err(Error::storage("reading due notifications"))?;
    let rows = stmt
        .query_map(
            params![to_ms(now), ws.map(WorkspaceId::as_str), limit as i64],
            |r| {
                Ok(DueRow {
                    seq: r.get(0)?,
                    workspace: WorkspaceId(r.get(1)?),
                    group: r.get::<_, Option<String>>(2)?.map(GroupId),
                    channel: r.get(3)?,
                    kind: r.get(4)?,
                    payload: r.get(5)?,
                    attempts: r.get::<_, i64>(6)?.clamp(0, i64::from(u32::MAX)) as u32,
                    created_at: from_ms(r.get(7)?),
                })
            },
        )
        .map_err(Error::storage("reading due notifications"))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading due notifications"))?;
    Ok(rows)
}

/// Leases claimed notifications to this dispatcher until `until`.
pub(crate) fn lease(tx: &Conn, seq: i64, until: DateTime<Utc>) -> Result<()> {
    tx.prepare_cached("UPDATE outbox SET lease_until = ?2 WHERE seq = ?1")
        .and_then(|mut s| s.execute(params![seq, to_ms(until)]))
        .map_err(Error::storage("leasing a notification"))?;
    Ok(())
}

/// Folds a notification into the digest `digest`: it is finished (`cancelled`, with the
/// digest's id and why) and the digest carries it.
pub(crate) fn fold(tx: &Conn, seq: i64, digest: i64, cap: u32, now: DateTime<Utc>) -> Result<()> {
    let why = format!(
        "folded into digest {digest}: over the channel's cap of {cap} notifications a minute"
    );
    tx.prepare_cached(
        "UPDATE outbox SET status = 'cancelled', folded_into = ?2, finished_at = ?3,
            lease_until = NULL, last_error = ?4 WHERE seq = ?1",
    )
    .and_then(|mut s| s.execute(params![seq, digest, to_ms(now), why]))
    .map_err(Error::storage("folding a notification"))?;
    Ok(())
}

/// Puts a notification off until `at` without an attempt (a digest waiting for a free slot).
pub(crate) fn defer(tx: &Conn, seq: i64, at: DateTime<Utc>) -> Result<()> {
    tx.prepare_cached("UPDATE outbox SET next_attempt_at = ?2, lease_until = NULL WHERE seq = ?1")
        .and_then(|mut s| s.execute(params![seq, to_ms(at)]))
        .map_err(Error::storage("deferring a notification"))?;
    Ok(())
}

/// Fails a notification that cannot even be attempted (its row or channel does not load),
/// logging why as its attempt.
pub(crate) fn fail_unloadable(tx: &Conn, seq: i64, error: &str, now: DateTime<Utc>) -> Result<()> {
    let a = Attempt {
        at: now,
        outcome: "failed",
        http_status: None,
        error: Some(error),
        latency_ms: 0,
    };
    record(tx, seq, Some(&a), &After::Failed, now)
}

/// A channel's kind and stored config (secrets still sealed), for decisions that need no
/// secret (its cap, its kind).
pub(crate) fn channel_meta(
    tx: &Conn,
    ws: &WorkspaceId,
    name: &str,
) -> Result<Option<(String, Value)>> {
    let row: Option<(String, String)> = tx
        .prepare_cached("SELECT kind, config FROM channels WHERE workspace_id = ?1 AND name = ?2")
        .and_then(|mut s| {
            s.query_row(params![ws.as_str(), name], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
        })
        .map_err(Error::storage("reading a channel"))?;
    Ok(row.map(|(k, c)| (k, serde_json::from_str(&c).unwrap_or(Value::Null))))
}

/// A channel's storm state: its recent sends, its open digest (not yet claimed) and when its
/// last digest went out.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChannelRate {
    pub log: crate::notify::storm::RateLog,
    pub digest: Option<i64>,
    pub last_digest_at: Option<DateTime<Utc>>,
}

pub(crate) fn channel_rate(tx: &Conn, ws: &WorkspaceId, channel: &str) -> Result<ChannelRate> {
    let row: Option<(String, Option<i64>, Option<i64>)> = tx
        .prepare_cached(
            "SELECT sent, digest_seq, last_digest_at FROM channel_rates WHERE workspace_id = ?1 AND channel = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![ws.as_str(), channel], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()
        })
        .map_err(Error::storage("reading a channel's rate"))?;
    Ok(match row {
        None => ChannelRate::default(),
        Some((sent, digest, last)) => {
            let ms: Vec<i64> = serde_json::from_str(&sent).unwrap_or_default();
            ChannelRate {
                log: crate::notify::storm::RateLog {
                    sent: ms.into_iter().map(from_ms).collect(),
                },
                digest,
                last_digest_at: opt_from_ms(last),
            }
        }
    })
}

pub(crate) fn save_channel_rate(
    tx: &Conn,
    ws: &WorkspaceId,
    channel: &str,
    rate: &ChannelRate,
) -> Result<()> {
    let ms: Vec<i64> = rate.log.sent.iter().map(|t| to_ms(*t)).collect();
    tx.prepare_cached(
        "INSERT INTO channel_rates (workspace_id, channel, sent, digest_seq, last_digest_at) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (workspace_id, channel) DO UPDATE SET sent = excluded.sent, digest_seq = excluded.digest_seq,
            last_digest_at = excluded.last_digest_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            ws.as_str(),
            channel,
            serde_json::to_string(&ms).unwrap_or_else(|_| "[]".into()),
            rate.digest,
            rate.last_digest_at.map(to_ms)
        ])
    })
    .map_err(Error::storage("writing a channel's rate"))?;
    Ok(())
}

/// Queues a digest on a channel; returns its id.
pub(crate) fn insert_digest(
    tx: &Conn,
    ws: &WorkspaceId,
    channel: &str,
    payload: &Value,
    not_before: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<i64> {
    query_row(
        tx,
        "INSERT INTO outbox (seq, workspace_id, group_id, channel, kind, payload, status, not_before, created_at)
         VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?1, NULL, ?2, 'digest', ?3, 'pending', ?4, ?5) RETURNING seq",
        params![ws.as_str(), channel, payload.to_string(), to_ms(not_before), to_ms(now)],
        |r| r.get(0),
    )
    .map_err(Error::storage("queueing a digest"))
}

/// A pending digest's payload (`None` once it is claimed, sent or gone).
pub(crate) fn open_digest(tx: &Conn, seq: i64) -> Result<Option<Value>> {
    let text: Option<String> = tx
        .prepare_cached(
            "SELECT payload FROM outbox WHERE seq = ?1 AND kind = 'digest' AND status = 'pending'
                AND lease_until IS NULL AND attempts = 0",
        )
        .and_then(|mut s| s.query_row([seq], |r| r.get(0)).optional())
        .map_err(Error::storage("reading a digest"))?;
    Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
}

pub(crate) fn set_payload(tx: &Conn, seq: i64, payload: &Value) -> Result<()> {
    tx.prepare_cached("UPDATE outbox SET payload = ?2 WHERE seq = ?1")
        .and_then(|mut s| s.execute(params![seq, payload.to_string()]))
        .map_err(Error::storage("updating a digest"))?;
    Ok(())
}

/// Whether a group's latest firing came from an unauthenticated delivery (its payload says
/// `"broadcast": false`).
pub(crate) fn unauthenticated_firing(tx: &Conn, group: &GroupId) -> Result<bool> {
    tx.prepare_cached(
        "SELECT COALESCE((SELECT CASE WHEN CAST(json_extract(payload, '$.broadcast') AS BIGINT) = 0 THEN 1 ELSE 0 END FROM outbox
            WHERE group_id = ?1 AND kind = 'firing' ORDER BY seq DESC LIMIT 1), 0)",
    )
    .and_then(|mut s| s.query_row([group.as_str()], |r| r.get::<_, bool>(0)))
    .map_err(Error::storage("reading a group's notifications"))
}

/// Whether a group's firing on a channel was folded into a digest and never went out on its
/// own (its later notifications then fold too: there is no message of its own to follow).
pub(crate) fn only_folded(tx: &Conn, group: &GroupId, channel: &str) -> Result<bool> {
    tx.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE group_id = ?1 AND channel = ?2 AND kind = 'firing'
                AND folded_into IS NOT NULL)
            AND NOT EXISTS (SELECT 1 FROM outbox WHERE group_id = ?1 AND channel = ?2 AND kind = 'firing'
                AND status = 'sent')",
    )
    .and_then(|mut s| s.query_row(params![group.as_str(), channel], |r| r.get::<_, bool>(0)))
    .map_err(Error::storage("reading a group's notifications"))
}

/// The end state of an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum After {
    Sent,
    RetryAt(DateTime<Utc>),
    Failed,
    Cancelled,
    /// Not attempted (breaker open): try again then.
    Deferred(DateTime<Utc>),
}

/// One attempt, for the log.
pub(crate) struct Attempt<'a> {
    pub at: DateTime<Utc>,
    pub outcome: &'a str,
    pub http_status: Option<u16>,
    pub error: Option<&'a str>,
    pub latency_ms: u64,
}

/// Attempts the delivery log keeps per notification (the newest; the count keeps them all).
pub const ATTEMPT_LOG: usize = 20;

pub(crate) fn record(
    tx: &Conn,
    seq: i64,
    attempt: Option<&Attempt<'_>>,
    after: &After,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(a) = attempt {
        tx.prepare_cached(
            "INSERT INTO delivery_attempts (seq, outbox_seq, at, outcome, http_status, error, latency_ms)
             VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM delivery_attempts), ?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| s.execute(params![seq, to_ms(a.at), a.outcome, a.http_status, a.error, a.latency_ms as i64]))
        .map_err(Error::storage("logging an attempt"))?;
        // the log keeps the last ATTEMPT_LOG attempts; `attempts` counts them all
        tx.prepare_cached(
            "DELETE FROM delivery_attempts WHERE outbox_seq = ?1 AND seq <= (
                SELECT seq FROM delivery_attempts WHERE outbox_seq = ?1 ORDER BY seq DESC LIMIT 1 OFFSET ?2)",
        )
        .and_then(|mut s| s.execute(params![seq, ATTEMPT_LOG as i64]))
        .map_err(Error::storage("trimming the attempt log"))?;
    }
    let counted = i64::from(attempt.is_some());
    let error = attempt.and_then(|a| a.error);
    let (status, next, finished) = match after {
        After::Sent => ("sent", None, Some(to_ms(now))),
        After::Failed => ("failed", None, Some(to_ms(now))),
        After::Cancelled => ("cancelled", None, Some(to_ms(now))),
        After::RetryAt(t) | After::Deferred(t) => ("pending", Some(to_ms(*t)), None),
    };
    tx.prepare_cached(
        "UPDATE outbox SET status = ?2, next_attempt_at = ?3, finished_at = ?4, lease_until = NULL,
            attempts = attempts + ?5, last_error = COALESCE(?6, last_error) WHERE seq = ?1",
    )
    .and_then(|mut s| s.execute(params![seq, status, next, finished, counted, error]))
    .map_err(Error::storage("updating a notification"))?;
    Ok(())
}

/// A breaker's state: consecutive failures and until when it is open.
pub(crate) fn breaker(
    tx: &Conn,
    ws: &WorkspaceId,
    channel: &str,
) -> Result<(u32, Option<DateTime<Utc>>)> {
    let row: Option<(i64, Option<i64>)> = tx
        .prepare_cached("SELECT failures, open_until FROM channel_breakers WHERE workspace_id = ?1 AND channel = ?2")
        .and_then(|mut s| s.query_row(params![ws.as_str(), channel], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(Error::storage("reading a breaker"))?;
    Ok(row.map_or((0, None), |(f, o)| {
        (f.clamp(0, i64::from(u32::MAX)) as u32, opt_from_ms(o))
    }))
}

/// A breaker's row, if the channel has one (it has, once an attempt was made).
pub(crate) fn breaker_row(
    tx: &Conn,
    ws: &WorkspaceId,
    channel: &str,
) -> Result<Option<(u32, Option<DateTime<Utc>>)>> {
    let row: Option<(i64, Option<i64>)> = tx
        .prepare_cached("SELECT failures, open_until FROM channel_breakers WHERE workspace_id = ?1 AND channel = ?2")
        .and_then(|mut s| s.query_row(params![ws.as_str(), channel], |r| Ok((r.get(0)?, r.get(1)?))).optional())
        .map_err(Error::storage("reading a breaker"))?;
    Ok(row.map(|(f, o)| (f.clamp(0, i64::from(u32::MAX)) as u32, opt_from_ms(o))))
}

pub(crate) fn set_breaker(
    tx: &Conn,
    ws: &WorkspaceId,
    channel: &str,
    failures: u32,
    open_until: Option<DateTime<Utc>>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO channel_breakers (workspace_id, channel, failures, open_until) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id, channel) DO UPDATE SET failures = excluded.failures, open_until = excluded.open_until",
    )
    .and_then(|mut s| s.execute(params![ws.as_str(), channel, i64::from(failures), open_until.map(to_ms)]))
    .map_err(Error::storage("writing a breaker"))?;
    Ok(())
}

/// The Slack message posted for a group on a channel: (Slack channel id, ts).
pub(crate) fn slack_message(
    tx: &Conn,
    group: &GroupId,
    channel: &str,
) -> Result<Option<(String, String)>> {
    tx.prepare_cached(
        "SELECT slack_channel, ts FROM slack_messages WHERE group_id = ?1 AND channel = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![group.as_str(), channel], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
    })
    .map_err(Error::storage("reading a Slack message id"))
}

pub(crate) fn set_slack_message(
    tx: &Conn,
    group: &GroupId,
    channel: &str,
    slack_channel: &str,
    ts: &str,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO slack_messages (group_id, channel, slack_channel, ts) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (group_id, channel) DO UPDATE SET slack_channel = excluded.slack_channel, ts = excluded.ts",
    )
    .and_then(|mut s| s.execute(params![group.as_str(), channel, slack_channel, ts]))
    .map_err(Error::storage("writing a Slack message id"))?;
    Ok(())
}

/// Pending notifications, and when the next one falls due.
pub(crate) fn pending(tx: &Conn, ws: Option<&WorkspaceId>) -> Result<(u64, Option<DateTime<Utc>>)> {
    tx.prepare_cached(
        "SELECT COUNT(*), MIN(MAX(not_before, COALESCE(next_attempt_at, 0), COALESCE(lease_until, 0)))
         FROM outbox WHERE status = 'pending' AND (CAST(?1 AS TEXT) IS NULL OR workspace_id = ?1)",
    )
    .and_then(|mut s| s.query_row(params![ws.map(WorkspaceId::as_str)], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Option<i64>>(1)?))))
    .map(|(n, t)| (n.max(0) as u64, opt_from_ms(t)))
    .map_err(Error::storage("counting pending notifications"))
}

/// One attempt in the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    /// When.
    pub at: DateTime<Utc>,
    /// `sent`, `retry`, `failed` or `skipped`.
    pub outcome: String,
    /// The HTTP status, if any.
    pub http_status: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long the attempt took.
    pub latency_ms: u64,
}

/// One notification and its delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Its id.
    pub id: i64,
    /// The group.
    pub group_id: Option<String>,
    /// The channel's name.
    pub channel: String,
    /// The channel's kind.
    pub kind: Option<String>,
    /// What it announces: `firing`, `resolved`, `status`, `escalation`.
    pub notification: String,
    /// `pending`, `sent`, `failed` or `cancelled`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last error.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// When it may first go (group_wait).
    pub not_before: DateTime<Utc>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The last attempts (at most [`ATTEMPT_LOG`], oldest first); `attempts` counts them all.
    pub attempt_log: Vec<AttemptView>,
    /// Attempts made and no longer in `attempt_log` (the log keeps the last ones).
    #[serde(default)]
    pub attempts_omitted: u32,
    /// The digest this notification was folded into (over its channel's cap), if it was.
    #[serde(default)]
    pub folded_into: Option<i64>,
    /// A test notification (sent from the UI or `channel test`), not an alert's.
    pub test: bool,
}

/// The delivery log of a workspace, of one group or (with `id`) one delivery, oldest first.
pub(crate) fn deliveries(
    tx: &Conn,
    ws: &WorkspaceId,
    group: Option<&str>,
    id: Option<i64>,
    limit: usize,
) -> Result<Vec<Delivery>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT o.seq, o.group_id, o.channel, c.kind, o.kind, o.status, o.attempts, o.last_error,
                o.created_at, o.not_before, o.next_attempt_at, o.test, o.folded_into
             FROM outbox o LEFT JOIN channels c ON c.workspace_id = o.workspace_id AND c.name = o.channel
             WHERE o.workspace_id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR o.group_id = ?2) AND (CAST(?4 AS BIGINT) IS NULL OR o.seq = ?4)
             ORDER BY o.seq DESC LIMIT ?3",
        )
        .map_err(Error::storage("listing deliveries"))?;
    let mut list = stmt
        .query_map(params![ws.as_str(), group, limit as i64, id], |r| {
            Ok(Delivery {
                id: r.get(0)?,
                group_id: r.get(1)?,
                channel: r.get(2)?,
                kind: r.get(3)?,
                notification: r.get(4)?,
                status: r.get(5)?,
                attempts: r.get::<_, i64>(6)?.clamp(0, i64::from(u32::MAX)) as u32,
                last_error: r.get(7)?,
                created_at: from_ms(r.get(8)?),
                not_before: from_ms(r.get(9)?),
                next_attempt_at: opt_from_ms(r.get(10)?),
                attempt_log: Vec::new(),
                attempts_omitted: 0,
                folded_into: r.get(12)?,
                test: r.get::<_, i64>(11)? != 0,
            })
        })
        .map_err(Error::storage("listing deliveries"))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("listing deliveries"))?;
    let mut log = tx
        .prepare_cached("SELECT at, outcome, http_status, error, latency_ms FROM delivery_attempts WHERE outbox_seq = ?1 ORDER BY seq")
        .map_err(Error::storage("reading the delivery log"))?;
    for d in &mut list {
        d.attempt_log = log
            .query_map([d.id], |r| {
                Ok(AttemptView {
                    at: from_ms(r.get(0)?),
                    outcome: r.get(1)?,
                    http_status: r.get::<_, Option<i64>>(2)?.map(|s| s.clamp(0, 999) as u16),
                    error: r.get(3)?,
                    latency_ms: r.get::<_, i64>(4)?.max(0) as u64,
                })
            })
            .map_err(Error::storage("reading the delivery log"))?
            .collect::<DbResult<Vec<_>>>()
            .map_err(Error::storage("reading the delivery log"))?;
        d.attempts_omitted = d.attempts.saturating_sub(d.attempt_log.len() as u32);
    }
    list.reverse();
    Ok(list)
}

/// Plaintext integration secrets stored before encryption: (workspace, source, secret).
pub(crate) fn plaintext_integration_secrets(tx: &Conn) -> Result<Vec<(String, String, String)>> {
    let mut stmt = tx
        .prepare("SELECT workspace_id, source, secret FROM integrations WHERE secret IS NOT NULL AND substr(secret, 1, 7) <> 'enc:v1:'")
        .map_err(Error::storage("reading integration secrets"))?;
    let rows = stmt
        .query_map(params![], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(Error::storage("reading integration secrets"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading integration secrets"))
}

pub(crate) fn set_integration_secret(
    tx: &Conn,
    ws: &str,
    source: &str,
    sealed: &str,
) -> Result<()> {
    execute(
        tx,
        "UPDATE integrations SET secret = ?3 WHERE workspace_id = ?1 AND source = ?2",
        params![ws, source, sealed],
    )
    .map_err(Error::storage("sealing an integration secret"))?;
    Ok(())
}

/// Deletes a channel, its breaker, and cancels its pending notifications. Returns whether it
/// existed.
pub(crate) fn delete_channel(
    tx: &Conn,
    ws: &WorkspaceId,
    name: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    let n = execute(
        tx,
        "DELETE FROM channels WHERE workspace_id = ?1 AND name = ?2",
        params![ws.as_str(), name],
    )
    .map_err(Error::storage("deleting a channel"))?;
    if n == 0 {
        return Ok(false);
    }
    execute(
        tx,
        "DELETE FROM channel_breakers WHERE workspace_id = ?1 AND channel = ?2",
        params![ws.as_str(), name],
    )
    .map_err(Error::storage("deleting a breaker"))?;
    execute(
        tx,
        "DELETE FROM channel_rates WHERE workspace_id = ?1 AND channel = ?2",
        params![ws.as_str(), name],
    )
    .map_err(Error::storage("deleting a channel's rate"))?;
    execute(
        tx,
        "UPDATE outbox SET status = 'cancelled', finished_at = ?3, lease_until = NULL,
            last_error = 'the channel was deleted'
         WHERE workspace_id = ?1 AND channel = ?2 AND status = 'pending'",
        params![ws.as_str(), name, to_ms(now)],
    )
    .map_err(Error::storage(
        "cancelling a deleted channel's notifications",
    ))?;
    Ok(true)
}

/// Queues a test notification on a channel; returns its id.
pub(crate) fn enqueue_test(
    tx: &Conn,
    ws: &WorkspaceId,
    channel: &str,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<i64> {
    query_row(
        tx,
        "INSERT INTO outbox (seq, workspace_id, group_id, channel, kind, payload, status, not_before,
            created_at, test) VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?1, NULL, ?2, 'test', ?3, 'pending', ?4, ?4, 1) RETURNING seq",
        params![ws.as_str(), channel, payload.to_string(), to_ms(now)],
        |r| r.get(0),
    )
    .map_err(Error::storage("queueing a test notification"))
}
