//! `Engine`: one method per engine call.
//!
//! Storage calls are synchronous, like better-sqlite3's: they are local, short, and a host
//! serving webhooks wants the durable answer before it replies. `dispatch`, which waits on the
//! network, returns a Promise.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use napi::ValueType;
use napi::bindgen_prelude::{AsyncTask, Buffer, Either, ToNapiValue, TypeName};
use napi::{Env, JsValue, Result, Status, Task};
use napi_derive::napi;
use serde_json::Value;
use signalcraft_core::engine::Actor;
use signalcraft_core::engine::SlackConnectOptions;
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::slack_oauth::SlackApp;
use signalcraft_core::{
    Engine as CoreEngine, Error, IntegrationUpdate, ManualClock, PrivateTargets, RuleSet, Source,
    WorkspaceSettings, host,
};

use crate::error::{Code, fail};
use crate::types::{Body, body_in, headers_in, time_in};

/// How to open an engine.
#[napi(object)]
pub struct EngineOptions {
    /// The key that seals secrets at rest: exactly 32 bytes.
    pub secret_key: Option<Buffer>,
    /// The largest webhook body accepted.
    pub max_body_bytes: Option<u32>,
    /// Pins the clock to this RFC 3339 time (for tests and replays of a fixed moment).
    pub now: Option<String>,
    /// Lets channels reach non-public addresses (loopback, private, link-local…): `true` for
    /// all, or a list of CIDRs (`["127.0.0.1/32"]`). Refused by default.
    pub allow_private_targets: Option<Either<bool, Vec<String>>>,
}

/// Options of `runMonitors`.
#[napi(object)]
pub struct RunMonitorsOptions {
    /// Run every monitor one time, due or not.
    pub once: Option<bool>,
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
    fn inner(&self) -> signalcraft_core::Result<Arc<CoreEngine>> {
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(host::closed_engine)
    }

    /// Runs `f` on the engine and turns its answer into JavaScript values, or throws its error.
    /// The answer crosses as one JSON string, serialized straight from `T` (see [`JsonAnswer`]).
    fn run<T: serde::Serialize>(
        &self,
        env: &Env,
        f: impl FnOnce(&CoreEngine) -> signalcraft_core::Result<T>,
    ) -> Result<JsonAnswer, Code> {
        host::guard(|| {
            self.inner()
                .and_then(|engine| f(&engine))
                .and_then(|v| json_text(&v))
        })
        .map(JsonAnswer)
        .map_err(|e| fail(env, &e))
    }
}

