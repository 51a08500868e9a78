//! The Docker Registry HTTP API v2 (CNCF distribution, Harbor, any OCI distribution registry).
//!
//! - Auth: a request answered `401` with `WWW-Authenticate: Bearer realm=…,service=…,scope=…`
//!   gets a token from the realm (`GET realm?service=…&scope=…`, with the configured user and
//!   password as basic auth when there are some; the answer's `token` or `access_token`), cached
//!   per scope, and is sent again once with it. `WWW-Authenticate: Basic` is answered with the
//!   configured credentials (sent up front from then on); credentials refused stay refused.
//! - `GET /v2/_catalog?n=100` and `GET /v2/{name}/tags/list?n=100`, following `Link: <…>;
//!   rel="next"` (at most [`MAX_PAGES`] pages).
//! - `GET /v2/{name}/manifests/{tag}` accepting OCI and Docker v2 manifests and indexes (manifest
//!   lists). An index is resolved to its `linux/amd64` manifest (else its first one that is not
//!   an attestation). The size is the chosen manifest's config size plus its layers' sizes; the
//!   digest is the tag's (`Docker-Content-Digest`, else the sha256 of the body).
//! - The push time: the manifest response's `Last-Modified` header when the registry sets one;
//!   otherwise the image config blob's `created` (`GET /v2/{name}/blobs/{config.digest}`) —
//!   which is when the image was built, normally minutes before its push. A config blob the
//!   registry redirects to another host (object storage) is not followed: the time stays unknown.

use super::{Api, Auth, Doc, MAX_PAGES, check, endpoint, header, next_link, opt_str, with_auth};
use crate::monitors::http::{self, Fetched, HttpOptions};
use crate::monitors::{ClientError, ClientFuture, ContainerRegistry, ImageTag, RegistryTarget};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::Digest;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// The manifest media types asked for, most specific first.
pub const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json";

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Page size asked of `_catalog` and `tags/list`.
const PAGE_N: &str = "100";

