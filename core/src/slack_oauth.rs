//! Slack OAuth v2, the pure part: the authorize URL, the signed single-use `state` that carries
//! the install through Slack and back, and reading `oauth.v2.access`'s answer. The engine
//! ([`crate::Engine::slack_connect`], [`crate::Engine::slack_oauth_callback`]) does the I/O.
//!
//! A state is `v1.<payload>.<mac>`: the payload is base64url JSON `{"w": workspace id, "n":
//! nonce, "e": expiry (unix ms), "c": SignalCraft channel, "s": Slack channel}`, the mac the
//! base64url HMAC-SHA256 of `v1.<payload>` under a key derived from the engine's secret key. It
//! expires [`STATE_TTL_SECS`] after it is made; the engine records each nonce it accepts, so a
//! state works once.

use crate::{Error, Result};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// Slack's authorize page.
pub const DEFAULT_AUTHORIZE_URL: &str = "https://slack.com/oauth/v2/authorize";
/// The bot scopes SignalCraft asks for.
pub const SCOPES: &str = "chat:write,channels:read,groups:read";
/// How long a state is good for.
pub const STATE_TTL_SECS: i64 = 600;
/// The SignalCraft channel an install creates or updates unless told otherwise.
pub const DEFAULT_CHANNEL: &str = "slack";
/// The Slack channel a new SignalCraft channel posts to unless told otherwise.
pub const DEFAULT_SLACK_CHANNEL: &str = "#alerts";

/// A Slack app as the host configures it (`Debug` shows the secrets redacted).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlackApp {
    /// The app's client id.
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: String,
    /// Where Slack sends the user back (`…/api/slack/oauth/callback`).
    pub redirect_uri: String,
    /// Slack's Web API (default `https://slack.com/api`): where `oauth.v2.access` is called,
    /// and what the installed channel posts to.
    #[serde(default)]
    pub api_base: Option<String>,
    /// Slack's authorize page (default [`DEFAULT_AUTHORIZE_URL`]).
    #[serde(default)]
    pub authorize_url: Option<String>,
    /// The app's signing secret: when given, an install also sets it as the workspace's Slack
    /// signing secret (what button clicks are verified with).
    #[serde(default)]
    pub signing_secret: Option<String>,
}

impl std::fmt::Debug for SlackApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &crate::secrets::REDACTED)
            .field("redirect_uri", &self.redirect_uri)
            .field("api_base", &self.api_base)
            .field("authorize_url", &self.authorize_url)
            .field(
                "signing_secret",
                &crate::secrets::redacted(&self.signing_secret),
            )
            .finish()
    }
}

impl SlackApp {
    /// Checks the fields a flow needs.
    pub fn validate(&self) -> Result<()> {
        for (name, v) in [
            ("app.client_id", &self.client_id),
            ("app.client_secret", &self.client_secret),
            ("app.redirect_uri", &self.redirect_uri),
        ] {
            if v.trim().is_empty() {
                return Err(Error::invalid(name, "must not be empty"));
            }
        }
        for (name, v) in [
            ("app.redirect_uri", Some(&self.redirect_uri)),
            ("app.api_base", self.api_base.as_ref()),
            ("app.authorize_url", self.authorize_url.as_ref()),
        ] {
            if let Some(v) = v
                && !(v.starts_with("https://") || v.starts_with("http://"))
            {
                return Err(Error::invalid(name, "expected an http(s) URL"));
            }
        }
        Ok(())
    }
}

/// What an install is for: carried, signed, in the state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateClaims {
    /// The SignalCraft workspace id.
    #[serde(rename = "w")]
    pub workspace: String,
    /// A random nonce (what makes a state single use).
    #[serde(rename = "n")]
    pub nonce: String,
    /// Expiry, unix milliseconds.
    #[serde(rename = "e")]
    pub expires_ms: i64,
    /// The SignalCraft channel to create or update.
    #[serde(rename = "c")]
    pub channel: String,
    /// The Slack channel to post to, if chosen.
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub slack_channel: Option<String>,
}

