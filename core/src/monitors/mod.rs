//! Fleet monitors: checks of the things an app runs on (its git forge and CI, its container
//! registry, its Kubernetes workload, its cloud bill, its health URLs, its third-party usage)
//! whose breaches become alerts of source `monitor`.
//!
//! This module holds the client traits the checks are written against (one small async trait
//! per kind of target), their result types and the typed [`ClientError`]. The real clients over
//! reqwest live in [`clients`]; every reqwest client they use is built by [`http::client`].

pub mod check;
pub mod clients;
pub mod http;
pub mod model;
pub mod probe;
pub mod run;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What a client call returns: a boxed future, so that the traits stay object safe
/// (`Arc<dyn GitForge>`).
pub type ClientFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, ClientError>> + Send + 'a>>;

/// Why a call to a monitored API failed. Typed, so that a check can tell a target that is down
/// from one that answers something unexpected, and honour rate limits.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The API answered a non-success HTTP status. Its text is the status and its standard
    /// phrase, never the body (readings are shown to the workspace; a body may be anything the
    /// target chose to say).
    #[error("{url}: HTTP {status}{}", reqwest::StatusCode::from_u16(*.status).ok().and_then(|s| s.canonical_reason()).map(|r| format!(" {r}")).unwrap_or_default())]
    Http {
        /// The status code.
        status: u16,
        /// The URL asked (without credentials).
        url: String,
        /// The start of the response body (at most [`http::ERROR_BODY_BYTES`]), for callers
        /// that match on it; not in the error's text.
        body: String,
    },
    /// The API answered 429 (or a provider's own rate-limit signal).
    #[error("{url}: rate limited{}", .retry_after_secs.map(|s| format!(" (retry after {s} s)")).unwrap_or_default())]
    RateLimited {
        /// The URL asked.
        url: String,
        /// What `Retry-After` (or the provider's reset header) said, in seconds.
        retry_after_secs: Option<u64>,
    },
    /// No answer within the bound.
    #[error("{url}: timed out after {after_ms} ms")]
    Timeout {
        /// The URL asked.
        url: String,
        /// The bound that was hit.
        after_ms: u64,
    },
    /// The API answered, but not what its documentation says: `path` is the JSON path of the
    /// missing or malformed field (`workflow_runs[0].status`), or `body` when it was not JSON.
    #[error("{url}: bad response at {path}: {message}")]
    BadResponse {
        /// The URL asked.
        url: String,
        /// Where in the response.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The connection failed (refused, DNS, TLS, reset, forbidden target).
    #[error("{url}: {message}")]
    Transport {
        /// The URL asked.
        url: String,
        /// What failed.
        message: String,
    },
    /// The monitor's configuration cannot be used by this client (a bad base URL, an unreadable
    /// kubeconfig, an unsupported provider); `path` names the config field.
    #[error("{path}: {message}")]
    Config {
        /// The config field (`config.kubeconfig`).
        path: String,
        /// What is wrong.
        message: String,
    },
}

impl ClientError {
    /// A stable snake_case name of the error's kind (`http`, `rate_limited`, `timeout`,
    /// `bad_response`, `transport`, `config`).
    pub fn kind(&self) -> &'static str {
        match self {
            ClientError::Http { .. } => "http",
            ClientError::RateLimited { .. } => "rate_limited",
            ClientError::Timeout { .. } => "timeout",
            ClientError::BadResponse { .. } => "bad_response",
            ClientError::Transport { .. } => "transport",
            ClientError::Config { .. } => "config",
        }
    }

    /// A [`ClientError::BadResponse`].
    pub fn bad_response(
        url: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ClientError::BadResponse {
            url: url.into(),
            path: path.into(),
            message: message.into(),
        }
    }

    /// A [`ClientError::Config`].
    pub fn config(path: impl Into<String>, message: impl Into<String>) -> Self {
        ClientError::Config {
            path: path.into(),
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Git forge (Gitea)

/// A repository on a git forge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForgeRepository {
    /// The owner (user or organization).
    pub owner: String,
    /// The repository's name.
    pub name: String,
    /// `owner/name`.
    pub full_name: String,
    /// The repository's web page.
    pub html_url: String,
    /// The default branch (`main`).
    pub default_branch: String,
    /// When it was last updated, if the forge says.
    pub updated_at: Option<DateTime<Utc>>,
}

/// A commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForgeCommit {
    /// The full sha.
    pub sha: String,
    /// The commit message (first line is the title).
    pub message: String,
    /// The author's name.
    pub author: String,
    /// When it was authored or committed.
    pub at: Option<DateTime<Utc>>,
    /// The commit's web page.
    pub url: String,
}

