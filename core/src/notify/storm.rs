//! Storm control, the pure part: each channel's sliding minute of sends, whether one more
//! fits under the channel's cap, when the next one will, and the digest that notifications over
//! the cap are folded into (one message per interval: "… and 240 more new groups").
//!
//! The dispatcher decides with these functions inside its claim transaction, so two dispatchers
//! on one database never exceed a cap together.

use crate::alert::Severity;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The window a channel's cap counts over.
pub const WINDOW_SECS: i64 = 60;
/// The least time between two digests of one channel.
pub const DIGEST_INTERVAL_SECS: i64 = 60;
/// The default cap: notifications (Slack calls) a channel gets in any minute.
pub const DEFAULT_PER_MIN: u32 = 30;
/// The largest cap a workspace or channel may set.
pub const MAX_PER_MIN: u32 = 10_000;
/// Groups a digest names (the rest it counts).
pub const DIGEST_GROUPS: usize = 5;
/// User mentions a digest keeps.
const DIGEST_MENTIONS: usize = 10;

/// The sends of one channel in the last [`WINDOW_SECS`], oldest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLog {
    /// When each send (each HTTP call) was let through.
    pub sent: Vec<DateTime<Utc>>,
}

impl RateLog {
    /// Drops the sends that left the window.
    pub fn prune(&mut self, now: DateTime<Utc>) {
        let from = now - TimeDelta::seconds(WINDOW_SECS);
        self.sent.retain(|t| *t > from);
    }

    /// Whether `weight` more calls fit under `cap` now (after [`RateLog::prune`]).
    pub fn admits(&self, cap: u32, weight: u32) -> bool {
        self.sent.len() + weight as usize <= cap as usize
    }

    /// Counts `weight` calls made now.
    pub fn take(&mut self, weight: u32, now: DateTime<Utc>) {
        for _ in 0..weight {
            self.sent.push(now);
        }
    }

    /// When `weight` calls will fit under `cap` (now, if they do).
    pub fn next_slot(&self, cap: u32, weight: u32, now: DateTime<Utc>) -> DateTime<Utc> {
        let over = (self.sent.len() + weight as usize).saturating_sub(cap as usize);
        match over.checked_sub(1).and_then(|i| self.sent.get(i)) {
            Some(t) => (*t + TimeDelta::seconds(WINDOW_SECS)).max(now),
            None => now,
        }
    }
}

/// What a digest counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DigestCounts {
    /// Groups that opened (or reopened).
    pub new_groups: u64,
    /// Groups that fired again.
    pub fired_again: u64,
    /// Groups resolved.
    pub resolved: u64,
    /// Escalation steps.
    pub escalations: u64,
    /// Other status changes (acknowledged, snoozed, assigned).
    pub status: u64,
}

impl DigestCounts {
    /// Notifications folded in all.
    pub fn total(&self) -> u64 {
        self.new_groups + self.fired_again + self.resolved + self.escalations + self.status
    }
}

/// One group a digest names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestGroup {
    /// The group's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its severity.
    pub severity: Severity,
}

/// The notifications over a channel's cap, folded into one message (the payload of an outbox
/// row of kind `digest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Digest {
    /// The workspace's name (for the inbox link).
    pub workspace_name: String,
    /// The channel's cap it was over.
    pub cap: u32,
    /// What was folded, by kind.
    pub counts: DigestCounts,
    /// Folded new groups by severity.
    pub severities: BTreeMap<String, u64>,
    /// The one broadcast mention the digest carries: `channel` or `here` (`None`: nobody).
    pub broadcast: Option<String>,
    /// User and user-group mentions of the folded notifications (at most 10).
    pub mentions: Vec<String>,
    /// The first groups folded (at most [`DIGEST_GROUPS`]).
    pub groups: Vec<DigestGroup>,
    /// The first folded notification's time.
    pub since: Option<DateTime<Utc>>,
    /// The last one's.
    pub until: Option<DateTime<Utc>>,
    /// The dashboard inbox filtered to these groups, when the workspace has a `public_url`.
    pub inbox_url: Option<String>,
}

