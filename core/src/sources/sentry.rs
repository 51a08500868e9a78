//! Sentry: integration-platform webhooks (`Sentry-Hook-Resource`) and the legacy WebHooks plugin.
//!
//! | resource | actions | becomes |
//! |---|---|---|
//! | `event_alert` | `triggered` | a firing alert, fingerprint `issue:<issue id>` |
//! | `error` | `created` | a firing alert, fingerprint `issue:<issue id>` |
//! | `issue` | `created`, `unresolved` | a firing alert, fingerprint `issue:<id>` |
//! | `issue` | `resolved`, `ignored` (and `archived`) | a resolve of every open group of that issue |
//! | `issue` | `assigned` | an assignment on every open group of that issue |
//! | `metric_alert` | `critical`, `warning`, `open` | a firing alert, fingerprint `metric_alert:<rule id>` |
//! | `metric_alert` | `resolved` | a resolve of every open group of that alert rule |
//! | `installation`, `comment`, `seer`, `size_analysis` | any | ignored, with a reason |
//!
//! An action the table does not know fails open: it is read as the resource's firing action
//! (`triggered`, `created`, `created`, `open`) with a note in the outcome, never rejected.
//!
//! Signature: with a client secret set, `Sentry-Hook-Signature` (or `Sentry-App-Signature`) must be
//! the lowercase hex HMAC-SHA256 of the raw body keyed with the secret; with `max_skew_secs` set,
//! `Sentry-Hook-Timestamp` must be within that many seconds of now. The legacy plugin never signs.
//!
//! Options: `{"base_url": "https://sentry.io", "organization": "acme"}` build deep links for issue
//! webhooks, whose payloads carry none.

use super::{Parsed, SourceInput};
use crate::alert::{AlertStatus, MatchScope, NormalizedAlert, Severity, Source, SourceAction};
use crate::json::{Node, parse_body};
use crate::signature;
use crate::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// The header naming the resource of an integration-platform webhook.
pub const RESOURCE_HEADER: &str = "Sentry-Hook-Resource";
/// The signature header of webhooks.
pub const SIGNATURE_HEADER: &str = "Sentry-Hook-Signature";
/// The signature header of UI-component requests (accepted too).
pub const APP_SIGNATURE_HEADER: &str = "Sentry-App-Signature";
/// The timestamp header (unix seconds).
pub const TIMESTAMP_HEADER: &str = "Sentry-Hook-Timestamp";
/// The delivery id header (32 hex digits).
pub const REQUEST_ID_HEADER: &str = "Request-ID";

/// Resources that are valid but carry no alert.
const IGNORED_RESOURCES: [&str; 4] = ["installation", "comment", "seer", "size_analysis"];

/// Parses a Sentry webhook.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    let verified = verify(input)?;
    let doc = parse_body(input.body)?;
    let mut parsed = parse_doc(input, &doc)?;
    if let Parsed::Alerts { alerts, signed, .. } = &mut parsed {
        *signed = verified;
        if let Some(ff) = input.options.fingerprint_fields()? {
            for a in alerts {
                ff.apply(a, &doc, &doc);
            }
        }
    }
    Ok(parsed)
}

