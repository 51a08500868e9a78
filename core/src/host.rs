//! What every host face of the engine shares to turn its values into engine types and back:
//! the CLI, the Python and Node bindings. Hosts hand over JSON-shaped values (a Python dict, a JS
//! object, a CLI flag's text); these functions check them and say what is wrong and where, so
//! that the same bad input gets the same error in every language.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::engine::NewSilence;
use crate::routing::Silence;
use crate::{Error, Headers, Result};

/// Reads a JSON value as `T`; `what` names the argument in the error.
pub fn from_json<T: DeserializeOwned>(what: &str, value: Value) -> Result<T> {
    serde_json::from_value(value).map_err(|e| Error::invalid(what, e.to_string()))
}

/// Writes `T` as a JSON value.
pub fn to_json<T: Serialize>(value: &T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::Internal(format!("serializing output: {e}")))
}

/// Parses JSON text; `what` names the argument in the error.
pub fn parse_json(what: &str, text: &[u8]) -> Result<Value> {
    serde_json::from_slice(text).map_err(|e| Error::invalid(what, format!("not JSON: {e}")))
}

/// An RFC 3339 time.
pub fn parse_time(what: &str, s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| Error::invalid(what, format!("not an RFC 3339 time: {s:?} ({e})")))
}

/// An RFC 3339 time, or a duration from `now` (`90s`, `30m`, `2h`, `1d`).
pub fn parse_time_or_duration(what: &str, s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    match crate::engine::parse_window(s) {
        Ok(d) => Ok(now + d),
        Err(_) => parse_time(what, s),
    }
}

/// Request headers from a host value: an object `{"Name": "value"}` or a list of
/// `["Name", "value"]` pairs (the form that keeps repeated names and their order).
pub fn headers(value: &Value) -> Result<Headers> {
    let mut headers = Headers::new();
    match value {
        Value::Null => {}
        Value::Object(map) => {
            for (name, v) in map {
                let v = v.as_str().ok_or_else(|| {
                    Error::invalid(format!("headers.{name}"), "expected a string")
                })?;
                headers.push(checked_name(name, "headers")?, v);
            }
        }
        Value::Array(pairs) => {
            for (i, pair) in pairs.iter().enumerate() {
                let at = format!("headers[{i}]");
                let (name, v) = match pair.as_array().map(Vec::as_slice) {
                    Some([Value::String(n), Value::String(v)]) => (n, v),
                    _ => {
                        return Err(Error::invalid(
                            at,
                            "expected a [name, value] pair of strings",
                        ));
                    }
                };
                headers.push(checked_name(name, &at)?, v.as_str());
            }
        }
        _ => {
            return Err(Error::invalid(
                "headers",
                "expected an object of name to value, or a list of [name, value] pairs",
            ));
        }
    }
    Ok(headers)
}

fn checked_name(name: &str, at: &str) -> Result<String> {
    if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == ':') {
        return Err(Error::invalid(at, format!("bad header name {name:?}")));
    }
    Ok(name.to_string())
}

/// A new silence from a host value: `{"when": CONDITION, "ends_at": TIME or "2h",
/// "starts_at"?: TIME, "comment"?: TEXT}`.
pub fn new_silence(value: &Value, now: DateTime<Utc>) -> Result<NewSilence> {
    let map = value
        .as_object()
        .ok_or_else(|| Error::invalid("silence", "expected an object"))?;
    if let Some(k) = map
        .keys()
        .find(|k| !matches!(k.as_str(), "when" | "ends_at" | "starts_at" | "comment"))
    {
        return Err(Error::invalid(
            format!("silence.{k}"),
            "unknown field (expected when, ends_at, starts_at, comment)",
        ));
    }
    let text = |key: &str| -> Result<Option<&str>> {
        match map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(Error::invalid(
                format!("silence.{key}"),
                "expected a string",
            )),
        }
    };
    let when = map
        .get("when")
        .cloned()
        .ok_or_else(|| Error::invalid("silence.when", "missing (the condition it mutes)"))?;
    let ends_at = text("ends_at")?.ok_or_else(|| {
        Error::invalid(
            "silence.ends_at",
            "missing (a time, or a duration such as 2h)",
        )
    })?;
    Ok(NewSilence {
        when,
        starts_at: text("starts_at")?
            .map(|s| parse_time("silence.starts_at", s))
            .transpose()?,
        ends_at: parse_time_or_duration("silence.ends_at", ends_at, now)?,
        comment: text("comment")?.map(str::to_string),
    })
}

/// A group query from a host value: an object with the fields of [`crate::GroupQuery`], as a
/// JSON body or a query string gives them — `status` and `severity` as a list, one name or
/// comma-separated names, `limit` as a number or its text, `since`/`until` RFC 3339 times;
/// fields that are null or empty text count as absent. `null` is the default query.
pub fn group_query(value: Value) -> Result<crate::GroupQuery> {
    match value {
        Value::Null => Ok(crate::GroupQuery::default()),
        Value::Object(map) => {
            let kept: serde_json::Map<String, Value> = map
                .into_iter()
                .filter(|(_, v)| !v.is_null() && v.as_str().is_none_or(|s| !s.trim().is_empty()))
                .collect();
            from_json("query", Value::Object(kept))
        }
        _ => Err(Error::invalid("query", "expected an object")),
    }
}

