//! Crash test: `stress crash --trials N [--db PATH] [--max-ms M] [--threads T]`.
//!
//! Each trial starts a child process (`stress child DB START THREADS`) that ingests a stream of
//! Sentry event alerts — single `ingest` calls, `ingest_batch` calls of 2 to 8 deliveries, and
//! now and then an issue resolve — and prints `ack EVENT_ID` for each ingest acknowledged
//! (returned `Ok`). With `--threads T` (T > 1) the child ingests from T threads at once, each
//! with its own events: single `ingest` calls, which the engine group-commits (several callers'
//! deliveries in one transaction, each answered after its commit), and issue resolves; the
//! first thread also sends batches, so plain transactions interleave with the groups. The parent kills it with SIGKILL at a random moment, then reopens the database and
//! checks: every acknowledged event is stored exactly once, no event is stored twice, no group
//! key has two unresolved groups, every group's count equals the events that counted into it,
//! `PRAGMA integrity_check` is ok, and the engine reopens and ingests. The last line is
//! `crash: trials=N lost=0 duplicated=0 integrity=ok threads=T` (or the failures, and exit
//! status 1).
//!
//! `stress group [--threads T] [--deliveries N]` counts the COMMITs that N single `ingest` calls
//! from T threads took (group commit: fewer commits than deliveries).
//!
//! `stress fleet [--admin-url URL] [--workers 4] [--kill 3] [--speed 20] [--keep]`: several
//! engine processes sharing one PostgreSQL database, one of them killed mid-stream (fleet.rs).
//!
//! `stress throughput --store sqlite|postgres [--mode per_alert|batched] [--threads T]
//! [--processes P] [--secs S]`: durable ingest rates on either store (throughput.rs).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod fleet;
mod throughput;

use signalcraft_benches::SentryBodies;
use signalcraft_core::{Delivery, Engine, Headers, Outcome, Source};
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// Issues the stream spreads its events over (so events join, and resolves reopen groups).
const ISSUES: u64 = 40;
/// Events per trial's numbering range: trial k uses k * SPAN ..
const SPAN: u64 = 10_000_000;

fn resolve_body(issue: u64) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(&signalcraft_benches::fixture(
        "sentry/issue_resolved.zulip.json",
    ))
    .unwrap();
    doc["data"]["issue"]["id"] = issue.to_string().into();
    doc.to_string().into_bytes()
}

/// The child: ingests from `threads` threads until killed, printing each acknowledged event id.
fn child(db: &str, start: u64, threads: u64) {
    let engine = Engine::builder().path(db).build().unwrap();
    let threads = threads.max(1);
    std::thread::scope(|scope| {
        for t in 0..threads {
            let engine = &engine;
            // each thread numbers its own events inside the trial's range
            let first = start + t * (SPAN / threads);
            scope.spawn(move || ingest_loop(engine, first, t == 0));
        }
    });
}

/// One thread of the child: single ingests and now and then an issue resolve, and batches when
/// `batches` (the single-thread child's stream).
fn ingest_loop(engine: &Engine, start: u64, batches: bool) {
    let bodies = SentryBodies::new(ISSUES);
    let alert = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let issue = Headers::new().with("Sentry-Hook-Resource", "issue");
    let ack = |ids: &mut dyn Iterator<Item = u64>| {
        // one locked write per acknowledgement, after `ingest` returned
        let out = std::io::stdout();
        let mut out = out.lock();
        for i in ids {
            writeln!(out, "ack {i:032x}").unwrap();
        }
        out.flush().unwrap();
    };
    let mut n = start;
    let mut step = 0u64;
    loop {
        step += 1;
        if step.is_multiple_of(17) {
            let body = resolve_body(n % ISSUES);
            engine
                .ingest("stress", Source::Sentry, &issue, &body)
                .unwrap();
            continue;
        }
        if batches && step.is_multiple_of(3) {
            let k = 2 + step % 7;
            let batch: Vec<Vec<u8>> = (n..n + k).map(|i| bodies.body(i)).collect();
            let deliveries: Vec<Delivery<'_>> = batch
                .iter()
                .map(|body| Delivery {
                    source: Source::Sentry,
                    headers: &alert,
                    body,
                })
                .collect();
            let slots = engine.ingest_batch("stress", &deliveries).unwrap();
            for slot in slots {
                assert_eq!(slot.unwrap().outcome, Outcome::Accepted);
            }
            ack(&mut (n..n + k));
            n += k;
        } else {
            let o = engine
                .ingest("stress", Source::Sentry, &alert, &bodies.body(n))
                .unwrap();
            assert_eq!(o.outcome, Outcome::Accepted);
            ack(&mut std::iter::once(n));
            n += 1;
        }
    }
}

