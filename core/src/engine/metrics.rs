//! The Prometheus text every host serves at `/metrics`.

use super::Engine;
use crate::Result;
use crate::alert::Severity;
use crate::store;

impl Engine {
    /// The engine's metrics in the Prometheus text format 0.0.4 (see [`crate::metrics`]): the
    /// counters and histograms of this engine, and the outbox depth and open groups by severity
    /// read from the store now. Serve it with the content type
    /// `text/plain; version=0.0.4; charset=utf-8`.
    pub fn metrics_text(&self) -> Result<String> {
        let (pending, open) = self.store.read(|tx| {
            let (pending, _) = store::outbox::pending(tx, None)?;
            let open = store::stats::open_groups_by_severity(tx)?;
            Ok((pending, open))
        })?;
        let open: Vec<(Severity, u64)> = open
            .into_iter()
            .filter_map(|(rank, n)| Severity::from_rank(rank).map(|s| (s, n)))
            .collect();
        Ok(self.metrics.text(pending, &open))
    }
}

impl Engine {
    /// Counts one ingest call: its outcome, or its error as a rejection by kind.
    pub(crate) fn count_ingest(
        &self,
        source: &str,
        r: &Result<crate::IngestOutcome>,
        started: std::time::Instant,
    ) {
        match r {
            Ok(o) => self.metrics.ingested(source, o.outcome.as_str()),
            Err(e) => self.metrics.rejected(source, e.kind().as_str()),
        }
        self.metrics.ingest_took(started.elapsed());
    }

    /// Counts a batch: each slot as one delivery; a batch that did not commit counts every
    /// delivery as rejected.
    pub(crate) fn count_batch(
        &self,
        deliveries: &[super::Delivery<'_>],
        r: &Result<Vec<Result<crate::IngestOutcome>>>,
        started: std::time::Instant,
    ) {
        match r {
            Ok(slots) => {
                for (d, slot) in deliveries.iter().zip(slots) {
                    match slot {
                        Ok(o) => self.metrics.ingested(d.source.as_str(), o.outcome.as_str()),
                        Err(e) => self.metrics.rejected(d.source.as_str(), e.kind().as_str()),
                    }
                }
            }
            Err(e) => {
                for d in deliveries {
                    self.metrics.rejected(d.source.as_str(), e.kind().as_str());
                }
            }
        }
        self.metrics.ingest_took(started.elapsed());
    }

    /// An `ingest_auto` delivery refused before its source was known.
    pub(crate) fn count_auto_error(&self, e: &crate::Error) {
        self.metrics.rejected("auto", e.kind().as_str());
    }
}
