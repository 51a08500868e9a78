//! Delivery: channels, the dispatcher that drains the outbox, the delivery log, and the
//! background loop for hosts.

use super::Engine;
use crate::alert::WorkspaceId;
use crate::group::AlertGroup;
use crate::notify::dispatch::{Notifier, Outgoing, SendOutcome};
use crate::notify::email::EmailNotifier;
use crate::notify::pagerduty::PagerdutyNotifier;
use crate::notify::slack_api::SlackNotifier;
use crate::notify::storm::{self, Digest};
use crate::notify::webhook::WebhookNotifier;
use crate::notify::{BreakerState, ChannelConfig, ChannelKind};
use crate::store::{self, outbox::After, outbox::Attempt, outbox::Claimed, outbox::Delivery};
use crate::workspace::WorkspaceSettings;
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// How long a claimed notification is leased to one dispatcher.
const LEASE_SECS: i64 = 120;
/// Sends in flight at once in one dispatch.
const MAX_IN_FLIGHT: usize = 32;
/// Sends in flight at once on one channel.
const PER_CHANNEL: usize = 4;
/// Due rows one claim looks at (folding is cheap: it may look at many more than it leases).
const SCAN: usize = 512;
/// How often a dispatch with sends in flight looks for newly due work.
const POLL: Duration = Duration::from_millis(50);
/// How often the background loop runs `tick`.
const TICK_EVERY: Duration = Duration::from_millis(250);
/// The longest any HTTP request of a delivery may take (every configured timeout is capped).
pub(crate) const MAX_TIMEOUT: Duration = Duration::from_secs(30);

/// The background loop's stop flag and threads (tick, dispatch).
type Background = (Arc<AtomicBool>, Vec<std::thread::JoinHandle<()>>);

/// The runtime pieces the engine starts on first use and stops on `stop`.
#[derive(Debug, Default)]
pub(crate) struct DeliveryRuntime {
    runtime: OnceLock<std::result::Result<tokio::runtime::Runtime, String>>,
    http: OnceLock<std::result::Result<reqwest::Client, String>>,
    background: Mutex<Option<Background>>,
}

/// Whether an engine can serve (see [`Engine::ready`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    /// The database takes a write.
    pub database_writable: bool,
    /// Why not, when it does not.
    pub database_error: Option<String>,
    /// The background loop: `running`, `stopped` or `failed`.
    pub background: String,
}

/// What a dispatch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DispatchReport {
    /// Notifications delivered.
    pub sent: u64,
    /// Notifications given up on.
    pub failed: u64,
    /// Notifications still pending.
    pub pending: u64,
}

fn unit_random() -> f64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

