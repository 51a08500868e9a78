//! Slack's interactive actions: a button clicked on one of our messages. Pure: `now` is passed in.
//!
//! A host hands over the raw POST. [`verify`] checks Slack's request signature, [`parse`] reads
//! the `block_actions` payload into a [`SlackAction`], and [`command`] and [`actor`] turn it into
//! the lifecycle [`Command`] and the actor (`slack:<user id>`) the engine runs it as.
//!
//! ```
//! use signalcraft_core::actions::slack;
//! # fn main() -> signalcraft_core::Result<()> {
//! let payload = r#"{"type":"block_actions","user":{"id":"U1","username":"ann"},
//!     "actions":[{"action_id":"signalcraft_ack","value":"grp_1"}]}"#;
//! let body = format!("payload={}", payload.replace(' ', "+").replace('\n', "%0A"));
//! let action = slack::parse(body.as_bytes())?;
//! assert_eq!(slack::actor(&action), "slack:U1");
//! assert_eq!(action.group_id, "grp_1");
//! # Ok(()) }
//! ```

use crate::headers::Headers;
use crate::json::Node;
use crate::lifecycle::Command;
use crate::notify::slack::{ACTION_ACK, ACTION_RESOLVE, ACTION_SNOOZE};
use crate::signature::{check_skew, verify_hex};
use crate::{Error, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;
use serde_json::{Value, json};

/// The header carrying `v0=<hex HMAC-SHA256>`.
pub const SIGNATURE_HEADER: &str = "X-Slack-Signature";
/// The header carrying the request's unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "X-Slack-Request-Timestamp";
/// How far (seconds, either way) the request's timestamp may be from `now`: Slack's 5 minutes.
pub const MAX_SKEW_SECS: u64 = 300;
/// How long `Snooze 1h` snoozes.
pub const SNOOZE: TimeDelta = TimeDelta::hours(1);

/// One button click, as read from a `block_actions` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlackAction {
    /// The Slack user who clicked (`user.id`).
    pub user_id: String,
    /// Their name as Slack sent it (`user.username`, else `user.name`), kept for display.
    pub user_name: Option<String>,
    /// The button's `action_id` (`signalcraft_ack`, …).
    pub action_id: String,
    /// The button's `value`: the group id.
    pub group_id: String,
    /// The channel of the message (`channel.id`, else `container.channel_id`).
    pub channel_id: Option<String>,
    /// The message's `ts` (`message.ts`, else `container.message_ts`).
    pub message_ts: Option<String>,
    /// Where to post a reply for the clicker (`response_url`).
    pub response_url: Option<String>,
    /// The Slack workspace (`team.id`, else `user.team_id`).
    pub team_id: Option<String>,
}

