//! An ingest that fails mid-transaction leaves nothing behind.

use crate::common::{Db, Harness, fixture};
use signalcraft_core::{ErrorKind, Outcome};

#[test]
fn forced_failure_after_the_event_row_leaves_no_rows() {
    let h = Harness::on_disk();
    // A trigger makes the write that follows the event row (the change feed's) fail, from a
    // second connection, exactly as a crash or full disk would in the middle of the transaction.
    let db = Db::open(h.db_path());
    db.fail_inserts("fail_change", "changes", "1 = 1", "forced failure");
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let err = h.sentry("event_alert", &body).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.to_string().contains("forced failure"), "{err}");
    assert!(
        h.row_counts().iter().all(|(_, n)| *n == 0),
        "{:?}",
        h.row_counts()
    );

    // the engine stays usable once the cause is gone, and the same delivery is not a duplicate
    db.drop_trigger("fail_change", "changes");
    let out = h.sentry("event_alert", &body).unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    let counts = h.row_counts();
    assert_eq!(
        counts,
        vec![
            ("requests", 1),
            ("alert_groups", 1),
            ("alert_events", 1),
            ("group_timeline", 0),
            ("changes", 1)
        ]
    );
}

#[test]
fn failure_on_a_later_alert_rolls_back_the_earlier_ones() {
    let h = Harness::on_disk();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    h.sentry("event_alert", &body).unwrap();
    let before = h.row_counts();
    // the group update of a resolve fails after the request row was written
    Db::open(h.db_path()).fail_inserts("fail_event", "alert_events", "1 = 1", "disk on fire");
    let mut resolve: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_resolved.zulip.json")).unwrap();
    resolve["data"]["issue"]["id"] = "1117540176".into();
    let err = h
        .sentry("issue", resolve.to_string().as_bytes())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert_eq!(h.row_counts(), before);
    let detail = h.engine.groups(h.ws(), &Default::default()).unwrap();
    assert_eq!(
        detail.groups[0].status,
        signalcraft_core::GroupStatus::Open,
        "the resolve was rolled back"
    );
}
