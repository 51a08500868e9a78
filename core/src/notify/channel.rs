//! Notification channels: kinds, their configuration (validated with JSON paths), and which of
//! their fields are secrets.

use super::RetryPolicy;
use crate::json::Node;
use crate::routing::FieldErrors;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a channel delivers through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    /// Slack's Web API (`chat.postMessage`, `chat.update`).
    Slack,
    /// A signed JSON POST.
    Webhook,
    /// PagerDuty Events API v2.
    Pagerduty,
    /// SMTP.
    Email,
}

impl ChannelKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Slack => "slack",
            ChannelKind::Webhook => "webhook",
            ChannelKind::Pagerduty => "pagerduty",
            ChannelKind::Email => "email",
        }
    }

    /// The config fields holding secrets (stored sealed, shown masked).
    pub fn secret_fields(self) -> &'static [&'static str] {
        match self {
            ChannelKind::Slack => &["token"],
            ChannelKind::Webhook => &["secret"],
            ChannelKind::Pagerduty => &["routing_key"],
            ChannelKind::Email => &["password"],
        }
    }

    fn fields(self) -> (&'static [&'static str], &'static [&'static str]) {
        // (required, optional), besides the common `retry`, `breaker` and `rate_limit`
        match self {
            ChannelKind::Slack => (&["token", "channel"], &["api_base"]),
            ChannelKind::Webhook => (&["url"], &["secret", "timeout_secs"]),
            ChannelKind::Pagerduty => (&["routing_key"], &["events_url"]),
            ChannelKind::Email => (
                &["smtp_host", "smtp_port", "from", "to"],
                &["starttls", "insecure", "username", "password"],
            ),
        }
    }
}

impl std::str::FromStr for ChannelKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "slack" => Ok(ChannelKind::Slack),
            "webhook" => Ok(ChannelKind::Webhook),
            "pagerduty" => Ok(ChannelKind::Pagerduty),
            "email" => Ok(ChannelKind::Email),
            _ => Err(Error::invalid(
                "kind",
                format!("unknown channel kind {s:?} (slack, webhook, pagerduty, email)"),
            )),
        }
    }
}

/// When a channel's circuit breaker opens and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerPolicy {
    /// Consecutive failed attempts that open it.
    pub failures: u32,
    /// Seconds it stays open before one attempt is let through.
    pub open_secs: u64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failures: 5,
            open_secs: 30,
        }
    }
}

impl BreakerPolicy {
    /// How long it stays open once opened (capped at a day, as the dispatcher caps it).
    pub fn open_for(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::seconds(self.open_secs.min(86_400) as i64)
    }

    /// The breaker's state at `now` from what the dispatcher stores (consecutive failures,
    /// and until when it is open).
    pub fn state(
        &self,
        failures: u32,
        open_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> BreakerState {
        let state = match open_until {
            None => BreakerStatus::Closed,
            Some(until) if until > now => BreakerStatus::Open,
            Some(_) => BreakerStatus::HalfOpen,
        };
        BreakerState {
            state,
            failures,
            // a channel's breaker is reset whenever its policy changes, so the policy that
            // opened it is today's
            opened_at: open_until.map(|u| u - self.open_for()),
            retry_at: open_until,
        }
    }
}

/// Where a channel's circuit breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerStatus {
    /// Notifications go out.
    Closed,
    /// Too many consecutive failures: notifications wait until `retry_at`.
    Open,
    /// The open time is over: the next attempt is a probe (success closes it, failure opens it
    /// again).
    HalfOpen,
}

/// A channel's circuit breaker as the channels list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakerState {
    /// Closed, open or half-open.
    pub state: BreakerStatus,
    /// Consecutive failed attempts (0 after a success).
    pub failures: u32,
    /// When it last opened (`None` while closed).
    pub opened_at: Option<DateTime<Utc>>,
    /// When it lets an attempt through again (`None` while closed; past when half-open).
    pub retry_at: Option<DateTime<Utc>>,
}

