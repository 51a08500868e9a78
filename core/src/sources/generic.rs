//! Generic JSON: any payload, through a per-integration mapping (the integration's options, set
//! with `signalcraft integration set WS generic --config JSON` or [`crate::Engine::set_integration`]):
//!
//! ```json
//! {"events": "alerts",
//!  "fields": {"title": "summary", "severity": "level", "environment": "env", "project": "service",
//!             "status": "state", "event_id": "id", "link": "url", "occurred_at": "ts"},
//!  "severity_map": {"P1": "critical", "P2": "error"},
//!  "status_map": {"ok": "resolved", "alerting": "firing"},
//!  "fingerprint_fields": ["service", "check"],
//!  "signature": {"header": "X-Hub-Signature-256", "prefix": "sha256=", "encoding": "hex"}}
//! ```
//!
//! - Paths are dotted (`a.b.0.c`; numeric segments index arrays), relative to each event.
//! - `events` (optional) is the path of the list of events; a top-level array is a batch too;
//!   otherwise the whole body is one event.
//! - `fields`: `title` is required; the others are optional: `severity`, `environment`,
//!   `project`, `status`, `event_id`, `link`, `occurred_at` (RFC 3339 or unix seconds),
//!   `message`, `fingerprint`, `tags` (an object whose scalar members become tags). Every
//!   top-level scalar of an event is a tag too.
//! - `severity_map` first, then the severity names themselves (any case); anything else →
//!   `warning`, with a note.
//! - `status_map` values are `firing`, `resolved` or `acknowledged`; without a match the value
//!   itself is read when it is one of those; any other value fails open: it is read as `firing`
//!   (never as a resolve: a guessed status could close a group) with a note in the outcome.
//!   No status field means firing.
//! - The fingerprint: `fingerprint_fields` (see [`super::FingerprintFields`]; bare names are paths
//!   in the event), else the `fingerprint` field, else `title:<title>`.
//! - `signature` applies when the integration has a secret: the header's value, after `prefix`,
//!   must be the HMAC-SHA256 of the signed message keyed with the secret, in `hex` or `base64`.
//!   The signed message is the raw body; with `timestamp_header` (the sender's unix-seconds
//!   timestamp header) it is `message` with `{timestamp}` replaced by that header's value and
//!   `{body}` the raw body (default `"{timestamp}:{body}"`, as Grafana signs; Slack's scheme is
//!   `"v0:{timestamp}:{body}"`), and with the integration's `max_skew_secs` the timestamp must
//!   be that close to now. With a secret and no `signature`, the default is
//!   `X-Hub-Signature-256`, `sha256=`, hex, no timestamp.

use super::{Notes, Parsed, SeverityMap, SourceInput, lookup, parse_path};
use crate::alert::{AlertStatus, MatchScope, NormalizedAlert, Severity, Source, SourceAction};
use crate::json::{Node, parse_body};
use crate::signature;
use crate::{Error, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

const KNOWN: [&str; 5] = [
    "events",
    "fields",
    "severity_map",
    "status_map",
    "signature",
];

const FIELDS: [&str; 11] = [
    "title",
    "severity",
    "environment",
    "project",
    "status",
    "event_id",
    "link",
    "occurred_at",
    "message",
    "fingerprint",
    "tags",
];

/// Parses a generic JSON payload with the integration's mapping.
pub fn parse(input: &SourceInput<'_>) -> Result<Parsed> {
    let mapping = input.options.generic()?;
    let signed = verify(input, mapping)?;
    let doc = parse_body(input.body)?;
    let root = Node::root(&doc);
    let events: Vec<Node<'_>> = match &mapping.events {
        Some(path) => {
            let list = lookup(&root, path).ok_or_else(|| {
                Error::invalid(
                    path.join("."),
                    "missing (options.events points here: expected a list of events)",
                )
            })?;
            list.array()?
        }
        None => match doc {
            Value::Array(_) => root.array()?,
            _ => vec![root.clone()],
        },
    };
    let ff = input.options.fingerprint_fields()?;
    let mut notes = Notes::new();
    let mut alerts = Vec::with_capacity(events.len());
    for (i, event) in events.iter().enumerate() {
        let mut a = one(input, mapping, event, &mut notes, i)?;
        if let Some(ff) = &ff {
            ff.apply(&mut a, &doc, event.value());
        }
        alerts.push(a);
    }
    let (notes, alert_notes) = notes.finish();
    Ok(Parsed::Alerts {
        delivery_id: None,
        alerts,
        notes,
        alert_notes,
        signed,
    })
}

