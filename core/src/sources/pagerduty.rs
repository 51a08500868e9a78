//! PagerDuty Events API v2: the bodies tools `POST` to `/v2/enqueue`, so that anything that can
//! page PagerDuty can send to SignalCraft instead.
//!
//! | `event_action` | becomes |
//! |---|---|
//! | `trigger` | a firing alert, fingerprint = `dedup_key` |
//! | `acknowledge` | acknowledges every unresolved pagerduty group with that `dedup_key` |
//! | `resolve` | resolves every unresolved pagerduty group with that `dedup_key` |
//!
//! PagerDuty's rules are followed where they keep alerts: `dedup_key` is required for
//! `acknowledge` and `resolve` (at most 255 characters; such a body may carry nothing else but
//! `event_action`); a trigger needs `payload.summary` (at most 1024 characters), `payload.source`
//! and `payload.severity` (`critical`, `error`, `warning`, `info`, mapped as they are; another
//! word is read as `warning`, with a note). A trigger joins the open group with its key however
//! long it has been open, and after a resolve a new trigger opens a new group (see
//! [`super::dedup_policy`]). A trigger without a `dedup_key` gets a stable one derived from
//! `payload.source` and `payload.summary` (PagerDuty would make a random one), and the outcome
//! says so.
//!
//! | normalized | from |
//! |---|---|
//! | title | `payload.summary` |
//! | project | `payload.component` |
//! | link | `links[0].href`, else `client_url` |
//! | occurred_at | `payload.timestamp` (ISO 8601, `+0000` offsets accepted) |
//! | tags | `payload.source`, `.component`, `.group`, `.class` as `pagerduty.<name>`, `client`, and each scalar of `payload.custom_details` as `details.<name>` |
//!
//! There is no signature: the `routing_key` is the credential. It may be in the body, in an
//! `X-Routing-Key` header (Kibana's PagerDuty connector), or absent (the webhook URL names the
//! workspace). With a secret set on the integration, the routing key must be given and equal it
//! (compared in constant time), else a `signature` error.

use super::{Parsed, SourceInput};
use crate::alert::{AlertStatus, MatchScope, NormalizedAlert, Severity, Source, SourceAction};
use crate::json::{Node, parse_body};
use crate::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// The header some senders put the routing key in instead of the body.
pub const ROUTING_KEY_HEADER: &str = "X-Routing-Key";

