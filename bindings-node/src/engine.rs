//! `Engine`: one method per engine call.
//!
//! Storage calls are synchronous, like better-sqlite3's: they are local, short, and a host
//! serving webhooks wants the durable answer before it replies. `dispatch`, which waits on the
//! network, returns a Promise.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Status, Task};
use napi_derive::napi;
use serde_json::Value;
use signalcraft_core::engine::Actor;
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::{
    Engine as CoreEngine, Error, GroupQuery, IntegrationUpdate, ManualClock, RuleSet, Source,
    WorkspaceSettings, host,
};

use crate::error::{Code, JsResult, throw};
use crate::types::{Body, body_in, headers_in, parse, time_in, typed_in};
use napi::Result;

/// How to open an engine.
#[napi(object)]
pub struct EngineOptions {
    /// The key that seals secrets at rest: exactly 32 bytes.
    pub secret_key: Option<Buffer>,
    /// The largest webhook body accepted.
    pub max_body_bytes: Option<u32>,
    /// Pins the clock to this RFC 3339 time (for tests and replays of a fixed moment).
    pub now: Option<String>,
}

/// One delivery of `ingestBatch`.
#[napi(object)]
pub struct BatchDelivery {
    /// Which source sent it.
    pub source: String,
    /// The request headers.
    pub headers: Option<Value>,
    /// The raw body.
    pub body: Body,
}

/// The engine: open one per database file.
#[napi(js_name = "Engine")]
pub struct JsEngine {
    /// `None` once closed.
    inner: RwLock<Option<Arc<CoreEngine>>>,
}

impl JsEngine {
    /// The engine, or the "closed" error.
    fn inner(&self) -> JsResult<Arc<CoreEngine>> {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| throw(Error::invalid("engine", "the engine is closed")))
    }

    /// Runs `f` on the engine and turns its answer into JavaScript values.
    fn call<T: serde::Serialize>(
        &self,
        f: impl FnOnce(&CoreEngine) -> signalcraft_core::Result<T>,
    ) -> Result<Value, Code> {
        let engine = self.inner()?;
        f(&engine).and_then(|v| host::to_json(&v)).map_err(throw)
    }
}

#[napi]
impl JsEngine {
    /// Opens (creating and migrating) the database at `path`; in memory when `path` is null.
    #[napi(constructor)]
    pub fn new(path: Option<String>, options: Option<EngineOptions>) -> Result<Self, Code> {
        let mut b = match path {
            Some(p) => CoreEngine::builder().path(p),
            None => CoreEngine::builder().in_memory(),
        };
        if let Some(o) = options {
            if let Some(key) = o.secret_key {
                let key: [u8; 32] = key[..]
                    .try_into()
                    .map_err(|_| throw(Error::invalid("secretKey", "expected exactly 32 bytes")))?;
                b = b.secret_key(key);
            }
            if let Some(n) = o.max_body_bytes {
                b = b.max_body_bytes(n as usize);
            }
            if let Some(at) = time_in("now", o.now.as_deref())? {
                b = b.clock(Arc::new(ManualClock::new(at)));
            }
        }
        let engine = b.build().map_err(throw)?;
        Ok(Self {
            inner: RwLock::new(Some(Arc::new(engine))),
        })
    }

    /// Stops background work and closes the database; later calls throw "the engine is
    /// closed". Closing twice is fine.
    #[napi]
    pub fn close(&self) {
        let taken = self.inner.write().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(engine) = taken {
            engine.stop();
        }
    }

    /// The engine's clock, RFC 3339.
    #[napi]
    pub fn now(&self) -> Result<String, Code> {
        Ok(self.inner()?.now().to_rfc3339())
    }

    /// Creates a workspace.
    #[napi]
    pub fn create_workspace(&self, name: String) -> Result<Value, Code> {
        self.call(|e| e.create_workspace(&name))
    }

    /// Every workspace.
    #[napi]
    pub fn workspaces(&self) -> Result<Value, Code> {
        self.call(CoreEngine::workspaces)
    }

    /// A workspace's settings.
    #[napi]
    pub fn settings(&self, workspace: String) -> Result<Value, Code> {
        self.call(|e| e.settings(&workspace))
    }

    /// Replaces a workspace's settings.
    #[napi]
    pub fn set_settings(&self, workspace: String, settings: Value) -> Result<Value, Code> {
        let settings: WorkspaceSettings = typed_in("settings", settings)?;
        self.call(|e| e.set_settings(&workspace, &settings))
    }

    /// A source's integration settings (the secret is never shown).
    #[napi]
    pub fn integration(&self, workspace: String, source: String) -> Result<Value, Code> {
        let source: Source = parse(&source)?;
        self.call(|e| e.integration(&workspace, source))
    }

