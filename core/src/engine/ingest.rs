//! Ingest: a delivery verified, parsed, deduplicated, routed and stored in one transaction.

use super::*;

impl Engine {
    /// Verifies, parses, deduplicates and stores one webhook delivery, in one transaction.
    /// Returns only after the commit; on error nothing is stored.
    pub fn ingest(
        &self,
        workspace: &str,
        source: Source,
        headers: &Headers,
        body: &[u8],
    ) -> Result<IngestOutcome> {
        let started = std::time::Instant::now();
        let r = self.ingest_with(workspace, source, headers, body, None, false);
        self.count_ingest(source.as_str(), &r, started);
        r
    }

    /// Ingests many deliveries to one workspace in ONE transaction: one commit (and one
    /// fsync-free WAL append) for the lot, which is what makes high rates durable.
    ///
    /// Each delivery goes through exactly the code path of [`Engine::ingest`] and gets its own
    /// slot in the answer, in order: its outcome, or its error. Each delivery is all or nothing:
    /// it runs inside its own SAVEPOINT, so one that fails (bad input, a bad signature, a failed
    /// write) is rolled back to that savepoint, stores nothing, and does not stop the others.
    /// Deliveries see what earlier ones in the batch wrote (a repeated delivery or event id is a
    /// `duplicate`, an event joins a group opened earlier in the batch). Every delivery is
    /// received at the same `now`.
    ///
    /// A batch over the workspace's `ingest_limits` (`batch_deliveries` deliveries or
    /// `batch_bytes` body bytes in all) is refused whole, `invalid_input` at `deliveries`, before
    /// anything is parsed or stored.
    ///
    /// The outer `Err` means the batch as a whole did not commit (the database failed, or SQLite
    /// rolled the transaction back after a full disk or I/O error): then nothing of the batch is
    /// stored, whatever the slots would have said. The slots' `Ok` outcomes are durable once
    /// this returns `Ok`.
    pub fn ingest_batch(
        &self,
        workspace: &str,
        deliveries: &[Delivery<'_>],
    ) -> Result<Vec<Result<IngestOutcome>>> {
        let started = std::time::Instant::now();
        let r = self.ingest_batch_inner(workspace, deliveries);
        self.count_batch(deliveries, &r, started);
        r
    }

    fn ingest_batch_inner(
        &self,
        workspace: &str,
        deliveries: &[Delivery<'_>],
    ) -> Result<Vec<Result<IngestOutcome>>> {
        // An unknown workspace fails each slot below, as before; its limits are the defaults.
        let cached = deliveries
            .first()
            .and_then(|d| self.load(workspace, d.source).ok());
        let limits = match cached {
            Some(l) => l.settings.ingest_limits,
            None => match self.settings(workspace) {
                Ok(s) => s.ingest_limits,
                Err(e) if e.kind() == crate::ErrorKind::NotFound => Default::default(),
                Err(e) => return Err(e),
            },
        };
        if deliveries.len() as u64 > u64::from(limits.batch_deliveries) {
            return Err(Error::invalid(
                "deliveries",
                format!(
                    "{} deliveries in one batch is over the workspace's limit of {} (settings.ingest_limits.batch_deliveries)",
                    deliveries.len(),
                    limits.batch_deliveries
                ),
            ));
        }
        let bytes: u64 = deliveries.iter().map(|d| d.body.len() as u64).sum();
        if bytes > limits.batch_bytes {
            return Err(Error::invalid(
                "deliveries",
                format!(
                    "{bytes} body bytes in one batch is over the workspace's limit of {} (settings.ingest_limits.batch_bytes)",
                    limits.batch_bytes
                ),
            ));
        }
        let now = self.now();
        let mut loaded: Vec<(Source, Arc<Loaded>)> = Vec::new();
        let mut prepared = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            if let Err(e) = self.check_size(d.body) {
                prepared.push(Err(e));
                continue;
            }
            let cached = loaded
                .iter()
                .find(|(s, _)| *s == d.source)
                .map(|(_, l)| l.clone());
            let l = match cached {
                Some(l) => Ok(l),
                None => self.load(workspace, d.source).inspect(|l| {
                    loaded.push((d.source, l.clone()));
                }),
            };
            prepared.push(l.and_then(|l| self.prepare(&l, d.source, d.headers, d.body, now)));
        }
        // Fast path: the whole batch in one transaction without per-delivery savepoints (a
        // savepoint journals every page it touches). Parsing and validation already happened
        // above, so a write fails only on a storage error; if one does, the transaction is rolled
        // back and the batch runs again with a savepoint per delivery, so that the failing
        // delivery alone is dropped (or, if SQLite rolled everything back, the batch fails).
        let mut write_failed = false;
        let fast = self.store.write(|tx| {
            let mut done = Vec::with_capacity(prepared.len());
            for p in &prepared {
                if let Ok(Prepared::Ready(r)) = p {
                    match self.commit_ready(tx, r, None, false) {
                        Ok(o) => done.push(o),
                        Err(e) => {
                            write_failed = true;
                            return Err(e);
                        }
                    }
                }
            }
            Ok(done)
        });
        let committed: Vec<Result<IngestOutcome>> = match fast {
            Ok(done) => done.into_iter().map(Ok).collect(),
            Err(e) if !write_failed => return Err(e),
            Err(_) => self.store.write(|tx| {
                let mut out = Vec::with_capacity(prepared.len());
                for p in &prepared {
                    let Ok(Prepared::Ready(r)) = p else { continue };
                    savepoint(tx, "SAVEPOINT delivery", "starting a delivery's savepoint")?;
                    match self.commit_ready(tx, r, None, false) {
                        Ok(o) => {
                            savepoint(tx, "RELEASE delivery", "releasing a delivery's savepoint")?;
                            out.push(Ok(o));
                        }
                        Err(e) => {
                            if tx.is_autocommit() {
                                // SQLite rolled the whole transaction back (full disk, I/O
                                // error): nothing of the batch is stored.
                                return Err(e);
                            }
                            let undo = "rolling back a delivery's savepoint";
                            savepoint(tx, "ROLLBACK TO delivery", undo)?;
                            savepoint(tx, "RELEASE delivery", undo)?;
                            out.push(Err(e));
                        }
                    }
                }
                Ok(out)
            })?,
        };
        let mut committed = committed.into_iter();
        let mut out = Vec::with_capacity(prepared.len());
        for p in prepared {
            out.push(match p {
                Ok(Prepared::Ready(_)) => committed
                    .next()
                    .unwrap_or_else(|| Err(Error::Internal("a batch slot has no outcome".into()))),
                Ok(Prepared::Ignored(o)) => Ok(o),
                Err(e) => Err(e),
            });
        }
        Ok(out)
    }

    pub(super) fn ingest_with(
        &self,
        workspace: &str,
        source: Source,
        headers: &Headers,
        body: &[u8],
        rules: Option<&RuleSet>,
        dry: bool,
    ) -> Result<IngestOutcome> {
        self.check_size(body)?;
        // announced to the group commit while it parses: an open group waits for it
        let arrival = (!dry).then(|| self.store.arriving());
        let now = self.now();
        let mut loaded = self.load(workspace, source)?;
        if dry {
            Arc::make_mut(&mut loaded).config.secret = None;
        }
        let ready = match self.prepare(&loaded, source, headers, body, now)? {
            Prepared::Ignored(outcome) => return Ok(outcome),
            Prepared::Ready(r) => r,
        };
        // A dry run answers "why" at once: its trace is worded in full.
        let run = |tx: &Conn| self.commit_ready(tx, &ready, rules, dry);
        match arrival {
            // one delivery: group-committed with concurrent callers' (see `Store::write_grouped`)
            Some(arrival) => arrival.write_grouped(run),
            None => self.store.write_rollback(run),
        }
    }

    /// Refuses a body over the size limit (before anything is read or parsed).
    pub(super) fn check_size(&self, body: &[u8]) -> Result<()> {
        if body.len() > self.max_body_bytes {
            return Err(Error::TooLarge(format!(
                "body: {} bytes is over the limit of {} bytes",
                body.len(),
                self.max_body_bytes
            )));
        }
        Ok(())
    }

    /// What ingest reads before parsing: the workspace, the source's settings, the dedup policy,
    /// the opened secret and the compiled options. Kept per workspace configuration version
    /// ([`LoadCache`]): a delivery whose workspace is unchanged costs one indexed lookup.
    pub(super) fn load(&self, workspace: &str, source: Source) -> Result<Arc<Loaded>> {
        self.store.read(|tx| {
            let (ws, version) = self.resolve_config(tx, workspace)?;
            self.load_at(tx, &ws, version, source)
        })
    }

    /// The workspace `reference` (an id or a name) names, with its configuration version, in a
    /// READ transaction: once the reference is known (ids and names never change), one
    /// primary-key lookup of the version.
    pub(super) fn resolve_config(
        &self,
        tx: &Conn,
        reference: &str,
    ) -> Result<(Arc<Workspace>, i64)> {
        if let Some(ws) = self.load_cache.workspace(reference)
            && let Some(version) = store::workspaces::config_version(tx, &ws.id)?
        {
            return Ok((ws, version));
        }
        let (ws, version) = store::workspaces::resolve_versioned(tx, reference)?;
        Ok((self.load_cache.remember(reference, ws), version))
    }

    /// [`Engine::load`] of a workspace already resolved at `version`, inside a READ transaction
    /// (what it caches must be committed: a write transaction could still roll back).
    pub(super) fn load_at(
        &self,
        tx: &Conn,
        ws: &Workspace,
        version: i64,
        source: Source,
    ) -> Result<Arc<Loaded>> {
        if let Some(l) = self.load_cache.get(&ws.id, version, source) {
            return Ok(l);
        }
        let (config, settings) = load_rows(tx, ws, source)?;
        let loaded = Arc::new(self.loaded(ws.clone(), source, config, settings)?);
        self.load_cache.put(version, source, &loaded);
        Ok(loaded)
    }

    /// What [`Engine::load`] makes of the rows it read: the secret opened, the source's dedup
    /// policy applied.
    pub(super) fn loaded(
        &self,
        ws: Workspace,
        source: Source,
        mut config: IntegrationConfig,
        mut settings: WorkspaceSettings,
    ) -> Result<Loaded> {
        let opened = match config.secret.as_deref() {
            Some(s) if crate::secrets::is_sealed(s) => Some(self.secret_box()?.open(s)?),
            _ => None,
        };
        if opened.is_some() {
            config.secret = opened;
        }
        let options = sources::CompiledOptions::load(source, &config.options);
        settings.dedup = sources::dedup_policy(source, &options, settings.dedup);
        Ok(Loaded {
            ws,
            config,
            options,
            settings: Arc::new(settings),
        })
    }

    /// Verifies and parses one delivery (pure: nothing is written).
    pub(super) fn prepare<'b>(
        &self,
        loaded: &Loaded,
        source: Source,
        headers: &Headers,
        body: &'b [u8],
        now: DateTime<Utc>,
    ) -> Result<Prepared<'b>> {
        let parsed = sources::parse(
            source,
            &SourceInput {
                workspace: &loaded.ws.id,
                config: &loaded.config,
                options: &loaded.options,
                headers,
                body,
                now,
            },
        )?;
        let (delivery_id, alerts, notes, mut alert_notes, signed) = match parsed {
            Parsed::Ignored { reason } => {
                return Ok(Prepared::Ignored(IngestOutcome {
                    outcome: Outcome::Ignored,
                    reason: Some(reason),
                    source,
                    alerts: Vec::new(),
                    notes: Vec::new(),
                }));
            }
            Parsed::Alerts {
                delivery_id,
                alerts,
                notes,
                alert_notes,
                signed,
            } => (delivery_id, alerts, notes, alert_notes, signed),
        };
        let cap = loaded.settings.ingest_limits.alerts_per_delivery;
        if alerts.len() as u64 > u64::from(cap) {
            return Err(Error::invalid(
                "alerts",
                format!(
                    "{} alerts in one delivery is over the workspace's limit of {cap} (settings.ingest_limits.alerts_per_delivery)",
                    alerts.len()
                ),
            ));
        }
        if alerts.len() == 1 && alert_notes.is_empty() && !notes.is_empty() {
            // one alert: the delivery's notes are its own
            alert_notes.insert(0, notes.clone());
        }
        let replay = signed.map(|digest| Replay {
            digest,
            keep_secs: loaded
                .settings
                .replay
                .keep_secs(loaded.config.max_skew_secs),
        });
        Ok(Prepared::Ready(Box::new(Ready {
            ws: loaded.ws.id.clone(),
            settings: Arc::clone(&loaded.settings),
            source,
            now,
            delivery_id,
            alerts,
            notes,
            alert_notes,
            replay,
            headers: redacted_headers(&loaded.options, headers)?,
            body: sources::redact_body(source, body),
            broadcast: true,
        })))
    }

    /// Writes one parsed delivery inside `tx`.
    pub(super) fn commit_ready(
        &self,
        tx: &Conn,
        r: &Ready<'_>,
        rules: Option<&RuleSet>,
        word: bool,
    ) -> Result<IngestOutcome> {
        let routing = self.routing_for(tx, &r.ws, &r.settings)?;
        let ctx = IngestCtx {
            tx,
            ws: &r.ws,
            settings: &r.settings,
            routing: routing.context(rules),
            rule_set: if rules.is_some() {
                None
            } else {
                routing.rule_set
            },
            word: word || rules.is_some(),
            source: r.source,
            now: r.now,
            notes: &r.notes,
            broadcast: r.broadcast,
            alert_notes: &r.alert_notes,
        };
        ctx.run(r, &r.headers, &r.body)
    }

    /// Like [`Engine::ingest`], with the source picked from the headers and body by
    /// [`sources::detect`]; when nothing matches and the workspace has a `generic` mapping, the
    /// generic source. The outcome's `source` says which, and its first note says why.
    /// Unrecognized payloads are `invalid_input` and nothing is stored.
    pub fn ingest_auto(
        &self,
        workspace: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<IngestOutcome> {
        if body.len() > self.max_body_bytes {
            // Same answer as `ingest`, before spending time parsing the body.
            return self.ingest(workspace, Source::Generic, headers, body);
        }
        let (source, why) = self
            .detect_source(workspace, headers, body)
            .inspect_err(|e| self.count_auto_error(e))?;
        let mut out = self.ingest(workspace, source, headers, body)?;
        out.notes.insert(0, format!("auto: {source} ({why})"));
        Ok(out)
    }

    /// The source `auto` picks for a delivery, and why: [`sources::detect`], else the generic
    /// source when the workspace has a generic mapping, else `invalid_input`.
    pub(super) fn detect_source(
        &self,
        workspace: &str,
        headers: &Headers,
        body: &[u8],
    ) -> Result<(Source, String)> {
        let doc = crate::json::parse_body(body)?;
        Ok(match sources::detect(headers, &doc) {
            Some(found) => found,
            None => {
                let generic = self.load(workspace, Source::Generic)?;
                if generic.config.options.is_null() {
                    return Err(Error::invalid(
                        "$",
                        "auto: cannot tell the source from the headers or the body shape (known: sentry, alertmanager, grafana, datadog, pagerduty, opsgenie; set a generic mapping for anything else)",
                    ));
                }
                (
                    Source::Generic,
                    "no known shape; the workspace has a generic mapping".to_string(),
                )
            }
        })
    }
}

