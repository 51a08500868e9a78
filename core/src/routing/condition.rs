//! The condition language shared by rules, silences and maintenance windows.
//!
//! A condition is one matcher `{"field", "op", "value"}` or a node `{"all": [...]}`,
//! `{"any": [...]}`, `{"not": ...}`, nested freely; `{}` matches everything. Fields: `source`,
//! `project`, `environment`, `severity`, `status`, `title`, `fingerprint`, `tags.<name>`.
//! Ops: `eq ne in not_in contains starts_with ends_with regex glob exists gt gte lt lte`.
//! `severity` compares by its order (debug < info < warning < error < critical); other fields
//! compare `gt`…`lte` as numbers. A missing field fails every op but `ne`, `not_in` and
//! `exists: false`. Regexes and globs are anchored (they must match the whole value).

use super::FieldErrors;
use crate::alert::{NormalizedAlert, Severity};
use crate::json::Node;
use serde_json::{Map, Value, json};
use std::borrow::Cow;

/// The longest regex or glob pattern accepted.
pub const MAX_PATTERN_LEN: usize = 1024;
/// The compiled size limit of one regex.
const REGEX_SIZE_LIMIT: usize = 256 * 1024;
/// The deepest nesting accepted.
pub const MAX_DEPTH: usize = 32;

/// A field of an alert a condition can look at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// The source's name.
    Source,
    /// The project.
    Project,
    /// The environment.
    Environment,
    /// The severity (compared by order).
    Severity,
    /// `firing` or `resolved`.
    Status,
    /// The title.
    Title,
    /// The source's fingerprint.
    Fingerprint,
    /// A tag or label.
    Tag(String),
}

impl Field {
    fn parse(name: &str) -> Option<Field> {
        Some(match name {
            "source" => Field::Source,
            "project" => Field::Project,
            "environment" => Field::Environment,
            "severity" => Field::Severity,
            "status" => Field::Status,
            "title" => Field::Title,
            "fingerprint" => Field::Fingerprint,
            _ => {
                let tag = name.strip_prefix("tags.")?;
                if tag.is_empty() {
                    return None;
                }
                Field::Tag(tag.to_string())
            }
        })
    }

    /// The field's name as written in conditions.
    pub fn name(&self) -> Cow<'_, str> {
        match self {
            Field::Source => "source".into(),
            Field::Project => "project".into(),
            Field::Environment => "environment".into(),
            Field::Severity => "severity".into(),
            Field::Status => "status".into(),
            Field::Title => "title".into(),
            Field::Fingerprint => "fingerprint".into(),
            Field::Tag(t) => format!("tags.{t}").into(),
        }
    }

    /// The field's value in `a`, if present.
    pub fn get<'a>(&self, a: &'a NormalizedAlert) -> Option<&'a str> {
        match self {
            Field::Source => Some(a.source.as_str()),
            Field::Project => a.project.as_deref(),
            Field::Environment => a.environment.as_deref(),
            Field::Severity => Some(a.severity.as_str()),
            Field::Status => Some(a.status.as_str()),
            Field::Title => Some(&a.title),
            Field::Fingerprint => Some(&a.fingerprint),
            Field::Tag(t) => a.tags.get(t).map(String::as_str),
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Equal.
    Eq,
    /// Not equal (true when the field is missing).
    Ne,
    /// One of a list.
    In,
    /// None of a list (true when the field is missing).
    NotIn,
    /// Contains a substring.
    Contains,
    /// Starts with.
    StartsWith,
    /// Ends with.
    EndsWith,
    /// Matches an anchored regex.
    Regex,
    /// Matches an anchored glob (`*`, `?`).
    Glob,
    /// Is present (`value: true`, the default) or absent (`value: false`).
    Exists,
    /// Greater than.
    Gt,
    /// Greater or equal.
    Gte,
    /// Less than.
    Lt,
    /// Less or equal.
    Lte,
}

const OPS: [(&str, Op); 14] = [
    ("eq", Op::Eq),
    ("ne", Op::Ne),
    ("in", Op::In),
    ("not_in", Op::NotIn),
    ("contains", Op::Contains),
    ("starts_with", Op::StartsWith),
    ("ends_with", Op::EndsWith),
    ("regex", Op::Regex),
    ("glob", Op::Glob),
    ("exists", Op::Exists),
    ("gt", Op::Gt),
    ("gte", Op::Gte),
    ("lt", Op::Lt),
    ("lte", Op::Lte),
];

impl Op {
    fn name(self) -> &'static str {
        OPS.iter().find(|(_, o)| *o == self).map_or("?", |(n, _)| n)
    }
}

