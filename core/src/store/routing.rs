//! Rules, silences, maintenance windows and per-group channel state.

use super::db::{Conn, DbResult, OptionalExtension, params};
use super::{execute, query_row};
use super::{from_ms, opt_from_ms, to_ms};
use crate::alert::{GroupId, WorkspaceId};
use crate::routing::silence::{parse_time_of_day, parse_tz, parse_weekdays};
use crate::routing::{ChannelState, Condition, MaintenanceWindow, RoutingRule, RuleSet, Silence};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::collections::BTreeMap;

fn corrupt(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("stored {what} does not parse: {e}"))
}

/// The workspace's routing version: bumped by every change to rules, silences or windows.
pub(crate) fn version(tx: &Conn, ws: &WorkspaceId) -> Result<i64> {
    tx.prepare_cached("SELECT routing_version FROM workspaces WHERE id = ?1")
        .and_then(|mut s| s.query_row([ws.as_str()], |r| r.get(0)))
        .map_err(Error::storage("reading the routing version"))
}

pub(crate) fn bump(tx: &Conn, ws: &WorkspaceId) -> Result<()> {
    execute(
        tx,
        "UPDATE workspaces SET routing_version = routing_version + 1 WHERE id = ?1",
        [ws.as_str()],
    )
    .map_err(Error::storage("bumping the routing version"))?;
    Ok(())
}

pub(crate) fn put_rules(tx: &Conn, ws: &WorkspaceId, rules: &RuleSet) -> Result<()> {
    execute(
        tx,
        "DELETE FROM rules WHERE workspace_id = ?1",
        [ws.as_str()],
    )
    .map_err(Error::storage("replacing rules"))?;
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO rules (workspace_id, position, id, rule) VALUES (?1, ?2, ?3, ?4)",
        )
        .map_err(Error::storage("writing rules"))?;
    for (i, r) in rules.rules().iter().enumerate() {
        stmt.execute(params![
            ws.as_str(),
            i as i64,
            r.id,
            r.to_json().to_string()
        ])
        .map_err(Error::storage("writing rules"))?;
    }
    let all = Value::Array(rules.rules().iter().map(RoutingRule::to_json).collect());
    execute(
        tx,
        "INSERT INTO rule_sets (workspace_id, rules, created_at) VALUES (?1, ?2, ?3)",
        params![ws.as_str(), all.to_string(), to_ms(Utc::now())],
    )
    .map_err(Error::storage("keeping the rule set's history"))?;
    bump(tx, ws)
}

/// The workspace's current rule set in the history (none before its first `put_rules`).
pub(crate) fn current_rule_set(tx: &Conn, ws: &WorkspaceId) -> Result<Option<i64>> {
    query_row(
        tx,
        "SELECT MAX(seq) FROM rule_sets WHERE workspace_id = ?1",
        [ws.as_str()],
        |r| r.get(0),
    )
    .map_err(Error::storage("reading the rule set history"))
}

/// A rule set from the history.
pub(crate) fn rule_set(tx: &Conn, ws: &WorkspaceId, seq: i64) -> Result<RuleSet> {
    let text: String = query_row(
        tx,
        "SELECT rules FROM rule_sets WHERE workspace_id = ?1 AND seq = ?2",
        params![ws.as_str(), seq],
        |r| r.get(0),
    )
    .optional()
    .map_err(Error::storage("reading the rule set history"))?
    .ok_or_else(|| Error::Internal(format!("rule set {seq} is missing from the history")))?;
    let v: Value = serde_json::from_str(&text).map_err(|e| corrupt("rule set", e))?;
    RuleSet::from_json(&v).map_err(|e| corrupt("rule set", e))
}

pub(crate) fn rules(tx: &Conn, ws: &WorkspaceId) -> Result<RuleSet> {
    let mut stmt = tx
        .prepare_cached("SELECT rule FROM rules WHERE workspace_id = ?1 ORDER BY position")
        .map_err(Error::storage("reading rules"))?;
    let texts = stmt
        .query_map([ws.as_str()], |r| r.get::<_, String>(0))
        .map_err(Error::storage("reading rules"))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading rules"))?;
    let mut out = Vec::with_capacity(texts.len());
    for t in texts {
        let v: Value = serde_json::from_str(&t).map_err(|e| corrupt("rule", e))?;
        out.push(RoutingRule::from_json(&v).map_err(|e| corrupt("rule", e))?);
    }
    Ok(RuleSet::new(out))
}

