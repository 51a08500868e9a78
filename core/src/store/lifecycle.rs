//! Escalation policies and timers, the outbox, and the hygiene sweeps.

use super::db::{Conn, DbResult, OptionalExtension, Row, params};
use super::execute;
use super::{from_ms, opt_from_ms, to_ms};
use crate::alert::{GroupId, WorkspaceId};
use crate::escalation::{Escalation, EscalationPolicy, TimerState};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;

pub(crate) fn put_policy(
    tx: &Conn,
    ws: &WorkspaceId,
    name: &str,
    policy: &EscalationPolicy,
    now: DateTime<Utc>,
) -> Result<()> {
    execute(
        tx,
        "INSERT INTO escalation_policies (workspace_id, name, policy, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (workspace_id, name) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at",
        params![ws.as_str(), name, policy.to_json().to_string(), to_ms(now)],
    )
    .map_err(Error::storage("writing an escalation policy"))?;
    Ok(())
}

pub(crate) fn policy(tx: &Conn, ws: &WorkspaceId, name: &str) -> Result<Option<EscalationPolicy>> {
    let text: Option<String> = tx
        .prepare_cached(
            "SELECT policy FROM escalation_policies WHERE workspace_id = ?1 AND name = ?2",
        )
        .and_then(|mut s| {
            s.query_row(params![ws.as_str(), name], |r| r.get(0))
                .optional()
        })
        .map_err(Error::storage("reading an escalation policy"))?;
    text.map(|t| {
        let v: Value = serde_json::from_str(&t)
            .map_err(|e| Error::Internal(format!("stored policy does not parse: {e}")))?;
        EscalationPolicy::from_json(&v)
    })
    .transpose()
}

pub(crate) fn policies(tx: &Conn, ws: &WorkspaceId) -> Result<Vec<(String, EscalationPolicy)>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT name, policy FROM escalation_policies WHERE workspace_id = ?1 ORDER BY name",
        )
        .map_err(Error::storage("listing escalation policies"))?;
    let rows = stmt
        .query_map([ws.as_str()], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
        })
        .map_err(Error::storage("listing escalation policies"))?
        .collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("listing escalation policies"))?;
    rows.into_iter()
        .map(|(n, t)| {
            let v: Value = serde_json::from_str(&t)
                .map_err(|e| Error::Internal(format!("stored policy does not parse: {e}")))?;
            Ok((n, EscalationPolicy::from_json(&v)?))
        })
        .collect()
}

fn parse_state(s: &str) -> TimerState {
    match s {
        "active" => TimerState::Active,
        "paused" => TimerState::Paused,
        "done" => TimerState::Done,
        _ => TimerState::Cancelled,
    }
}

fn row_to_escalation(r: &Row<'_>) -> DbResult<Escalation> {
    let state: String = r.get(1)?;
    Ok(Escalation {
        policy: r.get(0)?,
        state: parse_state(&state),
        next_step: r.get::<_, i64>(2)?.max(0) as usize,
        cycle: r.get::<_, i64>(3)?.clamp(0, i64::from(u32::MAX)) as u32,
        base_at: from_ms(r.get(4)?),
        due_at: opt_from_ms(r.get(5)?),
        last_fired_at: opt_from_ms(r.get(6)?),
    })
}

pub(crate) fn escalation(tx: &Conn, group: &GroupId) -> Result<Option<Escalation>> {
    tx.prepare_cached(
        "SELECT policy, state, next_step, cycle, base_at, due_at, last_fired_at
         FROM group_escalations WHERE group_id = ?1",
    )
    .and_then(|mut s| s.query_row([group.as_str()], row_to_escalation).optional())
    .map_err(Error::storage("reading an escalation"))
}

pub(crate) fn save_escalation(
    tx: &Conn,
    ws: &WorkspaceId,
    group: &GroupId,
    e: &Escalation,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO group_escalations (group_id, workspace_id, policy, state, next_step, cycle,
            base_at, due_at, last_fired_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (group_id) DO UPDATE SET policy = excluded.policy, state = excluded.state,
            next_step = excluded.next_step, cycle = excluded.cycle, base_at = excluded.base_at,
            due_at = excluded.due_at, last_fired_at = excluded.last_fired_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            group.as_str(),
            ws.as_str(),
            e.policy,
            e.state.as_str(),
            e.next_step as i64,
            i64::from(e.cycle),
            to_ms(e.base_at),
            e.due_at.map(to_ms),
            e.last_fired_at.map(to_ms),
        ])
    })
    .map_err(Error::storage("writing an escalation"))?;
    Ok(())
}

