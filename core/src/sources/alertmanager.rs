//! Prometheus Alertmanager: the webhook receiver's body (`version: "4"`), one alert per entry of
//! `alerts[]`.
//!
//! | normalized | from (label and annotation names configurable) |
//! |---|---|
//! | fingerprint | the alert's `fingerprint`; without one, Alertmanager's own label hash (FNV-1a 64 over the sorted labels, 16 hex digits), so old and new senders agree |
//! | status | `resolved` when `status` is `resolved` or `endsAt` is at or before receipt (a firing `endsAt` of `0001-01-01T00:00:00Z` means unset) |
//! | severity | `labels.severity` through the severity map; unknown or missing → `warning`, with a note in the outcome |
//! | environment | the first present of `labels.env`, `labels.environment`, `labels.namespace` |
//! | project | the first present of `labels.service`, `labels.job`, `labels.app` |
//! | title | `annotations.summary`, else `labels.alertname` |
//! | message | `annotations.description`, else `annotations.message` |
//! | link | `generatorURL` |
//! | tags | every label, and every other annotation as `annotation.<name>` |
//! | occurred_at | `startsAt` (a resolve: `endsAt`) |
//!
//! Alertmanager does not sign its webhooks and sends no delivery id; it re-sends firing alerts
//! every `repeat_interval`, which join their group. Its receiver's `http_config.authorization`
//! sends `Authorization: Bearer <credentials>`: with a secret set on the integration, that header
//! must carry exactly the secret (compared in constant time), else a `signature` error. Without
//! a secret, use an ingest key (`?key=` or the same bearer header).
//!
//! Options: `severity_label` (default `"severity"`), `environment_labels`, `project_labels`
//! (lists), `title_annotation` (`"summary"`), `title_label` (`"alertname"`), `severity_map`
//! (`{"value": "severity"}`, put before the defaults), plus the common options.

use super::{Notes, Parsed, SeverityMap, SourceInput};
use crate::alert::{AlertStatus, MatchScope, NormalizedAlert, Severity, Source};
use crate::json::borrowed::{self, Arr, At, Dict, Obj, Val};
use crate::json::{Node, parse_body};
use crate::{Error, Result};
use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// The option keys of the label-based sources (Alertmanager and Grafana).
pub(crate) const LABEL_OPTIONS: [&str; 6] = [
    "severity_label",
    "environment_labels",
    "project_labels",
    "title_annotation",
    "title_label",
    "severity_map",
];

/// Parses an Alertmanager webhook.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    let opts = input.options.labels()?;
    verify_bearer(input)?;
    let mut canon = String::new();
    let doc: Obj<'_, Body<'_>> = borrowed::parse(input.body, &mut canon)?;
    let at = At::Root;
    let root = doc.expect(&at)?;
    let version_at = at.key("version");
    match root.version.req(&version_at)?.str(&version_at)? {
        "4" => {}
        "1" if root.org_id.is_some() => {
            return Err(version_at.error(
                "expected \"4\" (Alertmanager); version \"1\" with orgId is a Grafana-managed alerting payload: use the grafana source",
            ));
        }
        other => {
            return Err(version_at.error(format!(
                "expected \"4\" (Alertmanager webhook), got {other:?}"
            )));
        }
    }
    let mut notes = Notes::new();
    let mut alerts = parse_alerts(input, root, opts, Source::Alertmanager, &mut notes)?;
    apply_fingerprint_fields(input, &mut alerts)?;
    let (notes, alert_notes) = notes.finish();
    Ok(Parsed::Alerts {
        delivery_id: None,
        alerts,
        notes,
        alert_notes,
        signed: None,
    })
}

/// An Alertmanager-shaped body (Alertmanager's webhook, Grafana's), as far as it is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Body<'a> {
    #[serde(borrow)]
    pub(crate) version: Val<'a>,
    #[serde(borrow, rename = "orgId")]
    pub(crate) org_id: Val<'a>,
    #[serde(borrow)]
    pub(crate) alerts: Arr<'a, Obj<'a, Item<'a>>>,
    #[serde(borrow, rename = "truncatedAlerts")]
    truncated_alerts: Val<'a>,
}

