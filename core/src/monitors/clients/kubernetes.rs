//! The Kubernetes API, with a bearer token and the cluster CA taken from a kubeconfig.
//!
//! - The kubeconfig (YAML or JSON) is read for its `current-context` (or its only context): the
//!   context's cluster `server` and `certificate-authority-data` (base64 PEM, trusted besides
//!   the system roots), and the user's `token`. File paths (`certificate-authority`,
//!   `tokenFile`), client certificates, exec plugins and `insecure-skip-tls-verify` are refused
//!   with a config error naming the field: a monitor reads only what it was given, and always
//!   verifies TLS. The target's own `server`, `token` and `ca_pem` override the kubeconfig's.
//! - `GET /api/v1/nodes?limit=100`: each node's `Ready` condition.
//! - `GET /api/v1/namespaces/{ns}/pods?limit=100&labelSelector=…`: phase, the `Ready`
//!   condition, the sum of `containerStatuses[].restartCount`, the latest
//!   `lastState.terminated.finishedAt`.
//! - `GET /apis/apps/v1/namespaces/{ns}/deployments/{name}`: `spec.replicas` (default 1) against
//!   `status.readyReplicas`, `availableReplicas`, `updatedReplicas` (absent: 0), and the pods'
//!   selector from `spec.selector` (`matchLabels` and `matchExpressions`).
//!
//! Lists follow `metadata.continue` (at most [`MAX_PAGES`] pages).

use super::{Api, Auth, Doc, MAX_PAGES, endpoint, lookup, opt_str};
use crate::monitors::http::HttpOptions;
use crate::monitors::{
    ClientError, ClientFuture, Cluster, ClusterDeployment, ClusterNode, ClusterPod, ClusterTarget,
};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use serde_json::Value;

/// Items asked per list page.
const PAGE_LIMIT: &str = "100";

/// Where and how to reach an API server (its `Debug` shows no token).
#[derive(Clone, PartialEq)]
pub struct KubeAccess {
    /// The API server URL.
    pub server: String,
    /// The bearer token.
    pub token: Option<String>,
    /// The cluster CA, PEM.
    pub ca_pem: Option<String>,
    /// The context's namespace, if it names one.
    pub namespace: Option<String>,
}

impl std::fmt::Debug for KubeAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KubeAccess")
            .field("server", &self.server)
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("ca_pem", &self.ca_pem.is_some())
            .field("namespace", &self.namespace)
            .finish()
    }
}