/// A channel's validated configuration (secrets in the clear: only in memory; `Debug` shows
/// them redacted).
#[derive(Clone, PartialEq)]
pub struct ChannelConfig {
    /// The channel's name in the workspace.
    pub name: String,
    /// Its kind.
    pub kind: ChannelKind,
    /// The kind's settings, as given.
    pub config: Map<String, Value>,
    /// Retries.
    pub retry: RetryPolicy,
    /// The circuit breaker.
    pub breaker: BreakerPolicy,
    /// The channel's own storm cap (else the workspace's).
    pub rate_limit: Option<RateLimit>,
}

/// A channel's own cap on notifications a minute (`config.rate_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Notifications (HTTP calls) in any minute, 1 to 10,000.
    pub per_min: u32,
}

/// The longest timeout any channel may set, in seconds (a hard cap: one slow endpoint must not
/// hold a delivery slot longer).
pub const MAX_TIMEOUT_SECS: u64 = 30;
/// The most attempts a retry policy may make.
pub const MAX_ATTEMPTS: u32 = 50;
/// The shortest retry delay or interval, in milliseconds.
pub const MIN_RETRY_MS: u64 = 100;
/// The longest retry interval, in milliseconds (1 h).
pub const MAX_RETRY_INTERVAL_MS: u64 = 3_600_000;
/// The longest a notification may be retried, in seconds (7 days).
pub const MAX_RETRY_AGE_SECS: u64 = 7 * 86_400;
/// The most consecutive failures a breaker may wait for.
pub const MAX_BREAKER_FAILURES: u32 = 1_000;
/// The longest a breaker may stay open, in seconds (1 day).
pub const MAX_BREAKER_OPEN_SECS: u64 = 86_400;

use super::storm::MAX_PER_MIN;

fn check_retry(r: &RetryPolicy, errors: &mut FieldErrors) {
    if !(1..=MAX_ATTEMPTS).contains(&r.max_attempts) {
        errors.push(
            "config.retry.max_attempts",
            format!("expected 1 to {MAX_ATTEMPTS}"),
        );
    }
    if !(MIN_RETRY_MS..=MAX_RETRY_INTERVAL_MS).contains(&r.first_ms) {
        errors.push(
            "config.retry.first_ms",
            format!("expected {MIN_RETRY_MS} to {MAX_RETRY_INTERVAL_MS} milliseconds"),
        );
    }
    if !(MIN_RETRY_MS..=MAX_RETRY_INTERVAL_MS).contains(&r.max_interval_ms) {
        errors.push(
            "config.retry.max_interval_ms",
            format!("expected {MIN_RETRY_MS} to {MAX_RETRY_INTERVAL_MS} milliseconds"),
        );
    }
    if !(1..=MAX_RETRY_AGE_SECS).contains(&r.max_age_secs) {
        errors.push(
            "config.retry.max_age_secs",
            format!("expected 1 to {MAX_RETRY_AGE_SECS} seconds"),
        );
    }
    if !(0.0..=1.0).contains(&r.jitter) {
        errors.push("config.retry.jitter", "expected 0 to 1");
    }
}

fn check_breaker(b: &BreakerPolicy, errors: &mut FieldErrors) {
    if !(1..=MAX_BREAKER_FAILURES).contains(&b.failures) {
        errors.push(
            "config.breaker.failures",
            format!("expected 1 to {MAX_BREAKER_FAILURES}"),
        );
    }
    if !(1..=MAX_BREAKER_OPEN_SECS).contains(&b.open_secs) {
        errors.push(
            "config.breaker.open_secs",
            format!("expected 1 to {MAX_BREAKER_OPEN_SECS} seconds"),
        );
    }
}

