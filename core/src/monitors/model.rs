//! Apps and monitors as a workspace declares them: the JSON document `monitor put` takes,
//! validated with path-precise errors (`monitors[3].config.url: ...`).
//!
//! A document is a list of monitors, or `{"apps": [...], "monitors": [...]}`. An app a monitor
//! names exists by that name alone. Secrets in configs (`token`, `password`, `api_key`,
//! `kubeconfig`) are sealed at rest and never shown: [`Monitor::redacted`] answers
//! `has_token: true` instead. A config that says `has_token: true` without a `token` keeps the
//! stored one (so what `monitors` answers can be put back unchanged).

use crate::alert::Severity;
use crate::json::Node;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// The most monitors a workspace may have.
pub const MAX_MONITORS: usize = 500;
/// The most apps a workspace may describe.
pub const MAX_APPS: usize = 500;
/// The shortest interval between two checks of a monitor.
pub const MIN_INTERVAL_SECS: u64 = 10;
/// The longest interval between two checks of a monitor (a day).
pub const MAX_INTERVAL_SECS: u64 = 86_400;
/// The largest `breach_after` and `recover_after`.
pub const MAX_CONSECUTIVE: u32 = 100;
/// A check's default bound.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// A check's largest bound.
pub const MAX_TIMEOUT_MS: u64 = 60_000;
/// A check's smallest bound.
pub const MIN_TIMEOUT_MS: u64 = 100;
/// The longest id, app name, environment or short text field.
const MAX_NAME: usize = 100;
/// The longest URL or free text field.
const MAX_TEXT: usize = 2_048;
/// The longest secret (a kubeconfig).
const MAX_SECRET: usize = 64 * 1024;

/// Config fields that hold secrets: sealed at rest, never answered back.
pub const SECRET_FIELDS: [&str; 4] = ["token", "password", "api_key", "kubeconfig"];

/// What a monitor watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorKind {
    /// A git forge's CI on a branch (Gitea Actions): failed on the default branch.
    GitCi,
    /// A container image's last push: none for too long.
    RegistryFreshness,
    /// A Kubernetes deployment: replicas below desired, pods restarting.
    K8sWorkloads,
    /// A cloud account's monthly cost against a budget.
    CloudCost,
    /// A third-party service's usage against a quota or budget.
    UsageQuota,
    /// An HTTP health URL: status, body, latency.
    HttpProbe,
}

impl MonitorKind {
    /// Every kind.
    pub const ALL: [MonitorKind; 6] = [
        MonitorKind::GitCi,
        MonitorKind::RegistryFreshness,
        MonitorKind::K8sWorkloads,
        MonitorKind::CloudCost,
        MonitorKind::UsageQuota,
        MonitorKind::HttpProbe,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MonitorKind::GitCi => "git_ci",
            MonitorKind::RegistryFreshness => "registry_freshness",
            MonitorKind::K8sWorkloads => "k8s_workloads",
            MonitorKind::CloudCost => "cloud_cost",
            MonitorKind::UsageQuota => "usage_quota",
            MonitorKind::HttpProbe => "http_probe",
        }
    }

    /// Parses a kind name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The config fields of this kind (thresholds aside).
    fn config_fields(self) -> &'static [&'static str] {
        match self {
            MonitorKind::HttpProbe => &[
                "url",
                "method",
                "expect_status",
                "body_contains",
                "body_regex",
                "headers",
                "token",
                "timeout_ms",
            ],
            MonitorKind::GitCi => &[
                "forge",
                "base_url",
                "owner",
                "repo",
                "branch",
                "workflow",
                "token",
                "timeout_ms",
            ],
            MonitorKind::RegistryFreshness => &[
                "registry_url",
                "repository",
                "username",
                "password",
                "tags_limit",
                "timeout_ms",
            ],
            MonitorKind::K8sWorkloads => &[
                "kubeconfig",
                "server",
                "token",
                "ca_pem",
                "namespace",
                "deployment",
                "selector",
                "timeout_ms",
            ],
            MonitorKind::CloudCost => &[
                "provider",
                "base_url",
                "token",
                "label_selector",
                "timeout_ms",
            ],
            MonitorKind::UsageQuota => &["provider", "base_url", "api_key", "metric", "timeout_ms"],
        }
    }

    /// The threshold fields of this kind (in `thresholds`, or in `config`).
    fn threshold_fields(self) -> &'static [&'static str] {
        match self {
            MonitorKind::HttpProbe => &["max_latency_ms", "latency_percentile", "latency_window"],
            MonitorKind::GitCi => &["fail_on"],
            MonitorKind::RegistryFreshness => &["max_age_days"],
            MonitorKind::K8sWorkloads => &["max_restarts", "restart_window_secs", "min_available"],
            MonitorKind::CloudCost => &["budget", "currency"],
            MonitorKind::UsageQuota => &["limit", "currency"],
        }
    }
}