#[napi]
impl JsEngine {
    /// Opens (creating and migrating) the database `path` names: a file path, `sqlite:PATH`, or a
    /// `postgres://` URL (PostgreSQL needs a secret key: `secretKey` or `SIGNALCRAFT_SECRET_KEY`);
    /// in memory when `path` is null.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        env: Env,
        path: Option<String>,
        options: Option<EngineOptions>,
    ) -> Result<Self, Code> {
        let open = || -> signalcraft_core::Result<CoreEngine> {
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
                    Some(Either::A(true)) => b = b.allow_private_targets(PrivateTargets::All),
                    Some(Either::B(list)) => {
                        b = b.allow_private_targets(PrivateTargets::from_list(
                            "allowPrivateTargets",
                            &list,
                        )?)
                    }
                    Some(Either::A(false)) | None => {}
                }
            }
            b.build()
        };
        let engine = host::guard(open).map_err(|e| fail(&env, &e))?;
        Ok(Self {
            inner: RwLock::new(Some(Arc::new(engine))),
        })
    }

    /// Stops background work and closes the database; later calls throw "the engine is
    /// closed". Closing twice is fine.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        let taken = self.inner.write().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(engine) = taken {
            let _ = host::guard(|| {
                engine.stop();
                Ok(())
            });
        }
    }

    /// The engine's clock, RFC 3339.
    #[napi(catch_unwind)]
    pub fn now(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| Ok(e.now().to_rfc3339()))
    }

    /// Creates a workspace; with `ownerEmail`, that user becomes its owner in the same
    /// transaction.
    #[napi(catch_unwind)]
    pub fn create_workspace(
        &self,
        env: Env,
        name: String,
        owner_email: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| match &owner_email {
            Some(email) => e.create_workspace_with_owner(&name, email),
            None => e.create_workspace(&name),
        })
    }

    /// Every workspace.
    #[napi(catch_unwind)]
    pub fn workspaces(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, CoreEngine::workspaces)
    }

    /// A workspace's settings.
    #[napi(catch_unwind)]
    pub fn settings(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.settings(&workspace))
    }

    /// Changes a workspace's settings by an RFC 7396 merge patch; answers the settings after it.
    #[napi(catch_unwind)]
    pub fn patch_settings(
        &self,
        env: Env,
        workspace: String,
        patch: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.patch_settings(&workspace, &patch))
    }

    /// Replaces a workspace's settings.
    #[napi(catch_unwind)]
    pub fn set_settings(
        &self,
        env: Env,
        workspace: String,
        settings: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let settings: WorkspaceSettings = host::from_json("settings", settings)?;
            e.set_settings(&workspace, &settings)
        })
    }

    /// A source's integration settings (the secret is never shown).
    #[napi(catch_unwind)]
    pub fn integration(
        &self,
        env: Env,
        workspace: String,
        source: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.integration(&workspace, source.parse()?))
    }

    /// Changes a source's integration settings (secret, skew limit, options).
    #[napi(catch_unwind)]
    pub fn set_integration(
        &self,
        env: Env,
        workspace: String,
        source: String,
        update: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let update: IntegrationUpdate = host::from_json("update", update)?;
            e.set_integration(&workspace, source.parse()?, &update)
        })
    }

    /// Verifies, parses, deduplicates, routes and stores one webhook delivery (one commit).
    #[napi(catch_unwind)]
    pub fn ingest(
        &self,
        env: Env,
        workspace: String,
        source: String,
        headers: Option<Value>,
        body: Body,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let source: Source = source.parse()?;
            let headers = headers_in(headers.as_ref())?;
            e.ingest(&workspace, source, &headers, &body_in(&body))
        })
    }

    /// `ingest` off the event loop (libuv's thread pool): the Promise resolves to the same
    /// outcome and rejects with the same `Error`. Concurrent calls are committed together by the
    /// engine's one writer (group commit), each Promise settling after its own commit.
    #[napi(catch_unwind, ts_return_type = "Promise<IngestOutcome>")]
    pub fn ingest_async(
        &self,
        workspace: String,
        source: String,
        headers: Option<Value>,
        body: Body,
    ) -> AsyncTask<Blocking> {
        // everything is checked in the task, so that every error rejects the Promise
        let body = body_in(&body);
        let engine = self.inner().ok();
        AsyncTask::new(Blocking::new(move || {
            let engine = engine.ok_or_else(host::closed_engine)?;
            let source: Source = source.parse()?;
            let headers = headers_in(headers.as_ref())?;
            json_text(&engine.ingest(&workspace, source, &headers, &body)?)
        }))
    }

    /// Like `ingest`, with the source told from the headers and body.
    #[napi(catch_unwind)]
    pub fn ingest_auto(
        &self,
        env: Env,
        workspace: String,
        headers: Option<Value>,
        body: Body,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let headers = headers_in(headers.as_ref())?;
            e.ingest_auto(&workspace, &headers, &body_in(&body))
        })
    }

    /// Many deliveries in one transaction; the answer has one `{ok: outcome}` or
    /// `{error: {kind, message, path}}` per delivery, in order.
    #[napi(catch_unwind)]
    pub fn ingest_batch(
        &self,
        env: Env,
        workspace: String,
        deliveries: Vec<BatchDelivery>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let owned = deliveries
                .iter()
                .map(|d| {
                    Ok((
                        d.source.parse::<Source>()?,
                        headers_in(d.headers.as_ref())?,
                        body_in(&d.body),
                    ))
                })
                .collect::<signalcraft_core::Result<Vec<_>>>()?;
            host::ingest_batch(e, &workspace, &owned)
        })
    }

    /// What `ingest` would decide, with `rules` in place of the workspace's when given; stores
    /// nothing.
    #[napi(catch_unwind)]
    pub fn dry_run(
        &self,
        env: Env,
        workspace: String,
        source: String,
        headers: Option<Value>,
        body: Body,
        rules: Option<Value>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let source: Source = source.parse()?;
            let headers = headers_in(headers.as_ref())?;
            let rules = rules.as_ref().map(RuleSet::from_json).transpose()?;
            host::dry_run_json(&e.dry_run(
                &workspace,
                source,
                &headers,
                &body_in(&body),
                rules.as_ref(),
            )?)
        })
    }

    /// Checks rules as `putRules` would, storing nothing: `{ok: true, rules: N}`.
    #[napi(catch_unwind)]
    pub fn check_rules(
        &self,
        env: Env,
        workspace: String,
        rules: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let rules = RuleSet::from_json(&rules)?;
            let n = e.check_rules(&workspace, &rules)?;
            Ok(serde_json::json!({"ok": true, "rules": n}))
        })
    }

    /// Replaces the workspace's routing rules (an array of rules).
    #[napi(catch_unwind)]
    pub fn put_rules(&self, env: Env, workspace: String, rules: Value) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.put_rules(&workspace, &RuleSet::from_json(&rules)?)
        })
    }

    /// The workspace's routing rules.
    #[napi(catch_unwind)]
    pub fn rules(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.rules(&workspace).map(|r| r.to_json()))
    }

    /// Re-runs stored history through candidate rules and reports the difference.
    #[napi(catch_unwind)]
    pub fn replay(
        &self,
        env: Env,
        workspace: String,
        rules: Value,
        since: Option<String>,
        until: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let rules = RuleSet::from_json(&rules)?;
            let since = time_in("since", since.as_deref())?;
            let until = time_in("until", until.as_deref())?;
            e.replay(&workspace, &rules, since, until)
        })
    }

    /// Mutes matching alerts until `ends_at` (`{when, ends_at, starts_at?, comment?}`),
    /// recording `actor` as its creator.
    #[napi(catch_unwind)]
    pub fn add_silence(
        &self,
        env: Env,
        workspace: String,
        silence: Value,
        actor: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let now = e.now();
            let s = e.add_silence(&workspace, &host::new_silence(&silence, now)?, &actor)?;
            Ok(host::silence_view(&s, e.now()))
        })
    }

    /// The workspace's silences, with whether each is active now.
    #[napi(catch_unwind)]
    pub fn silences(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let now = e.now();
            Ok(e.silences(&workspace)?
                .iter()
                .map(|s| host::silence_view(s, now))
                .collect::<Vec<Value>>())
        })
    }

    /// Ends a silence now.
    #[napi(catch_unwind)]
    pub fn expire_silence(
        &self,
        env: Env,
        workspace: String,
        id: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.expire_silence(&workspace, &id))
    }

    /// A page of groups (`{status, severity, environment, project, source, min_severity,
    /// assignee, q, since, until, sort, order, limit, cursor}`, all optional; `status` and
    /// `severity` a list or comma-separated text).
    #[napi(catch_unwind)]
    pub fn groups(
        &self,
        env: Env,
        workspace: String,
        query: Option<Value>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let query = host::group_query(query.unwrap_or(Value::Null))?;
            e.groups(&workspace, &query)
        })
    }

    /// One group with its newest 50 events and timeline entries (newest first) and the
    /// cursors of the rest (`events_next`, `timeline_next`).
    #[napi(catch_unwind)]
    pub fn group(&self, env: Env, workspace: String, id: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.group(&workspace, &id))
    }

    /// A page of a group's events, newest first (`{items, next}`; `limit` 1 to 200).
    #[napi(catch_unwind)]
    pub fn group_events(
        &self,
        env: Env,
        workspace: String,
        id: String,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.group_events(&workspace, &id, cursor.as_deref(), limit)
        })
    }

    /// A page of a group's timeline, newest first (`{items, next}`; `limit` 1 to 200).
    #[napi(catch_unwind)]
    pub fn group_timeline(
        &self,
        env: Env,
        workspace: String,
        id: String,
        cursor: Option<String>,
        limit: Option<u32>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.group_timeline(&workspace, &id, cursor.as_deref(), limit)
        })
    }

    /// One stored event with the raw body and headers of the delivery it came from.
    #[napi(catch_unwind)]
    pub fn event(&self, env: Env, workspace: String, id: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.event(&workspace, &id))
    }

    /// Runs a lifecycle command (`{command: "ack"}`, `{command: "snooze", until}`, …) as
    /// `actor` with `role` (default `member`), and returns the group after it.
    #[napi(catch_unwind)]
    pub fn act(
        &self,
        env: Env,
        workspace: String,
        group_id: String,
        command: Value,
        actor: String,
        role: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let command: Command = host::from_json("command", command)?;
            let role: Role = role.as_deref().unwrap_or("member").parse()?;
            e.act(&workspace, &group_id, &command, &Actor::new(actor, role))
        })
    }

    /// Creates or replaces a named escalation policy.
    #[napi(catch_unwind)]
    pub fn put_escalation(
        &self,
        env: Env,
        workspace: String,
        name: String,
        policy: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.put_escalation(&workspace, &name, &EscalationPolicy::from_json(&policy)?)
        })
    }

    /// Dashboard figures over a window (`24h` by default, `7d`, …).
    #[napi(catch_unwind)]
    pub fn stats(
        &self,
        env: Env,
        workspace: String,
        window: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.stats(&workspace, window.as_deref().unwrap_or("24h"))
        })
    }

    /// Fires due timers (escalations, snooze ends, auto-close, retention).
    #[napi(catch_unwind)]
    pub fn tick(&self, env: Env, workspace: Option<String>) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.tick(workspace.as_deref()))
    }

    /// Creates or replaces a channel (`slack`, `webhook`, `pagerduty`, `email`).
    #[napi(catch_unwind)]
    pub fn set_channel(
        &self,
        env: Env,
        workspace: String,
        name: String,
        kind: String,
        config: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let kind: ChannelKind = kind.parse()?;
            e.set_channel(&workspace, &name, kind, &config)
        })
    }

    /// The workspace's channels, secrets masked.
    #[napi(catch_unwind)]
    pub fn channels(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.channels(&workspace))
    }

    /// The delivery log, of a workspace or one group.
    #[napi(catch_unwind)]
    pub fn deliveries(
        &self,
        env: Env,
        workspace: String,
        group: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.deliveries(&workspace, group.as_deref()))
    }

    /// Sends what is due in the outbox, waiting up to `waitMs` for retries due by then.
    /// Runs off the event loop; the Promise rejects with the same `Error` (`code`, `path`) as
    /// the other methods throw.
    #[napi(catch_unwind, ts_return_type = "Promise<DispatchReport>")]
    pub fn dispatch(
        &self,
        workspace: Option<String>,
        wait_ms: Option<u32>,
    ) -> Result<AsyncTask<Dispatch>> {
        // A closed engine rejects the Promise like any other failure.
        Ok(AsyncTask::new(Dispatch {
            engine: self.inner().ok(),
            workspace,
            wait: Duration::from_millis(u64::from(wait_ms.unwrap_or(0))),
            error: None,
        }))
    }

    /// The workspace whose id or name is `reference`.
    #[napi(catch_unwind)]
    pub fn workspace(&self, env: Env, reference: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.workspace(&reference))
    }

    /// The engine's metrics in the Prometheus (OpenMetrics) text format, for `/metrics`.
    #[napi(catch_unwind)]
    pub fn metrics_text(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, CoreEngine::metrics_text)
    }

    /// Runs one command on many groups: one `{id, ok: group}` or `{id, error: {kind, message,
    /// path}}` per id, in order.
    #[napi(catch_unwind)]
    pub fn act_many(
        &self,
        env: Env,
        workspace: String,
        ids: Value,
        command: Value,
        actor: String,
        role: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let ids = host::ids(&ids)?;
            let command: Command = host::from_json("command", command)?;
            let role: Role = role.as_deref().unwrap_or("member").parse()?;
            host::act_many_json(&e.act_many(
                &workspace,
                &ids,
                &command,
                &Actor::new(actor, role),
            )?)
        })
    }

    /// The workspace's escalation policies: an object of name to policy.
    #[napi(catch_unwind)]
    pub fn escalations(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            Ok(host::escalations_view(&e.escalations(&workspace)?))
        })
    }

    /// Deletes an escalation policy (its running escalations stop).
    #[napi(catch_unwind)]
    pub fn delete_escalation(
        &self,
        env: Env,
        workspace: String,
        name: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.delete_escalation(&workspace, &name))
    }

    /// Deletes a channel (refused while rules name it; its pending notifications are cancelled).
    #[napi(catch_unwind)]
    pub fn delete_channel(
        &self,
        env: Env,
        workspace: String,
        name: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.delete_channel(&workspace, &name))
    }

    /// Adds a recurring maintenance window (`{weekdays, from, to, tz, when?, rules?}`).
    #[napi(catch_unwind)]
    pub fn add_maintenance(
        &self,
        env: Env,
        workspace: String,
        window: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let w = e.add_maintenance(&workspace, &host::new_maintenance(&window)?)?;
            Ok(host::maintenance_view(&w, e.now()))
        })
    }

    /// The workspace's maintenance windows (deleted ones too), with whether each is active now.
    #[napi(catch_unwind)]
    pub fn maintenance_windows(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let now = e.now();
            Ok(e.maintenance_windows(&workspace)?
                .iter()
                .map(|w| host::maintenance_view(w, now))
                .collect::<Vec<Value>>())
        })
    }

    /// Deletes a maintenance window.
    #[napi(catch_unwind)]
    pub fn delete_maintenance(
        &self,
        env: Env,
        workspace: String,
        id: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.delete_maintenance(&workspace, &id))
    }

    /// Sets the signing secret Slack's interactive requests are verified with.
    #[napi(catch_unwind)]
    pub fn set_slack_signing_secret(
        &self,
        env: Env,
        workspace: String,
        secret: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.set_slack_signing_secret(&workspace, &secret))
    }

    /// Handles a Slack interactive request for one workspace (the raw headers and form body):
    /// verifies the signature, runs the button's command, and says what to answer Slack.
    #[napi(catch_unwind)]
    pub fn handle_slack_action(
        &self,
        env: Env,
        workspace: String,
        headers: Option<Value>,
        body: Body,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let headers = headers_in(headers.as_ref())?;
            e.handle_slack_action(&workspace, &headers, &body_in(&body))
        })
    }

    /// Adds a user (argon2id password hash); emails are unique.
    #[napi(catch_unwind)]
    pub fn add_user(
        &self,
        env: Env,
        email: String,
        password: String,
        name: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.add_user(&email, &password, name.as_deref()))
    }

    /// Every user, by email.
    #[napi(catch_unwind)]
    pub fn users(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, CoreEngine::users)
    }

    /// Gives a user a role in a workspace.
    #[napi(catch_unwind)]
    pub fn set_member(
        &self,
        env: Env,
        workspace: String,
        email: String,
        role: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.set_member(&workspace, &email, host::role(&role)?)
        })
    }

    /// Removes a user from a workspace.
    #[napi(catch_unwind)]
    pub fn remove_member(
        &self,
        env: Env,
        workspace: String,
        email: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.remove_member(&workspace, &email))
    }

    /// A workspace's members.
    #[napi(catch_unwind)]
    pub fn members(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.members(&workspace))
    }

    /// Logs in: a session (token and CSRF token shown once). Bad credentials throw
    /// UNAUTHENTICATED; too many failures for the email or the address, RATE_LIMITED.
    #[napi(catch_unwind)]
    pub fn login(
        &self,
        env: Env,
        email: String,
        password: String,
        address: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.login(&email, &password, address.as_deref()))
    }

    /// Ends a session (an unknown token is a no-op).
    #[napi(catch_unwind)]
    pub fn logout(&self, env: Env, token: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.logout(&token))
    }

    /// Who a session token or API token is; for a session and an unsafe request, `csrf` must
    /// be its CSRF token.
    #[napi(catch_unwind)]
    pub fn authenticate(
        &self,
        env: Env,
        credential: String,
        is_unsafe: Option<bool>,
        csrf: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.authenticate(&credential, is_unsafe.unwrap_or(false), csrf.as_deref())
        })
    }

    /// Authenticates, then checks `permission` (`read`, `act`, `configure`, `administer`) in
    /// `workspace`; a workspace the principal is not in is NOT_FOUND.
    #[napi(catch_unwind)]
    pub fn authorize(
        &self,
        env: Env,
        credential: String,
        workspace: String,
        permission: String,
        is_unsafe: Option<bool>,
        csrf: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.authorize(
                &credential,
                &workspace,
                host::permission(&permission)?,
                is_unsafe.unwrap_or(false),
                csrf.as_deref(),
            )
        })
    }

    /// Creates an API token (shown once).
    #[napi(catch_unwind)]
    pub fn create_token(
        &self,
        env: Env,
        workspace: String,
        role: String,
        name: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.create_token(&workspace, host::role(&role)?, name.as_deref())
        })
    }

    /// A workspace's live API tokens.
    #[napi(catch_unwind)]
    pub fn tokens(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.tokens(&workspace))
    }

    /// Revokes an API token.
    #[napi(catch_unwind)]
    pub fn revoke_token(
        &self,
        env: Env,
        workspace: String,
        id: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.revoke_token(&workspace, &id))
    }

    /// Creates an ingest key for a source (shown once).
    #[napi(catch_unwind)]
    pub fn create_ingest_key(
        &self,
        env: Env,
        workspace: String,
        source: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.create_ingest_key(&workspace, source.parse()?))
    }

    /// Revokes an ingest key.
    #[napi(catch_unwind)]
    pub fn revoke_ingest_key(
        &self,
        env: Env,
        workspace: String,
        source: String,
        id: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.revoke_ingest_key(&workspace, source.parse()?, &id)
        })
    }

    /// A source's live ingest keys (never the keys).
    #[napi(catch_unwind)]
    pub fn ingest_keys(
        &self,
        env: Env,
        workspace: String,
        source: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.ingest_keys(&workspace, source.parse()?))
    }

    /// The authenticated webhook (`source` may be `auto`; `key` is the `?key=` value).
    #[napi(catch_unwind)]
    pub fn webhook(
        &self,
        env: Env,
        workspace: String,
        source: String,
        headers: Option<Value>,
        body: Body,
        key: Option<String>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let source = host::webhook_source(&source)?;
            let headers = headers_in(headers.as_ref())?;
            e.webhook(
                &workspace,
                source,
                &headers,
                &body_in(&body),
                key.as_deref(),
            )
        })
    }

    /// `webhook` off the event loop (libuv's thread pool): the Promise resolves to the same
    /// outcome and rejects with the same `Error`. Concurrent calls wait for their commits
    /// together, so a host serving many webhooks at once commits them in groups.
    #[napi(catch_unwind, ts_return_type = "Promise<IngestOutcome>")]
    pub fn webhook_async(
        &self,
        workspace: String,
        source: String,
        headers: Option<Value>,
        body: Body,
        key: Option<String>,
    ) -> AsyncTask<Blocking> {
        // everything is checked in the task, so that every error rejects the Promise
        let body = body_in(&body);
        let engine = self.inner().ok();
        AsyncTask::new(Blocking::new(move || {
            let engine = engine.ok_or_else(host::closed_engine)?;
            let source = host::webhook_source(&source)?;
            let headers = headers_in(headers.as_ref())?;
            json_text(&engine.webhook(&workspace, source, &headers, &body, key.as_deref())?)
        }))
    }

    /// Replaces a workspace's apps and monitors (a list of monitors, or `{apps?, monitors}`);
    /// answers `{apps, monitors}` with secrets shown as `has_<field>: true`.
    #[napi(ts_return_type = "MonitorSet")]
    pub fn put_monitors(
        &self,
        env: Env,
        workspace: String,
        doc: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.put_monitors(&workspace, &doc))
    }

    /// A workspace's apps and monitors (`{apps, monitors}`, secrets shown as `has_<field>`).
    #[napi(ts_return_type = "MonitorSet")]
    pub fn monitors(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.monitors(&workspace))
    }

    /// Every monitor's state: latest reading, history, breach, open alert group.
    #[napi(ts_return_type = "MonitorState[]")]
    pub fn monitor_status(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.monitor_status(&workspace))
    }

    /// The workspace's apps with their monitors' states and open alerts.
    #[napi(ts_return_type = "AppView[]")]
    pub fn apps(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.apps(&workspace))
    }

    /// Runs one monitor now (off the event loop); resolves to its state after.
    #[napi(ts_return_type = "Promise<MonitorState>")]
    pub fn run_monitor(&self, workspace: String, id: String) -> AsyncTask<Blocking> {
        let engine = self.inner().ok();
        AsyncTask::new(Blocking::new(move || {
            let engine = engine.ok_or_else(host::closed_engine)?;
            json_text(&engine.run_monitor(&workspace, &id)?)
        }))
    }

    /// Runs the due monitors (`once`: all of them) off the event loop; resolves to every
    /// monitor's state after.
    #[napi(ts_return_type = "Promise<MonitorState[]>")]
    pub fn run_monitors(
        &self,
        workspace: String,
        options: Option<RunMonitorsOptions>,
    ) -> AsyncTask<Blocking> {
        let engine = self.inner().ok();
        let once = options.and_then(|o| o.once).unwrap_or(false);
        AsyncTask::new(Blocking::new(move || {
            let engine = engine.ok_or_else(host::closed_engine)?;
            json_text(&engine.run_monitors(&workspace, once)?)
        }))
    }

    /// Every source's integration: settings, keys and delivery health.
    #[napi(catch_unwind)]
    pub fn integrations(&self, env: Env, workspace: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.integrations(&workspace))
    }

    /// Queues a test notification on a channel through the real outbox; answers the queued
    /// delivery (`test: true`).
    #[napi(catch_unwind)]
    pub fn test_channel(
        &self,
        env: Env,
        workspace: String,
        name: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.test_channel(&workspace, &name))
    }

    /// The built-in sample delivery of a source: `{headers, body}` (body as text).
    #[napi(catch_unwind)]
    pub fn sample_payload(&self, env: Env, source: String) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            Ok(host::sample_json(&e.sample_payload(source.parse()?)?))
        })
    }

    /// Ingests the source's built-in sample through the real path (signed with the
    /// integration's secret when one is set); answers the ingest outcome.
    #[napi(catch_unwind)]
    pub fn test_integration(
        &self,
        env: Env,
        workspace: String,
        source: String,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.test_integration(&workspace, source.parse()?))
    }

    /// Starts a Slack install: `{url, state}` (`app = {client_id, client_secret, redirect_uri,
    /// api_base?, authorize_url?, signing_secret?}`, `options = {channel?, slack_channel?}`).
    #[napi(catch_unwind)]
    pub fn slack_connect(
        &self,
        env: Env,
        workspace: String,
        app: Value,
        options: Option<Value>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let app: SlackApp = host::from_json("app", app)?;
            let options: SlackConnectOptions = match options {
                None | Some(Value::Null) => SlackConnectOptions::default(),
                Some(v) => host::from_json("options", v)?,
            };
            e.slack_connect(&workspace, &app, &options)
        })
    }

    /// Finishes a Slack install with the callback's `code` and `state` (exchanges the code at
    /// Slack, off the event loop): the Promise resolves to `{workspace, workspace_id, team_id,
    /// team_name, channel, slack_channel}` and rejects with the same `Error` as other methods.
    #[napi(catch_unwind, ts_return_type = "Promise<SlackInstall>")]
    pub fn slack_oauth_callback(
        &self,
        env: Env,
        app: Value,
        code: String,
        state: String,
    ) -> Result<AsyncTask<SlackCallback>, Code> {
        let app: SlackApp = host::from_json("app", app).map_err(|e| fail(&env, &e))?;
        Ok(AsyncTask::new(SlackCallback {
            engine: self.inner().ok(),
            app,
            code,
            state,
            error: None,
        }))
    }

    /// Handles a Slack interactive request sent to the app's one request URL: the payload's
    /// team id picks the workspace.
    #[napi(catch_unwind)]
    pub fn handle_slack_team_action(
        &self,
        env: Env,
        headers: Option<Value>,
        body: Body,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let headers = headers_in(headers.as_ref())?;
            e.handle_slack_team_action(&headers, &body_in(&body))
        })
    }

    /// Changes the workspace's slack integration (`{secret?, clear_secret?, max_skew_secs?,
    /// options?: {team_id}}`).
    #[napi(catch_unwind)]
    pub fn set_slack_integration(
        &self,
        env: Env,
        workspace: String,
        update: Value,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            let update: IntegrationUpdate = host::from_json("update", update)?;
            e.set_slack_integration(&workspace, &update)
        })
    }

    /// The workspace's changes after `since` (default 0), at most `limit` (1 to 1000, default
    /// 100), and its latest sequence number: `{changes: [{seq, group_id, kind, status, at}],
    /// last_seq}`.
    #[napi(catch_unwind)]
    pub fn changes(
        &self,
        env: Env,
        workspace: String,
        since: Option<i64>,
        limit: Option<u32>,
    ) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| e.changes(&workspace, since, limit))
    }

    /// Whether the engine can serve: `{database_writable, database_error, background}` (a write
    /// probe rolled back; `running`, `stopped` or `failed`), for `/readyz`.
    #[napi(catch_unwind)]
    pub fn ready(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| Ok(e.ready()))
    }

    /// Panics inside an engine call, for tests only: proves that a panic comes back as an
    /// `INTERNAL` error (and the engine stays usable) instead of aborting the process.
    #[napi(catch_unwind, js_name = "__panicForTests")]
    pub fn panic_for_tests(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, |_| -> signalcraft_core::Result<()> {
            panic!("a panic provoked by a test")
        })
    }

    /// [`Self::panic_for_tests`] in a Promise's task on libuv's thread pool.
    #[napi(
        catch_unwind,
        js_name = "__panicForTestsAsync",
        ts_return_type = "Promise<never>"
    )]
    pub fn panic_for_tests_async(&self) -> AsyncTask<Blocking> {
        AsyncTask::new(Blocking::new(|| -> signalcraft_core::Result<String> {
            panic!("a panic provoked by a test, in a task")
        }))
    }

    /// Starts delivering and ticking on background threads until `stop()` or `close()`.
    #[napi(catch_unwind)]
    pub fn start_background(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, |_| self.inner()?.start_background())
    }

    /// Stops the background threads (the engine stays open).
    #[napi(catch_unwind)]
    pub fn stop(&self, env: Env) -> Result<JsonAnswer, Code> {
        self.run(&env, |e| {
            e.stop();
            Ok(())
        })
    }
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

