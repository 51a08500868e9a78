//! Alert sources: each file verifies a webhook's signature and parses it into [`NormalizedAlert`]s.
//!
//! Every source has the same shape: `parse(&SourceInput) -> Result<Parsed>`. Adding a source
//! means one file here, one variant of [`Source`] and one line in each of [`parse`] and
//! [`validate_options`].
//!
//! Shared here:
//! - **common options**, accepted by every source: `fingerprint_fields` (see
//!   [`FingerprintFields`]) and `reopen_window_secs` (overrides the workspace's reopen window for
//!   this source; `0` means a firing alert after a resolve always opens a new group);
//! - [`SeverityMap`], the value → severity table of the label-based sources;
//! - [`detect`], which picks the source of a payload for `ingest WS auto`;
//! - [`dedup_policy`], a source's adjustment of the workspace's dedup policy (PagerDuty never
//!   reopens: after a resolve, a new trigger opens a new incident).

pub mod alertmanager;
pub mod datadog;
pub mod generic;
pub mod grafana;
pub mod opsgenie;
pub mod options;
pub mod pagerduty;
pub mod redact;
pub mod samples;
pub mod sentry;

use crate::alert::{NormalizedAlert, Severity, Source, WorkspaceId};
use crate::dedup::{DedupPolicy, DedupWindow};
use crate::headers::Headers;
use crate::json::Node;
use crate::json::borrowed::{At, Val};
use crate::{Error, Result};
use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

pub use options::CompiledOptions;
pub use redact::redact_body;

/// A workspace's settings for one source (`Debug` shows the secret redacted).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrationConfig {
    /// The shared secret signatures are checked with; `None` accepts unsigned payloads.
    pub secret: Option<String>,
    /// With a secret: how far the sender's timestamp header may be from now, in seconds.
    pub max_skew_secs: Option<u64>,
    /// Source-specific options (validated by [`validate_options`]).
    pub options: serde_json::Value,
}

impl std::fmt::Debug for IntegrationConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationConfig")
            .field("secret", &crate::secrets::redacted(&self.secret))
            .field("max_skew_secs", &self.max_skew_secs)
            .field("options", &self.options)
            .finish()
    }
}

/// What a source parser is given.
#[derive(Debug, Clone, Copy)]
pub struct SourceInput<'a> {
    /// The workspace the payload was sent to.
    pub workspace: &'a WorkspaceId,
    /// The workspace's settings for this source (its secret and `max_skew_secs`; parsers read
    /// options from [`SourceInput::options`], never from `config.options`).
    pub config: &'a IntegrationConfig,
    /// The integration's options, compiled ([`CompiledOptions::compile`] or
    /// [`CompiledOptions::load`] of `config.options`).
    pub options: &'a CompiledOptions,
    /// The request headers.
    pub headers: &'a Headers,
    /// The raw request body, exactly as received.
    pub body: &'a [u8],
    /// The time of receipt.
    pub now: DateTime<Utc>,
}

/// What a payload turned out to be.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// Alerts to ingest.
    Alerts {
        /// The source's id for this delivery (a `Request-ID` header), used for idempotency.
        delivery_id: Option<String>,
        /// The alerts.
        alerts: Vec<NormalizedAlert>,
        /// Notes on the parse worth showing the caller (how the payload was recognized): the
        /// delivery's own, then one per kind of alert note with its count (see [`Notes`]).
        notes: Vec<String>,
        /// Each alert's own notes, by index in `alerts` (only alerts that have some): what that
        /// alert's stored event keeps.
        alert_notes: BTreeMap<usize, Vec<String>>,
        /// The digest of the signed message when a signature was verified (replay defence:
        /// the engine answers a repeat within the replay window as a duplicate).
        signed: Option<[u8; 32]>,
    },
    /// A valid payload that carries no alert (an installation or comment webhook).
    Ignored {
        /// Why.
        reason: String,
    },
}

/// Verifies and parses a payload from `source`.
pub fn parse(source: Source, input: &SourceInput<'_>) -> Result<Parsed> {
    match source {
        Source::Sentry => sentry::parse(input),
        Source::Alertmanager => alertmanager::parse(input),
        Source::Grafana => grafana::parse(input),
        Source::Datadog => datadog::parse(input),
        Source::Pagerduty => pagerduty::parse(input),
        Source::Opsgenie => opsgenie::parse(input),
        Source::Generic => generic::parse(input),
        Source::Monitor => Err(not_a_webhook()),
    }
}