/// Runs a savepoint statement (cached: a batch runs two per delivery).
pub(super) fn savepoint(tx: &Conn, sql: &str, what: &'static str) -> Result<()> {
    tx.prepare_cached(sql)
        .and_then(|mut s| s.execute(crate::store::db::params![]))
        .map(|_| ())
        .map_err(Error::storage(what))
}

/// The headers as stored: credentials redacted (see [`sources::redact`]).
pub(super) fn redacted_headers(
    options: &sources::CompiledOptions,
    headers: &Headers,
) -> Result<String> {
    let pairs: Vec<(&str, std::borrow::Cow<'_, str>)> = headers
        .iter()
        .map(|(n, v)| {
            if options.is_credential_header(n) {
                (n, std::borrow::Cow::Borrowed(sources::redact::REDACTED))
            } else {
                (n, sources::redact::redact_header_value(v))
            }
        })
        .collect();
    to_json(&pairs)
}

/// What a notification queued by ingest carries (the outbox row's payload): the group, the
/// alert, the decision and the route's mentions; `"broadcast": false` when the delivery may not
/// ping broadly.
#[derive(serde::Serialize)]
struct NotificationPayload<'a> {
    alert: &'a NormalizedAlert,
    #[serde(skip_serializing_if = "Option::is_none")]
    broadcast: Option<bool>,
    decision: IngestDecision,
    group: &'a AlertGroup,
    mention: &'a [String],
}

