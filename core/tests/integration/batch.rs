//! `Engine::ingest_batch`: many deliveries, one transaction, one slot per delivery, each
//! delivery all or nothing.

use crate::common::StoreUnderTest;
use crate::common::{Harness, compact, t0};
use signalcraft_core::{
    Delivery, ErrorKind, Headers, IngestDecision, ManualClock, Outcome, Source,
};
use std::sync::Arc;

pub fn sentry_body(event: &str, issue: &str, title: &str) -> Vec<u8> {
    let mut doc = compact("sentry/issue_alert_triggered.docs.json");
    doc["data"]["event"]["event_id"] = event.into();
    doc["data"]["event"]["issue_id"] = issue.into();
    doc["data"]["event"]["title"] = title.into();
    doc.to_string().into_bytes()
}

fn event_alert() -> Headers {
    Headers::new().with("Sentry-Hook-Resource", "event_alert")
}

#[test]
fn one_slot_per_delivery_and_a_bad_one_poisons_nothing() {
    let h = Harness::on_disk();
    let hd = event_alert();
    let a = sentry_body("e1", "1", "first");
    let b = sentry_body("e2", "1", "second, same issue");
    let bad = b"{\"action\": \"triggered\", \"data\": ".to_vec();
    let install = crate::common::fixture("sentry/installation_created.docs.json");
    let install_hd = Headers::new().with("Sentry-Hook-Resource", "installation");
    fn d<'a>(headers: &'a Headers, body: &'a [u8]) -> Delivery<'a> {
        Delivery {
            source: Source::Sentry,
            headers,
            body,
        }
    }
    let batch = [
        d(&hd, &a),
        d(&hd, &bad),
        d(&hd, &b),
        d(&hd, &a), // the same event again, inside the batch
        Delivery {
            source: Source::Sentry,
            headers: &install_hd,
            body: &install,
        },
    ];
    let out = h.engine.ingest_batch(h.ws(), &batch).unwrap();
    assert_eq!(out.len(), 5);
    let first = out[0].as_ref().unwrap();
    assert_eq!(first.alerts[0].decision, IngestDecision::NewGroup);
    assert_eq!(
        out[1].as_ref().unwrap_err().kind(),
        ErrorKind::InvalidInput,
        "{:?}",
        out[1]
    );
    let joined = out[2].as_ref().unwrap();
    assert_eq!(joined.alerts[0].decision, IngestDecision::Joined);
    assert_eq!(joined.alerts[0].group_id, first.alerts[0].group_id);
    assert_eq!(joined.alerts[0].count, 2);
    assert_eq!(out[3].as_ref().unwrap().outcome, Outcome::Duplicate);
    assert_eq!(out[4].as_ref().unwrap().outcome, Outcome::Ignored);
    assert_eq!(
        h.row_counts(),
        vec![
            ("requests", 2),
            ("alert_groups", 1),
            ("alert_events", 2),
            // a new group's `open` entry is read from its row
            ("group_timeline", 0),
            ("changes", 2)
        ]
    );
    // and after the batch, the same event is still a duplicate for a plain ingest
    let again = h.sentry("event_alert", &a).unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
}

#[test]
fn a_delivery_whose_write_fails_is_rolled_back_to_its_savepoint_alone() {
    let h = Harness::on_disk();
    let db = crate::common::Db::open(h.db_path());
    db.fail_inserts(
        "poison",
        "alert_events",
        "NEW.title = 'poison'",
        "poisoned write",
    );
    let hd = event_alert();
    let bodies = [
        sentry_body("e1", "1", "fine"),
        sentry_body("e2", "2", "poison"),
        sentry_body("e3", "3", "fine too"),
    ];
    let batch: Vec<Delivery<'_>> = bodies
        .iter()
        .map(|b| Delivery {
            source: Source::Sentry,
            headers: &hd,
            body: b,
        })
        .collect();
    let out = h.engine.ingest_batch(h.ws(), &batch).unwrap();
    assert!(out[0].is_ok() && out[2].is_ok(), "{out:?}");
    let err = out[1].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains("poisoned write"), "{err}");
    // the poisoned delivery left no request, group or change row behind
    assert_eq!(
        h.row_counts(),
        vec![
            ("requests", 2),
            ("alert_groups", 2),
            ("alert_events", 2),
            ("group_timeline", 0),
            ("changes", 2)
        ]
    );
    db.drop_trigger("poison", "alert_events");
    let retry = h.engine.ingest_batch(h.ws(), &batch[1..2]).unwrap();
    assert_eq!(retry[0].as_ref().unwrap().outcome, Outcome::Accepted);
}