/// What an integration's `secret` means to a source: how the source proves a delivery came from
/// the sender, so that [`crate::Engine::set_integration`] never stores a secret a source would
/// ignore (`has_secret` then always means "enforced").
///
/// | source | secret | replay defence | timestamp (`max_skew_secs`) |
/// |---|---|---|---|
/// | sentry | HMAC-SHA256 of the body (`Sentry-Hook-Signature`) | digest of the body kept for the replay window: a repeat is a `duplicate`, whatever its `Request-ID` | `Sentry-Hook-Timestamp` checked, but Sentry does not sign it: the digest is what stops replays |
/// | grafana | HMAC-SHA256 of the body, or of `"<ts>:" + body` with `timestamp_header` | digest of the signed message | checked when `timestamp_header` is set (signed); without it no timestamp exists |
/// | generic | HMAC-SHA256 of the body, or of `signature.message` with `signature.timestamp_header` | digest of the signed message | checked when `signature.timestamp_header` is set (signed) |
/// | alertmanager | `Authorization: Bearer <secret>` (`http_config.authorization`), constant time | none: the bearer is a credential, not a signature of the body (use TLS) | none |
/// | pagerduty | the `routing_key` (body or `X-Routing-Key`) must equal it, constant time | none (same) | none |
/// | datadog, opsgenie | refused: no signature scheme; use an ingest key (`?key=` or `Authorization: Bearer`) | none | none |
///
/// A replay outside the replay window (`replay_window_secs`, default 600 s, and at least twice
/// the integration's `max_skew_secs`) is not caught by the digest; only a signed timestamp
/// (grafana and generic with a timestamp header, and `max_skew_secs`) bounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretUse {
    /// An HMAC signature of the (timestamped) body; replays are caught by digest.
    Signature,
    /// A bearer credential compared in constant time (Alertmanager's `Authorization` header,
    /// PagerDuty's routing key).
    Credential,
    /// None: the source has no way to carry a secret; a secret is refused.
    Unsupported,
}

/// How `source` uses an integration secret (see [`SecretUse`]).
pub fn secret_use(source: Source) -> SecretUse {
    match source {
        Source::Sentry | Source::Grafana | Source::Generic => SecretUse::Signature,
        Source::Alertmanager | Source::Pagerduty => SecretUse::Credential,
        Source::Datadog | Source::Opsgenie | Source::Monitor => SecretUse::Unsupported,
    }
}

/// The error of a secret on a source that cannot check one (a secret stored before this was
/// refused fails every delivery closed with it).
pub(crate) fn unsupported_secret(source: Source) -> Error {
    Error::Signature(format!(
        "{source} has no signature scheme, so a secret cannot be checked: clear the secret and use an ingest key (?key= or Authorization: Bearer)"
    ))
}

/// Checks a source's integration options (the common ones and the source's own): what
/// [`CompiledOptions::compile`] checks.
pub fn validate_options(source: Source, options: &serde_json::Value) -> Result<()> {
    CompiledOptions::compile(source, options).map(|_| ())
}

/// Why `monitor` is refused where a webhook source is expected.
pub(crate) fn not_a_webhook() -> Error {
    Error::invalid(
        "source",
        "monitor alerts come from the engine's own monitors, not from webhooks",
    )
}

// ---- notes ------------------------------------------------------------------------------------

/// Distinct kinds of alert note a delivery's summary lists; the rest are counted in one line.
pub const MAX_NOTE_KINDS: usize = 50;

/// The notes of one parse, collected in O(1) per note: the delivery's own notes, and per alert
/// its own notes, summarized for the caller as one line per kind with a count (a delivery of n
/// alerts yields O(n) notes in all, never n per alert).
#[derive(Debug, Default)]
pub struct Notes {
    delivery: Vec<String>,
    kinds: Vec<(String, u64)>,
    index: HashMap<String, usize>,
    other_kinds: u64,
    per_alert: BTreeMap<usize, Vec<String>>,
}

impl Notes {
    /// No notes.
    pub fn new() -> Self {
        Self::default()
    }

    /// A note on the delivery as a whole.
    pub fn delivery(&mut self, note: impl Into<String>) {
        self.delivery.push(note.into());
    }

