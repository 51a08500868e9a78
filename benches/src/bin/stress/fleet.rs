//! `stress fleet`: several engine processes on one PostgreSQL database acting as one engine.
//!
//! The parent makes a fresh database on the cluster (`--admin-url`, default
//! `SIGNALCRAFT_TEST_POSTGRES_URL`), sets up a workspace with a webhook channel pointing at a
//! loopback receiver it runs, a rule sending every alert there with a two-step escalation
//! policy, and writes a list of real fixture deliveries (Sentry event alerts with `Request-ID`s,
//! some repeated; Alertmanager, Grafana, PagerDuty, Datadog and Opsgenie payloads). It starts
//! `--workers` processes (`stress fleet-worker`), each ingesting the whole list in its own order
//! (so every delivery arrives once per worker) while its background loop ticks and dispatches.
//! When the receiver holds a send of the `--kill`th worker (a request it has not answered yet:
//! the receiver answers some requests slowly), the parent kills that worker with SIGKILL; the
//! others finish its ingest (they have the same list) and, once the killed worker's leases run
//! out, its claimed notifications.
//!
//! Then the parent checks, in PostgreSQL and through the engine's API, against a reference run
//! of one engine on SQLite that ingested the same deliveries as often, one after another:
//! events, groups and every group's count equal; no outbox row pending; every escalation step
//! recorded once per group; every notification received exactly once by its
//! `X-SignalCraft-Delivery` id — except the ones the killed worker had sent but not marked,
//! which arrive twice with the same id (counted and printed). One line per check; exit 1 on a
//! failure.
//!
//! **The clock.** The engine's durations are minutes (escalation delays) and its lease is 120 s;
//! to run in seconds every process uses the same scaled system clock: `epoch + (wall − epoch) ×
//! speed` (`--speed`, default 20, so one engine minute is 3 s and a lease 6 s), with `epoch`
//! given by the parent — so all instances agree on the time exactly as they would on the
//! system clock.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, Utc};
use signalcraft_core::{Clock, Engine, GroupQuery, Headers, PrivateTargets, Source};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The workspace, channel and policy names.
const WS: &str = "fleet";
const CHANNEL: &str = "hook";
const POLICY: &str = "oncall";

/// A clock running `speed` times as fast as the system's, from a shared `epoch`.
#[derive(Debug)]
struct ScaledClock {
    epoch_ms: i64,
    speed: i64,
}

impl Clock for ScaledClock {
    fn now(&self) -> DateTime<Utc> {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        let epoch = self.epoch_ms * 1000;
        let us = epoch + (wall - epoch) * self.speed;
        DateTime::from_timestamp_micros(us).unwrap_or_default()
    }
}

/// One delivery of the stream: source, headers, body.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Item {
    source: String,
    headers: Vec<(String, String)>,
    body: String,
    /// Whether the source makes a repeat a duplicate (an id per delivery or per event).
    idempotent: bool,
}

fn source(name: &str) -> Source {
    serde_json::from_value(serde_json::Value::String(name.into())).unwrap()
}

fn fixture_text(rel: &str) -> String {
    String::from_utf8(signalcraft_benches::fixture(rel)).unwrap()
}

