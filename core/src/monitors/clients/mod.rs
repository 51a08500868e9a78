//! The real clients behind the monitor traits, one file per API, and the [`RealConnector`]
//! that makes them from targets.
//!
//! - [`gitea`]: Gitea's REST API (`/api/v1`), token auth — repositories, commits, Actions runs.
//! - [`registry`]: the Docker Registry HTTP API v2 (distribution, Harbor), with the bearer-token
//!   challenge flow — catalog, tags, manifests, image configs.
//! - [`kubernetes`]: the Kubernetes API, bearer token and CA from a kubeconfig — nodes, pods,
//!   deployments.
//! - [`hetzner`]: the Hetzner Cloud API — servers and their monthly price from `/pricing`.
//! - [`stripe`], [`openai`], [`openrouter`]: usage sources.
//!
//! Every client shares the rules of this module: reqwest clients come from
//! [`super::http::client`] (bounded timeouts), pagination stops after [`MAX_PAGES`] pages, and a
//! rate-limit answer becomes [`ClientError::RateLimited`] with the seconds the API asked for —
//! never a retry loop.

pub mod gitea;
pub mod hetzner;
pub mod kubernetes;
pub mod openai;
pub mod openrouter;
pub mod registry;
pub mod stripe;

use super::http::{self, Fetched, HttpOptions};
use super::{
    ClientError, CloudProvider, CloudTarget, Cluster, ClusterTarget, Connector, ContainerRegistry,
    ForgeTarget, GitForge, RegistryTarget, ServiceProbe, UsageSource, UsageTarget,
};
use crate::net::PrivateTargets;
use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The most pages any list call follows; a longer list is cut there (and the reading says so
/// through the count it reports, never by looping on).
pub const MAX_PAGES: usize = 20;

/// Makes the real clients (reqwest, through [`super::http::client`]), each guarded by the
/// engine's policy on private targets.
#[derive(Debug, Clone)]
pub struct RealConnector {
    policy: Arc<PrivateTargets>,
}

impl RealConnector {
    /// A connector whose clients may reach what `policy` permits (and public addresses).
    pub fn new(policy: Arc<PrivateTargets>) -> Self {
        RealConnector { policy }
    }

    fn options(&self, timeout: Duration) -> HttpOptions {
        HttpOptions::new(timeout, Arc::clone(&self.policy))
    }
}

impl Default for RealConnector {
    /// Public addresses only.
    fn default() -> Self {
        RealConnector::new(Arc::new(PrivateTargets::None))
    }
}

fn unsupported(path: &str, what: &str) -> ClientError {
    ClientError::config(path, format!("unsupported {what}"))
}

impl Connector for RealConnector {
    fn git_forge(
        &self,
        target: &ForgeTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn GitForge>, ClientError> {
        match target.forge.as_str() {
            "gitea" | "forgejo" => Ok(Arc::new(gitea::Gitea::new(target, &self.options(timeout))?)),
            other => Err(unsupported("config.forge", &format!("forge {other:?}"))),
        }
    }

    fn registry(
        &self,
        target: &RegistryTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn ContainerRegistry>, ClientError> {
        Ok(Arc::new(registry::Registry::new(
            target,
            &self.options(timeout),
        )?))
    }

    fn cluster(
        &self,
        target: &ClusterTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn Cluster>, ClientError> {
        Ok(Arc::new(kubernetes::Kubernetes::new(
            target,
            &self.options(timeout),
        )?))
    }

    fn cloud(
        &self,
        target: &CloudTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn CloudProvider>, ClientError> {
        match target.provider.as_str() {
            "hetzner" => Ok(Arc::new(hetzner::Hetzner::new(
                target,
                &self.options(timeout),
            )?)),
            other => Err(unsupported(
                "config.provider",
                &format!("provider {other:?}"),
            )),
        }
    }

    fn probe(&self, timeout: Duration) -> Result<Arc<dyn ServiceProbe>, ClientError> {
        Ok(Arc::new(super::probe::HttpProbe::new(
            timeout,
            Arc::clone(&self.policy),
        )?))
    }

    fn usage(
        &self,
        target: &UsageTarget,
        timeout: Duration,
    ) -> Result<Arc<dyn UsageSource>, ClientError> {
        match target.provider.as_str() {
            "stripe" => Ok(Arc::new(stripe::Stripe::new(
                target,
                &self.options(timeout),
            )?)),
            "openai" => Ok(Arc::new(openai::OpenAi::new(
                target,
                &self.options(timeout),
            )?)),
            "openrouter" => Ok(Arc::new(openrouter::OpenRouter::new(
                target,
                &self.options(timeout),
            )?)),
            other => Err(unsupported(
                "config.provider",
                &format!("provider {other:?}"),
            )),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// What the clients share

/// How a request authenticates. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq)]
pub(crate) enum Auth {
    /// Nothing.
    None,
    /// `Authorization: Bearer X`.
    Bearer(String),
    /// `Authorization: token X` (Gitea).
    Token(String),
    /// HTTP basic.
    Basic(String, Option<String>),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Bearer(_) => "Auth::Bearer(<redacted>)",
            Auth::Token(_) => "Auth::Token(<redacted>)",
            Auth::Basic(..) => "Auth::Basic(<redacted>)",
        })
    }
}

/// A guarded reqwest client with its bound, and the GET every client makes.
#[derive(Debug, Clone)]
pub(crate) struct Api {
    pub(crate) http: reqwest::Client,
    pub(crate) timeout: Duration,
    policy: Arc<PrivateTargets>,
}

impl Api {
    /// The one place a client's reqwest client is built ([`http::client`]: bounded, guarded
    /// by `options.policy`, trusting `options.ca_pem` besides the system roots).
    pub(crate) fn new(options: &HttpOptions) -> Result<Self, ClientError> {
        Ok(Api {
            http: http::client(options)?,
            timeout: options.timeout,
            policy: Arc::clone(&options.policy),
        })
    }

    /// Sends a request as is and reads it whole (any status).
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<Fetched, ClientError> {
        http::fetch(
            request,
            &self.policy,
            url,
            self.timeout,
            http::MAX_BODY_BYTES,
        )
        .await
    }

    /// `GET url` with `auth` and extra headers; answers a 2xx, else the typed error.
    pub(crate) async fn get(
        &self,
        url: &reqwest::Url,
        auth: &Auth,
        headers: &[(&str, &str)],
    ) -> Result<Fetched, ClientError> {
        let request = with_auth(self.http.get(url.clone()), auth);
        let request = headers
            .iter()
            .fold(request, |r, (name, value)| r.header(*name, *value));
        let fetched = self.send(request, url.as_str()).await?;
        check(url.as_str(), fetched)
    }

    /// `GET url` as JSON: the body and the headers.
    pub(crate) async fn get_json(
        &self,
        url: &reqwest::Url,
        auth: &Auth,
    ) -> Result<(Value, HeaderMap), ClientError> {
        let fetched = self
            .get(url, auth, &[("Accept", "application/json")])
            .await?;
        let body = http::json_body(url.as_str(), &fetched)?;
        Ok((body, fetched.headers))
    }
}

/// Adds `auth` to a request.
pub(crate) fn with_auth(request: reqwest::RequestBuilder, auth: &Auth) -> reqwest::RequestBuilder {
    match auth {
        Auth::None => request,
        Auth::Bearer(t) => request.bearer_auth(t),
        Auth::Token(t) => request.header("Authorization", format!("token {t}")),
        Auth::Basic(u, p) => request.basic_auth(u, p.as_deref()),
    }
}

/// A 2xx passes; 429 (and a 403 whose `X-RateLimit-Remaining` is 0, GitHub-style) is
/// [`ClientError::RateLimited`] with [`rate_limit_wait`]; other statuses are
/// [`ClientError::Http`].
pub(crate) fn check(url: &str, fetched: Fetched) -> Result<Fetched, ClientError> {
    let exhausted = fetched.status == 403
        && header(&fetched.headers, "x-ratelimit-remaining").is_some_and(|v| v.trim() == "0");
    if fetched.status == 429 || exhausted {
        return Err(ClientError::RateLimited {
            url: http::display_url(url),
            retry_after_secs: rate_limit_wait(&fetched.headers, Utc::now()),
        });
    }
    http::check_status(url, fetched)
}

/// A header's value as text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// How long a rate-limited API asks to wait, in seconds: `Retry-After` (delta-seconds or an
/// HTTP date), else a reset header — `X-RateLimit-Reset` / `RateLimit-Reset` (a Unix time, or
/// delta-seconds when small), `X-RateLimit-Reset-Requests` (OpenAI's `6m0s`, `1.5s`).
pub fn rate_limit_wait(headers: &HeaderMap, now: DateTime<Utc>) -> Option<u64> {
    if let Some(v) = header(headers, "retry-after") {
        let v = v.trim();
        if let Ok(secs) = v.parse::<f64>() {
            return Some(secs.max(0.0).ceil() as u64);
        }
        if let Ok(at) = DateTime::parse_from_rfc2822(v) {
            return Some(
                (at.with_timezone(&Utc) - now)
                    .num_seconds()
                    .max(0)
                    .unsigned_abs(),
            );
        }
    }
    for name in ["x-ratelimit-reset", "ratelimit-reset"] {
        if let Some(v) = header(headers, name).and_then(|v| v.trim().parse::<f64>().ok()) {
            // Unix times are past 1e9; smaller numbers are seconds to wait (IETF draft).
            let secs = if v > 1e9 {
                v - now.timestamp() as f64
            } else {
                v
            };
            return Some(secs.max(0.0).ceil() as u64);
        }
    }
    for name in ["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"] {
        if let Some(secs) = header(headers, name).and_then(go_duration_secs) {
            return Some(secs.max(0.0).ceil() as u64);
        }
    }
    None
}

/// Seconds in a Go-style duration (`6m0s`, `1.5s`, `250ms`, `1h2m`).
fn go_duration_secs(text: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" | "" => 1.0,
            "ms" => 0.001,
            _ => return None,
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// The `rel="next"` target of a `Link` header (RFC 8288), resolved against `base` (registries
/// answer relative links: `</v2/_catalog?last=b&n=2>; rel="next"`).
pub fn next_link(headers: &HeaderMap, base: &reqwest::Url) -> Option<reqwest::Url> {
    headers
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|part| {
            let (target, params) = part.trim().split_once(';')?;
            let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
            let is_next = params.split(';').any(|p| {
                let p = p.trim().replace(' ', "");
                p == "rel=\"next\"" || p == "rel=next"
            });
            if is_next {
                base.join(target).ok()
            } else {
                None
            }
        })
}

/// `base` with path segments appended (each percent-encoded) and query pairs.
pub(crate) fn endpoint(
    base: &str,
    field: &str,
    segments: &[&str],
    query: &[(&str, &str)],
) -> Result<reqwest::Url, ClientError> {
    let mut url = base_url(base, field)?;
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| ClientError::config(field, "not a base URL"))?;
        path.pop_if_empty();
        path.extend(segments);
    }
    if !query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

/// A usage API's base URL (`target.base_url`, or `default` when empty), checked, and its
/// required key (`config.api_key`): what every `UsageSource` client starts from.
pub(crate) fn usage_endpoint(
    target: &UsageTarget,
    default: &str,
) -> Result<(String, String), ClientError> {
    let base = if target.base_url.trim().is_empty() {
        default.to_string()
    } else {
        target.base_url.clone()
    };
    base_url(&base, "config.base_url")?;
    let key = target
        .api_key
        .clone()
        .ok_or_else(|| ClientError::config("config.api_key", "missing"))?;
    Ok((base, key))
}

/// Parses a configured base URL: http or https, no credentials in it.
pub(crate) fn base_url(base: &str, field: &str) -> Result<reqwest::Url, ClientError> {
    let url = reqwest::Url::parse(base.trim())
        .map_err(|e| ClientError::config(field, format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ClientError::config(field, "must be an http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ClientError::config(
            field,
            "must not hold credentials (use the sealed secret fields)",
        ));
    }
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(ClientError::config(field, "not a base URL"));
    }
    Ok(url)
}

// ---------------------------------------------------------------------------------------------
// Reading JSON answers with the path of what is wrong

/// A typed view of a JSON answer: every accessor names the JSON path (under this view's
/// prefix) when a field is missing or of the wrong type.
#[derive(Debug, Clone)]
pub(crate) struct Doc<'a> {
    url: &'a str,
    prefix: String,
}

impl<'a> Doc<'a> {
    /// A view for errors about `url`'s answer.
    pub(crate) fn new(url: &'a str) -> Self {
        Doc {
            url,
            prefix: String::new(),
        }
    }

    /// A view of a part of the answer: errors name `prefix` + the field (`items[3].` + `name`).
    pub(crate) fn at(&self, prefix: &str) -> Doc<'a> {
        Doc {
            url: self.url,
            prefix: format!("{}{prefix}", self.prefix),
        }
    }

    /// A [`ClientError::BadResponse`] at `path` (under the prefix).
    pub(crate) fn bad(&self, path: &str, message: &str) -> ClientError {
        let full = format!("{}{path}", self.prefix);
        let full = full.trim_end_matches('.');
        ClientError::bad_response(
            http::display_url(self.url),
            if full.is_empty() { "body" } else { full },
            message,
        )
    }

    /// A required string.
    pub(crate) fn str<'v>(&self, v: &'v Value, path: &str) -> Result<&'v str, ClientError> {
        lookup(v, path)
            .and_then(Value::as_str)
            .ok_or_else(|| self.bad(path, "missing or not a string"))
    }

    /// A required integer.
    pub(crate) fn i64(&self, v: &Value, path: &str) -> Result<i64, ClientError> {
        lookup(v, path)
            .and_then(Value::as_i64)
            .ok_or_else(|| self.bad(path, "missing or not an integer"))
    }

    /// A required array.
    pub(crate) fn array<'v>(
        &self,
        v: &'v Value,
        path: &str,
    ) -> Result<&'v Vec<Value>, ClientError> {
        lookup(v, path)
            .and_then(Value::as_array)
            .ok_or_else(|| self.bad(path, "missing or not an array"))
    }

    /// An optional non-negative integer (absent or null: `None`; anything else but a
    /// non-negative integer: an error).
    pub(crate) fn opt_u64(&self, v: &Value, path: &str) -> Result<Option<u64>, ClientError> {
        match lookup(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(n) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.bad(path, "not a non-negative integer")),
        }
    }

    /// An optional number (absent or null: `None`).
    pub(crate) fn opt_f64(&self, v: &Value, path: &str) -> Result<Option<f64>, ClientError> {
        match lookup(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(n) => n
                .as_f64()
                .map(Some)
                .ok_or_else(|| self.bad(path, "not a number")),
        }
    }

    /// An optional RFC 3339 time (absent, null, empty or Go's zero time `0001-01-01…`: `None`).
    pub(crate) fn opt_time(
        &self,
        v: &Value,
        path: &str,
    ) -> Result<Option<DateTime<Utc>>, ClientError> {
        match lookup(v, path) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() || s.starts_with("0001-01-01") => Ok(None),
            Some(Value::String(s)) => DateTime::parse_from_rfc3339(s)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(|e| self.bad(path, &format!("not an RFC 3339 time: {e}"))),
            Some(_) => Err(self.bad(path, "not a string")),
        }
    }
}

