//! Datadog: the webhooks integration's default payload, whose values are all strings:
//! `{"body", "last_updated", "event_type", "title", "date", "org": {"id", "name"}, "id"}`, and
//! custom payloads that add Datadog's other variables under these names: `alert_id`
//! (`$ALERT_ID`), `aggreg_key` (`$AGGREG_KEY`), `alert_transition` (`$ALERT_TRANSITION`),
//! `alert_priority` (`$ALERT_PRIORITY`), `alert_type` (`$ALERT_TYPE`), `tags` (`$TAGS`), `link`
//! (`$LINK`), `hostname` (`$HOSTNAME`).
//!
//! | normalized | from |
//! |---|---|
//! | status | resolved when the transition is `Recovered` (`alert_transition`, else the title's `[Recovered]` prefix) |
//! | fingerprint | `monitor:<alert_id>[:<aggreg_key>]`; else `aggregate:<aggreg_key>`; else `monitor:<id>` from the monitor link in the body; else `title:<title without prefixes>` (with a note) |
//! | severity | `alert_priority` (or a `[P1]` title prefix): P1 critical, P2 error, P3 warning, P4/P5 info; else the transition: Triggered/Re-Triggered/Renotify → error, Warn/No Data → warning, Recovered → info; else `alert_type` |
//! | title | `title` without its `[Triggered]`, `[TEST]`, `[P2]` prefixes |
//! | message | `body` without Datadog's `%%%` markdown fences |
//! | link | `link`, else the monitor link found in the body |
//! | environment, project | the `env:` and `service:` entries of `tags` |
//! | source_event_id | `id` (the event id: Datadog retries are duplicates) |
//! | occurred_at | `date` (epoch milliseconds, read exactly), else `last_updated` |
//! | tags | `tags` entries, `datadog.event_type`, `datadog.org_id`, `datadog.org_name`, `datadog.transition`, `datadog.test`, `hostname` |
//!
//! Datadog does not sign webhooks (authentication is a custom header or basic auth at the host).
//! Form-encoded bodies ("Encode as form") are not supported: send JSON.

