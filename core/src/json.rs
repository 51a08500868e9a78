//! Reading untrusted JSON with errors that name the JSON path of the bad field.

pub mod borrowed;

use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::fmt::Write as _;

/// Parses a request body as JSON; a syntax error says where (line and column).
pub fn parse_body(body: &[u8]) -> Result<Value> {
    serde_json::from_slice(body).map_err(|e| Error::invalid("body", format!("not valid JSON: {e}")))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A JSON node that owns its path: the type sources use.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> Node<'a> {
    /// The root of a document.
    pub fn root(value: &'a Value) -> Self {
        Self {
            value,
            path: String::new(),
        }
    }

    /// A node for `value` found at `path`.
    pub fn at(value: &'a Value, path: impl Into<String>) -> Self {
        Self {
            value,
            path: path.into(),
        }
    }

    /// The value here.
    pub fn value(&self) -> &'a Value {
        self.value
    }

    /// The JSON path of this node (`$` at the root).
    pub fn path(&self) -> &str {
        if self.path.is_empty() {
            "$"
        } else {
            &self.path
        }
    }

    /// An error at this path.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::invalid(self.path(), message)
    }

    fn child_key(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    /// Fails unless this is an object.
    pub fn expect_object(&self) -> Result<&'a serde_json::Map<String, Value>> {
        self.value
            .as_object()
            .ok_or_else(|| self.error(format!("expected an object, got {}", type_name(self.value))))
    }

    /// The member `key`, if this is an object that has it and it is not null.
    pub fn get(&self, key: &str) -> Option<Node<'a>> {
        let v = self.value.as_object()?.get(key)?;
        (!v.is_null()).then(|| Node {
            value: v,
            path: self.child_key(key),
        })
    }

    /// The member `key`, which must be present and not null.
    pub fn req(&self, key: &str) -> Result<Node<'a>> {
        self.expect_object()?;
        self.get(key)
            .ok_or_else(|| Error::invalid(self.child_key(key), "missing"))
    }

    /// This value as a string.
    pub fn str(&self) -> Result<&'a str> {
        self.value
            .as_str()
            .ok_or_else(|| self.error(format!("expected a string, got {}", type_name(self.value))))
    }

    /// This value as an id: a string, or an integer written as a number.
    pub fn id(&self) -> Result<String> {
        match self.value {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            Value::String(_) => Err(self.error("expected an id, got an empty string")),
            Value::Number(n) if n.is_u64() || n.is_i64() => Ok(n.to_string()),
            other => Err(self.error(format!(
                "expected an id (string or integer), got {}",
                type_name(other)
            ))),
        }
    }

    /// This value as an array of nodes.
    pub fn array(&self) -> Result<Vec<Node<'a>>> {
        let items = self.value.as_array().ok_or_else(|| {
            self.error(format!("expected an array, got {}", type_name(self.value)))
        })?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, v)| Node {
                value: v,
                path: format!("{}[{i}]", self.path()),
            })
            .collect())
    }

    /// The member `key` as a string, if present and not null.
    pub fn opt_str(&self, key: &str) -> Result<Option<&'a str>> {
        self.get(key).map(|n| n.str()).transpose()
    }

    /// The member `key` as a non-empty string, if present, not null and not blank.
    pub fn opt_text(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .opt_str(key)?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    }

    /// This value as a time: an RFC 3339 string, or unix seconds (integer or fraction).
    pub fn time(&self) -> Result<DateTime<Utc>> {
        match self.value {
            Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| self.error(format!("not an RFC 3339 time: {s:?} ({e})"))),
            Value::Number(n) => {
                let millis = n
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| (f * 1000.0).round())
                    .filter(|m| m.abs() < 8.0e15)
                    .ok_or_else(|| self.error("unix time out of range"))?;
                DateTime::from_timestamp_millis(millis as i64)
                    .ok_or_else(|| self.error("unix time out of range"))
            }
            other => Err(self.error(format!(
                "expected a time (RFC 3339 string or unix seconds), got {}",
                type_name(other)
            ))),
        }
    }

    /// The member `key` as a time, if present and not null.
    pub fn opt_time(&self, key: &str) -> Result<Option<DateTime<Utc>>> {
        self.get(key).map(|n| n.time()).transpose()
    }

    /// Follows a dotted path (already split) from here: object members by name, array items by
    /// index. `None` when some step is missing or null. The path of the node found is written
    /// once, at the end (a missing field costs no allocation).
    pub fn descend(&self, path: &[String]) -> Option<Node<'a>> {
        let found = value_at(self.value, path)?;
        let mut at = String::with_capacity(
            self.path.len() + path.iter().map(|s| s.len() + 2).sum::<usize>(),
        );
        at.push_str(&self.path);
        let mut cur = self.value;
        for seg in path {
            cur = match cur {
                Value::Object(map) => {
                    if !at.is_empty() {
                        at.push('.');
                    }
                    at.push_str(seg);
                    map.get(seg.as_str())?
                }
                Value::Array(items) => {
                    let i: usize = seg.parse().ok()?;
                    if at.is_empty() {
                        at.push('$');
                    }
                    let _ = write!(at, "[{i}]");
                    items.get(i)?
                }
                _ => return None,
            };
        }
        Some(Node {
            value: found,
            path: at,
        })
    }

    /// This value as a tag value: strings as they are, numbers and booleans written out.
    pub fn scalar_text(&self) -> Result<String> {
        match self.value {
            Value::String(s) => Ok(s.clone()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => Err(self.error(format!(
                "expected a string, number or boolean, got {}",
                type_name(other)
            ))),
        }
    }
}