#[derive(Debug, Clone)]
enum Compiled {
    Text(String),
    Set(Vec<String>),
    Pattern(regex::Regex),
    Exists(bool),
    Rank(i64),
    Number(f64),
}

/// One `{"field", "op", "value"}` comparison, compiled.
#[derive(Debug, Clone)]
pub struct Matcher {
    field: Field,
    op: Op,
    value: Value,
    compiled: Compiled,
}

/// A condition tree, compiled.
#[derive(Debug, Clone)]
pub enum Condition {
    /// `{}`: matches everything.
    Always,
    /// One comparison.
    Match(Box<Matcher>),
    /// Every child matches.
    All(Vec<Condition>),
    /// At least one child matches.
    Any(Vec<Condition>),
    /// The child does not match.
    Not(Box<Condition>),
}

impl PartialEq for Condition {
    fn eq(&self, other: &Self) -> bool {
        self.to_json() == other.to_json()
    }
}

/// Why a condition did not match: where (a path below the condition) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The path of the failing part, relative to the condition (`all[1]`, or empty).
    pub at: String,
    /// What failed.
    pub why: String,
}

fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => prefix.to_string(),
        _ if rest.starts_with('[') => format!("{prefix}{rest}"),
        _ => format!("{prefix}.{rest}"),
    }
}