/// Groups (with their workspace) whose escalation is due at `now`, at most `limit`.
pub(crate) fn due_escalations(
    tx: &Conn,
    ws: Option<&WorkspaceId>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(WorkspaceId, GroupId)>> {
    let mut stmt = tx
        .prepare_cached(
            "SELECT workspace_id, group_id FROM group_escalations
             WHERE state = 'active' AND due_at <= ?1 AND (CAST(?2 AS TEXT) IS NULL OR workspace_id = ?2)
             ORDER BY due_at, group_id LIMIT ?3",
        )
        .map_err(Error::storage("finding due escalations"))?;
    let rows = stmt
        .query_map(
            params![to_ms(now), ws.map(WorkspaceId::as_str), limit as i64],
            |r| Ok((WorkspaceId(r.get(0)?), GroupId(r.get(1)?))),
        )
        .map_err(Error::storage("finding due escalations"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("finding due escalations"))
}

/// A notification to queue.
pub(crate) struct NewNotification<'a> {
    pub group: Option<&'a GroupId>,
    pub channel: &'a str,
    pub kind: &'a str,
    /// The payload's JSON text.
    pub payload: &'a str,
    pub not_before: DateTime<Utc>,
}

pub(crate) fn enqueue(
    tx: &Conn,
    ws: &WorkspaceId,
    n: &NewNotification<'_>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.prepare_cached(
        "INSERT INTO outbox (seq, workspace_id, group_id, channel, kind, payload, status, not_before, created_at)
         VALUES ((SELECT COALESCE(MAX(seq), 0) + 1 FROM outbox), ?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
    )
    .and_then(|mut s| {
        s.execute(params![
            ws.as_str(),
            n.group.map(GroupId::as_str),
            n.channel,
            n.kind,
            n.payload,
            to_ms(n.not_before),
            to_ms(now)
        ])
    })
    .map_err(Error::storage("queueing a notification"))?;
    Ok(())
}

/// Pending firing notifications of a group still held (by group_wait) after `now`, by channel.
pub(crate) fn cancel_held_firing(
    tx: &Conn,
    group: &GroupId,
    now: DateTime<Utc>,
) -> Result<Vec<String>> {
    let mut stmt = tx
        .prepare_cached(
            "UPDATE outbox SET status = 'cancelled'
             WHERE group_id = ?1 AND kind = 'firing' AND status = 'pending' AND not_before > ?2
             RETURNING channel",
        )
        .map_err(Error::storage("cancelling held notifications"))?;
    let rows = stmt
        .query_map(params![group.as_str(), to_ms(now)], |r| {
            r.get::<_, String>(0)
        })
        .map_err(Error::storage("cancelling held notifications"))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage("cancelling held notifications"))
}

fn ids(
    tx: &Conn,
    sql: &str,
    args: impl super::db::Params,
    what: &'static str,
) -> Result<Vec<(WorkspaceId, GroupId)>> {
    let mut stmt = tx.prepare_cached(sql).map_err(Error::storage(what))?;
    let rows = stmt
        .query_map(args, |r| Ok((WorkspaceId(r.get(0)?), GroupId(r.get(1)?))))
        .map_err(Error::storage(what))?;
    rows.collect::<DbResult<Vec<_>>>()
        .map_err(Error::storage(what))
}

