//! `Engine`: one method per engine call.
//!
//! Storage calls are synchronous (local, short, and a host serving webhooks wants the durable
//! answer before it replies); `dispatch`, which waits on the network, is `async` on tokio.
//! JSON arguments and answers are text (`String`), shaped like the CLI's JSON.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use signalcraft_core::engine::{Actor, SlackConnectOptions};
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::slack_oauth::SlackApp;
use signalcraft_core::{
    Engine as CoreEngine, Error, IntegrationUpdate, ManualClock, PrivateTargets, RuleSet, Source,
    WorkspaceSettings, host,
};

use crate::error::SignalCraftError;
use crate::types::{
    AlertGroup, Command, DryRunOutcome, GroupPage, GroupQuery, IngestOutcome, Readiness, Role,
    SlackInstall, Workspace, headers_in, time_in,
};

/// What a call answers: the value, or the engine's error as a [`SignalCraftError`].
type Answer<T> = Result<T, SignalCraftError>;

/// How to open an engine.
#[derive(Clone, Default, uniffi::Record)]
pub struct EngineOptions {
    /// The key that seals secrets at rest: exactly 32 bytes.
    #[uniffi(default)]
    pub secret_key: Option<Vec<u8>>,
    /// The largest webhook body accepted.
    #[uniffi(default)]
    pub max_body_bytes: Option<u32>,
    /// Pins the clock to this RFC 3339 time (for tests and replays of a fixed moment).
    #[uniffi(default)]
    pub now: Option<String>,
    /// Lets channels reach non-public addresses (loopback, private, link-local…): `.all`, or
    /// `.cidrs(["127.0.0.1/32"])`. Refused by default.
    #[uniffi(default)]
    pub allow_private_targets: Option<AllowPrivateTargets>,
}

impl std::fmt::Debug for EngineOptions {
    /// The key redacted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineOptions")
            .field(
                "secret_key",
                &signalcraft_core::secrets::redacted(&self.secret_key),
            )
            .field("max_body_bytes", &self.max_body_bytes)
            .field("now", &self.now)
            .field("allow_private_targets", &self.allow_private_targets)
            .finish()
    }
}

/// Which non-public addresses channels may reach (`EngineOptions.allowPrivateTargets`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum AllowPrivateTargets {
    /// Every address.
    All,
    /// Public addresses and these networks (`127.0.0.1/32`, `fd00::/8`).
    Cidrs {
        /// The networks.
        cidrs: Vec<String>,
    },
}

/// One delivery of `ingestBatch`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BatchDelivery {
    /// Which source sent it.
    pub source: String,
    /// The request headers.
    #[uniffi(default)]
    pub headers: Option<HashMap<String, String>>,
    /// The raw body.
    pub body: Vec<u8>,
}

/// What a dispatch did.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DispatchReport {
    /// Notifications delivered.
    pub sent: u64,
    /// Notifications given up on.
    pub failed: u64,
    /// Notifications still pending.
    pub pending: u64,
}

/// The engine: open one per database file.
#[derive(uniffi::Object)]
pub struct Engine {
    /// `None` once closed.
    inner: RwLock<Option<Arc<CoreEngine>>>,
}

impl Engine {
    /// The engine, or the "closed" error.
    fn inner(&self) -> signalcraft_core::Result<Arc<CoreEngine>> {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(host::closed_engine)
    }

    /// Runs `f` on the engine.
    /// A panic inside is the typed `Internal` error (host::guard), never uniffi's own panic
    /// error.
    fn run<T>(&self, f: impl FnOnce(&CoreEngine) -> signalcraft_core::Result<T>) -> Answer<T> {
        Ok(host::guard(|| self.inner().and_then(|engine| f(&engine)))?)
    }

    /// Runs `f` on the engine and answers its value as JSON text.
    fn json<T: Serialize>(
        &self,
        f: impl FnOnce(&CoreEngine) -> signalcraft_core::Result<T>,
    ) -> Answer<String> {
        self.run(|e| {
            let v = f(e)?;
            serde_json::to_string(&v)
                .map_err(|e| Error::Internal(format!("serializing output: {e}")))
        })
    }
}

/// JSON text as a value; `what` names the argument in the error.
fn json_in(what: &str, text: &str) -> signalcraft_core::Result<Value> {
    host::parse_json(what, text.as_bytes())
}

