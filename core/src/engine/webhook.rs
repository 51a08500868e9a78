//! The authenticated webhook: what a host calls for `POST /webhooks/{workspace}/{source}`.
//! Authentication (signature, else ingest key, else the workspace's explicit opt-out), the
//! workspace's rate limit, then the very path of [`Engine::ingest`]; every delivery, accepted
//! or refused, is counted for integration health.

use super::{Engine, Prepared};
use crate::accounts::{self, IngestKeyView, NewIngestKey, SecretUse};
use crate::alert::Source;
use crate::alert::WorkspaceId;
use crate::headers::Headers;
use crate::ingest::IngestOutcome;
use crate::store;
use crate::store::db::Conn;
use crate::webhook::{self, AuthFacts, DeliveryAuth};
use crate::workspace::Workspace;
use crate::{Error, ErrorKind, Result};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A source's integration as the integrations page shows it: settings, keys and health.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegrationStatus {
    /// The source.
    pub source: Source,
    /// Whether anything is set for it (a secret, options, a skew limit or a key).
    pub configured: bool,
    /// Whether a secret is set — and then enforced: a signature, or the credential the source
    /// carries (see [`crate::sources::SecretUse`]); sources that cannot check one refuse it.
    pub has_secret: bool,
    /// The timestamp skew limit, if set.
    pub max_skew_secs: Option<u64>,
    /// Source-specific options.
    pub options: serde_json::Value,
    /// The live ingest keys.
    pub keys: Vec<IngestKeyView>,
    /// Its webhook deliveries.
    pub health: IntegrationHealth,
}

/// How a source's webhook deliveries have gone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IntegrationHealth {
    /// The last delivery, accepted or not.
    pub last_delivery_at: Option<DateTime<Utc>>,
    /// The last accepted delivery.
    pub last_accepted_at: Option<DateTime<Utc>>,
    /// Deliveries accepted in the hours overlapping the last 24 h.
    pub accepted_24h: u64,
    /// Deliveries refused in those hours, by reason (`missing_key`, `invalid_key`, `signature`,
    /// `invalid_input`, `rate_limited`, `too_large`, …).
    pub rejected_24h: BTreeMap<String, u64>,
    /// The last refusal.
    pub last_error: Option<DeliveryError>,
}

/// A refused delivery, as health remembers the last one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryError {
    /// When.
    pub at: DateTime<Utc>,
    /// The error kind answered.
    pub kind: String,
    /// The reason counted (the kind, or a finer one such as `missing_key`).
    pub reason: String,
    /// The error message.
    pub message: String,
}

/// Characters of a key kept to tell keys apart in listings (`sck_` and four more).
const KEY_PREFIX_CHARS: usize = 8;

/// A refused delivery: the health reason and the error answered.
struct Refused {
    reason: &'static str,
    error: Error,
}

impl From<Error> for Refused {
    fn from(error: Error) -> Self {
        Refused {
            reason: error.kind().as_str(),
            error,
        }
    }
}

/// The key of `Authorization: Bearer KEY`, if the header is there.
fn bearer(headers: &Headers) -> Option<&str> {
    let v = headers.get("authorization")?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| rest.trim())
        .filter(|k| !k.is_empty())
}

impl Engine {
    /// Creates an ingest key for a workspace's source; the key is in the answer only. Several
    /// keys may be live at once (rotation: create the new one, move senders, revoke the old).
    pub fn create_ingest_key(&self, workspace: &str, source: Source) -> Result<NewIngestKey> {
        let key = accounts::new_secret(accounts::INGEST_KEY_PREFIX)?;
        let view = IngestKeyView {
            id: accounts::new_id("key_")?,
            prefix: key.chars().take(KEY_PREFIX_CHARS).collect(),
            created_at: self.now(),
            last_used_at: None,
        };
        self.write_in(workspace, |tx, ws| {
            store::accounts::insert_key(
                tx,
                &ws.id,
                source,
                &view,
                &accounts::secret_hash(SecretUse::IngestKey, &key),
            )?;
            Ok(NewIngestKey {
                id: view.id.clone(),
                key: key.clone(),
                source,
                created_at: view.created_at,
            })
        })
    }

    /// Revokes an ingest key of a workspace's source (`not_found` if it is not one).
    pub fn revoke_ingest_key(&self, workspace: &str, source: Source, id: &str) -> Result<()> {
        let now = self.now();
        self.write_in(workspace, |tx, ws| {
            if store::accounts::revoke_key(tx, &ws.id, source, id, now)? {
                Ok(())
            } else {
                Err(Error::not_found("ingest key", id))
            }
        })
    }

