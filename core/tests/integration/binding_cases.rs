//! The shared binding case list (`tests/bindings/cases.json`), run against the Rust engine.
//!
//! The Python and Node bindings run the same list (`tests/bindings/test_cases.py`,
//! `tests/bindings/cases.test.mjs`); this runner is the reference: it calls the engine the way
//! the bindings do, through `signalcraft_core::host`, so a binding that answers differently from
//! Rust fails its own run of the same case.

use crate::common::StoreUnderTest;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value, json};
use signalcraft_core::engine::Actor;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::{
    Engine, Error, IntegrationUpdate, ManualClock, Result, RuleSet, Source, WorkspaceSettings, host,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `{"$file": P}` → the fixture's bytes (as a JSON array of numbers: the runner's "bytes");
/// `{"$var": N}` → a saved value.
fn resolve(value: &Value, saved: &serde_json::Map<String, Value>) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, saved)).collect()),
        Value::Object(map) if map.len() == 1 && map.contains_key("$file") => {
            let p = root()
                .join("core/tests/fixtures")
                .join(map["$file"].as_str().unwrap());
            Value::String(String::from_utf8(std::fs::read(&p).unwrap()).unwrap())
        }
        Value::Object(map) if map.len() == 1 && map.contains_key("$var") => {
            saved[map["$var"].as_str().unwrap()].clone()
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve(v, saved)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The value at a dotted path; `length` is an array's length.
fn at(answer: &Value, path: &str) -> Value {
    let mut v = answer.clone();
    for part in path.split('.') {
        v = match (&v, part) {
            (Value::Array(a), "length") => json!(a.len()),
            (Value::Array(a), i) => a[i.parse::<usize>().unwrap()].clone(),
            (Value::Object(o), k) => o.get(k).cloned().unwrap_or_else(|| panic!("no {k} in {v}")),
            _ => panic!("cannot walk {path} in {answer}"),
        };
    }
    v
}

fn text(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn opt_text(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str)
}

fn body(v: &Value) -> Vec<u8> {
    text(v).as_bytes().to_vec()
}

fn parsed<T: std::str::FromStr<Err = Error>>(v: &Value) -> Result<T> {
    text(v).parse()
}

/// One call, as a binding makes it: arguments checked by `host`, one engine call, JSON out.
fn call(engine: &Engine, name: &str, a: &[Value]) -> Result<Value> {
    let ws = || text(&a[0]);
    match name {
        "create_workspace" => match opt_text(a.get(1)) {
            Some(owner) => host::to_json(&engine.create_workspace_with_owner(ws(), owner)?),
            None => host::to_json(&engine.create_workspace(ws())?),
        },
        "workspaces" => host::to_json(&engine.workspaces()?),
        "set_integration" => {
            let update: IntegrationUpdate = host::from_json("update", a[2].clone())?;
            host::to_json(&engine.set_integration(ws(), parsed(&a[1])?, &update)?)
        }
        "ingest" => {
            let source: Source = parsed(&a[1])?;
            let headers = host::headers(&a[2])?;
            host::to_json(&engine.ingest(ws(), source, &headers, &body(&a[3]))?)
        }
        "ingest_auto" => {
            let headers = host::headers(&a[1])?;
            host::to_json(&engine.ingest_auto(ws(), &headers, &body(&a[2]))?)
        }
        "ingest_batch" => {
            let mut owned = Vec::new();
            for d in a[1].as_array().unwrap() {
                let source: Source = parsed(&d["source"])?;
                let headers = host::headers(d.get("headers").unwrap_or(&Value::Null))?;
                owned.push((source, headers, body(&d["body"])));
            }
            host::ingest_batch(engine, ws(), &owned)
        }
        "dry_run" => {
            let source: Source = parsed(&a[1])?;
            let headers = host::headers(&a[2])?;
            let rules = a.get(4).map(RuleSet::from_json).transpose()?;
            host::dry_run_json(&engine.dry_run(
                ws(),
                source,
                &headers,
                &body(&a[3]),
                rules.as_ref(),
            )?)
        }
        "check_rules" => {
            let n = engine.check_rules(ws(), &RuleSet::from_json(&a[1])?)?;
            Ok(json!({"ok": true, "rules": n}))
        }
        "deliveries" => host::to_json(&engine.deliveries(ws(), opt_text(a.get(1)))?),
        "ready" => host::to_json(&engine.ready()),
        "test_channel" => host::to_json(&engine.test_channel(ws(), text(&a[1]))?),
        "sample_payload" => Ok(host::sample_json(&engine.sample_payload(parsed(&a[0])?)?)),
        "test_integration" => host::to_json(&engine.test_integration(ws(), parsed(&a[1])?)?),
        "slack_connect" => {
            let app: signalcraft_core::slack_oauth::SlackApp =
                host::from_json("app", a[1].clone())?;
            let options: signalcraft_core::engine::SlackConnectOptions = match a.get(2) {
                None | Some(Value::Null) => Default::default(),
                Some(o) => host::from_json("options", o.clone())?,
            };
            host::to_json(&engine.slack_connect(ws(), &app, &options)?)
        }
        "set_slack_integration" => {
            let update: IntegrationUpdate = host::from_json("update", a[1].clone())?;
            engine.set_slack_integration(ws(), &update)
        }
        "put_rules" => host::to_json(&engine.put_rules(ws(), &RuleSet::from_json(&a[1])?)?),
        "rules" => Ok(engine.rules(ws())?.to_json()),
        "add_silence" => {
            let now = engine.now();
            let s = engine.add_silence(ws(), &host::new_silence(&a[1], now)?, text(&a[2]))?;
            Ok(host::silence_view(&s, engine.now()))
        }
        "silences" => {
            let now = engine.now();
            let list: Vec<Value> = engine
                .silences(ws())?
                .iter()
                .map(|s| host::silence_view(s, now))
                .collect();
            Ok(Value::Array(list))
        }
        "groups" => {
            let query = host::group_query(a.get(1).cloned().unwrap_or(Value::Null))?;
            host::to_json(&engine.groups(ws(), &query)?)
        }
        "act_many" => {
            let ids = host::ids(&a[1])?;
            let command: Command = host::from_json("command", a[2].clone())?;
            let role: Role = match opt_text(a.get(4)) {
                Some(r) => r.parse()?,
                None => Role::Member,
            };
            let actor = Actor::new(text(&a[3]), role);
            host::act_many_json(&engine.act_many(ws(), &ids, &command, &actor)?)
        }
        "add_maintenance" => {
            let w = engine.add_maintenance(ws(), &host::new_maintenance(&a[1])?)?;
            Ok(host::maintenance_view(&w, engine.now()))
        }
        "maintenance_windows" => {
            let now = engine.now();
            Ok(Value::Array(
                engine
                    .maintenance_windows(ws())?
                    .iter()
                    .map(|w| host::maintenance_view(w, now))
                    .collect(),
            ))
        }
        "delete_maintenance" => host::to_json(&engine.delete_maintenance(ws(), text(&a[1]))?),
        "put_escalation" => host::to_json(&engine.put_escalation(
            ws(),
            text(&a[1]),
            &signalcraft_core::escalation::EscalationPolicy::from_json(&a[2])?,
        )?),
        "escalations" => Ok(host::escalations_view(&engine.escalations(ws())?)),
        "delete_escalation" => host::to_json(&engine.delete_escalation(ws(), text(&a[1]))?),
        "set_channel" => {
            host::to_json(&engine.set_channel(ws(), text(&a[1]), parsed(&a[2])?, &a[3])?)
        }
        "channels" => host::to_json(&engine.channels(ws())?),
        "delete_channel" => host::to_json(&engine.delete_channel(ws(), text(&a[1]))?),
        "group" => host::to_json(&engine.group(ws(), text(&a[1]))?),
        "group_events" => host::to_json(&engine.group_events(
            ws(),
            text(&a[1]),
            opt_text(a.get(2)),
            a.get(3).and_then(Value::as_u64).map(|n| n as u32),
        )?),
        "group_timeline" => host::to_json(&engine.group_timeline(
            ws(),
            text(&a[1]),
            opt_text(a.get(2)),
            a.get(3).and_then(Value::as_u64).map(|n| n as u32),
        )?),
        "event" => host::to_json(&engine.event(ws(), text(&a[1]))?),
        "act" => {
            let command: Command = host::from_json("command", a[2].clone())?;
            let role: Role = match opt_text(a.get(4)) {
                Some(r) => r.parse()?,
                None => Role::Member,
            };
            let actor = Actor::new(text(&a[3]), role);
            host::to_json(&engine.act(ws(), text(&a[1]), &command, &actor)?)
        }
        "stats" => host::to_json(&engine.stats(ws(), opt_text(a.get(1)).unwrap_or("24h"))?),
        "set_settings" => {
            let settings: WorkspaceSettings = host::from_json("settings", a[1].clone())?;
            host::to_json(&engine.set_settings(ws(), &settings)?)
        }
        "integration" => host::to_json(&engine.integration(ws(), parsed(&a[1])?)?),
        "add_user" => {
            host::to_json(&engine.add_user(text(&a[0]), text(&a[1]), opt_text(a.get(2)))?)
        }
        "users" => host::to_json(&engine.users()?),
        "set_member" => {
            host::to_json(&engine.set_member(ws(), text(&a[1]), host::role(text(&a[2]))?)?)
        }
        "remove_member" => host::to_json(&engine.remove_member(ws(), text(&a[1]))?),
        "members" => host::to_json(&engine.members(ws())?),
        "login" => host::to_json(&engine.login(text(&a[0]), text(&a[1]), opt_text(a.get(2)))?),
        "logout" => host::to_json(&engine.logout(text(&a[0]))?),
        "authenticate" => host::to_json(&engine.authenticate(
            text(&a[0]),
            a.get(1).and_then(Value::as_bool).unwrap_or(false),
            opt_text(a.get(2)),
        )?),
        "authorize" => host::to_json(&engine.authorize(
            text(&a[0]),
            text(&a[1]),
            host::permission(text(&a[2]))?,
            a.get(3).and_then(Value::as_bool).unwrap_or(false),
            opt_text(a.get(4)),
        )?),
        "create_token" => host::to_json(&engine.create_token(
            ws(),
            host::role(text(&a[1]))?,
            opt_text(a.get(2)),
        )?),
        "tokens" => host::to_json(&engine.tokens(ws())?),
        "revoke_token" => host::to_json(&engine.revoke_token(ws(), text(&a[1]))?),
        "create_ingest_key" => host::to_json(&engine.create_ingest_key(ws(), parsed(&a[1])?)?),
        "revoke_ingest_key" => {
            host::to_json(&engine.revoke_ingest_key(ws(), parsed(&a[1])?, text(&a[2]))?)
        }
        "ingest_keys" => host::to_json(&engine.ingest_keys(ws(), parsed(&a[1])?)?),
        "webhook" => {
            let source = host::webhook_source(text(&a[1]))?;
            let headers = host::headers(&a[2])?;
            host::to_json(&engine.webhook(
                ws(),
                source,
                &headers,
                &body(&a[3]),
                opt_text(a.get(4)),
            )?)
        }
        "integrations" => host::to_json(&engine.integrations(ws())?),
        "put_monitors" => engine.put_monitors(ws(), &a[1]),
        "monitors" => engine.monitors(ws()),
        "monitor_status" => host::to_json(&engine.monitor_status(ws())?),
        "apps" => host::to_json(&engine.apps(ws())?),
        "changes" => host::to_json(&engine.changes(
            ws(),
            a.get(1).and_then(Value::as_i64),
            a.get(2).and_then(Value::as_u64).map(|n| n as u32),
        )?),
        other => panic!("the Rust runner does not know the call {other:?}: add it here"),
    }
}

#[test]
fn the_shared_binding_cases_hold_in_rust() {
    let suite: Value =
        serde_json::from_slice(&std::fs::read(root().join("tests/bindings/cases.json")).unwrap())
            .unwrap();
    let now = host::parse_time("now", text(&suite["now"])).unwrap();
    let cases = suite["cases"].as_array().unwrap();
    assert!(cases.len() >= 10, "the shared list lost cases");
    for case in cases {
        let name = text(&case["name"]);
        let dir = tempfile::tempdir().unwrap();
        let mut engine = Some(
            crate::common::builder()
                .store(dir.path().join("cases.db"))
                .clock(Arc::new(ManualClock::new(now)))
                .build()
                .unwrap(),
        );
        let mut saved = serde_json::Map::new();
        for (i, step) in case["steps"].as_array().unwrap().iter().enumerate() {
            let name_of_call = text(&step["call"]);
            let where_ = format!("{name}: step {i} ({name_of_call})");
            let args = resolve(&step["args"], &saved);
            let args = args.as_array().unwrap();
            let answer = match (name_of_call, &engine) {
                // closing is the bindings' own: they drop the engine and refuse later calls
                ("close", _) => {
                    engine = None;
                    Ok(Value::Null)
                }
                (_, None) => Err(host::closed_engine()),
                // the bindings' awaitable faces run the call on a worker thread
                (n, Some(e)) if step.get("async") == Some(&Value::Bool(true)) => {
                    std::thread::scope(|s| s.spawn(|| call(e, n, args)).join().unwrap())
                }
                (n, Some(e)) => call(e, n, args),
            };
            if let Some(want) = step.get("error") {
                let err = answer.expect_err(&where_);
                assert_eq!(err.kind().as_str(), text(&want["kind"]), "{where_}: {err}");
                if let Some(path) = want.get("path") {
                    assert_eq!(err.path(), Some(text(path)), "{where_}: {err}");
                }
                if let Some(secs) = want.get("retry_after_secs") {
                    assert_eq!(err.retry_after_secs(), secs.as_u64(), "{where_}: {err}");
                }
                continue;
            }
            let answer = answer.unwrap_or_else(|e| panic!("{where_}: {e}"));
            for (path, want) in step
                .get("expect")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                assert_eq!(
                    at(&answer, path),
                    resolve(want, &saved),
                    "{where_}: {path} in {answer}"
                );
            }
            for (var, path) in step
                .get("save")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                saved.insert(var.clone(), at(&answer, text(path)));
            }
        }
    }
}
