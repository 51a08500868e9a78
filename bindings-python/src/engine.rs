//! `signalcraft.Engine`: one method per engine call.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use signalcraft_core::engine::Actor;
use signalcraft_core::engine::SlackConnectOptions;
use signalcraft_core::escalation::EscalationPolicy;
use signalcraft_core::lifecycle::{Command, Role};
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::slack_oauth::SlackApp;
use signalcraft_core::{
    Engine as CoreEngine, Error, IntegrationUpdate, ManualClock, PrivateTargets, RuleSet, Source,
    host,
};

use crate::error::raise;
use crate::types::{body_in, headers_in, json_in, json_out, parse, time_in, typed_in};

/// The engine: open one per database file and share it between threads.
#[pyclass(frozen, name = "Engine", module = "signalcraft")]
pub struct PyEngine {
    /// `None` once closed.
    inner: RwLock<Option<Arc<CoreEngine>>>,
    /// The process that opened it: after `os.fork()` the child's copy refuses every call (its
    /// SQLite connections and threads are the parent's).
    pid: u32,
}

impl PyEngine {
    /// The engine, or the "closed" (or "opened by another process") error.
    fn inner(&self, py: Python<'_>) -> PyResult<Arc<CoreEngine>> {
        if std::process::id() != self.pid {
            return Err(raise(py, host::forked_engine(self.pid)));
        }
        self.inner
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
            .ok_or_else(|| raise(py, host::closed_engine()))
    }

    /// Runs `f` on the engine with the GIL released and turns its answer into Python values,
    /// straight from the engine's types (see [`json_out`]).
    fn call<'py, T, F>(&self, py: Python<'py>, f: F) -> PyResult<Bound<'py, PyAny>>
    where
        F: FnOnce(&CoreEngine) -> signalcraft_core::Result<T> + Send,
        T: serde::Serialize + Send,
    {
        let engine = self.inner(py)?;
        let out = py
            .detach(|| host::guard(|| f(&engine)))
            .map_err(|e| raise(py, e))?;
        json_out(py, &out)
    }
}

impl Drop for PyEngine {
    /// In a forked child the engine is forgotten, never dropped: dropping would join the
    /// parent's background threads (absent here) and close the parent's connections.
    fn drop(&mut self) {
        if std::process::id() != self.pid {
            let inner = self
                .inner
                .get_mut()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            std::mem::forget(inner);
        }
    }
}