/// The stream: real fixture payloads, some made distinct, some repeated.
fn stream() -> Vec<Item> {
    let mut items = Vec::new();
    // Sentry event alerts (the docs' payload): 48 events over 12 issues, each delivery with its
    // own Request-ID; 8 of them delivered again with the same Request-ID (a retry) and 4 with a
    // new Request-ID but the same event id (the event id makes them duplicates too).
    let bodies = signalcraft_benches::SentryBodies::new(12);
    let sentry = |n: u64, rid: String| Item {
        source: "sentry".into(),
        headers: vec![
            ("Sentry-Hook-Resource".into(), "event_alert".into()),
            ("Request-ID".into(), rid),
        ],
        body: String::from_utf8(bodies.body(0x000f_1ee7_0000 + n)).unwrap(),
        idempotent: true,
    };
    for n in 0..48 {
        items.push(sentry(n, format!("req-{n:04}")));
    }
    for n in 0..8 {
        items.push(sentry(n * 5, format!("req-{:04}", n * 5)));
    }
    for n in 0..4 {
        items.push(sentry(n * 7 + 1, format!("req-retry-{n}")));
    }
    // Alertmanager: the fixtures (1, 2 and 3 alerts) and 12 one-alert deliveries over 6 hosts,
    // each twice. Alertmanager has no delivery id: every copy counts into its group.
    for rel in [
        "alertmanager/alertmanager-bot_firing.json",
        "alertmanager/zulip_firing_2_alerts.json",
        "alertmanager/prometheus-msteams_firing_3_alerts.json",
    ] {
        items.push(Item {
            source: "alertmanager".into(),
            headers: vec![],
            body: fixture_text(rel),
            idempotent: false,
        });
    }
    for n in 0..12 {
        items.push(Item {
            source: "alertmanager".into(),
            headers: vec![],
            body: String::from_utf8(signalcraft_benches::am_webhook_body(n % 6, 1)).unwrap(),
            idempotent: false,
        });
    }
    for rel in [
        "grafana/grafana_docs_firing_2_alerts.json",
        "grafana/zulip_grafana11_firing_values.json",
    ] {
        items.push(Item {
            source: "grafana".into(),
            headers: vec![],
            body: fixture_text(rel),
            idempotent: false,
        });
    }
    items.push(Item {
        source: "pagerduty".into(),
        headers: vec![],
        body: fixture_text("pagerduty/events_v2_trigger.docs.json"),
        idempotent: false,
    });
    items.push(Item {
        source: "datadog".into(),
        headers: vec![],
        body: fixture_text("datadog/relay_default_payload_service_check_triggered.json"),
        idempotent: true,
    });
    items.push(Item {
        source: "opsgenie".into(),
        headers: vec![],
        body: fixture_text("opsgenie/zulip_opsgenie_create.json"),
        idempotent: true,
    });
    items
}

fn headers_of(item: &Item) -> Headers {
    let mut h = Headers::new();
    for (k, v) in &item.headers {
        h = h.with(k, v);
    }
    h
}

/// The worker's order of the stream: a shuffle seeded by its index.
fn order(n: usize, index: u64) -> Vec<usize> {
    let mut v: Vec<usize> = (0..n).collect();
    let mut rng = super::Rng(0x9e37_79b9_7f4a_7c15 ^ (index + 1).wrapping_mul(0x2545_f491));
    for i in (1..v.len()).rev() {
        let j = (rng.next() % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
    v
}

/// The workspace's configuration: the channel, the policy, the rule.
fn configure(engine: &Engine, receiver: &str) {
    engine.create_workspace(WS).unwrap();
    engine
        .set_channel(
            WS,
            CHANNEL,
            signalcraft_core::notify::ChannelKind::Webhook,
            &serde_json::json!({"url": receiver, "timeout_secs": 10, "rate_limit": {"per_min": 10000}}),
        )
        .unwrap();
    let policy = signalcraft_core::escalation::EscalationPolicy::from_json(&serde_json::json!({
        "steps": [{"after_mins": 0, "notify": [CHANNEL]}, {"after_mins": 1, "notify": [CHANNEL]}]
    }))
    .unwrap();
    engine.put_escalation(WS, POLICY, &policy).unwrap();
    let rules = signalcraft_core::RuleSet::from_json(&serde_json::json!([
        {"id": "all", "when": {}, "then": {"notify": [CHANNEL], "escalation": POLICY}}
    ]))
    .unwrap();
    engine.put_rules(WS, &rules).unwrap();
}

/// `stress fleet-worker --db URL --list FILE --index I --epoch MS --speed S`: ingests the list
/// in its order with the background loop running, prints `ingested N` when done, and stops when
/// its stdin closes.
pub fn worker(args: &[String]) {
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
            .unwrap_or_else(|| panic!("fleet-worker: {name} missing"))
    };
    let index: u64 = flag("--index").parse().unwrap();
    let clock = ScaledClock {
        epoch_ms: flag("--epoch").parse().unwrap(),
        speed: flag("--speed").parse().unwrap(),
    };
    let items: Vec<Item> = serde_json::from_slice(&std::fs::read(flag("--list")).unwrap()).unwrap();
    let engine = Arc::new(
        Engine::builder()
            .database(flag("--db"))
            .clock(Arc::new(clock))
            .allow_private_targets(PrivateTargets::All)
            .build()
            .unwrap(),
    );
    engine.start_background().unwrap();
    let mut out = std::io::stdout();
    writeln!(out, "started").unwrap();
    for i in order(items.len(), index) {
        let item = &items[i];
        let o = engine
            .ingest(
                WS,
                source(&item.source),
                &headers_of(item),
                item.body.as_bytes(),
            )
            .unwrap_or_else(|e| {
                panic!("worker {index}: ingest of item {i} ({}): {e}", item.source)
            });
        let _ = o;
        // acknowledged: the parent's reference replays exactly what a killed worker ingested
        writeln!(out, "ack {i}").unwrap();
        out.flush().unwrap();
        // pace the stream, so that sends and ticks interleave with ingest
        std::thread::sleep(Duration::from_millis(15));
    }
    writeln!(out, "ingested {}", items.len()).unwrap();
    out.flush().unwrap();
    // keep ticking and dispatching until the parent says stop (closes stdin)
    let mut sink = Vec::new();
    let _ = std::io::stdin().read_to_end(&mut sink);
    engine.stop();
}

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    delivery: i64,
    peer_port: u16,
    at: Instant,
    /// When its answer started (None: never answered).
    answered: Option<Instant>,
    /// Answered after 1.2 s (the rest after 80 ms).
    slow: bool,
    kind: String,
}

