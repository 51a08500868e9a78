//! Escalation policies and the timer state machine. Pure: `now` comes in, decisions go out.
//!
//! A policy is `{"steps": [{"after_mins": 5, "notify": ["oncall"], "mention": ["@here"]}, …],
//! "repeat": 0}`. `after_mins` counts from the group's opening (or reopening, or re-arming);
//! `repeat` runs the whole list that many more times, delays counted from the last firing.
//! Ack and resolve cancel; snooze pauses; unack, unsnooze and snooze expiry re-arm at the first
//! step not yet fired, its delay counted from the re-arm.

use crate::json::Node;
use crate::routing::FieldErrors;
use crate::{Error, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The most steps a policy may have.
pub const MAX_STEPS: usize = 20;
/// The most repeats.
pub const MAX_REPEAT: u32 = 100;

/// One step of a policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationStep {
    /// Minutes after the group opened (or was re-armed).
    pub after_mins: u64,
    /// Channels to notify.
    pub notify: Vec<String>,
    /// Mentions.
    pub mention: Vec<String>,
}

/// A named escalation policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscalationPolicy {
    /// The steps, in order (their delays never decrease).
    pub steps: Vec<EscalationStep>,
    /// How many more times the steps run after the last one.
    pub repeat: u32,
}

fn strings(node: Option<Node<'_>>, errors: &mut FieldErrors) -> Vec<String> {
    let Some(node) = node else { return Vec::new() };
    match node.array() {
        Ok(items) => items
            .iter()
            .filter_map(|i| match i.str() {
                Ok(s) if !s.trim().is_empty() => Some(s.to_string()),
                Ok(_) => {
                    errors.push(i.path(), "empty");
                    None
                }
                Err(e) => {
                    errors.push_error(e);
                    None
                }
            })
            .collect(),
        Err(_) => {
            errors.push(node.path(), "expected a list of strings");
            Vec::new()
        }
    }
}

impl EscalationPolicy {
    /// Parses and validates a policy, every problem with its JSON path.
    pub fn from_json(value: &Value) -> Result<EscalationPolicy> {
        let root = Node::at(value, "policy");
        let mut errors = FieldErrors::default();
        let Some(map) = value.as_object() else {
            return Err(Error::invalid("policy", "expected an object with steps"));
        };
        for k in map.keys() {
            if k != "steps" && k != "repeat" {
                errors.push(format!("policy.{k}"), "unknown key (known: steps, repeat)");
            }
        }
        let repeat = match root.get("repeat") {
            None => 0,
            Some(n) => match n.value().as_u64() {
                Some(r) if r <= u64::from(MAX_REPEAT) => r as u32,
                _ => {
                    errors.push(
                        n.path(),
                        format!("expected a whole number from 0 to {MAX_REPEAT}"),
                    );
                    0
                }
            },
        };
        let mut steps = Vec::new();
        match root.get("steps").map(|s| (s.array(), s)) {
            None => errors.push("policy.steps", "missing"),
            Some((Err(_), s)) => errors.push(s.path(), "expected a list of steps"),
            Some((Ok(items), s)) => {
                if items.is_empty() || items.len() > MAX_STEPS {
                    errors.push(s.path(), format!("1 to {MAX_STEPS} steps"));
                }
                let mut last = 0;
                for item in items {
                    let Some(obj) = item.value().as_object() else {
                        errors.push(item.path(), "expected a step object");
                        continue;
                    };
                    for k in obj.keys() {
                        if !matches!(k.as_str(), "after_mins" | "notify" | "mention") {
                            errors.push(
                                format!("{}.{k}", item.path()),
                                "unknown key (known: after_mins, notify, mention)",
                            );
                        }
                    }
                    let after = match item.get("after_mins") {
                        None => {
                            errors.push(format!("{}.after_mins", item.path()), "missing");
                            0
                        }
                        Some(n) => match n.value().as_u64() {
                            Some(m) if m <= 525_600 => {
                                if m < last {
                                    errors.push(
                                        n.path(),
                                        format!("delays never decrease: {m} comes after {last}"),
                                    );
                                }
                                m
                            }
                            _ => {
                                errors.push(n.path(), "expected minutes (0 to 525600)");
                                0
                            }
                        },
                    };
                    last = last.max(after);
                    let notify = strings(item.get("notify"), &mut errors);
                    if notify.is_empty() {
                        errors.push(
                            format!("{}.notify", item.path()),
                            "name at least one channel",
                        );
                    }
                    steps.push(EscalationStep {
                        after_mins: after,
                        notify,
                        mention: strings(item.get("mention"), &mut errors),
                    });
                }
            }
        }
        if repeat > 0 && steps.iter().all(|s| s.after_mins == 0) {
            errors.push(
                "policy.repeat",
                "a repeating policy needs a step with a delay",
            );
        }
        errors.into_result()?;
        Ok(EscalationPolicy { steps, repeat })
    }