use super::{Parsed, SourceInput};
use crate::Result;
use crate::alert::{AlertStatus, MatchScope, NormalizedAlert, Severity, Source};
use crate::json::borrowed::{self, Arr, At, Obj, Val};
use crate::json::parse_body;
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// Parses a Datadog webhook.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    if input.config.secret.is_some() {
        // no signature scheme: a secret stored by an older build fails closed
        return Err(super::unsupported_secret(Source::Datadog));
    }
    let mut canon = String::new();
    let doc: Obj<'_, Body<'_>> = borrowed::parse(input.body, &mut canon)?;
    let at = At::Root;
    let root = doc.expect(&at)?;
    let title_at = at.key("title");
    let raw_title = root
        .title
        .req(&title_at)?
        .str(&title_at)?
        .trim()
        .to_string();
    let (prefixes, title) = split_prefixes(&raw_title);
    let mut notes = Vec::new();
    let mut tags = BTreeMap::new();

    let transition = match root
        .alert_transition
        .opt_text(&at.key("alert_transition"))?
    {
        Some(t) => Some(t),
        None => prefixes
            .iter()
            .find_map(|p| transition_of(p))
            .map(str::to_string),
    };
    let test = prefixes.iter().any(|p| p.eq_ignore_ascii_case("TEST"));
    let resolved = transition
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("recovered"));

    let priority = match root.alert_priority.opt_text(&at.key("alert_priority"))? {
        Some(p) => Some(p),
        None => prefixes
            .iter()
            .find(|p| p.len() == 2 && p.starts_with('P'))
            .map(|p| p.to_string()),
    };
    let severity = match priority.as_deref().map(str::trim) {
        Some("P1") => Severity::Critical,
        Some("P2") => Severity::Error,
        Some("P3") => Severity::Warning,
        Some("P4") | Some("P5") => Severity::Info,
        _ => match transition
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("triggered" | "re-triggered" | "renotify") => Severity::Error,
            Some("warn" | "re-warn" | "no data" | "re-no data") => Severity::Warning,
            Some("recovered") => Severity::Info,
            _ => match root.alert_type.opt_text(&at.key("alert_type"))?.as_deref() {
                Some("warning") => Severity::Warning,
                Some("info") | Some("success") => Severity::Info,
                _ => Severity::Error,
            },
        },
    };

    let body_text = root.body.opt_str(&at.key("body"))?.unwrap_or("");
    let monitor_link = find_monitor_link(body_text);
    let alert_id = root.alert_id.opt_id(&at.key("alert_id"))?;
    let aggreg = root.aggreg_key.opt_text(&at.key("aggreg_key"))?;
    let fingerprint = match (&alert_id, &aggreg) {
        (Some(id), Some(agg)) => format!("monitor:{id}:{agg}"),
        (Some(id), None) => format!("monitor:{id}"),
        (None, Some(agg)) => format!("aggregate:{agg}"),
        (None, None) => match monitor_link.as_ref().and_then(|(_, id)| id.clone()) {
            Some(id) => {
                notes.push(format!(
                    "no alert_id: monitor {id} found in the body's monitor link"
                ));
                format!("monitor:{id}")
            }
            None => {
                notes.push(
                    "no alert_id, aggreg_key or monitor link: the title is the fingerprint".into(),
                );
                format!("title:{title}")
            }
        },
    };

    if root.tags.is_some() {
        let tags_at = at.key("tags");
        let entries: Vec<String> = match root.tags.val() {
            Val::Str(s) => s.split(',').map(|e| e.trim().to_string()).collect(),
            _ => root
                .tags
                .array(&tags_at)?
                .iter()
                .enumerate()
                .map(|(i, e)| e.scalar_text(&tags_at.index(i)))
                .collect::<Result<Vec<_>>>()?,
        };
        for e in entries.into_iter().filter(|e| !e.is_empty()) {
            match e.split_once(':') {
                Some((k, v)) => tags.insert(k.to_string(), v.to_string()),
                None => tags.insert(e, "true".to_string()),
            };
        }
    }
    let environment = tags.get("env").or(tags.get("environment")).cloned();
    let project = tags.get("service").cloned();
    if let Some(v) = root.event_type.opt_text(&at.key("event_type"))? {
        tags.insert("datadog.event_type".into(), v);
    }
    if let Some(org) = root.org.fields() {
        let org_at = at.key("org");
        for (tag, key, v) in [
            ("datadog.org_id", "id", &org.id),
            ("datadog.org_name", "name", &org.name),
        ] {
            if let Some(n) = v.get() {
                tags.insert(tag.into(), n.scalar_text(&org_at.key(key))?);
            }
        }
    }
    if let Some(t) = &transition {
        tags.insert("datadog.transition".into(), t.clone());
    }
    if test {
        tags.insert("datadog.test".into(), "true".into());
    }
    if let Some(h) = root.hostname.opt_text(&at.key("hostname"))? {
        tags.insert("hostname".into(), h);
    }
    let message = body_text
        .trim()
        .trim_start_matches("%%%")
        .trim_end_matches("%%%")
        .trim()
        .to_string();
    let occurred_at = match root.date.get() {
        Some(d) => Some(super::from_millis(d, &at.key("date"))?),
        None => root
            .last_updated
            .get()
            .map(|d| super::from_millis(d, &at.key("last_updated")))
            .transpose()?,
    };
    let mut alert = NormalizedAlert {
        workspace: input.workspace.clone(),
        source: Source::Datadog,
        source_event_id: root.id.opt_id(&at.key("id"))?,
        project,
        environment,
        severity,
        status: if resolved {
            AlertStatus::Resolved
        } else {
            AlertStatus::Firing
        },
        fingerprint,
        title: if title.is_empty() {
            raw_title.clone()
        } else {
            title
        },
        message: (!message.is_empty()).then_some(message),
        tags,
        link: match root.link.opt_text(&at.key("link"))? {
            Some(l) => Some(l),
            None => monitor_link.map(|(l, _)| l),
        },
        occurred_at,
        received_at: input.now,
        scope: MatchScope::GroupKey,
        action: None,
    };
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

