//! Slack messages for alert groups, as Block Kit JSON. Pure: no network, no clock.
//!
//! [`post_message`] is the `chat.postMessage` body for a group's first message,
//! [`update_message`] the `chat.update` body that rewrites it after a status change (or a new
//! count), and [`thread_reply`] a short reply in its thread for later events and escalation
//! steps. All three render a [`SlackMessage`]; [`blocks`] is the Block Kit part on its own.
//!
//! User data (titles, messages, environments, names) is escaped for Slack's mrkdwn (`&`, `<`,
//! `>`) wherever it lands in a mrkdwn text, so it can never form a link or a mention, and every
//! text is cut to Slack's limits (header 150 characters, section 3000, field 2000, button 75).

use crate::alert::{Severity, Source};
use crate::group::AlertGroup;
use crate::lifecycle::GroupStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// Action id of the `Acknowledge` button.
pub const ACTION_ACK: &str = "signalcraft_ack";
/// Action id of the `Snooze 1h` button.
pub const ACTION_SNOOZE: &str = "signalcraft_snooze";
/// Action id of the `Resolve` button.
pub const ACTION_RESOLVE: &str = "signalcraft_resolve";

/// Slack's limit on a header block's text, in characters.
pub const HEADER_MAX: usize = 150;
/// Slack's limit on a section block's text, in characters.
pub const SECTION_MAX: usize = 3000;
/// Slack's limit on one section field, in characters.
pub const FIELD_MAX: usize = 2000;
/// Slack's limit on a button's text, in characters.
pub const BUTTON_TEXT_MAX: usize = 75;
/// Slack's limit on a button's value, in characters.
pub const BUTTON_VALUE_MAX: usize = 2000;

/// The longest user message shown in the section (the rest of the section stays well under
/// [`SECTION_MAX`]).
const MESSAGE_MAX: usize = 1200;
/// The longest link we render; longer ones are left out rather than cut (a cut URL is wrong).
const LINK_MAX: usize = 600;
/// The longest mention line.
const MENTIONS_MAX: usize = 400;
/// The longest actor name shown.
const ACTOR_MAX: usize = 100;
/// The longest fallback `text`.
const TEXT_MAX: usize = 3000;

/// Why a message is being sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MessageKind {
    /// The group fired (its first message) or fired again (a thread reply or an updated count).
    Firing,
    /// The group was resolved.
    Resolved,
    /// Another status change (acknowledged, snoozed, reopened, assigned).
    Status,
    /// An escalation step fired.
    Escalation {
        /// The step's 0-based index in the policy (shown to people as `step + 1`).
        step: usize,
    },
}

/// Everything a Slack message about a group is rendered from.
#[derive(Debug, Clone, Copy)]
pub struct SlackMessage<'a> {
    /// The group, as it is now.
    pub group: &'a AlertGroup,
    /// Who to mention (the rule's `mention`s): `@here`, `@channel`, `@everyone`, `<@U…>` user
    /// ids or `<!subteam^S…>` user groups. Empty: `<!here>` for critical groups, nobody otherwise.
    pub mentions: &'a [String],
    /// Why it is sent.
    pub kind: MessageKind,
    /// Who caused it (`slack:U123`, `user:alice`, `system:auto-close`), for status changes.
    pub actor: Option<&'a str>,
    /// Whether it may ping broadly (`<!here>`, `<!channel>`, `<!everyone>`, and the `<!here>`
    /// of a critical group): false for what an unauthenticated delivery caused.
    pub broadcast: bool,
}

impl<'a> SlackMessage<'a> {
    /// A firing message for `group` with no explicit mentions.
    pub fn firing(group: &'a AlertGroup) -> Self {
        Self {
            group,
            mentions: &[],
            kind: MessageKind::Firing,
            actor: None,
            broadcast: true,
        }
    }
}

