//! The group state machine: states, commands, who may run them, and what each does. Pure.

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where a group is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// Firing and nobody has said they are on it.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Muted until a time.
    Snoozed,
    /// Over.
    Resolved,
}

impl GroupStatus {
    /// Every status.
    pub const ALL: [GroupStatus; 4] = [
        GroupStatus::Open,
        GroupStatus::Acknowledged,
        GroupStatus::Snoozed,
        GroupStatus::Resolved,
    ];

    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Open => "open",
            GroupStatus::Acknowledged => "acknowledged",
            GroupStatus::Snoozed => "snoozed",
            GroupStatus::Resolved => "resolved",
        }
    }

    /// Open, acknowledged or snoozed: the group still collects events.
    pub fn is_unresolved(self) -> bool {
        self != GroupStatus::Resolved
    }
}

impl fmt::Display for GroupStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for GroupStatus {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                Error::invalid(
                    "status",
                    format!(
                        "unknown status {s:?} (expected open, acknowledged, snoozed or resolved)"
                    ),
                )
            })
    }
}

/// A command on a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum Command {
    /// Someone is on it.
    Ack,
    /// Nobody is on it after all.
    Unack,
    /// Mute until a time.
    Snooze {
        /// Until when.
        until: DateTime<Utc>,
    },
    /// End a snooze early.
    Unsnooze,
    /// It is over.
    Resolve,
    /// It is not over after all.
    Reopen,
    /// Assign someone (or nobody).
    Assign {
        /// The assignee, or `None` to clear.
        user: Option<String>,
    },
    /// Add a note.
    Note {
        /// The text.
        text: String,
    },
    /// Attach a runbook link.
    Runbook {
        /// The URL.
        url: String,
    },
}

impl Command {
    /// The command's name as written on the timeline and in the CLI.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Ack => "ack",
            Command::Unack => "unack",
            Command::Snooze { .. } => "snooze",
            Command::Unsnooze => "unsnooze",
            Command::Resolve => "resolve",
            Command::Reopen => "reopen",
            Command::Assign { .. } => "assign",
            Command::Note { .. } => "note",
            Command::Runbook { .. } => "runbook",
        }
    }

    /// Checks the command's own arguments.
    pub fn validate(&self, now: DateTime<Utc>) -> Result<()> {
        match self {
            Command::Snooze { until } if *until <= now => {
                Err(Error::invalid("until", "a snooze must end in the future"))
            }
            Command::Note { text } if text.trim().is_empty() => {
                Err(Error::invalid("text", "a note needs text"))
            }
            Command::Note { text } if text.len() > 10_000 => {
                Err(Error::invalid("text", "a note is at most 10000 bytes"))
            }
            Command::Runbook { url }
                if !(url.starts_with("https://") || url.starts_with("http://"))
                    || url.len() > 2048 =>
            {
                Err(Error::invalid(
                    "url",
                    format!("expected an http(s) URL, got {url:?}"),
                ))
            }
            Command::Assign { user: Some(u) } if u.trim().is_empty() || u.len() > 256 => {
                Err(Error::invalid("user", "expected a user name (or --none)"))
            }
            _ => Ok(()),
        }
    }
}

/// Who may do what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Reads only.
    Viewer,
    /// Works alerts: every group command.
    Member,
    /// Also configures: rules, silences, maintenance, escalation, integrations.
    Admin,
    /// Everything.
    Owner,
}

impl Role {
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }
}

impl FromStr for Role {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "viewer" => Ok(Role::Viewer),
            "member" => Ok(Role::Member),
            "admin" => Ok(Role::Admin),
            "owner" => Ok(Role::Owner),
            _ => Err(Error::invalid(
                "role",
                format!("unknown role {s:?} (expected owner, admin, member or viewer)"),
            )),
        }
    }
}

