//! What only a PostgreSQL store has: its URL (TLS by `sslmode`, the password kept out of
//! messages), the secret key it must be given, its schema version, and a connection the server
//! drops. The behavioural suite itself runs on PostgreSQL too (SIGNALCRAFT_TEST_STORE=postgres).
//!
//! These tests need the cluster at SIGNALCRAFT_TEST_POSTGRES_URL (scripts/test starts one); without
//! it they fail, unless SIGNALCRAFT_SKIP_POSTGRES=1 says this machine has none.

use crate::common::{builder, fixture, fresh_postgres, pg};
use signalcraft_core::{Engine, ErrorKind, GroupQuery, Headers, Source};

const KEY: [u8; 32] = [3; 32];

/// False (and a line saying so) when SIGNALCRAFT_SKIP_POSTGRES=1.
fn have_postgres() -> bool {
    if std::env::var("SIGNALCRAFT_SKIP_POSTGRES").is_ok_and(|v| v == "1") {
        eprintln!("skipped: SIGNALCRAFT_SKIP_POSTGRES=1");
        return false;
    }
    true
}

fn ingest_one(engine: &Engine, ws: &str, n: usize) {
    let mut body: serde_json::Value =
        serde_json::from_slice(&fixture("sentry/issue_alert_triggered.docs.json")).unwrap();
    body["data"]["event"]["title"] = format!("alert {n}").into();
    body["data"]["event"]["event_id"] = format!("{n:032x}").into();
    let h = Headers::new()
        .with("Sentry-Hook-Resource", "event_alert")
        .with("Request-ID", format!("req-{n}"));
    engine
        .ingest(ws, Source::Sentry, &h, &serde_json::to_vec(&body).unwrap())
        .unwrap();
}

/// The schema version a database records.
fn schema_version(url: &str) -> i64 {
    pg(url, |c| {
        c.query_one("SELECT version FROM signalcraft_schema", &[])
            .unwrap()
            .get(0)
    })
}

/// Why an engine (with a key) does not start on `url`, after `sql` ran there.
fn refused_after(url: &str, sql: &'static str) -> signalcraft_core::Error {
    pg(url, move |c| c.batch_execute(sql).unwrap());
    builder().database(url).secret_key(KEY).build().unwrap_err()
}

#[test]
fn a_postgres_store_refuses_to_start_without_a_secret_key() {
    if !have_postgres() {
        return;
    }
    if std::env::var(signalcraft_core::secrets::KEY_ENV).is_ok() {
        eprintln!("SIGNALCRAFT_SECRET_KEY is set here: the refusal cannot be seen");
        return;
    }
    let url = fresh_postgres();
    let e = builder().database(&url).build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(e.path(), Some("SIGNALCRAFT_SECRET_KEY"), "{e}");
    // with a key it starts, and the schema is there
    let engine = builder().database(&url).secret_key(KEY).build().unwrap();
    engine.create_workspace("acme").unwrap();
    assert_eq!(schema_version(&url), signalcraft_core::SCHEMA_VERSION);
}

#[test]
fn a_postgres_database_of_a_newer_schema_is_refused_and_an_older_one_is_not_touched() {
    if !have_postgres() {
        return;
    }
    let url = fresh_postgres();
    drop(builder().database(&url).secret_key(KEY).build().unwrap());
    let e = refused_after(&url, "UPDATE signalcraft_schema SET version = version + 1");
    assert!(e.to_string().contains("newer than this build's"), "{e}");
    // a database with a version this build cannot step from is refused too, and left as it was
    let e = refused_after(&url, "UPDATE signalcraft_schema SET version = 1");
    assert!(e.to_string().contains("cannot migrate from"), "{e}");
    assert_eq!(schema_version(&url), 1);
}

#[test]
fn instances_starting_together_on_an_empty_database_create_the_schema_once() {
    if !have_postgres() {
        return;
    }
    let url = fresh_postgres();
    let engines: Vec<Engine> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|_| s.spawn(|| builder().database(&url).secret_key(KEY).build().unwrap()))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let rows: i64 = pg(&url, |c| {
        c.query_one("SELECT COUNT(*) FROM signalcraft_schema", &[])
            .unwrap()
            .get(0)
    });
    assert_eq!(rows, 1);
    let ws = engines[0].create_workspace("acme").unwrap();
    // what one instance writes, every other reads
    ingest_one(&engines[1], ws.id.as_str(), 1);
    for e in &engines {
        let page = e.groups(ws.id.as_str(), &GroupQuery::default()).unwrap();
        assert_eq!(page.groups.len(), 1);
    }
}

