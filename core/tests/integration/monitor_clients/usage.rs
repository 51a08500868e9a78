//! Usage sources against loopback APIs: Stripe charges over two pages (`has_more` +
//! `starting_after`) and its balance, OpenAI organization costs over two pages (`next_page`),
//! OpenRouter's key usage and limit; errors and rate limits of each.

use super::{TIMEOUT, connector, json, path_only, query_param};
use crate::http::{Reply, TestServer};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use signalcraft_core::monitors::{ClientError, Connector, UsageSource, UsageTarget};
use std::sync::Arc;

fn usage(server: &TestServer, provider: &str, key: &str) -> Arc<dyn UsageSource> {
    connector()
        .usage(
            &UsageTarget {
                provider: provider.into(),
                base_url: server.url(if provider == "openrouter" { "/api" } else { "" }),
                api_key: Some(key.into()),
            },
            TIMEOUT,
        )
        .unwrap()
}

fn month() -> (DateTime<Utc>, DateTime<Utc>) {
    (
        "2026-03-01T00:00:00Z".parse().unwrap(),
        "2026-03-31T00:00:00Z".parse().unwrap(),
    )
}

#[tokio::test]
async fn stripe_charges_over_two_pages() {
    let server = TestServer::start(|r, _| {
        match (path_only(&r.path), query_param(&r.path, "starting_after")) {
            ("/v1/charges", None) => json(200, "stripe/charges_page1.json"),
            ("/v1/charges", Some(_)) => json(200, "stripe/charges_page2.json"),
            ("/v1/balance", _) => json(200, "stripe/balance.json"),
            _ => json(404, "stripe/error_invalid_key.json"),
        }
    });
    let (since, until) = month();
    let u = usage(&server, "stripe", "sk_test_4eC39HqLyjWDarjtT1zdp7dc")
        .usage(since, until)
        .await
        .unwrap();
    assert_eq!(u.provider, "stripe");
    assert_eq!(u.requests, Some(3));
    // 20.00 + (15.00 - 5.00 refunded); the failed charge takes nothing.
    assert_eq!(u.cost, Some(30.0));
    assert_eq!(u.currency.as_deref(), Some("USD"));
    assert_eq!(u.balance, Some(0.0));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    assert_eq!(path_only(&reqs[2].path), "/v1/balance");
    let basic =
        base64::engine::general_purpose::STANDARD.encode("sk_test_4eC39HqLyjWDarjtT1zdp7dc:");
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some(&format!("Basic {basic}")))
    );
    assert_eq!(
        query_param(&reqs[0].path, "created[gte]").as_deref(),
        Some("1772323200")
    );
    assert_eq!(
        query_param(&reqs[0].path, "created[lt]").as_deref(),
        Some("1774915200")
    );
    assert_eq!(
        query_param(&reqs[1].path, "starting_after").as_deref(),
        Some("ch_3MmlLrLkdIwHu7ix1xRzX8kK")
    );
}