/// A new maintenance window from a host value: `{"weekdays", "from", "to", "tz", "when"?,
/// "rules"?}` (`rules` a list of rule ids or comma-separated text).
pub fn new_maintenance(value: &Value) -> Result<crate::NewMaintenanceWindow> {
    let map = value
        .as_object()
        .ok_or_else(|| Error::invalid("maintenance", "expected an object"))?;
    const KNOWN: [&str; 6] = ["weekdays", "from", "to", "tz", "when", "rules"];
    if let Some(k) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
        return Err(Error::invalid(
            format!("maintenance.{k}"),
            format!("unknown field (expected {})", KNOWN.join(", ")),
        ));
    }
    let text = |key: &str| -> Result<String> {
        match map.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            None | Some(Value::Null) => {
                Err(Error::invalid(format!("maintenance.{key}"), "missing"))
            }
            Some(_) => Err(Error::invalid(
                format!("maintenance.{key}"),
                "expected a string",
            )),
        }
    };
    let rules = match map.get("rules") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str().map(str::to_string).ok_or_else(|| {
                    Error::invalid(format!("maintenance.rules[{i}]"), "expected a rule id")
                })
            })
            .collect::<Result<_>>()?,
        Some(_) => {
            return Err(Error::invalid(
                "maintenance.rules",
                "expected a list of rule ids",
            ));
        }
    };
    Ok(crate::NewMaintenanceWindow {
        weekdays: text("weekdays")?,
        from: text("from")?,
        to: text("to")?,
        tz: text("tz")?,
        when: map.get("when").filter(|w| !w.is_null()).cloned(),
        rules,
    })
}

/// A maintenance window as hosts see it, with whether it is active at `now`.
pub fn maintenance_view(window: &crate::routing::MaintenanceWindow, now: DateTime<Utc>) -> Value {
    let mut v = window.to_json();
    if let Some(o) = v.as_object_mut() {
        o.insert("active".into(), Value::Bool(window.active_at(now)));
    }
    v
}

/// Escalation policies as hosts see them: an object of name to policy.
pub fn escalations_view(policies: &[(String, crate::escalation::EscalationPolicy)]) -> Value {
    Value::Object(
        policies
            .iter()
            .map(|(n, p)| (n.clone(), p.to_json()))
            .collect(),
    )
}

/// A webhook's source as hosts name it (the `{source}` of `POST /webhooks/{workspace}/{source}`):
/// a source, or `auto` (`None`: picked from the delivery).
pub fn webhook_source(name: &str) -> Result<Option<crate::Source>> {
    match name {
        "auto" => Ok(None),
        other => match other.parse()? {
            crate::Source::Monitor => Err(crate::Error::invalid(
                "source",
                "monitor is not a webhook source: its alerts come from the engine's own monitors",
            )),
            source => Ok(Some(source)),
        },
    }
}

/// A role from a host value (`owner`, `admin`, `member`, `viewer`).
pub fn role(name: &str) -> Result<crate::lifecycle::Role> {
    name.parse()
}

/// A permission from a host value (`read`, `act`, `configure`, `administer`).
pub fn permission(name: &str) -> Result<crate::accounts::AccessPermission> {
    name.parse()
}

/// What a dry run answers hosts: the ingest outcome with `"stored": false` (as the CLI's
/// `rules test` prints it).
pub fn dry_run_json(outcome: &crate::IngestOutcome) -> Result<Value> {
    let mut v = to_json(outcome)?;
    if let Some(o) = v.as_object_mut() {
        o.insert("stored".into(), Value::Bool(false));
    }
    Ok(v)
}

/// A sample delivery as hosts see it: `{"headers": {name: value}, "body": text}`.
pub fn sample_json(sample: &crate::sources::samples::Sample) -> Value {
    let headers: serde_json::Map<String, Value> = sample
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), Value::String(v.clone())))
        .collect();
    serde_json::json!({"headers": headers, "body": sample.body})
}

/// Group ids from a host value: a list of strings (`invalid_input` at `ids` otherwise).
pub fn ids(value: &Value) -> Result<Vec<String>> {
    let items = value
        .as_array()
        .ok_or_else(|| Error::invalid("ids", "expected a list of group ids"))?;
    items
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_str().map(str::to_string).ok_or_else(|| {
                Error::invalid(format!("ids[{i}]"), "expected a group id (a string)")
            })
        })
        .collect()
}

/// Runs `f`, turning a panic into an `internal` error instead of letting it unwind into a
/// foreign caller (a panic across the FFI boundary aborts the host process). Every binding
/// call runs under it. The engine stays usable: its locks recover from poisoning and an
/// interrupted transaction rolls back.
pub fn guard<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(panicked(payload.as_ref())))
}