/// One ingest's state inside its transaction.
pub(super) struct IngestCtx<'a> {
    tx: &'a Conn,
    ws: &'a WorkspaceId,
    settings: &'a WorkspaceSettings,
    routing: RoutingContext<'a>,
    /// The routing rules' row in the rule history (`None` for rules given to a dry run).
    rule_set: Option<i64>,
    /// Word the routing trace now (dry runs) instead of storing it compactly.
    word: bool,
    source: Source,
    now: DateTime<Utc>,
    /// The delivery's notes (the outcome's).
    notes: &'a [String],
    /// Each alert's own notes (its event's trace).
    alert_notes: &'a BTreeMap<usize, Vec<String>>,
    /// See [`Ready::broadcast`].
    broadcast: bool,
}

/// One webhook delivery of an [`Engine::ingest_batch`]: what [`Engine::ingest`] takes.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    /// Which source sent it.
    pub source: Source,
    /// The request headers.
    pub headers: &'a Headers,
    /// The raw body, unchanged.
    pub body: &'a [u8],
}

/// What ingest read about a workspace and source before parsing.
#[derive(Debug, Clone)]
pub(super) struct Loaded {
    pub(super) ws: Workspace,
    pub(super) config: IntegrationConfig,
    /// The integration's options, compiled.
    pub(super) options: sources::CompiledOptions,
    pub(super) settings: Arc<WorkspaceSettings>,
}