/// A registry client (its `Debug` shows no credential).
pub struct Registry {
    api: Api,
    root: reqwest::Url,
    user: Option<String>,
    password: Option<String>,
    /// Bearer tokens by scope.
    tokens: Mutex<HashMap<String, String>>,
    /// The registry asked for basic auth once: send it up front from then on.
    basic_asked: AtomicBool,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("root", &self.root.as_str())
            .field("user", &self.user.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl Registry {
    /// A client for the registry at `target.registry_url` (its root: `https://registry.example.com`).
    pub fn new(target: &RegistryTarget, options: &HttpOptions) -> Result<Self, ClientError> {
        Ok(Registry {
            api: Api::new(options)?,
            root: super::base_url(&target.registry_url, "config.registry_url")?,
            user: target.username.clone(),
            password: target.password.clone(),
            tokens: Mutex::new(HashMap::new()),
            basic_asked: AtomicBool::new(false),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<reqwest::Url, ClientError> {
        endpoint(self.root.as_str(), "config.registry_url", segments, query)
    }

    fn repo_url(
        &self,
        repository: &str,
        tail: &[&str],
        query: &[(&str, &str)],
    ) -> Result<reqwest::Url, ClientError> {
        if repository.is_empty() || repository.split('/').any(|p| p.is_empty() || p == "..") {
            return Err(ClientError::config(
                "config.repository",
                "not a repository name",
            ));
        }
        let mut segments: Vec<&str> = vec!["v2"];
        segments.extend(repository.split('/'));
        segments.extend(tail);
        self.url(&segments, query)
    }

    fn cached_token(&self, scope: &str) -> Option<String> {
        self.tokens.lock().ok()?.get(scope).cloned()
    }

    fn basic(&self) -> Option<Auth> {
        self.user
            .clone()
            .map(|u| Auth::Basic(u, self.password.clone()))
    }

    /// GETs `url` (2xx only), answering the auth challenge once.
    async fn get(
        &self,
        url: &reqwest::Url,
        accept: &str,
        scope: &str,
    ) -> Result<Fetched, ClientError> {
        let auth = match self.cached_token(scope) {
            Some(token) => Auth::Bearer(token),
            None if self.basic_asked.load(Ordering::Relaxed) => self.basic().unwrap_or(Auth::None),
            None => Auth::None,
        };
        let first = self.send(url, accept, &auth).await?;
        if first.status != 401 {
            return check(url.as_str(), first);
        }
        let challenge = header(&first.headers, "www-authenticate").unwrap_or_default();
        let retry = match parse_challenge(challenge) {
            Some(Challenge::Bearer(params)) => {
                let token = self.token(url, &params, scope).await?;
                Auth::Bearer(token)
            }
            Some(Challenge::Basic) => match self.basic() {
                Some(basic) if auth == Auth::None => {
                    self.basic_asked.store(true, Ordering::Relaxed);
                    basic
                }
                _ => return check(url.as_str(), first),
            },
            None => return check(url.as_str(), first),
        };
        let second = self.send(url, accept, &retry).await?;
        check(url.as_str(), second)
    }

    async fn send(
        &self,
        url: &reqwest::Url,
        accept: &str,
        auth: &Auth,
    ) -> Result<Fetched, ClientError> {
        let request = with_auth(self.api.http.get(url.clone()), auth).header("Accept", accept);
        self.api.send(request, url.as_str()).await
    }

    /// Gets a bearer token from the challenge's realm (and caches it for `scope`).
    async fn token(
        &self,
        asked: &reqwest::Url,
        params: &HashMap<String, String>,
        scope: &str,
    ) -> Result<String, ClientError> {
        let realm = params.get("realm").ok_or_else(|| {
            ClientError::bad_response(
                http::display_url(asked.as_str()),
                "headers.www-authenticate",
                "Bearer challenge without a realm",
            )
        })?;
        let mut url = super::base_url(realm, "headers.www-authenticate.realm")?;
        {
            let mut q = url.query_pairs_mut();
            if let Some(service) = params.get("service") {
                q.append_pair("service", service);
            }
            let wanted = params.get("scope").map_or(scope, String::as_str);
            for s in wanted.split(' ').filter(|s| !s.is_empty()) {
                q.append_pair("scope", s);
            }
        }
        let auth = self.basic().unwrap_or(Auth::None);
        let (body, _) = self.api.get_json(&url, &auth).await?;
        let doc = Doc::new(url.as_str());
        let token = opt_str(&body, "token")
            .or_else(|| opt_str(&body, "access_token"))
            .filter(|t| !t.is_empty())
            .ok_or_else(|| doc.bad("token", "missing or not a string"))?
            .to_string();
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(scope.to_string(), token.clone());
        }
        Ok(token)
    }

    /// Follows a paginated list (`_catalog` or `tags/list`), collecting `field`.
    async fn list(
        &self,
        first: reqwest::Url,
        field: &str,
        scope: &str,
    ) -> Result<Vec<String>, ClientError> {
        let mut url = first;
        let mut out = Vec::new();
        for _ in 0..MAX_PAGES {
            let fetched = self.get(&url, "application/json", scope).await?;
            let body = http::json_body(url.as_str(), &fetched)?;
            let doc = Doc::new(url.as_str());
            let items = match body.get(field) {
                None | Some(Value::Null) => &Vec::new(),
                Some(_) => doc.array(&body, field)?,
            };
            for (i, item) in items.iter().enumerate() {
                let name = item
                    .as_str()
                    .ok_or_else(|| doc.bad(&format!("{field}[{i}]"), "not a string"))?;
                out.push(name.to_string());
            }
            match next_link(&fetched.headers, &url) {
                Some(next) if !items.is_empty() => url = next,
                _ => break,
            }
        }
        Ok(out)
    }

    async fn repositories_list(&self) -> Result<Vec<String>, ClientError> {
        let url = self.url(&["v2", "_catalog"], &[("n", PAGE_N)])?;
        self.list(url, "repositories", "registry:catalog:*").await
    }

    async fn tags_list(&self, repository: &str) -> Result<Vec<String>, ClientError> {
        let url = self.repo_url(repository, &["tags", "list"], &[("n", PAGE_N)])?;
        self.list(url, "tags", &pull_scope(repository)).await
    }

    async fn tag_info(&self, repository: &str, tag: &str) -> Result<ImageTag, ClientError> {
        let scope = pull_scope(repository);
        let url = self.repo_url(repository, &["manifests", tag], &[])?;
        let top = self.get(&url, MANIFEST_ACCEPT, &scope).await?;
        let digest = header(&top.headers, "docker-content-digest")
            .map(str::to_string)
            .unwrap_or_else(|| format!("sha256:{}", hex::encode(sha2::Sha256::digest(&top.body))));
        let last_modified = header(&top.headers, "last-modified")
            .and_then(|v| DateTime::parse_from_rfc2822(v.trim()).ok())
            .map(|t| t.with_timezone(&Utc));
        let mut manifest = http::json_body(url.as_str(), &top)?;
        let mut manifest_url = url.clone();
        if is_index(&top, &manifest) {
            let doc = Doc::new(url.as_str());
            let child = pick_platform(&doc, &manifest)?;
            manifest_url = self.repo_url(repository, &["manifests", &child], &[])?;
            let fetched = self.get(&manifest_url, MANIFEST_ACCEPT, &scope).await?;
            manifest = http::json_body(manifest_url.as_str(), &fetched)?;
        }
        let doc = Doc::new(manifest_url.as_str());
        if manifest.get("schemaVersion").and_then(Value::as_u64) == Some(1) {
            return Err(doc.bad("schemaVersion", "schema 1 manifests are not supported"));
        }
        let config_size = doc.opt_u64(&manifest, "config.size")?.unwrap_or(0);
        let mut size = config_size;
        for (i, layer) in doc.array(&manifest, "layers")?.iter().enumerate() {
            let n = doc
                .at(&format!("layers[{i}]."))
                .opt_u64(layer, "size")?
                .unwrap_or(0);
            size = size.saturating_add(n);
        }
        let pushed_at = match last_modified {
            Some(t) => Some(t),
            None => match opt_str(&manifest, "config.digest") {
                Some(config) => self.config_created(repository, config, &scope).await?,
                None => None,
            },
        };
        Ok(ImageTag {
            tag: tag.to_string(),
            digest: Some(digest),
            size_bytes: Some(size),
            pushed_at,
        })
    }

    /// The image config's `created` (None: no such field, or the blob lives elsewhere).
    async fn config_created(
        &self,
        repository: &str,
        digest: &str,
        scope: &str,
    ) -> Result<Option<DateTime<Utc>>, ClientError> {
        let url = self.repo_url(repository, &["blobs", digest], &[])?;
        let fetched = match self.get(&url, "application/json", scope).await {
            Ok(f) => f,
            Err(ClientError::Http { status, .. }) if (300..400).contains(&status) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let config = http::json_body(url.as_str(), &fetched)?;
        Doc::new(url.as_str()).opt_time(&config, "created")
    }
}

fn pull_scope(repository: &str) -> String {
    format!("repository:{repository}:pull")
}

fn is_index(fetched: &Fetched, manifest: &Value) -> bool {
    let content_type = header(&fetched.headers, "content-type").unwrap_or_default();
    let media = opt_str(manifest, "mediaType").unwrap_or_default();
    INDEX_TYPES
        .iter()
        .any(|t| content_type.starts_with(t) || media == *t)
        || (manifest.get("manifests").is_some() && manifest.get("layers").is_none())
}

/// The digest of an index's `linux/amd64` manifest, else its first non-attestation one.
fn pick_platform(doc: &Doc<'_>, index: &Value) -> Result<String, ClientError> {
    let manifests = doc.array(index, "manifests")?;
    let platform = |m: &Value| {
        (
            opt_str(m, "platform.os").unwrap_or_default().to_string(),
            opt_str(m, "platform.architecture")
                .unwrap_or_default()
                .to_string(),
        )
    };
    let chosen = manifests
        .iter()
        .position(|m| platform(m) == ("linux".into(), "amd64".into()))
        .or_else(|| manifests.iter().position(|m| platform(m).0 != "unknown"))
        .ok_or_else(|| doc.bad("manifests", "no image manifest in the index"))?;
    Ok(doc
        .at(&format!("manifests[{chosen}]."))
        .str(&manifests[chosen], "digest")?
        .to_string())
}

/// An auth challenge.
#[derive(Debug, Clone, PartialEq)]
enum Challenge {
    Bearer(HashMap<String, String>),
    Basic,
}

/// Parses `WWW-Authenticate` (`Bearer realm="…",service="…",scope="repository:a:pull,push"`),
/// quoted values may hold commas.
fn parse_challenge(value: &str) -> Option<Challenge> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut params = HashMap::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut val = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            val.push(n);
                        }
                    }
                    '"' => break,
                    c => val.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek() {
                if *c == ',' {
                    break;
                }
                val.push(*c);
                chars.next();
            }
        }
        params.insert(key.trim().to_ascii_lowercase(), val.trim().to_string());
    }
    Some(Challenge::Bearer(params))
}

impl ContainerRegistry for Registry {
    fn repositories(&self) -> ClientFuture<'_, Vec<String>> {
        Box::pin(self.repositories_list())
    }

    fn tags<'a>(&'a self, repository: &'a str) -> ClientFuture<'a, Vec<String>> {
        Box::pin(self.tags_list(repository))
    }

    fn tag<'a>(&'a self, repository: &'a str, tag: &'a str) -> ClientFuture<'a, ImageTag> {
        Box::pin(self.tag_info(repository, tag))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn challenges_parse_with_commas_in_quotes() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
        )
        .unwrap();
        let Challenge::Bearer(p) = c else {
            panic!("not bearer")
        };
        assert_eq!(p["realm"], "https://auth.docker.io/token");
        assert_eq!(p["service"], "registry.docker.io");
        assert_eq!(p["scope"], "repository:samalba/my-app:pull,push");
        assert_eq!(
            parse_challenge(r#"Basic realm="basic-realm""#),
            Some(Challenge::Basic)
        );
        assert_eq!(parse_challenge("Negotiate"), None);
    }
}