/// Checks a generic mapping.
pub fn validate_options(options: &Value) -> Result<()> {
    Mapping::parse(options).map(|_| ())
}

#[derive(Debug, Clone)]
struct SignatureConfig {
    header: String,
    prefix: String,
    base64: bool,
    /// The header of the sender's unix-seconds timestamp, signed with the body.
    timestamp_header: Option<String>,
    /// What is signed before the body, with `{timestamp}` replaced (default `{timestamp}:`
    /// with a timestamp header, nothing without).
    message_prefix: String,
}

/// The signed-message placeholders of `signature.message`.
const TIMESTAMP_PLACEHOLDER: &str = "{timestamp}";
const BODY_PLACEHOLDER: &str = "{body}";

fn header_name(n: &Node<'_>) -> Result<String> {
    let header = n.str()?.trim().to_string();
    if header.is_empty() || !header.bytes().all(|b| b.is_ascii_graphic() && b != b':') {
        return Err(n.error(format!("{header:?} is not a header name")));
    }
    Ok(header)
}

/// A generic mapping, compiled (see [`super::CompiledOptions`]).
#[derive(Debug, Clone)]
pub(crate) struct Mapping {
    events: Option<Vec<String>>,
    fields: BTreeMap<&'static str, Vec<String>>,
    severity_map: SeverityMap,
    status_map: Vec<(String, &'static str)>,
    signature: Option<SignatureConfig>,
}

impl Mapping {
    pub(crate) fn parse(options: &Value) -> Result<Self> {
        let root = Node::at(options, "options");
        if options.is_null() {
            return Err(root.error(
                "the generic source needs a mapping: integration set WS generic --config '{\"fields\": {\"title\": \"...\"}}'",
            ));
        }
        root.expect_object()?;
        super::check_keys(options, &KNOWN)?;
        let events = match root.get("events") {
            Some(n) => Some(parse_path(n.str()?, n.path())?),
            None => None,
        };
        let fields_node = root.req("fields")?;
        let mut fields = BTreeMap::new();
        for (k, v) in fields_node.expect_object()? {
            let at = Node::at(v, format!("{}.{k}", fields_node.path()));
            let Some(name) = FIELDS.iter().find(|f| **f == k) else {
                return Err(at.error(format!("unknown field (known: {})", FIELDS.join(", "))));
            };
            fields.insert(*name, parse_path(at.str()?, at.path())?);
        }
        if !fields.contains_key("title") {
            return Err(Error::invalid(
                "options.fields.title",
                "missing (every alert needs a title: name the path that holds it)",
            ));
        }
        let severity_map =
            SeverityMap::with_options(SeverityMap::empty(), options, "severity_map")?;
        let mut status_map = Vec::new();
        if let Some(m) = root.get("status_map") {
            for (k, v) in m.expect_object()? {
                let at = Node::at(v, format!("{}.{k}", m.path()));
                let to = match at.str()? {
                    "firing" => "firing",
                    "resolved" => "resolved",
                    "acknowledged" => "acknowledged",
                    other => {
                        return Err(at.error(format!(
                            "unknown status {other:?} (expected firing, resolved or acknowledged)"
                        )));
                    }
                };
                status_map.push((k.trim().to_ascii_lowercase(), to));
            }
        }
        let signature = match root.get("signature") {
            None => None,
            Some(s) => {
                s.expect_object()?;
                const KEYS: [&str; 5] = [
                    "header",
                    "prefix",
                    "encoding",
                    "timestamp_header",
                    "message",
                ];
                for key in s.expect_object()?.keys() {
                    if !KEYS.contains(&key.as_str()) {
                        return Err(Error::invalid(
                            format!("{}.{key}", s.path()),
                            format!("unknown key (known: {})", KEYS.join(", ")),
                        ));
                    }
                }
                let header = header_name(&s.req("header")?)?;
                let timestamp_header = s
                    .get("timestamp_header")
                    .map(|n| header_name(&n))
                    .transpose()?;
                let message_prefix = match s.get("message") {
                    None if timestamp_header.is_some() => format!("{TIMESTAMP_PLACEHOLDER}:"),
                    None => String::new(),
                    Some(m) => {
                        let text = m.str()?;
                        let Some(prefix) = text.strip_suffix(BODY_PLACEHOLDER) else {
                            return Err(m.error(format!("must end with {BODY_PLACEHOLDER} (the raw body), e.g. \"{TIMESTAMP_PLACEHOLDER}:{BODY_PLACEHOLDER}\"")));
                        };
                        if prefix.contains(BODY_PLACEHOLDER) {
                            return Err(m.error(format!("names {BODY_PLACEHOLDER} more than once")));
                        }
                        if prefix.matches(TIMESTAMP_PLACEHOLDER).count() > 1 {
                            return Err(
                                m.error(format!("names {TIMESTAMP_PLACEHOLDER} more than once"))
                            );
                        }
                        if prefix.contains(TIMESTAMP_PLACEHOLDER) && timestamp_header.is_none() {
                            return Err(m.error(format!(
                                "names {TIMESTAMP_PLACEHOLDER} but no timestamp_header is set"
                            )));
                        }
                        if timestamp_header.is_some() && !prefix.contains(TIMESTAMP_PLACEHOLDER) {
                            return Err(m.error(format!("must name {TIMESTAMP_PLACEHOLDER}: the timestamp is only worth checking when it is signed")));
                        }
                        prefix.to_string()
                    }
                };
                let base64 = match s.get("encoding") {
                    None => false,
                    Some(e) => match e.str()? {
                        "hex" => false,
                        "base64" => true,
                        other => {
                            return Err(e.error(format!(
                                "unknown encoding {other:?} (expected hex or base64)"
                            )));
                        }
                    },
                };
                Some(SignatureConfig {
                    header,
                    prefix: s.opt_str("prefix")?.unwrap_or("").to_string(),
                    base64,
                    timestamp_header,
                    message_prefix,
                })
            }
        };
        Ok(Self {
            events,
            fields,
            severity_map,
            status_map,
            signature,
        })
    }