impl Engine {
    pub(super) fn runtime(&self) -> Result<&tokio::runtime::Runtime> {
        self.delivery
            .runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("signalcraft-delivery")
                    .enable_all()
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::Internal(format!("cannot start the delivery runtime: {e}")))
    }

    /// The engine's guarded HTTP client, built once; one that cannot be built is an
    /// `internal` error each time it is asked for (see [`crate::net::client`]).
    pub(super) fn http(&self) -> Result<&reqwest::Client> {
        self.delivery
            .http
            .get_or_init(|| {
                crate::net::client(
                    self.private_targets(),
                    crate::net::Timeouts {
                        connect: Duration::from_secs(5),
                        total: MAX_TIMEOUT,
                    },
                )
                .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| Error::Internal(e.clone()))
    }

    /// Creates or replaces a channel. Secrets in its config are sealed at rest.
    pub fn set_channel(
        &self,
        workspace: &str,
        name: &str,
        kind: ChannelKind,
        config: &Value,
    ) -> Result<Value> {
        let c = ChannelConfig::parse(name, kind, config)?;
        let b = self.secret_box()?;
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            store::outbox::put_channel(tx, &ws.id, &c, &b, now)?;
            store::routing::bump(tx, &ws.id)
        })?;
        // a channel just put starts with a closed breaker
        Ok(channel_view(&c, &c.breaker.state(0, None, now)))
    }

    /// Queues a test notification on a channel, through the real outbox (marked `test`): the
    /// next dispatch sends it like any other and the delivery log shows its attempts. Answers
    /// the queued delivery.
    pub fn test_channel(&self, workspace: &str, name: &str) -> Result<Delivery> {
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            if !store::outbox::channel_names(tx, &ws.id)?.iter().any(|c| c == name) {
                return Err(Error::not_found("channel", name));
            }
            let payload = serde_json::json!({
                "test": true,
                "text": format!("Test notification from SignalCraft for channel {name:?} of workspace {:?}: if you can read this, alerts will reach you here.", ws.name),
                "workspace": ws.name,
                "channel": name,
                "at": now,
            });
            let id = store::outbox::enqueue_test(tx, &ws.id, name, &payload, now)?;
            store::outbox::deliveries(tx, &ws.id, None, Some(id), 1)?
                .pop()
                .ok_or_else(|| Error::Internal("the test notification vanished".into()))
        })
    }

    /// Deletes a channel; its pending notifications are cancelled. A channel that rules still
    /// name is a `conflict` (change the rules first).
    pub fn delete_channel(&self, workspace: &str, name: &str) -> Result<()> {
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            let rules = store::routing::rules(tx, &ws.id)?;
            let naming: Vec<&str> = rules
                .rules()
                .iter()
                .filter(|r| r.then.notify.iter().any(|c| c == name))
                .map(|r| r.id.as_str())
                .collect();
            if !naming.is_empty() {
                return Err(Error::Conflict(format!(
                    "channel {name:?} is named by rules {}",
                    naming.join(", ")
                )));
            }
            if !store::outbox::delete_channel(tx, &ws.id, name, now)? {
                return Err(Error::not_found("channel", name));
            }
            store::routing::bump(tx, &ws.id)
        })
    }

    /// A workspace's channels, secrets masked, each with its circuit breaker's state
    /// (`breaker: {state: closed|open|half_open, failures, opened_at, retry_at}`).
    pub fn channels(&self, workspace: &str) -> Result<Vec<Value>> {
        let b = self.secret_box()?;
        let now = self.now();
        self.read_in(workspace, |tx, ws| {
            store::outbox::channels(tx, &ws.id, &b)?
                .iter()
                .map(|c| {
                    let (failures, open_until) = store::outbox::breaker(tx, &ws.id, &c.name)?;
                    Ok(channel_view(c, &c.breaker.state(failures, open_until, now)))
                })
                .collect()
        })
    }

    /// The delivery log: one row per notification (newest 1000), optionally for one group (a
    /// group of another workspace, or none, is `not_found`).
    pub fn deliveries(&self, workspace: &str, group: Option<&str>) -> Result<Vec<Delivery>> {
        self.read_in(workspace, |tx, ws| {
            if let Some(g) = group {
                store::groups::get(tx, &ws.id, g)?;
            }
            store::outbox::deliveries(tx, &ws.id, group, None, 1000)
        })
    }

    /// Delivers due notifications; keeps going (waiting for due retries) until nothing is
    /// pending or `wait` has passed. Returns at once when nothing is pending.
    ///
    /// Sends run concurrently (at most 32 at once, 4 per channel, one per group and channel so
    /// that a group's messages keep their order); claims go round-robin over workspaces and
    /// channels, so a slow endpoint holds only its own slots while the rest keeps flowing.
    /// Notifications over a channel's cap are folded into its digest (see
    /// [`crate::notify::storm`]). A row that cannot be loaded (a channel secret that no longer
    /// decrypts) fails alone, with the reason in its attempt log.
    pub fn dispatch(&self, workspace: Option<&str>, wait: Duration) -> Result<DispatchReport> {
        let only = match workspace {
            Some(w) => Some(self.workspace(w)?.id),
            None => None,
        };
        self.drive(only, Mode::Until(Instant::now() + wait))
    }

    /// Runs the dispatcher on the engine's runtime — from a thread of its own when called from
    /// inside a tokio runtime (where `block_on` is not allowed).
    fn drive(&self, only: Option<WorkspaceId>, mode: Mode<'_>) -> Result<DispatchReport> {
        let rt = self.runtime()?;
        if tokio::runtime::Handle::try_current().is_ok() {
            return std::thread::scope(|s| {
                s.spawn(|| self.drive_on(rt, only.as_ref(), mode))
                    .join()
                    .unwrap_or_else(|_| Err(Error::Internal("the dispatcher panicked".into())))
            });
        }
        self.drive_on(rt, only.as_ref(), mode)
    }

    fn drive_on(
        &self,
        rt: &tokio::runtime::Runtime,
        only: Option<&WorkspaceId>,
        mode: Mode<'_>,
    ) -> Result<DispatchReport> {
        rt.block_on(async {
            let mut set: JoinSet<(Job, SendOutcome, Duration)> = JoinSet::new();
            let mut keys: HashMap<tokio::task::Id, Job2Key> = HashMap::new();
            let mut busy = Busy::default();
            let mut report = DispatchReport::default();
            loop {
                if mode.stopped() {
                    // in-flight sends are dropped; their leases run out and they are retried
                    break;
                }
                let mut claimed_any = false;
                if set.len() < MAX_IN_FLIGHT {
                    let now = self.now();
                    let claim = self.claim_round(only, now, MAX_IN_FLIGHT - set.len(), &busy)?;
                    report.failed += claim.unloadable;
                    // folding (or failing) rows is progress too: look again at once
                    claimed_any = !claim.picked.is_empty() || claim.settled > 0;
                    for c in claim.picked {
                        match self.load_job(c, now)? {
                            Loaded::Job(job) => {
                                let key = job.key();
                                busy.add(&key);
                                // no HTTP client: the HTTP sends fail alone, with
                                // the reason; email still goes
                                let http = self.http().cloned().map_err(|e| e.to_string());
                                let policy = Arc::clone(self.private_targets());
                                let handle = set.spawn(attempt(http, policy, *job, now));
                                keys.insert(handle.id(), key);
                            }
                            Loaded::Done(After::Failed) => report.failed += 1,
                            Loaded::Done(_) => {}
                        }
                    }
                }
                if set.is_empty() {
                    if claimed_any {
                        continue;
                    }
                    let (pending, next) = self.store.read(|tx| store::outbox::pending(tx, only))?;
                    report.pending = pending;
                    let until_next = next
                        .map(|t| (t - self.now()).to_std().unwrap_or(Duration::ZERO))
                        .unwrap_or(Duration::from_millis(200));
                    let nap = match mode {
                        Mode::Until(deadline) => {
                            let left = deadline.saturating_duration_since(Instant::now());
                            if pending == 0 || left.is_zero() {
                                break;
                            }
                            until_next
                                .min(left)
                                .clamp(Duration::from_millis(5), Duration::from_millis(500))
                        }
                        Mode::Background(_) => {
                            until_next.clamp(Duration::from_millis(10), Duration::from_millis(100))
                        }
                    };
                    tokio::time::sleep(nap).await;
                    continue;
                }
                tokio::select! {
                    done = set.join_next_with_id() => {
                        match done {
                            Some(Ok((id, (job, outcome, took)))) => {
                                if let Some(k) = keys.remove(&id) {
                                    busy.remove(&k);
                                }
                                match self.finish(&job, &outcome, took)? {
                                    After::Sent => report.sent += 1,
                                    After::Failed => report.failed += 1,
                                    _ => {}
                                }
                            }
                            Some(Err(e)) => {
                                // a send that panicked: its lease runs out and it is retried
                                if let Some(k) = keys.remove(&e.id()) {
                                    busy.remove(&k);
                                }
                            }
                            None => {}
                        }
                    }
                    _ = tokio::time::sleep(POLL) => {}
                }
            }
            Ok(report)
        })
    }

    /// One claim, in one transaction: due rows round-robin over channels, each either leased to
    /// this dispatcher (under its channel's cap), folded into the channel's digest (over it),
    /// deferred (a digest waiting for a slot, an open breaker), or failed (a payload that does
    /// not parse: counted in the answer). At most `free` are leased; channels and groups already
    /// busy are left for later rounds.
    fn claim_round(
        &self,
        only: Option<&WorkspaceId>,
        now: DateTime<Utc>,
        free: usize,
        busy: &Busy,
    ) -> Result<Claim> {
        self.store.write(|tx| {
            let mut unloadable = 0;
            let mut settled = 0;
            let rows = store::outbox::due(tx, only, now, SCAN)?;
            let mut picked: Vec<Claimed> = Vec::new();
            let mut round = busy.clone();
            let mut rates: HashMap<Key, RateState> = HashMap::new();
            let mut digests: HashMap<Key, (i64, Digest)> = HashMap::new();
            let mut settings: HashMap<WorkspaceId, (WorkspaceSettings, String)> = HashMap::new();
            let mut limits: HashMap<Key, (usize, Option<DateTime<Utc>>)> = HashMap::new();
            let lease_until = now + chrono::TimeDelta::seconds(LEASE_SECS);
            for row in rows {
                if picked.len() >= free {
                    break;
                }
                let key: Key = (row.workspace.as_str().to_string(), row.channel.clone());
                let group_key = row
                    .group
                    .as_ref()
                    .map(|g| (g.as_str().to_string(), row.channel.clone()));
                if group_key.as_ref().is_some_and(|g| round.groups.contains(g)) {
                    continue;
                }
                let payload: Value = match serde_json::from_str(&row.payload) {
                    Ok(v) => v,
                    Err(e) => {
                        let err = format!("the notification's stored payload does not parse: {e}");
                        store::outbox::fail_unloadable(tx, row.seq, &err, now)?;
                        unloadable += 1;
                        settled += 1;
                        continue;
                    }
                };
                let claimed = Claimed {
                    seq: row.seq,
                    workspace: row.workspace.clone(),
                    group: row.group.clone(),
                    channel: row.channel.clone(),
                    kind: row.kind.clone(),
                    payload,
                    attempts: row.attempts,
                    created_at: row.created_at,
                };
                if !limits.contains_key(&key) {
                    // slow start: a channel without a success yet, or whose last attempt
                    // failed, gets one send at a time (its breaker then opens after exactly
                    // its number of failures); a healthy one gets PER_CHANNEL
                    let b = store::outbox::breaker_row(tx, &row.workspace, &row.channel)?;
                    let open = b.and_then(|(_, o)| o).filter(|o| *o > now);
                    let limit = match b {
                        Some((0, _)) => PER_CHANNEL,
                        _ => 1,
                    };
                    limits.insert(key.clone(), (limit, open));
                }
                let (limit, open) = limits.get(&key).copied().unwrap_or((1, None));
                if let Some(until) = open {
                    // the breaker is open: not attempted, not counted, back when it half-opens
                    store::outbox::defer(tx, row.seq, until)?;
                    continue;
                }
                // a send needs one of the channel's in-flight slots; a fold does not
                let slot_free = round.channels.get(&key).copied().unwrap_or(0) < limit;
                if row.kind == "test" {
                    if !slot_free {
                        continue;
                    }
                    // a test the user asked for is never capped
                    store::outbox::lease(tx, row.seq, lease_until)?;
                    round.add(&(key, group_key));
                    picked.push(claimed);
                    continue;
                }
                if !settings.contains_key(&row.workspace) {
                    // a workspace whose settings do not load still gets the default cap
                    let name = store::workspaces::resolve(tx, row.workspace.as_str())
                        .map_or_else(|_| row.workspace.as_str().to_string(), |w| w.name);
                    let st = store::workspaces::settings(tx, &row.workspace).unwrap_or_default();
                    settings.insert(row.workspace.clone(), (st, name));
                }
                let (ws_settings, ws_name) = match settings.get(&row.workspace) {
                    Some(s) => s,
                    None => continue,
                };
                if !rates.contains_key(&key) {
                    let meta = store::outbox::channel_meta(tx, &row.workspace, &row.channel)?;
                    let cap = meta
                        .as_ref()
                        .and_then(|(_, c)| c.pointer("/rate_limit/per_min"))
                        .and_then(Value::as_u64)
                        .map(|n| n.clamp(1, u64::from(storm::MAX_PER_MIN)) as u32)
                        .unwrap_or(ws_settings.notifications.per_channel_per_min)
                        .clamp(1, storm::MAX_PER_MIN);
                    let mut rate = store::outbox::channel_rate(tx, &row.workspace, &row.channel)?;
                    rate.log.prune(now);
                    rates.insert(
                        key.clone(),
                        RateState {
                            rate,
                            cap,
                            kind: meta
                                .as_ref()
                                .and_then(|(k, _)| k.parse::<ChannelKind>().ok())
                                .map_or("unknown", ChannelKind::as_str),
                        },
                    );
                }
                let Some(st) = rates.get_mut(&key) else {
                    continue;
                };
                if row.kind == "digest" {
                    if !slot_free {
                        continue;
                    }
                    if st.rate.log.admits(st.cap, 1) {
                        st.rate.log.take(1, now);
                        st.rate.last_digest_at = Some(now);
                        if st.rate.digest == Some(row.seq) {
                            // claimed: what folds from now on opens the next digest
                            st.rate.digest = None;
                        }
                        digests.remove(&key);
                        store::outbox::lease(tx, row.seq, lease_until)?;
                        round.add(&(key, group_key));
                        picked.push(claimed);
                    } else {
                        store::outbox::defer(tx, row.seq, st.rate.log.next_slot(st.cap, 1, now))?;
                    }
                    continue;
                }
                // a Slack notification for a group with a message already posted is two calls
                // (the refresh and the thread reply), except a status update (one)
                let weight = match &row.group {
                    Some(g)
                        if st.kind == "slack"
                            && row.kind != "status"
                            && store::outbox::slack_message(tx, g, &row.channel)?.is_some() =>
                    {
                        2
                    }
                    _ => 1,
                };
                let follows_folded = row.kind != "firing"
                    && match &row.group {
                        Some(g) => store::outbox::only_folded(tx, g, &row.channel)?,
                        None => false,
                    };
                if !follows_folded && st.rate.log.admits(st.cap, weight) {
                    if !slot_free {
                        continue;
                    }
                    st.rate.log.take(weight, now);
                    store::outbox::lease(tx, row.seq, lease_until)?;
                    round.add(&(key, group_key));
                    picked.push(claimed);
                    continue;
                }
                if !follows_folded
                    && st.kind == "pagerduty"
                    && matches!(row.kind.as_str(), "resolved" | "status")
                {
                    // PagerDuty keeps an incident per group: a resolve or acknowledge of one it
                    // was told about waits for a slot instead of folding (folded, the incident
                    // would stay open)
                    let at = st.rate.log.next_slot(st.cap, weight, now);
                    store::outbox::defer(tx, row.seq, at)?;
                    settled += 1;
                    continue;
                }
                // over the cap (or following a folded firing): into the channel's digest
                if !digests.contains_key(&key) {
                    let open = match st.rate.digest {
                        Some(seq) => store::outbox::open_digest(tx, seq)?
                            .and_then(|p| serde_json::from_value::<Digest>(p).ok())
                            .map(|d| (seq, d)),
                        None => None,
                    };
                    let entry = match open {
                        Some(e) => e,
                        None => {
                            let d = Digest::new(ws_name, st.cap, ws_settings.public_url.as_deref());
                            let after_last = st.rate.last_digest_at.map(|t| {
                                t + chrono::TimeDelta::seconds(storm::DIGEST_INTERVAL_SECS)
                            });
                            let not_before = st
                                .rate
                                .log
                                .next_slot(st.cap, 1, now)
                                .max(after_last.unwrap_or(now));
                            let payload = serde_json::to_value(&d)
                                .map_err(|e| Error::Internal(format!("a digest: {e}")))?;
                            let seq = store::outbox::insert_digest(
                                tx,
                                &row.workspace,
                                &row.channel,
                                &payload,
                                not_before,
                                now,
                            )?;
                            st.rate.digest = Some(seq);
                            (seq, d)
                        }
                    };
                    digests.insert(key.clone(), entry);
                }
                if let Some((seq, d)) = digests.get_mut(&key) {
                    d.fold(&row.kind, &claimed.payload, now);
                    store::outbox::fold(tx, row.seq, *seq, st.cap, now)?;
                    settled += 1;
                    self.metrics.notified(st.kind, "folded", None);
                }
            }
            for (seq, d) in digests.values() {
                let payload = serde_json::to_value(d)
                    .map_err(|e| Error::Internal(format!("a digest: {e}")))?;
                store::outbox::set_payload(tx, *seq, &payload)?;
            }
            for ((ws, channel), st) in &rates {
                store::outbox::save_channel_rate(tx, &WorkspaceId(ws.clone()), channel, &st.rate)?;
            }
            Ok(Claim {
                picked,
                unloadable,
                settled,
            })
        })
    }

    /// Loads what one claimed notification's attempt needs. A row that does not load (its
    /// channel's secret no longer decrypts, its group is gone) is failed here, alone; a missing
    /// channel is retried later; an open breaker defers it.
    fn load_job(&self, c: Claimed, now: DateTime<Utc>) -> Result<Loaded> {
        let secrets = self.secret_box()?;
        let loaded = self.store.read(|tx| {
            let channel = store::outbox::channel(tx, &c.workspace, &c.channel, &secrets)?;
            let group = match &c.group {
                Some(g) => Some(store::groups::get(tx, &c.workspace, g.as_str())?.group),
                None => None,
            };
            let breaker = store::outbox::breaker(tx, &c.workspace, &c.channel)?;
            let slack = match &c.group {
                Some(g) => store::outbox::slack_message(tx, g, &c.channel)?,
                None => None,
            };
            Ok((channel, group, breaker, slack))
        });
        let (channel, group, breaker, slack) = match loaded {
            Ok(l) => l,
            Err(e) => {
                let err = format!(
                    "cannot load this notification for channel {:?}: {e}",
                    c.channel
                );
                self.store
                    .write(|tx| store::outbox::fail_unloadable(tx, c.seq, &err, now))?;
                self.metrics.notified("unknown", "failed", None);
                return Ok(Loaded::Done(After::Failed));
            }
        };
        let Some(channel) = channel else {
            // the channel does not exist (yet): keep the notification, retry later
            let at = now + chrono::TimeDelta::seconds(60);
            let err = format!("no channel named {:?} in the workspace", c.channel);
            let a = Attempt {
                at: now,
                outcome: "retry",
                http_status: None,
                error: Some(&err),
                latency_ms: 0,
            };
            let after = retry_or_fail(&c, &crate::notify::RetryPolicy::default(), at);
            self.store
                .write(|tx| store::outbox::record(tx, c.seq, Some(&a), &after, now))?;
            return Ok(Loaded::Done(after));
        };
        if let (_, Some(open_until)) = breaker
            && open_until > now
        {
            let after = After::Deferred(open_until);
            self.store
                .write(|tx| store::outbox::record(tx, c.seq, None, &after, now))?;
            return Ok(Loaded::Done(after));
        }
        Ok(Loaded::Job(Box::new(Job {
            claimed: c,
            channel,
            group,
            slack,
        })))
    }

    /// Records one attempt's outcome (its log line, the notification's state, the breaker, the
    /// Slack message id) in its own transaction.
    fn finish(&self, job: &Job, outcome: &SendOutcome, took: Duration) -> Result<After> {
        let now = self.now();
        let (c, channel) = (&job.claimed, &job.channel);
        let latency_ms = took.as_millis() as u64;
        let (after, attempt, failed_endpoint) = match outcome {
            SendOutcome::Sent { http_status, .. } => (
                After::Sent,
                Attempt {
                    at: now,
                    outcome: "sent",
                    http_status: *http_status,
                    error: None,
                    latency_ms,
                },
                Some(false),
            ),
            SendOutcome::Skip { reason } => (
                After::Cancelled,
                Attempt {
                    at: now,
                    outcome: "skipped",
                    http_status: None,
                    error: Some(reason),
                    latency_ms,
                },
                None,
            ),
            SendOutcome::Fail { http_status, error } => (
                After::Failed,
                Attempt {
                    at: now,
                    outcome: "failed",
                    http_status: *http_status,
                    error: Some(error),
                    latency_ms,
                },
                None,
            ),
            SendOutcome::Retry {
                http_status,
                error,
                retry_after,
            } => {
                let delay = channel
                    .retry
                    .backoff(c.attempts + 1, *retry_after, unit_random());
                let at = now
                    + chrono::TimeDelta::from_std(delay).unwrap_or(chrono::TimeDelta::seconds(1));
                let after = retry_or_fail(c, &channel.retry, at);
                let outcome = if after == After::Failed {
                    "failed"
                } else {
                    "retry"
                };
                (
                    after,
                    Attempt {
                        at: now,
                        outcome,
                        http_status: *http_status,
                        error: Some(error),
                        latency_ms,
                    },
                    Some(true),
                )
            }
        };
        self.metrics.notified(
            channel.kind.as_str(),
            attempt.outcome,
            (!matches!(outcome, SendOutcome::Skip { .. })).then_some(took),
        );
        self.store.write(|tx| {
            store::outbox::record(tx, c.seq, Some(&attempt), &after, now)?;
            match failed_endpoint {
                Some(false) => store::outbox::set_breaker(tx, &c.workspace, &c.channel, 0, None)?,
                Some(true) => {
                    let (failures, _) = store::outbox::breaker(tx, &c.workspace, &c.channel)?;
                    let failures = failures.saturating_add(1);
                    let open = (failures >= channel.breaker.failures).then(|| {
                        now + chrono::TimeDelta::seconds(
                            channel.breaker.open_secs.min(86_400) as i64
                        )
                    });
                    store::outbox::set_breaker(tx, &c.workspace, &c.channel, failures, open)?;
                }
                None => {}
            }
            if let (
                SendOutcome::Sent {
                    reference: Some(ts),
                    place,
                    ..
                },
                Some(g),
                ChannelKind::Slack,
            ) = (outcome, &c.group, channel.kind)
                // the id Slack answered (what chat.update needs), else the configured name
                && let Some(slack_channel) = place.as_deref().or(channel.text("channel"))
            {
                store::outbox::set_slack_message(tx, g, &c.channel, slack_channel, ts)?;
            }
            Ok(())
        })?;
        Ok(after)
    }
}