    /// The live ingest keys of a workspace's source (never the keys themselves).
    pub fn ingest_keys(&self, workspace: &str, source: Source) -> Result<Vec<IngestKeyView>> {
        self.read_in(workspace, |tx, ws| {
            store::accounts::keys(tx, &ws.id, source)
        })
    }

    /// Every source's integration in a workspace — settings, live keys and delivery health over
    /// the last 24 h — in the order of [`Source::ALL`]. Deliveries to `auto` that no source
    /// could be told for are counted under their own entry only in the store, not here.
    pub fn integrations(&self, workspace: &str) -> Result<Vec<IntegrationStatus>> {
        let since = self.now() - TimeDelta::hours(24);
        self.read_in(workspace, |tx, ws| {
            let names = store::workspaces::integration_names(tx, &ws.id)?;
            let mut health = store::webhooks::health(tx, &ws.id, since)?;
            Source::ALL
                .iter()
                .map(|&source| {
                    let c = store::workspaces::integration(tx, &ws.id, source)?;
                    let keys = store::accounts::keys(tx, &ws.id, source)?;
                    let h = health.remove(source.as_str()).unwrap_or_default();
                    let mut rejected = h.counts;
                    let accepted = rejected.remove("accepted").unwrap_or(0);
                    Ok(IntegrationStatus {
                        source,
                        configured: names.iter().any(|n| n == source.as_str()) || !keys.is_empty(),
                        has_secret: c.secret.is_some(),
                        max_skew_secs: c.max_skew_secs,
                        options: c.options,
                        keys,
                        health: IntegrationHealth {
                            last_delivery_at: h.last_delivery_at,
                            last_accepted_at: h.last_accepted_at,
                            accepted_24h: accepted,
                            rejected_24h: rejected,
                            last_error: h.last_error.map(|e| DeliveryError {
                                at: e.at,
                                kind: e.kind,
                                reason: e.reason,
                                message: e.message,
                            }),
                        },
                    })
                })
                .collect()
        })
    }

    /// Ingests one webhook delivery from the outside world, accepted only when authenticated:
    /// by the source's signature when its integration has a secret; otherwise by a live ingest
    /// key of the (workspace, source) — `key` (the `?key=` query value) or
    /// `Authorization: Bearer` — compared on hashes in constant time; otherwise only when the
    /// workspace allows unauthenticated ingest. `source` `None` is `auto`: the source is picked
    /// as [`Engine::ingest_auto`] does and authenticates as that source's integration, and
    /// whenever any integration of the workspace has a secret or a key, a delivery `auto` reads
    /// as a source with neither is refused as a `signature` error (the shape of a body never
    /// decides that a protected workspace takes unauthenticated data).
    ///
    /// A signed delivery whose signed message was already received within the workspace's
    /// `replay` window is answered `duplicate` and stores nothing (see
    /// [`crate::sources::SecretUse`] for what each source's secret covers).
    ///
    /// Then the workspace's token bucket (`ingest_rate_limit`): over it, `rate_limited` with
    /// `retry_after_secs`. Then exactly [`Engine::ingest`]. A refused delivery stores nothing
    /// but a counter and the last error for [`Engine::integrations`] (in a transaction of its
    /// own); an accepted one is counted in its ingest transaction.
    pub fn webhook(
        &self,
        workspace: &str,
        source: Option<Source>,
        headers: &Headers,
        body: &[u8],
        key: Option<&str>,
    ) -> Result<IngestOutcome> {
        let now = self.now();
        let started = std::time::Instant::now();
        let mut label = source.map_or("auto", Source::as_str);
        let mut ws_id = None;
        let result = self.webhook_checked(
            workspace, source, headers, body, key, now, &mut label, &mut ws_id,
        );
        self.metrics.ingest_took(started.elapsed());
        let refused = match result {
            Ok(outcome) => {
                self.metrics.ingested(label, outcome.outcome.as_str());
                return Ok(outcome);
            }
            Err(r) => r,
        };
        let Refused { reason, error } = refused;
        self.metrics.rejected(label, reason);
        // Refused before the workspace was read (too large, no source told): look it up now. A
        // workspace that does not exist has nothing to record.
        let ws_id = match ws_id {
            Some(id) => Some(id),
            None if error.kind() == ErrorKind::NotFound => None,
            None => self.workspace(workspace).ok().map(|w| w.id),
        };
        if let Some(id) = ws_id {
            // The delivery's own error is the answer; failing to count it must not hide it.
            let _ = self
                .store
                .write(|tx| store::webhooks::record_refusal(tx, &id, label, reason, &error, now));
        }
        Err(error)
    }

