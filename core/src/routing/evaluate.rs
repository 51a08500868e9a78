//! Ordered evaluation of rules, silences and maintenance windows, with a trace of every step.

use super::rule::{RuleActions, RuleSet};
use super::silence::{MaintenanceWindow, Silence};
use crate::alert::{NormalizedAlert, Severity};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the event did to its group, as routing needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteEvent {
    /// A new group, or a reopened one: a first notification is due.
    Opened,
    /// Another firing event on an unresolved group: notify only when a repeat is due.
    Joined,
    /// The group was resolved: the channels that heard of it firing hear of the resolve.
    Resolved,
    /// Anything else (an assignment, an acknowledgement, an unmatched resolve): no notification.
    Other,
}

/// Per group and channel: what was decided before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ChannelState {
    /// When a firing notification was last decided.
    pub last_firing_at: Option<DateTime<Utc>>,
    /// Whether the channel has been told the group is firing (and not yet told it resolved).
    pub firing_sent: bool,
}

/// The group side of the routing input.
#[derive(Debug, Clone, Copy)]
pub struct GroupContext<'a> {
    /// What the event did.
    pub event: RouteEvent,
    /// The group's notification state by channel.
    pub channels: &'a BTreeMap<String, ChannelState>,
}

/// The workspace side of the routing input.
#[derive(Debug, Clone, Copy)]
pub struct RoutingContext<'a> {
    /// The rules.
    pub rules: &'a RuleSet,
    /// Where alerts no rule matched go (`None`: stored, not notified).
    pub default_route: Option<&'a RuleActions>,
    /// Every silence (inactive ones are skipped).
    pub silences: &'a [Silence],
    /// Every maintenance window (inactive ones are skipped).
    pub windows: &'a [MaintenanceWindow],
}

/// What routing decided for one event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RouteDecision {
    /// The ids of the rules that matched, in evaluation order.
    pub matched: Vec<String>,
    /// The channels notified by this event (empty when suppressed, or when nothing is due).
    pub notify: Vec<String>,
    /// The channels the matched rules (or the default route) name.
    pub intended: Vec<String>,
    /// `rule:ID`, `silence:ID` or `maintenance:ID` when notifications are suppressed.
    pub suppressed_by: Option<String>,
    /// Mentions for the notification.
    pub mention: Vec<String>,
    /// The escalation policy named by the first matched rule that names one.
    pub escalation: Option<String>,
    /// The severity set by the first matched rule that sets one.
    pub set_severity: Option<Severity>,
    /// How long to hold the first notification (the longest of the matched rules').
    pub group_wait_secs: u64,
    /// Whether no rule matched and the default route applied.
    pub default_route: bool,
}

/// One rule's part in the decision, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleTrace {
    /// The rule's id.
    pub rule: String,
    /// `matched`, `no_match`, `disabled` or `not_evaluated`.
    pub result: String,
    /// Why: the first condition that failed, or what stopped evaluation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// How routing reached its decision. Kept compact (no per-rule strings) so that evaluation stays
/// cheap with thousands of rules; [`RouteTrace::explain`] turns it into words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RouteTrace {
    /// The positions (in evaluation order) of the rules that matched.
    pub matched: Vec<usize>,
    /// The position of the rule that matched without `continue`, if one did.
    pub stopped_at: Option<usize>,
    /// The active silences that matched.
    pub silences: Vec<String>,
    /// The active maintenance windows that applied, with what they covered.
    pub maintenance: Vec<String>,
    /// Per channel: why it is or is not notified by this event.
    pub channels: BTreeMap<String, String>,
    /// Whether the default route applied.
    pub default_route: Option<String>,
}

/// A route trace in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteTraceView {
    /// Every rule, in evaluation order.
    pub rules: Vec<RuleTrace>,
    /// The active silences that matched.
    pub silences: Vec<String>,
    /// The active maintenance windows that applied, with what they covered.
    pub maintenance: Vec<String>,
    /// Per channel: why it is or is not notified by this event.
    pub channels: BTreeMap<String, String>,
    /// Whether the default route applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_route: Option<String>,
}

/// A route trace as ingest stores it: the positions of the rules that matched in the rule set
/// that routed the event (`rule_set`, a row of the workspace's rule history), everything else as
/// decided. [`StoredRouteTrace::explain`] words it when it is read. Wording every rule at ingest
/// cost more than all the rest of ingest with 100 rules; it is only needed when someone reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredRouteTrace {
    /// The rule set in the workspace's history that routed the event (`None`: no rules yet).
    pub rule_set: Option<i64>,
    /// The ids of the rules that matched, in evaluation order.
    pub matched: Vec<String>,
    /// Their positions in that rule set.
    pub positions: Vec<usize>,
    /// The position of the rule that matched without `continue`, if one did.
    pub stopped_at: Option<usize>,
    /// The active silences that matched.
    pub silences: Vec<String>,
    /// The active maintenance windows that applied, with what they covered.
    pub maintenance: Vec<String>,
    /// Per channel: why it is or is not notified by this event.
    pub channels: BTreeMap<String, String>,
    /// Whether the default route applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_route: Option<String>,
}

