//! The engine's Prometheus metrics, kept with the `prometheus-client` crate and exposed as text
//! by [`crate::Engine::metrics_text`] in the Prometheus text format 0.0.4 (the crate writes
//! OpenMetrics; a counter's HELP and TYPE lines are renamed to its `_total` samples and the
//! `# EOF` line dropped, so that `promtool check metrics` and `prometheus_client`'s parser read
//! it). Hosts serve it as `text/plain; version=0.0.4; charset=utf-8`.
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `signalcraft_ingest_deliveries_total` | counter | `source`, `outcome` (`accepted`, `duplicate`, `ignored`, `rejected`) |
//! | `signalcraft_ingest_rejected_total` | counter | `source`, `reason` (an error kind: `invalid_input`, `signature`, `unauthenticated`, `rate_limited`, `too_large`, …) |
//! | `signalcraft_ingest_duration_seconds` | histogram | – (one observation per `ingest` call or per batch) |
//! | `signalcraft_notifications_total` | counter | `kind` (channel kind), `status` (`sent`, `failed`, `retry`, `skipped`) |
//! | `signalcraft_delivery_duration_seconds` | histogram | `kind` (one observation per attempt that reached the network) |
//! | `signalcraft_escalations_fired_total` | counter | – |
//! | `signalcraft_store_commits_total` | counter | – (write transactions committed; a group commit counts once) |
//! | `signalcraft_grouped_writes_total` | counter | – (single-delivery writes committed by a group commit; over `store_commits`, how many deliveries share a commit) |
//! | `signalcraft_group_reruns_total` | counter | – (members of a group commit rolled back — another member failed, or the COMMIT did — run again alone) |
//! | `signalcraft_outbox_pending` | gauge | – (read from the store at scrape time) |
//! | `signalcraft_open_groups` | gauge | `severity` (unresolved groups, read from the store at scrape time) |
//!
//! Counters and histograms count what this engine (this process) did since it was opened, as
//! Prometheus expects of counters; the gauges describe the shared database, so every process
//! on one database file answers the same for them.

use crate::alert::Severity;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::time::Duration;

/// `source` and `outcome` of an ingested delivery.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IngestLabels {
    source: String,
    outcome: String,
}

/// `source` and `reason` of a refused delivery.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectLabels {
    source: String,
    reason: String,
}

/// `kind` and `status` of a notification attempt.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NotifyLabels {
    kind: String,
    status: String,
}

/// A channel kind.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// A severity.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeverityLabels {
    severity: String,
}

/// Ingest takes about a millisecond: buckets from 0.25 ms to about 8 s.
fn ingest_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_25, 2.0, 16))
}

/// Deliveries take tens of milliseconds to seconds: buckets from 5 ms to about 40 s.
fn delivery_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

/// The engine's metrics and the registry they are exposed from.
pub(crate) struct Metrics {
    registry: Registry,
    ingest: Family<IngestLabels, Counter>,
    rejected: Family<RejectLabels, Counter>,
    ingest_latency: Histogram,
    notifications: Family<NotifyLabels, Counter>,
    delivery_latency: Family<KindLabels, Histogram, fn() -> Histogram>,
    escalations: Counter,
    outbox_pending: Gauge,
    open_groups: Family<SeverityLabels, Gauge>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let ingest = Family::<IngestLabels, Counter>::default();
        registry.register(
            "signalcraft_ingest_deliveries",
            "Webhook deliveries ingested, by source and outcome",
            ingest.clone(),
        );
        let rejected = Family::<RejectLabels, Counter>::default();
        registry.register(
            "signalcraft_ingest_rejected",
            "Webhook deliveries refused, by source and reason (the error kind)",
            rejected.clone(),
        );
        let ingest_latency = ingest_histogram();
        registry.register(
            "signalcraft_ingest_duration_seconds",
            "Time to verify, parse, route and commit one ingest call (or one batch)",
            ingest_latency.clone(),
        );
        let notifications = Family::<NotifyLabels, Counter>::default();
        registry.register(
            "signalcraft_notifications",
            "Notification attempts, by channel kind and outcome",
            notifications.clone(),
        );
        let delivery_latency =
            Family::<KindLabels, Histogram, fn() -> Histogram>::new_with_constructor(
                delivery_histogram,
            );
        registry.register(
            "signalcraft_delivery_duration_seconds",
            "Time of one notification attempt that reached the network, by channel kind",
            delivery_latency.clone(),
        );
        let escalations = Counter::default();
        registry.register(
            "signalcraft_escalations_fired",
            "Escalation steps fired",
            escalations.clone(),
        );
        let outbox_pending = Gauge::default();
        registry.register(
            "signalcraft_outbox_pending",
            "Notifications waiting in the outbox (every workspace of the database)",
            outbox_pending.clone(),
        );
        let open_groups = Family::<SeverityLabels, Gauge>::default();
        registry.register(
            "signalcraft_open_groups",
            "Unresolved alert groups by severity (every workspace of the database)",
            open_groups.clone(),
        );
        Self {
            registry,
            ingest,
            rejected,
            ingest_latency,
            notifications,
            delivery_latency,
            escalations,
            outbox_pending,
            open_groups,
        }
    }
}