/// What one claim did.
struct Claim {
    /// Leased to this dispatcher, to send.
    picked: Vec<Claimed>,
    /// Failed because their row does not load.
    unloadable: u64,
    /// Settled without a send (folded into a digest, or failed).
    settled: u64,
}

/// (workspace id, channel name).
type Key = (String, String);
/// A job's channel and (group, channel).
type Job2Key = (Key, Option<Key>);

/// What is in flight: sends per channel, and the (group, channel) pairs being sent.
#[derive(Debug, Clone, Default)]
struct Busy {
    channels: HashMap<Key, usize>,
    groups: HashSet<Key>,
}

impl Busy {
    fn add(&mut self, (channel, group): &Job2Key) {
        *self.channels.entry(channel.clone()).or_default() += 1;
        if let Some(g) = group {
            self.groups.insert(g.clone());
        }
    }

    fn remove(&mut self, (channel, group): &Job2Key) {
        if let Some(n) = self.channels.get_mut(channel) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                self.channels.remove(channel);
            }
        }
        if let Some(g) = group {
            self.groups.remove(g);
        }
    }
}

/// A channel's storm state while a claim decides.
struct RateState {
    rate: store::outbox::ChannelRate,
    cap: u32,
    /// The channel's kind (`unknown` when it does not exist).
    kind: &'static str,
}