pub(crate) fn add_silence(tx: &Conn, ws: &WorkspaceId, s: &Silence) -> Result<()> {
    execute(
        tx,
        "INSERT INTO silences (id, workspace_id, condition, starts_at, ends_at, comment, created_at,
            created_by)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            s.id,
            ws.as_str(),
            s.when.to_json().to_string(),
            to_ms(s.starts_at),
            to_ms(s.ends_at),
            s.comment,
            to_ms(s.created_at),
            s.created_by
        ],
    )
    .map_err(Error::storage("writing a silence"))?;
    bump(tx, ws)
}

pub(crate) fn expire_silence(
    tx: &Conn,
    ws: &WorkspaceId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let n = execute(
        tx,
        "UPDATE silences SET ends_at = MIN(ends_at, ?3) WHERE workspace_id = ?1 AND id = ?2",
        params![ws.as_str(), id, to_ms(now)],
    )
    .map_err(Error::storage("expiring a silence"))?;
    if n == 0 {
        return Err(Error::not_found("silence", id));
    }
    bump(tx, ws)
}

/// Silences ending after `ends_after` (all of them with `None`).
pub(crate) fn silences(
    tx: &Conn,
    ws: &WorkspaceId,
    ends_after: Option<DateTime<Utc>>,
) -> Result<Vec<Silence>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, condition, starts_at, ends_at, comment, created_at, created_by FROM silences
             WHERE workspace_id = ?1 AND ends_at > ?2 ORDER BY seq",
        )
        .map_err(Error::storage("reading silences"))?;
    let rows = stmt
        .query_map(
            params![ws.as_str(), ends_after.map_or(i64::MIN, to_ms)],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )
        .map_err(Error::storage("reading silences"))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading silences"))?;
    rows.into_iter()
        .map(|(id, cond, starts, ends, comment, created, created_by)| {
            let v: Value = serde_json::from_str(&cond).map_err(|e| corrupt("silence", e))?;
            Ok(Silence {
                id,
                when: Condition::from_json(&v, "when").map_err(|e| corrupt("silence", e))?,
                starts_at: from_ms(starts),
                ends_at: from_ms(ends),
                comment,
                created_at: from_ms(created),
                created_by,
            })
        })
        .collect()
}

pub(crate) fn add_window(tx: &Conn, ws: &WorkspaceId, w: &MaintenanceWindow) -> Result<()> {
    execute(
        tx,
        "INSERT INTO maintenance_windows (id, workspace_id, spec, created_at) VALUES (?1, ?2, ?3, ?4)",
        params![w.id, ws.as_str(), w.to_json().to_string(), to_ms(w.created_at)],
    )
    .map_err(Error::storage("writing a maintenance window"))?;
    bump(tx, ws)
}

pub(crate) fn delete_window(
    tx: &Conn,
    ws: &WorkspaceId,
    id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let n = execute(
        tx,
        "UPDATE maintenance_windows SET deleted_at = ?3
             WHERE workspace_id = ?1 AND id = ?2 AND deleted_at IS NULL",
        params![ws.as_str(), id, to_ms(now)],
    )
    .map_err(Error::storage("deleting a maintenance window"))?;
    if n == 0 {
        return Err(Error::not_found("maintenance window", id));
    }
    bump(tx, ws)
}

/// Maintenance windows (deleted ones too when `include_deleted`).
pub(crate) fn windows(
    tx: &Conn,
    ws: &WorkspaceId,
    include_deleted: bool,
) -> Result<Vec<MaintenanceWindow>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, spec, created_at, deleted_at FROM maintenance_windows
             WHERE workspace_id = ?1 AND (CAST(?2 AS BIGINT) = 1 OR deleted_at IS NULL) ORDER BY seq",
        )
        .map_err(Error::storage("reading maintenance windows"))?;
    let rows = stmt
        .query_map(params![ws.as_str(), include_deleted], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })
        .map_err(Error::storage("reading maintenance windows"))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading maintenance windows"))?;
    rows.into_iter()
        .map(|(id, spec, created, deleted)| {
            let v: Value =
                serde_json::from_str(&spec).map_err(|e| corrupt("maintenance window", e))?;
            let s = |k: &str| {
                v.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let weekdays = v
                .get("weekdays")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .unwrap_or_default();
            Ok(MaintenanceWindow {
                id,
                weekdays: parse_weekdays(&weekdays)
                    .map_err(|e| corrupt("maintenance window", e))?,
                from: parse_time_of_day("from", &s("from"))
                    .map_err(|e| corrupt("maintenance window", e))?,
                to: parse_time_of_day("to", &s("to"))
                    .map_err(|e| corrupt("maintenance window", e))?,
                tz: parse_tz(&s("tz")).map_err(|e| corrupt("maintenance window", e))?,
                when: match v.get("when") {
                    Some(w) if !w.is_null() => Some(
                        Condition::from_json(w, "when")
                            .map_err(|e| corrupt("maintenance window", e))?,
                    ),
                    _ => None,
                },
                rules: v
                    .get("rules")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default(),
                created_at: from_ms(created),
                deleted_at: opt_from_ms(deleted),
            })
        })
        .collect()
}