/// What [`Engine::load`] read and compiled, per workspace and source, with the workspace's
/// configuration version it was read at (`workspaces.config_version`, bumped by a trigger on
/// every write to the workspace's settings or integrations). A delivery uses an entry only when
/// the version it reads now is the same, so a change committed by this engine, another engine
/// on the file or another process is seen at the next delivery; a rolled-back write never
/// reaches the cache (only read transactions fill it, and they see committed data only).
#[derive(Debug, Default)]
pub(super) struct LoadCache {
    workspaces: Mutex<HashMap<String, LoadEntry>>,
    /// The workspace each reference (id or name) a caller used names; only references that
    /// resolved are kept (at most two per workspace).
    refs: Mutex<HashMap<String, Arc<Workspace>>>,
}

/// One workspace's loaded integrations, at one version.
#[derive(Debug)]
struct LoadEntry {
    version: i64,
    sources: Vec<(Source, Arc<Loaded>)>,
}

impl LoadCache {
    fn workspace(&self, reference: &str) -> Option<Arc<Workspace>> {
        let refs = self.refs.lock().unwrap_or_else(|p| p.into_inner());
        refs.get(reference).cloned()
    }

    fn remember(&self, reference: &str, ws: Workspace) -> Arc<Workspace> {
        let ws = Arc::new(ws);
        let mut refs = self.refs.lock().unwrap_or_else(|p| p.into_inner());
        refs.insert(reference.to_string(), Arc::clone(&ws));
        ws
    }

    fn get(&self, ws: &WorkspaceId, version: i64, source: Source) -> Option<Arc<Loaded>> {
        let map = self.workspaces.lock().unwrap_or_else(|p| p.into_inner());
        let e = map.get(ws.as_str()).filter(|e| e.version == version)?;
        e.sources
            .iter()
            .find(|(s, _)| *s == source)
            .map(|(_, l)| Arc::clone(l))
    }

    fn put(&self, version: i64, source: Source, loaded: &Arc<Loaded>) {
        let mut map = self.workspaces.lock().unwrap_or_else(|p| p.into_inner());
        let e = map
            .entry(loaded.ws.id.0.clone())
            .or_insert_with(|| LoadEntry {
                version,
                sources: Vec::new(),
            });
        if e.version != version {
            if e.version > version {
                // a slower reader's older snapshot: keep the newer entry
                return;
            }
            e.version = version;
            e.sources.clear();
        }
        e.sources.retain(|(s, _)| *s != source);
        e.sources.push((source, Arc::clone(loaded)));
    }
}

/// A delivery parsed and ready to be written.
pub(super) enum Prepared<'b> {
    Ignored(IngestOutcome),
    Ready(Box<Ready<'b>>),
}

/// A parsed delivery: everything the write needs.
pub(super) struct Ready<'b> {
    pub(super) ws: WorkspaceId,
    pub(super) settings: Arc<WorkspaceSettings>,
    pub(super) source: Source,
    pub(super) now: DateTime<Utc>,
    pub(super) delivery_id: Option<String>,
    pub(super) alerts: Vec<NormalizedAlert>,
    pub(super) notes: Vec<String>,
    pub(super) alert_notes: BTreeMap<usize, Vec<String>>,
    /// A verified signed message, to refuse its replay.
    pub(super) replay: Option<Replay>,
    pub(super) headers: String,
    /// The body as stored: known secrets redacted.
    pub(super) body: std::borrow::Cow<'b, [u8]>,
    /// Its notifications may ping broadly (`@here`): false for an unauthenticated delivery,
    /// unless the workspace allows it.
    pub(super) broadcast: bool,
}

