//! Storage: migrations from empty to latest, reopening, two engines on one file.

use crate::common::{Harness, fixture};
use signalcraft_core::{Engine, ErrorKind, Headers, Outcome, SCHEMA_VERSION, Source};

#[test]
fn migrates_an_empty_file_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    std::fs::File::create(&path).unwrap(); // an empty file is a version-0 database
    drop(Engine::builder().path(&path).build().unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    // opening again is a no-op
    drop(Engine::builder().path(&path).build().unwrap());
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .unwrap();
    drop(conn);
    let err = Engine::builder().path(&path).build().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn data_survives_reopening() {
    let h = Harness::on_disk();
    let out = h
        .sentry(
            "event_alert",
            &fixture("sentry/issue_alert_triggered.docs.json"),
        )
        .unwrap();
    let path = h.db_path();
    let engine = Engine::builder().path(&path).build().unwrap();
    let g = engine
        .group("acme", out.alerts[0].group_id.as_ref().unwrap().as_str())
        .unwrap();
    assert_eq!(g.group.count, 1);
}

#[test]
fn two_engines_on_one_file_neither_lose_nor_duplicate() {
    let h = Harness::on_disk();
    let path = h.db_path();
    let base: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    let per_thread = 40;
    std::thread::scope(|s| {
        for t in 0..2 {
            let path = path.clone();
            let base = base.clone();
            s.spawn(move || {
                let engine = Engine::builder().path(&path).build().unwrap();
                for i in 0..per_thread {
                    let mut doc = base.clone();
                    doc["data"]["event"]["event_id"] = format!("{t:016x}{i:016x}").into();
                    doc["data"]["event"]["issue_id"] = format!("{}", i % 5).into();
                    let h = Headers::new().with("Sentry-Hook-Resource", "event_alert");
                    let out = engine
                        .ingest("acme", Source::Sentry, &h, doc.to_string().as_bytes())
                        .unwrap();
                    assert_eq!(out.outcome, Outcome::Accepted);
                }
            });
        }
    });
    let counts = h.row_counts();
    assert_eq!(counts[2], ("alert_events", 2 * per_thread));
    let groups = h.engine.groups("acme", &Default::default()).unwrap().groups;
    assert_eq!(groups.len(), 5, "one group per issue, none duplicated");
    assert_eq!(
        groups.iter().map(|g| g.count).sum::<u64>(),
        2 * per_thread as u64
    );
}