impl std::fmt::Display for MonitorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An app's repository on a git forge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppRepository {
    /// `gitea`.
    pub forge: String,
    /// The forge's base URL.
    pub base_url: String,
    /// The owner.
    pub owner: String,
    /// The repository.
    pub repo: String,
    /// The branch to watch (the repository's default branch if absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
}

/// An app's container image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppImage {
    /// The registry's base URL.
    pub registry_url: String,
    /// The image repository (`team/api`).
    pub repository: String,
}

/// An app's Kubernetes workload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppWorkload {
    /// The namespace.
    pub namespace: String,
    /// The deployment.
    pub deployment: String,
}

/// An app of the fleet: what it is made of. Monitors name apps; an app's alerts have it as
/// their project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    /// The app's name (the alerts' project).
    pub name: String,
    /// Its repository.
    pub repository: Option<AppRepository>,
    /// Its container image.
    pub image: Option<AppImage>,
    /// Its cluster workload.
    pub workload: Option<AppWorkload>,
    /// Its health URLs.
    #[serde(default)]
    pub health_urls: Vec<String>,
    /// The third-party services it uses (`stripe`, `openai`, ...).
    #[serde(default)]
    pub usage: Vec<String>,
    /// Links for people (`{"runbook": "https://..."}`).
    #[serde(default)]
    pub links: BTreeMap<String, String>,
}

impl App {
    /// An app known by name only.
    pub fn named(name: &str) -> Self {
        App {
            name: name.to_string(),
            repository: None,
            image: None,
            workload: None,
            health_urls: Vec::new(),
            usage: Vec::new(),
            links: BTreeMap::new(),
        }
    }
}

/// One monitor. `config` holds secrets sealed (as stored) or opened (when run); what is shown
/// is [`Monitor::redacted`] (its `Debug` output too).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct Monitor {
    /// Unique in the workspace.
    pub id: String,
    /// The app it watches (the alerts' project).
    pub app: String,
    /// What it watches.
    pub kind: MonitorKind,
    /// Seconds between checks.
    pub interval_secs: u64,
    /// How to reach the target (per kind).
    pub config: Value,
    /// Limits (per kind), as given.
    #[serde(default)]
    pub thresholds: Value,
    /// Failed checks in a row that open an alert.
    pub breach_after: u32,
    /// Passed checks in a row that resolve it.
    pub recover_after: u32,
    /// The alerts' severity.
    pub severity: Severity,
    /// The alerts' environment.
    pub environment: Option<String>,
}

impl std::fmt::Debug for Monitor {
    /// As [`Monitor::redacted`] shows it: each secret as `has_<field>: true`, never its value
    /// (opened for a run, the config holds them in the clear).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Monitor({})", self.redacted())
    }
}