#[test]
fn batched_and_one_by_one_decide_the_same() {
    let engine = |dir: &std::path::Path| {
        let clock = Arc::new(ManualClock::new(t0()));
        let e = crate::common::builder()
            .store(dir.join("s.db"))
            .clock(clock)
            .build()
            .unwrap();
        e.create_workspace("acme").unwrap();
        e
    };
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (single, batched) = (engine(d1.path()), engine(d2.path()));
    let hd = event_alert();
    let bodies: Vec<Vec<u8>> = (0..60)
        .map(|i| sentry_body(&format!("e{}", i % 50), &format!("{}", i % 7), "t"))
        .collect();
    let one: Vec<_> = bodies
        .iter()
        .map(|b| single.ingest("acme", Source::Sentry, &hd, b).unwrap())
        .collect();
    let batch: Vec<Delivery<'_>> = bodies
        .iter()
        .map(|b| Delivery {
            source: Source::Sentry,
            headers: &hd,
            body: b,
        })
        .collect();
    let many = batched.ingest_batch("acme", &batch).unwrap();
    for (i, (a, b)) in one.iter().zip(&many).enumerate() {
        let b = b.as_ref().unwrap();
        assert_eq!(a.outcome, b.outcome, "delivery {i}");
        let da: Vec<_> = a.alerts.iter().map(|x| (x.decision, x.count)).collect();
        let db: Vec<_> = b.alerts.iter().map(|x| (x.decision, x.count)).collect();
        assert_eq!(da, db, "delivery {i}");
    }
}

#[test]
fn an_unknown_workspace_fails_every_slot_and_stores_nothing() {
    let h = Harness::on_disk();
    let hd = event_alert();
    let body = sentry_body("e1", "1", "t");
    let out = h
        .engine
        .ingest_batch(
            "nope",
            &[Delivery {
                source: Source::Sentry,
                headers: &hd,
                body: &body,
            }],
        )
        .unwrap();
    assert_eq!(out[0].as_ref().unwrap_err().kind(), ErrorKind::NotFound);
    assert!(h.row_counts().iter().all(|(_, n)| *n == 0));
    assert!(h.engine.ingest_batch(h.ws(), &[]).unwrap().is_empty());
}

#[test]
fn an_oversized_body_fails_its_slot_before_anything_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let engine = crate::common::builder()
        .store(dir.path().join("s.db"))
        .max_body_bytes(8 * 1024)
        .build()
        .unwrap();
    engine.create_workspace("acme").unwrap();
    let hd = event_alert();
    let small = sentry_body("e1", "1", "t");
    let big = sentry_body("e2", "1", &"x".repeat(10_000));
    let out = engine
        .ingest_batch(
            "acme",
            &[
                Delivery {
                    source: Source::Sentry,
                    headers: &hd,
                    body: &big,
                },
                Delivery {
                    source: Source::Sentry,
                    headers: &hd,
                    body: &small,
                },
            ],
        )
        .unwrap();
    let err = out[0].as_ref().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    assert!(err.to_string().contains("over the limit"), "{err}");
    assert_eq!(out[1].as_ref().unwrap().outcome, Outcome::Accepted);
    // the same order as `ingest`: the size is checked before the workspace is looked up
    let err = engine
        .ingest_batch(
            "nope",
            &[Delivery {
                source: Source::Sentry,
                headers: &hd,
                body: &big,
            }],
        )
        .unwrap()
        .remove(0)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    let err = engine
        .ingest("nope", Source::Sentry, &hd, &big)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
}
