//! Running one check: the monitor's config (completed from its app's description) turned into
//! client calls, bounded by the monitor's timeout, and the answer turned into a [`Reading`].

use super::check::{self, Reading};
use super::model::{App, Monitor, MonitorKind};
use super::{
    BodyMatch, ClientError, CloudTarget, ClusterTarget, Connector, ForgeTarget, ProbeRequest,
    RegistryTarget, UsageTarget,
};
use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde_json::{Value, json};
use std::time::Duration;

/// The Hetzner Cloud API.
pub const HETZNER_API: &str = "https://api.hetzner.cloud/v1";
/// Stripe's API.
pub const STRIPE_API: &str = "https://api.stripe.com";
/// OpenAI's API.
pub const OPENAI_API: &str = "https://api.openai.com";
/// OpenRouter's API.
pub const OPENROUTER_API: &str = "https://openrouter.ai/api";
/// Tags a registry check reads by default.
pub const DEFAULT_TAGS_LIMIT: usize = 10;
/// CI runs a git check reads.
const CI_RUNS: usize = 20;

/// The monitor with the fields its app describes filled in where its config leaves them out
/// (repository, image, workload).
pub fn with_app_defaults(m: &Monitor, app: Option<&App>) -> Monitor {
    let mut out = m.clone();
    let (Some(app), Value::Object(c)) = (app, &mut out.config) else {
        return out;
    };
    let mut fill = |k: &str, v: Option<&str>| {
        if let Some(v) = v
            && c.get(k).is_none_or(Value::is_null)
        {
            c.insert(k.to_string(), Value::String(v.to_string()));
        }
    };
    match m.kind {
        MonitorKind::GitCi => {
            if let Some(r) = &app.repository {
                fill("forge", Some(&r.forge));
                fill("base_url", Some(&r.base_url));
                fill("owner", Some(&r.owner));
                fill("repo", Some(&r.repo));
                fill("branch", r.branch.as_deref());
            }
        }
        MonitorKind::RegistryFreshness => {
            if let Some(i) = &app.image {
                fill("registry_url", Some(&i.registry_url));
                fill("repository", Some(&i.repository));
            }
        }
        MonitorKind::K8sWorkloads => {
            if let Some(w) = &app.workload {
                fill("namespace", Some(&w.namespace));
                fill("deployment", Some(&w.deployment));
            }
        }
        MonitorKind::HttpProbe => {
            fill("url", app.health_urls.first().map(String::as_str));
        }
        MonitorKind::CloudCost | MonitorKind::UsageQuota => {}
    }
    out
}

fn need<'a>(m: &'a Monitor, field: &str) -> Result<&'a str, ClientError> {
    m.text(field).ok_or_else(|| {
        ClientError::config(
            format!("config.{field}"),
            "missing (in the monitor's config or its app's description)",
        )
    })
}

fn opt(m: &Monitor, field: &str) -> Option<String> {
    m.text(field).map(str::to_string)
}

/// What one check saw, and how long the target asked to be left alone (a rate limit's
/// `Retry-After`), if it did.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// The reading.
    pub reading: Reading,
    /// Seconds the API asked to wait before the next call.
    pub retry_after_secs: Option<u64>,
}

/// Runs one check of `m` (secrets opened, app defaults filled in) at `now`. Never fails: a
/// client error is a reading with `error` set. `recent` is the monitor's history, oldest first.
/// The whole check is bounded by the monitor's timeout.
pub async fn run(
    connector: &dyn Connector,
    m: &Monitor,
    now: DateTime<Utc>,
    recent: &[Reading],
) -> Checked {
    let timeout = Duration::from_millis(m.timeout_ms());
    let work = run_unbounded(connector, m, now, recent, timeout);
    let (reading, retry_after_secs) =
        match tokio::time::timeout(timeout + Duration::from_millis(50), work).await {
            Ok(Ok(r)) => (r, None),
            Ok(Err((e, details))) => {
                let retry = match &e {
                    ClientError::RateLimited {
                        retry_after_secs, ..
                    } => Some(retry_after_secs.unwrap_or(60)),
                    _ => None,
                };
                (Reading::failed(m, now, &e, details), retry)
            }
            Err(_) => {
                let e = ClientError::Timeout {
                    url: check::subject(m),
                    after_ms: m.timeout_ms(),
                };
                (Reading::failed(m, now, &e, Value::Null), None)
            }
        };
    Checked {
        reading,
        retry_after_secs,
    }
}

type Failed = (ClientError, Value);

fn bare(e: ClientError) -> Failed {
    (e, Value::Null)
}

