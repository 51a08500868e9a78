//! `tick`: due escalation steps, snooze expiry, auto-close, retention (resolved groups, events
//! that never joined a group, raw request bodies) and expired replay digests. Every sweep runs in
//! bounded batches, one transaction each, so that a step fires exactly once even with several
//! engines on one database file (the write lock makes them take turns; each re-reads the state).

use super::Engine;
use super::act::transition;
use crate::Result;
use crate::alert::{GroupId, WorkspaceId};
use crate::group::TimelineEntry;
use crate::lifecycle::{Command, GroupStatus};
use crate::store::{self, lifecycle::NewNotification};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Rows handled per transaction.
const BATCH: usize = 500;
/// Batches per sweep and tick, so that one tick stays bounded; the rest waits for the next.
const MAX_BATCHES: usize = 40;

/// One escalation step that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FiredStep {
    /// The group.
    pub group_id: GroupId,
    /// The policy.
    pub policy: String,
    /// The step, counting from 1.
    pub step: usize,
    /// When it fired.
    pub at: DateTime<Utc>,
}

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickReport {
    /// Escalation steps fired, in order.
    pub fired: Vec<FiredStep>,
    /// Groups resolved for inactivity.
    pub auto_closed: u64,
    /// Groups whose snooze ended.
    pub unsnoozed: u64,
    /// Resolved groups whose events and timeline were deleted.
    pub purged: u64,
    /// Events that never joined a group, deleted past the retention period.
    #[serde(default)]
    pub purged_unmatched: u64,
    /// Raw request bodies emptied past the retention period (their events stay).
    #[serde(default)]
    pub purged_bodies: u64,
}

impl Engine {
    /// Runs the timers due now, for one workspace or all of them.
    pub fn tick(&self, workspace: Option<&str>) -> Result<TickReport> {
        let now = self.now();
        let only: Option<WorkspaceId> = match workspace {
            Some(w) => Some(self.workspace(w)?.id),
            None => None,
        };
        let only = only.as_ref();
        let mut report = TickReport::default();

        // Snoozes first: a group back to open re-arms its escalation, which may then be due.
        for _ in 0..MAX_BATCHES {
            let n = self.store.write(|tx| {
                let due = store::lifecycle::snooze_expired(tx, only, now, BATCH)?;
                for (ws, id) in &due {
                    let mut rec = store::groups::get(tx, ws, id.as_str())?;
                    transition(
                        tx,
                        ws,
                        &mut rec,
                        &Command::Unsnooze,
                        "system:snooze-expiry",
                        now,
                        Value::Null,
                    )?;
                }
                Ok(due.len())
            })?;
            report.unsnoozed += n as u64;
            if n < BATCH {
                break;
            }
        }

        // Due steps are read and fired in one write transaction: engines sharing the database
        // (PostgreSQL instances, processes on one SQLite file) take the store's write lock for
        // it, so each step fires once, by whichever engine comes first.
        for _ in 0..MAX_BATCHES {
            let (n, fired) = self.store.write(|tx| {
                let due = store::lifecycle::due_escalations(tx, only, now, BATCH)?;
                let mut fired = Vec::new();
                for (ws, id) in &due {
                    fired.extend(fire(tx, ws, id, now)?);
                }
                Ok((due.len(), fired))
            })?;
            self.metrics.escalations_fired(fired.len() as u64);
            report.fired.extend(fired);
            if n < BATCH {
                break;
            }
        }

        // the change feed keeps a week; one bounded batch per tick
        self.store.write(|tx| {
            store::changes::purge(
                tx,
                only,
                now - crate::changes::CHANGE_RETENTION,
                BATCH as u32,
            )
        })?;
        // digests of signed bodies past their replay window; bounded batches
        for _ in 0..MAX_BATCHES {
            let n = self
                .store
                .write(|tx| store::events::purge_signed(tx, now, BATCH))?;
            if n < BATCH {
                break;
            }
        }

        let workspaces: Vec<WorkspaceId> = match only {
            Some(w) => vec![w.clone()],
            None => self.workspaces()?.into_iter().map(|w| w.id).collect(),
        };
        for ws in &workspaces {
            let hygiene = self.settings(ws.as_str())?.hygiene;
            if hygiene.auto_close_after_mins > 0 {
                let before = now
                    - TimeDelta::minutes(hygiene.auto_close_after_mins.min(100 * 525_600) as i64);
                for _ in 0..MAX_BATCHES {
                    let n = self.store.write(|tx| {
                        let idle = store::lifecycle::inactive(tx, ws, before, BATCH)?;
                        for (w, id) in &idle {
                            let mut rec = store::groups::get(tx, w, id.as_str())?;
                            let detail = json!({"reason": format!("no event since {}", rec.group.last_seen.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))});
                            transition(tx, w, &mut rec, &Command::Resolve, "system:auto-close", now, detail)?;
                        }
                        Ok(idle.len())
                    })?;
                    report.auto_closed += n as u64;
                    if n < BATCH {
                        break;
                    }
                }
            }
            if hygiene.retention_days > 0 {
                // one bounded batch per tick: retention is never urgent
                let before = now - TimeDelta::days(hygiene.retention_days.min(36_500) as i64);
                let n = self.store.write(|tx| {
                    let old = store::lifecycle::purgeable(tx, ws, before, BATCH)?;
                    for (_, id) in &old {
                        store::lifecycle::purge(tx, id, now)?;
                    }
                    Ok(old.len())
                })?;
                report.purged += n as u64;
                // events that never joined a group, and raw bodies, past the same period
                let (unmatched, raw) = self.store.write(|tx| {
                    let unmatched = store::events::purge_unmatched(tx, ws, before, BATCH)?;
                    let raw = store::events::purge_raw(tx, ws, before, now, BATCH)?;
                    Ok((unmatched, raw))
                })?;
                report.purged_unmatched += unmatched as u64;
                report.purged_bodies += raw as u64;
            }
        }
        Ok(report)
    }
}

