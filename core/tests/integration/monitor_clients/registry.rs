//! Docker Registry v2 against a loopback registry: catalog and tags over two pages (relative
//! `Link`), an OCI manifest, an OCI index resolved to linux/amd64, the image config's
//! `created`, `Last-Modified` when a registry sets it, Harbor's bearer-token challenge, errors.

use super::{TIMEOUT, connector, fx, json, path_only, query_param};
use crate::http::{Reply, TestServer};
use base64::Engine as _;
use signalcraft_core::monitors::{ClientError, Connector, ContainerRegistry, RegistryTarget};
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};

const MANIFEST_DIGEST: &str =
    "sha256:5b0bcabd1ed22e9fb1310cf6c2dec7cdef19f0ad69efa1f392e94a4333501270";
const INDEX_DIGEST: &str =
    "sha256:0d2f5e6b1c3a49587f60e1d2c3b4a5968778695a4b3c2d1e0f9e8d7c6b5a4938";
const CONFIG_DIGEST: &str =
    "sha256:b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7";

fn registry(
    server: &TestServer,
    user: Option<&str>,
    password: Option<&str>,
) -> Arc<dyn ContainerRegistry> {
    connector()
        .registry(
            &RegistryTarget {
                registry_url: server.url(""),
                username: user.map(str::to_string),
                password: password.map(str::to_string),
            },
            TIMEOUT,
        )
        .unwrap()
}

fn manifest(rel: &str, media: &str, digest: &str) -> Reply {
    Reply {
        status: 200,
        headers: vec![
            ("Content-Type".into(), media.into()),
            ("Docker-Content-Digest".into(), digest.into()),
            (
                "Docker-Distribution-Api-Version".into(),
                "registry/2.0".into(),
            ),
        ],
        body: fx(rel),
        delay: std::time::Duration::ZERO,
    }
}

/// An open registry like distribution's defaults.
fn open_registry(r: &crate::http::Recorded) -> Reply {
    let last = query_param(&r.path, "last");
    match (path_only(&r.path), last.as_deref()) {
        ("/v2/_catalog", None) => json(200, "registry/catalog_page1.json")
            .with_header("Link", "</v2/_catalog?last=acme%2Fweb&n=2>; rel=\"next\""),
        ("/v2/_catalog", Some("acme/web")) => json(200, "registry/catalog_page2.json"),
        ("/v2/acme/api/tags/list", None) => json(200, "registry/tags_page1.json").with_header(
            "Link",
            "</v2/acme/api/tags/list?last=1.4.2&n=2>; rel=\"next\"",
        ),
        ("/v2/acme/api/tags/list", Some("1.4.2")) => json(200, "registry/tags_page2.json"),
        ("/v2/acme/api/manifests/1.4.2", _) => manifest(
            "registry/manifest_oci.json",
            "application/vnd.oci.image.manifest.v1+json",
            MANIFEST_DIGEST,
        ),
        ("/v2/acme/api/manifests/multi", _) => manifest(
            "registry/index_oci.json",
            "application/vnd.oci.image.index.v1+json",
            INDEX_DIGEST,
        ),
        (p, _) if p == format!("/v2/acme/api/manifests/{MANIFEST_DIGEST}") => manifest(
            "registry/manifest_oci.json",
            "application/vnd.oci.image.manifest.v1+json",
            MANIFEST_DIGEST,
        ),
        ("/v2/acme/api/manifests/dated", _) => manifest(
            "registry/manifest_oci.json",
            "application/vnd.oci.image.manifest.v1+json",
            MANIFEST_DIGEST,
        )
        .with_header("Last-Modified", "Sun, 01 Mar 2026 11:30:00 GMT"),
        (p, _) if p == format!("/v2/acme/api/blobs/{CONFIG_DIGEST}") => {
            json(200, "registry/config_oci.json")
        }
        _ => json(404, "registry/error_manifest_unknown.json"),
    }
}

#[tokio::test]
async fn catalog_and_tags_follow_relative_links() {
    let server = TestServer::start(|r, _| open_registry(r));
    let reg = registry(&server, None, None);
    assert_eq!(
        reg.repositories().await.unwrap(),
        ["acme/api", "acme/web", "acme/worker"]
    );
    assert_eq!(
        reg.tags("acme/api").await.unwrap(),
        ["1.4.1", "1.4.2", "latest"]
    );
    let paths: Vec<_> = server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(
        paths,
        [
            "/v2/_catalog?n=100",
            "/v2/_catalog?last=acme%2Fweb&n=2",
            "/v2/acme/api/tags/list?n=100",
            "/v2/acme/api/tags/list?last=1.4.2&n=2"
        ]
    );
}

