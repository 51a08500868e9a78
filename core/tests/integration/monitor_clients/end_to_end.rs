//! The kinds wired to the real clients: one monitor of each client-backed kind, put through the
//! engine, run once against loopback APIs answering the fixtures, read back as monitor states
//! whose readings carry what the clients saw — and whose breaches opened alerts of source
//! `monitor`.

use super::{fx, json, path_only, query_param};
use crate::common::Harness;
use crate::http::{Recorded, Reply, TestServer};
use base64::Engine as _;
use serde_json::json as j;
use signalcraft_core::{GroupQuery, Source};

fn gitea(r: &Recorded) -> Reply {
    match path_only(&r.path) {
        "/api/v1/repos/acme/api" => json(200, "gitea/repo.json"),
        "/api/v1/repos/acme/api/commits" => json(200, "gitea/commits.json"),
        "/api/v1/repos/acme/api/actions/runs" => json(200, "gitea/actions_runs.json"),
        _ => json(404, "gitea/error_404.json"),
    }
}

fn registry(r: &Recorded) -> Reply {
    let digest = "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
    match path_only(&r.path) {
        "/v2/acme/api/tags/list" => json(200, "registry/tags_page1.json"),
        p if p.starts_with("/v2/acme/api/manifests/") => json(200, "registry/manifest_oci.json")
            .with_header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
            .with_header("Docker-Content-Digest", digest),
        p if p.starts_with("/v2/acme/api/blobs/") => json(200, "registry/config_oci.json"),
        _ => json(404, "registry/error_manifest_unknown.json"),
    }
}

fn kubernetes(r: &Recorded) -> Reply {
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

fn hetzner(r: &Recorded) -> Reply {
    match (path_only(&r.path), query_param(&r.path, "page").as_deref()) {
        ("/v1/pricing", _) => json(200, "hetzner/pricing.json"),
        ("/v1/servers", Some("2")) => json(200, "hetzner/servers_page2.json"),
        ("/v1/servers", _) => json(200, "hetzner/servers_page1.json"),
        _ => json(404, "hetzner/error_unauthorized.json"),
    }
}

#[test]
fn each_client_backed_kind_reads_its_api_and_breaches_open_alerts() {
    let h = Harness::on_disk();
    let (g, reg, k, hz, or) = (
        TestServer::start(|r, _| gitea(r)),
        TestServer::start(|r, _| registry(r)),
        TestServer::start(|r, _| kubernetes(r)),
        TestServer::start(|r, _| hetzner(r)),
        TestServer::start(|r, _| match path_only(&r.path) {
            "/api/v1/key" => json(200, "openrouter/key_monthly.json"),
            _ => json(401, "openrouter/error_401.json"),
        }),
    );
    let ca = base64::engine::general_purpose::STANDARD.encode(fx("kubernetes/ca.pem"));
    let kubeconfig = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: k3s\n  cluster:\n    server: {}\n    certificate-authority-data: {ca}\ncontexts:\n- name: k3s\n  context: {{cluster: k3s, user: sa}}\ncurrent-context: k3s\nusers:\n- name: sa\n  user: {{token: sa-token-7f3a}}\n",
        k.url("")
    );
    let base = |id: &str, kind: &str, config: serde_json::Value| {
        j!({"id": id, "app": "api", "kind": kind, "interval_secs": 300, "config": config,
            "breach_after": 1, "recover_after": 1, "severity": "warning", "environment": "production"})
    };
    h.engine
        .put_monitors(
            h.ws(),
            &j!([
                base("api-ci", "git_ci", j!({"forge": "gitea", "base_url": g.url(""), "owner": "acme", "repo": "api", "token": "gitea-token-1"})),
                base("api-image", "registry_freshness", j!({"registry_url": reg.url(""), "repository": "acme/api", "tags_limit": 2})),
                base("api-workload", "k8s_workloads", j!({"kubeconfig": kubeconfig, "namespace": "apps", "deployment": "api"})),
                base("fleet-cost", "cloud_cost", j!({"provider": "hetzner", "base_url": hz.url("/v1"), "token": "hcloud-token-9", "budget": 10.0})),
                base("api-llm", "usage_quota", j!({"provider": "openrouter", "base_url": or.url("/api"), "api_key": "sk-or-v1-abc"})),
            ]),
        )
        .unwrap();
    let states = h.engine.run_monitors(h.ws(), true).unwrap();
    let by = |id: &str| {
        states
            .iter()
            .find(|s| s.id == id)
            .unwrap_or_else(|| panic!("no state for {id}: {states:?}"))
    };
    let details = |id: &str| {
        let s = by(id);
        let r = s
            .reading
            .as_ref()
            .unwrap_or_else(|| panic!("{id}: no reading"));
        assert!(r.error.is_none(), "{id}: {:?}", r.error);
        r.details.clone()
    };

    // The default branch's latest run failed.
    let ci = details("api-ci");
    assert_eq!(ci["branch"], "main");
    assert_eq!(
        ci["commit"]["sha"],
        "5f1e0c8a9d2b4c7e8f0a1b2c3d4e5f60718293a4"
    );
    assert_eq!(ci["ci"]["conclusion"], "failure");
    assert_eq!(by("api-ci").state, "breach");

    // The newest image is years old.
    let img = details("api-image");
    assert_eq!(img["tags"][0]["size_bytes"], 129_510);
    assert_eq!(by("api-image").state, "breach");

    // 2 of 3 replicas, one node not ready.
    let w = details("api-workload");
    assert_eq!(
        (w["ready"].as_u64(), w["desired"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(w["nodes"], j!({"ready": 2, "total": 3}));
    assert_eq!(by("api-workload").state, "breach");

    // 8.092 + 4.5101 + 4.5101 EUR a month against a budget of 10.
    let cost = details("fleet-cost");
    assert!(
        (cost["monthly_cost"].as_f64().unwrap() - 17.1122).abs() < 0.01,
        "{cost}"
    );
    assert_eq!(by("fleet-cost").state, "breach");

    // 25.5 of the key's 100 USD.
    let u = details("api-llm");
    assert_eq!(
        (u["used"].as_f64(), u["limit"].as_f64()),
        (Some(25.5), Some(100.0))
    );
    assert_eq!(by("api-llm").state, "ok");

    let groups = h
        .engine
        .groups(h.ws(), &GroupQuery::default())
        .unwrap()
        .groups;
    let monitor_groups = groups
        .iter()
        .filter(|g| g.source == Source::Monitor)
        .count();
    assert_eq!(monitor_groups, 4, "one alert per breaching monitor");
    assert!(
        g.requests()
            .iter()
            .all(|r| r.header("authorization") == Some("token gitea-token-1"))
    );
}
