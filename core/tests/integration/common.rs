use chrono::{DateTime, TimeDelta, Utc};
use signalcraft_core::{Engine, Headers, ManualClock, Source, Workspace};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn fixture_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(fixture_path(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// A fixture re-serialized as compact JSON (what Sentry actually sends), with a field changed.
pub fn compact(rel: &str) -> serde_json::Value {
    serde_json::from_slice(&fixture(rel)).unwrap()
}

pub fn t0() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

/// What every test engine may reach: loopback only (the test's own receivers). Everything else
/// stays refused, as in production.
pub fn loopback() -> signalcraft_core::PrivateTargets {
    signalcraft_core::PrivateTargets::from_env_value("127.0.0.0/8,::1/128").unwrap()
}

/// `Engine::builder()` as tests use it: loopback targets allowed ([`loopback`]).
pub fn builder() -> signalcraft_core::EngineBuilder {
    Engine::builder().allow_private_targets(loopback())
}

pub struct Harness {
    pub engine: Engine,
    pub clock: Arc<ManualClock>,
    pub ws: Workspace,
    _dir: Option<tempfile::TempDir>,
}

impl Harness {
    /// An engine on a SQLite file in a fresh temp dir, with a manual clock at t0.
    pub fn on_disk() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signalcraft.db");
        let clock = Arc::new(ManualClock::new(t0()));
        let engine = builder().path(&path).clock(clock.clone()).build().unwrap();
        let ws = engine.create_workspace("acme").unwrap();
        Self {
            engine,
            clock,
            ws,
            _dir: Some(dir),
        }
    }

    /// Like [`Harness::on_disk`], with request bodies up to `bytes` accepted.
    pub fn on_disk_with_body_limit(bytes: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signalcraft.db");
        let clock = Arc::new(ManualClock::new(t0()));
        let engine = builder()
            .path(&path)
            .clock(clock.clone())
            .max_body_bytes(bytes)
            .build()
            .unwrap();
        let ws = engine.create_workspace("acme").unwrap();
        Self {
            engine,
            clock,
            ws,
            _dir: Some(dir),
        }
    }

    pub fn db_path(&self) -> PathBuf {
        self._dir.as_ref().unwrap().path().join("signalcraft.db")
    }

    pub fn ws(&self) -> &str {
        self.ws.id.as_str()
    }

    pub fn advance(&self, by: TimeDelta) {
        self.clock.advance(by);
    }

    pub fn sentry(
        &self,
        resource: &str,
        body: &[u8],
    ) -> signalcraft_core::Result<signalcraft_core::IngestOutcome> {
        let h = Headers::new().with("Sentry-Hook-Resource", resource);
        self.engine.ingest(self.ws(), Source::Sentry, &h, body)
    }

    /// Row counts of every data table (opened beside the engine), to prove what was written.
    pub fn row_counts(&self) -> Vec<(&'static str, i64)> {
        let conn = rusqlite::Connection::open(self.db_path()).unwrap();
        [
            "requests",
            "alert_groups",
            "alert_events",
            "group_timeline",
            "changes",
        ]
        .into_iter()
        .map(|t| {
            let n: i64 = conn
                .query_row(&format!("SELECT COUNT(*) FROM {t}"), [], |r| r.get(0))
                .unwrap();
            (t, n)
        })
        .collect()
    }
}

/// The `Sentry-Hook-Resource` each fixture was sent with (from the fixtures' README).
pub const SENTRY_FIXTURES: &[(&str, Option<&str>)] = &[
    (
        "sentry/issue_alert_triggered.docs.json",
        Some("event_alert"),
    ),
    (
        "sentry/metric_alert_resolved.docs.json",
        Some("metric_alert"),
    ),
    ("sentry/issue_created.docs.json", Some("issue")),
    ("sentry/error_created.docs.json", Some("error")),
    (
        "sentry/installation_created.docs.json",
        Some("installation"),
    ),
    ("sentry/comment_created.docs.json", Some("comment")),
    ("sentry/issue_created.zulip.json", Some("issue")),
    ("sentry/issue_resolved.zulip.json", Some("issue")),
    ("sentry/issue_assigned.zulip.json", Some("issue")),
    ("sentry/issue_ignored.zulip.json", Some("issue")),
    ("sentry/legacy_webhooks_plugin.zulip.json", None),
];

/// Parses `body` as `source` with the given options and secret, at `now`.
pub fn parse_as(
    source: Source,
    headers: &Headers,
    body: &[u8],
    options: serde_json::Value,
    secret: Option<&str>,
    now: DateTime<Utc>,
) -> signalcraft_core::Result<signalcraft_core::sources::Parsed> {
    let ws = signalcraft_core::WorkspaceId::from("ws_test");
    let config = signalcraft_core::sources::IntegrationConfig {
        secret: secret.map(str::to_string),
        max_skew_secs: None,
        options,
    };
    signalcraft_core::sources::parse(
        source,
        &signalcraft_core::sources::SourceInput {
            workspace: &ws,
            config: &config,
            options: &signalcraft_core::sources::CompiledOptions::load(source, &config.options),
            headers,
            body,
            now,
        },
    )
}

/// The alerts and notes of a parse that must give alerts.
pub fn alerts(
    parsed: signalcraft_core::sources::Parsed,
) -> (Vec<signalcraft_core::NormalizedAlert>, Vec<String>) {
    match parsed {
        signalcraft_core::sources::Parsed::Alerts { alerts, notes, .. } => (alerts, notes),
        other => panic!("expected alerts, got {other:?}"),
    }
}

/// Snapshots every fixture of a source: `(file, headers)` parsed at `now`.
pub fn snapshot_fixtures(source: Source, files: &[&str], now: DateTime<Utc>) {
    for file in files {
        let parsed = parse_as(
            source,
            &Headers::new(),
            &fixture(file),
            serde_json::Value::Null,
            None,
            now,
        )
        .unwrap_or_else(|e| panic!("{file}: {e}"));
        let name = file
            .split('/')
            .next_back()
            .unwrap()
            .trim_end_matches(".json")
            .replace(['.', '-'], "_");
        let name = format!("{source}__{name}");
        let value = match parsed {
            signalcraft_core::sources::Parsed::Alerts {
                alerts,
                notes,
                delivery_id,
                ..
            } => serde_json::json!({"alerts": alerts, "notes": notes, "delivery_id": delivery_id}),
            signalcraft_core::sources::Parsed::Ignored { reason } => {
                serde_json::json!({"ignored": reason})
            }
        };
        insta::assert_json_snapshot!(name, value);
    }
}

/// A fixture with an edit applied, re-serialized.
pub fn edited(file: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(&fixture(file)).unwrap();
    edit(&mut doc);
    doc.to_string().into_bytes()
}

impl Harness {
    /// Ingests as `source` with no headers.
    pub fn ingest(
        &self,
        source: Source,
        body: &[u8],
    ) -> signalcraft_core::Result<signalcraft_core::IngestOutcome> {
        self.engine.ingest(self.ws(), source, &Headers::new(), body)
    }

    /// Sets an integration's options (and secret).
    pub fn configure(&self, source: Source, options: serde_json::Value, secret: Option<&str>) {
        self.engine
            .set_integration(
                self.ws(),
                source,
                &signalcraft_core::IntegrationUpdate {
                    secret: secret.map(str::to_string),
                    options: Some(options),
                    ..Default::default()
                },
            )
            .unwrap();
    }

    /// Asserts `invalid_input` naming `needle`, and that nothing was stored.
    pub fn check_invalid(&self, source: Source, headers: &Headers, body: &[u8], needle: &str) {
        let err = self
            .engine
            .ingest(self.ws(), source, headers, body)
            .unwrap_err();
        assert_eq!(
            err.kind(),
            signalcraft_core::ErrorKind::InvalidInput,
            "{source}: {err}"
        );
        assert!(
            err.to_string().contains(needle),
            "{source}: expected {needle:?} in {err}"
        );
        assert!(
            self.row_counts().iter().all(|(_, n)| *n == 0),
            "{source}: {:?}",
            self.row_counts()
        );
    }
}
