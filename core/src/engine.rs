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
mod ingest;
pub use ingest::Delivery;
use ingest::{Prepared, Ready, redacted_headers};
mod metrics;
mod monitors;
mod samples;
mod slack;
mod slack_oauth;
mod stats;
mod tick;
mod webhook;

use crate::store::db::Conn;
pub use act::{Actor, MAX_ACT_MANY};
use chrono::{DateTime, Utc};
pub use deliver::{DispatchReport, Readiness};
pub use monitors::{AppView, HistoryPoint, MAX_CONCURRENT_CHECKS, MonitorState};
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
    /// A `postgres://` URL.
    Postgres(String),
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
            .field(
                "location",
                &match &self.location {
                    Location::Postgres(url) => Location::Postgres(store::pg::redact_url(url)),
                    Location::Path(p) => Location::Path(p.clone()),
                    Location::InMemory => Location::InMemory,
                },
            )
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

    /// Stores in the database `target` names: a `postgres://` or `postgresql://` URL is a
    /// PostgreSQL database (shared by every engine that opens it: see the README's operator
    /// guide), `sqlite:PATH` or any other text the SQLite file at that path. The CLI's `--db` and
    /// the hosts' `start --db` take the same text.
    ///
    /// A PostgreSQL URL without `sslmode` (or with `sslmode=disable`) connects without TLS;
    /// `sslmode=require` (or `prefer`) encrypts without verifying the server's certificate, as
    /// libpq does; `sslmode=verify-full&sslrootcert=PATH` verifies it against that CA file.
    /// A PostgreSQL store has no key file beside it: the key for secrets at rest must come from
    /// [`EngineBuilder::secret_key`] or `SIGNALCRAFT_SECRET_KEY`, and `build` refuses without.
    pub fn database(mut self, target: impl AsRef<str>) -> Self {
        let target = target.as_ref();
        self.location = if store::pg::is_url(target) {
            Location::Postgres(target.to_owned())
        } else {
            Location::Path(PathBuf::from(
                target.strip_prefix("sqlite:").unwrap_or(target),
            ))
        };
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
        let mut secret_key = self.secret_key;
        let (store, db_path) = match &self.location {
            Location::Path(p) => (Store::open(p)?, Some(p.clone())),
            Location::Postgres(url) => {
                if secret_key.is_none() {
                    secret_key = Some(match std::env::var(crate::secrets::KEY_ENV) {
                        Ok(k) => crate::secrets::parse_key(&k)?,
                        Err(_) => {
                            return Err(Error::invalid(
                                crate::secrets::KEY_ENV,
                                "a PostgreSQL store needs the key for secrets at rest: set \
                                 SIGNALCRAFT_SECRET_KEY (the same on every instance) or give \
                                 the builder a secret_key",
                            ));
                        }
                    });
                }
                (Store::open_postgres(url)?, None)
            }
            Location::InMemory => (Store::in_memory()?, None),
        };
        let private_targets = Arc::new(self.private_targets);
        let metrics = crate::metrics::Metrics::new(store.counters());
        let engine = Engine {
            store,
            clock: self.clock,
            max_body_bytes: self.max_body_bytes,
            routing_cache: Mutex::new(HashMap::new()),
            load_cache: ingest::LoadCache::default(),
            secrets: Mutex::new(secret_key.map(|k| SecretBox::new(&k))),
            db_path,
            delivery: deliver::DeliveryRuntime::default(),
            password_cost: self.password_cost,
            dummy_hash: std::sync::OnceLock::new(),
            metrics,
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
    /// What ingest loads per workspace and source, with the configuration version it was
    /// loaded at.
    load_cache: ingest::LoadCache,
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
        f: impl FnOnce(&Conn, &Workspace) -> Result<T>,
    ) -> Result<T> {
        self.store
            .read(|tx| f(tx, &store::workspaces::resolve(tx, workspace)?))
    }

    /// Runs `f` in a write transaction with the workspace whose id or name is `workspace`.
    fn write_in<T>(
        &self,
        workspace: &str,
        f: impl FnOnce(&Conn, &Workspace) -> Result<T>,
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
    fn insert_workspace(&self, tx: &Conn, name: &str, now: DateTime<Utc>) -> Result<Workspace> {
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
        tx: &Conn,
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
    tx: &Conn,
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
    tx: &Conn,
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
    tx: &Conn,
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
fn word_traces(tx: &Conn, ws: &WorkspaceId, events: &mut [StoredEvent]) -> Result<()> {
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
fn check_rule_channels(tx: &Conn, ws: &WorkspaceId, rules: &RuleSet) -> Result<()> {
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