/// How long a dispatch runs.
#[derive(Clone, Copy)]
enum Mode<'a> {
    /// Until nothing is pending, or until then.
    Until(Instant),
    /// Until the flag is set (the background loop).
    Background(&'a AtomicBool),
}

impl Mode<'_> {
    fn stopped(&self) -> bool {
        matches!(self, Mode::Background(flag) if flag.load(Ordering::Relaxed))
    }
}

/// A claimed notification with everything its attempt needs, owned (it goes to a task).
struct Job {
    claimed: Claimed,
    channel: ChannelConfig,
    group: Option<AlertGroup>,
    slack: Option<(String, String)>,
}

impl Job {
    fn key(&self) -> Job2Key {
        let c = &self.claimed;
        (
            (c.workspace.as_str().to_string(), c.channel.clone()),
            c.group
                .as_ref()
                .map(|g| (g.as_str().to_string(), c.channel.clone())),
        )
    }
}

/// What loading a claimed notification came to.
enum Loaded {
    /// Ready to send.
    Job(Box<Job>),
    /// Settled without a send (failed to load, no channel, breaker open).
    Done(After),
}

/// One attempt at one notification, on the delivery runtime.
async fn attempt(
    http: std::result::Result<reqwest::Client, String>,
    policy: Arc<crate::net::PrivateTargets>,
    job: Job,
    now: DateTime<Utc>,
) -> (Job, SendOutcome, Duration) {
    let started = Instant::now();
    let outcome = {
        let c = &job.claimed;
        let out = Outgoing {
            delivery_id: c.seq,
            workspace: c.workspace.as_str(),
            channel: &job.channel,
            kind: &c.kind,
            payload: &c.payload,
            group: job.group.as_ref(),
            slack_ts: job.slack.as_ref().map(|(_, ts)| ts.as_str()),
            slack_channel: job.slack.as_ref().map(|(ch, _)| ch.as_str()),
            now,
        };
        match (job.channel.kind, http) {
            (ChannelKind::Email, _) => EmailNotifier { policy }.send(&out).await,
            (_, Err(error)) => SendOutcome::Retry {
                http_status: None,
                error,
                retry_after: None,
            },
            (ChannelKind::Webhook, Ok(http)) => WebhookNotifier { http, policy }.send(&out).await,
            (ChannelKind::Pagerduty, Ok(http)) => {
                PagerdutyNotifier { http, policy }.send(&out).await
            }
            (ChannelKind::Slack, Ok(http)) => SlackNotifier { http, policy }.send(&out).await,
        }
    };
    (job, outcome, started.elapsed())
}

