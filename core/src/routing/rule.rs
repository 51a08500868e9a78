//! Routing rules: the schema, validation with JSON-path errors, and the ordered rule set.

use super::FieldErrors;
use super::condition::{Condition, Field};
use crate::Result;
use crate::alert::Severity;
use crate::json::Node;
use serde_json::{Value, json};
use std::collections::HashMap;

/// What a matching rule asks for.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleActions {
    /// Channels to notify.
    pub notify: Vec<String>,
    /// Mentions to add (`@here`, `@oncall`).
    pub mention: Vec<String>,
    /// The escalation policy to attach to the group.
    pub escalation: Option<String>,
    /// Store without notifying.
    pub suppress: bool,
    /// Overrides the alert's severity.
    pub set_severity: Option<Severity>,
    /// Holds the first notification this long, so a quick resolve never pages.
    pub group_wait_secs: u64,
    /// Re-notifies while the group stays open, this often.
    pub repeat_interval_mins: Option<u64>,
}

/// One routing rule.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingRule {
    /// Unique id within the workspace.
    pub id: String,
    /// A name for humans.
    pub name: Option<String>,
    /// Lower runs first; ties by id.
    pub priority: i64,
    /// Disabled rules are skipped (and the trace says so).
    pub enabled: bool,
    /// When it applies.
    pub when: Condition,
    /// What it does.
    pub then: RuleActions,
    /// Keep evaluating later rules after this one matched.
    pub continue_: bool,
}

/// The default priority of a rule that names none.
pub const DEFAULT_PRIORITY: i64 = 100;
/// The most rules one workspace may have.
pub const MAX_RULES: usize = 10_000;

fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/' | '#'))
}

fn check_keys(node: &Node<'_>, known: &[&str], errors: &mut FieldErrors) {
    if let Some(map) = node.value().as_object() {
        for k in map.keys() {
            if !known.contains(&k.as_str()) {
                errors.push(
                    format!("{}.{k}", node.path()),
                    format!("unknown key (known: {})", known.join(", ")),
                );
            }
        }
    }
}