impl Metrics {
    /// The metrics, with the store's commit counters registered beside the engine's own.
    pub(crate) fn new(store: &crate::store::StoreCounters) -> Self {
        let mut m = Self::default();
        m.registry.register(
            "signalcraft_store_commits",
            "Write transactions this engine committed (a group commit counts once)",
            store.commits.clone(),
        );
        m.registry.register(
            "signalcraft_grouped_writes",
            "Single-delivery writes committed through a group commit (one per delivery)",
            store.grouped.clone(),
        );
        m.registry.register(
            "signalcraft_group_reruns",
            "Members of a group commit rolled back (another member or the commit failed), run again alone",
            store.reruns.clone(),
        );
        m
    }

    /// One ingested delivery of `source` with `outcome` (`accepted`, `duplicate`, `ignored`).
    pub(crate) fn ingested(&self, source: &str, outcome: &str) {
        self.ingest
            .get_or_create(&IngestLabels {
                source: source.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// One delivery of `source` refused for `reason` (an error kind such as `signature`,
    /// `unauthenticated`, `rate_limited`, `too_large`): counted both as rejected by reason and as
    /// an ingest with outcome `rejected`. Entry points that refuse a delivery before ingest
    /// runs (authentication, rate limits) call this; ingest itself calls it for its errors.
    pub(crate) fn rejected(&self, source: &str, reason: &str) {
        self.rejected
            .get_or_create(&RejectLabels {
                source: source.to_string(),
                reason: reason.to_string(),
            })
            .inc();
        self.ingested(source, "rejected");
    }

    /// The time one ingest call (or batch) took.
    pub(crate) fn ingest_took(&self, took: Duration) {
        self.ingest_latency.observe(took.as_secs_f64());
    }

    /// One notification attempt on a channel of `kind` that ended as `status`, and how long it
    /// took when it reached the network.
    pub(crate) fn notified(&self, kind: &str, status: &str, took: Option<Duration>) {
        self.notifications
            .get_or_create(&NotifyLabels {
                kind: kind.to_string(),
                status: status.to_string(),
            })
            .inc();
        if let Some(t) = took {
            self.delivery_latency
                .get_or_create(&KindLabels {
                    kind: kind.to_string(),
                })
                .observe(t.as_secs_f64());
        }
    }

    /// `n` escalation steps fired.
    pub(crate) fn escalations_fired(&self, n: u64) {
        if n > 0 {
            self.escalations.inc_by(n);
        }
    }

    /// The text exposition, with the gauges set from the store's figures first.
    pub(crate) fn text(&self, outbox_pending: u64, open_groups: &[(Severity, u64)]) -> String {
        self.outbox_pending
            .set(i64::try_from(outbox_pending).unwrap_or(i64::MAX));
        for sev in &Severity::ALL {
            let n = open_groups
                .iter()
                .find(|(s, _)| s == sev)
                .map_or(0, |(_, n)| *n);
            self.open_groups
                .get_or_create(&SeverityLabels {
                    severity: sev.as_str().to_string(),
                })
                .set(i64::try_from(n).unwrap_or(i64::MAX));
        }
        let mut open_metrics = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut open_metrics, &self.registry);
        prometheus_text(&open_metrics)
    }
}

/// The crate's OpenMetrics text as the Prometheus text format 0.0.4 (what `promtool check
/// metrics` and Python's `prometheus_client` parser read): a counter's HELP and TYPE lines name
/// its `_total` samples, and the OpenMetrics-only `# UNIT` and `# EOF` lines go.
fn prometheus_text(open_metrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len());
    for line in open_metrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{prefix}{name}_total {tail}"))
        });
        match renamed {
            Some(l) => out.push_str(&l),
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_show_in_the_text() {
        let m = Metrics::default();
        m.ingested("sentry", "accepted");
        m.ingested("sentry", "accepted");
        m.rejected("sentry", "signature");
        m.notified("webhook", "sent", Some(Duration::from_millis(12)));
        m.escalations_fired(3);
        let text = m.text(7, &[(Severity::Critical, 2)]);
        for line in [
            "signalcraft_ingest_deliveries_total{source=\"sentry\",outcome=\"accepted\"} 2",
            "signalcraft_ingest_deliveries_total{source=\"sentry\",outcome=\"rejected\"} 1",
            "signalcraft_ingest_rejected_total{source=\"sentry\",reason=\"signature\"} 1",
            "signalcraft_notifications_total{kind=\"webhook\",status=\"sent\"} 1",
            "signalcraft_delivery_duration_seconds_count{kind=\"webhook\"} 1",
            "signalcraft_escalations_fired_total 3",
            "signalcraft_outbox_pending 7",
            "signalcraft_open_groups{severity=\"critical\"} 2",
            "signalcraft_open_groups{severity=\"debug\"} 0",
            "# TYPE signalcraft_ingest_duration_seconds histogram",
            "# TYPE signalcraft_ingest_deliveries_total counter",
            "# TYPE signalcraft_escalations_fired_total counter",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
        assert!(
            text.lines()
                .any(|l| l.starts_with("# HELP signalcraft_notifications_total "))
        );
        assert!(
            !text.contains("# EOF") && !text.contains("# UNIT"),
            "{text}"
        );
    }
}
