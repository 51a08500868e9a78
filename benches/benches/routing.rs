//! Routing: evaluation time per alert with 10, 100 and 1,000 rules.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use signalcraft_benches::{routing_alert, routing_rules};
use signalcraft_core::routing::{GroupContext, RouteEvent, RoutingContext, RuleSet, evaluate};
use std::collections::BTreeMap;
use std::hint::black_box;

fn routing(c: &mut Criterion) {
    let alert = routing_alert();
    let state = BTreeMap::new();
    let now = chrono::Utc::now();
    let mut g = c.benchmark_group("routing");
    g.throughput(Throughput::Elements(1));
    for n in [10usize, 100, 1000] {
        let rules = RuleSet::from_json(&routing_rules(n)).unwrap();
        let ctx = RoutingContext {
            rules: &rules,
            default_route: None,
            silences: &[],
            windows: &[],
        };
        let group = GroupContext {
            event: RouteEvent::Opened,
            channels: &state,
        };
        let (d, _) = evaluate(&ctx, &alert, &group, now);
        assert_eq!(d.matched.len(), 1, "only the last rule matches");
        g.bench_with_input(BenchmarkId::new("rules", n), &n, |b, _| {
            b.iter(|| black_box(evaluate(&ctx, black_box(&alert), &group, now)))
        });
        // the worst case: no index, every rule evaluated in turn
        let plain = rules.without_index();
        let ctx = RoutingContext {
            rules: &plain,
            default_route: None,
            silences: &[],
            windows: &[],
        };
        g.bench_with_input(BenchmarkId::new("rules_unindexed", n), &n, |b, _| {
            b.iter(|| black_box(evaluate(&ctx, black_box(&alert), &group, now)))
        });
    }
    g.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
