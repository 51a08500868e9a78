//! The same ingest loop from Rust, Python, Node and (with `--swift`) Swift, as a ratio to Rust.
//!
//!   bindings-ratio [N] [--python PATH] [--node PATH] [--swift benches/swift-ratio/run]
//!   bindings-ratio [N] --write DIR      # only writes the loops' input (bodies.jsonl, rules.json)
//!
//! Writes N Sentry event alerts (the criterion `ingest` bench's, routed by 100 rules) to a
//! directory, then ingests them into a fresh database on disk from each language, one commit
//! per alert (`per_alert`) and 100 per commit (`batch_100`), three rounds, interleaved; prints
//! the median rate of each and, last, `ratio_python=X ratio_node=Y` (binding rate over Rust's,
//! one commit per alert; `ratio_swift=Z` too with `--swift`). The Python and Node loops are
//! benches/bindings_ratio.py and benches/bindings-ratio.mjs; they need the release builds of the
//! bindings (./scripts/bench makes them). The Swift loop is benches/swift-ratio (its `run` runs
//! it in the Swift chroot of bindings-swift/run-tests, which sees only the repository, so with
//! `--swift` the bodies are written under target/; it needs `cargo build --release -p
//! signalcraft-swift`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use signalcraft_benches::{SentryBodies, routing_rules, sentry_deliveries};
use signalcraft_core::{Engine, Headers, RuleSet, Source};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const MODES: [&str; 2] = ["per_alert", "batch_100"];
const ROUNDS: usize = 3;

fn rust_loop(dir: &Path, mode: &str, bodies: &[Vec<u8>]) -> f64 {
    let db = dir.join(format!("rust-{mode}.db"));
    let _ = std::fs::remove_file(&db);
    let engine = Engine::builder().path(&db).build().unwrap();
    let rules = std::fs::read(dir.join("rules.json")).unwrap();
    engine.create_workspace("bench").unwrap();
    engine
        .put_rules(
            "bench",
            &RuleSet::from_json(&serde_json::from_slice(&rules).unwrap()).unwrap(),
        )
        .unwrap();
    let headers = Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let start = Instant::now();
    if mode == "per_alert" {
        for body in bodies {
            engine
                .ingest("bench", Source::Sentry, &headers, body)
                .unwrap();
        }
    } else {
        for chunk in bodies.chunks(100) {
            let batch = sentry_deliveries(&headers, chunk);
            for slot in engine.ingest_batch("bench", &batch).unwrap() {
                slot.unwrap();
            }
        }
    }
    bodies.len() as f64 / start.elapsed().as_secs_f64()
}

/// Runs a host's loop (`program [script] DIR MODE`); it prints `alerts_per_sec=X` last.
fn host_loop(program: &str, script: &str, dir: &Path, mode: &str) -> f64 {
    let out = Command::new(program)
        .args((!script.is_empty()).then_some(script))
        .arg(dir)
        .arg(mode)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} {script}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{program} {script} {mode} failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("alerts_per_sec="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{program} {script} printed no rate:\n{text}"))
}

/// The loops' input in `dir`: `bodies.jsonl` (N Sentry event alerts, one a line) and
/// `rules.json` (100 rules); answers the bodies.
fn write_input(dir: &Path, n: u64) -> Vec<Vec<u8>> {
    let sentry = SentryBodies::routed(1000);
    let bodies: Vec<Vec<u8>> = (0..n).map(|i| sentry.body(i)).collect();
    let mut f = std::fs::File::create(dir.join("bodies.jsonl")).unwrap();
    for b in &bodies {
        assert!(!b.contains(&b'\n'), "bodies are compact JSON, one a line");
        f.write_all(b).unwrap();
        f.write_all(b"\n").unwrap();
    }
    std::fs::write(
        dir.join("rules.json"),
        serde_json::to_vec(&routing_rules(100)).unwrap(),
    )
    .unwrap();
    bodies
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut n: u64 = 3000;
    let mut python = "target/py-venv/bin/python".to_string();
    let mut node = "node".to_string();
    let mut swift: Option<String> = None;
    let mut write: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--python" => python = args.next().unwrap(),
            "--node" => node = args.next().unwrap(),
            "--swift" => swift = Some(args.next().unwrap()),
            "--write" => write = Some(args.next().unwrap()),
            v => {
                n = v
                    .parse()
                    .expect("N, --python PATH, --node PATH or --swift PATH")
            }
        }
    }
    if let Some(out) = write {
        std::fs::create_dir_all(&out).unwrap();
        write_input(Path::new(&out), n);
        println!("wrote {n} bodies and 100 rules to {out}");
        return;
    }
    let dir = match swift {
        // the Swift loop runs in a chroot that sees only the repository
        Some(_) => {
            std::fs::create_dir_all("target").unwrap();
            tempfile::tempdir_in("target").unwrap()
        }
        None => tempfile::tempdir().unwrap(),
    };
    let bodies = write_input(dir.path(), n);
    println!(
        "{n} Sentry event alerts, 100 rules, a fresh database on disk per run, median of {ROUNDS} rounds"
    );
    let mut rates = Vec::new();
    for mode in MODES {
        let (mut r, mut p, mut j, mut w) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            r.push(rust_loop(dir.path(), mode, &bodies));
            p.push(host_loop(
                &python,
                "benches/bindings_ratio.py",
                dir.path(),
                mode,
            ));
            j.push(host_loop(
                &node,
                "benches/bindings-ratio.mjs",
                dir.path(),
                mode,
            ));
            if let Some(program) = &swift {
                w.push(host_loop(program, "", dir.path(), mode));
            }
        }
        let (r, p, j) = (median(r), median(p), median(j));
        let w = (!w.is_empty()).then(|| median(w));
        let swift_col = w.map_or(String::new(), |w| {
            format!("  swift {w:>8.0}/s ({:.2})", w / r)
        });
        println!(
            "{mode:>10}: rust {r:>8.0}/s  python {p:>8.0}/s ({:.2})  node {j:>8.0}/s ({:.2}){swift_col}",
            p / r,
            j / r
        );
        rates.push((r, p, j, w));
    }
    let (r, p, j, w) = rates[0];
    let swift_ratio = w.map_or(String::new(), |w| format!(" ratio_swift={:.2}", w / r));
    println!(
        "ratio_python={:.2} ratio_node={:.2}{swift_ratio}",
        p / r,
        j / r
    );
}
