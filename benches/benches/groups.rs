//! The `groups` query and engine open time with 1,000,000 groups in the store
//! (`SIGNALCRAFT_BENCH_GROUPS` changes the count). The database is built once, straight through
//! SQL, and kept under the target directory. Peak RSS: `cargo run --release --bin scale`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use signalcraft_benches::{fill_groups, proc_status_kib, scale_query};
use signalcraft_core::{Engine, GroupQuery, SCHEMA_VERSION};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

fn database() -> PathBuf {
    let n: u64 = std::env::var("SIGNALCRAFT_BENCH_GROUPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("groups-{n}-v{SCHEMA_VERSION}.db"));
    if !path.exists() {
        let building = dir.join(format!("groups-{n}-v{SCHEMA_VERSION}.building.db"));
        let _ = std::fs::remove_file(&building);
        let start = Instant::now();
        let engine = Engine::builder().path(&building).build().unwrap();
        let ws = engine.create_workspace("bench").unwrap();
        drop(engine);
        fill_groups(&building, ws.id.as_str(), n).unwrap();
        std::fs::rename(&building, &path).unwrap();
        eprintln!(
            "built {} with {n} groups in {:?}",
            path.display(),
            start.elapsed()
        );
    }
    path
}

fn groups(c: &mut Criterion) {
    let path = database();
    let mut g = c.benchmark_group("groups_1m");
    g.bench_function("open_engine", |b| {
        b.iter(|| black_box(Engine::builder().path(&path).build().unwrap()))
    });
    let engine = Engine::builder().path(&path).build().unwrap();
    let q = scale_query();
    let page = engine.groups("bench", &q).unwrap();
    assert_eq!(page.groups.len(), 50);
    g.bench_function("first_page_filtered", |b| {
        b.iter(|| black_box(engine.groups("bench", &q).unwrap()))
    });
    let all = GroupQuery::default();
    g.bench_function("first_page_unfiltered", |b| {
        b.iter(|| black_box(engine.groups("bench", &all).unwrap()))
    });
    let next = GroupQuery {
        cursor: page.next_cursor.clone(),
        ..q.clone()
    };
    g.bench_function("second_page_filtered", |b| {
        b.iter(|| black_box(engine.groups("bench", &next).unwrap()))
    });
    g.finish();
    eprintln!(
        "bench process: VmHWM {} KiB, VmRSS {} KiB",
        proc_status_kib("VmHWM").unwrap_or(0),
        proc_status_kib("VmRSS").unwrap_or(0)
    );
}

criterion_group!(benches, groups);
criterion_main!(benches);
