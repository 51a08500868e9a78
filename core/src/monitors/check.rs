//! The pure half of a check: what a client's answer means for a monitor (a [`Reading`]), and
//! what a reading does to the monitor's breach state (open an alert, resolve it, or nothing).
//!
//! Everything here takes `now` and the monitor's recent history; nothing does I/O.

use super::model::{Monitor, MonitorKind};
use super::{
    ClientError, CloudServer, ClusterDeployment, ClusterNode, ClusterPod, ForgeCommit,
    ForgeRepository, ImageTag, ProbeResponse, Usage, WorkflowRun,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The CI conclusions that fail a `git_ci` monitor unless its `fail_on` says otherwise.
pub const DEFAULT_FAIL_ON: [&str; 2] = ["failure", "timed_out"];
/// Days without a push before `registry_freshness` fails, by default.
pub const DEFAULT_MAX_AGE_DAYS: f64 = 7.0;
/// Restarts in the window above which `k8s_workloads` fails, by default.
pub const DEFAULT_MAX_RESTARTS: u64 = 3;
/// The restart window of `k8s_workloads`, by default (10 minutes).
pub const DEFAULT_RESTART_WINDOW_SECS: u64 = 600;
/// The latency percentile `http_probe` compares with `max_latency_ms`, by default.
pub const DEFAULT_LATENCY_PERCENTILE: u64 = 95;
/// How many recent checks that percentile is taken over, by default (this one included).
pub const DEFAULT_LATENCY_WINDOW: usize = 20;

/// What one check saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// When it was taken (the engine's clock).
    pub at: DateTime<Utc>,
    /// Whether the target is within its thresholds.
    pub ok: bool,
    /// The number the monitor tracks (latency, cost, age in days, available replicas), if any.
    pub value: Option<f64>,
    /// Its unit.
    pub unit: Option<String>,
    /// One line for humans (the alert's title when it breaches).
    pub summary: String,
    /// Why the check could not tell, or failed to reach the target.
    pub error: Option<String>,
    /// What it saw, per kind.
    pub details: Value,
}

/// How a reading counts towards a breach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within thresholds.
    Pass,
    /// Out of thresholds (for `http_probe`, also a target that does not answer).
    Fail,
    /// The check could not tell (the API failed): counts neither way.
    Unknown,
}

impl Reading {
    /// How this reading of a monitor of `kind` counts.
    pub fn verdict(&self, kind: MonitorKind) -> Verdict {
        if self.ok {
            Verdict::Pass
        } else if self.error.is_none() || kind == MonitorKind::HttpProbe {
            Verdict::Fail
        } else {
            Verdict::Unknown
        }
    }

    /// The state it puts a monitor in: `ok`, `breach` or `error`.
    pub fn state(&self, kind: MonitorKind) -> &'static str {
        match self.verdict(kind) {
            Verdict::Pass => "ok",
            Verdict::Fail => "breach",
            Verdict::Unknown => "error",
        }
    }

    /// A reading of a check that could not be made.
    pub fn failed(m: &Monitor, now: DateTime<Utc>, error: &ClientError, details: Value) -> Self {
        Reading {
            at: now,
            ok: false,
            value: None,
            unit: None,
            summary: format!("{}: {error}", m.id),
            error: Some(error.to_string()),
            details,
        }
    }
}

/// A monitor's breach bookkeeping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BreachState {
    /// Failed checks in a row.
    pub failures: u32,
    /// Passed checks in a row.
    pub passes: u32,
    /// An alert is open.
    pub breaching: bool,
    /// The open alert's subject (part of its fingerprint).
    pub subject: Option<String>,
    /// The open alert's group.
    pub group_id: Option<String>,
}

/// What a reading does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Nothing to send.
    None,
    /// The breach persisted `breach_after` checks: open an alert.
    Open,
    /// The recovery held `recover_after` checks: resolve it.
    Resolve,
}