/// After a failed attempt: try again at `at`, unless the attempts or the age run out.
fn retry_or_fail(c: &Claimed, policy: &crate::notify::RetryPolicy, at: DateTime<Utc>) -> After {
    let too_many = c.attempts + 1 >= policy.max_attempts;
    let too_old = at - c.created_at
        > chrono::TimeDelta::seconds(policy.max_age_secs.min(365 * 86_400) as i64);
    if too_many || too_old {
        After::Failed
    } else {
        After::RetryAt(at)
    }
}

impl Engine {
    /// Runs `fut` to completion on the delivery runtime. Called from inside another tokio
    /// runtime (a host's async code calling `dispatch`), blocking that runtime's thread would
    /// panic, so the wait happens on a thread of its own.
    pub(crate) fn block_on<F>(&self, fut: F) -> Result<F::Output>
    where
        F: std::future::Future + Send,
        F::Output: Send,
    {
        let rt = self.runtime()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Ok(rt.block_on(fut));
        }
        std::thread::scope(|s| {
            std::thread::Builder::new()
                .name("signalcraft-send".into())
                .spawn_scoped(s, || rt.block_on(fut))
                .map_err(|e| Error::Internal(format!("cannot start a delivery thread: {e}")))?
                .join()
                .map_err(|_| Error::Internal("a delivery thread panicked".into()))
        })
    }

    /// Starts the background loop for hosts, until [`Engine::stop`]: one thread runs `tick`
    /// and starts due monitor checks (without waiting for them) four times a second, another
    /// the dispatcher continuously — so escalations and snooze expiry never wait on a slow
    /// delivery or a slow monitored target, and deliveries never wait on each other.
    pub fn start_background(self: &Arc<Self>) -> Result<()> {
        let mut bg = self
            .delivery
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if bg.is_some() {
            return Ok(());
        }
        self.runtime()?;
        let stop = Arc::new(AtomicBool::new(false));
        let nap = |flag: &AtomicBool, total: Duration| {
            let step = Duration::from_millis(25);
            let mut slept = Duration::ZERO;
            while slept < total && !flag.load(Ordering::Relaxed) {
                std::thread::sleep(step);
                slept += step;
            }
        };
        let (engine, flag) = (Arc::clone(self), Arc::clone(&stop));
        let ticker = std::thread::Builder::new()
            .name("signalcraft-tick".into())
            .spawn(move || {
                let mut monitors = super::monitors::MonitorLoop::default();
                while !flag.load(Ordering::Relaxed) {
                    // errors come back next round
                    let _ = engine.tick(None);
                    // due monitor checks start on the runtime; this never waits for a target
                    let _ = engine.monitor_round(&mut monitors);
                    nap(&flag, TICK_EVERY);
                }
            })
            .map_err(|e| Error::Internal(format!("cannot start the background loop: {e}")))?;
        let (engine, flag) = (Arc::clone(self), Arc::clone(&stop));
        let dispatcher = std::thread::Builder::new()
            .name("signalcraft-dispatch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    // errors are in the delivery log; a failed round is retried shortly
                    if engine.drive(None, Mode::Background(&flag)).is_err() {
                        nap(&flag, Duration::from_millis(500));
                    }
                }
            });
        let dispatcher = match dispatcher {
            Ok(d) => d,
            Err(e) => {
                stop.store(true, Ordering::Relaxed);
                let _ = ticker.join();
                return Err(Error::Internal(format!(
                    "cannot start the background loop: {e}"
                )));
            }
        };
        *bg = Some((stop, vec![ticker, dispatcher]));
        Ok(())
    }

    /// Whether the engine can serve: the database takes a write now (a probe rolled back), and
    /// the background loop's state — `running`, `stopped` (never started, or stopped), or
    /// `failed` (its thread ended without being stopped). Hosts answer `/readyz` with it.
    pub fn ready(&self) -> Readiness {
        let database_error = self.store.probe_write().err().map(|e| e.to_string());
        let bg = self
            .delivery
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let background = match bg.as_ref() {
            None => "stopped",
            Some((_, handles)) if handles.iter().any(|h| h.is_finished()) => "failed",
            Some(_) => "running",
        };
        Readiness {
            database_writable: database_error.is_none(),
            database_error,
            background: background.to_string(),
        }
    }

    /// Stops the background loop (if started) and waits for it.
    pub fn stop(&self) {
        let taken = self
            .delivery
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some((flag, handles)) = taken {
            flag.store(true, Ordering::Relaxed);
            for h in handles {
                let _ = h.join();
            }
        }
    }
}

fn channel_view(c: &ChannelConfig, breaker: &BreakerState) -> Value {
    serde_json::json!({
        "name": c.name, "kind": c.kind, "config": c.masked(), "breaker": breaker,
    })
}
