//! Stripe (`https://api.stripe.com`), basic auth with the secret key as the user name.
//!
//! - `GET /v1/charges?created[gte]=SINCE&created[lt]=UNTIL&limit=100`, following `has_more`
//!   with `starting_after=<last id>` (at most [`MAX_PAGES`] pages): the number of charges
//!   (`requests`) and the sum of the succeeded ones' `amount - amount_refunded` (`cost`: the
//!   money taken in the period), in the currency of the first charge (other currencies are
//!   not summed).
//! - `GET /v1/balance`: the available balance in that currency (`balance`; the currency of
//!   `available[0]` when the period has no charge).
//!
//! Amounts are in the currency's smallest unit; they are divided by 100 except for Stripe's
//! zero-decimal currencies.

use super::{Api, Auth, Doc, MAX_PAGES, endpoint, opt_str};
use crate::monitors::http::HttpOptions;
use crate::monitors::{ClientError, ClientFuture, Usage, UsageSource, UsageTarget};
use chrono::{DateTime, Utc};

/// The public API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.stripe.com";

/// Stripe's zero-decimal currencies (amounts are whole units).
const ZERO_DECIMAL: [&str; 16] = [
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// A Stripe usage source.
#[derive(Debug, Clone)]
pub struct Stripe {
    api: Api,
    base: String,
    auth: Auth,
}

impl Stripe {
    /// A client for `target.base_url` (empty: [`DEFAULT_BASE_URL`]) with the secret key.
    pub fn new(target: &UsageTarget, options: &HttpOptions) -> Result<Self, ClientError> {
        let (base, key) = super::usage_endpoint(target, DEFAULT_BASE_URL)?;
        Ok(Stripe {
            api: Api::new(options)?,
            base,
            auth: Auth::Basic(key, None),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<reqwest::Url, ClientError> {
        endpoint(&self.base, "config.base_url", segments, query)
    }

    async fn usage_between(
        &self,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Usage, ClientError> {
        let (gte, lt) = (since.timestamp().to_string(), until.timestamp().to_string());
        let mut after: Option<String> = None;
        let mut count = 0u64;
        let mut minor = 0i64;
        let mut currency: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![
                ("created[gte]", gte.as_str()),
                ("created[lt]", lt.as_str()),
                ("limit", "100"),
            ];
            if let Some(a) = &after {
                query.push(("starting_after", a.as_str()));
            }
            let url = self.url(&["v1", "charges"], &query)?;
            let (body, _) = self.api.get_json(&url, &self.auth).await?;
            let doc = Doc::new(url.as_str());
            let data = doc.array(&body, "data")?;
            for (i, charge) in data.iter().enumerate() {
                let cd = doc.at(&format!("data[{i}]."));
                count += 1;
                let cur = cd.str(charge, "currency")?.to_ascii_lowercase();
                let currency = currency.get_or_insert_with(|| cur.clone());
                if cd.str(charge, "status")? != "succeeded" || *currency != cur {
                    continue;
                }
                let amount = cd.i64(charge, "amount")?;
                let refunded = charge
                    .get("amount_refunded")
                    .and_then(serde_json::Value::as_i64)
                    .unwrap_or(0);
                minor = minor.saturating_add(amount - refunded);
            }
            let more = body
                .get("has_more")
                .and_then(serde_json::Value::as_bool)
                .ok_or_else(|| doc.bad("has_more", "missing or not a boolean"))?;
            match data.last() {
                Some(last) if more => {
                    after = Some(
                        doc.at(&format!("data[{}].", data.len() - 1))
                            .str(last, "id")?
                            .to_string(),
                    );
                }
                _ => break,
            }
        }
        let url = self.url(&["v1", "balance"], &[])?;
        let (body, _) = self.api.get_json(&url, &self.auth).await?;
        let doc = Doc::new(url.as_str());
        let available = doc.array(&body, "available")?;
        if currency.is_none() {
            currency = opt_str(&body, "available[0].currency").map(str::to_ascii_lowercase);
        }
        let mut balance_minor = 0i64;
        for (i, fund) in available.iter().enumerate() {
            let fd = doc.at(&format!("available[{i}]."));
            if Some(fd.str(fund, "currency")?.to_ascii_lowercase()) == currency {
                balance_minor = balance_minor.saturating_add(fd.i64(fund, "amount")?);
            }
        }
        let divisor = match &currency {
            Some(c) if ZERO_DECIMAL.contains(&c.as_str()) => 1.0,
            _ => 100.0,
        };
        Ok(Usage {
            provider: "stripe".to_string(),
            requests: Some(count),
            tokens: None,
            cost: Some(minor as f64 / divisor),
            currency: currency.map(|c| c.to_ascii_uppercase()),
            limit: None,
            balance: Some(balance_minor as f64 / divisor),
        })
    }
}

impl UsageSource for Stripe {
    fn usage(&self, since: DateTime<Utc>, until: DateTime<Utc>) -> ClientFuture<'_, Usage> {
        Box::pin(self.usage_between(since, until))
    }
}
