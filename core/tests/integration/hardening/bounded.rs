//! Bounded work per request: notes, caps, retention, redaction.

use crate::common::{Harness, fixture};
use chrono::TimeDelta;
use serde_json::{Value, json};
use signalcraft_core::{Delivery, ErrorKind, Headers, IntegrationUpdate, Outcome, Source};

/// The first alert of a real Alertmanager body (metalmatze/alertmanager-bot's `firing.sh`): its
/// `endsAt` is long before receipt, so each copy of it earns a note of its own, with its path.
fn fixture_alert() -> Value {
    let doc: Value =
        serde_json::from_slice(&fixture("alertmanager/alertmanager-bot_firing.json")).unwrap();
    doc["alerts"][0].clone()
}

/// An Alertmanager body of `n` copies of the fixture's alert, reduced to what the parser reads
/// (status, labels, endsAt), as a hostile sender would pack them.
fn am_body(n: usize) -> Vec<u8> {
    let a = fixture_alert();
    let alert = json!({
        "status": a["status"],
        "labels": a["labels"],
        "endsAt": a["endsAt"],
    });
    let one = serde_json::to_string(&alert).unwrap();
    let mut body = String::with_capacity(n * (one.len() + 1) + 64);
    body.push_str(r#"{"version":"4","status":"firing","alerts":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&one);
    }
    body.push_str("]}");
    body.into_bytes()
}

fn db(h: &Harness) -> crate::common::Db {
    crate::common::Db::open(h.db_path())
}

fn count(h: &Harness, sql: &str) -> i64 {
    db(h).int(sql)
}

fn raise_alert_cap(h: &Harness, to: u32) {
    h.engine
        .patch_settings(
            h.ws(),
            &json!({"ingest_limits": {"alerts_per_delivery": to}}),
        )
        .unwrap();
}

fn all_empty(h: &Harness) -> bool {
    h.row_counts().iter().all(|(_, n)| *n == 0)
}

#[test]
fn a_160k_alert_delivery_stores_linear_notes() {
    const N: usize = 160_000;
    // ~120 bytes an alert: a 19 MB body (bare `{"labels":{}}` alerts pack 160k into 5 MiB)
    let h = Harness::on_disk_with_body_limit(32 * 1024 * 1024);
    raise_alert_cap(&h, N as u32);
    let body = am_body(N);
    let out = h
        .engine
        .ingest(h.ws(), Source::Alertmanager, &Headers::new(), &body)
        .unwrap();
    assert_eq!(out.alerts.len(), N);
    // the outcome sums the notes up per kind, with a count
    let expired: Vec<&String> = out
        .notes
        .iter()
        .filter(|n| n.contains("endsAt is at or before receipt"))
        .collect();
    assert_eq!(expired.len(), 1, "{:?}", out.notes);
    assert!(
        expired[0].contains(&format!("(and {} more like it)", N - 1)),
        "{expired:?}"
    );
    assert!(out.notes.len() <= 3, "{:?}", out.notes);
    // each alert's own trace holds its own note, not the delivery's N
    let last = &out.alerts[N - 1].trace["notes"];
    assert_eq!(last.as_array().map(Vec::len), Some(1), "{last}");
    assert!(
        last[0]
            .as_str()
            .unwrap()
            .starts_with(&format!("alerts[{}]", N - 1))
    );

    // stored: one note per event, and a bounded trace per event
    assert_eq!(count(&h, "SELECT COUNT(*) FROM alert_events"), N as i64);
    let notes = count(
        &h,
        crate::common::dialect(
            "SELECT SUM(json_array_length(trace, '$.notes')) FROM alert_events",
            "SELECT SUM(json_array_length(trace::json -> 'notes'))::bigint FROM alert_events",
        ),
    );
    assert_eq!(notes, N as i64);
    let bytes = count(
        &h,
        crate::common::dialect(
            "SELECT SUM(length(trace)) FROM alert_events",
            "SELECT SUM(length(trace))::bigint FROM alert_events",
        ),
    );
    eprintln!("stored: {N} events, {notes} notes, {bytes} trace bytes");
    assert!(
        bytes <= (N as i64) * 4096,
        "{bytes} trace bytes for {N} events"
    );
}