/// A small xorshift: random kill moments without a dependency.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[derive(Default)]
struct Tally {
    acked: usize,
    lost: usize,
    duplicated: usize,
    group_dups: usize,
    count_mismatch: usize,
    integrity_bad: usize,
    outbox_bad: usize,
    /// Firing notifications cancelled by a resolve received before they were due (threads only).
    cancelled_by_resolve: usize,
}

fn check(db: &str, acked: &[String], threads: u64, t: &mut Tally) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    if integrity != "ok" {
        eprintln!("integrity_check: {integrity}");
        t.integrity_bad += 1;
    }
    let mut stored = conn
        .prepare("SELECT COUNT(*) FROM alert_events WHERE source_event_id = ?1")
        .unwrap();
    for id in acked {
        let n: i64 = stored.query_row([id], |r| r.get(0)).unwrap();
        match n {
            0 => {
                eprintln!("lost: acknowledged event {id} is not stored");
                t.lost += 1;
            }
            1 => {}
            _ => {
                eprintln!("duplicated: event {id} stored {n} times");
                t.duplicated += 1;
            }
        }
    }
    let twice: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT source_event_id FROM alert_events
             WHERE source_event_id IS NOT NULL GROUP BY workspace_id, source, source_event_id
             HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    t.duplicated += twice as usize;
    let group_dups: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM (SELECT group_key FROM alert_groups WHERE status <> 'resolved'
             GROUP BY workspace_id, group_key HAVING COUNT(*) > 1)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if group_dups > 0 {
        eprintln!("{group_dups} group keys have more than one unresolved group");
    }
    t.group_dups += group_dups as usize;
    // every firing event that opened, joined or reopened a group counted once into it
    let mismatch: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM alert_groups g WHERE g.count <> (SELECT COUNT(*) FROM alert_events e
             WHERE e.group_id = g.id AND e.decision IN ('new_group', 'joined', 'reopened'))",
            [],
            |r| r.get(0),
        )
        .unwrap();
    if mismatch > 0 {
        eprintln!("{mismatch} groups whose count differs from their events");
    }
    t.count_mismatch += mismatch as usize;
    // The outbox: every notification a committed ingest decided is a row, and with no dispatcher
    // running every row is still pending (none lost, none half-written, none invented).
    let decided: i64 = conn
        .query_row(
            "SELECT COALESCE(SUM(json_array_length(route, '$.notify')), 0) FROM alert_events",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let (rows, pending): (i64, i64) = conn
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(status = 'pending'), 0) FROM outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    // With several threads, deliveries received (their `now` read) in one order may be written
    // in another, so a resolve received a moment before a firing notification was due can be
    // written after it: the resolve then cancels that "held" firing, as ingest does for a
    // firing held by group_wait. Such a row must be explained by a resolved event of its group
    // received before the row was due; anything else not pending is a failure.
    let cancelled: i64 = if threads > 1 {
        conn.query_row(
            "SELECT COUNT(*) FROM outbox o WHERE o.status = 'cancelled' AND o.kind = 'firing'
             AND EXISTS (SELECT 1 FROM alert_events e WHERE e.group_id = o.group_id
                         AND e.decision = 'resolved' AND e.received_at < o.not_before)",
            [],
            |r| r.get(0),
        )
        .unwrap()
    } else {
        0
    };
    // (the database is shared by all trials: this is the count so far)
    t.cancelled_by_resolve = cancelled as usize;
    if rows != decided || pending + cancelled != rows {
        eprintln!(
            "outbox: {rows} rows ({pending} pending, {cancelled} cancelled by an earlier-received resolve) for {decided} notifications decided"
        );
        t.outbox_bad += 1;
    }
}