pub(crate) fn channel_state(tx: &Conn, group: &GroupId) -> Result<BTreeMap<String, ChannelState>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT channel, last_firing_at, firing_sent FROM group_channels WHERE group_id = ?1",
        )
        .map_err(Error::storage("reading channel state"))?;
    let rows = stmt
        .query_map([group.as_str()], |r| {
            Ok((
                r.get::<_, String>(0)?,
                ChannelState {
                    last_firing_at: opt_from_ms(r.get(1)?),
                    firing_sent: r.get(2)?,
                },
            ))
        })
        .map_err(Error::storage("reading channel state"))?;
    rows.collect::<DbResult<BTreeMap<_, _>>>()
        .map_err(Error::storage("reading channel state"))
}

pub(crate) fn save_channel_state(
    tx: &Conn,
    group: &GroupId,
    channels: &BTreeMap<String, ChannelState>,
) -> Result<()> {
    let mut stmt = tx
        .prepare_cached(
            "INSERT INTO group_channels (group_id, channel, last_firing_at, firing_sent) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (group_id, channel) DO UPDATE SET
               last_firing_at = excluded.last_firing_at, firing_sent = excluded.firing_sent",
        )
        .map_err(Error::storage("writing channel state"))?;
    for (c, st) in channels {
        stmt.execute(params![
            group.as_str(),
            c,
            st.last_firing_at.map(to_ms),
            st.firing_sent
        ])
        .map_err(Error::storage("writing channel state"))?;
    }
    Ok(())
}

pub(crate) fn set_group_severity(tx: &Conn, group: &GroupId, rank: i64) -> Result<()> {
    tx.prepare_cached("UPDATE alert_groups SET severity = ?2 WHERE id = ?1")
        .and_then(|mut s| s.execute(params![group.as_str(), rank]))
        .map_err(Error::storage("setting a group's severity"))?;
    Ok(())
}

/// One stored event, as replay needs it.
pub(crate) struct HistoryEvent {
    pub id: String,
    pub group_id: Option<GroupId>,
    pub decision: String,
    pub received_at: DateTime<Utc>,
    pub alert: String,
    pub route: Option<String>,
}

/// Events received in `[since, until)`, in the order they were ingested.
pub(crate) fn history(
    tx: &Conn,
    ws: &WorkspaceId,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<HistoryEvent>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT id, group_id, decision, received_at, alert, route FROM alert_events
             WHERE workspace_id = ?1 AND received_at >= ?2 AND received_at < ?3 ORDER BY seq",
        )
        .map_err(Error::storage("reading history"))?;
    let rows = stmt
        .query_map(params![ws.as_str(), to_ms(since), to_ms(until)], |r| {
            Ok(HistoryEvent {
                id: r.get(0)?,
                group_id: r.get::<_, Option<String>>(1)?.map(GroupId),
                decision: r.get(2)?,
                received_at: from_ms(r.get(3)?),
                alert: r.get(4)?,
                route: r.get(5)?,
            })
        })
        .map_err(Error::storage("reading history"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading history"))
}

/// The earliest event time in the workspace.
pub(crate) fn first_event_at(tx: &Conn, ws: &WorkspaceId) -> Result<Option<DateTime<Utc>>> {
    query_row(
        tx,
        "SELECT MIN(received_at) FROM alert_events WHERE workspace_id = ?1",
        [ws.as_str()],
        |r| r.get::<_, Option<i64>>(0),
    )
    .map(opt_from_ms)
    .map_err(Error::storage("reading history"))
}

/// A past event's decision and route.
pub(crate) struct PastRoute {
    pub decision: String,
    pub at: DateTime<Utc>,
    pub route: Option<String>,
}

/// Stored routes of a group's events before `before`, oldest first (for replay's starting state).
pub(crate) fn routes_before(
    tx: &Conn,
    group: &GroupId,
    before: DateTime<Utc>,
) -> Result<Vec<PastRoute>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT decision, received_at, route FROM alert_events
             WHERE group_id = ?1 AND received_at < ?2 ORDER BY seq",
        )
        .map_err(Error::storage("reading history"))?;
    let rows = stmt
        .query_map(params![group.as_str(), to_ms(before)], |r| {
            Ok(PastRoute {
                decision: r.get(0)?,
                at: from_ms(r.get(1)?),
                route: r.get(2)?,
            })
        })
        .map_err(Error::storage("reading history"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("reading history"))
}