    #[allow(clippy::too_many_arguments)]
    fn webhook_checked(
        &self,
        workspace: &str,
        source: Option<Source>,
        headers: &Headers,
        body: &[u8],
        key: Option<&str>,
        now: DateTime<Utc>,
        label: &mut &'static str,
        ws_id: &mut Option<WorkspaceId>,
    ) -> std::result::Result<IngestOutcome, Refused> {
        self.check_size(body)?;
        // announced to the group commit while it authenticates and parses
        let arrival = self.store.arriving();
        let (source, why) = match source {
            Some(s) => (s, None),
            None => {
                let (s, why) = self.detect_source(workspace, headers, body)?;
                *label = s.as_str();
                (s, Some(why))
            }
        };
        let presented = key
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .or_else(|| bearer(headers));
        let auto = why.is_some();
        // One read for everything authentication needs.
        let (loaded, facts) = self.store.read(|tx| {
            let (ws, version) = self.resolve_config(tx, workspace)?;
            *ws_id = Some(ws.id.clone());
            let loaded = self.load_at(tx, &ws, version, source)?;
            let facts = if loaded.config.secret.is_some() {
                // the signature decides; keys and the setting do not matter
                KeyFacts::default()
            } else {
                key_facts(tx, &loaded.ws, source, presented, auto)?
            };
            Ok((loaded, facts))
        })?;
        let auth = webhook::authenticate(&AuthFacts {
            has_secret: loaded.config.secret.is_some(),
            key_presented: presented.is_some(),
            key_matched: facts.matched.as_deref(),
            has_keys: facts.has_keys,
            allow_unauthenticated: loaded.settings.allow_unauthenticated_ingest,
            auto_and_workspace_protected: facts.protected,
        })
        .map_err(|r| Refused {
            reason: r.reason,
            error: r.error,
        })?;
        let mut prepared = self.prepare(&loaded, source, headers, body, now)?;
        if auth == DeliveryAuth::Open {
            prepared.unauthenticated();
        }
        let limit = loaded.settings.ingest_rate_limit;
        let ws = &loaded.ws.id;
        // one delivery: group-committed with concurrent callers' (see `Store::write_grouped`)
        let mut outcome = arrival.write_grouped(|tx| {
            let bucket = webhook::take(store::webhooks::bucket(tx, ws)?, limit, now)?;
            store::webhooks::save_bucket(tx, ws, &bucket)?;
            let out = match &prepared {
                Prepared::Ignored(o) => o.clone(),
                Prepared::Ready(r) => self.commit_ready(tx, r, None, false)?,
            };
            if let DeliveryAuth::Key(id) = &auth {
                let stale = now - super::accounts::LAST_USED_PRECISION;
                store::accounts::touch_key(tx, id, now, stale)?;
            }
            store::webhooks::count_delivery(tx, ws, source.as_str(), "accepted", now)?;
            Ok(out)
        })?;
        if let Some(why) = why {
            outcome.notes.insert(0, format!("auto: {source} ({why})"));
        }
        Ok(outcome)
    }
}

/// What the store says about a delivery's key.
#[derive(Debug, Default)]
struct KeyFacts {
    /// The id of the live key the presented one matched.
    matched: Option<String>,
    /// The source has a live key.
    has_keys: bool,
    /// `auto`, and some integration of the workspace has a secret or a key.
    protected: bool,
}

fn key_facts(
    tx: &Conn,
    ws: &Workspace,
    source: Source,
    presented: Option<&str>,
    auto: bool,
) -> Result<KeyFacts> {
    let matched = match presented {
        Some(k) => {
            let hash = accounts::secret_hash(SecretUse::IngestKey, k);
            store::accounts::key_by_hash(tx, &ws.id, source, &hash)?
                .filter(|(_, stored)| accounts::hashes_equal(stored, &hash))
                .map(|(id, _)| id)
        }
        None => None,
    };
    let has_keys = matched.is_some() || store::accounts::has_keys(tx, &ws.id, source)?;
    let protected = auto && store::accounts::workspace_protected(tx, &ws.id)?;
    Ok(KeyFacts {
        matched,
        has_keys,
        protected,
    })
}
