//! The real monitor clients against loopback servers that answer the APIs' documented shapes
//! (`tests/fixtures/monitors/`, sources in its README): one module per API, each with its
//! pagination, an error answer and a rate-limit answer. `real_registry` runs against a real
//! `docker-registry` started by `core/tests/registry/run`.

mod end_to_end;
mod gitea;
mod hetzner;
mod kubernetes;
mod real_registry;
mod registry;
mod usage;

use crate::common::fixture;
use crate::http::Reply;
use signalcraft_core::monitors::clients::RealConnector;
use signalcraft_core::net::PrivateTargets;
use std::sync::Arc;
use std::time::Duration;

/// The bound every client gets in these tests.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The real connector, allowed to reach 127.0.0.1 (and only it) for these loopback servers.
pub fn connector() -> RealConnector {
    RealConnector::new(Arc::new(
        PrivateTargets::from_env_value("127.0.0.1/32").unwrap(),
    ))
}

/// A fixture of `tests/fixtures/monitors/` as text.
pub fn fx(rel: &str) -> String {
    String::from_utf8(fixture(&format!("monitors/{rel}"))).unwrap()
}

/// A JSON answer with a fixture as its body.
pub fn json(status: u16, rel: &str) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: fx(rel),
        delay: Duration::ZERO,
    }
}

/// The query parameter `name` of a recorded path (decoded).
pub fn query_param(path: &str, name: &str) -> Option<String> {
    let url = reqwest::Url::parse(&format!("http://x{path}")).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The path of a recorded request without its query.
pub fn path_only(path: &str) -> &str {
    path.split('?').next().unwrap()
}