impl Monitor {
    /// The monitor as shown: each secret replaced by `has_<field>: true`.
    pub fn redacted(&self) -> Value {
        let mut config = self.config.clone();
        if let Value::Object(m) = &mut config {
            for f in SECRET_FIELDS {
                if m.remove(f).is_some() {
                    m.insert(format!("has_{f}"), Value::Bool(true));
                }
            }
        }
        serde_json::json!({
            "id": self.id,
            "app": self.app,
            "kind": self.kind,
            "interval_secs": self.interval_secs,
            "config": config,
            "thresholds": self.thresholds,
            "breach_after": self.breach_after,
            "recover_after": self.recover_after,
            "severity": self.severity,
            "environment": self.environment,
        })
    }

    /// A string field of the config.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.config.get(field).and_then(Value::as_str)
    }

    /// A threshold: from `thresholds`, else from `config`.
    pub fn threshold(&self, field: &str) -> Option<&Value> {
        self.thresholds
            .get(field)
            .filter(|v| !v.is_null())
            .or_else(|| self.config.get(field).filter(|v| !v.is_null()))
    }

    /// A numeric threshold.
    pub fn threshold_f64(&self, field: &str) -> Option<f64> {
        self.threshold(field).and_then(Value::as_f64)
    }

    /// The check's bound in milliseconds.
    pub fn timeout_ms(&self) -> u64 {
        self.config
            .get("timeout_ms")
            .and_then(Value::as_u64)
            .unwrap_or(DEFAULT_TIMEOUT_MS)
            .clamp(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)
    }
}

/// A workspace's apps and monitors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonitorSet {
    /// The apps: described ones first, in order, then those only a monitor names.
    pub apps: Vec<App>,
    /// The monitors, in order.
    pub monitors: Vec<Monitor>,
}

impl MonitorSet {
    /// Parses and validates a document (a list of monitors, or `{apps?, monitors}`). Secrets
    /// are left as given; `has_<field>: true` markers are kept for the engine to resolve.
    pub fn parse(doc: &Value) -> Result<MonitorSet> {
        let root = Node::root(doc);
        let (apps_node, monitors) = match doc {
            Value::Array(_) => (None, Node::at(doc, "monitors")),
            Value::Object(m) => {
                for k in m.keys() {
                    if k != "apps" && k != "monitors" {
                        return Err(Error::invalid(k, "unknown field (known: apps, monitors)"));
                    }
                }
                let monitors = match m.get("monitors") {
                    Some(v) if !v.is_null() => Node::at(v, "monitors"),
                    _ => return Err(Error::invalid("monitors", "missing")),
                };
                (root.get("apps"), monitors)
            }
            _ => return Err(root.error("expected a list of monitors or {apps, monitors}")),
        };
        let mut apps = Vec::new();
        if let Some(a) = apps_node {
            let items = a.array()?;
            if items.len() > MAX_APPS {
                return Err(a.error(format!(
                    "{} apps is over the limit of {MAX_APPS}",
                    items.len()
                )));
            }
            for n in items {
                let app = parse_app(&n)?;
                if apps.iter().any(|x: &App| x.name == app.name) {
                    return Err(Error::invalid(
                        format!("{}.name", n.path()),
                        format!("duplicate app {:?}", app.name),
                    ));
                }
                apps.push(app);
            }
        }
        let items = monitors.array()?;
        if items.len() > MAX_MONITORS {
            return Err(monitors.error(format!(
                "{} monitors is over the limit of {MAX_MONITORS} per workspace",
                items.len()
            )));
        }
        let mut out: Vec<Monitor> = Vec::with_capacity(items.len());
        for n in items {
            let m = parse_monitor(&n)?;
            if out.iter().any(|x| x.id == m.id) {
                return Err(Error::invalid(
                    format!("{}.id", n.path()),
                    format!("duplicate monitor id {:?}", m.id),
                ));
            }
            out.push(m);
        }
        for m in &out {
            if !apps.iter().any(|a| a.name == m.app) {
                apps.push(App::named(&m.app));
            }
        }
        for (i, m) in out.iter().enumerate() {
            check_complete(m, apps.iter().find(|a| a.name == m.app), i)?;
        }
        Ok(MonitorSet {
            apps,
            monitors: out,
        })
    }

