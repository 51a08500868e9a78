//! The Hetzner Cloud API (`https://api.hetzner.cloud/v1`), bearer token.
//!
//! - `GET /servers?page=N&per_page=50[&label_selector=…]`, following
//!   `meta.pagination.next_page` (at most [`MAX_PAGES`] pages): name, status,
//!   `server_type.name`, `datacenter.location.name`.
//! - `GET /pricing`: `pricing.currency` and `pricing.server_types[].prices[]` — the monthly
//!   **gross** price (`price_monthly.gross`, VAT included, in the project's currency) of each
//!   server type at each location. A server whose type and location the price list does not
//!   name falls back to the prices embedded in its own `server_type.prices`.
//! - Rate limits: 429 with `RateLimit-Reset` (a Unix time) becomes
//!   [`ClientError::RateLimited`].

use super::{Api, Auth, Doc, MAX_PAGES, endpoint, lookup, opt_str};
use crate::monitors::http::HttpOptions;
use crate::monitors::{ClientError, ClientFuture, CloudProvider, CloudServer, CloudTarget};
use serde_json::Value;
use std::collections::HashMap;

/// The public API's base URL.
pub const DEFAULT_BASE_URL: &str = "https://api.hetzner.cloud/v1";

/// A Hetzner Cloud client.
#[derive(Debug, Clone)]
pub struct Hetzner {
    api: Api,
    base: String,
    auth: Auth,
}

impl Hetzner {
    /// A client for `target.base_url` (empty: [`DEFAULT_BASE_URL`]).
    pub fn new(target: &CloudTarget, options: &HttpOptions) -> Result<Self, ClientError> {
        let base = if target.base_url.trim().is_empty() {
            DEFAULT_BASE_URL.to_string()
        } else {
            target.base_url.clone()
        };
        super::base_url(&base, "config.base_url")?;
        Ok(Hetzner {
            api: Api::new(options)?,
            base,
            auth: target.token.clone().map_or(Auth::None, Auth::Bearer),
        })
    }

    fn url(&self, segments: &[&str], query: &[(&str, &str)]) -> Result<reqwest::Url, ClientError> {
        endpoint(&self.base, "config.base_url", segments, query)
    }

    /// `(server type, location) -> monthly gross price`, and the currency.
    async fn prices(
        &self,
    ) -> Result<(HashMap<(String, String), f64>, Option<String>), ClientError> {
        let url = self.url(&["pricing"], &[])?;
        let (body, _) = self.api.get_json(&url, &self.auth).await?;
        let doc = Doc::new(url.as_str());
        let currency = opt_str(&body, "pricing.currency").map(str::to_string);
        let mut out = HashMap::new();
        for (i, t) in doc.array(&body, "pricing.server_types")?.iter().enumerate() {
            let td = doc.at(&format!("pricing.server_types[{i}]."));
            let name = td.str(t, "name")?;
            for (location, price) in type_prices(&td, t)? {
                out.insert((name.to_string(), location), price);
            }
        }
        Ok((out, currency))
    }

    async fn servers_list(
        &self,
        label_selector: Option<&str>,
    ) -> Result<Vec<CloudServer>, ClientError> {
        let (prices, currency) = self.prices().await?;
        let mut out = Vec::new();
        let mut page = 1u64;
        for _ in 0..MAX_PAGES {
            let page_s = page.to_string();
            let mut query = vec![("page", page_s.as_str()), ("per_page", "50")];
            if let Some(s) = label_selector.filter(|s| !s.is_empty()) {
                query.push(("label_selector", s));
            }
            let url = self.url(&["servers"], &query)?;
            let (body, _) = self.api.get_json(&url, &self.auth).await?;
            let doc = Doc::new(url.as_str());
            for (i, s) in doc.array(&body, "servers")?.iter().enumerate() {
                let sd = doc.at(&format!("servers[{i}]."));
                let server_type = opt_str(s, "server_type.name").map(str::to_string);
                let location = opt_str(s, "datacenter.location.name")
                    .or_else(|| opt_str(s, "location.name"))
                    .map(str::to_string);
                let listed = match (&server_type, &location) {
                    (Some(t), Some(l)) => prices.get(&(t.clone(), l.clone())).copied(),
                    _ => None,
                };
                let embedded = match (lookup(s, "server_type"), &location) {
                    (Some(t), Some(l)) => type_prices(&sd.at("server_type."), t)?
                        .into_iter()
                        .find(|(loc, _)| loc == l)
                        .map(|(_, p)| p),
                    _ => None,
                };
                let monthly_cost = listed.or(embedded);
                out.push(CloudServer {
                    id: match s.get("id") {
                        Some(Value::Number(n)) => n.to_string(),
                        Some(Value::String(id)) => id.clone(),
                        _ => return Err(sd.bad("id", "missing or not an id")),
                    },
                    name: sd.str(s, "name")?.to_string(),
                    status: sd.str(s, "status")?.to_string(),
                    server_type,
                    location,
                    monthly_cost,
                    currency: monthly_cost.and(currency.clone()),
                });
            }
            match doc.opt_u64(&body, "meta.pagination.next_page")? {
                Some(next) if next > page => page = next,
                _ => break,
            }
        }
        Ok(out)
    }
}

/// `(location, monthly gross)` of a server type's `prices`.
fn type_prices(doc: &Doc<'_>, server_type: &Value) -> Result<Vec<(String, f64)>, ClientError> {
    let Some(prices) = server_type.get("prices").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for (i, p) in prices.iter().enumerate() {
        let pd = doc.at(&format!("prices[{i}]."));
        let location = pd.str(p, "location")?;
        let gross = match lookup(p, "price_monthly.gross") {
            Some(Value::String(s)) => s
                .trim()
                .parse::<f64>()
                .map_err(|_| pd.bad("price_monthly.gross", "not a decimal"))?,
            Some(Value::Number(n)) => n
                .as_f64()
                .ok_or_else(|| pd.bad("price_monthly.gross", "not a decimal"))?,
            _ => return Err(pd.bad("price_monthly.gross", "missing or not a decimal")),
        };
        out.push((location.to_string(), gross));
    }
    Ok(out)
}

impl CloudProvider for Hetzner {
    fn servers<'a>(
        &'a self,
        label_selector: Option<&'a str>,
    ) -> ClientFuture<'a, Vec<CloudServer>> {
        Box::pin(self.servers_list(label_selector))
    }
}