    /// A note on the alert at `index`: kept as that alert's own, and counted under `kind` (the
    /// note's wording without what differs between alerts, such as its JSON path) in the
    /// summary, which shows the first note of each kind.
    pub fn alert(&mut self, index: usize, kind: impl Into<String>, note: impl Into<String>) {
        let note = note.into();
        let kind = kind.into();
        match self.index.get(&kind) {
            Some(&i) => {
                if let Some(k) = self.kinds.get_mut(i) {
                    k.1 += 1;
                }
            }
            None if self.kinds.len() < MAX_NOTE_KINDS => {
                self.index.insert(kind, self.kinds.len());
                self.kinds.push((note.clone(), 1));
            }
            None => self.other_kinds += 1,
        }
        self.per_alert.entry(index).or_default().push(note);
    }

    /// The summary (the delivery's notes, then one per kind: the first note, and how many more
    /// alerts had one like it) and each alert's own notes.
    pub fn finish(self) -> (Vec<String>, BTreeMap<usize, Vec<String>>) {
        let mut out = self.delivery;
        for (first, count) in self.kinds {
            out.push(if count > 1 {
                format!("{first} (and {} more like it)", count - 1)
            } else {
                first
            });
        }
        if self.other_kinds > 0 {
            out.push(format!(
                "{} more alert notes of other kinds (each event's trace keeps its own)",
                self.other_kinds
            ));
        }
        (out, self.per_alert)
    }
}

// ---- common options ---------------------------------------------------------------------------

/// Options every source accepts, besides its own.
pub const COMMON_OPTIONS: [&str; 2] = ["fingerprint_fields", "reopen_window_secs"];

/// Whether `key` is one of the [`COMMON_OPTIONS`].
pub fn is_common_option(key: &str) -> bool {
    COMMON_OPTIONS.contains(&key)
}

/// Fails on any key of the options object that is neither common nor in `known`.
pub(crate) fn check_keys(options: &Value, known: &[&str]) -> Result<()> {
    if options.is_null() {
        return Ok(());
    }
    let root = Node::at(options, "options");
    for key in root.expect_object()?.keys() {
        if !is_common_option(key) && !known.contains(&key.as_str()) {
            let mut all: Vec<&str> = known.to_vec();
            all.extend(COMMON_OPTIONS);
            return Err(Error::invalid(
                format!("options.{key}"),
                format!("unknown option (known: {})", all.join(", ")),
            ));
        }
    }
    Ok(())
}

pub(crate) fn reopen_override(options: &Value) -> Result<Option<u64>> {
    let Some(n) = Node::at(options, "options").get("reopen_window_secs") else {
        return Ok(None);
    };
    n.value()
        .as_u64()
        .map(Some)
        .ok_or_else(|| n.error("expected a whole number of seconds (0 or more)"))
}

/// The dedup policy ingest uses for `source`: the workspace's, adjusted by the source's rules
/// and the integration's `reopen_window_secs` option.
///
/// PagerDuty follows PagerDuty: an alert with a `dedup_key` joins the open incident however long
/// it has been open, and after a resolve a new trigger opens a new incident (no reopen).
pub fn dedup_policy(source: Source, options: &CompiledOptions, base: DedupPolicy) -> DedupPolicy {
    let mut p = base;
    if source == Source::Pagerduty {
        p.window = DedupWindow::UntilResolved;
        p.reopen_window_secs = 0;
    }
    // Options were validated when set; a bad stored value is ignored rather than failing ingest.
    if let Some(secs) = options.reopen_window_secs() {
        p.reopen_window_secs = secs;
    }
    p
}

// ---- paths ------------------------------------------------------------------------------------

/// Parses a dotted path (`a.b.0.c`): non-empty segments; numeric segments index arrays.
pub fn parse_path(text: &str, at: &str) -> Result<Vec<String>> {
    let segments: Vec<String> = text.split('.').map(str::to_string).collect();
    if text.is_empty() || segments.iter().any(String::is_empty) {
        return Err(Error::invalid(
            at,
            format!("{text:?} is not a dotted path (segments must not be empty, e.g. \"a.b.0.c\")"),
        ));
    }
    Ok(segments)
}

/// Follows a dotted path from `node`: object members by name, array items by index.
/// `None` when some step is missing or null.
pub fn lookup<'a>(node: &Node<'a>, path: &[String]) -> Option<Node<'a>> {
    node.descend(path)
}

// ---- fingerprint_fields -----------------------------------------------------------------------

/// One entry of `fingerprint_fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FieldRef {
    /// A field of the normalized alert.
    Normalized(&'static str),
    /// `tags.<name>`.
    Tag(String),
    /// `event.<path>`, or any other bare path: inside the alert's own item of the payload.
    Event(Vec<String>),
    /// `body.<path>`: from the root of the body.
    Body(Vec<String>),
}