/// Something a role may or may not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission<'a> {
    /// Read groups, rules, settings and history.
    Read,
    /// A group command.
    Act(&'a Command),
    /// Change rules, silences, maintenance windows, escalation policies, channels, integrations.
    Configure,
    /// Create workspaces and change who is what.
    Administer,
}

/// Whether `role` may do `what`; a refusal is [`ErrorKind::Forbidden`](crate::ErrorKind).
pub fn authorize(role: Role, what: Permission<'_>) -> Result<()> {
    let needed = match what {
        Permission::Read => Role::Viewer,
        Permission::Act(_) => Role::Member,
        Permission::Configure => Role::Admin,
        Permission::Administer => Role::Owner,
    };
    if role >= needed {
        return Ok(());
    }
    let what = match what {
        Permission::Read => "read the workspace".to_string(),
        Permission::Act(c) => format!("run {}", c.name()),
        Permission::Configure => "change configuration".to_string(),
        Permission::Administer => "administer the workspace".to_string(),
    };
    Err(Error::Forbidden(format!(
        "a {} may not {what} (needs {} or above)",
        role.as_str(),
        needed.as_str()
    )))
}

/// A group's lifecycle state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleState {
    /// Its status.
    pub status: GroupStatus,
    /// When a snooze ends.
    pub snoozed_until: Option<DateTime<Utc>>,
    /// Who is assigned.
    pub assignee: Option<String>,
    /// The runbook link.
    pub runbook: Option<String>,
}

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The state after.
    pub state: LifecycleState,
    /// Nothing changed (a double-click): no timeline entry.
    pub noop: bool,
    /// The status before.
    pub from: GroupStatus,
}

