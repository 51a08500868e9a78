//! Grafana-managed alerting: the webhook contact point's body (`version: "1"` with `orgId`), a
//! superset of Alertmanager's. Every field is mapped as for [`super::alertmanager`], plus:
//!
//! | tag | from |
//! |---|---|
//! | `grafana.value.<refId>` | each entry of the alert's `values` |
//! | `grafana.valueString` | `valueString` |
//! | `grafana.panelURL`, `grafana.dashboardURL`, `grafana.silenceURL`, `grafana.imageURL` | the alert's URLs, when not empty |
//! | `grafana.orgId` | the body's `orgId` |
//!
//! Signature (grafana/alerting `http/hmac.go`): with a secret set, the header (option
//! `signature_header`, default `X-Grafana-Alerting-Signature`) must be the lowercase hex
//! HMAC-SHA256 of the raw body keyed with the secret; when the contact point also sets a timestamp
//! header (option `timestamp_header`, no default, as in Grafana), the message is
//! `"<unix seconds>:" + body` and, with `max_skew_secs`, the timestamp must be that close to now.
//! There is no `sha256=` prefix.
//!
//! Options: those of Alertmanager, plus `signature_header` and `timestamp_header`.

use super::alertmanager::{
    Body, LABEL_OPTIONS, LabelOptions, apply_fingerprint_fields, parse_alerts,
};
use super::{Notes, Parsed, SourceInput};
use crate::alert::Source;
use crate::json::Node;
use crate::json::borrowed::{self, At, Obj};
use crate::signature;
use crate::{Error, Result};
use serde_json::Value;

/// The default signature header.
pub const SIGNATURE_HEADER: &str = "X-Grafana-Alerting-Signature";

pub(crate) const OWN_OPTIONS: [&str; 2] = ["signature_header", "timestamp_header"];

/// Parses a Grafana alerting webhook.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    let opts = input.options.labels()?;
    let signed = verify(input)?;
    let mut canon = String::new();
    let doc: Obj<'_, Body<'_>> = borrowed::parse(input.body, &mut canon)?;
    let at = At::Root;
    let root = doc.expect(&at)?;
    let version_at = at.key("version");
    match root.version.req(&version_at)?.str(&version_at)? {
        "1" => {}
        "4" => {
            return Err(version_at.error(
                "expected \"1\" (Grafana-managed alerting); version \"4\" is a Prometheus Alertmanager payload: use the alertmanager source",
            ));
        }
        other => {
            return Err(version_at.error(format!(
                "expected \"1\" (Grafana-managed alerting webhook), got {other:?}"
            )));
        }
    }
    let mut notes = Notes::new();
    if !root.org_id.is_some() {
        notes.delivery("no orgId: an older Grafana, or not Grafana");
    }
    let org = root
        .org_id
        .get()
        .map(|v| v.scalar_text(&at.key("orgId")))
        .transpose()?;
    let mut alerts = parse_alerts(input, root, opts, Source::Grafana, &mut notes)?;
    let alerts_at = at.key("alerts");
    let items = root.alerts.req(&alerts_at)?;
    for (i, (alert, item)) in alerts.iter_mut().zip(items.iter()).enumerate() {
        // every item is an object: parse_alerts checked
        let Some(item) = item.fields() else { continue };
        let item_at = alerts_at.index(i);
        if item.values.is_some() {
            let values_at = item_at.key("values");
            for (k, v) in item.values.expect(&values_at)? {
                if v.is_some() {
                    alert.tags.insert(
                        format!("grafana.value.{k}"),
                        v.scalar_text(&values_at.key(k))?,
                    );
                }
            }
        }
        for (key, v) in item.grafana_text() {
            if let Some(v) = v.opt_text(&item_at.key(key))? {
                alert.tags.insert(format!("grafana.{key}"), v);
            }
        }
        if let Some(o) = &org {
            alert.tags.insert("grafana.orgId".into(), o.clone());
        }
    }
    apply_fingerprint_fields(input, &mut alerts)?;
    let (notes, alert_notes) = notes.finish();
    Ok(Parsed::Alerts {
        delivery_id: None,
        alerts,
        notes,
        alert_notes,
        signed,
    })
}

/// Checks Grafana options.
pub fn validate_options(options: &Value) -> Result<()> {
    let mut known: Vec<&str> = LABEL_OPTIONS.to_vec();
    known.extend(OWN_OPTIONS);
    super::check_keys(options, &known)?;
    LabelOptions::parse(options)?;
    header_option(options, "signature_header")?;
    header_option(options, "timestamp_header")?;
    Ok(())
}

/// Grafana's signature options, compiled (see [`super::CompiledOptions`]).
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// The signature header (default [`SIGNATURE_HEADER`]).
    pub(crate) signature_header: String,
    /// The timestamp header the contact point signs with, if any.
    pub(crate) timestamp_header: Option<String>,
}

impl Options {
    pub(crate) fn parse(options: &Value) -> Result<Self> {
        Ok(Self {
            signature_header: header_option(options, "signature_header")?
                .unwrap_or_else(|| SIGNATURE_HEADER.to_string()),
            timestamp_header: header_option(options, "timestamp_header")?,
        })
    }
}

fn header_option(options: &Value, key: &str) -> Result<Option<String>> {
    let Some(n) = Node::at(options, "options").get(key) else {
        return Ok(None);
    };
    let s = n.str()?.trim();
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        return Err(n.error(format!("{s:?} is not a header name")));
    }
    Ok(Some(s.to_string()))
}

/// Checks the signature when the integration has a secret: the digest of the signed message.
fn verify(input: &SourceInput<'_>) -> Result<Option<[u8; 32]>> {
    let Some(secret) = input.config.secret.as_deref() else {
        return Ok(None);
    };
    let own = input.options.grafana()?;
    let header = &own.signature_header;
    let given = input.headers.get(header).ok_or_else(|| {
        Error::Signature(format!(
            "{header}: missing, and the grafana integration has a secret"
        ))
    })?;
    match &own.timestamp_header {
        Some(ts_header) => {
            let ts = input.headers.get(ts_header).ok_or_else(|| {
                Error::Signature(format!(
                    "{ts_header}: missing (the grafana integration signs with a timestamp)"
                ))
            })?;
            let mut message = Vec::with_capacity(ts.len() + 1 + input.body.len());
            message.extend_from_slice(ts.as_bytes());
            message.push(b':');
            message.extend_from_slice(input.body);
            signature::verify_hex(secret.as_bytes(), &message, given, header)?;
            if let Some(max) = input.config.max_skew_secs {
                signature::check_skew(ts_header, Some(ts), max, input.now)?;
            }
            Ok(Some(signature::digest(&message)))
        }
        None => {
            signature::verify_hex(secret.as_bytes(), input.body, given, header)?;
            Ok(Some(signature::digest(input.body)))
        }
    }
}