const NORMALIZED_FIELDS: [&str; 8] = [
    "project",
    "environment",
    "title",
    "severity",
    "message",
    "link",
    "fingerprint",
    "source_event_id",
];

/// An integration's `fingerprint_fields`: the fingerprint made from named fields instead of the
/// source's own.
///
/// Syntax of each entry, tried in this order:
/// - one of `project`, `environment`, `title`, `severity`, `message`, `link`, `fingerprint` (the
///   source's own), `source_event_id`: that field of the normalized alert;
/// - `tags.NAME`: the tag `NAME` (everything after the first dot, dots included);
/// - `body.PATH`: the dotted `PATH` from the root of the request body;
/// - `event.PATH`, or any other dotted path: inside the alert's own item of the payload (the
///   entry of `alerts[]` for Alertmanager and Grafana, the event for generic batches, the whole
///   body for the other sources).
///
/// The fingerprint is `fields:` and 32 hex digits of a blake3 hash over the entries and their
/// values in the order listed (a missing value is hashed as missing, not as empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FingerprintFields(Vec<(String, FieldRef)>);

impl FingerprintFields {
    /// Reads `fingerprint_fields` from an integration's options, if set.
    pub fn from_options(options: &Value) -> Result<Option<Self>> {
        let Some(list) = Node::at(options, "options").get("fingerprint_fields") else {
            return Ok(None);
        };
        Self::parse(&list).map(Some)
    }

    /// Parses a list of entries at `node`.
    pub fn parse(node: &Node<'_>) -> Result<Self> {
        let items = node.array()?;
        if items.is_empty() {
            return Err(node.error("must name at least one field"));
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let text = item.str()?;
            let at = item.path().to_string();
            let r = if let Some(f) = NORMALIZED_FIELDS.iter().find(|f| **f == text) {
                FieldRef::Normalized(f)
            } else if let Some(tag) = text.strip_prefix("tags.") {
                if tag.is_empty() {
                    return Err(item.error("\"tags.\" needs a tag name"));
                }
                FieldRef::Tag(tag.to_string())
            } else if let Some(p) = text.strip_prefix("body.") {
                FieldRef::Body(parse_path(p, &at)?)
            } else if let Some(p) = text.strip_prefix("event.") {
                FieldRef::Event(parse_path(p, &at)?)
            } else {
                FieldRef::Event(parse_path(text, &at)?)
            };
            out.push((text.to_string(), r));
        }
        Ok(Self(out))
    }

    /// Replaces `alert.fingerprint` with the hash of the named fields. `body` is the whole
    /// payload, `event` the alert's own item in it.
    pub fn apply(&self, alert: &mut NormalizedAlert, body: &Value, event: &Value) {
        let mut h = blake3::Hasher::new_derive_key("signalcraft 2026-11-22 fingerprint_fields v1");
        for (name, r) in &self.0 {
            let value: Option<String> = match r {
                FieldRef::Normalized(f) => match *f {
                    "project" => alert.project.clone(),
                    "environment" => alert.environment.clone(),
                    "title" => Some(alert.title.clone()),
                    "severity" => Some(alert.severity.as_str().to_string()),
                    "message" => alert.message.clone(),
                    "link" => alert.link.clone(),
                    "fingerprint" => Some(alert.fingerprint.clone()),
                    _ => alert.source_event_id.clone(),
                },
                FieldRef::Tag(t) => alert.tags.get(t).cloned(),
                FieldRef::Event(p) => crate::json::value_at(event, p).map(canonical),
                FieldRef::Body(p) => crate::json::value_at(body, p).map(canonical),
            };
            put(&mut h, Some(name));
            put(&mut h, value.as_deref());
        }
        alert.fingerprint = format!("fields:{}", hex::encode(&h.finalize().as_bytes()[..16]));
    }
}

