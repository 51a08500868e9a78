//! Delivery: channels, the dispatcher that drains the outbox, the delivery log, and the
//! background loop for hosts.

use super::Engine;
use crate::notify::dispatch::{Notifier, Outgoing, SendOutcome};
use crate::notify::email::EmailNotifier;
use crate::notify::pagerduty::PagerdutyNotifier;
use crate::notify::slack_api::SlackNotifier;
use crate::notify::webhook::WebhookNotifier;
use crate::notify::{ChannelConfig, ChannelKind};
use crate::store::{self, outbox::After, outbox::Attempt, outbox::Claimed, outbox::Delivery};
use crate::{Error, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How long a claimed notification is leased to one dispatcher.
const LEASE_SECS: i64 = 120;
/// Notifications claimed per round.
const CLAIM: usize = 32;

/// The runtime pieces the engine starts on first use and stops on `stop`.
#[derive(Debug, Default)]
pub(crate) struct DeliveryRuntime {
    runtime: OnceLock<std::result::Result<tokio::runtime::Runtime, String>>,
    http: OnceLock<reqwest::Client>,
    background: Mutex<Option<(Arc<AtomicBool>, std::thread::JoinHandle<()>)>>,
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

    pub(super) fn http(&self) -> &reqwest::Client {
        self.delivery.http.get_or_init(|| {
            crate::net::client(self.private_targets(), crate::net::Timeouts::default())
        })
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
        Ok(channel_view(&c))
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

    /// A workspace's channels, secrets masked.
    pub fn channels(&self, workspace: &str) -> Result<Vec<Value>> {
        let b = self.secret_box()?;
        self.read_in(workspace, |tx, ws| {
            Ok(store::outbox::channels(tx, &ws.id, &b)?
                .iter()
                .map(channel_view)
                .collect())
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
    pub fn dispatch(&self, workspace: Option<&str>, wait: Duration) -> Result<DispatchReport> {
        let only = match workspace {
            Some(w) => Some(self.workspace(w)?.id),
            None => None,
        };
        let deadline = Instant::now() + wait;
        let mut report = DispatchReport::default();
        loop {
            let now = self.now();
            let claimed = self
                .store
                .write(|tx| store::outbox::claim(tx, only.as_ref(), now, LEASE_SECS, CLAIM))?;
            if claimed.is_empty() {
                let (pending, next) = self
                    .store
                    .read(|tx| store::outbox::pending(tx, only.as_ref()))?;
                report.pending = pending;
                let left = deadline.saturating_duration_since(Instant::now());
                if pending == 0 || left.is_zero() {
                    break;
                }
                let until_next = next
                    .map(|t| (t - self.now()).to_std().unwrap_or(Duration::ZERO))
                    .unwrap_or(Duration::from_millis(200));
                std::thread::sleep(
                    until_next
                        .min(left)
                        .clamp(Duration::from_millis(5), Duration::from_millis(500)),
                );
                continue;
            }
            for c in claimed {
                match self.deliver_one(&c)? {
                    After::Sent => report.sent += 1,
                    After::Failed => report.failed += 1,
                    _ => {}
                }
            }
        }
        Ok(report)
    }

    /// One attempt at one claimed notification, recorded in its own transaction.
    fn deliver_one(&self, c: &Claimed) -> Result<After> {
        let secrets = self.secret_box()?;
        let now = self.now();
        let (channel, group, breaker, slack) = self.store.read(|tx| {
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
        })?;
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
            let after = retry_or_fail(c, &crate::notify::RetryPolicy::default(), at);
            self.store
                .write(|tx| store::outbox::record(tx, c.seq, Some(&a), &after, now))?;
            return Ok(after);
        };
        if let (_, Some(open_until)) = breaker
            && open_until > now
        {
            let after = After::Deferred(open_until);
            self.store
                .write(|tx| store::outbox::record(tx, c.seq, None, &after, now))?;
            return Ok(after);
        }
        let out = Outgoing {
            delivery_id: c.seq,
            workspace: c.workspace.as_str(),
            channel: &channel,
            kind: &c.kind,
            payload: &c.payload,
            group: group.as_ref(),
            slack_ts: slack.as_ref().map(|(_, ts)| ts.as_str()),
            slack_channel: slack.as_ref().map(|(ch, _)| ch.as_str()),
            now,
        };
        let started = Instant::now();
        let outcome = self.send(&out)?;
        let latency_ms = started.elapsed().as_millis() as u64;
        let (after, attempt, failed_endpoint) = match &outcome {
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
            (!matches!(outcome, SendOutcome::Skip { .. })).then(|| started.elapsed()),
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
            ) = (&outcome, &c.group, channel.kind)
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

    fn send(&self, out: &Outgoing<'_>) -> Result<SendOutcome> {
        let http = self.http().clone();
        let policy = Arc::clone(self.private_targets());
        self.block_on(async {
            match out.channel.kind {
                ChannelKind::Webhook => WebhookNotifier { http, policy }.send(out).await,
                ChannelKind::Pagerduty => PagerdutyNotifier { http, policy }.send(out).await,
                ChannelKind::Email => EmailNotifier { policy }.send(out).await,
                ChannelKind::Slack => SlackNotifier { http, policy }.send(out).await,
            }
        })
    }

    /// Starts the background loop for hosts: delivers due notifications and runs `tick` about
    /// twice a second, until [`Engine::stop`].
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
        let (engine, flag) = (Arc::clone(self), Arc::clone(&stop));
        let handle = std::thread::Builder::new()
            .name("signalcraft-background".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    // errors are in the delivery log and come back next round
                    let _ = engine.tick(None);
                    let _ = engine.dispatch(None, Duration::ZERO);
                    for _ in 0..10 {
                        if flag.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                }
            })
            .map_err(|e| Error::Internal(format!("cannot start the background loop: {e}")))?;
        *bg = Some((stop, handle));
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
            Some((_, handle)) if handle.is_finished() => "failed",
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
        if let Some((flag, handle)) = taken {
            flag.store(true, Ordering::Relaxed);
            let _ = handle.join();
        }
    }
}

fn channel_view(c: &ChannelConfig) -> Value {
    serde_json::json!({"name": c.name, "kind": c.kind, "config": c.masked()})
}