#[pymethods]
impl PyEngine {
    /// Opens (creating and migrating) the database `path` names: a file path (`str` or
    /// `os.PathLike`), `sqlite:PATH`, or a `postgres://` URL (PostgreSQL needs a secret key:
    /// `secret_key` or `SIGNALCRAFT_SECRET_KEY`); in memory when `path` is None.
    /// `now` pins the clock to an RFC 3339 time (for tests and replays of a fixed moment).
    /// `allow_private_targets` lets channels reach non-public addresses (loopback, private,
    /// link-local…): `True` for all, or a list of CIDRs (`["127.0.0.1/32"]`); refused by default.
    #[new]
    #[pyo3(signature = (path=None, *, secret_key=None, max_body_bytes=None, now=None, allow_private_targets=None))]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        secret_key: Option<&[u8]>,
        max_body_bytes: Option<usize>,
        now: Option<&str>,
        allow_private_targets: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut b = match path {
            // a text path or URL goes through `database()`, which tells them apart; a path that
            // is not UTF-8 can only be a file
            Some(p) => match p.to_str() {
                Some(text) => CoreEngine::builder().database(text),
                None => CoreEngine::builder().path(p),
            },
            None => CoreEngine::builder().in_memory(),
        };
        if let Some(key) = secret_key {
            let key: [u8; 32] = key.try_into().map_err(|_| {
                raise(
                    py,
                    Error::invalid("secret_key", "expected exactly 32 bytes"),
                )
            })?;
            b = b.secret_key(key);
        }
        if let Some(n) = max_body_bytes {
            b = b.max_body_bytes(n);
        }
        if let Some(at) = time_in(py, "now", now)? {
            b = b.clock(Arc::new(ManualClock::new(at)));
        }
        if let Some(targets) = allow_private_targets {
            b = b.allow_private_targets(private_targets(py, targets)?);
        }
        let engine = py
            .detach(|| host::guard(|| b.build()))
            .map_err(|e| raise(py, e))?;
        Ok(Self {
            inner: RwLock::new(Some(Arc::new(engine))),
            pid: std::process::id(),
        })
    }

    /// Stops background work and closes the database; later calls raise "the engine is closed".
    /// Closing twice is fine.
    fn close(&self, py: Python<'_>) {
        let taken = self.inner.write().unwrap_or_else(|p| p.into_inner()).take();
        if std::process::id() != self.pid {
            // A forked child's copy: the parent's threads do not exist here and its
            // connections are not ours to close; leave them alone.
            std::mem::forget(taken);
            return;
        }
        if let Some(engine) = taken {
            py.detach(move || {
                engine.stop();
                drop(engine);
            });
        }
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.close(py);
        false
    }

    /// The engine's clock, RFC 3339.
    fn now(&self, py: Python<'_>) -> PyResult<String> {
        let engine = self.inner(py)?;
        host::guard(|| Ok(engine.now().to_rfc3339())).map_err(|e| raise(py, e))
    }

    /// Creates a workspace; with `owner_email`, that user becomes its owner in the same
    /// transaction.
    #[pyo3(signature = (name, owner_email=None))]
    fn create_workspace<'py>(
        &self,
        py: Python<'py>,
        name: &str,
        owner_email: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| match owner_email {
            Some(email) => e.create_workspace_with_owner(name, email),
            None => e.create_workspace(name),
        })
    }

    /// Adds a user (argon2id password hash); emails are unique.
    #[pyo3(signature = (email, password, name=None))]
    fn add_user<'py>(
        &self,
        py: Python<'py>,
        email: &str,
        password: &str,
        name: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.add_user(email, password, name))
    }

    /// Every user, by email.
    fn users<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, CoreEngine::users)
    }

    /// Gives a user a role in a workspace.
    fn set_member<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        email: &str,
        role: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let role: Role = parse(py, role)?;
        self.call(py, |e| e.set_member(workspace, email, role))
    }

    /// Removes a user from a workspace.
    fn remove_member<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        email: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.remove_member(workspace, email))
    }

    /// A workspace's members.
    fn members<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.members(workspace))
    }

    /// Logs in: a session (token and CSRF token shown once). Bad credentials raise
    /// `UnauthenticatedError`; too many failures, `RateLimitedError`.
    #[pyo3(signature = (email, password, address=None))]
    fn login<'py>(
        &self,
        py: Python<'py>,
        email: &str,
        password: &str,
        address: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.login(email, password, address))
    }

    /// Ends a session (an unknown token is a no-op).
    fn logout<'py>(&self, py: Python<'py>, token: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.logout(token))
    }

    /// Who a session token or API token is; for a session and an unsafe request, `csrf` must
    /// be its CSRF token.
    #[pyo3(signature = (credential, is_unsafe=false, csrf=None))]
    fn authenticate<'py>(
        &self,
        py: Python<'py>,
        credential: &str,
        is_unsafe: bool,
        csrf: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.authenticate(credential, is_unsafe, csrf))
    }

    /// Authenticates, then checks `permission` (`read`, `act`, `configure`, `administer`) in
    /// `workspace`; a workspace the principal is not in raises `NotFoundError`.
    #[pyo3(signature = (credential, workspace, permission, is_unsafe=false, csrf=None))]
    fn authorize<'py>(
        &self,
        py: Python<'py>,
        credential: &str,
        workspace: &str,
        permission: &str,
        is_unsafe: bool,
        csrf: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let permission = host::permission(permission).map_err(|e| raise(py, e))?;
        self.call(py, |e| {
            e.authorize(credential, workspace, permission, is_unsafe, csrf)
        })
    }

    /// Creates an API token (shown once).
    #[pyo3(signature = (workspace, role, name=None))]
    fn create_token<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        role: &str,
        name: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let role: Role = parse(py, role)?;
        self.call(py, |e| e.create_token(workspace, role, name))
    }

    /// A workspace's live API tokens.
    fn tokens<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.tokens(workspace))
    }

    /// Revokes an API token.
    fn revoke_token<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.revoke_token(workspace, id))
    }

    /// Creates an ingest key for a source (shown once).
    fn create_ingest_key<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        self.call(py, |e| e.create_ingest_key(workspace, source))
    }

    /// Revokes an ingest key.
    fn revoke_ingest_key<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
        id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        self.call(py, |e| e.revoke_ingest_key(workspace, source, id))
    }

    /// A source's live ingest keys (never the keys).
    fn ingest_keys<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        self.call(py, |e| e.ingest_keys(workspace, source))
    }

    /// The authenticated webhook (`source` may be `auto`; `key` is the `?key=` value).
    #[pyo3(signature = (workspace, source, headers, body, key=None))]
    fn webhook<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
        headers: Option<&Bound<'py, PyAny>>,
        body: &Bound<'py, PyAny>,
        key: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source = host::webhook_source(source).map_err(|e| raise(py, e))?;
        let headers = headers_in(py, headers)?;
        let body = body_in(py, body)?;
        self.call(py, |e| e.webhook(workspace, source, &headers, &body, key))
    }

    /// The workspace's changes after `since` (default 0), at most `limit` (1 to 1000, default
    /// 100), and its latest sequence number.
    #[pyo3(signature = (workspace, since=None, limit=None))]
    fn changes<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        since: Option<i64>,
        limit: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.changes(workspace, since, limit))
    }

    /// Every source's integration: settings, keys and delivery health.
    fn integrations<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.integrations(workspace))
    }

    fn workspaces<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, CoreEngine::workspaces)
    }

    fn settings<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.settings(workspace))
    }

    fn patch_settings<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        patch: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let patch = json_in(py, "settings", patch)?;
        self.call(py, |e| e.patch_settings(workspace, &patch))
    }

    fn set_settings<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        settings: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let settings: signalcraft_core::WorkspaceSettings = typed_in(py, "settings", settings)?;
        self.call(py, |e| e.set_settings(workspace, &settings))
    }

    fn integration<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        self.call(py, |e| e.integration(workspace, source))
    }

    fn set_integration<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
        update: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        let update: IntegrationUpdate = typed_in(py, "update", update)?;
        self.call(py, |e| e.set_integration(workspace, source, &update))
    }

    /// Verifies, parses, deduplicates, routes and stores one webhook delivery (one commit).
    #[pyo3(signature = (workspace, source, headers, body))]
    fn ingest<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
        headers: Option<&Bound<'py, PyAny>>,
        body: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        let headers = headers_in(py, headers)?;
        let body = body_in(py, body)?;
        self.call(py, |e| e.ingest(workspace, source, &headers, &body))
    }

    /// Like `ingest`, with the source told from the headers and body.
    #[pyo3(signature = (workspace, headers, body))]
    fn ingest_auto<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        headers: Option<&Bound<'py, PyAny>>,
        body: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let headers = headers_in(py, headers)?;
        let body = body_in(py, body)?;
        self.call(py, |e| e.ingest_auto(workspace, &headers, &body))
    }

    /// Many deliveries in one transaction: a list of `{"source", "headers", "body"}`; the answer
    /// has one `{"ok": outcome}` or `{"error": {...}}` per delivery, in order.
    fn ingest_batch<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        deliveries: Vec<Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let mut owned = Vec::with_capacity(deliveries.len());
        for (i, d) in deliveries.iter().enumerate() {
            let item = |key: &str| -> PyResult<Option<Bound<'py, PyAny>>> { d.get_item(key) };
            let source = match item("source")? {
                Some(s) => parse::<Source>(py, &s.extract::<String>()?)?,
                None => {
                    return Err(raise(
                        py,
                        Error::invalid(format!("deliveries[{i}].source"), "missing"),
                    ));
                }
            };
            let headers = headers_in(py, item("headers")?.as_ref())?;
            let body = match item("body")? {
                Some(b) => body_in(py, &b)?,
                None => {
                    return Err(raise(
                        py,
                        Error::invalid(format!("deliveries[{i}].body"), "missing"),
                    ));
                }
            };
            owned.push((source, headers, body));
        }
        let engine = self.inner(py)?;
        let out = py
            .detach(|| host::guard(|| host::ingest_batch(&engine, workspace, &owned)))
            .map_err(|e| raise(py, e))?;
        json_out(py, &out)
    }

    /// What `ingest` would decide, with `rules` in place of the workspace's when given; stores
    /// nothing.
    #[pyo3(signature = (workspace, source, headers, body, rules=None))]
    fn dry_run<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
        headers: Option<&Bound<'py, PyAny>>,
        body: &Bound<'py, PyAny>,
        rules: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        let headers = headers_in(py, headers)?;
        let body = body_in(py, body)?;
        let rules = match rules {
            Some(r) => {
                Some(RuleSet::from_json(&json_in(py, "rules", r)?).map_err(|e| raise(py, e))?)
            }
            None => None,
        };
        self.call(py, |e| {
            host::dry_run_json(&e.dry_run(workspace, source, &headers, &body, rules.as_ref())?)
        })
    }

    /// Checks rules as `put_rules` would, storing nothing: `{"ok": True, "rules": N}`.
    fn check_rules<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        rules: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rules = RuleSet::from_json(&json_in(py, "rules", rules)?).map_err(|e| raise(py, e))?;
        self.call(py, |e| {
            let n = e.check_rules(workspace, &rules)?;
            Ok(serde_json::json!({"ok": true, "rules": n}))
        })
    }

    /// Replaces the workspace's routing rules (a list of rules).
    fn put_rules<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        rules: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rules = RuleSet::from_json(&json_in(py, "rules", rules)?).map_err(|e| raise(py, e))?;
        self.call(py, |e| e.put_rules(workspace, &rules))
    }

    fn rules<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.rules(workspace).map(|r| r.to_json()))
    }

    /// Re-runs stored history through candidate rules and reports the difference.
    #[pyo3(signature = (workspace, rules, since=None, until=None))]
    fn replay<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        rules: &Bound<'py, PyAny>,
        since: Option<&str>,
        until: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rules = RuleSet::from_json(&json_in(py, "rules", rules)?).map_err(|e| raise(py, e))?;
        let since = time_in(py, "since", since)?;
        let until = time_in(py, "until", until)?;
        self.call(py, |e| e.replay(workspace, &rules, since, until))
    }

    /// Mutes matching alerts until `ends_at`, recording `actor` as the silence's creator.
    fn add_silence<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        silence: &Bound<'py, PyAny>,
        actor: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let silence = json_in(py, "silence", silence)?;
        self.call(py, |e| {
            let now = e.now();
            let s = e.add_silence(workspace, &host::new_silence(&silence, now)?, actor)?;
            Ok(host::silence_view(&s, e.now()))
        })
    }

    fn silences<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| {
            let now = e.now();
            Ok(e.silences(workspace)?
                .iter()
                .map(|s| host::silence_view(s, now))
                .collect::<Vec<Value>>())
        })
    }

    fn expire_silence<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.expire_silence(workspace, id))
    }

    /// A page of groups, newest activity first; `query` takes the keys of the CLI's filters
    /// (`status`, `environment`, `project`, `source`, `min_severity`, `limit`, `cursor`).
    #[pyo3(signature = (workspace, query=None))]
    fn groups<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        query: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let query = match query {
            Some(q) => host::group_query(json_in(py, "query", q)?).map_err(|e| raise(py, e))?,
            None => signalcraft_core::GroupQuery::default(),
        };
        self.call(py, |e| e.groups(workspace, &query))
    }

    /// One group with its newest 50 events and timeline entries (newest first) and the
    /// cursors of the rest (`events_next`, `timeline_next`).
    fn group<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.group(workspace, id))
    }

    /// A page of a group's events, newest first (`{items, next}`; `limit` 1 to 200).
    #[pyo3(signature = (workspace, id, cursor=None, limit=None))]
    fn group_events<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.group_events(workspace, id, cursor, limit))
    }

    /// A page of a group's timeline, newest first (`{items, next}`; `limit` 1 to 200).
    #[pyo3(signature = (workspace, id, cursor=None, limit=None))]
    fn group_timeline<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
        cursor: Option<&str>,
        limit: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.group_timeline(workspace, id, cursor, limit))
    }

    /// One stored event with the raw body and headers of the delivery it came from.
    fn event<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.event(workspace, id))
    }

    /// Runs a lifecycle command (`{"command": "ack"}`, `{"command": "snooze", "until": TIME}`, …)
    /// as `actor` with `role`, and returns the group after it.
    #[pyo3(signature = (workspace, group_id, command, actor, role="member"))]
    fn act<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        group_id: &str,
        command: &Bound<'py, PyAny>,
        actor: &str,
        role: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let command: Command = typed_in(py, "command", command)?;
        let actor = Actor::new(actor, parse::<Role>(py, role)?);
        self.call(py, |e| e.act(workspace, group_id, &command, &actor))
    }

    fn put_escalation<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        name: &str,
        policy: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let policy = EscalationPolicy::from_json(&json_in(py, "policy", policy)?)
            .map_err(|e| raise(py, e))?;
        self.call(py, |e| e.put_escalation(workspace, name, &policy))
    }

    /// Dashboard figures over a window (`24h`, `7d`, …).
    #[pyo3(signature = (workspace, window="24h"))]
    fn stats<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        window: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.stats(workspace, window))
    }

    /// Fires due timers (escalations, snooze ends, auto-close, retention).
    #[pyo3(signature = (workspace=None))]
    fn tick<'py>(&self, py: Python<'py>, workspace: Option<&str>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.tick(workspace))
    }

    /// Creates or replaces a channel (`slack`, `webhook`, `pagerduty`, `email`).
    fn set_channel<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        name: &str,
        kind: &str,
        config: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let kind: ChannelKind = parse(py, kind)?;
        let config = json_in(py, "config", config)?;
        self.call(py, |e| e.set_channel(workspace, name, kind, &config))
    }

    fn channels<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.channels(workspace))
    }

    /// Replaces the workspace's apps and monitors (a list of monitors, or `{apps?, monitors}`);
    /// answers `{apps, monitors}` with secrets shown as `has_<field>: True`.
    fn put_monitors<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        doc: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let doc = json_in(py, "monitors", doc)?;
        self.call(py, |e| e.put_monitors(workspace, &doc))
    }

    /// The workspace's apps and monitors, secrets shown as `has_<field>`.
    fn monitors<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.monitors(workspace))
    }

    /// Every monitor's state: latest reading, history, breach, open alert group.
    fn monitor_status<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.monitor_status(workspace))
    }

    /// The workspace's apps with their monitors' states and open alerts.
    fn apps<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.apps(workspace))
    }

    /// Runs one monitor now (due or not; the GIL is released while it waits on the target);
    /// answers its state after.
    fn run_monitor<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.run_monitor(workspace, id))
    }

    /// Runs the due monitors (`once`: every monitor); answers every monitor's state after.
    #[pyo3(signature = (workspace, once=false))]
    fn run_monitors<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        once: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.run_monitors(workspace, once))
    }

    /// Sends what is due in the outbox, waiting up to `wait_ms` for retries due by then.
    #[pyo3(signature = (workspace=None, wait_ms=0))]
    fn dispatch<'py>(
        &self,
        py: Python<'py>,
        workspace: Option<&str>,
        wait_ms: u64,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| {
            e.dispatch(workspace, Duration::from_millis(wait_ms))
        })
    }

    /// The delivery log, of a workspace or one group.
    #[pyo3(signature = (workspace, group=None))]
    fn deliveries<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        group: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.deliveries(workspace, group))
    }

    /// Starts delivering and ticking on background threads until `stop()`.
    fn workspace<'py>(&self, py: Python<'py>, reference: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.workspace(reference))
    }

    /// The engine's metrics in the Prometheus (OpenMetrics) text format, for `/metrics`.
    fn metrics_text(&self, py: Python<'_>) -> PyResult<String> {
        let engine = self.inner(py)?;
        py.detach(|| host::guard(|| engine.metrics_text()))
            .map_err(|e| raise(py, e))
    }

    /// One command on many groups: one `{"id", "ok": group}` or `{"id", "error"}` per id.
    #[pyo3(signature = (workspace, ids, command, actor, role="member"))]
    fn act_many<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        ids: &Bound<'py, PyAny>,
        command: &Bound<'py, PyAny>,
        actor: &str,
        role: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let ids = host::ids(&json_in(py, "ids", ids)?).map_err(|e| raise(py, e))?;
        let command: Command = typed_in(py, "command", command)?;
        let role: Role = parse(py, role)?;
        let actor = Actor::new(actor, role);
        self.call(py, |e| {
            host::act_many_json(&e.act_many(workspace, &ids, &command, &actor)?)
        })
    }

    fn escalations<'py>(&self, py: Python<'py>, workspace: &str) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| {
            Ok(host::escalations_view(&e.escalations(workspace)?))
        })
    }

    fn delete_escalation<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.delete_escalation(workspace, name))
    }

    fn delete_channel<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.delete_channel(workspace, name))
    }

    fn add_maintenance<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        window: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let window = json_in(py, "maintenance", window)?;
        self.call(py, |e| {
            let w = e.add_maintenance(workspace, &host::new_maintenance(&window)?)?;
            Ok(host::maintenance_view(&w, e.now()))
        })
    }

    fn maintenance_windows<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| {
            let now = e.now();
            Ok(e.maintenance_windows(workspace)?
                .iter()
                .map(|w| host::maintenance_view(w, now))
                .collect::<Vec<Value>>())
        })
    }

    fn delete_maintenance<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        id: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.delete_maintenance(workspace, id))
    }

    fn set_slack_signing_secret<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        secret: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.set_slack_signing_secret(workspace, secret))
    }

    /// Handles a Slack interactive request for one workspace (raw headers and form body).
    #[pyo3(signature = (workspace, headers, body))]
    fn handle_slack_action<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        headers: Option<&Bound<'py, PyAny>>,
        body: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let headers = headers_in(py, headers)?;
        let body = body_in(py, body)?;
        self.call(py, |e| e.handle_slack_action(workspace, &headers, &body))
    }

    /// Queues a test notification on a channel through the real outbox (`test: True`).
    fn test_channel<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| e.test_channel(workspace, name))
    }

    /// The built-in sample delivery of a source: `{"headers": {...}, "body": str}`.
    fn sample_payload<'py>(&self, py: Python<'py>, source: &str) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        self.call(py, |e| Ok(host::sample_json(&e.sample_payload(source)?)))
    }

    /// Ingests the source's built-in sample through the real path (signed when the integration
    /// has a secret).
    fn test_integration<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        source: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let source: Source = parse(py, source)?;
        self.call(py, |e| e.test_integration(workspace, source))
    }

    /// Starts a Slack install: `{"url", "state"}`.
    #[pyo3(signature = (workspace, app, options=None))]
    fn slack_connect<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        app: &Bound<'py, PyAny>,
        options: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let app: SlackApp = typed_in(py, "app", app)?;
        let options: SlackConnectOptions = match options {
            Some(o) if !o.is_none() => typed_in(py, "options", o)?,
            _ => SlackConnectOptions::default(),
        };
        self.call(py, |e| e.slack_connect(workspace, &app, &options))
    }

    /// Finishes a Slack install (exchanges the code at Slack, the GIL released).
    fn slack_oauth_callback<'py>(
        &self,
        py: Python<'py>,
        app: &Bound<'py, PyAny>,
        code: &str,
        state: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        let app: SlackApp = typed_in(py, "app", app)?;
        self.call(py, |e| e.slack_oauth_callback(&app, code, state))
    }

    /// Handles a Slack interactive request sent to the app's one request URL (the payload's team
    /// id picks the workspace).
    #[pyo3(signature = (headers, body))]
    fn handle_slack_team_action<'py>(
        &self,
        py: Python<'py>,
        headers: Option<&Bound<'py, PyAny>>,
        body: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let headers = headers_in(py, headers)?;
        let body = body_in(py, body)?;
        self.call(py, |e| e.handle_slack_team_action(&headers, &body))
    }

    /// Changes the workspace's slack integration (`secret`, `options` `{"team_id"}`).
    fn set_slack_integration<'py>(
        &self,
        py: Python<'py>,
        workspace: &str,
        update: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let update: IntegrationUpdate = typed_in(py, "update", update)?;
        self.call(py, |e| e.set_slack_integration(workspace, &update))
    }

    /// Whether the engine can serve (`database_writable`, `database_error`, `background`).
    fn ready<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.call(py, |e| Ok(e.ready()))
    }

    fn start_background(&self, py: Python<'_>) -> PyResult<()> {
        let engine = self.inner(py)?;
        host::guard(|| engine.start_background()).map_err(|e| raise(py, e))
    }

    /// Stops the background threads (the engine stays open).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let engine = self.inner(py)?;
        py.detach(|| {
            host::guard(|| {
                engine.stop();
                Ok(())
            })
        })
        .map_err(|e| raise(py, e))
    }

    /// Panics inside an engine call, for tests only: proves that a panic comes back as an
    /// `InternalError` (not pyo3's `PanicException`, a `BaseException`), and the engine stays
    /// usable.
    fn _panic_for_tests(&self, py: Python<'_>) -> PyResult<()> {
        self.call(py, |_| -> signalcraft_core::Result<()> {
            panic!("a panic provoked by a test")
        })
        .map(|_| ())
    }
}

/// `allow_private_targets`: `True` (all), `False` (none) or a list of CIDR strings.
fn private_targets(py: Python<'_>, v: &Bound<'_, PyAny>) -> PyResult<PrivateTargets> {
    if let Ok(all) = v.cast::<pyo3::types::PyBool>() {
        return Ok(if all.is_true() {
            PrivateTargets::All
        } else {
            PrivateTargets::None
        });
    }
    let list: Vec<String> = v.extract().map_err(|_| {
        raise(
            py,
            Error::invalid(
                "allow_private_targets",
                "expected True, False or a list of CIDR strings",
            ),
        )
    })?;
    PrivateTargets::from_list("allow_private_targets", &list).map_err(|e| raise(py, e))
}
