//! Shared helpers for SignalCraft's fuzz targets: run one payload through a source parser the
//! way `Engine::ingest` does (parse, then the group key of every alert and its JSON form).

use signalcraft_core::fingerprint::alert_group_key;
use signalcraft_core::sources::{self, IntegrationConfig, Parsed, SourceInput};
use signalcraft_core::{Headers, Source, WorkspaceId};

/// The `Sentry-Hook-Resource` values a fuzz input's first byte picks from (`None`: no header).
pub const SENTRY_RESOURCES: [Option<&str>; 7] = [
    None,
    Some("event_alert"),
    Some("error"),
    Some("issue"),
    Some("metric_alert"),
    Some("installation"),
    Some("comment"),
];

/// The generic mapping the `generic` target parses with (the README's example, minus the
/// signature, which needs a secret).
pub fn generic_mapping() -> serde_json::Value {
    serde_json::json!({
        "events": "alerts",
        "fields": {"title": "summary", "severity": "level", "environment": "env",
                   "project": "service", "status": "state", "event_id": "id", "link": "url",
                   "occurred_at": "ts", "message": "msg", "tags": "labels"},
        "severity_map": {"P1": "critical", "P2": "error"},
        "status_map": {"ok": "resolved", "alerting": "firing"},
        "fingerprint_fields": ["service", "check", "body.alerts.0.id", "tags.team"]
    })
}

/// A fixed receipt time, so that runs are reproducible.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(1_772_366_400, 0).unwrap_or_default()
}

/// Parses `body` as `source` would be at ingest; panics only if the parser or what follows it
/// (group keys, serialization) does.
pub fn run_source(source: Source, headers: &Headers, options: serde_json::Value, body: &[u8]) {
    let ws = WorkspaceId::from("ws_fuzz");
    let config = IntegrationConfig {
        options,
        ..IntegrationConfig::default()
    };
    let input = SourceInput {
        workspace: &ws,
        config: &config,
        options: &signalcraft_core::sources::CompiledOptions::load(source, &config.options),
        headers,
        body,
        now: now(),
    };
    if let Ok(Parsed::Alerts { alerts, .. }) = sources::parse(source, &input) {
        for a in &alerts {
            std::hint::black_box(alert_group_key(a));
            // what the engine stores for every event must serialize
            let text = serde_json::to_string(a).unwrap_or_default();
            assert!(!text.is_empty(), "a normalized alert did not serialize");
        }
    }
}

/// The alert rule and condition targets evaluate against.
pub fn sample_alert() -> signalcraft_core::NormalizedAlert {
    signalcraft_core::NormalizedAlert {
        workspace: "ws_fuzz".into(),
        source: Source::Sentry,
        source_event_id: Some("e1".into()),
        project: Some("checkout".into()),
        environment: Some("production".into()),
        severity: signalcraft_core::Severity::Error,
        status: signalcraft_core::AlertStatus::Firing,
        fingerprint: "issue:42".into(),
        title: "TimeoutError: upstream took 31s".into(),
        message: Some("GET /api/cart".into()),
        tags: [
            ("team".to_string(), "payments".to_string()),
            ("latency_ms".to_string(), "31000".to_string()),
        ]
        .into_iter()
        .collect(),
        link: None,
        occurred_at: None,
        received_at: now(),
        scope: Default::default(),
        action: None,
    }
}