    /// The policy as JSON.
    pub fn to_json(&self) -> Value {
        json!({"steps": self.steps, "repeat": self.repeat})
    }

    fn delay(&self, step: usize) -> TimeDelta {
        let mins = self.steps.get(step).map_or(0, |s| s.after_mins);
        TimeDelta::minutes(mins as i64)
    }
}

/// Where a group's escalation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimerState {
    /// A step is due at `due_at`.
    Active,
    /// Snoozed: nothing fires until re-armed.
    Paused,
    /// Acknowledged or resolved.
    Cancelled,
    /// Every step (and repeat) fired.
    Done,
}

impl TimerState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            TimerState::Active => "active",
            TimerState::Paused => "paused",
            TimerState::Cancelled => "cancelled",
            TimerState::Done => "done",
        }
    }
}

/// A group's escalation timer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// The policy's name.
    pub policy: String,
    /// The state.
    pub state: TimerState,
    /// The first step not yet fired in this cycle (0-based).
    pub next_step: usize,
    /// Which run through the steps (0 = the first).
    pub cycle: u32,
    /// What delays count from.
    pub base_at: DateTime<Utc>,
    /// When the next step is due (when active).
    pub due_at: Option<DateTime<Utc>>,
    /// When a step last fired.
    pub last_fired_at: Option<DateTime<Utc>>,
}

/// A step that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fired {
    /// The policy.
    pub policy: String,
    /// The step, counting from 1.
    pub step: usize,
    /// The cycle, counting from 0.
    pub cycle: u32,
    /// When it fired.
    pub at: DateTime<Utc>,
    /// Channels to notify.
    pub notify: Vec<String>,
    /// Mentions.
    pub mention: Vec<String>,
}

impl Escalation {
    /// A fresh escalation for a group opened (or reopened) at `now`.
    pub fn start(policy_name: &str, policy: &EscalationPolicy, now: DateTime<Utc>) -> Escalation {
        Escalation {
            policy: policy_name.to_string(),
            state: TimerState::Active,
            next_step: 0,
            cycle: 0,
            base_at: now,
            due_at: Some(now + policy.delay(0)),
            last_fired_at: None,
        }
    }

    /// Ack or resolve: nothing more fires.
    pub fn cancel(&mut self) {
        if matches!(self.state, TimerState::Active | TimerState::Paused) {
            self.state = TimerState::Cancelled;
            self.due_at = None;
        }
    }

    /// Snooze: nothing fires until re-armed.
    pub fn pause(&mut self) {
        if self.state == TimerState::Active {
            self.state = TimerState::Paused;
            self.due_at = None;
        }
    }

    /// Unack, unsnooze, snooze expiry: resume at the first step not yet fired, its delay counted
    /// from `now`. A finished escalation stays finished.
    pub fn rearm(&mut self, policy: &EscalationPolicy, now: DateTime<Utc>) {
        if matches!(self.state, TimerState::Paused | TimerState::Cancelled) {
            self.state = TimerState::Active;
            self.base_at = now;
            self.due_at = Some(now + policy.delay(self.next_step));
        }
    }

