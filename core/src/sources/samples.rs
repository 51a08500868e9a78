//! The engine's built-in sample delivery of each source, for "send a test alert": real payloads
//! from the project's fixtures (core/tests/fixtures, where each README says where every file
//! was copied from), with the headers their sender sends. Pure: signing and fresh ids take the
//! secret, options and `now` as arguments.
//!
//! | source | sample | from |
//! |---|---|---|
//! | sentry | `sentry/issue_alert_triggered.docs.json`, `Sentry-Hook-Resource: event_alert` | getsentry/sentry-docs, the issue-alert webhook "Payload" block |
//! | alertmanager | `alertmanager/prometheus-msteams_firing_3_alerts.json` | prometheus-msteams `examples/templates/card-grafana-inspired-payload.json` |
//! | grafana | `grafana/grafana_docs_firing_2_alerts.json` | grafana/grafana docs, "Webhook JSON payload" |
//! | datadog | `datadog/relay_default_payload_service_check_triggered.json` | relay-integrations/datadog "Example Raw Data" |
//! | pagerduty | `pagerduty/events_v2_trigger.docs.json` | PagerDuty/developer-docs, "Send an Alert Event" |
//! | opsgenie | `opsgenie/zulip_opsgenie_create.json` | zulip/zulip opsgenie `create.json` |
//!
//! The generic source has no sample: its shape is whatever the workspace's mapping reads.

use super::{grafana, pagerduty, sentry};
use crate::alert::Source;
use crate::signature;
use crate::{Error, Headers, Result};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A sample delivery: the request headers and the raw body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The headers the sender sends (name, value).
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    pub body: String,
}

impl Sample {
    /// The headers as [`Headers`].
    pub fn headers(&self) -> Headers {
        let mut h = Headers::new();
        for (n, v) in &self.headers {
            h.push(n.clone(), v.clone());
        }
        h
    }
}

/// The built-in sample of `source`, exactly as the fixture holds it.
pub fn sample(source: Source) -> Result<Sample> {
    let (body, headers): (&str, &[(&str, &str)]) = match source {
        Source::Sentry => (
            include_str!("../../tests/fixtures/sentry/issue_alert_triggered.docs.json"),
            &[(sentry::RESOURCE_HEADER, "event_alert")],
        ),
        Source::Alertmanager => (
            include_str!(
                "../../tests/fixtures/alertmanager/prometheus-msteams_firing_3_alerts.json"
            ),
            &[("User-Agent", "Alertmanager/0.25.0")],
        ),
        Source::Grafana => (
            include_str!("../../tests/fixtures/grafana/grafana_docs_firing_2_alerts.json"),
            &[],
        ),
        Source::Datadog => (
            include_str!(
                "../../tests/fixtures/datadog/relay_default_payload_service_check_triggered.json"
            ),
            &[],
        ),
        Source::Pagerduty => (
            include_str!("../../tests/fixtures/pagerduty/events_v2_trigger.docs.json"),
            &[],
        ),
        Source::Opsgenie => (
            include_str!("../../tests/fixtures/opsgenie/zulip_opsgenie_create.json"),
            &[],
        ),
        Source::Generic => {
            return Err(Error::invalid(
                "source",
                "the generic source has no built-in sample: its shape is the workspace's mapping",
            ));
        }
        Source::Monitor => {
            return Err(Error::invalid(
                "source",
                "the monitor source has no sample: its alerts come from the engine's monitors",
            ));
        }
    };
    Ok(Sample {
        headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: body.to_string(),
    })
}

/// The sample made a new delivery: its ids (Sentry's event id and `Request-ID`, Datadog's
/// event id, Opsgenie's `updatedAt`) replaced by `fresh`, so that a second test is a new event
/// rather than a duplicate. The body is re-serialized compact, as senders send it.
pub fn fresh(source: Source, sample: &Sample, fresh: &str, now: DateTime<Utc>) -> Result<Sample> {
    let mut doc: Value = serde_json::from_str(&sample.body)
        .map_err(|e| Error::Internal(format!("the {source} sample does not parse: {e}")))?;
    let mut headers = sample.headers.clone();
    match source {
        Source::Sentry => {
            if let Some(e) = doc.pointer_mut("/data/event") {
                e["event_id"] = Value::String(fresh.to_string());
            }
            headers.push((sentry::REQUEST_ID_HEADER.into(), fresh.to_string()));
        }
        Source::Datadog => doc["id"] = Value::String(fresh.to_string()),
        Source::Opsgenie => {
            if let Some(a) = doc.get_mut("alert") {
                let ns = now.timestamp_nanos_opt().unwrap_or(i64::MAX);
                a["updatedAt"] = Value::from(ns);
            }
        }
        _ => {}
    }
    Ok(Sample {
        headers,
        body: doc.to_string(),
    })
}