fn mac(key: &[u8; 32], signed: &str) -> Result<Vec<u8>> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .map_err(|e| Error::Internal(format!("hmac key: {e}")))?;
    m.update(signed.as_bytes());
    Ok(m.finalize().into_bytes().to_vec())
}

/// Signs claims into a state.
pub fn sign_state(key: &[u8; 32], claims: &StateClaims) -> Result<String> {
    let json = serde_json::to_vec(claims)
        .map_err(|e| Error::Internal(format!("serializing a state: {e}")))?;
    let signed = format!("v1.{}", B64URL.encode(json));
    let tag = B64URL.encode(mac(key, &signed)?);
    Ok(format!("{signed}.{tag}"))
}

/// Checks a state's signature and expiry and answers its claims. Every refusal is
/// `invalid_input` at `state`.
pub fn verify_state(key: &[u8; 32], state: &str, now: DateTime<Utc>) -> Result<StateClaims> {
    let bad = |why: &str| Error::invalid("state", why.to_string());
    if state.len() > 2048 {
        return Err(bad("too long to be a state from this engine"));
    }
    let (signed, tag) = state
        .rsplit_once('.')
        .ok_or_else(|| bad("not a state from this engine"))?;
    let payload = signed
        .strip_prefix("v1.")
        .ok_or_else(|| bad("not a state from this engine"))?;
    let tag = B64URL
        .decode(tag)
        .map_err(|_| bad("not a state from this engine"))?;
    let want = mac(key, signed)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        tag.as_slice(),
        want.as_slice(),
    )) {
        return Err(bad(
            "the signature does not match (not made by this engine, or altered)",
        ));
    }
    let json = B64URL
        .decode(payload)
        .map_err(|_| bad("not a state from this engine"))?;
    let claims: StateClaims =
        serde_json::from_slice(&json).map_err(|_| bad("not a state from this engine"))?;
    if now.timestamp_millis() >= claims.expires_ms {
        return Err(bad(&format!(
            "expired (a state is good for {} minutes: start the install again)",
            STATE_TTL_SECS / 60
        )));
    }
    Ok(claims)
}

/// Percent-encodes a query or form value (everything but unreserved characters).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The authorize URL the user is sent to.
pub fn authorize_url(app: &SlackApp, state: &str) -> String {
    let base = app
        .authorize_url
        .as_deref()
        .unwrap_or(DEFAULT_AUTHORIZE_URL);
    let sep = if base.contains('?') { '&' } else { '?' };
    format!(
        "{base}{sep}client_id={}&scope={SCOPES}&redirect_uri={}&state={}",
        encode(&app.client_id),
        encode(&app.redirect_uri),
        encode(state)
    )
}

/// The form body of the `oauth.v2.access` call.
pub fn access_form(app: &SlackApp, code: &str) -> String {
    format!(
        "code={}&client_id={}&client_secret={}&redirect_uri={}",
        encode(code),
        encode(&app.client_id),
        encode(&app.client_secret),
        encode(&app.redirect_uri)
    )
}

/// What an install got from Slack (`Debug` shows the token redacted).
#[derive(Clone, PartialEq, Eq)]
pub struct Installed {
    /// The bot token (`xoxb-…`).
    pub bot_token: String,
    /// The Slack team (workspace) id.
    pub team_id: String,
    /// The team's name, if Slack said.
    pub team_name: Option<String>,
}

impl std::fmt::Debug for Installed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installed")
            .field("bot_token", &crate::secrets::REDACTED)
            .field("team_id", &self.team_id)
            .field("team_name", &self.team_name)
            .finish()
    }
}

