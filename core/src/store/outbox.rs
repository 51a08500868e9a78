//! Channels, the outbox's delivery state, the attempt log, circuit breakers, Slack message ids.

use super::execute;
use super::{from_ms, opt_from_ms, to_ms};
use crate::alert::{GroupId, WorkspaceId};
use crate::notify::{ChannelConfig, ChannelKind};
use crate::secrets::SecretBox;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
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
    ChannelConfig::parse(name, kind, &v)
}

pub(crate) fn put_channel(
    tx: &Connection,
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
    tx: &Connection,
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
    tx: &Connection,
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
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(Error::storage("listing channels"))?;
    rows.into_iter()
        .map(|(n, k, c)| open_config(ws.as_str(), &n, &k, &c, secrets))
        .collect()
}

/// Names of a workspace's channels (no secrets needed).
pub(crate) fn channel_names(tx: &Connection, ws: &WorkspaceId) -> Result<Vec<String>> {
    let mut stmt = tx
        .prepare_cached("SELECT name FROM channels WHERE workspace_id = ?1 ORDER BY name")
        .map_err(Error::storage("listing channels"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| r.get(0))
        .map_err(Error::storage("listing channels"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
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

/// Claims up to `limit` due notifications (leasing them for `lease_secs`, so another dispatcher
/// leaves them alone), oldest first.
pub(crate) fn claim(
    tx: &Connection,
    ws: Option<&WorkspaceId>,
    now: DateTime<Utc>,
    lease_secs: i64,
    limit: usize,
) -> Result<Vec<Claimed>> {
    let mut stmt = tx
        .prepare_cached(
            "UPDATE outbox SET lease_until = ?1
             WHERE seq IN (SELECT seq FROM outbox
                 WHERE status = 'pending' AND not_before <= ?2 AND COALESCE(next_attempt_at, 0) <= ?2
                   AND COALESCE(lease_until, 0) <= ?2 AND (?3 IS NULL OR workspace_id = ?3)
                 ORDER BY seq LIMIT ?4)
             RETURNING seq, workspace_id, group_id, channel, kind, payload, attempts, created_at",
        )
        .map_err(Error::storage("claiming notifications"))?;
    let rows = stmt
        .query_map(
            params![
                to_ms(now) + lease_secs * 1000,
                to_ms(now),
                ws.map(WorkspaceId::as_str),
                limit as i64
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            },
        )
        .map_err(Error::storage("claiming notifications"))?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(Error::storage("claiming notifications"))?;
    let mut out = rows
        .into_iter()
        .map(|(seq, ws, g, channel, kind, payload, attempts, created)| {
            Ok(Claimed {
                seq,
                workspace: WorkspaceId(ws),
                group: g.map(GroupId),
                channel,
                kind,
                payload: serde_json::from_str(&payload)
                    .map_err(|e| Error::Internal(format!("outbox payload: {e}")))?,
                attempts: attempts.clamp(0, i64::from(u32::MAX)) as u32,
                created_at: from_ms(created),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|c| c.seq);
    Ok(out)
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

pub(crate) fn record(
    tx: &Connection,
    seq: i64,
    attempt: Option<&Attempt<'_>>,
    after: &After,
    now: DateTime<Utc>,
) -> Result<()> {
    if let Some(a) = attempt {
        tx.prepare_cached(
            "INSERT INTO delivery_attempts (outbox_seq, at, outcome, http_status, error, latency_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| s.execute(params![seq, to_ms(a.at), a.outcome, a.http_status, a.error, a.latency_ms as i64]))
        .map_err(Error::storage("logging an attempt"))?;
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
    tx: &Connection,
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

pub(crate) fn set_breaker(
    tx: &Connection,
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
    tx: &Connection,
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
    tx: &Connection,
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
pub(crate) fn pending(
    tx: &Connection,
    ws: Option<&WorkspaceId>,
) -> Result<(u64, Option<DateTime<Utc>>)> {
    tx.prepare_cached(
        "SELECT COUNT(*), MIN(MAX(not_before, COALESCE(next_attempt_at, 0), COALESCE(lease_until, 0)))
         FROM outbox WHERE status = 'pending' AND (?1 IS NULL OR workspace_id = ?1)",
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
    /// Every attempt.
    pub attempt_log: Vec<AttemptView>,
    /// A test notification (sent from the UI or `channel test`), not an alert's.
    pub test: bool,
}

/// The delivery log of a workspace, of one group or (with `id`) one delivery, oldest first.
pub(crate) fn deliveries(
    tx: &Connection,
    ws: &WorkspaceId,
    group: Option<&str>,
    id: Option<i64>,
    limit: usize,
) -> Result<Vec<Delivery>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT o.seq, o.group_id, o.channel, c.kind, o.kind, o.status, o.attempts, o.last_error,
                o.created_at, o.not_before, o.next_attempt_at, o.test
             FROM outbox o LEFT JOIN channels c ON c.workspace_id = o.workspace_id AND c.name = o.channel
             WHERE o.workspace_id = ?1 AND (?2 IS NULL OR o.group_id = ?2) AND (?4 IS NULL OR o.seq = ?4)
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
                test: r.get::<_, i64>(11)? != 0,
            })
        })
        .map_err(Error::storage("listing deliveries"))?
        .collect::<rusqlite::Result<Vec<_>>>()
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
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(Error::storage("reading the delivery log"))?;
    }
    list.reverse();
    Ok(list)
}

/// Plaintext integration secrets stored before encryption: (workspace, source, secret).
pub(crate) fn plaintext_integration_secrets(
    tx: &Connection,
) -> Result<Vec<(String, String, String)>> {
    let mut stmt = tx
        .prepare("SELECT workspace_id, source, secret FROM integrations WHERE secret IS NOT NULL AND secret NOT LIKE 'enc:v1:%'")
        .map_err(Error::storage("reading integration secrets"))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .map_err(Error::storage("reading integration secrets"))?;
    rows.collect::<rusqlite::Result<Vec<_>>>()
        .map_err(Error::storage("reading integration secrets"))
}

pub(crate) fn set_integration_secret(
    tx: &Connection,
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
    tx: &Connection,
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
    tx: &Connection,
    ws: &WorkspaceId,
    channel: &str,
    payload: &Value,
    now: DateTime<Utc>,
) -> Result<i64> {
    execute(
        tx,
        "INSERT INTO outbox (workspace_id, group_id, channel, kind, payload, status, not_before,
            created_at, test) VALUES (?1, NULL, ?2, 'test', ?3, 'pending', ?4, ?4, 1)",
        params![ws.as_str(), channel, payload.to_string(), to_ms(now)],
    )
    .map_err(Error::storage("queueing a test notification"))?;
    Ok(tx.last_insert_rowid())
}