/// Reads a kubeconfig (YAML or JSON): the current context's server, CA and token.
pub fn parse_kubeconfig(text: &str) -> Result<KubeAccess, ClientError> {
    const P: &str = "config.kubeconfig";
    let doc: Value = serde_yaml_ng::from_str(text)
        .map_err(|e| ClientError::config(P, format!("not YAML or JSON: {e}")))?;
    let named = |list: &str, name: &str| -> Result<Value, ClientError> {
        lookup(&doc, list)
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i.get("name").and_then(Value::as_str) == Some(name))
            })
            .cloned()
            .ok_or_else(|| {
                ClientError::config(format!("{P}.{list}"), format!("no entry named {name:?}"))
            })
    };
    let context_name = match opt_str(&doc, "current-context").filter(|s| !s.is_empty()) {
        Some(name) => name.to_string(),
        None => {
            let contexts = lookup(&doc, "contexts").and_then(Value::as_array);
            match contexts.map(Vec::as_slice) {
                Some([only]) => opt_str(only, "name").unwrap_or_default().to_string(),
                _ => {
                    return Err(ClientError::config(
                        format!("{P}.current-context"),
                        "missing (and the kubeconfig has not exactly one context)",
                    ));
                }
            }
        }
    };
    let context = named("contexts", &context_name)?;
    let cp = format!("{P}.contexts[name={context_name}].context");
    let cluster_name = opt_str(&context, "context.cluster")
        .ok_or_else(|| ClientError::config(format!("{cp}.cluster"), "missing"))?;
    let user_name = opt_str(&context, "context.user");
    let cluster = named("clusters", cluster_name)?;
    let clp = format!("{P}.clusters[name={cluster_name}].cluster");
    let server = opt_str(&cluster, "cluster.server")
        .ok_or_else(|| ClientError::config(format!("{clp}.server"), "missing"))?
        .to_string();
    if lookup(&cluster, "cluster.insecure-skip-tls-verify").and_then(Value::as_bool) == Some(true) {
        return Err(ClientError::config(
            format!("{clp}.insecure-skip-tls-verify"),
            "not supported: monitors always verify TLS (give certificate-authority-data)",
        ));
    }
    if opt_str(&cluster, "cluster.certificate-authority").is_some() {
        return Err(ClientError::config(
            format!("{clp}.certificate-authority"),
            "file paths are not read: give certificate-authority-data",
        ));
    }
    let ca_pem = match opt_str(&cluster, "cluster.certificate-authority-data") {
        None => None,
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| {
                    ClientError::config(
                        format!("{clp}.certificate-authority-data"),
                        format!("not base64: {e}"),
                    )
                })?;
            Some(String::from_utf8(bytes).map_err(|_| {
                ClientError::config(
                    format!("{clp}.certificate-authority-data"),
                    "not a PEM certificate",
                )
            })?)
        }
    };
    let token = match user_name {
        None => None,
        Some(user_name) => {
            let user = named("users", user_name)?;
            let up = format!("{P}.users[name={user_name}].user");
            for refused in [
                "tokenFile",
                "client-certificate",
                "client-certificate-data",
                "exec",
                "auth-provider",
            ] {
                if lookup(&user, &format!("user.{refused}")).is_some()
                    && opt_str(&user, "user.token").is_none()
                {
                    return Err(ClientError::config(
                        format!("{up}.{refused}"),
                        "not supported: give the user a bearer token (a service account's)",
                    ));
                }
            }
            opt_str(&user, "user.token").map(str::to_string)
        }
    };
    Ok(KubeAccess {
        server,
        token,
        ca_pem,
        namespace: opt_str(&context, "context.namespace").map(str::to_string),
    })
}

/// A Kubernetes client.
#[derive(Debug, Clone)]
pub struct Kubernetes {
    api: Api,
    server: String,
    auth: Auth,
}