#[test]
fn notes_of_many_kinds_stay_bounded_in_the_summary() {
    // generic events each with their own unknown severity: one note kind per value, capped
    let h = Harness::on_disk();
    h.engine
        .set_integration(
            h.ws(),
            Source::Generic,
            &IntegrationUpdate {
                options: Some(json!({"fields": {"title": "t", "severity": "s", "event_id": "id"}})),
                ..Default::default()
            },
        )
        .unwrap();
    let events: Vec<Value> = (0..500)
        .map(
            |i| json!({"t": "disk full", "s": format!("level-{i}"), "id": format!("e{}", i % 250)}),
        )
        .collect();
    let out = h
        .engine
        .ingest(
            h.ws(),
            Source::Generic,
            &Headers::new(),
            &serde_json::to_vec(&events).unwrap(),
        )
        .unwrap();
    // the second half repeats event ids of the first: duplicates in the same delivery
    let dup = out
        .alerts
        .iter()
        .filter(|a| a.decision.as_str() == "duplicate")
        .count();
    assert_eq!(dup, 250);
    assert!(out.notes.len() <= 51, "{} notes", out.notes.len());
    assert!(
        out.notes
            .last()
            .unwrap()
            .starts_with("450 more alert notes of other kinds"),
        "{:?}",
        out.notes.last()
    );
    let notes = count(
        &h,
        crate::common::dialect(
            "SELECT SUM(json_array_length(trace, '$.notes')) FROM alert_events",
            "SELECT SUM(json_array_length(trace::json -> 'notes'))::bigint FROM alert_events",
        ),
    );
    assert_eq!(notes, 250);
}

#[test]
fn alerts_per_delivery_are_capped_and_nothing_is_stored_over_the_cap() {
    let h = Harness::on_disk();
    let limits = h.engine.settings(h.ws()).unwrap().ingest_limits;
    assert_eq!(limits.alerts_per_delivery, 1_000);
    let e = h
        .engine
        .ingest(
            h.ws(),
            Source::Alertmanager,
            &Headers::new(),
            &am_body(1_001),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("alerts_per_delivery"), "{e}");
    assert!(e.to_string().contains("1001"), "{e}");
    assert!(all_empty(&h), "{:?}", h.row_counts());
    // the same through the authenticated webhook
    let key = h
        .engine
        .create_ingest_key(h.ws(), Source::Alertmanager)
        .unwrap();
    let e = h
        .engine
        .webhook(
            h.ws(),
            Some(Source::Alertmanager),
            &Headers::new(),
            &am_body(1_001),
            Some(&key.key),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(all_empty(&h), "{:?}", h.row_counts());
    // at the cap: accepted
    let out = h
        .engine
        .ingest(
            h.ws(),
            Source::Alertmanager,
            &Headers::new(),
            &am_body(1_000),
        )
        .unwrap();
    assert_eq!(out.alerts.len(), 1_000);
    // the cap is validated
    let e = h
        .engine
        .patch_settings(
            h.ws(),
            &json!({"ingest_limits": {"alerts_per_delivery": 0}}),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        e.to_string()
            .contains("settings.ingest_limits.alerts_per_delivery"),
        "{e}"
    );
}

#[test]
fn batches_are_capped_by_count_and_bytes_and_store_nothing_over() {
    let h = Harness::on_disk();
    h.engine
        .patch_settings(
            h.ws(),
            &json!({"ingest_limits": {"batch_deliveries": 3, "batch_bytes": 2048}}),
        )
        .unwrap();
    let body = fixture("alertmanager/alertmanager-bot_firing.json");
    let headers = Headers::new();
    let d = Delivery {
        source: Source::Alertmanager,
        headers: &headers,
        body: &body,
    };
    let e = h.engine.ingest_batch(h.ws(), &[d; 4]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("batch_deliveries"), "{e}");
    assert!(all_empty(&h), "{:?}", h.row_counts());
    // three fit by count, but not by bytes
    let body = [body.as_slice(), &[b' '; 200]].concat();
    let d = Delivery {
        source: Source::Alertmanager,
        headers: &headers,
        body: &body,
    };
    assert!(
        body.len() * 3 > 2048 && body.len() * 2 <= 2048,
        "{}",
        body.len()
    );
    let e = h.engine.ingest_batch(h.ws(), &[d; 3]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert!(e.to_string().contains("batch_bytes"), "{e}");
    assert!(all_empty(&h), "{:?}", h.row_counts());
    let slots = h.engine.ingest_batch(h.ws(), &[d; 2]).unwrap();
    assert!(slots.iter().all(Result::is_ok));
    let e = h
        .engine
        .patch_settings(h.ws(), &json!({"ingest_limits": {"batch_bytes": 10}}))
        .unwrap_err();
    assert!(
        e.to_string().contains("settings.ingest_limits.batch_bytes"),
        "{e}"
    );
}

#[test]
fn retention_purges_unmatched_events_and_raw_bodies() {
    let h = Harness::on_disk();
    // keep the group below open past retention
    h.engine
        .patch_settings(h.ws(), &json!({"hygiene": {"auto_close_after_mins": 0}}))
        .unwrap();
    // a resolve for nothing open: an event that never joins a group
    let resolved = fixture("alertmanager/alertmanager-bot_resolved.json");
    let out = h
        .engine
        .ingest(h.ws(), Source::Alertmanager, &Headers::new(), &resolved)
        .unwrap();
    assert_eq!(out.alerts[0].decision.as_str(), "unmatched");
    assert!(out.alerts[0].group_id.is_none());
    // and an open group that keeps firing (its events stay, its raw bodies go)
    let firing = fixture("alertmanager/zulip_firing_2_alerts.json");
    h.engine
        .ingest(h.ws(), Source::Alertmanager, &Headers::new(), &firing)
        .unwrap();
    assert_eq!(count(&h, "SELECT COUNT(*) FROM requests"), 2);
    // within retention nothing goes
    h.advance(TimeDelta::days(29));
    let r = h.engine.tick(Some(h.ws())).unwrap();
    assert_eq!((r.purged_unmatched, r.purged_bodies), (0, 0));
    h.advance(TimeDelta::days(2));
    let r = h.engine.tick(Some(h.ws())).unwrap();
    assert_eq!(r.purged_unmatched, 1);
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) FROM alert_events WHERE group_id IS NULL"
        ),
        0
    );
    // the unmatched event's request went with it; the open group's is emptied, not deleted
    assert_eq!(count(&h, "SELECT COUNT(*) FROM requests"), 1);
    assert_eq!(r.purged_bodies, 1);
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) FROM requests WHERE purged_at IS NOT NULL AND length(body) = 0"
        ),
        1
    );
    assert_eq!(
        count(
            &h,
            "SELECT COUNT(*) FROM alert_events WHERE group_id IS NOT NULL"
        ),
        2
    );
    let r = h.engine.tick(Some(h.ws())).unwrap();
    assert_eq!((r.purged_unmatched, r.purged_bodies), (0, 0));
}

