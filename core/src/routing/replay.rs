//! Replay: stored history through candidate rules, compared with what actually happened. Pure.

use super::evaluate::{
    ChannelState, GroupContext, RouteDecision, RouteEvent, RoutingContext, advance_state, evaluate,
};
use crate::alert::NormalizedAlert;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// One stored event, as replay sees it.
#[derive(Debug, Clone)]
pub struct ReplayEvent {
    /// The event's id.
    pub event_id: String,
    /// Its group, if any.
    pub group_id: Option<String>,
    /// What it did to the group.
    pub event: RouteEvent,
    /// When it was received (the time routing is evaluated at).
    pub at: DateTime<Utc>,
    /// The normalized alert.
    pub alert: NormalizedAlert,
    /// What routing actually decided.
    pub before: RouteDecision,
}

/// Before/after counts for a rule (events matched).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCounts {
    /// Events the rule matched in history.
    pub before: u64,
    /// Events it matches under the candidate rules.
    pub after: u64,
}

/// Before/after counts for a channel (notifications decided).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChannelCounts {
    /// Notifications decided in history.
    pub before: u64,
    /// Notifications decided under the candidate rules.
    pub after: u64,
    /// Events that notify the channel now but did not.
    pub gained: u64,
    /// Events that notified the channel but would not now.
    pub lost: u64,
}

/// An event whose fate changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangedEvent {
    /// The event.
    pub event_id: String,
    /// Its group.
    pub group_id: Option<String>,
    /// What routing decided then.
    pub before: RouteDecision,
    /// What the candidate rules decide.
    pub after: RouteDecision,
}

/// The difference a candidate rule set makes over a stretch of history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplayReport {
    /// The start of the stretch (inclusive).
    pub since: DateTime<Utc>,
    /// The end (exclusive).
    pub until: DateTime<Utc>,
    /// How many events were replayed.
    pub events: u64,
    /// Per rule id (old and candidate): events matched before and after.
    pub per_rule: BTreeMap<String, RuleCounts>,
    /// Per channel: notifications decided before and after.
    pub per_channel: BTreeMap<String, ChannelCounts>,
    /// The events whose matched rules, notifications or suppression changed.
    pub changed: Vec<ChangedEvent>,
}

fn fate(d: &RouteDecision) -> (&[String], &[String], &Option<String>) {
    (&d.matched, &d.notify, &d.suppressed_by)
}

/// Replays `events` (in ingest order) through `ctx`, starting from the groups' channel state
/// `initial` (as it actually was at `since`).
pub fn replay(
    ctx: &RoutingContext<'_>,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
    events: &[ReplayEvent],
    mut initial: BTreeMap<String, BTreeMap<String, ChannelState>>,
) -> ReplayReport {
    let mut report = ReplayReport {
        since,
        until,
        events: events.len() as u64,
        per_rule: BTreeMap::new(),
        per_channel: BTreeMap::new(),
        changed: Vec::new(),
    };
    let empty = BTreeMap::new();
    for e in events {
        let state = e
            .group_id
            .as_ref()
            .map(|g| initial.entry(g.clone()).or_default());
        let channels = state.as_deref().unwrap_or(&empty);
        let (after, _) = evaluate(
            ctx,
            &e.alert,
            &GroupContext {
                event: e.event,
                channels,
            },
            e.at,
        );
        if let Some(st) = state {
            advance_state(st, e.event, &after, e.at);
        }
        for r in &e.before.matched {
            report.per_rule.entry(r.clone()).or_default().before += 1;
        }
        for r in &after.matched {
            report.per_rule.entry(r.clone()).or_default().after += 1;
        }
        let before_set: BTreeSet<&String> = e.before.notify.iter().collect();
        let after_set: BTreeSet<&String> = after.notify.iter().collect();
        for c in before_set.union(&after_set) {
            let counts = report.per_channel.entry((*c).clone()).or_default();
            let (b, a) = (before_set.contains(c), after_set.contains(c));
            counts.before += u64::from(b);
            counts.after += u64::from(a);
            counts.gained += u64::from(a && !b);
            counts.lost += u64::from(b && !a);
        }
        if fate(&e.before) != fate(&after) {
            report.changed.push(ChangedEvent {
                event_id: e.event_id.clone(),
                group_id: e.group_id.clone(),
                before: e.before.clone(),
                after,
            });
        }
    }
    report
}