impl BreachState {
    /// Applies one verdict; answers what to send. A flapping target (fail, pass, fail, ...)
    /// never reaches `breach_after` (when it is 2 or more) and so opens nothing.
    pub fn step(&mut self, verdict: Verdict, breach_after: u32, recover_after: u32) -> Transition {
        match verdict {
            Verdict::Unknown => Transition::None,
            Verdict::Fail => {
                self.failures = self.failures.saturating_add(1);
                self.passes = 0;
                if !self.breaching && self.failures >= breach_after.max(1) {
                    self.breaching = true;
                    Transition::Open
                } else {
                    Transition::None
                }
            }
            Verdict::Pass => {
                self.passes = self.passes.saturating_add(1);
                self.failures = 0;
                if self.breaching && self.passes >= recover_after.max(1) {
                    self.breaching = false;
                    Transition::Resolve
                } else {
                    Transition::None
                }
            }
        }
    }

    /// Checks in a row with the latest verdict.
    pub fn consecutive(&self) -> u32 {
        self.failures.max(self.passes)
    }
}

/// What an alert of a monitor is about (the part of its fingerprint after the monitor id).
pub fn subject(m: &Monitor) -> String {
    let t = |k: &str| m.text(k).unwrap_or("").to_string();
    match m.kind {
        MonitorKind::HttpProbe => crate::monitors::http::display_url(&t("url")),
        MonitorKind::GitCi => format!("{}/{}@{}", t("owner"), t("repo"), t("branch")),
        MonitorKind::RegistryFreshness => t("repository"),
        MonitorKind::K8sWorkloads => format!("{}/{}", t("namespace"), t("deployment")),
        MonitorKind::CloudCost => t("provider"),
        MonitorKind::UsageQuota => {
            format!("{}/{}", t("provider"), m.text("metric").unwrap_or("cost"))
        }
    }
}

/// The fingerprint of a monitor's alert: `monitor:<id>:<subject>`.
pub fn fingerprint(id: &str, subject: &str) -> String {
    format!("monitor:{id}:{subject}")
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// The `p`th percentile (nearest rank) of `values`.
pub fn percentile(values: &[f64], p: u64) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let rank = ((p.min(100) as f64 / 100.0) * v.len() as f64).ceil() as usize;
    v.get(rank.saturating_sub(1).min(v.len() - 1)).copied()
}

// ---- http_probe -----------------------------------------------------------------------------

/// The reading of an HTTP probe. `recent` is the monitor's history, oldest first.
pub fn http_probe(
    m: &Monitor,
    now: DateTime<Utc>,
    url: &str,
    answer: Result<ProbeResponse, ClientError>,
    recent: &[Reading],
) -> Reading {
    let shown = crate::monitors::http::display_url(url);
    let r = match answer {
        Ok(r) => r,
        Err(e) => {
            let details = json!({"url": shown, "status_code": null, "latency_ms": null, "body_matched": null});
            return Reading::failed(m, now, &e, details);
        }
    };
    let details = json!({
        "url": shown,
        "status_code": r.status_code,
        "latency_ms": r.latency_ms,
        "body_matched": r.body_matched,
    });
    let expected = m.config.get("expect_status").and_then(Value::as_u64);
    let status_ok = match expected {
        Some(s) => u64::from(r.status_code) == s,
        None => (200..300).contains(&r.status_code),
    };
    let window = m
        .threshold("latency_window")
        .and_then(Value::as_u64)
        .map_or(DEFAULT_LATENCY_WINDOW, |w| w as usize)
        .max(1);
    let pct = m
        .threshold("latency_percentile")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_LATENCY_PERCENTILE);
    let mut latencies: Vec<f64> = recent
        .iter()
        .rev()
        .filter(|x| x.error.is_none())
        .filter_map(|x| x.details.get("latency_ms").and_then(Value::as_f64))
        .take(window - 1)
        .collect();
    latencies.push(r.latency_ms);
    let observed = percentile(&latencies, pct).unwrap_or(r.latency_ms);
    let max = m.threshold_f64("max_latency_ms");
    let slow = max.is_some_and(|max| observed > max);
    let mut summary = format!(
        "{}: HTTP {} in {} ms",
        m.id,
        r.status_code,
        round1(r.latency_ms)
    );
    if !status_ok {
        let want = expected.map_or("2xx".to_string(), |s| s.to_string());
        summary = format!(
            "{}: HTTP {} (expected {want}) from {shown}",
            m.id, r.status_code
        );
    } else if r.body_matched == Some(false) {
        summary = format!("{}: the body of {shown} does not match", m.id);
    } else if let (true, Some(max)) = (slow, max) {
        summary = format!(
            "{}: p{pct} latency {} ms over {} ms at {shown}",
            m.id,
            round1(observed),
            max
        );
    }
    Reading {
        at: now,
        ok: status_ok && r.body_matched != Some(false) && !slow,
        value: Some(r.latency_ms),
        unit: Some("ms".into()),
        summary,
        error: None,
        details,
    }
}

