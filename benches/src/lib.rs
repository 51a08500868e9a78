//! Shared inputs for SignalCraft's benches: real payloads, made unique per iteration.

/// The real Sentry `event_alert` payload from Sentry's docs, as compact JSON.
pub fn sentry_event_alert_template() -> serde_json::Value {
    serde_json::from_slice(include_bytes!(
        "../../core/tests/fixtures/sentry/issue_alert_triggered.docs.json"
    ))
    .unwrap_or(serde_json::Value::Null)
}

/// Makes Sentry event-alert bodies with a fresh `event_id` each, and `issues` distinct issue ids
/// (so that groups both open and join), as Sentry sends them (compact JSON).
pub struct SentryBodies {
    prefix: String,
    middle: String,
    suffix: String,
    issues: u64,
}

impl SentryBodies {
    /// A generator spreading events over `issues` issues.
    pub fn new(issues: u64) -> Self {
        Self::from_doc(sentry_event_alert_template(), issues)
    }

    /// Like [`SentryBodies::new`], with the environment and title that the last of
    /// [`routing_rules`] matches: with those rules every event is routed to one channel.
    pub fn routed(issues: u64) -> Self {
        let mut doc = sentry_event_alert_template();
        doc["data"]["event"]["environment"] = "production".into();
        doc["data"]["event"]["title"] = "TimeoutError: upstream took 31s".into();
        Self::from_doc(doc, issues)
    }

    fn from_doc(mut doc: serde_json::Value, issues: u64) -> Self {
        doc["data"]["event"]["event_id"] = "@@EVENT@@".into();
        doc["data"]["event"]["issue_id"] = "@@ISSUE@@".into();
        let text = doc.to_string();
        let (prefix, rest) = text.split_once("@@EVENT@@").unwrap_or((&text, ""));
        let (middle, suffix) = rest.split_once("@@ISSUE@@").unwrap_or((rest, ""));
        let (prefix, middle, suffix) = (prefix.to_string(), middle.to_string(), suffix.to_string());
        // event_id comes before issue_id in the serialized (sorted) object
        Self {
            prefix,
            middle,
            suffix,
            issues: issues.max(1),
        }
    }

    /// The `n`th body.
    pub fn body(&self, n: u64) -> Vec<u8> {
        format!(
            "{}{n:032x}{}{}{}",
            self.prefix,
            self.middle,
            n % self.issues,
            self.suffix
        )
        .into_bytes()
    }
}

/// `n` realistic routing rules: each looks at environment, severity, a tag and the title, and
/// the alert of [`routing_alert`] matches only the last (with `continue` off for all).
pub fn routing_rules(n: usize) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            let last = i + 1 == n;
            serde_json::json!({
                "id": format!("rule-{i:04}"),
                "priority": i,
                "when": {"all": [
                    {"field": "environment", "op": "eq", "value": if last { "production".to_string() } else { format!("env-{}", i % 13) }},
                    {"field": "severity", "op": "gte", "value": "warning"},
                    {"not": {"field": "tags.team", "op": "in", "value": ["growth", "labs"]}},
                    {"any": [
                        {"field": "title", "op": "regex", "value": format!("(Timeout|Connection)Error: .*{}.*", if last { "upstream".to_string() } else { format!("svc{i}") })},
                        {"field": "project", "op": "glob", "value": format!("team-{}-*", i % 17)}
                    ]}
                ]},
                "then": {"notify": [format!("channel-{}", i % 9)], "repeat_interval_mins": 240}
            })
        })
        .collect();
    serde_json::Value::Array(rules)
}

/// The alert the routing bench evaluates.
pub fn routing_alert() -> signalcraft_core::NormalizedAlert {
    signalcraft_core::NormalizedAlert {
        workspace: "ws_bench".into(),
        source: signalcraft_core::Source::Sentry,
        source_event_id: None,
        project: Some("checkout".into()),
        environment: Some("production".into()),
        severity: signalcraft_core::Severity::Error,
        status: signalcraft_core::AlertStatus::Firing,
        fingerprint: "issue:42".into(),
        title: "TimeoutError: upstream took 31s".into(),
        message: None,
        tags: [("team".to_string(), "payments".to_string())]
            .into_iter()
            .collect(),
        link: None,
        occurred_at: None,
        received_at: chrono::DateTime::UNIX_EPOCH,
        scope: Default::default(),
        action: None,
    }
}

/// A real payload from `core/tests/fixtures` (`rel` such as `sentry/issue_created.docs.json`).
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../core/tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The generic mapping the per-source benches use, and a body it maps (two events).
pub fn generic_sample() -> (serde_json::Value, Vec<u8>) {
    let mapping = serde_json::json!({
        "events": "alerts",
        "fields": {"title": "summary", "severity": "level", "environment": "env",
                   "project": "service", "status": "state", "event_id": "id", "occurred_at": "ts"},
        "severity_map": {"P1": "critical"},
        "status_map": {"alerting": "firing", "ok": "resolved"}
    });
    let body = br#"{"alerts":[{"id":"a1","summary":"disk full on db-1","level":"P1","env":"prod","service":"db","state":"alerting","ts":1772366400,"host":"db-1"},{"id":"a2","summary":"replication lag","level":"warning","env":"prod","service":"db","state":"alerting","ts":1772366401,"host":"db-2"}]}"#;
    (mapping, body.to_vec())
}