    /// Changes a source's integration settings (secret, skew limit, options).
    #[napi]
    pub fn set_integration(
        &self,
        workspace: String,
        source: String,
        update: Value,
    ) -> Result<Value, Code> {
        let source: Source = parse(&source)?;
        let update: IntegrationUpdate = typed_in("update", update)?;
        self.call(|e| e.set_integration(&workspace, source, &update))
    }

    /// Verifies, parses, deduplicates, routes and stores one webhook delivery (one commit).
    #[napi]
    pub fn ingest(
        &self,
        workspace: String,
        source: String,
        headers: Option<Value>,
        body: Body,
    ) -> Result<Value, Code> {
        let source: Source = parse(&source)?;
        let headers = headers_in(headers.as_ref())?;
        let body = body_in(&body);
        self.call(|e| e.ingest(&workspace, source, &headers, &body))
    }

    /// Like `ingest`, with the source told from the headers and body.
    #[napi]
    pub fn ingest_auto(
        &self,
        workspace: String,
        headers: Option<Value>,
        body: Body,
    ) -> Result<Value, Code> {
        let headers = headers_in(headers.as_ref())?;
        let body = body_in(&body);
        self.call(|e| e.ingest_auto(&workspace, &headers, &body))
    }

    /// Many deliveries in one transaction; the answer has one `{ok: outcome}` or
    /// `{error: {kind, message, path}}` per delivery, in order.
    #[napi]
    pub fn ingest_batch(
        &self,
        workspace: String,
        deliveries: Vec<BatchDelivery>,
    ) -> Result<Value, Code> {
        let mut owned = Vec::with_capacity(deliveries.len());
        for d in &deliveries {
            owned.push((
                parse::<Source>(&d.source)?,
                headers_in(d.headers.as_ref())?,
                body_in(&d.body),
            ));
        }
        let engine = self.inner()?;
        host::ingest_batch(&engine, &workspace, &owned).map_err(throw)
    }

    /// What `ingest` would decide, with `rules` in place of the workspace's when given; stores
    /// nothing.
    #[napi]
    pub fn dry_run(
        &self,
        workspace: String,
        source: String,
        headers: Option<Value>,
        body: Body,
        rules: Option<Value>,
    ) -> Result<Value, Code> {
        let source: Source = parse(&source)?;
        let headers = headers_in(headers.as_ref())?;
        let body = body_in(&body);
        let rules = rules
            .map(|r| RuleSet::from_json(&r))
            .transpose()
            .map_err(throw)?;
        self.call(|e| e.dry_run(&workspace, source, &headers, &body, rules.as_ref()))
    }

    /// Replaces the workspace's routing rules (an array of rules).
    #[napi]
    pub fn put_rules(&self, workspace: String, rules: Value) -> Result<Value, Code> {
        let rules = RuleSet::from_json(&rules).map_err(throw)?;
        self.call(|e| e.put_rules(&workspace, &rules))
    }

    /// The workspace's routing rules.
    #[napi]
    pub fn rules(&self, workspace: String) -> Result<Value, Code> {
        self.call(|e| e.rules(&workspace).map(|r| r.to_json()))
    }

    /// Re-runs stored history through candidate rules and reports the difference.
    #[napi]
    pub fn replay(
        &self,
        workspace: String,
        rules: Value,
        since: Option<String>,
        until: Option<String>,
    ) -> Result<Value, Code> {
        let rules = RuleSet::from_json(&rules).map_err(throw)?;
        let since = time_in("since", since.as_deref())?;
        let until = time_in("until", until.as_deref())?;
        self.call(|e| e.replay(&workspace, &rules, since, until))
    }

    /// Mutes matching alerts until `ends_at` (`{when, ends_at, starts_at?, comment?}`).
    #[napi]
    pub fn add_silence(&self, workspace: String, silence: Value) -> Result<Value, Code> {
        self.call(|e| {
            let now = e.now();
            let s = e.add_silence(&workspace, &host::new_silence(&silence, now)?)?;
            Ok(host::silence_view(&s, now))
        })
    }

    /// The workspace's silences, with whether each is active now.
    #[napi]
    pub fn silences(&self, workspace: String) -> Result<Value, Code> {
        self.call(|e| {
            let now = e.now();
            Ok(e.silences(&workspace)?
                .iter()
                .map(|s| host::silence_view(s, now))
                .collect::<Vec<Value>>())
        })
    }

    /// Ends a silence now.
    #[napi]
    pub fn expire_silence(&self, workspace: String, id: String) -> Result<Value, Code> {
        self.call(|e| e.expire_silence(&workspace, &id))
    }

    /// A page of groups, newest activity first (`{status, environment, project, source,
    /// min_severity, limit, cursor}`, all optional).
    #[napi]
    pub fn groups(&self, workspace: String, query: Option<Value>) -> Result<Value, Code> {
        let query: GroupQuery = match query {
            Some(q) => typed_in("query", q)?,
            None => GroupQuery::default(),
        };
        self.call(|e| e.groups(&workspace, &query))
    }

