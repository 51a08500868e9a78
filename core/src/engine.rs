//! The [`Engine`]: the one shell around the pure modules. It loads state, asks the pure modules
//! what to do, and writes every consequence of a call in one SQLite transaction.

use crate::alert::{
    AlertStatus, GroupId, MatchScope, NormalizedAlert, Source, SourceAction, WorkspaceId,
};
use crate::clock::{Clock, SystemClock};
use crate::dedup::{self, DedupDecision, DedupOutcome, GroupSnapshot};
use crate::fingerprint::{self, GROUP_KEY_CONTEXT_V1, GroupKeyInputs};
use crate::group::{
    AlertGroup, GroupDetail, GroupPage, GroupQuery, ItemCursor, ItemList, ItemPage, StoredEvent,
    TimelineEntry,
};
use crate::headers::Headers;
use crate::ingest::{IngestDecision, IngestOutcome, IngestedAlert, Outcome};
use crate::lifecycle::GroupStatus;
use crate::routing::{
    self, GroupContext, MaintenanceWindow, ReplayEvent, ReplayReport, RouteDecision, RouteEvent,
    RoutingContext, RuleActions, RuleSet, Silence, advance_state,
};
use crate::secrets::SecretBox;
use crate::sources::{self, IntegrationConfig, Parsed, SourceInput};
use crate::store::groups::GroupRecord;
use crate::store::{self, Store};
use crate::workspace::{self, Workspace, WorkspaceSettings};
use crate::{Error, Result};

mod accounts;
mod act;
mod deliver;
mod events;
mod metrics;
mod monitors;
mod samples;
mod slack;
mod slack_oauth;
mod stats;
mod tick;
mod webhook;

pub use act::{Actor, MAX_ACT_MANY};
use chrono::{DateTime, Utc};
pub use deliver::{DispatchReport, Readiness};
pub use monitors::{AppView, HistoryPoint, MAX_CONCURRENT_CHECKS, MonitorState};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::json;
pub use slack::{SLACK_INTEGRATION, SlackActionOutcome};
pub use slack_oauth::{SlackConnect, SlackConnectOptions, SlackInstall};
pub use stats::{SeriesPoint, Stats, parse_window, series_step};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
pub use tick::{FiredStep, TickReport};
pub use webhook::{DeliveryError, IntegrationHealth, IntegrationStatus};

/// The default largest request body ingest accepts.
pub const DEFAULT_MAX_BODY_BYTES: usize = 5 * 1024 * 1024;

#[derive(Debug)]
enum Location {
    Path(PathBuf),
    InMemory,
}

/// Builds an [`Engine`].
pub struct EngineBuilder {
    location: Location,
    clock: Arc<dyn Clock>,
    max_body_bytes: usize,
    secret_key: Option<[u8; 32]>,
    password_cost: crate::accounts::PasswordCost,
    private_targets: crate::net::PrivateTargets,
}

impl std::fmt::Debug for EngineBuilder {
    /// Everything but the key, which shows as set or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("location", &self.location)
            .field("clock", &self.clock)
            .field("max_body_bytes", &self.max_body_bytes)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| crate::secrets::REDACTED),
            )
            .field("password_cost", &self.password_cost)
            .field("private_targets", &self.private_targets)
            .finish()
    }
}

impl EngineBuilder {
    /// Hashes new passwords at this argon2id cost (default: OWASP's 19 MiB, 2 passes).
    /// [`PasswordCost::for_tests`](crate::accounts::PasswordCost::for_tests) makes logins cheap
    /// in tests; never use it for real accounts.
    pub fn password_cost(mut self, cost: crate::accounts::PasswordCost) -> Self {
        self.password_cost = cost;
        self
    }

    /// Stores in the SQLite file at `path` (created if missing).
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.location = Location::Path(path.into());
        self
    }

    /// Stores in memory only (for tests and dry runs).
    pub fn in_memory(mut self) -> Self {
        self.location = Location::InMemory;
        self
    }

    /// Uses `clock` instead of the system clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Rejects request bodies larger than `bytes` (default 5 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Encrypts stored secrets with this key (instead of `SIGNALCRAFT_SECRET_KEY` or the key
    /// file beside the database).
    pub fn secret_key(mut self, key: [u8; 32]) -> Self {
        self.secret_key = Some(key);
        self
    }

    /// Lets outbound requests (webhook, Slack, PagerDuty and SMTP channels, the Slack OAuth
    /// exchange) reach non-public addresses: loopback, private, link-local… (see
    /// [`net::forbidden_range`](crate::net::forbidden_range)). Refused by default
    /// ([`PrivateTargets::None`](crate::net::PrivateTargets::None)).
    pub fn allow_private_targets(mut self, targets: crate::net::PrivateTargets) -> Self {
        self.private_targets = targets;
        self
    }

    /// Opens the store (migrating it to the latest schema) and returns the engine.
    pub fn build(self) -> Result<Engine> {
        let (store, db_path) = match &self.location {
            Location::Path(p) => (Store::open(p)?, Some(p.clone())),
            Location::InMemory => (Store::in_memory()?, None),
        };
        let private_targets = Arc::new(self.private_targets);
        let engine = Engine {
            store,
            clock: self.clock,
            max_body_bytes: self.max_body_bytes,
            routing_cache: Mutex::new(HashMap::new()),
            secrets: Mutex::new(self.secret_key.map(|k| SecretBox::new(&k))),
            db_path,
            delivery: deliver::DeliveryRuntime::default(),
            password_cost: self.password_cost,
            dummy_hash: std::sync::OnceLock::new(),
            metrics: crate::metrics::Metrics::default(),
            monitor_rt: monitors::MonitorRuntime::new(Arc::clone(&private_targets)),
            private_targets,
        };
        engine.seal_plaintext_secrets()?;
        Ok(engine)
    }
}

/// An integration's settings as the engine shows them: the secret is never shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationView {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// The source.
    pub source: Source,
    /// Whether a secret is set — and then enforced (see [`crate::sources::SecretUse`]).
    pub has_secret: bool,
    /// The timestamp skew limit, if set.
    pub max_skew_secs: Option<u64>,
    /// Source-specific options.
    pub options: serde_json::Value,
    /// The live ingest keys (never the keys themselves).
    #[serde(default)]
    pub keys: Vec<crate::accounts::IngestKeyView>,
}

/// A change to an integration's settings; fields left `None` keep their value (`Debug` shows
/// the secret redacted).
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IntegrationUpdate {
    /// A new secret.
    pub secret: Option<String>,
    /// Removes the secret (unsigned payloads are then accepted).
    pub clear_secret: bool,
    /// A new timestamp skew limit in seconds.
    pub max_skew_secs: Option<u64>,
    /// Removes the skew limit.
    pub clear_max_skew: bool,
    /// New source-specific options (replacing the old ones).
    pub options: Option<serde_json::Value>,
}

impl std::fmt::Debug for IntegrationUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntegrationUpdate")
            .field("secret", &crate::secrets::redacted(&self.secret))
            .field("clear_secret", &self.clear_secret)
            .field("max_skew_secs", &self.max_skew_secs)
            .field("clear_max_skew", &self.clear_max_skew)
            .field("options", &self.options)
            .finish()
    }
}

/// The alert-processing engine. Cheap to share across threads (`Send + Sync`).
#[derive(Debug)]
pub struct Engine {
    store: Store,
    clock: Arc<dyn Clock>,
    max_body_bytes: usize,
    /// Compiled routing per workspace id, with the routing version it was loaded at.
    routing_cache: Mutex<HashMap<String, (i64, Arc<Routing>)>>,
    /// The key for secrets at rest, once known.
    secrets: Mutex<Option<SecretBox>>,
    /// The database file (where the key file goes).
    db_path: Option<PathBuf>,
    /// The tokio runtime, HTTP client and background loop of delivery.
    delivery: deliver::DeliveryRuntime,
    /// The argon2id cost of new password hashes.
    password_cost: crate::accounts::PasswordCost,
    /// A hash of no password, verified against when a login names an unknown email (so that it
    /// takes as long as a wrong password).
    dummy_hash: std::sync::OnceLock<String>,
    /// What `/metrics` shows.
    pub(crate) metrics: crate::metrics::Metrics,
    /// The fleet monitors' client connector.
    monitor_rt: monitors::MonitorRuntime,
    /// Which non-public addresses outbound requests may reach.
    private_targets: Arc<crate::net::PrivateTargets>,
}

/// A workspace's compiled routing: what ingest evaluates.
#[derive(Debug, Default)]
struct Routing {
    rules: RuleSet,
    /// The rules' row in the workspace's rule history.
    rule_set: Option<i64>,
    silences: Vec<Silence>,
    windows: Vec<MaintenanceWindow>,
    default_route: Option<RuleActions>,
}

impl Routing {
    fn context<'a>(&'a self, rules: Option<&'a RuleSet>) -> RoutingContext<'a> {
        RoutingContext {
            rules: rules.unwrap_or(&self.rules),
            default_route: self.default_route.as_ref(),
            silences: &self.silences,
            windows: &self.windows,
        }
    }
}

