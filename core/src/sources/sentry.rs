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
use crate::json::borrowed::{self, Arr, At, Obj, Val};
use crate::json::{Node, parse_body};
use crate::signature;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::Deserialize;
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
    let mut canon = String::new();
    let doc: Obj<'_, Body<'_>> = borrowed::parse(input.body, &mut canon)?;
    let mut parsed = parse_doc(input, &doc)?;
    if let Parsed::Alerts { alerts, signed, .. } = &mut parsed {
        *signed = verified;
        if let Some(ff) = input.options.fingerprint_fields()? {
            let doc = parse_body(input.body)?;
            for a in alerts {
                ff.apply(a, &doc, &doc);
            }
        }
    }
    Ok(parsed)
}

// ---- the body, as far as it is read -------------------------------------------------------------

/// A Sentry body: an integration-platform webhook (`action`, `data`) or a legacy WebHooks-plugin
/// body (group fields at the top, the event under `event`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Body<'a> {
    #[serde(borrow)]
    action: Val<'a>,
    #[serde(borrow)]
    data: Obj<'a, Data<'a>>,
    // legacy plugin
    #[serde(borrow)]
    event: Obj<'a, Event<'a>>,
    #[serde(borrow)]
    id: Val<'a>,
    #[serde(borrow)]
    url: Val<'a>,
    #[serde(borrow)]
    project_slug: Val<'a>,
    #[serde(borrow)]
    project: Val<'a>,
    #[serde(borrow)]
    triggering_rules: Arr<'a, Val<'a>>,
    #[serde(borrow)]
    message: Val<'a>,
    #[serde(borrow)]
    level: Val<'a>,
    #[serde(borrow)]
    culprit: Val<'a>,
}

/// `data` of an integration-platform webhook (the members of every resource read).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Data<'a> {
    #[serde(borrow)]
    event: Obj<'a, Event<'a>>,
    #[serde(borrow)]
    error: Obj<'a, Event<'a>>,
    #[serde(borrow)]
    issue: Obj<'a, Event<'a>>,
    #[serde(borrow)]
    metric_alert: Obj<'a, Incident<'a>>,
    #[serde(borrow)]
    installation: Val<'a>,
    #[serde(borrow)]
    comment: Val<'a>,
    #[serde(borrow)]
    triggered_rule: Val<'a>,
    #[serde(borrow)]
    assignee: Obj<'a, Assignee<'a>>,
    #[serde(borrow)]
    description_title: Val<'a>,
    #[serde(borrow)]
    description_text: Val<'a>,
    #[serde(borrow)]
    web_url: Val<'a>,
}

/// An event (`event_alert`, `error`, the legacy plugin's `event`) or an issue: the members of
/// both.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Event<'a> {
    #[serde(borrow)]
    id: Val<'a>,
    #[serde(borrow)]
    issue_id: Val<'a>,
    #[serde(borrow)]
    issue_url: Val<'a>,
    #[serde(borrow)]
    event_id: Val<'a>,
    #[serde(borrow)]
    tags: Arr<'a, Tag<'a>>,
    #[serde(borrow)]
    title: Val<'a>,
    #[serde(borrow)]
    metadata: Obj<'a, Metadata<'a>>,
    #[serde(borrow)]
    message: Val<'a>,
    #[serde(borrow)]
    logentry: Obj<'a, LogEntry<'a>>,
    #[serde(borrow)]
    level: Val<'a>,
    #[serde(borrow)]
    environment: Val<'a>,
    #[serde(borrow)]
    url: Val<'a>,
    #[serde(borrow)]
    project: Obj<'a, ProjectRef<'a>>,
    #[serde(borrow)]
    culprit: Val<'a>,
    #[serde(borrow)]
    web_url: Val<'a>,
    #[serde(borrow)]
    datetime: Val<'a>,
    #[serde(borrow)]
    timestamp: Val<'a>,
    // issues
    #[serde(borrow)]
    permalink: Val<'a>,
    #[serde(borrow, rename = "lastSeen")]
    last_seen: Val<'a>,
    #[serde(borrow)]
    platform: Val<'a>,
    #[serde(borrow, rename = "shortId")]
    short_id: Val<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata<'a> {
    #[serde(borrow, rename = "type")]
    ty: Val<'a>,
    #[serde(borrow)]
    value: Val<'a>,
    #[serde(borrow)]
    title: Val<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct LogEntry<'a> {
    #[serde(borrow)]
    formatted: Val<'a>,
}

