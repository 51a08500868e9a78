//! Normalization per source: one real delivery verified and parsed into `NormalizedAlert`s
//! (throughput in deliveries; the Alertmanager and Grafana samples hold 2 alerts, generic 2).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use signalcraft_benches::source_samples;
use signalcraft_core::WorkspaceId;
use signalcraft_core::sources::{self, IntegrationConfig, Parsed, SourceInput};
use std::hint::black_box;

fn normalize(c: &mut Criterion) {
    let ws = WorkspaceId::from("ws_bench");
    let now = chrono::Utc::now();
    let mut g = c.benchmark_group("normalize");
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
        assert!(matches!(
            sources::parse(source, &input).unwrap(),
            Parsed::Alerts { .. }
        ));
        g.bench_with_input(BenchmarkId::from_parameter(source), &input, |b, input| {
            b.iter(|| black_box(sources::parse(source, black_box(input)).unwrap()))
        });
    }
    g.finish();
}

criterion_group!(benches, normalize);
criterion_main!(benches);
