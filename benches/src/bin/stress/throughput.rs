//! `stress throughput`: durable ingest rates on SQLite and PostgreSQL side by side, with the
//! load of the criterion `ingest` bench (`sqlite_per_alert`, `sqlite_batched`): the docs'
//! Sentry event alert (4.5 KB), a fresh event id each, 1,000 issues, 100 routing rules.
//!
//!   stress throughput --store sqlite|postgres [--admin-url URL] [--mode per_alert|batched]
//!                     [--threads T] [--processes P] [--secs S] [--synchronous-commit on|off]
//!
//! `per_alert`: one `Engine::ingest` call per alert (one commit each — or, with several
//! threads, as many as the group-commit writer gathers); `batched`: `Engine::ingest_batch` of
//! 100. T threads per process, P processes on one database (a SQLite file or a fresh PostgreSQL
//! database made on the cluster of `--admin-url`, default `SIGNALCRAFT_TEST_POSTGRES_URL`).
//! The rate is alerts over the wall clock of the ingest phase, every thread and process
//! counted (the bodies are made before the clock starts). Prints one line:
//! `throughput: store=… mode=… threads=… processes=… alerts=… secs=… rate=…/s commits=…`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use signalcraft_benches::{SentryBodies, routing_rules, sentry_deliveries};
use signalcraft_core::{Engine, Headers, Outcome, RuleSet, Source};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Alerts per `ingest_batch` call.
const BATCH: usize = 100;
/// Alerts made ahead per thread and round (bodies are made outside the timed calls).
const ROUND: usize = 1_000;

fn key() -> [u8; 32] {
    *blake3::hash(b"signalcraft throughput bench").as_bytes()
}

fn open(db: &str) -> Engine {
    Engine::builder()
        .database(db)
        .secret_key(key())
        .build()
        .unwrap()
}