/// A Datadog webhook body (default and custom payload variables), as far as it is read.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Body<'a> {
    #[serde(borrow)]
    title: Val<'a>,
    #[serde(borrow)]
    alert_transition: Val<'a>,
    #[serde(borrow)]
    alert_priority: Val<'a>,
    #[serde(borrow)]
    alert_type: Val<'a>,
    #[serde(borrow)]
    body: Val<'a>,
    #[serde(borrow)]
    alert_id: Val<'a>,
    #[serde(borrow)]
    aggreg_key: Val<'a>,
    /// `$TAGS` (a comma-separated string) or a list.
    #[serde(borrow)]
    tags: Arr<'a, Val<'a>>,
    #[serde(borrow)]
    event_type: Val<'a>,
    #[serde(borrow)]
    org: Obj<'a, Org<'a>>,
    #[serde(borrow)]
    hostname: Val<'a>,
    #[serde(borrow)]
    date: Val<'a>,
    #[serde(borrow)]
    last_updated: Val<'a>,
    #[serde(borrow)]
    id: Val<'a>,
    #[serde(borrow)]
    link: Val<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Org<'a> {
    #[serde(borrow)]
    id: Val<'a>,
    #[serde(borrow)]
    name: Val<'a>,
}

/// Checks Datadog options (only the common ones).
pub fn validate_options(options: &Value) -> Result<()> {
    super::check_keys(options, &[])
}

/// `"[Triggered] [TEST] Host down"` → (`["Triggered", "TEST"]`, `"Host down"`).
fn split_prefixes(title: &str) -> (Vec<String>, String) {
    let mut rest = title.trim_start();
    let mut prefixes = Vec::new();
    while let Some(after) = rest.strip_prefix('[') {
        let Some(end) = after.find(']') else { break };
        prefixes.push(after[..end].trim().to_string());
        rest = after[end + 1..].trim_start();
    }
    (prefixes, rest.trim().to_string())
}

/// The transition a title prefix names (`"Triggered on {host:a}"` → `Triggered`).
fn transition_of(prefix: &str) -> Option<&'static str> {
    let word = prefix.split(" on ").next().unwrap_or(prefix).trim();
    [
        "Triggered",
        "Re-Triggered",
        "Recovered",
        "Warn",
        "Re-Warn",
        "No Data",
        "Re-No Data",
        "Renotify",
    ]
    .into_iter()
    .find(|t| t.eq_ignore_ascii_case(word))
}

/// The first monitor URL in a Datadog body (`…/monitors#123…` or `…/monitors/123…`), with the
/// monitor id when it has one.
fn find_monitor_link(body: &str) -> Option<(String, Option<String>)> {
    let at = body.find("/monitors")?;
    let start = body[..at].rfind("http")?;
    let end = body[at..]
        .find(|c: char| c.is_whitespace() || matches!(c, ')' | ']' | '"' | '<' | '>'))
        .map_or(body.len(), |e| at + e);
    let url = body[start..end].to_string();
    let after = &body[at + "/monitors".len()..end];
    let digits: String = after
        .trim_start_matches(['#', '/'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some((url, (!digits.is_empty()).then_some(digits)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_links() {
        let (p, t) = split_prefixes("[P2] [Triggered on {host:a}] [TEST] Disk full");
        assert_eq!(p, vec!["P2", "Triggered on {host:a}", "TEST"]);
        assert_eq!(t, "Disk full");
        assert_eq!(transition_of(&p[1]), Some("Triggered"));
        let l =
            find_monitor_link("[[Monitor Status](https://app.datadoghq.com/monitors#18692904?)]");
        assert_eq!(
            l,
            Some((
                "https://app.datadoghq.com/monitors#18692904?".to_string(),
                Some("18692904".to_string())
            ))
        );
    }
}
