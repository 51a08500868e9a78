//! Upgrading: a database file written by the previous release (`fixtures/store/previous.db`,
//! made by `write_the_previous_version_fixture` below with the code of that release) opens,
//! migrates, keeps every row and answers every query exactly as that release answered
//! (`fixtures/store/previous.answers.json`, recorded by the same run). A fresh file filled by
//! the same steps with this build answers the same too: what ingest writes changed, not what
//! anyone reads back.

use crate::common::{Db, StoreUnderTest, builder, fixture, fixture_path, t0};
use chrono::TimeDelta;
use serde_json::{Value, json};
use signalcraft_core::engine::Actor;
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::routing::RuleSet;
use signalcraft_core::{
    Engine, GroupQuery, Headers, ManualClock, NewSilence, SCHEMA_VERSION, Source, host,
};
use std::path::Path;
use std::sync::Arc;

const DB: &str = "store/previous.db";
const ANSWERS: &str = "store/previous.answers.json";

/// Where the scenario's clock stands when it is done (and where the answers are read).
fn end_time() -> chrono::DateTime<chrono::Utc> {
    t0() + TimeDelta::minutes(40)
}

fn sentry_event(engine: &Engine, issue: &str, n: u32, env: &str) {
    let mut doc: Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    doc["data"]["event"]["event_id"] = format!("{n:032x}").into();
    doc["data"]["event"]["issue_id"] = issue.into();
    doc["data"]["event"]["environment"] = env.into();
    let h = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    engine
        .ingest("acme", Source::Sentry, &h, doc.to_string().as_bytes())
        .unwrap();
}

fn sentry_resolve(engine: &Engine, issue: &str) {
    let mut doc: Value =
        serde_json::from_slice(&fixture("sentry/issue_resolved.zulip.json")).unwrap();
    doc["data"]["issue"]["id"] = issue.into();
    let h = Headers::new().with("Sentry-Hook-Resource", "issue");
    engine
        .ingest("acme", Source::Sentry, &h, doc.to_string().as_bytes())
        .unwrap();
}

fn alertmanager(engine: &Engine, file: &str) {
    engine
        .ingest(
            "acme",
            Source::Alertmanager,
            &Headers::new(),
            &fixture(&format!("alertmanager/{file}")),
        )
        .unwrap();
}

/// Every kind of row ingest and the operator's commands write: groups new, joined, resolved,
/// reopened, acknowledged, assigned, snoozed and noted; events matched and unmatched;
/// notifications (outbox rows) and escalations; rules, a silence, an escalation policy; the
/// change feed.
fn scenario(engine: &Engine, clock: &ManualClock) {
    engine.create_workspace("acme").unwrap();
    engine
        .put_rules(
            "acme",
            &RuleSet::from_json(&json!([
                {"id": "prod", "when": {"field": "environment", "op": "eq", "value": "production"},
                 "then": {"notify": ["oncall"], "escalation": "default"}},
                {"id": "am", "when": {"field": "source", "op": "eq", "value": "alertmanager"},
                 "then": {"notify": ["ops"]}}
            ]))
            .unwrap(),
        )
        .unwrap();
    let policy = EscalationPolicy::from_json(&json!({"steps": [
        {"after_mins": 5, "notify": ["oncall"], "mention": ["@here"]},
        {"after_mins": 15, "notify": ["managers"]}]}))
    .unwrap();
    engine.put_escalation("acme", "default", &policy).unwrap();
    engine
        .add_silence(
            "acme",
            &NewSilence {
                when: json!({"field": "environment", "op": "eq", "value": "staging"}),
                starts_at: None,
                ends_at: t0() + TimeDelta::hours(6),
                comment: Some("staging is noisy".into()),
            },
            "user:alice",
        )
        .unwrap();
    let owner = Actor::new("alice", Role::Owner);
    sentry_event(engine, "1", 1, "production");
    clock.advance(TimeDelta::seconds(30));
    sentry_event(engine, "1", 2, "production");
    sentry_event(engine, "2", 3, "staging");
    sentry_event(engine, "3", 4, "production");
    alertmanager(engine, "zulip_firing_2_alerts.json");
    alertmanager(engine, "alertmanager-bot_firing.json");
    clock.advance(TimeDelta::minutes(6));
    engine.tick(None).unwrap();
    alertmanager(engine, "zulip_firing_2_alerts.json");
    alertmanager(engine, "alertmanager-bot_resolved.json");
    sentry_resolve(engine, "2");
    sentry_resolve(engine, "404");
    let page = engine.groups("acme", &GroupQuery::default()).unwrap();
    let open: Vec<String> = page
        .groups
        .iter()
        .filter(|g| g.status != signalcraft_core::GroupStatus::Resolved)
        .map(|g| g.id.to_string())
        .collect();
    let first = open.last().unwrap().clone();
    engine.act("acme", &first, &Command::Ack, &owner).unwrap();
    engine
        .act(
            "acme",
            &first,
            &Command::Note {
                text: "looking".into(),
            },
            &owner,
        )
        .unwrap();
    let other = open[0].clone();
    engine
        .act(
            "acme",
            &other,
            &Command::Assign {
                user: Some("bob".into()),
            },
            &owner,
        )
        .unwrap();
    engine
        .act(
            "acme",
            &other,
            &Command::Snooze {
                until: t0() + TimeDelta::hours(2),
            },
            &owner,
        )
        .unwrap();
    clock.advance(TimeDelta::minutes(10));
    engine.tick(None).unwrap();
    // issue 2 fires again after its resolve
    sentry_event(engine, "2", 5, "staging");
    engine
        .act("acme", &first, &Command::Resolve, &owner)
        .unwrap();
    clock.set(end_time());
}