type Log = Arc<Mutex<Vec<Received>>>;

/// The loopback webhook receiver: records every request with its `X-SignalCraft-Delivery` id,
/// answers 200 — every third one after 1.2 s, the rest after 80 ms.
fn receiver() -> (String, Log) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let log: Log = Arc::new(Mutex::new(Vec::new()));
    let l = Arc::clone(&log);
    std::thread::spawn(move || {
        for stream in listener.incoming().map_while(Result::ok) {
            let l = Arc::clone(&l);
            std::thread::spawn(move || serve(stream, &l));
        }
    });
    (url, log)
}

fn serve(stream: TcpStream, log: &Log) {
    let port = stream.peer_addr().map(|a| a.port()).unwrap_or(0);
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut stream = stream;
    loop {
        // one request of a keep-alive connection
        let mut len = 0usize;
        let mut delivery = None;
        let mut line = String::new();
        let mut first = true;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let l = line.trim_end();
            if l.is_empty() {
                if first {
                    continue;
                }
                break;
            }
            first = false;
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                if k == "content-length" {
                    len = v.parse().unwrap_or(0);
                } else if k == "x-signalcraft-delivery" {
                    delivery = v.parse::<i64>().ok();
                }
            }
        }
        let mut body = vec![0u8; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let doc = serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
        let kind = doc["type"].as_str().unwrap_or_default().to_string();
        // the body names the same delivery id as the header
        let delivery = delivery.filter(|d| doc["delivery_id"].as_i64() == Some(*d));
        let n = {
            let mut g = log.lock().unwrap();
            let slow = g.len().is_multiple_of(3);
            g.push(Received {
                delivery: delivery.unwrap_or(-1),
                peer_port: port,
                at: Instant::now(),
                answered: None,
                slow,
                kind,
            });
            g.len() - 1
        };
        std::thread::sleep(Duration::from_millis(if n.is_multiple_of(3) {
            1200
        } else {
            80
        }));
        log.lock().unwrap()[n].answered = Some(Instant::now());
        let answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";
        if stream.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// The local TCP ports of `pid`'s sockets (from /proc: its fds' socket inodes, matched in the
/// namespace's tcp tables).
fn ports_of(pid: u32) -> HashSet<u16> {
    let mut inodes = HashSet::new();
    if let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in dir.flatten() {
            if let Ok(t) = std::fs::read_link(e.path()) {
                let t = t.to_string_lossy().to_string();
                if let Some(i) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                    inodes.insert(i.to_string());
                }
            }
        }
    }
    let mut ports = HashSet::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/{pid}/net/{table}")) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() > 9
                && inodes.contains(f[9])
                && let Some(p) = f[1].rsplit(':').next()
                && let Ok(p) = u16::from_str_radix(p, 16)
            {
                ports.insert(p);
            }
        }
    }
    ports
}

/// A database client on a runtime of its own.
pub(crate) struct Pg {
    rt: tokio::runtime::Runtime,
    client: tokio_postgres::Client,
}