/// `dispatch` on libuv's thread pool.
pub struct Dispatch {
    /// `None` when the engine was closed.
    engine: Option<Arc<CoreEngine>>,
    workspace: Option<String>,
    wait: Duration,
    /// The engine's error, kept for `reject` to build the JavaScript `Error` from.
    error: Option<Error>,
}

impl Task for Dispatch {
    type Output = signalcraft_core::engine::DispatchReport;
    type JsValue = DispatchReport;

    fn compute(&mut self) -> Result<Self::Output> {
        self.engine
            .as_ref()
            .ok_or_else(host::closed_engine)
            .and_then(|engine| {
                host::guard(|| engine.dispatch(self.workspace.as_deref(), self.wait))
            })
            .map_err(|e| {
                let message = e.to_string();
                self.error = Some(e);
                napi::Error::new(Status::GenericFailure, message)
            })
    }

    fn resolve(&mut self, _env: Env, r: Self::Output) -> Result<DispatchReport> {
        // counts of one dispatch: far below 2^53
        Ok(DispatchReport {
            sent: r.sent as f64,
            failed: r.failed as f64,
            pending: r.pending as f64,
        })
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<DispatchReport> {
        let Some(e) = self.error.take() else {
            return Err(err);
        };
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
        obj.set("code", crate::error::code(e.kind()))?;
        obj.set("path", e.path())?;
        if let Some(secs) = e.retry_after_secs() {
            obj.set("retryAfterSecs", secs as f64)?;
        }
        Err(napi::Error::from(obj.to_unknown()))
    }
}

/// What a Slack install did.
#[napi(object)]
pub struct SlackInstall {
    /// The SignalCraft workspace's name.
    pub workspace: String,
    /// Its id.
    #[napi(js_name = "workspace_id")]
    pub workspace_id: String,
    /// The Slack team id.
    #[napi(js_name = "team_id")]
    pub team_id: String,
    /// The Slack team's name, if Slack said.
    #[napi(js_name = "team_name")]
    pub team_name: Option<String>,
    /// The SignalCraft channel created or updated.
    pub channel: String,
    /// The Slack channel it posts to.
    #[napi(js_name = "slack_channel")]
    pub slack_channel: String,
}

/// `slackOauthCallback` on libuv's thread pool (it waits on Slack).
pub struct SlackCallback {
    /// `None` when the engine was closed.
    engine: Option<Arc<CoreEngine>>,
    app: SlackApp,
    code: String,
    state: String,
    /// The engine's error, kept for `reject` to build the JavaScript `Error` from.
    error: Option<Error>,
}

impl Task for SlackCallback {
    type Output = signalcraft_core::engine::SlackInstall;
    type JsValue = SlackInstall;