impl StoredRouteTrace {
    /// Words the trace against the rule set it names (the caller reads it from the history).
    pub fn explain(&self, rules: &RuleSet, alert: &NormalizedAlert) -> RouteTraceView {
        RouteTrace {
            matched: self.positions.clone(),
            stopped_at: self.stopped_at,
            silences: self.silences.clone(),
            maintenance: self.maintenance.clone(),
            channels: self.channels.clone(),
            default_route: self.default_route.clone(),
        }
        .explain(rules, alert)
    }
}

impl RouteTrace {
    /// The compact form ingest stores, for the rule set `rule_set` (`rules`).
    pub fn stored(&self, rule_set: Option<i64>, rules: &RuleSet) -> StoredRouteTrace {
        let list = rules.rules();
        StoredRouteTrace {
            rule_set,
            matched: self
                .matched
                .iter()
                .filter_map(|&i| list.get(i).map(|r| r.id.clone()))
                .collect(),
            positions: self.matched.clone(),
            stopped_at: self.stopped_at,
            silences: self.silences.clone(),
            maintenance: self.maintenance.clone(),
            channels: self.channels.clone(),
            default_route: self.default_route.clone(),
        }
    }

    /// The trace in words: each rule's result, and for a rule that did not match, the first
    /// condition that failed and the value it saw.
    pub fn explain(&self, rules: &RuleSet, alert: &NormalizedAlert) -> RouteTraceView {
        let list = rules.rules();
        let view = |i: usize| list.get(i).map_or("?", |r| r.id.as_str()).to_string();
        RouteTraceView {
            rules: list
                .iter()
                .enumerate()
                .map(|(i, rule)| match self.stopped_at {
                    Some(by) if i > by => RuleTrace {
                        rule: rule.id.clone(),
                        result: "not_evaluated".into(),
                        reason: Some(format!("rule {:?} matched without continue", view(by))),
                    },
                    _ if !rule.enabled => RuleTrace {
                        rule: rule.id.clone(),
                        result: "disabled".into(),
                        reason: None,
                    },
                    _ if self.matched.contains(&i) => RuleTrace {
                        rule: rule.id.clone(),
                        result: "matched".into(),
                        reason: None,
                    },
                    _ => RuleTrace {
                        rule: rule.id.clone(),
                        result: "no_match".into(),
                        reason: rule.when.check(alert).err().map(|miss| {
                            let at = if miss.at.is_empty() {
                                "when".to_string()
                            } else {
                                format!("when.{}", miss.at)
                            };
                            format!("{at}: {}", miss.why)
                        }),
                    },
                })
                .collect(),
            silences: self.silences.clone(),
            maintenance: self.maintenance.clone(),
            channels: self.channels.clone(),
            default_route: self.default_route.clone(),
        }
    }
}

