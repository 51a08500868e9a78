//! Slack OAuth v2 installs, and Slack actions routed by the payload's team id: the shell around
//! [`crate::slack_oauth`].

use super::Engine;
use super::slack::{SLACK_INTEGRATION, SlackActionOutcome};
use crate::actions::slack as slack_actions;
use crate::headers::Headers;
use crate::notify::slack_api::DEFAULT_API_BASE;
use crate::notify::{ChannelConfig, ChannelKind};
use crate::slack_oauth::{self, SlackApp, StateClaims};
use crate::store;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::time::Duration;

/// What an install is for: which SignalCraft channel, posting to which Slack channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlackConnectOptions {
    /// The SignalCraft channel to create or update (default `slack`).
    pub channel: Option<String>,
    /// The Slack channel to post to (default: the channel's current one, else `#alerts`).
    pub slack_channel: Option<String>,
}

/// Where to send the user to install the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackConnect {
    /// Slack's authorize URL, with the client id, scopes, redirect URI and state.
    pub url: String,
    /// The signed, single-use state (good for 10 minutes).
    pub state: String,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlackInstall {
    /// The SignalCraft workspace's name.
    pub workspace: String,
    /// Its id.
    pub workspace_id: String,
    /// The Slack team (workspace) id.
    pub team_id: String,
    /// The Slack team's name, if Slack said.
    pub team_name: Option<String>,
    /// The SignalCraft channel created or updated (its bot token sealed at rest).
    pub channel: String,
    /// The Slack channel it posts to.
    pub slack_channel: String,
}

/// How long the code exchange may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(15);

impl Engine {
    /// Starts a Slack install for a workspace: the authorize URL to send the user to, with a
    /// state signed by the engine's key, good for 10 minutes and usable once.
    pub fn slack_connect(
        &self,
        workspace: &str,
        app: &SlackApp,
        options: &SlackConnectOptions,
    ) -> Result<SlackConnect> {
        app.validate()?;
        let channel = options
            .channel
            .clone()
            .unwrap_or_else(|| slack_oauth::DEFAULT_CHANNEL.to_string());
        // the names are checked now, not after the user has been to Slack and back
        ChannelConfig::parse(
            &channel,
            ChannelKind::Slack,
            &json!({"token": "x", "channel": options.slack_channel.as_deref().unwrap_or(slack_oauth::DEFAULT_SLACK_CHANNEL)}),
        )
        .map_err(|e| match e.path() {
            Some("config.channel") => Error::invalid("options.slack_channel", e.to_string()),
            Some(p) if p == "name" || p.starts_with("name") => {
                Error::invalid("options.channel", e.to_string())
            }
            _ => e,
        })?;
        let ws = self.workspace(workspace)?;
        let now = self.now();
        let nonce = crate::accounts::new_secret("")?;
        let claims = StateClaims {
            workspace: ws.id.0.clone(),
            nonce,
            expires_ms: now.timestamp_millis() + slack_oauth::STATE_TTL_SECS * 1000,
            channel,
            slack_channel: options.slack_channel.clone(),
        };
        let state = slack_oauth::sign_state(self.secret_box()?.mac_key(), &claims)?;
        Ok(SlackConnect {
            url: slack_oauth::authorize_url(app, &state),
            state,
        })
    }

