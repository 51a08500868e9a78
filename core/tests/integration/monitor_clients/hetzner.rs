//! Hetzner Cloud against a loopback API: servers over two pages (`meta.pagination`), monthly
//! gross prices from `/pricing` (and the servers' embedded prices), errors, `RateLimit-Reset`.

use super::{TIMEOUT, connector, json, path_only, query_param};
use crate::http::TestServer;
use signalcraft_core::monitors::{ClientError, CloudProvider, CloudTarget, Connector};
use std::sync::Arc;

fn cloud(server: &TestServer) -> Arc<dyn CloudProvider> {
    connector()
        .cloud(
            &CloudTarget {
                provider: "hetzner".into(),
                base_url: server.url("/v1"),
                token: Some("hcloud-token-9".into()),
            },
            TIMEOUT,
        )
        .unwrap()
}

#[tokio::test]
async fn servers_with_monthly_cost_over_two_pages() {
    let server = TestServer::start(|r, _| {
        match (path_only(&r.path), query_param(&r.path, "page").as_deref()) {
            ("/v1/pricing", _) => json(200, "hetzner/pricing.json"),
            ("/v1/servers", Some("1")) => json(200, "hetzner/servers_page1.json"),
            ("/v1/servers", Some("2")) => json(200, "hetzner/servers_page2.json"),
            _ => json(404, "hetzner/error_unauthorized.json"),
        }
    });
    let servers = cloud(&server)
        .servers(Some("cluster=k3s-prod"))
        .await
        .unwrap();
    let got: Vec<_> = servers
        .iter()
        .map(|s| {
            (
                s.name.as_str(),
                s.status.as_str(),
                s.server_type.as_deref().unwrap(),
                s.location.as_deref().unwrap(),
                s.monthly_cost.unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("k3s-node-1", "running", "cx32", "fsn1", 8.092),
            ("k3s-node-2", "running", "cx22", "fsn1", 4.5101),
            ("k3s-node-3", "off", "cx22", "nbg1", 4.5101),
        ]
    );
    assert_eq!(servers[0].id, "101");
    assert!(servers.iter().all(|s| s.currency.as_deref() == Some("EUR")));
    let reqs = server.requests();
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some("Bearer hcloud-token-9"))
    );
    let pages: Vec<_> = reqs
        .iter()
        .filter(|r| path_only(&r.path) == "/v1/servers")
        .map(|r| {
            (
                query_param(&r.path, "page").unwrap(),
                query_param(&r.path, "label_selector").unwrap(),
            )
        })
        .collect();
    assert_eq!(
        pages,
        [
            ("1".to_string(), "cluster=k3s-prod".to_string()),
            ("2".to_string(), "cluster=k3s-prod".to_string())
        ]
    );
}

#[tokio::test]
async fn a_type_missing_from_the_price_list_uses_the_servers_own_prices() {
    let server = TestServer::start(|r, _| {
        match (path_only(&r.path), query_param(&r.path, "page").as_deref()) {
            ("/v1/pricing", _) => crate::http::Reply::json(
                200,
                serde_json::json!({"pricing": {"currency": "EUR", "vat_rate": "19.00", "server_types": []}}),
            ),
            ("/v1/servers", _) => json(200, "hetzner/servers_page2.json"),
            _ => json(404, "hetzner/error_unauthorized.json"),
        }
    });
    let servers = cloud(&server).servers(None).await.unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].monthly_cost, Some(4.5101));
    assert!(query_param(&server.requests()[1].path, "label_selector").is_none());
}

#[tokio::test]
async fn errors_and_rate_limits_are_typed() {
    let reset = (chrono::Utc::now().timestamp() + 42).to_string();
    let server = TestServer::start(move |r, i| match path_only(&r.path) {
        "/v1/pricing" if i == 0 => json(401, "hetzner/error_unauthorized.json"),
        _ => json(429, "hetzner/error_rate_limit.json")
            .with_header("RateLimit-Limit", "3600")
            .with_header("RateLimit-Remaining", "0")
            .with_header("RateLimit-Reset", &reset),
    });
    let c = cloud(&server);
    match c.servers(None).await.unwrap_err() {
        ClientError::Http {
            status: 401, body, ..
        } => assert!(body.contains("unauthorized"), "{body}"),
        other => panic!("{other:?}"),
    }
    match c.servers(None).await.unwrap_err() {
        ClientError::RateLimited {
            retry_after_secs: Some(s),
            ..
        } => assert!((40..=42).contains(&s), "{s}"),
        other => panic!("{other:?}"),
    }
}