// ---- git_ci ---------------------------------------------------------------------------------

/// The reading of a CI check: the latest completed run on `branch` decides.
pub fn git_ci(
    m: &Monitor,
    now: DateTime<Utc>,
    repo: &ForgeRepository,
    branch: &str,
    commit: &ForgeCommit,
    runs: &[WorkflowRun],
) -> Reading {
    let fail_on: Vec<String> = match m.threshold("fail_on").and_then(Value::as_array) {
        Some(a) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        None => DEFAULT_FAIL_ON.iter().map(|s| s.to_string()).collect(),
    };
    let workflow = m.text("workflow");
    let runs: Vec<&WorkflowRun> = runs
        .iter()
        .filter(|r| workflow.is_none_or(|w| r.name == w))
        .collect();
    let latest = runs
        .iter()
        .find(|r| r.conclusion.is_some())
        .or(runs.first());
    let ci = latest.map(|r| {
        json!({"status": r.status, "conclusion": r.conclusion, "name": r.name, "url": r.url, "at": r.at})
    });
    let failed = latest
        .and_then(|r| r.conclusion.as_deref())
        .is_some_and(|c| fail_on.iter().any(|f| f == c));
    let title = commit.message.lines().next().unwrap_or("").trim();
    let summary = match latest {
        None => format!("{}: no CI runs on {branch}", m.id),
        Some(r) if failed => format!(
            "{}: CI {} {} on {}@{branch} ({})",
            m.id,
            r.name,
            r.conclusion.as_deref().unwrap_or(""),
            repo.full_name,
            short(&commit.sha)
        ),
        Some(r) => format!(
            "{}: CI {} {} on {branch}: {title}",
            m.id,
            r.name,
            r.conclusion.as_deref().unwrap_or(r.status.as_str())
        ),
    };
    Reading {
        at: now,
        ok: !failed,
        value: None,
        unit: None,
        summary,
        error: None,
        details: json!({
            "repository": repo.full_name,
            "html_url": repo.html_url,
            "branch": branch,
            "commit": {"sha": commit.sha, "message": commit.message, "author": commit.author, "at": commit.at, "url": commit.url},
            "ci": ci,
        }),
    }
}

fn short(sha: &str) -> &str {
    sha.get(..8).unwrap_or(sha)
}

// ---- registry_freshness ---------------------------------------------------------------------

/// The reading of a registry check: the newest push decides.
pub fn registry_freshness(
    m: &Monitor,
    now: DateTime<Utc>,
    repository: &str,
    tags: &[ImageTag],
) -> Reading {
    let last = tags.iter().filter_map(|t| t.pushed_at).max();
    let max_days = m
        .threshold_f64("max_age_days")
        .unwrap_or(DEFAULT_MAX_AGE_DAYS);
    let mut sorted: Vec<&ImageTag> = tags.iter().collect();
    sorted.sort_by(|a, b| b.pushed_at.cmp(&a.pushed_at).then(a.tag.cmp(&b.tag)));
    let details = json!({
        "repository": repository,
        "tags": sorted.iter().map(|t| json!({"tag": t.tag, "digest": t.digest, "size_bytes": t.size_bytes, "pushed_at": t.pushed_at})).collect::<Vec<_>>(),
        "last_push_at": last,
    });
    let Some(last) = last else {
        let (summary, error) = if tags.is_empty() {
            (format!("{}: {repository} has no tags", m.id), None)
        } else {
            let e = "the registry does not say when the tags were pushed".to_string();
            (format!("{}: {e}", m.id), Some(e))
        };
        return Reading {
            at: now,
            ok: false,
            value: None,
            unit: Some("days".into()),
            summary,
            error,
            details,
        };
    };
    let age = (now - last).num_seconds().max(0) as f64 / 86_400.0;
    let ok = age <= max_days;
    let summary = if ok {
        format!(
            "{}: last push to {repository} {} days ago",
            m.id,
            round1(age)
        )
    } else {
        format!(
            "{}: no push to {repository} for {} days (limit {max_days})",
            m.id,
            round1(age)
        )
    };
    Reading {
        at: now,
        ok,
        value: Some(round2(age)),
        unit: Some("days".into()),
        summary,
        error: None,
        details,
    }
}

