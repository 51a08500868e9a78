//! The HTTP probe ([`ServiceProbe`]): one request, its status, whether the body matched, and
//! the latency to the end of the body.

use super::http::{self, HttpOptions};
use super::{BodyMatch, ClientError, ClientFuture, ProbeRequest, ProbeResponse, ServiceProbe};
use crate::net::PrivateTargets;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The most of a body a probe reads to match it.
pub const MAX_PROBE_BODY_BYTES: usize = 1024 * 1024;

/// The HTTP probe over reqwest.
#[derive(Debug, Clone)]
pub struct HttpProbe {
    http: reqwest::Client,
    policy: Arc<PrivateTargets>,
}

impl HttpProbe {
    /// A probe whose client bounds every request by `timeout` (a request's own bound may be
    /// shorter) and reaches non-public addresses only as `policy` allows.
    pub fn new(timeout: Duration, policy: Arc<PrivateTargets>) -> Result<Self, ClientError> {
        Ok(HttpProbe {
            http: http::client(&HttpOptions::new(timeout, Arc::clone(&policy)))?,
            policy,
        })
    }

    async fn run(&self, r: &ProbeRequest) -> Result<ProbeResponse, ClientError> {
        let method = reqwest::Method::from_bytes(r.method.as_bytes())
            .map_err(|_| ClientError::config("config.method", "not an HTTP method"))?;
        let mut req = self.http.request(method, &r.url).timeout(r.timeout);
        for (k, v) in &r.headers {
            req = req.header(k, v);
        }
        let start = Instant::now();
        let f = http::fetch(req, &self.policy, &r.url, r.timeout, MAX_PROBE_BODY_BYTES).await?;
        let latency_ms = start.elapsed().as_secs_f64() * 1000.0;
        let body_matched = match &r.body_match {
            None => None,
            Some(m) => {
                let text = String::from_utf8_lossy(&f.body);
                Some(match m {
                    BodyMatch::Contains(s) => text.contains(s.as_str()),
                    BodyMatch::Regex(p) => regex::Regex::new(p)
                        .map_err(|e| ClientError::config("config.body_regex", e.to_string()))?
                        .is_match(&text),
                })
            }
        };
        Ok(ProbeResponse {
            status_code: f.status,
            latency_ms: (latency_ms * 10.0).round() / 10.0,
            body_matched,
        })
    }
}

impl ServiceProbe for HttpProbe {
    fn probe<'a>(&'a self, request: &'a ProbeRequest) -> ClientFuture<'a, ProbeResponse> {
        Box::pin(self.run(request))
    }
}
