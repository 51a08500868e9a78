//! Opsgenie: the outgoing "Webhook" integration's body.
//!
//! | `action` | becomes |
//! |---|---|
//! | `Create` | a firing alert, fingerprint = `alert.alias` (else `alert.alertId`, with a note) |
//! | `Acknowledge` | acknowledges every unresolved opsgenie group with that fingerprint |
//! | `Close` | resolves every unresolved opsgenie group with that fingerprint |
//! | anything else (`AddNote`, `Delete`, …) | answered `ignored` with a reason; nothing stored |
//!
//! | normalized | from |
//! |---|---|
//! | title | `alert.message` |
//! | message | `alert.description` |
//! | severity | `alert.priority` (`P1`…`P5` or 1…5): critical, error, warning, info, debug; absent → warning (Opsgenie's default P3) |
//! | project | `alert.entity` |
//! | environment | a tag `env:<name>` or `environment:<name>` |
//! | tags | `alert.tags` (`key:value` split, a bare tag → `"true"`), and `opsgenie.alertId`, `.tinyId`, `.source`, `.username`, `.integration` |
//! | occurred_at | `alert.createdAt` (milliseconds) for Create, `alert.updatedAt` (nanoseconds) otherwise |
//! | source_event_id | `<alertId>:<action>:<updatedAt>` — so a redelivery is a duplicate |
//!
//! Opsgenie's `updatedAt`/`insertedAt` are int64 nanoseconds above 2^53; they are read as exact
//! integers, never through floating point (two updates a few nanoseconds apart stay distinct).
//! No signature scheme is documented for these webhooks.

use super::{Parsed, SourceInput};
use crate::Result;
use crate::alert::{AlertStatus, MatchScope, NormalizedAlert, Severity, Source, SourceAction};
use crate::json::{Node, parse_body};
use serde_json::Value;
use std::collections::BTreeMap;

/// Parses an Opsgenie webhook.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    if input.config.secret.is_some() {
        // no signature scheme: a secret stored by an older build fails closed
        return Err(super::unsupported_secret(Source::Opsgenie));
    }
    let doc = parse_body(input.body)?;
    let root = Node::root(&doc);
    root.expect_object()?;
    let action_node = root.req("action")?;
    let action = action_node.str()?;
    let kind = match action.to_ascii_lowercase().as_str() {
        "create" => Kind::Create,
        "acknowledge" => Kind::Ack,
        "close" => Kind::Close,
        _ => {
            return Ok(Parsed::Ignored {
                reason: format!(
                    "opsgenie action {action:?} changes no alert state (handled: Create, Acknowledge, Close)"
                ),
            });
        }
    };
    let alert_node = root.req("alert")?;
    alert_node.expect_object()?;
    let alert_id = alert_node.req("alertId")?.id()?;
    let mut notes = Vec::new();
    let fingerprint = match alert_node.opt_text("alias")? {
        Some(a) => a,
        None => {
            notes.push("alert.alias: missing, the alertId is the fingerprint".into());
            alert_id.clone()
        }
    };
    let title = alert_node.req("message")?.str()?.trim().to_string();
    let updated = alert_node
        .get("updatedAt")
        .map(|n| super::exact_int(&n).map(|v| (v, n)))
        .transpose()?;
    let updated_at = updated
        .as_ref()
        .map(|(_, n)| super::from_nanos(n))
        .transpose()?;
    let created_at = alert_node
        .get("createdAt")
        .map(|n| super::from_millis(&n))
        .transpose()?;
    let severity = match alert_node.get("priority") {
        None => Severity::Warning,
        Some(p) => {
            let text = p.scalar_text()?;
            match text.trim().trim_start_matches(['P', 'p']) {
                "1" => Severity::Critical,
                "2" => Severity::Error,
                "3" => Severity::Warning,
                "4" => Severity::Info,
                "5" => Severity::Debug,
                _ => {
                    return Err(p.error(format!("unknown priority {text:?} (expected P1 to P5)")));
                }
            }
        }
    };
    let mut tags = BTreeMap::new();
    let mut environment = None;
    if let Some(list) = alert_node.get("tags") {
        for t in list.array()? {
            let t = t.str()?.trim();
            if t.is_empty() {
                continue;
            }
            match t.split_once(':') {
                Some((k, v)) => {
                    if matches!(k, "env" | "environment") && environment.is_none() {
                        environment = Some(v.to_string());
                    }
                    tags.insert(k.to_string(), v.to_string());
                }
                None => {
                    tags.insert(t.to_string(), "true".to_string());
                }
            }
        }
    }
    tags.insert("opsgenie.alertId".into(), alert_id.clone());
    for (tag, key) in [
        ("opsgenie.tinyId", "tinyId"),
        ("opsgenie.source", "source"),
        ("opsgenie.username", "username"),
    ] {
        if let Some(n) = alert_node.get(key) {
            let v = n.scalar_text()?;
            if !v.trim().is_empty() {
                tags.insert(tag.into(), v);
            }
        }
    }
    if let Some(i) = root.opt_text("integrationName")? {
        tags.insert("opsgenie.integration".into(), i);
    }
    let mut alert = NormalizedAlert {
        workspace: input.workspace.clone(),
        source: Source::Opsgenie,
        source_event_id: updated
            .as_ref()
            .map(|(ns, _)| format!("{alert_id}:{action}:{ns}")),
        project: alert_node.opt_text("entity")?,
        environment,
        severity,
        status: AlertStatus::Firing,
        fingerprint,
        title: if title.is_empty() {
            format!("(Opsgenie alert {alert_id})")
        } else {
            title
        },
        message: alert_node.opt_text("description")?,
        tags,
        link: None,
        occurred_at: match kind {
            Kind::Create => created_at.or(updated_at),
            Kind::Ack | Kind::Close => updated_at.or(created_at),
        },
        received_at: input.now,
        scope: MatchScope::GroupKey,
        action: None,
    };
    match kind {
        Kind::Create => {}
        Kind::Ack => {
            alert.scope = MatchScope::Fingerprint;
            alert.action = Some(SourceAction::Acknowledge);
        }
        Kind::Close => {
            alert.scope = MatchScope::Fingerprint;
            alert.status = AlertStatus::Resolved;
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

#[derive(Debug, Clone, Copy)]
enum Kind {
    Create,
    Ack,
    Close,
}

/// Checks Opsgenie options (only the common ones).
pub fn validate_options(options: &Value) -> Result<()> {
    super::check_keys(options, &[])
}