    /// The set as shown: apps whole, monitors [`redacted`](Monitor::redacted).
    pub fn redacted(&self) -> Value {
        serde_json::json!({
            "apps": self.apps,
            "monitors": self.monitors.iter().map(Monitor::redacted).collect::<Vec<_>>(),
        })
    }
}

fn check_name(n: &Node<'_>, what: &str) -> Result<String> {
    let s = n.str()?.trim();
    if s.is_empty() {
        return Err(n.error(format!("{what} must not be empty")));
    }
    if s.len() > MAX_NAME {
        return Err(n.error(format!("{what} is longer than {MAX_NAME} characters")));
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':' | '/'))
    {
        return Err(n.error(format!(
            "{what} {s:?} may hold only letters, digits and - _ . : /"
        )));
    }
    Ok(s.to_string())
}

fn text(n: &Node<'_>, max: usize) -> Result<String> {
    let s = n.str()?.trim();
    if s.is_empty() {
        return Err(n.error("must not be empty"));
    }
    if s.len() > max {
        return Err(n.error(format!("longer than {max} characters")));
    }
    Ok(s.to_string())
}

fn req_text(obj: &Node<'_>, key: &str) -> Result<String> {
    text(&obj.req(key)?, MAX_TEXT)
}

fn opt_text(obj: &Node<'_>, key: &str, max: usize) -> Result<Option<String>> {
    obj.get(key).map(|n| text(&n, max)).transpose()
}

/// Checks an absolute http(s) URL without credentials in it.
fn check_url(n: &Node<'_>) -> Result<String> {
    let s = text(n, MAX_TEXT)?;
    let u = reqwest::Url::parse(&s).map_err(|e| n.error(format!("not a URL: {e}")))?;
    if u.scheme() != "http" && u.scheme() != "https" {
        return Err(n.error(format!(
            "expected an http or https URL, got {:?}",
            u.scheme()
        )));
    }
    if u.host_str().is_none_or(str::is_empty) {
        return Err(n.error("the URL has no host"));
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err(n.error("credentials do not go in the URL (use the token or password field)"));
    }
    Ok(s)
}

fn opt_url(obj: &Node<'_>, key: &str) -> Result<Option<String>> {
    obj.get(key).map(|n| check_url(&n)).transpose()
}

fn check_keys(obj: &Node<'_>, known: &[&str]) -> Result<()> {
    for k in obj.expect_object()?.keys() {
        if !known.contains(&k.as_str()) {
            let path = if obj.path() == "$" {
                k.clone()
            } else {
                format!("{}.{k}", obj.path())
            };
            return Err(Error::invalid(
                path,
                format!("unknown field (known: {})", known.join(", ")),
            ));
        }
    }
    Ok(())
}