// ---- k8s_workloads --------------------------------------------------------------------------

/// The reading of a workload check. Restarts in the window are counted against the oldest
/// reading inside it (per pod; a pod new since then counts all its restarts).
pub fn k8s_workloads(
    m: &Monitor,
    now: DateTime<Utc>,
    deployment: &ClusterDeployment,
    pods: &[ClusterPod],
    nodes: &[ClusterNode],
    recent: &[Reading],
) -> Reading {
    let window = m
        .threshold("restart_window_secs")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_RESTART_WINDOW_SECS);
    let since = now - chrono::TimeDelta::seconds(window.min(86_400 * 365) as i64);
    let baseline: BTreeMap<String, u64> = recent
        .iter()
        .filter(|r| r.at >= since && r.error.is_none())
        .find_map(|r| r.details.get("pod_restarts").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default();
    let restarts_window: u64 = pods
        .iter()
        .map(|p| match baseline.get(&p.name) {
            Some(before) => p.restarts.saturating_sub(*before),
            None if baseline.is_empty() => {
                // no earlier reading in the window: restarts known to be recent
                if p.last_restart_at.is_some_and(|t| t >= since) {
                    p.restarts
                } else {
                    0
                }
            }
            None => p.restarts,
        })
        .sum();
    let max_restarts = m
        .threshold("max_restarts")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_MAX_RESTARTS);
    let want = m
        .threshold("min_available")
        .and_then(Value::as_u64)
        .unwrap_or(deployment.desired);
    let not_ready: Vec<&str> = pods
        .iter()
        .filter(|p| !p.ready)
        .map(|p| p.name.as_str())
        .collect();
    let ready_nodes = nodes.iter().filter(|n| n.ready).count();
    let short = deployment.available < want;
    let restarting = restarts_window > max_restarts;
    let name = format!("{}/{}", deployment.namespace, deployment.name);
    let summary = if short {
        format!(
            "{}: {name} has {} of {want} replicas available",
            m.id, deployment.available
        )
    } else if restarting {
        format!(
            "{}: {name} pods restarted {restarts_window} times in {} min (limit {max_restarts})",
            m.id,
            window / 60
        )
    } else {
        format!(
            "{}: {name} {}/{} ready",
            m.id, deployment.ready, deployment.desired
        )
    };
    let pod_restarts: BTreeMap<&str, u64> =
        pods.iter().map(|p| (p.name.as_str(), p.restarts)).collect();
    Reading {
        at: now,
        ok: !short && !restarting,
        value: Some(deployment.available as f64),
        unit: Some("replicas".into()),
        summary,
        error: None,
        details: json!({
            "namespace": deployment.namespace,
            "deployment": deployment.name,
            "ready": deployment.ready,
            "desired": deployment.desired,
            "available": deployment.available,
            "restarts_window": restarts_window,
            "pods_not_ready": not_ready,
            "nodes": {"ready": ready_nodes, "total": nodes.len()},
            "pod_restarts": pod_restarts,
        }),
    }
}

// ---- cloud_cost -----------------------------------------------------------------------------

