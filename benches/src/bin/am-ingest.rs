//! SignalCraft's side of `benches/compare-alertmanager`: ingests Alertmanager-shaped alerts
//! (the same labels the script posts to Alertmanager) into an engine on a SQLite file for a fixed
//! time per mode, and prints alerts/s:
//!
//! - `per_alert`: one webhook delivery of 1 alert per `Engine::ingest` (one commit per alert);
//! - `batch_100`: 100 deliveries of 1 alert per `Engine::ingest_batch` (one commit per 100);
//! - `delivery_100`: one webhook delivery holding 100 alerts per `Engine::ingest`.
//!
//! Every alert is new (its own group), and every commit is durable (WAL, `synchronous=normal`).
//! The rate counts the time spent in the engine's calls only, not making the request bodies.
//!
//!   am-ingest [SECONDS_PER_MODE] [MODE...]    (default 10 s, every mode)
//!
//! With `AM_INGEST_ALERTS=N` each mode ingests exactly N alerts instead (for callgrind).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use signalcraft_benches::am_webhook_body;
use signalcraft_core::{Delivery, Engine, Headers, Outcome, Source};
use std::time::{Duration, Instant};

/// Calls `step` until `secs` of wall time have passed; `step` returns the alerts it ingested and
/// the time its ingest call took (making the bodies is not counted: wrk's Lua does that on the
/// Alertmanager side, in another process).
fn run(secs: f64, mut step: impl FnMut(u64) -> (u64, Duration)) -> f64 {
    let limit = Duration::from_secs_f64(secs);
    // A fixed number of alerts instead (for instruction counts under callgrind).
    let count: Option<u64> = std::env::var("AM_INGEST_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok());
    let start = Instant::now();
    let (mut alerts, mut busy) = (0u64, Duration::ZERO);
    while count.map_or(start.elapsed() < limit, |c| alerts < c) {
        let (done, took) = step(alerts);
        alerts += done;
        busy += took;
    }
    alerts as f64 / busy.as_secs_f64()
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(10.0);
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder()
        .path(dir.path().join("compare.db"))
        .build()
        .unwrap();
    engine.create_workspace("bench").unwrap();
    let headers = Headers::new().with("User-Agent", "Alertmanager/0.25.0");
    let mut base = 0u64;
    let modes: Vec<String> = std::env::args().skip(2).collect();
    let wanted = |m: &str| modes.is_empty() || modes.iter().any(|w| w == m);

    if wanted("per_alert") {
        let per_alert = run(secs, |n| {
            let body = am_webhook_body(base + n, 1);
            let (o, took) = timed(|| engine.ingest("bench", Source::Alertmanager, &headers, &body));
            assert_eq!(o.unwrap().outcome, Outcome::Accepted);
            (1, took)
        });
        base += 100_000_000;
        println!("signalcraft_per_alert={per_alert:.0}");
    }

    if wanted("batch_100") {
        let batch_100 = run(secs, |n| {
            let bodies: Vec<Vec<u8>> = (0..100).map(|i| am_webhook_body(base + n + i, 1)).collect();
            let batch: Vec<Delivery<'_>> = bodies
                .iter()
                .map(|body| Delivery {
                    source: Source::Alertmanager,
                    headers: &headers,
                    body,
                })
                .collect();
            let (slots, took) = timed(|| engine.ingest_batch("bench", &batch));
            assert!(slots.unwrap().iter().all(|s| s.is_ok()));
            (100, took)
        });
        base += 100_000_000;
        println!("signalcraft_batch_100={batch_100:.0}");
    }

    if wanted("delivery_100") {
        let delivery_100 = run(secs, |n| {
            let body = am_webhook_body(base + n, 100);
            let (o, took) = timed(|| engine.ingest("bench", Source::Alertmanager, &headers, &body));
            assert_eq!(o.unwrap().alerts.len(), 100);
            (100, took)
        });
        println!("signalcraft_delivery_100={delivery_100:.0}");
    }
}
