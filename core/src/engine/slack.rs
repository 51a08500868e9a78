//! Slack's interactive actions: a button click on a SignalCraft message becomes a lifecycle
//! command, run as `slack:<user id>`.

use super::Engine;
use super::act::transition;
use crate::actions::slack as slack_actions;
use crate::headers::Headers;
use crate::lifecycle::{self, Permission, Role};
use crate::sources::IntegrationConfig;
use crate::store;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The integration name under which a workspace keeps its Slack signing secret.
pub const SLACK_INTEGRATION: &str = "slack";

/// What a Slack click did, and what to answer Slack.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlackActionOutcome {
    /// The command run (`ack`, `snooze`, `resolve`).
    pub command: String,
    /// The group.
    pub group_id: String,
    /// Who (`slack:<user id>`).
    pub actor: String,
    /// The Slack user's display name, as Slack sent it.
    pub display_name: Option<String>,
    /// The group's status after the click.
    pub status: String,
    /// Whether anything changed (a double click changes nothing).
    pub changed: bool,
    /// The JSON body to answer Slack's request with (HTTP 200). The message itself is updated
    /// through `chat.update` by the outbox.
    pub response: Value,
}

impl Engine {
    /// Sets the signing secret Slack's interactive requests are verified with.
    pub fn set_slack_signing_secret(&self, workspace: &str, secret: &str) -> Result<()> {
        if secret.trim().is_empty() {
            return Err(Error::invalid("secret", "must not be empty"));
        }
        let sealed = self.secret_box()?.seal(secret)?;
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            // the options (a `team_id`) stay
            let current = store::workspaces::integration_named(tx, &ws.id, SLACK_INTEGRATION)?;
            let config = IntegrationConfig {
                secret: Some(sealed),
                max_skew_secs: Some(300),
                options: current.options,
            };
            store::workspaces::set_integration_named(tx, &ws.id, SLACK_INTEGRATION, &config, now)
        })
    }

    /// Changes the workspace's slack integration: the signing secret button clicks are verified
    /// with (`secret`, `clear_secret`), the timestamp skew (`max_skew_secs`, default 300) and
    /// `options` `{"team_id": "T…"}` (the Slack team whose clicks
    /// [`Engine::handle_slack_team_action`] routes here). Answers the integration, secret
    /// masked (`has_secret`).
    pub fn set_slack_integration(
        &self,
        workspace: &str,
        update: &crate::engine::IntegrationUpdate,
    ) -> Result<Value> {
        if update
            .secret
            .as_deref()
            .is_some_and(|s| s.trim().is_empty())
        {
            return Err(Error::invalid("secret", "must not be empty"));
        }
        if update.secret.is_some() && update.clear_secret {
            return Err(Error::invalid(
                "secret",
                "cannot both set and clear the secret",
            ));
        }
        if update.max_skew_secs == Some(0) {
            return Err(Error::invalid("max_skew_secs", "must be at least 1"));
        }
        if let Some(o) = &update.options {
            match o {
                Value::Null => {}
                Value::Object(m) => {
                    for (k, v) in m {
                        match (k.as_str(), v) {
                            ("team_id", Value::String(t))
                                if !t.trim().is_empty() && t.len() <= 64 => {}
                            ("team_id", _) => {
                                return Err(Error::invalid(
                                    "options.team_id",
                                    "expected a Slack team id (T…)",
                                ));
                            }
                            (other, _) => {
                                return Err(Error::invalid(
                                    format!("options.{other}"),
                                    "unknown option (known: team_id)",
                                ));
                            }
                        }
                    }
                }
                _ => return Err(Error::invalid("options", "expected an object")),
            }
        }
        let sealed = update
            .secret
            .as_deref()
            .map(|s| self.secret_box().and_then(|b| b.seal(s)))
            .transpose()?;
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            let mut c = store::workspaces::integration_named(tx, &ws.id, SLACK_INTEGRATION)?;
            if update.clear_secret {
                c.secret = None;
            }
            if let Some(s) = &sealed {
                c.secret = Some(s.clone());
                c.max_skew_secs = c.max_skew_secs.or(Some(300));
            }
            if update.clear_max_skew {
                c.max_skew_secs = None;
            }
            if let Some(s) = update.max_skew_secs {
                c.max_skew_secs = Some(s);
            }
            if let Some(o) = &update.options {
                c.options = o.clone();
            }
            store::workspaces::set_integration_named(tx, &ws.id, SLACK_INTEGRATION, &c, now)?;
            Ok(json!({
                "workspace": ws.id, "source": SLACK_INTEGRATION, "has_secret": c.secret.is_some(),
                "max_skew_secs": c.max_skew_secs, "options": c.options,
            }))
        })
    }

    /// Handles a Slack interactive request (the raw POST a host received: headers and the
    /// `payload=` form body): verifies `X-Slack-Signature`, runs the button's command as
    /// `slack:<user id>` with the role `member`, and says what to answer Slack.
    pub fn handle_slack_action(
        &self,
        workspace: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<SlackActionOutcome> {
        self.handle_slack_action_as(workspace, headers, body, |_| Role::Member)
    }

    /// [`Engine::handle_slack_action`], with the host mapping Slack user ids to roles.
    pub fn handle_slack_action_as(
        &self,
        workspace: &str,
        headers: &Headers,
        body: &[u8],
        role_of: impl Fn(&str) -> Role,
    ) -> Result<SlackActionOutcome> {
        if body.len() > self.max_body_bytes {
            return Err(Error::TooLarge(format!(
                "body: {} bytes is over the limit of {} bytes",
                body.len(),
                self.max_body_bytes
            )));
        }
        let now = self.now();
        let (ws, config) = self.read_in(workspace, |tx, ws| {
            let c = store::workspaces::integration_named(tx, &ws.id, SLACK_INTEGRATION)?;
            Ok((ws.clone(), c))
        })?;
        let secret = match config.secret.as_deref() {
            Some(s) => self.secret_box()?.open(s)?,
            None => {
                return Err(Error::Signature(
                    "the workspace has no Slack signing secret (integration set WS slack --secret …)".into(),
                ));
            }
        };
        slack_actions::verify(&secret, headers, body, now)?;
        let action = slack_actions::parse(body)?;
        let command = slack_actions::command(&action, now)?;
        let actor = slack_actions::actor(&action);
        lifecycle::authorize(role_of(&action.user_id), Permission::Act(&command))?;
        let detail = json!({
            "display_name": action.user_name, "slack_channel": action.channel_id,
            "message_ts": action.message_ts, "via": "slack",
        });
        let result = self.store.write(|tx| {
            let mut rec = store::groups::get(tx, &ws.id, &action.group_id)?;
            let changed =
                match transition(tx, &ws.id, &mut rec, &command, &actor, now, detail.clone()) {
                    Ok(c) => c,
                    // a click on a stale button (ack on a resolved group): tell the clicker, change nothing
                    Err(e) if e.kind() == crate::ErrorKind::Conflict => {
                        return Ok((rec.group, false, Some(e.to_string())));
                    }
                    Err(e) => return Err(e),
                };
            Ok((rec.group, changed, None))
        })?;
        let (group, changed, refused) = result;
        let response = match refused {
            Some(why) => slack_actions::ephemeral(&format!("Nothing done: {why}.")),
            None => json!({}),
        };
        Ok(SlackActionOutcome {
            command: command.name().to_string(),
            group_id: group.id.0.clone(),
            actor,
            display_name: action.user_name.clone(),
            status: group.status.as_str().to_string(),
            changed,
            response,
        })
    }
}