/// A CI workflow run (Gitea Actions, GitHub Actions shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRun {
    /// The run's id.
    pub id: i64,
    /// The workflow's or run's name.
    pub name: String,
    /// `queued`, `in_progress`, `completed`, ... as the forge says.
    pub status: String,
    /// `success`, `failure`, `cancelled`, ... once completed.
    pub conclusion: Option<String>,
    /// The branch it ran on.
    pub branch: Option<String>,
    /// The commit it ran on.
    pub head_sha: Option<String>,
    /// The run's web page.
    pub url: String,
    /// When it started (or was created).
    pub at: Option<DateTime<Utc>>,
}

/// A git forge: repositories, the latest commit on a branch, CI workflow runs.
pub trait GitForge: Send + Sync {
    /// The repositories of `owner` (a user or organization), every page followed.
    fn repositories<'a>(&'a self, owner: &'a str) -> ClientFuture<'a, Vec<ForgeRepository>>;
    /// One repository.
    fn repository<'a>(&'a self, owner: &'a str, repo: &'a str)
    -> ClientFuture<'a, ForgeRepository>;
    /// The latest commit on `branch`.
    fn latest_commit<'a>(
        &'a self,
        owner: &'a str,
        repo: &'a str,
        branch: &'a str,
    ) -> ClientFuture<'a, ForgeCommit>;
    /// The most recent CI workflow runs on `branch`, newest first, at most `limit`.
    fn workflow_runs<'a>(
        &'a self,
        owner: &'a str,
        repo: &'a str,
        branch: &'a str,
        limit: usize,
    ) -> ClientFuture<'a, Vec<WorkflowRun>>;
}

// ---------------------------------------------------------------------------------------------
// Container registry (Docker Registry v2, Harbor)

/// One tag of an image repository.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageTag {
    /// The tag (`1.4.2`, `latest`).
    pub tag: String,
    /// The manifest digest (`sha256:...`).
    pub digest: Option<String>,
    /// The image's size: config plus layers, as the manifest says.
    pub size_bytes: Option<u64>,
    /// When it was pushed (Harbor's push time, or the image config's `created`).
    pub pushed_at: Option<DateTime<Utc>>,
}

/// A container registry: repositories, tags, sizes, last push.
pub trait ContainerRegistry: Send + Sync {
    /// The registry's repositories (`_catalog`), every page followed.
    fn repositories(&self) -> ClientFuture<'_, Vec<String>>;
    /// The tags of `repository`, every page followed.
    fn tags<'a>(&'a self, repository: &'a str) -> ClientFuture<'a, Vec<String>>;
    /// One tag's digest, size and push time.
    fn tag<'a>(&'a self, repository: &'a str, tag: &'a str) -> ClientFuture<'a, ImageTag>;
}

// ---------------------------------------------------------------------------------------------
// Cluster (Kubernetes)

/// A cluster node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterNode {
    /// The node's name.
    pub name: String,
    /// Whether its `Ready` condition is `True`.
    pub ready: bool,
}

/// A pod.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterPod {
    /// The pod's name.
    pub name: String,
    /// `Running`, `Pending`, `Failed`, ...
    pub phase: String,
    /// Whether its `Ready` condition is `True`.
    pub ready: bool,
    /// The sum of its containers' restart counts.
    pub restarts: u64,
    /// When a container last terminated (and so was restarted), if known.
    pub last_restart_at: Option<DateTime<Utc>>,
}

/// A deployment's replica counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterDeployment {
    /// The namespace.
    pub namespace: String,
    /// The deployment's name.
    pub name: String,
    /// `spec.replicas`.
    pub desired: u64,
    /// `status.readyReplicas`.
    pub ready: u64,
    /// `status.availableReplicas`.
    pub available: u64,
    /// `status.updatedReplicas`.
    pub updated: u64,
    /// Its pods' label selector (`app=api,tier=web`), to list them.
    pub selector: Option<String>,
}