fn glob_to_regex(glob: &str) -> String {
    let mut re = String::with_capacity(glob.len() * 2);
    for c in glob.chars() {
        match c {
            '*' => re.push_str(".*"),
            '?' => re.push('.'),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re
}

fn compile_pattern(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.len() > MAX_PATTERN_LEN {
        return Err(format!("pattern longer than {MAX_PATTERN_LEN} bytes"));
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("bad regex: {e}"))
}

fn number_of(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Condition {
    /// If the condition can only match alerts whose `field` is one of a few exact values
    /// (a top-level `eq`/`in`, or one inside a top-level `all`), those values by field.
    pub fn required_values(&self) -> Vec<(&Field, Vec<&str>)> {
        fn from_matcher(m: &Matcher) -> Option<(&Field, Vec<&str>)> {
            match (&m.op, &m.compiled) {
                (Op::Eq, Compiled::Text(t)) => Some((&m.field, vec![t.as_str()])),
                (Op::In, Compiled::Set(s)) => {
                    Some((&m.field, s.iter().map(String::as_str).collect()))
                }
                _ => None,
            }
        }
        match self {
            Condition::Match(m) => from_matcher(m.as_ref()).into_iter().collect(),
            Condition::All(children) => children
                .iter()
                .filter_map(|c| match c {
                    Condition::Match(m) => from_matcher(m),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Parses and compiles a condition at `node`, adding every problem to `errors`.
    pub fn parse(node: &Node<'_>, errors: &mut FieldErrors) -> Option<Condition> {
        Self::parse_at(node, errors, 0)
    }

    /// Parses a standalone condition (as `--when JSON` takes it); errors name paths under `root`.
    pub fn from_json(value: &Value, root: &str) -> crate::Result<Condition> {
        let mut errors = FieldErrors::default();
        let c = Self::parse(&Node::at(value, root), &mut errors);
        errors.into_result()?;
        c.ok_or_else(|| crate::Error::invalid(root, "invalid condition"))
    }

    fn parse_at(node: &Node<'_>, errors: &mut FieldErrors, depth: usize) -> Option<Condition> {
        if depth > MAX_DEPTH {
            errors.push(
                node.path(),
                format!("nested deeper than {MAX_DEPTH} levels"),
            );
            return None;
        }
        let Some(map) = node.value().as_object() else {
            errors.push(node.path(), "expected a condition object");
            return None;
        };
        if map.is_empty() {
            return Some(Condition::Always);
        }
        let node_keys = ["all", "any", "not"];
        let present: Vec<&str> = node_keys
            .iter()
            .copied()
            .filter(|k| map.contains_key(*k))
            .collect();
        if !present.is_empty() {
            if map.len() != 1 {
                let extra: Vec<&String> = map
                    .keys()
                    .filter(|k| !node_keys.contains(&k.as_str()))
                    .collect();
                let what = if present.len() > 1 {
                    format!(
                        "only one of all/any/not per object, found {}",
                        present.join(", ")
                    )
                } else {
                    format!(
                        "unknown key {:?} beside {:?}",
                        extra.first().map_or("", |s| s.as_str()),
                        present[0]
                    )
                };
                errors.push(node.path(), what);
                return None;
            }
            let key = present[0];
            let child = node.get(key)?;
            return match key {
                "not" => {
                    Self::parse_at(&child, errors, depth + 1).map(|c| Condition::Not(Box::new(c)))
                }
                _ => {
                    let Ok(items) = child.array() else {
                        errors.push(child.path(), "expected a list of conditions");
                        return None;
                    };
                    if items.is_empty() {
                        errors.push(child.path(), "an empty list (use {} to match everything)");
                        return None;
                    }
                    let parsed: Vec<Option<Condition>> = items
                        .iter()
                        .map(|i| Self::parse_at(i, errors, depth + 1))
                        .collect();
                    let all: Option<Vec<Condition>> = parsed.into_iter().collect();
                    let all = all?;
                    Some(if key == "all" {
                        Condition::All(all)
                    } else {
                        Condition::Any(all)
                    })
                }
            };
        }
        Matcher::parse(node, map, errors).map(|m| Condition::Match(Box::new(m)))
    }

    /// The condition as JSON (what it was parsed from, normalized).
    pub fn to_json(&self) -> Value {
        match self {
            Condition::Always => json!({}),
            Condition::Match(m) => {
                json!({"field": m.field.name(), "op": m.op.name(), "value": m.value})
            }
            Condition::All(c) => {
                json!({"all": c.iter().map(Condition::to_json).collect::<Vec<_>>()})
            }
            Condition::Any(c) => {
                json!({"any": c.iter().map(Condition::to_json).collect::<Vec<_>>()})
            }
            Condition::Not(c) => json!({"not": c.to_json()}),
        }
    }

    /// Whether `alert` matches (no allocation: the hot path of routing).
    pub fn matches(&self, alert: &NormalizedAlert) -> bool {
        match self {
            Condition::Always => true,
            Condition::Match(m) => m.test(alert),
            Condition::All(children) => children.iter().all(|c| c.matches(alert)),
            Condition::Any(children) => children.iter().any(|c| c.matches(alert)),
            Condition::Not(c) => !c.matches(alert),
        }
    }

    /// `Ok` if `alert` matches, else the first part that failed and why.
    pub fn check(&self, alert: &NormalizedAlert) -> Result<(), Miss> {
        match self {
            Condition::Always => Ok(()),
            Condition::Match(m) => m.check(alert).map_err(|why| Miss {
                at: String::new(),
                why,
            }),
            Condition::All(children) => {
                for (i, c) in children.iter().enumerate() {
                    c.check(alert).map_err(|m| Miss {
                        at: join(&format!("all[{i}]"), &m.at),
                        why: m.why,
                    })?;
                }
                Ok(())
            }
            Condition::Any(children) => {
                if children.iter().any(|c| c.matches(alert)) {
                    Ok(())
                } else {
                    Err(Miss {
                        at: "any".into(),
                        why: format!("none of {} conditions matched", children.len()),
                    })
                }
            }
            Condition::Not(c) => match c.check(alert) {
                Ok(()) => Err(Miss {
                    at: "not".into(),
                    why: format!("negated condition matched: {}", c.to_json()),
                }),
                Err(_) => Ok(()),
            },
        }
    }
}

impl Matcher {
    fn parse(
        node: &Node<'_>,
        map: &Map<String, Value>,
        errors: &mut FieldErrors,
    ) -> Option<Matcher> {
        let before = errors.len();
        for key in map.keys() {
            if !matches!(key.as_str(), "field" | "op" | "value") {
                errors.push(
                    format!("{}.{key}", node.path()),
                    "unknown key (a condition has field, op and value, or is all/any/not)",
                );
            }
        }
        let field = match node.get("field").map(|f| f.str().map(|s| (s, f))) {
            None => {
                errors.push(format!("{}.field", node.path()), "missing");
                None
            }
            Some(Err(e)) => {
                errors.push_error(e);
                None
            }
            Some(Ok((name, f))) => match Field::parse(name) {
                Some(field) => Some(field),
                None => {
                    errors.push(f.path(), format!(
                        "unknown field {name:?} (known: source, project, environment, severity, status, title, fingerprint, tags.<name>)"
                    ));
                    None
                }
            },
        };
        let op = match node.get("op").map(|o| o.str().map(|s| (s, o))) {
            None => {
                errors.push(format!("{}.op", node.path()), "missing");
                None
            }
            Some(Err(e)) => {
                errors.push_error(e);
                None
            }
            Some(Ok((name, o))) => match OPS.iter().find(|(n, _)| *n == name) {
                Some((_, op)) => Some(*op),
                None => {
                    errors.push(o.path(), format!("unknown operator {name:?}"));
                    None
                }
            },
        };
        let (field, op) = (field?, op?);
        let value_path = format!("{}.value", node.path());
        let value = match node.value().get("value") {
            Some(v) => v.clone(),
            None if op == Op::Exists => Value::Bool(true),
            None => {
                errors.push(value_path, "missing");
                return None;
            }
        };
        let compiled = match Self::compile(&field, op, &value) {
            Ok(c) => c,
            Err(why) => {
                errors.push(value_path, why);
                return None;
            }
        };
        (errors.len() == before).then_some(Matcher {
            field,
            op,
            value,
            compiled,
        })
    }

    fn compile(field: &Field, op: Op, value: &Value) -> Result<Compiled, String> {
        let text = || {
            value
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| format!("{} expects a string", op.name()))
        };
        let severity = |v: &Value| -> Result<i64, String> {
            v.as_str()
                .and_then(|s| s.parse::<Severity>().ok())
                .map(Severity::rank)
                .ok_or_else(|| {
                    format!("expected a severity (debug, info, warning, error, critical), got {v}")
                })
        };
        Ok(match op {
            Op::Eq | Op::Ne => {
                if *field == Field::Severity {
                    severity(value)?;
                }
                Compiled::Text(text()?)
            }
            Op::In | Op::NotIn => {
                let items = value
                    .as_array()
                    .ok_or_else(|| format!("{} expects a list of strings", op.name()))?;
                let mut set = Vec::with_capacity(items.len());
                for (i, v) in items.iter().enumerate() {
                    let s = v
                        .as_str()
                        .ok_or_else(|| format!("item {i} is not a string"))?;
                    if *field == Field::Severity {
                        severity(v).map_err(|e| format!("item {i}: {e}"))?;
                    }
                    set.push(s.to_string());
                }
                Compiled::Set(set)
            }
            Op::Contains | Op::StartsWith | Op::EndsWith => Compiled::Text(text()?),
            Op::Regex => Compiled::Pattern(compile_pattern(&text()?)?),
            Op::Glob => {
                let g = text()?;
                if g.len() > MAX_PATTERN_LEN {
                    return Err(format!("pattern longer than {MAX_PATTERN_LEN} bytes"));
                }
                Compiled::Pattern(compile_pattern(&glob_to_regex(&g))?)
            }
            Op::Exists => Compiled::Exists(value.as_bool().ok_or("exists expects true or false")?),
            Op::Gt | Op::Gte | Op::Lt | Op::Lte => {
                if *field == Field::Severity {
                    Compiled::Rank(severity(value)?)
                } else {
                    let n = number_of(value).filter(|n| n.is_finite()).ok_or_else(|| {
                        format!("{} expects a number for {}", op.name(), field.name())
                    })?;
                    Compiled::Number(n)
                }
            }
        })
    }

    fn describe(&self) -> String {
        format!("{} {} {}", self.field.name(), self.op.name(), self.value)
    }

    fn check(&self, alert: &NormalizedAlert) -> Result<(), String> {
        if self.test(alert) {
            return Ok(());
        }
        Err(match self.field.get(alert) {
            Some(a) => format!("{}: was {a:?}", self.describe()),
            None => format!("{}: {} is missing", self.describe(), self.field.name()),
        })
    }

    fn test(&self, alert: &NormalizedAlert) -> bool {
        let actual = self.field.get(alert);
        match (&self.compiled, actual) {
            (Compiled::Exists(want), a) => a.is_some() == *want,
            (Compiled::Text(_), None) | (Compiled::Set(_), None) => {
                matches!(self.op, Op::Ne | Op::NotIn)
            }
            (_, None) => false,
            (Compiled::Text(t), Some(a)) => match self.op {
                Op::Eq => a == t,
                Op::Ne => a != t,
                Op::Contains => a.contains(t.as_str()),
                Op::StartsWith => a.starts_with(t.as_str()),
                Op::EndsWith => a.ends_with(t.as_str()),
                _ => false,
            },
            (Compiled::Set(s), Some(a)) => s.iter().any(|x| x == a) == (self.op == Op::In),
            (Compiled::Pattern(re), Some(a)) => re.is_match(a),
            (Compiled::Rank(r), Some(_)) => self.compare(alert.severity.rank() as f64, *r as f64),
            (Compiled::Number(n), Some(a)) => {
                a.trim().parse::<f64>().is_ok_and(|x| self.compare(x, *n))
            }
        }
    }

    fn compare(&self, a: f64, b: f64) -> bool {
        match self.op {
            Op::Gt => a > b,
            Op::Gte => a >= b,
            Op::Lt => a < b,
            Op::Lte => a <= b,
            _ => false,
        }
    }
}