/// The `chat.postMessage` body for a group's first message in `channel`.
pub fn post_message(channel: &str, msg: &SlackMessage) -> Value {
    json!({
        "channel": channel,
        "text": fallback_text(msg),
        "blocks": blocks(msg),
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// The `chat.update` body that rewrites the message `ts` in `channel` (after a status change or
/// to show a new count).
pub fn update_message(channel: &str, ts: &str, msg: &SlackMessage) -> Value {
    json!({
        "channel": channel,
        "ts": ts,
        "text": fallback_text(msg),
        "blocks": blocks(msg),
    })
}

/// The `chat.postMessage` body of a short reply in the thread of the message `thread_ts`: later
/// events ("Seen again: 5 events, last 12:03"), escalation steps and status changes. No buttons.
pub fn thread_reply(channel: &str, thread_ts: &str, msg: &SlackMessage) -> Value {
    let text = truncate(&reply_text(msg), SECTION_MAX);
    json!({
        "channel": channel,
        "thread_ts": thread_ts,
        "text": text,
        "blocks": [section(&text)],
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// The Block Kit blocks of a group's message: a header with the severity badge and title, a
/// section (mentions, severity, source, message, status, links), the fields (environment,
/// project, count, status, first and last seen, assignee), the buttons while the group is not
/// resolved, and a context line with the group id.
pub fn blocks(msg: &SlackMessage) -> Vec<Value> {
    let g = msg.group;
    let mut out = Vec::with_capacity(5);

    let header = format!("{} {}", badge(g.severity), one_line(&g.title));
    out.push(json!({
        "type": "header",
        "text": {"type": "plain_text", "text": truncate(&header, HEADER_MAX), "emoji": true},
    }));

    out.push(section(&truncate(&summary(msg), SECTION_MAX)));

    let mut fields = vec![
        field("Environment", g.environment.as_deref().unwrap_or("—")),
        field("Project", g.project.as_deref().unwrap_or("—")),
        field_raw("Count", &count_text(g)),
        field_raw("Status", status_label(g.status)),
        field_raw("First seen", &slack_date(g.first_seen)),
        field_raw("Last seen", &slack_date(g.last_seen)),
    ];
    if let Some(a) = &g.assignee {
        fields.push(field("Assignee", a));
    }
    out.push(json!({"type": "section", "fields": fields}));

    if g.status.is_unresolved() && g.id.as_str().chars().count() <= BUTTON_VALUE_MAX {
        let id = g.id.as_str();
        out.push(json!({
            "type": "actions",
            "elements": [
                button("Acknowledge", ACTION_ACK, id, Some("primary")),
                button("Snooze 1h", ACTION_SNOOZE, id, None),
                button("Resolve", ACTION_RESOLVE, id, None),
            ],
        }));
    }

    let context = format!("SignalCraft · group `{}`", escape_cut(g.id.as_str(), 200));
    out.push(json!({
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": context}],
    }));
    out
}

/// The notification text (`text`), shown in notifications and where blocks cannot be.
fn fallback_text(msg: &SlackMessage) -> String {
    let g = msg.group;
    let mut s = mention_prefix(msg);
    if let MessageKind::Escalation { step } = msg.kind {
        s.push_str(&format!("🚨 Escalation step {}: ", step.saturating_add(1)));
    }
    s.push_str(&format!(
        "{} [{}] {}",
        badge(g.severity),
        g.severity.as_str(),
        escape_cut(&one_line(&g.title), 1000)
    ));
    let scope: Vec<String> = [&g.environment, &g.project]
        .into_iter()
        .flatten()
        .map(|v| escape_cut(v, 200))
        .collect();
    if !scope.is_empty() {
        s.push_str(&format!(" ({})", scope.join("/")));
    }
    if g.status != GroupStatus::Open {
        s.push_str(&format!(" — {}", g.status.as_str()));
    }
    truncate(&s, TEXT_MAX)
}

/// The section under the header: every piece is bounded, so the whole stays under 3000.
fn summary(msg: &SlackMessage) -> String {
    let g = msg.group;
    let mut lines = Vec::new();
    let mut first = format!(
        "{}*{}* · {}",
        mention_prefix(msg),
        severity_label(g.severity),
        source_label(g.source)
    );
    if let MessageKind::Escalation { step } = msg.kind {
        first.push_str(&format!(" · 🚨 escalation step {}", step.saturating_add(1)));
    }
    lines.push(first);
    if let Some(m) = g.message.as_deref().filter(|m| !m.trim().is_empty()) {
        lines.push(escape_cut(m.trim(), MESSAGE_MAX));
    }
    if let Some(status) = status_line(msg) {
        lines.push(status);
    }
    let mut links = Vec::new();
    if let Some(l) = g.link.as_deref().and_then(|u| {
        let label = super::source_link_label(g.source, source_label(g.source), u)?;
        link(u, &escape(&label))
    }) {
        links.push(l);
    }
    if let Some(l) = g.runbook.as_deref().and_then(|u| link(u, "Runbook")) {
        links.push(l);
    }
    if !links.is_empty() {
        lines.push(links.join(" · "));
    }
    lines.join("\n")
}

/// "Acknowledged by …", "Snoozed until …", "Resolved by …", or nothing for an open group.
fn status_line(msg: &SlackMessage) -> Option<String> {
    let g = msg.group;
    let by = msg
        .actor
        .map(|a| format!(" by {}", actor_text(a)))
        .unwrap_or_default();
    match g.status {
        GroupStatus::Open => None,
        GroupStatus::Acknowledged => Some(format!(
            "👀 *Acknowledged*{by}{}",
            g.acknowledged_at
                .map(|t| format!(" {}", slack_date(t)))
                .unwrap_or_default()
        )),
        GroupStatus::Snoozed => Some(format!(
            "💤 *Snoozed*{}{by}",
            g.snoozed_until
                .map(|t| format!(" until {}", slack_date(t)))
                .unwrap_or_default()
        )),
        GroupStatus::Resolved => Some(format!(
            "✅ *Resolved*{by}{}",
            g.resolved_at
                .map(|t| format!(" {}", slack_date(t)))
                .unwrap_or_default()
        )),
    }
}

/// The text of a thread reply.
fn reply_text(msg: &SlackMessage) -> String {
    let g = msg.group;
    match msg.kind {
        MessageKind::Firing => format!(
            "Seen again: {}, last {}",
            count_text(g),
            slack_time(g.last_seen)
        ),
        MessageKind::Escalation { step } => format!(
            "{}🚨 Escalation step {}: still {}, {}",
            mention_prefix(msg),
            step.saturating_add(1),
            g.status.as_str(),
            count_text(g)
        ),
        MessageKind::Resolved | MessageKind::Status => status_line(msg).unwrap_or_else(|| {
            let by = msg
                .actor
                .map(|a| format!(" by {}", actor_text(a)))
                .unwrap_or_default();
            format!("🔁 *Open* again{by}")
        }),
    }
}

/// The mentions (with a trailing space), for firing and escalation messages only: an updated
/// status message must not ping anyone again.
fn mention_prefix(msg: &SlackMessage) -> String {
    if !matches!(
        msg.kind,
        MessageKind::Firing | MessageKind::Escalation { .. }
    ) {
        return String::new();
    }
    let rendered: Vec<String> = if msg.mentions.is_empty() {
        if msg.group.severity == Severity::Critical {
            vec!["<!here>".to_string()]
        } else {
            Vec::new()
        }
    } else {
        msg.mentions.iter().filter_map(|m| mention(m)).collect()
    };
    let rendered = rendered
        .into_iter()
        .filter(|m| msg.broadcast || !is_broadcast(m));
    let mut out = String::new();
    for m in rendered {
        if out.chars().count() + m.chars().count() + 1 > MENTIONS_MAX {
            break;
        }
        out.push_str(&m);
        out.push(' ');
    }
    out
}

/// Whether a rendered mention pings a whole channel.
fn is_broadcast(m: &str) -> bool {
    matches!(m, "<!here>" | "<!channel>" | "<!everyone>")
}

/// The `chat.postMessage` body of a digest: the notifications over a channel's cap folded into
/// one message, with at most one broadcast mention (`<!channel>` if any folded notification
/// asked for it, else `<!here>`), the first groups by name and the inbox link (or why there is
/// none).
pub fn digest_message(channel: &str, d: &super::storm::Digest) -> Value {
    let mut head = String::new();
    match d.broadcast.as_deref() {
        Some("channel") => head.push_str("<!channel> "),
        Some(_) => head.push_str("<!here> "),
        None => {}
    }
    for m in &d.mentions {
        if let Some(r) = mention(m).filter(|r| !is_broadcast(r)) {
            if head.chars().count() + r.chars().count() + 1 > MENTIONS_MAX {
                break;
            }
            head.push_str(&r);
            head.push(' ');
        }
    }
    let summary = escape(&d.summary());
    let mut text = format!("{head}📥 {summary}");
    let mut body = text.clone();
    if !d.groups.is_empty() {
        body.push('\n');
        for g in &d.groups {
            body.push_str(&format!(
                "\n{} [{}] {}",
                badge(g.severity),
                g.severity.as_str(),
                escape_cut(&one_line(&g.title), 200)
            ));
        }
    }
    match d.link().filter(|l| l.len() <= LINK_MAX) {
        Some(l) => {
            let link = format!(
                "<{}|{}>",
                l.replace('|', "%7C").replace('>', "%3E"),
                escape(&d.link_text())
            );
            body.push_str(&format!("\n\n{link}"));
            text.push(' ');
            text.push_str(&escape(&d.link_text()));
        }
        None => {
            body.push_str(&format!("\n\n{}", escape(&d.link_text())));
            text.push(' ');
            text.push_str(&escape(&d.link_text()));
        }
    }
    json!({
        "channel": channel,
        "text": truncate(&text, TEXT_MAX),
        "blocks": [section(&truncate(&body, SECTION_MAX))],
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

/// One mention as Slack mrkdwn: special mentions, user ids and user groups as Slack wants them,
/// anything else as escaped text (it cannot ping anyone).
fn mention(m: &str) -> Option<String> {
    let m = m.trim();
    match m {
        "" => None,
        "@here" | "<!here>" => Some("<!here>".into()),
        "@channel" | "<!channel>" => Some("<!channel>".into()),
        "@everyone" | "<!everyone>" => Some("<!everyone>".into()),
        _ => {
            let id_ok = |id: &str| {
                !id.is_empty() && id.len() <= 32 && id.chars().all(|c| c.is_ascii_alphanumeric())
            };
            let user = m.strip_prefix("<@").and_then(|r| r.strip_suffix('>'));
            let team = m
                .strip_prefix("<!subteam^")
                .and_then(|r| r.strip_suffix('>'));
            if user.is_some_and(id_ok) || team.is_some_and(id_ok) {
                Some(m.to_string())
            } else {
                Some(escape_cut(m, 100))
            }
        }
    }
}

/// Who did it: a Slack user as a mention (`<@U123>`), `user:alice` as `alice`, others as they are.
fn actor_text(actor: &str) -> String {
    if let Some(id) = actor.strip_prefix("slack:")
        && !id.is_empty()
        && id.len() <= 32
        && id.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return format!("<@{id}>");
    }
    escape_cut(actor.strip_prefix("user:").unwrap_or(actor), ACTOR_MAX)
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})
}

/// A field whose value is user data (escaped and cut).
fn field(label: &str, value: &str) -> Value {
    let budget = FIELD_MAX.saturating_sub(label.chars().count() + 3);
    field_raw(label, &escape_cut(value, budget))
}

/// A field whose value is already mrkdwn we built.
fn field_raw(label: &str, value: &str) -> Value {
    json!({"type": "mrkdwn", "text": truncate(&format!("*{label}*\n{value}"), FIELD_MAX)})
}

fn button(text: &str, action_id: &str, value: &str, style: Option<&str>) -> Value {
    let mut b = json!({
        "type": "button",
        "text": {"type": "plain_text", "text": truncate(text, BUTTON_TEXT_MAX), "emoji": true},
        "action_id": action_id,
        "value": value,
    });
    if let (Some(style), Some(obj)) = (style, b.as_object_mut()) {
        obj.insert("style".into(), Value::from(style));
    }
    b
}

/// A mrkdwn link, for http(s) URLs that fit; anything else is left out.
fn link(url: &str, label: &str) -> Option<String> {
    let url = url.trim();
    let http = url.starts_with("https://") || url.starts_with("http://");
    if !http || url.chars().count() > LINK_MAX || url.chars().any(char::is_whitespace) {
        return None;
    }
    // `|` ends the URL part of `<url|label>`: percent-encode it; `&<>` are entities.
    let url = escape(url).replace('|', "%7C");
    Some(format!("<{url}|{label}>"))
}

/// Slack's date formatting: shown in the reader's time zone, with a UTC fallback.
fn slack_date(t: DateTime<Utc>) -> String {
    format!(
        "<!date^{}^{{date_short_pretty}} {{time}}|{}>",
        t.timestamp(),
        t.format("%Y-%m-%d %H:%M UTC")
    )
}

/// Slack's time-of-day formatting, with a UTC fallback.
fn slack_time(t: DateTime<Utc>) -> String {
    format!(
        "<!date^{}^{{time}}|{}>",
        t.timestamp(),
        t.format("%H:%M UTC")
    )
}

fn count_text(g: &AlertGroup) -> String {
    let mut s = if g.count == 1 {
        "1 event".to_string()
    } else {
        format!("{} events", g.count)
    };
    if g.reopen_count > 0 {
        s.push_str(&format!(" (reopened {}×)", g.reopen_count));
    }
    s
}

/// The severity badge.
pub fn badge(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "🔴",
        Severity::Error => "🟠",
        Severity::Warning => "🟡",
        Severity::Info => "🔵",
        Severity::Debug => "⚪",
    }
}

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Info => "Info",
        Severity::Debug => "Debug",
    }
}

fn status_label(status: GroupStatus) -> &'static str {
    match status {
        GroupStatus::Open => "Open",
        GroupStatus::Acknowledged => "Acknowledged",
        GroupStatus::Snoozed => "Snoozed",
        GroupStatus::Resolved => "Resolved",
    }
}

fn source_label(source: Source) -> &'static str {
    match source {
        Source::Sentry => "Sentry",
        Source::Alertmanager => "Alertmanager",
        Source::Grafana => "Grafana",
        Source::Datadog => "Datadog",
        Source::Pagerduty => "PagerDuty",
        Source::Opsgenie => "Opsgenie",
        Source::Generic => "webhook",
        Source::Monitor => "Monitor",
    }
}

/// Escapes Slack's mrkdwn control characters (`&`, `<`, `>`) in user data.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        c => out.push(c),
    }
}