/// An issue's `project`: an object, or an id.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProjectRef<'a> {
    #[serde(borrow)]
    slug: Val<'a>,
    #[serde(borrow)]
    id: Val<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Assignee<'a> {
    #[serde(borrow)]
    name: Val<'a>,
    #[serde(borrow)]
    email: Val<'a>,
}

/// `data.metric_alert`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Incident<'a> {
    #[serde(borrow)]
    alert_rule: Obj<'a, AlertRule<'a>>,
    #[serde(borrow)]
    projects: Arr<'a, Val<'a>>,
    #[serde(borrow)]
    identifier: Val<'a>,
    #[serde(borrow)]
    date_closed: Val<'a>,
    #[serde(borrow)]
    date_started: Val<'a>,
    #[serde(borrow)]
    date_detected: Val<'a>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AlertRule<'a> {
    #[serde(borrow)]
    id: Val<'a>,
    #[serde(borrow)]
    name: Val<'a>,
    #[serde(borrow)]
    projects: Arr<'a, Val<'a>>,
    #[serde(borrow)]
    environment: Val<'a>,
    #[serde(borrow)]
    aggregate: Val<'a>,
    #[serde(borrow)]
    query: Val<'a>,
    #[serde(borrow)]
    dataset: Val<'a>,
}

/// One entry of an event's `tags`: a `[key, value]` pair, a `{"key", "value"}` object, or
/// something else (an error when read).
#[derive(Debug, Default)]
enum Tag<'a> {
    Pair(Val<'a>, Val<'a>),
    Object {
        key: Val<'a>,
        value: Val<'a>,
    },
    #[default]
    Other,
}

impl<'de: 'a, 'a> Deserialize<'de> for Tag<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess, Visitor};
        struct TagVisitor;
        impl<'de> Visitor<'de> for TagVisitor {
            type Value = Tag<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_bool<E>(self, _: bool) -> std::result::Result<Self::Value, E> {
                Ok(Tag::Other)
            }
            fn visit_i64<E>(self, _: i64) -> std::result::Result<Self::Value, E> {
                Ok(Tag::Other)
            }
            fn visit_u64<E>(self, _: u64) -> std::result::Result<Self::Value, E> {
                Ok(Tag::Other)
            }
            fn visit_f64<E>(self, _: f64) -> std::result::Result<Self::Value, E> {
                Ok(Tag::Other)
            }
            fn visit_str<E>(self, _: &str) -> std::result::Result<Self::Value, E> {
                Ok(Tag::Other)
            }
            fn visit_unit<E>(self) -> std::result::Result<Self::Value, E> {
                Ok(Tag::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let first = seq.next_element::<Val<'de>>()?;
                let second = match first {
                    Some(_) => seq.next_element::<Val<'de>>()?,
                    None => None,
                };
                let mut more = false;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    more = true;
                }
                Ok(match (first, second, more) {
                    (Some(k), Some(v), false) => Tag::Pair(k, v),
                    _ => Tag::Other,
                })
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let (mut key, mut value) = (Val::Null, Val::Null);
                while let Some(k) = map.next_key::<borrowed::Key<'de>>()? {
                    match k.0.as_ref() {
                        "key" => key = map.next_value()?,
                        "value" => value = map.next_value()?,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(Tag::Object { key, value })
            }
        }
        d.deserialize_any(TagVisitor)
    }
}