/// Brings a stored config's bounded numbers within today's bounds (see
/// [`ChannelConfig::parse_stored`]).
fn clamp_stored(v: &mut Value) {
    fn clamp(map: &mut Map<String, Value>, key: &str, lo: u64, hi: u64) {
        if let Some(n) = map.get(key).and_then(Value::as_u64) {
            map.insert(key.into(), Value::from(n.clamp(lo, hi)));
        }
    }
    let Some(map) = v.as_object_mut() else {
        return;
    };
    clamp(map, "timeout_secs", 1, MAX_TIMEOUT_SECS);
    if let Some(Value::Object(r)) = map.get_mut("retry") {
        clamp(r, "max_attempts", 1, u64::from(MAX_ATTEMPTS));
        clamp(r, "first_ms", MIN_RETRY_MS, MAX_RETRY_INTERVAL_MS);
        clamp(r, "max_interval_ms", MIN_RETRY_MS, MAX_RETRY_INTERVAL_MS);
        clamp(r, "max_age_secs", 1, MAX_RETRY_AGE_SECS);
    }
    if let Some(Value::Object(b)) = map.get_mut("breaker") {
        clamp(b, "failures", 1, u64::from(MAX_BREAKER_FAILURES));
        clamp(b, "open_secs", 1, MAX_BREAKER_OPEN_SECS);
    }
}

impl std::fmt::Debug for ChannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut config = self.config.clone();
        for k in self.kind.secret_fields() {
            if let Some(v) = config.get_mut(*k) {
                *v = Value::String(crate::secrets::REDACTED.into());
            }
        }
        f.debug_struct("ChannelConfig")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("config", &config)
            .field("retry", &self.retry)
            .field("breaker", &self.breaker)
            .finish()
    }
}

fn is_url(s: &str) -> bool {
    (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 8
        && !s.contains(char::is_whitespace)
}

fn email_ok(s: &str) -> bool {
    let s = s.trim();
    let addr = s
        .rsplit_once('<')
        .map_or(s, |(_, a)| a.trim_end_matches('>'));
    addr.split_once('@')
        .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
}

/// Checks a channel name: 1 to 128 letters, digits, `.`, `_`, `-`, `#`.
pub fn validate_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 128
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/' | '#'))
    {
        return Err(Error::invalid(
            "name",
            format!("channel names are 1 to 128 letters, digits or . _ - : / #; got {name:?}"),
        ));
    }
    Ok(())
}

