//! Dedup windows: does an event join the group with its key, open a new one, or reopen one?
//!
//! Pure: the caller passes the latest group with the event's key and `now` (the engine's clock,
//! the time of receipt — never the sender's timestamp, which can be late or wrong).

use crate::alert::AlertStatus;
use crate::lifecycle::GroupStatus;
use crate::{Error, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How long a group keeps collecting events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DedupWindow {
    /// Joins while the group's last event is at most `window_secs` old.
    #[default]
    Rolling,
    /// Joins while the group's first event (or its reopening) is at most `window_secs` old.
    Fixed,
    /// Joins until the group is resolved, however long that takes.
    UntilResolved,
}

impl DedupWindow {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DedupWindow::Rolling => "rolling",
            DedupWindow::Fixed => "fixed",
            DedupWindow::UntilResolved => "until_resolved",
        }
    }
}

impl std::str::FromStr for DedupWindow {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "rolling" => Ok(Self::Rolling),
            "fixed" => Ok(Self::Fixed),
            "until_resolved" => Ok(Self::UntilResolved),
            _ => Err(Error::invalid(
                "dedup.window",
                format!("unknown window {s:?} (expected rolling, fixed or until_resolved)"),
            )),
        }
    }
}

/// A workspace's dedup settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DedupPolicy {
    /// The window kind.
    pub window: DedupWindow,
    /// The window's length in seconds (ignored by `until_resolved`).
    pub window_secs: u64,
    /// A group resolved at most this long ago is reopened by a new event instead of a new group.
    pub reopen_window_secs: u64,
}

impl Default for DedupPolicy {
    fn default() -> Self {
        Self {
            window: DedupWindow::Rolling,
            window_secs: 3600,
            reopen_window_secs: 3600,
        }
    }
}

/// What the dedup stage needs to know of the latest group with the event's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupSnapshot {
    /// Its status.
    pub status: GroupStatus,
    /// When its current window started: its first event, or its reopening.
    pub window_start: DateTime<Utc>,
    /// Its last firing event.
    pub last_seen: DateTime<Utc>,
    /// When it was resolved, if it is.
    pub resolved_at: Option<DateTime<Utc>>,
}

/// What happens to the event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DedupDecision {
    /// Opens a new group.
    NewGroup,
    /// Joins the unresolved group (count +1).
    Joined,
    /// Reopens the recently resolved group.
    Reopened,
    /// A resolve from the source that closes the unresolved group(s).
    Resolved,
    /// A resolve or action for which no group is open: nothing changes.
    Unmatched,
}

impl DedupDecision {
    /// The snake_case name, as the CLI prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            DedupDecision::NewGroup => "new_group",
            DedupDecision::Joined => "joined",
            DedupDecision::Reopened => "reopened",
            DedupDecision::Resolved => "resolved",
            DedupDecision::Unmatched => "unmatched",
        }
    }
}

/// A decision and the reason for it, for the trace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DedupOutcome {
    /// The decision.
    pub decision: DedupDecision,
    /// Why, in words.
    pub reason: String,
}

fn outcome(decision: DedupDecision, reason: String) -> DedupOutcome {
    DedupOutcome { decision, reason }
}

fn secs(d: TimeDelta) -> i64 {
    d.num_milliseconds().div_euclid(1000)
}