/// Applies `cmd` to `state` at `now`. A command that does not apply is a `conflict`; one that
/// is already in effect (ack of an acknowledged group) is a no-op, not an error.
pub fn apply(state: &LifecycleState, cmd: &Command, now: DateTime<Utc>) -> Result<Transition> {
    use GroupStatus::*;
    let from = state.status;
    let mut next = state.clone();
    let conflict = || {
        Err(Error::Conflict(format!(
            "cannot {} a group that is {}",
            cmd.name(),
            from.as_str()
        )))
    };
    match (cmd, from) {
        (Command::Ack, Open | Snoozed) => {
            next.status = Acknowledged;
            next.snoozed_until = None;
        }
        (Command::Ack, Acknowledged) => {}
        (Command::Ack, Resolved) => return conflict(),
        (Command::Unack, Acknowledged) => next.status = Open,
        (Command::Unack, Open) => {}
        (Command::Unack, _) => return conflict(),
        (Command::Snooze { until }, Open | Acknowledged | Snoozed) => {
            next.status = Snoozed;
            next.snoozed_until = Some(*until);
        }
        (Command::Snooze { .. }, Resolved) => return conflict(),
        (Command::Unsnooze, Snoozed) => {
            next.status = Open;
            next.snoozed_until = None;
        }
        (Command::Unsnooze, _) => return conflict(),
        (Command::Resolve, Open | Acknowledged | Snoozed) => {
            next.status = Resolved;
            next.snoozed_until = None;
        }
        (Command::Resolve, Resolved) => {}
        (Command::Reopen, Resolved) => next.status = Open,
        (Command::Reopen, _) => return conflict(),
        (Command::Assign { user }, _) => next.assignee.clone_from(user),
        (Command::Note { .. }, _) => {
            // A note always adds an entry, however often it is said.
            return Ok(Transition {
                state: next,
                noop: false,
                from,
            });
        }
        (Command::Runbook { url }, _) => next.runbook = Some(url.clone()),
    }
    let _ = now;
    let noop = next == *state;
    Ok(Transition {
        state: next,
        noop,
        from,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(status: GroupStatus) -> LifecycleState {
        LifecycleState {
            status,
            snoozed_until: None,
            assignee: None,
            runbook: None,
        }
    }

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + h * 3600, 0).unwrap_or_default()
    }

    /// Every (state, command) pair against the table of the lifecycle.
    #[test]
    fn every_state_and_command() {
        use GroupStatus::*;
        let cmds = [
            Command::Ack,
            Command::Unack,
            Command::Snooze { until: t(5) },
            Command::Unsnooze,
            Command::Resolve,
            Command::Reopen,
            Command::Assign {
                user: Some("alice".into()),
            },
            Command::Note {
                text: "looking".into(),
            },
            Command::Runbook {
                url: "https://wiki/rb".into(),
            },
        ];
        // expected: Ok((to, noop)) or Err(conflict)
        let expect = |from: GroupStatus, c: &Command| -> Option<(GroupStatus, bool)> {
            Some(match (c.name(), from) {
                ("ack", Open | Snoozed) => (Acknowledged, false),
                ("ack", Acknowledged) => (Acknowledged, true),
                ("ack", Resolved) => return None,
                ("unack", Acknowledged) => (Open, false),
                ("unack", Open) => (Open, true),
                ("unack", _) => return None,
                ("snooze", Open | Acknowledged) => (Snoozed, false),
                ("snooze", Snoozed) => (Snoozed, false), // moves the end
                ("snooze", Resolved) => return None,
                ("unsnooze", Snoozed) => (Open, false),
                ("unsnooze", _) => return None,
                ("resolve", Resolved) => (Resolved, true),
                ("resolve", _) => (Resolved, false),
                ("reopen", Resolved) => (Open, false),
                ("reopen", _) => return None,
                (_, s) => (s, false),
            })
        };
        for from in GroupStatus::ALL {
            for c in &cmds {
                let mut st = state(from);
                if from == Snoozed {
                    st.snoozed_until = Some(t(1));
                }
                let got = apply(&st, c, t(0));
                match expect(from, c) {
                    None => {
                        let e = got.err().map(|e| e.kind());
                        assert_eq!(e, Some(crate::ErrorKind::Conflict), "{from:?} {}", c.name());
                    }
                    Some((to, noop)) => {
                        let tr = got.unwrap_or_else(|e| panic!("{from:?} {}: {e}", c.name()));
                        assert_eq!(
                            (tr.state.status, tr.noop, tr.from),
                            (to, noop, from),
                            "{from:?} {}",
                            c.name()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn snooze_moves_its_end_and_ack_clears_it() {
        let st = state(GroupStatus::Open);
        let a =
            apply(&st, &Command::Snooze { until: t(2) }, t(0)).unwrap_or_else(|e| panic!("{e}"));
        let b = apply(&a.state, &Command::Snooze { until: t(4) }, t(1))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(b.state.snoozed_until, Some(t(4)));
        let c = apply(&b.state, &Command::Ack, t(1)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.state.snoozed_until, None);
    }

    #[test]
    fn roles() {
        let ack = Command::Ack;
        assert!(authorize(Role::Viewer, Permission::Act(&ack)).is_err());
        assert!(authorize(Role::Member, Permission::Act(&ack)).is_ok());
        assert!(authorize(Role::Member, Permission::Configure).is_err());
        assert!(authorize(Role::Admin, Permission::Configure).is_ok());
        assert!(authorize(Role::Admin, Permission::Administer).is_err());
        assert!(authorize(Role::Owner, Permission::Administer).is_ok());
        let e = authorize(Role::Viewer, Permission::Act(&ack))
            .err()
            .map(|e| e.kind());
        assert_eq!(e, Some(crate::ErrorKind::Forbidden));
    }

    #[test]
    fn command_arguments() {
        assert!(Command::Snooze { until: t(0) }.validate(t(0)).is_err());
        assert!(Command::Note { text: " ".into() }.validate(t(0)).is_err());
        assert!(
            Command::Runbook {
                url: "ftp://x".into()
            }
            .validate(t(0))
            .is_err()
        );
        assert!(
            Command::Assign {
                user: Some(String::new())
            }
            .validate(t(0))
            .is_err()
        );
        assert!(Command::Assign { user: None }.validate(t(0)).is_ok());
    }
}