#[uniffi::export]
impl Engine {
    /// Opens (creating and migrating) the database `path` names: a file path, `sqlite:PATH`, or a
    /// `postgres://` URL (PostgreSQL needs a secret key: `secretKey` or `SIGNALCRAFT_SECRET_KEY`);
    /// in memory when `path` is nil.
    #[uniffi::constructor(default(path = None, options = None))]
    pub fn new(path: Option<String>, options: Option<EngineOptions>) -> Answer<Arc<Self>> {
        let mut b = match path {
            Some(p) => CoreEngine::builder().database(p),
            None => CoreEngine::builder().in_memory(),
        };
        if let Some(o) = options {
            if let Some(key) = o.secret_key {
                let key: [u8; 32] = key[..]
                    .try_into()
                    .map_err(|_| Error::invalid("secretKey", "expected exactly 32 bytes"))?;
                b = b.secret_key(key);
            }
            if let Some(n) = o.max_body_bytes {
                b = b.max_body_bytes(n as usize);
            }
            if let Some(at) = time_in("now", o.now.as_deref())? {
                b = b.clock(Arc::new(ManualClock::new(at)));
            }
            match o.allow_private_targets {
                Some(AllowPrivateTargets::All) => b = b.allow_private_targets(PrivateTargets::All),
                Some(AllowPrivateTargets::Cidrs { cidrs }) => {
                    b = b.allow_private_targets(PrivateTargets::from_list(
                        "allowPrivateTargets",
                        &cidrs,
                    )?)
                }
                None => {}
            }
        }
        Ok(Arc::new(Self {
            inner: RwLock::new(Some(Arc::new(host::guard(|| b.build())?))),
        }))
    }

    /// Stops background work and closes the database; later calls throw `InvalidInput` at
    /// `engine` ("the engine is closed"). Closing twice is fine.
    pub fn close(&self) {
        let taken = self.inner.write().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(engine) = taken {
            engine.stop();
        }
    }

    /// The engine's clock, RFC 3339.
    pub fn now(&self) -> Answer<String> {
        self.run(|e| Ok(e.now().to_rfc3339()))
    }

    /// Creates a workspace; with `owner_email`, that user becomes its owner in the same
    /// transaction.
    #[uniffi::method(default(owner_email = None))]
    pub fn create_workspace(&self, name: String, owner_email: Option<String>) -> Answer<Workspace> {
        self.run(|e| match &owner_email {
            Some(email) => e.create_workspace_with_owner(&name, email),
            None => e.create_workspace(&name),
        })
        .map(Into::into)
    }

    /// Every workspace.
    pub fn workspaces(&self) -> Answer<Vec<Workspace>> {
        self.run(CoreEngine::workspaces)
            .map(|ws| ws.into_iter().map(Into::into).collect())
    }

