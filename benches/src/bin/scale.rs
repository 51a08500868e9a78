//! Scale figures with many groups in the store, each in a fresh process so that its peak RSS is
//! the engine's alone:
//!
//!   scale build PATH [N]   # a database with N (default 1,000,000) groups, straight through SQL
//!   scale measure PATH     # engine open time, first page of a filtered `groups` query, peak RSS
//!   scale PATH [N]         # both (build in a child process when PATH is missing)
//!   scale                  # both, on the database the `groups` bench builds and keeps
#![allow(clippy::unwrap_used, clippy::expect_used)]

use signalcraft_benches::{fill_groups, proc_status_kib, scale_query};
use signalcraft_core::Engine;
use std::time::{Duration, Instant};

fn build(path: &str, n: u64) {
    let tmp = format!("{path}.building");
    let _ = std::fs::remove_file(&tmp);
    let start = Instant::now();
    let engine = Engine::builder().path(&tmp).build().unwrap();
    let ws = engine.create_workspace("bench").unwrap();
    drop(engine);
    fill_groups(std::path::Path::new(&tmp), ws.id.as_str(), n).unwrap();
    std::fs::rename(&tmp, path).unwrap();
    println!("built {path}: {n} groups in {:.1?}", start.elapsed());
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn measure(path: &str) {
    let base = proc_status_kib("VmRSS").unwrap_or(0);
    // open time: the first open in this process (cold in-process caches, warm page cache)
    let start = Instant::now();
    let engine = Engine::builder().path(path).build().unwrap();
    let first_open = start.elapsed();
    let q = scale_query();
    let start = Instant::now();
    let page = engine.groups("bench", &q).unwrap();
    let first_query = start.elapsed();
    assert_eq!(page.groups.len(), 50);
    let queries: Vec<Duration> = (0..50)
        .map(|_| {
            let s = Instant::now();
            std::hint::black_box(engine.groups("bench", &q).unwrap());
            s.elapsed()
        })
        .collect();
    let opens: Vec<Duration> = (0..20)
        .map(|_| {
            let s = Instant::now();
            std::hint::black_box(Engine::builder().path(path).build().unwrap());
            s.elapsed()
        })
        .collect();
    let groups: i64 = rusqlite::Connection::open(path)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM alert_groups", [], |r| r.get(0))
        .unwrap();
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    println!("groups={groups} db_size_mb={:.0}", size as f64 / 1e6);
    println!(
        "open_first_ms={:.2} open_median_ms={:.2}",
        first_open.as_secs_f64() * 1e3,
        median(opens).as_secs_f64() * 1e3
    );
    println!(
        "first_page_filtered_first_ms={:.2} first_page_filtered_median_ms={:.3}",
        first_query.as_secs_f64() * 1e3,
        median(queries).as_secs_f64() * 1e3
    );
    println!(
        "rss_before_open_kib={base} peak_rss_kib={} rss_now_kib={}",
        proc_status_kib("VmHWM").unwrap_or(0),
        proc_status_kib("VmRSS").unwrap_or(0)
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = |i: usize| {
        args.get(i)
            .and_then(|v| v.parse().ok())
            .unwrap_or(1_000_000)
    };
    match args.first().map(String::as_str) {
        Some("build") => build(&args[1], n(2)),
        Some("measure") => measure(&args[1]),
        Some(path) => {
            if !std::path::Path::new(path).exists() {
                let exe = std::env::current_exe().unwrap();
                let ok = std::process::Command::new(exe)
                    .args(["build", path, &n(1).to_string()])
                    .status()
                    .unwrap()
                    .success();
                assert!(ok, "building failed");
            }
            measure(path);
        }
        None => {
            // the same file as benches/benches/groups.rs (CARGO_TARGET_TMPDIR of the bench)
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../target/tmp")
                .join(format!(
                    "groups-1000000-v{}.db",
                    signalcraft_core::SCHEMA_VERSION
                ));
            let path = path.display().to_string();
            if !std::path::Path::new(&path).exists() {
                eprintln!("{path} is missing: run the groups bench first, or give a PATH");
                std::process::exit(2);
            }
            measure(&path);
        }
    }
}
