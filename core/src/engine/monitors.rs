//! Fleet monitors: putting a workspace's apps and monitors, running their checks (on demand and
//! from the background loop), and turning breaches into alerts of source `monitor` through the
//! ingest path.
//!
//! A run has three steps: plan (read the monitors, their state and history; open their secrets),
//! check (concurrently, at most [`MAX_CONCURRENT_CHECKS`] at a time, each bounded by its own
//! timeout, no database access), apply (one write transaction per monitor: the reading, the
//! breach state, and the alert it opens or resolves).

use super::{Engine, Ready, load_rows, redacted_headers};
use crate::alert::{AlertStatus, MatchScope, NormalizedAlert, Source, WorkspaceId};
use crate::headers::Headers;
use crate::monitors::check::{self, BreachState, Reading, Transition};
use crate::monitors::clients::RealConnector;
use crate::monitors::model::{Monitor, MonitorKind, MonitorSet, SECRET_FIELDS};
use crate::monitors::{ClientError, Connector, ServiceProbe, run};
use crate::store::db::Conn;
use crate::store::{self, monitors::MonitorRow};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Checks that run at the same time (per on-demand run, and in the background loop).
pub const MAX_CONCURRENT_CHECKS: usize = 16;
/// The longest an on-demand run waits; checks not started by then stay due and are not
/// recorded.
pub const RUN_DEADLINE: Duration = Duration::from_secs(120);
/// The longest title an alert of a monitor gets.
const MAX_TITLE: usize = 300;
/// How long a background check's claim holds its monitor (longer than a check can take): an
/// engine that dies mid-check leaves the monitor to another engine after this.
const CHECK_LEASE: chrono::TimeDelta = chrono::TimeDelta::seconds(120);

/// A monitor's state, as `monitor status` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorState {
    /// The monitor's id.
    pub id: String,
    /// Its app.
    pub app: String,
    /// Its kind.
    pub kind: MonitorKind,
    /// Its alerts' severity.
    pub severity: crate::Severity,
    /// Its alerts' environment.
    pub environment: Option<String>,
    /// Seconds between checks.
    pub interval_secs: u64,
    /// `pending` (never checked), `ok`, `breach` (the latest check failed) or `error` (the
    /// latest check could not tell).
    pub state: String,
    /// An alert is open.
    pub breaching: bool,
    /// Checks in a row with the latest verdict.
    pub consecutive: u32,
    /// The latest reading.
    pub reading: Option<Reading>,
    /// Recent readings, newest last (at most 60).
    pub history: Vec<HistoryPoint>,
    /// The open alert's group.
    pub group_id: Option<String>,
    /// When the next check is due.
    pub next_due_at: DateTime<Utc>,
}

/// One point of a monitor's history (for sparklines).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryPoint {
    /// When.
    pub at: DateTime<Utc>,
    /// Within thresholds.
    pub ok: bool,
    /// The tracked number.
    pub value: Option<f64>,
}

/// An app with its monitors' states and open alerts, as the Fleet page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppView {
    /// The app's name (its alerts' project).
    pub name: String,
    /// Its repository.
    pub repository: Option<crate::monitors::model::AppRepository>,
    /// Its container image.
    pub image: Option<crate::monitors::model::AppImage>,
    /// Its workload.
    pub workload: Option<crate::monitors::model::AppWorkload>,
    /// Its health URLs.
    pub health_urls: Vec<String>,
    /// Its third-party services.
    pub usage: Vec<String>,
    /// Its links.
    pub links: BTreeMap<String, String>,
    /// Its monitors.
    pub monitors: Vec<MonitorState>,
    /// The worst state of its monitors (`breach` > `error` > `pending` > `ok`; an open alert
    /// counts as `breach`); `pending` without monitors.
    pub state: String,
    /// Unresolved alert groups whose project is the app (any source).
    pub open_alerts: u64,
    /// The inbox query of its alerts (`project=<name>`).
    pub alerts_query: String,
}

/// The monitor machinery an engine holds: the connector that makes clients.
#[derive(Debug)]
pub(crate) struct MonitorRuntime {
    connector: Arc<dyn Connector>,
}