    /// A workspace's settings (JSON text).
    pub fn settings(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.settings(&workspace))
    }

    /// Changes a workspace's settings by an RFC 7396 merge patch (JSON text); answers the
    /// settings after it (JSON text).
    pub fn patch_settings(&self, workspace: String, patch: String) -> Answer<String> {
        self.json(|e| e.patch_settings(&workspace, &json_in("patch", &patch)?))
    }

    /// Replaces a workspace's settings (JSON text; missing fields take their defaults).
    pub fn set_settings(&self, workspace: String, settings: String) -> Answer<()> {
        self.run(|e| {
            let settings: WorkspaceSettings =
                host::from_json("settings", json_in("settings", &settings)?)?;
            e.set_settings(&workspace, &settings)
        })
    }

    /// A source's integration settings (JSON text; the secret is never shown).
    pub fn integration(&self, workspace: String, source: String) -> Answer<String> {
        self.json(|e| e.integration(&workspace, source.parse()?))
    }

    /// Changes a source's integration settings (JSON text `{secret, clear_secret,
    /// max_skew_secs, clear_max_skew, options}`); answers the integration (JSON text).
    pub fn set_integration(
        &self,
        workspace: String,
        source: String,
        update: String,
    ) -> Answer<String> {
        self.json(|e| {
            let update: IntegrationUpdate = host::from_json("update", json_in("update", &update)?)?;
            e.set_integration(&workspace, source.parse()?, &update)
        })
    }

    /// Verifies, parses, deduplicates, routes and stores one webhook delivery (one commit).
    pub fn ingest(
        &self,
        workspace: String,
        source: String,
        headers: Option<HashMap<String, String>>,
        body: Vec<u8>,
    ) -> Answer<IngestOutcome> {
        self.run(|e| {
            let source: Source = source.parse()?;
            e.ingest(&workspace, source, &headers_in(headers)?, &body)
        })
        .map(Into::into)
    }

    /// Like `ingest`, with the source told from the headers and body.
    pub fn ingest_auto(
        &self,
        workspace: String,
        headers: Option<HashMap<String, String>>,
        body: Vec<u8>,
    ) -> Answer<IngestOutcome> {
        self.run(|e| e.ingest_auto(&workspace, &headers_in(headers)?, &body))
            .map(Into::into)
    }

    /// Many deliveries in one transaction; answers JSON text with one `{"ok": outcome}` or
    /// `{"error": {kind, message, path}}` per delivery, in order.
    pub fn ingest_batch(
        &self,
        workspace: String,
        deliveries: Vec<BatchDelivery>,
    ) -> Answer<String> {
        self.json(|e| {
            let owned = deliveries
                .into_iter()
                .map(|d| Ok((d.source.parse::<Source>()?, headers_in(d.headers)?, d.body)))
                .collect::<signalcraft_core::Result<Vec<_>>>()?;
            host::ingest_batch(e, &workspace, &owned)
        })
    }

    /// What `ingest` would decide, with `rules` (JSON text, an array of rules) in place of the
    /// workspace's when given; stores nothing (`stored` is false).
    #[uniffi::method(default(rules = None))]
    pub fn dry_run(
        &self,
        workspace: String,
        source: String,
        headers: Option<HashMap<String, String>>,
        body: Vec<u8>,
        rules: Option<String>,
    ) -> Answer<DryRunOutcome> {
        self.run(|e| {
            let source: Source = source.parse()?;
            let rules = rules
                .map(|r| RuleSet::from_json(&json_in("rules", &r)?))
                .transpose()?;
            e.dry_run(
                &workspace,
                source,
                &headers_in(headers)?,
                &body,
                rules.as_ref(),
            )
        })
        .map(Into::into)
    }

    /// Replaces the workspace's routing rules (JSON text: an array of rules).
    pub fn put_rules(&self, workspace: String, rules: String) -> Answer<()> {
        self.run(|e| e.put_rules(&workspace, &RuleSet::from_json(&json_in("rules", &rules)?)?))
    }

    /// The workspace's routing rules (JSON text).
    pub fn rules(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.rules(&workspace).map(|r| r.to_json()))
    }

    /// Re-runs stored history through candidate rules (JSON text) and reports the difference
    /// (JSON text).
    #[uniffi::method(default(since = None, until = None))]
    pub fn replay(
        &self,
        workspace: String,
        rules: String,
        since: Option<String>,
        until: Option<String>,
    ) -> Answer<String> {
        self.json(|e| {
            let rules = RuleSet::from_json(&json_in("rules", &rules)?)?;
            let since = time_in("since", since.as_deref())?;
            let until = time_in("until", until.as_deref())?;
            e.replay(&workspace, &rules, since, until)
        })
    }

    /// Mutes matching alerts until `ends_at` (JSON text `{when, ends_at, starts_at?,
    /// comment?}`), recording `actor` as its creator; answers the silence with `active` (JSON
    /// text).
    pub fn add_silence(&self, workspace: String, silence: String, actor: String) -> Answer<String> {
        self.json(|e| {
            let new = host::new_silence(&json_in("silence", &silence)?, e.now())?;
            let s = e.add_silence(&workspace, &new, &actor)?;
            Ok(host::silence_view(&s, e.now()))
        })
    }

    /// The workspace's silences, with whether each is active now (JSON text).
    pub fn silences(&self, workspace: String) -> Answer<String> {
        self.json(|e| {
            let now = e.now();
            Ok(e.silences(&workspace)?
                .iter()
                .map(|s| host::silence_view(s, now))
                .collect::<Vec<Value>>())
        })
    }

    /// Ends a silence now.
    pub fn expire_silence(&self, workspace: String, id: String) -> Answer<()> {
        self.run(|e| e.expire_silence(&workspace, &id))
    }

    /// A page of groups (by last seen, newest first, unless the query says otherwise).
    #[uniffi::method(default(query = None))]
    pub fn groups(&self, workspace: String, query: Option<GroupQuery>) -> Answer<GroupPage> {
        self.run(|e| e.groups(&workspace, &query.unwrap_or_default().into_core()?))
            .map(Into::into)
    }

    /// One group with its newest 50 events and timeline entries, newest first (JSON text: the
    /// group's fields, `events`, `events_next`, `timeline`, `timeline_next`).
    pub fn group(&self, workspace: String, id: String) -> Answer<String> {
        self.json(|e| e.group(&workspace, &id))
    }

    /// A page of a group's events, newest first (JSON text `{items, next}`; `limit` 1 to 200).
    #[uniffi::method(default(cursor = None, limit = None))]
    pub fn group_events(
        &self,
        workspace: String,
        id: String,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Answer<String> {
        self.json(|e| e.group_events(&workspace, &id, cursor.as_deref(), limit))
    }

    /// A page of a group's timeline, newest first (JSON text `{items, next}`; `limit` 1 to
    /// 200).
    #[uniffi::method(default(cursor = None, limit = None))]
    pub fn group_timeline(
        &self,
        workspace: String,
        id: String,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Answer<String> {
        self.json(|e| e.group_timeline(&workspace, &id, cursor.as_deref(), limit))
    }

    /// One stored event with the raw body and headers of the delivery it came from (JSON text
    /// `{id, group_id, source, received_at, alert, payload, payload_text, headers, purged}`).
    pub fn event(&self, workspace: String, id: String) -> Answer<String> {
        self.json(|e| e.event(&workspace, &id))
    }

    /// Runs a lifecycle command as `actor` with `role` (default `member`) and answers the group
    /// after it.
    #[uniffi::method(default(role = None))]
    pub fn act(
        &self,
        workspace: String,
        group_id: String,
        command: Command,
        actor: String,
        role: Option<Role>,
    ) -> Answer<AlertGroup> {
        self.run(|e| {
            let role = role.map_or(signalcraft_core::lifecycle::Role::Member, Into::into);
            e.act(
                &workspace,
                &group_id,
                &command.into_core()?,
                &Actor::new(actor, role),
            )
        })
        .map(Into::into)
    }

    /// Creates or replaces a named escalation policy (JSON text).
    pub fn put_escalation(&self, workspace: String, name: String, policy: String) -> Answer<()> {
        self.run(|e| {
            let policy = EscalationPolicy::from_json(&json_in("policy", &policy)?)?;
            e.put_escalation(&workspace, &name, &policy)
        })
    }

    /// Dashboard figures over a window (`24h` by default, `7d`, …) (JSON text).
    #[uniffi::method(default(window = None))]
    pub fn stats(&self, workspace: String, window: Option<String>) -> Answer<String> {
        self.json(|e| e.stats(&workspace, window.as_deref().unwrap_or("24h")))
    }

    /// Fires due timers (escalations, snooze ends, auto-close, retention) (JSON text report).
    #[uniffi::method(default(workspace = None))]
    pub fn tick(&self, workspace: Option<String>) -> Answer<String> {
        self.json(|e| e.tick(workspace.as_deref()))
    }

    /// Creates or replaces a channel (`slack`, `webhook`, `pagerduty`, `email`) with its config
    /// (JSON text); answers it, secrets masked (JSON text).
    pub fn set_channel(
        &self,
        workspace: String,
        name: String,
        kind: String,
        config: String,
    ) -> Answer<String> {
        self.json(|e| {
            let kind: ChannelKind = kind.parse()?;
            e.set_channel(&workspace, &name, kind, &json_in("config", &config)?)
        })
    }

    /// The workspace's channels, secrets masked (JSON text).
    pub fn channels(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.channels(&workspace))
    }

    /// The delivery log, of a workspace or one group (JSON text).
    #[uniffi::method(default(group = None))]
    pub fn deliveries(&self, workspace: String, group: Option<String>) -> Answer<String> {
        self.json(|e| e.deliveries(&workspace, group.as_deref()))
    }

    /// Adds a user (argon2id password hash; emails are unique); answers the user (JSON text).
    #[uniffi::method(default(name = None))]
    pub fn add_user(
        &self,
        email: String,
        password: String,
        name: Option<String>,
    ) -> Answer<String> {
        self.json(|e| e.add_user(&email, &password, name.as_deref()))
    }

    /// Every user, by email (JSON text).
    pub fn users(&self) -> Answer<String> {
        self.json(CoreEngine::users)
    }

    /// Gives a user a role in a workspace; answers the member (JSON text).
    pub fn set_member(&self, workspace: String, email: String, role: Role) -> Answer<String> {
        self.json(|e| e.set_member(&workspace, &email, role.into()))
    }

    /// Removes a user from a workspace.
    pub fn remove_member(&self, workspace: String, email: String) -> Answer<()> {
        self.run(|e| e.remove_member(&workspace, &email))
    }

    /// A workspace's members (JSON text).
    pub fn members(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.members(&workspace))
    }

    /// Logs in: a session (JSON text; token and CSRF token shown once). Bad credentials throw
    /// `Unauthenticated`; too many failures for the email or the address, `RateLimited`.
    #[uniffi::method(default(address = None))]
    pub fn login(
        &self,
        email: String,
        password: String,
        address: Option<String>,
    ) -> Answer<String> {
        self.json(|e| e.login(&email, &password, address.as_deref()))
    }

    /// Ends a session (an unknown token is a no-op).
    pub fn logout(&self, token: String) -> Answer<()> {
        self.run(|e| e.logout(&token))
    }

    /// Who a session token or API token is (JSON text: the principal); for a session and an
    /// unsafe request, `csrf` must be its CSRF token.
    #[uniffi::method(default(is_unsafe = false, csrf = None))]
    pub fn authenticate(
        &self,
        credential: String,
        is_unsafe: bool,
        csrf: Option<String>,
    ) -> Answer<String> {
        self.json(|e| e.authenticate(&credential, is_unsafe, csrf.as_deref()))
    }

    /// Authenticates, then checks `permission` (`read`, `act`, `configure`, `administer`) in
    /// `workspace` (JSON text: the access); a workspace the principal is not in is `NotFound`.
    #[uniffi::method(default(is_unsafe = false, csrf = None))]
    pub fn authorize(
        &self,
        credential: String,
        workspace: String,
        permission: String,
        is_unsafe: bool,
        csrf: Option<String>,
    ) -> Answer<String> {
        self.json(|e| {
            e.authorize(
                &credential,
                &workspace,
                host::permission(&permission)?,
                is_unsafe,
                csrf.as_deref(),
            )
        })
    }

    /// Creates an API token (JSON text; the token is shown once).
    #[uniffi::method(default(name = None))]
    pub fn create_token(
        &self,
        workspace: String,
        role: Role,
        name: Option<String>,
    ) -> Answer<String> {
        self.json(|e| e.create_token(&workspace, role.into(), name.as_deref()))
    }

    /// A workspace's live API tokens (JSON text).
    pub fn tokens(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.tokens(&workspace))
    }

    /// Revokes an API token.
    pub fn revoke_token(&self, workspace: String, id: String) -> Answer<()> {
        self.run(|e| e.revoke_token(&workspace, &id))
    }

    /// Creates an ingest key for a source (JSON text; the key is shown once).
    pub fn create_ingest_key(&self, workspace: String, source: String) -> Answer<String> {
        self.json(|e| e.create_ingest_key(&workspace, source.parse()?))
    }

    /// Revokes an ingest key.
    pub fn revoke_ingest_key(&self, workspace: String, source: String, id: String) -> Answer<()> {
        self.run(|e| e.revoke_ingest_key(&workspace, source.parse()?, &id))
    }

    /// A source's live ingest keys, never the keys (JSON text).
    pub fn ingest_keys(&self, workspace: String, source: String) -> Answer<String> {
        self.json(|e| e.ingest_keys(&workspace, source.parse()?))
    }

    /// The authenticated webhook (`source` may be `auto`; `key` is the `?key=` value).
    #[uniffi::method(default(key = None))]
    pub fn webhook(
        &self,
        workspace: String,
        source: String,
        headers: Option<HashMap<String, String>>,
        body: Vec<u8>,
        key: Option<String>,
    ) -> Answer<IngestOutcome> {
        self.run(|e| {
            let source = host::webhook_source(&source)?;
            e.webhook(
                &workspace,
                source,
                &headers_in(headers)?,
                &body,
                key.as_deref(),
            )
        })
        .map(Into::into)
    }

    /// Replaces the workspace's apps and monitors (JSON text: a list of monitors, or
    /// `{apps?, monitors}`); answers `{apps, monitors}` (JSON text, secrets shown as
    /// `has_<field>: true`).
    pub fn put_monitors(&self, workspace: String, doc: String) -> Answer<String> {
        self.json(|e| e.put_monitors(&workspace, &json_in("doc", &doc)?))
    }

    /// The workspace's apps and monitors (JSON text `{apps, monitors}`, secrets redacted).
    pub fn monitors(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.monitors(&workspace))
    }

    /// Every monitor's state (JSON text: a list of states).
    pub fn monitor_status(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.monitor_status(&workspace))
    }

    /// The workspace's apps with their monitors' states and open alerts (JSON text).
    pub fn apps(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.apps(&workspace))
    }

    /// Runs one monitor now (due or not) on tokio's blocking pool; answers its state (JSON
    /// text).
    pub async fn run_monitor(&self, workspace: String, id: String) -> Answer<String> {
        let engine = self.inner()?;
        let state = tokio::task::spawn_blocking(move || engine.run_monitor(&workspace, &id))
            .await
            .map_err(|e| Error::Internal(format!("monitor task: {e}")))??;
        Ok(host::to_json(&state)?.to_string())
    }

    /// Runs the due monitors (`once`: every monitor) on tokio's blocking pool; answers every
    /// monitor's state (JSON text).
    #[uniffi::method(default(once = false))]
    pub async fn run_monitors(&self, workspace: String, once: bool) -> Answer<String> {
        let engine = self.inner()?;
        let states = tokio::task::spawn_blocking(move || engine.run_monitors(&workspace, once))
            .await
            .map_err(|e| Error::Internal(format!("monitor task: {e}")))??;
        Ok(host::to_json(&states)?.to_string())
    }

    /// Every source's integration: settings, keys and delivery health (JSON text).
    pub fn integrations(&self, workspace: String) -> Answer<String> {
        self.json(|e| e.integrations(&workspace))
    }

    /// The workspace's changes after `since` (default 0), at most `limit` (1 to 1000, default
    /// 100), and its latest sequence number (JSON text `{changes, last_seq}`).
    #[uniffi::method(default(since = None, limit = None))]
    pub fn changes(
        &self,
        workspace: String,
        since: Option<i64>,
        limit: Option<u32>,
    ) -> Answer<String> {
        self.json(|e| e.changes(&workspace, since, limit))
    }

    /// Starts delivering and ticking on background threads until `stop()` or `close()`.
    pub fn start_background(&self) -> Answer<()> {
        self.run(|_| self.inner()?.start_background())
    }

    /// Panics inside an engine call, for tests only: proves that a panic comes back as
    /// `SignalCraftError.Internal` (and the engine stays usable), not as uniffi's panic error.
    pub fn panic_for_tests(&self) -> Answer<()> {
        self.run(|_| -> signalcraft_core::Result<()> { panic!("a panic provoked by a test") })
    }

    /// Stops the background threads (the engine stays open).
    pub fn stop(&self) -> Answer<()> {
        self.run(|e| {
            e.stop();
            Ok(())
        })
    }

    /// The workspace whose id or name is `reference`.
    pub fn workspace(&self, reference: String) -> Answer<Workspace> {
        self.run(|e| e.workspace(&reference)).map(Into::into)
    }

    /// Whether the engine can serve: the database takes a write, the background loop runs.
    pub fn ready(&self) -> Answer<Readiness> {
        self.run(|e| Ok(e.ready().into()))
    }

    /// The engine's metrics in the Prometheus text format 0.0.4 (for `/metrics`).
    pub fn metrics_text(&self) -> Answer<String> {
        self.run(CoreEngine::metrics_text)
    }

    /// Checks rules (JSON text) as `put_rules` would, storing nothing: JSON text `{"ok": true,
    /// "rules": N}`.
    pub fn check_rules(&self, workspace: String, rules: String) -> Answer<String> {
        self.json(|e| {
            let n = e.check_rules(&workspace, &RuleSet::from_json(&json_in("rules", &rules)?)?)?;
            Ok(serde_json::json!({"ok": true, "rules": n}))
        })
    }

    /// Runs one command on many groups (at most 1000): JSON text with one `{"id", "ok":
    /// group}` or `{"id", "error": {kind, message, path}}` per id, in order.
    #[uniffi::method(default(role = None))]
    pub fn act_many(
        &self,
        workspace: String,
        ids: Vec<String>,
        command: Command,
        actor: String,
        role: Option<Role>,
    ) -> Answer<String> {
        self.json(|e| {
            let role = role.map_or(signalcraft_core::lifecycle::Role::Member, Into::into);
            host::act_many_json(&e.act_many(
                &workspace,
                &ids,
                &command.into_core()?,
                &Actor::new(actor, role),
            )?)
        })
    }

    /// The workspace's escalation policies: JSON text, an object of name to policy.
    pub fn escalations(&self, workspace: String) -> Answer<String> {
        self.json(|e| Ok(host::escalations_view(&e.escalations(&workspace)?)))
    }

    /// Deletes an escalation policy (its running escalations stop).
    pub fn delete_escalation(&self, workspace: String, name: String) -> Answer<()> {
        self.run(|e| e.delete_escalation(&workspace, &name))
    }

    /// Deletes a channel (`Conflict` while rules name it; its pending notifications are
    /// cancelled).
    pub fn delete_channel(&self, workspace: String, name: String) -> Answer<()> {
        self.run(|e| e.delete_channel(&workspace, &name))
    }

    /// Adds a recurring maintenance window (JSON text `{weekdays, from, to, tz, when?,
    /// rules?}`); answers it with `active` (JSON text).
    pub fn add_maintenance(&self, workspace: String, window: String) -> Answer<String> {
        self.json(|e| {
            let new = host::new_maintenance(&json_in("maintenance", &window)?)?;
            let w = e.add_maintenance(&workspace, &new)?;
            Ok(host::maintenance_view(&w, e.now()))
        })
    }

    /// The workspace's maintenance windows (deleted ones too), with whether each is active now
    /// (JSON text).
    pub fn maintenance_windows(&self, workspace: String) -> Answer<String> {
        self.json(|e| {
            let now = e.now();
            Ok(e.maintenance_windows(&workspace)?
                .iter()
                .map(|w| host::maintenance_view(w, now))
                .collect::<Vec<Value>>())
        })
    }

    /// Deletes a maintenance window.
    pub fn delete_maintenance(&self, workspace: String, id: String) -> Answer<()> {
        self.run(|e| e.delete_maintenance(&workspace, &id))
    }

    /// Sets the signing secret Slack's interactive requests are verified with.
    pub fn set_slack_signing_secret(&self, workspace: String, secret: String) -> Answer<()> {
        self.run(|e| e.set_slack_signing_secret(&workspace, &secret))
    }

    /// Handles a Slack interactive request for one workspace (the raw headers and form body):
    /// verifies the signature, runs the button's command, and answers what to tell Slack
    /// (JSON text).
    pub fn handle_slack_action(
        &self,
        workspace: String,
        headers: Option<HashMap<String, String>>,
        body: Vec<u8>,
    ) -> Answer<String> {
        self.json(|e| e.handle_slack_action(&workspace, &headers_in(headers)?, &body))
    }

    /// Handles a Slack interactive request sent to the app's one request URL: the payload's
    /// team id picks the workspace (JSON text answer).
    pub fn handle_slack_team_action(
        &self,
        headers: Option<HashMap<String, String>>,
        body: Vec<u8>,
    ) -> Answer<String> {
        self.json(|e| e.handle_slack_team_action(&headers_in(headers)?, &body))
    }

    /// Queues a test notification on a channel through the real outbox; answers the queued
    /// delivery (JSON text, `test: true`).
    pub fn test_channel(&self, workspace: String, name: String) -> Answer<String> {
        self.json(|e| e.test_channel(&workspace, &name))
    }

    /// The built-in sample delivery of a source: JSON text `{"headers": {…}, "body": text}`.
    pub fn sample_payload(&self, source: String) -> Answer<String> {
        self.json(|e| Ok(host::sample_json(&e.sample_payload(source.parse()?)?)))
    }

    /// Ingests the source's built-in sample through the real path (signed with the
    /// integration's secret when one is set).
    pub fn test_integration(&self, workspace: String, source: String) -> Answer<IngestOutcome> {
        self.run(|e| e.test_integration(&workspace, source.parse()?))
            .map(Into::into)
    }

    /// Starts a Slack install: JSON text `{url, state}`. `app` is JSON text `{client_id,
    /// client_secret, redirect_uri, api_base?, authorize_url?, signing_secret?}`, `options`
    /// JSON text `{channel?, slack_channel?}`.
    #[uniffi::method(default(options = None))]
    pub fn slack_connect(
        &self,
        workspace: String,
        app: String,
        options: Option<String>,
    ) -> Answer<String> {
        self.json(|e| {
            let app: SlackApp = host::from_json("app", json_in("app", &app)?)?;
            let options: SlackConnectOptions = match options {
                None => SlackConnectOptions::default(),
                Some(text) => match json_in("options", &text)? {
                    Value::Null => SlackConnectOptions::default(),
                    v => host::from_json("options", v)?,
                },
            };
            e.slack_connect(&workspace, &app, &options)
        })
    }

    /// Changes the workspace's slack integration (JSON text `{secret?, clear_secret?,
    /// max_skew_secs?, options?: {team_id}}`); answers it (JSON text).
    pub fn set_slack_integration(&self, workspace: String, update: String) -> Answer<String> {
        self.json(|e| {
            let update: IntegrationUpdate = host::from_json("update", json_in("update", &update)?)?;
            e.set_slack_integration(&workspace, &update)
        })
    }
}