/// Escapes `s` and cuts the result to at most `max` characters (ending in `…` when cut), never
/// inside an entity.
fn escape_cut(s: &str, max: usize) -> String {
    let escaped = escape(s);
    if escaped.chars().count() <= max {
        return escaped;
    }
    let mut out = String::new();
    let mut n = 0;
    for c in s.chars() {
        let mut piece = String::new();
        push_escaped(&mut piece, c);
        let len = piece.chars().count();
        if n + len + 1 > max {
            break;
        }
        out.push_str(&piece);
        n += len;
    }
    if max > 0 {
        out.push('…');
    }
    out
}

/// Cuts `s` to at most `max` characters, ending in `…` when cut.
pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    if max > 0 {
        out.push('…');
    }
    out
}

/// Line breaks and other control characters as spaces (for a header).
fn one_line(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::GroupId;
    use std::collections::BTreeMap;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    fn group() -> AlertGroup {
        AlertGroup {
            id: GroupId::from("grp_01HZX3K9V7"),
            group_key: "9f2c".into(),
            source: Source::Sentry,
            project: Some("web".into()),
            environment: Some("production".into()),
            severity: Severity::Error,
            status: GroupStatus::Open,
            title: "TypeError: Cannot read properties of undefined (reading 'id')".into(),
            message: Some("app/checkout.js in submitOrder".into()),
            fingerprint: "issue:4242".into(),
            link: Some("https://acme.sentry.io/issues/4242/?project=7&referrer=alert".into()),
            tags: BTreeMap::new(),
            assignee: None,
            count: 5,
            reopen_count: 0,
            first_seen: t("2026-03-01T12:00:00Z"),
            last_seen: t("2026-03-01T12:03:00Z"),
            last_activity: t("2026-03-01T12:03:00Z"),
            resolved_at: None,
            snoozed_until: None,
            acknowledged_at: None,
            runbook: None,
        }
    }

    fn msg<'a>(g: &'a AlertGroup, mentions: &'a [String], kind: MessageKind) -> SlackMessage<'a> {
        SlackMessage {
            group: g,
            mentions,
            kind,
            actor: None,
            broadcast: true,
        }
    }

    #[test]
    fn escape_cut_never_splits_an_entity() {
        assert_eq!(escape_cut("a<b", 10), "a&lt;b");
        assert_eq!(escape_cut("a<b", 5), "a…");
        assert_eq!(escape_cut("<<<", 10), "&lt;&lt;…");
        assert_eq!(escape_cut("abc", 0), "");
        assert_eq!(truncate("abc", 2), "a…");
        assert_eq!(truncate("abc", 3), "abc");
    }

    #[test]
    fn mentions_map_specials_and_keep_ids() {
        assert_eq!(mention("@here").as_deref(), Some("<!here>"));
        assert_eq!(mention("@everyone").as_deref(), Some("<!everyone>"));
        assert_eq!(mention("<@U123ABC>").as_deref(), Some("<@U123ABC>"));
        assert_eq!(mention("<@U1|x>").as_deref(), Some("&lt;@U1|x&gt;"));
        assert_eq!(mention("  ").as_deref(), None);
        // Status updates never mention.
        let g = group();
        let m: Vec<String> = vec!["@here".into()];
        assert_eq!(mention_prefix(&msg(&g, &m, MessageKind::Status)), "");
        assert_eq!(
            mention_prefix(&msg(&g, &m, MessageKind::Firing)),
            "<!here> "
        );
        // A non-critical group without mentions pings nobody.
        assert_eq!(mention_prefix(&msg(&g, &[], MessageKind::Firing)), "");
    }

    #[test]
    fn links_only_for_http_urls() {
        assert!(link("javascript:alert(1)", "x").is_none());
        assert!(link("https://a b", "x").is_none());
        assert!(link(&format!("https://{}", "a".repeat(LINK_MAX)), "x").is_none());
        assert_eq!(
            link("https://a/?x=1&y=2", "x").as_deref(),
            Some("<https://a/?x=1&amp;y=2|x>")
        );
    }

    #[test]
    fn buttons_carry_the_group_id() {
        let g = group();
        let b = blocks(&SlackMessage::firing(&g));
        let actions = b
            .iter()
            .find(|b| b["type"] == "actions")
            .cloned()
            .unwrap_or_default();
        let ids: Vec<(&str, &str)> = actions["elements"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["action_id"].as_str().unwrap_or(""),
                    e["value"].as_str().unwrap_or(""),
                )
            })
            .collect();
        assert_eq!(
            ids,
            [
                (ACTION_ACK, "grp_01HZX3K9V7"),
                (ACTION_SNOOZE, "grp_01HZX3K9V7"),
                (ACTION_RESOLVE, "grp_01HZX3K9V7"),
            ]
        );
    }
}
