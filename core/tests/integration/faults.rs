//! Fault tests: a full disk and a read-only file system, on a real tmpfs of a few MiB. Mounting
//! needs root (CI runs as root); without it these tests print a loud SKIPPED line and pass.

use crate::batch::sentry_body;
use crate::common::StoreUnderTest;
use signalcraft_core::{Delivery, ErrorKind, Headers, Outcome, Source};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a fresh temp dir; unmounted on drop.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if !ok {
            eprintln!(
                "\n!!!!! SKIPPED: cannot mount a tmpfs here (needs root); the disk-full and \
                 read-only tests did not run !!!!!\n"
            );
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) -> bool {
        Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

fn counts(db: &Path) -> (i64, i64, i64, String) {
    let conn = crate::common::Db::open(db);
    let n = |sql: &str| -> i64 { conn.int(sql) };
    let integrity = conn.texts("PRAGMA integrity_check").remove(0);
    (
        n("SELECT COUNT(*) FROM requests"),
        n("SELECT COUNT(*) FROM alert_events"),
        n("SELECT COALESCE(SUM(count), 0) FROM alert_groups"),
        integrity,
    )
}

/// A Sentry body of about `kib` KiB (the raw body is stored, so it takes that much room).
fn big_body(i: usize, kib: usize) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(&sentry_body(
        &format!("e{i}"),
        &format!("{}", i % 3),
        "disk filler",
    ))
    .unwrap();
    doc["data"]["event"]["extra"] = serde_json::json!({"pad": "x".repeat(kib * 1024)});
    doc.to_string().into_bytes()
}

#[test]
fn disk_full_is_a_storage_error_nothing_partial_and_the_engine_recovers() {
    if crate::common::sqlite_only("a full disk under the SQLite file (a tiny tmpfs)") {
        return;
    }
    let Some(fs) = Tmpfs::mount("3m") else {
        return;
    };
    let db: PathBuf = fs.path().join("s.db");
    let engine = crate::common::builder().store(&db).build().unwrap();
    engine.create_workspace("acme").unwrap();
    let hd = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let mut accepted = 0;
    let mut failed_at = None;
    for i in 0..200 {
        match engine.ingest("acme", Source::Sentry, &hd, &big_body(i, 64)) {
            Ok(o) => {
                assert_eq!(o.outcome, Outcome::Accepted);
                accepted += 1;
            }
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
                failed_at = Some(i);
                break;
            }
        }
    }
    let failed_at = failed_at.expect("a 3 MiB file system never filled up");
    assert!(accepted > 0);
    // a batch on the full disk fails whole: nothing of it is stored
    let bodies: Vec<Vec<u8>> = (1000..1005).map(|i| big_body(i, 64)).collect();
    let batch: Vec<Delivery<'_>> = bodies
        .iter()
        .map(|b| Delivery {
            source: Source::Sentry,
            headers: &hd,
            body: b,
        })
        .collect();
    match engine.ingest_batch("acme", &batch) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Storage, "{e}"),
        Ok(slots) => assert!(
            slots.iter().all(|s| s.is_err()),
            "a batch was accepted on a full disk: {slots:?}"
        ),
    }
    // nothing partial: every stored request has its event, the groups count exactly those
    let (requests, events, counted, integrity) = counts(&db);
    assert_eq!(integrity, "ok");
    assert_eq!(requests, accepted as i64);
    assert_eq!(events, accepted as i64);
    assert_eq!(counted, accepted as i64);

    // space returns: the same engine takes the failed delivery (not a duplicate) and the batch
    assert!(fs.remount("size=64m"), "growing the tmpfs failed");
    let out = engine
        .ingest("acme", Source::Sentry, &hd, &big_body(failed_at, 64))
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    let slots = engine.ingest_batch("acme", &batch).unwrap();
    assert!(slots.iter().all(|s| s.is_ok()), "{slots:?}");
    let (requests, events, counted, integrity) = counts(&db);
    assert_eq!(integrity, "ok");
    assert_eq!(requests, accepted as i64 + 6);
    assert_eq!(events, requests);
    assert_eq!(counted, requests);
}

#[test]
fn read_only_file_system_is_a_storage_error_and_rw_again_works() {
    if crate::common::sqlite_only("the SQLite file on a file system remounted read-only") {
        return;
    }
    let Some(fs) = Tmpfs::mount("8m") else {
        return;
    };
    let db = fs.path().join("s.db");
    {
        let engine = crate::common::builder().store(&db).build().unwrap();
        engine.create_workspace("acme").unwrap();
        let hd = Headers::new().with("Sentry-Hook-Resource", "event_alert");
        engine
            .ingest("acme", Source::Sentry, &hd, &sentry_body("e0", "1", "t"))
            .unwrap();
    }
    // Linux refuses to remount read-only while a file is open for writing, so the engine is
    // closed first. SQLite then opens the file read-only without complaint (the schema is
    // current, so nothing needs writing): the engine opens, reads work, and every ingest is a
    // `storage` error that stores nothing.
    assert!(fs.remount("ro"), "remounting read-only failed");
    let hd = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    match crate::common::builder().store(&db).build() {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Storage, "{e}"),
        Ok(engine) => {
            assert_eq!(
                engine
                    .groups("acme", &Default::default())
                    .unwrap()
                    .groups
                    .len(),
                1
            );
            let err = engine
                .ingest("acme", Source::Sentry, &hd, &sentry_body("e1", "1", "t"))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
            let body = sentry_body("e2", "2", "t");
            let slots = engine.ingest_batch(
                "acme",
                &[Delivery {
                    source: Source::Sentry,
                    headers: &hd,
                    body: &body,
                }],
            );
            match slots {
                Err(e) => assert_eq!(e.kind(), ErrorKind::Storage, "{e}"),
                Ok(s) => assert!(s.iter().all(|r| r.is_err()), "{s:?}"),
            }
        }
    }
    // writable again: a newly opened engine takes the refused delivery (it was not stored)
    assert!(fs.remount("rw"));
    let engine = crate::common::builder().store(&db).build().unwrap();
    let out = engine
        .ingest("acme", Source::Sentry, &hd, &sentry_body("e1", "1", "t"))
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    let (requests, events, _, integrity) = counts(&db);
    assert_eq!((requests, events, integrity.as_str()), (2, 2, "ok"));
}