/// What a folded notification asks to mention: (broadcast, user mentions). An unauthenticated
/// delivery's notification (`"broadcast": false` in its payload) asks for no broadcast.
fn wanted_mentions(
    payload: &Value,
    severity: Option<Severity>,
) -> (Option<&'static str>, Vec<String>) {
    let allowed = payload.get("broadcast").and_then(Value::as_bool) != Some(false);
    let listed: Vec<&str> = payload
        .get("mention")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::trim).collect())
        .unwrap_or_default();
    let mut broadcast = None;
    let mut users = Vec::new();
    for m in &listed {
        match *m {
            "@channel" | "<!channel>" | "@everyone" | "<!everyone>" => broadcast = Some("channel"),
            "@here" | "<!here>" => {
                broadcast = broadcast.or(Some("here"));
            }
            "" => {}
            other => users.push(other.to_string()),
        }
    }
    if listed.is_empty() && severity == Some(Severity::Critical) {
        broadcast = Some("here");
    }
    (broadcast.filter(|_| allowed), users)
}

impl Digest {
    /// A new, empty digest for a channel of `workspace_name` capped at `cap`.
    pub fn new(workspace_name: &str, cap: u32, inbox_base: Option<&str>) -> Self {
        Self {
            workspace_name: workspace_name.to_string(),
            cap,
            inbox_url: inbox_base.map(|b| {
                format!(
                    "{}/w/{}/inbox",
                    b.trim_end_matches('/'),
                    url_part(workspace_name)
                )
            }),
            ..Self::default()
        }
    }

    /// Folds one notification (`kind` and its outbox payload) in, at `now`.
    pub fn fold(&mut self, kind: &str, payload: &Value, now: DateTime<Utc>) {
        let group = payload.get("group");
        let severity = group
            .and_then(|g| g.get("severity"))
            .and_then(|s| serde_json::from_value::<Severity>(s.clone()).ok());
        let decision = payload.get("decision").and_then(Value::as_str);
        match kind {
            "firing" if matches!(decision, Some("new_group" | "reopened")) => {
                self.counts.new_groups += 1;
                if let Some(s) = severity {
                    *self.severities.entry(s.as_str().to_string()).or_default() += 1;
                }
            }
            "firing" => self.counts.fired_again += 1,
            "resolved" => self.counts.resolved += 1,
            "escalation" => self.counts.escalations += 1,
            _ => self.counts.status += 1,
        }
        if matches!(kind, "firing" | "escalation") {
            let (broadcast, users) = wanted_mentions(payload, severity);
            match (self.broadcast.as_deref(), broadcast) {
                (_, Some("channel")) => self.broadcast = Some("channel".into()),
                (None, Some(b)) => self.broadcast = Some(b.into()),
                _ => {}
            }
            for u in users {
                if self.mentions.len() < DIGEST_MENTIONS && !self.mentions.contains(&u) {
                    self.mentions.push(u);
                }
            }
        }
        if self.groups.len() < DIGEST_GROUPS
            && let Some(g) = group
            && let Some(id) = g.get("id").and_then(Value::as_str)
            && !self.groups.iter().any(|x| x.id == id)
        {
            self.groups.push(DigestGroup {
                id: id.to_string(),
                title: g
                    .get("title")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .chars()
                    .take(200)
                    .collect(),
                severity: severity.unwrap_or(Severity::Info),
            });
        }
        self.since = Some(self.since.map_or(now, |s| s.min(now)));
        self.until = Some(self.until.map_or(now, |u| u.max(now)));
    }

