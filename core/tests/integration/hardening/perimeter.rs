//! SSRF guards, secrets hygiene and no panic across the FFI.
//!
//! The guard is proven with loopback addresses only: the classification of other ranges is
//! checked on addresses as data, never by connecting to them.

use crate::common::StoreUnderTest;
use crate::common::fixture;
use crate::http::{Reply, SmtpSink, TestServer};
use serde_json::json;
use signalcraft_core::net::{self, Cidr, PrivateTargets};
use signalcraft_core::notify::ChannelKind;
use signalcraft_core::routing::RuleSet;
use signalcraft_core::{Engine, EngineBuilder, ErrorKind, SystemClock};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

const KEY: [u8; 32] = [0x5a; 32];

/// An engine on disk, system clock, built from `b` (which decides the private targets).
fn engine(b: EngineBuilder) -> (Engine, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let engine = b
        .store(dir.path().join("signalcraft.db"))
        .clock(Arc::new(SystemClock))
        .secret_key(KEY)
        .build()
        .unwrap();
    let ws = engine.create_workspace("acme").unwrap().id.0;
    (engine, dir, ws)
}

fn allowing(targets: PrivateTargets) -> (Engine, tempfile::TempDir, String) {
    engine(Engine::builder().allow_private_targets(targets))
}

fn route_all(engine: &Engine, ws: &str, channels: &[&str]) {
    let rules =
        RuleSet::from_json(&json!([{"id": "all", "when": {}, "then": {"notify": channels}}]));
    engine.put_rules(ws, &rules.unwrap()).unwrap();
}

/// Ingests the Sentry issue alert fixture; answers the new group's id.
fn fire(engine: &Engine, ws: &str) -> String {
    let h = signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert");
    let body = fixture("sentry/issue_alert_triggered.docs.json");
    let out = engine
        .ingest(ws, signalcraft_core::Source::Sentry, &h, &body)
        .unwrap();
    out.alerts[0].group_id.clone().unwrap().0
}