impl Pg {
    pub(crate) fn connect(url: &str) -> Pg {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
            tokio::spawn(async move {
                let _ = conn.await;
            });
            client
        });
        Pg { rt, client }
    }

    pub(crate) fn execute(&self, sql: &str) {
        self.rt
            .block_on(self.client.batch_execute(sql))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// Rows of text (every column cast to text in the SQL).
    fn rows(&self, sql: &str) -> Vec<Vec<Option<String>>> {
        let rows = self
            .rt
            .block_on(self.client.query(sql, &[]))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        rows.iter()
            .map(|r| {
                (0..r.len())
                    .map(|i| match *r.columns()[i].type_() {
                        tokio_postgres::types::Type::INT8 => {
                            r.get::<_, Option<i64>>(i).map(|v| v.to_string())
                        }
                        _ => r.get::<_, Option<String>>(i),
                    })
                    .collect()
            })
            .collect()
    }

    fn int(&self, sql: &str) -> i64 {
        self.rows(sql)[0][0]
            .as_deref()
            .unwrap_or("0")
            .parse()
            .unwrap()
    }
}

/// The same reads on the reference SQLite file.
fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<Option<String>>> {
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |r| {
        (0..n)
            .map(|i| r.get::<_, Option<String>>(i))
            .collect::<rusqlite::Result<Vec<_>>>()
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

/// What the checks compare between the fleet and the reference.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    /// source and fingerprint → (groups, their counts, events in them)
    groups: BTreeMap<String, (i64, i64, i64)>,
    /// source → events
    events: BTreeMap<String, i64>,
    /// requests stored
    requests: i64,
}

/// Groups by source and fingerprint (a group key also names the workspace, whose id differs
/// between the fleet's database and the reference's).
const GROUPS_SQL: &str = "SELECT g.source || ' ' || g.fingerprint, CAST(COUNT(*) AS TEXT),
    CAST(SUM(g.count) AS TEXT),
    CAST(SUM((SELECT COUNT(*) FROM alert_events e WHERE e.group_id = g.id)) AS TEXT)
    FROM alert_groups g GROUP BY g.source, g.fingerprint ORDER BY 1";
const EVENTS_SQL: &str =
    "SELECT source, CAST(COUNT(*) AS TEXT) FROM alert_events GROUP BY source ORDER BY source";
const REQUESTS_SQL: &str = "SELECT CAST(COUNT(*) AS TEXT) FROM requests";

fn shape(rows: impl Fn(&str) -> Vec<Vec<Option<String>>>) -> Shape {
    let num = |v: &Option<String>| v.as_deref().unwrap_or("0").parse::<i64>().unwrap();
    Shape {
        groups: rows(GROUPS_SQL)
            .iter()
            .map(|r| {
                (
                    r[0].clone().unwrap_or_default(),
                    (num(&r[1]), num(&r[2]), num(&r[3])),
                )
            })
            .collect(),
        events: rows(EVENTS_SQL)
            .iter()
            .map(|r| (r[0].clone().unwrap_or_default(), num(&r[1])))
            .collect(),
        requests: num(&rows(REQUESTS_SQL)[0][0]),
    }
}

/// The database URL for `name` on the cluster of `admin`.
pub(crate) fn db_url(admin: &str, name: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (admin, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{name}{query}", &base[..host_end])
}

struct Checks {
    failed: usize,
}

impl Checks {
    fn line(&mut self, ok: bool, what: &str, detail: String) {
        if !ok {
            self.failed += 1;
        }
        println!(
            "fleet: {what}: {} ({detail})",
            if ok { "ok" } else { "FAILED" }
        );
    }
}

/// Options of `stress fleet`.
pub struct FleetOptions {
    /// The cluster's admin URL.
    pub admin_url: String,
    /// Worker processes.
    pub workers: u64,
    /// The worker killed (1-based; 0: none).
    pub kill: u64,
    /// Clock speed.
    pub speed: i64,
    /// Keep the database afterwards.
    pub keep: bool,
}

fn spawn_worker(
    exe: &std::path::Path,
    db: &str,
    list: &str,
    index: u64,
    epoch: i64,
    speed: i64,
    key: &str,
) -> Child {
    Command::new(exe)
        .args([
            "fleet-worker",
            "--db",
            db,
            "--list",
            list,
            "--index",
            &index.to_string(),
            "--epoch",
            &epoch.to_string(),
            "--speed",
            &speed.to_string(),
        ])
        .env("SIGNALCRAFT_SECRET_KEY", key)
        .env("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// `stress fleet`; true when every check passed.
pub fn fleet(opts: &FleetOptions) -> bool {
    let started = Instant::now();
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!(
        "signalcraft_fleet_{}_{}",
        std::process::id(),
        stamp % 1_000_000_000
    );
    let admin = Pg::connect(&opts.admin_url);
    admin.execute(&format!("CREATE DATABASE {name}"));
    let db = db_url(&opts.admin_url, &name);
    let key_bytes = blake3::hash(format!("fleet {stamp} {}", std::process::id()).as_bytes());
    let key: String = key_bytes
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let epoch = (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()) as i64;
    let clock = || {
        Arc::new(ScaledClock {
            epoch_ms: epoch,
            speed: opts.speed,
        })
    };
    let (url, log) = receiver();
    let engine = Engine::builder()
        .database(&db)
        .clock(clock())
        .secret_key(*key_bytes.as_bytes())
        .allow_private_targets(PrivateTargets::All)
        .build()
        .unwrap();
    configure(&engine, &url);
    let items = stream();
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("stream.json");
    std::fs::write(&list, serde_json::to_vec(&items).unwrap()).unwrap();
    let list = list.display().to_string();

    println!(
        "fleet: database {name}; {} deliveries per worker, {} workers, clock ×{}",
        items.len(),
        opts.workers,
        opts.speed,
    );

    let exe = std::env::current_exe().unwrap();
    let mut children: Vec<Child> = (0..opts.workers)
        .map(|w| spawn_worker(&exe, &db, &list, w, epoch, opts.speed, &key))
        .collect();
    // each worker's last line and the items it acknowledged
    type Progress = Arc<Mutex<Vec<(String, Vec<usize>)>>>;
    let progress: Progress = Arc::new(Mutex::new(vec![
        (String::new(), Vec::new());
        opts.workers as usize
    ]));
    let mut readers = Vec::new();
    for (w, c) in children.iter_mut().enumerate() {
        let out = c.stdout.take().unwrap();
        let p = Arc::clone(&progress);
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let mut g = p.lock().unwrap();
                if let Some(i) = line.strip_prefix("ack ").and_then(|i| i.parse().ok()) {
                    g[w].1.push(i);
                }
                g[w].0 = line;
            }
        }));
    }

    // Kill the chosen worker while the receiver holds one of its sends.
    let victim = (opts.kill as usize).checked_sub(1);
    let mut kill_at: Option<Instant> = None;
    let mut victim_ports: HashSet<u16> = HashSet::new();
    let mut victim_progress = 0;
    let mut leased_at_kill = 0;
    let pg = Pg::connect(&db);
    if let Some(v) = victim {
        let pid = children[v].id();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            victim_ports.extend(ports_of(pid));
            let holding = log
                .lock()
                .unwrap()
                .iter()
                .any(|r| r.slow && r.answered.is_none() && victim_ports.contains(&r.peer_port));
            // mid-stream: a quarter of its list ingested, the rest not
            let acked = progress.lock().unwrap()[v].1.len();
            if holding && acked >= items.len() / 4 && acked < items.len() {
                children[v].kill().unwrap(); // SIGKILL
                kill_at = Some(Instant::now());
                let _ = children[v].wait();
                victim_progress = progress.lock().unwrap()[v].1.len();
                leased_at_kill = pg.int(
                    "SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND lease_until IS NOT NULL",
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    // Wait for the rest: every survivor ingested everything, nothing pending, every escalation
    // finished, the receiver answered everything.
    let deadline = Instant::now() + Duration::from_secs(45);
    let survivors: Vec<usize> = (0..opts.workers as usize)
        .filter(|w| Some(*w) != victim)
        .collect();
    let mut settled = false;
    while Instant::now() < deadline {
        let done = survivors
            .iter()
            .all(|w| progress.lock().unwrap()[*w].0.starts_with("ingested"));
        let exited = survivors
            .iter()
            .any(|w| children[*w].try_wait().ok().flatten().is_some());
        if exited {
            break;
        }
        if done {
            let pending = pg.int("SELECT COUNT(*) FROM outbox WHERE status = 'pending'");
            let active = pg.int("SELECT COUNT(*) FROM group_escalations WHERE state = 'active'");
            let open_sends = log
                .lock()
                .unwrap()
                .iter()
                .filter(|r| {
                    r.answered.is_none()
                        && !(kill_at.is_some()
                            && victim_ports.contains(&r.peer_port)
                            && kill_at.is_some_and(|k| r.at < k))
                })
                .count();
            if pending == 0 && active == 0 && open_sends == 0 {
                settled = true;
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut exits = Vec::new();
    if let (Some(v), None) = (victim, kill_at) {
        // never killed (no send of its was seen): stop it like the others
        drop(children[v].stdin.take());
        let _ = children[v].wait();
    }
    for w in &survivors {
        drop(children[*w].stdin.take());
    }
    for w in &survivors {
        let st = children[*w].wait().unwrap();
        exits.push(st.success());
    }
    for r in readers {
        let _ = r.join();
    }
    let mut c = Checks { failed: 0 };
    c.line(
        settled,
        "settled",
        format!(
            "{:.1?} after the start; survivors exited cleanly: {}",
            started.elapsed(),
            exits.iter().all(|e| *e)
        ),
    );
    c.line(
        exits.iter().all(|e| *e),
        "survivors",
        format!(
            "{} workers stopped with status 0",
            exits.iter().filter(|e| **e).count()
        ),
    );
    match (victim, kill_at) {
        (Some(v), Some(_)) => c.line(
            true,
            "kill",
            format!(
                "worker {} killed with SIGKILL while the receiver held its send, after it had ingested {victim_progress} of its {} deliveries; {leased_at_kill} outbox rows leased at that moment",
                v + 1,
                items.len()
            ),
        ),
        (Some(v), None) => c.line(
            false,
            "kill",
            format!("worker {} never had a send in flight within 20 s", v + 1),
        ),
        _ => {}
    }

    // The reference: one engine on SQLite ingesting what the fleet was given — every
    // survivor's list, and the killed worker's acknowledged deliveries — one after another.
    // The killed worker's next delivery may have committed without its acknowledgement being
    // read: the reference is taken without it (`expected`) and with it (`expected_next`).
    let acked: Vec<usize> = victim
        .map(|v| progress.lock().unwrap()[v].1.clone())
        .unwrap_or_default();
    let next = victim.and_then(|v| order(items.len(), v as u64).get(acked.len()).copied());
    let reference_db = dir.path().join("reference.db");
    let reference = Engine::builder()
        .path(&reference_db)
        .clock(clock())
        .build()
        .unwrap();
    configure(&reference, &url);
    let replay = |i: usize| {
        let item = &items[i];
        reference
            .ingest(
                WS,
                source(&item.source),
                &headers_of(item),
                item.body.as_bytes(),
            )
            .unwrap_or_else(|e| panic!("reference ingest of item {i}: {e}"));
    };
    for w in &survivors {
        order(items.len(), *w as u64).into_iter().for_each(replay);
    }
    acked.iter().copied().for_each(replay);
    let reference_conn = rusqlite::Connection::open(&reference_db).unwrap();
    let expected_acked = shape(|sql| sqlite_rows(&reference_conn, sql));
    if let Some(i) = next {
        replay(i);
    }
    let expected_next = shape(|sql| sqlite_rows(&reference_conn, sql));
    drop(reference);

    // The stored state against the reference.
    let got = shape(|sql| pg.rows(sql));
    let (expected, which) = if got == expected_next && got != expected_acked {
        (
            expected_next,
            "with the killed worker's last delivery, committed before its acknowledgement was read",
        )
    } else {
        (
            expected_acked,
            "with the deliveries the killed worker acknowledged",
        )
    };
    println!(
        "fleet: reference: one SQLite engine, {} survivors' lists and {} deliveries of the killed worker, {which}: {} groups, {} events",
        survivors.len(),
        acked.len(),
        expected.groups.len(),
        expected.events.values().sum::<i64>()
    );
    let events: i64 = got.events.values().sum();
    c.line(
        got.events == expected.events,
        "events",
        format!(
            "{events} stored, by source {:?}; reference {:?}",
            got.events, expected.events
        ),
    );
    let dup_events = pg.int(
        "SELECT COUNT(*) FROM (SELECT 1 FROM alert_events WHERE source_event_id IS NOT NULL
         GROUP BY workspace_id, source, source_event_id HAVING COUNT(*) > 1) d",
    );
    let dup_requests = pg.int(
        "SELECT COUNT(*) FROM (SELECT 1 FROM requests WHERE delivery_id IS NOT NULL
         GROUP BY workspace_id, source, delivery_id HAVING COUNT(*) > 1) d",
    );
    let sentry_events = got.events.get("sentry").copied().unwrap_or(0);
    c.line(
        dup_events == 0 && dup_requests == 0 && sentry_events == 48,
        "idempotency",
        format!(
            "{sentry_events} Sentry events for 48 distinct event ids delivered {} times; event ids stored twice: {dup_events}; delivery ids stored twice: {dup_requests}; requests {} (reference {})",
            (items.iter().filter(|i| i.source == "sentry").count() as u64) * opts.workers,
            got.requests,
            expected.requests
        ),
    );
    // no group key with two groups (every alert is firing: none was resolved and reopened)
    let dup_keys = pg.int(
        "SELECT COUNT(*) FROM (SELECT 1 FROM alert_groups GROUP BY workspace_id, group_key
         HAVING COUNT(*) > 1) d",
    );
    let dup_groups = got.groups.values().filter(|g| g.0 > 1).count() + dup_keys as usize;
    c.line(
        dup_groups == 0 && got.groups.len() == expected.groups.len(),
        "groups",
        format!(
            "{} groups, {} group keys with more than one group; reference {}",
            got.groups.len(),
            dup_groups,
            expected.groups.len()
        ),
    );
    let wrong: Vec<String> = expected
        .groups
        .iter()
        .filter(|(k, v)| got.groups.get(*k) != Some(v))
        .map(|(k, v)| format!("{k}: {:?} want {v:?}", got.groups.get(k)))
        .collect();
    let counted: i64 = got.groups.values().map(|g| g.1).sum();
    c.line(
        wrong.is_empty() && got.groups.values().all(|g| g.1 == g.2),
        "counts",
        format!(
            "every group's count equals the reference's and its events ({counted} in all){}",
            if wrong.is_empty() {
                String::new()
            } else {
                format!("; differing: {}", wrong.join("; "))
            }
        ),
    );

    // The outbox.
    let statuses: BTreeMap<String, i64> = pg
        .rows("SELECT status, CAST(COUNT(*) AS TEXT) FROM outbox GROUP BY status")
        .into_iter()
        .map(|r| {
            (
                r[0].clone().unwrap_or_default(),
                r[1].as_deref().unwrap_or("0").parse().unwrap(),
            )
        })
        .collect();
    let rows_total: i64 = statuses.values().sum();
    let leased = pg.int("SELECT COUNT(*) FROM outbox WHERE status = 'pending' OR (lease_until IS NOT NULL AND status <> 'sent')");
    let sent = statuses.get("sent").copied().unwrap_or(0);
    c.line(
        leased == 0 && sent == rows_total,
        "outbox",
        format!("{rows_total} rows: {statuses:?}; pending or leased: {leased}"),
    );
    let per_group_ok = pg.int(
        "SELECT COUNT(*) FROM alert_groups g WHERE
            (SELECT COUNT(*) FROM outbox o WHERE o.group_id = g.id AND o.kind = 'firing') <> 1
         OR (SELECT COUNT(*) FROM outbox o WHERE o.group_id = g.id AND o.kind = 'escalation') <> 2",
    );
    c.line(
        per_group_ok == 0,
        "notifications per group",
        format!("groups without exactly 1 firing and 2 escalation notifications: {per_group_ok}"),
    );

    // Escalation steps: one timeline entry per group and step, and every escalation done.
    let steps = pg.rows("SELECT group_id, detail FROM group_timeline WHERE command = 'escalate'");
    let mut per: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for r in &steps {
        let detail: serde_json::Value =
            serde_json::from_str(r[1].as_deref().unwrap_or("null")).unwrap_or_default();
        let step = detail["step"].as_i64().unwrap_or(-1);
        *per.entry((r[0].clone().unwrap_or_default(), step))
            .or_default() += 1;
    }
    let groups_n = got.groups.values().map(|g| g.0).sum::<i64>();
    let twice = per.values().filter(|n| **n > 1).count();
    let done = pg.int("SELECT COUNT(*) FROM group_escalations WHERE state = 'done'");
    c.line(
        twice == 0 && per.len() as i64 == groups_n * 2 && done == groups_n,
        "escalation",
        format!(
            "{} steps fired for {groups_n} groups × 2 steps; fired more than once: {twice}; escalations done: {done}",
            steps.len()
        ),
    );

    // The receiver: each outbox row once by its delivery id, the killed worker's unmarked
    // sends twice.
    let log = log.lock().unwrap().clone();
    let mut by_id: BTreeMap<i64, Vec<&Received>> = BTreeMap::new();
    for r in &log {
        by_id.entry(r.delivery).or_default().push(r);
    }
    let sent_ids: BTreeSet<i64> = pg
        .rows("SELECT CAST(seq AS TEXT) FROM outbox WHERE status = 'sent'")
        .iter()
        .map(|r| r[0].as_deref().unwrap_or("0").parse().unwrap())
        .collect();
    let got_ids: BTreeSet<i64> = by_id.keys().copied().collect();
    let from_victim =
        |r: &Received| victim_ports.contains(&r.peer_port) && kill_at.is_some_and(|k| r.at < k);
    let dups: Vec<i64> = by_id
        .iter()
        .filter(|(_, v)| v.len() > 1)
        .map(|(k, _)| *k)
        .collect();
    let bad_dups: Vec<i64> = by_id
        .iter()
        .filter(|(_, v)| {
            // a second arrival: first from the killed worker, then from a survivor
            v.len() > 2 || (v.len() == 2 && (!from_victim(v[0]) || from_victim(v[1])))
        })
        .map(|(k, _)| *k)
        .collect();
    let held: Vec<i64> = log
        .iter()
        .filter(|r| from_victim(r) && r.answered.is_none_or(|a| kill_at.is_some_and(|k| a >= k)))
        .map(|r| r.delivery)
        .collect();
    let held_not_redone: Vec<i64> = held
        .iter()
        .copied()
        .filter(|d| by_id.get(d).is_none_or(|v| v.len() != 2))
        .collect();
    let by_victim = log.iter().filter(|r| from_victim(r)).count();
    c.line(
        got_ids == sent_ids,
        "receiver",
        format!(
            "{} requests for {} delivery ids; outbox rows sent: {}; ids received but not sent: {}, sent but not received: {}; kinds {:?}",
            log.len(),
            got_ids.len(),
            sent_ids.len(),
            got_ids.difference(&sent_ids).count(),
            sent_ids.difference(&got_ids).count(),
            log.iter().fold(BTreeMap::<&str, usize>::new(), |mut m, r| {
                *m.entry(r.kind.as_str()).or_default() += 1;
                m
            })
        ),
    );
    c.line(
        bad_dups.is_empty() && held_not_redone.is_empty() && (victim.is_none() || !held.is_empty()),
        "exactly once",
        format!(
            "received twice: {} (ids {dups:?}), each first from the killed worker before the kill and again from a survivor with the same X-SignalCraft-Delivery id; the killed worker sent {by_victim} requests, {} unanswered when it died (all redelivered: {}); other duplicates: {bad_dups:?}",
            dups.len(),
            held.len(),
            held_not_redone.is_empty()
        ),
    );

    // Through the engine's API.
    let mut api_groups = Vec::new();
    let mut query = GroupQuery::default();
    loop {
        let page = engine.groups(WS, &query).unwrap();
        api_groups.extend(page.groups);
        match page.next_cursor {
            Some(cur) => query.cursor = Some(cur),
            None => break,
        }
    }
    let api_count: u64 = api_groups.iter().map(|g| g.count).sum();
    let deliveries = engine.deliveries(WS, None).unwrap();
    let api_sent = deliveries.iter().filter(|d| d.status == "sent").count();
    c.line(
        api_groups.len() as i64 == groups_n
            && api_count as i64 == counted
            && api_sent == deliveries.len()
            && deliveries.len() as i64 == rows_total,
        "engine api",
        format!(
            "groups() lists {} groups counting {api_count}; deliveries() lists {} notifications, {api_sent} sent",
            api_groups.len(),
            deliveries.len()
        ),
    );
    drop(engine);
    drop(pg);
    if !opts.keep {
        admin.execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
    println!(
        "fleet: workers={} killed={} events={events} groups={groups_n} notifications={rows_total} received={} duplicated={} failures={} in {:.1?}",
        opts.workers,
        if kill_at.is_some() { opts.kill } else { 0 },
        log.len(),
        dups.len(),
        c.failed,
        started.elapsed()
    );
    c.failed == 0
}