/// One entry of `alerts[]` (with Grafana's members too).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct Item<'a> {
    #[serde(borrow)]
    labels: Dict<'a, Val<'a>>,
    #[serde(borrow)]
    annotations: Dict<'a, Val<'a>>,
    #[serde(borrow)]
    status: Val<'a>,
    #[serde(borrow, rename = "startsAt")]
    starts_at: Val<'a>,
    #[serde(borrow, rename = "endsAt")]
    ends_at: Val<'a>,
    #[serde(borrow)]
    fingerprint: Val<'a>,
    #[serde(borrow, rename = "generatorURL")]
    generator_url: Val<'a>,
    /// Grafana: the query values by refId.
    #[serde(borrow)]
    pub(crate) values: Dict<'a, Val<'a>>,
    /// Grafana's `valueString`, `panelURL`, `dashboardURL`, `silenceURL`, `imageURL`, in this
    /// order (see [`GRAFANA_TEXT`]).
    #[serde(borrow, rename = "valueString")]
    value_string: Val<'a>,
    #[serde(borrow, rename = "panelURL")]
    panel_url: Val<'a>,
    #[serde(borrow, rename = "dashboardURL")]
    dashboard_url: Val<'a>,
    #[serde(borrow, rename = "silenceURL")]
    silence_url: Val<'a>,
    #[serde(borrow, rename = "imageURL")]
    image_url: Val<'a>,
}

/// The text members of a Grafana alert kept as `grafana.<name>` tags.
pub(crate) const GRAFANA_TEXT: [&str; 5] = [
    "valueString",
    "panelURL",
    "dashboardURL",
    "silenceURL",
    "imageURL",
];

impl<'a> Item<'a> {
    /// Grafana's text members, named as in [`GRAFANA_TEXT`].
    pub(crate) fn grafana_text(&self) -> [(&'static str, &Val<'a>); 5] {
        let [a, b, c, d, e] = GRAFANA_TEXT;
        [
            (a, &self.value_string),
            (b, &self.panel_url),
            (c, &self.dashboard_url),
            (d, &self.silence_url),
            (e, &self.image_url),
        ]
    }
}

/// With a secret: `Authorization: Bearer <secret>` (Alertmanager's `http_config.authorization`
/// with the default `Bearer` type), compared in constant time.
fn verify_bearer(input: &SourceInput<'_>) -> Result<()> {
    let Some(secret) = input.config.secret.as_deref() else {
        return Ok(());
    };
    let given = input
        .headers
        .get("authorization")
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| {
            Error::Signature(
                "Authorization: missing a Bearer credential, and the alertmanager integration has a secret (set http_config.authorization.credentials)".into(),
            )
        })?;
    if given.len() == secret.len() && bool::from(given.as_bytes().ct_eq(secret.as_bytes())) {
        Ok(())
    } else {
        Err(Error::Signature(
            "Authorization: the Bearer credential does not match the alertmanager integration's secret".into(),
        ))
    }
}

/// Checks Alertmanager options.
pub fn validate_options(options: &Value) -> Result<()> {
    super::check_keys(options, &LABEL_OPTIONS)?;
    LabelOptions::parse(options).map(|_| ())
}

/// Applies the integration's `fingerprint_fields` to alerts parsed from `alerts[i]` of the body
/// (which is then read as a `Value`, for the paths the fields name).
pub(crate) fn apply_fingerprint_fields(
    input: &SourceInput<'_>,
    alerts: &mut [NormalizedAlert],
) -> Result<()> {
    let Some(ff) = input.options.fingerprint_fields()? else {
        return Ok(());
    };
    let doc = &parse_body(input.body)?;
    let items = doc.get("alerts").and_then(Value::as_array);
    for (i, a) in alerts.iter_mut().enumerate() {
        let item = items.and_then(|l| l.get(i)).unwrap_or(&Value::Null);
        ff.apply(a, doc, item);
    }
    Ok(())
}