    /// Fires every step due at `now`, in order, and moves the timer on.
    pub fn fire_due(&mut self, policy: &EscalationPolicy, now: DateTime<Utc>) -> Vec<Fired> {
        let mut fired = Vec::new();
        while self.state == TimerState::Active && self.due_at.is_some_and(|d| d <= now) {
            let Some(step) = policy.steps.get(self.next_step) else {
                self.state = TimerState::Done;
                self.due_at = None;
                break;
            };
            fired.push(Fired {
                policy: self.policy.clone(),
                step: self.next_step + 1,
                cycle: self.cycle,
                at: now,
                notify: step.notify.clone(),
                mention: step.mention.clone(),
            });
            self.last_fired_at = Some(now);
            self.next_step += 1;
            if self.next_step < policy.steps.len() {
                self.due_at = Some(self.base_at + policy.delay(self.next_step));
            } else if self.cycle < policy.repeat {
                self.cycle += 1;
                self.next_step = 0;
                self.base_at = now;
                self.due_at = Some(now + policy.delay(0));
            } else {
                self.state = TimerState::Done;
                self.due_at = None;
            }
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(m: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + m * 60, 0).unwrap_or_default()
    }

    fn policy(v: Value) -> EscalationPolicy {
        EscalationPolicy::from_json(&v).unwrap_or_else(|e| panic!("{e}"))
    }

    fn steps(f: &[Fired]) -> Vec<(usize, u32)> {
        f.iter().map(|x| (x.step, x.cycle)).collect()
    }

    #[test]
    fn fires_each_step_once_in_order() {
        let p = policy(
            json!({"steps": [{"after_mins": 5, "notify": ["a"]}, {"after_mins": 15, "notify": ["b"]}]}),
        );
        let mut e = Escalation::start("default", &p, t(0));
        assert!(e.fire_due(&p, t(4)).is_empty());
        assert_eq!(steps(&e.fire_due(&p, t(5))), [(1, 0)]);
        assert!(e.fire_due(&p, t(10)).is_empty());
        assert_eq!(steps(&e.fire_due(&p, t(15))), [(2, 0)]);
        assert_eq!(e.state, TimerState::Done);
        assert!(e.fire_due(&p, t(100)).is_empty());
    }

    #[test]
    fn a_late_tick_fires_every_due_step() {
        let p = policy(
            json!({"steps": [{"after_mins": 5, "notify": ["a"]}, {"after_mins": 15, "notify": ["b"]}]}),
        );
        let mut e = Escalation::start("p", &p, t(0));
        assert_eq!(steps(&e.fire_due(&p, t(30))), [(1, 0), (2, 0)]);
    }

    #[test]
    fn repeat_counts_from_the_last_firing() {
        let p = policy(
            json!({"steps": [{"after_mins": 5, "notify": ["a"]}, {"after_mins": 10, "notify": ["b"]}], "repeat": 1}),
        );
        let mut e = Escalation::start("p", &p, t(0));
        e.fire_due(&p, t(5));
        assert_eq!(steps(&e.fire_due(&p, t(12))), [(2, 0)]);
        assert_eq!(
            e.due_at,
            Some(t(17)),
            "cycle 2 step 1: 5 min after the last firing at 12"
        );
        assert_eq!(steps(&e.fire_due(&p, t(17))), [(1, 1)]);
        assert_eq!(steps(&e.fire_due(&p, t(22))), [(2, 1)]);
        assert_eq!(e.state, TimerState::Done);
    }

    #[test]
    fn cancel_pause_and_rearm() {
        let p = policy(
            json!({"steps": [{"after_mins": 5, "notify": ["a"]}, {"after_mins": 15, "notify": ["b"]}]}),
        );
        let mut e = Escalation::start("p", &p, t(0));
        e.fire_due(&p, t(5));
        e.pause();
        assert!(e.fire_due(&p, t(60)).is_empty());
        e.rearm(&p, t(60));
        // step 2 is next; its delay (15 min) counts from the re-arm
        assert_eq!(e.due_at, Some(t(75)));
        assert!(e.fire_due(&p, t(74)).is_empty());
        assert_eq!(steps(&e.fire_due(&p, t(75))), [(2, 0)]);
        let mut c = Escalation::start("p", &p, t(0));
        c.cancel();
        assert!(c.fire_due(&p, t(60)).is_empty());
        c.rearm(&p, t(60));
        assert_eq!(c.due_at, Some(t(65)));
    }

    #[test]
    fn a_policy_round_trips_through_its_json() {
        let p = policy(json!({"steps": [{"after_mins": 2, "notify": ["a"]}], "repeat": 2}));
        assert_eq!(EscalationPolicy::from_json(&p.to_json()).ok(), Some(p));
    }

    #[test]
    fn validation() {
        for (v, needle) in [
            (json!({"steps": []}), "policy.steps: 1 to 20 steps"),
            (
                json!({"steps": [{"after_mins": 10, "notify": ["a"]}, {"after_mins": 5, "notify": ["b"]}]}),
                "policy.steps[1].after_mins: delays never decrease",
            ),
            (
                json!({"steps": [{"after_mins": "5"}]}),
                "policy.steps[0].after_mins",
            ),
            (
                json!({"steps": [{"after_mins": 5, "notify": [3]}]}),
                "policy.steps[0].notify[0]",
            ),
            (
                json!({"steps": [{"after_mins": 5, "page": true}]}),
                "policy.steps[0].page: unknown key",
            ),
            (
                json!({"steps": [{"after_mins": 0, "notify": ["a"]}], "repeat": 3}),
                "policy.repeat: a repeating policy needs",
            ),
            (
                json!({"steps": [{"after_mins": 1, "notify": ["a"]}], "repeat": 1000}),
                "policy.repeat",
            ),
            (json!([]), "policy: expected an object"),
            // found by the escalation fuzz target: a step without channels parsed, but its JSON
            // form (`"notify": []`) did not
            (
                json!({"steps": [{"after_mins": 2}], "repeat": 2}),
                "policy.steps[0].notify: name at least one channel",
            ),
        ] {
            let e = EscalationPolicy::from_json(&v)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(e.starts_with(needle), "{v}: {e}");
        }
    }
}