fn parse_app(n: &Node<'_>) -> Result<App> {
    check_keys(
        n,
        &[
            "name",
            "repository",
            "image",
            "workload",
            "health_urls",
            "usage",
            "links",
        ],
    )?;
    let name = check_name(&n.req("name")?, "an app name")?;
    let repository = match n.get("repository") {
        None => None,
        Some(r) => {
            check_keys(&r, &["forge", "base_url", "owner", "repo", "branch"])?;
            let forge = opt_text(&r, "forge", MAX_NAME)?.unwrap_or_else(|| "gitea".into());
            if forge != "gitea" {
                return Err(Error::invalid(
                    format!("{}.forge", r.path()),
                    format!("unknown forge {forge:?} (known: gitea)"),
                ));
            }
            Some(AppRepository {
                forge,
                base_url: check_url(&r.req("base_url")?)?,
                owner: req_text(&r, "owner")?,
                repo: req_text(&r, "repo")?,
                branch: opt_text(&r, "branch", MAX_NAME)?,
            })
        }
    };
    let image = match n.get("image") {
        None => None,
        Some(i) => {
            check_keys(&i, &["registry_url", "repository"])?;
            Some(AppImage {
                registry_url: check_url(&i.req("registry_url")?)?,
                repository: req_text(&i, "repository")?,
            })
        }
    };
    let workload = match n.get("workload") {
        None => None,
        Some(w) => {
            check_keys(&w, &["namespace", "deployment"])?;
            Some(AppWorkload {
                namespace: req_text(&w, "namespace")?,
                deployment: req_text(&w, "deployment")?,
            })
        }
    };
    let mut health_urls = Vec::new();
    if let Some(h) = n.get("health_urls") {
        let items = h.array()?;
        if items.len() > 50 {
            return Err(h.error("more than 50 health URLs"));
        }
        for u in items {
            health_urls.push(check_url(&u)?);
        }
    }
    let mut usage = Vec::new();
    if let Some(u) = n.get("usage") {
        let items = u.array()?;
        if items.len() > 50 {
            return Err(u.error("more than 50 usage sources"));
        }
        for s in items {
            usage.push(text(&s, MAX_NAME)?);
        }
    }
    let mut links = BTreeMap::new();
    if let Some(l) = n.get("links") {
        let obj = l.expect_object()?;
        if obj.len() > 50 {
            return Err(l.error("more than 50 links"));
        }
        for (k, v) in obj {
            let at = Node::at(v, format!("{}.{k}", l.path()));
            links.insert(k.clone(), check_url(&at)?);
        }
    }
    Ok(App {
        name,
        repository,
        image,
        workload,
        health_urls,
        usage,
        links,
    })
}

fn bounded_u64(n: &Node<'_>, lo: u64, hi: u64, what: &str) -> Result<u64> {
    n.value()
        .as_u64()
        .filter(|v| (lo..=hi).contains(v))
        .ok_or_else(|| n.error(format!("expected {what} from {lo} to {hi}")))
}

fn positive_f64(n: &Node<'_>) -> Result<f64> {
    n.value()
        .as_f64()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| n.error("expected a number, 0 or more"))
}

fn parse_monitor(n: &Node<'_>) -> Result<Monitor> {
    check_keys(
        n,
        &[
            "id",
            "app",
            "kind",
            "interval_secs",
            "config",
            "thresholds",
            "breach_after",
            "recover_after",
            "severity",
            "environment",
        ],
    )?;
    let id = check_name(&n.req("id")?, "a monitor id")?;
    let app = check_name(&n.req("app")?, "an app name")?;
    let kind_node = n.req("kind")?;
    let kind_text = kind_node.str()?;
    let kind = MonitorKind::parse(kind_text).ok_or_else(|| {
        let known: Vec<&str> = MonitorKind::ALL.iter().map(|k| k.as_str()).collect();
        kind_node.error(format!(
            "unknown kind {kind_text:?} (known: {})",
            known.join(", ")
        ))
    })?;
    let interval_secs = match n.get("interval_secs") {
        None => 60,
        Some(i) => bounded_u64(&i, MIN_INTERVAL_SECS, MAX_INTERVAL_SECS, "seconds")?,
    };
    let consecutive = |key: &str| -> Result<u32> {
        match n.get(key) {
            None => Ok(1),
            Some(c) => Ok(bounded_u64(&c, 1, u64::from(MAX_CONSECUTIVE), "a count")? as u32),
        }
    };
    let breach_after = consecutive("breach_after")?;
    let recover_after = consecutive("recover_after")?;
    let severity = match n.get("severity") {
        None => Severity::Error,
        Some(s) => s.str()?.parse::<Severity>().map_err(|e| match e {
            Error::InvalidInput { message, .. } => s.error(message),
            other => other,
        })?,
    };
    let environment = n
        .get("environment")
        .map(|e| check_name(&e, "an environment"))
        .transpose()?;
    let config_node = n.req("config")?;
    config_node.expect_object()?;
    let mut known: Vec<&str> = kind.config_fields().to_vec();
    known.extend(kind.threshold_fields());
    let has: Vec<String> = SECRET_FIELDS
        .iter()
        .filter(|f| kind.config_fields().contains(f))
        .map(|f| format!("has_{f}"))
        .collect();
    known.extend(has.iter().map(String::as_str));
    check_keys(&config_node, &known)?;
    let thresholds = match n.get("thresholds") {
        None => Value::Object(Map::new()),
        Some(t) => {
            check_keys(&t, kind.threshold_fields())?;
            t.value().clone()
        }
    };
    check_config(kind, &config_node)?;
    check_thresholds(kind, &config_node)?;
    if let Some(t) = n.get("thresholds") {
        check_thresholds(kind, &t)?;
    }
    let m = Monitor {
        id,
        app,
        kind,
        interval_secs,
        config: config_node.value().clone(),
        thresholds,
        breach_after,
        recover_after,
        severity,
        environment,
    };
    if kind == MonitorKind::CloudCost && m.threshold("budget").is_none() {
        return Err(Error::invalid(
            format!("{}.thresholds.budget", n.path()),
            "missing (the monthly budget to alert over)",
        ));
    }
    Ok(m)
}