/// Everything a reader can ask: the group list in every sort, each group's detail with all its
/// events and timeline (paged one by one, so cursors are compared too), each event with its
/// request, the deliveries, silences, rules, escalations, the change feed and the stats.
fn answers(engine: &Engine) -> Value {
    let mut out = serde_json::Map::new();
    let mut lists = serde_json::Map::new();
    for sort in [
        "last_activity",
        "last_seen",
        "first_seen",
        "severity",
        "count",
        "status",
        "title",
    ] {
        let q: GroupQuery =
            serde_json::from_value(json!({"sort": sort, "limit": 3})).unwrap_or_default();
        let mut pages = Vec::new();
        let mut q = q;
        loop {
            let p = engine.groups("acme", &q).unwrap();
            let next = p.next_cursor.clone();
            pages.push(host::to_json(&p).unwrap());
            match next {
                Some(c) => q.cursor = Some(c),
                None => break,
            }
        }
        lists.insert(sort.into(), Value::Array(pages));
    }
    out.insert("groups".into(), Value::Object(lists));
    let all = engine
        .groups(
            "acme",
            &serde_json::from_value(json!({"limit": 200})).unwrap(),
        )
        .unwrap();
    let mut details = serde_json::Map::new();
    for g in &all.groups {
        let id = g.id.as_str();
        let mut d = serde_json::Map::new();
        d.insert(
            "detail".into(),
            host::to_json(&engine.group("acme", id).unwrap()).unwrap(),
        );
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let p = engine
                .group_events("acme", id, cursor.as_deref(), Some(1))
                .unwrap();
            for e in &p.items {
                events.push(json!({
                    "event": host::to_json(e).unwrap(),
                    "payload": host::to_json(&engine.event("acme", &e.id).unwrap()).unwrap(),
                }));
            }
            events.push(json!({"next": p.next}));
            match p.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        d.insert("events".into(), Value::Array(events));
        let mut timeline = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let p = engine
                .group_timeline("acme", id, cursor.as_deref(), Some(1))
                .unwrap();
            timeline.push(host::to_json(&p).unwrap());
            match p.next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        d.insert("timeline".into(), Value::Array(timeline));
        d.insert(
            "deliveries".into(),
            host::to_json(&engine.deliveries("acme", Some(id)).unwrap()).unwrap(),
        );
        details.insert(id.into(), Value::Object(d));
    }
    out.insert("group_details".into(), Value::Object(details));
    out.insert(
        "deliveries".into(),
        host::to_json(&engine.deliveries("acme", None).unwrap()).unwrap(),
    );
    out.insert(
        "silences".into(),
        Value::Array(
            engine
                .silences("acme")
                .unwrap()
                .iter()
                .map(|s| host::silence_view(s, end_time()))
                .collect(),
        ),
    );
    out.insert("rules".into(), engine.rules("acme").unwrap().to_json());
    out.insert(
        "escalations".into(),
        host::escalations_view(&engine.escalations("acme").unwrap()),
    );
    out.insert(
        "changes".into(),
        host::to_json(&engine.changes("acme", None, Some(1000)).unwrap()).unwrap(),
    );
    for window in ["1h", "24h"] {
        out.insert(
            format!("stats_{window}"),
            host::to_json(&engine.stats("acme", window).unwrap()).unwrap(),
        );
    }
    Value::Object(out)
}

fn engine_at(path: &Path) -> (Engine, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(t0()));
    let engine = builder().store(path).clock(clock.clone()).build().unwrap();
    (engine, clock)
}

/// Every table's row count.
fn row_counts(path: &Path) -> Vec<(String, i64)> {
    let db = Db::open(path);
    db.tables()
        .into_iter()
        .map(|t| {
            let n = db.int(&format!("SELECT COUNT(*) FROM \"{t}\""));
            (t, n)
        })
        .collect()
}