fn push_unique(v: &mut Vec<String>, items: &[String]) {
    for i in items {
        if !v.contains(i) {
            v.push(i.clone());
        }
    }
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Routes one event.
pub fn evaluate(
    ctx: &RoutingContext<'_>,
    alert: &NormalizedAlert,
    group: &GroupContext<'_>,
    now: DateTime<Utc>,
) -> (RouteDecision, RouteTrace) {
    let mut d = RouteDecision::default();
    let mut t = RouteTrace::default();
    // channel -> (repeat interval from the first rule that names it)
    let mut repeat: BTreeMap<String, Option<u64>> = BTreeMap::new();
    let active_windows: Vec<&MaintenanceWindow> = ctx
        .windows
        .iter()
        .filter(|w| w.active_at(now) && w.when.as_ref().is_none_or(|c| c.matches(alert)))
        .collect();

    let all = ctx.rules.rules();
    for index in ctx.rules.candidates(alert) {
        let Some(rule) = all.get(index) else { continue };
        if !rule.enabled || !rule.when.matches(alert) {
            continue;
        }
        t.matched.push(index);
        d.matched.push(rule.id.clone());
        let a = &rule.then;
        push_unique(&mut d.intended, &a.notify);
        push_unique(&mut d.mention, &a.mention);
        if d.escalation.is_none() {
            d.escalation.clone_from(&a.escalation);
        }
        if d.set_severity.is_none() {
            d.set_severity = a.set_severity;
        }
        d.group_wait_secs = d.group_wait_secs.max(a.group_wait_secs);
        if a.suppress && d.suppressed_by.is_none() {
            d.suppressed_by = Some(format!("rule:{}", rule.id));
        }
        // maintenance windows for named rules take this rule's channels out
        let in_window = active_windows
            .iter()
            .find(|w| !w.rules.is_empty() && w.covers_rule(&rule.id));
        for c in &a.notify {
            if let Some(w) = in_window {
                t.channels.entry(c.clone()).or_insert_with(|| {
                    format!("rule {:?} is in maintenance window {:?}", rule.id, w.id)
                });
                t.maintenance.push(format!("{}: rule {}", w.id, rule.id));
            } else {
                repeat.entry(c.clone()).or_insert(a.repeat_interval_mins);
            }
        }
        if !rule.continue_ {
            t.stopped_at = Some(index);
            break;
        }
    }

    if d.matched.is_empty() {
        match ctx.default_route {
            Some(route) => {
                d.default_route = true;
                push_unique(&mut d.intended, &route.notify);
                push_unique(&mut d.mention, &route.mention);
                d.escalation.clone_from(&route.escalation);
                d.group_wait_secs = route.group_wait_secs;
                for c in &route.notify {
                    repeat
                        .entry(c.clone())
                        .or_insert(route.repeat_interval_mins);
                }
                t.default_route =
                    Some("no rule matched: the workspace's default route applies".into());
            }
            None => {
                d.default_route = true;
                t.default_route =
                    Some("no rule matched: default route (store, don't notify)".into());
            }
        }
    }

    for s in ctx.silences.iter().filter(|s| s.active_at(now)) {
        if s.when.matches(alert) {
            t.silences.push(s.id.clone());
            if d.suppressed_by.is_none() {
                d.suppressed_by = Some(format!("silence:{}", s.id));
            }
        }
    }
    for w in active_windows.iter().filter(|w| w.rules.is_empty()) {
        t.maintenance.push(format!("{}: whole workspace", w.id));
        if d.suppressed_by.is_none() {
            d.suppressed_by = Some(format!("maintenance:{}", w.id));
        }
    }
    if d.suppressed_by.is_none() && repeat.is_empty() && !d.intended.is_empty() {
        // every intended channel came from rules in a maintenance window
        if let Some(w) = active_windows.iter().find(|w| !w.rules.is_empty()) {
            d.suppressed_by = Some(format!("maintenance:{}", w.id));
        }
    }

    match group.event {
        RouteEvent::Resolved => {
            // Whoever heard the group fire hears it resolve, even if it is silenced now.
            for (c, st) in group.channels {
                if st.firing_sent {
                    d.notify.push(c.clone());
                    t.channels.insert(
                        c.clone(),
                        "resolve: the channel was notified of the firing".into(),
                    );
                }
            }
            for c in &d.intended {
                t.channels
                    .entry(c.clone())
                    .or_insert_with(|| "resolve: the channel never heard the group fire".into());
            }
        }
        RouteEvent::Other => {
            for c in &d.intended {
                t.channels
                    .entry(c.clone())
                    .or_insert_with(|| "no notification for this kind of event".into());
            }
        }
        RouteEvent::Opened | RouteEvent::Joined => {
            for c in &d.intended {
                let Some(rep) = repeat.get(c) else { continue };
                if let Some(by) = &d.suppressed_by {
                    t.channels.insert(c.clone(), format!("suppressed by {by}"));
                    continue;
                }
                let st = group.channels.get(c).copied().unwrap_or_default();
                let due = match (group.event, st.firing_sent, st.last_firing_at, rep) {
                    (RouteEvent::Opened, ..) => Ok("group opened".to_string()),
                    (_, false, _, _) => {
                        Ok("the channel has not been notified of this group".to_string())
                    }
                    (_, true, Some(last), Some(mins)) => {
                        let next = last + TimeDelta::minutes(*mins as i64);
                        if now >= next {
                            Ok(format!(
                                "repeat: last notified {}, every {mins} min",
                                ts(last)
                            ))
                        } else {
                            Err(format!(
                                "already notified {}; next repeat at {}",
                                ts(last),
                                ts(next)
                            ))
                        }
                    }
                    (_, true, _, _) => {
                        Err("already notified; the rule sets no repeat interval".to_string())
                    }
                };
                match due {
                    Ok(why) => {
                        d.notify.push(c.clone());
                        t.channels.insert(c.clone(), why);
                    }
                    Err(why) => {
                        t.channels.insert(c.clone(), why);
                    }
                }
            }
        }
    }
    (d, t)
}

/// The channel state after an event with `decision` at `now`.
pub fn advance_state(
    channels: &mut BTreeMap<String, ChannelState>,
    event: RouteEvent,
    decision: &RouteDecision,
    now: DateTime<Utc>,
) {
    for c in &decision.notify {
        let st = channels.entry(c.clone()).or_default();
        match event {
            RouteEvent::Opened | RouteEvent::Joined => {
                st.firing_sent = true;
                st.last_firing_at = Some(now);
            }
            RouteEvent::Resolved => st.firing_sent = false,
            RouteEvent::Other => {}
        }
    }
}