/// Checks that monitor `i` names its target, in its config or through its app's description.
fn check_complete(m: &Monitor, app: Option<&App>, i: usize) -> Result<()> {
    let full = crate::monitors::run::with_app_defaults(m, app);
    let (required, from): (&[&str], &str) = match m.kind {
        MonitorKind::HttpProbe => (&["url"], "health_urls"),
        MonitorKind::GitCi => (&["base_url", "owner", "repo"], "repository"),
        MonitorKind::RegistryFreshness => (&["registry_url", "repository"], "image"),
        MonitorKind::K8sWorkloads => (&["namespace", "deployment"], "workload"),
        MonitorKind::CloudCost | MonitorKind::UsageQuota => (&[], ""),
    };
    for f in required {
        if full.text(f).is_none() {
            return Err(Error::invalid(
                format!("monitors[{i}].config.{f}"),
                format!(
                    "missing (give it here, or describe app {:?}'s {from})",
                    m.app
                ),
            ));
        }
    }
    Ok(())
}

/// Checks the per-kind config fields (thresholds aside).
fn check_config(kind: MonitorKind, c: &Node<'_>) -> Result<()> {
    if let Some(t) = c.get("timeout_ms") {
        bounded_u64(&t, MIN_TIMEOUT_MS, MAX_TIMEOUT_MS, "milliseconds")?;
    }
    for f in SECRET_FIELDS {
        if let Some(s) = c.get(f) {
            text(&s, MAX_SECRET)?;
        }
        if let Some(h) = c.get(&format!("has_{f}")) {
            h.value()
                .as_bool()
                .ok_or_else(|| h.error("expected true or false"))?;
        }
    }
    match kind {
        MonitorKind::HttpProbe => {
            opt_url(c, "url")?;
            if let Some(m) = c.get("method") {
                let s = m.str()?;
                if s != "GET" && s != "HEAD" {
                    return Err(m.error(format!("expected GET or HEAD, got {s:?}")));
                }
            }
            if let Some(s) = c.get("expect_status") {
                bounded_u64(&s, 100, 599, "an HTTP status")?;
            }
            opt_text(c, "body_contains", MAX_TEXT)?;
            if let Some(r) = c.get("body_regex") {
                let p = text(&r, MAX_TEXT)?;
                regex::RegexBuilder::new(&p)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|e| r.error(format!("not a regular expression: {e}")))?;
            }
            if let Some(h) = c.get("headers") {
                let obj = h.expect_object()?;
                if obj.len() > 20 {
                    return Err(h.error("more than 20 headers"));
                }
                for (k, v) in obj {
                    let at = Node::at(v, format!("{}.{k}", h.path()));
                    let lower = k.to_ascii_lowercase();
                    if matches!(
                        lower.as_str(),
                        "authorization" | "cookie" | "proxy-authorization"
                    ) {
                        return Err(at.error("put credentials in the token field (sealed at rest)"));
                    }
                    if reqwest::header::HeaderName::from_bytes(k.as_bytes()).is_err() {
                        return Err(at.error("not a header name"));
                    }
                    let value = text(&at, MAX_TEXT)?;
                    if reqwest::header::HeaderValue::from_str(&value).is_err() {
                        return Err(at.error("not a header value"));
                    }
                }
            }
        }
        MonitorKind::GitCi => {
            if let Some(f) = c.get("forge") {
                let s = f.str()?;
                if s != "gitea" {
                    return Err(f.error(format!("unknown forge {s:?} (known: gitea)")));
                }
            }
            opt_url(c, "base_url")?;
            for k in ["owner", "repo", "branch", "workflow"] {
                opt_text(c, k, MAX_TEXT)?;
            }
        }
        MonitorKind::RegistryFreshness => {
            opt_url(c, "registry_url")?;
            opt_text(c, "repository", MAX_TEXT)?;
            opt_text(c, "username", MAX_TEXT)?;
            if let Some(t) = c.get("tags_limit") {
                bounded_u64(&t, 1, 100, "a count")?;
            }
        }
        MonitorKind::K8sWorkloads => {
            opt_url(c, "server")?;
            for k in ["namespace", "deployment", "selector"] {
                opt_text(c, k, MAX_TEXT)?;
            }
            opt_text(c, "ca_pem", MAX_SECRET)?;
            let has_kubeconfig = c.get("kubeconfig").is_some()
                || c.get("has_kubeconfig").and_then(|n| n.value().as_bool()) == Some(true);
            if !has_kubeconfig && c.get("server").is_none() {
                return Err(Error::invalid(
                    format!("{}.server", c.path()),
                    "missing (give a server, or a kubeconfig)",
                ));
            }
        }
        MonitorKind::CloudCost => {
            let p = c.req("provider")?;
            let s = p.str()?;
            if s != "hetzner" {
                return Err(p.error(format!("unknown provider {s:?} (known: hetzner)")));
            }
            opt_url(c, "base_url")?;
            opt_text(c, "label_selector", MAX_TEXT)?;
        }
        MonitorKind::UsageQuota => {
            let p = c.req("provider")?;
            let s = p.str()?;
            if !matches!(s, "stripe" | "openai" | "openrouter") {
                return Err(p.error(format!(
                    "unknown provider {s:?} (known: stripe, openai, openrouter)"
                )));
            }
            opt_url(c, "base_url")?;
            if let Some(m) = c.get("metric") {
                let s = m.str()?;
                if !matches!(s, "cost" | "tokens" | "requests") {
                    return Err(m.error(format!(
                        "unknown metric {s:?} (known: cost, tokens, requests)"
                    )));
                }
            }
        }
    }
    Ok(())
}

