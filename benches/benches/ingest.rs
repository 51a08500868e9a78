//! Ingest throughput: one Sentry event alert → normalized, grouped, committed to SQLite.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use signalcraft_benches::SentryBodies;
use signalcraft_core::dedup::{self, DedupPolicy};
use signalcraft_core::fingerprint::alert_group_key;
use signalcraft_core::sources::{self, IntegrationConfig, Parsed, SourceInput};
use signalcraft_core::{AlertStatus, Engine, Headers, Source, WorkspaceId};
use std::hint::black_box;
use std::time::Instant;

fn sqlite_per_alert(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder()
        .path(dir.path().join("bench.db"))
        .build()
        .unwrap();
    let ws = engine.create_workspace("bench").unwrap();
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies = SentryBodies::new(1000);
    let mut n = 0u64;
    let mut g = c.benchmark_group("ingest");
    g.throughput(Throughput::Elements(1));
    g.bench_function("sqlite_per_alert", |b| {
        b.iter_custom(|iters| {
            let batch: Vec<Vec<u8>> = (0..iters).map(|i| bodies.body(n + i)).collect();
            n += iters;
            let start = Instant::now();
            for body in &batch {
                black_box(
                    engine
                        .ingest(ws.id.as_str(), Source::Sentry, &headers, body)
                        .unwrap(),
                );
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn pure(c: &mut Criterion) {
    let ws = WorkspaceId::from("ws_bench");
    let config = IntegrationConfig::default();
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies = SentryBodies::new(1000);
    let policy = DedupPolicy::default();
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
                }
            }
            start.elapsed()
        })
    });
    g.finish();
}

criterion_group!(benches, sqlite_per_alert, pure);
criterion_main!(benches);
