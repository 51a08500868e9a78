//! What of a delivery is never stored: the credentials a source or its sender puts in headers,
//! in query strings carried in headers, and in the body. The raw request is stored with these
//! replaced by `[redacted]`; parsing and signature checks always see the request as received.
//!
//! | where | redacted |
//! |---|---|
//! | headers | `Authorization`, `Proxy-Authorization`, `Cookie`, `X-Api-Key`, `X-Auth-Token`, `X-Routing-Key` (PagerDuty), the signature headers (`Sentry-Hook-Signature`, `Sentry-App-Signature`, `X-Grafana-Alerting-Signature`, `X-Hub-Signature(-256)`, and the header an integration's options name as its signature header) |
//! | header values | the value of a `key`, `token`, `api_key`, `apikey`, `access_token`, `secret`, `signature`, `sig` query parameter in any URL a header carries (e.g. `?key=` ingest keys in a forwarded URI) |
//! | body | PagerDuty's `routing_key` (the credential of Events API v2) |

use super::IntegrationConfig;
use crate::alert::Source;
use crate::json::borrowed::Key;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// Headers never stored, whatever the source.
const CREDENTIAL_HEADERS: [&str; 11] = [
    "authorization",
    "proxy-authorization",
    "cookie",
    "x-api-key",
    "x-auth-token",
    "x-routing-key",
    "sentry-hook-signature",
    "sentry-app-signature",
    "x-grafana-alerting-signature",
    "x-hub-signature-256",
    "x-hub-signature",
];

/// Query parameters whose values are credentials.
const CREDENTIAL_PARAMS: [&str; 8] = [
    "key",
    "token",
    "api_key",
    "apikey",
    "access_token",
    "secret",
    "signature",
    "sig",
];

/// Whether header `name` is on the fixed list of credential headers (whatever the options).
pub fn is_fixed_credential_header(name: &str) -> bool {
    CREDENTIAL_HEADERS
        .iter()
        .any(|h| name.eq_ignore_ascii_case(h))
}

/// Whether header `name` is a credential of an integration with `config` (the fixed list, plus
/// the signature header the integration's options name).
pub fn is_credential_header(config: &IntegrationConfig, name: &str) -> bool {
    if is_fixed_credential_header(name) {
        return true;
    }
    let configured = [
        config.options.get("signature_header"),
        config
            .options
            .get("signature")
            .and_then(|s| s.get("header")),
    ];
    configured
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|h| name.eq_ignore_ascii_case(h.trim()))
}

/// `value` with the values of credential query parameters replaced (`?key=abc&x=1` →
/// `?key=[redacted]&x=1`); unchanged when it has none.
pub fn redact_header_value(value: &str) -> Cow<'_, str> {
    if !value.contains('=') {
        return Cow::Borrowed(value);
    }
    let mut out = String::with_capacity(value.len());
    let mut changed = false;
    let mut rest = value;
    // Split on the separators of a query string; a parameter's name is what follows `?`, `&`
    // or `;` (or the start) up to `=`.
    while let Some(eq) = rest.find('=') {
        let (head, tail) = rest.split_at(eq);
        let name_start = head.rfind(['?', '&', ';', ' ', ',']).map_or(0, |i| i + 1);
        let name = &head[name_start..];
        out.push_str(head);
        out.push('=');
        let tail = &tail[1..];
        let end = tail.find(['&', ';', ' ', ',', '#']).unwrap_or(tail.len());
        if CREDENTIAL_PARAMS
            .iter()
            .any(|p| name.eq_ignore_ascii_case(p))
            && end > 0
        {
            out.push_str(REDACTED);
            changed = true;
        } else {
            out.push_str(&tail[..end]);
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(value)
    }
}