/// The value at a dotted path (`status.conditions`; `[n]` indexes arrays: `items[0].name`).
pub(crate) fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = index {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// An optional string field (absent, null or not a string: `None`).
pub(crate) fn opt_str<'v>(v: &'v Value, path: &str) -> Option<&'v str> {
    lookup(v, path).and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn auth_debug_hides_secrets() {
        let shown = format!(
            "{:?} {:?} {:?}",
            Auth::Bearer("s3cr3t".into()),
            Auth::Token("s3cr3t".into()),
            Auth::Basic("user".into(), Some("s3cr3t".into()))
        );
        assert!(
            !shown.contains("s3cr3t") && !shown.contains("user"),
            "{shown}"
        );
    }

    #[test]
    fn link_next_is_found_and_resolved() {
        let base = reqwest::Url::parse("http://127.0.0.1:5000/v2/_catalog?n=2").unwrap();
        let h = headers(&[("link", "</v2/_catalog?last=b&n=2>; rel=\"next\"")]);
        assert_eq!(
            next_link(&h, &base).unwrap().as_str(),
            "http://127.0.0.1:5000/v2/_catalog?last=b&n=2"
        );
        let gitea = headers(&[(
            "link",
            "<http://g/api/v1/repos/a/b/commits?page=2>; rel=\"next\",<http://g/api/v1/repos/a/b/commits?page=5>; rel=\"last\"",
        )]);
        assert_eq!(
            next_link(&gitea, &base).unwrap().as_str(),
            "http://g/api/v1/repos/a/b/commits?page=2"
        );
        let last_only = headers(&[("link", "<http://g/x?page=1>; rel=\"first\"")]);
        assert_eq!(next_link(&last_only, &base), None);
    }

    #[test]
    fn rate_limit_waits_come_from_each_header_style() {
        let now: DateTime<Utc> = "2026-03-01T12:00:00Z".parse().unwrap();
        assert_eq!(
            rate_limit_wait(&headers(&[("retry-after", "7")]), now),
            Some(7)
        );
        assert_eq!(
            rate_limit_wait(
                &headers(&[("retry-after", "Sun, 01 Mar 2026 12:01:00 GMT")]),
                now
            ),
            Some(60)
        );
        let reset = (now.timestamp() + 30).to_string();
        assert_eq!(
            rate_limit_wait(&headers(&[("ratelimit-reset", &reset)]), now),
            Some(30)
        );
        assert_eq!(
            rate_limit_wait(&headers(&[("x-ratelimit-reset", "12")]), now),
            Some(12)
        );
        assert_eq!(
            rate_limit_wait(&headers(&[("x-ratelimit-reset-requests", "6m0s")]), now),
            Some(360)
        );
        assert_eq!(
            rate_limit_wait(&headers(&[("x-ratelimit-reset-requests", "1.5s")]), now),
            Some(2)
        );
        assert_eq!(rate_limit_wait(&HeaderMap::new(), now), None);
    }

    #[test]
    fn endpoints_encode_segments_and_keep_base_paths() {
        let u = endpoint(
            "https://openrouter.ai/api/",
            "config.base_url",
            &["v1", "key"],
            &[],
        )
        .unwrap();
        assert_eq!(u.as_str(), "https://openrouter.ai/api/v1/key");
        let u = endpoint(
            "http://g",
            "config.base_url",
            &["repos", "a b", "c"],
            &[("sha", "feature/x")],
        )
        .unwrap();
        assert_eq!(u.as_str(), "http://g/repos/a%20b/c?sha=feature%2Fx");
        assert!(endpoint("ftp://x", "config.base_url", &[], &[]).is_err());
        assert!(endpoint("http://u:p@x", "config.base_url", &[], &[]).is_err());
    }
}