#[test]
fn urls_keep_their_password_out_of_messages_and_bad_sslmodes_are_named() {
    if !have_postgres() {
        return;
    }
    let b = builder()
        .database("postgres://app:hunter2@127.0.0.1:1/db")
        .secret_key(KEY);
    let shown = format!("{b:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("postgres://app:"), "{shown}");
    let e = b.build().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    assert!(!e.to_string().contains("hunter2"), "{e}");

    let e = builder()
        .database("postgres://app:hunter2@127.0.0.1:1/db?sslmode=verify-ca")
        .secret_key(KEY)
        .build()
        .unwrap_err();
    assert_eq!(e.path(), Some("database"), "{e}");
    assert!(
        e.to_string().contains("sslmode=verify-ca is not supported"),
        "{e}"
    );
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = builder()
        .database("postgres://127.0.0.1:1/db?sslmode=verify-full")
        .secret_key(KEY)
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("needs sslrootcert"), "{e}");
}

/// The TLS connections of this test's engine, as the server sees them.
fn tls_backends(admin: &str, db: &str) -> (i64, i64) {
    let db = db.to_owned();
    pg(admin, move |c| {
        let r = c
            .query_one(
                "SELECT COUNT(*) FILTER (WHERE s.ssl), COUNT(*) FILTER (WHERE NOT s.ssl)
                 FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid)
                 WHERE a.datname = $1 AND a.application_name = 'signalcraft'",
                &[&db],
            )
            .unwrap();
        (r.get(0), r.get(1))
    })
}

#[test]
fn sslmode_require_and_verify_full_connect_with_tls_and_no_sslmode_without() {
    if !have_postgres() {
        return;
    }
    let ca = std::env::var("SIGNALCRAFT_TEST_POSTGRES_CA").unwrap_or_else(|_| {
        panic!("SIGNALCRAFT_TEST_POSTGRES_CA names the test cluster's CA (scripts/postgres writes DIR/ca.crt)")
    });
    let admin = std::env::var("SIGNALCRAFT_TEST_POSTGRES_URL").unwrap();
    for (query, tls) in [
        (String::new(), false),
        ("?sslmode=disable".to_owned(), false),
        ("?sslmode=require".to_owned(), true),
        (format!("?sslmode=verify-full&sslrootcert={ca}"), true),
    ] {
        let url = fresh_postgres();
        let db = url.rsplit_once('/').unwrap().1.to_owned();
        let engine = builder()
            .database(format!("{url}{query}"))
            .secret_key(KEY)
            .build()
            .unwrap();
        let ws = engine.create_workspace("acme").unwrap();
        ingest_one(&engine, ws.id.as_str(), 1);
        engine
            .groups(ws.id.as_str(), &GroupQuery::default())
            .unwrap();
        let (with, without) = tls_backends(&admin, &db);
        if tls {
            assert!(
                with >= 2 && without == 0,
                "{query}: {with} TLS, {without} plain"
            );
        } else {
            assert!(
                with == 0 && without >= 2,
                "{query}: {with} TLS, {without} plain"
            );
        }
    }
    // a CA that did not sign the server's certificate is refused
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other.crt");
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=another CA", "-keyout"])
        .arg(dir.path().join("other.key"))
        .arg("-out")
        .arg(&other)
        .output()
        .unwrap();
    assert!(made.status.success());
    let url = fresh_postgres();
    let e = builder()
        .database(format!(
            "{url}?sslmode=verify-full&sslrootcert={}",
            other.display()
        ))
        .secret_key(KEY)
        .build()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
}

#[test]
fn a_connection_the_server_drops_is_opened_again() {
    if !have_postgres() {
        return;
    }
    let url = fresh_postgres();
    let db = url.rsplit_once('/').unwrap().1.to_owned();
    let admin = std::env::var("SIGNALCRAFT_TEST_POSTGRES_URL").unwrap();
    let engine = builder().database(&url).secret_key(KEY).build().unwrap();
    let ws = engine.create_workspace("acme").unwrap();
    ingest_one(&engine, ws.id.as_str(), 1);
    engine
        .groups(ws.id.as_str(), &GroupQuery::default())
        .unwrap();
    // an administrator (or a server restart) ends every connection of the engine
    let killed: i64 = pg(&admin, move |c| {
        c.query_one(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
             WHERE datname = $1 AND application_name = 'signalcraft'",
            &[&db],
        )
        .unwrap()
        .get(0)
    });
    assert!(killed >= 2, "{killed}");
    // the engine notices (the server says so before it closes), connects again on its next
    // write and read, and loses nothing
    std::thread::sleep(std::time::Duration::from_millis(500));
    ingest_one(&engine, ws.id.as_str(), 2);
    let page = engine
        .groups(ws.id.as_str(), &GroupQuery::default())
        .unwrap();
    assert_eq!(page.groups.len(), 1);
    assert_eq!(page.groups[0].count, 2, "both alerts stored");
}