    fn compute(&mut self) -> Result<Self::Output> {
        self.engine
            .as_ref()
            .ok_or_else(host::closed_engine)
            .and_then(|engine| {
                host::guard(|| engine.slack_oauth_callback(&self.app, &self.code, &self.state))
            })
            .map_err(|e| {
                let message = e.to_string();
                self.error = Some(e);
                napi::Error::new(Status::GenericFailure, message)
            })
    }

    fn resolve(&mut self, _env: Env, r: Self::Output) -> Result<SlackInstall> {
        Ok(SlackInstall {
            workspace: r.workspace,
            workspace_id: r.workspace_id,
            team_id: r.team_id,
            team_name: r.team_name,
            channel: r.channel,
            slack_channel: r.slack_channel,
        })
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<SlackInstall> {
        let Some(e) = self.error.take() else {
            return Err(err);
        };
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
        obj.set("code", crate::error::code(e.kind()))?;
        obj.set("path", e.path())?;
        Err(napi::Error::from(obj.to_unknown()))
    }
}

/// An engine answer handed to JavaScript as plain values: JSON text, parsed on the JavaScript
/// side by `JSON.parse`. V8's parser builds the objects several times faster than napi can, one
/// `napi_set_named_property` per field (measured: benches/README.md, "Binding answers"); the
/// objects are the same (`Value`'s maps are sorted by key, the text keeps the types' field
/// order, which no caller relies on).
pub struct JsonAnswer(String);

impl TypeName for JsonAnswer {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

impl ToNapiValue for JsonAnswer {
    unsafe fn to_napi_value(env: napi::sys::napi_env, val: Self) -> Result<napi::sys::napi_value> {
        use napi::sys;
        use std::ptr::null_mut;
        // SAFETY: napi hands this function a valid env; every out-pointer is a local, and each
        // call's status is checked before its result is used.
        unsafe {
            let text = String::to_napi_value(env, val.0)?;
            let mut global = null_mut();
            napi::check_status!(sys::napi_get_global(env, &mut global))?;
            let mut json = null_mut();
            napi::check_status!(sys::napi_get_named_property(
                env,
                global,
                c"JSON".as_ptr(),
                &mut json
            ))?;
            let mut parse = null_mut();
            napi::check_status!(sys::napi_get_named_property(
                env,
                json,
                c"parse".as_ptr(),
                &mut parse
            ))?;
            let mut out = null_mut();
            napi::check_status!(sys::napi_call_function(
                env, json, parse, 1, &text, &mut out
            ))?;
            Ok(out)
        }
    }
}

/// An answer as JSON text (what [`JsonAnswer`] carries).
fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> signalcraft_core::Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Internal(format!("serializing output: {e}")))
}

/// A blocking engine call on libuv's thread pool (a Promise in JavaScript).
pub struct Blocking {
    work: Option<Box<dyn FnOnce() -> signalcraft_core::Result<String> + Send>>,
    /// The engine's error, kept for `reject` to build the JavaScript `Error` from.
    error: Option<Error>,
}

impl Blocking {
    fn new(work: impl FnOnce() -> signalcraft_core::Result<String> + Send + 'static) -> Self {
        Self {
            work: Some(Box::new(work)),
            error: None,
        }
    }
}

impl Task for Blocking {
    type Output = String;
    type JsValue = JsonAnswer;

    fn compute(&mut self) -> Result<Self::Output> {
        let work = self
            .work
            .take()
            .ok_or_else(|| napi::Error::new(Status::GenericFailure, "the task ran twice"))?;
        host::guard(work).map_err(|e| {
            let message = e.to_string();
            self.error = Some(e);
            napi::Error::new(Status::GenericFailure, message)
        })
    }

    fn resolve(&mut self, _env: Env, v: Self::Output) -> Result<JsonAnswer> {
        Ok(JsonAnswer(v))
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> Result<JsonAnswer> {
        let Some(e) = self.error.take() else {
            return Err(err);
        };
        let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.to_string()))?;
        obj.set("code", crate::error::code(e.kind()))?;
        obj.set("path", e.path())?;
        if let Some(secs) = e.retry_after_secs() {
            // seconds to wait: far below 2^53
            obj.set("retryAfterSecs", secs as f64)?;
        }
        Err(napi::Error::from(obj.to_unknown()))
    }
}