/// A counter of the engine's metrics text (NaN when the metrics cannot be read).
fn counter(engine: &Engine, name: &str) -> f64 {
    let Ok(text) = engine.metrics_text() else {
        return f64::NAN;
    };
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

/// Ingests for `secs` from `threads` threads; answers (alerts, wall seconds, commits).
fn run(db: &str, mode: &str, threads: u64, secs: f64, first: u64) -> (u64, f64, f64) {
    let engine = open(db);
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let bodies = SentryBodies::routed(1000);
    let commits = counter(&engine, "signalcraft_store_commits_total");
    let limit = Duration::from_secs_f64(secs);
    let start = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (engine, headers, bodies) = (&engine, &headers, &bodies);
                scope.spawn(move || {
                    let mut n = first + t * 10_000_000;
                    let mut done = 0u64;
                    while start.elapsed() < limit {
                        let round: Vec<Vec<u8>> =
                            (0..ROUND as u64).map(|i| bodies.body(n + i)).collect();
                        n += ROUND as u64;
                        if mode == "batched" {
                            for chunk in round.chunks(BATCH) {
                                let batch = sentry_deliveries(headers, chunk);
                                let out = engine.ingest_batch("bench", &batch).unwrap();
                                assert!(out.iter().all(|r| r.is_ok()));
                                done += chunk.len() as u64;
                                if start.elapsed() >= limit {
                                    break;
                                }
                            }
                        } else {
                            for body in &round {
                                let o = engine
                                    .ingest("bench", Source::Sentry, headers, body)
                                    .unwrap();
                                assert_eq!(o.outcome, Outcome::Accepted);
                                done += 1;
                                if start.elapsed() >= limit {
                                    break;
                                }
                            }
                        }
                    }
                    done
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let took = start.elapsed().as_secs_f64();
    let commits = counter(&engine, "signalcraft_store_commits_total") - commits;
    (total, took, commits)
}

/// `stress throughput-child DB MODE THREADS SECS FIRST`: one process of a multi-process run;
/// prints `done ALERTS SECS COMMITS`.
pub fn child(args: &[String]) {
    let (alerts, secs, commits) = run(
        &args[0],
        &args[1],
        args[2].parse().unwrap(),
        args[3].parse().unwrap(),
        args[4].parse().unwrap(),
    );
    println!("done {alerts} {secs} {commits}");
}

/// Options of `stress throughput`.
pub struct Options {
    /// `sqlite` or `postgres`.
    pub store: String,
    /// The PostgreSQL cluster's admin URL.
    pub admin_url: Option<String>,
    /// `per_alert` or `batched`.
    pub mode: String,
    /// Threads per process.
    pub threads: u64,
    /// Processes.
    pub processes: u64,
    /// Seconds of ingest.
    pub secs: f64,
    /// PostgreSQL's `synchronous_commit` for the bench database (`on`, the default: a commit
    /// waits for its WAL fsync; `off`: it does not — a server crash may lose the last commits,
    /// as SQLite's WAL with `synchronous=NORMAL` may on a power loss, never a process crash).
    pub synchronous_commit: String,
}

/// `stress throughput`.
pub fn throughput(o: &Options) {
    let dir = tempfile::tempdir().unwrap();
    let mut drop_db = None;
    let db = if o.store == "postgres" {
        let Some(admin) = o.admin_url.clone() else {
            eprintln!(
                "stress throughput: no PostgreSQL cluster: pass --admin-url or set SIGNALCRAFT_TEST_POSTGRES_URL"
            );
            std::process::exit(2);
        };
        let name = format!("signalcraft_throughput_{}", std::process::id());
        let pg = super::fleet::Pg::connect(&admin);
        pg.execute(&format!("DROP DATABASE IF EXISTS {name}"));
        pg.execute(&format!("CREATE DATABASE {name}"));
        pg.execute(&format!(
            "ALTER DATABASE {name} SET synchronous_commit = {}",
            if o.synchronous_commit == "off" {
                "off"
            } else {
                "on"
            }
        ));
        drop_db = Some((pg, name.clone()));
        super::fleet::db_url(&admin, &name)
    } else {
        dir.path().join("throughput.db").display().to_string()
    };
    {
        let engine = open(&db);
        engine.create_workspace("bench").unwrap();
        let rules = RuleSet::from_json(&routing_rules(100)).unwrap();
        engine.put_rules("bench", &rules).unwrap();
    }
    let (alerts, secs, commits) = if o.processes <= 1 {
        run(&db, &o.mode, o.threads, o.secs, 0)
    } else {
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..o.processes)
            .map(|p| {
                Command::new(&exe)
                    .args([
                        "throughput-child",
                        &db,
                        &o.mode,
                        &o.threads.to_string(),
                        &o.secs.to_string(),
                        &((p + 1) * 1_000_000_000).to_string(),
                    ])
                    .stdout(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let mut sum = (0u64, 0f64, 0f64);
        for mut c in children {
            let out = c.stdout.take().unwrap();
            let line = BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .find(|l| l.starts_with("done "))
                .unwrap_or_else(|| panic!("a throughput child printed no result"));
            assert!(c.wait().unwrap().success());
            let f: Vec<&str> = line.split_whitespace().collect();
            sum.0 += f[1].parse::<u64>().unwrap();
            // the processes run side by side: the window is the longest of theirs
            sum.1 = sum.1.max(f[2].parse().unwrap());
            sum.2 += f[3].parse::<f64>().unwrap();
        }
        sum
    };
    println!(
        "throughput: store={}{} mode={} threads={} processes={} alerts={alerts} secs={secs:.1} rate={:.0}/s commits={commits} alerts_per_commit={:.1}",
        o.store,
        if o.store == "postgres" {
            format!(" synchronous_commit={}", o.synchronous_commit)
        } else {
            String::new()
        },
        o.mode,
        o.threads,
        o.processes.max(1),
        alerts as f64 / secs,
        alerts as f64 / commits.max(1.0)
    );
    if let Some((pg, name)) = drop_db {
        pg.execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}