/// Checks Slack's request signature: [`SIGNATURE_HEADER`] must be `v0=` + the hex
/// HMAC-SHA256, keyed with the signing secret, of `v0:{timestamp}:{raw body}` (compared in
/// constant time), and [`TIMESTAMP_HEADER`] within [`MAX_SKEW_SECS`] of `now`. Any failure is
/// an [`Error::Signature`] naming the header.
pub fn verify(
    signing_secret: &str,
    headers: &Headers,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<()> {
    if signing_secret.is_empty() {
        return Err(Error::Signature(
            "no Slack signing secret is configured: refusing to trust the request".into(),
        ));
    }
    let ts = headers.get(TIMESTAMP_HEADER);
    check_skew(TIMESTAMP_HEADER, ts, MAX_SKEW_SECS, now)?;
    let ts = ts.unwrap_or_default();
    let sig = headers
        .get(SIGNATURE_HEADER)
        .ok_or_else(|| Error::Signature(format!("{SIGNATURE_HEADER}: missing")))?;
    let hex = sig.strip_prefix("v0=").ok_or_else(|| {
        Error::Signature(format!(
            "{SIGNATURE_HEADER}: expected \"v0=<hex>\", got a value without the v0= prefix"
        ))
    })?;
    let mut base = Vec::with_capacity(body.len() + ts.len() + 4);
    base.extend_from_slice(b"v0:");
    base.extend_from_slice(ts.as_bytes());
    base.push(b':');
    base.extend_from_slice(body);
    verify_hex(signing_secret.as_bytes(), &base, hex, SIGNATURE_HEADER)
}

/// Reads an interactive request body (`application/x-www-form-urlencoded` with a `payload`
/// field holding the JSON) into the first action of a `block_actions` payload. Errors are
/// [`Error::InvalidInput`] naming the field (`payload.user.id`, `payload.actions[0].value`).
pub fn parse(body: &[u8]) -> Result<SlackAction> {
    let payload = form_fields(body)?
        .into_iter()
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v)
        .ok_or_else(|| {
            Error::invalid(
                "payload",
                "missing: expected a form body with payload=<JSON>",
            )
        })?;
    let doc: Value = serde_json::from_str(&payload)
        .map_err(|e| Error::invalid("payload", format!("not valid JSON: {e}")))?;
    let root = Node::at(&doc, "payload");
    root.expect_object()?;

    let kind = root.req("type")?;
    let kind_str = kind.str()?;
    if kind_str != "block_actions" {
        return Err(kind.error(format!(
            "expected \"block_actions\", got {kind_str:?} (only buttons are handled)"
        )));
    }

    let user = root.req("user")?;
    let user_id = user.req("id")?.id()?;
    let user_name = match user.opt_text("username")? {
        Some(n) => Some(n),
        None => user.opt_text("name")?,
    };

    let actions = root.req("actions")?;
    let first = actions
        .array()?
        .into_iter()
        .next()
        .ok_or_else(|| actions.error("expected at least one action, got none"))?;
    let action_id = non_empty(&first.req("action_id")?)?;
    let group_id = non_empty(&first.req("value")?)?;

    let container = object(&root, "container")?;
    let channel_id = first_of(&[
        (object(&root, "channel")?, "id"),
        (container.clone(), "channel_id"),
    ])?;
    let message_ts = first_of(&[(object(&root, "message")?, "ts"), (container, "message_ts")])?;
    let team_id = first_of(&[(object(&root, "team")?, "id"), (Some(user), "team_id")])?;
    let response_url = root.opt_text("response_url")?;

    Ok(SlackAction {
        user_id,
        user_name,
        action_id,
        group_id,
        channel_id,
        message_ts,
        response_url,
        team_id,
    })
}

/// The lifecycle command a button stands for: `signalcraft_ack` → [`Command::Ack`],
/// `signalcraft_snooze` → [`Command::Snooze`] until `now` + 1 h, `signalcraft_resolve` →
/// [`Command::Resolve`]. Any other action id is [`Error::InvalidInput`] naming it.
pub fn command(action: &SlackAction, now: DateTime<Utc>) -> Result<Command> {
    match action.action_id.as_str() {
        ACTION_ACK => Ok(Command::Ack),
        ACTION_SNOOZE => Ok(Command::Snooze {
            until: now + SNOOZE,
        }),
        ACTION_RESOLVE => Ok(Command::Resolve),
        other => Err(Error::invalid(
            "payload.actions[0].action_id",
            format!(
                "unknown action {other:?} (expected {ACTION_ACK}, {ACTION_SNOOZE} or {ACTION_RESOLVE})"
            ),
        )),
    }
}

/// The actor a Slack click runs as: `slack:<user id>`.
pub fn actor(action: &SlackAction) -> String {
    format!("slack:{}", action.user_id)
}

/// A reply only the clicker sees (an answer to the request, or a POST to its `response_url`),
/// leaving the original message as it is: for telling them why a click did nothing.
pub fn ephemeral(text: &str) -> Value {
    json!({
        "response_type": "ephemeral",
        "replace_original": false,
        "text": crate::notify::slack::escape(text),
    })
}

/// A string that must not be blank.
fn non_empty(node: &Node<'_>) -> Result<String> {
    let s = node.str()?;
    if s.trim().is_empty() {
        return Err(node.error("expected a non-empty string"));
    }
    Ok(s.to_string())
}

/// The member `key` when present, which must then be an object.
fn object<'a>(node: &Node<'a>, key: &str) -> Result<Option<Node<'a>>> {
    match node.get(key) {
        Some(n) => {
            n.expect_object()?;
            Ok(Some(n))
        }
        None => Ok(None),
    }
}