/// Label and annotation names, and the severity map.
#[derive(Debug, Clone)]
pub(crate) struct LabelOptions {
    severity_label: String,
    environment_labels: Vec<String>,
    project_labels: Vec<String>,
    title_annotation: String,
    title_label: String,
    severity_map: SeverityMap,
}

fn strings(options: &Value, key: &str, default: &[&str]) -> Result<Vec<String>> {
    let Some(n) = Node::at(options, "options").get(key) else {
        return Ok(default.iter().map(|s| (*s).to_string()).collect());
    };
    let list = n.array()?;
    if list.is_empty() {
        return Err(n.error("must name at least one label"));
    }
    list.iter()
        .map(|i| i.str().map(str::to_string))
        .collect::<Result<Vec<_>>>()
}

fn string(options: &Value, key: &str, default: &str) -> Result<String> {
    let root = Node::at(options, "options");
    match root.get(key) {
        Some(n) => {
            let s = n.str()?;
            if s.is_empty() {
                return Err(n.error("must not be empty"));
            }
            Ok(s.to_string())
        }
        None => Ok(default.to_string()),
    }
}

impl LabelOptions {
    pub(crate) fn parse(options: &Value) -> Result<Self> {
        if !options.is_null() {
            Node::at(options, "options").expect_object()?;
        }
        Ok(Self {
            severity_label: string(options, "severity_label", "severity")?,
            environment_labels: strings(
                options,
                "environment_labels",
                &["env", "environment", "namespace"],
            )?,
            project_labels: strings(options, "project_labels", &["service", "job", "app"])?,
            title_annotation: string(options, "title_annotation", "summary")?,
            title_label: string(options, "title_label", "alertname")?,
            severity_map: SeverityMap::with_options(
                SeverityMap::label_defaults(),
                options,
                "severity_map",
            )?,
        })
    }
}

/// Alertmanager's label-set fingerprint (`model.LabelSet.Fingerprint` in prometheus/common):
/// FNV-1a 64 over each label name and value in name order, each followed by the byte 255,
/// written as 16 hex digits.
pub fn labels_fingerprint(labels: &BTreeMap<String, String>) -> String {
    const OFFSET: u64 = 14_695_981_039_346_656_037;
    const PRIME: u64 = 1_099_511_628_211;
    let mut h = OFFSET;
    let mut add = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(PRIME);
        }
    };
    for (k, v) in labels {
        add(k.as_bytes());
        add(&[255]);
        add(v.as_bytes());
        add(&[255]);
    }
    format!("{h:016x}")
}

/// A label or annotation object as tags: members in key order, nulls skipped, scalars written
/// out.
fn string_map(dict: &Dict<'_, Val<'_>>, at: &At<'_>) -> Result<BTreeMap<String, String>> {
    if !dict.is_some() {
        return Ok(BTreeMap::new());
    }
    dict.expect(at)?
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, v)| Ok((k.to_string(), v.scalar_text(&at.key(k))?)))
        .collect()
}

/// Alertmanager's "unset" time is Go's zero time, `0001-01-01T00:00:00Z`.
fn set_time(t: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    t.filter(|t| t.year() > 1)
}

/// Parses `alerts[]` of an Alertmanager-shaped body (Alertmanager and Grafana share it).
pub(crate) fn parse_alerts(
    input: &SourceInput<'_>,
    root: &Body<'_>,
    opts: &LabelOptions,
    source: Source,
    notes: &mut Notes,
) -> Result<Vec<NormalizedAlert>> {
    let at = At::Root;
    let alerts_at = at.key("alerts");
    let items = root.alerts.req(&alerts_at)?;
    if let Some(k) = root.truncated_alerts.as_u64()
        && k > 0
    {
        notes.delivery(format!(
            "the sender truncated {k} alert(s) from this notification (max_alerts)"
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            one(
                input,
                item,
                &alerts_at.index(i),
                opts,
                source,
                &mut AlertNotes { notes, index: i },
            )
        })
        .collect()
}

/// The notes of the alert being parsed.
struct AlertNotes<'n> {
    notes: &'n mut Notes,
    index: usize,
}

