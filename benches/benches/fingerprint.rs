//! Group keys per source: blake3 over the canonical encoding of each source's real alert.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use signalcraft_benches::source_samples;
use signalcraft_core::WorkspaceId;
use signalcraft_core::fingerprint::alert_group_key;
use signalcraft_core::sources::{self, IntegrationConfig, Parsed, SourceInput};
use std::hint::black_box;

fn fingerprint(c: &mut Criterion) {
    let ws = WorkspaceId::from("ws_bench");
    let now = chrono::Utc::now();
    let mut g = c.benchmark_group("fingerprint");
    g.throughput(Throughput::Elements(1));
    for (source, headers, options, body) in source_samples() {
        let config = IntegrationConfig {
            options,
            ..Default::default()
        };
        let input = SourceInput {
            workspace: &ws,
            config: &config,
            options: &signalcraft_core::sources::CompiledOptions::load(source, &config.options),
            headers: &headers,
            body: &body,
            now,
        };
        let Parsed::Alerts { alerts, .. } = sources::parse(source, &input).unwrap() else {
            panic!("{source}: no alerts");
        };
        let alert = alerts.into_iter().next().unwrap();
        g.bench_with_input(BenchmarkId::from_parameter(source), &alert, |b, a| {
            b.iter(|| black_box(alert_group_key(black_box(a))))
        });
    }
    g.finish();
}

criterion_group!(benches, fingerprint);
criterion_main!(benches);