    /// The inbox link with the digest's time filter (`since` = the first folded notification
    /// minus the window, as the groups' first or last event was at most that long before).
    pub fn link(&self) -> Option<String> {
        let base = self.inbox_url.as_deref()?;
        let since = self.since? - TimeDelta::seconds(WINDOW_SECS);
        Some(format!(
            "{base}?status=&since={}",
            url_part(&since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        ))
    }

    /// The digest as one line of plain text (no mentions): "… and 240 more new groups (240
    /// critical), 3 resolved — over this channel's cap of 30 notifications a minute."
    pub fn summary(&self) -> String {
        let c = &self.counts;
        let mut parts = Vec::new();
        if c.new_groups > 0 {
            let sev: Vec<String> = ["critical", "error", "warning", "info", "debug"]
                .iter()
                .filter_map(|s| self.severities.get(*s).map(|n| format!("{n} {s}")))
                .collect();
            let noun = if c.new_groups == 1 { "group" } else { "groups" };
            let mut p = format!("{} more new {noun}", c.new_groups);
            if !sev.is_empty() {
                p.push_str(&format!(" ({})", sev.join(", ")));
            }
            parts.push(p);
        }
        let more = |n: u64, one: &str, many: &str| match n {
            0 => None,
            1 => Some(format!("1 {one}")),
            n => Some(format!("{n} {many}")),
        };
        parts.extend(more(
            c.fired_again,
            "group fired again",
            "groups fired again",
        ));
        parts.extend(more(c.resolved, "group resolved", "groups resolved"));
        parts.extend(more(c.escalations, "escalation", "escalations"));
        parts.extend(more(c.status, "status change", "status changes"));
        let what = if parts.is_empty() {
            "nothing".to_string()
        } else {
            parts.join(", ")
        };
        format!(
            "… and {what}: over this channel's cap of {} notifications a minute, folded into this digest.",
            self.cap
        )
    }

    /// The sentence about the inbox: the link, or why there is none.
    pub fn link_text(&self) -> String {
        match self.link() {
            Some(_) => "Open them in the inbox.".into(),
            None => "See them in the inbox (no link: set the workspace setting `public_url` to the dashboard's address).".into(),
        }
    }
}

/// Percent-encodes a URL path or query part.
fn url_part(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_772_366_400 + s, 0).unwrap_or_default()
    }

    #[test]
    fn sliding_minute_admits_up_to_the_cap() {
        let mut log = RateLog::default();
        for i in 0..3 {
            assert!(log.admits(3, 1));
            log.take(1, at(i));
        }
        assert!(!log.admits(3, 1));
        assert_eq!(log.next_slot(3, 1, at(10)), at(60));
        assert_eq!(log.next_slot(3, 2, at(10)), at(61));
        log.prune(at(60));
        assert_eq!(log.sent.len(), 2);
        assert!(log.admits(3, 1));
        assert!(!log.admits(3, 2));
        assert_eq!(log.next_slot(3, 1, at(60)), at(60));
    }

    #[test]
    fn digest_counts_kinds_and_mentions_once() {
        let mut d = Digest::new("acme ops", 30, Some("https://sc.example/"));
        let g =
            |id: &str, sev: &str| json!({"id": id, "title": format!("t {id}"), "severity": sev});
        for i in 0..7 {
            d.fold(
                "firing",
                &json!({"group": g(&i.to_string(), "critical"), "decision": "new_group", "mention": []}),
                at(i),
            );
        }
        d.fold("resolved", &json!({"group": g("0", "critical")}), at(9));
        d.fold(
            "firing",
            &json!({"group": g("x", "warning"), "decision": "new_group", "mention": ["<@U1>", "@here"]}),
            at(9),
        );
        assert_eq!(d.counts.new_groups, 8);
        assert_eq!(d.counts.resolved, 1);
        assert_eq!(d.broadcast.as_deref(), Some("here"));
        assert_eq!(d.mentions, ["<@U1>"]);
        assert_eq!(d.groups.len(), DIGEST_GROUPS);
        assert!(
            d.summary()
                .starts_with("… and 8 more new groups (7 critical, 1 warning), 1 group resolved")
        );
        assert_eq!(
            d.link().as_deref(),
            Some("https://sc.example/w/acme%20ops/inbox?status=&since=2026-03-01T11%3A59%3A00Z")
        );
        let mut quiet = Digest::new("acme", 30, None);
        quiet.fold(
            "firing",
            &json!({"group": g("1", "critical"), "decision": "new_group", "broadcast": false}),
            at(0),
        );
        assert_eq!(quiet.broadcast, None);
        assert!(quiet.link_text().contains("public_url"));
    }
}
