//! Group commands (`act`), escalation policies, and the one place a lifecycle transition is
//! written: group row, timeline, escalation timer and notifications, in the caller's transaction.

use super::Engine;
use crate::alert::{GroupId, WorkspaceId};
use crate::escalation::{Escalation, EscalationPolicy};
use crate::group::{AlertGroup, TimelineEntry};
use crate::lifecycle::{self, Command, GroupStatus, LifecycleState, Permission, Role};
use crate::store::db::Conn;
use crate::store::{self, groups::GroupRecord, lifecycle::NewNotification};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// Who runs a command, and with which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// As written on the timeline (`alice`, `slack:U123`, `system:auto-close`).
    pub name: String,
    /// What they may do.
    pub role: Role,
}

impl Actor {
    /// An actor with a role.
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self {
            name: name.into(),
            role,
        }
    }
}

impl Engine {
    /// Runs a lifecycle command on a group and returns the group after it. A command already in
    /// effect (a second ack) changes nothing and is not an error; one that does not apply is a
    /// `conflict`; one the actor's role does not allow is `forbidden`.
    pub fn act(
        &self,
        workspace: &str,
        group_id: &str,
        command: &Command,
        actor: &Actor,
    ) -> Result<AlertGroup> {
        lifecycle::authorize(actor.role, Permission::Act(command))?;
        if actor.name.trim().is_empty() || actor.name.len() > 256 {
            return Err(Error::invalid("actor", "expected a name"));
        }
        let now = self.now();
        command.validate(now)?;
        self.write_in(workspace, |tx, ws| {
            let mut rec = store::groups::get(tx, &ws.id, group_id)?;
            transition(tx, &ws.id, &mut rec, command, &actor.name, now, Value::Null)?;
            Ok(rec.group)
        })
    }

    /// Creates or replaces a named escalation policy.
    pub fn put_escalation(
        &self,
        workspace: &str,
        name: &str,
        policy: &EscalationPolicy,
    ) -> Result<()> {
        if name.is_empty()
            || name.len() > 128
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        {
            return Err(Error::invalid(
                "name",
                format!("policy names are 1 to 128 letters, digits, '.', '_' or '-'; got {name:?}"),
            ));
        }
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            store::lifecycle::put_policy(tx, &ws.id, name, policy, now)
        })
    }

    /// A workspace's escalation policies, by name.
    pub fn escalations(&self, workspace: &str) -> Result<Vec<(String, EscalationPolicy)>> {
        self.read_in(workspace, |tx, ws| store::lifecycle::policies(tx, &ws.id))
    }

    /// Deletes an escalation policy; the escalations running under it stop. Rules that name it
    /// keep their name (a group they open then says no policy by that name was found).
    pub fn delete_escalation(&self, workspace: &str, name: &str) -> Result<()> {
        self.write_in(workspace, |tx, ws| {
            if store::lifecycle::delete_policy(tx, &ws.id, name)? {
                Ok(())
            } else {
                Err(Error::not_found("escalation policy", name))
            }
        })
    }

    /// Runs one lifecycle command on many groups (at most [`MAX_ACT_MANY`]), each on its own:
    /// one slot per id, in order, with the group after the command or the error of that id
    /// alone (a group of another workspace is `not_found` in its slot). The outer error is for
    /// what concerns every id: an unknown workspace, a bad command, actor or role, too many ids.
    pub fn act_many(
        &self,
        workspace: &str,
        ids: &[String],
        command: &Command,
        actor: &Actor,
    ) -> Result<Vec<(String, Result<AlertGroup>)>> {
        if ids.len() > MAX_ACT_MANY {
            return Err(Error::invalid(
                "ids",
                format!("at most {MAX_ACT_MANY} ids at once, got {}", ids.len()),
            ));
        }
        lifecycle::authorize(actor.role, Permission::Act(command))?;
        if actor.name.trim().is_empty() || actor.name.len() > 256 {
            return Err(Error::invalid("actor", "expected a name"));
        }
        command.validate(self.now())?;
        let ws = self.workspace(workspace)?;
        Ok(ids
            .iter()
            .map(|id| (id.clone(), self.act(ws.id.as_str(), id, command, actor)))
            .collect())
    }
}

/// The most ids [`Engine::act_many`] takes at once.
pub const MAX_ACT_MANY: usize = 1000;

fn state_of(g: &AlertGroup) -> LifecycleState {
    LifecycleState {
        status: g.status,
        snoozed_until: g.snoozed_until,
        assignee: g.assignee.clone(),
        runbook: g.runbook.clone(),
    }
}

fn detail_of(cmd: &Command, extra: Value) -> Value {
    let mut d = match cmd {
        Command::Snooze { until } => json!({"until": until}),
        Command::Assign { user } => json!({"assignee": user}),
        Command::Note { text } => json!({"text": text}),
        Command::Runbook { url } => json!({"url": url}),
        _ => json!({}),
    };
    if let (Some(o), Value::Object(e)) = (d.as_object_mut(), extra) {
        o.extend(e);
    }
    if d.as_object().is_some_and(|o| o.is_empty()) {
        Value::Null
    } else {
        d
    }
}