fn canonical(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn put(h: &mut blake3::Hasher, field: Option<&str>) {
    match field {
        None => {
            h.update(&[0]);
        }
        Some(s) => {
            h.update(&[1]);
            h.update(&(s.len() as u64).to_le_bytes());
            h.update(s.as_bytes());
        }
    }
}

// ---- severity maps ----------------------------------------------------------------------------

/// A value → severity table, matched without regard to case or surrounding space.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeverityMap(Vec<(String, Severity)>);

impl SeverityMap {
    /// The label-based sources' defaults: critical/page/p1 → critical, error/high/p2 → error,
    /// warning/warn/p3 → warning, info/low → info, debug → debug.
    pub fn label_defaults() -> Self {
        let mut v = Vec::new();
        for (names, s) in [
            (&["critical", "page", "p1"][..], Severity::Critical),
            (&["error", "high", "p2"][..], Severity::Error),
            (&["warning", "warn", "p3"][..], Severity::Warning),
            (&["info", "low"][..], Severity::Info),
            (&["debug"][..], Severity::Debug),
        ] {
            for n in names {
                v.push(((*n).to_string(), s));
            }
        }
        Self(v)
    }

    /// An empty table.
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    /// `base` with the entries of the object at `options.<key>` put first (they win).
    pub fn with_options(base: Self, options: &Value, key: &str) -> Result<Self> {
        let Some(node) = Node::at(options, "options").get(key) else {
            return Ok(base);
        };
        let map = node.expect_object()?;
        let mut v = Vec::with_capacity(map.len() + base.0.len());
        for (name, value) in map {
            let at = Node::at(value, format!("{}.{name}", node.path()));
            let sev: Severity = at
                .str()?
                .parse()
                .map_err(|_| at.error("expected debug, info, warning, error or critical"))?;
            v.push((name.trim().to_ascii_lowercase(), sev));
        }
        v.extend(base.0);
        Ok(Self(v))
    }

    /// The severity for `value`, if the table has it.
    pub fn get(&self, value: &str) -> Option<Severity> {
        let key = value.trim().to_ascii_lowercase();
        self.0.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
    }
}

// ---- helpers for parsers ----------------------------------------------------------------------

/// A short hex hash of length-prefixed parts under a derive-key context.
pub(crate) fn hash_hex(context: &str, parts: &[&str], bytes: usize) -> String {
    let mut h = blake3::Hasher::new_derive_key(context);
    for p in parts {
        put(&mut h, Some(p));
    }
    hex::encode(&h.finalize().as_bytes()[..bytes.min(32)])
}

/// A time given as RFC 3339, or ISO 8601 with a `+0000`-style offset (as PagerDuty documents).
pub(crate) fn iso_time(v: &Val<'_>, at: &At<'_>) -> Result<DateTime<Utc>> {
    let s = v.str(at)?.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Ok(t.with_timezone(&Utc));
    }
    if let Ok(t) = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Ok(t.and_utc());
    }
    Err(at.error(format!("not an ISO 8601 time: {s:?}")))
}

/// An integer (a JSON integer, or a string of digits) read exactly, without going through floats.
pub(crate) fn exact_int(v: &Val<'_>, at: &At<'_>) -> Result<i64> {
    match v {
        Val::Num(n) => n
            .as_i64()
            .ok_or_else(|| at.error(format!("expected an integer, got {n}"))),
        Val::Str(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| at.error(format!("expected an integer, got {s:?}"))),
        _ => Err(at.error("expected an integer (number or string of digits)")),
    }
}

/// Unix milliseconds as a time, exactly.
pub(crate) fn from_millis(v: &Val<'_>, at: &At<'_>) -> Result<DateTime<Utc>> {
    let ms = exact_int(v, at)?;
    DateTime::from_timestamp_millis(ms).ok_or_else(|| at.error("unix time out of range"))
}

/// Unix nanoseconds as a time, exactly (`i64` nanoseconds reach the year 2262).
pub(crate) fn from_nanos(v: &Val<'_>, at: &At<'_>) -> Result<DateTime<Utc>> {
    let ns = exact_int(v, at)?;
    let secs = ns.div_euclid(1_000_000_000);
    let sub = ns.rem_euclid(1_000_000_000) as u32;
    DateTime::from_timestamp(secs, sub).ok_or_else(|| at.error("unix time out of range"))
}

// ---- auto-detection ---------------------------------------------------------------------------