/// A Kubernetes cluster: nodes and readiness, pods, deployments.
pub trait Cluster: Send + Sync {
    /// Every node, every page followed.
    fn nodes(&self) -> ClientFuture<'_, Vec<ClusterNode>>;
    /// The pods of `namespace` matching `selector` (a label selector; `None`: all).
    fn pods<'a>(
        &'a self,
        namespace: &'a str,
        selector: Option<&'a str>,
    ) -> ClientFuture<'a, Vec<ClusterPod>>;
    /// One deployment.
    fn deployment<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> ClientFuture<'a, ClusterDeployment>;
}

// ---------------------------------------------------------------------------------------------
// Cloud provider (Hetzner Cloud)

/// A cloud server and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudServer {
    /// The provider's id.
    pub id: String,
    /// The server's name.
    pub name: String,
    /// `running`, `off`, ... as the provider says.
    pub status: String,
    /// The server type (`cx22`).
    pub server_type: Option<String>,
    /// The location (`fsn1`).
    pub location: Option<String>,
    /// Its monthly price (gross), when the provider's pricing names it.
    pub monthly_cost: Option<f64>,
    /// The price's currency (`EUR`).
    pub currency: Option<String>,
}

/// A cloud provider: servers, their status and monthly cost.
pub trait CloudProvider: Send + Sync {
    /// The servers (matching `label_selector` if given), every page followed, with prices.
    fn servers<'a>(&'a self, label_selector: Option<&'a str>)
    -> ClientFuture<'a, Vec<CloudServer>>;
}

// ---------------------------------------------------------------------------------------------
// Service probe (HTTP health)

/// What a body must contain for a probe to pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BodyMatch {
    /// The body contains this text.
    Contains(String),
    /// The body matches this regular expression.
    Regex(String),
}

/// One HTTP health check to make.
#[derive(Debug, Clone, PartialEq)]
pub struct ProbeRequest {
    /// The URL.
    pub url: String,
    /// The method (`GET`, `HEAD`).
    pub method: String,
    /// Extra request headers (an `Authorization` from a sealed secret, ...).
    pub headers: Vec<(String, String)>,
    /// What the body must contain, if anything.
    pub body_match: Option<BodyMatch>,
    /// The bound on the whole request, body included.
    pub timeout: Duration,
}

/// What a probe saw.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeResponse {
    /// The status code.
    pub status_code: u16,
    /// Time to the end of the body, in milliseconds.
    pub latency_ms: f64,
    /// Whether the body matched (`None` when nothing was asked).
    pub body_matched: Option<bool>,
}

/// An HTTP health check: status, body match, latency.
pub trait ServiceProbe: Send + Sync {
    /// Makes the request; a non-2xx status is an answer, not an error.
    fn probe<'a>(&'a self, request: &'a ProbeRequest) -> ClientFuture<'a, ProbeResponse>;
}

// ---------------------------------------------------------------------------------------------
// Third-party usage (Stripe, OpenAI, OpenRouter)

/// A provider's usage over a period, and its quota if it has one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// `stripe`, `openai`, `openrouter`.
    pub provider: String,
    /// Requests (API calls, charges) in the period, if the provider counts them.
    pub requests: Option<u64>,
    /// Tokens (input plus output) in the period, if it counts them.
    pub tokens: Option<u64>,
    /// Money spent (or charged) in the period, in `currency`.
    pub cost: Option<f64>,
    /// The currency of `cost` and `limit` (`USD`).
    pub currency: Option<String>,
    /// The provider's own limit (credits, hard limit), if it says.
    pub limit: Option<f64>,
    /// The account's available balance (Stripe), in `currency`, if the provider says.
    #[serde(default)]
    pub balance: Option<f64>,
}

