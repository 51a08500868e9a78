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
use crate::json::borrowed::{self, Arr, At, Obj, Val};
use crate::json::parse_body;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Parses an Opsgenie webhook.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    if input.config.secret.is_some() {
        // no signature scheme: a secret stored by an older build fails closed
        return Err(super::unsupported_secret(Source::Opsgenie));
    }
    let mut canon = String::new();
    let doc: Obj<'_, Body<'_>> = borrowed::parse(input.body, &mut canon)?;
    let root_at = At::Root;
    let root = doc.expect(&root_at)?;
    let action_at = root_at.key("action");
    let action = root.action.req(&action_at)?.str(&action_at)?;
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
    let at = root_at.key("alert");
    let alert_node = root.alert.req(&at)?;
    let id_at = at.key("alertId");
    let alert_id = alert_node.alert_id.req(&id_at)?.id(&id_at)?;
    let mut notes = Vec::new();
    let fingerprint = match alert_node.alias.opt_text(&at.key("alias"))? {
        Some(a) => a,
        None => {
            notes.push("alert.alias: missing, the alertId is the fingerprint".into());
            alert_id.clone()
        }
    };
    let message_at = at.key("message");
    let title = alert_node
        .message
        .req(&message_at)?
        .str(&message_at)?
        .trim()
        .to_string();
    let updated_at_path = at.key("updatedAt");
    let updated = alert_node
        .updated_at
        .get()
        .map(|n| super::exact_int(n, &updated_at_path).map(|v| (v, n)))
        .transpose()?;
    let updated_at = updated
        .as_ref()
        .map(|(_, n)| super::from_nanos(n, &updated_at_path))
        .transpose()?;
    let created_at = alert_node
        .created_at
        .get()
        .map(|n| super::from_millis(n, &at.key("createdAt")))
        .transpose()?;
    let priority_at = at.key("priority");
    let severity = match alert_node.priority.get() {
        None => Severity::Warning,
        Some(p) => {
            let text = p.scalar_text(&priority_at)?;
            match text.trim().trim_start_matches(['P', 'p']) {
                "1" => Severity::Critical,
                "2" => Severity::Error,
                "3" => Severity::Warning,
                "4" => Severity::Info,
                "5" => Severity::Debug,
                _ => {
                    return Err(
                        priority_at.error(format!("unknown priority {text:?} (expected P1 to P5)"))
                    );
                }
            }
        }
    };
    let mut tags = BTreeMap::new();
    let mut environment = None;
    if alert_node.tags.is_some() {
        let tags_at = at.key("tags");
        for (i, t) in alert_node.tags.array(&tags_at)?.iter().enumerate() {
            let t = t.str(&tags_at.index(i))?.trim();
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
    for (tag, key, v) in [
        ("opsgenie.tinyId", "tinyId", &alert_node.tiny_id),
        ("opsgenie.source", "source", &alert_node.source),
        ("opsgenie.username", "username", &alert_node.username),
    ] {
        if let Some(n) = v.get() {
            let v = n.scalar_text(&at.key(key))?;
            if !v.trim().is_empty() {
                tags.insert(tag.into(), v);
            }
        }
    }
    if let Some(i) = root
        .integration_name
        .opt_text(&root_at.key("integrationName"))?
    {
        tags.insert("opsgenie.integration".into(), i);
    }
    let mut alert = NormalizedAlert {
        workspace: input.workspace.clone(),
        source: Source::Opsgenie,
        source_event_id: updated
            .as_ref()
            .map(|(ns, _)| format!("{alert_id}:{action}:{ns}")),
        project: alert_node.entity.opt_text(&at.key("entity"))?,
        environment,
        severity,
        status: AlertStatus::Firing,
        fingerprint,
        title: if title.is_empty() {
            format!("(Opsgenie alert {alert_id})")
        } else {
            title
        },
        message: alert_node.description.opt_text(&at.key("description"))?,
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
        let doc = parse_body(input.body)?;
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

/// An Opsgenie webhook body, as far as it is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Body<'a> {
    #[serde(borrow)]
    action: Val<'a>,
    #[serde(borrow)]
    alert: Obj<'a, Alert<'a>>,
    #[serde(borrow, rename = "integrationName")]
    integration_name: Val<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Alert<'a> {
    #[serde(borrow, rename = "alertId")]
    alert_id: Val<'a>,
    #[serde(borrow)]
    alias: Val<'a>,
    #[serde(borrow)]
    message: Val<'a>,
    #[serde(borrow, rename = "updatedAt")]
    updated_at: Val<'a>,
    #[serde(borrow, rename = "createdAt")]
    created_at: Val<'a>,
    #[serde(borrow)]
    priority: Val<'a>,
    #[serde(borrow)]
    tags: Arr<'a, Val<'a>>,
    #[serde(borrow, rename = "tinyId")]
    tiny_id: Val<'a>,
    #[serde(borrow)]
    source: Val<'a>,
    #[serde(borrow)]
    username: Val<'a>,
    #[serde(borrow)]
    entity: Val<'a>,
    #[serde(borrow)]
    description: Val<'a>,
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