impl MonitorRuntime {
    /// The real clients, reaching non-public addresses only as `policy` allows.
    pub(crate) fn new(policy: Arc<crate::net::PrivateTargets>) -> Self {
        MonitorRuntime {
            connector: Arc::new(SharedProbe {
                inner: Arc::new(RealConnector::new(policy)),
                probe: OnceLock::new(),
            }),
        }
    }
}

/// A connector whose HTTP probe is made once and shared: building a TLS client costs far more
/// than a probe, and each probe request carries its own timeout anyway.
struct SharedProbe {
    inner: Arc<dyn Connector>,
    probe: OnceLock<std::result::Result<Arc<dyn ServiceProbe>, ClientError>>,
}

impl std::fmt::Debug for SharedProbe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedProbe")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl Connector for SharedProbe {
    fn git_forge(
        &self,
        target: &crate::monitors::ForgeTarget,
        timeout: Duration,
    ) -> std::result::Result<Arc<dyn crate::monitors::GitForge>, ClientError> {
        self.inner.git_forge(target, timeout)
    }

    fn registry(
        &self,
        target: &crate::monitors::RegistryTarget,
        timeout: Duration,
    ) -> std::result::Result<Arc<dyn crate::monitors::ContainerRegistry>, ClientError> {
        self.inner.registry(target, timeout)
    }

    fn cluster(
        &self,
        target: &crate::monitors::ClusterTarget,
        timeout: Duration,
    ) -> std::result::Result<Arc<dyn crate::monitors::Cluster>, ClientError> {
        self.inner.cluster(target, timeout)
    }

    fn cloud(
        &self,
        target: &crate::monitors::CloudTarget,
        timeout: Duration,
    ) -> std::result::Result<Arc<dyn crate::monitors::CloudProvider>, ClientError> {
        self.inner.cloud(target, timeout)
    }

    fn probe(&self, _timeout: Duration) -> std::result::Result<Arc<dyn ServiceProbe>, ClientError> {
        self.probe
            .get_or_init(|| self.inner.probe(crate::monitors::http::MAX_TIMEOUT))
            .clone()
    }

    fn usage(
        &self,
        target: &crate::monitors::UsageTarget,
        timeout: Duration,
    ) -> std::result::Result<Arc<dyn crate::monitors::UsageSource>, ClientError> {
        self.inner.usage(target, timeout)
    }
}

/// The background loop's monitor bookkeeping: checks in flight and their answers.
#[derive(Debug)]
pub(crate) struct MonitorLoop {
    in_flight: HashSet<(String, String)>,
    tx: mpsc::Sender<(Planned, run::Checked)>,
    rx: mpsc::Receiver<(Planned, run::Checked)>,
}

impl Default for MonitorLoop {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel();
        MonitorLoop {
            in_flight: HashSet::new(),
            tx,
            rx,
        }
    }
}

/// A check ready to run: the monitor with its secrets opened and its app's defaults.
#[derive(Debug, Clone)]
pub(crate) struct Planned {
    ws: WorkspaceId,
    monitor: Monitor,
    history: Vec<Reading>,
    now: DateTime<Utc>,
}

