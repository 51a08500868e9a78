//! # signalcraft-core
//!
//! An embeddable alert-processing engine. The main type is [`Engine`]: hand it every alert
//! webhook you receive ([`Engine::ingest`]) and it verifies the signature, normalizes the payload
//! into [`NormalizedAlert`]s, deduplicates them into [`AlertGroup`]s by a blake3 group key and a
//! dedup window, and stores everything in SQLite in one transaction per delivery.
//!
//! ```no_run
//! use signalcraft_core::{Engine, Headers, Source, GroupQuery};
//! # fn main() -> signalcraft_core::Result<()> {
//! let engine = Engine::builder().path("signalcraft.db").build()?;
//! let ws = engine.create_workspace("acme")?;
//! let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
//! let body = br#"{"action":"triggered","data":{"event":{"issue_id":"1","title":"boom"}}}"#;
//! let out = engine.ingest(ws.id.as_str(), Source::Sentry, &headers, body)?;
//! let page = engine.groups("acme", &GroupQuery::default())?;
//! # Ok(()) }
//! ```
//!
//! Pure modules ([`sources`], [`fingerprint`], [`dedup`], [`lifecycle`]) decide and take `now`
//! as an argument; only the [`Engine`] and its store do I/O.

pub mod accounts;
pub mod actions;
pub mod alert;
pub mod changes;
pub mod clock;
pub mod dedup;
pub mod engine;
pub mod error;
pub mod escalation;
pub mod fingerprint;
pub mod group;
pub mod headers;
pub mod host;
pub mod ingest;
pub mod json;
pub mod lifecycle;
pub mod metrics;
pub mod migrate;
pub mod monitors;
pub mod net;
pub mod notify;
pub mod routing;
pub mod secrets;
pub mod signature;
pub mod slack_oauth;
pub mod sources;
mod store;
pub mod webhook;
pub mod workspace;

pub use alert::{
    AlertStatus, EventId, GroupId, MatchScope, NormalizedAlert, Severity, Source, SourceAction,
    WorkspaceId,
};
pub use clock::{Clock, ManualClock, SystemClock};
pub use dedup::{DedupDecision, DedupPolicy, DedupWindow};
pub use engine::{AppView, MonitorState};
pub use engine::{
    Delivery, DeliveryError, Engine, EngineBuilder, IntegrationHealth, IntegrationStatus,
    IntegrationUpdate, IntegrationView, NewMaintenanceWindow, NewSilence,
};
pub use error::{Error, ErrorKind, Result};
pub use group::{
    AlertGroup, EventPayload, GroupDetail, GroupPage, GroupQuery, GroupSort, ItemPage, SortOrder,
    StoredEvent, TimelineEntry,
};
pub use headers::Headers;
pub use ingest::{IngestDecision, IngestOutcome, IngestedAlert, Outcome};
pub use lifecycle::GroupStatus;
pub use migrate::{Migration, MigrationReport, TableCopy, migrate_database};
pub use net::PrivateTargets;
pub use routing::{RouteDecision, RoutingRule, RuleSet};
pub use store::LATEST_VERSION as SCHEMA_VERSION;
pub use store::db::StoreError;
pub use workspace::{Workspace, WorkspaceSettings};

/// The README's Rust example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