#[test]
fn raw_bodies_and_headers_are_stored_without_credentials() {
    let h = Harness::on_disk();
    let key = "R0UTING-KEY-e93facc04764012d7bfb";
    h.engine
        .set_integration(
            h.ws(),
            Source::Pagerduty,
            &IntegrationUpdate {
                secret: Some(key.into()),
                ..Default::default()
            },
        )
        .unwrap();
    let mut doc: Value =
        serde_json::from_slice(&fixture("pagerduty/events_v2_trigger.docs.json")).unwrap();
    doc["routing_key"] = json!(key);
    let body = serde_json::to_vec(&doc).unwrap();
    let ingest_key = "sck_0123456789abcdef";
    let headers = Headers::new()
        .with("X-Routing-Key", key)
        .with("Authorization", format!("Bearer {ingest_key}"))
        .with(
            "X-Forwarded-Uri",
            format!("/webhooks/acme/pagerduty?key={ingest_key}&x=1"),
        )
        .with("X-Hub-Signature-256", "sha256=abcdef")
        .with("User-Agent", "curl/8.5");
    let out = h
        .engine
        .webhook(h.ws(), Some(Source::Pagerduty), &headers, &body, None)
        .unwrap();
    assert_eq!(out.outcome, Outcome::Accepted);
    let row = db(&h).rows("SELECT headers, body FROM requests").remove(0);
    let (stored_headers, stored_body) = (row[0].text(), row[1].blob());
    let text = String::from_utf8(stored_body).unwrap();
    assert!(!text.contains(key), "{text}");
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(stored["routing_key"], "[redacted]");
    assert_eq!(stored["payload"], doc["payload"]);
    assert!(!stored_headers.contains(key), "{stored_headers}");
    assert!(!stored_headers.contains(ingest_key), "{stored_headers}");
    assert!(!stored_headers.contains("abcdef"), "{stored_headers}");
    assert!(stored_headers.contains("curl/8.5"), "{stored_headers}");
    assert!(stored_headers.contains("&x=1"), "{stored_headers}");
}