/// The body to store for a delivery from `source`: the body itself, as received, or, when it
/// holds a known credential, a copy with each credential's value replaced by `"[redacted]"` in
/// place (the rest byte for byte as received).
pub fn redact_body(source: Source, body: &[u8]) -> Cow<'_, [u8]> {
    if source != Source::Pagerduty {
        return Cow::Borrowed(body);
    }
    // the body parsed already when this runs; a body that does not is stored as it is
    let Ok(text) = std::str::from_utf8(body) else {
        return Cow::Borrowed(body);
    };
    let Ok(RoutingKeys(spans)) = serde_json::from_str::<RoutingKeys<'_>>(text) else {
        return Cow::Borrowed(body);
    };
    if spans.is_empty() {
        return Cow::Borrowed(body);
    }
    let quoted = format!("\"{REDACTED}\"");
    let mut out = Vec::with_capacity(body.len() + spans.len() * quoted.len());
    let mut from = 0;
    for raw in spans {
        // where the value's text sits in the body (it is borrowed from it)
        let start = (raw.get().as_ptr() as usize).wrapping_sub(text.as_ptr() as usize);
        let end = start.wrapping_add(raw.get().len());
        match body.get(from..start) {
            Some(head) if end <= body.len() => out.extend_from_slice(head),
            // cannot happen (the value is a slice of the body); if it did, store nothing of it
            _ => return Cow::Owned(b"{}".to_vec()),
        }
        out.extend_from_slice(quoted.as_bytes());
        from = end;
    }
    out.extend_from_slice(body.get(from..).unwrap_or_default());
    Cow::Owned(out)
}

/// The values of every top-level `routing_key` member that is not null, in body order (all of
/// them: a repeated member is redacted each time).
struct RoutingKeys<'a>(Vec<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for RoutingKeys<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RoutingKeys<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(Key(k)) = map.next_key::<Key<'de>>()? {
                    if k == "routing_key" {
                        let raw: &'de RawValue = map.next_value()?;
                        if raw.get() != "null" {
                            out.push(raw);
                        }
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(RoutingKeys(out))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_credentials_are_masked() {
        assert_eq!(
            redact_header_value("https://x/webhooks/a/b?key=sck_abc&x=1"),
            "https://x/webhooks/a/b?key=[redacted]&x=1"
        );
        assert_eq!(
            redact_header_value("/a?x=1&Token=t;sig=s"),
            "/a?x=1&Token=[redacted];sig=[redacted]"
        );
        assert!(matches!(redact_header_value("a=b"), Cow::Borrowed(_)));
        assert!(matches!(
            redact_header_value("application/json; charset=utf-8"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn routing_keys_are_masked() {
        let body = br#"{"routing_key":"R0123","event_action":"trigger"}"#;
        let out = redact_body(Source::Pagerduty, body);
        let v: Value = serde_json::from_slice(&out).unwrap_or_default();
        assert_eq!(v["routing_key"], REDACTED);
        assert_eq!(v["event_action"], "trigger");
        assert!(matches!(
            redact_body(Source::Sentry, body),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn redaction_keeps_the_rest_of_the_body_as_received() {
        let body = b"{ \"routing_key\" : \"R\\u0030123\",\n \"z\": 1.50, \"a\": {\"routing_key\": \"inner\"},\n \"routing_key\":\"R2\" }";
        let out = redact_body(Source::Pagerduty, body);
        assert_eq!(
            std::str::from_utf8(&out).unwrap_or_default(),
            "{ \"routing_key\" : \"[redacted]\",\n \"z\": 1.50, \"a\": {\"routing_key\": \"inner\"},\n \"routing_key\":\"[redacted]\" }"
        );
        for unchanged in [
            &br#"{"routing_key": null, "event_action": "trigger"}"#[..],
            br#"{"event_action": "trigger"}"#,
            br#"[1, 2]"#,
            b"{\"routing_key\": \"\xff\"}",
        ] {
            assert!(matches!(
                redact_body(Source::Pagerduty, unchanged),
                Cow::Borrowed(_)
            ));
        }
    }
}