/// One real delivery per source: (source, headers, options, body), as the engine gets them.
pub fn source_samples() -> Vec<(
    signalcraft_core::Source,
    signalcraft_core::Headers,
    serde_json::Value,
    Vec<u8>,
)> {
    use signalcraft_core::{Headers, Source};
    let none = serde_json::Value::Null;
    let (mapping, generic) = generic_sample();
    vec![
        (
            Source::Sentry,
            Headers::new().with("Sentry-Hook-Resource", "event_alert"),
            none.clone(),
            fixture("sentry/issue_alert_triggered.docs.json"),
        ),
        (
            Source::Alertmanager,
            Headers::new(),
            none.clone(),
            fixture("alertmanager/zulip_firing_2_alerts.json"),
        ),
        (
            Source::Grafana,
            Headers::new(),
            none.clone(),
            fixture("grafana/grafana_docs_firing_2_alerts.json"),
        ),
        (
            Source::Datadog,
            Headers::new(),
            none.clone(),
            fixture("datadog/relay_default_payload_service_check_triggered.json"),
        ),
        (
            Source::Pagerduty,
            Headers::new(),
            none.clone(),
            fixture("pagerduty/events_v2_trigger.docs.json"),
        ),
        (
            Source::Opsgenie,
            Headers::new(),
            none,
            fixture("opsgenie/zulip_opsgenie_create.json"),
        ),
        (Source::Generic, Headers::new(), mapping, generic),
    ]
}

/// Fills the workspace with id `workspace` (already created by an engine on `path`) with `n` alert
/// groups straight through SQL, in one transaction: a realistic spread of 4 sources, 10
/// environments, 50 projects, 5 severities, 70 % open, 10 % acknowledged, 20 % resolved, and
/// one minute between groups' last activity. About 10 s for a million on a 2-core machine.
pub fn fill_groups(path: &std::path::Path, workspace: &str, n: u64) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "wal")?;
    conn.pragma_update(None, "synchronous", "off")?;
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO alert_groups (id, workspace_id, group_key, source, project, environment,
                fingerprint, severity, status, title, message, link, tags, assignee, count,
                reopen_count, first_seen, last_seen, window_start, last_activity, resolved_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, NULL, NULL, ?11, NULL, ?12, 0,
                ?13, ?13, ?13, ?13, ?14)",
        )?;
        let sources = ["sentry", "alertmanager", "datadog", "pagerduty"];
        let t0: i64 = 1_700_000_000_000;
        for i in 0..n {
            let h = blake3::hash(&i.to_le_bytes());
            let key = h.to_hex();
            let status = match i % 10 {
                0..=6 => "open",
                7 => "acknowledged",
                _ => "resolved",
            };
            let at = t0 + (i as i64) * 60_000;
            stmt.execute(rusqlite::params![
                format!("grp_{}", &key[..20]),
                workspace,
                key.as_str(),
                sources[(i % 4) as usize],
                format!("project-{}", i % 50),
                format!("env-{}", i % 10),
                format!("issue:{i}"),
                (i % 5) as i64,
                status,
                format!("TimeoutError: upstream {i} took too long"),
                format!(r#"{{"team":"team-{}","region":"r{}"}}"#, i % 7, i % 3),
                1 + (i % 9) as i64,
                at,
                (status == "resolved").then_some(at),
            ])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")?;
    Ok(())
}

/// The filtered query the scale figures use: open groups of one environment, error or worse,
/// first page (50), newest activity first.
pub fn scale_query() -> signalcraft_core::GroupQuery {
    signalcraft_core::GroupQuery {
        status: vec![signalcraft_core::GroupStatus::Open],
        environment: Some("env-3".into()),
        min_severity: Some(signalcraft_core::Severity::Error),
        // the order the published figures were measured in
        sort: signalcraft_core::GroupSort::LastActivity,
        ..Default::default()
    }
}

/// A line of `/proc/self/status` in KiB (`VmHWM` is the peak resident set, `VmRSS` the current).
pub fn proc_status_kib(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    text.lines()
        .find(|l| l.starts_with(field) && l[field.len()..].starts_with(':'))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// An Alertmanager webhook delivery (`version: "4"`) holding `alerts` firing alerts numbered
/// from `first`: the shape SignalCraft's `alertmanager` source receives, with the same labels
/// the comparison script posts to Alertmanager's API.
pub fn am_webhook_body(first: u64, alerts: u64) -> Vec<u8> {
    let items: Vec<serde_json::Value> = (first..first + alerts)
        .map(|i| {
            serde_json::json!({
                "status": "firing",
                "labels": {"alertname": "HighLatency", "instance": format!("host-{i}"),
                           "job": "api", "severity": "critical"},
                "annotations": {"summary": format!("latency above 1s on host-{i}")},
                "startsAt": "2026-11-22T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://127.0.0.1:9090/graph",
                "fingerprint": format!("{i:016x}")
            })
        })
        .collect();
    serde_json::json!({
        "version": "4", "groupKey": "{}:{alertname=\"HighLatency\"}", "truncatedAlerts": 0,
        "status": "firing", "receiver": "signalcraft",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency", "job": "api"},
        "commonAnnotations": {}, "externalURL": "http://127.0.0.1:9093",
        "alerts": items
    })
    .to_string()
    .into_bytes()
}

/// One `Engine::ingest_batch` argument: every body a Sentry delivery with `headers`.
pub fn sentry_deliveries<'a>(
    headers: &'a signalcraft_core::Headers,
    bodies: &'a [Vec<u8>],
) -> Vec<signalcraft_core::Delivery<'a>> {
    bodies
        .iter()
        .map(|body| signalcraft_core::Delivery {
            source: signalcraft_core::Source::Sentry,
            headers,
            body,
        })
        .collect()
}