/// The `internal` error of a caught panic, with its message.
pub fn panicked(payload: &(dyn std::any::Any + Send)) -> Error {
    let message = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into());
    Error::Internal(format!(
        "the engine panicked: {message} (a bug; the call was abandoned)"
    ))
}

/// What a binding answers once its engine is closed (`close()` in Python and Node).
pub fn closed_engine() -> Error {
    Error::invalid("engine", "the engine is closed")
}

/// What a binding answers when its engine was opened by another process: the parent's engine
/// after `os.fork()`. Its database connections and threads belong to the parent; the child must
/// open its own engine.
pub fn forked_engine(opened_by: u32) -> Error {
    Error::invalid(
        "engine",
        format!(
            "the engine was opened by process {opened_by}, not this one (after a fork, open a new engine in the child)"
        ),
    )
}

/// An error as a JSON value, `{"kind", "message", "path"}`: how a batch slot that failed is
/// shown to hosts.
pub fn error_json(error: &Error) -> Value {
    serde_json::json!({
        "kind": error.kind().as_str(),
        "message": error.to_string(),
        "path": error.path(),
    })
}

/// The answer of [`crate::Engine::ingest_batch`] as hosts see it: one `{"ok": outcome}` or
/// `{"error": {...}}` per delivery, in order.
pub fn batch_json(slots: &[Result<crate::IngestOutcome>]) -> Result<Value> {
    slots
        .iter()
        .map(|slot| match slot {
            Ok(outcome) => Ok(serde_json::json!({ "ok": to_json(outcome)? })),
            Err(e) => Ok(serde_json::json!({ "error": error_json(e) })),
        })
        .collect::<Result<Vec<Value>>>()
        .map(Value::Array)
}

/// The answer of [`crate::Engine::act_many`] as hosts see it: one `{"id", "ok": group}` or
/// `{"id", "error": {...}}` per id, in order.
pub fn act_many_json(slots: &[(String, Result<crate::AlertGroup>)]) -> Result<Value> {
    slots
        .iter()
        .map(|(id, slot)| match slot {
            Ok(group) => Ok(serde_json::json!({ "id": id, "ok": to_json(group)? })),
            Err(e) => Ok(serde_json::json!({ "id": id, "error": error_json(e) })),
        })
        .collect::<Result<Vec<Value>>>()
        .map(Value::Array)
}

/// Ingests a batch as hosts hand it over — `(source, headers, body)`, owned — in one
/// transaction, and answers with [`batch_json`].
pub fn ingest_batch(
    engine: &crate::Engine,
    workspace: &str,
    deliveries: &[(crate::Source, Headers, Vec<u8>)],
) -> Result<Value> {
    let batch: Vec<crate::Delivery<'_>> = deliveries
        .iter()
        .map(|(source, headers, body)| crate::Delivery {
            source: *source,
            headers,
            body,
        })
        .collect();
    batch_json(&engine.ingest_batch(workspace, &batch)?)
}

/// A silence as hosts see it, with whether it is active at `now`.
pub fn silence_view(silence: &Silence, now: DateTime<Utc>) -> Value {
    let mut v = silence.to_json();
    if let Some(o) = v.as_object_mut() {
        o.insert("active".into(), Value::Bool(silence.active_at(now)));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn headers_come_as_an_object_or_as_pairs() -> Result<()> {
        let h = headers(&json!({"Sentry-Hook-Resource": "event_alert"}))?;
        assert_eq!(h.get("sentry-hook-resource"), Some("event_alert"));
        let h = headers(&json!([["X-A", "1"], ["X-A", "2"]]))?;
        assert_eq!(h.get("x-a"), Some("1"));
        let e = headers(&json!({"X-A": 1})).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("headers.X-A: expected a string"));
        let e = headers(&json!([["X-A"]])).err().map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("headers[0]: expected a [name, value] pair of strings")
        );
        assert!(headers(&json!({"Bad Name": "x"})).is_err());
        assert!(headers(&json!("x")).is_err());
        Ok(())
    }

    #[test]
    fn a_silence_is_checked_field_by_field() -> Result<()> {
        let now = Utc::now();
        let s = new_silence(
            &json!({"when": {"field": "environment", "op": "eq", "value": "dev"}, "ends_at": "2h"}),
            now,
        )?;
        assert_eq!(s.ends_at, now + chrono::TimeDelta::hours(2));
        let e = new_silence(&json!({"when": {}, "ends_at": "soon"}), now).err();
        assert!(e.is_some_and(|e| e.to_string().starts_with("silence.ends_at: ")));
        let e = new_silence(&json!({"when": {}, "ends_at": "2h", "color": 1}), now).err();
        assert!(e.is_some_and(|e| e.to_string().starts_with("silence.color: ")));
        Ok(())
    }
}