/// Signs a sample as the source's sender does with `secret` (and the integration's `options`):
/// Sentry's `Sentry-Hook-Signature` (with `Sentry-Hook-Timestamp`), Grafana's signature header
/// (with its timestamp header when the options name one), the generic mapping's signature, and
/// PagerDuty's routing key (`X-Routing-Key`), Alertmanager's `Authorization: Bearer`. Sources
/// that cannot carry a secret are unchanged.
pub fn sign(
    source: Source,
    sample: &Sample,
    secret: &str,
    options: &Value,
    now: DateTime<Utc>,
) -> Sample {
    let mut out = sample.clone();
    let body = sample.body.as_bytes();
    let ts = now.timestamp().to_string();
    let hex = |msg: &[u8]| signature::hmac_sha256_hex(secret.as_bytes(), msg);
    let opt = |key: &str| options.get(key).and_then(Value::as_str).map(str::to_string);
    match source {
        Source::Sentry => {
            out.headers
                .push((sentry::SIGNATURE_HEADER.into(), hex(body)));
            out.headers.push((sentry::TIMESTAMP_HEADER.into(), ts));
        }
        Source::Grafana => {
            let header =
                opt("signature_header").unwrap_or_else(|| grafana::SIGNATURE_HEADER.to_string());
            match opt("timestamp_header") {
                Some(ts_header) => {
                    let mut msg = ts.clone().into_bytes();
                    msg.push(b':');
                    msg.extend_from_slice(body);
                    out.headers.push((header, hex(&msg)));
                    out.headers.push((ts_header, ts));
                }
                None => out.headers.push((header, hex(body))),
            }
        }
        Source::Generic => {
            let sig = options.get("signature");
            let text = |k: &str| sig.and_then(|s| s.get(k)).and_then(Value::as_str);
            let header = text("header").unwrap_or("X-Hub-Signature-256").to_string();
            let prefix = text("prefix").unwrap_or(if sig.is_some() { "" } else { "sha256=" });
            let ts_header = text("timestamp_header");
            let mut msg = match (text("message"), ts_header) {
                (Some(m), _) => {
                    m.strip_suffix("{body}")
                        .unwrap_or(m)
                        .replacen("{timestamp}", &ts, 1)
                }
                (None, Some(_)) => format!("{ts}:"),
                (None, None) => String::new(),
            }
            .into_bytes();
            msg.extend_from_slice(body);
            let digest = if text("encoding") == Some("base64") {
                use base64::Engine as _;
                base64::engine::general_purpose::STANDARD
                    .encode(signature::hmac_sha256(secret.as_bytes(), &msg))
            } else {
                hex(&msg)
            };
            out.headers.push((header, format!("{prefix}{digest}")));
            if let Some(h) = ts_header {
                out.headers.push((h.to_string(), ts.clone()));
            }
        }
        Source::Alertmanager => {
            // `http_config.authorization` with the default Bearer type
            out.headers
                .push(("Authorization".into(), format!("Bearer {secret}")));
        }
        Source::Pagerduty => {
            // the routing key is the credential: in the body when the body has one (it wins
            // over the header), else in `X-Routing-Key`
            match serde_json::from_str::<Value>(&sample.body) {
                Ok(mut doc) if doc.get("routing_key").is_some() => {
                    doc["routing_key"] = Value::String(secret.to_string());
                    out.body = doc.to_string();
                }
                _ => out
                    .headers
                    .push((pagerduty::ROUTING_KEY_HEADER.into(), secret.to_string())),
            }
        }
        Source::Datadog | Source::Opsgenie | Source::Monitor => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_source_but_generic_has_a_sample_that_parses() {
        for source in Source::ALL {
            match sample(source) {
                Ok(s) => {
                    assert!(serde_json::from_str::<Value>(&s.body).is_ok(), "{source}");
                }
                Err(e) => assert_eq!(source, Source::Generic, "{e}"),
            }
        }
    }

    #[test]
    fn fresh_samples_differ_in_their_ids_only() -> Result<()> {
        let now = Utc::now();
        let s = sample(Source::Sentry)?;
        let a = fresh(Source::Sentry, &s, "aaaa", now)?;
        let b = fresh(Source::Sentry, &s, "bbbb", now)?;
        assert_ne!(a.body, b.body);
        assert!(
            a.headers
                .iter()
                .any(|(n, v)| n == "Request-ID" && v == "aaaa")
        );
        let pd = sample(Source::Pagerduty)?;
        assert_eq!(
            serde_json::from_str::<Value>(&fresh(Source::Pagerduty, &pd, "x", now)?.body).ok(),
            serde_json::from_str::<Value>(&pd.body).ok()
        );
        Ok(())
    }
}