fn string_list(
    node: Option<Node<'_>>,
    errors: &mut FieldErrors,
    channel_names: bool,
) -> Vec<String> {
    let Some(node) = node else { return Vec::new() };
    let Ok(items) = node.array() else {
        errors.push(node.path(), "expected a list of strings");
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for item in items {
        match item.str() {
            Ok(s) if channel_names && !valid_name(s) => {
                errors.push(item.path(), format!("not a channel name: {s:?}"))
            }
            Ok("") => errors.push(item.path(), "empty"),
            Ok(s) => {
                if !out.iter().any(|x| x == s) {
                    out.push(s.to_string());
                }
            }
            Err(e) => errors.push_error(e),
        }
    }
    out
}

fn opt_u64(node: Option<Node<'_>>, errors: &mut FieldErrors, max: u64) -> Option<u64> {
    let node = node?;
    match node.value().as_u64() {
        Some(n) if n <= max => Some(n),
        Some(_) => {
            errors.push(node.path(), format!("at most {max}"));
            None
        }
        None => {
            errors.push(node.path(), "expected a whole number of at least 0");
            None
        }
    }
}

fn opt_bool(node: Option<Node<'_>>, errors: &mut FieldErrors) -> Option<bool> {
    let node = node?;
    match node.value().as_bool() {
        Some(b) => Some(b),
        None => {
            errors.push(node.path(), "expected true or false");
            None
        }
    }
}

impl RuleActions {
    /// Parses a `then` object.
    pub fn parse(node: &Node<'_>, errors: &mut FieldErrors) -> RuleActions {
        if node.value().as_object().is_none() {
            errors.push(node.path(), "expected an object");
            return RuleActions::default();
        }
        check_keys(
            node,
            &[
                "notify",
                "mention",
                "escalation",
                "suppress",
                "set_severity",
                "group_wait_secs",
                "repeat_interval_mins",
            ],
            errors,
        );
        let escalation = match node.get("escalation").map(|n| n.str().map(|s| (s, n))) {
            None => None,
            Some(Ok((s, n))) if !valid_name(s) => {
                errors.push(n.path(), format!("not a policy name: {s:?}"));
                None
            }
            Some(Ok((s, _))) => Some(s.to_string()),
            Some(Err(e)) => {
                errors.push_error(e);
                None
            }
        };
        let set_severity = match node.get("set_severity").map(|n| n.str().map(|s| (s, n))) {
            None => None,
            Some(Ok((s, n))) => match s.parse::<Severity>() {
                Ok(sev) => Some(sev),
                Err(_) => {
                    errors.push(n.path(), format!("unknown severity {s:?}"));
                    None
                }
            },
            Some(Err(e)) => {
                errors.push_error(e);
                None
            }
        };
        RuleActions {
            notify: string_list(node.get("notify"), errors, true),
            mention: string_list(node.get("mention"), errors, false),
            escalation,
            suppress: opt_bool(node.get("suppress"), errors).unwrap_or(false),
            set_severity,
            group_wait_secs: opt_u64(node.get("group_wait_secs"), errors, 86_400).unwrap_or(0),
            repeat_interval_mins: opt_u64(node.get("repeat_interval_mins"), errors, 525_600)
                .filter(|m| *m > 0),
        }
    }

    /// The actions as JSON.
    pub fn to_json(&self) -> Value {
        json!({
            "notify": self.notify, "mention": self.mention, "escalation": self.escalation,
            "suppress": self.suppress, "set_severity": self.set_severity,
            "group_wait_secs": self.group_wait_secs, "repeat_interval_mins": self.repeat_interval_mins,
        })
    }
}

impl RoutingRule {
    /// Parses one rule at `node`, adding every problem to `errors`.
    pub fn parse(node: &Node<'_>, errors: &mut FieldErrors) -> Option<RoutingRule> {
        if node.value().as_object().is_none() {
            errors.push(node.path(), "expected a rule object");
            return None;
        }
        let before = errors.len();
        check_keys(
            node,
            &[
                "id", "name", "priority", "enabled", "when", "then", "continue",
            ],
            errors,
        );
        let id = match node.get("id").map(|n| n.str().map(|s| (s, n))) {
            None => {
                errors.push(format!("{}.id", node.path()), "missing");
                String::new()
            }
            Some(Ok((s, n))) => {
                if !valid_name(s) {
                    errors.push(
                        n.path(),
                        format!("ids are 1 to 128 letters, digits or . _ - : / #; got {s:?}"),
                    );
                }
                s.to_string()
            }
            Some(Err(e)) => {
                errors.push_error(e);
                String::new()
            }
        };
        let name = match node.get("name").map(|n| n.str()) {
            None => None,
            Some(Ok(s)) => Some(s.to_string()),
            Some(Err(e)) => {
                errors.push_error(e);
                None
            }
        };
        let priority = match node.get("priority") {
            None => DEFAULT_PRIORITY,
            Some(n) => match n.value().as_i64() {
                Some(p) if p.abs() <= 1_000_000_000 => p,
                _ => {
                    errors.push(n.path(), "expected a whole number between -1e9 and 1e9");
                    DEFAULT_PRIORITY
                }
            },
        };
        let enabled = opt_bool(node.get("enabled"), errors).unwrap_or(true);
        let continue_ = opt_bool(node.get("continue"), errors).unwrap_or(false);
        let when = match node.get("when") {
            Some(w) => Condition::parse(&w, errors),
            None => Some(Condition::Always),
        };
        let then = match node.get("then") {
            Some(t) => RuleActions::parse(&t, errors),
            None => RuleActions::default(),
        };
        if errors.len() != before {
            return None;
        }
        Some(RoutingRule {
            id,
            name,
            priority,
            enabled,
            when: when?,
            then,
            continue_,
        })
    }

    /// Parses one rule from JSON.
    pub fn from_json(value: &Value) -> Result<RoutingRule> {
        let mut errors = FieldErrors::default();
        let rule = Self::parse(&Node::at(value, "rule"), &mut errors);
        errors.into_result()?;
        rule.ok_or_else(|| crate::Error::invalid("rule", "invalid rule"))
    }

    /// The rule as JSON; parsing it gives the same rule back.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id, "name": self.name, "priority": self.priority, "enabled": self.enabled,
            "when": self.when.to_json(), "then": self.then.to_json(), "continue": self.continue_,
        })
    }
}

/// A workspace's rules, in evaluation order (ascending priority, ties by id).
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<RoutingRule>,
    index: Option<RuleIndex>,
}

impl PartialEq for RuleSet {
    fn eq(&self, other: &Self) -> bool {
        self.rules == other.rules
    }
}

/// Which rules can match an alert, by one field that many rules require to equal a value
/// (`environment eq production`): rules that require another value are never evaluated.
#[derive(Debug, Clone)]
struct RuleIndex {
    field: Field,
    by_value: HashMap<String, Vec<usize>>,
    /// Rules that do not constrain the field: always candidates.
    rest: Vec<usize>,
}

