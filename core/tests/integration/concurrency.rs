//! Concurrency: threads sharing one engine, and two engines on one database file. No event is
//! lost or duplicated, and `database is locked` never reaches the caller.

use crate::batch::sentry_body;
use crate::common::StoreUnderTest;
use signalcraft_core::{Delivery, Engine, Headers, Outcome, Source};
use std::sync::Arc;

const THREADS: usize = 4;
const PER_THREAD: usize = 60;

/// Every thread ingests its own events plus a shared set that every other thread sends too:
/// each shared event must be accepted exactly once and be a duplicate everywhere else.
fn hammer(engines: &[Arc<Engine>]) -> (usize, usize) {
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let engine = engines[t % engines.len()].clone();
            std::thread::spawn(move || {
                let hd = Headers::new().with("Sentry-Hook-Resource", "event_alert");
                let (mut accepted, mut duplicate) = (0, 0);
                for i in 0..PER_THREAD {
                    let body = if i % 3 == 0 {
                        sentry_body(&format!("shared-{i}"), &format!("{}", i % 5), "shared")
                    } else {
                        sentry_body(&format!("t{t}-{i}"), &format!("{}", i % 5), "own")
                    };
                    let outcome = if i % 2 == 0 {
                        engine.ingest("acme", Source::Sentry, &hd, &body)
                    } else {
                        let d = [Delivery {
                            source: Source::Sentry,
                            headers: &hd,
                            body: &body,
                        }];
                        engine
                            .ingest_batch("acme", &d)
                            .and_then(|mut v| v.remove(0))
                    };
                    match outcome {
                        Ok(o) if o.outcome == Outcome::Accepted => accepted += 1,
                        Ok(o) if o.outcome == Outcome::Duplicate => duplicate += 1,
                        Ok(o) => panic!("unexpected outcome {o:?}"),
                        Err(e) => panic!("thread {t}, event {i}: {e}"),
                    }
                }
                (accepted, duplicate)
            })
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().unwrap())
        .fold((0, 0), |(a, d), (x, y)| (a + x, d + y))
}

fn check(db: &std::path::Path, accepted: usize, duplicate: usize) {
    let shared = (0..PER_THREAD).filter(|i| i % 3 == 0).count();
    let own = THREADS * (PER_THREAD - shared);
    assert_eq!(accepted, own + shared, "accepted");
    assert_eq!(duplicate, shared * (THREADS - 1), "duplicates");
    let conn = crate::common::Db::open(db);
    let events = conn.int("SELECT COUNT(*) FROM alert_events");
    assert_eq!(events as usize, own + shared, "stored events");
    let twice = conn.int(
        "SELECT COUNT(*) FROM (SELECT group_key FROM alert_groups WHERE status <> 'resolved'
         GROUP BY workspace_id, group_key HAVING COUNT(*) > 1) AS twice",
    );
    assert_eq!(twice, 0, "an open group key is duplicated");
    let groups = conn.int("SELECT COUNT(*) FROM alert_groups");
    assert_eq!(groups, 5, "five issues, five groups");
    let counted = conn.int("SELECT CAST(SUM(count) AS BIGINT) FROM alert_groups");
    assert_eq!(
        counted as usize,
        own + shared,
        "group counts add up to the events"
    );
}

#[test]
fn threads_sharing_one_engine() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let engine = Arc::new(crate::common::builder().store(&db).build().unwrap());
    engine.create_workspace("acme").unwrap();
    let (a, d) = hammer(&[engine]);
    check(&db, a, d);
}

#[test]
fn two_engines_on_one_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let first = Arc::new(crate::common::builder().store(&db).build().unwrap());
    first.create_workspace("acme").unwrap();
    let second = Arc::new(crate::common::builder().store(&db).build().unwrap());
    let (a, d) = hammer(&[first, second]);
    check(&db, a, d);
}