    fn node<'a>(&self, event: &Node<'a>, field: &str) -> Option<Node<'a>> {
        lookup(event, self.fields.get(field)?)
    }

    fn text(&self, event: &Node<'_>, field: &str) -> Result<Option<String>> {
        match self.node(event, field) {
            Some(n) => {
                let s = n.scalar_text()?;
                Ok((!s.trim().is_empty()).then(|| s.trim().to_string()))
            }
            None => Ok(None),
        }
    }
}

/// Checks the signature when the integration has a secret: the digest of the signed message.
fn verify(input: &SourceInput<'_>, mapping: &Mapping) -> Result<Option<[u8; 32]>> {
    let Some(secret) = input.config.secret.as_deref() else {
        return Ok(None);
    };
    let default = SignatureConfig {
        header: "X-Hub-Signature-256".into(),
        prefix: "sha256=".into(),
        base64: false,
        timestamp_header: None,
        message_prefix: String::new(),
    };
    let cfg = mapping.signature.as_ref().unwrap_or(&default);
    let given = input.headers.get(&cfg.header).ok_or_else(|| {
        Error::Signature(format!(
            "{}: missing, and the generic integration has a secret",
            cfg.header
        ))
    })?;
    let digest = given.strip_prefix(cfg.prefix.as_str()).ok_or_else(|| {
        Error::Signature(format!(
            "{}: does not start with {:?}",
            cfg.header, cfg.prefix
        ))
    })?;
    let timestamp = match &cfg.timestamp_header {
        Some(h) => Some(input.headers.get(h).ok_or_else(|| {
            Error::Signature(format!(
                "{h}: missing (the generic integration signs with a timestamp)"
            ))
        })?),
        None => None,
    };
    let mut message = Vec::with_capacity(cfg.message_prefix.len() + input.body.len() + 16);
    match timestamp {
        Some(ts) => message.extend_from_slice(
            cfg.message_prefix
                .replacen(TIMESTAMP_PLACEHOLDER, ts, 1)
                .as_bytes(),
        ),
        None => message.extend_from_slice(cfg.message_prefix.as_bytes()),
    }
    message.extend_from_slice(input.body);
    if cfg.base64 {
        let expected = base64(&signature::hmac_sha256(secret.as_bytes(), &message));
        let given = digest.trim();
        if !(given.len() == expected.len()
            && bool::from(given.as_bytes().ct_eq(expected.as_bytes())))
        {
            return Err(Error::Signature(format!(
                "{}: does not match the body",
                cfg.header
            )));
        }
    } else {
        signature::verify_hex(secret.as_bytes(), &message, digest, &cfg.header)?;
    }
    if let (Some(h), Some(max)) = (&cfg.timestamp_header, input.config.max_skew_secs) {
        signature::check_skew(h, timestamp, max, input.now)?;
    }
    Ok(Some(signature::digest(&message)))
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn one(
    input: &SourceInput<'_>,
    m: &Mapping,
    event: &Node<'_>,
    notes: &mut Notes,
    index: usize,
) -> Result<NormalizedAlert> {
    event.expect_object()?;
    let title = m.text(event, "title")?.ok_or_else(|| {
        let path = m
            .fields
            .get("title")
            .map(|p| p.join("."))
            .unwrap_or_default();
        let at = if event.path() == "$" {
            path
        } else {
            format!("{}.{path}", event.path())
        };
        Error::invalid(at, "missing (mapped as the title)")
    })?;
    let severity = match m.text(event, "severity")? {
        Some(v) => match m.severity_map.get(&v) {
            Some(s) => s,
            None => match v.to_ascii_lowercase().parse::<Severity>() {
                Ok(s) => s,
                Err(_) => {
                    let note = format!("unknown severity {v:?}, treated as warning");
                    notes.alert(index, note.clone(), note);
                    Severity::Warning
                }
            },
        },
        None => Severity::Warning,
    };
    let (status, action) = match m.node(event, "status") {
        None => (AlertStatus::Firing, None),
        Some(n) => {
            let v = n.scalar_text()?;
            let key = v.trim().to_ascii_lowercase();
            let mapped = m
                .status_map
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, s)| *s)
                .or(match key.as_str() {
                    "firing" => Some("firing"),
                    "resolved" => Some("resolved"),
                    "acknowledged" => Some("acknowledged"),
                    _ => None,
                });
            match mapped {
                Some("resolved") => (AlertStatus::Resolved, None),
                Some("acknowledged") => (AlertStatus::Firing, Some(SourceAction::Acknowledge)),
                Some(_) => (AlertStatus::Firing, None),
                None => {
                    // fail open: an unknown word is read as firing, never rejected
                    let what = format!(
                        "unknown status {v:?} (map it to firing, resolved or acknowledged in status_map), read as firing"
                    );
                    notes.alert(index, what.clone(), format!("{}: {what}", n.path()));
                    (AlertStatus::Firing, None)
                }
            }
        }
    };
    let mut tags = BTreeMap::new();
    if let Some(map) = event.value().as_object() {
        for (k, v) in map {
            // a scalar's text cannot fail: no path is built for it
            if let Some(text) = crate::json::scalar_text(v) {
                tags.insert(k.clone(), text);
            }
        }
    }
    if let Some(t) = m.node(event, "tags") {
        for (k, v) in t.expect_object()? {
            if let Some(text) = crate::json::scalar_text(v) {
                tags.insert(k.clone(), text);
            }
        }
    }
    let fingerprint = match m.text(event, "fingerprint")? {
        Some(f) => f,
        None => format!("title:{title}"),
    };
    Ok(NormalizedAlert {
        workspace: input.workspace.clone(),
        source: Source::Generic,
        source_event_id: m.text(event, "event_id")?,
        project: m.text(event, "project")?,
        environment: m.text(event, "environment")?,
        severity,
        status,
        fingerprint,
        title,
        message: m.text(event, "message")?,
        tags,
        link: m.text(event, "link")?,
        occurred_at: m.node(event, "occurred_at").map(|n| n.time()).transpose()?,
        received_at: input.now,
        scope: MatchScope::GroupKey,
        action,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