/// Decides what an event with `status` does, given the latest group with its key.
pub fn decide(
    policy: &DedupPolicy,
    latest: Option<&GroupSnapshot>,
    status: AlertStatus,
    now: DateTime<Utc>,
) -> DedupOutcome {
    let window = TimeDelta::seconds(policy.window_secs.min(i64::MAX as u64 / 1000) as i64);
    let reopen = TimeDelta::seconds(policy.reopen_window_secs.min(i64::MAX as u64 / 1000) as i64);
    match (status, latest) {
        (AlertStatus::Resolved, Some(g)) if g.status.is_unresolved() => outcome(
            DedupDecision::Resolved,
            "the source resolved the group".into(),
        ),
        (AlertStatus::Resolved, Some(_)) => outcome(
            DedupDecision::Unmatched,
            "resolve for a group that is already resolved".into(),
        ),
        (AlertStatus::Resolved, None) => outcome(
            DedupDecision::Unmatched,
            "resolve for a key with no group".into(),
        ),
        (AlertStatus::Firing, None) => {
            outcome(DedupDecision::NewGroup, "first event with this key".into())
        }
        (AlertStatus::Firing, Some(g)) if g.status.is_unresolved() => {
            let (from, what) = match policy.window {
                DedupWindow::Rolling => (g.last_seen, "last event"),
                DedupWindow::Fixed => (g.window_start, "window start"),
                DedupWindow::UntilResolved => {
                    return outcome(
                        DedupDecision::Joined,
                        "group is unresolved (window: until_resolved)".into(),
                    );
                }
            };
            let age = now - from;
            if age <= window {
                outcome(
                    DedupDecision::Joined,
                    format!(
                        "{what} {}s ago, inside the {} window of {}s",
                        secs(age).max(0),
                        policy.window.as_str(),
                        policy.window_secs
                    ),
                )
            } else {
                outcome(
                    DedupDecision::NewGroup,
                    format!(
                        "{what} {}s ago, outside the {} window of {}s",
                        secs(age),
                        policy.window.as_str(),
                        policy.window_secs
                    ),
                )
            }
        }
        (AlertStatus::Firing, Some(g)) => {
            let Some(resolved_at) = g.resolved_at else {
                return outcome(
                    DedupDecision::NewGroup,
                    "latest group is resolved with no resolve time".into(),
                );
            };
            let age = now - resolved_at;
            // A reopen window of 0 means never reopen, even in the same instant.
            if policy.reopen_window_secs > 0 && age <= reopen {
                outcome(
                    DedupDecision::Reopened,
                    format!(
                        "resolved {}s ago, inside the reopen window of {}s",
                        secs(age).max(0),
                        policy.reopen_window_secs
                    ),
                )
            } else {
                outcome(
                    DedupDecision::NewGroup,
                    format!(
                        "resolved {}s ago, outside the reopen window of {}s",
                        secs(age),
                        policy.reopen_window_secs
                    ),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
    }

    fn open_at(first: DateTime<Utc>, last: DateTime<Utc>) -> GroupSnapshot {
        GroupSnapshot {
            status: GroupStatus::Open,
            window_start: first,
            last_seen: last,
            resolved_at: None,
        }
    }

    fn policy(window: DedupWindow) -> DedupPolicy {
        DedupPolicy {
            window,
            ..DedupPolicy::default()
        }
    }

    #[test]
    fn rolling_joins_inside_and_at_the_boundary_and_opens_after() {
        let clock = ManualClock::new(t0());
        let g = open_at(t0(), t0());
        let p = policy(DedupWindow::Rolling);
        clock.advance(TimeDelta::minutes(59));
        assert_eq!(
            decide(&p, Some(&g), AlertStatus::Firing, clock.now()).decision,
            DedupDecision::Joined
        );
        clock.set(t0() + TimeDelta::minutes(60));
        assert_eq!(
            decide(&p, Some(&g), AlertStatus::Firing, clock.now()).decision,
            DedupDecision::Joined
        );
        clock.advance(TimeDelta::milliseconds(1));
        assert_eq!(
            decide(&p, Some(&g), AlertStatus::Firing, clock.now()).decision,
            DedupDecision::NewGroup
        );
    }

    #[test]
    fn rolling_and_fixed_differ_on_a_long_running_group() {
        // first event at t0, last at t0+50m; a new event at t0+70m
        let g = open_at(t0(), t0() + TimeDelta::minutes(50));
        let now = t0() + TimeDelta::minutes(70);
        let rolling = decide(
            &policy(DedupWindow::Rolling),
            Some(&g),
            AlertStatus::Firing,
            now,
        );
        let fixed = decide(
            &policy(DedupWindow::Fixed),
            Some(&g),
            AlertStatus::Firing,
            now,
        );
        assert_eq!(rolling.decision, DedupDecision::Joined);
        assert_eq!(fixed.decision, DedupDecision::NewGroup);
        assert!(
            fixed.reason.contains("outside the fixed window"),
            "{}",
            fixed.reason
        );
    }

    #[test]
    fn until_resolved_has_no_time_limit() {
        let g = open_at(t0(), t0());
        let now = t0() + TimeDelta::days(400);
        let d = decide(
            &policy(DedupWindow::UntilResolved),
            Some(&g),
            AlertStatus::Firing,
            now,
        );
        assert_eq!(d.decision, DedupDecision::Joined);
    }

    #[test]
    fn reopen_inside_the_reopen_window_only() {
        let g = GroupSnapshot {
            status: GroupStatus::Resolved,
            window_start: t0(),
            last_seen: t0(),
            resolved_at: Some(t0() + TimeDelta::minutes(5)),
        };
        let p = DedupPolicy::default();
        let at = |m: i64| t0() + TimeDelta::minutes(5 + m);
        assert_eq!(
            decide(&p, Some(&g), AlertStatus::Firing, at(60)).decision,
            DedupDecision::Reopened
        );
        assert_eq!(
            decide(&p, Some(&g), AlertStatus::Firing, at(61)).decision,
            DedupDecision::NewGroup
        );
        let no_reopen = DedupPolicy {
            reopen_window_secs: 0,
            ..p
        };
        assert_eq!(
            decide(&no_reopen, Some(&g), AlertStatus::Firing, at(1)).decision,
            DedupDecision::NewGroup
        );
        assert_eq!(
            decide(&no_reopen, Some(&g), AlertStatus::Firing, at(0)).decision,
            DedupDecision::NewGroup
        );
    }

    #[test]
    fn resolves() {
        let p = DedupPolicy::default();
        let g = open_at(t0(), t0());
        assert_eq!(
            decide(&p, Some(&g), AlertStatus::Resolved, t0()).decision,
            DedupDecision::Resolved
        );
        // a resolve finds the open group even after the window has passed
        let late = t0() + TimeDelta::days(3);
        assert_eq!(
            decide(&p, Some(&g), AlertStatus::Resolved, late).decision,
            DedupDecision::Resolved
        );
        assert_eq!(
            decide(&p, None, AlertStatus::Resolved, t0()).decision,
            DedupDecision::Unmatched
        );
        let r = GroupSnapshot {
            status: GroupStatus::Resolved,
            resolved_at: Some(t0()),
            ..g
        };
        assert_eq!(
            decide(&p, Some(&r), AlertStatus::Resolved, t0()).decision,
            DedupDecision::Unmatched
        );
    }

    #[test]
    fn acknowledged_and_snoozed_groups_still_collect() {
        let p = DedupPolicy::default();
        for status in [GroupStatus::Acknowledged, GroupStatus::Snoozed] {
            let g = GroupSnapshot {
                status,
                ..open_at(t0(), t0())
            };
            let d = decide(
                &p,
                Some(&g),
                AlertStatus::Firing,
                t0() + TimeDelta::minutes(1),
            );
            assert_eq!(d.decision, DedupDecision::Joined);
        }
    }
}