fn parse_doc(input: &SourceInput<'_>, doc: &Value) -> Result<Parsed> {
    let root = Node::root(doc);
    root.expect_object()?;
    let options = input.options.sentry()?;
    let delivery_id = input
        .headers
        .get(REQUEST_ID_HEADER)
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    let mut notes = Vec::new();

    let resource = match input.headers.get(RESOURCE_HEADER) {
        Some(r) => r.to_string(),
        None => {
            if is_legacy_plugin(&root) {
                notes.push("no Sentry-Hook-Resource header: legacy WebHooks plugin payload".into());
                let alert = legacy(&root, input)?;
                return Ok(Parsed::Alerts {
                    delivery_id,
                    alerts: vec![alert],
                    notes,
                    alert_notes: Default::default(),
                    signed: None,
                });
            }
            let inferred = infer_resource(&root).ok_or_else(|| {
                Error::invalid(
                    RESOURCE_HEADER,
                    "missing, and the body is neither a legacy WebHooks-plugin payload nor a recognizable integration-platform payload",
                )
            })?;
            notes.push(format!(
                "no Sentry-Hook-Resource header: resource {inferred:?} inferred from the body"
            ));
            inferred.to_string()
        }
    };

    if IGNORED_RESOURCES.contains(&resource.as_str()) {
        return Ok(Parsed::Ignored {
            reason: format!("sentry {resource} webhooks carry no alert"),
        });
    }
    let action = root.req("action")?;
    let action_name = known_action(&resource, action.str()?, &mut notes);
    let data = root.req("data")?;
    data.expect_object()?;
    let alert = match resource.as_str() {
        "event_alert" => {
            let mut a = event(&data.req("event")?, input)?;
            if let Some(rule) = data.opt_text("triggered_rule")? {
                a.tags.insert("sentry.rule".into(), rule);
            }
            a
        }
        "error" => event(&data.req("error")?, input)?,
        "issue" => issue(&data, action_name, input, options)?,
        "metric_alert" => metric_alert(&data, action_name, input)?,
        other => {
            return Err(Error::invalid(
                RESOURCE_HEADER,
                format!("unknown Sentry resource {other:?}"),
            ));
        }
    };
    Ok(Parsed::Alerts {
        delivery_id,
        alerts: vec![alert],
        notes,
        alert_notes: Default::default(),
        signed: None,
    })
}

/// Checks Sentry integration options.
pub fn validate_options(options: &Value) -> Result<()> {
    Options::parse(options).map(|_| ())
}

/// Sentry's own options, compiled (see [`super::CompiledOptions`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    base_url: Option<String>,
    organization: Option<String>,
}

impl Options {
    pub(crate) fn parse(options: &Value) -> Result<Self> {
        if options.is_null() {
            return Ok(Self::default());
        }
        let root = Node::at(options, "options");
        root.expect_object()?;
        super::check_keys(options, &["base_url", "organization"])?;
        let base_url = root.opt_text("base_url")?;
        if let Some(url) = &base_url
            && !(url.starts_with("https://") || url.starts_with("http://"))
        {
            return Err(Error::invalid(
                "options.base_url",
                format!("expected an http(s) URL, got {url:?}"),
            ));
        }
        Ok(Self {
            base_url,
            organization: root.opt_text("organization")?,
        })
    }

    fn issue_link(&self, issue_id: &str) -> Option<String> {
        let org = self.organization.as_deref()?;
        let base = self.base_url.as_deref().unwrap_or("https://sentry.io");
        Some(format!(
            "{}/organizations/{org}/issues/{issue_id}/",
            base.trim_end_matches('/')
        ))
    }
}

/// Checks the signature when the integration has a client secret: the digest of the body.
fn verify(input: &SourceInput<'_>) -> Result<Option<[u8; 32]>> {
    let Some(secret) = input.config.secret.as_deref() else {
        return Ok(None);
    };
    let given = input
        .headers
        .get(SIGNATURE_HEADER)
        .map(|v| (SIGNATURE_HEADER, v))
        .or_else(|| {
            input
                .headers
                .get(APP_SIGNATURE_HEADER)
                .map(|v| (APP_SIGNATURE_HEADER, v))
        });
    let (header, value) = given.ok_or_else(|| {
        Error::Signature(format!(
            "{SIGNATURE_HEADER}: missing, and the sentry integration has a client secret"
        ))
    })?;
    signature::verify_hex(secret.as_bytes(), input.body, value, header)?;
    if let Some(max) = input.config.max_skew_secs {
        signature::check_skew(
            TIMESTAMP_HEADER,
            input.headers.get(TIMESTAMP_HEADER),
            max,
            input.now,
        )?;
    }
    Ok(Some(signature::digest(input.body)))
}

/// The actions each resource knows, the first being what an unknown action is read as.
const ACTIONS: [(&str, &[&str]); 4] = [
    ("event_alert", &["triggered"]),
    ("error", &["created"]),
    (
        "issue",
        &[
            "created",
            "unresolved",
            "resolved",
            "ignored",
            "archived",
            "assigned",
        ],
    ),
    ("metric_alert", &["open", "critical", "warning", "resolved"]),
];