#[uniffi::export(async_runtime = "tokio")]
impl Engine {
    /// `ingest` on tokio's blocking pool: concurrent calls are committed together by the
    /// engine's one writer (group commit), each answered after its own commit; fails with the
    /// same `SignalCraftError` as `ingest`.
    pub async fn ingest_async(
        &self,
        workspace: String,
        source: String,
        headers: Option<HashMap<String, String>>,
        body: Vec<u8>,
    ) -> Answer<IngestOutcome> {
        let engine = self.inner()?;
        let source: Source = source.parse()?;
        let headers = headers_in(headers)?;
        let out = tokio::task::spawn_blocking(move || {
            host::guard(|| engine.ingest(&workspace, source, &headers, &body))
        })
        .await
        .map_err(|e| Error::Internal(format!("ingest task: {e}")))??;
        Ok(out.into())
    }

    /// Sends what is due in the outbox, waiting up to `wait_ms` for retries due by then. Runs
    /// on tokio's blocking pool; fails with the same `SignalCraftError` as the other methods.
    #[uniffi::method(default(workspace = None, wait_ms = None))]
    pub async fn dispatch(
        &self,
        workspace: Option<String>,
        wait_ms: Option<u32>,
    ) -> Answer<DispatchReport> {
        let engine = self.inner()?;
        let wait = Duration::from_millis(u64::from(wait_ms.unwrap_or(0)));
        let report = tokio::task::spawn_blocking(move || {
            host::guard(|| engine.dispatch(workspace.as_deref(), wait))
        })
        .await
        .map_err(|e| Error::Internal(format!("dispatch task: {e}")))??;
        Ok(DispatchReport {
            sent: report.sent,
            failed: report.failed,
            pending: report.pending,
        })
    }

    /// Finishes a Slack install with the callback's `code` and `state`: exchanges the code at
    /// Slack (on tokio's blocking pool) and answers what was installed. `app` is JSON text as
    /// for `slack_connect`.
    pub async fn slack_oauth_callback(
        &self,
        app: String,
        code: String,
        state: String,
    ) -> Answer<SlackInstall> {
        let engine = self.inner()?;
        let app: SlackApp = host::from_json("app", json_in("app", &app)?)?;
        let install = tokio::task::spawn_blocking(move || {
            host::guard(|| engine.slack_oauth_callback(&app, &code, &state))
        })
        .await
        .map_err(|e| Error::Internal(format!("slack install task: {e}")))??;
        Ok(install.into())
    }
}
