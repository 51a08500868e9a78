//! What ingest loads per delivery (workspace, settings, integration, opened secret, compiled
//! options) is kept per workspace configuration version: a change made by any engine on the
//! file, or by any process, applies from the next delivery; a rolled-back write changes nothing.

use crate::common::StoreUnderTest;
use crate::common::{Harness, builder, fixture};
use serde_json::json;
use signalcraft_core::{
    Engine, ErrorKind, Headers, IngestedAlert, IntegrationUpdate, Outcome, Source,
};

const AM: &str = "alertmanager/zulip_firing_2_alerts.json";

/// The first alert of an Alertmanager delivery ingested by `engine` into `acme`.
fn first(engine: &Engine, headers: &Headers) -> signalcraft_core::Result<IngestedAlert> {
    let out = engine.ingest("acme", Source::Alertmanager, headers, &fixture(AM))?;
    assert_eq!(out.outcome, Outcome::Accepted);
    Ok(out.alerts[0].clone())
}

fn bearer(secret: &str) -> Headers {
    Headers::new().with("Authorization", format!("Bearer {secret}"))
}

#[test]
fn another_engines_changes_apply_at_the_next_delivery() {
    let h = Harness::on_disk();
    let a = &h.engine;
    let b = builder()
        .store(h.db_path())
        .clock(h.clock.clone())
        .build()
        .unwrap();
    let none = Headers::new();

    // Both engines load (and keep) the defaults.
    for e in [a, &b] {
        let x = first(e, &none).unwrap();
        assert_eq!(x.title, "High CPU core temperature");
        assert_eq!(x.severity.as_str(), "critical");
        assert_eq!(x.fingerprint, "a1bc48475b20e73d");
    }

    // A changes the options: B's next delivery is parsed with them.
    h.configure(
        Source::Alertmanager,
        json!({"title_annotation": "description",
               "severity_map": {"critical": "info"},
               "fingerprint_fields": ["labels.host"]}),
        None,
    );
    let x = first(&b, &none).unwrap();
    assert_eq!(x.title, "CPU core temperature is 34.75C");
    assert_eq!(x.severity.as_str(), "info");
    assert!(x.fingerprint.starts_with("fields:"), "{}", x.fingerprint);

    // A sets a secret: B refuses a delivery without it and takes one with it.
    a.set_integration(
        "acme",
        Source::Alertmanager,
        &IntegrationUpdate {
            secret: Some("s3cret".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let err = first(&b, &none).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature, "{err}");
    let err = first(&b, &bearer("old")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature, "{err}");
    assert_eq!(
        first(&b, &bearer("s3cret")).unwrap().severity.as_str(),
        "info"
    );
    // and through the webhook path (what the hosts call) too
    let err = b
        .webhook(
            "acme",
            Some(Source::Alertmanager),
            &none,
            &fixture(AM),
            None,
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature, "{err}");

    // A rotates the secret: the old one stops working on B at once.
    a.set_integration(
        "acme",
        Source::Alertmanager,
        &IntegrationUpdate {
            secret: Some("n3w".into()),
            ..Default::default()
        },
    )
    .unwrap();
    let err = first(&b, &bearer("s3cret")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Signature, "{err}");
    first(&b, &bearer("n3w")).unwrap();

    // A changes the workspace's settings: B applies the new limit.
    a.patch_settings(
        "acme",
        &json!({"ingest_limits": {"alerts_per_delivery": 1}}),
    )
    .unwrap();
    let err = first(&b, &bearer("n3w")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("alerts_per_delivery"), "{err}");

    // The other way round: B clears the secret, the options and the limit; A, which loaded
    // the old ones, follows.
    first(a, &bearer("n3w")).unwrap_err();
    b.set_integration(
        "acme",
        Source::Alertmanager,
        &IntegrationUpdate {
            clear_secret: true,
            options: Some(serde_json::Value::Null),
            ..Default::default()
        },
    )
    .unwrap();
    b.patch_settings("acme", &json!({"ingest_limits": null}))
        .unwrap();
    let x = first(a, &none).unwrap();
    assert_eq!(x.title, "High CPU core temperature");
    assert_eq!(x.severity.as_str(), "critical");
    assert_eq!(x.fingerprint, "a1bc48475b20e73d");

    // A batch reads the limits of the version it runs at too.
    a.patch_settings("acme", &json!({"ingest_limits": {"batch_deliveries": 1}}))
        .unwrap();
    let body = fixture(AM);
    let d = signalcraft_core::Delivery {
        source: Source::Alertmanager,
        headers: &none,
        body: &body,
    };
    let err = b.ingest_batch("acme", &[d, d]).unwrap_err();
    assert!(err.to_string().contains("batch_deliveries"), "{err}");
}

#[test]
fn a_rolled_back_write_leaves_what_ingest_loaded_right() {
    let h = Harness::on_disk();
    h.configure(
        Source::Alertmanager,
        json!({"title_annotation": "description"}),
        None,
    );
    let none = Headers::new();
    assert_eq!(
        first(&h.engine, &none).unwrap().title,
        "CPU core temperature is 34.75C"
    );

    // Another process changes the options and a secret, and rolls back.
    let conn = crate::common::Db::open(h.db_path()).session();
    let version = |conn: &crate::common::Session| -> i64 {
        conn.int("SELECT config_version FROM workspaces WHERE name = 'acme'")
    };
    let before = version(&conn);
    let begin = crate::common::dialect("BEGIN IMMEDIATE;", "BEGIN;");
    conn.execute(&format!(
        r#"{begin}
           UPDATE integrations SET options = '{{"title_label": "host"}}', secret = 'plain'
               WHERE source = 'alertmanager';
           UPDATE workspaces SET settings = '{{"ingest_limits": {{"alerts_per_delivery": 1}}}}';"#
    ));
    assert_eq!(version(&conn), before + 2, "the triggers count both writes");
    // meanwhile the engine reads what is committed
    let view = h.engine.integration("acme", Source::Alertmanager).unwrap();
    assert_eq!(view.options, json!({"title_annotation": "description"}));
    assert!(!view.has_secret);
    conn.execute("ROLLBACK");
    assert_eq!(version(&conn), before);

    let x = first(&h.engine, &none).unwrap();
    assert_eq!(x.title, "CPU core temperature is 34.75C");

    // The same version number, reached again by a committed write of other content, is
    // loaded afresh: the cache only ever holds committed versions.
    conn.execute(
        r#"UPDATE integrations SET options = '{"title_label": "host", "title_annotation": "none"}'
               WHERE source = 'alertmanager'"#,
    );
    assert_eq!(version(&conn), before + 1);
    assert_eq!(first(&h.engine, &none).unwrap().title, "andromeda");

    // A workspace named by its id (what the hosts send) follows the same version.
    let by_id = |engine: &Engine| {
        engine
            .ingest(h.ws(), Source::Alertmanager, &none, &fixture(AM))
            .unwrap()
            .alerts[0]
            .title
            .clone()
    };
    assert_eq!(by_id(&h.engine), "andromeda");
    conn.execute("UPDATE integrations SET options = 'null' WHERE source = 'alertmanager'");
    assert_eq!(by_id(&h.engine), "High CPU core temperature");
    assert_eq!(
        first(&h.engine, &none).unwrap().title,
        "High CPU core temperature"
    );
}

#[test]
fn an_unknown_workspace_and_a_bad_stored_mapping_fail_as_before() {
    let h = Harness::on_disk();
    let err = h
        .engine
        .ingest("nope", Source::Alertmanager, &Headers::new(), &fixture(AM))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // a generic integration without a mapping: every delivery says so, nothing is stored
    h.check_invalid(
        Source::Generic,
        &Headers::new(),
        br#"{"title": "x"}"#,
        "the generic source needs a mapping",
    );
    // a stored mapping that no longer validates (written by another process) fails each
    // delivery with its path, and is read afresh once fixed
    crate::common::Db::open(h.db_path()).execute(
        "INSERT INTO integrations (workspace_id, source, options, updated_at)
             SELECT id, 'generic', '{\"fields\": {}}', 0 FROM workspaces",
    );
    h.check_invalid(
        Source::Generic,
        &Headers::new(),
        br#"{"title": "x"}"#,
        "options.fields.title",
    );
    h.configure(Source::Generic, json!({"fields": {"title": "title"}}), None);
    let out = h.ingest(Source::Generic, br#"{"title": "x"}"#).unwrap();
    assert_eq!(out.alerts[0].title, "x");
}