/// The value at a dotted path (already split) from `value`: object members by name, array items
/// by index; `None` when some step is missing or null.
pub fn value_at<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = value;
    for seg in path {
        cur = match cur {
            Value::Object(map) => map.get(seg.as_str()),
            Value::Array(items) => items.get(seg.parse::<usize>().ok()?),
            _ => None,
        }
        .filter(|v| !v.is_null())?;
    }
    Some(cur)
}

/// A scalar's text as a tag value (strings as they are, numbers and booleans written out);
/// `None` for null, arrays and objects.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Applies an RFC 7396 JSON merge patch to `target`: an object patch merges key by key (a `null`
/// member removes the key), anything else replaces the target whole. Recursion is bounded by the
/// patch's own depth (already bounded by the JSON parser).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(out) = target {
        for (k, v) in members {
            if v.is_null() {
                out.remove(k);
            } else {
                merge_patch(out.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

#[cfg(test)]
mod merge_patch_tests {
    use serde_json::json;

    #[test]
    fn a_merge_patch_follows_rfc_7396() {
        // RFC 7396, section 3's example
        let mut doc = json!({"title": "Goodbye!", "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"], "content": "This will be unchanged"});
        let patch = json!({"title": "Hello!", "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": null}, "tags": ["example"]});
        super::merge_patch(&mut doc, &patch);
        assert_eq!(
            doc,
            json!({"title": "Hello!", "author": {"givenName": "John"}, "tags": ["example"],
                "content": "This will be unchanged", "phoneNumber": "+01-123-456-7890"})
        );
        // RFC 7396, appendix A: (target, patch, result)
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (
                json!({"a": "b", "b": "c"}),
                json!({"a": null}),
                json!({"b": "c"}),
            ),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (json!({"a": "c"}), json!({"a": ["b"]}), json!({"a": ["b"]})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (
                json!({"a": [{"b": "c"}]}),
                json!({"a": [1]}),
                json!({"a": [1]}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (json!({"a": "b"}), json!(["c"]), json!(["c"])),
            (json!({"a": "foo"}), json!(null), json!(null)),
            (json!({"a": "foo"}), json!("bar"), json!("bar")),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
            (
                json!([1, 2]),
                json!({"a": "b", "c": null}),
                json!({"a": "b"}),
            ),
            (
                json!({}),
                json!({"a": {"bb": {"ccc": null}}}),
                json!({"a": {"bb": {}}}),
            ),
        ];
        for (mut target, patch, want) in cases {
            super::merge_patch(&mut target, &patch);
            assert_eq!(target, want, "patch {patch}");
        }
        let mut scalar = json!(1);
        super::merge_patch(&mut scalar, &json!({"a": {"b": null, "c": 2}}));
        assert_eq!(scalar, json!({"a": {"c": 2}}));
    }
}
