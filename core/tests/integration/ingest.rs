//! Idempotency and the shape of ingest answers.

use crate::common::{Harness, fixture};
use signalcraft_core::{Headers, IngestDecision, Outcome, Source};

fn headers(request_id: Option<&str>) -> Headers {
    let mut h = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    if let Some(id) = request_id {
        h.push("Request-ID", id);
    }
    h
}

#[test]
fn same_request_id_is_a_duplicate_and_changes_nothing() {
    let h = Harness::on_disk();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let first = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers(Some("aa11")), &body)
        .unwrap();
    assert_eq!(first.outcome, Outcome::Accepted);
    let before = h.row_counts();
    // a different body with the same Request-ID is still the same delivery
    let body2 = fixture("sentry/error_created.docs.json");
    let mut hd = headers(Some("aa11"));
    hd = Headers::from_iter(hd.iter().map(|(n, v)| {
        (
            n.to_string(),
            if n == "Sentry-Hook-Resource" {
                "error".into()
            } else {
                v.to_string()
            },
        )
    }));
    let again = h
        .engine
        .ingest(h.ws(), Source::Sentry, &hd, &body2)
        .unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
    assert!(again.reason.unwrap().contains("aa11"));
    assert_eq!(h.row_counts(), before);
}

#[test]
fn without_request_id_the_event_id_decides() {
    let h = Harness::on_disk();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let first = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers(None), &body)
        .unwrap();
    assert_eq!(first.alerts[0].decision, IngestDecision::NewGroup);
    let before = h.row_counts();
    let again = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers(None), &body)
        .unwrap();
    assert_eq!(again.outcome, Outcome::Duplicate);
    assert_eq!(again.alerts[0].decision, IngestDecision::Duplicate);
    assert_eq!(h.row_counts(), before);
    // a new Request-ID does not make the same event new
    let third = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers(Some("bb22")), &body)
        .unwrap();
    assert_eq!(third.outcome, Outcome::Duplicate);
}

#[test]
fn request_ids_are_per_workspace() {
    let h = Harness::on_disk();
    let other = h.engine.create_workspace("globex").unwrap();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let a = h
        .engine
        .ingest(h.ws(), Source::Sentry, &headers(Some("cc33")), &body)
        .unwrap();
    let b = h
        .engine
        .ingest(
            other.id.as_str(),
            Source::Sentry,
            &headers(Some("cc33")),
            &body,
        )
        .unwrap();
    assert_eq!(a.outcome, Outcome::Accepted);
    assert_eq!(b.outcome, Outcome::Accepted);
    assert_eq!(b.alerts[0].decision, IngestDecision::NewGroup);
    assert_ne!(a.alerts[0].group_id, b.alerts[0].group_id);
    // and the workspaces are walls: each sees only its own group
    assert_eq!(
        h.engine
            .groups(h.ws(), &Default::default())
            .unwrap()
            .groups
            .len(),
        1
    );
    let foreign = b.alerts[0].group_id.as_ref().unwrap();
    assert_eq!(
        h.engine.group(h.ws(), foreign.as_str()).unwrap_err().kind(),
        signalcraft_core::ErrorKind::NotFound
    );
}

#[test]
fn unknown_workspace_is_not_found() {
    let h = Harness::on_disk();
    let err = h
        .engine
        .ingest("nope", Source::Sentry, &headers(None), b"{}")
        .unwrap_err();
    assert_eq!(err.kind(), signalcraft_core::ErrorKind::NotFound);
}

#[test]
fn workspace_names_and_ids_both_resolve() {
    let h = Harness::on_disk();
    assert_eq!(h.engine.workspace("acme").unwrap().id, h.ws.id);
    assert_eq!(h.engine.workspace(h.ws()).unwrap().name, "acme");
    let dup = h.engine.create_workspace("acme").unwrap_err();
    assert_eq!(dup.kind(), signalcraft_core::ErrorKind::InvalidInput);
    assert_eq!(
        h.engine.create_workspace("ws_x").unwrap_err().kind(),
        signalcraft_core::ErrorKind::InvalidInput
    );
    assert_eq!(
        h.engine.create_workspace("bad name").unwrap_err().kind(),
        signalcraft_core::ErrorKind::InvalidInput
    );
}

#[test]
fn sensitive_headers_are_not_stored() {
    let h = Harness::on_disk();
    let hd = headers(None).with("Authorization", "Bearer s3cret");
    h.engine
        .ingest(
            h.ws(),
            Source::Sentry,
            &hd,
            &fixture("sentry/issue_alert_triggered.docs.json"),
        )
        .unwrap();
    let stored = crate::common::Db::open(h.db_path())
        .texts("SELECT headers FROM requests")
        .remove(0);
    assert!(!stored.contains("s3cret"), "{stored}");
    assert!(stored.contains("[redacted]"));
}