/// A new silence.
#[derive(Debug, Clone, PartialEq)]
pub struct NewSilence {
    /// Which alerts it mutes (the condition language of rules).
    pub when: serde_json::Value,
    /// From when (default: now).
    pub starts_at: Option<DateTime<Utc>>,
    /// Until when.
    pub ends_at: DateTime<Utc>,
    /// Why.
    pub comment: Option<String>,
}

/// A new maintenance window.
#[derive(Debug, Clone, PartialEq)]
pub struct NewMaintenanceWindow {
    /// Weekdays it starts on: `mon,tue,…`, ranges `mon-fri`, or `all`.
    pub weekdays: String,
    /// Local start, `HH:MM`.
    pub from: String,
    /// Local end, `HH:MM` (not after `from`: it runs past midnight).
    pub to: String,
    /// IANA time zone.
    pub tz: String,
    /// Only alerts matching this condition.
    pub when: Option<serde_json::Value>,
    /// Only these rules (the whole workspace when empty).
    pub rules: Vec<String>,
}

fn short_hash(context: &str, parts: &[&[u8]]) -> String {
    let mut h = blake3::Hasher::new_derive_key(context);
    for p in parts {
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p);
    }
    hex::encode(&h.finalize().as_bytes()[..10])
}

fn to_json<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(format!("serializing: {e}")))
}