async fn run_unbounded(
    connector: &dyn Connector,
    m: &Monitor,
    now: DateTime<Utc>,
    recent: &[Reading],
    timeout: Duration,
) -> Result<Reading, Failed> {
    match m.kind {
        MonitorKind::HttpProbe => {
            let url = need(m, "url").map_err(bare)?.to_string();
            let body_match = match (m.text("body_contains"), m.text("body_regex")) {
                (Some(s), _) => Some(BodyMatch::Contains(s.to_string())),
                (None, Some(r)) => Some(BodyMatch::Regex(r.to_string())),
                (None, None) => None,
            };
            let mut headers: Vec<(String, String)> = m
                .config
                .get("headers")
                .and_then(Value::as_object)
                .map(|h| {
                    h.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default();
            if let Some(t) = m.text("token") {
                headers.push(("authorization".into(), format!("Bearer {t}")));
            }
            let request = ProbeRequest {
                url: url.clone(),
                method: m.text("method").unwrap_or("GET").to_string(),
                headers,
                body_match,
                timeout,
            };
            let probe = connector.probe(timeout).map_err(bare)?;
            let answer = probe.probe(&request).await;
            Ok(check::http_probe(m, now, &url, answer, recent))
        }
        MonitorKind::GitCi => {
            let target = ForgeTarget {
                forge: m.text("forge").unwrap_or("gitea").to_string(),
                base_url: need(m, "base_url").map_err(bare)?.to_string(),
                token: opt(m, "token"),
            };
            let (owner, repo) = (
                need(m, "owner").map_err(bare)?,
                need(m, "repo").map_err(bare)?,
            );
            let forge = connector.git_forge(&target, timeout).map_err(bare)?;
            let repository = forge.repository(owner, repo).await.map_err(bare)?;
            let branch = m
                .text("branch")
                .unwrap_or(&repository.default_branch)
                .to_string();
            let commit = forge
                .latest_commit(owner, repo, &branch)
                .await
                .map_err(bare)?;
            let runs = forge
                .workflow_runs(owner, repo, &branch, CI_RUNS)
                .await
                .map_err(bare)?;
            Ok(check::git_ci(m, now, &repository, &branch, &commit, &runs))
        }
        MonitorKind::RegistryFreshness => {
            let target = RegistryTarget {
                registry_url: need(m, "registry_url").map_err(bare)?.to_string(),
                username: opt(m, "username"),
                password: opt(m, "password"),
            };
            let repository = need(m, "repository").map_err(bare)?;
            let limit = m
                .config
                .get("tags_limit")
                .and_then(Value::as_u64)
                .map_or(DEFAULT_TAGS_LIMIT, |n| n as usize);
            let registry = connector.registry(&target, timeout).map_err(bare)?;
            let mut names = registry.tags(repository).await.map_err(bare)?;
            // the newest tags are usually last in the registry's lexical order
            names.sort();
            let start = names.len().saturating_sub(limit);
            let mut tags = Vec::new();
            for name in &names[start..] {
                tags.push(registry.tag(repository, name).await.map_err(bare)?);
            }
            Ok(check::registry_freshness(m, now, repository, &tags))
        }
        MonitorKind::K8sWorkloads => {
            let target = ClusterTarget {
                kubeconfig: opt(m, "kubeconfig"),
                server: opt(m, "server"),
                token: opt(m, "token"),
                ca_pem: opt(m, "ca_pem"),
            };
            let namespace = need(m, "namespace").map_err(bare)?;
            let name = need(m, "deployment").map_err(bare)?;
            let cluster = connector.cluster(&target, timeout).map_err(bare)?;
            let deployment = cluster.deployment(namespace, name).await.map_err(bare)?;
            let selector = m
                .text("selector")
                .map(str::to_string)
                .or(deployment.selector.clone());
            let pods = cluster
                .pods(namespace, selector.as_deref())
                .await
                .map_err(bare)?;
            let nodes = cluster.nodes().await.map_err(bare)?;
            Ok(check::k8s_workloads(
                m,
                now,
                &deployment,
                &pods,
                &nodes,
                recent,
            ))
        }
        MonitorKind::CloudCost => {
            let target = CloudTarget {
                provider: need(m, "provider").map_err(bare)?.to_string(),
                base_url: m.text("base_url").unwrap_or(HETZNER_API).to_string(),
                token: opt(m, "token"),
            };
            let cloud = connector.cloud(&target, timeout).map_err(bare)?;
            let servers = cloud
                .servers(m.text("label_selector"))
                .await
                .map_err(bare)?;
            Ok(check::cloud_cost(m, now, &servers))
        }
        MonitorKind::UsageQuota => {
            let provider = need(m, "provider").map_err(bare)?;
            let default_base = match provider {
                "stripe" => STRIPE_API,
                "openrouter" => OPENROUTER_API,
                _ => OPENAI_API,
            };
            let target = UsageTarget {
                provider: provider.to_string(),
                base_url: m.text("base_url").unwrap_or(default_base).to_string(),
                api_key: opt(m, "api_key"),
            };
            let source = connector.usage(&target, timeout).map_err(bare)?;
            let usage = source
                .usage(month_start(now), now)
                .await
                .map_err(|e| (e, json!({"provider": provider})))?;
            Ok(check::usage_quota(m, now, &usage))
        }
    }
}

/// The first instant of `now`'s month (UTC).
pub fn month_start(now: DateTime<Utc>) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now)
}