/// Picks the source of a payload from its headers and the shape of its body, saying why.
/// `None` when nothing matches.
///
/// Headers first: `Sentry-Hook-Resource` → sentry; `X-Grafana-Alerting-Signature` or
/// `User-Agent: Grafana…` → grafana; `User-Agent: Alertmanager/…` → alertmanager. Then the body:
/// `version` "4" with `alerts` → alertmanager; `version` "1" with `orgId` → grafana;
/// `event_action` with `routing_key`, `dedup_key`, an `X-Routing-Key` header or a `payload`
/// object → pagerduty; `action` with `alert.alertId`
/// → opsgenie; `action` with a `data` object, or a legacy-plugin body → sentry; `event_type`,
/// `title` and `org` or `date` (Datadog's default payload keys) → datadog.
pub fn detect(headers: &Headers, body: &Value) -> Option<(Source, String)> {
    if headers.get(sentry::RESOURCE_HEADER).is_some() {
        return Some((
            Source::Sentry,
            format!("header {}", sentry::RESOURCE_HEADER),
        ));
    }
    if headers.get(grafana::SIGNATURE_HEADER).is_some() {
        return Some((
            Source::Grafana,
            format!("header {}", grafana::SIGNATURE_HEADER),
        ));
    }
    let ua = headers.get("User-Agent").unwrap_or("");
    let version = body.get("version").and_then(Value::as_str);
    let has = |k: &str| body.get(k).is_some_and(|v| !v.is_null());
    if ua.starts_with("Alertmanager/") && version != Some("1") {
        return Some((Source::Alertmanager, format!("User-Agent {ua:?}")));
    }
    if ua.starts_with("Grafana") && has("alerts") {
        return Some((Source::Grafana, format!("User-Agent {ua:?}")));
    }
    if version == Some("4") && has("alerts") {
        return Some((
            Source::Alertmanager,
            "body: version \"4\" with alerts".into(),
        ));
    }
    if version == Some("1") && has("orgId") {
        return Some((Source::Grafana, "body: version \"1\" with orgId".into()));
    }
    if has("event_action") && (has("routing_key") || has("dedup_key")) {
        return Some((
            Source::Pagerduty,
            "body: event_action with routing_key/dedup_key".into(),
        ));
    }
    if has("event_action") && headers.get(pagerduty::ROUTING_KEY_HEADER).is_some() {
        return Some((
            Source::Pagerduty,
            format!(
                "body: event_action, header {}",
                pagerduty::ROUTING_KEY_HEADER
            ),
        ));
    }
    if has("event_action") && body.get("payload").is_some_and(Value::is_object) {
        return Some((
            Source::Pagerduty,
            "body: event_action with a payload object".into(),
        ));
    }
    if has("action") && body.get("alert").and_then(|a| a.get("alertId")).is_some() {
        return Some((Source::Opsgenie, "body: action with alert.alertId".into()));
    }
    if has("action") && body.get("data").is_some_and(Value::is_object) {
        return Some((Source::Sentry, "body: action with a data object".into()));
    }
    if body.get("event").is_some_and(Value::is_object)
        && (has("project_slug") || has("triggering_rules"))
    {
        return Some((Source::Sentry, "body: legacy WebHooks-plugin shape".into()));
    }
    if has("event_type") && has("title") && (has("org") || has("date") || has("last_updated")) {
        return Some((
            Source::Datadog,
            "body: Datadog default payload keys (event_type, title, org/date)".into(),
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_lookup() {
        let doc = serde_json::json!({"a": {"b": [{"c": 1}, {"c": "x"}]}});
        let p = parse_path("a.b.1.c", "p").unwrap_or_default();
        let n = lookup(&Node::root(&doc), &p);
        assert_eq!(n.as_ref().map(|n| n.path()), Some("a.b[1].c"));
        assert!(lookup(&Node::root(&doc), &["a".into(), "z".into()]).is_none());
        assert!(parse_path("a..b", "p").is_err());
        assert!(parse_path("", "p").is_err());
    }

    fn from_nanos(node: &Node<'_>) -> Result<DateTime<Utc>> {
        super::from_nanos(&Val::of(node.value()), &At::Named(node.path()))
    }

    fn iso_time(node: &Node<'_>) -> Result<DateTime<Utc>> {
        super::iso_time(&Val::of(node.value()), &At::Named(node.path()))
    }

    #[test]
    fn exact_nanos() {
        let v = serde_json::json!(1502709956288000110_i64);
        let t = from_nanos(&Node::root(&v)).unwrap_or_default();
        assert_eq!(t.timestamp(), 1502709956);
        assert_eq!(t.timestamp_subsec_nanos(), 288000110);
    }

    #[test]
    fn pagerduty_offsets() {
        let v = serde_json::json!("2015-07-17T08:42:58.315+0000");
        let t = iso_time(&Node::root(&v)).unwrap_or_default();
        assert_eq!(t.timestamp_millis(), 1437122578315);
    }
}