#[tokio::test]
async fn a_tag_has_digest_size_and_push_time() {
    let server = TestServer::start(|r, _| open_registry(r));
    let reg = registry(&server, None, None);
    let tag = reg.tag("acme/api", "1.4.2").await.unwrap();
    assert_eq!(tag.tag, "1.4.2");
    assert_eq!(tag.digest.as_deref(), Some(MANIFEST_DIGEST));
    // config 7023 + layers 32654 + 16724 + 73109.
    assert_eq!(tag.size_bytes, Some(129_510));
    assert_eq!(
        tag.pushed_at.unwrap().to_rfc3339(),
        "2015-10-31T22:22:56.015925234+00:00"
    );
    let reqs = server.requests();
    assert!(
        reqs[0]
            .header("accept")
            .unwrap()
            .contains("application/vnd.oci.image.index.v1+json")
    );
    assert!(
        reqs[0]
            .header("accept")
            .unwrap()
            .contains("application/vnd.docker.distribution.manifest.v2+json")
    );
    assert_eq!(reqs[1].path, format!("/v2/acme/api/blobs/{CONFIG_DIGEST}"));

    // An index: the tag's digest is the index's, the size the linux/amd64 image's.
    let tag = reg.tag("acme/api", "multi").await.unwrap();
    assert_eq!(tag.digest.as_deref(), Some(INDEX_DIGEST));
    assert_eq!(tag.size_bytes, Some(129_510));
    let paths: Vec<_> = server.requests()[2..]
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        paths,
        [
            "/v2/acme/api/manifests/multi".to_string(),
            format!("/v2/acme/api/manifests/{MANIFEST_DIGEST}"),
            format!("/v2/acme/api/blobs/{CONFIG_DIGEST}"),
        ]
    );

    // A registry that dates its manifests: that date, and no config fetch.
    let before = server.requests().len();
    let tag = reg.tag("acme/api", "dated").await.unwrap();
    assert_eq!(
        tag.pushed_at.unwrap().to_rfc3339(),
        "2026-03-01T11:30:00+00:00"
    );
    assert_eq!(server.requests().len(), before + 1);
}