fn crash(trials: u64, db: Option<String>, max_ms: u64, threads: u64) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let db = db.unwrap_or_else(|| dir.path().join("stress.db").display().to_string());
    {
        let engine = Engine::builder().path(&db).build().unwrap();
        if engine.workspace("stress").is_err() {
            engine.create_workspace("stress").unwrap();
            // every event notifies a channel, so that each ingest writes outbox rows
            let rules = signalcraft_core::RuleSet::from_json(&serde_json::json!([
                {"id": "all", "when": {}, "then": {"notify": ["pager"], "repeat_interval_mins": 1}}
            ]))
            .unwrap();
            engine.put_rules("stress", &rules).unwrap();
        }
    }
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(42)
        | 1;
    let mut rng = Rng(seed);
    let exe = std::env::current_exe().unwrap();
    let mut tally = Tally::default();
    let started = Instant::now();
    for trial in 0..trials {
        // the first half of a trial's window also gives the child time to open the engine
        let after = Duration::from_millis(5 + rng.next() % max_ms.max(1));
        let mut child = Command::new(&exe)
            .args([
                "child",
                &db,
                &((trial + 1) * SPAN).to_string(),
                &threads.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .filter_map(|l| l.strip_prefix("ack ").map(str::to_string))
                .collect::<Vec<String>>()
        });
        std::thread::sleep(after);
        let exited_early = child.try_wait().unwrap();
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        let acked = reader.join().unwrap();
        if let Some(s) = exited_early {
            eprintln!("trial {trial}: the child exited by itself ({s}) before the kill");
            tally.integrity_bad += 1;
        }
        check(&db, &acked, threads, &mut tally);
        tally.acked += acked.len();
        println!(
            "trial {}: killed after {:?} ({status}), acknowledged {}",
            trial + 1,
            after,
            acked.len()
        );
    }
    // the engine reopens and ingests after the last kill
    let engine = Engine::builder().path(&db).build().unwrap();
    let body = SentryBodies::new(ISSUES).body(u64::MAX / 2);
    let alert = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let reopened = engine
        .ingest("stress", Source::Sentry, &alert, &body)
        .is_ok();
    let ok = tally.lost == 0
        && tally.duplicated == 0
        && tally.group_dups == 0
        && tally.count_mismatch == 0
        && tally.integrity_bad == 0
        && tally.outbox_bad == 0
        && reopened;
    println!(
        "acknowledged {} events over {} trials in {:.1?}; duplicated groups {}, count mismatches {}, outbox mismatches {}, held firings cancelled by an earlier-received resolve {}, reopen+ingest {}",
        tally.acked,
        trials,
        started.elapsed(),
        tally.group_dups,
        tally.count_mismatch,
        tally.outbox_bad,
        tally.cancelled_by_resolve,
        if reopened { "ok" } else { "FAILED" }
    );
    println!(
        "crash: trials={trials} lost={} duplicated={} integrity={} threads={threads}",
        tally.lost,
        tally.duplicated + tally.group_dups,
        if tally.integrity_bad == 0 && tally.count_mismatch == 0 && tally.outbox_bad == 0 {
            "ok"
        } else {
            "FAILED"
        }
    );
    ok
}