/// The action as read: a known one as it is; an unknown one (a word Sentry added) fails open,
/// read as the resource's firing action, with a note.
fn known_action<'a>(resource: &str, action: &'a str, notes: &mut Vec<String>) -> &'a str {
    let Some((_, known)) = ACTIONS.iter().find(|(r, _)| *r == resource) else {
        return action;
    };
    if known.contains(&action) {
        return action;
    }
    let fallback = known.first().copied().unwrap_or("triggered");
    notes.push(format!(
        "action: unknown Sentry {resource} action {action:?} (known: {}), read as {fallback:?} (firing)",
        known.join(", ")
    ));
    fallback
}

fn is_legacy_plugin(root: &Node<'_>) -> bool {
    root.get("event").is_some_and(|e| e.value().is_object())
        && root.get("data").is_none()
        && (root.get("project_slug").is_some()
            || root.get("triggering_rules").is_some()
            || (root.get("id").is_some() && root.get("url").is_some()))
}

fn infer_resource(root: &Node<'_>) -> Option<&'static str> {
    let data = root.get("data")?;
    root.get("action")?;
    if data.get("event").is_some() {
        Some("event_alert")
    } else if data.get("metric_alert").is_some() {
        Some("metric_alert")
    } else if data.get("issue").is_some() {
        Some("issue")
    } else if data.get("error").is_some() {
        Some("error")
    } else if data.get("installation").is_some() {
        Some("installation")
    } else if data.get("comment").is_some() {
        Some("comment")
    } else {
        None
    }
}

/// Sentry levels: fatal, error, warning, info, debug (plus the old `critical` and `log`).
fn severity(level: Option<Node<'_>>) -> Result<Severity> {
    let Some(level) = level else {
        return Ok(Severity::Error); // Sentry's default level
    };
    let name = level.str()?;
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "fatal" | "critical" => Severity::Critical,
        "error" | "" => Severity::Error,
        "warning" | "warn" => Severity::Warning,
        "info" | "log" => Severity::Info,
        "debug" | "sample" => Severity::Debug,
        other => return Err(level.error(format!("unknown Sentry level {other:?}"))),
    })
}

fn base_alert(input: &SourceInput<'_>, fingerprint: String, title: String) -> NormalizedAlert {
    NormalizedAlert {
        workspace: input.workspace.clone(),
        source: Source::Sentry,
        source_event_id: None,
        project: None,
        environment: None,
        severity: Severity::Error,
        status: AlertStatus::Firing,
        fingerprint,
        title,
        message: None,
        tags: BTreeMap::new(),
        link: None,
        occurred_at: None,
        received_at: input.now,
        scope: MatchScope::GroupKey,
        action: None,
    }
}

/// Tags as Sentry sends them: a list of `[key, value]` pairs or `{"key", "value"}` objects.
fn tags(node: Option<Node<'_>>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Some(node) = node else { return Ok(out) };
    for item in node.array()? {
        let (k, v) = match item.value() {
            Value::Array(pair) if pair.len() == 2 => {
                let pair = item.array()?;
                (pair[0].scalar_text()?, pair[1].scalar_text()?)
            }
            Value::Object(_) => (
                item.req("key")?.scalar_text()?,
                item.req("value")?.scalar_text()?,
            ),
            _ => return Err(item.error("expected a [key, value] pair or a {key, value} object")),
        };
        out.insert(k, v);
    }
    Ok(out)
}

fn event_title(event: &Node<'_>) -> Result<String> {
    if let Some(t) = event.opt_text("title")? {
        return Ok(t);
    }
    if let Some(meta) = event.get("metadata") {
        let ty = meta.opt_text("type")?;
        let value = meta.opt_text("value")?;
        match (ty, value) {
            (Some(t), Some(v)) => return Ok(format!("{t}: {v}")),
            (Some(t), None) | (None, Some(t)) => return Ok(t),
            (None, None) => {}
        }
        if let Some(t) = meta.opt_text("title")? {
            return Ok(t);
        }
    }
    if let Some(m) = event.opt_text("message")? {
        return Ok(m);
    }
    if let Some(m) = event
        .get("logentry")
        .map(|l| l.opt_text("formatted"))
        .transpose()?
        .flatten()
    {
        return Ok(m);
    }
    Ok("(untitled Sentry event)".into())
}