/// Fires what is due of one group's escalation.
fn fire(
    tx: &crate::store::db::Conn,
    ws: &WorkspaceId,
    id: &GroupId,
    now: DateTime<Utc>,
) -> Result<Vec<FiredStep>> {
    let Some(mut e) = store::lifecycle::escalation(tx, id)? else {
        return Ok(Vec::new());
    };
    let rec = store::groups::get(tx, ws, id.as_str())?;
    let policy = store::lifecycle::policy(tx, ws, &e.policy)?;
    let Some(policy) = policy.filter(|_| rec.group.status == GroupStatus::Open) else {
        // the policy was deleted, or the group is not open: nothing more to escalate
        e.cancel();
        store::lifecycle::save_escalation(tx, ws, id, &e)?;
        return Ok(Vec::new());
    };
    let fired = e.fire_due(&policy, now);
    store::lifecycle::save_escalation(tx, ws, id, &e)?;
    let mut out = Vec::with_capacity(fired.len());
    for f in fired {
        let entry = TimelineEntry {
            at: now,
            actor: "system:escalation".into(),
            command: "escalate".into(),
            from: Some(rec.group.status),
            to: Some(rec.group.status),
            detail: json!({"policy": f.policy, "step": f.step, "cycle": f.cycle, "notify": f.notify}),
        };
        store::groups::add_timeline(tx, ws, id, &entry)?;
        store::changes::append(tx, ws, id, "escalation", rec.group.status, now)?;
        // a group an unauthenticated delivery opened escalates without broad pings
        let quiet = store::outbox::unauthenticated_firing(tx, id)?;
        for channel in &f.notify {
            let mut payload = json!({"group": rec.group, "policy": f.policy, "step": f.step, "cycle": f.cycle, "mention": f.mention});
            if quiet {
                payload["broadcast"] = false.into();
            }
            store::lifecycle::enqueue(
                tx,
                ws,
                &NewNotification {
                    group: Some(id),
                    channel,
                    kind: "escalation",
                    payload: &payload.to_string(),
                    not_before: now,
                },
                now,
            )?;
        }
        out.push(FiredStep {
            group_id: id.clone(),
            policy: f.policy,
            step: f.step,
            at: f.at,
        });
    }
    Ok(out)
}