/// A third-party service's usage and quota.
pub trait UsageSource: Send + Sync {
    /// Usage from `since` to `until` (the month to date for budgets).
    fn usage(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> ClientFuture<'_, Usage>;
}

// ---------------------------------------------------------------------------------------------
// Targets: how to reach each kind of API (secrets already unsealed)

/// How to reach a git forge.
#[derive(Clone, PartialEq)]
pub struct ForgeTarget {
    /// `gitea`.
    pub forge: String,
    /// The forge's base URL (`https://git.example.com`).
    pub base_url: String,
    /// An access token, if any.
    pub token: Option<String>,
}

/// How to reach a container registry.
#[derive(Clone, PartialEq)]
pub struct RegistryTarget {
    /// The registry's base URL (`https://registry.example.com`).
    pub registry_url: String,
    /// Basic-auth user (also used for the bearer-token challenge).
    pub username: Option<String>,
    /// Basic-auth password or robot token.
    pub password: Option<String>,
}

/// How to reach a Kubernetes API server.
#[derive(Clone, PartialEq)]
pub struct ClusterTarget {
    /// A kubeconfig (YAML or JSON) to take the server, token and CA from.
    pub kubeconfig: Option<String>,
    /// The API server URL (overrides the kubeconfig's).
    pub server: Option<String>,
    /// A bearer token (overrides the kubeconfig's).
    pub token: Option<String>,
    /// The cluster CA, PEM (overrides the kubeconfig's).
    pub ca_pem: Option<String>,
}

/// How to reach a cloud provider's API.
#[derive(Clone, PartialEq)]
pub struct CloudTarget {
    /// `hetzner`.
    pub provider: String,
    /// The API's base URL (`https://api.hetzner.cloud/v1`).
    pub base_url: String,
    /// The API token.
    pub token: Option<String>,
}

/// How to reach a usage API.
#[derive(Clone, PartialEq)]
pub struct UsageTarget {
    /// `stripe`, `openai` or `openrouter`.
    pub provider: String,
    /// The API's base URL.
    pub base_url: String,
    /// The API key.
    pub api_key: Option<String>,
}

impl std::fmt::Debug for ForgeTarget {
    /// Everything but the credentials, which show as set or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ForgeTarget")
            .field("forge", &self.forge)
            .field("base_url", &self.base_url)
            .field("token", &crate::secrets::redacted(&self.token))
            .finish()
    }
}

impl std::fmt::Debug for RegistryTarget {
    /// Everything but the credentials, which show as set or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryTarget")
            .field("registry_url", &self.registry_url)
            .field("username", &self.username)
            .field("password", &crate::secrets::redacted(&self.password))
            .finish()
    }
}

impl std::fmt::Debug for ClusterTarget {
    /// Everything but the credentials, which show as set or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterTarget")
            .field("kubeconfig", &crate::secrets::redacted(&self.kubeconfig))
            .field("server", &self.server)
            .field("token", &crate::secrets::redacted(&self.token))
            .field("ca_pem", &self.ca_pem)
            .finish()
    }
}

impl std::fmt::Debug for CloudTarget {
    /// Everything but the credentials, which show as set or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudTarget")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("token", &crate::secrets::redacted(&self.token))
            .finish()
    }
}

impl std::fmt::Debug for UsageTarget {
    /// Everything but the credentials, which show as set or not.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageTarget")
            .field("provider", &self.provider)
            .field("base_url", &self.base_url)
            .field("api_key", &crate::secrets::redacted(&self.api_key))
            .finish()
    }
}

/// Makes clients for targets. The engine holds one ([`clients::RealConnector`] by default);
/// each call gets a fresh client bound by `timeout`.
pub trait Connector: Send + Sync + std::fmt::Debug {
    /// A git forge client.
    fn git_forge(
        &self,
        target: &ForgeTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn GitForge>, ClientError>;
    /// A container registry client.
    fn registry(
        &self,
        target: &RegistryTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn ContainerRegistry>, ClientError>;
    /// A Kubernetes client.
    fn cluster(
        &self,
        target: &ClusterTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn Cluster>, ClientError>;
    /// A cloud provider client.
    fn cloud(
        &self,
        target: &CloudTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn CloudProvider>, ClientError>;
    /// An HTTP probe.
    fn probe(&self, timeout: Duration) -> Result<Arc<dyn ServiceProbe>, ClientError>;
    /// A usage client.
    fn usage(
        &self,
        target: &UsageTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn UsageSource>, ClientError>;
}