/// The project slug from an event's API url (`…/projects/<org>/<slug>/events/<id>/`).
fn project_slug_from_url(url: &str) -> Option<String> {
    let mut parts = url.split('/').skip_while(|p| *p != "projects").skip(1);
    let _org = parts.next().filter(|s| !s.is_empty())?;
    let slug = parts.next().filter(|s| !s.is_empty())?;
    (parts.next() == Some("events")).then(|| slug.to_string())
}

/// The issue id from an `issue_url` (`…/issues/<id>/`).
fn issue_id_from_url(url: &str) -> Option<String> {
    let mut parts = url.split('/').skip_while(|p| *p != "issues").skip(1);
    parts
        .next()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

fn environment_of(event: &Node<'_>, tags: &BTreeMap<String, String>) -> Result<Option<String>> {
    Ok(event
        .opt_text("environment")?
        .or_else(|| tags.get("environment").cloned()))
}

/// An event (from `event_alert` or `error`).
fn event(event: &Node<'_>, input: &SourceInput<'_>) -> Result<NormalizedAlert> {
    event.expect_object()?;
    let issue_id = match event.get("issue_id") {
        Some(n) => n.id()?,
        None => event
            .opt_str("issue_url")?
            .and_then(issue_id_from_url)
            .ok_or_else(|| Error::invalid(format!("{}.issue_id", event.path()), "missing"))?,
    };
    let tags = tags(event.get("tags"))?;
    let mut alert = base_alert(input, format!("issue:{issue_id}"), event_title(event)?);
    alert.source_event_id = event.get("event_id").map(|n| n.id()).transpose()?;
    alert.severity = severity(event.get("level"))?;
    alert.environment = environment_of(event, &tags)?;
    alert.project = match event.opt_str("url")?.and_then(project_slug_from_url) {
        Some(slug) => Some(slug),
        None => event.get("project").map(|n| n.id()).transpose()?,
    };
    alert.message = event.opt_text("culprit")?;
    alert.link = event.opt_text("web_url")?;
    alert.occurred_at = match event.opt_time("datetime")? {
        Some(t) => Some(t),
        None => event.opt_time("timestamp")?,
    };
    alert.tags = tags;
    Ok(alert)
}

/// An `issue` webhook.
fn issue(
    data: &Node<'_>,
    action_name: &str,
    input: &SourceInput<'_>,
    options: &Options,
) -> Result<NormalizedAlert> {
    let issue = data.req("issue")?;
    issue.expect_object()?;
    let id = issue.req("id")?.id()?;
    let title = match issue.opt_text("title")? {
        Some(t) => t,
        None => event_title(&issue)?,
    };
    let mut alert = base_alert(input, format!("issue:{id}"), title);
    alert.severity = severity(issue.get("level"))?;
    alert.project = match issue.get("project") {
        Some(p) => match p.value() {
            Value::Object(_) => match p.opt_text("slug")? {
                Some(slug) => Some(slug),
                None => p.get("id").map(|n| n.id()).transpose()?,
            },
            _ => Some(p.id()?),
        },
        None => None,
    };
    alert.message = issue.opt_text("culprit")?;
    alert.link = match issue.opt_text("permalink")? {
        Some(l) => Some(l),
        None => match issue.opt_text("web_url")? {
            Some(l) => Some(l),
            None => options.issue_link(&id),
        },
    };
    alert.occurred_at = issue.opt_time("lastSeen")?;
    for (tag, key) in [
        ("platform", "platform"),
        ("short_id", "shortId"),
        ("level", "level"),
    ] {
        if let Some(v) = issue.opt_text(key)? {
            alert.tags.insert(tag.into(), v);
        }
    }
    match action_name {
        "created" | "unresolved" => {}
        "resolved" | "ignored" | "archived" => {
            alert.status = AlertStatus::Resolved;
            alert.scope = MatchScope::Fingerprint;
            alert
                .tags
                .insert("sentry.action".into(), action_name.into());
        }
        "assigned" => {
            let assignee = match data.get("assignee") {
                Some(a) => a.opt_text("name")?.or(a.opt_text("email")?),
                None => None,
            };
            alert.scope = MatchScope::Fingerprint;
            alert.action = Some(SourceAction::Assign { assignee });
        }
        // `known_action` read anything else as `created`
        _ => {}
    }
    Ok(alert)
}

/// A `metric_alert` webhook.
fn metric_alert(
    data: &Node<'_>,
    action_name: &str,
    input: &SourceInput<'_>,
) -> Result<NormalizedAlert> {
    let incident = data.req("metric_alert")?;
    incident.expect_object()?;
    let rule = incident.req("alert_rule")?;
    rule.expect_object()?;
    let rule_id = rule.req("id")?.id()?;
    let title = match rule.opt_text("name")? {
        Some(n) => n,
        None => match data.opt_text("description_title")? {
            Some(t) => t,
            None => format!("Sentry metric alert {rule_id}"),
        },
    };
    let mut alert = base_alert(input, format!("metric_alert:{rule_id}"), title);
    alert.severity = match action_name {
        "critical" => Severity::Critical,
        "warning" | "open" => Severity::Warning,
        _ => Severity::Info,
    };
    if action_name == "resolved" {
        alert.status = AlertStatus::Resolved;
        alert.scope = MatchScope::Fingerprint;
    }
    let projects = match incident.get("projects") {
        Some(p) => Some(p),
        None => rule.get("projects"),
    };
    if let Some(projects) = projects {
        let list = projects.array()?;
        let names = list.iter().map(|p| p.id()).collect::<Result<Vec<_>>>()?;
        alert.project = names.first().cloned();
        if names.len() > 1 {
            alert.tags.insert("sentry.projects".into(), names.join(","));
        }
    }
    alert.environment = rule.opt_text("environment")?;
    alert.message = data.opt_text("description_text")?;
    alert.link = data.opt_text("web_url")?;
    alert.occurred_at = if alert.status == AlertStatus::Resolved {
        match incident.opt_time("date_closed")? {
            Some(t) => Some(t),
            None => incident.opt_time("date_started")?,
        }
    } else {
        match incident.opt_time("date_detected")? {
            Some(t) => Some(t),
            None => incident.opt_time("date_started")?,
        }
    };
    for (tag, node, key) in [
        ("aggregate", &rule, "aggregate"),
        ("query", &rule, "query"),
        ("dataset", &rule, "dataset"),
        ("incident", &incident, "identifier"),
    ] {
        if let Some(n) = node.get(key) {
            let v = n.scalar_text()?;
            if !v.is_empty() {
                alert.tags.insert(tag.into(), v);
            }
        }
    }
    Ok(alert)
}

/// The legacy WebHooks plugin body: group fields at the top, the event under `event`.
fn legacy(root: &Node<'_>, input: &SourceInput<'_>) -> Result<NormalizedAlert> {
    let id = root.req("id")?.id()?;
    let event = root.req("event")?;
    let tags = tags(event.get("tags"))?;
    let title = match event.opt_text("title")? {
        Some(t) => t,
        None => match root.opt_text("message")? {
            Some(m) => m,
            None => event_title(&event)?,
        },
    };
    let mut alert = base_alert(input, format!("issue:{id}"), title);
    alert.source_event_id = event.get("event_id").map(|n| n.id()).transpose()?;
    alert.severity = severity(root.get("level").or_else(|| event.get("level")))?;
    alert.environment = environment_of(&event, &tags)?;
    alert.project = match root.opt_text("project_slug")? {
        Some(p) => Some(p),
        None => root.get("project").map(|n| n.id()).transpose()?,
    };
    alert.message = root.opt_text("culprit")?;
    alert.link = root.opt_text("url")?;
    alert.occurred_at = match event.opt_time("datetime")? {
        Some(t) => Some(t),
        None => event.opt_time("timestamp")?,
    };
    alert.tags = tags;
    if let Some(rules) = root.get("triggering_rules") {
        let names = rules
            .array()?
            .iter()
            .map(|r| r.scalar_text())
            .collect::<Result<Vec<_>>>()?;
        if !names.is_empty() {
            alert.tags.insert("sentry.rule".into(), names.join(", "));
        }
    }
    Ok(alert)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_from_event_url() {
        assert_eq!(
            project_slug_from_url(
                "https://sentry.io/api/0/projects/test-org/front-end/events/e48/"
            )
            .as_deref(),
            Some("front-end")
        );
        assert_eq!(
            project_slug_from_url("https://sentry.io/api/0/issues/1/"),
            None
        );
        assert_eq!(
            issue_id_from_url("https://sentry.io/api/0/issues/1117540176/").as_deref(),
            Some("1117540176")
        );
    }
}