/// Reads `oauth.v2.access`'s answer: `ok: true` with `access_token` and `team.id`, else the
/// Slack error (`invalid_input` at `code`: the usual cause is a code used or expired).
pub fn read_access(answer: &Value) -> Result<Installed> {
    if answer.get("ok").and_then(Value::as_bool) != Some(true) {
        let code = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("no ok in the answer");
        return Err(Error::invalid(
            "code",
            format!("Slack's oauth.v2.access refused the code: {code}"),
        ));
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let bot_token = text(answer.get("access_token"))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Internal("oauth.v2.access answered no access_token".into()))?;
    let team = answer.get("team");
    let team_id = text(team.and_then(|t| t.get("id")))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Internal("oauth.v2.access answered no team.id".into()))?;
    Ok(Installed {
        bot_token,
        team_id,
        team_name: text(team.and_then(|t| t.get("name"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(expires_ms: i64) -> StateClaims {
        StateClaims {
            workspace: "ws_1".into(),
            nonce: "n1".into(),
            expires_ms,
            channel: "slack".into(),
            slack_channel: Some("#ops".into()),
        }
    }

    #[test]
    fn states_verify_once_signed_and_refuse_otherwise() -> Result<()> {
        let key = [7u8; 32];
        let now = Utc::now();
        let c = claims(now.timestamp_millis() + 1000);
        let s = sign_state(&key, &c)?;
        assert_eq!(verify_state(&key, &s, now)?, c);
        let path = |r: Result<StateClaims>| r.err().and_then(|e| e.path().map(str::to_string));
        assert_eq!(
            path(verify_state(&[8u8; 32], &s, now)).as_deref(),
            Some("state")
        );
        let later = now + chrono::TimeDelta::seconds(2);
        let e = verify_state(&key, &s, later).err().map(|e| e.to_string());
        assert!(e.is_some_and(|e| e.contains("expired")));
        // an altered payload keeps its old mac: refused
        let (_, tag) = s.rsplit_once('.').unwrap_or_default();
        let forged = format!(
            "v1.{}.{tag}",
            B64URL.encode(
                serde_json::to_vec(&StateClaims {
                    workspace: "ws_2".into(),
                    ..c.clone()
                })
                .unwrap_or_default()
            )
        );
        assert!(verify_state(&key, &forged, now).is_err());
        for junk in ["", "v1", "v1.x.y", "v2.a.b", "x.y"] {
            assert!(verify_state(&key, junk, now).is_err(), "{junk}");
        }
        Ok(())
    }

    #[test]
    fn the_urls_and_forms_are_encoded() {
        let app = SlackApp {
            client_id: "123.456".into(),
            client_secret: "s&cret".into(),
            redirect_uri: "https://sc.example/api/slack/oauth/callback".into(),
            ..Default::default()
        };
        let u = authorize_url(&app, "v1.a.b");
        assert_eq!(
            u,
            "https://slack.com/oauth/v2/authorize?client_id=123.456&scope=chat:write,channels:read,groups:read&redirect_uri=https%3A%2F%2Fsc.example%2Fapi%2Fslack%2Foauth%2Fcallback&state=v1.a.b"
        );
        assert!(access_form(&app, "c o").contains("code=c%20o&"));
        assert!(access_form(&app, "c").contains("client_secret=s%26cret"));
    }

    #[test]
    fn slack_answers_are_read() {
        let ok = serde_json::json!({"ok": true, "access_token": "xoxb-1", "team": {"id": "T1", "name": "Acme"}});
        assert_eq!(
            read_access(&ok).ok(),
            Some(Installed {
                bot_token: "xoxb-1".into(),
                team_id: "T1".into(),
                team_name: Some("Acme".into())
            })
        );
        let e = read_access(&serde_json::json!({"ok": false, "error": "invalid_code"})).err();
        assert!(
            e.is_some_and(|e| e.path() == Some("code") && e.to_string().contains("invalid_code"))
        );
        assert!(read_access(&serde_json::json!({"ok": true})).is_err());
    }
}
