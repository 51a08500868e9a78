//! Ingest throughput: one Sentry event alert → verified, normalized, grouped, routed with 100
//! rules, committed to SQLite. (a) `sqlite_per_alert`: one transaction per alert
//! (`Engine::ingest`); (b) `sqlite_batched`: 100 alerts per transaction
//! (`Engine::ingest_batch`); (c) `pure`: the same pipeline without storage.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use signalcraft_benches::{SentryBodies, routing_rules, sentry_deliveries};
use signalcraft_core::dedup::{self, DedupPolicy};
use signalcraft_core::fingerprint::alert_group_key;
use signalcraft_core::routing::{GroupContext, RouteEvent, RoutingContext, evaluate};
use signalcraft_core::sources::{self, IntegrationConfig, Parsed, SourceInput};
use signalcraft_core::{AlertStatus, Engine, Headers, RuleSet, Source, WorkspaceId};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Alerts per `ingest_batch` call.
const BATCH: usize = 100;
/// Rules in the workspace.
const RULES: usize = 100;

fn engine(dir: &tempfile::TempDir) -> (Engine, String) {
    let engine = Engine::builder()
        .path(dir.path().join("bench.db"))
        .build()
        .unwrap();
    let ws = engine.create_workspace("bench").unwrap();
    let rules = RuleSet::from_json(&routing_rules(RULES)).unwrap();
    engine.put_rules(ws.id.as_str(), &rules).unwrap();
    (engine, ws.id.0)
}

fn sqlite_per_alert(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (engine, ws) = engine(&dir);
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies = SentryBodies::routed(1000);
    let mut n = 0u64;
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sqlite_per_alert", |b| {
        b.iter_custom(|iters| {
            let batch: Vec<Vec<u8>> = (0..iters).map(|i| bodies.body(n + i)).collect();
            n += iters;
            let start = Instant::now();
            for body in &batch {
                black_box(engine.ingest(&ws, Source::Sentry, &headers, body).unwrap());
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn sqlite_batched(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let (engine, ws) = engine(&dir);
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies = SentryBodies::routed(1000);
    let mut n = 0u64;
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sqlite_batched", |b| {
        b.iter_custom(|iters| {
            let all: Vec<Vec<u8>> = (0..iters).map(|i| bodies.body(n + i)).collect();
            n += iters;
            let mut took = Duration::ZERO;
            for chunk in all.chunks(BATCH) {
                let batch = sentry_deliveries(&headers, chunk);
                let start = Instant::now();
                let out = engine.ingest_batch(&ws, &batch).unwrap();
                took += start.elapsed();
                assert!(out.iter().all(|r| r.is_ok()));
                black_box(out);
            }
            took
        })
    });
    g.finish();
}

fn pure(c: &mut Criterion) {
    let ws = WorkspaceId::from("ws_bench");
    let config = IntegrationConfig::default();
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies = SentryBodies::routed(1000);
    let policy = DedupPolicy::default();
    let rules = RuleSet::from_json(&routing_rules(RULES)).unwrap();
    let ctx = RoutingContext {
        rules: &rules,
        default_route: None,
        silences: &[],
        windows: &[],
    };
    let channels = BTreeMap::new();
    let group = GroupContext {
        event: RouteEvent::Opened,
        channels: &channels,
    };
    let now = chrono::Utc::now();
    let mut n = 0u64;
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(1));
    g.bench_function("pure", |b| {
        b.iter_custom(|iters| {
            let batch: Vec<Vec<u8>> = (0..iters).map(|i| bodies.body(n + i)).collect();
            n += iters;
            let start = Instant::now();
            for body in &batch {
                let input = SourceInput {
                    workspace: &ws,
                    config: &config,
                    options: &signalcraft_core::sources::CompiledOptions::load(
                        Source::Sentry,
                        &config.options,
                    ),
                    headers: &headers,
                    body,
                    now,
                };
                let Parsed::Alerts { alerts, .. } = sources::parse(Source::Sentry, &input).unwrap()
                else {
                    panic!("not alerts")
                };
                for a in &alerts {
                    black_box(alert_group_key(a));
                    black_box(dedup::decide(&policy, None, AlertStatus::Firing, now));
                    let (route, _) = evaluate(&ctx, a, &group, now);
                    assert_eq!(route.matched.len(), 1);
                    black_box(route);
                }
            }
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, sqlite_per_alert, sqlite_batched, pure);
criterion_main!(benches);
