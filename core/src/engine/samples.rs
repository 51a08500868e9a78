//! "Send a test alert": each source's built-in sample through the real ingest path.

use super::Engine;
use crate::alert::Source;
use crate::ingest::IngestOutcome;
use crate::sources::samples::{self, Sample};
use crate::{Error, Result};

impl Engine {
    /// The built-in sample delivery of a source (see [`crate::sources::samples`]): a real
    /// payload from the project's fixtures with its sender's headers.
    pub fn sample_payload(&self, source: Source) -> Result<Sample> {
        samples::sample(source)
    }

    /// Ingests the source's built-in sample into a workspace through the real path of
    /// [`Engine::ingest`] — signature check, parsing, dedup, routing and the outbox — with fresh
    /// ids (so each test is a new event) and, when the integration has a secret, signed with it
    /// as the sender would. The outcome's first note says it was a test.
    pub fn test_integration(&self, workspace: &str, source: Source) -> Result<IngestOutcome> {
        let sample = samples::sample(source)?;
        let now = self.now();
        let id = hex::encode(crate::accounts::random_bytes::<16>()?);
        let sample = samples::fresh(source, &sample, &id, now)?;
        let loaded = self.load(workspace, source)?;
        let (sample, signed): (Sample, bool) = match loaded.config.secret.as_deref() {
            Some(secret) => (
                samples::sign(source, &sample, secret, &loaded.config.options, now),
                true,
            ),
            None => (sample, false),
        };
        let mut out = self
            .ingest(workspace, source, &sample.headers(), sample.body.as_bytes())
            .map_err(|e| match e {
                Error::Signature(m) => Error::Signature(format!(
                    "{m} (the {source} integration's signature options do not match its sender's scheme)"
                )),
                other => other,
            })?;
        out.notes.insert(
            0,
            format!(
                "test: the built-in {source} sample{}",
                if signed {
                    ", signed with the integration's secret"
                } else {
                    ""
                }
            ),
        );
        Ok(out)
    }
}