impl Kubernetes {
    /// A client for the cluster the target names (its kubeconfig, then its overrides).
    pub fn new(target: &ClusterTarget, options: &HttpOptions) -> Result<Self, ClientError> {
        let from_file = match &target.kubeconfig {
            Some(text) => Some(parse_kubeconfig(text)?),
            None => None,
        };
        let server = target
            .server
            .clone()
            .or_else(|| from_file.as_ref().map(|k| k.server.clone()))
            .ok_or_else(|| {
                ClientError::config("config.server", "missing (and no kubeconfig names one)")
            })?;
        super::base_url(&server, "config.server")?;
        let token = target
            .token
            .clone()
            .or_else(|| from_file.as_ref().and_then(|k| k.token.clone()));
        let ca_pem = target
            .ca_pem
            .clone()
            .or_else(|| from_file.as_ref().and_then(|k| k.ca_pem.clone()));
        Ok(Kubernetes {
            api: Api::new(&HttpOptions {
                ca_pem,
                ..options.clone()
            })?,
            server,
            auth: token.map_or(Auth::None, Auth::Bearer),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<reqwest::Url, ClientError> {
        endpoint(&self.server, "config.server", segments, query)
    }

    /// Every item of a list endpoint, following `metadata.continue`.
    async fn list(
        &self,
        segments: &[&str],
        selector: Option<&str>,
    ) -> Result<Vec<(String, Value)>, ClientError> {
        let mut cont: Option<String> = None;
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let mut query = vec![("limit", PAGE_LIMIT)];
            if let Some(s) = selector.filter(|s| !s.is_empty()) {
                query.push(("labelSelector", s));
            }
            if let Some(c) = &cont {
                query.push(("continue", c.as_str()));
            }
            let url = self.url(segments, &query)?;
            let (body, _) = self.api.get_json(&url, &self.auth).await?;
            let doc = Doc::new(url.as_str());
            for (i, item) in doc.array(&body, "items")?.iter().enumerate() {
                out.push((format!("items[{i}]."), item.clone()));
            }
            // Each page's errors name its own URL; the caller re-reads with `Doc::new("")`.
            match opt_str(&body, "metadata.continue").filter(|c| !c.is_empty()) {
                Some(c) => cont = Some(c.to_string()),
                None => break,
            }
        }
        Ok(out)
    }

    async fn nodes_list(&self) -> Result<Vec<ClusterNode>, ClientError> {
        let url = self.url(&["api", "v1", "nodes"], &[])?;
        let top = Doc::new(url.as_str());
        let mut out = Vec::new();
        for (at, node) in self.list(&["api", "v1", "nodes"], None).await? {
            let doc = top.at(&at);
            out.push(ClusterNode {
                name: doc.str(&node, "metadata.name")?.to_string(),
                ready: condition_true(&node, "Ready"),
            });
        }
        Ok(out)
    }

    async fn pods_list(
        &self,
        namespace: &str,
        selector: Option<&str>,
    ) -> Result<Vec<ClusterPod>, ClientError> {
        let segments = ["api", "v1", "namespaces", namespace, "pods"];
        let url = self.url(&segments, &[])?;
        let top = Doc::new(url.as_str());
        let mut out = Vec::new();
        for (at, pod) in self.list(&segments, selector).await? {
            let doc = top.at(&at);
            let mut restarts = 0u64;
            let mut last: Option<DateTime<Utc>> = None;
            if let Some(statuses) =
                lookup(&pod, "status.containerStatuses").and_then(Value::as_array)
            {
                for (i, c) in statuses.iter().enumerate() {
                    let cd = doc.at(&format!("status.containerStatuses[{i}]."));
                    restarts = restarts.saturating_add(cd.opt_u64(c, "restartCount")?.unwrap_or(0));
                    if let Some(t) = cd.opt_time(c, "lastState.terminated.finishedAt")? {
                        last = Some(last.map_or(t, |l| l.max(t)));
                    }
                }
            }
            out.push(ClusterPod {
                name: doc.str(&pod, "metadata.name")?.to_string(),
                phase: opt_str(&pod, "status.phase")
                    .unwrap_or("Unknown")
                    .to_string(),
                ready: condition_true(&pod, "Ready"),
                restarts,
                last_restart_at: last,
            });
        }
        Ok(out)
    }

    async fn deployment_of(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<ClusterDeployment, ClientError> {
        let url = self.url(
            &[
                "apis",
                "apps",
                "v1",
                "namespaces",
                namespace,
                "deployments",
                name,
            ],
            &[],
        )?;
        let (body, _) = self.api.get_json(&url, &self.auth).await?;
        let doc = Doc::new(url.as_str());
        let count = |path: &str| doc.opt_u64(&body, path).map(|n| n.unwrap_or(0));
        Ok(ClusterDeployment {
            namespace: opt_str(&body, "metadata.namespace")
                .unwrap_or(namespace)
                .to_string(),
            name: doc.str(&body, "metadata.name")?.to_string(),
            desired: doc.opt_u64(&body, "spec.replicas")?.unwrap_or(1),
            ready: count("status.readyReplicas")?,
            available: count("status.availableReplicas")?,
            updated: count("status.updatedReplicas")?,
            selector: selector_of(&doc.at("spec.selector."), lookup(&body, "spec.selector"))?,
        })
    }
}

/// Whether `status.conditions` has `type` with status `"True"`.
fn condition_true(object: &Value, kind: &str) -> bool {
    lookup(object, "status.conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.get("type").and_then(Value::as_str) == Some(kind)
                    && c.get("status").and_then(Value::as_str) == Some("True")
            })
        })
}