    /// One group with its events and timeline.
    #[napi]
    pub fn group(&self, workspace: String, id: String) -> Result<Value, Code> {
        self.call(|e| e.group(&workspace, &id))
    }

    /// Runs a lifecycle command (`{command: "ack"}`, `{command: "snooze", until}`, …) as
    /// `actor` with `role` (default `member`), and returns the group after it.
    #[napi]
    pub fn act(
        &self,
        workspace: String,
        group_id: String,
        command: Value,
        actor: String,
        role: Option<String>,
    ) -> Result<Value, Code> {
        let command: Command = typed_in("command", command)?;
        let role: Role = parse(role.as_deref().unwrap_or("member"))?;
        let actor = Actor::new(actor, role);
        self.call(|e| e.act(&workspace, &group_id, &command, &actor))
    }

    /// Creates or replaces a named escalation policy.
    #[napi]
    pub fn put_escalation(
        &self,
        workspace: String,
        name: String,
        policy: Value,
    ) -> Result<Value, Code> {
        let policy = EscalationPolicy::from_json(&policy).map_err(throw)?;
        self.call(|e| e.put_escalation(&workspace, &name, &policy))
    }

    /// Dashboard figures over a window (`24h` by default, `7d`, …).
    #[napi]
    pub fn stats(&self, workspace: String, window: Option<String>) -> Result<Value, Code> {
        self.call(|e| e.stats(&workspace, window.as_deref().unwrap_or("24h")))
    }

    /// Fires due timers (escalations, snooze ends, auto-close, retention).
    #[napi]
    pub fn tick(&self, workspace: Option<String>) -> Result<Value, Code> {
        self.call(|e| e.tick(workspace.as_deref()))
    }

    /// Creates or replaces a channel (`slack`, `webhook`, `pagerduty`, `email`).
    #[napi]
    pub fn set_channel(
        &self,
        workspace: String,
        name: String,
        kind: String,
        config: Value,
    ) -> Result<Value, Code> {
        let kind: ChannelKind = parse(&kind)?;
        self.call(|e| e.set_channel(&workspace, &name, kind, &config))
    }

    /// The workspace's channels, secrets masked.
    #[napi]
    pub fn channels(&self, workspace: String) -> Result<Value, Code> {
        self.call(|e| e.channels(&workspace))
    }

    /// The delivery log, of a workspace or one group.
    #[napi]
    pub fn deliveries(&self, workspace: String, group: Option<String>) -> Result<Value, Code> {
        self.call(|e| e.deliveries(&workspace, group.as_deref()))
    }

    /// Sends what is due in the outbox, waiting up to `waitMs` for retries due by then.
    /// Runs off the event loop; the Promise rejects with the engine's error message.
    #[napi(ts_return_type = "Promise<DispatchReport>")]
    pub fn dispatch(
        &self,
        workspace: Option<String>,
        wait_ms: Option<u32>,
    ) -> Result<AsyncTask<Dispatch>, Code> {
        Ok(AsyncTask::new(Dispatch {
            engine: self.inner()?,
            workspace,
            wait: Duration::from_millis(u64::from(wait_ms.unwrap_or(0))),
        }))
    }

    /// Starts delivering and ticking on background threads until `stop()` or `close()`.
    #[napi]
    pub fn start_background(&self) -> Result<(), Code> {
        self.inner()?.start_background().map_err(throw)
    }

    /// Stops the background threads (the engine stays open).
    #[napi]
    pub fn stop(&self) -> Result<(), Code> {
        self.inner()?.stop();
        Ok(())
    }
}

/// `dispatch` on libuv's thread pool.
pub struct Dispatch {
    engine: Arc<CoreEngine>,
    workspace: Option<String>,
    wait: Duration,
}

/// What a dispatch did.
#[napi(object)]
pub struct DispatchReport {
    /// Notifications delivered.
    pub sent: f64,
    /// Notifications given up on.
    pub failed: f64,
    /// Notifications still pending.
    pub pending: f64,
}

impl Task for Dispatch {
    type Output = signalcraft_core::engine::DispatchReport;
    type JsValue = DispatchReport;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        self.engine
            .dispatch(self.workspace.as_deref(), self.wait)
            .map_err(|e| napi::Error::new(Status::GenericFailure, format!("{}: {e}", e.kind())))
    }

    fn resolve(&mut self, _env: Env, r: Self::Output) -> napi::Result<DispatchReport> {
        // counts of one dispatch: far below 2^53
        Ok(DispatchReport {
            sent: r.sent as f64,
            failed: r.failed as f64,
            pending: r.pending as f64,
        })
    }
}
