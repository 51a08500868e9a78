//! A real peer: Debian's `prometheus-alertmanager` sends its webhooks to a loopback HTTP server
//! in this test, which hands the headers and raw body to `Engine::ingest`.
//!
//! The binary is `$SIGNALCRAFT_ALERTMANAGER_BIN`, else `/usr/bin/prometheus-alertmanager`, else
//! `alertmanager` on the PATH (`scripts/test` installs Debian's package when it is missing). When
//! none is there the test fails, unless `SIGNALCRAFT_SKIP_PEER_TESTS=1` says to skip it.

use crate::common::StoreUnderTest;
use signalcraft_core::{
    AlertStatus, Engine, GroupQuery, GroupStatus, Headers, IngestDecision, IngestOutcome, Source,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn binary() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("SIGNALCRAFT_ALERTMANAGER_BIN") {
        return Some(PathBuf::from(p));
    }
    let debian = PathBuf::from("/usr/bin/prometheus-alertmanager");
    if debian.exists() {
        return Some(debian);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("alertmanager"))
            .find(|p| p.exists())
    })
}

/// Kills and reaps the Alertmanager process however the test ends.
struct Peer(Child);

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One received webhook: its headers, raw body and what the engine made of it.
struct Received {
    headers: Headers,
    body: Vec<u8>,
    outcome: signalcraft_core::Result<IngestOutcome>,
}

/// Reads one HTTP/1.1 request (Content-Length or chunked body).
fn read_request(stream: &mut TcpStream) -> std::io::Result<(Headers, Vec<u8>)> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut r = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    r.read_line(&mut line)?; // request line
    let mut headers = Headers::new();
    let mut len = 0usize;
    let mut chunked = false;
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some((n, v)) = l.split_once(':') {
            if n.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap_or(0);
            }
            if n.eq_ignore_ascii_case("transfer-encoding")
                && v.to_ascii_lowercase().contains("chunked")
            {
                chunked = true;
            }
            headers.push(n.trim(), v.trim());
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            line.clear();
            r.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if size == 0 {
                line.clear();
                r.read_line(&mut line)?;
                break;
            }
            let mut chunk = vec![0; size + 2];
            r.read_exact(&mut chunk)?;
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(len, 0);
        r.read_exact(&mut body)?;
    }
    Ok((headers, body))
}

/// The webhook receiver: a loopback HTTP server that feeds `Engine::ingest`.
fn serve(listener: TcpListener, engine: Arc<Engine>, ws: String, tx: mpsc::Sender<Received>) {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Ok((headers, body)) = read_request(&mut stream) else {
                continue;
            };
            let outcome = engine.ingest(&ws, Source::Alertmanager, &headers, &body);
            let status = if outcome.is_ok() {
                "200 OK"
            } else {
                "400 Bad Request"
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            if tx
                .send(Received {
                    headers,
                    body,
                    outcome,
                })
                .is_err()
            {
                return;
            }
        }
    });
}

/// A minimal HTTP/1.1 client call; returns the status code and body.
fn http(port: u16, method: &str, path: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    let code = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = out
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((code, body))
}

fn alerts_json(ends_at: Option<&str>, starts_at: &str) -> String {
    let alerts: Vec<serde_json::Value> = ["db-1", "db-2"]
        .iter()
        .map(|instance| {
            let mut a = serde_json::json!({
                "labels": {"alertname": "DiskFull", "instance": instance, "severity": "critical",
                           "env": "production", "service": "postgres"},
                "annotations": {"summary": format!("disk full on {instance}"), "description": "98% used"},
                "startsAt": starts_at,
                "generatorURL": "http://prometheus.invalid/graph?g0.expr=disk"
            });
            if let Some(e) = ends_at {
                a["endsAt"] = e.into();
            }
            a
        })
        .collect();
    serde_json::Value::Array(alerts).to_string()
}

/// Waits for webhooks until one satisfies `done`, or the deadline passes.
fn wait_for(
    rx: &mpsc::Receiver<Received>,
    what: &str,
    deadline: Instant,
    mut done: impl FnMut(&Received) -> bool,
) -> Received {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(r) => {
                if let Err(e) = &r.outcome {
                    panic!(
                        "ingest failed on a real Alertmanager payload: {e}\n{}",
                        String::from_utf8_lossy(&r.body)
                    );
                }
                if done(&r) {
                    return r;
                }
            }
            Err(_) => panic!("timed out waiting for {what}"),
        }
    }
}

