//! The one place monitors build reqwest clients, and the helpers every client shares: bounded
//! timeouts, redirects only within the same host, bounded bodies, typed errors.
//!
//! Every client is guarded ([`crate::net`]): names resolve through the guard's resolver, and
//! [`fetch`] checks IP-literal URLs (and same-host redirects keep to the checked host), so a
//! monitor reaches a private or loopback address only when the engine allows it.

use super::ClientError;
use crate::net::PrivateTargets;
use reqwest::header::HeaderMap;
use std::sync::Arc;
use std::time::Duration;

/// The longest bound a monitor request may have.
pub const MAX_TIMEOUT: Duration = Duration::from_secs(60);
/// The connect bound (capped by the request bound).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Redirects followed (same host only).
pub const MAX_REDIRECTS: usize = 5;
/// The largest response body a monitor reads (larger ones are a [`ClientError::BadResponse`]).
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// How much of an error response's body is kept in [`ClientError::Http`].
pub const ERROR_BODY_BYTES: usize = 512;

/// How to build a monitor's HTTP client.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpOptions {
    /// The bound on each whole request (capped at [`MAX_TIMEOUT`]).
    pub timeout: Duration,
    /// An extra trusted root (a cluster CA), PEM.
    pub ca_pem: Option<String>,
    /// Which non-public addresses the client may reach (the engine's).
    pub policy: Arc<PrivateTargets>,
}

impl HttpOptions {
    /// Options with this request bound, no extra root, and `policy`.
    pub fn new(timeout: Duration, policy: Arc<PrivateTargets>) -> Self {
        HttpOptions {
            timeout,
            ca_pem: None,
            policy,
        }
    }
}

/// Builds a reqwest client for a monitor: guarded by `options.policy` (see [`crate::net`]), the
/// request bound, a connect bound, redirects followed only to the same scheme, host and port
/// (at most [`MAX_REDIRECTS`]), no proxy from the environment. Send through [`fetch`] (which
/// checks IP-literal URLs).
pub fn client(options: &HttpOptions) -> Result<reqwest::Client, ClientError> {
    let timeout = options
        .timeout
        .min(MAX_TIMEOUT)
        .max(Duration::from_millis(1));
    let redirect = reqwest::redirect::Policy::custom(|attempt| {
        let same = attempt.previous().first().is_some_and(|first| {
            let next = attempt.url();
            first.scheme() == next.scheme()
                && first.host_str() == next.host_str()
                && first.port_or_known_default() == next.port_or_known_default()
        });
        if attempt.previous().len() > MAX_REDIRECTS || !same {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let mut builder = crate::net::guarded_builder(&options.policy)
        .timeout(timeout)
        .connect_timeout(CONNECT_TIMEOUT.min(timeout))
        .redirect(redirect)
        .user_agent(concat!("signalcraft-monitor/", env!("CARGO_PKG_VERSION")));
    if let Some(pem) = &options.ca_pem {
        let cert = reqwest::Certificate::from_pem(pem.as_bytes()).map_err(|e| {
            ClientError::config("config.ca_pem", format!("bad CA certificate: {e}"))
        })?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build()
        .map_err(|e| ClientError::config("config", format!("cannot build an HTTP client: {e}")))
}

/// The URL without user info, query or fragment: what errors and readings may show.
pub fn display_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => url.chars().take(200).collect(),
    }
}

/// Maps a reqwest error to a [`ClientError`] (`timeout` is the bound that was set). The text
/// never holds the URL reqwest puts in its errors (a query may hold a token): the URL shown is
/// [`display_url`]'s.
pub fn transport_error(url: &str, timeout: Duration, e: reqwest::Error) -> ClientError {
    let url = display_url(url);
    if e.is_timeout() {
        return ClientError::Timeout {
            url,
            after_ms: u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX),
        };
    }
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message = format!("{message}: {s}");
        source = s.source();
    }
    ClientError::Transport { url, message }
}

/// Seconds in a `Retry-After` header (delta-seconds; an HTTP date counts as 60 s).
pub fn retry_after(headers: &HeaderMap) -> Option<u64> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?;
    Some(v.trim().parse::<u64>().unwrap_or(60))
}

/// A response read whole (bounded).
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

/// Sends `request` and reads the body (at most `max_bytes`); any status is returned. An
/// IP-literal URL the client's guard does not permit is refused before anything is sent
/// ([`ClientError::Transport`]).
pub async fn fetch(
    request: reqwest::RequestBuilder,
    policy: &PrivateTargets,
    url: &str,
    timeout: Duration,
    max_bytes: usize,
) -> Result<Fetched, ClientError> {
    let (client, request) = request.build_split();
    let request =
        request.map_err(|e| ClientError::config("config", format!("bad request: {e}")))?;
    if let Err(refused) = crate::net::check_url(policy, request.url()) {
        return Err(ClientError::Transport {
            url: display_url(url),
            message: refused.to_string(),
        });
    }
    let mut response = client
        .execute(request)
        .await
        .map_err(|e| transport_error(url, timeout, e))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| transport_error(url, timeout, e))?
    {
        if body.len() + chunk.len() > max_bytes {
            return Err(ClientError::bad_response(
                display_url(url),
                "body",
                format!("response body over {max_bytes} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched {
        status,
        headers,
        body,
    })
}

/// Sends `request`, and answers the body of a 2xx; 429 is [`ClientError::RateLimited`], other
/// statuses [`ClientError::Http`].
pub async fn fetch_ok(
    request: reqwest::RequestBuilder,
    policy: &PrivateTargets,
    url: &str,
    timeout: Duration,
) -> Result<Fetched, ClientError> {
    let f = fetch(request, policy, url, timeout, MAX_BODY_BYTES).await?;
    check_status(url, f)
}

/// Turns a non-2xx [`Fetched`] into its typed error.
pub fn check_status(url: &str, f: Fetched) -> Result<Fetched, ClientError> {
    if (200..300).contains(&f.status) {
        return Ok(f);
    }
    if f.status == 429 {
        return Err(ClientError::RateLimited {
            url: display_url(url),
            retry_after_secs: retry_after(&f.headers),
        });
    }
    let end = f.body.len().min(ERROR_BODY_BYTES);
    Err(ClientError::Http {
        status: f.status,
        url: display_url(url),
        body: String::from_utf8_lossy(&f.body[..end]).trim().to_string(),
    })
}

/// Parses a JSON body; a parse failure is a [`ClientError::BadResponse`] at `body`.
pub fn json_body(url: &str, f: &Fetched) -> Result<serde_json::Value, ClientError> {
    serde_json::from_slice(&f.body)
        .map_err(|e| ClientError::bad_response(display_url(url), "body", format!("not JSON: {e}")))
}