/// Checks the threshold fields present in `t` (the `thresholds` object, or `config`).
fn check_thresholds(kind: MonitorKind, t: &Node<'_>) -> Result<()> {
    match kind {
        MonitorKind::HttpProbe => {
            if let Some(l) = t.get("max_latency_ms") {
                bounded_u64(&l, 1, MAX_TIMEOUT_MS, "milliseconds")?;
            }
            if let Some(p) = t.get("latency_percentile") {
                bounded_u64(&p, 50, 100, "a percentile")?;
            }
            if let Some(w) = t.get("latency_window") {
                bounded_u64(&w, 1, 60, "a count of checks")?;
            }
        }
        MonitorKind::GitCi => {
            if let Some(f) = t.get("fail_on") {
                let items = f.array()?;
                if items.is_empty() || items.len() > 10 {
                    return Err(f.error("expected 1 to 10 conclusions"));
                }
                for i in items {
                    text(&i, MAX_NAME)?;
                }
            }
        }
        MonitorKind::RegistryFreshness => {
            if let Some(d) = t.get("max_age_days") {
                let v = positive_f64(&d)?;
                if v <= 0.0 || v > 3650.0 {
                    return Err(d.error("expected days, more than 0 and at most 3650"));
                }
            }
        }
        MonitorKind::K8sWorkloads => {
            if let Some(r) = t.get("max_restarts") {
                bounded_u64(&r, 0, 10_000, "a count")?;
            }
            if let Some(w) = t.get("restart_window_secs") {
                bounded_u64(&w, 60, MAX_INTERVAL_SECS, "seconds")?;
            }
            if let Some(a) = t.get("min_available") {
                bounded_u64(&a, 0, 10_000, "a count of replicas")?;
            }
        }
        MonitorKind::CloudCost | MonitorKind::UsageQuota => {
            for k in ["budget", "limit"] {
                if let Some(b) = t.get(k) {
                    positive_f64(&b)?;
                }
            }
            if let Some(c) = t.get("currency") {
                let s = text(&c, 8)?;
                if !s.chars().all(|c| c.is_ascii_alphabetic()) {
                    return Err(c.error("expected a currency code (EUR, USD)"));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn err(doc: Value) -> String {
        MonitorSet::parse(&doc).unwrap_err().to_string()
    }

    fn probe() -> Value {
        json!({"id": "api-health", "app": "api", "kind": "http_probe", "interval_secs": 30,
               "config": {"url": "http://127.0.0.1:8080/healthz", "expect_status": 200, "max_latency_ms": 800},
               "breach_after": 2, "recover_after": 1, "severity": "critical", "environment": "production"})
    }

    #[test]
    fn the_issue_example_parses_and_names_its_app() {
        let set = MonitorSet::parse(&json!([probe()])).unwrap();
        assert_eq!(set.apps, vec![App::named("api")]);
        let m = &set.monitors[0];
        assert_eq!(
            (m.kind, m.interval_secs, m.breach_after),
            (MonitorKind::HttpProbe, 30, 2)
        );
        assert_eq!(m.threshold_f64("max_latency_ms"), Some(800.0));
        assert_eq!(m.severity, Severity::Critical);
    }

    #[test]
    fn errors_name_the_path() {
        let mut bad = probe();
        bad["kind"] = json!("http_probez");
        assert!(err(json!([probe(), bad])).starts_with("monitors[1].kind: unknown kind"));
        let mut bad = probe();
        bad["interval_secs"] = json!(5);
        assert!(
            err(json!({"monitors": [bad]}))
                .starts_with("monitors[0].interval_secs: expected seconds from 10")
        );
        let mut bad = probe();
        bad["config"]["url"] = json!("ftp://x");
        assert!(err(json!([bad])).starts_with("monitors[0].config.url: expected an http"));
        let mut bad = probe();
        bad["breach_after"] = json!(0);
        assert!(err(json!([bad])).starts_with("monitors[0].breach_after:"));
        let mut bad = probe();
        bad["severity"] = json!("loud");
        assert!(err(json!([bad])).starts_with("monitors[0].severity: unknown severity"));
        let mut bad = probe();
        bad["config"]["colour"] = json!(1);
        assert!(err(json!([bad])).starts_with("monitors[0].config.colour: unknown field"));
        assert!(err(json!([probe(), probe()])).starts_with("monitors[1].id: duplicate"));
        assert!(
            err(json!({"apps": [{"name": "api", "image": {"repository": "x"}}], "monitors": []}))
                .starts_with("apps[0].image.registry_url: missing")
        );
        let cost = json!({"id": "c", "app": "a", "kind": "cloud_cost", "config": {"provider": "hetzner", "token": "t"}});
        assert!(err(json!([cost])).starts_with("monitors[0].thresholds.budget: missing"));
    }

    #[test]
    fn the_cap_holds() {
        let many: Vec<Value> = (0..=MAX_MONITORS)
            .map(|i| {
                let mut m = probe();
                m["id"] = json!(format!("m{i}"));
                m
            })
            .collect();
        assert!(err(Value::Array(many)).starts_with("monitors: 501 monitors is over the limit"));
    }

    #[test]
    fn secrets_are_not_shown() {
        let mut m = probe();
        m["config"]["token"] = json!("s3cret");
        let set = MonitorSet::parse(&json!([m])).unwrap();
        let shown = set.redacted().to_string();
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("\"has_token\":true"));
    }
}