/// The first non-blank string among `(object, key)` candidates.
fn first_of(candidates: &[(Option<Node<'_>>, &str)]) -> Result<Option<String>> {
    for (node, key) in candidates {
        if let Some(node) = node
            && let Some(v) = node.opt_text(key)?
        {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

/// Splits an `application/x-www-form-urlencoded` body into decoded `(name, value)` pairs.
fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for part in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
        let (name, value) = match part.iter().position(|&b| b == b'=') {
            Some(i) => (&part[..i], &part[i + 1..]),
            None => (part, &part[part.len()..]),
        };
        let name = form_decode(name, "form")?;
        let value = form_decode(value, &name)?;
        out.push((name, value));
    }
    Ok(out)
}

/// Decodes one form component: `+` is a space, `%XX` a byte; the result must be UTF-8.
fn form_decode(raw: &[u8], path: &str) -> Result<String> {
    let mut bytes = Vec::with_capacity(raw.len());
    let mut i = 0;
    while let Some(&b) = raw.get(i) {
        match b {
            b'+' => bytes.push(b' '),
            b'%' => {
                let hi = raw.get(i + 1).copied().and_then(hex_digit);
                let lo = raw.get(i + 2).copied().and_then(hex_digit);
                match (hi, lo) {
                    (Some(hi), Some(lo)) => bytes.push((hi << 4) | lo),
                    _ => {
                        return Err(Error::invalid(
                            path,
                            format!(
                                "malformed percent-escape at byte {i} of the field (expected %XX)"
                            ),
                        ));
                    }
                }
                i += 2;
            }
            b => bytes.push(b),
        }
        i += 1;
    }
    String::from_utf8(bytes).map_err(|e| {
        Error::invalid(
            path,
            format!(
                "not UTF-8 once decoded (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn form_decoding() {
        assert_eq!(
            form_decode(b"a+b%20c%2B%25", "x").ok().as_deref(),
            Some("a b c+%")
        );
        assert_eq!(form_decode(b"%C3%A9", "x").ok().as_deref(), Some("é"));
        assert_eq!(form_decode(b"", "x").ok().as_deref(), Some(""));
        for bad in [&b"%"[..], b"%4", b"%zz", b"%4g", b"ab%"] {
            let e = form_decode(bad, "payload").err();
            assert_eq!(e.as_ref().map(Error::kind), Some(ErrorKind::InvalidInput));
            assert!(
                e.map(|e| e.to_string())
                    .unwrap_or_default()
                    .starts_with("payload: malformed")
            );
        }
        let e = form_decode(b"%FF%FE", "payload")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            e.as_deref(),
            Some("payload: not UTF-8 once decoded (at byte 0)")
        );
        let pairs = form_fields(b"a=1&&b&c=x%3Dy=z").unwrap_or_default();
        assert_eq!(
            pairs,
            [
                ("a".into(), "1".into()),
                ("b".into(), String::new()),
                ("c".into(), "x=y=z".into())
            ]
        );
    }

    #[test]
    fn commands_and_actor() {
        let now: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().unwrap_or_default();
        let mut a = SlackAction {
            user_id: "U1".into(),
            user_name: None,
            action_id: ACTION_SNOOZE.into(),
            group_id: "grp_1".into(),
            channel_id: None,
            message_ts: None,
            response_url: None,
            team_id: None,
        };
        assert_eq!(
            command(&a, now).ok(),
            Some(Command::Snooze {
                until: now + TimeDelta::hours(1)
            })
        );
        a.action_id = ACTION_ACK.into();
        assert_eq!(command(&a, now).ok(), Some(Command::Ack));
        a.action_id = ACTION_RESOLVE.into();
        assert_eq!(command(&a, now).ok(), Some(Command::Resolve));
        a.action_id = "delete_everything".into();
        let e = command(&a, now).err().map(|e| (e.kind(), e.to_string()));
        let (kind, text) = e.unwrap_or((ErrorKind::Internal, String::new()));
        assert_eq!(kind, ErrorKind::InvalidInput);
        assert!(text.contains("\"delete_everything\""), "{text}");
        assert_eq!(actor(&a), "slack:U1");
    }

    #[test]
    fn ephemeral_escapes() {
        assert_eq!(ephemeral("a <b>")["text"], "a &lt;b&gt;");
    }
}