impl Prepared<'_> {
    /// Marks a delivery accepted without a signature or a key: its notifications ping nobody
    /// broadly unless the workspace's `notifications.allow_unauthenticated_mentions` says so.
    pub(super) fn unauthenticated(&mut self) {
        if let Prepared::Ready(r) = self {
            r.broadcast = r.settings.notifications.allow_unauthenticated_mentions;
        }
    }
}

/// A verified signed message of a delivery.
pub(super) struct Replay {
    pub(super) digest: [u8; 32],
    /// How long its digest is kept.
    pub(super) keep_secs: u64,
}

/// What one alert did to one group, before it is written as an event.
pub(super) struct Applied {
    decision: IngestDecision,
    /// The group's status before this event (none for a new group).
    from: Option<GroupStatus>,
    group: Option<AlertGroup>,
    dedup: DedupOutcome,
}

impl IngestCtx<'_> {
    fn actor(&self) -> String {
        format!("source:{}", self.source)
    }

    fn run(&self, r: &Ready<'_>, headers: &str, body: &[u8]) -> Result<IngestOutcome> {
        let delivery_id = r.delivery_id.as_deref();
        let alerts = &r.alerts;
        let mut outcome = IngestOutcome {
            outcome: Outcome::Accepted,
            reason: None,
            source: self.source,
            alerts: Vec::new(),
            notes: self.notes.to_vec(),
        };
        if let Some(id) = delivery_id
            && let Some(at) = store::events::delivery_seen(self.tx, self.ws, self.source, id)?
        {
            outcome.outcome = Outcome::Duplicate;
            outcome.reason = Some(format!(
                "delivery {id:?} was already ingested at {}",
                at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
            ));
            return Ok(outcome);
        }
        // A dry run (the only caller that words its trace) neither checks nor remembers: it
        // stores nothing and may test a body already received.
        if let Some(replay) = r.replay.as_ref().filter(|_| !self.word) {
            if let Some(at) =
                store::events::signed_seen(self.tx, self.ws, self.source, &replay.digest, self.now)?
            {
                outcome.outcome = Outcome::Duplicate;
                outcome.reason = Some(format!(
                    "this signed body was already received at {} (a replay is answered as a duplicate, whatever its delivery id)",
                    at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
                ));
                return Ok(outcome);
            }
            let keep = chrono::TimeDelta::seconds(replay.keep_secs.min(i64::MAX as u64) as i64);
            store::events::remember_signed(
                self.tx,
                self.ws,
                self.source,
                &replay.digest,
                self.now,
                self.now + keep,
            )?;
        }
        let mut fresh = Vec::with_capacity(alerts.len());
        let mut seen_here: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (index, alert) in alerts.iter().enumerate() {
            if let Some(eid) = &alert.source_event_id {
                if seen_here.contains(eid.as_str())
                    || store::events::source_event_seen(self.tx, self.ws, self.source, eid)?
                {
                    outcome.alerts.push(IngestedAlert {
                        group_id: None,
                        event_id: None,
                        decision: IngestDecision::Duplicate,
                        status: None,
                        count: 0,
                        severity: alert.severity,
                        fingerprint: alert.fingerprint.clone(),
                        title: alert.title.clone(),
                        route: None,
                        trace: json!({"idempotency": format!("event id {eid:?} was already ingested")}),
                    });
                    continue;
                }
                seen_here.insert(eid);
            }
            fresh.push((index, alert));
        }
        if fresh.is_empty() {
            outcome.outcome = Outcome::Duplicate;
            outcome.reason = Some(if outcome.alerts.is_empty() {
                "the delivery holds no alerts".into()
            } else {
                "every alert's event id was already ingested".into()
            });
            return Ok(outcome);
        }
        let request_seq = store::events::insert_request(
            self.tx,
            self.ws,
            &store::events::NewRequest {
                source: self.source,
                delivery_id,
                received_at: self.now,
                headers,
                body,
            },
        )?;
        for (position, (index, alert)) in fresh.into_iter().enumerate() {
            let own = self.alert_notes.get(&index).map_or(&[][..], Vec::as_slice);
            let mut entries = self.apply(alert, own, request_seq, position)?;
            outcome.alerts.append(&mut entries);
        }
        Ok(outcome)
    }

    /// Applies one alert: decides, writes the group(s), the event(s) and the timeline.
    fn apply(
        &self,
        alert: &NormalizedAlert,
        notes: &[String],
        request_seq: i64,
        index: usize,
    ) -> Result<Vec<IngestedAlert>> {
        let inputs = GroupKeyInputs::of(alert);
        let key = fingerprint::group_key(&inputs).to_hex();
        let applied: Vec<Applied> = match (&alert.action, alert.status) {
            (Some(action), _) => self.apply_action(alert, &key, action)?,
            (None, AlertStatus::Resolved) => self.apply_resolve(alert, &key)?,
            (None, AlertStatus::Firing) => vec![self.apply_firing(alert, &key)?],
        };
        let alert_json = to_json(alert)?;
        let mut out = Vec::with_capacity(applied.len());
        for (sub, mut a) in applied.into_iter().enumerate() {
            let (route, route_trace, escalation) = self.route(alert, &mut a)?;
            let severity = match (route.set_severity, alert.status) {
                (Some(s), AlertStatus::Firing) => s,
                _ => alert.severity,
            };
            let event_id = format!(
                "evt_{}",
                short_hash(
                    "signalcraft event id v1",
                    &[
                        self.ws.as_str().as_bytes(),
                        &request_seq.to_le_bytes(),
                        &(index as u64).to_le_bytes(),
                        &(sub as u64).to_le_bytes(),
                    ]
                )
            );
            let trace = json!({
                "source": self.source,
                "notes": notes,
                "group_key": {
                    "context": GROUP_KEY_CONTEXT_V1,
                    "workspace": inputs.workspace,
                    "source": inputs.source,
                    "project": inputs.project,
                    "environment": inputs.environment,
                    "fingerprint": inputs.fingerprint,
                    "key": key,
                },
                "match_scope": alert.scope,
                "dedup": {
                    "decision": a.dedup.decision,
                    "reason": a.dedup.reason,
                    "policy": self.settings.dedup,
                },
                "routing": if self.word {
                    serde_json::to_value(route_trace.explain(self.routing.rules, alert))
                } else {
                    serde_json::to_value(route_trace.stored(self.rule_set, self.routing.rules))
                }
                .map_err(|e| Error::Internal(format!("serializing a route trace: {e}")))?,
                "escalation": escalation,
            });
            let route_text = to_json(&route)?;
            let trace_text = to_json(&trace)?;
            store::events::insert_event(
                self.tx,
                self.ws,
                &store::events::NewEvent {
                    id: &event_id,
                    request_seq,
                    group_id: a.group.as_ref().map(|g| &g.id),
                    source: self.source,
                    // One source event may touch several groups; its id is kept on the first.
                    source_event_id: if sub == 0 {
                        alert.source_event_id.as_deref()
                    } else {
                        None
                    },
                    decision: a.decision.as_str(),
                    status: alert.status.as_str(),
                    severity,
                    title: &alert.title,
                    received_at: self.now,
                    occurred_at: alert.occurred_at,
                    alert: &alert_json,
                    trace: &trace_text,
                    route: Some(&route_text),
                },
            )?;
            if let Some(entry) = self.timeline_entry(alert, &a)
                && let Some(g) = &a.group
            {
                store::groups::add_timeline(self.tx, self.ws, &g.id, &entry)?;
            }
            if let (Some(kind), Some(g)) = (crate::changes::ingest_kind(a.decision), &a.group) {
                store::changes::append(self.tx, self.ws, &g.id, kind, g.status, self.now)?;
            }
            out.push(IngestedAlert {
                group_id: a.group.as_ref().map(|g| g.id.clone()),
                event_id: Some(event_id),
                decision: a.decision,
                status: a.group.as_ref().map(|g| g.status),
                count: a.group.as_ref().map_or(0, |g| g.count),
                severity,
                fingerprint: alert.fingerprint.clone(),
                title: alert.title.clone(),
                route: Some(route),
                trace,
            });
        }
        Ok(out)
    }

    /// Routes one applied event: evaluates the rules against the group's notification state,
    /// moves that state on, and applies a rule's `set_severity` to the group.
    fn route(
        &self,
        alert: &NormalizedAlert,
        a: &mut Applied,
    ) -> Result<(RouteDecision, routing::RouteTrace, serde_json::Value)> {
        let event = route_event(a.decision.as_str());
        let mut channels = match &a.group {
            // a group opened by this event has no notification state yet
            Some(g) if a.decision != IngestDecision::NewGroup => {
                store::routing::channel_state(self.tx, &g.id)?
            }
            _ => BTreeMap::new(),
        };
        let mut escalation = serde_json::Value::Null;
        if let (Some(g), RouteEvent::Resolved) = (&a.group, event) {
            // A firing still held by group_wait never went out: cancel it, and send no resolve.
            for c in store::lifecycle::cancel_held_firing(self.tx, &g.id, self.now)? {
                if let Some(st) = channels.get_mut(&c) {
                    st.firing_sent = false;
                }
            }
            act::escalation_follows(
                self.tx,
                self.ws,
                &g.id,
                a.from.unwrap_or(GroupStatus::Open),
                GroupStatus::Resolved,
                self.now,
            )?;
        }
        let (route, trace) = routing::evaluate(
            &self.routing,
            alert,
            &GroupContext {
                event,
                channels: &channels,
            },
            self.now,
        );
        if let Some(g) = &mut a.group {
            if let (Some(sev), RouteEvent::Opened | RouteEvent::Joined) =
                (route.set_severity, event)
                && g.severity != sev
            {
                g.severity = sev;
                store::routing::set_group_severity(self.tx, &g.id, sev.rank())?;
            }
            if event == RouteEvent::Resolved || !route.notify.is_empty() {
                advance_state(&mut channels, event, &route, self.now);
                store::routing::save_channel_state(self.tx, &g.id, &channels)?;
            }
            let kind = if event == RouteEvent::Resolved {
                "resolved"
            } else {
                "firing"
            };
            let not_before = if event == RouteEvent::Opened {
                self.now + chrono::TimeDelta::seconds(route.group_wait_secs.min(86_400) as i64)
            } else {
                self.now
            };
            // one payload for every channel, serialized straight from the structs
            let payload = if route.notify.is_empty() {
                String::new()
            } else {
                to_json(&NotificationPayload {
                    alert,
                    broadcast: (!self.broadcast).then_some(false),
                    decision: a.decision,
                    group: g,
                    mention: &route.mention,
                })?
            };
            for c in &route.notify {
                store::lifecycle::enqueue(
                    self.tx,
                    self.ws,
                    &store::lifecycle::NewNotification {
                        group: Some(&g.id),
                        channel: c,
                        kind,
                        payload: &payload,
                        not_before,
                    },
                    self.now,
                )?;
            }
            if event == RouteEvent::Opened {
                escalation = self.start_escalation(g, &route)?;
            }
        }
        Ok((route, trace, escalation))
    }

    /// A group that opens (or reopens) under a route naming a policy starts escalating, unless
    /// its notifications are suppressed.
    fn start_escalation(&self, g: &AlertGroup, route: &RouteDecision) -> Result<serde_json::Value> {
        let Some(name) = &route.escalation else {
            return Ok(serde_json::Value::Null);
        };
        if let Some(by) = &route.suppressed_by {
            return Ok(
                json!({"policy": name, "started": false, "reason": format!("suppressed by {by}")}),
            );
        }
        let Some(policy) = store::lifecycle::policy(self.tx, self.ws, name)? else {
            return Ok(
                json!({"policy": name, "started": false, "reason": "no escalation policy by that name"}),
            );
        };
        let e = crate::escalation::Escalation::start(name, &policy, self.now);
        store::lifecycle::save_escalation(self.tx, self.ws, &g.id, &e)?;
        Ok(json!({"policy": name, "started": true, "due_at": e.due_at}))
    }

    fn timeline_entry(&self, alert: &NormalizedAlert, a: &Applied) -> Option<TimelineEntry> {
        let g = a.group.as_ref()?;
        let (command, from, detail) = match a.decision {
            // The group's row says all its `open` entry would (when, by which source, the
            // fingerprint): the timeline reads it from there (store::groups::timeline_page).
            IngestDecision::NewGroup if alert.source == self.source => return None,
            IngestDecision::NewGroup => ("open", None, json!({"fingerprint": alert.fingerprint})),
            IngestDecision::Reopened => (
                "reopen",
                Some(GroupStatus::Resolved),
                json!({"reopen_count": g.reopen_count}),
            ),
            IngestDecision::Resolved => ("resolve", a.from, serde_json::Value::Null),
            IngestDecision::Assigned => ("assign", Some(g.status), json!({"assignee": g.assignee})),
            // An acknowledgement writes its own entry (it knows the status it changed from).
            IngestDecision::Acknowledged
            | IngestDecision::Joined
            | IngestDecision::Unmatched
            | IngestDecision::Duplicate => {
                return None;
            }
        };
        Some(TimelineEntry {
            at: self.now,
            actor: self.actor(),
            command: command.into(),
            from,
            to: Some(g.status),
            detail,
        })
    }

    fn targets(&self, alert: &NormalizedAlert, key: &str) -> Result<Vec<GroupRecord>> {
        match alert.scope {
            MatchScope::GroupKey => store::groups::unresolved_by_key(self.tx, self.ws, key),
            MatchScope::Fingerprint => store::groups::unresolved_by_fingerprint(
                self.tx,
                self.ws,
                alert.source.as_str(),
                &alert.fingerprint,
            ),
        }
    }

    fn scope_words(alert: &NormalizedAlert) -> &'static str {
        match alert.scope {
            MatchScope::GroupKey => "group key",
            MatchScope::Fingerprint => "fingerprint",
        }
    }

    fn unmatched(alert: &NormalizedAlert, what: &str) -> Applied {
        Applied {
            decision: IngestDecision::Unmatched,
            from: None,
            group: None,
            dedup: DedupOutcome {
                decision: DedupDecision::Unmatched,
                reason: format!(
                    "{what}: no unresolved group with this {}",
                    Self::scope_words(alert)
                ),
            },
        }
    }

    fn apply_resolve(&self, alert: &NormalizedAlert, key: &str) -> Result<Vec<Applied>> {
        let targets = self.targets(alert, key)?;
        if targets.is_empty() {
            return Ok(vec![Self::unmatched(alert, "resolve")]);
        }
        let n = targets.len();
        targets
            .into_iter()
            .map(|mut rec| {
                let from = rec.group.status;
                rec.group.status = GroupStatus::Resolved;
                rec.group.resolved_at = Some(self.now);
                rec.group.snoozed_until = None;
                rec.group.last_activity = self.now;
                store::groups::update(self.tx, &rec)?;
                Ok(Applied {
                    decision: IngestDecision::Resolved,
                    from: Some(from),
                    dedup: DedupOutcome {
                        decision: DedupDecision::Resolved,
                        reason: format!(
                            "the source resolved {n} unresolved group(s) with this {}; this one was {from}",
                            Self::scope_words(alert)
                        ),
                    },
                    group: Some(rec.group),
                })
            })
            .collect()
    }

    fn apply_action(
        &self,
        alert: &NormalizedAlert,
        key: &str,
        action: &SourceAction,
    ) -> Result<Vec<Applied>> {
        let assignee = match action {
            SourceAction::Assign { assignee } => assignee,
            SourceAction::Acknowledge => return self.apply_acknowledge(alert, key),
        };
        let targets = self.targets(alert, key)?;
        if targets.is_empty() {
            return Ok(vec![Self::unmatched(alert, "assignment")]);
        }
        targets
            .into_iter()
            .map(|mut rec| {
                rec.group.assignee = assignee.clone();
                rec.group.last_activity = self.now;
                store::groups::update(self.tx, &rec)?;
                Ok(Applied {
                    decision: IngestDecision::Assigned,
                    from: Some(rec.group.status),
                    dedup: DedupOutcome {
                        decision: DedupDecision::Joined,
                        reason: "assignment from the source; the count does not change".into(),
                    },
                    group: Some(rec.group),
                })
            })
            .collect()
    }

    /// A source's acknowledgement: the unresolved groups it matches become `acknowledged`, each
    /// with an `ack` timeline entry (a group already acknowledged is left as it is).
    fn apply_acknowledge(&self, alert: &NormalizedAlert, key: &str) -> Result<Vec<Applied>> {
        let targets = self.targets(alert, key)?;
        if targets.is_empty() {
            return Ok(vec![Self::unmatched(alert, "acknowledgement")]);
        }
        targets
            .into_iter()
            .map(|mut rec| {
                let from = rec.group.status;
                let changed = act::transition(
                    self.tx,
                    self.ws,
                    &mut rec,
                    &crate::lifecycle::Command::Ack,
                    &self.actor(),
                    self.now,
                    json!({"fingerprint": alert.fingerprint}),
                )?;
                let reason = if changed {
                    format!("acknowledgement from the source; the group was {from}")
                } else {
                    "acknowledgement from the source; the group was already acknowledged".into()
                };
                Ok(Applied {
                    decision: IngestDecision::Acknowledged,
                    from: Some(from),
                    dedup: DedupOutcome {
                        decision: DedupDecision::Joined,
                        reason,
                    },
                    group: Some(rec.group),
                })
            })
            .collect()
    }

    fn apply_firing(&self, alert: &NormalizedAlert, key: &str) -> Result<Applied> {
        // what the stored group says of the fields `take_latest` replaces is not read
        let latest = store::groups::latest_by_key_for_firing(self.tx, self.ws, key)?;
        let snapshot = latest.as_ref().map(|r| GroupSnapshot {
            status: r.group.status,
            window_start: r.window_start,
            last_seen: r.group.last_seen,
            resolved_at: r.group.resolved_at,
        });
        let d = dedup::decide(
            &self.settings.dedup,
            snapshot.as_ref(),
            AlertStatus::Firing,
            self.now,
        );
        let now = self.now;
        let from = latest.as_ref().map(|r| r.group.status);
        let (decision, group) = match (d.decision, latest) {
            (DedupDecision::Joined, Some(mut rec)) => {
                let severity = rec.group.severity;
                take_latest(&mut rec.group, alert);
                rec.group.count += 1;
                rec.group.last_seen = now;
                rec.group.last_activity = now;
                store::groups::update_joined(self.tx, &rec, rec.group.severity != severity)?;
                (IngestDecision::Joined, rec.group)
            }
            (DedupDecision::Reopened, Some(mut rec)) => {
                take_latest(&mut rec.group, alert);
                rec.group.status = GroupStatus::Open;
                rec.group.count += 1;
                rec.group.reopen_count += 1;
                rec.group.last_seen = now;
                rec.group.last_activity = now;
                rec.group.resolved_at = None;
                rec.group.acknowledged_at = None;
                rec.group.snoozed_until = None;
                rec.window_start = now;
                store::groups::update(self.tx, &rec)?;
                (IngestDecision::Reopened, rec.group)
            }
            (DedupDecision::NewGroup, _) => (IngestDecision::NewGroup, self.new_group(alert, key)?),
            (other, _) => {
                return Err(Error::Internal(format!(
                    "dedup answered {other:?} for a firing event"
                )));
            }
        };
        Ok(Applied {
            decision,
            from: if decision == IngestDecision::NewGroup {
                None
            } else {
                from
            },
            group: Some(group),
            dedup: d,
        })
    }

    fn new_group(&self, alert: &NormalizedAlert, key: &str) -> Result<AlertGroup> {
        let mut attempt: u32 = 0;
        // Time first (milliseconds, 11 hex digits), then 9 hex digits of a hash: ids of new
        // groups sort after older ones, so every index keyed by group id (groups, events,
        // timeline, outbox, channel state) grows at its end instead of at a random page.
        let mut g = AlertGroup {
            id: GroupId(String::new()),
            group_key: key.to_string(),
            source: alert.source,
            project: alert.project.clone(),
            environment: alert.environment.clone(),
            severity: alert.severity,
            status: GroupStatus::Open,
            title: alert.title.clone(),
            message: alert.message.clone(),
            fingerprint: alert.fingerprint.clone(),
            link: alert.link.clone(),
            tags: alert.tags.clone(),
            assignee: None,
            count: 1,
            reopen_count: 0,
            first_seen: self.now,
            last_seen: self.now,
            last_activity: self.now,
            resolved_at: None,
            snoozed_until: None,
            acknowledged_at: None,
            runbook: None,
        };
        loop {
            let hash = short_hash(
                "signalcraft group id v1",
                &[
                    self.ws.as_str().as_bytes(),
                    key.as_bytes(),
                    &self.now.timestamp_millis().to_le_bytes(),
                    &attempt.to_le_bytes(),
                ],
            );
            g.id = GroupId(format!(
                "grp_{:011x}{}",
                self.now.timestamp_millis().max(0),
                &hash[..9]
            ));
            // an id already taken (a hash collision within one millisecond) tries the next
            if store::groups::insert(self.tx, self.ws, &g, self.now)?.is_some() {
                break;
            }
            attempt += 1;
        }
        Ok(g)
    }
}

/// A firing event brings the group's descriptive fields up to date.
pub(super) fn take_latest(g: &mut AlertGroup, alert: &NormalizedAlert) {
    g.severity = alert.severity;
    g.title = alert.title.clone();
    g.message = alert.message.clone();
    g.tags = alert.tags.clone();
    if alert.link.is_some() {
        g.link = alert.link.clone();
    }
}