/// Snoozed groups whose snooze ended by `now`.
pub(crate) fn snooze_expired(
    tx: &Conn,
    ws: Option<&WorkspaceId>,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(WorkspaceId, GroupId)>> {
    ids(
        tx,
        "SELECT workspace_id, id FROM alert_groups
         WHERE status = 'snoozed' AND snoozed_until <= ?1 AND (CAST(?2 AS TEXT) IS NULL OR workspace_id = ?2)
         ORDER BY snoozed_until, seq LIMIT ?3",
        params![to_ms(now), ws.map(WorkspaceId::as_str), limit as i64],
        "finding expired snoozes",
    )
}

/// Unresolved groups with no event since `before`.
pub(crate) fn inactive(
    tx: &Conn,
    ws: &WorkspaceId,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(WorkspaceId, GroupId)>> {
    ids(
        tx,
        "SELECT workspace_id, id FROM alert_groups
         WHERE status <> 'resolved' AND last_seen <= ?1 AND workspace_id = ?2
         ORDER BY last_seen, seq LIMIT ?3",
        params![to_ms(before), ws.as_str(), limit as i64],
        "finding inactive groups",
    )
}

/// Resolved, not yet purged groups resolved at or before `before`.
pub(crate) fn purgeable(
    tx: &Conn,
    ws: &WorkspaceId,
    before: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<(WorkspaceId, GroupId)>> {
    ids(
        tx,
        "SELECT workspace_id, id FROM alert_groups
         WHERE status = 'resolved' AND purged_at IS NULL AND resolved_at <= ?1 AND workspace_id = ?2
         ORDER BY resolved_at, seq LIMIT ?3",
        params![to_ms(before), ws.as_str(), limit as i64],
        "finding groups to purge",
    )
}

/// Deletes a group's events, timeline and notification state (keeping the group's summary row)
/// and the raw requests no event refers to any more.
pub(crate) fn purge(tx: &Conn, group: &GroupId, now: DateTime<Utc>) -> Result<()> {
    let g = group.as_str();
    let requests: Vec<i64> = {
        let mut stmt = tx
            .prepare_cached("SELECT DISTINCT request_seq FROM alert_events WHERE group_id = ?1")
            .map_err(Error::storage("purging events"))?;
        let rows = stmt
            .query_map([g], |r| r.get(0))
            .map_err(Error::storage("purging events"))?;
        rows.collect::<DbResult<Vec<_>>>()
            .map_err(Error::storage("purging events"))?
    };
    let steps: [(&str, &'static str); 7] = [
        (
            "DELETE FROM alert_events WHERE group_id = ?1",
            "purging events",
        ),
        (
            "DELETE FROM group_timeline WHERE group_id = ?1",
            "purging the timeline",
        ),
        (
            "DELETE FROM group_channels WHERE group_id = ?1",
            "purging channel state",
        ),
        (
            "DELETE FROM group_escalations WHERE group_id = ?1",
            "purging escalation state",
        ),
        (
            "DELETE FROM slack_messages WHERE group_id = ?1",
            "purging Slack message ids",
        ),
        (
            "DELETE FROM delivery_attempts WHERE outbox_seq IN
             (SELECT seq FROM outbox WHERE group_id = ?1 AND status <> 'pending')",
            "purging the delivery log",
        ),
        (
            "DELETE FROM outbox WHERE group_id = ?1 AND status <> 'pending'",
            "purging delivered notifications",
        ),
    ];
    for (sql, what) in steps {
        tx.prepare_cached(sql)
            .and_then(|mut s| s.execute([g]))
            .map_err(Error::storage(what))?;
    }
    // a raw request goes once no event of any group refers to it
    for r in requests {
        tx.prepare_cached(
            "DELETE FROM requests WHERE seq = ?1
             AND NOT EXISTS (SELECT 1 FROM alert_events WHERE request_seq = ?1)",
        )
        .and_then(|mut s| s.execute([r]))
        .map_err(Error::storage("purging requests"))?;
    }
    execute(
        tx,
        "UPDATE alert_groups SET purged_at = ?2 WHERE id = ?1",
        params![g, to_ms(now)],
    )
    .map_err(Error::storage("marking a group purged"))?;
    Ok(())
}

/// Deletes an escalation policy and cancels the escalations running under it. Returns whether
/// it existed.
pub(crate) fn delete_policy(tx: &Conn, ws: &WorkspaceId, name: &str) -> Result<bool> {
    let n = execute(
        tx,
        "DELETE FROM escalation_policies WHERE workspace_id = ?1 AND name = ?2",
        params![ws.as_str(), name],
    )
    .map_err(Error::storage("deleting an escalation policy"))?;
    if n == 0 {
        return Ok(false);
    }
    execute(
        tx,
        "UPDATE group_escalations SET state = 'cancelled', due_at = NULL
         WHERE workspace_id = ?1 AND policy = ?2 AND state IN ('active', 'paused')",
        params![ws.as_str(), name],
    )
    .map_err(Error::storage("cancelling a deleted policy's escalations"))?;
    Ok(true)
}
