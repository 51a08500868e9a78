//! Bad input: a typed `invalid_input` error naming where, nothing stored, no panic.

use crate::common::{Harness, fixture};
use signalcraft_core::{ErrorKind, Headers, Source};

fn check(h: &Harness, resource: Option<&str>, body: &[u8], needle: &str) {
    let mut hd = Headers::new();
    if let Some(r) = resource {
        hd.push("Sentry-Hook-Resource", r);
    }
    let err = h
        .engine
        .ingest(h.ws(), Source::Sentry, &hd, body)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().contains(needle),
        "expected {needle:?} in {err}"
    );
    assert!(
        h.row_counts().iter().all(|(_, n)| *n == 0),
        "{:?}",
        h.row_counts()
    );
}

fn with(file: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(&fixture(file)).unwrap();
    edit(&mut doc);
    doc.to_string().into_bytes()
}

#[test]
fn truncated_json() {
    let h = Harness::on_disk();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    check(
        &h,
        Some("event_alert"),
        &body[..body.len() / 2],
        "not valid JSON",
    );
    check(&h, Some("event_alert"), b"", "not valid JSON");
}

#[test]
fn wrong_types_name_the_path() {
    let h = Harness::on_disk();
    let ev = "sentry/issue_alert_triggered.docs.json";
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| d["data"]["event"]["level"] = 5.into()),
        "data.event.level: expected a string",
    );
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| d["data"]["event"]["level"] = "loud".into()),
        "data.event.level: unknown Sentry level",
    );
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| {
            d["data"]["event"]["issue_id"] = serde_json::json!({"x": 1})
        }),
        "data.event.issue_id: expected an id",
    );
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| d["data"]["event"]["tags"] = "a=b".into()),
        "data.event.tags: expected an array",
    );
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| d["data"]["event"]["tags"][2] = 7.into()),
        "data.event.tags[2]",
    );
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| d["data"]["event"]["datetime"] = "yesterday".into()),
        "data.event.datetime: not an RFC 3339 time",
    );
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| d["data"] = serde_json::json!([])),
        "data: expected an object",
    );
    check(
        &h,
        Some("event_alert"),
        &with(ev, |d| {
            d["data"]["event"]
                .as_object_mut()
                .unwrap()
                .remove("issue_id");
            d["data"]["event"]
                .as_object_mut()
                .unwrap()
                .remove("issue_url");
        }),
        "data.event.issue_id: missing",
    );
    check(
        &h,
        Some("issue"),
        &with("sentry/issue_created.docs.json", |d| {
            d["data"]["issue"]["id"] = true.into()
        }),
        "data.issue.id",
    );
    check(
        &h,
        Some("metric_alert"),
        &with("sentry/metric_alert_resolved.docs.json", |d| {
            d["data"]["metric_alert"]["date_closed"] = serde_json::json!([1])
        }),
        "data.metric_alert.date_closed",
    );
    check(&h, Some("event_alert"), b"[1,2,3]", "$: expected an object");
    check(
        &h,
        Some("event_alert"),
        b"{\"action\": 5, \"data\": {}}",
        "action: expected a string",
    );
}

#[test]
fn unknown_resource_and_action() {
    let h = Harness::on_disk();
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    check(
        &h,
        Some("telepathy"),
        &body,
        "unknown Sentry resource \"telepathy\"",
    );
    check(
        &h,
        None,
        b"{\"hello\": \"world\"}",
        "Sentry-Hook-Resource: missing",
    );
}

#[test]
fn ten_megabyte_body() {
    let h = Harness::on_disk();
    let mut big =
        b"{\"action\":\"triggered\",\"data\":{\"event\":{\"issue_id\":\"1\",\"message\":\""
            .to_vec();
    big.resize(10 * 1024 * 1024, b'x');
    big.extend_from_slice(b"\"}}}");
    let hd = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let err = h
        .engine
        .ingest(h.ws(), Source::Sentry, &hd, &big)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    assert_eq!(err.path(), None);
    assert!(err.to_string().contains("over the limit"), "{err}");
    assert!(h.row_counts().iter().all(|(_, n)| *n == 0));
}

#[test]
fn deep_nesting_invalid_utf8_and_huge_numbers() {
    let h = Harness::on_disk();
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    check(&h, Some("event_alert"), deep.as_bytes(), "not valid JSON");
    check(
        &h,
        Some("event_alert"),
        b"{\"action\":\"triggered\",\"data\":{\"event\":{\"issue_id\":\"\xff\xfe\"}}}",
        "not valid JSON",
    );
    check(
        &h,
        Some("event_alert"),
        &with("sentry/issue_alert_triggered.docs.json", |d| {
            d["data"]["event"]["issue_id"] = serde_json::json!(1e300)
        }),
        "data.event.issue_id",
    );
    check(
        &h,
        Some("event_alert"),
        &with("sentry/issue_alert_triggered.docs.json", |d| {
            d["data"]["event"]
                .as_object_mut()
                .unwrap()
                .remove("datetime");
            d["data"]["event"]["timestamp"] = serde_json::json!(1e300);
        }),
        "data.event.timestamp: unix time out of range",
    );
}