/// A counter of the engine's metrics text.
fn counter(engine: &Engine, name: &str) -> f64 {
    let text = engine.metrics_text().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// `stress group --threads T --deliveries N`: N single `ingest` calls from T threads on a fresh
/// database file, and how many COMMITs they took (the engine's `signalcraft_store_commits_total`):
/// a count, meaningful on a loaded machine, unlike the rate printed beside it.
fn group(threads: u64, deliveries: u64) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::builder()
        .path(dir.path().join("group.db"))
        .build()
        .unwrap();
    engine.create_workspace("stress").unwrap();
    let bodies = SentryBodies::new(ISSUES);
    let alert = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let threads = threads.max(1);
    let commits = counter(&engine, "signalcraft_store_commits_total");
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..threads {
            let (engine, bodies, alert) = (&engine, &bodies, &alert);
            scope.spawn(move || {
                for i in (t..deliveries).step_by(threads as usize) {
                    let o = engine
                        .ingest("stress", Source::Sentry, alert, &bodies.body(i))
                        .unwrap();
                    assert_eq!(o.outcome, Outcome::Accepted);
                }
            });
        }
    });
    let took = started.elapsed();
    let commits = counter(&engine, "signalcraft_store_commits_total") - commits;
    println!(
        "group: threads={threads} deliveries={deliveries} commits={commits} deliveries_per_commit={:.2} ({:.0}/s wall clock)",
        deliveries as f64 / commits.max(1.0),
        deliveries as f64 / took.as_secs_f64()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    match args.first().map(String::as_str) {
        Some("child") => child(
            &args[1],
            args[2].parse().unwrap(),
            args.get(3).and_then(|v| v.parse().ok()).unwrap_or(1),
        ),
        Some("crash") => {
            let trials = flag("--trials").and_then(|v| v.parse().ok()).unwrap_or(50);
            let max_ms = flag("--max-ms").and_then(|v| v.parse().ok()).unwrap_or(300);
            let threads = flag("--threads").and_then(|v| v.parse().ok()).unwrap_or(1);
            if !crash(trials, flag("--db"), max_ms, threads) {
                std::process::exit(1);
            }
        }
        Some("group") => group(
            flag("--threads").and_then(|v| v.parse().ok()).unwrap_or(8),
            flag("--deliveries")
                .and_then(|v| v.parse().ok())
                .unwrap_or(20_000),
        ),
        Some("throughput-child") => throughput::child(&args[1..]),
        Some("throughput") => throughput::throughput(&throughput::Options {
            store: flag("--store").unwrap_or_else(|| "sqlite".into()),
            admin_url: flag("--admin-url")
                .or_else(|| std::env::var("SIGNALCRAFT_TEST_POSTGRES_URL").ok()),
            mode: flag("--mode").unwrap_or_else(|| "per_alert".into()),
            threads: flag("--threads").and_then(|v| v.parse().ok()).unwrap_or(1),
            processes: flag("--processes")
                .and_then(|v| v.parse().ok())
                .unwrap_or(1),
            secs: flag("--secs").and_then(|v| v.parse().ok()).unwrap_or(10.0),
            synchronous_commit: flag("--synchronous-commit").unwrap_or_else(|| "on".into()),
        }),
        Some("fleet-worker") => fleet::worker(&args[1..]),
        Some("fleet") => {
            let Some(admin_url) =
                flag("--admin-url").or_else(|| std::env::var("SIGNALCRAFT_TEST_POSTGRES_URL").ok())
            else {
                eprintln!(
                    "stress fleet: no PostgreSQL cluster: pass --admin-url or set SIGNALCRAFT_TEST_POSTGRES_URL"
                );
                std::process::exit(2);
            };
            let opts = fleet::FleetOptions {
                admin_url,
                workers: flag("--workers").and_then(|v| v.parse().ok()).unwrap_or(4),
                kill: flag("--kill").and_then(|v| v.parse().ok()).unwrap_or(3),
                speed: flag("--speed").and_then(|v| v.parse().ok()).unwrap_or(20),
                keep: args.iter().any(|a| a == "--keep"),
            };
            if !fleet::fleet(&opts) {
                std::process::exit(1);
            }
        }
        _ => {
            eprintln!(
                "usage: stress crash --trials N [--db PATH] [--max-ms M] [--threads T] | stress group [--threads T] [--deliveries N] | stress throughput --store sqlite|postgres [--mode per_alert|batched] [--threads T] [--processes P] [--secs S] | stress fleet [--admin-url URL] [--workers N] [--kill K] [--speed S] [--keep]"
            );
            std::process::exit(2);
        }
    }
}
