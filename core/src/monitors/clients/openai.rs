//! OpenAI's organization costs (`https://api.openai.com`), bearer auth with an admin key.
//!
//! `GET /v1/organization/costs?start_time=SINCE&end_time=UNTIL&bucket_width=1d&limit=31`,
//! following `has_more` with `page=<next_page>` (at most [`MAX_PAGES`] pages): the sum of
//! `data[].results[].amount.value` is the cost, in `amount.currency` (`usd`). OpenAI's
//! organization API has no spending limit to read: `limit` stays empty (the monitor's budget
//! threshold is the limit).

use super::{Api, Auth, Doc, MAX_PAGES, endpoint, opt_str};
use crate::monitors::http::HttpOptions;
use crate::monitors::{ClientError, ClientFuture, Usage, UsageSource, UsageTarget};
use chrono::{DateTime, Utc};

/// The public API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.openai.com";

/// An OpenAI usage source.
#[derive(Debug, Clone)]
pub struct OpenAi {
    api: Api,
    base: String,
    auth: Auth,
}

impl OpenAi {
    /// A client for `target.base_url` (empty: [`DEFAULT_BASE_URL`]) with the admin key.
    pub fn new(target: &UsageTarget, options: &HttpOptions) -> Result<Self, ClientError> {
        let (base, key) = super::usage_endpoint(target, DEFAULT_BASE_URL)?;
        Ok(OpenAi {
            api: Api::new(options)?,
            base,
            auth: Auth::Bearer(key),
        })
    }

    async fn usage_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Usage, ClientError> {
        let (start, end) = (since.timestamp().to_string(), until.timestamp().to_string());
        let mut page: Option<String> = None;
        let mut cost = 0.0;
        let mut currency: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("start_time", start.as_str()),
                ("end_time", end.as_str()),
                ("bucket_width", "1d"),
                ("limit", "31"),
            ];
            if let Some(p) = &page {
                query.push(("page", p.as_str()));
            }
            let url = endpoint(
                &self.base,
                "config.base_url",
                &["v1", "organization", "costs"],
                &query,
            )?;
            let (body, _) = self.api.get_json(&url, &self.auth).await?;
            let doc = Doc::new(url.as_str());
            for (i, bucket) in doc.array(&body, "data")?.iter().enumerate() {
                let bd = doc.at(&format!("data[{i}]."));
                for (j, result) in bd.array(bucket, "results")?.iter().enumerate() {
                    let rd = bd.at(&format!("results[{j}]."));
                    cost += rd.opt_f64(result, "amount.value")?.unwrap_or(0.0);
                    if currency.is_none() {
                        currency = opt_str(result, "amount.currency").map(str::to_ascii_uppercase);
                    }
                }
            }
            let more = body
                .get("has_more")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false);
            match opt_str(&body, "next_page").filter(|p| !p.is_empty()) {
                Some(next) if more => page = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(Usage {
            provider: "openai".to_string(),
            requests: None,
            tokens: None,
            cost: Some((cost * 1e6).round() / 1e6),
            currency: Some(currency.unwrap_or_else(|| "USD".to_string())),
            limit: None,
            balance: None,
        })
    }
}

impl UsageSource for OpenAi {
    fn usage(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> ClientFuture<'_, Usage> {
        Box::pin(self.usage_between(since, until))
    }
}