/// Parses a PagerDuty Events API v2 event.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    let doc = parse_body(input.body)?;
    let root = Node::root(&doc);
    root.expect_object()?;
    if root.get("event_action").is_none() && root.get("status").is_some() {
        return Err(root.error(
            "this is a PagerDuty Events API response (status/message), not an event: expected event_action",
        ));
    }
    // The routing key: the body's, else the `X-Routing-Key` header (Kibana's connector and
    // others), else none — the webhook URL already names the workspace.
    let key: Option<String> = match root.get("routing_key") {
        Some(n) if !n.value().is_null() => Some(n.str()?.to_string()),
        _ => input
            .headers
            .get(ROUTING_KEY_HEADER)
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string),
    };
    if let Some(secret) = input.config.secret.as_deref() {
        match &key {
            Some(k) if bool::from(k.as_bytes().ct_eq(secret.as_bytes())) => {}
            Some(_) => {
                return Err(Error::Signature(
                    "routing_key: does not match the pagerduty integration's secret".into(),
                ));
            }
            None => {
                return Err(Error::Signature(format!(
                    "routing_key: missing (in the body or the {ROUTING_KEY_HEADER} header), and the pagerduty integration has a secret"
                )));
            }
        }
    }
    let action = root.req("event_action")?;
    let dedup = root.get("dedup_key");
    let dedup_key = match &dedup {
        Some(n) => {
            let k = n.str()?;
            if k.is_empty() {
                return Err(n.error("must not be empty"));
            }
            if k.chars().count() > 255 {
                return Err(n.error("longer than PagerDuty's 255 characters"));
            }
            Some(k.to_string())
        }
        None => None,
    };
    let mut notes = Vec::new();
    let mut alert = NormalizedAlert {
        workspace: input.workspace.clone(),
        source: Source::Pagerduty,
        source_event_id: None,
        project: None,
        environment: None,
        severity: Severity::Info,
        status: AlertStatus::Firing,
        fingerprint: String::new(),
        title: String::new(),
        message: None,
        tags: BTreeMap::new(),
        link: None,
        occurred_at: None,
        received_at: input.now,
        scope: MatchScope::Fingerprint,
        action: None,
    };
    match action.str()? {
        "trigger" => {
            let payload = root.req("payload")?;
            payload.expect_object()?;
            let summary_node = payload.req("summary")?;
            let summary = summary_node.str()?;
            if summary.trim().is_empty() {
                return Err(summary_node.error("must not be empty"));
            }
            if summary.chars().count() > 1024 {
                return Err(summary_node.error("longer than PagerDuty's 1024 characters"));
            }
            let source = payload.req("source")?.scalar_text()?;
            let sev = payload.req("severity")?;
            alert.severity = match sev.str()? {
                "critical" => Severity::Critical,
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                other => {
                    notes.push(format!(
                        "{}: unknown severity {other:?} (PagerDuty's are critical, error, warning, info), treated as warning",
                        sev.path()
                    ));
                    Severity::Warning
                }
            };
            alert.fingerprint = match dedup_key {
                Some(k) => k,
                None => {
                    notes.push(
                        "no dedup_key: fingerprint derived from payload.source and payload.summary (a stable key, where PagerDuty would make a random one)".into(),
                    );
                    format!(
                        "derived:{}",
                        super::hash_hex(
                            "signalcraft 2026-12-01 pagerduty dedup_key v2",
                            &[&source, summary],
                            16
                        )
                    )
                }
            };
            alert.title = summary.trim().to_string();
            alert.scope = MatchScope::GroupKey;
            alert.project = payload.opt_text("component")?;
            alert.occurred_at = payload
                .get("timestamp")
                .map(|t| super::iso_time(&t))
                .transpose()?;
            alert.tags.insert("pagerduty.source".into(), source);
            for k in ["component", "group", "class"] {
                if let Some(v) = payload.opt_text(k)? {
                    alert.tags.insert(format!("pagerduty.{k}"), v);
                }
            }
            if let Some(details) = payload.get("custom_details") {
                match details.value() {
                    Value::Object(map) => {
                        for (k, v) in map {
                            if matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                                let n = Node::at(v, format!("{}.{k}", details.path()));
                                alert.tags.insert(format!("details.{k}"), n.scalar_text()?);
                            }
                        }
                    }
                    _ => {
                        alert.message = Some(match details.value() {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        });
                    }
                }
            }
            if let Some(c) = root.opt_text("client")? {
                alert.tags.insert("client".into(), c);
            }
            let first_link = match root.get("links") {
                Some(links) => match links.array()?.first() {
                    Some(l) => l.opt_text("href")?,
                    None => None,
                },
                None => None,
            };
            alert.link = match first_link {
                Some(l) => Some(l),
                None => root.opt_text("client_url")?,
            };
        }
        name @ ("acknowledge" | "resolve") => {
            let k = dedup_key.ok_or_else(|| {
                Error::invalid("dedup_key", format!("missing (required for {name})"))
            })?;
            alert.title = format!("{name} {k}");
            alert.fingerprint = k;
            if name == "resolve" {
                alert.status = AlertStatus::Resolved;
            } else {
                alert.action = Some(SourceAction::Acknowledge);
            }
        }
        other => {
            return Err(action.error(format!(
                "unknown event_action {other:?} (expected trigger, acknowledge or resolve)"
            )));
        }
    }
    if let Some(ff) = input.options.fingerprint_fields()? {
        ff.apply(&mut alert, &doc, &doc);
    }
    Ok(Parsed::Alerts {
        delivery_id: None,
        alerts: vec![alert],
        notes,
        alert_notes: Default::default(),
        signed: None,
    })
}

/// Checks PagerDuty options (only the common ones).
pub fn validate_options(options: &Value) -> Result<()> {
    super::check_keys(options, &[])
}