fn parse_doc(input: &SourceInput<'_>, doc: &Obj<'_, Body<'_>>) -> Result<Parsed> {
    let at = At::Root;
    let root = doc.expect(&at)?;
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
            if is_legacy_plugin(root) {
                notes.push("no Sentry-Hook-Resource header: legacy WebHooks plugin payload".into());
                let alert = legacy(root, input)?;
                return Ok(Parsed::Alerts {
                    delivery_id,
                    alerts: vec![alert],
                    notes,
                    alert_notes: Default::default(),
                    signed: None,
                });
            }
            let inferred = infer_resource(root).ok_or_else(|| {
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
    let action_at = at.key("action");
    let action = root.action.req(&action_at)?;
    let action_name = known_action(&resource, action.str(&action_at)?, &mut notes);
    let data_at = at.key("data");
    let data = root.data.req(&data_at)?;
    let alert = match resource.as_str() {
        "event_alert" => {
            let event_at = data_at.key("event");
            let mut a = event(&data.event, &event_at, input)?;
            if let Some(rule) = data
                .triggered_rule
                .opt_text(&data_at.key("triggered_rule"))?
            {
                a.tags.insert("sentry.rule".into(), rule);
            }
            a
        }
        "error" => event(&data.error, &data_at.key("error"), input)?,
        "issue" => issue(data, &data_at, action_name, input, options)?,
        "metric_alert" => metric_alert(data, &data_at, action_name, input)?,
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

fn is_legacy_plugin(root: &Body<'_>) -> bool {
    matches!(root.event, Obj::Obj(_))
        && !root.data.is_some()
        && (root.project_slug.is_some()
            || root.triggering_rules.is_some()
            || (root.id.is_some() && root.url.is_some()))
}

fn infer_resource(root: &Body<'_>) -> Option<&'static str> {
    if !root.data.is_some() || !root.action.is_some() {
        return None;
    }
    let data = root.data.fields()?;
    if data.event.is_some() {
        Some("event_alert")
    } else if data.metric_alert.is_some() {
        Some("metric_alert")
    } else if data.issue.is_some() {
        Some("issue")
    } else if data.error.is_some() {
        Some("error")
    } else if data.installation.is_some() {
        Some("installation")
    } else if data.comment.is_some() {
        Some("comment")
    } else {
        None
    }
}

/// Sentry levels: fatal, error, warning, info, debug (plus the old `critical` and `log`).
fn severity(level: &Val<'_>, at: &At<'_>) -> Result<Severity> {
    if !level.is_some() {
        return Ok(Severity::Error); // Sentry's default level
    }
    let name = level.str(at)?;
    Ok(match name.trim().to_ascii_lowercase().as_str() {
        "fatal" | "critical" => Severity::Critical,
        "error" | "" => Severity::Error,
        "warning" | "warn" => Severity::Warning,
        "info" | "log" => Severity::Info,
        "debug" | "sample" => Severity::Debug,
        other => return Err(at.error(format!("unknown Sentry level {other:?}"))),
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
fn tags(list: &Arr<'_, Tag<'_>>, at: &At<'_>) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    if !list.is_some() {
        return Ok(out);
    }
    for (i, item) in list.array(at)?.iter().enumerate() {
        let item_at = at.index(i);
        let (k, v) = match item {
            Tag::Pair(k, v) => (
                k.scalar_text(&item_at.index(0))?,
                v.scalar_text(&item_at.index(1))?,
            ),
            Tag::Object { key, value } => {
                let key_at = item_at.key("key");
                let value_at = item_at.key("value");
                (
                    key.req(&key_at)?.scalar_text(&key_at)?,
                    value.req(&value_at)?.scalar_text(&value_at)?,
                )
            }
            Tag::Other => {
                return Err(item_at.error("expected a [key, value] pair or a {key, value} object"));
            }
        };
        out.insert(k, v);
    }
    Ok(out)
}

fn event_title(event: &Event<'_>, at: &At<'_>) -> Result<String> {
    if let Some(t) = event.title.opt_text(&at.key("title"))? {
        return Ok(t);
    }
    if event.metadata.is_some() {
        let meta_at = at.key("metadata");
        let none = Metadata::default();
        let meta = event.metadata.fields().unwrap_or(&none);
        let ty = meta.ty.opt_text(&meta_at.key("type"))?;
        let value = meta.value.opt_text(&meta_at.key("value"))?;
        match (ty, value) {
            (Some(t), Some(v)) => return Ok(format!("{t}: {v}")),
            (Some(t), None) | (None, Some(t)) => return Ok(t),
            (None, None) => {}
        }
        if let Some(t) = meta.title.opt_text(&meta_at.key("title"))? {
            return Ok(t);
        }
    }
    if let Some(m) = event.message.opt_text(&at.key("message"))? {
        return Ok(m);
    }
    if let Some(l) = event.logentry.fields()
        && let Some(m) = l.formatted.opt_text(&at.key("logentry").key("formatted"))?
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

fn environment_of(
    event: &Event<'_>,
    at: &At<'_>,
    tags: &BTreeMap<String, String>,
) -> Result<Option<String>> {
    Ok(event
        .environment
        .opt_text(&at.key("environment"))?
        .or_else(|| tags.get("environment").cloned()))
}

/// An event's time: `datetime`, else `timestamp`.
fn event_time(event: &Event<'_>, at: &At<'_>) -> Result<Option<DateTime<Utc>>> {
    Ok(match event.datetime.opt_time(&at.key("datetime"))? {
        Some(t) => Some(t),
        None => event.timestamp.opt_time(&at.key("timestamp"))?,
    })
}

/// An event (from `event_alert` or `error`).
fn event(
    event: &Obj<'_, Event<'_>>,
    at: &At<'_>,
    input: &SourceInput<'_>,
) -> Result<NormalizedAlert> {
    let event = event.req(at)?;
    let issue_id = match event.issue_id.get() {
        Some(n) => n.id(&at.key("issue_id"))?,
        None => event
            .issue_url
            .opt_str(&at.key("issue_url"))?
            .and_then(issue_id_from_url)
            .ok_or_else(|| at.key("issue_id").error("missing"))?,
    };
    let tags = tags(&event.tags, &at.key("tags"))?;
    let mut alert = base_alert(input, format!("issue:{issue_id}"), event_title(event, at)?);
    alert.source_event_id = event.event_id.opt_id(&at.key("event_id"))?;
    alert.severity = severity(&event.level, &at.key("level"))?;
    alert.environment = environment_of(event, at, &tags)?;
    alert.project = match event
        .url
        .opt_str(&at.key("url"))?
        .and_then(project_slug_from_url)
    {
        Some(slug) => Some(slug),
        None => event.project.val().opt_id(&at.key("project"))?,
    };
    alert.message = event.culprit.opt_text(&at.key("culprit"))?;
    alert.link = event.web_url.opt_text(&at.key("web_url"))?;
    alert.occurred_at = event_time(event, at)?;
    alert.tags = tags;
    Ok(alert)
}

/// An `issue` webhook.
fn issue(
    data: &Data<'_>,
    data_at: &At<'_>,
    action_name: &str,
    input: &SourceInput<'_>,
    options: &Options,
) -> Result<NormalizedAlert> {
    let at = data_at.key("issue");
    let issue = data.issue.req(&at)?;
    let id_at = at.key("id");
    let id = issue.id.req(&id_at)?.id(&id_at)?;
    let title = match issue.title.opt_text(&at.key("title"))? {
        Some(t) => t,
        None => event_title(issue, &at)?,
    };
    let mut alert = base_alert(input, format!("issue:{id}"), title);
    alert.severity = severity(&issue.level, &at.key("level"))?;
    let project_at = at.key("project");
    alert.project = match &issue.project {
        Obj::Null => None,
        Obj::Obj(p) => match p.slug.opt_text(&project_at.key("slug"))? {
            Some(slug) => Some(slug),
            None => p.id.opt_id(&project_at.key("id"))?,
        },
        Obj::Other(v) => Some(v.id(&project_at)?),
    };
    alert.message = issue.culprit.opt_text(&at.key("culprit"))?;
    alert.link = match issue.permalink.opt_text(&at.key("permalink"))? {
        Some(l) => Some(l),
        None => match issue.web_url.opt_text(&at.key("web_url"))? {
            Some(l) => Some(l),
            None => options.issue_link(&id),
        },
    };
    alert.occurred_at = issue.last_seen.opt_time(&at.key("lastSeen"))?;
    for (tag, key, v) in [
        ("platform", "platform", &issue.platform),
        ("short_id", "shortId", &issue.short_id),
        ("level", "level", &issue.level),
    ] {
        if let Some(v) = v.opt_text(&at.key(key))? {
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
            let assignee = match data.assignee.fields() {
                Some(a) => {
                    let a_at = data_at.key("assignee");
                    a.name
                        .opt_text(&a_at.key("name"))?
                        .or(a.email.opt_text(&a_at.key("email"))?)
                }
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
    data: &Data<'_>,
    data_at: &At<'_>,
    action_name: &str,
    input: &SourceInput<'_>,
) -> Result<NormalizedAlert> {
    let at = data_at.key("metric_alert");
    let incident = data.metric_alert.req(&at)?;
    let rule_at = at.key("alert_rule");
    let rule = incident.alert_rule.req(&rule_at)?;
    let id_at = rule_at.key("id");
    let rule_id = rule.id.req(&id_at)?.id(&id_at)?;
    let title = match rule.name.opt_text(&rule_at.key("name"))? {
        Some(n) => n,
        None => match data
            .description_title
            .opt_text(&data_at.key("description_title"))?
        {
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
    let projects = if incident.projects.is_some() {
        Some((&incident.projects, at.key("projects")))
    } else if rule.projects.is_some() {
        Some((&rule.projects, rule_at.key("projects")))
    } else {
        None
    };
    if let Some((projects, p_at)) = projects {
        let names = projects
            .array(&p_at)?
            .iter()
            .enumerate()
            .map(|(i, p)| p.id(&p_at.index(i)))
            .collect::<Result<Vec<_>>>()?;
        alert.project = names.first().cloned();
        if names.len() > 1 {
            alert.tags.insert("sentry.projects".into(), names.join(","));
        }
    }
    alert.environment = rule.environment.opt_text(&rule_at.key("environment"))?;
    alert.message = data
        .description_text
        .opt_text(&data_at.key("description_text"))?;
    alert.link = data.web_url.opt_text(&data_at.key("web_url"))?;
    let time = |v: &Val<'_>, key: &str| v.opt_time(&at.key(key));
    alert.occurred_at = if alert.status == AlertStatus::Resolved {
        match time(&incident.date_closed, "date_closed")? {
            Some(t) => Some(t),
            None => time(&incident.date_started, "date_started")?,
        }
    } else {
        match time(&incident.date_detected, "date_detected")? {
            Some(t) => Some(t),
            None => time(&incident.date_started, "date_started")?,
        }
    };
    for (tag, v, v_at) in [
        ("aggregate", &rule.aggregate, rule_at.key("aggregate")),
        ("query", &rule.query, rule_at.key("query")),
        ("dataset", &rule.dataset, rule_at.key("dataset")),
        ("incident", &incident.identifier, at.key("identifier")),
    ] {
        if let Some(n) = v.get() {
            let v = n.scalar_text(&v_at)?;
            if !v.is_empty() {
                alert.tags.insert(tag.into(), v);
            }
        }
    }
    Ok(alert)
}

/// The legacy WebHooks plugin body: group fields at the top, the event under `event`.
fn legacy(root: &Body<'_>, input: &SourceInput<'_>) -> Result<NormalizedAlert> {
    let at = At::Root;
    let id_at = at.key("id");
    let id = root.id.req(&id_at)?.id(&id_at)?;
    let event_at = at.key("event");
    let event = root.event.req(&event_at)?;
    let tags = tags(&event.tags, &event_at.key("tags"))?;
    let title = match event.title.opt_text(&event_at.key("title"))? {
        Some(t) => t,
        None => match root.message.opt_text(&at.key("message"))? {
            Some(m) => m,
            None => event_title(event, &event_at)?,
        },
    };
    let mut alert = base_alert(input, format!("issue:{id}"), title);
    alert.source_event_id = event.event_id.opt_id(&event_at.key("event_id"))?;
    alert.severity = if root.level.is_some() {
        severity(&root.level, &at.key("level"))?
    } else {
        severity(&event.level, &event_at.key("level"))?
    };
    alert.environment = environment_of(event, &event_at, &tags)?;
    alert.project = match root.project_slug.opt_text(&at.key("project_slug"))? {
        Some(p) => Some(p),
        None => root.project.opt_id(&at.key("project"))?,
    };
    alert.message = root.culprit.opt_text(&at.key("culprit"))?;
    alert.link = root.url.opt_text(&at.key("url"))?;
    alert.occurred_at = event_time(event, &event_at)?;
    alert.tags = tags;
    if root.triggering_rules.is_some() {
        let r_at = at.key("triggering_rules");
        let names = root
            .triggering_rules
            .array(&r_at)?
            .iter()
            .enumerate()
            .map(|(i, r)| r.scalar_text(&r_at.index(i)))
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
