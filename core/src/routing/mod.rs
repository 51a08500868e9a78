//! Routing: ordered JSON rules with `continue`, silences and maintenance windows.
//!
//! Pure: compiled rules, silences and windows in, an alert, its group's notification state and
//! `now` in; a [`RouteDecision`] and its [`RouteTrace`] out. The engine stores both with the event.

pub mod condition;
pub mod evaluate;
pub mod replay;
pub mod rule;
pub mod silence;

pub use condition::{Condition, Field, Op};
pub use evaluate::{
    ChannelState, GroupContext, RouteDecision, RouteEvent, RouteTrace, RouteTraceView,
    RoutingContext, StoredRouteTrace, advance_state, evaluate,
};
pub use replay::{ReplayEvent, ReplayReport, replay};
pub use rule::{Candidates, RoutingRule, RuleActions, RuleSet};
pub use silence::{MaintenanceWindow, Silence};

use crate::Error;

/// Problems found while validating a document, each with its JSON path.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, String)>);

impl FieldErrors {
    /// Records a problem at `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push((path.into(), message.into()));
    }

    /// Records an error from a `json::Node` accessor.
    pub fn push_error(&mut self, e: Error) {
        match e {
            Error::InvalidInput { path, message } => self.0.push((path, message)),
            other => self.0.push(("$".into(), other.to_string())),
        }
    }

    /// How many problems were recorded.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether none were.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems, as `(path, message)`.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(p, m)| (p.as_str(), m.as_str()))
    }

    /// `Ok` when there are none; otherwise one `invalid_input` error: the first problem, and
    /// every other one on a line of its own.
    pub fn into_result(self) -> crate::Result<()> {
        let mut it = self.0.into_iter();
        let Some((path, mut message)) = it.next() else {
            return Ok(());
        };
        for (p, m) in it {
            message.push_str(&format!("\n{p}: {m}"));
        }
        Err(Error::InvalidInput { path, message })
    }
}