#[tokio::test]
async fn harbor_bearer_challenge_gets_a_token_once_per_scope() {
    let port = Arc::new(AtomicU16::new(0));
    let p = port.clone();
    let token = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.harbor-test-token";
    let server = TestServer::start(move |r, _| {
        let realm = format!(
            "http://127.0.0.1:{}/service/token",
            p.load(Ordering::SeqCst)
        );
        if path_only(&r.path) == "/service/token" {
            let basic = base64::engine::general_purpose::STANDARD.encode("robot$ci:robot-secret");
            return if r.header("authorization") == Some(&format!("Basic {basic}")) {
                json(200, "registry/harbor_token.json")
            } else {
                json(401, "registry/error_unauthorized.json")
            };
        }
        if r.header("authorization") != Some(&format!("Bearer {token}")) {
            let scope = if r.path.starts_with("/v2/_catalog") {
                "registry:catalog:*".to_string()
            } else {
                "repository:acme/api:pull".to_string()
            };
            return json(401, "registry/error_unauthorized.json").with_header(
                "WWW-Authenticate",
                &format!("Bearer realm=\"{realm}\",service=\"harbor-registry\",scope=\"{scope}\""),
            );
        }
        open_registry(r)
    });
    port.store(server.port, Ordering::SeqCst);
    let reg = registry(&server, Some("robot$ci"), Some("robot-secret"));
    assert_eq!(reg.tags("acme/api").await.unwrap().len(), 3);
    let tag = reg.tag("acme/api", "1.4.2").await.unwrap();
    assert_eq!(tag.size_bytes, Some(129_510));

    let reqs = server.requests();
    let token_calls: Vec<_> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/service/token"))
        .collect();
    assert_eq!(token_calls.len(), 1, "one token for the repository scope");
    assert_eq!(
        query_param(&token_calls[0].path, "service").as_deref(),
        Some("harbor-registry")
    );
    assert_eq!(
        query_param(&token_calls[0].path, "scope").as_deref(),
        Some("repository:acme/api:pull")
    );
    // Challenged once, then every request carries the token.
    assert_eq!(
        reqs.iter()
            .filter(|r| r.header("authorization").is_none())
            .count(),
        1
    );

    // Wrong robot secret: the token endpoint's 401 comes back typed.
    let bad = registry(&server, Some("robot$ci"), Some("wrong"));
    match bad.repositories().await.unwrap_err() {
        ClientError::Http {
            status: 401, url, ..
        } => assert!(url.contains("/service/token"), "{url}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn errors_are_typed() {
    let server = TestServer::start(|r, _| match path_only(&r.path) {
        "/v2/private/app/tags/list" => json(401, "registry/error_unauthorized.json")
            .with_header("WWW-Authenticate", "Basic realm=\"basic-realm\""),
        "/v2/busy/app/tags/list" => Reply::status(429).with_header("Retry-After", "12"),
        "/v2/acme/api/manifests/1.4.2" => Reply::json(
            200,
            serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": {"size": 10}}),
        ),
        _ => open_registry(r),
    });
    let reg = registry(&server, None, None);
    match reg.tag("acme/api", "9.9.9").await.unwrap_err() {
        ClientError::Http {
            status: 404, body, ..
        } => assert!(body.contains("MANIFEST_UNKNOWN"), "{body}"),
        other => panic!("{other:?}"),
    }
    match reg.tags("private/app").await.unwrap_err() {
        ClientError::Http { status: 401, .. } => {}
        other => panic!("{other:?}"),
    }
    match reg.tags("busy/app").await.unwrap_err() {
        ClientError::RateLimited {
            retry_after_secs, ..
        } => assert_eq!(retry_after_secs, Some(12)),
        other => panic!("{other:?}"),
    }
    match reg.tag("acme/api", "1.4.2").await.unwrap_err() {
        ClientError::BadResponse { path, .. } => assert_eq!(path, "layers"),
        other => panic!("{other:?}"),
    }
    assert_eq!(reg.tags("../etc").await.unwrap_err().kind(), "config");
}

#[tokio::test]
async fn a_registry_that_always_says_next_is_read_for_at_most_max_pages() {
    let server = TestServer::start(|_, i| {
        json(200, "registry/catalog_page1.json").with_header(
            "Link",
            &format!("</v2/_catalog?last=r{i}&n=2>; rel=\"next\""),
        )
    });
    let repos = registry(&server, None, None).repositories().await.unwrap();
    let pages = signalcraft_core::monitors::clients::MAX_PAGES;
    assert_eq!(server.requests().len(), pages);
    assert_eq!(repos.len(), 2 * pages);
}

#[tokio::test]
async fn a_token_realm_outside_the_allowed_targets_is_refused() {
    // The registry is allowed (127.0.0.1/32); the realm it names (127.0.0.2) is not.
    let server = TestServer::start(|r, _| {
        if r.header("authorization").is_some() {
            return open_registry(r);
        }
        json(401, "registry/error_unauthorized.json").with_header(
            "WWW-Authenticate",
            "Bearer realm=\"http://127.0.0.2:9/service/token\",service=\"harbor-registry\",scope=\"repository:acme/api:pull\"",
        )
    });
    let reg = registry(&server, Some("robot$ci"), Some("robot-secret"));
    match reg.tags("acme/api").await.unwrap_err() {
        ClientError::Transport { message, .. } => assert!(message.contains("refused"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.requests().len(),
        1,
        "only the challenged request reached the registry"
    );
}

#[tokio::test]
async fn a_basic_challenge_is_answered_with_the_configured_credentials() {
    // distribution's htpasswd auth: `WWW-Authenticate: Basic realm="basic-realm"`.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ci:htpasswd-secret")
    );
    let server = TestServer::start(move |r, _| {
        if r.header("authorization") == Some(basic.as_str()) {
            open_registry(r)
        } else {
            json(401, "registry/error_unauthorized.json")
                .with_header("WWW-Authenticate", "Basic realm=\"basic-realm\"")
        }
    });
    let reg = registry(&server, Some("ci"), Some("htpasswd-secret"));
    assert_eq!(reg.tags("acme/api").await.unwrap().len(), 3);
    let reqs = server.requests();
    // Challenged once; page 2 carries the credentials up front.
    assert_eq!(reqs.len(), 3);
    assert!(reqs[0].header("authorization").is_none());
    assert!(
        reqs[1..]
            .iter()
            .all(|r| r.header("authorization").is_some())
    );

    // Wrong credentials: one challenge, one refusal, typed.
    let bad = registry(&server, Some("ci"), Some("wrong"));
    match bad.tags("acme/api").await.unwrap_err() {
        ClientError::Http { status: 401, .. } => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests().len(), 5);
}