/// Applies `cmd` to the group in `rec` and writes everything it causes. Returns whether
/// anything changed (a no-op writes nothing).
pub(crate) fn transition(
    tx: &Conn,
    ws: &WorkspaceId,
    rec: &mut GroupRecord,
    cmd: &Command,
    actor: &str,
    now: DateTime<Utc>,
    extra: Value,
) -> Result<bool> {
    let t = lifecycle::apply(&state_of(&rec.group), cmd, now)?;
    if t.noop {
        return Ok(false);
    }
    let (from, to) = (t.from, t.state.status);
    let g = &mut rec.group;
    g.status = to;
    g.snoozed_until = t.state.snoozed_until;
    g.assignee = t.state.assignee;
    g.runbook = t.state.runbook;
    g.last_activity = now;
    match (from, to) {
        (_, GroupStatus::Resolved) if from != to => g.resolved_at = Some(now),
        (GroupStatus::Resolved, GroupStatus::Open) => {
            g.resolved_at = None;
            g.acknowledged_at = None;
            rec.window_start = now;
        }
        _ => {}
    }
    if to == GroupStatus::Acknowledged && g.acknowledged_at.is_none() {
        g.acknowledged_at = Some(now);
    }
    store::groups::update(tx, rec)?;
    let entry = TimelineEntry {
        at: now,
        actor: actor.to_string(),
        command: cmd.name().to_string(),
        from: Some(from),
        to: Some(to),
        detail: detail_of(cmd, extra),
    };
    store::groups::add_timeline(tx, ws, &rec.group.id, &entry)?;
    store::changes::append(
        tx,
        ws,
        &rec.group.id,
        crate::changes::command_kind(cmd),
        to,
        now,
    )?;
    if from != to {
        escalation_follows(tx, ws, &rec.group.id, from, to, now)?;
        notify_status(tx, ws, &rec.group, cmd, actor, from, to, now)?;
    }
    Ok(true)
}

/// What a status change does to the group's escalation timer.
pub(crate) fn escalation_follows(
    tx: &Conn,
    ws: &WorkspaceId,
    group: &GroupId,
    from: GroupStatus,
    to: GroupStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    let Some(mut e) = store::lifecycle::escalation(tx, group)? else {
        return Ok(());
    };
    match (from, to) {
        (_, GroupStatus::Acknowledged | GroupStatus::Resolved) => e.cancel(),
        (_, GroupStatus::Snoozed) => e.pause(),
        (GroupStatus::Resolved, GroupStatus::Open) => {
            // a reopened group escalates from the start
            let Some(policy) = store::lifecycle::policy(tx, ws, &e.policy)? else {
                return Ok(());
            };
            e = Escalation::start(&e.policy, &policy, now);
        }
        (_, GroupStatus::Open) => {
            let Some(policy) = store::lifecycle::policy(tx, ws, &e.policy)? else {
                return Ok(());
            };
            e.rearm(&policy, now);
        }
    }
    store::lifecycle::save_escalation(tx, ws, group, &e)
}

/// Status changes reach the channels that heard the group fire: a resolve as a resolve (unless
/// the firing was still held by group_wait: then it is cancelled and nothing is sent), anything
/// else as a status update.
#[allow(clippy::too_many_arguments)]
pub(crate) fn notify_status(
    tx: &Conn,
    ws: &WorkspaceId,
    g: &AlertGroup,
    cmd: &Command,
    actor: &str,
    from: GroupStatus,
    to: GroupStatus,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut channels = store::routing::channel_state(tx, &g.id)?;
    let held = if to == GroupStatus::Resolved {
        store::lifecycle::cancel_held_firing(tx, &g.id, now)?
    } else {
        Vec::new()
    };
    let mut changed = false;
    for (channel, st) in channels.iter_mut() {
        if !st.firing_sent {
            continue;
        }
        if held.contains(channel) {
            st.firing_sent = false;
            changed = true;
            continue;
        }
        let kind = if to == GroupStatus::Resolved {
            "resolved"
        } else {
            "status"
        };
        let payload =
            json!({"group": g, "command": cmd.name(), "actor": actor, "from": from, "to": to});
        store::lifecycle::enqueue(
            tx,
            ws,
            &NewNotification {
                group: Some(&g.id),
                channel,
                kind,
                payload: &payload.to_string(),
                not_before: now,
            },
            now,
        )?;
        if to == GroupStatus::Resolved {
            st.firing_sent = false;
            changed = true;
        }
    }
    if changed {
        store::routing::save_channel_state(tx, &g.id, &channels)?;
    }
    Ok(())
}