    /// Finishes a Slack install (the callback's `code` and `state`): checks the state (signed
    /// by this engine, not expired, not used before — it is used up now, whatever follows),
    /// exchanges the code at `{api_base}/oauth.v2.access`, and in one transaction creates or
    /// updates the Slack channel with the bot token sealed, records the team → workspace
    /// mapping (a team installed into another workspace is a `conflict`), and sets the app's
    /// signing secret when the app has one. Slack answering `ok: false` is `invalid_input` at
    /// `code`, and nothing is stored.
    pub fn slack_oauth_callback(
        &self,
        app: &SlackApp,
        code: &str,
        state: &str,
    ) -> Result<SlackInstall> {
        app.validate()?;
        if code.trim().is_empty() || code.len() > 1024 {
            return Err(Error::invalid("code", "expected Slack's code"));
        }
        let secrets = self.secret_box()?;
        let now = self.now();
        let claims = slack_oauth::verify_state(secrets.mac_key(), state.trim(), now)?;
        let ws = self.workspace(&claims.workspace)?;
        let fresh = self.store.write(|tx| {
            store::slack::use_state(tx, &ws.id, &claims.nonce, claims.expires_ms, now)
        })?;
        if !fresh {
            return Err(Error::invalid(
                "state",
                "already used (a state works once: start the install again)",
            ));
        }
        let installed = self.exchange_code(app, code)?;
        let signing = app
            .signing_secret
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| secrets.seal(s))
            .transpose()?;
        let slack_channel = self.store.write(|tx| {
            if let Some(other) = store::slack::team_workspace(tx, &installed.team_id)?
                && other != ws.id
            {
                return Err(Error::Conflict(format!(
                    "the Slack team {} is installed into another workspace",
                    installed.team_id
                )));
            }
            let current = store::outbox::channel(tx, &ws.id, &claims.channel, &secrets)?
                .filter(|c| c.kind == ChannelKind::Slack);
            let mut config = current
                .as_ref()
                .map(|c| c.config.clone())
                .unwrap_or_default();
            config.insert("token".into(), Value::String(installed.bot_token.clone()));
            let slack_channel = match (&claims.slack_channel, config.get("channel")) {
                (Some(s), _) => s.clone(),
                (None, Some(Value::String(s))) => s.clone(),
                _ => slack_oauth::DEFAULT_SLACK_CHANNEL.to_string(),
            };
            config.insert("channel".into(), Value::String(slack_channel.clone()));
            if let Some(base) = &app.api_base
                && base.trim_end_matches('/') != DEFAULT_API_BASE
            {
                config.insert("api_base".into(), Value::String(base.clone()));
            }
            let c =
                ChannelConfig::parse(&claims.channel, ChannelKind::Slack, &Value::Object(config))?;
            store::outbox::put_channel(tx, &ws.id, &c, &secrets, now)?;
            store::routing::bump(tx, &ws.id)?;
            store::slack::record_team(
                tx,
                &ws.id,
                &installed.team_id,
                installed.team_name.as_deref(),
                &claims.channel,
                now,
            )?;
            let mut integration =
                store::workspaces::integration_named(tx, &ws.id, SLACK_INTEGRATION)?;
            if let Some(sealed) = &signing {
                integration.secret = Some(sealed.clone());
                integration.max_skew_secs = integration.max_skew_secs.or(Some(300));
            }
            let mut options = match integration.options {
                Value::Object(m) => m,
                _ => serde_json::Map::new(),
            };
            options.insert("team_id".into(), Value::String(installed.team_id.clone()));
            integration.options = Value::Object(options);
            store::workspaces::set_integration_named(
                tx,
                &ws.id,
                SLACK_INTEGRATION,
                &integration,
                now,
            )?;
            Ok(slack_channel)
        })?;
        Ok(SlackInstall {
            workspace: ws.name,
            workspace_id: ws.id.0,
            team_id: installed.team_id,
            team_name: installed.team_name,
            channel: claims.channel,
            slack_channel,
        })
    }

    /// `POST {api_base}/oauth.v2.access` with the code (form-encoded, as Slack documents).
    fn exchange_code(&self, app: &SlackApp, code: &str) -> Result<slack_oauth::Installed> {
        let base = app
            .api_base
            .as_deref()
            .unwrap_or(DEFAULT_API_BASE)
            .trim_end_matches('/');
        let url = format!("{base}/oauth.v2.access");
        let form = slack_oauth::access_form(app, code);
        let http = self.http()?.clone();
        let policy = std::sync::Arc::clone(self.private_targets());
        let (status, text) = self.block_on(async move {
            let req = http
                .post(&url)
                .timeout(EXCHANGE_TIMEOUT)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(form);
            let resp = crate::net::send(&policy, req).await.map_err(|e| {
                Error::Internal(format!("oauth.v2.access: cannot reach Slack: {e}"))
            })?;
            let status = resp.status().as_u16();
            // bounded like every delivery's answer
            let text = crate::notify::dispatch::read_limited(
                resp,
                crate::notify::dispatch::MAX_RESPONSE_BYTES,
            )
            .await;
            Ok::<_, Error>((status, text))
        })??;
        if !(200..300).contains(&status) {
            return Err(Error::Internal(format!(
                "oauth.v2.access: Slack answered HTTP {status}"
            )));
        }
        let answer: Value = serde_json::from_str(&text)
            .map_err(|_| Error::Internal("oauth.v2.access: the answer is not JSON".into()))?;
        slack_oauth::read_access(&answer)
    }

    /// Handles a Slack interactive request sent to the app's one request URL: the payload's team
    /// id picks the workspace (recorded at install, or the slack integration's `team_id`
    /// option), then exactly [`Engine::handle_slack_action`] with that workspace's signing
    /// secret. An unknown team is `not_found`.
    pub fn handle_slack_team_action(
        &self,
        headers: &Headers,
        body: &[u8],
    ) -> Result<SlackActionOutcome> {
        if body.len() > self.max_body_bytes {
            return Err(Error::TooLarge(format!(
                "body: {} bytes is over the limit of {} bytes",
                body.len(),
                self.max_body_bytes
            )));
        }
        let action = slack_actions::parse(body)?;
        let team = action
            .team_id
            .ok_or_else(|| Error::invalid("payload.team.id", "missing (no team to route by)"))?;
        let ws = self.store.read(|tx| {
            if let Some(ws) = store::slack::team_workspace(tx, &team)? {
                return Ok(ws);
            }
            let mut named = store::slack::team_by_option(tx, &team)?;
            match (named.pop(), named.is_empty()) {
                (Some(ws), true) => Ok(ws),
                (Some(_), false) => Err(Error::Conflict(format!(
                    "several workspaces name the Slack team {team} in their slack integration"
                ))),
                (None, _) => Err(Error::not_found("Slack team", team.as_str())),
            }
        })?;
        self.handle_slack_action(ws.as_str(), headers, body)
    }
}