impl Engine {
    /// A builder: in memory, system clock, 5 MiB bodies, until told otherwise.
    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            location: Location::InMemory,
            clock: Arc::new(SystemClock),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            secret_key: None,
            password_cost: crate::accounts::PasswordCost::default(),
            private_targets: crate::net::PrivateTargets::None,
        }
    }

    /// Which non-public addresses this engine's outbound requests may reach.
    pub(crate) fn private_targets(&self) -> &Arc<crate::net::PrivateTargets> {
        &self.private_targets
    }

    /// The box that seals and opens stored secrets: the builder's key, else
    /// `SIGNALCRAFT_SECRET_KEY`, else the key file beside the database (created on first use,
    /// mode 0600), else (in memory) a random key for this engine's life.
    pub(crate) fn secret_box(&self) -> Result<SecretBox> {
        let mut guard = self.secrets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(b) = guard.as_ref() {
            return Ok(b.clone());
        }
        let b = match &self.db_path {
            Some(p) => SecretBox::for_database(p)?,
            None => match std::env::var(crate::secrets::KEY_ENV) {
                Ok(k) => SecretBox::new(&crate::secrets::parse_key(&k)?),
                Err(_) => SecretBox::ephemeral()?,
            },
        };
        *guard = Some(b.clone());
        Ok(b)
    }

    /// Seals integration secrets stored in the clear by an older version.
    fn seal_plaintext_secrets(&self) -> Result<()> {
        let plain = self
            .store
            .read(store::outbox::plaintext_integration_secrets)?;
        if plain.is_empty() {
            return Ok(());
        }
        let b = self.secret_box()?;
        self.store.write(|tx| {
            for (ws, source, secret) in &plain {
                store::outbox::set_integration_secret(tx, ws, source, &b.seal(secret)?)?;
            }
            Ok(())
        })
    }

    /// Runs `f` in a read transaction with the workspace whose id or name is `workspace`.
    fn read_in<T>(
        &self,
        workspace: &str,
        f: impl FnOnce(&Connection, &Workspace) -> Result<T>,
    ) -> Result<T> {
        self.store
            .read(|tx| f(tx, &store::workspaces::resolve(tx, workspace)?))
    }

    /// Runs `f` in a write transaction with the workspace whose id or name is `workspace`.
    fn write_in<T>(
        &self,
        workspace: &str,
        f: impl FnOnce(&Connection, &Workspace) -> Result<T>,
    ) -> Result<T> {
        self.store
            .write(|tx| f(tx, &store::workspaces::resolve(tx, workspace)?))
    }

    /// The engine's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    // ---- workspaces -------------------------------------------------------------------------

    /// Creates a workspace. Names are unique.
    pub fn create_workspace(&self, name: &str) -> Result<Workspace> {
        let now = self.now();
        self.store.write(|tx| self.insert_workspace(tx, name, now))
    }

    /// Writes a new workspace named `name` inside `tx`.
    fn insert_workspace(
        &self,
        tx: &Connection,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Workspace> {
        workspace::validate_name(name)?;
        let mut attempt: u32 = 0;
        let id = loop {
            let id = format!(
                "ws_{}",
                short_hash(
                    "signalcraft workspace id v1",
                    &[
                        name.as_bytes(),
                        &now.timestamp_millis().to_le_bytes(),
                        &attempt.to_le_bytes()
                    ]
                )
            );
            if !store::workspaces::id_exists(tx, &id)? {
                break id;
            }
            attempt += 1;
        };
        let ws = Workspace {
            id: WorkspaceId(id),
            name: name.to_string(),
            created_at: now,
        };
        store::workspaces::insert(tx, &ws)?;
        Ok(ws)
    }

    /// Every workspace, by name.
    pub fn workspaces(&self) -> Result<Vec<Workspace>> {
        self.store.read(store::workspaces::list)
    }

    /// The workspace whose id or name is `reference`.
    pub fn workspace(&self, reference: &str) -> Result<Workspace> {
        self.store
            .read(|tx| store::workspaces::resolve(tx, reference))
    }

    /// A workspace's settings.
    pub fn settings(&self, workspace: &str) -> Result<WorkspaceSettings> {
        self.read_in(workspace, |tx, ws| store::workspaces::settings(tx, &ws.id))
    }

    /// Changes a workspace's settings by an RFC 7396 JSON merge patch over their JSON form (what
    /// `PATCH .../settings` takes): a member set to `null` returns to its default. The result is
    /// validated as [`WorkspaceSettings::from_json`] does, read and written in one transaction,
    /// and answered.
    pub fn patch_settings(
        &self,
        workspace: &str,
        patch: &serde_json::Value,
    ) -> Result<WorkspaceSettings> {
        if !patch.is_object() {
            return Err(Error::invalid(
                "settings",
                "a merge patch must be a JSON object",
            ));
        }
        self.write_in(workspace, |tx, ws| {
            let mut doc = serde_json::to_value(store::workspaces::settings(tx, &ws.id)?)
                .map_err(|e| Error::Internal(format!("serializing settings: {e}")))?;
            crate::json::merge_patch(&mut doc, patch);
            let settings = WorkspaceSettings::from_json(&doc)?;
            store::workspaces::set_settings(tx, &ws.id, &settings)?;
            store::routing::bump(tx, &ws.id)?;
            Ok(settings)
        })
    }

    /// Replaces a workspace's settings.
    pub fn set_settings(&self, workspace: &str, settings: &WorkspaceSettings) -> Result<()> {
        settings.default_route_actions()?;
        settings.ingest_rate_limit.validate()?;
        settings.ingest_limits.validate()?;
        settings.replay.validate()?;
        settings.validate_notifications()?;
        self.write_in(workspace, |tx, ws| {
            store::workspaces::set_settings(tx, &ws.id, settings)?;
            store::routing::bump(tx, &ws.id)
        })
    }

    // ---- routing ----------------------------------------------------------------------------

    /// Replaces a workspace's rules. Once the workspace has channels, every channel a rule
    /// names must exist.
    pub fn put_rules(&self, workspace: &str, rules: &RuleSet) -> Result<()> {
        self.write_in(workspace, |tx, ws| {
            check_rule_channels(tx, &ws.id, rules)?;
            store::routing::put_rules(tx, &ws.id, rules)
        })
    }

    /// Checks rules as [`Engine::put_rules`] would (once the workspace has channels, every
    /// channel a rule names must exist) without storing them; answers how many rules there are.
    pub fn check_rules(&self, workspace: &str, rules: &RuleSet) -> Result<usize> {
        self.read_in(workspace, |tx, ws| {
            check_rule_channels(tx, &ws.id, rules)?;
            Ok(rules.len())
        })
    }

    /// A workspace's rules, in evaluation order.
    pub fn rules(&self, workspace: &str) -> Result<RuleSet> {
        self.read_in(workspace, |tx, ws| store::routing::rules(tx, &ws.id))
    }

    /// Adds a silence, recording `actor` (who asks: `user:alice`, `token:ci`, `cli`) as its
    /// creator.
    pub fn add_silence(&self, workspace: &str, new: &NewSilence, actor: &str) -> Result<Silence> {
        let now = self.now();
        if actor.trim().is_empty() || actor.len() > 256 {
            return Err(Error::invalid("actor", "expected a name (1 to 256 bytes)"));
        }
        let when = routing::Condition::from_json(&new.when, "when")?;
        let starts_at = new.starts_at.unwrap_or(now);
        if new.ends_at <= starts_at {
            return Err(Error::invalid("until", "must be after the start"));
        }
        if new.ends_at <= now {
            return Err(Error::invalid("until", "is already past"));
        }
        self.write_in(workspace, |tx, ws| {
            let id = format!(
                "sil_{}",
                short_hash(
                    "signalcraft silence id v1",
                    &[
                        ws.id.as_str().as_bytes(),
                        &now.timestamp_millis().to_le_bytes(),
                        new.when.to_string().as_bytes(),
                        &store::routing::version(tx, &ws.id)?.to_le_bytes()
                    ]
                )
            );
            let s = Silence {
                id,
                when,
                starts_at,
                ends_at: new.ends_at,
                comment: new.comment.clone(),
                created_at: now,
                created_by: Some(actor.to_string()),
            };
            store::routing::add_silence(tx, &ws.id, &s)?;
            Ok(s)
        })
    }

    /// Every silence of a workspace, past ones too.
    pub fn silences(&self, workspace: &str) -> Result<Vec<Silence>> {
        self.read_in(workspace, |tx, ws| {
            store::routing::silences(tx, &ws.id, None)
        })
    }

    /// Ends a silence now.
    pub fn expire_silence(&self, workspace: &str, id: &str) -> Result<()> {
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            store::routing::expire_silence(tx, &ws.id, id, now)
        })
    }

    /// Adds a maintenance window.
    pub fn add_maintenance(
        &self,
        workspace: &str,
        new: &NewMaintenanceWindow,
    ) -> Result<MaintenanceWindow> {
        let now = self.now();
        let from = routing::silence::parse_time_of_day("from", &new.from)?;
        let to = routing::silence::parse_time_of_day("to", &new.to)?;
        if from == to {
            return Err(Error::invalid(
                "to",
                "a window needs a length: from and to are equal",
            ));
        }
        let when = new
            .when
            .as_ref()
            .map(|w| routing::Condition::from_json(w, "when"))
            .transpose()?;
        let mut rules = Vec::new();
        for r in &new.rules {
            let r = r.trim();
            if r.is_empty() {
                return Err(Error::invalid("rules", "empty rule id"));
            }
            rules.push(r.to_string());
        }
        let weekdays = routing::silence::parse_weekdays(&new.weekdays)?;
        let tz = routing::silence::parse_tz(&new.tz)?;
        self.write_in(workspace, |tx, ws| {
            let id = format!(
                "mw_{}",
                short_hash(
                    "signalcraft maintenance id v1",
                    &[
                        ws.id.as_str().as_bytes(),
                        &now.timestamp_millis().to_le_bytes(),
                        &store::routing::version(tx, &ws.id)?.to_le_bytes()
                    ]
                )
            );
            let w = MaintenanceWindow {
                id,
                weekdays,
                from,
                to,
                tz,
                when,
                rules,
                created_at: now,
                deleted_at: None,
            };
            store::routing::add_window(tx, &ws.id, &w)?;
            Ok(w)
        })
    }

    /// A workspace's maintenance windows (deleted ones too, with `deleted_at`).
    pub fn maintenance_windows(&self, workspace: &str) -> Result<Vec<MaintenanceWindow>> {
        self.read_in(workspace, |tx, ws| {
            store::routing::windows(tx, &ws.id, true)
        })
    }

    /// Deletes a maintenance window (it stays visible to replays of the time it existed).
    pub fn delete_maintenance(&self, workspace: &str, id: &str) -> Result<()> {
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            store::routing::delete_window(tx, &ws.id, id, now)
        })
    }

    fn routing_for(
        &self,
        tx: &Connection,
        ws: &WorkspaceId,
        settings: &WorkspaceSettings,
    ) -> Result<Arc<Routing>> {
        let version = store::routing::version(tx, ws)?;
        {
            let cache = self.routing_cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((v, r)) = cache.get(ws.as_str())
                && *v == version
            {
                return Ok(r.clone());
            }
        }
        let routing = Arc::new(Routing {
            rules: store::routing::rules(tx, ws)?,
            rule_set: store::routing::current_rule_set(tx, ws)?,
            silences: store::routing::silences(tx, ws, Some(self.now()))?,
            windows: store::routing::windows(tx, ws, false)?,
            default_route: settings.default_route_actions()?,
        });
        let mut cache = self.routing_cache.lock().unwrap_or_else(|p| p.into_inner());
        cache.insert(ws.0.clone(), (version, routing.clone()));
        Ok(routing)
    }

    /// Everything `ingest` would decide for this delivery — group decision, matched rules,
    /// notifications, silences — with `rules` in place of the workspace's when given, without
    /// writing anything. A dry run tests routing, not authentication: a signature is not
    /// checked (so a stored event's payload with fresh ids can be tested in a workspace whose
    /// integration has a secret).
    pub fn dry_run(
        &self,
        workspace: &str,
        source: Source,
        headers: &Headers,
        body: &[u8],
        rules: Option<&RuleSet>,
    ) -> Result<IngestOutcome> {
        self.ingest_with(workspace, source, headers, body, rules, true)
    }

    /// Re-runs stored history received in `[since, until)` through `candidate` rules, with the
    /// original timing and the silences and maintenance windows as they were then, and reports
    /// the difference against what was decided. `since` defaults to the first event, `until` to
    /// now (inclusive). Deterministic.
    pub fn replay(
        &self,
        workspace: &str,
        candidate: &RuleSet,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
    ) -> Result<ReplayReport> {
        let now = self.now();
        self.read_in(workspace, |tx, ws| {
            // default: through now (an event received at this very moment included)
            let until = until.unwrap_or(now + chrono::TimeDelta::milliseconds(1));
            let since = match since {
                Some(s) => s,
                None => store::routing::first_event_at(tx, &ws.id)?.unwrap_or(until),
            };
            if since > until {
                return Err(Error::invalid("since", "is after until"));
            }
            let settings = store::workspaces::settings(tx, &ws.id)?;
            let routing = Routing {
                rules: candidate.clone(),
                rule_set: None,
                silences: store::routing::silences(tx, &ws.id, None)?,
                windows: store::routing::windows(tx, &ws.id, true)?,
                default_route: settings.default_route_actions()?,
            };
            let history = store::routing::history(tx, &ws.id, since, until)?;
            let mut events = Vec::with_capacity(history.len());
            let mut initial: BTreeMap<String, BTreeMap<String, routing::ChannelState>> =
                BTreeMap::new();
            for h in history {
                let alert: NormalizedAlert = serde_json::from_str(&h.alert).map_err(|e| {
                    Error::Internal(format!("stored alert {} does not parse: {e}", h.id))
                })?;
                let before = parse_route(h.route.as_deref(), &h.id)?;
                if let Some(g) = &h.group_id
                    && !initial.contains_key(g.as_str())
                {
                    let mut st = BTreeMap::new();
                    for past in store::routing::routes_before(tx, g, since)? {
                        let route = parse_route(past.route.as_deref(), g.as_str())?;
                        advance_state(&mut st, route_event(&past.decision), &route, past.at);
                    }
                    initial.insert(g.0.clone(), st);
                }
                events.push(ReplayEvent {
                    event_id: h.id,
                    group_id: h.group_id.map(|g| g.0),
                    event: route_event(&h.decision),
                    at: h.received_at,
                    alert,
                    before,
                });
            }
            Ok(routing::replay(
                &routing.context(None),
                since,
                until,
                &events,
                initial,
            ))
        })
    }

    /// An integration's settings (the secret masked).
    pub fn integration(&self, workspace: &str, source: Source) -> Result<IntegrationView> {
        self.read_in(workspace, |tx, ws| {
            let c = store::workspaces::integration(tx, &ws.id, source)?;
            let keys = store::accounts::keys(tx, &ws.id, source)?;
            Ok(view(ws.id.clone(), source, &c, keys))
        })
    }

    /// Changes an integration's settings.
    pub fn set_integration(
        &self,
        workspace: &str,
        source: Source,
        update: &IntegrationUpdate,
    ) -> Result<IntegrationView> {
        if let Some(s) = &update.secret {
            if s.is_empty() {
                return Err(Error::invalid("secret", "must not be empty"));
            }
            if update.clear_secret {
                return Err(Error::invalid(
                    "secret",
                    "cannot both set and clear the secret",
                ));
            }
            if sources::secret_use(source) == sources::SecretUse::Unsupported {
                return Err(Error::invalid(
                    "secret",
                    format!(
                        "{source} has no signature scheme, so a secret would not be checked: use an ingest key instead (create one, then send it as ?key= or Authorization: Bearer)"
                    ),
                ));
            }
        }
        if update.max_skew_secs == Some(0) {
            return Err(Error::invalid("max_skew_secs", "must be at least 1"));
        }
        if let Some(options) = &update.options {
            sources::validate_options(source, options)?;
        }
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            let mut c = store::workspaces::integration(tx, &ws.id, source)?;
            if update.clear_secret {
                c.secret = None;
            }
            if let Some(s) = &update.secret {
                c.secret = Some(self.secret_box()?.seal(s)?);
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
            store::workspaces::set_integration(tx, &ws.id, source, &c, now)?;
            let keys = store::accounts::keys(tx, &ws.id, source)?;
            Ok(view(ws.id.clone(), source, &c, keys))
        })
    }

    // ---- ingest -----------------------------------------------------------------------------

    /// Verifies, parses, deduplicates and stores one webhook delivery, in one transaction.
    /// Returns only after the commit; on error nothing is stored.
    pub fn ingest(
        &self,
        workspace: &str,
        source: Source,
        headers: &Headers,
        body: &[u8],
    ) -> Result<IngestOutcome> {
        let started = std::time::Instant::now();
        let r = self.ingest_with(workspace, source, headers, body, None, false);
        self.count_ingest(source.as_str(), &r, started);
        r
    }

    /// Ingests many deliveries to one workspace in ONE transaction: one commit (and one
    /// fsync-free WAL append) for the lot, which is what makes high rates durable.
    ///
    /// Each delivery goes through exactly the code path of [`Engine::ingest`] and gets its own
    /// slot in the answer, in order: its outcome, or its error. Each delivery is all or nothing:
    /// it runs inside its own SAVEPOINT, so one that fails (bad input, a bad signature, a failed
    /// write) is rolled back to that savepoint, stores nothing, and does not stop the others.
    /// Deliveries see what earlier ones in the batch wrote (a repeated delivery or event id is a
    /// `duplicate`, an event joins a group opened earlier in the batch). Every delivery is
    /// received at the same `now`.
    ///
    /// A batch over the workspace's `ingest_limits` (`batch_deliveries` deliveries or
    /// `batch_bytes` body bytes in all) is refused whole, `invalid_input` at `deliveries`, before
    /// anything is parsed or stored.
    ///
    /// The outer `Err` means the batch as a whole did not commit (the database failed, or SQLite
    /// rolled the transaction back after a full disk or I/O error): then nothing of the batch is
    /// stored, whatever the slots would have said. The slots' `Ok` outcomes are durable once
    /// this returns `Ok`.
    pub fn ingest_batch(
        &self,
        workspace: &str,
        deliveries: &[Delivery<'_>],
    ) -> Result<Vec<Result<IngestOutcome>>> {
        let started = std::time::Instant::now();
        let r = self.ingest_batch_inner(workspace, deliveries);
        self.count_batch(deliveries, &r, started);
        r
    }

    fn ingest_batch_inner(
        &self,
        workspace: &str,
        deliveries: &[Delivery<'_>],
    ) -> Result<Vec<Result<IngestOutcome>>> {
        // An unknown workspace fails each slot below, as before; its limits are the defaults.
        let limits = match self.settings(workspace) {
            Ok(s) => s.ingest_limits,
            Err(e) if e.kind() == crate::ErrorKind::NotFound => Default::default(),
            Err(e) => return Err(e),
        };
        if deliveries.len() as u64 > u64::from(limits.batch_deliveries) {
            return Err(Error::invalid(
                "deliveries",
                format!(
                    "{} deliveries in one batch is over the workspace's limit of {} (settings.ingest_limits.batch_deliveries)",
                    deliveries.len(),
                    limits.batch_deliveries
                ),
            ));
        }
        let bytes: u64 = deliveries.iter().map(|d| d.body.len() as u64).sum();
        if bytes > limits.batch_bytes {
            return Err(Error::invalid(
                "deliveries",
                format!(
                    "{bytes} body bytes in one batch is over the workspace's limit of {} (settings.ingest_limits.batch_bytes)",
                    limits.batch_bytes
                ),
            ));
        }
        let now = self.now();
        let mut loaded: Vec<(Source, Arc<Loaded>)> = Vec::new();
        let mut prepared = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            if let Err(e) = self.check_size(d.body) {
                prepared.push(Err(e));
                continue;
            }
            let cached = loaded
                .iter()
                .find(|(s, _)| *s == d.source)
                .map(|(_, l)| l.clone());
            let l = match cached {
                Some(l) => Ok(l),
                None => self.load(workspace, d.source).map(|l| {
                    let l = Arc::new(l);
                    loaded.push((d.source, l.clone()));
                    l
                }),
            };
            prepared.push(l.and_then(|l| self.prepare(&l, d.source, d.headers, d.body, now)));
        }
        // Fast path: the whole batch in one transaction without per-delivery savepoints (a
        // savepoint journals every page it touches). Parsing and validation already happened
        // above, so a write fails only on a storage error; if one does, the transaction is rolled
        // back and the batch runs again with a savepoint per delivery, so that the failing
        // delivery alone is dropped (or, if SQLite rolled everything back, the batch fails).
        let mut write_failed = false;
        let fast = self.store.write(|tx| {
            let mut done = Vec::with_capacity(prepared.len());
            for p in &prepared {
                if let Ok(Prepared::Ready(r)) = p {
                    match self.commit_ready(tx, r, None, false) {
                        Ok(o) => done.push(o),
                        Err(e) => {
                            write_failed = true;
                            return Err(e);
                        }
                    }
                }
            }
            Ok(done)
        });
        let committed: Vec<Result<IngestOutcome>> = match fast {
            Ok(done) => done.into_iter().map(Ok).collect(),
            Err(e) if !write_failed => return Err(e),
            Err(_) => self.store.write(|tx| {
                let mut out = Vec::with_capacity(prepared.len());
                for p in &prepared {
                    let Ok(Prepared::Ready(r)) = p else { continue };
                    savepoint(tx, "SAVEPOINT delivery", "starting a delivery's savepoint")?;
                    match self.commit_ready(tx, r, None, false) {
                        Ok(o) => {
                            savepoint(tx, "RELEASE delivery", "releasing a delivery's savepoint")?;
                            out.push(Ok(o));
                        }
                        Err(e) => {
                            if tx.is_autocommit() {
                                // SQLite rolled the whole transaction back (full disk, I/O
                                // error): nothing of the batch is stored.
                                return Err(e);
                            }
                            let undo = "rolling back a delivery's savepoint";
                            savepoint(tx, "ROLLBACK TO delivery", undo)?;
                            savepoint(tx, "RELEASE delivery", undo)?;
                            out.push(Err(e));
                        }
                    }
                }
                Ok(out)
            })?,
        };
        let mut committed = committed.into_iter();
        let mut out = Vec::with_capacity(prepared.len());
        for p in prepared {
            out.push(match p {
                Ok(Prepared::Ready(_)) => committed
                    .next()
                    .unwrap_or_else(|| Err(Error::Internal("a batch slot has no outcome".into()))),
                Ok(Prepared::Ignored(o)) => Ok(o),
                Err(e) => Err(e),
            });
        }
        Ok(out)
    }

    fn ingest_with(
        &self,
        workspace: &str,
        source: Source,
        headers: &Headers,
        body: &[u8],
        rules: Option<&RuleSet>,
        dry: bool,
    ) -> Result<IngestOutcome> {
        self.check_size(body)?;
        let now = self.now();
        let mut loaded = self.load(workspace, source)?;
        if dry {
            loaded.config.secret = None;
        }
        let ready = match self.prepare(&loaded, source, headers, body, now)? {
            Prepared::Ignored(outcome) => return Ok(outcome),
            Prepared::Ready(r) => r,
        };
        // A dry run answers "why" at once: its trace is worded in full.
        let run = |tx: &Connection| self.commit_ready(tx, &ready, rules, dry);
        if dry {
            self.store.write_rollback(run)
        } else {
            self.store.write(run)
        }
    }

    /// Refuses a body over the size limit (before anything is read or parsed).
    fn check_size(&self, body: &[u8]) -> Result<()> {
        if body.len() > self.max_body_bytes {
            return Err(Error::TooLarge(format!(
                "body: {} bytes is over the limit of {} bytes",
                body.len(),
                self.max_body_bytes
            )));
        }
        Ok(())
    }

    /// What ingest reads before parsing: the workspace, the source's settings, the dedup policy.
    fn load(&self, workspace: &str, source: Source) -> Result<Loaded> {
        let (ws, config, settings) = self.read_in(workspace, |tx, ws| {
            let (config, settings) = load_rows(tx, ws, source)?;
            Ok((ws.clone(), config, settings))
        })?;
        self.loaded(ws, source, config, settings)
    }

    /// What [`Engine::load`] makes of the rows it read: the secret opened, the source's dedup
    /// policy applied.
    fn loaded(
        &self,
        ws: Workspace,
        source: Source,
        mut config: IntegrationConfig,
        mut settings: WorkspaceSettings,
    ) -> Result<Loaded> {
        let opened = match config.secret.as_deref() {
            Some(s) if crate::secrets::is_sealed(s) => Some(self.secret_box()?.open(s)?),
            _ => None,
        };
        if opened.is_some() {
            config.secret = opened;
        }
        settings.dedup = sources::dedup_policy(source, &config, settings.dedup);
        Ok(Loaded {
            ws,
            config,
            settings,
        })
    }

    /// Verifies and parses one delivery (pure: nothing is written).
    fn prepare<'b>(
        &self,
        loaded: &Loaded,
        source: Source,
        headers: &Headers,
        body: &'b [u8],
        now: DateTime<Utc>,
    ) -> Result<Prepared<'b>> {
        let parsed = sources::parse(
            source,
            &SourceInput {
                workspace: &loaded.ws.id,
                config: &loaded.config,
                headers,
                body,
                now,
            },
        )?;
        let (delivery_id, alerts, notes, mut alert_notes, signed) = match parsed {
            Parsed::Ignored { reason } => {
                return Ok(Prepared::Ignored(IngestOutcome {
                    outcome: Outcome::Ignored,
                    reason: Some(reason),
                    source,
                    alerts: Vec::new(),
                    notes: Vec::new(),
                }));
            }
            Parsed::Alerts {
                delivery_id,
                alerts,
                notes,
                alert_notes,
                signed,
            } => (delivery_id, alerts, notes, alert_notes, signed),
        };
        let cap = loaded.settings.ingest_limits.alerts_per_delivery;
        if alerts.len() as u64 > u64::from(cap) {
            return Err(Error::invalid(
                "alerts",
                format!(
                    "{} alerts in one delivery is over the workspace's limit of {cap} (settings.ingest_limits.alerts_per_delivery)",
                    alerts.len()
                ),
            ));
        }
        if alerts.len() == 1 && alert_notes.is_empty() && !notes.is_empty() {
            // one alert: the delivery's notes are its own
            alert_notes.insert(0, notes.clone());
        }
        let replay = signed.map(|digest| Replay {
            digest,
            keep_secs: loaded
                .settings
                .replay
                .keep_secs(loaded.config.max_skew_secs),
        });
        Ok(Prepared::Ready(Box::new(Ready {
            ws: loaded.ws.id.clone(),
            settings: loaded.settings.clone(),
            source,
            now,
            delivery_id,
            alerts,
            notes,
            alert_notes,
            replay,
            headers: redacted_headers(&loaded.config, headers)?,
            body: sources::redact_body(source, body),
            broadcast: true,
        })))
    }

    /// Writes one parsed delivery inside `tx`.
    fn commit_ready(
        &self,
        tx: &Connection,
        r: &Ready<'_>,
        rules: Option<&RuleSet>,
        word: bool,
    ) -> Result<IngestOutcome> {
        let routing = self.routing_for(tx, &r.ws, &r.settings)?;
        let ctx = IngestCtx {
            tx,
            ws: &r.ws,
            settings: &r.settings,
            routing: routing.context(rules),
            rule_set: if rules.is_some() {
                None
            } else {
                routing.rule_set
            },
            word: word || rules.is_some(),
            source: r.source,
            now: r.now,
            notes: &r.notes,
            broadcast: r.broadcast,
            alert_notes: &r.alert_notes,
        };
        ctx.run(r, &r.headers, &r.body)
    }

    /// Like [`Engine::ingest`], with the source picked from the headers and body by
    /// [`sources::detect`]; when nothing matches and the workspace has a `generic` mapping, the
    /// generic source. The outcome's `source` says which, and its first note says why.
    /// Unrecognized payloads are `invalid_input` and nothing is stored.
    pub fn ingest_auto(
        &self,
        workspace: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<IngestOutcome> {
        if body.len() > self.max_body_bytes {
            // Same answer as `ingest`, before spending time parsing the body.
            return self.ingest(workspace, Source::Generic, headers, body);
        }
        let (source, why) = self
            .detect_source(workspace, headers, body)
            .inspect_err(|e| self.count_auto_error(e))?;
        let mut out = self.ingest(workspace, source, headers, body)?;
        out.notes.insert(0, format!("auto: {source} ({why})"));
        Ok(out)
    }

    /// The source `auto` picks for a delivery, and why: [`sources::detect`], else the generic
    /// source when the workspace has a generic mapping, else `invalid_input`.
    fn detect_source(
        &self,
        workspace: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<(Source, String)> {
        let doc = crate::json::parse_body(body)?;
        Ok(match sources::detect(headers, &doc) {
            Some(found) => found,
            None => {
                let generic = self.read_in(workspace, |tx, ws| {
                    store::workspaces::integration(tx, &ws.id, Source::Generic)
                })?;
                if generic.options.is_null() {
                    return Err(Error::invalid(
                        "$",
                        "auto: cannot tell the source from the headers or the body shape (known: sentry, alertmanager, grafana, datadog, pagerduty, opsgenie; set a generic mapping for anything else)",
                    ));
                }
                (
                    Source::Generic,
                    "no known shape; the workspace has a generic mapping".to_string(),
                )
            }
        })
    }

    // ---- queries ----------------------------------------------------------------------------

    /// The workspace's changes after `since` (a sequence number; 0, the default, is from the
    /// first change kept), in order, at most `limit` (1 to 1000, default 100), with the
    /// workspace's latest sequence number. Sequence numbers are strictly increasing and
    /// assigned at commit, so a poller that asks again with the last seq it saw misses nothing,
    /// whichever process wrote.
    pub fn changes(
        &self,
        workspace: &str,
        since: Option<i64>,
        limit: Option<u32>,
    ) -> Result<crate::changes::ChangePage> {
        let since = crate::changes::since(since)?;
        let limit = crate::changes::limit(limit)?;
        self.read_in(workspace, |tx, ws| {
            Ok(crate::changes::ChangePage {
                changes: store::changes::after(tx, &ws.id, since, limit)?,
                last_seq: store::changes::last_seq(tx, &ws.id)?,
            })
        })
    }

    /// A page of a workspace's groups, newest activity first.
    pub fn groups(&self, workspace: &str, query: &GroupQuery) -> Result<GroupPage> {
        self.read_in(workspace, |tx, ws| store::groups::page(tx, &ws.id, query))
    }

    /// One group with the first page of its events and of its timeline, newest first (see
    /// [`Engine::group_events`] and [`Engine::group_timeline`] for the rest): bounded work
    /// however many events the group has.
    pub fn group(&self, workspace: &str, id: &str) -> Result<GroupDetail> {
        self.read_in(workspace, |tx, ws| {
            let rec = store::groups::get(tx, &ws.id, id)?;
            let events = events_page(tx, &ws.id, &rec.group.id, None, None)?;
            let timeline = timeline_page(tx, &rec.group.id, None, None)?;
            Ok(GroupDetail {
                group: rec.group,
                events: events.items,
                events_next: events.next,
                timeline: timeline.items,
                timeline_next: timeline.next,
            })
        })
    }
}

/// A page of a group's events, newest first, their traces worded.
pub(crate) fn events_page(
    tx: &Connection,
    ws: &WorkspaceId,
    group: &GroupId,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<ItemPage<StoredEvent>> {
    let limit = ItemCursor::limit(limit)?;
    let before = cursor
        .map(|c| ItemCursor::decode(ItemList::Events, c))
        .transpose()?;
    let (rows, more) = store::events::group_page(tx, group, before, limit)?;
    let next = more
        .then(|| {
            rows.last()
                .map(|(seq, _)| ItemCursor::encode(ItemList::Events, *seq))
        })
        .flatten();
    let mut items: Vec<StoredEvent> = rows.into_iter().map(|(_, e)| e).collect();
    word_traces(tx, ws, &mut items)?;
    Ok(ItemPage { items, next })
}

/// A page of a group's timeline, newest first.
pub(crate) fn timeline_page(
    tx: &Connection,
    group: &GroupId,
    cursor: Option<&str>,
    limit: Option<u32>,
) -> Result<ItemPage<TimelineEntry>> {
    let limit = ItemCursor::limit(limit)?;
    let before = cursor
        .map(|c| ItemCursor::decode(ItemList::Timeline, c))
        .transpose()?;
    let (rows, more) = store::groups::timeline_page(tx, group, before, limit)?;
    let next = more
        .then(|| {
            rows.last()
                .map(|(seq, _)| ItemCursor::encode(ItemList::Timeline, *seq))
        })
        .flatten();
    Ok(ItemPage {
        items: rows.into_iter().map(|(_, t)| t).collect(),
        next,
    })
}

/// The rows ingest reads before parsing: the source's integration and the workspace's settings.
fn load_rows(
    tx: &Connection,
    ws: &Workspace,
    source: Source,
) -> Result<(IntegrationConfig, WorkspaceSettings)> {
    Ok((
        store::workspaces::integration(tx, &ws.id, source)?,
        store::workspaces::settings(tx, &ws.id)?,
    ))
}

/// Words the routing part of stored traces (ingest keeps them compact, see
/// [`routing::StoredRouteTrace`]) against the rule sets that routed each event. Traces stored
/// before that (already worded) are left as they are.
fn word_traces(tx: &Connection, ws: &WorkspaceId, events: &mut [StoredEvent]) -> Result<()> {
    let mut sets: BTreeMap<Option<i64>, RuleSet> = BTreeMap::new();
    for e in events.iter_mut() {
        let Some(routing) = e.trace.get("routing") else {
            continue;
        };
        if routing.get("positions").is_none() {
            continue;
        }
        let stored: routing::StoredRouteTrace = serde_json::from_value(routing.clone())
            .map_err(|err| Error::Internal(format!("stored route trace of {}: {err}", e.id)))?;
        let alert: NormalizedAlert = serde_json::from_value(e.alert.clone())
            .map_err(|err| Error::Internal(format!("stored alert of {}: {err}", e.id)))?;
        let rules = match sets.entry(stored.rule_set) {
            std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::btree_map::Entry::Vacant(v) => v.insert(match stored.rule_set {
                Some(seq) => store::routing::rule_set(tx, ws, seq)?,
                None => RuleSet::default(),
            }),
        };
        let mut worded = serde_json::to_value(stored.explain(rules, &alert))
            .map_err(|err| Error::Internal(format!("serializing a route trace: {err}")))?;
        if let Some(m) = worded.as_object_mut() {
            m.insert("rule_set".into(), json!(stored.rule_set));
        }
        if let Some(t) = e.trace.as_object_mut() {
            t.insert("routing".into(), worded);
        }
    }
    Ok(())
}

/// Every channel the rules name exists, once the workspace has channels.
fn check_rule_channels(tx: &Connection, ws: &WorkspaceId, rules: &RuleSet) -> Result<()> {
    let channels = store::outbox::channel_names(tx, ws)?;
    if channels.is_empty() {
        return Ok(());
    }
    let mut errors = routing::FieldErrors::default();
    for r in rules.rules() {
        for c in r.then.notify.iter().filter(|c| !channels.contains(c)) {
            errors.push(
                format!("rules[id={}].then.notify", r.id),
                format!("no channel named {c:?} (channels: {})", channels.join(", ")),
            );
        }
    }
    errors.into_result()
}

/// What an ingest decision means to routing.
fn route_event(decision: &str) -> RouteEvent {
    match decision {
        "new_group" | "reopened" => RouteEvent::Opened,
        "joined" => RouteEvent::Joined,
        "resolved" => RouteEvent::Resolved,
        _ => RouteEvent::Other,
    }
}

fn parse_route(route: Option<&str>, what: &str) -> Result<RouteDecision> {
    match route {
        None => Ok(RouteDecision::default()),
        Some(r) => serde_json::from_str(r)
            .map_err(|e| Error::Internal(format!("stored route of {what} does not parse: {e}"))),
    }
}

fn view(
    ws: WorkspaceId,
    source: Source,
    c: &IntegrationConfig,
    keys: Vec<crate::accounts::IngestKeyView>,
) -> IntegrationView {
    IntegrationView {
        workspace: ws,
        source,
        has_secret: c.secret.is_some(),
        max_skew_secs: c.max_skew_secs,
        options: c.options.clone(),
        keys,
    }
}

/// Runs a savepoint statement (cached: a batch runs two per delivery).
fn savepoint(tx: &Connection, sql: &str, what: &'static str) -> Result<()> {
    tx.prepare_cached(sql)
        .and_then(|mut s| s.execute([]))
        .map(|_| ())
        .map_err(Error::storage(what))
}

/// The headers as stored: credentials redacted (see [`sources::redact`]).
fn redacted_headers(config: &IntegrationConfig, headers: &Headers) -> Result<String> {
    let pairs: Vec<(&str, std::borrow::Cow<'_, str>)> = headers
        .iter()
        .map(|(n, v)| {
            if sources::redact::is_credential_header(config, n) {
                (n, std::borrow::Cow::Borrowed(sources::redact::REDACTED))
            } else {
                (n, sources::redact::redact_header_value(v))
            }
        })
        .collect();
    to_json(&pairs)
}

/// One ingest's state inside its transaction.
struct IngestCtx<'a> {
    tx: &'a Connection,
    ws: &'a WorkspaceId,
    settings: &'a WorkspaceSettings,
    routing: RoutingContext<'a>,
    /// The routing rules' row in the rule history (`None` for rules given to a dry run).
    rule_set: Option<i64>,
    /// Word the routing trace now (dry runs) instead of storing it compactly.
    word: bool,
    source: Source,
    now: DateTime<Utc>,
    /// The delivery's notes (the outcome's).
    notes: &'a [String],
    /// Each alert's own notes (its event's trace).
    alert_notes: &'a BTreeMap<usize, Vec<String>>,
    /// See [`Ready::broadcast`].
    broadcast: bool,
}

/// One webhook delivery of an [`Engine::ingest_batch`]: what [`Engine::ingest`] takes.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// Which source sent it.
    pub source: Source,
    /// The request headers.
    pub headers: &'a Headers,
    /// The raw body, unchanged.
    pub body: &'a [u8],
}

/// What ingest read about a workspace and source before parsing.
struct Loaded {
    ws: Workspace,
    config: IntegrationConfig,
    settings: WorkspaceSettings,
}

/// A delivery parsed and ready to be written.
enum Prepared<'b> {
    Ignored(IngestOutcome),
    Ready(Box<Ready<'b>>),
}

/// A parsed delivery: everything the write needs.
struct Ready<'b> {
    ws: WorkspaceId,
    settings: WorkspaceSettings,
    source: Source,
    now: DateTime<Utc>,
    delivery_id: Option<String>,
    alerts: Vec<NormalizedAlert>,
    notes: Vec<String>,
    alert_notes: BTreeMap<usize, Vec<String>>,
    /// A verified signed message, to refuse its replay.
    replay: Option<Replay>,
    headers: String,
    /// The body as stored: known secrets redacted.
    body: std::borrow::Cow<'b, [u8]>,
    /// Its notifications may ping broadly (`@here`): false for an unauthenticated delivery,
    /// unless the workspace allows it.
    broadcast: bool,
}

