//! Exactly N ingests of the criterion `ingest` bench's Sentry event alerts (100 routing rules,
//! 1,000 issues, every event routed to a channel), for instruction counts and profiles that the
//! time-boxed benches cannot give:
//!
//!   ingest-count per_alert|batch_100|webhook_key|webhook_signed N [DB_DIR]
//!
//! `webhook_key` and `webhook_signed` send the same deliveries through `Engine::webhook`
//! (authenticated by an ingest key, or by a Sentry signature computed before the clock starts;
//! the rate limit raised out of the way), for the cost of authentication, the rate limit and
//! the health counters over `per_alert`.
//!
//! `valgrind --tool=callgrind target/release/ingest-count batch_100 2000` (minus a run with
//! N = 0) gives instructions per alert; `perf record` works the same way. Prints alerts/s.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use signalcraft_benches::{SentryBodies, routing_rules, sentry_deliveries};
use signalcraft_core::{Engine, Headers, RuleSet, Source};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("batch_100", String::as_str).to_string();
    let n: u64 = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let dir = match args.get(3) {
        Some(d) => tempfile::tempdir_in(d).unwrap(),
        None => tempfile::tempdir().unwrap(),
    };
    let engine = Engine::builder()
        .path(dir.path().join("count.db"))
        .build()
        .unwrap();
    let ws = engine.create_workspace("bench").unwrap().id.0;
    let rules = RuleSet::from_json(&routing_rules(100)).unwrap();
    engine.put_rules(&ws, &rules).unwrap();
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies = SentryBodies::routed(1000);
    let all: Vec<Vec<u8>> = (0..n).map(|i| bodies.body(i)).collect();
    let mut settings = engine.settings(&ws).unwrap();
    settings.ingest_rate_limit.per_min = u32::MAX;
    settings.ingest_rate_limit.burst = u32::MAX;
    engine.set_settings(&ws, &settings).unwrap();
    let key = engine.create_ingest_key(&ws, Source::Sentry).unwrap().key;
    let signed: Vec<Headers> = if mode == "webhook_signed" {
        let secret = "bench-secret";
        engine
            .set_integration(
                &ws,
                Source::Sentry,
                &signalcraft_core::IntegrationUpdate {
                    secret: Some(secret.into()),
                    ..Default::default()
                },
            )
            .unwrap();
        all.iter()
            .map(|b| {
                let sig = signalcraft_core::signature::hmac_sha256_hex(secret.as_bytes(), b);
                headers.clone().with("Sentry-Hook-Signature", sig)
            })
            .collect()
    } else {
        Vec::new()
    };
    let start = Instant::now();
    match mode.as_str() {
        "per_alert" => {
            for body in &all {
                engine.ingest(&ws, Source::Sentry, &headers, body).unwrap();
            }
        }
        "batch_100" => {
            for chunk in all.chunks(100) {
                let batch = sentry_deliveries(&headers, chunk);
                for slot in engine.ingest_batch(&ws, &batch).unwrap() {
                    slot.unwrap();
                }
            }
        }
        "webhook_key" => {
            for body in &all {
                engine
                    .webhook(&ws, Some(Source::Sentry), &headers, body, Some(&key))
                    .unwrap();
            }
        }
        "webhook_signed" => {
            for (body, h) in all.iter().zip(&signed) {
                engine
                    .webhook(&ws, Some(Source::Sentry), h, body, None)
                    .unwrap();
            }
        }
        other => {
            panic!("unknown mode {other:?} (per_alert, batch_100, webhook_key, webhook_signed)")
        }
    }
    let took = start.elapsed();
    println!(
        "{mode}: {n} alerts in {took:.2?}: {:.0} alerts/s",
        n as f64 / took.as_secs_f64().max(1e-9)
    );
}