/// A label selector's string form (`app=api,tier in (web,edge),!canary`).
fn selector_of(doc: &Doc<'_>, selector: Option<&Value>) -> Result<Option<String>, ClientError> {
    let Some(selector) = selector else {
        return Ok(None);
    };
    let mut parts = Vec::new();
    if let Some(labels) = selector.get("matchLabels").and_then(Value::as_object) {
        let mut labels: Vec<_> = labels.iter().collect();
        labels.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in labels {
            let v = v
                .as_str()
                .ok_or_else(|| doc.bad(&format!("matchLabels.{k}"), "not a string"))?;
            parts.push(format!("{k}={v}"));
        }
    }
    if let Some(exprs) = selector.get("matchExpressions").and_then(Value::as_array) {
        for (i, e) in exprs.iter().enumerate() {
            let ed = doc.at(&format!("matchExpressions[{i}]."));
            let key = ed.str(e, "key")?;
            let values = || -> Result<String, ClientError> {
                let vs = ed.array(e, "values")?;
                let vs: Vec<&str> = vs.iter().filter_map(Value::as_str).collect();
                Ok(vs.join(","))
            };
            parts.push(match ed.str(e, "operator")? {
                "In" => format!("{key} in ({})", values()?),
                "NotIn" => format!("{key} notin ({})", values()?),
                "Exists" => key.to_string(),
                "DoesNotExist" => format!("!{key}"),
                other => return Err(ed.bad("operator", &format!("unknown operator {other:?}"))),
            });
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join(",")))
}

impl Cluster for Kubernetes {
    fn nodes(&self) -> ClientFuture<'_, Vec<ClusterNode>> {
        Box::pin(self.nodes_list())
    }

    fn pods<'a>(
        &'a self,
        namespace: &'a str,
        selector: Option<&'a str>,
    ) -> ClientFuture<'a, Vec<ClusterPod>> {
        Box::pin(self.pods_list(namespace, selector))
    }

    fn deployment<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
    ) -> ClientFuture<'a, ClusterDeployment> {
        Box::pin(self.deployment_of(namespace, name))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const KUBECONFIG: &str = "apiVersion: v1
kind: Config
clusters:
- name: k3s
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
contexts:
- name: default
  context:
    cluster: k3s
    user: monitor
    namespace: apps
current-context: default
users:
- name: monitor
  user:
    token: abc.def
";

    #[test]
    fn kubeconfig_gives_server_ca_token() {
        let k = parse_kubeconfig(KUBECONFIG).unwrap();
        assert_eq!(k.server, "https://127.0.0.1:6443");
        assert_eq!(k.token.as_deref(), Some("abc.def"));
        assert_eq!(k.ca_pem.as_deref(), Some("-----BEGIN CERTIFICATE-----\n"));
        assert_eq!(k.namespace.as_deref(), Some("apps"));
    }

    #[test]
    fn kubeconfig_refusals_name_the_field() {
        let insecure = KUBECONFIG.replace(
            "    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==",
            "    insecure-skip-tls-verify: true",
        );
        let e = parse_kubeconfig(&insecure).unwrap_err().to_string();
        assert!(
            e.starts_with("config.kubeconfig.clusters[name=k3s].cluster.insecure-skip-tls-verify"),
            "{e}"
        );
        let exec = KUBECONFIG.replace("    token: abc.def", "    exec: {command: aws}");
        let e = parse_kubeconfig(&exec).unwrap_err().to_string();
        assert!(e.contains("users[name=monitor].user.exec"), "{e}");
        let missing = KUBECONFIG.replace("current-context: default", "current-context: other");
        let e = parse_kubeconfig(&missing).unwrap_err().to_string();
        assert!(e.contains("no entry named \"other\""), "{e}");
    }

    #[test]
    fn selectors_render_like_kubectl() {
        let sel = serde_json::json!({
            "matchLabels": {"tier": "web", "app": "api"},
            "matchExpressions": [
                {"key": "env", "operator": "In", "values": ["prod", "edge"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        });
        assert_eq!(
            selector_of(&Doc::new("u"), Some(&sel)).unwrap().as_deref(),
            Some("app=api,tier=web,env in (prod,edge),!canary")
        );
    }
}