/// Writes the fixture with this build: run it with the previous release's code
/// (`SIGNALCRAFT_WRITE_UPGRADE_FIXTURE=1 cargo test -p signalcraft-core --test integration
/// upgrade::write -- --ignored`), never after a schema change.
#[test]
#[ignore = "writes the upgrade fixture; run with the previous release's code"]
fn write_the_previous_version_fixture() {
    if std::env::var_os("SIGNALCRAFT_WRITE_UPGRADE_FIXTURE").is_none() {
        return;
    }
    if crate::common::sqlite_only("the fixture is a SQLite file") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("previous.db");
    let (engine, clock) = engine_at(&path);
    scenario(&engine, &clock);
    let answers = answers(&engine);
    drop(engine);
    // one file, no log beside it
    Db::open(&path)
        .execute("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE; VACUUM;");
    std::fs::create_dir_all(fixture_path("store")).unwrap();
    std::fs::copy(&path, fixture_path(DB)).unwrap();
    std::fs::write(
        fixture_path(ANSWERS),
        serde_json::to_string_pretty(&answers).unwrap() + "\n",
    )
    .unwrap();
}

fn recorded() -> Value {
    serde_json::from_slice(&fixture(ANSWERS)).unwrap()
}

/// Compares two answers part by part, so that a difference names where it is.
fn assert_same(got: &Value, want: &Value, at: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let gk: Vec<&String> = g.keys().collect();
            let wk: Vec<&String> = w.keys().collect();
            assert_eq!(gk, wk, "keys at {at}");
            for (k, v) in w {
                assert_same(&g[k], v, &format!("{at}.{k}"));
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "length at {at}");
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                assert_same(a, b, &format!("{at}[{i}]"));
            }
        }
        _ => assert_eq!(got, want, "at {at}"),
    }
}

#[test]
fn a_previous_version_file_keeps_every_row_and_answers_the_same() {
    // (a PostgreSQL database starts at the latest version: there is no older one to upgrade;
    // a SQLite file's rows reach PostgreSQL through `signalcraft migrate`)
    if crate::common::sqlite_only("the upgrade of a SQLite file written by the previous release") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("previous.db");
    std::fs::copy(fixture_path(DB), &path).unwrap();
    let before = row_counts(&path);
    let version = Db::open(&path).int("PRAGMA user_version");
    assert!(version <= SCHEMA_VERSION, "{version}");
    assert!(
        before.iter().any(|(t, n)| t == "alert_events" && *n > 10),
        "{before:?}"
    );

    let (engine, clock) = engine_at(&path);
    clock.set(end_time());
    assert_same(&answers(&engine), &recorded(), "$");
    // every row is still there (tables the migrations add start empty)
    let after = row_counts(&path);
    for (table, n) in &before {
        let now = after.iter().find(|(t, _)| t == table).map(|(_, n)| *n);
        assert_eq!(now, Some(*n), "{table}");
    }
    let v = Db::open(&path).int("PRAGMA user_version");
    assert_eq!(v, SCHEMA_VERSION);

    // and the migrated file takes writes: a repeat joins its old group, a new alert opens one
    let groups = engine
        .groups("acme", &GroupQuery::default())
        .unwrap()
        .groups;
    let issue3 = groups
        .iter()
        .find(|g| g.fingerprint == "3" && g.status == signalcraft_core::GroupStatus::Open)
        .cloned();
    sentry_event(&engine, "3", 90, "production");
    sentry_event(&engine, "77", 91, "production");
    let after_groups = engine
        .groups("acme", &GroupQuery::default())
        .unwrap()
        .groups;
    if let Some(g) = issue3 {
        let joined = after_groups.iter().find(|x| x.id == g.id).unwrap();
        assert_eq!(joined.count, g.count + 1);
    }
    assert_eq!(after_groups.len(), groups.len() + 1);
    let g = engine.group("acme", after_groups[0].id.as_str()).unwrap();
    assert_eq!(g.timeline.len(), 1, "{:?}", g.timeline);
    assert_eq!(g.timeline[0].command, "open");
}

#[test]
fn a_fresh_file_answers_like_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fresh.db");
    let (engine, clock) = engine_at(&path);
    scenario(&engine, &clock);
    // Timeline cursors are opaque positions among stored entries, and a fresh file stores
    // fewer (an `open` entry is read from its group's row): the pages must be the same, the
    // cursors need only be there or not.
    let opaque = |mut v: Value| {
        for d in v["group_details"].as_object_mut().unwrap().values_mut() {
            for page in d["timeline"].as_array_mut().unwrap() {
                page["next"] = page["next"].is_string().into();
            }
            d["detail"]["timeline_next"] = d["detail"]["timeline_next"].is_string().into();
        }
        v
    };
    assert_same(&opaque(answers(&engine)), &opaque(recorded()), "$");
}
