//! OpenRouter's key usage (`https://openrouter.ai/api`), bearer auth with the API key.
//!
//! `GET /v1/key` answers the key's credit use (USD) in total and per UTC day, week and month,
//! its `limit` (null: none) and `limit_reset` (`daily`, `weekly`, `monthly`, or null for a
//! lifetime limit). The cost reported is the use over the period the limit resets on (the
//! month's use when the key has no limit), so `cost` and `limit` always compare like for like;
//! the `since`/`until` of the call are not sent (the endpoint has no range).

use super::{Api, Auth, Doc, endpoint, opt_str};
use crate::monitors::http::HttpOptions;
use crate::monitors::{ClientError, ClientFuture, Usage, UsageSource, UsageTarget};
use chrono::{DateTime, Utc};

/// The public API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://openrouter.ai/api";

/// An OpenRouter usage source.
#[derive(Debug, Clone)]
pub struct OpenRouter {
    api: Api,
    base: String,
    auth: Auth,
}

impl OpenRouter {
    /// A client for `target.base_url` (empty: [`DEFAULT_BASE_URL`]) with the API key.
    pub fn new(target: &UsageTarget, options: &HttpOptions) -> Result<Self, ClientError> {
        let (base, key) = super::usage_endpoint(target, DEFAULT_BASE_URL)?;
        Ok(OpenRouter {
            api: Api::new(options)?,
            base,
            auth: Auth::Bearer(key),
        })
    }

    async fn key_usage(&self) -> Result<Usage, ClientError> {
        let url = endpoint(&self.base, "config.base_url", &["v1", "key"], &[])?;
        let (body, _) = self.api.get_json(&url, &self.auth).await?;
        let doc = Doc::new(url.as_str()).at("data.");
        let data = body
            .get("data")
            .ok_or_else(|| Doc::new(url.as_str()).bad("data", "missing"))?;
        let limit = doc.opt_f64(data, "limit")?;
        let field = match (limit, opt_str(data, "limit_reset")) {
            (_, Some("daily")) => "usage_daily",
            (_, Some("weekly")) => "usage_weekly",
            (Some(_), None) => "usage",
            _ => "usage_monthly",
        };
        let cost = match doc.opt_f64(data, field)? {
            Some(c) => c,
            None => doc
                .opt_f64(data, "usage")?
                .ok_or_else(|| doc.bad("usage", "missing or not a number"))?,
        };
        Ok(Usage {
            provider: "openrouter".to_string(),
            requests: None,
            tokens: None,
            cost: Some(cost),
            currency: Some("USD".to_string()),
            limit,
            balance: None,
        })
    }
}

impl UsageSource for OpenRouter {
    fn usage(&self, _since: DateTime<Utc>, _until: DateTime<Utc>) -> ClientFuture<'_, Usage> {
        Box::pin(self.key_usage())
    }
}