impl ChannelConfig {
    /// Validates `config` for a channel of `kind`, every problem with its JSON path.
    pub fn parse(name: &str, kind: ChannelKind, config: &Value) -> Result<ChannelConfig> {
        validate_name(name)?;
        let root = Node::at(config, "config");
        let mut errors = FieldErrors::default();
        let Some(map) = config.as_object() else {
            return Err(Error::invalid("config", "expected a JSON object"));
        };
        let (required, optional) = kind.fields();
        for k in map.keys() {
            if !required.contains(&k.as_str())
                && !optional.contains(&k.as_str())
                && k != "retry"
                && k != "breaker"
                && k != "rate_limit"
            {
                errors.push(
                    format!("config.{k}"),
                    format!(
                        "unknown key for a {} channel (known: {})",
                        kind.as_str(),
                        [required, optional].concat().join(", ")
                    ),
                );
            }
        }
        for k in required {
            if root.get(k).is_none() {
                errors.push(format!("config.{k}"), "missing");
            }
        }
        let text = |k: &str, errors: &mut FieldErrors| -> Option<String> {
            let n = root.get(k)?;
            match n.str() {
                Ok(s) if !s.trim().is_empty() => Some(s.to_string()),
                Ok(_) => {
                    errors.push(n.path(), "empty");
                    None
                }
                Err(e) => {
                    errors.push_error(e);
                    None
                }
            }
        };
        match kind {
            ChannelKind::Slack => {
                text("token", &mut errors);
                if let Some(c) = text("channel", &mut errors)
                    && c.contains(char::is_whitespace)
                {
                    errors.push("config.channel", "a Slack channel id or name has no spaces");
                }
                if let Some(u) = text("api_base", &mut errors)
                    && !is_url(&u)
                {
                    errors.push("config.api_base", "expected an http(s) URL");
                }
            }
            ChannelKind::Webhook => {
                if let Some(u) = text("url", &mut errors)
                    && !is_url(&u)
                {
                    errors.push("config.url", "expected an http(s) URL");
                }
                text("secret", &mut errors);
                if let Some(n) = root.get("timeout_secs")
                    && !n
                        .value()
                        .as_u64()
                        .is_some_and(|t| (1..=MAX_TIMEOUT_SECS).contains(&t))
                {
                    errors.push(
                        n.path(),
                        format!("expected 1 to {MAX_TIMEOUT_SECS} seconds"),
                    );
                }
            }
            ChannelKind::Pagerduty => {
                text("routing_key", &mut errors);
                if let Some(u) = text("events_url", &mut errors)
                    && !is_url(&u)
                {
                    errors.push("config.events_url", "expected an http(s) URL");
                }
            }
            ChannelKind::Email => {
                text("smtp_host", &mut errors);
                if let Some(n) = root.get("smtp_port")
                    && !n.value().as_u64().is_some_and(|p| (1..=65535).contains(&p))
                {
                    errors.push(n.path(), "expected a port number");
                }
                for k in ["from"] {
                    if let Some(f) = text(k, &mut errors)
                        && !email_ok(&f)
                    {
                        errors.push(
                            format!("config.{k}"),
                            format!("not an email address: {f:?}"),
                        );
                    }
                }
                if let Some(to) = root.get("to") {
                    match to.array() {
                        Ok(list) if !list.is_empty() => {
                            for item in list {
                                match item.str() {
                                    Ok(a) if email_ok(a) => {}
                                    Ok(a) => errors
                                        .push(item.path(), format!("not an email address: {a:?}")),
                                    Err(e) => errors.push_error(e),
                                }
                            }
                        }
                        _ => errors.push(to.path(), "expected a non-empty list of addresses"),
                    }
                }
                for k in ["starttls", "insecure"] {
                    if let Some(n) = root.get(k)
                        && !n.value().is_boolean()
                    {
                        errors.push(n.path(), "expected true or false");
                    }
                }
                text("username", &mut errors);
                text("password", &mut errors);
            }
        }
        let retry = match map.get("retry") {
            None => RetryPolicy::default(),
            Some(v) => match serde_json::from_value::<RetryPolicy>(v.clone()) {
                Ok(r) => {
                    check_retry(&r, &mut errors);
                    r
                }
                Err(e) => {
                    errors.push("config.retry", e.to_string());
                    RetryPolicy::default()
                }
            },
        };
        let breaker = match map.get("breaker") {
            None => BreakerPolicy::default(),
            Some(v) => match serde_json::from_value::<BreakerPolicy>(v.clone()) {
                Ok(b) => {
                    check_breaker(&b, &mut errors);
                    b
                }
                Err(e) => {
                    errors.push("config.breaker", e.to_string());
                    BreakerPolicy::default()
                }
            },
        };
        let rate_limit = match map.get("rate_limit") {
            None => None,
            Some(v) => match serde_json::from_value::<RateLimit>(v.clone()) {
                Ok(r) if (1..=MAX_PER_MIN).contains(&r.per_min) => Some(r),
                Ok(_) => {
                    errors.push(
                        "config.rate_limit.per_min",
                        format!("expected 1 to {MAX_PER_MIN}"),
                    );
                    None
                }
                Err(e) => {
                    errors.push("config.rate_limit", e.to_string());
                    None
                }
            },
        };
        errors.into_result()?;
        Ok(ChannelConfig {
            name: name.to_string(),
            kind,
            config: map.clone(),
            retry,
            breaker,
            rate_limit,
        })
    }

    /// Parses a channel as stored: settings a newer build bounds more tightly (timeouts, retry
    /// and breaker limits) are brought within the bounds instead of refused, so that a channel
    /// saved before keeps delivering.
    pub fn parse_stored(name: &str, kind: ChannelKind, config: &Value) -> Result<ChannelConfig> {
        let mut v = config.clone();
        clamp_stored(&mut v);
        Self::parse(name, kind, &v)
    }

    /// A string setting.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.config.get(key).and_then(Value::as_str)
    }

    /// The config with its secrets masked, for showing.
    pub fn masked(&self) -> Value {
        let mut c = self.config.clone();
        for k in self.kind.secret_fields() {
            if let Some(Value::String(s)) = c.get_mut(*k) {
                *s = crate::secrets::mask(s);
            }
        }
        Value::Object(c)
    }
}