/// The reading of a cloud cost check: the servers' monthly prices summed against the budget.
pub fn cloud_cost(m: &Monitor, now: DateTime<Utc>, servers: &[CloudServer]) -> Reading {
    let total: f64 = servers.iter().filter_map(|s| s.monthly_cost).sum();
    let currency = m
        .threshold("currency")
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| servers.iter().find_map(|s| s.currency.clone()))
        .unwrap_or_else(|| "EUR".into());
    let budget = m.threshold_f64("budget");
    let over = budget.is_some_and(|b| total > b);
    let total = round2(total);
    let summary = match budget {
        Some(b) if over => format!(
            "{}: {} servers cost {total} {currency} a month, over the budget of {b}",
            m.id,
            servers.len()
        ),
        Some(b) => format!(
            "{}: {} servers cost {total} of {b} {currency} a month",
            m.id,
            servers.len()
        ),
        None => format!(
            "{}: {} servers cost {total} {currency} a month",
            m.id,
            servers.len()
        ),
    };
    Reading {
        at: now,
        ok: !over,
        value: Some(total),
        unit: Some(currency.clone()),
        summary,
        error: None,
        details: json!({
            "servers": servers.iter().map(|s| json!({"name": s.name, "status": s.status, "monthly_cost": s.monthly_cost})).collect::<Vec<_>>(),
            "monthly_cost": total,
            "currency": currency,
            "budget": budget,
        }),
    }
}

// ---- usage_quota ----------------------------------------------------------------------------