impl AlertNotes<'_> {
    fn add(&mut self, kind: String, note: String) {
        self.notes.alert(self.index, kind, note);
    }
}

fn one(
    input: &SourceInput<'_>,
    item: &Obj<'_, Item<'_>>,
    item_at: &At<'_>,
    opts: &LabelOptions,
    source: Source,
    notes: &mut AlertNotes<'_>,
) -> Result<NormalizedAlert> {
    let item = item.expect(item_at)?;
    let labels_at = item_at.key("labels");
    if !item.labels.is_some() {
        return Err(labels_at.error("missing"));
    }
    let labels = string_map(&item.labels, &labels_at)?;
    let mut annotations = string_map(&item.annotations, &item_at.key("annotations"))?;
    let status_at = item_at.key("status");
    let said_resolved = match item.status.opt_str(&status_at)? {
        None | Some("firing") => false,
        Some("resolved") => true,
        Some(other) => {
            // fail open: a word the sender added must not drop an alert
            let what =
                format!("unknown status {other:?} (expected firing or resolved), read as firing");
            notes.add(what.clone(), format!("{status_at}: {what}"));
            false
        }
    };
    let starts_at = set_time(item.starts_at.opt_time(&item_at.key("startsAt"))?);
    let ends_at = set_time(item.ends_at.opt_time(&item_at.key("endsAt"))?);
    let expired = ends_at.is_some_and(|t| t <= input.now);
    if expired && !said_resolved {
        let what = "status is firing but endsAt is at or before receipt: treated as resolved";
        notes.add(what.into(), format!("{item_at}: {what}"));
    }
    let resolved = said_resolved || expired;
    let fingerprint = match item.fingerprint.opt_text(&item_at.key("fingerprint"))? {
        Some(f) => f,
        None => labels_fingerprint(&labels),
    };
    let severity = match labels.get(&opts.severity_label) {
        Some(v) => match opts.severity_map.get(v) {
            Some(s) => s,
            None => {
                let note = format!(
                    "labels.{}: unknown severity {v:?}, treated as warning",
                    opts.severity_label
                );
                notes.add(note.clone(), note);
                Severity::Warning
            }
        },
        None => {
            let note = format!(
                "labels.{}: missing, treated as warning",
                opts.severity_label
            );
            notes.add(note.clone(), note);
            Severity::Warning
        }
    };
    let first = |names: &[String]| {
        names
            .iter()
            .find_map(|n| labels.get(n).filter(|v| !v.trim().is_empty()).cloned())
    };
    let environment = first(&opts.environment_labels);
    let project = first(&opts.project_labels);
    let title = match annotations.remove(&opts.title_annotation) {
        Some(t) if !t.trim().is_empty() => t,
        _ => match labels.get(&opts.title_label) {
            Some(t) if !t.trim().is_empty() => t.clone(),
            _ => format!("({source} alert {fingerprint})"),
        },
    };
    let message = match annotations.remove("description") {
        Some(d) => Some(d),
        None => annotations.remove("message"),
    }
    .filter(|m| !m.trim().is_empty());
    let mut tags = labels;
    for (k, v) in annotations {
        tags.insert(format!("annotation.{k}"), v);
    }
    Ok(NormalizedAlert {
        workspace: input.workspace.clone(),
        source,
        source_event_id: None,
        project,
        environment,
        severity,
        status: if resolved {
            AlertStatus::Resolved
        } else {
            AlertStatus::Firing
        },
        fingerprint,
        title,
        message,
        tags,
        link: item.generator_url.opt_text(&item_at.key("generatorURL"))?,
        occurred_at: if resolved {
            ends_at.or(starts_at)
        } else {
            starts_at
        },
        received_at: input.now,
        scope: MatchScope::GroupKey,
        action: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_label_set_is_fnv_offset() {
        assert_eq!(labels_fingerprint(&BTreeMap::new()), "cbf29ce484222325");
    }
}