/// The one delivery of a channel: (status, last error).
fn only_delivery(engine: &Engine, ws: &str) -> (String, String) {
    let log = engine.deliveries(ws, None).unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    (
        log[0].status.clone(),
        log[0].last_error.clone().unwrap_or_default(),
    )
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn non_public_ranges_are_classified_on_addresses_as_data() {
    // never connected to: data only
    let refused = [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "this-network"),
        ("::", "unspecified"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("172.31.255.254", "private"),
        ("192.168.1.1", "private"),
        ("169.254.169.254", "link-local"),
        ("169.254.0.1", "link-local"),
        ("fe80::1", "link-local"),
        ("febf::1", "link-local"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("100.64.0.1", "shared (carrier-grade NAT)"),
        ("100.127.255.255", "shared (carrier-grade NAT)"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("::ffff:169.254.169.254", "link-local"),
        ("64:ff9b::a9fe:a9fe", "link-local"),
        ("2002:c0a8:0101::1", "private"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("240.0.0.1", "reserved"),
    ];
    for (a, range) in refused {
        assert_eq!(net::forbidden_range(ip(a)), Some(range), "{a}");
        assert!(!PrivateTargets::None.permits(ip(a)), "{a}");
        assert!(PrivateTargets::All.permits(ip(a)), "{a}");
    }
    for a in [
        "8.8.8.8",
        "1.1.1.1",
        "172.32.0.1",
        "172.15.255.255",
        "100.63.255.255",
        "100.128.0.1",
        "192.169.0.1",
        "169.255.0.1",
        "2606:4700:4700::1111",
        "2a00:1450:4001::200e",
        "::ffff:8.8.8.8",
    ] {
        assert_eq!(net::forbidden_range(ip(a)), None, "{a}");
        assert!(PrivateTargets::None.permits(ip(a)), "{a}");
    }
    // a CIDR list allows exactly its networks (IPv4-mapped addresses count as IPv4)
    let list = PrivateTargets::from_env_value("127.0.0.1/32, 10.0.0.0/8,fd00::/8").unwrap();
    for (a, ok) in [
        ("127.0.0.1", true),
        ("::ffff:127.0.0.1", true),
        ("127.0.0.2", false),
        ("10.200.0.1", true),
        ("11.0.0.1", true), // public
        ("192.168.0.1", false),
        ("fd00::1", true),
        ("fc00::1", false),
        ("169.254.169.254", false),
    ] {
        assert_eq!(list.permits(ip(a)), ok, "{a}");
    }
    assert_eq!(
        PrivateTargets::from_env_value("1").unwrap(),
        PrivateTargets::All
    );
    assert_eq!(
        PrivateTargets::from_env_value("").unwrap(),
        PrivateTargets::None
    );
    assert_eq!(
        PrivateTargets::from_env_value("127.0.0.1").unwrap(),
        PrivateTargets::Cidrs(vec!["127.0.0.1/32".parse::<Cidr>().unwrap()])
    );
    let err = PrivateTargets::from_env_value("127.0.0.1/32,localhost").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string()
            .contains("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS")
            && err.to_string().contains("localhost"),
        "{err}"
    );
    assert!("10.0.0.0/33".parse::<Cidr>().is_err());
    assert_eq!(
        "10.1.2.3/8".parse::<Cidr>().unwrap().to_string(),
        "10.0.0.0/8"
    );
}

#[test]
fn a_webhook_to_loopback_gets_no_request_without_the_allowance() {
    let server = TestServer::start(|_, _| Reply::status(204));
    let (engine, _dir, ws) = engine(Engine::builder());
    let port = server.port;
    // an IP literal (never reaches a resolver), a name (the resolver's check) and an
    // IPv4-mapped IPv6 literal that reaches the same server
    for (i, url) in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
    ]
    .iter()
    .enumerate()
    {
        let name = format!("hook{i}");
        engine
            .set_channel(&ws, &name, ChannelKind::Webhook, &json!({"url": url}))
            .unwrap();
    }
    route_all(&engine, &ws, &["hook0", "hook1", "hook2"]);
    fire(&engine, &ws);
    let r = engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!((r.sent, r.failed, r.pending), (0, 3, 0));
    assert!(
        server.requests().is_empty(),
        "no request reached the receiver"
    );
    for d in engine.deliveries(&ws, None).unwrap() {
        assert_eq!(d.status, "failed", "{d:?}");
        let err = d.last_error.clone().unwrap_or_default();
        assert!(
            err.contains("refused")
                && err.contains("loopback")
                && err.contains("SIGNALCRAFT_ALLOW_PRIVATE_TARGETS"),
            "{}: {err}",
            d.channel
        );
        assert!(!err.contains("/hook"), "no URL in the reason: {err}");
    }
}

#[test]
fn the_allowance_lets_exactly_its_networks_through() {
    let server = TestServer::start(|_, _| Reply::status(204));
    let url = server.url("/hook");
    // a list that does not cover loopback: still refused
    let (engine, _dir, ws) = allowing(PrivateTargets::from_env_value("10.0.0.0/8").unwrap());
    engine
        .set_channel(&ws, "hook", ChannelKind::Webhook, &json!({"url": url}))
        .unwrap();
    route_all(&engine, &ws, &["hook"]);
    fire(&engine, &ws);
    engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert!(server.requests().is_empty());
    assert_eq!(only_delivery(&engine, &ws).0, "failed");
    // Cidrs(["127.0.0.1/32"]): delivered
    let (engine, _dir2, ws) =
        allowing(PrivateTargets::Cidrs(vec!["127.0.0.1/32".parse().unwrap()]));
    engine
        .set_channel(&ws, "hook", ChannelKind::Webhook, &json!({"url": url}))
        .unwrap();
    route_all(&engine, &ws, &["hook"]);
    fire(&engine, &ws);
    let r = engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!((r.sent, r.failed), (1, 0));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(only_delivery(&engine, &ws).0, "sent");
}

#[test]
fn slack_pagerduty_and_smtp_targets_are_guarded_too() {
    let server = TestServer::start(|_, _| Reply::json(200, json!({"ok": true, "ts": "1.2"})));
    let sink = SmtpSink::start();
    let (engine, _dir, ws) = engine(Engine::builder());
    engine
        .set_channel(
            &ws,
            "slack",
            ChannelKind::Slack,
            &json!({"token": "xoxb-1", "channel": "C1", "api_base": server.url("/api")}),
        )
        .unwrap();
    engine
        .set_channel(
            &ws,
            "pd",
            ChannelKind::Pagerduty,
            &json!({"routing_key": "R0123456789", "events_url": format!("http://localhost:{}/v2/enqueue", server.port)}),
        )
        .unwrap();
    engine
        .set_channel(
            &ws,
            "mail",
            ChannelKind::Email,
            &json!({"smtp_host": "localhost", "smtp_port": sink.port, "insecure": true,
                    "from": "alerts@example.com", "to": ["oncall@example.com"]}),
        )
        .unwrap();
    route_all(&engine, &ws, &["slack", "pd", "mail"]);
    fire(&engine, &ws);
    let r = engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!((r.sent, r.failed, r.pending), (0, 3, 0));
    assert!(server.requests().is_empty());
    assert!(sink.messages().is_empty());
    for d in engine.deliveries(&ws, None).unwrap() {
        let err = d.last_error.clone().unwrap_or_default();
        assert!(
            err.contains("refused") && err.contains("loopback"),
            "{}: {err}",
            d.channel
        );
    }
}

#[test]
fn failed_sends_show_the_status_and_a_short_reason_never_the_body() {
    let server = TestServer::start(|_, _| Reply {
        status: 403,
        headers: vec![],
        body: "internal detail: db password hunter2 at 10.0.0.7".into(),
        delay: Duration::ZERO,
    });
    let (engine, _dir, ws) = engine(crate::common::builder());
    engine
        .set_channel(
            &ws,
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/x")}),
        )
        .unwrap();
    // a Slack answer whose `error` is not a Slack error code
    let slack = TestServer::start(|_, _| {
        Reply::json(
            200,
            json!({"ok": false, "error": "<script>leak 10.0.0.7</script>"}),
        )
    });
    engine
        .set_channel(
            &ws,
            "slack",
            ChannelKind::Slack,
            &json!({"token": "xoxb-1", "channel": "C1", "api_base": slack.url("/api")}),
        )
        .unwrap();
    route_all(&engine, &ws, &["hook", "slack"]);
    fire(&engine, &ws);
    engine.dispatch(None, Duration::from_secs(5)).unwrap();
    assert_eq!(server.requests().len(), 1);
    let log = engine.deliveries(&ws, None).unwrap();
    assert_eq!(log.len(), 2);
    let text = serde_json::to_string(&log).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains("10.0.0.7") && !text.contains("script"),
        "{text}"
    );
    let hook = log.iter().find(|d| d.channel == "hook").unwrap();
    assert_eq!(hook.last_error.as_deref(), Some("HTTP 403 Forbidden"));
    assert_eq!(hook.attempt_log[0].http_status, Some(403));
    // a refused connection: a short reason, no URL
    drop(server);
    let dead = TestServer::start(|_, _| Reply::status(204));
    let url = dead.url("/gone");
    drop(dead);
    engine
        .set_channel(
            &ws,
            "dead",
            ChannelKind::Webhook,
            &json!({"url": url, "retry": {"max_attempts": 1}}),
        )
        .unwrap();
    engine.test_channel(&ws, "dead").unwrap();
    engine.dispatch(Some(&ws), Duration::from_secs(5)).unwrap();
    let d = engine.deliveries(&ws, None).unwrap();
    let dead = d.iter().find(|d| d.channel == "dead").unwrap();
    let err = dead.last_error.clone().unwrap_or_default();
    assert!(
        err.contains("connection refused") || err.contains("cannot connect"),
        "{err}"
    );
    assert!(
        !err.contains("/gone") && !err.contains("127.0.0.1"),
        "{err}"
    );
}

#[test]
fn dispatch_inside_a_tokio_runtime_does_not_panic() {
    let server = TestServer::start(|_, _| Reply::status(204));
    let (engine, _dir, ws) = engine(crate::common::builder());
    engine
        .set_channel(
            &ws,
            "hook",
            ChannelKind::Webhook,
            &json!({"url": server.url("/x")}),
        )
        .unwrap();
    route_all(&engine, &ws, &["hook"]);
    fire(&engine, &ws);
    for multi in [false, true] {
        let rt = if multi {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
        } else {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
        }
        .unwrap();
        let r = rt.block_on(async { engine.dispatch(None, Duration::from_secs(5)) });
        let r = r.unwrap();
        if !multi {
            assert_eq!(r.sent, 1);
        }
        engine.test_channel(&ws, "hook").unwrap();
    }
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn smtp_requires_starttls_unless_the_channel_says_insecure() {
    let sink = SmtpSink::start();
    let (engine, _dir, ws) = engine(crate::common::builder());
    let base = json!({"smtp_host": "127.0.0.1", "smtp_port": sink.port,
        "from": "alerts@example.com", "to": ["oncall@example.com"], "retry": {"max_attempts": 1}});
    let with = |extra: serde_json::Value| {
        let mut c = base.clone();
        c.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        c
    };
    engine
        .set_channel(&ws, "default", ChannelKind::Email, &base)
        .unwrap();
    engine
        .set_channel(
            &ws,
            "plain",
            ChannelKind::Email,
            &with(json!({"starttls": false})),
        )
        .unwrap();
    engine
        .set_channel(
            &ws,
            "insecure",
            ChannelKind::Email,
            &with(json!({"insecure": true})),
        )
        .unwrap();
    for c in ["default", "plain", "insecure"] {
        engine.test_channel(&ws, c).unwrap();
    }
    engine.dispatch(Some(&ws), Duration::from_secs(10)).unwrap();
    let log = engine.deliveries(&ws, None).unwrap();
    let of = |name: &str| log.iter().find(|d| d.channel == name).unwrap();
    // the sink offers no STARTTLS: refused before any mail is sent
    let d = of("default");
    assert_eq!(d.status, "failed", "{d:?}");
    assert!(
        d.last_error.as_deref().unwrap_or("").contains("STARTTLS"),
        "{d:?}"
    );
    let d = of("plain");
    assert_eq!(d.status, "failed", "{d:?}");
    assert!(
        d.last_error
            .as_deref()
            .unwrap_or("")
            .contains("insecure: true"),
        "{d:?}"
    );
    assert_eq!(of("insecure").status, "sent");
    assert_eq!(
        sink.messages().len(),
        1,
        "only the insecure channel sent mail"
    );
    let bad = engine.set_channel(
        &ws,
        "x",
        ChannelKind::Email,
        &with(json!({"insecure": "yes"})),
    );
    assert_eq!(bad.unwrap_err().path(), Some("config.insecure"));
}

#[test]
fn debug_output_never_shows_a_key_or_a_secret() {
    let builder = Engine::builder().secret_key(KEY).path("/tmp/x.db");
    let shown = format!("{builder:?}");
    assert!(
        shown.contains("secret_key") && shown.contains("<redacted>"),
        "{shown}"
    );
    assert!(
        !shown.contains("90, 90") && !shown.contains("5a5a"),
        "{shown}"
    );
    let secrets = [
        "xoxb-slack-token-123456",
        "whsec-webhook-secret-654321",
        "R0UTINGKEY0123456789",
        "smtp-password-777",
        "integration-secret-888",
        "client-secret-999",
        "signing-secret-000",
        "bearer-token-111",
        "csrf-token-222",
        "forge-token-333",
        "registry-password-444",
        "kubeconfig-token-555",
        "cluster-token-666",
        "cloud-token-777",
        "usage-api-key-888",
        "monitor-token-999",
    ];
    let channels = [
        (
            ChannelKind::Slack,
            json!({"token": secrets[0], "channel": "C1"}),
        ),
        (
            ChannelKind::Webhook,
            json!({"url": "https://h.example.com/", "secret": secrets[1]}),
        ),
        (ChannelKind::Pagerduty, json!({"routing_key": secrets[2]})),
        (
            ChannelKind::Email,
            json!({"smtp_host": "smtp.example.com", "smtp_port": 587, "from": "a@example.com",
                   "to": ["b@example.com"], "username": "u", "password": secrets[3]}),
        ),
    ];
    let mut shown = Vec::new();
    for (kind, config) in &channels {
        let c = signalcraft_core::notify::ChannelConfig::parse("c", *kind, config).unwrap();
        shown.push(format!("{c:?}"));
        // an outgoing request holds its channel
        let payload = json!({});
        let out = signalcraft_core::notify::dispatch::Outgoing {
            delivery_id: 1,
            workspace: "ws",
            channel: &c,
            kind: "test",
            payload: &payload,
            group: None,
            slack_ts: None,
            slack_channel: None,
            now: chrono::Utc::now(),
        };
        shown.push(format!("{out:?}"));
    }
    shown.push(format!(
        "{:?}",
        signalcraft_core::sources::IntegrationConfig {
            secret: Some(secrets[4].into()),
            max_skew_secs: None,
            options: json!({}),
        }
    ));
    shown.push(format!(
        "{:?}",
        signalcraft_core::IntegrationUpdate {
            secret: Some(secrets[4].into()),
            ..Default::default()
        }
    ));
    shown.push(format!(
        "{:?}",
        signalcraft_core::slack_oauth::SlackApp {
            client_id: "1.2".into(),
            client_secret: secrets[5].into(),
            redirect_uri: "https://sc.example/cb".into(),
            signing_secret: Some(secrets[6].into()),
            ..Default::default()
        }
    ));
    shown.push(format!(
        "{:?}",
        signalcraft_core::Headers::new()
            .with("Authorization", format!("Bearer {}", secrets[7]))
            .with("X-Routing-Key", secrets[2])
            .with("Content-Type", "application/json")
    ));
    // a session's principal holds its CSRF token
    shown.push(format!(
        "{:?}",
        signalcraft_core::accounts::Principal {
            kind: signalcraft_core::accounts::PrincipalKind::Session,
            actor: "user:alice@example.com".into(),
            user: None,
            token: None,
            csrf_token: Some(secrets[8].into()),
            memberships: vec![],
        }
    ));
    // fleet monitors' targets hold unsealed credentials
    {
        use signalcraft_core::monitors::{
            CloudTarget, ClusterTarget, ForgeTarget, RegistryTarget, UsageTarget,
        };
        shown.push(format!(
            "{:?}",
            ForgeTarget {
                forge: "gitea".into(),
                base_url: "https://git.example.com".into(),
                token: Some(secrets[9].into()),
            }
        ));
        shown.push(format!(
            "{:?}",
            RegistryTarget {
                registry_url: "https://registry.example.com".into(),
                username: Some("robot".into()),
                password: Some(secrets[10].into()),
            }
        ));
        shown.push(format!(
            "{:?}",
            ClusterTarget {
                kubeconfig: Some(format!("users: [{{user: {{token: {}}}}}]", secrets[11])),
                server: Some("https://k8s.example.com".into()),
                token: Some(secrets[12].into()),
                ca_pem: None,
            }
        ));
        shown.push(format!(
            "{:?}",
            CloudTarget {
                provider: "hetzner".into(),
                base_url: "https://api.hetzner.cloud/v1".into(),
                token: Some(secrets[13].into()),
            }
        ));
        shown.push(format!(
            "{:?}",
            UsageTarget {
                provider: "openai".into(),
                base_url: "https://api.openai.com".into(),
                api_key: Some(secrets[14].into()),
            }
        ));
        // a monitor whose config was opened for a run
        shown.push(format!(
            "{:?}",
            signalcraft_core::monitors::model::Monitor {
                id: "ci".into(),
                app: "shop".into(),
                kind: signalcraft_core::monitors::model::MonitorKind::GitCi,
                interval_secs: 60,
                config: json!({"token": secrets[15], "branch": "main"}),
                thresholds: json!({}),
                breach_after: 1,
                recover_after: 1,
                severity: signalcraft_core::Severity::Error,
                environment: None,
            }
        ));
    }
    let all = shown.join("\n");
    for s in secrets {
        assert!(!all.contains(s), "{s} in {all}");
    }
    assert!(
        all.contains("application/json") && all.contains("smtp.example.com"),
        "{all}"
    );
}

/// The key file beside a database, and the database itself.
fn key_file(db: &std::path::Path) -> std::path::PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".key");
    p.into()
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn engines_racing_to_create_the_key_file_end_up_with_one_key() {
    if crate::common::sqlite_only("the key file beside the SQLite file") {
        return;
    }
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("race.db");
        // the database exists; its key file does not (a key is made on the first secret)
        crate::common::builder()
            .store(&db)
            .build()
            .unwrap()
            .create_workspace("acme")
            .unwrap();
        assert!(!key_file(&db).exists());
        let n = 6;
        let barrier = Arc::new(std::sync::Barrier::new(n));
        let threads: Vec<_> = (0..n)
            .map(|i| {
                let (db, barrier) = (db.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let engine = crate::common::builder().store(&db).build().unwrap();
                    barrier.wait();
                    let config = json!({"url": "https://hooks.example.com/", "secret": format!("secret-number-{i}")});
                    engine
                        .set_channel("acme", &format!("hook{i}"), ChannelKind::Webhook, &config)
                        .map(|_| ())
                })
            })
            .collect();
        for t in threads {
            t.join()
                .unwrap()
                .unwrap_or_else(|e| panic!("round {round}: {e}"));
        }
        // one key: a fresh engine opens every channel's sealed secret
        let engine = crate::common::builder().store(&db).build().unwrap();
        let channels = engine.channels("acme").unwrap();
        assert_eq!(channels.len(), n, "round {round}");
        assert_eq!(mode(&key_file(&db)), 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

#[test]
fn the_database_and_key_files_are_private_and_a_shared_key_file_is_refused() {
    if crate::common::sqlite_only("the SQLite file's mode and the key file beside it") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("private.db");
    let engine = crate::common::builder().store(&db).build().unwrap();
    engine.create_workspace("acme").unwrap();
    let hook = json!({"url": "https://hooks.example.com/", "secret": "s3cr3t-value"});
    engine
        .set_channel("acme", "hook", ChannelKind::Webhook, &hook)
        .unwrap();
    assert_eq!(mode(&db), 0o600, "the database file");
    assert_eq!(mode(&key_file(&db)), 0o600, "the key file");
    drop(engine);
    // group- or world-readable: refused, with a clear reason
    for bad in [0o640, 0o604, 0o644] {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(key_file(&db), std::fs::Permissions::from_mode(bad)).unwrap();
        let engine = crate::common::builder().store(&db).build().unwrap();
        let err = engine.channels("acme").unwrap_err();
        assert!(
            err.to_string().contains("readable by its group or others")
                && err.to_string().contains("chmod 600"),
            "{bad:o}: {err}"
        );
    }
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(key_file(&db), std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        crate::common::builder()
            .store(&db)
            .build()
            .unwrap()
            .channels("acme")
            .unwrap()
            .len(),
        1
    );
    // owned by another user: refused (changing the owner needs root; as another user the
    // chown fails and this part cannot be shown)
    if std::os::unix::fs::chown(key_file(&db), Some(65534), None).is_ok() {
        let engine = crate::common::builder().store(&db).build().unwrap();
        let err = engine.channels("acme").unwrap_err();
        assert!(err.to_string().contains("owned by another user"), "{err}");
    }
}

/// A Sentry issue alert (the fixture) for issue `n` whose link is `web_url`.
fn sentry_alert_linking(engine: &Engine, ws: &str, n: u32, web_url: &str) {
    let body = crate::common::edited("sentry/issue_alert_triggered.docs.json", |d| {
        d["data"]["event"]["issue_id"] = format!("{}", 1_117_540_176 + n).into();
        d["data"]["event"]["event_id"] = format!("{n:032x}").into();
        d["data"]["event"]["web_url"] = web_url.into();
    });
    let h = signalcraft_core::Headers::new().with("Sentry-Hook-Resource", "event_alert");
    engine
        .ingest(ws, signalcraft_core::Source::Sentry, &h, &body)
        .unwrap();
}

#[test]
fn links_are_http_only_and_say_where_they_go() {
    let slack = TestServer::start(|_, _| {
        Reply::json(200, json!({"ok": true, "ts": "1.1", "channel": "C1"}))
    });
    let sink = SmtpSink::start();
    let pd = TestServer::start(|_, _| Reply::json(202, json!({"status": "success"})));
    let (engine, _dir, ws) = engine(crate::common::builder());
    engine
        .set_channel(
            &ws,
            "slack",
            ChannelKind::Slack,
            &json!({"token": "xoxb-1", "channel": "C1", "api_base": slack.url("/api")}),
        )
        .unwrap();
    engine
        .set_channel(
            &ws,
            "pd",
            ChannelKind::Pagerduty,
            &json!({"routing_key": "R0123456789", "events_url": pd.url("/v2/enqueue")}),
        )
        .unwrap();
    engine
        .set_channel(
            &ws,
            "mail",
            ChannelKind::Email,
            &json!({"smtp_host": "127.0.0.1", "smtp_port": sink.port,
            "insecure": true, "from": "alerts@example.com", "to": ["oncall@example.com"]}),
        )
        .unwrap();
    route_all(&engine, &ws, &["slack", "mail", "pd"]);
    let own = "https://acme.sentry.io/issues/1/";
    sentry_alert_linking(&engine, &ws, 1, own);
    sentry_alert_linking(&engine, &ws, 2, "https://evil.example/login");
    sentry_alert_linking(&engine, &ws, 3, "javascript:alert(document.cookie)");
    sentry_alert_linking(&engine, &ws, 4, "data:text/html,<script>x</script>");
    // a look-alike: Sentry's domain as a label of someone else's
    sentry_alert_linking(&engine, &ws, 5, "https://sentry.io.evil.example/issues/5/");
    let r = engine.dispatch(None, Duration::from_secs(10)).unwrap();
    assert_eq!((r.sent, r.failed), (15, 0), "{r:?}");
    // PagerDuty: the event's `links`, by issue
    let pd_links: Vec<serde_json::Value> = pd
        .requests()
        .iter()
        .map(|q| q.json()["links"].clone())
        .collect();
    assert_eq!(pd_links.len(), 5);
    let pd_texts: Vec<&str> = pd_links
        .iter()
        .filter_map(|l| l[0]["text"].as_str())
        .collect();
    assert_eq!(
        pd_links.iter().filter(|l| l.is_null()).count(),
        2,
        "{pd_links:?}"
    );
    for want in [
        "Open in Sentry",
        "Open evil.example",
        "Open sentry.io.evil.example",
    ] {
        assert!(pd_texts.contains(&want), "{want} in {pd_links:?}");
    }
    let posts: Vec<String> = slack
        .requests()
        .iter()
        .map(|q| String::from_utf8_lossy(&q.body).into_owned())
        .collect();
    let mails: Vec<String> = sink.messages().into_iter().map(|m| m.2).collect();
    assert_eq!((posts.len(), mails.len()), (5, 5));
    assert!(
        posts.iter().any(|p| p
            .contains("<https://sentry.io.evil.example/issues/5/|Open sentry.io.evil.example>")),
        "{posts:?}"
    );
    let all = format!("{}\n{}", posts.join("\n"), mails.join("\n"));
    assert!(
        !all.contains("javascript:") && !all.contains("data:text"),
        "no other scheme is linked"
    );
    let slack_of = |needle: &str| posts.iter().any(|p| p.contains(needle));
    assert!(
        slack_of("<https://acme.sentry.io/issues/1/|Open in Sentry>"),
        "{posts:?}"
    );
    assert!(
        slack_of("<https://evil.example/login|Open evil.example>"),
        "{posts:?}"
    );
    assert!(!slack_of("evil.example/login|Open in Sentry"));
    // the mail's HTML part (quoted-printable may wrap lines: compare without soft breaks)
    let flat: Vec<String> = mails
        .iter()
        .map(|m| m.replace("=\r\n", "").replace("=3D", "="))
        .collect();
    assert!(flat.iter().any(|m| m.contains(r#"<a href="https://acme.sentry.io/issues/1/">Open in Sentry</a>"#)), "{flat:?}");
    assert!(
        flat.iter()
            .any(|m| m.contains(r#"<a href="https://evil.example/login">Open evil.example</a>"#)),
        "{flat:?}"
    );
    assert_eq!(
        flat.iter().filter(|m| m.contains("<a href")).count(),
        3,
        "only the http(s) links"
    );
}

#[test]
fn the_slack_oauth_exchange_is_guarded_too() {
    let server = crate::slack_oauth::slack();
    let app = crate::slack_oauth::app(&server);
    let connect = signalcraft_core::engine::SlackConnectOptions {
        channel: None,
        slack_channel: Some("#alerts".into()),
    };
    // without the allowance: the code never reaches the loopback "Slack", nothing is installed
    let (guarded, _dir, ws) = engine(Engine::builder());
    let c = guarded.slack_connect(&ws, &app, &connect).unwrap();
    let err = guarded
        .slack_oauth_callback(&app, "good-code", &c.state)
        .unwrap_err();
    assert!(
        err.to_string().contains("refused") && err.to_string().contains("loopback"),
        "{err}"
    );
    assert!(!err.to_string().contains("oauth.v2.access?"), "{err}");
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert!(guarded.channels(&ws).unwrap().is_empty());
    // with it: installed
    let (engine, _dir2, ws) = engine(crate::common::builder());
    let c = engine.slack_connect(&ws, &app, &connect).unwrap();
    let done = engine
        .slack_oauth_callback(&app, "good-code", &c.state)
        .unwrap();
    assert_eq!(done.channel, "slack");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn dispatch_on_a_runtimes_blocking_pool_does_not_panic() {
    // how the Swift binding's async `dispatch` runs it: on tokio's blocking pool, inside the
    // caller's runtime; a refused target and a dead port, each in its own engine
    let dead = TestServer::start(|_, _| Reply::status(204));
    let url = dead.url("/gone");
    drop(dead);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    for b in [Engine::builder(), crate::common::builder()] {
        let (engine, _dir, ws) = engine(b);
        let engine = Arc::new(engine);
        engine
            .set_channel(
                &ws,
                "hook",
                ChannelKind::Webhook,
                &json!({"url": url, "retry": {"max_attempts": 1}}),
            )
            .unwrap();
        engine.test_channel(&ws, "hook").unwrap();
        let e = Arc::clone(&engine);
        let r = rt
            .block_on(rt.spawn_blocking(move || e.dispatch(None, Duration::from_secs(2))))
            .unwrap()
            .unwrap();
        assert_eq!((r.sent, r.failed), (0, 1));
    }
}