/// The reading of a usage check: the chosen metric against the limit (the monitor's, else the
/// provider's own).
pub fn usage_quota(m: &Monitor, now: DateTime<Utc>, usage: &Usage) -> Reading {
    let metric = m.text("metric").unwrap_or("cost");
    let (used, unit) = match metric {
        "tokens" => (usage.tokens.map(|t| t as f64), "tokens".to_string()),
        "requests" => (usage.requests.map(|t| t as f64), "requests".to_string()),
        _ => (
            usage.cost,
            m.threshold("currency")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| usage.currency.clone())
                .unwrap_or_else(|| "USD".into()),
        ),
    };
    let limit = m.threshold_f64("limit").or(usage.limit);
    let details = json!({
        "provider": usage.provider,
        "used": used,
        "limit": limit,
        "unit": unit,
        "cost": usage.cost,
        "currency": usage.currency,
    });
    let Some(used) = used else {
        let e = format!("{} does not report {metric}", usage.provider);
        return Reading {
            at: now,
            ok: false,
            value: None,
            unit: Some(unit),
            summary: format!("{}: {e}", m.id),
            error: Some(e),
            details,
        };
    };
    let over = limit.is_some_and(|l| used > l);
    let used = round2(used);
    let summary = match limit {
        Some(l) if over => format!(
            "{}: {} {metric} {used} {unit} is over the limit of {l}",
            m.id, usage.provider
        ),
        Some(l) => format!("{}: {} {metric} {used} of {l} {unit}", m.id, usage.provider),
        None => format!("{}: {} {metric} {used} {unit}", m.id, usage.provider),
    };
    Reading {
        at: now,
        ok: !over,
        value: Some(used),
        unit: Some(unit),
        summary,
        error: None,
        details,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::monitors::model::MonitorSet;

    fn monitor(v: Value) -> Monitor {
        MonitorSet::parse(&json!([v])).unwrap().monitors.remove(0)
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + s, 0).unwrap()
    }

    #[test]
    fn flapping_opens_nothing_and_a_breach_opens_once() {
        let mut s = BreachState::default();
        let seq = [
            Verdict::Fail,
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Pass,
            Verdict::Fail,
        ];
        assert!(seq.iter().all(|v| s.step(*v, 2, 2) == Transition::None));
        let mut s = BreachState::default();
        let got: Vec<Transition> = [
            Verdict::Fail,
            Verdict::Fail,
            Verdict::Fail,
            Verdict::Unknown,
            Verdict::Pass,
            Verdict::Pass,
            Verdict::Pass,
        ]
        .iter()
        .map(|v| s.step(*v, 2, 2))
        .collect();
        use Transition::*;
        assert_eq!(got, vec![None, Open, None, None, None, Resolve, None]);
    }

    #[test]
    fn percentile_is_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 95), Some(19.0));
        assert_eq!(percentile(&v, 100), Some(20.0));
        assert_eq!(percentile(&[5.0], 95), Some(5.0));
        assert_eq!(percentile(&[], 95), None);
    }

    #[test]
    fn probe_latency_uses_the_recent_percentile() {
        let m = monitor(json!({"id": "p", "app": "a", "kind": "http_probe",
            "config": {"url": "http://127.0.0.1:1/h", "max_latency_ms": 100, "latency_window": 4}}));
        let answer = |ms: f64| {
            Ok(ProbeResponse {
                status_code: 200,
                latency_ms: ms,
                body_matched: None,
            })
        };
        let one = http_probe(&m, t(0), "http://127.0.0.1:1/h", answer(300.0), &[]);
        assert!(!one.ok, "{}", one.summary);
        let fast: Vec<Reading> = (0..3)
            .map(|i| http_probe(&m, t(i), "http://127.0.0.1:1/h", answer(10.0), &[]))
            .collect();
        // p95 of [10, 10, 10, 300] is 300: still slow; a window of fast ones after it recovers
        assert!(!http_probe(&m, t(5), "http://127.0.0.1:1/h", answer(300.0), &fast).ok);
        assert!(http_probe(&m, t(5), "http://127.0.0.1:1/h", answer(20.0), &fast).ok);
        let bad = http_probe(
            &m,
            t(6),
            "http://127.0.0.1:1/h",
            Ok(ProbeResponse {
                status_code: 503,
                latency_ms: 1.0,
                body_matched: None,
            }),
            &[],
        );
        assert!(
            !bad.ok && bad.summary.contains("HTTP 503 (expected 2xx)"),
            "{}",
            bad.summary
        );
        assert_eq!(bad.verdict(MonitorKind::HttpProbe), Verdict::Fail);
    }

    #[test]
    fn restarts_count_within_the_window() {
        let m = monitor(json!({"id": "k", "app": "a", "kind": "k8s_workloads",
            "config": {"server": "https://127.0.0.1:6443", "namespace": "prod", "deployment": "api"}}));
        let dep = ClusterDeployment {
            namespace: "prod".into(),
            name: "api".into(),
            desired: 2,
            ready: 2,
            available: 2,
            updated: 2,
            selector: None,
        };
        let pod = |r: u64| ClusterPod {
            name: "api-1".into(),
            phase: "Running".into(),
            ready: true,
            restarts: r,
            last_restart_at: None,
        };
        let first = k8s_workloads(&m, t(0), &dep, &[pod(10)], &[], &[]);
        assert!(first.ok, "old restarts do not count: {}", first.summary);
        let later = k8s_workloads(
            &m,
            t(300),
            &dep,
            &[pod(14)],
            &[],
            std::slice::from_ref(&first),
        );
        assert!(
            !later.ok && later.details["restarts_window"] == 4,
            "{}",
            later.summary
        );
        let short = ClusterDeployment {
            available: 1,
            ..dep
        };
        assert!(!k8s_workloads(&m, t(0), &short, &[pod(0)], &[], &[]).ok);
    }

    #[test]
    fn registry_age_and_budgets() {
        let m = monitor(json!({"id": "r", "app": "a", "kind": "registry_freshness",
            "config": {"registry_url": "http://127.0.0.1:5000", "repository": "team/api"}}));
        let tag = ImageTag {
            tag: "1.0".into(),
            digest: None,
            size_bytes: Some(10),
            pushed_at: Some(t(0)),
        };
        assert!(registry_freshness(&m, t(6 * 86_400), "team/api", std::slice::from_ref(&tag)).ok);
        assert!(!registry_freshness(&m, t(8 * 86_400), "team/api", &[tag]).ok);
        let c = monitor(json!({"id": "c", "app": "a", "kind": "cloud_cost",
            "config": {"provider": "hetzner", "token": "x"}, "thresholds": {"budget": 10}}));
        let s = |cost: f64| CloudServer {
            id: "1".into(),
            name: "n".into(),
            status: "running".into(),
            server_type: None,
            location: None,
            monthly_cost: Some(cost),
            currency: Some("EUR".into()),
        };
        assert!(cloud_cost(&c, t(0), &[s(4.0), s(5.0)]).ok);
        assert!(!cloud_cost(&c, t(0), &[s(4.0), s(7.0)]).ok);
    }
}