fn state_view(row: &MonitorRow, points: Option<&Vec<store::monitors::Point>>) -> MonitorState {
    let m = &row.monitor;
    MonitorState {
        id: m.id.clone(),
        app: m.app.clone(),
        kind: m.kind,
        severity: m.severity,
        environment: m.environment.clone(),
        interval_secs: m.interval_secs,
        state: row
            .reading
            .as_ref()
            .map_or("pending", |r| r.state(m.kind))
            .to_string(),
        breaching: row.state.breaching,
        consecutive: row.state.consecutive(),
        reading: row.reading.clone(),
        history: points
            .map(|p| {
                p.iter()
                    .map(|p| HistoryPoint {
                        at: p.at,
                        ok: p.ok,
                        value: p.value,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        group_id: row.state.group_id.clone(),
        next_due_at: row.next_due_at,
    }
}

fn rank(state: &MonitorState) -> u8 {
    if state.breaching {
        return 3;
    }
    match state.state.as_str() {
        "breach" => 3,
        "error" => 2,
        "pending" => 1,
        _ => 0,
    }
}

impl Engine {
    /// Replaces the workspace's apps and monitors with `doc` (a list of monitors, or
    /// `{apps?, monitors}`), validated with path-precise errors. Secrets in configs are sealed
    /// at rest; `has_<field>: true` without the field keeps the stored secret. Monitors kept by
    /// id keep their state; removed monitors that had an alert open resolve it. Answers the set
    /// as [`Engine::monitors`] shows it.
    pub fn put_monitors(&self, workspace: &str, doc: &Value) -> Result<Value> {
        let mut set = MonitorSet::parse(doc)?;
        let b = self.secret_box()?;
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            let old = store::monitors::rows(tx, &ws.id)?;
            for (i, m) in set.monitors.iter_mut().enumerate() {
                let before = old.iter().find(|o| o.monitor.id == m.id);
                seal_config(m, before.map(|o| &o.monitor), &b, i)?;
            }
            for o in &old {
                let kept = set
                    .monitors
                    .iter()
                    .any(|m| m.id == o.monitor.id && m.kind == o.monitor.kind);
                if !kept && o.state.breaching {
                    let subject = o.state.subject.clone().unwrap_or_default();
                    let summary = format!("{}: monitor removed", o.monitor.id);
                    let reading = Reading {
                        at: now,
                        ok: true,
                        value: None,
                        unit: None,
                        summary,
                        error: None,
                        details: Value::Null,
                    };
                    self.monitor_alert(
                        tx,
                        ws,
                        &o.monitor,
                        &subject,
                        &reading,
                        AlertStatus::Resolved,
                        now,
                    )?;
                }
            }
            store::monitors::put(tx, &ws.id, &set.apps, &set.monitors, now)?;
            Ok(())
        })?;
        Ok(set.redacted())
    }

    /// The workspace's apps and monitors (`{apps, monitors}`), secrets shown as
    /// `has_<field>: true`.
    pub fn monitors(&self, workspace: &str) -> Result<Value> {
        self.read_in(workspace, |tx, ws| {
            let monitors = store::monitors::rows(tx, &ws.id)?
                .into_iter()
                .map(|r| r.monitor)
                .collect();
            let apps = store::monitors::apps(tx, &ws.id)?;
            Ok(MonitorSet { apps, monitors }.redacted())
        })
    }

    /// Every monitor's state, in order.
    pub fn monitor_status(&self, workspace: &str) -> Result<Vec<MonitorState>> {
        self.read_in(workspace, |tx, ws| {
            let points = store::monitors::points(tx, &ws.id)?;
            Ok(store::monitors::rows(tx, &ws.id)?
                .iter()
                .map(|r| state_view(r, points.get(&r.monitor.id)))
                .collect())
        })
    }

    /// The workspace's apps with their monitors' states and open alerts.
    pub fn apps(&self, workspace: &str) -> Result<Vec<AppView>> {
        self.read_in(workspace, |tx, ws| {
            let points = store::monitors::points(tx, &ws.id)?;
            let states: Vec<MonitorState> = store::monitors::rows(tx, &ws.id)?
                .iter()
                .map(|r| state_view(r, points.get(&r.monitor.id)))
                .collect();
            let open = store::monitors::open_alerts_by_project(tx, &ws.id)?;
            Ok(store::monitors::apps(tx, &ws.id)?
                .into_iter()
                .map(|a| {
                    let monitors: Vec<MonitorState> =
                        states.iter().filter(|s| s.app == a.name).cloned().collect();
                    let state = match monitors.iter().map(rank).max() {
                        Some(3) => "breach",
                        Some(2) => "error",
                        Some(0) => "ok",
                        _ => "pending",
                    };
                    AppView {
                        open_alerts: open.get(&a.name).copied().unwrap_or(0),
                        alerts_query: format!("project={}", a.name),
                        name: a.name,
                        repository: a.repository,
                        image: a.image,
                        workload: a.workload,
                        health_urls: a.health_urls,
                        usage: a.usage,
                        links: a.links,
                        monitors,
                        state: state.to_string(),
                    }
                })
                .collect())
        })
    }

    /// Runs one monitor now (due or not) and applies its reading: the breach state, and the
    /// alert it opens or resolves. Answers its state after.
    pub fn run_monitor(&self, workspace: &str, id: &str) -> Result<MonitorState> {
        let now = self.now();
        let planned = self.read_in(workspace, |tx, ws| {
            let row = store::monitors::row_of(tx, &ws.id, id)?
                .ok_or_else(|| Error::not_found("monitor", id))?;
            let apps = store::monitors::apps(tx, &ws.id)?;
            self.plan(tx, &ws.id, row.monitor, now, &apps)
        })?;
        self.run_planned(vec![planned])?;
        self.state_of(workspace, id)
    }

    /// Runs the workspace's due monitors (`once`: every monitor, due or not) at the engine's
    /// clock, at most [`MAX_CONCURRENT_CHECKS`] at a time, each bounded by its own timeout, and
    /// applies their readings. Answers every monitor's state after (as [`Engine::monitor_status`]).
    pub fn run_monitors(&self, workspace: &str, once: bool) -> Result<Vec<MonitorState>> {
        let now = self.now();
        let planned = self.read_in(workspace, |tx, ws| {
            let mut out = Vec::new();
            let apps = store::monitors::apps(tx, &ws.id)?;
            for row in store::monitors::rows(tx, &ws.id)? {
                if once || row.next_due_at <= now {
                    out.push(self.plan(tx, &ws.id, row.monitor, now, &apps)?);
                }
            }
            Ok(out)
        })?;
        self.run_planned(planned)?;
        self.monitor_status(workspace)
    }

    fn state_of(&self, workspace: &str, id: &str) -> Result<MonitorState> {
        self.monitor_status(workspace)?
            .into_iter()
            .find(|s| s.id == id)
            .ok_or_else(|| Error::not_found("monitor", id))
    }

    /// A monitor ready to check: secrets opened, its app's defaults filled in, its history.
    fn plan(
        &self,
        tx: &Conn,
        ws: &WorkspaceId,
        mut monitor: Monitor,
        now: DateTime<Utc>,
        apps: &[crate::monitors::model::App],
    ) -> Result<Planned> {
        if let Value::Object(c) = &mut monitor.config {
            let b = self.secret_box()?;
            for f in SECRET_FIELDS {
                if let Some(Value::String(s)) = c.get_mut(f)
                    && crate::secrets::is_sealed(s)
                {
                    *s = b.open(s)?;
                }
            }
        }
        let monitor = run::with_app_defaults(&monitor, apps.iter().find(|a| a.name == monitor.app));
        let history = store::monitors::history(tx, ws, &monitor.id)?;
        Ok(Planned {
            ws: ws.clone(),
            monitor,
            history,
            now,
        })
    }

    /// Checks `planned` concurrently (bounded, within [`RUN_DEADLINE`]) and applies each
    /// reading as it is known.
    fn run_planned(&self, planned: Vec<Planned>) -> Result<()> {
        if planned.is_empty() {
            return Ok(());
        }
        let rt = self.runtime()?;
        let connector = Arc::clone(&self.monitor_rt.connector);
        let done: Vec<(Planned, run::Checked)> = rt.block_on(async move {
            let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_CHECKS));
            let deadline = tokio::time::Instant::now() + RUN_DEADLINE;
            let mut set = tokio::task::JoinSet::new();
            for p in planned {
                let (permits, connector) = (Arc::clone(&permits), Arc::clone(&connector));
                set.spawn(async move {
                    let _permit = tokio::time::timeout_at(deadline, permits.acquire_owned())
                        .await
                        .ok()?
                        .ok()?;
                    let checked = run::run(connector.as_ref(), &p.monitor, p.now, &p.history).await;
                    Some((p, checked))
                });
            }
            let mut out = Vec::new();
            while let Some(r) = set.join_next().await {
                if let Ok(Some(done)) = r {
                    out.push(done);
                }
            }
            out
        });
        let mut first_error = None;
        for (p, checked) in done {
            if let Err(e) = self.apply(&p, &checked)
                && first_error.is_none()
            {
                first_error = Some(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Applies one reading in one write transaction: records it, steps the breach state, and
    /// opens or resolves the monitor's alert through the ingest path.
    fn apply(&self, p: &Planned, checked: &run::Checked) -> Result<()> {
        let reading = &checked.reading;
        let now = self.now();
        // one reading and its alert: group-committed with concurrent writers' (see
        // `Store::write_grouped`)
        self.store.write_grouped(|tx| {
            let ws = store::workspaces::resolve(tx, p.ws.as_str())?;
            let Some(row) = store::monitors::row_of(tx, &ws.id, &p.monitor.id)? else {
                return Ok(()); // removed while it ran
            };
            if row.monitor.kind != p.monitor.kind {
                return Ok(()); // replaced while it ran
            }
            if row.reading.as_ref().is_some_and(|r| r.at > reading.at) {
                // a later reading is already applied (another engine's, or an on-demand run's):
                // breach state steps in reading order, so this older one is dropped
                return Ok(());
            }
            let m = &row.monitor;
            let mut state: BreachState = row.state.clone();
            match state.step(reading.verdict(m.kind), m.breach_after, m.recover_after) {
                Transition::None => {}
                Transition::Open => {
                    let subject = check::subject(&p.monitor);
                    let group = self.monitor_alert(
                        tx,
                        &ws,
                        m,
                        &subject,
                        reading,
                        AlertStatus::Firing,
                        now,
                    )?;
                    state.subject = Some(subject);
                    state.group_id = group;
                }
                Transition::Resolve => {
                    let subject = state
                        .subject
                        .clone()
                        .unwrap_or_else(|| check::subject(&p.monitor));
                    self.monitor_alert(tx, &ws, m, &subject, reading, AlertStatus::Resolved, now)?;
                    state.subject = None;
                    state.group_id = None;
                }
            }
            // a rate-limited API is left alone for as long as it asked (at most a day)
            let wait = m
                .interval_secs
                .max(checked.retry_after_secs.unwrap_or(0).min(86_400));
            let next =
                reading.at + chrono::TimeDelta::seconds(i64::try_from(wait).unwrap_or(86_400));
            store::monitors::record(tx, &ws.id, &m.id, reading, &state, next)?;
            Ok(())
        })
    }

    /// Ingests a monitor's alert (firing or resolved) through the ingest path, inside `tx`.
    /// Answers the group it went to.
    #[allow(clippy::too_many_arguments)]
    fn monitor_alert(
        &self,
        tx: &Conn,
        ws: &crate::workspace::Workspace,
        m: &Monitor,
        subject: &str,
        reading: &Reading,
        status: AlertStatus,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        let (config, settings) = load_rows(tx, ws, Source::Monitor)?;
        let loaded = self.loaded(ws.clone(), Source::Monitor, config, settings)?;
        let mut tags = BTreeMap::new();
        tags.insert("monitor".to_string(), m.id.clone());
        tags.insert("monitor_kind".to_string(), m.kind.as_str().to_string());
        tags.insert("subject".to_string(), subject.to_string());
        let title: String = reading.summary.chars().take(MAX_TITLE).collect();
        let link = ["html_url", "url"]
            .iter()
            .find_map(|k| reading.details.get(*k).and_then(Value::as_str))
            .filter(|u| u.starts_with("http"))
            .map(str::to_string);
        let alert = NormalizedAlert {
            workspace: ws.id.clone(),
            source: Source::Monitor,
            source_event_id: None,
            project: Some(m.app.clone()),
            environment: m.environment.clone(),
            severity: m.severity,
            status,
            fingerprint: check::fingerprint(&m.id, subject),
            title,
            message: reading.error.clone(),
            tags,
            link,
            occurred_at: Some(reading.at),
            received_at: now,
            scope: MatchScope::GroupKey,
            action: None,
        };
        let body =
            serde_json::to_vec(&json!({"monitor": m.id, "kind": m.kind, "reading": reading}))
                .map_err(|e| Error::Internal(format!("serializing a reading: {e}")))?;
        let ready = Ready {
            ws: ws.id.clone(),
            settings: loaded.settings,
            source: Source::Monitor,
            now,
            delivery_id: None,
            alerts: vec![alert],
            notes: Vec::new(),
            alert_notes: BTreeMap::new(),
            replay: None,
            headers: redacted_headers(&loaded.options, &Headers::new())?,
            body: std::borrow::Cow::Borrowed(&body),
            // the engine's own checks are trusted like an embedder's direct ingest
            broadcast: true,
        };
        let out = self.commit_ready(tx, &ready, None, false)?;
        Ok(out
            .alerts
            .first()
            .and_then(|a| a.group_id.as_ref())
            .map(|g| g.to_string()))
    }

    /// One round of the background loop's monitoring: applies the answers of checks that
    /// finished, then starts due checks (up to [`MAX_CONCURRENT_CHECKS`] in flight) on the
    /// runtime without waiting for them — a slow target holds only its own slot.
    pub(crate) fn monitor_round(&self, state: &mut MonitorLoop) -> Result<()> {
        while let Ok((p, checked)) = state.rx.try_recv() {
            state
                .in_flight
                .remove(&(p.ws.0.clone(), p.monitor.id.clone()));
            // an error is the storage's; the monitor stays due and comes back next round
            let _ = self.apply(&p, &checked);
        }
        let room = MAX_CONCURRENT_CHECKS.saturating_sub(state.in_flight.len());
        if room == 0 {
            return Ok(());
        }
        let now = self.now();
        let limit = room + state.in_flight.len();
        let due = self.store.read(|tx| store::monitors::due(tx, now, limit))?;
        let rt = self.runtime()?;
        for (ws, id) in due {
            if state.in_flight.len() >= MAX_CONCURRENT_CHECKS {
                break;
            }
            let key = (ws.0.clone(), id.clone());
            if state.in_flight.contains(&key) {
                continue;
            }
            let planned = self.store.read(|tx| {
                let Some(row) = store::monitors::row_of(tx, &ws, &id)? else {
                    return Ok(None);
                };
                let apps = store::monitors::apps(tx, &ws)?;
                self.plan(tx, &ws, row.monitor, now, &apps).map(Some)
            });
            let Ok(Some(p)) = planned else { continue };
            // one engine of all those sharing the database runs it (its lease outlasts the
            // check's longest timeout)
            let until = now + CHECK_LEASE;
            match self
                .store
                .write(|tx| store::monitors::claim(tx, &ws, &id, now, until))
            {
                Ok(true) => {}
                _ => continue,
            }
            state.in_flight.insert(key);
            let (tx, connector) = (state.tx.clone(), Arc::clone(&self.monitor_rt.connector));
            rt.spawn(async move {
                let checked = run::run(connector.as_ref(), &p.monitor, p.now, &p.history).await;
                let _ = tx.send((p, checked));
            });
        }
        Ok(())
    }
}

/// Seals the secrets of `m`'s config (monitor `i` of the document): given ones are sealed;
/// `has_<field>: true` without the field keeps `before`'s; the markers are dropped.
fn seal_config(
    m: &mut Monitor,
    before: Option<&Monitor>,
    b: &crate::secrets::SecretBox,
    i: usize,
) -> Result<()> {
    let Value::Object(c) = &mut m.config else {
        return Ok(());
    };
    for f in SECRET_FIELDS {
        let marker = c.remove(&format!("has_{f}"));
        match c.get_mut(f) {
            Some(Value::String(s)) => *s = b.seal(s)?,
            Some(_) => {}
            None if marker == Some(Value::Bool(true)) => {
                let kept = before
                    .filter(|o| o.kind == m.kind)
                    .and_then(|o| o.config.get(f))
                    .and_then(Value::as_str)
                    .ok_or_else(|| {
                        Error::invalid(
                            format!("monitors[{i}].config.has_{f}"),
                            format!("no {f} is stored for monitor {:?}: give the {f}", m.id),
                        )
                    })?;
                c.insert(f.to_string(), Value::String(kept.to_string()));
            }
            None => {}
        }
    }
    Ok(())
}
