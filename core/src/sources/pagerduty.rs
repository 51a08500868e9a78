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
use crate::json::borrowed::{self, Arr, At, Dict, Obj, Val};
use crate::json::parse_body;
use crate::{Error, Result};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// The header some senders put the routing key in instead of the body.
pub const ROUTING_KEY_HEADER: &str = "X-Routing-Key";

/// Parses a PagerDuty Events API v2 event.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    let mut canon = String::new();
    let doc: Obj<'_, Body<'_>> = borrowed::parse(input.body, &mut canon)?;
    let at = At::Root;
    let root = doc.expect(&at)?;
    if !root.event_action.is_some() && root.status.is_some() {
        return Err(at.error(
            "this is a PagerDuty Events API response (status/message), not an event: expected event_action",
        ));
    }
    // The routing key: the body's, else the `X-Routing-Key` header (Kibana's connector and
    // others), else none — the webhook URL already names the workspace.
    let key: Option<String> = match root.routing_key.get() {
        Some(n) => Some(n.str(&at.key("routing_key"))?.to_string()),
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
    let action_at = at.key("event_action");
    let action = root.event_action.req(&action_at)?;
    let dedup_at = at.key("dedup_key");
    let dedup_key = match root.dedup_key.get() {
        Some(n) => {
            let k = n.str(&dedup_at)?;
            if k.is_empty() {
                return Err(dedup_at.error("must not be empty"));
            }
            if k.chars().count() > 255 {
                return Err(dedup_at.error("longer than PagerDuty's 255 characters"));
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
    match action.str(&action_at)? {
        "trigger" => {
            let payload_at = at.key("payload");
            let payload = root.payload.req(&payload_at)?;
            let summary_at = payload_at.key("summary");
            let summary = payload.summary.req(&summary_at)?.str(&summary_at)?;
            if summary.trim().is_empty() {
                return Err(summary_at.error("must not be empty"));
            }
            if summary.chars().count() > 1024 {
                return Err(summary_at.error("longer than PagerDuty's 1024 characters"));
            }
            let source_at = payload_at.key("source");
            let source = payload.source.req(&source_at)?.scalar_text(&source_at)?;
            let sev_at = payload_at.key("severity");
            alert.severity = match payload.severity.req(&sev_at)?.str(&sev_at)? {
                "critical" => Severity::Critical,
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                "info" => Severity::Info,
                other => {
                    notes.push(format!(
                        "{sev_at}: unknown severity {other:?} (PagerDuty's are critical, error, warning, info), treated as warning"
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
            alert.project = payload.component.opt_text(&payload_at.key("component"))?;
            alert.occurred_at = payload
                .timestamp
                .get()
                .map(|t| super::iso_time(t, &payload_at.key("timestamp")))
                .transpose()?;
            alert.tags.insert("pagerduty.source".into(), source);
            for (k, v) in [
                ("component", &payload.component),
                ("group", &payload.group),
                ("class", &payload.class),
            ] {
                if let Some(v) = v.opt_text(&payload_at.key(k))? {
                    alert.tags.insert(format!("pagerduty.{k}"), v);
                }
            }
            if let Some(details) = payload.custom_details {
                custom_details(details, &payload_at.key("custom_details"), &mut alert)?;
            }
            if let Some(c) = root.client.opt_text(&at.key("client"))? {
                alert.tags.insert("client".into(), c);
            }
            let first_link = if root.links.is_some() {
                let links_at = at.key("links");
                match root.links.array(&links_at)?.first() {
                    Some(Obj::Obj(l)) => l.href.opt_text(&links_at.index(0).key("href"))?,
                    Some(_) | None => None,
                }
            } else {
                None
            };
            alert.link = match first_link {
                Some(l) => Some(l),
                None => root.client_url.opt_text(&at.key("client_url"))?,
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
            return Err(action_at.error(format!(
                "unknown event_action {other:?} (expected trigger, acknowledge or resolve)"
            )));
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

/// An Events API v2 body, as far as it is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Body<'a> {
    #[serde(borrow)]
    event_action: Val<'a>,
    #[serde(borrow)]
    status: Val<'a>,
    #[serde(borrow)]
    routing_key: Val<'a>,
    #[serde(borrow)]
    dedup_key: Val<'a>,
    #[serde(borrow)]
    payload: Obj<'a, Payload<'a>>,
    #[serde(borrow)]
    client: Val<'a>,
    #[serde(borrow)]
    client_url: Val<'a>,
    #[serde(borrow)]
    links: Arr<'a, Obj<'a, Link<'a>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Payload<'a> {
    #[serde(borrow)]
    summary: Val<'a>,
    #[serde(borrow)]
    source: Val<'a>,
    #[serde(borrow)]
    severity: Val<'a>,
    #[serde(borrow)]
    component: Val<'a>,
    #[serde(borrow)]
    group: Val<'a>,
    #[serde(borrow)]
    class: Val<'a>,
    #[serde(borrow)]
    timestamp: Val<'a>,
    /// Free-form: kept as written, read below by its kind.
    #[serde(borrow)]
    custom_details: Option<&'a RawValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Link<'a> {
    #[serde(borrow)]
    href: Val<'a>,
}

/// `payload.custom_details`: an object's scalars become `details.<name>` tags; anything else is
/// the message (a string as it is, other JSON written out compactly).
fn custom_details(raw: &RawValue, at: &At<'_>, alert: &mut NormalizedAlert) -> Result<()> {
    let text = raw.get();
    let bad = |e: serde_json::Error| at.error(format!("not valid JSON: {e}"));
    match text.as_bytes().first() {
        Some(b'{') => {
            let map: Dict<'_, Val<'_>> = serde_json::from_str(text).map_err(bad)?;
            for (k, v) in map.into_map(at)? {
                if v.is_scalar() {
                    let v = v.into_scalar_text(&at.key(&k))?;
                    alert.tags.insert(format!("details.{k}"), v);
                }
            }
        }
        Some(b'"') => {
            let s: String = serde_json::from_str(text).map_err(bad)?;
            alert.message = Some(s);
        }
        _ => {
            let v: Value = serde_json::from_str(text).map_err(bad)?;
            alert.message = Some(v.to_string());
        }
    }
    Ok(())
}

/// Checks PagerDuty options (only the common ones).
pub fn validate_options(options: &Value) -> Result<()> {
    super::check_keys(options, &[])
}
