//! The bad-input corpus (`core/tests/fixtures/bad/<source>/`, made by its `generate` script from
//! the real fixtures): truncated, wrong types, huge numbers, deep nesting, invalid UTF-8, plus
//! 10 MB bodies made here. Every payload must be a typed error, through the source's parser and
//! through `auto`, and nothing may be stored.

use crate::common::StoreUnderTest;
use crate::common::{Harness, fixture_path};
use signalcraft_core::{ErrorKind, Headers, Source};

fn generic_mapping() -> serde_json::Value {
    serde_json::json!({
        "events": "alerts",
        "fields": {"title": "summary", "severity": "level", "environment": "env",
                   "project": "service", "status": "state", "event_id": "id", "occurred_at": "ts"},
        "severity_map": {"P1": "critical"},
        "status_map": {"alerting": "firing", "ok": "resolved"}
    })
}

fn headers(source: Source) -> Headers {
    match source {
        Source::Sentry => Headers::new().with("Sentry-Hook-Resource", "event_alert"),
        _ => Headers::new(),
    }
}

fn harness() -> Harness {
    let h = Harness::on_disk();
    h.configure(Source::Generic, generic_mapping(), None);
    h
}

const SOURCES: [Source; 7] = [
    Source::Sentry,
    Source::Alertmanager,
    Source::Grafana,
    Source::Datadog,
    Source::Pagerduty,
    Source::Opsgenie,
    Source::Generic,
];

fn assert_refused(what: &str, result: signalcraft_core::Result<signalcraft_core::IngestOutcome>) {
    match result {
        Ok(o) => panic!("{what}: accepted as {:?}: {o:?}", o.outcome),
        Err(e) => assert!(
            matches!(
                e.kind(),
                ErrorKind::InvalidInput | ErrorKind::Signature | ErrorKind::TooLarge
            ),
            "{what}: {} error: {e}",
            e.kind()
        ),
    }
}

fn assert_nothing_stored(h: &Harness, what: &str) {
    assert!(
        h.row_counts().iter().all(|(_, n)| *n == 0),
        "{what}: {:?}",
        h.row_counts()
    );
}

#[test]
fn every_bad_payload_is_a_typed_error_and_stores_nothing() {
    let mut seen = 0;
    for source in SOURCES {
        let h = harness();
        let dir = fixture_path(&format!("bad/{source}"));
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 20, "{source}: only {} files", files.len());
        for f in files {
            let body = std::fs::read(&f).unwrap();
            let what = format!("{source}/{}", f.file_name().unwrap().to_string_lossy());
            assert_refused(
                &what,
                h.engine.ingest(h.ws(), source, &headers(source), &body),
            );
            assert_refused(
                &format!("auto: {what}"),
                h.engine.ingest_auto(h.ws(), &headers(source), &body),
            );
            seen += 1;
        }
        assert_nothing_stored(&h, &source.to_string());
    }
    assert!(seen >= 140, "{seen} files");
}

#[test]
fn the_corpus_is_bad_for_its_own_reasons() {
    // the payloads the corpus was made from are accepted: the mapping and headers are right
    let h = harness();
    let generic = br#"{"alerts":[{"id":"a1","summary":"disk full","level":"P1","env":"prod","service":"db","state":"alerting","ts":1772366400}]}"#;
    let out = h.ingest(Source::Generic, generic).unwrap();
    assert_eq!(out.outcome, signalcraft_core::Outcome::Accepted);
    let sentry = std::fs::read(fixture_path("sentry/issue_alert_triggered.docs.json")).unwrap();
    h.engine
        .ingest(h.ws(), Source::Sentry, &headers(Source::Sentry), &sentry)
        .unwrap();
}

/// 10 MB bodies: refused by the size limit, and, with the limit raised, by the parsers.
#[test]
fn ten_megabyte_bodies() {
    const TEN_MB: usize = 10 * 1024 * 1024;
    let valid_looking = {
        let mut s = String::from(r#"{"alerts":[{"summary":""#);
        s.push_str(&"x".repeat(TEN_MB));
        s.push_str(r#""}]}"#);
        s.into_bytes()
    };
    let truncated = valid_looking[..TEN_MB].to_vec();
    let deep = "[".repeat(TEN_MB).into_bytes();
    let string_root = format!("\"{}\"", "y".repeat(TEN_MB)).into_bytes();
    let many_numbers = {
        let mut s = String::from("[");
        while s.len() < TEN_MB {
            s.push_str("1e308,");
        }
        s.push_str("1e400]");
        s.into_bytes()
    };

    let h = harness();
    for source in SOURCES {
        assert_refused(
            &format!("{source}: 10 MB over the limit"),
            h.engine
                .ingest(h.ws(), source, &headers(source), &valid_looking),
        );
    }
    assert_refused(
        "auto: 10 MB",
        h.engine
            .ingest_auto(h.ws(), &Headers::new(), &valid_looking),
    );
    assert_nothing_stored(&h, "10 MB over the limit");

    // the limit raised: the parsers themselves refuse them
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let engine = crate::common::builder()
        .store(&db)
        .max_body_bytes(16 * 1024 * 1024)
        .build()
        .unwrap();
    let ws = engine.create_workspace("acme").unwrap();
    for source in SOURCES {
        for (name, body) in [
            ("truncated", &truncated),
            ("deep", &deep),
            ("string root", &string_root),
            ("out of range", &many_numbers),
        ] {
            assert_refused(
                &format!("{source}: 10 MB {name}"),
                engine.ingest(ws.id.as_str(), source, &headers(source), body),
            );
        }
    }
    let n = crate::common::Db::open(&db).int("SELECT COUNT(*) FROM requests");
    assert_eq!(n, 0);
}
