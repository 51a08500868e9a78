//! Storage: migrations from empty to latest, reopening, two engines on one file.

use crate::common::StoreUnderTest;
use crate::common::{Cell, Db, Harness, fixture};
use signalcraft_core::{ErrorKind, Headers, Outcome, SCHEMA_VERSION, Source};

#[test]
fn migrates_an_empty_file_to_the_latest_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.db");
    // an empty file (on PostgreSQL, an empty database) is a version-0 database
    std::fs::File::create(&path).unwrap();
    drop(crate::common::builder().store(&path).build().unwrap());
    let db = Db::open(&path);
    if crate::common::on_postgres() {
        assert_eq!(
            db.rows("SELECT version FROM signalcraft_schema"),
            vec![vec![Cell::Int(SCHEMA_VERSION)]],
            "one version row, the latest"
        );
    } else {
        assert_eq!(db.int("PRAGMA user_version"), SCHEMA_VERSION);
        assert_eq!(db.texts("PRAGMA journal_mode"), vec!["wal".to_string()]);
    }
    // opening again is a no-op
    drop(crate::common::builder().store(&path).build().unwrap());
}

#[test]
fn refuses_a_newer_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    if crate::common::on_postgres() {
        // a database a newer build migrated: its version row is past this build's
        drop(crate::common::builder().store(&path).build().unwrap());
        Db::open(&path).execute("UPDATE signalcraft_schema SET version = version + 1");
    } else {
        Db::open(&path).execute(&format!("PRAGMA user_version = {}", SCHEMA_VERSION + 1));
    }
    let err = crate::common::builder().store(&path).build().unwrap_err();
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
    let engine = crate::common::builder().store(&path).build().unwrap();
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
                let engine = crate::common::builder().store(&path).build().unwrap();
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

/// Commits only append to the log; the background thread copies the log into the database file
/// while the engine stays open and busy, so no `ingest` call pays for a checkpoint's fsyncs, and
/// the log does not grow without bound.
#[test]
fn the_log_is_checkpointed_in_the_background() {
    if crate::common::sqlite_only("SQLite's write-ahead log and its checkpoints") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ckpt.db");
    let wal = dir.path().join("ckpt.db-wal");
    let engine = crate::common::builder().store(&path).build().unwrap();
    engine.create_workspace("acme").unwrap();
    let main_size = || std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let before = main_size();
    let headers = Headers::new();
    let base: serde_json::Value =
        serde_json::from_slice(&fixture("alertmanager/alertmanager-bot_firing.json")).unwrap();
    // Enough new groups to pass the wake-up threshold (2,048 log pages) several times over.
    let mut n = 0u64;
    let mut max_wal = 0u64;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while main_size() <= before + 4 * 1024 * 1024 && std::time::Instant::now() < deadline {
        let bodies: Vec<Vec<u8>> = (0..100)
            .map(|_| {
                n += 1;
                let mut b = base.clone();
                b["alerts"][0]["labels"]["instance"] = format!("host-{n}").into();
                b["alerts"][0]["endsAt"] = "0001-01-01T00:00:00Z".into();
                b["alerts"][0]["status"] = "firing".into();
                serde_json::to_vec(&b).unwrap()
            })
            .collect();
        let batch: Vec<signalcraft_core::Delivery<'_>> = bodies
            .iter()
            .map(|body| signalcraft_core::Delivery {
                source: Source::Alertmanager,
                headers: &headers,
                body,
            })
            .collect();
        for slot in engine.ingest_batch("acme", &batch).unwrap() {
            slot.unwrap();
        }
        max_wal = max_wal.max(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0));
    }
    assert!(
        main_size() > before + 4 * 1024 * 1024,
        "after {n} alerts the database file is still {} bytes: nothing was checkpointed",
        main_size()
    );
    // The log restarts once a checkpoint has caught up; the writer's safety valve is at
    // 16,384 pages (64 MiB).
    assert!(max_wal < 80 * 1024 * 1024, "log grew to {max_wal} bytes");
    // Dropping the engine stops the thread (the test would hang otherwise), and every alert
    // is there when the file is opened again.
    drop(engine);
    let again = crate::common::builder().store(&path).build().unwrap();
    let page = again
        .groups("acme", &signalcraft_core::GroupQuery::default())
        .unwrap();
    assert!(!page.groups.is_empty());
    let count = Db::open(&path).int("SELECT COUNT(*) FROM alert_groups");
    assert_eq!(count as u64, n);
}