#[tokio::test]
async fn stripe_without_charges_reads_the_balance_currency_and_errors_are_typed() {
    let server = TestServer::start(|r, _| match path_only(&r.path) {
        "/v1/charges" => json(200, "stripe/charges_empty.json"),
        "/v1/balance" => json(200, "stripe/balance.json"),
        _ => json(404, "stripe/error_invalid_key.json"),
    });
    let (since, until) = month();
    let u = usage(&server, "stripe", "sk_test_x")
        .usage(since, until)
        .await
        .unwrap();
    assert_eq!(
        (u.requests, u.cost, u.currency.as_deref()),
        (Some(0), Some(0.0), Some("USD"))
    );

    let server = TestServer::start(|_, i| {
        if i == 0 {
            json(401, "stripe/error_invalid_key.json")
        } else {
            json(429, "stripe/error_rate_limit.json")
        }
    });
    let s = usage(&server, "stripe", "sk_test_bad");
    match s.usage(since, until).await.unwrap_err() {
        ClientError::Http {
            status: 401, body, ..
        } => assert!(body.contains("Invalid API Key"), "{body}"),
        other => panic!("{other:?}"),
    }
    match s.usage(since, until).await.unwrap_err() {
        ClientError::RateLimited {
            retry_after_secs: None,
            ..
        } => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn openai_costs_over_two_pages() {
    let server =
        TestServer::start(
            |r, _| match (path_only(&r.path), query_param(&r.path, "page")) {
                ("/v1/organization/costs", None) => json(200, "openai/costs_page1.json"),
                ("/v1/organization/costs", Some(_)) => json(200, "openai/costs_page2.json"),
                _ => json(404, "openai/error_invalid_key.json"),
            },
        );
    let (since, until) = month();
    let u = usage(&server, "openai", "sk-admin-abc")
        .usage(since, until)
        .await
        .unwrap();
    assert_eq!(u.provider, "openai");
    assert_eq!(u.cost, Some(4.0));
    assert_eq!(u.currency.as_deref(), Some("USD"));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some("Bearer sk-admin-abc"))
    );
    assert_eq!(
        query_param(&reqs[0].path, "start_time").as_deref(),
        Some("1772323200")
    );
    assert_eq!(
        query_param(&reqs[0].path, "bucket_width").as_deref(),
        Some("1d")
    );
    assert_eq!(
        query_param(&reqs[1].path, "page").as_deref(),
        Some("page_AAAAAGdGxdEiJdKOAAAAAGcqsYA=")
    );
}

#[tokio::test]
async fn openai_errors_and_rate_limits_are_typed() {
    let server = TestServer::start(|_, i| {
        if i == 0 {
            json(401, "openai/error_invalid_key.json")
        } else {
            json(429, "openai/error_rate_limit.json")
                .with_header("x-ratelimit-limit-requests", "60")
                .with_header("x-ratelimit-remaining-requests", "0")
                .with_header("x-ratelimit-reset-requests", "20s")
        }
    });
    let (since, until) = month();
    let o = usage(&server, "openai", "sk-admin-bad");
    match o.usage(since, until).await.unwrap_err() {
        ClientError::Http {
            status: 401, body, ..
        } => assert!(body.contains("invalid_api_key"), "{body}"),
        other => panic!("{other:?}"),
    }
    match o.usage(since, until).await.unwrap_err() {
        ClientError::RateLimited {
            retry_after_secs, ..
        } => assert_eq!(retry_after_secs, Some(20)),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn openrouter_key_usage_against_its_limit() {
    let server = TestServer::start(|r, i| match (path_only(&r.path), i) {
        ("/api/v1/key", 0) => json(200, "openrouter/key_monthly.json"),
        ("/api/v1/key", 1) => json(200, "openrouter/key_lifetime.json"),
        ("/api/v1/key", _) => json(401, "openrouter/error_401.json"),
        _ => Reply::status(404),
    });
    let (since, until) = month();
    let o = usage(&server, "openrouter", "sk-or-v1-abc");
    let u = o.usage(since, until).await.unwrap();
    assert_eq!(
        (u.cost, u.limit, u.currency.as_deref()),
        (Some(25.5), Some(100.0), Some("USD"))
    );
    // A lifetime limit compares with the lifetime use.
    let u = o.usage(since, until).await.unwrap();
    assert_eq!((u.cost, u.limit), (Some(0.1015644762), Some(5.0)));
    match o.usage(since, until).await.unwrap_err() {
        ClientError::Http {
            status: 401, body, ..
        } => assert!(body.contains("No auth credentials"), "{body}"),
        other => panic!("{other:?}"),
    }
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.header("authorization") == Some("Bearer sk-or-v1-abc"))
    );
    let e = connector()
        .usage(
            &UsageTarget {
                provider: "elevenlabs".into(),
                base_url: String::new(),
                api_key: Some("k".into()),
            },
            TIMEOUT,
        )
        .err()
        .unwrap();
    assert_eq!(e.kind(), "config");
}
