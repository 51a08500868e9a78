//! Notifications: channels, one notifier per kind (Slack, webhook, PagerDuty, email), the Slack
//! Block Kit renderer, and the outbox dispatcher's retry, backoff and breaker decisions.

pub mod channel;
pub mod dispatch;
pub mod email;
pub mod pagerduty;
pub mod slack;
pub mod slack_api;
pub mod storm;
pub mod webhook;

pub use channel::{BreakerPolicy, BreakerState, BreakerStatus, ChannelConfig, ChannelKind};
pub use dispatch::{RetryPolicy, SendOutcome};

use crate::alert::Source;

/// The hosts a source's own links are on (a subdomain counts): a link elsewhere is labelled
/// with its host, never with the source's name, so a payload cannot dress a link to any site
/// as "Open in Sentry". Self-hosted tools (Alertmanager, Grafana, the generic webhook) have no
/// known host: their links always show theirs.
pub fn source_hosts(source: Source) -> &'static [&'static str] {
    match source {
        Source::Sentry => &["sentry.io"],
        Source::Datadog => &["datadoghq.com", "datadoghq.eu", "ddog-gov.com"],
        Source::Pagerduty => &["pagerduty.com"],
        Source::Opsgenie => &["opsgenie.com", "atlassian.net"],
        Source::Grafana => &["grafana.net"],
        _ => &[],
    }
}

/// A source's name as people write it (`PagerDuty`), for link labels.
pub fn source_name(source: Source) -> &'static str {
    match source {
        Source::Sentry => "Sentry",
        Source::Alertmanager => "Alertmanager",
        Source::Grafana => "Grafana",
        Source::Datadog => "Datadog",
        Source::Pagerduty => "PagerDuty",
        Source::Opsgenie => "Opsgenie",
        _ => "the source",
    }
}

/// The host of an `http`/`https` URL (lower case), `None` for any other scheme or no host.
pub fn http_host(url: &str) -> Option<String> {
    let u = reqwest::Url::parse(url.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    u.host_str().map(str::to_ascii_lowercase)
}

/// How a group's source link is labelled: `Open in <Source>` when it points at one of the
/// source's [hosts](source_hosts), `Open <host>` otherwise; `None` when it is not http(s)
/// (never rendered as a link).
pub fn source_link_label(source: Source, source_name: &str, url: &str) -> Option<String> {
    let host = http_host(url)?;
    let own = source_hosts(source)
        .iter()
        .any(|h| host == *h || host.ends_with(&format!(".{h}")));
    Some(if own {
        format!("Open in {source_name}")
    } else {
        format!("Open {host}")
    })
}