#[test]
fn real_alertmanager_fires_and_resolves_through_the_engine() {
    let Some(bin) = binary().filter(|b| b.exists()) else {
        if std::env::var("SIGNALCRAFT_SKIP_PEER_TESTS").as_deref() == Ok("1") {
            eprintln!(
                "SKIPPED: no prometheus-alertmanager binary and SIGNALCRAFT_SKIP_PEER_TESTS=1"
            );
            return;
        }
        panic!(
            "prometheus-alertmanager not found (install Debian's prometheus-alertmanager, as scripts/test does, \
             or set SIGNALCRAFT_ALERTMANAGER_BIN; SIGNALCRAFT_SKIP_PEER_TESTS=1 skips this test)"
        );
    };
    let engine = Arc::new(crate::common::builder().memory().build().unwrap());
    let ws = engine.create_workspace("peer").unwrap().id.to_string();

    let receiver = TcpListener::bind("127.0.0.1:0").unwrap();
    let hook_port = receiver.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    serve(receiver, engine.clone(), ws.clone(), tx);

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  resolve_timeout: 5m\nroute:\n  receiver: signalcraft\n  group_by: ['alertname']\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: signalcraft\n  webhook_configs:\n  - url: http://127.0.0.1:{hook_port}/hook\n    send_resolved: true\n"
        ),
    )
    .unwrap();
    // A port from `free_port` may be taken by a parallel test before Alertmanager binds it: start
    // again on another port when the process dies, and only trust a readiness answer while our
    // own process is alive (so a neighbour's test server on that port cannot pass for it).
    let mut started = None;
    for _attempt in 0..5 {
        let am_port = free_port();
        let mut peer = Peer(
            Command::new(&bin)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.path={}",
                    dir.path().join("data").display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{am_port}"))
                .arg("--cluster.listen-address=")
                .arg("--log.level=warn")
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display())),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        let ready = loop {
            if peer.0.try_wait().ok().flatten().is_some() {
                break false; // it exited: the port was taken
            }
            if let Ok((200, body)) = http(am_port, "GET", "/-/ready", "")
                && body.trim() == "OK"
                && peer.0.try_wait().ok().flatten().is_none()
            {
                break true;
            }
            assert!(
                Instant::now() < deadline,
                "alertmanager did not become ready on port {am_port}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        if ready {
            started = Some((peer, am_port));
            break;
        }
    }
    let (_peer, am_port) = started.expect("alertmanager could not start on a free port in 5 tries");

    // fire two alerts
    let starts = (chrono::Utc::now() - chrono::TimeDelta::seconds(30)).to_rfc3339();
    let (code, text) = http(
        am_port,
        "POST",
        "/api/v2/alerts",
        &alerts_json(None, &starts),
    )
    .unwrap();
    assert_eq!(code, 200, "{text}");
    let firing = wait_for(
        &rx,
        "the firing notification",
        Instant::now() + Duration::from_secs(30),
        |r| {
            r.outcome.as_ref().is_ok_and(|o| {
                o.alerts.len() == 2
                    && o.alerts
                        .iter()
                        .all(|a| a.decision == IngestDecision::NewGroup)
            })
        },
    );
    let doc: serde_json::Value = serde_json::from_slice(&firing.body).unwrap();
    eprintln!(
        "real Alertmanager headers: {:?}\nbody: {}",
        firing.headers,
        String::from_utf8_lossy(&firing.body)
    );
    assert!(
        firing
            .headers
            .get("User-Agent")
            .unwrap_or("")
            .starts_with("Alertmanager/")
    );
    assert_eq!(doc["version"], "4");
    assert_eq!(doc["status"], "firing");
    // what the fixtures lacked: truncatedAlerts, the trailing newline of Go's json.Encoder, and
    // the zero endsAt on firing alerts alongside a fingerprint
    assert_eq!(doc["truncatedAlerts"], 0);
    assert_eq!(firing.body.last(), Some(&b'\n'));
    assert_eq!(doc["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
    let out = firing.outcome.as_ref().unwrap();
    let page = engine.groups(&ws, &GroupQuery::default()).unwrap();
    assert_eq!(page.groups.len(), 2);
    for g in &page.groups {
        assert_eq!(g.status, GroupStatus::Open);
        assert_eq!(g.environment.as_deref(), Some("production"));
        assert_eq!(g.project.as_deref(), Some("postgres"));
        assert_eq!(g.severity, signalcraft_core::Severity::Critical);
        assert!(g.title.starts_with("disk full on db-"));
    }
    // our label hash is Alertmanager's own fingerprint
    for (i, a) in doc["alerts"].as_array().unwrap().iter().enumerate() {
        let labels: std::collections::BTreeMap<String, String> =
            serde_json::from_value(a["labels"].clone()).unwrap();
        assert_eq!(
            signalcraft_core::sources::alertmanager::labels_fingerprint(&labels),
            a["fingerprint"].as_str().unwrap()
        );
        assert_eq!(
            out.alerts[i].fingerprint,
            a["fingerprint"].as_str().unwrap()
        );
    }

    // the same alerts again, now with endsAt in the past: Alertmanager resolves them
    let ends = (chrono::Utc::now() - chrono::TimeDelta::seconds(1)).to_rfc3339();
    let (code, text) = http(
        am_port,
        "POST",
        "/api/v2/alerts",
        &alerts_json(Some(&ends), &starts),
    )
    .unwrap();
    assert_eq!(code, 200, "{text}");
    let resolved = wait_for(
        &rx,
        "the resolved notification",
        Instant::now() + Duration::from_secs(30),
        |r| {
            r.outcome.as_ref().is_ok_and(|o| {
                o.alerts
                    .iter()
                    .any(|a| a.decision == IngestDecision::Resolved)
            })
        },
    );
    let doc: serde_json::Value = serde_json::from_slice(&resolved.body).unwrap();
    eprintln!("resolved body: {}", String::from_utf8_lossy(&resolved.body));
    assert_eq!(doc["status"], "resolved");
    let out = resolved.outcome.unwrap();
    assert_eq!(out.alerts.len(), 2);
    assert!(
        out.alerts
            .iter()
            .all(|a| a.decision == IngestDecision::Resolved
                && a.status == Some(GroupStatus::Resolved))
    );
    let page = engine.groups(&ws, &GroupQuery::default()).unwrap();
    assert!(
        page.groups
            .iter()
            .all(|g| g.status == GroupStatus::Resolved),
        "{:?}",
        page.groups
    );
    for g in &page.groups {
        let d = engine.group(&ws, g.id.as_str()).unwrap();
        assert_eq!(d.events.len(), 2);
        assert_eq!(
            d.events[0].status,
            AlertStatus::Resolved.as_str(),
            "newest first"
        );
    }
}