impl RuleIndex {
    /// Builds the index on the field that the most rules constrain; none when it would not help.
    fn build(rules: &[RoutingRule]) -> Option<RuleIndex> {
        let mut counts: HashMap<&Field, usize> = HashMap::new();
        for r in rules {
            for (f, _) in r.when.required_values() {
                *counts.entry(f).or_default() += 1;
            }
        }
        let (field, n) = counts
            .into_iter()
            .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.name().cmp(&a.0.name())))?;
        if n < 8 {
            return None;
        }
        let field = field.clone();
        let mut by_value: HashMap<String, Vec<usize>> = HashMap::new();
        let mut rest = Vec::new();
        for (i, r) in rules.iter().enumerate() {
            let values: Vec<&str> = r
                .when
                .required_values()
                .into_iter()
                .filter(|(f, _)| **f == field)
                .map(|(_, v)| v)
                .min_by_key(Vec::len)
                .unwrap_or_default();
            if values.is_empty() && !r.when.required_values().iter().any(|(f, _)| **f == field) {
                rest.push(i);
            } else {
                for v in values {
                    let list = by_value.entry(v.to_string()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        Some(RuleIndex {
            field,
            by_value,
            rest,
        })
    }
}

impl RuleSet {
    /// Parses and validates a JSON list of rules; every problem is reported with its path
    /// (`rules[2].when.all[0].op: unknown operator "equalz"`).
    pub fn from_json(value: &Value) -> Result<RuleSet> {
        let root = Node::at(value, "rules");
        let mut errors = FieldErrors::default();
        let items = match root.array() {
            Ok(items) => items,
            Err(_) => {
                errors.push("rules", "expected a JSON list of rules");
                errors.into_result()?;
                return Ok(RuleSet::default());
            }
        };
        if items.len() > MAX_RULES {
            errors.push("rules", format!("at most {MAX_RULES} rules"));
        }
        let mut rules = Vec::with_capacity(items.len());
        for item in &items {
            if let Some(r) = RoutingRule::parse(item, &mut errors) {
                rules.push(r);
            }
        }
        for (i, r) in rules.iter().enumerate() {
            if rules[..i].iter().any(|o| o.id == r.id) {
                let pos = items
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| n.value().get("id").and_then(Value::as_str) == Some(&r.id))
                    .nth(1)
                    .map_or(i, |(p, _)| p);
                errors.push(
                    format!("rules[{pos}].id"),
                    format!("duplicate id {:?}", r.id),
                );
            }
        }
        errors.into_result()?;
        Ok(Self::new(rules))
    }

    /// A rule set from parsed rules (sorted into evaluation order).
    pub fn new(mut rules: Vec<RoutingRule>) -> RuleSet {
        rules.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id)));
        let index = RuleIndex::build(&rules);
        RuleSet { rules, index }
    }

    /// The positions of the rules that can match `alert`, in evaluation order. Every other rule
    /// requires a value the alert does not have.
    pub fn candidates(&self, alert: &crate::alert::NormalizedAlert) -> Candidates<'_> {
        match &self.index {
            None => Candidates::All(0..self.rules.len()),
            Some(ix) => {
                let hits = ix
                    .field
                    .get(alert)
                    .and_then(|v| ix.by_value.get(v))
                    .map_or(&[][..], Vec::as_slice);
                Candidates::Merge {
                    a: hits,
                    b: &ix.rest,
                }
            }
        }
    }

    /// The same rules with no index: every rule is evaluated (for tests and benches that compare).
    pub fn without_index(&self) -> RuleSet {
        RuleSet {
            rules: self.rules.clone(),
            index: None,
        }
    }

    /// The field the rule index is built on, if any.
    pub fn indexed_field(&self) -> Option<&Field> {
        self.index.as_ref().map(|i| &i.field)
    }

    /// The rules in evaluation order.
    pub fn rules(&self) -> &[RoutingRule] {
        &self.rules
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule set as a JSON list, in evaluation order.
    pub fn to_json(&self) -> Value {
        Value::Array(self.rules.iter().map(RoutingRule::to_json).collect())
    }
}

/// Rule positions in evaluation order (see [`RuleSet::candidates`]).
#[derive(Debug, Clone)]
pub enum Candidates<'a> {
    /// Every rule.
    All(std::ops::Range<usize>),
    /// Two sorted lists merged.
    Merge {
        /// One list.
        a: &'a [usize],
        /// The other.
        b: &'a [usize],
    },
}

impl Iterator for Candidates<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self {
            Candidates::All(r) => r.next(),
            Candidates::Merge { a, b } => {
                let take_a = match (a.first(), b.first()) {
                    (Some(x), Some(y)) => x <= y,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => return None,
                };
                let list = if take_a { a } else { b };
                let (first, rest) = list.split_first()?;
                *list = rest;
                Some(*first)
            }
        }
    }
}