impl Prepared<'_> {
    /// Marks a delivery accepted without a signature or a key: its notifications ping nobody
    /// broadly unless the workspace's `notifications.allow_unauthenticated_mentions` says so.
    fn unauthenticated(&mut self) {
        if let Prepared::Ready(r) = self {
            r.broadcast = r.settings.notifications.allow_unauthenticated_mentions;
        }
    }
}

/// A verified signed message of a delivery.
struct Replay {
    digest: [u8; 32],
    /// How long its digest is kept.
    keep_secs: u64,
}

/// What one alert did to one group, before it is written as an event.
struct Applied {
    decision: IngestDecision,
    /// The group's status before this event (none for a new group).
    from: Option<GroupStatus>,
    group: Option<AlertGroup>,
    dedup: DedupOutcome,
}

impl IngestCtx<'_> {
    fn actor(&self) -> String {
        format!("source:{}", self.source)
    }

    fn run(&self, r: &Ready<'_>, headers: &str, body: &[u8]) -> Result<IngestOutcome> {
        let delivery_id = r.delivery_id.as_deref();
        let alerts = &r.alerts;
        let mut outcome = IngestOutcome {
            outcome: Outcome::Accepted,
            reason: None,
            source: self.source,
            alerts: Vec::new(),
            notes: self.notes.to_vec(),
        };
        if let Some(id) = delivery_id
            && let Some(at) = store::events::delivery_seen(self.tx, self.ws, self.source, id)?
        {
            outcome.outcome = Outcome::Duplicate;
            outcome.reason = Some(format!(
                "delivery {id:?} was already ingested at {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ));
            return Ok(outcome);
        }
        // A dry run (the only caller that words its trace) neither checks nor remembers: it
        // stores nothing and may test a body already received.
        if let Some(replay) = r.replay.as_ref().filter(|_| !self.word) {
            if let Some(at) =
                store::events::signed_seen(self.tx, self.ws, self.source, &replay.digest, self.now)?
            {
                outcome.outcome = Outcome::Duplicate;
                outcome.reason = Some(format!(
                    "this signed body was already received at {} (a replay is answered as a duplicate, whatever its delivery id)",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                ));
                return Ok(outcome);
            }
            let keep = chrono::TimeDelta::seconds(replay.keep_secs.min(i64::MAX as u64) as i64);
            store::events::remember_signed(
                self.tx,
                self.ws,
                self.source,
                &replay.digest,
                self.now,
                self.now + keep,
            )?;
        }
        let mut fresh = Vec::with_capacity(alerts.len());
        let mut seen_here: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (index, alert) in alerts.iter().enumerate() {
            if let Some(eid) = &alert.source_event_id {
                if seen_here.contains(eid.as_str())
                    || store::events::source_event_seen(self.tx, self.ws, self.source, eid)?
                {
                    outcome.alerts.push(IngestedAlert {
                        group_id: None,
                        event_id: None,
                        decision: IngestDecision::Duplicate,
                        status: None,
                        count: 0,
                        severity: alert.severity,
                        fingerprint: alert.fingerprint.clone(),
                        title: alert.title.clone(),
                        route: None,
                        trace: json!({"idempotency": format!("event id {eid:?} was already ingested")}),
                    });
                    continue;
                }
                seen_here.insert(eid);
            }
            fresh.push((index, alert));
        }
        if fresh.is_empty() {
            outcome.outcome = Outcome::Duplicate;
            outcome.reason = Some(if outcome.alerts.is_empty() {
                "the delivery holds no alerts".into()
            } else {
                "every alert's event id was already ingested".into()
            });
            return Ok(outcome);
        }
        let request_seq = store::events::insert_request(
            self.tx,
            self.ws,
            &store::events::NewRequest {
                source: self.source,
                delivery_id,
                received_at: self.now,
                headers,
                body,
            },
        )?;
        for (position, (index, alert)) in fresh.into_iter().enumerate() {
            let own = self.alert_notes.get(&index).map_or(&[][..], Vec::as_slice);
            let mut entries = self.apply(alert, own, request_seq, position)?;
            outcome.alerts.append(&mut entries);
        }
        Ok(outcome)
    }

    /// Applies one alert: decides, writes the group(s), the event(s) and the timeline.
    fn apply(
        &self,
        alert: &NormalizedAlert,
        notes: &[String],
        request_seq: i64,
        index: usize,
    ) -> Result<Vec<IngestedAlert>> {
        let inputs = GroupKeyInputs::of(alert);
        let key = fingerprint::group_key(&inputs).to_hex();
        let applied: Vec<Applied> = match (&alert.action, alert.status) {
            (Some(action), _) => self.apply_action(alert, &key, action)?,
            (None, AlertStatus::Resolved) => self.apply_resolve(alert, &key)?,
            (None, AlertStatus::Firing) => vec![self.apply_firing(alert, &key)?],
        };
        let alert_json = to_json(alert)?;
        let mut out = Vec::with_capacity(applied.len());
        for (sub, mut a) in applied.into_iter().enumerate() {
            let (route, route_trace, escalation) = self.route(alert, &mut a)?;
            let severity = match (route.set_severity, alert.status) {
                (Some(s), AlertStatus::Firing) => s,
                _ => alert.severity,
            };
            let event_id = format!(
                "evt_{}",
                short_hash(
                    "signalcraft event id v1",
                    &[
                        self.ws.as_str().as_bytes(),
                        &request_seq.to_le_bytes(),
                        &(index as u64).to_le_bytes(),
                        &(sub as u64).to_le_bytes(),
                    ]
                )
            );
            let trace = json!({
                "source": self.source,
                "notes": notes,
                "group_key": {
                    "context": GROUP_KEY_CONTEXT_V1,
                    "workspace": inputs.workspace,
                    "source": inputs.source,
                    "project": inputs.project,
                    "environment": inputs.environment,
                    "fingerprint": inputs.fingerprint,
                    "key": key,
                },
                "match_scope": alert.scope,
                "dedup": {
                    "decision": a.dedup.decision,
                    "reason": a.dedup.reason,
                    "policy": self.settings.dedup,
                },
                "routing": if self.word {
                    serde_json::to_value(route_trace.explain(self.routing.rules, alert))
                } else {
                    serde_json::to_value(route_trace.stored(self.rule_set, self.routing.rules))
                }
                .map_err(|e| Error::Internal(format!("serializing a route trace: {e}")))?,
                "escalation": escalation,
            });
            let route_text = to_json(&route)?;
            let trace_text = to_json(&trace)?;
            store::events::insert_event(
                self.tx,
                self.ws,
                &store::events::NewEvent {
                    id: &event_id,
                    request_seq,
                    group_id: a.group.as_ref().map(|g| &g.id),
                    source: self.source,
                    // One source event may touch several groups; its id is kept on the first.
                    source_event_id: if sub == 0 {
                        alert.source_event_id.as_deref()
                    } else {
                        None
                    },
                    decision: a.decision.as_str(),
                    status: alert.status.as_str(),
                    severity,
                    title: &alert.title,
                    received_at: self.now,
                    occurred_at: alert.occurred_at,
                    alert: &alert_json,
                    trace: &trace_text,
                    route: Some(&route_text),
                },
            )?;
            if let Some(entry) = self.timeline_entry(alert, &a)
                && let Some(g) = &a.group
            {
                store::groups::add_timeline(self.tx, self.ws, &g.id, &entry)?;
            }
            if let (Some(kind), Some(g)) = (crate::changes::ingest_kind(a.decision), &a.group) {
                store::changes::append(self.tx, self.ws, &g.id, kind, g.status, self.now)?;
            }
            out.push(IngestedAlert {
                group_id: a.group.as_ref().map(|g| g.id.clone()),
                event_id: Some(event_id),
                decision: a.decision,
                status: a.group.as_ref().map(|g| g.status),
                count: a.group.as_ref().map_or(0, |g| g.count),
                severity,
                fingerprint: alert.fingerprint.clone(),
                title: alert.title.clone(),
                route: Some(route),
                trace,
            });
        }
        Ok(out)
    }

    /// Routes one applied event: evaluates the rules against the group's notification state,
    /// moves that state on, and applies a rule's `set_severity` to the group.
    fn route(
        &self,
        alert: &NormalizedAlert,
        a: &mut Applied,
    ) -> Result<(RouteDecision, routing::RouteTrace, serde_json::Value)> {
        let event = route_event(a.decision.as_str());
        let mut channels = match &a.group {
            Some(g) => store::routing::channel_state(self.tx, &g.id)?,
            None => BTreeMap::new(),
        };
        let mut escalation = serde_json::Value::Null;
        if let (Some(g), RouteEvent::Resolved) = (&a.group, event) {
            // A firing still held by group_wait never went out: cancel it, and send no resolve.
            for c in store::lifecycle::cancel_held_firing(self.tx, &g.id, self.now)? {
                if let Some(st) = channels.get_mut(&c) {
                    st.firing_sent = false;
                }
            }
            act::escalation_follows(
                self.tx,
                self.ws,
                &g.id,
                a.from.unwrap_or(GroupStatus::Open),
                GroupStatus::Resolved,
                self.now,
            )?;
        }
        let (route, trace) = routing::evaluate(
            &self.routing,
            alert,
            &GroupContext {
                event,
                channels: &channels,
            },
            self.now,
        );
        if let Some(g) = &mut a.group {
            if let (Some(sev), RouteEvent::Opened | RouteEvent::Joined) =
                (route.set_severity, event)
                && g.severity != sev
            {
                g.severity = sev;
                store::routing::set_group_severity(self.tx, &g.id, sev.rank())?;
            }
            if event == RouteEvent::Resolved || !route.notify.is_empty() {
                advance_state(&mut channels, event, &route, self.now);
                store::routing::save_channel_state(self.tx, &g.id, &channels)?;
            }
            let kind = if event == RouteEvent::Resolved {
                "resolved"
            } else {
                "firing"
            };
            let not_before = if event == RouteEvent::Opened {
                self.now + chrono::TimeDelta::seconds(route.group_wait_secs.min(86_400) as i64)
            } else {
                self.now
            };
            for c in &route.notify {
                let mut payload = json!({
                    "group": g, "alert": alert, "decision": a.decision, "mention": route.mention,
                });
                if !self.broadcast {
                    payload["broadcast"] = false.into();
                }
                store::lifecycle::enqueue(
                    self.tx,
                    self.ws,
                    &store::lifecycle::NewNotification {
                        group: Some(&g.id),
                        channel: c,
                        kind,
                        payload: &payload,
                        not_before,
                    },
                    self.now,
                )?;
            }
            if event == RouteEvent::Opened {
                escalation = self.start_escalation(g, &route)?;
            }
        }
        Ok((route, trace, escalation))
    }

    /// A group that opens (or reopens) under a route naming a policy starts escalating, unless
    /// its notifications are suppressed.
    fn start_escalation(&self, g: &AlertGroup, route: &RouteDecision) -> Result<serde_json::Value> {
        let Some(name) = &route.escalation else {
            return Ok(serde_json::Value::Null);
        };
        if let Some(by) = &route.suppressed_by {
            return Ok(
                json!({"policy": name, "started": false, "reason": format!("suppressed by {by}")}),
            );
        }
        let Some(policy) = store::lifecycle::policy(self.tx, self.ws, name)? else {
            return Ok(
                json!({"policy": name, "started": false, "reason": "no escalation policy by that name"}),
            );
        };
        let e = crate::escalation::Escalation::start(name, &policy, self.now);
        store::lifecycle::save_escalation(self.tx, self.ws, &g.id, &e)?;
        Ok(json!({"policy": name, "started": true, "due_at": e.due_at}))
    }

    fn timeline_entry(&self, alert: &NormalizedAlert, a: &Applied) -> Option<TimelineEntry> {
        let g = a.group.as_ref()?;
        let (command, from, detail) = match a.decision {
            IngestDecision::NewGroup => ("open", None, json!({"fingerprint": alert.fingerprint})),
            IngestDecision::Reopened => (
                "reopen",
                Some(GroupStatus::Resolved),
                json!({"reopen_count": g.reopen_count}),
            ),
            IngestDecision::Resolved => ("resolve", a.from, serde_json::Value::Null),
            IngestDecision::Assigned => ("assign", Some(g.status), json!({"assignee": g.assignee})),
            // An acknowledgement writes its own entry (it knows the status it changed from).
            IngestDecision::Acknowledged
            | IngestDecision::Joined
            | IngestDecision::Unmatched
            | IngestDecision::Duplicate => {
                return None;
            }
        };
        Some(TimelineEntry {
            at: self.now,
            actor: self.actor(),
            command: command.into(),
            from,
            to: Some(g.status),
            detail,
        })
    }

    fn targets(&self, alert: &NormalizedAlert, key: &str) -> Result<Vec<GroupRecord>> {
        match alert.scope {
            MatchScope::GroupKey => store::groups::unresolved_by_key(self.tx, self.ws, key),
            MatchScope::Fingerprint => store::groups::unresolved_by_fingerprint(
                self.tx,
                self.ws,
                alert.source.as_str(),
                &alert.fingerprint,
            ),
        }
    }

    fn scope_words(alert: &NormalizedAlert) -> &'static str {
        match alert.scope {
            MatchScope::GroupKey => "group key",
            MatchScope::Fingerprint => "fingerprint",
        }
    }

    fn unmatched(alert: &NormalizedAlert, what: &str) -> Applied {
        Applied {
            decision: IngestDecision::Unmatched,
            from: None,
            group: None,
            dedup: DedupOutcome {
                decision: DedupDecision::Unmatched,
                reason: format!(
                    "{what}: no unresolved group with this {}",
                    Self::scope_words(alert)
                ),
            },
        }
    }

    fn apply_resolve(&self, alert: &NormalizedAlert, key: &str) -> Result<Vec<Applied>> {
        let targets = self.targets(alert, key)?;
        if targets.is_empty() {
            return Ok(vec![Self::unmatched(alert, "resolve")]);
        }
        let n = targets.len();
        targets
            .into_iter()
            .map(|mut rec| {
                let from = rec.group.status;
                rec.group.status = GroupStatus::Resolved;
                rec.group.resolved_at = Some(self.now);
                rec.group.snoozed_until = None;
                rec.group.last_activity = self.now;
                store::groups::update(self.tx, &rec)?;
                Ok(Applied {
                    decision: IngestDecision::Resolved,
                    from: Some(from),
                    dedup: DedupOutcome {
                        decision: DedupDecision::Resolved,
                        reason: format!(
                            "the source resolved {n} unresolved group(s) with this {}; this one was {from}",
                            Self::scope_words(alert)
                        ),
                    },
                    group: Some(rec.group),
                })
            })
            .collect()
    }

    fn apply_action(
        &self,
        alert: &NormalizedAlert,
        key: &str,
        action: &SourceAction,
    ) -> Result<Vec<Applied>> {
        let assignee = match action {
            SourceAction::Assign { assignee } => assignee,
            SourceAction::Acknowledge => return self.apply_acknowledge(alert, key),
        };
        let targets = self.targets(alert, key)?;
        if targets.is_empty() {
            return Ok(vec![Self::unmatched(alert, "assignment")]);
        }
        targets
            .into_iter()
            .map(|mut rec| {
                rec.group.assignee = assignee.clone();
                rec.group.last_activity = self.now;
                store::groups::update(self.tx, &rec)?;
                Ok(Applied {
                    decision: IngestDecision::Assigned,
                    from: Some(rec.group.status),
                    dedup: DedupOutcome {
                        decision: DedupDecision::Joined,
                        reason: "assignment from the source; the count does not change".into(),
                    },
                    group: Some(rec.group),
                })
            })
            .collect()
    }

    /// A source's acknowledgement: the unresolved groups it matches become `acknowledged`, each
    /// with an `ack` timeline entry (a group already acknowledged is left as it is).
    fn apply_acknowledge(&self, alert: &NormalizedAlert, key: &str) -> Result<Vec<Applied>> {
        let targets = self.targets(alert, key)?;
        if targets.is_empty() {
            return Ok(vec![Self::unmatched(alert, "acknowledgement")]);
        }
        targets
            .into_iter()
            .map(|mut rec| {
                let from = rec.group.status;
                let changed = act::transition(
                    self.tx,
                    self.ws,
                    &mut rec,
                    &crate::lifecycle::Command::Ack,
                    &self.actor(),
                    self.now,
                    json!({"fingerprint": alert.fingerprint}),
                )?;
                let reason = if changed {
                    format!("acknowledgement from the source; the group was {from}")
                } else {
                    "acknowledgement from the source; the group was already acknowledged".into()
                };
                Ok(Applied {
                    decision: IngestDecision::Acknowledged,
                    from: Some(from),
                    dedup: DedupOutcome {
                        decision: DedupDecision::Joined,
                        reason,
                    },
                    group: Some(rec.group),
                })
            })
            .collect()
    }

    fn apply_firing(&self, alert: &NormalizedAlert, key: &str) -> Result<Applied> {
        let latest = store::groups::latest_by_key(self.tx, self.ws, key)?;
        let snapshot = latest.as_ref().map(|r| GroupSnapshot {
            status: r.group.status,
            window_start: r.window_start,
            last_seen: r.group.last_seen,
            resolved_at: r.group.resolved_at,
        });
        let d = dedup::decide(
            &self.settings.dedup,
            snapshot.as_ref(),
            AlertStatus::Firing,
            self.now,
        );
        let now = self.now;
        let from = latest.as_ref().map(|r| r.group.status);
        let (decision, group) = match (d.decision, latest) {
            (DedupDecision::Joined, Some(mut rec)) => {
                take_latest(&mut rec.group, alert);
                rec.group.count += 1;
                rec.group.last_seen = now;
                rec.group.last_activity = now;
                store::groups::update(self.tx, &rec)?;
                (IngestDecision::Joined, rec.group)
            }
            (DedupDecision::Reopened, Some(mut rec)) => {
                take_latest(&mut rec.group, alert);
                rec.group.status = GroupStatus::Open;
                rec.group.count += 1;
                rec.group.reopen_count += 1;
                rec.group.last_seen = now;
                rec.group.last_activity = now;
                rec.group.resolved_at = None;
                rec.group.acknowledged_at = None;
                rec.group.snoozed_until = None;
                rec.window_start = now;
                store::groups::update(self.tx, &rec)?;
                (IngestDecision::Reopened, rec.group)
            }
            (DedupDecision::NewGroup, _) => (IngestDecision::NewGroup, self.new_group(alert, key)?),
            (other, _) => {
                return Err(Error::Internal(format!(
                    "dedup answered {other:?} for a firing event"
                )));
            }
        };
        Ok(Applied {
            decision,
            from: if decision == IngestDecision::NewGroup {
                None
            } else {
                from
            },
            group: Some(group),
            dedup: d,
        })
    }

    fn new_group(&self, alert: &NormalizedAlert, key: &str) -> Result<AlertGroup> {
        let mut attempt: u32 = 0;
        // Time first (milliseconds, 11 hex digits), then 9 hex digits of a hash: ids of new
        // groups sort after older ones, so every index keyed by group id (groups, events,
        // timeline, outbox, channel state) grows at its end instead of at a random page.
        let id = loop {
            let hash = short_hash(
                "signalcraft group id v1",
                &[
                    self.ws.as_str().as_bytes(),
                    key.as_bytes(),
                    &self.now.timestamp_millis().to_le_bytes(),
                    &attempt.to_le_bytes(),
                ],
            );
            let id = format!(
                "grp_{:011x}{}",
                self.now.timestamp_millis().max(0),
                &hash[..9]
            );
            if !store::groups::id_exists(self.tx, &id)? {
                break id;
            }
            attempt += 1;
        };
        let g = AlertGroup {
            id: GroupId(id),
            group_key: key.to_string(),
            source: alert.source,
            project: alert.project.clone(),
            environment: alert.environment.clone(),
            severity: alert.severity,
            status: GroupStatus::Open,
            title: alert.title.clone(),
            message: alert.message.clone(),
            fingerprint: alert.fingerprint.clone(),
            link: alert.link.clone(),
            tags: alert.tags.clone(),
            assignee: None,
            count: 1,
            reopen_count: 0,
            first_seen: self.now,
            last_seen: self.now,
            last_activity: self.now,
            resolved_at: None,
            snoozed_until: None,
            acknowledged_at: None,
            runbook: None,
        };
        store::groups::insert(self.tx, self.ws, &g, self.now)?;
        Ok(g)
    }
}

/// A firing event brings the group's descriptive fields up to date.
fn take_latest(g: &mut AlertGroup, alert: &NormalizedAlert) {
    g.severity = alert.severity;
    g.title = alert.title.clone();
    g.message = alert.message.clone();
    g.tags = alert.tags.clone();
    if alert.link.is_some() {
        g.link = alert.link.clone();
    }
}
