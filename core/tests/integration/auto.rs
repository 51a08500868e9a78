//! `auto`: the source is picked from headers and body shape, and the outcome says which.

use crate::common::{Harness, fixture};
use signalcraft_core::{ErrorKind, Headers, Source};

#[test]
fn every_fixture_is_recognized() {
    let cases: Vec<(&str, Source)> = [
        (crate::alertmanager::FIXTURES, Source::Alertmanager),
        (crate::grafana::FIXTURES, Source::Grafana),
        (crate::pagerduty::FIXTURES, Source::Pagerduty),
        (crate::opsgenie::FIXTURES, Source::Opsgenie),
        (
            &["datadog/relay_default_payload_service_check_triggered.json"][..],
            Source::Datadog,
        ),
    ]
    .iter()
    .flat_map(|(files, s)| files.iter().map(move |f| (*f, *s)))
    .chain(
        crate::common::SENTRY_FIXTURES
            .iter()
            .filter(|(_, r)| r.is_none())
            .map(|(f, _)| (*f, Source::Sentry)),
    )
    .collect();
    for (file, source) in cases {
        let h = Harness::on_disk();
        let out = h
            .engine
            .ingest_auto(h.ws(), &Headers::new(), &fixture(file))
            .unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(out.source, source, "{file}");
        assert!(
            out.notes[0].starts_with(&format!("auto: {source}")),
            "{file}: {:?}",
            out.notes
        );
    }
    // Sentry integration-platform payloads by header and by body
    for (file, resource) in crate::common::SENTRY_FIXTURES
        .iter()
        .filter(|(_, r)| r.is_some())
    {
        let h = Harness::on_disk();
        let hd = Headers::new().with("Sentry-Hook-Resource", resource.unwrap());
        assert_eq!(
            h.engine
                .ingest_auto(h.ws(), &hd, &fixture(file))
                .unwrap()
                .source,
            Source::Sentry
        );
        let h = Harness::on_disk();
        assert_eq!(
            h.engine
                .ingest_auto(h.ws(), &Headers::new(), &fixture(file))
                .unwrap()
                .source,
            Source::Sentry,
            "{file}"
        );
    }
}

#[test]
fn headers_decide_before_the_body() {
    let h = Harness::on_disk();
    let hd = Headers::new().with("User-Agent", "Alertmanager/0.25.0");
    let out = h
        .engine
        .ingest_auto(
            h.ws(),
            &hd,
            &fixture("alertmanager/alertmanager-bot_resolved.json"),
        )
        .unwrap();
    assert_eq!(out.source, Source::Alertmanager);
    assert!(out.notes[0].contains("User-Agent"), "{:?}", out.notes);
}

#[test]
fn unrecognized_is_invalid_unless_a_generic_mapping_exists() {
    let h = Harness::on_disk();
    let body = br#"{"summary": "disk full", "host": "a"}"#;
    let err = h
        .engine
        .ingest_auto(h.ws(), &Headers::new(), body)
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().contains("cannot tell the source"), "{err}");
    assert!(h.row_counts().iter().all(|(_, n)| *n == 0));
    assert_eq!(
        h.engine
            .ingest_auto(h.ws(), &Headers::new(), b"nope")
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
    h.configure(
        Source::Generic,
        serde_json::json!({"fields": {"title": "summary"}}),
        None,
    );
    let out = h.engine.ingest_auto(h.ws(), &Headers::new(), body).unwrap();
    assert_eq!(out.source, Source::Generic);
}

#[test]
fn oversized_bodies_are_refused_before_detection() {
    let h = Harness::on_disk();
    let big = vec![b' '; 6 * 1024 * 1024];
    let err = h
        .engine
        .ingest_auto(h.ws(), &Headers::new(), &big)
        .unwrap_err();
    assert_eq!(err.kind(), signalcraft_core::ErrorKind::TooLarge);
    assert!(err.to_string().contains("over the limit"), "{err}");
}
