//! Kubernetes from a kubeconfig against a loopback API server: nodes' readiness, pods over two
//! pages (`metadata.continue`) with restarts, a deployment's replicas and selector, `Status`
//! errors, refused kubeconfigs.

use super::{TIMEOUT, connector, fx, json, path_only, query_param};
use crate::http::{Reply, TestServer};
use base64::Engine as _;
use signalcraft_core::monitors::{ClientError, Cluster, ClusterTarget, Connector};
use std::sync::Arc;

fn kubeconfig(server: &TestServer) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(fx("kubernetes/ca.pem"));
    format!(
        "apiVersion: v1
kind: Config
preferences: {{}}
clusters:
- cluster:
    certificate-authority-data: {ca}
    server: {}
  name: k3s-prod
contexts:
- context:
    cluster: k3s-prod
    namespace: apps
    user: signalcraft
  name: k3s-prod
current-context: k3s-prod
users:
- name: signalcraft
  user:
    token: sa-token-7f3a
",
        server.url("")
    )
}

fn cluster(server: &TestServer) -> Arc<dyn Cluster> {
    connector()
        .cluster(
            &ClusterTarget {
                kubeconfig: Some(kubeconfig(server)),
                server: None,
                token: None,
                ca_pem: None,
            },
            TIMEOUT,
        )
        .unwrap()
}

fn api(r: &crate::http::Recorded) -> Reply {
    match path_only(&r.path) {
        "/api/v1/nodes" => json(200, "kubernetes/nodes.json"),
        "/api/v1/namespaces/apps/pods" => match query_param(&r.path, "continue") {
            None => json(200, "kubernetes/pods_page1.json"),
            Some(_) => json(200, "kubernetes/pods_page2.json"),
        },
        "/apis/apps/v1/namespaces/apps/deployments/api" => json(200, "kubernetes/deployment.json"),
        _ => json(404, "kubernetes/status_not_found.json"),
    }
}

#[tokio::test]
async fn nodes_pods_and_deployment() {
    let server = TestServer::start(|r, _| api(r));
    let k = cluster(&server);

    let nodes = k.nodes().await.unwrap();
    let ready: Vec<_> = nodes.iter().map(|n| (n.name.as_str(), n.ready)).collect();
    assert_eq!(
        ready,
        [
            ("k3s-node-1", true),
            ("k3s-node-2", true),
            ("k3s-node-3", false)
        ]
    );

    let d = k.deployment("apps", "api").await.unwrap();
    assert_eq!((d.desired, d.ready, d.available, d.updated), (3, 2, 2, 3));
    assert_eq!(d.selector.as_deref(), Some("app=api"));

    let pods = k.pods("apps", d.selector.as_deref()).await.unwrap();
    assert_eq!(pods.len(), 3);
    let bad = &pods[1];
    assert_eq!(bad.name, "api-7c9f8d6b5-xkp9q");
    assert!(!bad.ready);
    assert_eq!(bad.restarts, 5);
    assert_eq!(
        bad.last_restart_at.unwrap().to_rfc3339(),
        "2026-03-01T11:55:41+00:00"
    );
    assert!(pods[0].ready && pods[2].ready);
    assert_eq!(pods[2].restarts, 1);

    let reqs = server.requests();
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some("Bearer sa-token-7f3a"))
    );
    let pod_reqs: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/namespaces/apps/pods"))
        .collect();
    assert_eq!(pod_reqs.len(), 2);
    assert_eq!(
        query_param(&pod_reqs[0].path, "labelSelector").as_deref(),
        Some("app=api")
    );
    assert_eq!(
        query_param(&pod_reqs[0].path, "limit").as_deref(),
        Some("100")
    );
    assert_eq!(
        query_param(&pod_reqs[1].path, "continue").as_deref(),
        Some(
            "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NTEyNDAsInN0YXJ0IjoiYXBpLTdjOWY4ZDZiNS14a3A5cVx1MDAwMCJ9"
        )
    );
}

#[tokio::test]
async fn status_errors_and_rate_limits_are_typed() {
    let server = TestServer::start(|r, _| match path_only(&r.path) {
        "/api/v1/nodes" => json(403, "kubernetes/status_forbidden.json"),
        "/api/v1/namespaces/busy/pods" => Reply::status(429).with_header("Retry-After", "3"),
        _ => api(r),
    });
    let k = cluster(&server);
    match k.nodes().await.unwrap_err() {
        ClientError::Http {
            status: 403, body, ..
        } => assert!(body.contains("Forbidden"), "{body}"),
        other => panic!("{other:?}"),
    }
    match k.deployment("apps", "nope").await.unwrap_err() {
        ClientError::Http {
            status: 404, body, ..
        } => assert!(body.contains("NotFound"), "{body}"),
        other => panic!("{other:?}"),
    }
    match k.pods("busy", None).await.unwrap_err() {
        ClientError::RateLimited {
            retry_after_secs, ..
        } => assert_eq!(retry_after_secs, Some(3)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn kubeconfigs_that_would_weaken_tls_or_read_files_are_refused() {
    let server = TestServer::start(|r, _| api(r));
    let good = kubeconfig(&server);
    let target = |text: String| ClusterTarget {
        kubeconfig: Some(text),
        server: None,
        token: None,
        ca_pem: None,
    };
    let insecure = good.replace(
        "    certificate-authority-data:",
        "    insecure-skip-tls-verify: true\n    x:",
    );
    let e = connector()
        .cluster(&target(insecure), TIMEOUT)
        .err()
        .unwrap();
    assert_eq!(e.kind(), "config");
    assert!(e.to_string().contains("insecure-skip-tls-verify"), "{e}");

    let file_ca = good.replace(
        "certificate-authority-data:",
        "certificate-authority: /etc/ca.crt\n    y:",
    );
    let e = connector()
        .cluster(&target(file_ca), TIMEOUT)
        .err()
        .unwrap();
    assert!(
        e.to_string()
            .contains("clusters[name=k3s-prod].cluster.certificate-authority"),
        "{e}"
    );

    let e = connector()
        .cluster(&target("{not: [yaml".into()), TIMEOUT)
        .err()
        .unwrap();
    assert!(e.to_string().starts_with("config.kubeconfig"), "{e}");

    // A bad CA is a config error, not a silent fallback to no CA.
    let bad_ca = ClusterTarget {
        kubeconfig: None,
        server: Some(server.url("")),
        token: Some("t".into()),
        ca_pem: Some("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n".into()),
    };
    assert_eq!(
        connector().cluster(&bad_ca, TIMEOUT).err().unwrap().kind(),
        "config"
    );
}
